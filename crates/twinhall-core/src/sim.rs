//! The city simulator behind the reference backend and the app's embedded feed: units patrol
//! and drive along the road graph at road speeds, incidents arrive in the categories a Chinese
//! city sees and move through their lifecycle, dispatched units route to them; cameras,
//! facilities, sensors, five levels of grid areas and the governance index come from the city.
//! Deterministic for a seed: the same seed and steps give the same entities.

use std::collections::BTreeMap;

use crate::frame::LonLat;
use crate::generate::SplitMix64;
use crate::model::{CityModel, PoiKind};
use crate::protocol::{
    Area, AreaLevel, AspectScore, Batch, Camera, DispatchOrder, DispatchRequest, Entities, Facility, FacilityKind,
    GovernanceIndex, Incident, IncidentCategory, IncidentStatus, IndexAspect, InventoryLine, Millis, OrderState,
    PROTOCOL, ReportChannel, Sensor, Snapshot, SupplyDepot, Unit, UnitKind, UnitStatus, WarningLevel,
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

/// Load knobs.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    /// Cameras in total: the city's surveillance points, topped up along the roads.
    pub cameras: usize,
    pub units: usize,
    pub sensors: usize,
    pub supply_depots: usize,
    /// Incidents open at the start, spread over the lifecycle.
    pub incidents: usize,
    /// New incidents per simulated minute.
    pub incidents_per_minute: f64,
    /// Simulated time at start.
    pub start_ms: Millis,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            cameras: 400,
            units: 60,
            sensors: 80,
            supply_depots: 6,
            incidents: 0,
            incidents_per_minute: 2.0,
            start_ms: 1_764_300_000_000,
        }
    }
}

#[derive(Clone, Debug)]
struct Mover {
    unit: Unit,
    /// Remaining route in local metres; the unit is at `route[0]` heading to `route[1]`.
    route: Vec<[f64; 2]>,
    base_speed_mps: f32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DispatchError {
    #[error("no incident `{0}`")]
    UnknownIncident(String),
    #[error("no unit `{0}`")]
    UnknownUnit(String),
    #[error("incident `{0}` is archived")]
    Archived(String),
    #[error("a dispatch needs at least one unit")]
    NoUnits,
}

pub struct Simulation {
    city_frame: crate::frame::LocalFrame,
    graph: RoadGraph,
    rng: SplitMix64,
    config: SimConfig,
    now_ms: Millis,
    seq: u64,
    next_incident: u64,
    next_order: u64,
    incidents: BTreeMap<String, (Incident, Millis)>,
    cameras: Vec<Camera>,
    facilities: Vec<Facility>,
    supply_depots: Vec<SupplyDepot>,
    movers: Vec<Mover>,
    sensors: Vec<Sensor>,
    areas: Vec<Area>,
    index: GovernanceIndex,
    orders: BTreeMap<String, DispatchOrder>,
    changed: Entities,
    removed: Vec<crate::protocol::Removal>,
    index_changed: bool,
    /// Named streets, sampled at their vertices, for incident addresses.
    streets: crate::overlay::spatial::PointGrid,
    street_names: Vec<String>,
}

const CATEGORIES: [(IncidentCategory, &str); 8] = [
    (IncidentCategory::Dispute, "邻里纠纷"),
    (IncidentCategory::PublicOrder, "治安警情"),
    (IncidentCategory::Fire, "火情"),
    (IncidentCategory::Traffic, "交通事故"),
    (IncidentCategory::CityManagement, "占道经营"),
    (IncidentCategory::Environment, "噪声扰民"),
    (IncidentCategory::PublicHealth, "公共卫生事件"),
    (IncidentCategory::WorkSafety, "安全隐患"),
];

impl Simulation {
    pub fn new(city: &CityModel, config: SimConfig) -> Self {
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
            let (kind, label, speed) = kinds[i % kinds.len()];
            let pos = road_point(&mut rng).unwrap_or([0.0, 0.0]);
            let p = ll(pos);
            movers.push(Mover {
                unit: Unit {
                    id: format!("U-{:05}", i + 1),
                    version: 1,
                    updated_at: now,
                    stale_after: Some(now + 10_000),
                    kind,
                    name: format!("{label} {:03}", i + 1),
                    lon: p.lon,
                    lat: p.lat,
                    heading_deg: 0.0,
                    speed_mps: 0.0,
                    status: UnitStatus::Patrolling,
                    incident_id: None,
                    route: Vec::new(),
                },
                route: vec![pos],
                base_speed_mps: speed,
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
            street_names: Vec::new(),
        };
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
    fn open_initial_incidents(&mut self) {
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
            }
        }
        self.changed = Entities::default();
    }

