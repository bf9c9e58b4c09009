//! Building the simulated city: cameras, facilities, units, sensors, supply depots, grid areas
//! and the governance index, from the city model and the seed.

use std::collections::BTreeMap;

use super::arrivals::Arrivals;
use super::history::History;
use super::{DRONE_EVERY, DRONE_SPEED_MPS, Mover, SimConfig, SimError, Simulation};
use crate::generate::SplitMix64;
use crate::model::{AdminBoundary, CityModel, PoiKind, Ring, clip_ring_to_rect, ring_contains, signed_area};
use crate::overlay::index_level as level_for;
use crate::protocol::{
    Area, AreaLevel, AspectScore, Camera, Entities, Facility, FacilityKind, GovernanceIndex, IncidentStatus,
    IndexAspect, InventoryLine, Millis, Sensor, SupplyDepot, Unit, UnitKind, UnitStatus,
};
use crate::routing::RoadGraph;

/// A facility kind's Chinese name, for facilities the city data left unnamed.
fn facility_zh(kind: FacilityKind) -> &'static str {
    match kind {
        FacilityKind::Hospital => "医院",
        FacilityKind::FireStation => "消防站",
        FacilityKind::PoliceStation => "派出所",
        FacilityKind::Shelter => "应急避难场所",
        FacilityKind::School => "学校",
        FacilityKind::Hydrant => "消火栓",
        FacilityKind::Pharmacy => "药店",
        FacilityKind::Other => "设施",
    }
}

/// Grid areas a side: the city's bounds are cut into `GRID_SIDE` × `GRID_SIDE` grids.
const GRID_SIDE: usize = 16;

impl Simulation {
    /// The simulated city on `city`, with the past made up (`config.history_days`) and the
    /// hot spots of `config.hotspots` injected; one that cannot be (an unknown grid, a bad
    /// factor) is logged as an error and left out. [`try_new`](Self::try_new) refuses instead.
    pub fn new(city: &CityModel, config: SimConfig) -> Self {
        let mut sim = Self::build(city, &config);
        for h in &config.hotspots {
            if let Err(e) = sim.inject_hotspot(&h.grid_id, h.category, h.factor) {
                tracing::error!("simulation: hot spot at {}: {e}; left out", h.grid_id);
            }
        }
        sim
    }

    /// As [`new`](Self::new), but a hot spot of `config.hotspots` that cannot be injected is an
    /// error naming its grid or factor.
    pub fn try_new(city: &CityModel, config: SimConfig) -> Result<Self, SimError> {
        let mut sim = Self::build(city, &config);
        for h in &config.hotspots {
            sim.inject_hotspot(&h.grid_id, h.category, h.factor)?;
        }
        Ok(sim)
    }

    /// The simulated city, step by step (each step draws from `rng` in this order, so a seed
    /// gives the same city as ever): cameras, facilities, units, sensors, areas, the past, the
    /// index, the supply depots; then the street names and the incidents open at the start.
    fn build(city: &CityModel, config: &SimConfig) -> Self {
        let config = SimConfig { hotspots: Vec::new(), ..config.clone() };
        let graph = RoadGraph::from_city(city);
        let mut rng = SplitMix64::new(config.seed);
        let now = config.start_ms;
        let frame = city.frame.clone();
        let bounds = city.bounds();
        let place = Placing { frame: &frame, road_points: RoadPoints::new(city), now };

        let cameras = place.cameras(city, config.cameras, &mut rng);
        let facilities = facilities(city, now);
        let movers = place.units(config.units, &mut rng);
        let sensors = place.sensors(config.sensors, &mut rng);
        let areas = match district_boundaries(city) {
            Some((districts, whole)) => admin_areas(city, &districts, whole, &mut rng, now),
            None => grid_areas(&frame, bounds, &mut rng, now),
        };
        let past_hours = History::backfill_hours(config.history_days, config.incidents_per_minute);
        let since = now - i64::from(past_hours) * 3_600_000;
        let mut arrivals =
            Arrivals::new(&graph, &frame, &areas, bounds, config.incidents_per_minute, config.seed, since);
        let past = arrivals.backfill(now, past_hours);
        let index = initial_index(&mut rng, now);
        let supply_depots = place.depots(config.supply_depots, &mut rng);

        let mut sim = Self {
            city_frame: frame,
            graph,
            rng,
            config,
            now_ms: now,
            seq: 0,
            next_incident: 1,
            next_order: 1,
            incidents: BTreeMap::new(),
            cameras,
            facilities,
            supply_depots,
            movers,
            sensors,
            areas,
            index,
            orders: BTreeMap::new(),
            changed: Entities::default(),
            removed: Vec::new(),
            index_changed: false,
            streets: crate::overlay::spatial::PointGrid::new(100.0),
            aerial: std::sync::Arc::new(crate::aerial::AerialScene::new(city)),
            street_names: Vec::new(),
            arrivals,
            history: History::new(since),
            index_model: Default::default(),
        };
        sim.record_past(past);
        sim.index_street_names(city);
        sim.open_initial_incidents();
        sim.init_index();
        sim
    }

