//! The incremental evaluator: it takes the feed's changes as they come (a batch's upserts and
//! removals, or a snapshot) and touches only the rule state those changes reach; time moves only
//! through [`Evaluator::evaluate`]'s `now_ms`, and what it brings due comes off a deadline heap.
//!
//! Each evaluation looks at the *subjects* (a rule and a sensor, a unit at a fence, a fence, a
//! cluster) that a change or a deadline reached, decides whether the rule holds for each at
//! `now_ms`, and reports those that started or stopped holding as [`Edge`]s, sorted by rule then
//! subject. Conditions are decided on the state after all of the evaluation's changes, so two
//! cameras swapping online and offline in one batch do not flicker a count; threshold and rate
//! rules see every reading in order.
//!
//! An entity replaces the one held only when its version is newer, as in the store; a snapshot
//! replaces everything whatever the versions. Time does not go back: an evaluation at an earlier
//! `now_ms` than the last is taken at the last. A change of the feed's areas re-resolves the fences
//! and places every unit, camera and incident again: the one path that costs the whole city,
//! taken only when areas change.

use std::collections::{HashMap, HashSet};

use crate::LonLat;
use crate::frame::LocalFrame;
use crate::protocol::{
    Batch, Camera, Entities, EntityKind, IncidentCategory, Millis, Removal, Sensor, Snapshot, Unit, UnitKind,
};
use crate::rules::alerts::Edge;
use crate::rules::config::{RuleKind, Rules, StaleEntity};
use crate::rules::fence::{Areas, Fences};
use crate::rules::geofence::{self, Place};
use crate::rules::timers::Timers;
use crate::rules::{cluster, fence_incidents, rate, stale, threshold};

/// Ids of one entity kind, numbered in order of first sight; numbers are never reused.
#[derive(Clone, Debug)]
pub(crate) struct Numbered<T> {
    index: HashMap<String, u32>,
    pub names: Vec<String>,
    pub slots: Vec<Option<T>>,
}

impl<T> Default for Numbered<T> {
    fn default() -> Self {
        Self { index: HashMap::new(), names: Vec::new(), slots: Vec::new() }
    }
}

impl<T> Numbered<T> {
    pub fn number(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.names.len() as u32;
        self.index.insert(id.to_string(), i);
        self.names.push(id.to_string());
        self.slots.push(None);
        i
    }

    pub fn find(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub fn get(&self, i: u32) -> Option<&T> {
        self.slots.get(i as usize).and_then(Option::as_ref)
    }

    pub fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map(String::as_str).unwrap_or("")
    }

    fn live(&self) -> impl Iterator<Item = (u32, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (i as u32, s)))
    }
}

/// Whether an entity of version `v` replaces the one held.
pub(crate) fn replaces(held: Option<u64>, v: u64, force: bool) -> bool {
    force || held.is_none_or(|h| v > h)
}

#[derive(Clone, Debug)]
struct SensorSlot {
    version: u64,
    kind: u32,
    lonlat: [f64; 2],
    reading: f64,
    updated_at: Millis,
}

#[derive(Clone, Debug)]
struct CameraSlot {
    version: u64,
    lonlat: [f64; 2],
    p: [f64; 2],
    online: bool,
    updated_at: Millis,
    /// Camera fences holding it, increasing.
    fences: Vec<u32>,
}

#[derive(Clone, Debug)]
struct UnitSlot {
    version: u64,
    kind: UnitKind,
    lonlat: [f64; 2],
    p: [f64; 2],
    place: Place,
}

/// Incidents stay known after removal: window rules count them until their window passes.
#[derive(Clone, Debug)]
struct IncidentSlot {
    /// `None` once removed from the feed (a later report is taken whatever its version).
    version: Option<u64>,
    category: IncidentCategory,
    t: Millis,
    lonlat: [f64; 2],
    p: [f64; 2],
}

/// Per-rule state, for the kinds that keep some of their own.
#[derive(Clone, Debug)]
enum State {
    Threshold(threshold::State),
    Rate(rate::State),
    Stale(stale::State),
    FenceIncidents(fence_incidents::State),
    Cluster(cluster::State),
    /// Geofence and offline-camera rules keep theirs with the units and cameras.
    None,
}