    pub fn now_ms(&self) -> Millis {
        self.now_ms
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The whole state.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            protocol: PROTOCOL.into(),
            epoch: 0,
            seq: self.seq,
            crs: "EPSG:4326".into(),
            generated_at: self.now_ms,
            entities: Entities {
                incidents: self.incidents.values().map(|(i, _)| i.clone()).collect(),
                cameras: self.cameras.clone(),
                facilities: self.facilities.clone(),
                supply_depots: self.supply_depots.clone(),
                units: self.movers.iter().map(|m| m.unit.clone()).collect(),
                sensors: self.sensors.clone(),
                areas: self.areas.clone(),
            },
            index: Some(self.index.clone()),
        }
    }

    /// What changed since the last call, as the next batch; `None` when nothing did.
    pub fn take_batch(&mut self) -> Option<Batch> {
        if self.changed.is_empty() && self.removed.is_empty() && !self.index_changed {
            return None;
        }
        self.seq += 1;
        let index = std::mem::take(&mut self.index_changed).then(|| self.index.clone());
        Some(Batch {
            seq: self.seq,
            upserts: std::mem::take(&mut self.changed),
            removals: std::mem::take(&mut self.removed),
            index,
        })
    }

    /// Advances the simulation by `dt_ms`.
    pub fn step(&mut self, dt_ms: Millis) {
        self.now_ms += dt_ms;
        let dt_s = dt_ms as f64 / 1000.0;
        // Poisson arrivals.
        let expected = self.config.incidents_per_minute * dt_s / 60.0;
        let mut k = 0;
        let mut p = (-expected).exp();
        let mut cum = p;
        let u = self.rng.unit();
        while u > cum && k < 50 {
            k += 1;
            p *= expected / k as f64;
            cum += p;
        }
        for _ in 0..k {
            self.new_incident();
        }
        self.advance_incidents();
        self.move_units(dt_s);
        self.update_sensors();
        if self.rng.unit() < dt_s / 30.0 {
            self.drift_index();
        }
    }

    fn new_incident(&mut self) {
        let (category, _) = CATEGORIES[(self.rng.next_u64() % CATEGORIES.len() as u64) as usize];
        let severity = 1 + (self.rng.next_u64() % 4) as u8;
        self.report_incident(category, severity, None);
    }

    /// Reports a new incident now (a knob for demos and tests): at `at`, or at a random road
    /// node. It enters the lifecycle like any other and goes out with the next batch.
    pub fn report_incident(&mut self, category: IncidentCategory, severity: u8, at: Option<LonLat>) -> Incident {
        let title = CATEGORIES.iter().find(|(c, _)| *c == category).map(|(_, t)| *t).unwrap_or("其他事件");
        let channels = [
            ReportChannel::Hotline,
            ReportChannel::Police110,
            ReportChannel::GridWorker,
            ReportChannel::VideoAnalytics,
            ReportChannel::Sensor,
            ReportChannel::CitizenApp,
        ];
        let channel = channels[(self.rng.next_u64() % channels.len() as u64) as usize];
        let p = match at {
            Some(p) => p,
            None => {
                let node = (self.rng.next_u64() % self.graph.node_count().max(1) as u64) as u32;
                let pos = if self.graph.node_count() > 0 { self.graph.node(node) } else { [0.0, 0.0] };
                self.city_frame.to_lonlat(pos)
            }
        };
        let id = format!("I-{:06}", self.next_incident);
        self.next_incident += 1;
        let area_of = |level: AreaLevel| self.areas.iter().filter(|a| a.level == level).find(|a| ring_has(&a.ring, p));
        let grid = area_of(AreaLevel::Grid).map(|a| a.id.clone()).unwrap_or_default();
        let district = area_of(AreaLevel::District).map(|a| a.name.clone()).unwrap_or_default();
        let local = self.city_frame.to_local(p);
        let address = self
            .streets
            .within(local, 150.0)
            .first()
            .and_then(|(i, _)| self.street_names.get(*i as usize))
            .map(|name| format!("{name} 附近"))
            .unwrap_or_default();
        let incident = Incident {
            id: id.clone(),
            version: 1,
            updated_at: self.now_ms,
            stale_after: None,
            category,
            severity: severity.clamp(1, 4),
            status: IncidentStatus::Reported,
            channel,
            title: title.into(),
            description: String::new(),
            lon: p.lon,
            lat: p.lat,
            address,
            district,
            grid_id: grid,
            reported_at: self.now_ms,
            assigned_units: Vec::new(),
        };
        self.changed.incidents.push(incident.clone());
        self.incidents.insert(id, (incident.clone(), self.now_ms));
        incident
    }

