//! The city simulator behind the reference backend and the app's embedded feed: units patrol
//! and drive along the road graph at road speeds, incidents arrive in the categories a Chinese
//! city sees and move through their lifecycle, dispatched units route to them; cameras,
//! facilities, sensors, five levels of grid areas and the governance index come from the city.
//! Incidents arrive with structure in space and time (`arrivals`: busier grids, a daily rhythm,
//! drifting hot spots, injected ones) and are kept in a bounded history whose past is made up at
//! start (`history`), for the defence hub's baselines. The governance index, each area's six
//! aspects and the report's history are scored from those incidents (`index`).
//! Deterministic for a seed: the same seed and steps give the same entities.

mod arrivals;
mod dispatch;
mod history;
mod incidents;
mod index;
mod populate;
mod spec;

pub use arrivals::{InjectedHotspot, MAX_HOTSPOT_FACTOR, daily_rhythm};
pub use history::{HISTORY_MAX_DAYS, HISTORY_MAX_RECORDS};
pub use index::{ASPECTS, INDEX_EVERY_MS, INDEX_MINUTE_SAMPLES_MS, INDEX_WINDOW_MS, aspect_weights};
pub use spec::DEFAULT_HOTSPOT_FACTOR;

pub use incidents::{CITY_MARGIN_M, IncidentDraft};

use std::collections::BTreeMap;

use crate::frame::LonLat;
use crate::generate::SplitMix64;
use crate::protocol::{
    Area, Batch, Camera, DispatchOrder, Entities, Facility, GovernanceIndex, Incident, Millis, PROTOCOL, Sensor,
    Snapshot, SupplyDepot, Unit,
};
use crate::routing::RoadGraph;
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
    /// New incidents per simulated minute: the city-wide mean over a day (the rate follows the
    /// daily rhythm, [`daily_rhythm`]); injected hot spots add to it.
    pub incidents_per_minute: f64,
    /// Simulated time at start.
    pub start_ms: Millis,
    /// Days of past incidents made up at start from the same rate model, so that a baseline
    /// exists at once: at most [`HISTORY_MAX_DAYS`], and fewer when the incidents would fill more
    /// than nine tenths of [`HISTORY_MAX_RECORDS`].
    pub history_days: u32,
    /// Hot spots injected at start, after the past is made up (see
    /// [`Simulation::inject_hotspot`]).
    pub hotspots: Vec<InjectedHotspot>,
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
            history_days: 28,
            hotspots: Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
struct Mover {
    unit: Unit,
    /// Remaining route in local metres; the unit is at `route[0]` heading to `route[1]`.
    route: Vec<[f64; 2]>,
    base_speed_mps: f32,
    /// Where a drone takes off and lands.
    home: [f64; 2],
}

/// A drone's cruising height above ground, metres (the ceiling for light drones in China).
pub const DRONE_ALTITUDE_M: f32 = 120.0;
/// A drone's cruising speed, m/s.
pub const DRONE_SPEED_MPS: f32 = 15.0;
/// One unit in this many is a drone (the fifth, fifteenth ...).
const DRONE_EVERY: usize = 10;

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

/// A knob of the simulation given a value it cannot take.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SimError {
    #[error("no grid area `{id}`: {known}")]
    UnknownGrid { id: String, known: String },
    #[error("grid area `{0}` has no road: no incident can arrive there")]
    NoRoads(String),
    #[error("hot spot factor {0} is not a number above 0 and at most {MAX_HOTSPOT_FACTOR}")]
    BadFactor(f64),
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
    /// The city seen from above, for drones' stills.
    aerial: std::sync::Arc<crate::aerial::AerialScene>,
    /// Where and when incidents arrive.
    arrivals: arrivals::Arrivals,
    /// Every incident reported, and the made-up past.
    history: history::History,
    /// The area tree the index is computed over, and the index's samples.
    index_model: index::IndexModel,
}

impl Simulation {
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
        // Poisson arrivals at the rate model's rate (grids, daily rhythm, hot spots).
        let k = if self.arrivals.is_active() {
            self.arrivals.count(self.now_ms, dt_ms)
        } else {
            arrivals::poisson(&mut self.rng, self.config.incidents_per_minute * dt_s / 60.0)
        };
        for _ in 0..k {
            self.new_incident();
        }
        self.history.expire(self.now_ms);
        self.advance_incidents();
        self.move_units(dt_s);
        self.update_sensors();
        // The index drifted at random here once; its draws are still taken so that a seed's
        // incidents (severity, channel) stay as they were.
        if self.rng.unit() < dt_s / 30.0 {
            (0..6).for_each(|_| _ = self.rng.unit());
        }
        self.step_index();
    }

    pub(super) fn update_sensors(&mut self) {
        let now = self.now_ms;
        let n = self.sensors.len();
        for _ in 0..(n / 20).max(usize::from(n > 0)) {
            let i = (self.rng.next_u64() % n as u64) as usize;
            let s = &mut self.sensors[i];
            // One reading in a thousand is past its threshold: with the demo's 80 sensors, about
            // fifteen alarms an hour.
            let spike = self.rng.unit() < 0.001;
            let base = s.threshold * if spike { 1.2 } else { 0.6 };
            s.reading = base * self.rng.range(0.9, 1.1);
            s.alarm = s.reading > s.threshold;
            s.version += 1;
            s.updated_at = now;
            s.stale_after = Some(now + 300_000);
            self.changed.sensors.push(s.clone());
        }
    }

    pub fn camera(&self, id: &str) -> Option<&Camera> {
        self.cameras.iter().find(|c| c.id == id)
    }

    /// A drone's aerial still, to draw off the simulation's lock: the scene (shared) and what
    /// the drone sees now. `None` when there is no such unit or it carries no camera.
    pub fn aerial_shot(
        &self,
        unit_id: &str,
    ) -> Option<(std::sync::Arc<crate::aerial::AerialScene>, crate::aerial::AerialShot)> {
        let drone = self.movers.iter().find(|m| m.unit.id == unit_id && m.unit.kind.flies())?;
        let shot = crate::aerial::AerialShot::of(
            &drone.unit,
            &self.city_frame,
            self.incidents.values().map(|(i, _)| i),
            self.movers.iter().map(|m| &m.unit),
        );
        Some((self.aerial.clone(), shot))
    }

    pub fn index(&self) -> &GovernanceIndex {
        &self.index
    }

    /// Injects a hot spot: from now on the grid's rate (of `category`, or of every category when
    /// `None`) is multiplied by `factor` (above 0, at most [`MAX_HOTSPOT_FACTOR`]; 1 takes an
    /// earlier one away), replacing an earlier injection for the same grid and category. The
    /// city-wide rate grows by what the grid adds. An unknown grid id, a grid with no road (where
    /// no incident can arrive) or a bad factor is an error naming it, and changes nothing.
    pub fn inject_hotspot(
        &mut self,
        grid_id: &str,
        category: Option<crate::protocol::IncidentCategory>,
        factor: f64,
    ) -> Result<(), SimError> {
        self.arrivals.inject(grid_id, category, factor)
    }
}

