//! The feed store: what the feed reported, by kind and id, and which entities changed since the
//! layers last looked. GPU-free, so the app, the reference backend's replay and the tests share
//! one set of rules:
//!
//! - a batch must follow the last sequence number: an older or equal one is a duplicate and is
//!   ignored, a later one is a gap and is refused (the caller resyncs);
//! - within a batch an entity replaces the one held only when its version is newer;
//! - a snapshot replaces the whole state in one step, whatever the versions (a restarted backend
//!   starts its versions again), dropping what it lacks;
//! - an entity past its `stale_after` time is marked stale until it is updated.
//!
//! Entities live in slots: a slot number stays with its id while the id lives, so a layer can keep
//! a `Vec` from slot to its own entity and update in place without hashing ids again.

use std::collections::{BTreeMap, HashMap};

use crate::protocol::{
    Area, Batch, Camera, Entities, EntityHeader, EntityKind, Facility, GovernanceIndex, Incident, Millis, Sensor,
    Snapshot, SupplyDepot, Unit,
};

const DIRTY: u8 = 1;
const STALE: u8 = 2;

/// Entities of one kind.
#[derive(Debug, Clone)]
pub struct Table<T> {
    index: HashMap<String, u32>,
    slots: Vec<Option<T>>,
    flags: Vec<u8>,
    free: Vec<u32>,
    dirty: Vec<u32>,
    stale: usize,
    /// When the table last changed (upsert, removal or snapshot), in the feed's time.
    pub updated_at: Option<Millis>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            index: HashMap::new(),
            slots: Vec::new(),
            flags: Vec::new(),
            free: Vec::new(),
            dirty: Vec::new(),
            stale: 0,
            updated_at: None,
        }
    }
}

impl<T: EntityHeader> Table<T> {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Number of slots (live or free); slot numbers are below this.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    pub fn get(&self, id: &str) -> Option<&T> {
        self.index.get(id).and_then(|&s| self.slots[s as usize].as_ref())
    }

    pub fn slot_of(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The entity in a slot, if the slot is live.
    pub fn slot(&self, slot: u32) -> Option<&T> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn is_stale(&self, slot: u32) -> bool {
        self.flags.get(slot as usize).is_some_and(|f| f & STALE != 0)
    }

    pub fn stale_count(&self) -> usize {
        self.stale
    }

    /// Live entities with their slots.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (i as u32, e)))
    }

    /// Every (id, version) held, sorted by id.
    pub fn versions(&self) -> BTreeMap<String, u64> {
        self.iter().map(|(_, e)| (e.id().to_owned(), e.version())).collect()
    }

    fn mark(&mut self, slot: u32) {
        let f = &mut self.flags[slot as usize];
        if *f & DIRTY == 0 {
            *f |= DIRTY;
            self.dirty.push(slot);
        }
    }

    fn clear_stale(&mut self, slot: u32) {
        let f = &mut self.flags[slot as usize];
        if *f & STALE != 0 {
            *f &= !STALE;
            self.stale -= 1;
        }
    }

    /// Stores `e`; with `only_newer`, only when it is newer than the one held. True if stored.
    fn put(&mut self, e: T, only_newer: bool) -> bool {
        if let Some(&slot) = self.index.get(e.id()) {
            let held = self.slots[slot as usize].as_ref();
            if only_newer && held.is_some_and(|old| old.version() >= e.version()) {
                return false;
            }
            let same = held.is_some_and(|old| old.version() == e.version());
            self.slots[slot as usize] = Some(e);
            if !same {
                self.clear_stale(slot);
                self.mark(slot);
            }
            return true;
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.flags.push(0);
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(e.id().to_owned(), slot);
        self.slots[slot as usize] = Some(e);
        self.mark(slot);
        true
    }

    /// Inserts `e`, or replaces the one held if `e` is newer. True if stored.
    pub fn upsert(&mut self, e: T) -> bool {
        self.put(e, true)
    }

    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.index.remove(id) else { return false };
        self.slots[slot as usize] = None;
        self.clear_stale(slot);
        self.mark(slot);
        self.free.push(slot);
        true
    }