    /// Moves incidents on: accepted after a minute, handled once their units arrive, then
    /// feedback, review and archive; archived incidents leave after ten minutes.
    fn advance_incidents(&mut self) {
        let now = self.now_ms;
        let on_scene: std::collections::HashSet<String> = self
            .movers
            .iter()
            .filter(|m| m.unit.status == UnitStatus::OnScene)
            .filter_map(|m| m.unit.incident_id.clone())
            .collect();
        let mut gone = Vec::new();
        for (id, (inc, since)) in self.incidents.iter_mut() {
            let waited = now - *since;
            let next = match inc.status {
                IncidentStatus::Reported if waited > 60_000 => Some(IncidentStatus::Accepted),
                IncidentStatus::Assigned if on_scene.contains(id) => Some(IncidentStatus::Handling),
                IncidentStatus::Handling if waited > 300_000 => Some(IncidentStatus::Feedback),
                IncidentStatus::Feedback if waited > 60_000 => Some(IncidentStatus::Review),
                IncidentStatus::Review if waited > 60_000 => Some(IncidentStatus::Archived),
                IncidentStatus::Archived if waited > 600_000 => {
                    gone.push(id.clone());
                    None
                }
                _ => None,
            };
            if let Some(s) = next {
                inc.status = s;
                inc.version += 1;
                inc.updated_at = now;
                *since = now;
                self.changed.incidents.push(inc.clone());
                if s == IncidentStatus::Feedback {
                    for m in self.movers.iter_mut().filter(|m| m.unit.incident_id.as_deref() == Some(id)) {
                        m.unit.incident_id = None;
                        m.unit.status = UnitStatus::Patrolling;
                    }
                }
            }
        }
        for id in gone {
            self.incidents.remove(&id);
            self.removed.push(crate::protocol::Removal { kind: crate::protocol::EntityKind::Incident, id });
        }
    }

    fn move_units(&mut self, dt_s: f64) {
        let now = self.now_ms;
        for i in 0..self.movers.len() {
            let needs_route = self.movers[i].route.len() < 2 && self.movers[i].unit.status == UnitStatus::Patrolling;
            if needs_route && self.graph.node_count() > 1 {
                let from = self.movers[i].route[0];
                let target = self.graph.node((self.rng.next_u64() % self.graph.node_count() as u64) as u32);
                if let Some(r) = self.graph.route(from, target) {
                    let mut route = vec![from];
                    route.extend(r.points);
                    self.movers[i].route = route;
                }
            }
            let m = &mut self.movers[i];
            let moving = m.route.len() >= 2;
            let speed = if moving { m.base_speed_mps } else { 0.0 };
            let mut left = f64::from(speed) * dt_s;
            while left > 0.0 && m.route.len() >= 2 {
                let (a, b) = (m.route[0], m.route[1]);
                let d = crate::frame::distance(a, b);
                if d <= left {
                    left -= d;
                    m.route.remove(0);
                } else {
                    let t = left / d;
                    m.route[0] = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
                    left = 0.0;
                }
            }
            if m.route.len() >= 2 {
                let (a, b) = (m.route[0], m.route[1]);
                m.unit.heading_deg = (b[0] - a[0]).atan2(b[1] - a[1]).to_degrees().rem_euclid(360.0) as f32;
            }
            let arrived = m.route.len() < 2;
            if arrived && m.unit.status == UnitStatus::EnRoute {
                m.unit.status = UnitStatus::OnScene;
            }
            let p = self.city_frame.to_lonlat(m.route[0]);
            m.unit.lon = p.lon;
            m.unit.lat = p.lat;
            m.unit.speed_mps = if arrived { 0.0 } else { speed };
            m.unit.route = if m.unit.status == UnitStatus::EnRoute {
                m.route.iter().map(|q| self.city_frame.to_lonlat(*q)).map(|q| [q.lon, q.lat]).collect()
            } else {
                Vec::new()
            };
            m.unit.version += 1;
            m.unit.updated_at = now;
            m.unit.stale_after = Some(now + 10_000);
            self.changed.units.push(m.unit.clone());
        }
    }

