//! Sea polygons from OSM coastlines. A coastline runs with land on its left and water on its
//! right; in an extract its ways are cut at the edge. Each cut run is closed into water polygons
//! by walking clockwise along the data's bounding box, as OSM's coastline tools do for a tile.

use crate::model::{Bounds, Polygon, Ring, signed_area};
use crate::ring::{ContainIndex, validate_ring};

/// Position along the bbox perimeter, clockwise from the top-left corner: 0..1 top edge,
/// 1..2 right edge, 2..3 bottom edge, 3..4 left edge.
fn perimeter_t(b: &Bounds, p: [f64; 2]) -> f64 {
    let (w, h) = (b.max[0] - b.min[0], b.max[1] - b.min[1]);
    let d = [
        (b.max[1] - p[1]).abs(), // top
        (b.max[0] - p[0]).abs(), // right
        (p[1] - b.min[1]).abs(), // bottom
        (p[0] - b.min[0]).abs(), // left
    ];
    let edge = (0..4).min_by(|&i, &j| d[i].total_cmp(&d[j])).unwrap_or(0);
    match edge {
        0 => ((p[0] - b.min[0]) / w).clamp(0.0, 1.0),
        1 => 1.0 + ((b.max[1] - p[1]) / h).clamp(0.0, 1.0),
        2 => 2.0 + ((b.max[0] - p[0]) / w).clamp(0.0, 1.0),
        _ => (3.0 + ((p[1] - b.min[1]) / h).clamp(0.0, 1.0)) % 4.0,
    }
}

fn corner(b: &Bounds, k: i64) -> [f64; 2] {
    match k.rem_euclid(4) {
        0 => [b.min[0], b.max[1]],
        1 => [b.max[0], b.max[1]],
        2 => [b.max[0], b.min[1]],
        _ => [b.min[0], b.min[1]],
    }
}

/// The point on the bbox boundary nearest to `p` (after clamping `p` inside).
fn snap_to_boundary(b: &Bounds, p: [f64; 2]) -> [f64; 2] {
    let p = [p[0].clamp(b.min[0], b.max[0]), p[1].clamp(b.min[1], b.max[1])];
    let d = [b.max[1] - p[1], b.max[0] - p[0], p[1] - b.min[1], p[0] - b.min[0]];
    let edge = (0..4).min_by(|&i, &j| d[i].total_cmp(&d[j])).unwrap_or(0);
    match edge {
        0 => [p[0], b.max[1]],
        1 => [b.max[0], p[1]],
        2 => [p[0], b.min[1]],
        _ => [b.min[0], p[1]],
    }
}

