//! Clusters of points on a ground grid: when zoomed out, icons merge into one badge per cell
//! with the count, placed at the members' mean.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub centre: [f64; 2],
    pub count: usize,
    /// One member, for a single-member cluster's own icon or a click.
    pub first: u32,
}

/// Groups points into cells of `cell_m` metres.
pub fn cluster(points: impl IntoIterator<Item = (u32, [f64; 2])>, cell_m: f64) -> Vec<Cluster> {
    let cell = cell_m.max(1.0);
    let mut cells: HashMap<(i64, i64), ([f64; 2], usize, u32)> = HashMap::new();
    for (id, p) in points {
        if !(p[0].is_finite() && p[1].is_finite()) {
            continue;
        }
        let k = ((p[0] / cell).floor() as i64, (p[1] / cell).floor() as i64);
        let e = cells.entry(k).or_insert(([0.0, 0.0], 0, id));
        e.0[0] += p[0];
        e.0[1] += p[1];
        e.1 += 1;
        e.2 = e.2.min(id);
    }
    let mut out: Vec<Cluster> = cells
        .into_values()
        .map(|(s, n, first)| Cluster { centre: [s[0] / n as f64, s[1] / n as f64], count: n, first })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.first.cmp(&b.first)));
    out
}

/// The cluster cell for a camera at `distance_m` from the ground: none when close enough to
/// show every icon.
pub fn cell_for_distance(distance_m: f32) -> Option<f64> {
    if distance_m < 2500.0 {
        return None;
    }
    // Cells of about 1/12 of the view's width, in steps, so that zooming a little does not
    // regroup everything.
    let raw = f64::from(distance_m) / 12.0;
    let step = 2f64.powf(raw.log2().round());
    Some(step)
}

/// Cameras shown one icon each at most; a city with more is clustered at every distance.
pub const CAMERA_ICON_BUDGET: usize = 4000;

/// The cluster cell for `count` cameras seen from `distance_m`: [`cell_for_distance`], and
/// when closer than that but over [`CAMERA_ICON_BUDGET`], cells of 1/16 of the view distance (in the
/// same steps), so 100,000 cameras never make a blanket of icons.
pub fn cell_for(distance_m: f32, count: usize) -> Option<f64> {
    cell_for_distance(distance_m).or_else(|| {
        (count > CAMERA_ICON_BUDGET).then(|| 2f64.powf((f64::from(distance_m.max(16.0)) / 16.0).log2().round()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crowded_city_clusters_even_up_close() {
        assert_eq!(cell_for(1000.0, 400), None, "a few hundred cameras: one icon each");
        assert_eq!(cell_for(1000.0, 100_000), Some(64.0), "1000 m / 16 = 62.5 m, stepped to 64");
        assert_eq!(cell_for(9000.0, 10), cell_for_distance(9000.0), "far: as always");
    }

    #[test]
    fn points_merge_per_cell_with_counts_and_means() {
        let pts = vec![(1, [10.0, 10.0]), (2, [30.0, 30.0]), (3, [150.0, 10.0]), (4, [f64::NAN, 0.0])];
        let c = cluster(pts, 100.0);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0], Cluster { centre: [20.0, 20.0], count: 2, first: 1 });
        assert_eq!(c[1].count, 1);
        assert_eq!(cell_for_distance(1000.0), None);
        let a = cell_for_distance(6000.0).expect("clustered");
        assert_eq!(cell_for_distance(6100.0), Some(a), "small zooms keep the cells");
    }
}
