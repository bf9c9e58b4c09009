//! The feed store: what the feed reported, by kind and id, and which ids changed since the
//! layers last looked. One system drains the channel under a time budget and applies each
//! message in place; a snapshot replaces the state in one step.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_core::protocol::{Camera, EntityHeader, EntityKind, Incident, Unit};

use super::embedded::{FeedMessage, FeedReceiver};
use super::{FeedState, FeedStatus};
use crate::AppSystems;

/// Time the drain may take a frame.
const BUDGET: Duration = Duration::from_millis(4);
/// No message for this long marks the feed stale.
const STALE_AFTER: Duration = Duration::from_secs(3);

/// Entities of one kind, and the ids changed or removed since `take_dirty`.
#[derive(Debug)]
pub struct Table<T> {
    pub items: HashMap<String, T>,
    pub dirty: HashSet<String>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self { items: HashMap::new(), dirty: HashSet::new() }
    }
}

impl<T: EntityHeader> Table<T> {
    /// Inserts or replaces an entity unless the one held is newer.
    fn upsert(&mut self, e: T) {
        if self.items.get(e.id()).is_some_and(|old| old.version() >= e.version()) {
            return;
        }
        self.dirty.insert(e.id().to_owned());
        self.items.insert(e.id().to_owned(), e);
    }

    fn remove(&mut self, id: &str) {
        if self.items.remove(id).is_some() {
            self.dirty.insert(id.to_owned());
        }
    }

    /// Replaces everything: ids the new set lacks are removed.
    fn replace(&mut self, all: Vec<T>) {
        let keep: HashSet<&str> = all.iter().map(|e| e.id()).collect();
        let gone: Vec<String> = self.items.keys().filter(|k| !keep.contains(k.as_str())).cloned().collect();
        for id in gone {
            self.remove(&id);
        }
        for e in all {
            self.upsert(e);
        }
    }

    pub fn take_dirty(&mut self) -> HashSet<String> {
        std::mem::take(&mut self.dirty)
    }
}

#[derive(Resource, Debug, Default)]
pub struct FeedStore {
    pub seq: u64,
    pub incidents: Table<Incident>,
    pub cameras: Table<Camera>,
    pub units: Table<Unit>,
    pub last_message: Option<Instant>,
    /// Messages skipped because they did not follow the last sequence number.
    pub out_of_order: u64,
}

/// Applies one message; a batch must follow the last sequence number (a duplicate is ignored,
/// a gap is an error that calls for a resync).
pub fn apply_message(store: &mut FeedStore, msg: FeedMessage) -> Result<(), String> {
    match msg {
        FeedMessage::Snapshot(s) => {
            let e = s.entities;
            store.incidents.replace(e.incidents);
            store.cameras.replace(e.cameras);
            store.units.replace(e.units);
            store.seq = s.seq;
        }
        FeedMessage::Batch(b) => {
            let b = *b;
            if b.seq <= store.seq {
                return Ok(());
            }
            if b.seq != store.seq + 1 {
                store.out_of_order += 1;
                return Err(format!("sequence gap: expected {}, got {}", store.seq + 1, b.seq));
            }
            for i in b.upserts.incidents {
                store.incidents.upsert(i);
            }
            for c in b.upserts.cameras {
                store.cameras.upsert(c);
            }
            for u in b.upserts.units {
                store.units.upsert(u);
            }
            for r in b.removals {
                match r.kind {
                    EntityKind::Incident => store.incidents.remove(&r.id),
                    EntityKind::Camera => store.cameras.remove(&r.id),
                    EntityKind::Unit => store.units.remove(&r.id),
                    _ => {}
                }
            }
            store.seq = b.seq;
        }
    }
    Ok(())
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FeedStore>().add_systems(Update, ingest_feed.in_set(AppSystems::IngestFeed));
}

fn ingest_feed(receiver: Option<Res<FeedReceiver>>, mut store: ResMut<FeedStore>, mut status: ResMut<FeedStatus>) {
    let Some(receiver) = receiver else { return };
    let start = Instant::now();
    let mut got = false;
    while start.elapsed() < BUDGET {
        let Ok(msg) = receiver.0.try_recv() else { break };
        got = true;
        if let Err(e) = apply_message(&mut store, msg) {
            warn!("feed: {e}");
        }
    }
    let now = Instant::now();
    if got {
        store.last_message = Some(now);
    }
    let next = match store.last_message {
        None => FeedState::Connecting,
        Some(t) if now.duration_since(t) > STALE_AFTER => FeedState::Stale(now.duration_since(t).as_secs()),
        Some(_) => FeedState::Live,
    };
    if status.state != next {
        status.state = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use twinhall_core::LonLat;
    use twinhall_core::sim::{SimConfig, Simulation};

    #[test]
    fn snapshot_then_batches_track_the_simulator_exactly() {
        let city = twinhall_core::generate::generate_city(400, 2, LonLat::new(114.06, 22.54));
        let mut sim = Simulation::new(&city, SimConfig { incidents_per_minute: 40.0, ..Default::default() });
        let mut store = FeedStore::default();
        apply_message(&mut store, FeedMessage::Snapshot(Box::new(sim.snapshot()))).expect("snapshot");
        let mut batches = Vec::new();
        for _ in 0..30 {
            sim.step(1000);
            batches.extend(sim.take_batch());
        }
        // A duplicate is ignored; a gap is refused.
        let dup = batches[0].clone();
        for b in batches.clone() {
            apply_message(&mut store, FeedMessage::Batch(Box::new(b))).expect("in order");
        }
        apply_message(&mut store, FeedMessage::Batch(Box::new(dup))).expect("a duplicate is ignored");
        let snap = sim.snapshot();
        let versions = |v: Vec<(String, u64)>| v.into_iter().collect::<std::collections::BTreeMap<_, _>>();
        assert_eq!(
            versions(store.units.items.values().map(|u| (u.id.clone(), u.version)).collect()),
            versions(snap.entities.units.iter().map(|u| (u.id.clone(), u.version)).collect())
        );
        assert_eq!(
            versions(store.incidents.items.values().map(|u| (u.id.clone(), u.version)).collect()),
            versions(snap.entities.incidents.iter().map(|u| (u.id.clone(), u.version)).collect())
        );
        let mut gap = batches[0].clone();
        gap.seq = store.seq + 5;
        assert!(apply_message(&mut store, FeedMessage::Batch(Box::new(gap))).is_err());
        assert_eq!(store.out_of_order, 1);
    }

    #[test]
    fn a_snapshot_drops_what_it_lacks() {
        let city = twinhall_core::generate::generate_city(100, 2, LonLat::new(114.06, 22.54));
        let sim = Simulation::new(&city, SimConfig { units: 5, ..Default::default() });
        let mut store = FeedStore::default();
        apply_message(&mut store, FeedMessage::Snapshot(Box::new(sim.snapshot()))).expect("snapshot");
        assert_eq!(store.units.items.len(), 5);
        store.units.take_dirty();
        let mut smaller = sim.snapshot();
        smaller.entities.units.truncate(2);
        apply_message(&mut store, FeedMessage::Snapshot(Box::new(smaller))).expect("snapshot");
        assert_eq!(store.units.items.len(), 2);
        assert_eq!(store.units.take_dirty().len(), 3, "the three dropped units are reported as changed");
    }
}
