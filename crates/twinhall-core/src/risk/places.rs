//! Key places (重点场所): the schools, hospitals and shelters inside a flagged grid or within a
//! distance of it, where a rising risk would hurt most.

use std::collections::HashMap;

use serde::Serialize;

use crate::protocol::{Area, Facility, FacilityKind};

/// The kinds of facility that are key places.
pub const KEY_PLACE_KINDS: [FacilityKind; 3] = [FacilityKind::School, FacilityKind::Hospital, FacilityKind::Shelter];

/// Metres in a degree of latitude (and of longitude at the equator), on a sphere of the mean
/// Earth radius: good to a few metres over the few hundred metres this measures.
const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyPlace {
    pub facility_id: String,
    pub name: String,
    pub kind: FacilityKind,
    /// The flagged grid it is in or next to (the nearest, then the higher ranked).
    pub grid_id: String,
    /// 0 inside the grid, else metres to its edge.
    pub distance_m: f64,
}

/// The facilities of [`KEY_PLACE_KINDS`] inside or within `within_m` metres of the grids of
/// `key_grids` (in rank order, e.g. [`RiskReport::key_grids`](super::RiskReport::key_grids)),
/// each once, by the grid's rank then distance. Grid ids not among `areas` are skipped.
pub fn key_places(key_grids: &[&str], areas: &[Area], facilities: &[Facility], within_m: f64) -> Vec<KeyPlace> {
    let by_id: HashMap<&str, &Area> = areas.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut best: HashMap<&str, (usize, f64)> = HashMap::new();
    for (rank, grid) in key_grids.iter().enumerate() {
        let Some(area) = by_id.get(grid).filter(|a| a.ring.len() >= 3) else { continue };
        let (lo, hi) = ring_box(&area.ring);
        let dlat = within_m / M_PER_DEG;
        let dlon = dlat / ((lo[1] + hi[1]) * 0.5).to_radians().cos().max(0.01);
        for f in facilities.iter().filter(|f| KEY_PLACE_KINDS.contains(&f.kind)) {
            if f.lon < lo[0] - dlon || f.lon > hi[0] + dlon || f.lat < lo[1] - dlat || f.lat > hi[1] + dlat {
                continue;
            }
            let d = distance_to_ring_m(&area.ring, [f.lon, f.lat]);
            if d > within_m {
                continue;
            }
            let better = best.get(f.id.as_str()).is_none_or(|(r, bd)| d < *bd || (d == *bd && rank < *r));
            if better {
                best.insert(f.id.as_str(), (rank, d));
            }
        }
    }
    let mut out: Vec<(usize, KeyPlace)> = facilities
        .iter()
        .filter_map(|f| {
            let (rank, d) = *best.get(f.id.as_str())?;
            Some((
                rank,
                KeyPlace {
                    facility_id: f.id.clone(),
                    name: f.name.clone(),
                    kind: f.kind,
                    grid_id: key_grids[rank].to_owned(),
                    distance_m: d,
                },
            ))
        })
        .collect();
    out.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.distance_m.total_cmp(&b.1.distance_m))
            .then_with(|| a.1.facility_id.cmp(&b.1.facility_id))
    });
    out.into_iter().map(|(_, p)| p).collect()
}

fn ring_box(ring: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    ring.iter().fold(([f64::MAX; 2], [f64::MIN; 2]), |(lo, hi), p| {
        ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])])
    })
}

/// Metres from `p` ([lon, lat]) to a ring: 0 inside, else to its nearest edge, on a plane
/// tangent at `p`.
fn distance_to_ring_m(ring: &[[f64; 2]], p: [f64; 2]) -> f64 {
    if crate::model::ring_contains(ring, p) {
        return 0.0;
    }
    let kx = M_PER_DEG * p[1].to_radians().cos();
    let local = |q: [f64; 2]| [(q[0] - p[0]) * kx, (q[1] - p[1]) * M_PER_DEG];
    let mut best = f64::INFINITY;
    for i in 0..ring.len() {
        let (a, b) = (local(ring[i]), local(ring[(i + 1) % ring.len()]));
        let ab = [b[0] - a[0], b[1] - a[1]];
        let len2 = ab[0] * ab[0] + ab[1] * ab[1];
        let t = if len2 > 0.0 { (-(a[0] * ab[0] + a[1] * ab[1]) / len2).clamp(0.0, 1.0) } else { 0.0 };
        let q = [a[0] + ab[0] * t, a[1] + ab[1] * t];
        best = best.min(q[0].hypot(q[1]));
    }
    best
}