    /// Replaces everything with `all`: entities it lacks are removed, the rest stored whatever
    /// their versions; only what differs is marked changed.
    pub fn replace(&mut self, all: Vec<T>) {
        let mut keep: HashMap<&str, ()> = HashMap::with_capacity(all.len());
        for e in &all {
            keep.insert(e.id(), ());
        }
        let gone: Vec<String> = self.index.keys().filter(|k| !keep.contains_key(k.as_str())).cloned().collect();
        drop(keep);
        for id in gone {
            self.remove(&id);
        }
        for e in all {
            self.put(e, false);
        }
    }

    /// Slots changed since the last call (their entity may be gone: `slot` then gives `None`).
    pub fn take_dirty(&mut self) -> Vec<u32> {
        let dirty = std::mem::take(&mut self.dirty);
        for &s in &dirty {
            self.flags[s as usize] &= !DIRTY;
        }
        dirty
    }

    /// Marks entities whose `stale_after` is before `now` as stale (and changed); returns how
    /// many became stale.
    pub fn expire(&mut self, now: Millis) -> usize {
        let mut newly = Vec::new();
        for (i, e) in self.slots.iter().enumerate() {
            let Some(e) = e else { continue };
            if self.flags[i] & STALE == 0 && e.stale_after().is_some_and(|t| t < now) {
                newly.push(i as u32);
            }
        }
        for &s in &newly {
            self.flags[s as usize] |= STALE;
            self.mark(s);
        }
        self.stale += newly.len();
        newly.len()
    }
}

/// A batch that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("sequence gap: expected {expected}, got {got}")]
    Gap { expected: u64, got: u64 },
    #[error("a batch arrived before any snapshot")]
    NoSnapshot,
}

/// What applying a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Applied: this many entities were stored or removed.
    Changes(usize),
    /// Already applied (sequence not after the last): ignored.
    Duplicate,
}

/// Everything the feed reported.
#[derive(Debug, Default, Clone)]
pub struct FeedStore {
    /// Sequence number of the last snapshot or batch applied.
    pub seq: u64,
    /// The backend instance of the last snapshot.
    pub epoch: u64,
    /// Whether a snapshot was applied.
    pub synced: bool,
    pub incidents: Table<Incident>,
    pub cameras: Table<Camera>,
    pub facilities: Table<Facility>,
    pub supply_depots: Table<SupplyDepot>,
    pub units: Table<Unit>,
    pub sensors: Table<Sensor>,
    pub areas: Table<Area>,
    pub index: Option<GovernanceIndex>,
    /// Set when the index changed; cleared by whoever shows it.
    pub index_changed: bool,
    /// Batches ignored as duplicates, and refused for a gap.
    pub duplicates: u64,
    pub gaps: u64,
}

impl FeedStore {
    /// Replaces the whole state with a snapshot.
    pub fn apply_snapshot(&mut self, s: Snapshot) {
        let e = s.entities;
        let t = Some(s.generated_at);
        self.incidents.replace(e.incidents);
        self.cameras.replace(e.cameras);
        self.facilities.replace(e.facilities);
        self.supply_depots.replace(e.supply_depots);
        self.units.replace(e.units);
        self.sensors.replace(e.sensors);
        self.areas.replace(e.areas);
        self.incidents.updated_at = t;
        self.cameras.updated_at = t;
        self.facilities.updated_at = t;
        self.supply_depots.updated_at = t;
        self.units.updated_at = t;
        self.sensors.updated_at = t;
        self.areas.updated_at = t;
        if self.index != s.index {
            self.index = s.index;
            self.index_changed = true;
        }
        self.seq = s.seq;
        self.epoch = s.epoch;
        self.synced = true;
    }

