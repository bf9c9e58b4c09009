//! The reference: every rule against every entity at every evaluation, with no index, no
//! deadline heap and no neighbour counts. It keeps only what the rules' meaning needs between
//! evaluations (hysteresis latches, readings within the rate windows, fences a unit has been
//! inside, cluster names) and rescans the rest. Tests check the incremental [`Evaluator`] against
//! it, and the bench measures how much the incremental one saves; nothing else uses it.
//!
//! [`Evaluator`]: crate::rules::Evaluator

use std::collections::{HashMap, HashSet};

use crate::LonLat;
use crate::frame::{LocalFrame, distance};
use crate::protocol::{Camera, Entities, EntityKind, IncidentCategory, Millis, Removal, Sensor, Snapshot, Unit};
use crate::rules::alerts::Edge;
use crate::rules::cluster::{self, Core};
use crate::rules::config::{Direction, FenceEvent, RuleKind, Rules, StaleEntity};
use crate::rules::evaluator::replaces;
use crate::rules::fence::{Areas, Fences, in_window};
use crate::rules::geofence::accepts;
use crate::rules::stale::stale_from;
use crate::rules::threshold::{self, Latch};

#[derive(Clone, Debug)]
struct Located<T> {
    e: T,
    p: [f64; 2],
}

#[derive(Clone, Debug)]
struct IncidentRecord {
    version: Option<u64>,
    category: IncidentCategory,
    t: Millis,
    lonlat: [f64; 2],
    p: [f64; 2],
}

/// What a condition shows: value and place.
type Seen = (f64, Option<[f64; 2]>);

/// The full-rescan evaluator.
#[derive(Clone, Debug)]
pub struct FullRescan {
    rules: Rules,
    frame: LocalFrame,
    sensors: HashMap<String, Sensor>,
    cameras: HashMap<String, Located<Camera>>,
    units: HashMap<String, Located<Unit>>,
    incidents: HashMap<String, IncidentRecord>,
    areas: Areas,
    unit_fences: Fences,
    incident_fences: Fences,
    camera_fences: Fences,
    latches: HashMap<(usize, String), Latch>,
    /// Every sensor's readings (time, value), times clamped to never go back.
    samples: HashMap<String, Vec<(Millis, f64)>>,
    /// For each leave fence, the units that have been inside it.
    seen: HashMap<u32, HashSet<String>>,
    /// Each cluster rule's cores and the names they carried at the last evaluation.
    names: HashMap<(usize, String), String>,
    active: HashMap<(usize, String), Seen>,
    now: Millis,
}

impl FullRescan {
    pub fn new(rules: Rules, origin: LonLat) -> Self {
        let mut f = Self {
            rules,
            frame: LocalFrame::new(origin),
            sensors: HashMap::new(),
            cameras: HashMap::new(),
            units: HashMap::new(),
            incidents: HashMap::new(),
            areas: Areas::default(),
            unit_fences: Fences::default(),
            incident_fences: Fences::default(),
            camera_fences: Fences::default(),
            latches: HashMap::new(),
            samples: HashMap::new(),
            seen: HashMap::new(),
            names: HashMap::new(),
            active: HashMap::new(),
            now: Millis::MIN,
        };
        f.rebuild();
        f
    }

    fn rebuild(&mut self) {
        let rules = &self.rules.rules;
        self.unit_fences.rebuild(rules, |k| matches!(k, RuleKind::Geofence(_)), &self.areas, &self.frame);
        self.incident_fences.rebuild(rules, |k| matches!(k, RuleKind::GeofenceIncidents(_)), &self.areas, &self.frame);
        self.camera_fences.rebuild(rules, |k| matches!(k, RuleKind::CamerasOffline(_)), &self.areas, &self.frame);
    }

    fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        if lon.is_finite() && lat.is_finite() {
            self.frame.to_local(LonLat::new(lon, lat))
        } else {
            [f64::NAN, f64::NAN]
        }
    }

    /// A snapshot: everything it lacks is removed, the rest taken whatever its version.
    pub fn apply_snapshot(&mut self, snapshot: &Snapshot) {
        let e = &snapshot.entities;
        let mut removals = Vec::new();
        let mut gone = |kind: EntityKind, held: Vec<String>, present: HashSet<&str>| {
            removals
                .extend(held.into_iter().filter(|id| !present.contains(id.as_str())).map(|id| Removal { kind, id }));
        };
        gone(
            EntityKind::Sensor,
            self.sensors.keys().cloned().collect(),
            e.sensors.iter().map(|x| x.id.as_str()).collect(),
        );
        gone(
            EntityKind::Camera,
            self.cameras.keys().cloned().collect(),
            e.cameras.iter().map(|x| x.id.as_str()).collect(),
        );
        gone(EntityKind::Unit, self.units.keys().cloned().collect(), e.units.iter().map(|x| x.id.as_str()).collect());
        gone(
            EntityKind::Incident,
            self.incidents.iter().filter(|(_, r)| r.version.is_some()).map(|(k, _)| k.clone()).collect(),
            e.incidents.iter().map(|x| x.id.as_str()).collect(),
        );
        gone(
            EntityKind::Area,
            self.areas.by_id.keys().cloned().collect(),
            e.areas.iter().map(|x| x.id.as_str()).collect(),
        );
        self.apply_with(e, &removals, true);
    }

    /// A batch's changes (not yet evaluated).
    pub fn apply(&mut self, upserts: &Entities, removals: &[Removal]) {
        self.apply_with(upserts, removals, false);
    }

    fn forget_sensor(&mut self, id: &str) {
        self.latches.retain(|(_, s), _| s != id);
        self.samples.remove(id);
    }

    fn apply_with(&mut self, upserts: &Entities, removals: &[Removal], force: bool) {
        if self.areas.apply(&upserts.areas, removals, force) {
            self.rebuild();
        }
        for s in &upserts.sensors {
            let held = self.sensors.get(&s.id);
            if !replaces(held.map(|h| h.version), s.version, force) {
                continue;
            }
            if held.is_some_and(|h| h.kind != s.kind) {
                self.forget_sensor(&s.id);
            }
            for (r, rule) in self.rules.rules.iter().enumerate() {
                if let RuleKind::Threshold(t) = &rule.kind
                    && t.sensor_kind == s.kind
                {
                    let latch = self.latches.entry((r, s.id.clone())).or_default();
                    *latch = threshold::step(*latch, t, s.reading, s.updated_at);
                }
            }
            let samples = self.samples.entry(s.id.clone()).or_default();
            let t = samples.last().map_or(s.updated_at, |&(prev, _)| s.updated_at.max(prev));
            samples.push((t, s.reading));
            self.sensors.insert(s.id.clone(), s.clone());
        }
        for c in &upserts.cameras {
            if replaces(self.cameras.get(&c.id).map(|h| h.e.version), c.version, force) {
                let p = self.project(c.lon, c.lat);
                self.cameras.insert(c.id.clone(), Located { e: c.clone(), p });
            }
        }
        for u in &upserts.units {
            if replaces(self.units.get(&u.id).map(|h| h.e.version), u.version, force) {
                let p = self.project(u.lon, u.lat);
                self.units.insert(u.id.clone(), Located { e: u.clone(), p });
            }
        }
        for i in &upserts.incidents {
            if replaces(self.incidents.get(&i.id).and_then(|h| h.version), i.version, force) {
                let p = self.project(i.lon, i.lat);
                let record = IncidentRecord {
                    version: Some(i.version),
                    category: i.category,
                    t: i.reported_at,
                    lonlat: [i.lon, i.lat],
                    p,
                };
                self.incidents.insert(i.id.clone(), record);
            }
        }
        for r in removals {
            match r.kind {
                EntityKind::Sensor => {
                    if self.sensors.remove(&r.id).is_some() {
                        self.forget_sensor(&r.id);
                    }
                }
                EntityKind::Camera => {
                    self.cameras.remove(&r.id);
                }
                EntityKind::Unit => {
                    if self.units.remove(&r.id).is_some() {
                        for units in self.seen.values_mut() {
                            units.remove(&r.id);
                        }
                    }
                }
                EntityKind::Incident => {
                    if let Some(i) = self.incidents.get_mut(&r.id) {
                        i.version = None;
                    }
                }
                EntityKind::Area | EntityKind::Facility | EntityKind::SupplyDepot => {}
            }
        }
    }

    /// Scans everything at `now`: every condition that started or ended since the last call.
    pub fn evaluate_full(&mut self, now_ms: Millis) -> Vec<Edge> {
        let now = now_ms.max(self.now);
        self.now = now;
        // Readings older than every rate window can go, but the last (it sets the clamp).
        let longest = self
            .rules
            .rules
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::Rate(t) => Some(t.window_ms),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        for samples in self.samples.values_mut() {
            let keep_from = samples.iter().position(|(t, _)| in_window(*t, longest, now)).unwrap_or(samples.len());
            samples.drain(..keep_from.min(samples.len().saturating_sub(1)));
        }
        let mut holding: HashMap<(usize, String), Seen> = HashMap::new();
        for r in 0..self.rules.rules.len() {
            self.scan(r, now, &mut holding);
        }
        let mut edges = Vec::new();
        for (key, seen) in &holding {
            if !self.active.contains_key(key) {
                edges.push(Edge { rule: key.0, subject: key.1.clone(), on: true, value: seen.0, lonlat: seen.1 });
            }
        }
        for key in self.active.keys() {
            if !holding.contains_key(key) {
                edges.push(Edge { rule: key.0, subject: key.1.clone(), on: false, value: 0.0, lonlat: None });
            }
        }
        self.active = holding;
        edges.sort_by(|a, b| a.rule.cmp(&b.rule).then_with(|| a.subject.cmp(&b.subject)));
        edges
    }

    fn scan(&mut self, r: usize, now: Millis, holding: &mut HashMap<(usize, String), Seen>) {
        let kind = self.rules.rules[r].kind.clone();
        let mut hold = |subject: String, seen: Seen| {
            holding.insert((r, subject), seen);
        };
        match &kind {
            RuleKind::Threshold(t) => {
                for s in self.sensors.values().filter(|s| s.kind == t.sensor_kind) {
                    let Some(latch) = self.latches.get_mut(&(r, s.id.clone())) else { continue };
                    *latch = threshold::settle(*latch, t, now);
                    if *latch == Latch::On {
                        hold(s.id.clone(), (s.reading, Some([s.lon, s.lat])));
                    }
                }
            }
            RuleKind::Rate(t) => {
                for s in self.sensors.values().filter(|s| s.kind == t.sensor_kind) {
                    let Some(samples) = self.samples.get(&s.id) else { continue };
                    let window: Vec<f64> =
                        samples.iter().filter(|(ts, _)| in_window(*ts, t.window_ms, now)).map(|(_, v)| *v).collect();
                    let Some(&last) = window.last() else { continue };
                    let extreme = match t.direction {
                        Direction::Up => window.iter().copied().fold(f64::INFINITY, f64::min),
                        Direction::Down => window.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    };
                    let c = crate::rules::rate::change(t, extreme, last);
                    if c >= t.change {
                        hold(s.id.clone(), (c, Some([s.lon, s.lat])));
                    }
                }
            }
            RuleKind::Stale(t) => {
                let subjects: Vec<(String, Millis, Option<Millis>, [f64; 2])> = match t.entity {
                    StaleEntity::Sensor => self
                        .sensors
                        .values()
                        .filter(|s| t.sensor_kind.as_deref().is_none_or(|k| k == s.kind))
                        .map(|s| (s.id.clone(), s.updated_at, s.stale_after, [s.lon, s.lat]))
                        .collect(),
                    StaleEntity::Camera => self
                        .cameras
                        .values()
                        .map(|c| (c.e.id.clone(), c.e.updated_at, c.e.stale_after, [c.e.lon, c.e.lat]))
                        .collect(),
                };
                for (id, updated_at, stale_after, lonlat) in subjects {
                    if stale_from(t, updated_at, stale_after).is_some_and(|from| now >= from) {
                        hold(id, ((now - updated_at) as f64 / 1000.0, Some(lonlat)));
                    }
                }
            }
            RuleKind::Geofence(g) => {
                for (f, shape) in self.unit_fences.shapes.iter().enumerate() {
                    if shape.rule as usize != r || shape.ring.is_none() {
                        continue;
                    }
                    let seen = self.seen.entry(f as u32).or_default();
                    for u in self.units.values().filter(|u| accepts(g, u.e.kind)) {
                        let inside = shape.contains(u.p);
                        if inside && g.event == FenceEvent::Leave && !seen.contains(&u.e.id) {
                            seen.insert(u.e.id.clone());
                        }
                        let holds = match g.event {
                            FenceEvent::Enter => inside,
                            FenceEvent::Leave => !inside && !seen.is_empty() && seen.contains(&u.e.id),
                        };
                        if holds {
                            hold(format!("{}@{}", u.e.id, shape.label), (1.0, Some([u.e.lon, u.e.lat])));
                        }
                    }
                }
            }
            RuleKind::GeofenceIncidents(g) => {
                for shape in self.incident_fences.shapes.iter().filter(|s| s.rule as usize == r && s.ring.is_some()) {
                    let n = self
                        .incidents
                        .values()
                        .filter(|i| i.category == g.category && in_window(i.t, g.window_ms, now) && shape.contains(i.p))
                        .count();
                    if n > g.more_than as usize {
                        hold(shape.label.clone(), (n as f64, shape.centre));
                    }
                }
            }
            RuleKind::CamerasOffline(c) => {
                for shape in self.camera_fences.shapes.iter().filter(|s| s.rule as usize == r && s.ring.is_some()) {
                    let n = self.cameras.values().filter(|cam| !cam.e.online && shape.contains(cam.p)).count();
                    let total = self.cameras.values().filter(|cam| shape.contains(cam.p)).count();
                    if c.breaks(n as u32, total as u32) {
                        hold(shape.label.clone(), (n as f64, shape.centre));
                    }
                }
            }
            RuleKind::Cluster(c) => {
                let mut members: Vec<(&String, &IncidentRecord)> = self
                    .incidents
                    .iter()
                    .filter(|(_, i)| {
                        i.category == c.category
                            && in_window(i.t, c.window_ms, now)
                            && i.p[0].is_finite()
                            && i.p[1].is_finite()
                    })
                    .collect();
                members.sort_by(|a, b| (a.1.t, a.0).cmp(&(b.1.t, b.0)));
                let n = members.len();
                let close = |a: usize, b: usize| distance(members[a].1.p, members[b].1.p) <= c.radius_m;
                let core: Vec<bool> =
                    (0..n).map(|a| (0..n).filter(|&b| close(a, b)).count() >= c.count as usize).collect();
                let mut done = vec![false; n];
                let mut clusters: Vec<Vec<usize>> = Vec::new();
                for s in 0..n {
                    if !core[s] || done[s] {
                        continue;
                    }
                    done[s] = true;
                    let mut cores = vec![s];
                    let mut k = 0;
                    while k < cores.len() {
                        let a = cores[k];
                        for b in 0..n {
                            if core[b] && !done[b] && close(a, b) {
                                done[b] = true;
                                cores.push(b);
                            }
                        }
                        k += 1;
                    }
                    cores.sort_unstable();
                    clusters.push(cores);
                }
                let found: Vec<Vec<Core<'_>>> = clusters
                    .iter()
                    .map(|cores| {
                        cores
                            .iter()
                            .map(|&a| {
                                let (id, i) = members[a];
                                (i.t, id.as_str(), self.names.get(&(r, id.clone())).map(String::as_str))
                            })
                            .collect()
                    })
                    .collect();
                let given = cluster::assign_names(&found, &HashSet::new());
                let mut names = HashMap::new();
                for (cores, name) in clusters.iter().zip(given) {
                    let incidents = (0..n).filter(|&b| cores.iter().any(|&a| close(a, b))).count();
                    let shown = cluster::shown(cores.iter().map(|&a| members[a].1.lonlat), incidents);
                    for &a in cores {
                        names.insert((r, members[a].0.clone()), name.clone());
                    }
                    hold(name, (shown.incidents as f64, Some(shown.lonlat)));
                }
                self.names.retain(|(rule, _), _| *rule != r);
                self.names.extend(names);
            }
        }
    }
}
