//! Tests of the warning rules, by topic: the file, each rule kind on hand-made streams, alerts,
//! and the incremental evaluator against the full rescan on random streams. Every hand-made step
//! runs through both evaluators and checks that they agree.

mod alerts;
mod config;
mod equivalence;
mod kinds;

use std::path::Path;

use crate::LonLat;
use crate::frame::LocalFrame;
use crate::protocol::{
    Area, AreaLevel, Camera, Entities, EntityKind, Incident, IncidentCategory, IncidentStatus, Millis, Removal,
    ReportChannel, Sensor, Unit, UnitKind, UnitStatus,
};
use crate::rules::{AlertBook, AlertEvent, Edge, Evaluator, FullRescan, Rules};

pub(super) const T0: Millis = 1_764_300_000_000;

pub(super) fn origin() -> LonLat {
    LonLat::new(24.94, 60.17)
}

/// [lon, lat] of a point `x` metres east and `y` north of the origin.
pub(super) fn at(x: f64, y: f64) -> [f64; 2] {
    let p = LocalFrame::new(origin()).to_lonlat([x, y]);
    [p.lon, p.lat]
}

pub(super) fn rules(text: &str) -> Rules {
    match Rules::parse(text, Path::new("test.toml")) {
        Ok(r) => r,
        Err(e) => panic!("rules should parse: {e}"),
    }
}

pub(super) fn sensor(id: &str, kind: &str, reading: f64, t: Millis, version: u64) -> Sensor {
    Sensor {
        id: id.into(),
        version,
        updated_at: t,
        stale_after: None,
        kind: kind.into(),
        name: id.into(),
        lon: 24.94,
        lat: 60.17,
        reading,
        unit: "m".into(),
        threshold: 0.0,
        alarm: false,
    }
}

pub(super) fn camera(id: &str, x: f64, y: f64, online: bool, t: Millis, version: u64) -> Camera {
    let [lon, lat] = at(x, y);
    Camera {
        id: id.into(),
        version,
        updated_at: t,
        stale_after: None,
        name: id.into(),
        lon,
        lat,
        height_m: 6.0,
        heading_deg: 0.0,
        fov_deg: 60.0,
        range_m: 80.0,
        online,
        snapshot_url: String::new(),
        stream_url: String::new(),
    }
}

pub(super) fn unit(id: &str, kind: UnitKind, x: f64, y: f64, t: Millis, version: u64) -> Unit {
    let [lon, lat] = at(x, y);
    // Through JSON, so that fields the rules do not read keep their protocol defaults.
    let value = serde_json::json!({
        "id": id, "version": version, "updated_at": t, "kind": kind, "name": id, "lon": lon, "lat": lat,
        "heading_deg": 0.0, "speed_mps": 10.0, "status": UnitStatus::Patrolling,
    });
    match serde_json::from_value(value) {
        Ok(u) => u,
        Err(e) => panic!("a unit: {e}"),
    }
}

pub(super) fn incident(id: &str, category: IncidentCategory, x: f64, y: f64, t: Millis, version: u64) -> Incident {
    let [lon, lat] = at(x, y);
    Incident {
        id: id.into(),
        version,
        updated_at: t,
        stale_after: None,
        category,
        severity: 2,
        status: IncidentStatus::Reported,
        channel: ReportChannel::Hotline,
        title: id.into(),
        description: String::new(),
        lon,
        lat,
        address: String::new(),
        district: String::new(),
        grid_id: String::new(),
        reported_at: t,
        assigned_units: Vec::new(),
        stages: Vec::new(),
    }
}

/// A square area `size` metres wide with its south-west corner at (`x`, `y`).
pub(super) fn square(id: &str, level: AreaLevel, x: f64, y: f64, size: f64, version: u64) -> Area {
    Area {
        id: id.into(),
        version,
        updated_at: T0,
        stale_after: None,
        level,
        name: id.into(),
        parent_id: None,
        ring: vec![at(x, y), at(x + size, y), at(x + size, y + size), at(x, y + size)],
        population: 1000,
        governance_index: 80.0,
        aspects: Vec::new(),
    }
}

pub(super) fn removal(kind: EntityKind, id: &str) -> Removal {
    Removal { kind, id: id.into() }
}

/// Both evaluators and an alert book, fed the same changes.
pub(super) struct Rig {
    pub rules: Rules,
    pub ev: Evaluator,
    pub full: FullRescan,
    pub book: AlertBook,
}

impl Rig {
    pub fn new(text: &str) -> Self {
        let rules = rules(text);
        Self {
            ev: Evaluator::new(rules.clone(), origin()),
            full: FullRescan::new(rules.clone(), origin()),
            rules,
            book: AlertBook::default(),
        }
    }

    /// Applies changes to both, evaluates both at `now`, checks they agree, and books the edges.
    pub fn step(&mut self, upserts: Entities, removals: Vec<Removal>, now: Millis) -> Step {
        self.ev.apply(&upserts, &removals);
        self.full.apply(&upserts, &removals);
        let edges = self.ev.evaluate(now);
        let reference = self.full.evaluate_full(now);
        assert_eq!(edges, reference, "incremental and full rescan disagree at {}", now - T0);
        let events = self.book.apply(&self.rules, &edges, now);
        Step { edges, events }
    }

    pub fn at(&mut self, now: Millis) -> Step {
        self.step(Entities::default(), Vec::new(), now)
    }
}

pub(super) struct Step {
    pub edges: Vec<Edge>,
    pub events: Vec<AlertEvent>,
}

impl Step {
    /// `rule/subject` of the conditions that started.
    pub fn on(&self, rules: &Rules) -> Vec<String> {
        self.keys(rules, true)
    }

    /// `rule/subject` of the conditions that ended.
    pub fn off(&self, rules: &Rules) -> Vec<String> {
        self.keys(rules, false)
    }

    fn keys(&self, rules: &Rules, on: bool) -> Vec<String> {
        self.edges.iter().filter(|e| e.on == on).map(|e| format!("{}/{}", rules.rules[e.rule].id, e.subject)).collect()
    }
}