    /// Applies the batch that follows the last sequence number.
    pub fn apply_batch(&mut self, b: Batch) -> Result<Applied, ApplyError> {
        if !self.synced {
            return Err(ApplyError::NoSnapshot);
        }
        if b.seq <= self.seq {
            self.duplicates += 1;
            return Ok(Applied::Duplicate);
        }
        if b.seq != self.seq + 1 {
            self.gaps += 1;
            return Err(ApplyError::Gap { expected: self.seq + 1, got: b.seq });
        }
        let mut n = 0;
        let u = b.upserts;
        n += upsert_all(&mut self.incidents, u.incidents);
        n += upsert_all(&mut self.cameras, u.cameras);
        n += upsert_all(&mut self.facilities, u.facilities);
        n += upsert_all(&mut self.supply_depots, u.supply_depots);
        n += upsert_all(&mut self.units, u.units);
        n += upsert_all(&mut self.sensors, u.sensors);
        n += upsert_all(&mut self.areas, u.areas);
        for r in b.removals {
            let removed = match r.kind {
                EntityKind::Incident => self.incidents.remove(&r.id),
                EntityKind::Camera => self.cameras.remove(&r.id),
                EntityKind::Facility => self.facilities.remove(&r.id),
                EntityKind::SupplyDepot => self.supply_depots.remove(&r.id),
                EntityKind::Unit => self.units.remove(&r.id),
                EntityKind::Sensor => self.sensors.remove(&r.id),
                EntityKind::Area => self.areas.remove(&r.id),
            };
            n += usize::from(removed);
        }
        if let Some(index) = b.index {
            self.index = Some(index);
            self.index_changed = true;
        }
        self.seq = b.seq;
        Ok(Applied::Changes(n))
    }

    /// Marks entities past their stale-after time in every table; returns how many became stale.
    pub fn expire(&mut self, now: Millis) -> usize {
        self.incidents.expire(now)
            + self.cameras.expire(now)
            + self.facilities.expire(now)
            + self.supply_depots.expire(now)
            + self.units.expire(now)
            + self.sensors.expire(now)
            + self.areas.expire(now)
    }

    /// Entities held, all kinds.
    pub fn len(&self) -> usize {
        self.incidents.len()
            + self.cameras.len()
            + self.facilities.len()
            + self.supply_depots.len()
            + self.units.len()
            + self.sensors.len()
            + self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every (kind/id, version) held, for comparing two states.
    pub fn versions(&self) -> BTreeMap<String, u64> {
        let mut all = BTreeMap::new();
        let mut add = |kind: &str, v: BTreeMap<String, u64>| {
            all.extend(v.into_iter().map(|(id, ver)| (format!("{kind}/{id}"), ver)));
        };
        add("incident", self.incidents.versions());
        add("camera", self.cameras.versions());
        add("facility", self.facilities.versions());
        add("supply_depot", self.supply_depots.versions());
        add("unit", self.units.versions());
        add("sensor", self.sensors.versions());
        add("area", self.areas.versions());
        all
    }

    /// The state as a snapshot (for a replaying backend).
    pub fn to_snapshot(&self, generated_at: Millis) -> Snapshot {
        fn all<T: Clone + EntityHeader>(t: &Table<T>) -> Vec<T> {
            t.iter().map(|(_, e)| e.clone()).collect()
        }
        Snapshot {
            protocol: crate::protocol::PROTOCOL.into(),
            epoch: self.epoch,
            seq: self.seq,
            crs: "EPSG:4326".into(),
            generated_at,
            entities: Entities {
                incidents: all(&self.incidents),
                cameras: all(&self.cameras),
                facilities: all(&self.facilities),
                supply_depots: all(&self.supply_depots),
                units: all(&self.units),
                sensors: all(&self.sensors),
                areas: all(&self.areas),
            },
            index: self.index.clone(),
        }
    }
}

fn upsert_all<T: EntityHeader>(table: &mut Table<T>, items: Vec<T>) -> usize {
    let newest = items.iter().map(EntityHeader::updated_at).max();
    if newest > table.updated_at {
        table.updated_at = newest;
    }
    items.into_iter().map(|e| usize::from(table.upsert(e))).sum()
}

/// Snapshot versions as `versions()` gives them, for comparing a client with its backend.
pub fn snapshot_versions(s: &Snapshot) -> BTreeMap<String, u64> {
    let mut store = FeedStore::default();
    store.apply_snapshot(s.clone());
    store.versions()
}