    /// Every named road's points, for naming the street a position is on.
    fn index_street_names(&mut self, city: &CityModel) {
        for road in city.roads.iter() {
            let Some(name) = road.name.as_ref().filter(|n| !n.is_empty()) else { continue };
            for p in &road.points {
                self.streets.insert(self.street_names.len() as u32, *p);
                self.street_names.push(name.clone());
            }
        }
    }

    /// The incidents open at the start, at every stage before archive, reported over the last hour.
    pub(super) fn open_initial_incidents(&mut self) {
        let stages = [
            IncidentStatus::Reported,
            IncidentStatus::Accepted,
            IncidentStatus::Accepted,
            IncidentStatus::Feedback,
            IncidentStatus::Review,
        ];
        for i in 0..self.config.incidents {
            self.new_incident();
            let now = self.now_ms;
            let ago = (self.rng.unit() * 3_600_000.0) as Millis;
            if let Some((inc, since)) = self.incidents.values_mut().next_back() {
                inc.status = stages[i % stages.len()];
                inc.reported_at = now - ago;
                // A stage cannot begin before the report.
                *since = (now - (self.rng.unit() * 50_000.0) as Millis).max(inc.reported_at);
                inc.stages = seeded_stages(inc.status, inc.reported_at, *since);
                let (id, at) = (inc.id.clone(), inc.reported_at);
                self.move_history(&id, now, at);
            }
        }
        self.changed = Entities::default();
    }
}

/// Where the simulated city's things are put: the frame, points along its roads, and the
/// moment they are first stamped with.
struct Placing<'a> {
    frame: &'a crate::frame::LocalFrame,
    road_points: RoadPoints,
    now: Millis,
}

impl Placing<'_> {
    /// A random point on a road (the origin for a city without roads), in the local frame.
    fn road_point(&self, rng: &mut SplitMix64) -> [f64; 2] {
        self.road_points.sample(rng).unwrap_or([0.0, 0.0])
    }

    /// The city's own cameras first, then cameras at random points on roads.
    fn cameras(&self, city: &CityModel, count: usize, rng: &mut SplitMix64) -> Vec<Camera> {
        let now = self.now;
        let mut cameras = Vec::new();
        let points: Vec<[f64; 2]> = city.pois.iter().filter(|p| p.kind == PoiKind::Camera).map(|p| p.pos).collect();
        for i in 0..count {
            let pos = match points.get(i) {
                Some(p) => *p,
                None => self.road_point(rng),
            };
            let p = self.frame.to_lonlat(pos);
            cameras.push(Camera {
                id: format!("44030500001310{:06}", i + 1),
                version: 1,
                updated_at: now,
                stale_after: None,
                name: format!("视频监控 {:04}", i + 1),
                lon: p.lon,
                lat: p.lat,
                height_m: rng.range(4.0, 12.0) as f32,
                heading_deg: rng.range(0.0, 360.0) as f32,
                fov_deg: rng.range(50.0, 95.0) as f32,
                range_m: rng.range(40.0, 120.0) as f32,
                online: rng.unit() > 0.05,
                snapshot_url: format!("/v1/cameras/44030500001310{:06}/snapshot.jpg", i + 1),
                stream_url: format!("rtsp://viewer:viewer@127.0.0.1:554/cam/{:06}", i + 1),
            });
        }
        cameras
    }

    /// Units of every kind on patrol on the roads, every so often a drone at its base.
    fn units(&self, count: usize, rng: &mut SplitMix64) -> Vec<Mover> {
        let now = self.now;
        let kinds = [
            (UnitKind::PoliceCar, "巡逻警车", 12.0),
            (UnitKind::FireEngine, "消防车", 11.0),
            (UnitKind::Ambulance, "救护车", 12.0),
            (UnitKind::GridWorker, "网格员", 1.4),
            (UnitKind::Volunteer, "志愿者", 1.3),
        ];
        let mut movers = Vec::new();
        for i in 0..count {
            let drone = i % DRONE_EVERY == 4;
            let (kind, label, speed) =
                if drone { (UnitKind::Drone, "无人机", DRONE_SPEED_MPS) } else { kinds[i % kinds.len()] };
            let pos = self.road_point(rng);
            let p = self.frame.to_lonlat(pos);
            let id = format!("U-{:05}", i + 1);
            movers.push(Mover {
                unit: Unit {
                    snapshot_url: if drone { format!("/v1/units/{id}/snapshot.jpg") } else { String::new() },
                    altitude_m: drone.then_some(0.0),
                    id,
                    version: 1,
                    updated_at: now,
                    stale_after: Some(now + 10_000),
                    kind,
                    name: format!("{label} {:03}", i + 1),
                    lon: p.lon,
                    lat: p.lat,
                    heading_deg: 0.0,
                    speed_mps: 0.0,
                    // Drones wait at their base until sent; the others patrol.
                    status: if drone { UnitStatus::Available } else { UnitStatus::Patrolling },
                    incident_id: None,
                    route: Vec::new(),
                },
                route: vec![pos],
                base_speed_mps: speed,
                home: pos,
            });
        }
        movers
    }

    /// Sensors of each kind at random points on roads, reading normal.
    fn sensors(&self, count: usize, rng: &mut SplitMix64) -> Vec<Sensor> {
        let now = self.now;
        let sensor_kinds = [
            ("water_level", "m", 2.5, 1.5),
            ("smoke", "ppm", 300.0, 80.0),
            ("gas", "%LEL", 20.0, 5.0),
            ("noise", "dB", 70.0, 55.0),
        ];
        let mut sensors = Vec::new();
        for i in 0..count {
            let (kind, unit, threshold, normal) = sensor_kinds[i % sensor_kinds.len()];
            let p = self.frame.to_lonlat(self.road_point(rng));
            sensors.push(Sensor {
                id: format!("S-{:05}", i + 1),
                version: 1,
                updated_at: now,
                stale_after: Some(now + 300_000),
                kind: kind.into(),
                name: format!("{kind} {:03}", i + 1),
                lon: p.lon,
                lat: p.lat,
                reading: normal,
                unit: unit.into(),
                threshold,
                alarm: false,
            });
        }
        sensors
    }

    /// Supply depots at random points on roads, each stocking every item in a random quantity.
    fn depots(&self, count: usize, rng: &mut SplitMix64) -> Vec<SupplyDepot> {
        let now = self.now;
        let depot_items: [(&str, &str, f64); 6] = [
            ("帐篷", "顶", 200.0),
            ("饮用水", "箱", 1500.0),
            ("沙袋", "袋", 5000.0),
            ("发电机", "台", 12.0),
            ("救生衣", "件", 300.0),
            ("折叠床", "张", 400.0),
        ];
        (0..count)
            .map(|i| {
                let p = self.frame.to_lonlat(self.road_point(rng));
                SupplyDepot {
                    id: format!("D-{:03}", i + 1),
                    version: 1,
                    updated_at: now,
                    stale_after: None,
                    name: format!("应急物资储备点 {:02}", i + 1),
                    lon: p.lon,
                    lat: p.lat,
                    inventory: depot_items
                        .iter()
                        .map(|(item, unit, q)| InventoryLine {
                            item: (*item).into(),
                            quantity: (q * rng.range(0.3, 1.2)).round(),
                            unit: (*unit).into(),
                        })
                        .collect(),
                }
            })
            .collect()
    }
}