/// Water polygons inside `bbox` from coastline pieces: `open` runs cut by the extract (their ends
/// are taken to the nearest bbox edge) and `closed` rings (islands when counter-clockwise).
pub fn sea_polygons(open: &[Vec<[f64; 2]>], closed: &[Ring], bbox: &Bounds) -> Vec<Polygon> {
    if bbox.is_empty() || (open.is_empty() && closed.is_empty()) {
        return Vec::new();
    }
    // Chains from boundary to boundary, with their entry and exit perimeter positions.
    let chains: Vec<(Vec<[f64; 2]>, f64, f64)> = open
        .iter()
        .filter(|r| r.len() >= 2)
        .map(|r| {
            let mut pts = Vec::with_capacity(r.len() + 2);
            let first = snap_to_boundary(bbox, r[0]);
            let last = snap_to_boundary(bbox, r[r.len() - 1]);
            pts.push(first);
            pts.extend(r.iter().map(|p| [p[0].clamp(bbox.min[0], bbox.max[0]), p[1].clamp(bbox.min[1], bbox.max[1])]));
            pts.push(last);
            (pts, perimeter_t(bbox, first), perimeter_t(bbox, last))
        })
        .collect();

    let mut rings: Vec<Ring> = Vec::new();
    let mut used = vec![false; chains.len()];
    for start in 0..chains.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut ring: Ring = chains[start].0.clone();
        let mut exit_t = chains[start].2;
        // At most one step per chain: walk clockwise to the nearest entry, then follow that chain.
        for _ in 0..=chains.len() {
            let next = (0..chains.len())
                .filter(|&k| k == start || !used[k])
                .min_by(|&a, &b| {
                    let da = (chains[a].1 - exit_t).rem_euclid(4.0);
                    let db = (chains[b].1 - exit_t).rem_euclid(4.0);
                    da.total_cmp(&db)
                })
                .unwrap_or(start);
            let entry_t = chains[next].1;
            let span = (entry_t - exit_t).rem_euclid(4.0);
            let mut c = exit_t.floor() as i64 + 1;
            while (c as f64) < exit_t + span {
                ring.push(corner(bbox, c));
                c += 1;
            }
            if next == start {
                break;
            }
            used[next] = true;
            ring.extend_from_slice(&chains[next].0);
            exit_t = chains[next].2;
        }
        rings.push(ring);
    }

    let mut polygons: Vec<Polygon> = rings
        .into_iter()
        .filter_map(|r| validate_ring(r).ok())
        .map(|exterior| Polygon { exterior, holes: Vec::new() })
        .collect();
    let mut islands = Vec::new();
    for ring in closed {
        if signed_area(ring) > 0.0 {
            islands.push(ring.clone());
        } else {
            // A clockwise closed coastline encloses water.
            polygons.push(Polygon { exterior: ring.clone(), holes: Vec::new() });
        }
    }
    if chains.is_empty() && !islands.is_empty() {
        // Only islands: the sea is all around them.
        let b = bbox;
        polygons.push(Polygon {
            exterior: vec![[b.min[0], b.min[1]], [b.max[0], b.min[1]], [b.max[0], b.max[1]], [b.min[0], b.max[1]]],
            holes: Vec::new(),
        });
    }
    // Each island goes into the first sea polygon that holds it; an archipelago has thousands.
    let homes: Vec<Option<usize>> = {
        let index = ContainIndex::new(polygons.iter().map(|p| p.exterior.as_slice()));
        islands.iter().map(|island| index.first_containing(island[0])).collect()
    };
    for (island, home) in islands.into_iter().zip(homes) {
        if let Some(k) = home {
            polygons[k].holes.push(island);
        }
    }
    for p in &mut polygons {
        p.normalize_orientation();
    }
    polygons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ring_contains;

    fn bbox() -> Bounds {
        Bounds { min: [0.0, 0.0], max: [100.0, 100.0] }
    }

    #[test]
    fn water_lies_right_of_the_coastline() {
        // Eastwards: land north (left), sea south (right).
        let east = vec![vec![[1.0, 50.0], [50.0, 55.0], [99.0, 50.0]]];
        let sea = sea_polygons(&east, &[], &bbox());
        assert_eq!(sea.len(), 1);
        assert!(ring_contains(&sea[0].exterior, [50.0, 10.0]));
        assert!(!ring_contains(&sea[0].exterior, [50.0, 90.0]));
        assert!((sea[0].area() - (5000.0 + 245.0)).abs() < 1e-6, "{}", sea[0].area());

        let west = vec![vec![[99.0, 50.0], [50.0, 55.0], [1.0, 50.0]]];
        let sea = sea_polygons(&west, &[], &bbox());
        assert!(ring_contains(&sea[0].exterior, [50.0, 90.0]));
    }

    #[test]
    fn a_run_leaving_and_entering_the_same_edge_closes_without_corners() {
        // North along x=20, east, south along x=30: water on the right is the inlet between.
        let runs = vec![vec![[20.0, 1.0], [20.0, 60.0], [30.0, 60.0], [30.0, 1.0]]];
        let sea = sea_polygons(&runs, &[], &bbox());
        assert_eq!(sea.len(), 1);
        assert!(ring_contains(&sea[0].exterior, [25.0, 30.0]));
        assert!(!ring_contains(&sea[0].exterior, [80.0, 80.0]));
        // Reversed, the same line is a headland: water all around it.
        let runs = vec![vec![[30.0, 1.0], [30.0, 60.0], [20.0, 60.0], [20.0, 1.0]]];
        let sea = sea_polygons(&runs, &[], &bbox());
        assert!(ring_contains(&sea[0].exterior, [80.0, 80.0]));
        assert!(!ring_contains(&sea[0].exterior, [25.0, 30.0]));
    }

    #[test]
    fn two_runs_join_along_the_boundary() {
        // Two pieces of one coast, both eastward, cut in the middle: one sea to the south.
        let runs = vec![vec![[1.0, 50.0], [40.0, 50.0], [45.0, 99.0]], vec![[55.0, 99.0], [60.0, 50.0], [99.0, 50.0]]];
        let sea = sea_polygons(&runs, &[], &bbox());
        assert_eq!(sea.len(), 1);
        assert!(ring_contains(&sea[0].exterior, [50.0, 10.0]));
        assert!(ring_contains(&sea[0].exterior, [50.0, 90.0]), "the channel between the runs is water");
        assert!(!ring_contains(&sea[0].exterior, [10.0, 90.0]));
    }

    #[test]
    fn islands_are_holes() {
        let island = vec![[40.0, 40.0], [60.0, 40.0], [60.0, 60.0], [40.0, 60.0]];
        let sea = sea_polygons(&[], &[island], &bbox());
        assert_eq!(sea.len(), 1);
        assert_eq!(sea[0].holes.len(), 1);
        assert!((sea[0].area() - 9600.0).abs() < 1e-6);
    }
}