    fn update_sensors(&mut self) {
        let now = self.now_ms;
        let n = self.sensors.len();
        for _ in 0..(n / 20).max(usize::from(n > 0)) {
            let i = (self.rng.next_u64() % n as u64) as usize;
            let s = &mut self.sensors[i];
            let spike = self.rng.unit() < 0.02;
            let base = s.threshold * if spike { 1.2 } else { 0.6 };
            s.reading = base * self.rng.range(0.9, 1.1);
            s.alarm = s.reading > s.threshold;
            s.version += 1;
            s.updated_at = now;
            s.stale_after = Some(now + 300_000);
            self.changed.sensors.push(s.clone());
        }
    }

    fn drift_index(&mut self) {
        for a in &mut self.index.aspects {
            a.score = (a.score + self.rng.range(-1.5, 1.5) as f32).clamp(40.0, 100.0);
            a.level = level_for(a.score);
        }
        self.index.overall =
            self.index.aspects.iter().map(|a| a.score).sum::<f32>() / self.index.aspects.len().max(1) as f32;
        self.index.updated_at = self.now_ms;
        self.index_changed = true;
    }

    /// Sends units to an incident: each routes along the roads, the incident moves to 分拨.
    /// [`prepare_dispatch`](Self::prepare_dispatch) then [`apply_dispatch`](Self::apply_dispatch).
    pub fn dispatch(&mut self, req: &DispatchRequest) -> Result<DispatchOrder, DispatchError> {
        let order = self.prepare_dispatch(req)?;
        self.apply_dispatch(&order);
        Ok(order)
    }

    /// Checks a dispatch and builds the order it would make, changing nothing: a backend writes
    /// the order to disk between this and [`apply_dispatch`](Self::apply_dispatch), so an order
    /// it could not store never moves a unit.
    pub fn prepare_dispatch(&self, req: &DispatchRequest) -> Result<DispatchOrder, DispatchError> {
        if req.unit_ids.is_empty() {
            return Err(DispatchError::NoUnits);
        }
        let Some((incident, _)) = self.incidents.get(&req.incident_id) else {
            return Err(DispatchError::UnknownIncident(req.incident_id.clone()));
        };
        if incident.status == IncidentStatus::Archived {
            return Err(DispatchError::Archived(req.incident_id.clone()));
        }
        for u in &req.unit_ids {
            if !self.movers.iter().any(|m| &m.unit.id == u) {
                return Err(DispatchError::UnknownUnit(u.clone()));
            }
        }
        Ok(DispatchOrder {
            order_id: format!("O-{:06}", self.next_order),
            incident_id: req.incident_id.clone(),
            unit_ids: req.unit_ids.clone(),
            state: OrderState::Accepted,
            created_at: self.now_ms,
            updated_at: self.now_ms,
        })
    }

    /// Carries out an order from [`prepare_dispatch`](Self::prepare_dispatch), with no step in
    /// between: its units route to the incident, the incident moves to 分拨, the order is kept.
    pub fn apply_dispatch(&mut self, order: &DispatchOrder) {
        let now = self.now_ms;
        let target = match self.incidents.get_mut(&order.incident_id) {
            Some((incident, since)) => {
                if incident.status < IncidentStatus::Assigned {
                    incident.status = IncidentStatus::Assigned;
                    *since = now;
                }
                incident.assigned_units.extend(order.unit_ids.iter().cloned());
                incident.version += 1;
                incident.updated_at = now;
                self.changed.incidents.push(incident.clone());
                Some(self.city_frame.to_local(LonLat::new(incident.lon, incident.lat)))
            }
            None => None,
        };
        if let Some(target) = target {
            for m in self.movers.iter_mut().filter(|m| order.unit_ids.contains(&m.unit.id)) {
                let from = m.route[0];
                let mut route = vec![from];
                if let Some(r) = self.graph.route(from, target) {
                    route.extend(r.points);
                }
                route.push(target);
                m.route = route;
                m.unit.status = UnitStatus::EnRoute;
                m.unit.incident_id = Some(order.incident_id.clone());
            }
        }
        self.restore_order(order.clone());
    }

