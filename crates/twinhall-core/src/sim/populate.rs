//! Building the simulated city: cameras, facilities, units, sensors, supply depots, grid areas
//! and the governance index, from the city model and the seed.

use std::collections::BTreeMap;

use super::arrivals::Arrivals;
use super::history::History;
use super::{DRONE_EVERY, DRONE_SPEED_MPS, Mover, SimConfig, SimError, Simulation};
use crate::generate::SplitMix64;
use crate::model::{CityModel, PoiKind};
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

    fn build(city: &CityModel, config: &SimConfig) -> Self {
        let config = SimConfig { hotspots: Vec::new(), ..config.clone() };
        let graph = RoadGraph::from_city(city);
        let mut rng = SplitMix64::new(config.seed);
        let now = config.start_ms;
        let frame = city.frame.clone();
        let ll = |p: [f64; 2]| frame.to_lonlat(p);
        let bounds = city.bounds();
        let roads: Vec<_> = city.roads.iter().filter(|r| r.class.drivable() && !r.tunnel).collect();
        let road_point = |rng: &mut SplitMix64| -> Option<[f64; 2]> {
            let r = roads.get((rng.next_u64() % roads.len().max(1) as u64) as usize)?;
            let i = (rng.next_u64() % r.points.len().saturating_sub(1).max(1) as u64) as usize;
            let (a, b) = (r.points[i], r.points[(i + 1).min(r.points.len() - 1)]);
            let t = rng.unit();
            Some([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t])
        };

        let mut cameras = Vec::new();
        let points: Vec<[f64; 2]> = city.pois.iter().filter(|p| p.kind == PoiKind::Camera).map(|p| p.pos).collect();
        for i in 0..config.cameras {
            let pos = match points.get(i) {
                Some(p) => *p,
                None => road_point(&mut rng).unwrap_or([0.0, 0.0]),
            };
            let p = ll(pos);
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

        let facilities = city
            .pois
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
            .collect();

        let kinds = [
            (UnitKind::PoliceCar, "巡逻警车", 12.0),
            (UnitKind::FireEngine, "消防车", 11.0),
            (UnitKind::Ambulance, "救护车", 12.0),
            (UnitKind::GridWorker, "网格员", 1.4),
            (UnitKind::Volunteer, "志愿者", 1.3),
        ];
        let mut movers = Vec::new();
        for i in 0..config.units {
            let drone = i % DRONE_EVERY == 4;
            let (kind, label, speed) =
                if drone { (UnitKind::Drone, "无人机", DRONE_SPEED_MPS) } else { kinds[i % kinds.len()] };
            let pos = road_point(&mut rng).unwrap_or([0.0, 0.0]);
            let p = ll(pos);
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

        let sensor_kinds = [
            ("water_level", "m", 2.5, 1.5),
            ("smoke", "ppm", 300.0, 80.0),
            ("gas", "%LEL", 20.0, 5.0),
            ("noise", "dB", 70.0, 55.0),
        ];
        let mut sensors = Vec::new();
        for i in 0..config.sensors {
            let (kind, unit, threshold, normal) = sensor_kinds[i % sensor_kinds.len()];
            let p = ll(road_point(&mut rng).unwrap_or([0.0, 0.0]));
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

        let areas = grid_areas(&frame, bounds, &mut rng, now);
        let past_hours = History::backfill_hours(config.history_days, config.incidents_per_minute);
        let since = now - i64::from(past_hours) * 3_600_000;
        let mut arrivals =
            Arrivals::new(&graph, &frame, &areas, bounds, config.incidents_per_minute, config.seed, since);
        let past = arrivals.backfill(now, past_hours);
        let index = GovernanceIndex {
            updated_at: now,
            overall: 85.0,
            aspects: [
                IndexAspect::SocialGovernance,
                IndexAspect::CityManagement,
                IndexAspect::PublicSecurity,
                IndexAspect::RuleOfLaw,
                IndexAspect::PublicServices,
                IndexAspect::PublicSafety,
            ]
            .into_iter()
            .map(|aspect| {
                let score = rng.range(70.0, 95.0) as f32;
                AspectScore { aspect, score, level: level_for(score) }
            })
            .collect(),
        };

        let depot_items: [(&str, &str, f64); 6] = [
            ("帐篷", "顶", 200.0),
            ("饮用水", "箱", 1500.0),
            ("沙袋", "袋", 5000.0),
            ("发电机", "台", 12.0),
            ("救生衣", "件", 300.0),
            ("折叠床", "张", 400.0),
        ];
        let supply_depots = (0..config.supply_depots)
            .map(|i| {
                let p = ll(road_point(&mut rng).unwrap_or([0.0, 0.0]));
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
            .collect();

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
        };
        sim.record_past(past);
        for road in city.roads.iter() {
            let Some(name) = road.name.as_ref().filter(|n| !n.is_empty()) else { continue };
            for p in &road.points {
                sim.streets.insert(sim.street_names.len() as u32, *p);
                sim.street_names.push(name.clone());
            }
        }
        sim.open_initial_incidents();
        sim
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
                *since = now - (self.rng.unit() * 50_000.0) as Millis;
                let (id, at) = (inc.id.clone(), inc.reported_at);
                self.move_history(&id, now, at);
            }
        }
        self.changed = Entities::default();
    }
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
                });
            }
        }
    }
    areas
}
