//! Label declutter: labels placed by priority so that no two overlap on screen, and stable as
//! the camera moves (a label shown last time wins ties against a newcomer, so labels do not
//! flicker between equals).

use std::collections::{HashMap, HashSet};

/// A label that wants a place.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    /// Stable identity (kind and id hashed), for the hysteresis.
    pub key: u64,
    /// 0 is the most important (incident), then unit, camera, facility.
    pub priority: u8,
    /// Screen point the label belongs to, in pixels.
    pub anchor: [f32; 2],
    /// Label size in pixels.
    pub size: [f32; 2],
}

/// A placed label's rectangle: min and max corners in pixels.
pub type Rect = [f32; 4];

/// Remembers what was shown, for stability.
#[derive(Debug, Default, Clone)]
pub struct Declutter {
    shown: HashSet<u64>,
}

const CELL: f32 = 64.0;
const GAP: f32 = 4.0;

impl Declutter {
    /// Places labels above their anchors, most important first; returns the indices placed with
    /// their rectangles. Labels off the viewport are not placed.
    pub fn place(&mut self, cands: &[Candidate], viewport: [f32; 2]) -> Vec<(usize, Rect)> {
        self.place_avoiding(cands, viewport, &[])
    }

    /// As [`Declutter::place`], with no label over any of `keep_out` (the cards and the HUD
    /// drawn over the map).
    pub fn place_avoiding(&mut self, cands: &[Candidate], viewport: [f32; 2], keep_out: &[Rect]) -> Vec<(usize, Rect)> {
        let mut order: Vec<usize> = (0..cands.len()).collect();
        order.sort_by_key(|&i| {
            let c = &cands[i];
            (c.priority, !self.shown.contains(&c.key), c.key)
        });
        let mut grid: HashMap<(i32, i32), Vec<Rect>> = HashMap::new();
        for r in keep_out {
            for k in cells_of(r) {
                grid.entry(k).or_default().push(*r);
            }
        }
        let mut placed = Vec::new();
        let mut shown = HashSet::new();
        for i in order {
            let c = &cands[i];
            let r = [c.anchor[0] - c.size[0] / 2.0, c.anchor[1] - c.size[1] - 10.0, 0.0, 0.0];
            let r = [r[0], r[1], r[0] + c.size[0], r[1] + c.size[1]];
            if r[0] < 0.0 || r[1] < 0.0 || r[2] > viewport[0] || r[3] > viewport[1] {
                continue;
            }
            let cells = cells_of(&r);
            let hit = cells.clone().any(|k| grid.get(&k).is_some_and(|rs| rs.iter().any(|o| overlaps(o, &r))));
            if hit {
                continue;
            }
            for k in cells {
                grid.entry(k).or_default().push(r);
            }
            shown.insert(c.key);
            placed.push((i, r));
        }
        self.shown = shown;
        placed
    }
}

fn cells_of(r: &Rect) -> impl Iterator<Item = (i32, i32)> + Clone {
    let (x0, y0) = (((r[0] - GAP) / CELL).floor() as i32, ((r[1] - GAP) / CELL).floor() as i32);
    let (x1, y1) = (((r[2] + GAP) / CELL).floor() as i32, ((r[3] + GAP) / CELL).floor() as i32);
    (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
}

fn overlaps(a: &Rect, b: &Rect) -> bool {
    a[0] < b[2] + GAP && b[0] < a[2] + GAP && a[1] < b[3] + GAP && b[1] < a[3] + GAP
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(key: u64, priority: u8, x: f32, y: f32) -> Candidate {
        Candidate { key, priority, anchor: [x, y], size: [80.0, 20.0] }
    }

    #[test]
    fn no_two_placed_labels_overlap_and_priority_wins() {
        let mut d = Declutter::default();
        let cands: Vec<Candidate> =
            (0..400).map(|i| c(i, (i % 4) as u8, (i * 37 % 800) as f32 + 50.0, (i * 53 % 500) as f32 + 40.0)).collect();
        let placed = d.place(&cands, [1000.0, 600.0]);
        assert!(placed.len() > 20);
        for (a, ra) in &placed {
            for (b, rb) in &placed {
                assert!(a == b || !overlaps(ra, rb), "{a} and {b} overlap");
            }
        }
        // Two labels in the same spot: the incident (priority 0) wins over the camera.
        let mut d = Declutter::default();
        let placed = d.place(&[c(1, 2, 100.0, 100.0), c(2, 0, 105.0, 100.0)], [500.0, 500.0]);
        assert_eq!(placed.iter().map(|p| p.0).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn a_shown_label_keeps_its_place_against_an_equal_newcomer() {
        let mut d = Declutter::default();
        let first = d.place(&[c(7, 1, 100.0, 100.0)], [500.0, 500.0]);
        assert_eq!(first.len(), 1);
        // Next frame a unit with a smaller key overlaps: the one already shown stays.
        let next = d.place(&[c(3, 1, 110.0, 102.0), c(7, 1, 101.0, 100.0)], [500.0, 500.0]);
        assert_eq!(next.iter().map(|p| p.0).collect::<Vec<_>>(), vec![1]);
        assert_eq!(d.place(&[c(3, 1, 110.0, 102.0), c(7, 1, 101.0, 100.0)], [500.0, 500.0]).len(), 1);
    }

    #[test]
    fn no_label_runs_over_a_card_or_the_hud() {
        let mut d = Declutter::default();
        // A card at the bottom left and the HUD at the bottom right of a 1000x600 view.
        let keep_out = [[0.0, 400.0, 500.0, 600.0], [800.0, 500.0, 1000.0, 600.0]];
        let cands: Vec<Candidate> =
            (0..200).map(|i| c(i, 1, (i * 37 % 900) as f32 + 50.0, (i * 53 % 550) as f32 + 40.0)).collect();
        let placed = d.place_avoiding(&cands, [1000.0, 600.0], &keep_out);
        assert!(placed.len() > 10);
        for (i, r) in &placed {
            for k in &keep_out {
                assert!(!overlaps(r, k), "label {i} at {r:?} runs over {k:?}");
            }
        }
        // Without them, some label would have been there.
        let free = Declutter::default().place(&cands, [1000.0, 600.0]);
        assert!(free.iter().any(|(_, r)| keep_out.iter().any(|k| overlaps(r, k))));
    }
}