/// The incremental evaluator of a set of rules.
#[derive(Clone, Debug)]
pub struct Evaluator {
    rules: Rules,
    frame: LocalFrame,
    states: Vec<State>,
    sensor_kinds: Numbered<()>,
    /// Rules that read sensors of each kind, by kind number.
    kind_rules: Vec<Vec<u32>>,
    stale_camera_rules: Vec<u32>,
    incident_rules: Vec<u32>,
    cluster_rules: Vec<u32>,
    sensors: Numbered<SensorSlot>,
    cameras: Numbered<CameraSlot>,
    units: Numbered<UnitSlot>,
    incidents: Numbered<IncidentSlot>,
    areas: Areas,
    unit_fences: Fences,
    incident_fences: Fences,
    camera_fences: Fences,
    /// Offline cameras in each camera fence.
    offline: Vec<u32>,
    /// All cameras in each camera fence (for a rule's share).
    cameras_in: Vec<u32>,
    timers: Timers,
    dirty: Vec<(u32, u64)>,
    active: HashSet<(u32, u64)>,
    scratch: Vec<u32>,
    changed: Vec<u32>,
    /// The latest evaluation time: an earlier `now_ms` is taken as this (time does not go back).
    now: Millis,
}

fn unit_subject(unit: u32, fence: u32) -> u64 {
    (u64::from(unit) << 32) | u64::from(fence)
}

fn is_unit_fence(k: &RuleKind) -> bool {
    matches!(k, RuleKind::Geofence(_))
}

fn is_incident_fence(k: &RuleKind) -> bool {
    matches!(k, RuleKind::GeofenceIncidents(_))
}

fn is_camera_fence(k: &RuleKind) -> bool {
    matches!(k, RuleKind::CamerasOffline(_))
}

impl Evaluator {
    /// An evaluator for `rules`, measuring distances in the local frame around `origin` (the
    /// city's).
    pub fn new(rules: Rules, origin: LonLat) -> Self {
        let frame = LocalFrame::new(origin);
        let states = rules
            .rules
            .iter()
            .map(|r| match &r.kind {
                RuleKind::Threshold(_) => State::Threshold(Default::default()),
                RuleKind::Rate(_) => State::Rate(Default::default()),
                RuleKind::Stale(_) => State::Stale(Default::default()),
                RuleKind::GeofenceIncidents(_) => State::FenceIncidents(Default::default()),
                RuleKind::Cluster(_) => State::Cluster(Default::default()),
                RuleKind::Geofence(_) | RuleKind::CamerasOffline(_) => State::None,
            })
            .collect();
        let which = |f: fn(&RuleKind) -> bool| -> Vec<u32> {
            rules.rules.iter().enumerate().filter(|(_, r)| f(&r.kind)).map(|(i, _)| i as u32).collect()
        };
        let stale_camera_rules = which(|k| matches!(k, RuleKind::Stale(s) if s.entity == StaleEntity::Camera));
        let incident_rules = which(is_incident_fence);
        let cluster_rules = which(|k| matches!(k, RuleKind::Cluster(_)));
        let mut e = Self {
            rules,
            frame,
            states,
            sensor_kinds: Numbered::default(),
            kind_rules: Vec::new(),
            stale_camera_rules,
            incident_rules,
            cluster_rules,
            sensors: Numbered::default(),
            cameras: Numbered::default(),
            units: Numbered::default(),
            incidents: Numbered::default(),
            areas: Areas::default(),
            unit_fences: Fences::default(),
            incident_fences: Fences::default(),
            camera_fences: Fences::default(),
            offline: Vec::new(),
            cameras_in: Vec::new(),
            timers: Timers::default(),
            dirty: Vec::new(),
            active: HashSet::new(),
            scratch: Vec::new(),
            changed: Vec::new(),
            now: Millis::MIN,
        };
        e.rebuild_fences();
        e
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Conditions holding now, and deadlines queued (for the bench and tests).
    pub fn counts(&self) -> (usize, usize) {
        (self.active.len(), self.timers.len())
    }

    fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        if lon.is_finite() && lat.is_finite() {
            self.frame.to_local(LonLat::new(lon, lat))
        } else {
            [f64::NAN, f64::NAN]
        }
    }

