//! Which cameras see a point: within range, and within the field of view around the heading.

use super::spatial::PointGrid;

/// A camera's view on the ground, in local metres (x east, y north).
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub pos: [f64; 2],
    /// Compass degrees, clockwise from north.
    pub heading_deg: f32,
    pub fov_deg: f32,
    pub range_m: f32,
}

impl View {
    /// Whether the point lies in the camera's sector.
    pub fn covers(&self, p: [f64; 2]) -> bool {
        let (dx, dy) = (p[0] - self.pos[0], p[1] - self.pos[1]);
        let d = (dx * dx + dy * dy).sqrt();
        if d > f64::from(self.range_m) {
            return false;
        }
        if d < 1e-6 || self.fov_deg >= 360.0 {
            return true;
        }
        let bearing = dx.atan2(dy).to_degrees();
        let off = (bearing - f64::from(self.heading_deg) + 540.0).rem_euclid(360.0) - 180.0;
        off.abs() <= f64::from(self.fov_deg) / 2.0
    }
}

/// Cameras whose view covers `p`, nearest first: `(index, distance)`. `grid` holds the camera
/// positions by index; `max_range` bounds the search.
pub fn covering(grid: &PointGrid, views: &dyn Fn(u32) -> Option<View>, p: [f64; 2], max_range: f64) -> Vec<(u32, f64)> {
    grid.within(p, max_range).into_iter().filter(|(i, _)| views(*i).is_some_and(|v| v.covers(p))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sector_covers_what_is_in_front_within_range_only() {
        let v = View { pos: [0.0, 0.0], heading_deg: 90.0, fov_deg: 60.0, range_m: 100.0 };
        assert!(v.covers([50.0, 0.0]), "straight ahead (east)");
        assert!(v.covers([50.0, 25.0]), "26.6° off, inside ±30°");
        assert!(!v.covers([50.0, 40.0]), "38.7° off");
        assert!(!v.covers([-50.0, 0.0]), "behind");
        assert!(!v.covers([120.0, 0.0]), "out of range");
        let north = View { heading_deg: 350.0, ..v };
        assert!(north.covers([-5.0, 50.0]) && north.covers([10.0, 50.0]), "across north");
    }

    #[test]
    fn covering_lists_cameras_nearest_first() {
        let views = [
            View { pos: [0.0, 0.0], heading_deg: 0.0, fov_deg: 90.0, range_m: 200.0 },
            View { pos: [0.0, 80.0], heading_deg: 0.0, fov_deg: 90.0, range_m: 200.0 },
            View { pos: [0.0, 50.0], heading_deg: 180.0, fov_deg: 90.0, range_m: 200.0 },
            View { pos: [0.0, 300.0], heading_deg: 180.0, fov_deg: 90.0, range_m: 100.0 },
        ];
        let mut g = PointGrid::new(100.0);
        for (i, v) in views.iter().enumerate() {
            g.insert(i as u32, v.pos);
        }
        let hits = covering(&g, &|i| views.get(i as usize).copied(), [0.0, 100.0], 500.0);
        let ids: Vec<u32> = hits.iter().map(|h| h.0).collect();
        assert_eq!(ids, vec![1, 0], "1 is nearer; 2 looks away; 3 is out of range");
        let hits = covering(&g, &|i| views.get(i as usize).copied(), [0.0, 20.0], 500.0);
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), vec![0, 2]);
    }
}