    /// Puts back an order kept from before a restart.
    pub fn restore_order(&mut self, order: DispatchOrder) {
        if let Some(n) = order.order_id.strip_prefix("O-").and_then(|n| n.parse::<u64>().ok()) {
            self.next_order = self.next_order.max(n + 1);
        }
        self.orders.insert(order.order_id.clone(), order);
    }

    pub fn camera(&self, id: &str) -> Option<&Camera> {
        self.cameras.iter().find(|c| c.id == id)
    }

    pub fn index(&self) -> &GovernanceIndex {
        &self.index
    }

    /// An order with its state brought up to date from its units.
    pub fn order(&self, id: &str) -> Option<DispatchOrder> {
        let mut o = self.orders.get(id)?.clone();
        let units: Vec<&Mover> = self.movers.iter().filter(|m| o.unit_ids.contains(&m.unit.id)).collect();
        let archived = self.incidents.get(&o.incident_id).is_none_or(|(i, _)| i.status >= IncidentStatus::Feedback);
        o.state = if archived {
            OrderState::Completed
        } else if units.iter().all(|m| m.unit.status == UnitStatus::OnScene) {
            OrderState::Arrived
        } else {
            OrderState::EnRoute
        };
        Some(o)
    }

    /// Every order, by id, with its current state.
    pub fn orders(&self) -> Vec<DispatchOrder> {
        self.orders.keys().filter_map(|id| self.order(id)).collect()
    }

    /// Units ranked by road travel time to a point, fastest first (seconds; unreachable last).
    pub fn rank_units(&self, lonlat: LonLat) -> Vec<(String, f32)> {
        let times = self.graph.times_to(self.city_frame.to_local(lonlat));
        let mut ranked: Vec<(String, f32)> = self
            .movers
            .iter()
            .map(|m| {
                let t = self.graph.nearest_node(m.route[0]).map(|n| times[n as usize]).unwrap_or(f32::INFINITY);
                // Walkers are slower than the road speeds the graph uses.
                let factor = (12.0 / m.base_speed_mps).max(1.0);
                (m.unit.id.clone(), t * factor)
            })
            .collect();
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
        ranked
    }
}

fn level_for(score: f32) -> WarningLevel {
    match score {
        s if s >= 85.0 => WarningLevel::Blue,
        s if s >= 75.0 => WarningLevel::Yellow,
        s if s >= 65.0 => WarningLevel::Orange,
        _ => WarningLevel::Red,
    }
}