/// The city's points of interest that are facilities (hospitals, stations, shelters ...).
fn facilities(city: &CityModel, now: Millis) -> Vec<Facility> {
    city.pois
        .iter()
        .enumerate()
        .filter_map(|(n, p)| {
            let kind = match p.kind {
                PoiKind::Hospital => FacilityKind::Hospital,
                PoiKind::Police => FacilityKind::PoliceStation,
                PoiKind::FireStation => FacilityKind::FireStation,
                PoiKind::Shelter => FacilityKind::Shelter,
                PoiKind::School => FacilityKind::School,
                PoiKind::Hydrant => FacilityKind::Hydrant,
                PoiKind::Pharmacy => FacilityKind::Pharmacy,
                PoiKind::Camera => return None,
            };
            Some(Facility {
                id: format!("F-{}", p.id),
                version: 1,
                updated_at: now,
                stale_after: None,
                kind,
                name: p.name.clone().unwrap_or_else(|| format!("{} {:03}", facility_zh(kind), n + 1)),
                lon: p.lonlat.lon,
                lat: p.lonlat.lat,
                capacity: None,
            })
        })
        .collect()
}

/// The governance index at the start: each aspect scored at random in 70..95.
fn initial_index(rng: &mut SplitMix64, now: Millis) -> GovernanceIndex {
    GovernanceIndex {
        updated_at: now,
        overall: 85.0,
        aspects: IndexAspect::ALL
            .into_iter()
            .map(|aspect| {
                let score = rng.range(70.0, 95.0) as f32;
                AspectScore { aspect, score, level: level_for(score) }
            })
            .collect(),
    }
}

/// How long the simulator keeps a case in each stage it leaves by itself (上报 a minute, 受理
/// until the grid's staff take it on, 处置 five minutes, 反馈 and 审核 a minute), the weights of
/// a back-dated 流转记录.
fn stage_weight_ms(s: IncidentStatus) -> i64 {
    match s {
        IncidentStatus::Accepted => super::incidents::LOCAL_HANDLING_MS,
        IncidentStatus::Handling => 300_000,
        IncidentStatus::Reported | IncidentStatus::Feedback | IncidentStatus::Review => 60_000,
        IncidentStatus::Assigned | IncidentStatus::Archived => 0,
    }
}

