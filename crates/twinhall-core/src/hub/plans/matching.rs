//! Minimum-cost matching (the Hungarian algorithm), for assigning units to incidents' slots.

/// Minimum-cost matching between rows and columns (Hungarian algorithm, O(n²m)). `None` entries
/// can never be matched. Matches as many pairs as possible, and among those the ones with the
/// least total cost. Returns (row, column) pairs.
pub(super) fn min_cost_matching(cost: &[Vec<Option<f64>>]) -> Vec<(usize, usize)> {
    let rows = cost.len();
    let cols = cost.iter().map(Vec::len).max().unwrap_or(0);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let at = |r: usize, c: usize| cost.get(r).and_then(|row| row.get(c)).copied().flatten();
    // A forbidden pair costs more than every allowed pair together, so filling one more pair always
    // wins over any saving in time.
    let allowed_sum: f64 = cost.iter().flatten().flatten().filter(|x| x.is_finite()).map(|x| x.abs()).sum();
    let big = allowed_sum + 1.0;
    let transpose = rows > cols;
    let (n, m) = if transpose { (cols, rows) } else { (rows, cols) };
    let a = |i: usize, j: usize| {
        let v = if transpose { at(j, i) } else { at(i, j) };
        v.filter(|x| x.is_finite()).unwrap_or(big)
    };
    let columns = hungarian(n, m, a);
    columns
        .into_iter()
        .enumerate()
        .filter_map(|(i, j)| {
            let (r, c) = if transpose { (j, i) } else { (i, j) };
            at(r, c).filter(|x| x.is_finite()).map(|_| (r, c))
        })
        .collect()
}

/// The classic potentials form of the Hungarian algorithm for an n×m matrix with n ≤ m: returns,
/// for each row, the column it is matched to.
pub(super) fn hungarian(n: usize, m: usize, a: impl Fn(usize, usize) -> f64) -> Vec<usize> {
    let inf = f64::INFINITY;
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    // p[j]: the row (1-based) matched to column j (1-based); 0 = none.
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![inf; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0usize;
            for j in 1..=m {
                if used[j] {
                    continue;
                }
                let cur = a(i0 - 1, j - 1) - u[i0] - v[j];
                if cur < minv[j] {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if minv[j] < delta {
                    delta = minv[j];
                    j1 = j;
                }
            }
            if j1 == 0 {
                break;
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut row_to_col = vec![0usize; n];
    for j in 1..=m {
        if p[j] > 0 {
            row_to_col[p[j] - 1] = j - 1;
        }
    }
    row_to_col
}
