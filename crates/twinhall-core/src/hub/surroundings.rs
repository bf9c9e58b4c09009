//! What surrounds an incident, in one pass over the feed store: the cameras that can see it (and
//! those a building hides it from), facilities and supply depots nearby with road travel times,
//! supplies summed by item, sensors, and the population living within the radius, weighted by how
//! much of each grid (网格) lies inside the circle.
//!
//! Entities are first rejected by a lon/lat box around the centre (a generous margin over the
//! radius), so a store of 100,000 cameras costs comparisons, not projections.

use std::collections::BTreeMap;

use crate::frame::{LocalFrame, LonLat, distance};
use crate::hub::sight::BuildingIndex;
use crate::model::signed_area;
use crate::overlay::coverage::View;
use crate::protocol::{AreaLevel, FacilityKind, InventoryLine};
use crate::store::FeedStore;

/// Where and how far to look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Query {
    /// The incident, in local metres.
    pub center: [f64; 2],
    pub radius_m: f64,
    /// Height above ground a camera must see at the incident (a person: about 1.5 m).
    pub target_height_m: f64,
}

/// A camera whose sector covers the incident.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraSight {
    pub id: String,
    pub slot: u32,
    pub name: String,
    pub distance_m: f64,
    pub online: bool,
    /// The building in the way ([`BuildingIndex`] index), for the blocked list.
    pub blocked_by: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FacilityNear {
    pub id: String,
    pub slot: u32,
    pub kind: FacilityKind,
    pub name: String,
    pub distance_m: f64,
    pub travel_s: Option<f32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DepotNear {
    pub id: String,
    pub slot: u32,
    pub name: String,
    pub distance_m: f64,
    pub travel_s: Option<f32>,
    pub inventory: Vec<InventoryLine>,
}

/// One item (in one unit) summed over the depots within the radius.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyTotal {
    pub item: String,
    pub quantity: f64,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SensorNear {
    pub id: String,
    pub slot: u32,
    pub name: String,
    pub kind: String,
    pub reading: f64,
    pub unit: String,
    pub threshold: f64,
    pub alarm: bool,
    pub stale: bool,
    pub distance_m: f64,
}

/// A grid area the circle reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaShare {
    pub id: String,
    pub name: String,
    pub population: u32,
    /// Fraction of the area inside the circle.
    pub share: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Surroundings {
    /// In range and field of view ([`View::covers`]) with a clear line of sight; nearest first.
    /// Offline cameras are listed (`online: false`): the caller greys them.
    pub cameras_visible: Vec<CameraSight>,
    /// In range and field of view but a building blocks; nearest first; `blocked_by` set.
    pub cameras_blocked: Vec<CameraSight>,
    /// Within the radius: reachable ones by travel time, then unreachable ones by distance.
    pub facilities: Vec<FacilityNear>,
    /// Within the radius, ordered as the facilities.
    pub depots: Vec<DepotNear>,
    /// Per item and unit, summed over `depots`; sorted by item, then unit.
    pub supply_totals: Vec<SupplyTotal>,
    /// People living within the radius: each grid's population times its share inside.
    pub population: f64,
    /// Grid areas the circle reaches, largest contribution (population × share) first.
    pub areas: Vec<AreaShare>,
    /// Within the radius, nearest first; stale ones are listed with `stale` set.
    pub sensors: Vec<SensorNear>,
}

/// A lon/lat box around the query circle, with a generous margin: a cheap test that can only
/// err by letting an entity through to the exact test.
#[derive(Debug, Clone, Copy)]
struct DegreeBox {
    lon: [f64; 2],
    lat: [f64; 2],
}

impl DegreeBox {
    fn around(frame: &LocalFrame, q: &Query) -> Self {
        let c = frame.to_lonlat(q.center);
        // A degree of latitude is at least 110.5 km; 1.5 times the radius covers the scale and
        // the grid convergence of the local frame well within 30 km of its origin.
        let dlat = q.radius_m.max(0.0) * 1.5 / 110_000.0 + 1e-5;
        let dlon = (dlat / c.lat.to_radians().cos().max(0.02)).min(360.0);
        Self { lon: [c.lon - dlon, c.lon + dlon], lat: [c.lat - dlat, c.lat + dlat] }
    }

    fn contains(&self, lon: f64, lat: f64) -> bool {
        lon >= self.lon[0] && lon <= self.lon[1] && lat >= self.lat[0] && lat <= self.lat[1]
    }

    /// Whether a [lon, lat] ring's bounding box meets this box.
    fn meets_ring(&self, ring: &[[f64; 2]]) -> bool {
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for p in ring {
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
        }
        lo[0] <= self.lon[1] && hi[0] >= self.lon[0] && lo[1] <= self.lat[1] && hi[1] >= self.lat[0]
    }
}

/// `travel_s(p)`: road travel time in seconds from local point p to the incident (None if
/// unreachable); the caller computes it (one reverse road search); used for facilities and
/// depots.
pub fn surroundings(
    store: &FeedStore,
    frame: &LocalFrame,
    buildings: &BuildingIndex,
    q: &Query,
    travel_s: &dyn Fn([f64; 2]) -> Option<f32>,
) -> Surroundings {
    let mut out = Surroundings::default();
    if !(q.center[0].is_finite() && q.center[1].is_finite() && q.radius_m.is_finite() && q.radius_m >= 0.0) {
        return out;
    }
    let bx = DegreeBox::around(frame, q);
    // The local position and distance of an entity within the radius.
    let near = |lon: f64, lat: f64| -> Option<([f64; 2], f64)> {
        if !bx.contains(lon, lat) {
            return None;
        }
        let p = frame.to_local(LonLat::new(lon, lat));
        let d = distance(p, q.center);
        (d <= q.radius_m).then_some((p, d))
    };

    for (slot, c) in store.cameras.iter() {
        let Some((pos, d)) = near(c.lon, c.lat) else { continue };
        let view = View { pos, heading_deg: c.heading_deg, fov_deg: c.fov_deg, range_m: c.range_m };
        if !view.covers(q.center) {
            continue;
        }
        let blocked_by = buildings.blocker(pos, f64::from(c.height_m), q.center, q.target_height_m);
        let sight =
            CameraSight { id: c.id.clone(), slot, name: c.name.clone(), distance_m: d, online: c.online, blocked_by };
        if blocked_by.is_some() { out.cameras_blocked.push(sight) } else { out.cameras_visible.push(sight) }
    }
    for list in [&mut out.cameras_visible, &mut out.cameras_blocked] {
        list.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then_with(|| a.id.cmp(&b.id)));
    }

    for (slot, f) in store.facilities.iter() {
        let Some((pos, d)) = near(f.lon, f.lat) else { continue };
        out.facilities.push(FacilityNear {
            id: f.id.clone(),
            slot,
            kind: f.kind,
            name: f.name.clone(),
            distance_m: d,
            travel_s: travel_s(pos),
        });
    }
    out.facilities.sort_by(|a, b| by_travel(a.travel_s, a.distance_m, b.travel_s, b.distance_m).then(a.id.cmp(&b.id)));

    let mut totals: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (slot, s) in store.supply_depots.iter() {
        let Some((pos, d)) = near(s.lon, s.lat) else { continue };
        for line in &s.inventory {
            *totals.entry((line.item.clone(), line.unit.clone())).or_insert(0.0) += line.quantity;
        }
        out.depots.push(DepotNear {
            id: s.id.clone(),
            slot,
            name: s.name.clone(),
            distance_m: d,
            travel_s: travel_s(pos),
            inventory: s.inventory.clone(),
        });
    }
    out.depots.sort_by(|a, b| by_travel(a.travel_s, a.distance_m, b.travel_s, b.distance_m).then(a.id.cmp(&b.id)));
    out.supply_totals =
        totals.into_iter().map(|((item, unit), quantity)| SupplyTotal { item, quantity, unit }).collect();

    for (slot, s) in store.sensors.iter() {
        let Some((_, d)) = near(s.lon, s.lat) else { continue };
        out.sensors.push(SensorNear {
            id: s.id.clone(),
            slot,
            name: s.name.clone(),
            kind: s.kind.clone(),
            reading: s.reading,
            unit: s.unit.clone(),
            threshold: s.threshold,
            alarm: s.alarm,
            stale: store.sensors.is_stale(slot),
            distance_m: d,
        });
    }
    out.sensors.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then_with(|| a.id.cmp(&b.id)));

    let mut contributions = Vec::new();
    for (_, a) in store.areas.iter() {
        if a.level != AreaLevel::Grid || a.ring.len() < 3 || !bx.meets_ring(&a.ring) {
            continue;
        }
        let ring: Vec<[f64; 2]> = a.ring.iter().map(|p| frame.to_local(LonLat::new(p[0], p[1]))).collect();
        let area = signed_area(&ring).abs();
        if area.is_nan() || area <= 0.0 {
            continue;
        }
        let overlap = disc_ring_overlap(q.center, q.radius_m, &ring);
        if overlap.is_nan() || overlap <= 0.0 {
            continue;
        }
        let share = (overlap / area).min(1.0);
        let people = f64::from(a.population) * share;
        out.population += people;
        contributions
            .push((people, AreaShare { id: a.id.clone(), name: a.name.clone(), population: a.population, share }));
    }
    contributions.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    out.areas = contributions.into_iter().map(|(_, a)| a).collect();
    out
}