/// The back-dated 流转记录 of an incident open at the start in `status`: every stage from the
/// report to `status` (no 分拨: nobody was dispatched, the grid's staff took it on), from
/// `reported_at` to `since`, when `status` began, each stage's share of that time in proportion
/// to how long the simulator keeps a case in it ([`stage_weight_ms`]). Not evenly: that made
/// every step of a seeded case equally long, so the steps' averages echoed one another (受理→处置
/// equal to 处置→反馈 in every row of the efficiency table).
fn seeded_stages(status: IncidentStatus, reported_at: Millis, since: Millis) -> Vec<crate::protocol::StageTime> {
    let path: Vec<IncidentStatus> =
        IncidentStatus::ALL.into_iter().filter(|s| *s <= status && *s != IncidentStatus::Assigned).collect();
    let left = path.len().saturating_sub(1);
    let total: i64 = path[..left].iter().map(|s| stage_weight_ms(*s)).sum::<i64>().max(1);
    let mut before = 0i64;
    path.iter()
        .map(|s| {
            // The last at `since` exactly: `before` has come to `total` by then.
            let at = reported_at + (since - reported_at) * before / total;
            before += stage_weight_ms(*s);
            crate::protocol::StageTime { status: *s, at }
        })
        .collect()
}

/// Five levels of areas partitioning the city's bounds: the city, 2x2 districts, 4x4 streets,
/// 8x8 communities and 16x16 grids, each inside its parent.
fn grid_areas(
    frame: &crate::frame::LocalFrame,
    b: crate::model::Bounds,
    rng: &mut SplitMix64,
    now: Millis,
) -> Vec<Area> {
    let mut areas = Vec::new();
    if b.is_empty() {
        return areas;
    }
    let levels = [
        (AreaLevel::City, 1, "市"),
        (AreaLevel::District, 2, "区"),
        (AreaLevel::Street, 4, "街道"),
        (AreaLevel::Community, 8, "社区"),
        (AreaLevel::Grid, GRID_SIDE, "网格"),
    ];
    let (w, h) = (b.max[0] - b.min[0], b.max[1] - b.min[1]);
    for (li, (level, n, label)) in levels.iter().enumerate() {
        for j in 0..*n {
            for i in 0..*n {
                let x0 = b.min[0] + w * i as f64 / *n as f64;
                let x1 = b.min[0] + w * (i + 1) as f64 / *n as f64;
                let y0 = b.min[1] + h * j as f64 / *n as f64;
                let y1 = b.min[1] + h * (j + 1) as f64 / *n as f64;
                let ring: Vec<[f64; 2]> = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
                    .iter()
                    .map(|p| frame.to_lonlat(*p))
                    .map(|p| [p.lon, p.lat])
                    .collect();
                let parent_id = (li > 0).then(|| {
                    let (pn, pi, pj) = (levels[li - 1].1, i / 2, j / 2);
                    format!("A{}-{}", li - 1, pj * pn + pi)
                });
                let cells = (*n * *n) as f64;
                areas.push(Area {
                    id: format!("A{li}-{}", j * n + i),
                    version: 1,
                    updated_at: now,
                    stale_after: None,
                    level: *level,
                    name: format!("{label} {}", j * n + i + 1),
                    parent_id,
                    ring,
                    population: (rng.range(0.6, 1.4) * 200_000.0 / cells) as u32,
                    governance_index: rng.range(60.0, 98.0) as f32,
                    aspects: Vec::new(),
                });
            }
        }
    }
    areas
}

/// Where the simulator puts cameras, units, sensors and depots: a point on a drivable surface
/// road, picked with a weight of the segment's length times the buildings around it (plus a
/// floor), so that towns get most of them and empty mountain roads a few.
struct RoadPoints {
    /// (start, end) of each drivable surface segment.
    segments: Vec<([f64; 2], [f64; 2])>,
    /// Running sum of the segments' weights.
    cumulative: Vec<f64>,
}

/// Side of the cells that buildings are counted in, metres.
const DENSITY_CELL_M: f64 = 250.0;
/// Weight of a segment with no buildings near, in buildings: one in `1 + 1/floor` of the
/// weight of a segment with one building near goes to it.
const DENSITY_FLOOR: f64 = 0.5;

impl RoadPoints {
    fn new(city: &CityModel) -> Self {
        let density = BuildingDensity::new(city, DENSITY_CELL_M);
        let mut segments = Vec::new();
        let mut cumulative = Vec::new();
        let mut sum = 0.0;
        for r in city.roads.iter().filter(|r| r.class.drivable() && !r.tunnel) {
            for w in r.points.windows(2) {
                let (a, b) = (w[0], w[1]);
                let len = (b[0] - a[0]).hypot(b[1] - a[1]);
                if len <= 0.0 {
                    continue;
                }
                let mid = [(a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5];
                sum += len * (DENSITY_FLOOR + density.around(mid));
                segments.push((a, b));
                cumulative.push(sum);
            }
        }
        Self { segments, cumulative }
    }

    fn sample(&self, rng: &mut SplitMix64) -> Option<[f64; 2]> {
        let total = *self.cumulative.last()?;
        let u = rng.unit() * total;
        let k = self.cumulative.partition_point(|c| *c <= u).min(self.segments.len() - 1);
        let (a, b) = self.segments[k];
        let t = rng.unit();
        Some([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t])
    }
}

/// Buildings counted in square cells by the centre of their footprint.
struct BuildingDensity {
    cell_m: f64,
    counts: std::collections::HashMap<(i64, i64), u32>,
}

impl BuildingDensity {
    fn new(city: &CityModel, cell_m: f64) -> Self {
        let mut counts = std::collections::HashMap::new();
        for b in &city.buildings {
            let c = b.footprint.centroid();
            *counts.entry(Self::cell(c, cell_m)).or_insert(0) += 1;
        }
        Self { cell_m, counts }
    }