    fn kind_number(&mut self, kind: &str) -> u32 {
        let k = self.sensor_kinds.number(kind);
        while self.kind_rules.len() <= k as usize {
            let rules = self
                .rules
                .rules
                .iter()
                .enumerate()
                .filter(|(_, r)| match &r.kind {
                    RuleKind::Threshold(t) => t.sensor_kind == kind,
                    RuleKind::Rate(t) => t.sensor_kind == kind,
                    RuleKind::Stale(s) => {
                        s.entity == StaleEntity::Sensor && s.sensor_kind.as_deref().is_none_or(|x| x == kind)
                    }
                    _ => false,
                })
                .map(|(i, _)| i as u32)
                .collect();
            self.kind_rules.push(rules);
        }
        k
    }

    /// A batch of the stream, then an evaluation at `now_ms`.
    pub fn update(&mut self, batch: &Batch, now_ms: Millis) -> Vec<Edge> {
        self.apply(&batch.upserts, &batch.removals);
        self.evaluate(now_ms)
    }

    /// A snapshot: everything it lacks is removed, the rest taken whatever its version.
    pub fn apply_snapshot(&mut self, snapshot: &Snapshot) {
        let e = &snapshot.entities;
        let mut removals = Vec::new();
        let mut gone = |kind: EntityKind, held: Vec<String>, present: HashSet<&str>| {
            removals
                .extend(held.into_iter().filter(|id| !present.contains(id.as_str())).map(|id| Removal { kind, id }));
        };
        let held = |names: &[String], live: &dyn Fn(usize) -> bool| -> Vec<String> {
            names.iter().enumerate().filter(|(i, _)| live(*i)).map(|(_, n)| n.clone()).collect()
        };
        gone(
            EntityKind::Sensor,
            held(&self.sensors.names, &|i| self.sensors.slots[i].is_some()),
            e.sensors.iter().map(|x| x.id.as_str()).collect(),
        );
        gone(
            EntityKind::Camera,
            held(&self.cameras.names, &|i| self.cameras.slots[i].is_some()),
            e.cameras.iter().map(|x| x.id.as_str()).collect(),
        );
        gone(
            EntityKind::Unit,
            held(&self.units.names, &|i| self.units.slots[i].is_some()),
            e.units.iter().map(|x| x.id.as_str()).collect(),
        );
        gone(
            EntityKind::Incident,
            held(&self.incidents.names, &|i| self.incidents.slots[i].as_ref().is_some_and(|s| s.version.is_some())),
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

    fn apply_with(&mut self, upserts: &Entities, removals: &[Removal], force: bool) {
        // New fences first, so that this batch's entities are placed against them; everything
        // else is placed again once the batch is in (never at a position it has already left).
        let areas_changed = self.areas.apply(&upserts.areas, removals, force);
        if areas_changed {
            self.rebuild_fences();
        }
        for s in &upserts.sensors {
            self.sensor(s, force);
        }
        for c in &upserts.cameras {
            self.camera(c, force);
        }
        for u in &upserts.units {
            self.unit(u, force);
        }
        for i in &upserts.incidents {
            let Some(n) = self.incident_slot(i, force) else { continue };
            self.place_incident(n);
        }
        for r in removals {
            match r.kind {
                EntityKind::Sensor => self.remove_sensor(&r.id),
                EntityKind::Camera => self.remove_camera(&r.id),
                EntityKind::Unit => self.remove_unit(&r.id),
                EntityKind::Incident => {
                    if let Some(slot) =
                        self.incidents.find(&r.id).and_then(|n| self.incidents.slots[n as usize].as_mut())
                    {
                        slot.version = None;
                    }
                }
                EntityKind::Area | EntityKind::Facility | EntityKind::SupplyDepot => {}
            }
        }
        if areas_changed {
            self.replace_all();
        }
    }

    fn rebuild_fences(&mut self) {
        let rules = &self.rules.rules;
        self.unit_fences.rebuild(rules, is_unit_fence, &self.areas, &self.frame);
        self.incident_fences.rebuild(rules, is_incident_fence, &self.areas, &self.frame);
        self.camera_fences.rebuild(rules, is_camera_fence, &self.areas, &self.frame);
        self.offline.resize(self.camera_fences.shapes.len(), 0);
        self.cameras_in.resize(self.camera_fences.shapes.len(), 0);
    }

    /// After the fences changed: every unit, camera and incident placed again.
    fn replace_all(&mut self) {
        let rules = &self.rules.rules;
        for (n, slot) in self.units.slots.iter_mut().enumerate() {
            let Some(u) = slot else { continue };
            for &f in u.place.inside.iter().chain(&u.place.seen) {
                let r = self.unit_fences.shapes[f as usize].rule;
                self.dirty.push((r, unit_subject(n as u32, f)));
            }
            self.changed.clear();
            geofence::place(rules, &self.unit_fences, u.kind, u.p, &mut u.place, &mut self.scratch, &mut self.changed);
            for &f in &self.changed {
                let r = self.unit_fences.shapes[f as usize].rule;
                self.dirty.push((r, unit_subject(n as u32, f)));
            }
        }
        self.offline = vec![0; self.camera_fences.shapes.len()];
        self.cameras_in = vec![0; self.camera_fences.shapes.len()];
        for slot in self.cameras.slots.iter_mut().flatten() {
            self.camera_fences.query(slot.p, |_| true, &mut slot.fences);
            for &f in &slot.fences {
                self.cameras_in[f as usize] += 1;
            }
            if !slot.online {
                for &f in &slot.fences {
                    self.offline[f as usize] += 1;
                }
            }
        }
        for (f, s) in self.camera_fences.shapes.iter().enumerate() {
            self.dirty.push((s.rule, f as u64));
        }
        for n in 0..self.incidents.slots.len() as u32 {
            self.place_incident(n);
        }
    }

    fn sensor(&mut self, s: &Sensor, force: bool) {
        let n = self.sensors.number(&s.id);
        let held = self.sensors.get(n);
        if !replaces(held.map(|h| h.version), s.version, force) {
            return;
        }
        let old_kind = held.map(|h| h.kind);
        let kind = self.kind_number(&s.kind);
        if let Some(old) = old_kind.filter(|k| *k != kind) {
            self.forget_sensor(n, old);
        }
        self.sensors.slots[n as usize] = Some(SensorSlot {
            version: s.version,
            kind,
            lonlat: [s.lon, s.lat],
            reading: s.reading,
            updated_at: s.updated_at,
        });
        for &r in &self.kind_rules[kind as usize] {
            let rule = &self.rules.rules[r as usize].kind;
            match (&mut self.states[r as usize], rule) {
                (State::Threshold(st), RuleKind::Threshold(t)) => {
                    st.reading(t, r, n, s.reading, s.updated_at, &mut self.timers)
                }
                (State::Rate(st), RuleKind::Rate(t)) => st.reading(t, r, n, s.reading, s.updated_at, &mut self.timers),
                (State::Stale(st), RuleKind::Stale(t)) => {
                    st.report(t, r, n, s.updated_at, s.stale_after, &mut self.timers)
                }
                _ => continue,
            }
            self.dirty.push((r, u64::from(n)));
        }
    }

    fn forget_sensor(&mut self, n: u32, kind: u32) {
        for &r in &self.kind_rules[kind as usize] {
            match &mut self.states[r as usize] {
                State::Threshold(st) => st.forget(n),
                State::Rate(st) => st.forget(n),
                State::Stale(st) => st.forget(n),
                _ => {}
            }
            self.dirty.push((r, u64::from(n)));
        }
    }

    fn remove_sensor(&mut self, id: &str) {
        let Some(n) = self.sensors.find(id) else { return };
        if let Some(slot) = self.sensors.slots[n as usize].take() {
            self.forget_sensor(n, slot.kind);
        }
    }

    fn camera(&mut self, c: &Camera, force: bool) {
        let n = self.cameras.number(&c.id);
        if !replaces(self.cameras.get(n).map(|h| h.version), c.version, force) {
            return;
        }
        let p = self.project(c.lon, c.lat);
        let old = self.cameras.slots[n as usize].take();
        let (mut fences, was_offline) = match old {
            Some(o) if o.p == p => (o.fences, !o.online),
            Some(o) => {
                self.uncount(&o.fences, !o.online);
                self.count_in(&o.fences, false);
                (self.locate_camera(p), false)
            }
            None => (self.locate_camera(p), false),
        };
        if was_offline == c.online {
            self.uncount(&fences, was_offline);
            if !c.online {
                for &f in &fences {
                    self.offline[f as usize] += 1;
                    self.dirty.push((self.camera_fences.shapes[f as usize].rule, u64::from(f)));
                }
            }
        }
        fences.shrink_to_fit();
        self.cameras.slots[n as usize] = Some(CameraSlot {
            version: c.version,
            lonlat: [c.lon, c.lat],
            p,
            online: c.online,
            updated_at: c.updated_at,
            fences,
        });
        for &r in &self.stale_camera_rules {
            if let (State::Stale(st), RuleKind::Stale(t)) =
                (&mut self.states[r as usize], &self.rules.rules[r as usize].kind)
            {
                st.report(t, r, n, c.updated_at, c.stale_after, &mut self.timers);
                self.dirty.push((r, u64::from(n)));
            }
        }
    }

    /// A newly placed camera's fences (counted among their cameras, not yet as offline).
    fn locate_camera(&mut self, p: [f64; 2]) -> Vec<u32> {
        let mut fences = Vec::new();
        self.camera_fences.query(p, |_| true, &mut fences);
        self.count_in(&fences, true);
        fences
    }

    /// A camera placed in (`true`) or taken out of its fences' totals.
    fn count_in(&mut self, fences: &[u32], placed: bool) {
        for &f in fences {
            let n = &mut self.cameras_in[f as usize];
            *n = if placed { *n + 1 } else { n.saturating_sub(1) };
            self.dirty.push((self.camera_fences.shapes[f as usize].rule, u64::from(f)));
        }
    }

    /// Takes an offline camera out of its fences' counts.
    fn uncount(&mut self, fences: &[u32], offline: bool) {
        if !offline {
            return;
        }
        for &f in fences {
            self.offline[f as usize] -= 1;
            self.dirty.push((self.camera_fences.shapes[f as usize].rule, u64::from(f)));
        }
    }

    fn remove_camera(&mut self, id: &str) {
        let Some(n) = self.cameras.find(id) else { return };
        let Some(old) = self.cameras.slots[n as usize].take() else { return };
        self.uncount(&old.fences, !old.online);
        self.count_in(&old.fences, false);
        for &r in &self.stale_camera_rules {
            if let State::Stale(st) = &mut self.states[r as usize] {
                st.forget(n);
                self.dirty.push((r, u64::from(n)));
            }
        }
    }

    fn unit(&mut self, u: &Unit, force: bool) {
        let n = self.units.number(&u.id);
        if !replaces(self.units.get(n).map(|h| h.version), u.version, force) {
            return;
        }
        let p = self.project(u.lon, u.lat);
        let (mut place, kind_changed) = match self.units.slots[n as usize].take() {
            Some(old) => (old.place, old.kind != u.kind),
            None => (Place::default(), false),
        };
        if kind_changed {
            for &f in &place.seen {
                self.dirty.push((self.unit_fences.shapes[f as usize].rule, unit_subject(n, f)));
            }
        }
        self.changed.clear();
        geofence::place(
            &self.rules.rules,
            &self.unit_fences,
            u.kind,
            p,
            &mut place,
            &mut self.scratch,
            &mut self.changed,
        );
        for &f in &self.changed {
            self.dirty.push((self.unit_fences.shapes[f as usize].rule, unit_subject(n, f)));
        }
        self.units.slots[n as usize] =
            Some(UnitSlot { version: u.version, kind: u.kind, lonlat: [u.lon, u.lat], p, place });
    }

    fn remove_unit(&mut self, id: &str) {
        let Some(n) = self.units.find(id) else { return };
        let Some(old) = self.units.slots[n as usize].take() else { return };
        for &f in old.place.inside.iter().chain(&old.place.seen) {
            self.dirty.push((self.unit_fences.shapes[f as usize].rule, unit_subject(n, f)));
        }
    }

    /// Stores an incident's report; its number if it replaced the one held.
    fn incident_slot(&mut self, i: &crate::protocol::Incident, force: bool) -> Option<u32> {
        let n = self.incidents.number(&i.id);
        let held = self.incidents.get(n).and_then(|s| s.version);
        if !replaces(held, i.version, force) {
            return None;
        }
        let p = self.project(i.lon, i.lat);
        self.incidents.slots[n as usize] = Some(IncidentSlot {
            version: Some(i.version),
            category: i.category,
            t: i.reported_at,
            lonlat: [i.lon, i.lat],
            p,
        });
        Some(n)
    }

    /// Counts an incident in the window rules.
    fn place_incident(&mut self, n: u32) {
        let Some(slot) = self.incidents.get(n) else { return };
        let (category, t, p, lonlat) = (slot.category, slot.t, slot.p, slot.lonlat);
        if !self.incident_rules.is_empty() {
            self.incident_fences.query(p, |_| true, &mut self.scratch);
            for &r in &self.incident_rules {
                let (State::FenceIncidents(st), RuleKind::GeofenceIncidents(rule)) =
                    (&mut self.states[r as usize], &self.rules.rules[r as usize].kind)
                else {
                    continue;
                };
                let fences: Vec<u32> = if rule.category == category {
                    self.scratch
                        .iter()
                        .copied()
                        .filter(|f| self.incident_fences.shapes[*f as usize].rule == r)
                        .collect()
                } else {
                    Vec::new()
                };
                self.changed.clear();
                st.incident(rule, r, n, t, &fences, &mut self.timers, &mut self.changed);
                self.dirty.extend(self.changed.iter().map(|f| (r, u64::from(*f))));
            }
        }
        for &r in &self.cluster_rules {
            if let (State::Cluster(st), RuleKind::Cluster(rule)) =
                (&mut self.states[r as usize], &self.rules.rules[r as usize].kind)
            {
                st.incident(rule, r, n, rule.category == category, t, p, lonlat, &mut self.timers);
            }
        }
    }

    /// Brings time to `now_ms` and decides every subject a change or a deadline reached.
    pub fn evaluate(&mut self, now_ms: Millis) -> Vec<Edge> {
        let now = now_ms.max(self.now);
        self.now = now;
        while let Some((due, r, subject)) = self.timers.pop_due(now) {
            let s32 = subject as u32;
            let rule = &self.rules.rules[r as usize].kind;
            let wake = match (&mut self.states[r as usize], rule) {
                (State::Threshold(st), _) => st.on_timer(s32, due),
                (State::Rate(st), RuleKind::Rate(t)) => st.on_timer(t, r, s32, due, now, &mut self.timers),
                (State::Stale(st), _) => st.on_timer(r, s32, due, now, &mut self.timers),
                (State::FenceIncidents(st), RuleKind::GeofenceIncidents(t)) => {
                    st.on_timer(t, r, s32, due, now, &mut self.timers)
                }
                (State::Cluster(st), RuleKind::Cluster(t)) => {
                    st.on_timer(t, r, s32, due, now, &mut self.timers);
                    false
                }
                _ => false,
            };
            if wake {
                self.dirty.push((r, subject));
            }
        }
        for &r in &self.cluster_rules {
            if let (State::Cluster(st), RuleKind::Cluster(t)) =
                (&mut self.states[r as usize], &self.rules.rules[r as usize].kind)
            {
                for name in st.rename(t, &self.incidents.names) {
                    self.dirty.push((r, u64::from(name)));
                }
            }
        }
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.sort_unstable();
        dirty.dedup();
        let mut edges = Vec::new();
        for &(r, subject) in &dirty {
            let seen = self.observe(r, subject, now);
            let was = self.active.contains(&(r, subject));
            if seen.is_some() == was {
                continue;
            }
            let (value, lonlat) = seen.unwrap_or((0.0, None));
            if seen.is_some() {
                self.active.insert((r, subject));
            } else {
                self.active.remove(&(r, subject));
            }
            edges.push(Edge { rule: r as usize, subject: self.subject(r, subject), on: seen.is_some(), value, lonlat });
        }
        dirty.clear();
        self.dirty = dirty;
        edges.sort_by(|a, b| a.rule.cmp(&b.rule).then_with(|| a.subject.cmp(&b.subject)));
        edges
    }

    /// The keys (`rule/subject`, as the alert book names them) of every condition that holds as
    /// of the last evaluation.
    pub fn holding(&self) -> HashSet<String> {
        self.active
            .iter()
            .map(|&(r, subject)| format!("{}/{}", self.rules.rules[r as usize].id, self.subject(r, subject)))
            .collect()
    }

    /// Whether rule `r` holds for `subject` at `now`, with what to show.
    fn observe(&mut self, r: u32, subject: u64, now: Millis) -> Option<(f64, Option<[f64; 2]>)> {
        let s32 = subject as u32;
        let rule = &self.rules.rules[r as usize].kind;
        match (rule, &mut self.states[r as usize]) {
            (RuleKind::Threshold(t), State::Threshold(st)) => {
                let sensor = self.sensors.get(s32)?;
                st.holds(t, s32, now).then_some((sensor.reading, Some(sensor.lonlat)))
            }
            (RuleKind::Rate(t), State::Rate(st)) => {
                let sensor = self.sensors.get(s32)?;
                st.holds(t, s32, now).map(|c| (c, Some(sensor.lonlat)))
            }
            (RuleKind::Stale(t), State::Stale(st)) => {
                let (updated_at, lonlat) = match t.entity {
                    StaleEntity::Sensor => self.sensors.get(s32).map(|s| (s.updated_at, s.lonlat))?,
                    StaleEntity::Camera => self.cameras.get(s32).map(|c| (c.updated_at, c.lonlat))?,
                };
                st.holds(s32, now).then_some(((now - updated_at) as f64 / 1000.0, Some(lonlat)))
            }
            (RuleKind::Geofence(g), _) => {
                let unit = self.units.get((subject >> 32) as u32)?;
                let shape = self.unit_fences.shapes.get(s32 as usize)?;
                geofence::holds(g, shape, s32, unit.kind, &unit.place).then_some((1.0, Some(unit.lonlat)))
            }
            (RuleKind::GeofenceIncidents(g), State::FenceIncidents(st)) => {
                let shape = self.incident_fences.shapes.get(s32 as usize)?;
                shape.ring.as_ref()?;
                st.holds(g, s32, now).map(|n| (n as f64, shape.centre))
            }
            (RuleKind::Cluster(_), State::Cluster(st)) => st.holds(s32).map(|s| (s.incidents as f64, Some(s.lonlat))),
            (RuleKind::CamerasOffline(c), _) => {
                let shape = self.camera_fences.shapes.get(s32 as usize)?;
                shape.ring.as_ref()?;
                let n = self.offline.get(s32 as usize).copied().unwrap_or(0);
                let total = self.cameras_in.get(s32 as usize).copied().unwrap_or(0);
                c.breaks(n, total).then_some((f64::from(n), shape.centre))
            }
            _ => None,
        }
    }

    fn subject(&self, r: u32, subject: u64) -> String {
        let s32 = subject as u32;
        match (&self.rules.rules[r as usize].kind, &self.states[r as usize]) {
            (RuleKind::Threshold(_) | RuleKind::Rate(_), _) => self.sensors.name(s32).to_string(),
            (RuleKind::Stale(t), _) => match t.entity {
                StaleEntity::Sensor => self.sensors.name(s32).to_string(),
                StaleEntity::Camera => self.cameras.name(s32).to_string(),
            },
            (RuleKind::Geofence(_), _) => {
                let label = self.unit_fences.shapes.get(s32 as usize).map(|s| s.label.as_str()).unwrap_or("");
                format!("{}@{label}", self.units.name((subject >> 32) as u32))
            }
            (RuleKind::GeofenceIncidents(_), _) => {
                self.incident_fences.shapes.get(s32 as usize).map(|s| s.label.clone()).unwrap_or_default()
            }
            (RuleKind::CamerasOffline(_), _) => {
                self.camera_fences.shapes.get(s32 as usize).map(|s| s.label.clone()).unwrap_or_default()
            }
            (RuleKind::Cluster(_), State::Cluster(st)) => st.name(s32).to_string(),
            (RuleKind::Cluster(_), _) => String::new(),
        }
    }

    /// How many units, sensors, cameras and incidents it knows (live ones).
    pub fn known(&self) -> [usize; 4] {
        [
            self.units.live().count(),
            self.sensors.live().count(),
            self.cameras.live().count(),
            self.incidents.live().filter(|(_, s)| s.version.is_some()).count(),
        ]
    }
}