/// Reachable before unreachable; reachable by travel time, unreachable by distance.
fn by_travel(ta: Option<f32>, da: f64, tb: Option<f32>, db: f64) -> std::cmp::Ordering {
    match (ta, tb) {
        (Some(a), Some(b)) => a.total_cmp(&b).then(da.total_cmp(&db)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => da.total_cmp(&db),
    }
}

/// Area of the intersection of a disc and a simple polygon ring (local metres), exactly: the
/// ring's area is the sum of signed triangles (center, p_i, p_i+1), and each triangle's part in
/// the disc is a triangle where its edge runs inside the circle and a circular sector where it
/// runs outside. Works for concave rings of either orientation.
pub fn disc_ring_overlap(center: [f64; 2], radius: f64, ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    if n < 3 || !radius.is_finite() || radius <= 0.0 {
        return 0.0;
    }
    let r2 = radius * radius;
    let mut sum = 0.0;
    for i in 0..n {
        let a = [ring[i][0] - center[0], ring[i][1] - center[1]];
        let b = [ring[(i + 1) % n][0] - center[0], ring[(i + 1) % n][1] - center[1]];
        sum += triangle_in_disc(a, b, r2);
    }
    if sum.is_finite() { sum.abs() } else { 0.0 }
}

/// Signed area of the triangle (origin, a, b) inside the disc of squared radius `r2` at the origin.
fn triangle_in_disc(a: [f64; 2], b: [f64; 2], r2: f64) -> f64 {
    let d = [b[0] - a[0], b[1] - a[1]];
    let dd = d[0] * d[0] + d[1] * d[1];
    if dd == 0.0 {
        return 0.0;
    }
    // |a + t d|² = r²: dd t² + 2 (a·d) t + (a·a − r²) = 0.
    let ad = a[0] * d[0] + a[1] * d[1];
    let c = a[0] * a[0] + a[1] * a[1] - r2;
    let disc = ad * ad - dd * c;
    let mut ts = [0.0, 1.0, 1.0, 1.0];
    let mut k = 1;
    if disc > 0.0 {
        let s = disc.sqrt();
        for t in [(-ad - s) / dd, (-ad + s) / dd] {
            if t > 0.0 && t < 1.0 {
                ts[k] = t;
                k += 1;
            }
        }
    }
    ts[k] = 1.0;
    let at = |t: f64| [a[0] + d[0] * t, a[1] + d[1] * t];
    let mut area = 0.0;
    for w in ts[..=k].windows(2) {
        let (p, q) = (at(w[0]), at(w[1]));
        let cross = p[0] * q[1] - p[1] * q[0];
        let m = at(0.5 * (w[0] + w[1]));
        if m[0] * m[0] + m[1] * m[1] <= r2 {
            area += 0.5 * cross;
        } else {
            let dot = p[0] * q[0] + p[1] * q[1];
            area += 0.5 * r2 * cross.atan2(dot);
        }
    }
    area
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Building, BuildingKind, Polygon};
    use crate::protocol::{Area, Camera, Entities, Facility, PROTOCOL, Sensor, Snapshot, SupplyDepot};
    use std::f64::consts::PI;

    fn square(cx: f64, cy: f64, half: f64) -> Vec<[f64; 2]> {
        vec![[cx - half, cy - half], [cx + half, cy - half], [cx + half, cy + half], [cx - half, cy + half]]
    }

    #[test]
    fn disc_overlap_on_known_shapes() {
        let r = 50.0;
        let full = PI * r * r;
        // A big square containing the disc: the whole disc.
        let big = disc_ring_overlap([3.0, -2.0], r, &square(0.0, 0.0, 500.0));
        assert!((big - full).abs() < full * 1e-3, "{big} vs {full}");
        assert!((big - full).abs() < 1e-6 * full, "exact, not approximated");
        // Clockwise gives the same.
        let mut cw = square(0.0, 0.0, 500.0);
        cw.reverse();
        assert!((disc_ring_overlap([3.0, -2.0], r, &cw) - big).abs() < 1e-9);
        // A small square inside the disc: the square.
        assert!((disc_ring_overlap([0.0, 0.0], r, &square(5.0, 5.0, 10.0)) - 400.0).abs() < 1e-9);
        // Centre at a corner of a large square: a quarter.
        let q = disc_ring_overlap([0.0, 0.0], r, &[[0.0, 0.0], [200.0, 0.0], [200.0, 200.0], [0.0, 200.0]]);
        assert!((q - full / 4.0).abs() < 1e-6, "{q}");
        // Centre on an edge's midpoint: a half.
        let h = disc_ring_overlap([0.0, 0.0], r, &square(0.0, 200.0, 200.0));
        assert!((h - full / 2.0).abs() < 1e-6, "{h}");
        // Disjoint, degenerate.
        assert_eq!(disc_ring_overlap([0.0, 0.0], r, &square(500.0, 0.0, 10.0)), 0.0);
        assert_eq!(disc_ring_overlap([0.0, 0.0], r, &[[0.0, 0.0], [1.0, 1.0]]), 0.0);
        assert_eq!(disc_ring_overlap([0.0, 0.0], 0.0, &square(0.0, 0.0, 10.0)), 0.0);
        // A half-plane cut: a huge disc whose edge runs through the middle of a square.
        let big_r = 100_000.0;
        let cut = disc_ring_overlap([100.0 - big_r, 0.0], big_r, &square(100.0, 0.0, 100.0));
        let share = cut / 40_000.0;
        assert!((share - 0.5).abs() < 0.5 * 0.005, "{share}");
    }

    #[test]
    fn disc_overlap_of_a_concave_ring_matches_counting_cells() {
        // A U-shape, cut by a disc through its notch.
        let ring = vec![
            [0.0, 0.0],
            [90.0, 0.0],
            [90.0, 80.0],
            [60.0, 80.0],
            [60.0, 30.0],
            [30.0, 30.0],
            [30.0, 80.0],
            [0.0, 80.0],
        ];
        let (c, r) = ([45.0, 50.0], 40.0);
        let exact = disc_ring_overlap(c, r, &ring);
        let step = 0.05;
        let mut count = 0u64;
        let n = (100.0 / step) as i64;
        for i in 0..n {
            for j in 0..n {
                let p = [(i as f64 + 0.5) * step - 5.0, (j as f64 + 0.5) * step - 5.0];
                if distance(p, c) <= r && crate::model::ring_contains(&ring, p) {
                    count += 1;
                }
            }
        }
        let counted = count as f64 * step * step;
        assert!((exact - counted).abs() < counted * 1e-3, "{exact} vs {counted}");
    }

    const ORIGIN: LonLat = LonLat::new(114.06, 22.54);

    fn ll(frame: &LocalFrame, p: [f64; 2]) -> (f64, f64) {
        let l = frame.to_lonlat(p);
        (l.lon, l.lat)
    }

    fn camera(frame: &LocalFrame, id: &str, p: [f64; 2], heading: f32, range: f32, online: bool) -> Camera {
        let (lon, lat) = ll(frame, p);
        Camera {
            id: id.into(),
            version: 1,
            updated_at: 0,
            stale_after: None,
            name: format!("cam {id}"),
            lon,
            lat,
            height_m: 8.0,
            heading_deg: heading,
            fov_deg: 60.0,
            range_m: range,
            online,
            snapshot_url: String::new(),
            stream_url: String::new(),
        }
    }

    fn facility(frame: &LocalFrame, id: &str, kind: FacilityKind, p: [f64; 2]) -> Facility {
        let (lon, lat) = ll(frame, p);
        Facility {
            id: id.into(),
            version: 1,
            updated_at: 0,
            stale_after: None,
            kind,
            name: id.into(),
            lon,
            lat,
            capacity: None,
        }
    }

    fn depot(frame: &LocalFrame, id: &str, p: [f64; 2], inv: &[(&str, f64, &str)]) -> SupplyDepot {
        let (lon, lat) = ll(frame, p);
        let inventory = inv
            .iter()
            .map(|(item, q, unit)| InventoryLine { item: (*item).into(), quantity: *q, unit: (*unit).into() })
            .collect();
        SupplyDepot {
            id: id.into(),
            version: 1,
            updated_at: 0,
            stale_after: None,
            name: id.into(),
            lon,
            lat,
            inventory,
        }
    }

    fn sensor(frame: &LocalFrame, id: &str, p: [f64; 2], alarm: bool, stale_after: Option<i64>) -> Sensor {
        let (lon, lat) = ll(frame, p);
        Sensor {
            id: id.into(),
            version: 1,
            updated_at: 0,
            stale_after,
            kind: "water_level".into(),
            name: id.into(),
            lon,
            lat,
            reading: if alarm { 2.5 } else { 0.4 },
            unit: "m".into(),
            threshold: 2.0,
            alarm,
        }
    }

    fn area(frame: &LocalFrame, id: &str, level: AreaLevel, ring: &[[f64; 2]], population: u32) -> Area {
        Area {
            id: id.into(),
            version: 1,
            updated_at: 0,
            stale_after: None,
            level,
            name: format!("area {id}"),
            parent_id: None,
            ring: ring
                .iter()
                .map(|p| {
                    let (lon, lat) = ll(frame, *p);
                    [lon, lat]
                })
                .collect(),
            population,
            governance_index: 80.0,
            aspects: Vec::new(),
        }
    }

    #[test]
    fn everything_around_an_incident_in_one_pass() {
        let frame = LocalFrame::new(ORIGIN);
        let wall = Building {
            id: 77,
            footprint: Polygon {
                exterior: vec![[40.0, -10.0], [60.0, -10.0], [60.0, 10.0], [40.0, 10.0]],
                holes: vec![],
            },
            height_m: 30.0,
            min_height_m: 0.0,
            kind: BuildingKind::Commercial,
            name: None,
        };
        let buildings = BuildingIndex::new(&[wall]);
        // The half-cut grid: a 20 m strip across the circle's edge at x = 500.
        let strip = vec![[490.0, -10.0], [510.0, -10.0], [510.0, 10.0], [490.0, 10.0]];
        let entities = Entities {
            cameras: vec![
                camera(&frame, "C1", [-100.0, 0.0], 90.0, 300.0, true), // faces the incident
                camera(&frame, "C2", [0.0, 50.0], 180.0, 200.0, false), // faces it, offline
                camera(&frame, "C3", [0.0, -80.0], 180.0, 300.0, true), // faces away
                camera(&frame, "C4", [150.0, 0.0], 270.0, 300.0, true), // behind the wall
                camera(&frame, "C5", [0.0, 400.0], 180.0, 200.0, true), // out of its range
                camera(&frame, "C6", [2000.0, 0.0], 270.0, 3000.0, true), // beyond the radius
                camera(&frame, "C7", [0.0, -300.0], 0.0, 400.0, true),  // faces it
            ],
            facilities: vec![
                facility(&frame, "F1", FacilityKind::Hospital, [200.0, 0.0]),
                facility(&frame, "F2", FacilityKind::FireStation, [-300.0, 0.0]),
                facility(&frame, "F3", FacilityKind::PoliceStation, [0.0, 600.0]),
                facility(&frame, "F4", FacilityKind::Shelter, [100.0, 100.0]),
            ],
            supply_depots: vec![
                depot(&frame, "D1", [100.0, -50.0], &[("water", 100.0, "box"), ("tent", 5.0, "piece")]),
                depot(
                    &frame,
                    "D2",
                    [-300.0, 100.0],
                    &[("water", 50.0, "box"), ("water", 10.0, "litre"), ("blanket", 20.0, "piece")],
                ),
                depot(&frame, "D3", [900.0, 0.0], &[("water", 1000.0, "box")]),
            ],
            sensors: vec![
                sensor(&frame, "S1", [30.0, 30.0], true, None),
                sensor(&frame, "S2", [-10.0, 0.0], false, Some(1000)),
                sensor(&frame, "S3", [1000.0, 0.0], true, None),
            ],
            areas: vec![
                area(&frame, "G1", AreaLevel::Grid, &square(0.0, 0.0, 50.0), 1000),
                area(&frame, "G2", AreaLevel::Grid, &strip, 2400),
                area(&frame, "G3", AreaLevel::Grid, &square(3000.0, 0.0, 50.0), 5000),
                area(&frame, "K1", AreaLevel::Community, &square(0.0, 0.0, 5000.0), 1_000_000),
            ],
            ..Default::default()
        };
        let mut store = FeedStore::default();
        store.apply_snapshot(Snapshot {
            protocol: PROTOCOL.into(),
            epoch: 1,
            seq: 1,
            crs: "EPSG:4326".into(),
            generated_at: 0,
            entities,
            index: None,
        });
        assert_eq!(store.expire(2000), 1, "S2 went stale");
        let q = Query { center: [0.0, 0.0], radius_m: 500.0, target_height_m: 1.5 };
        // West of the incident the roads are fast; F4's block is cut off.
        let travel = |p: [f64; 2]| -> Option<f32> {
            if distance(p, [100.0, 100.0]) < 1.0 {
                return None;
            }
            let d = distance(p, [0.0, 0.0]);
            Some((if p[0] < 0.0 { d / 20.0 } else { d / 10.0 }) as f32)
        };
        let s = surroundings(&store, &frame, &buildings, &q, &travel);

        let ids = |v: &[CameraSight]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&s.cameras_visible), ["C2", "C1", "C7"]);
        assert!(s.cameras_visible.iter().all(|c| c.blocked_by.is_none()));
        assert!(!s.cameras_visible[0].online && s.cameras_visible[1].online);
        assert!((s.cameras_visible[0].distance_m - 50.0).abs() < 0.01);
        assert!((s.cameras_visible[2].distance_m - 300.0).abs() < 0.01);
        assert_eq!(ids(&s.cameras_blocked), ["C4"]);
        assert_eq!(s.cameras_blocked[0].blocked_by, Some(0));
        assert_eq!(buildings.building_id(0), 77);
        assert_eq!(s.cameras_blocked[0].slot, store.cameras.slot_of("C4").expect("C4"));
        assert_eq!(s.cameras_blocked[0].name, "cam C4");

        let fac: Vec<(&str, FacilityKind, Option<f32>)> =
            s.facilities.iter().map(|f| (f.id.as_str(), f.kind, f.travel_s)).collect();
        assert_eq!(fac.len(), 3, "F3 is beyond the radius");
        assert_eq!((fac[0].0, fac[0].1), ("F2", FacilityKind::FireStation), "15 s by road, though 300 m away");
        assert!((fac[0].2.expect("reachable") - 15.0).abs() < 0.01);
        assert_eq!(fac[1].0, "F1");
        assert!((fac[1].2.expect("reachable") - 20.0).abs() < 0.01);
        assert_eq!((fac[2].0, fac[2].2), ("F4", None), "unreachable last");
        assert!((s.facilities[1].distance_m - 200.0).abs() < 0.01);

        assert_eq!(s.depots.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["D1", "D2"], "11.2 s and 15.8 s");
        assert_eq!(s.depots[1].inventory.len(), 3);
        let totals: Vec<(&str, f64, &str)> =
            s.supply_totals.iter().map(|t| (t.item.as_str(), t.quantity, t.unit.as_str())).collect();
        assert_eq!(
            totals,
            [("blanket", 20.0, "piece"), ("tent", 5.0, "piece"), ("water", 150.0, "box"), ("water", 10.0, "litre")]
        );

        assert_eq!(s.sensors.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(), ["S2", "S1"]);
        assert!(s.sensors[0].stale && !s.sensors[0].alarm);
        assert!(!s.sensors[1].stale && s.sensors[1].alarm);
        assert_eq!((s.sensors[1].reading, s.sensors[1].threshold, s.sensors[1].unit.as_str()), (2.5, 2.0, "m"));
        assert!((s.sensors[1].distance_m - 30.0 * 2f64.sqrt()).abs() < 0.01);

        // G1 lies inside: share 1. G2 is cut by the circle's edge: the part of the strip with
        // x ≤ √(500² − y²), integrated numerically. G3 is far; K1 is not a grid.
        let n = 20_000;
        let inside: f64 = (0..n)
            .map(|k| {
                let y = -10.0 + (k as f64 + 0.5) * 20.0 / n as f64;
                ((500.0f64 * 500.0 - y * y).sqrt() - 490.0).clamp(0.0, 20.0) * 20.0 / n as f64
            })
            .sum();
        let share2 = inside / 400.0;
        assert!((share2 - 0.5).abs() < 0.5 * 0.005, "nearly half: {share2}");
        assert_eq!(s.areas.len(), 2);
        assert_eq!((s.areas[0].id.as_str(), s.areas[0].population), ("G2", 2400), "G2 gives ~1200 people, G1 1000");
        assert!((s.areas[0].share - share2).abs() < 1e-3, "{} vs {share2}", s.areas[0].share);
        assert_eq!(s.areas[1].id, "G1");
        assert!((s.areas[1].share - 1.0).abs() < 1e-6, "{}", s.areas[1].share);
        assert_eq!(s.areas[1].name, "area G1");
        let expected = 1000.0 + 2400.0 * share2;
        assert!((s.population - expected).abs() < 2.0, "{} vs {expected}", s.population);
    }

    #[test]
    fn many_cameras_far_away_are_rejected_by_degrees_and_bad_queries_give_nothing() {
        let frame = LocalFrame::new(ORIGIN);
        let mut cams = Vec::new();
        for i in 0..2000 {
            let p = [(i % 50) as f64 * 400.0 - 10_000.0, (i / 50) as f64 * 400.0 - 8_000.0];
            cams.push(camera(&frame, &format!("X{i}"), p, 0.0, 5000.0, true));
        }
        // One right next to the incident, facing it.
        cams.push(camera(&frame, "NEAR", [0.0, -20.0], 0.0, 100.0, true));
        let mut store = FeedStore::default();
        store.apply_snapshot(Snapshot {
            protocol: PROTOCOL.into(),
            epoch: 1,
            seq: 1,
            crs: "EPSG:4326".into(),
            generated_at: 0,
            entities: Entities { cameras: cams, ..Default::default() },
            index: None,
        });
        let buildings = BuildingIndex::new(&[]);
        let q = Query { center: [0.0, 0.0], radius_m: 150.0, target_height_m: 1.5 };
        let s = surroundings(&store, &frame, &buildings, &q, &|_| None);
        // The grid camera at (0, 0) is at the incident: it covers it whatever its heading.
        let ids: Vec<&str> = s.cameras_visible.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["X1025", "NEAR"]);
        // A brute-force count over all cameras agrees.
        let brute = store
            .cameras
            .iter()
            .filter(|(_, c)| {
                let p = frame.to_local(LonLat::new(c.lon, c.lat));
                distance(p, q.center) <= q.radius_m
                    && View { pos: p, heading_deg: c.heading_deg, fov_deg: c.fov_deg, range_m: c.range_m }
                        .covers(q.center)
            })
            .count();
        assert_eq!(brute, 2);
        let bad = Query { center: [f64::NAN, 0.0], radius_m: 150.0, target_height_m: 1.5 };
        assert_eq!(surroundings(&store, &frame, &buildings, &bad, &|_| None), Surroundings::default());
    }
}