fn ring_has(ring: &[[f64; 2]], p: LonLat) -> bool {
    crate::model::ring_contains(ring, [p.lon, p.lat])
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
        (AreaLevel::Grid, 16, "网格"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn city() -> CityModel {
        crate::generate::generate_city(900, 5, LonLat::new(114.06, 22.54))
    }

    #[test]
    fn same_seed_same_city_life() {
        let c = city();
        let cfg = SimConfig { incidents_per_minute: 30.0, ..Default::default() };
        let (mut a, mut b) = (Simulation::new(&c, cfg.clone()), Simulation::new(&c, cfg));
        for _ in 0..120 {
            a.step(1000);
            b.step(1000);
        }
        assert_eq!(a.snapshot(), b.snapshot());
        let s = a.snapshot();
        assert_eq!(s.entities.cameras.len(), 400);
        assert_eq!(s.entities.units.len(), 60);
        assert!(!s.entities.incidents.is_empty());
        assert!(s.entities.cameras.iter().all(|c| crate::protocol::is_gb28181_camera_id(&c.id)));
        assert_eq!(s.entities.areas.iter().filter(|a| a.level == AreaLevel::Grid).count(), 256);
    }

    #[test]
    fn units_drive_along_roads_at_road_speed() {
        let c = city();
        let mut sim = Simulation::new(&c, SimConfig { units: 5, ..Default::default() });
        sim.step(1000);
        let before = sim.snapshot().entities.units;
        for _ in 0..10 {
            sim.step(1000);
        }
        let after = sim.snapshot().entities.units;
        for (u0, u1) in before.iter().zip(&after) {
            let (p0, p1) =
                (c.frame.to_local(LonLat::new(u0.lon, u0.lat)), c.frame.to_local(LonLat::new(u1.lon, u1.lat)));
            let moved = crate::frame::distance(p0, p1);
            // Ten seconds at most 12 m/s (police car), 1.4 m/s for a grid worker.
            assert!(moved <= 10.0 * 12.0 + 1e-6, "{} moved {moved} m", u1.id);
            // On the street grid every position lies on a street line (multiples of 120 m from -half).
            let on_line = |v: f64| ((v + 1800.0) / 120.0 - ((v + 1800.0) / 120.0).round()).abs() < 1e-3;
            assert!(on_line(p1[0]) || on_line(p1[1]), "{} is off the roads at {p1:?}", u1.id);
        }
    }

    #[test]
    fn dispatched_units_arrive_and_the_incident_moves_on() {
        let c = city();
        let mut sim = Simulation::new(&c, SimConfig { incidents_per_minute: 60.0, units: 10, ..Default::default() });
        while sim.snapshot().entities.incidents.is_empty() {
            sim.step(1000);
        }
        let incident = sim.snapshot().entities.incidents[0].clone();
        let ranked = sim.rank_units(LonLat::new(incident.lon, incident.lat));
        assert_eq!(ranked.len(), 10);
        let fastest = ranked[0].0.clone();
        let order = sim
            .dispatch(&DispatchRequest {
                incident_id: incident.id.clone(),
                unit_ids: vec![fastest.clone()],
                note: String::new(),
            })
            .expect("dispatch");
        assert_eq!(sim.order(&order.order_id).map(|o| o.state), Some(OrderState::EnRoute));
        let mut arrived = false;
        for _ in 0..1200 {
            sim.step(1000);
            if sim.order(&order.order_id).map(|o| o.state) == Some(OrderState::Arrived) {
                arrived = true;
                break;
            }
        }
        assert!(arrived, "the unit never arrived");
        sim.step(1000);
        let inc = sim.snapshot().entities.incidents.into_iter().find(|i| i.id == incident.id).expect("incident");
        assert_eq!(inc.status, IncidentStatus::Handling);
        assert!(matches!(
            sim.dispatch(&DispatchRequest { incident_id: "I-x".into(), unit_ids: vec![fastest], note: String::new() }),
            Err(DispatchError::UnknownIncident(_))
        ));
    }

    #[test]
    fn a_prepared_dispatch_changes_nothing_until_applied() {
        let c = city();
        let cfg = SimConfig { incidents: 4, units: 6, ..Default::default() };
        let (mut a, mut b) = (Simulation::new(&c, cfg.clone()), Simulation::new(&c, cfg));
        let incident = a.snapshot().entities.incidents[0].id.clone();
        let req = DispatchRequest { incident_id: incident, unit_ids: vec!["U-00002".into()], note: String::new() };
        let before = a.snapshot();
        let order = a.prepare_dispatch(&req).expect("valid");
        assert_eq!(order.order_id, "O-000001");
        assert_eq!(a.snapshot(), before, "preparing moved nothing");
        assert!(a.orders().is_empty() && a.take_batch().is_none());
        // Preparing twice gives the same order: nothing was taken.
        assert_eq!(a.prepare_dispatch(&req), Ok(order.clone()));
        a.apply_dispatch(&order);
        assert_eq!(b.dispatch(&req), Ok(order.clone()));
        assert_eq!(a.snapshot(), b.snapshot(), "prepare + apply is dispatch");
        assert_eq!(a.orders(), b.orders());
        let unit = a.snapshot().entities.units.into_iter().find(|u| u.id == "U-00002").expect("unit");
        assert_eq!((unit.status, unit.incident_id), (UnitStatus::EnRoute, Some(req.incident_id.clone())));
        assert_eq!(a.prepare_dispatch(&req).map(|o| o.order_id), Ok("O-000002".into()));
        let bad = DispatchRequest { unit_ids: vec!["U-404".into()], ..req.clone() };
        assert_eq!(a.prepare_dispatch(&bad), Err(DispatchError::UnknownUnit("U-404".into())));
        let none = DispatchRequest { unit_ids: Vec::new(), ..req };
        assert_eq!(a.prepare_dispatch(&none), Err(DispatchError::NoUnits));
    }

    #[test]
    fn batches_carry_changes_in_sequence() {
        let c = city();
        let mut sim = Simulation::new(&c, SimConfig::default());
        assert!(sim.take_batch().is_none());
        sim.step(2000);
        let b1 = sim.take_batch().expect("units moved");
        assert_eq!(b1.seq, 1);
        assert_eq!(b1.upserts.units.len(), 60);
        sim.step(2000);
        assert_eq!(sim.take_batch().map(|b| b.seq), Some(2));
        assert_eq!(sim.snapshot().seq, 2);
    }
}
