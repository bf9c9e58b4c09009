//! A uniform grid over local metres: points by cell, for "what is near here" at city scale
//! (100,000 cameras) without scanning them all.

use std::collections::HashMap;

/// The items of one cell with their positions.
type Cell = Vec<(u32, [f64; 2])>;

#[derive(Debug, Clone)]
pub struct PointGrid {
    cell: f64,
    cells: HashMap<(i32, i32), Cell>,
    len: usize,
}

impl PointGrid {
    pub fn new(cell_m: f64) -> Self {
        Self { cell: cell_m.max(1.0), cells: HashMap::new(), len: 0 }
    }

    fn key(&self, p: [f64; 2]) -> (i32, i32) {
        ((p[0] / self.cell).floor() as i32, (p[1] / self.cell).floor() as i32)
    }

    pub fn insert(&mut self, item: u32, p: [f64; 2]) {
        if !(p[0].is_finite() && p[1].is_finite()) {
            return;
        }
        let k = self.key(p);
        self.cells.entry(k).or_default().push((item, p));
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.cells.clear();
        self.len = 0;
    }

    /// Items within `radius` of `p`, with their distances, nearest first.
    pub fn within(&self, p: [f64; 2], radius: f64) -> Vec<(u32, f64)> {
        let r = (radius / self.cell).ceil() as i32;
        let (cx, cy) = self.key(p);
        let mut out = Vec::new();
        for x in cx - r..=cx + r {
            for y in cy - r..=cy + r {
                let Some(items) = self.cells.get(&(x, y)) else { continue };
                for &(item, q) in items {
                    let d = ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)).sqrt();
                    if d <= radius {
                        out.push((item, d));
                    }
                }
            }
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }

    /// The nearest item within `radius`.
    pub fn nearest(&self, p: [f64; 2], radius: f64) -> Option<(u32, f64)> {
        self.within(p, radius).into_iter().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_is_within_the_radius_nearest_first() {
        let mut g = PointGrid::new(50.0);
        for i in 0..100u32 {
            g.insert(i, [f64::from(i) * 10.0, 0.0]);
        }
        g.insert(999, [f64::NAN, 0.0]);
        assert_eq!(g.len(), 100);
        let near = g.within([205.0, 0.0], 26.0);
        let ids: Vec<u32> = near.iter().map(|x| x.0).collect();
        assert_eq!(ids, vec![20, 21, 19, 22, 18, 23]);
        assert_eq!(g.nearest([1000.0, 300.0], 10.0), None);
    }
}