    fn cell(p: [f64; 2], cell_m: f64) -> (i64, i64) {
        ((p[0] / cell_m).floor() as i64, (p[1] / cell_m).floor() as i64)
    }

    /// Buildings per cell, averaged over the 3 x 3 cells around `p`.
    fn around(&self, p: [f64; 2]) -> f64 {
        let (i, j) = Self::cell(p, self.cell_m);
        let mut n = 0u32;
        for dj in -1..=1 {
            for di in -1..=1 {
                n += self.counts.get(&(i + di, j + dj)).copied().unwrap_or(0);
            }
        }
        f64::from(n) / 9.0
    }
}

/// The administrative areas that serve as districts: the level with the most areas (two to
/// [`MAX_DISTRICTS`], the finer level on a tie), with the one area of a coarser level that
/// holds them all (the country, the city) when the data has it. `None` when the city has no
/// such level, and the districts are cut from its bounds.
fn district_boundaries(city: &CityModel) -> Option<(Vec<&AdminBoundary>, Option<&AdminBoundary>)> {
    let mut by_level: BTreeMap<u8, Vec<&AdminBoundary>> = BTreeMap::new();
    for a in &city.admin {
        by_level.entry(a.level).or_default().push(a);
    }
    let (level, districts) =
        by_level.iter().filter(|(_, v)| (2..=MAX_DISTRICTS).contains(&v.len())).max_by_key(|(l, v)| (v.len(), **l))?;
    let whole = by_level.range(..*level).rev().find(|(_, v)| v.len() == 1).map(|(_, v)| v[0]);
    Some((districts.clone(), whole))
}

/// The most administrative areas taken as districts.
const MAX_DISTRICTS: usize = 64;
/// Grids a side of a community and communities a side of a street.
const SPLIT: usize = 2;
/// Buildings' residents on average, for the populations of areas cut from real districts.
const RESIDENTS_PER_BUILDING: f64 = 4.0;

/// Five levels of areas on real districts (`districts`, from OSM administrative boundaries):
/// the city (the area holding them, `whole`, or their convex hull), the districts with their
/// names and polygons, and below each a square lattice clipped to it: streets of 4 x 4 grids,
/// communities of 2 x 2 grids, and grids of a few hundred metres (about 600 grids over the
/// districts, 100 to 500 m a side). A district's exclave gets streets of its own. Ids go
/// `A0-0`, `A1-k` by district name, then `A2-k`, `A3-k`, `A4-k` in the order made; every area's
/// parent holds it. Pieces under 1 % of their cell are left out.
fn admin_areas(
    city: &CityModel,
    districts: &[&AdminBoundary],
    whole: Option<&AdminBoundary>,
    rng: &mut SplitMix64,
    now: Millis,
) -> Vec<Area> {
    let frame = &city.frame;
    let to_ll = |ring: &[[f64; 2]]| -> Vec<[f64; 2]> {
        ring.iter().map(|p| frame.to_lonlat(*p)).map(|p| [p.lon, p.lat]).collect()
    };
    let total_area: f64 = districts.iter().map(|d| d.area()).sum();
    let grid_m = ((total_area / 600.0).sqrt() / 50.0).round().clamp(2.0, 10.0) * 50.0;
    let street_m = grid_m * (SPLIT * SPLIT) as f64;
    let mut extent = crate::model::Bounds::EMPTY;
    for p in districts.iter().flat_map(|d| d.polygons.iter()).flat_map(|p| p.exterior.iter()) {
        extent.extend(*p);
    }
    let origin = extent.min;
    // Buildings by lattice grid cell, for the populations.
    let mut buildings: std::collections::HashMap<(i64, i64), Vec<[f64; 2]>> = std::collections::HashMap::new();
    for b in &city.buildings {
        let c = b.footprint.centroid();
        let cell = (((c[0] - origin[0]) / grid_m).floor() as i64, ((c[1] - origin[1]) / grid_m).floor() as i64);
        buildings.entry(cell).or_default().push(c);
    }

    let area = |id: String, level: AreaLevel, name: String, parent: Option<String>, ring: &[[f64; 2]]| Area {
        id,
        version: 1,
        updated_at: now,
        stale_after: None,
        level,
        name,
        parent_id: parent,
        ring: to_ll(ring),
        population: 0,
        governance_index: 0.0,
        aspects: Vec::new(),
    };
    let mut areas = Vec::new();
    let city_ring: Ring = match whole.and_then(|w| w.polygons.iter().max_by(|a, b| a.area().total_cmp(&b.area()))) {
        Some(p) => p.exterior.clone(),
        None => convex_hull(districts.iter().flat_map(|d| d.polygons.iter()).flat_map(|p| p.exterior.iter().copied())),
    };
    let city_name = whole.map(|w| w.name_zh.clone().unwrap_or_else(|| w.name.clone())).unwrap_or_else(|| "市 1".into());
    areas.push(area("A0-0".into(), AreaLevel::City, city_name, None, &city_ring));
    let (mut streets, mut communities, mut grids) = (Vec::new(), Vec::new(), Vec::new());
    let cell_rect = |i: i64, j: i64, size: f64| {
        let min = [origin[0] + i as f64 * size, origin[1] + j as f64 * size];
        (min, [min[0] + size, min[1] + size])
    };
    let range = |lo: f64, hi: f64, size: f64| (lo / size).floor() as i64..=(hi / size).floor() as i64;
    for (k, d) in districts.iter().enumerate() {
        let district_id = format!("A1-{k}");
        let district_name = d.name_zh.clone().unwrap_or_else(|| d.name.clone());
        // The district's outline: its largest polygon with its holes (exclaves have grids of
        // their own, below, but are not in this ring).
        let largest = d.polygons.iter().max_by(|a, b| a.area().total_cmp(&b.area())).map(bridged);
        areas.push(area(
            district_id.clone(),
            AreaLevel::District,
            district_name.clone(),
            Some("A0-0".into()),
            largest.as_deref().unwrap_or(&[]),
        ));
        let (mut n_street, mut n_community, mut n_grid) = (0, 0, 0);
        for poly in &d.polygons {
            let mut b = crate::model::Bounds::EMPTY;
            poly.exterior.iter().for_each(|p| b.extend([p[0] - origin[0], p[1] - origin[1]]));
            let outline = bridged(poly);
            for sj in range(b.min[1], b.max[1], street_m) {
                for si in range(b.min[0], b.max[0], street_m) {
                    let (lo, hi) = cell_rect(si, sj, street_m);
                    let street = clip_ring_to_rect(&outline, lo, hi);
                    if signed_area(&street).abs() < 0.01 * street_m * street_m {
                        continue;
                    }
                    n_street += 1;
                    let street_id = format!("A2-{}", streets.len());
                    streets.push(area(
                        street_id.clone(),
                        AreaLevel::Street,
                        format!("{district_name} 街道 {n_street}"),
                        Some(district_id.clone()),
                        &street,
                    ));
                    let community_m = grid_m * SPLIT as f64;
                    for cj in 0..SPLIT as i64 {
                        for ci in 0..SPLIT as i64 {
                            let (ci, cj) = (si * SPLIT as i64 + ci, sj * SPLIT as i64 + cj);
                            let (lo, hi) = cell_rect(ci, cj, community_m);
                            let community = clip_ring_to_rect(&street, lo, hi);
                            if signed_area(&community).abs() < 0.01 * community_m * community_m {
                                continue;
                            }
                            n_community += 1;
                            let community_id = format!("A3-{}", communities.len());
                            communities.push(area(
                                community_id.clone(),
                                AreaLevel::Community,
                                format!("{district_name} 社区 {n_community}"),
                                Some(street_id.clone()),
                                &community,
                            ));
                            for gj in 0..SPLIT as i64 {
                                for gi in 0..SPLIT as i64 {
                                    let (gi, gj) = (ci * SPLIT as i64 + gi, cj * SPLIT as i64 + gj);
                                    let (lo, hi) = cell_rect(gi, gj, grid_m);
                                    let ring = clip_ring_to_rect(&community, lo, hi);
                                    if signed_area(&ring).abs() < 0.01 * grid_m * grid_m {
                                        continue;
                                    }
                                    n_grid += 1;
                                    let mut grid = area(
                                        format!("A4-{}", grids.len()),
                                        AreaLevel::Grid,
                                        format!("{district_name} 网格 {n_grid}"),
                                        Some(community_id.clone()),
                                        &ring,
                                    );
                                    let inside = buildings
                                        .get(&(gi, gj))
                                        .map_or(0, |v| v.iter().filter(|c| ring_contains(&ring, **c)).count());
                                    grid.population =
                                        (inside as f64 * RESIDENTS_PER_BUILDING * rng.range(0.8, 1.2)).round() as u32;
                                    grid.governance_index = rng.range(60.0, 98.0) as f32;
                                    grids.push(grid);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    areas.extend(streets);
    areas.extend(communities);
    areas.extend(grids);
    // Populations and indices of the upper levels from the grids below: sums and
    // population-weighted means.
    let position: std::collections::HashMap<String, usize> =
        areas.iter().enumerate().map(|(k, a)| (a.id.clone(), k)).collect();
    let mut sums: Vec<(f64, f64)> = vec![(0.0, 0.0); areas.len()];
    for a in areas.iter().filter(|a| a.level == AreaLevel::Grid) {
        let w = f64::from(a.population.max(1));
        let mut at = a.parent_id.as_deref().and_then(|p| position.get(p).copied());
        while let Some(k) = at {
            sums[k].0 += f64::from(a.population);
            sums[k].1 += w * f64::from(a.governance_index);
            at = areas[k].parent_id.as_deref().and_then(|p| position.get(p).copied());
        }
    }
    // The weights' sum per area, for the means.
    let mut weights: Vec<f64> = vec![0.0; areas.len()];
    for a in areas.iter().filter(|a| a.level == AreaLevel::Grid) {
        let mut at = a.parent_id.as_deref().and_then(|p| position.get(p).copied());
        while let Some(k) = at {
            weights[k] += f64::from(a.population.max(1));
            at = areas[k].parent_id.as_deref().and_then(|p| position.get(p).copied());
        }
    }
    for (k, a) in areas.iter_mut().enumerate() {
        if a.level != AreaLevel::Grid {
            a.population = sums[k].0.round() as u32;
            a.governance_index =
                if weights[k] > 0.0 { (sums[k].1 / weights[k]) as f32 } else { rng.range(60.0, 98.0) as f32 };
        }
    }
    areas
}

/// A polygon as one ring: each hole joined to the exterior's nearest vertex by a zero-width
/// bridge (out and back along the same segment), so that even-odd tests, areas and clipping
/// treat the holes as holes.
fn bridged(poly: &crate::model::Polygon) -> Ring {
    let mut ring = poly.exterior.clone();
    for hole in poly.holes.iter().filter(|h| !h.is_empty()) {
        let d = |p: [f64; 2]| (p[0] - hole[0][0]).hypot(p[1] - hole[0][1]);
        let Some(k) = (0..ring.len()).min_by(|&a, &b| d(ring[a]).total_cmp(&d(ring[b]))) else { continue };
        let mut joined: Ring = Vec::with_capacity(ring.len() + hole.len() + 2);
        joined.extend_from_slice(&ring[..=k]);
        joined.extend_from_slice(hole);
        joined.push(hole[0]);
        joined.extend_from_slice(&ring[k..]);
        ring = joined;
    }
    ring
}

/// The convex hull of points, counter-clockwise (Andrew's monotone chain).
fn convex_hull(points: impl Iterator<Item = [f64; 2]>) -> Ring {
    let mut pts: Vec<[f64; 2]> = points.collect();
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    let mut hull: Vec<[f64; 2]> = Vec::with_capacity(pts.len() + 1);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &[f64; 2]>> =
            if pass == 0 { Box::new(pts.iter()) } else { Box::new(pts.iter().rev()) };
        for &p in iter {
            while hull.len() >= start + 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::LonLat;
    use crate::osm::{OsmOptions, import_pbf_bytes};

    fn liechtenstein() -> CityModel {
        import_pbf_bytes(crate::load::LIECHTENSTEIN_PBF, Path::new("embedded:liechtenstein"), &OsmOptions::default())
            .expect("the embedded extract imports")
    }

    fn config() -> SimConfig {
        SimConfig { history_days: 0, incidents_per_minute: 30.0, ..Default::default() }
    }

    #[test]
    fn liechtenstein_districts_are_its_municipalities_and_each_grid_lies_in_its_district() {
        let city = liechtenstein();
        let mut sim = Simulation::new(&city, config());
        for _ in 0..60 {
            sim.step(1000);
        }
        let snapshot = sim.snapshot();
        let areas = &snapshot.entities.areas;
        let by_id: HashMap<&str, &Area> = areas.iter().map(|a| (a.id.as_str(), a)).collect();
        let mut districts: Vec<&str> =
            areas.iter().filter(|a| a.level == AreaLevel::District).map(|a| a.name.as_str()).collect();
        districts.sort_unstable();
        let municipalities = [
            "Balzers",
            "Eschen",
            "Gamprin",
            "Mauren",
            "Planken",
            "Ruggell",
            "Schaan",
            "Schellenberg",
            "Triesen",
            "Triesenberg",
            "Vaduz",
        ];
        assert_eq!(districts, municipalities);
        let cities: Vec<&Area> = areas.iter().filter(|a| a.level == AreaLevel::City).collect();
        assert_eq!(cities.len(), 1);
        assert_eq!(cities[0].name, "Liechtenstein");

        let local = |ring: &[[f64; 2]]| -> Vec<[f64; 2]> {
            ring.iter().map(|p| city.frame.to_local(LonLat::new(p[0], p[1]))).collect()
        };
        let grids: Vec<&Area> = areas.iter().filter(|a| a.level == AreaLevel::Grid).collect();
        assert!((300..2000).contains(&grids.len()), "{} grids", grids.len());
        let mut grid_area_by_district: HashMap<&str, f64> = HashMap::new();
        for g in &grids {
            // Grid -> community -> street -> district -> city.
            let mut chain = vec![g.level];
            let mut at = *g;
            while let Some(p) = at.parent_id.as_deref() {
                at = by_id.get(p).copied().unwrap_or_else(|| panic!("{}: parent {p} missing", g.id));
                chain.push(at.level);
            }
            assert_eq!(
                chain,
                [AreaLevel::Grid, AreaLevel::Community, AreaLevel::Street, AreaLevel::District, AreaLevel::City],
                "{}",
                g.id
            );
            let district_name = by_id[by_id
                [by_id[g.parent_id.as_deref().unwrap_or_default()].parent_id.as_deref().unwrap_or_default()]
            .parent_id
            .as_deref()
            .unwrap_or_default()]
            .name
            .as_str();
            let district = city.admin.iter().find(|a| a.level == 8 && a.name == district_name).expect("district");
            let ring = local(&g.ring);
            let area = signed_area(&ring).abs();
            *grid_area_by_district.entry(district_name).or_default() += area;
            // A few hundred metres a side.
            let mut b = crate::model::Bounds::EMPTY;
            ring.iter().for_each(|p| b.extend(*p));
            assert!(b.size()[0] <= 500.5 && b.size()[1] <= 500.5, "{}: {:?}", g.id, b.size());
            // Every point of the grid lies in its district (sampled on a 9 x 9 lattice, offset so
            // that no sample falls on the box's diagonals, which a clipped edge may run along).
            for j in 0..9 {
                for i in 0..9 {
                    let p = [
                        b.min[0] + b.size()[0] * (i as f64 + 0.31) / 9.0,
                        b.min[1] + b.size()[1] * (j as f64 + 0.67) / 9.0,
                    ];
                    if ring_contains(&ring, p) {
                        assert!(district.contains(p), "{} ({district_name}) holds {p:?} outside it", g.id);
                    }
                }
            }
        }
        // Together the grids cover each district (slivers under 1 % of a cell are left out).
        for d in city.admin.iter().filter(|a| a.level == 8) {
            let covered = grid_area_by_district.get(d.name.as_str()).copied().unwrap_or(0.0);
            assert!((covered / d.area() - 1.0).abs() < 0.02, "{}: {covered} of {} m²", d.name, d.area());
        }
        // Incidents land in grids of the districts.
        let incidents = &snapshot.entities.incidents;
        assert!(!incidents.is_empty());
        for inc in incidents {
            assert!(inc.grid_id.starts_with("A4-") && municipalities.contains(&inc.district.as_str()), "{inc:?}");
        }
    }

    #[test]
    fn a_seeded_record_gives_each_stage_its_share_of_the_time() {
        use IncidentStatus::*;
        let s = seeded_stages(Review, 0, 4_000_000);
        let statuses: Vec<IncidentStatus> = s.iter().map(|t| t.status).collect();
        assert_eq!(statuses, [Reported, Accepted, Handling, Feedback, Review], "no 分拨: nobody was dispatched");
        let at: Vec<Millis> = s.iter().map(|t| t.at).collect();
        // 1, 30, 5 and 1 minutes of 37: 受理 (till the grid's staff take it on) is the longest,
        // not four equal steps, which made 受理→处置 equal 处置→反馈 in every efficiency row.
        assert_eq!(at, [0, 108_108, 3_351_351, 3_891_891, 4_000_000]);
        assert_eq!(seeded_stages(Reported, 5, 900), [crate::protocol::StageTime { status: Reported, at: 5 }]);
        let a = seeded_stages(Accepted, 100, 700);
        assert_eq!(a.iter().map(|t| (t.status, t.at)).collect::<Vec<_>>(), [(Reported, 100), (Accepted, 700)]);
    }

    #[test]
    fn a_city_without_boundaries_keeps_its_square_grids() {
        let city = import_pbf_bytes(crate::load::HELSINKI_PBF, Path::new("embedded:helsinki"), &OsmOptions::default())
            .expect("the embedded extract imports");
        assert!(district_boundaries(&city).is_none());
        let sim = Simulation::new(&city, config());
        let areas = sim.snapshot().entities.areas;
        let grid = areas.iter().find(|a| a.id == "A4-37").expect("grid A4-37");
        assert_eq!(grid.parent_id.as_deref(), Some("A3-10"));
        assert_eq!(areas.iter().filter(|a| a.level == AreaLevel::Grid).count(), GRID_SIDE * GRID_SIDE);
        assert_eq!(areas.iter().filter(|a| a.level == AreaLevel::District).count(), 4);
    }

    #[test]
    fn road_points_are_denser_where_the_buildings_are() {
        let city = liechtenstein();
        let points = RoadPoints::new(&city);
        let density = BuildingDensity::new(&city, DENSITY_CELL_M);
        // The share of road length with few buildings near (under 2 a cell), and of the points
        // picked there.
        let sparse = |p: [f64; 2]| density.around(p) < 2.0;
        let (mut empty_len, mut len) = (0.0, 0.0);
        for (a, b) in &points.segments {
            let l = (b[0] - a[0]).hypot(b[1] - a[1]);
            len += l;
            if sparse([(a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5]) {
                empty_len += l;
            }
        }
        let mut rng = SplitMix64::new(7);
        let n = 20_000;
        let empty_points = (0..n).filter_map(|_| points.sample(&mut rng)).filter(|p| sparse(*p)).count();
        let (length_share, point_share) = (empty_len / len, empty_points as f64 / n as f64);
        println!("sparse roads: {length_share:.3} of the length, {point_share:.3} of the points");
        assert!(length_share > 0.15, "sparse roads are {length_share} of the length");
        assert!(point_share < 0.5 * length_share, "{point_share} of the points on {length_share} of the length");
    }
}