fn ring_has(ring: &[[f64; 2]], p: LonLat) -> bool {
    crate::model::ring_contains(ring, [p.lon, p.lat])
}

#[cfg(test)]
mod fixture_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CityModel;
    use crate::protocol::{AreaLevel, DispatchRequest, IncidentStatus, OrderState, UnitStatus};

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
    fn a_drone_flies_straight_at_altitude_sees_the_scene_and_lands_at_home_afterwards() {
        let c = city();
        let mut sim = Simulation::new(&c, SimConfig { units: 20, ..Default::default() });
        let at = LonLat::new(114.06, 22.545);
        let incident = sim.report_incident(crate::protocol::IncidentCategory::Fire, 4, Some(at));
        let units = sim.snapshot().entities.units;
        let drones: Vec<_> = units.iter().filter(|u| u.kind == crate::protocol::UnitKind::Drone).collect();
        assert_eq!(drones.len(), 2, "one unit in ten is a drone");
        let drone = drones[0].clone();
        assert_eq!((drone.status, drone.altitude_m), (UnitStatus::Available, Some(0.0)));
        assert_eq!(drone.snapshot_url, format!("/v1/units/{}/snapshot.jpg", drone.id));
        let home = c.frame.to_local(LonLat::new(drone.lon, drone.lat));
        let target = c.frame.to_local(at);
        let ranked = sim.rank_units(at);
        let t = ranked.iter().find(|(id, _)| *id == drone.id).expect("ranked").1;
        let straight = crate::frame::distance(home, target) / f64::from(DRONE_SPEED_MPS);
        assert!((f64::from(t) - straight).abs() < 1e-3, "{t} s against {straight} s in a straight line");
        sim.dispatch(&DispatchRequest {
            incident_id: incident.id.clone(),
            unit_ids: vec![drone.id.clone()],
            note: String::new(),
        })
        .expect("dispatch");
        sim.step(1000);
        let flying = sim.snapshot().entities.units.into_iter().find(|u| u.id == drone.id).expect("drone");
        assert_eq!((flying.status, flying.altitude_m), (UnitStatus::EnRoute, Some(DRONE_ALTITUDE_M)));
        // Straight: every point of its remaining route is on the segment home -> target.
        let p = c.frame.to_local(LonLat::new(flying.lon, flying.lat));
        let cross = (target[0] - home[0]) * (p[1] - home[1]) - (target[1] - home[1]) * (p[0] - home[0]);
        assert!(cross.abs() / crate::frame::distance(home, target).max(1.0) < 0.01, "off the straight line");
        assert_eq!(flying.route.len(), 2);
        for _ in 0..(straight as i64 + 2) {
            sim.step(1000);
        }
        let there = sim.snapshot().entities.units.into_iter().find(|u| u.id == drone.id).expect("drone");
        assert_eq!((there.status, there.altitude_m), (UnitStatus::OnScene, Some(DRONE_ALTITUDE_M)));
        let (_, shot) = sim.aerial_shot(&drone.id).expect("a drone has a still");
        assert!(crate::frame::distance(shot.centre, target) < 1.0);
        assert!(
            shot.marks.iter().any(|m| matches!(m, crate::aerial::Mark::Incident { severity: 4, pos } if crate::frame::distance(*pos, target) < 1.0)),
            "the incident under the drone is marked: {:?}",
            shot.marks
        );
        assert!(sim.aerial_shot(&units[0].id).is_none(), "a police car has no aerial still");
        // Handled, then feedback: the drone flies home and lands.
        for _ in 0..(300 + straight as i64 + 10) {
            sim.step(1000);
        }
        let back = sim.snapshot().entities.units.into_iter().find(|u| u.id == drone.id).expect("drone");
        assert_eq!((back.status, back.altitude_m), (UnitStatus::Available, Some(0.0)));
        assert!(crate::frame::distance(c.frame.to_local(LonLat::new(back.lon, back.lat)), home) < 1.0);
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
