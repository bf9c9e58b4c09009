//! Thinning for a readable wall at any load: with 100,000 cameras and 5,000 incidents every
//! cone and every pulsing ring at once is a blanket. Cones go to the cameras nearest the focus
//! and rings to the most urgent incidents, a fixed number of each, chosen in linear time.

use std::cmp::Ordering;

/// The `max` items nearest to `focus` (any order), by squared distance; all when there are no
/// more than `max`. Linear time (selection, not a sort).
pub fn nearest<T>(items: &mut Vec<([f64; 2], T)>, focus: [f64; 2], max: usize) {
    if items.len() <= max {
        return;
    }
    let d2 = |p: &[f64; 2]| (p[0] - focus[0]).powi(2) + (p[1] - focus[1]).powi(2);
    if max == 0 {
        items.clear();
        return;
    }
    items.select_nth_unstable_by(max - 1, |a, b| d2(&a.0).partial_cmp(&d2(&b.0)).unwrap_or(Ordering::Equal));
    items.truncate(max);
}

/// Urgency of an incident ring: more severe first, then the newer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Urgency {
    pub severity: u8,
    pub reported_at: i64,
}

/// The `max` most urgent items (any order); all when there are no more than `max`.
pub fn most_urgent<T>(items: &mut Vec<(Urgency, T)>, max: usize) {
    if items.len() <= max {
        return;
    }
    if max == 0 {
        items.clear();
        return;
    }
    items.select_nth_unstable_by(max - 1, |a, b| b.0.cmp(&a.0));
    items.truncate(max);
}

/// Whether a view thinned around `was` (focus, distance) must be thinned again at `now`: the
/// focus moved a quarter of the view distance, or the distance changed by half.
pub fn moved_enough(was: ([f64; 2], f32), now: ([f64; 2], f32)) -> bool {
    let (f0, d0) = was;
    let (f1, d1) = now;
    let moved = (f1[0] - f0[0]).hypot(f1[1] - f0[1]);
    moved > f64::from(d0.max(1.0)) * 0.25 || d1 > d0 * 1.5 || d1 < d0 / 1.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_are_kept_and_no_other() {
        let mut items: Vec<([f64; 2], u32)> = (0..1000).map(|i| ([f64::from(i), 0.0], i)).collect();
        nearest(&mut items, [500.2, 0.0], 5);
        let mut kept: Vec<u32> = items.iter().map(|i| i.1).collect();
        kept.sort_unstable();
        assert_eq!(kept, vec![498, 499, 500, 501, 502]);
        let mut few = vec![([0.0, 0.0], 1u32)];
        nearest(&mut few, [9.0, 9.0], 5);
        assert_eq!(few.len(), 1, "fewer than the budget: all kept");
        nearest(&mut few, [9.0, 9.0], 0);
        assert!(few.is_empty());
    }

    #[test]
    fn the_most_severe_then_the_newest_ring() {
        let u = |severity, reported_at| Urgency { severity, reported_at };
        let mut items = vec![(u(2, 900), "a"), (u(4, 100), "b"), (u(3, 500), "c"), (u(4, 50), "d"), (u(3, 600), "e")];
        most_urgent(&mut items, 3);
        let mut kept: Vec<&str> = items.iter().map(|i| i.1).collect();
        kept.sort_unstable();
        assert_eq!(kept, vec!["b", "d", "e"], "both 4s, then the newer 3");
    }

    #[test]
    fn a_view_is_thinned_again_only_when_it_moved() {
        let at = ([0.0, 0.0], 1000.0);
        assert!(!moved_enough(at, ([100.0, 100.0], 1100.0)));
        assert!(moved_enough(at, ([300.0, 0.0], 1000.0)));
        assert!(moved_enough(at, ([0.0, 0.0], 1600.0)));
        assert!(moved_enough(at, ([0.0, 0.0], 600.0)));
    }
}
