//! The app's copy of what the feed reported (twinhall_core's store, GPU-free), filled by one
//! system that drains the feed's channel under a per-frame time budget, and marked stale where
//! entities pass their stale-after time (checked once a second, not every frame).

use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_client::{ClientEvent, LinkState};
use twinhall_core::protocol::now_ms;
use twinhall_core::store::FeedStore;

use super::{FeedLink, FeedStatus};
use crate::context::AppSystems;

/// Time the drain may take a frame.
const BUDGET: Duration = Duration::from_millis(4);
/// For the embedded feed, no batch for this long shows stale (a remote link reports its own).
const STALE_AFTER: Duration = Duration::from_secs(3);

/// The feed's changes as the store applied them, in order, for a feature that follows them
/// itself (the tactile hub's rules, which must see every reading, not just the latest). Kept
/// only while such a feature has inserted it; it drains it every frame.
#[derive(Resource, Default, Debug)]
pub struct FeedTap {
    pub applied: Vec<FeedApplied>,
    /// Set when more piled up than [`FeedTap::MAX`] (the reader stopped): it was cleared, and the
    /// reader must start again from the store's state.
    pub lost: bool,
}

impl FeedTap {
    /// Changes kept for a reader that falls behind before they are dropped.
    pub const MAX: usize = 4096;
}

/// The feed's changes as the store applied them, for the followers of a wall of several
/// machines (the leader sends them on); present only on a leader, drained every frame.
#[derive(Resource, Default, Debug)]
pub struct FeedForward {
    pub applied: Vec<FeedApplied>,
    /// More than [`FeedTap::MAX`] piled up and were dropped: the followers need a new snapshot.
    pub lost: bool,
}

impl FeedForward {
    fn push(&mut self, change: FeedApplied) {
        if self.applied.len() >= FeedTap::MAX {
            self.applied.clear();
            self.lost = true;
        }
        self.applied.push(change);
    }
}

/// One change the store applied.
#[derive(Debug, Clone)]
pub enum FeedApplied {
    Snapshot(std::sync::Arc<twinhall_core::protocol::Snapshot>),
    Batch(std::sync::Arc<twinhall_core::protocol::Batch>),
}

/// What the feed reported, by kind and id, with the slots that changed since the layers looked.
#[derive(Resource, Debug, Default, Deref, DerefMut)]
pub struct FeedData(pub FeedStore);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FeedData>()
        .add_systems(Update, (ingest_feed, expire_entities).chain().in_set(AppSystems::Ingest));
}

/// Applies what arrived, within the budget; the rest waits for the next frame, in order.
pub fn ingest_feed(
    link: Option<Res<FeedLink>>,
    mut data: ResMut<FeedData>,
    mut status: ResMut<FeedStatus>,
    mut tap: Option<ResMut<FeedTap>>,
    mut forward: Option<ResMut<FeedForward>>,
) {
    let Some(link) = link else { return };
    let start = Instant::now();
    let mut got = false;
    let mut state = None;
    while start.elapsed() < BUDGET {
        let Ok(ev) = link.events.try_recv() else { break };
        let copy = tap.is_some() || forward.is_some();
        let mut keep = |change: FeedApplied| {
            if let Some(f) = forward.as_deref_mut() {
                f.push(change.clone());
            }
            if let Some(tap) = tap.as_deref_mut() {
                tap.push(change);
            }
        };
        match ev {
            ClientEvent::State(s) => state = Some(s),
            ClientEvent::Snapshot(s) => {
                if copy {
                    keep(FeedApplied::Snapshot(std::sync::Arc::new((*s).clone())));
                }
                data.apply_snapshot(*s);
                got = true;
            }
            ClientEvent::Batch(b) => {
                let kept = copy.then(|| std::sync::Arc::new((*b).clone()));
                // The client hands batches on in sequence; a refusal here would be a bug upstream.
                match data.apply_batch(*b) {
                    Ok(_) => {
                        if let Some(b) = kept {
                            keep(FeedApplied::Batch(b));
                        }
                    }
                    Err(e) => warn!("feed: batch not applied: {e}"),
                }
                got = true;
            }
        }
    }
    let now = Instant::now();
    let last_data = if got { Some(now) } else { status.last_data };
    if status.embedded && status.state.is_live() && last_data.is_some_and(|t| now.duration_since(t) > STALE_AFTER) {
        let silent_ms = last_data.map(|t| now.duration_since(t).as_millis() as u64).unwrap_or(0);
        state = Some(LinkState::Stale { silent_ms });
    }
    if status.embedded && got && matches!(status.state, LinkState::Stale { .. }) {
        state = Some(LinkState::Live);
    }
    let stats = link.client.as_ref().map(|c| c.stats());
    let get = |f: fn(&twinhall_client::ClientStats) -> &std::sync::atomic::AtomicU64| {
        stats.map(|s| twinhall_client::ClientStats::get(f(s))).unwrap_or(0)
    };
    let malformed = get(|s| &s.malformed) + get(|s| &s.odd_lines);
    let refused = stats.map(|s| s.refused()).unwrap_or(0);
    // Write only on change: a write marks the status changed for every reader.
    if got {
        status.last_data = last_data;
    }
    if let Some(s) = state
        && s != status.state
    {
        status.state = s;
    }
    if malformed != status.malformed {
        status.malformed = malformed;
    }
    if refused != status.refused {
        status.refused = refused;
    }
}

impl FeedTap {
    fn push(&mut self, change: FeedApplied) {
        if self.applied.len() >= Self::MAX {
            self.applied.clear();
            self.lost = true;
        }
        self.applied.push(change);
    }
}

/// When the store was last looked at for staleness: whether it changed since, and the earliest
/// stale-after time of an entity not yet stale (known only after a look at a quiet store).
#[derive(Default)]
struct ExpiryWatch {
    changed: bool,
    next: Option<twinhall_core::protocol::Millis>,
}

/// The earliest stale-after time of an entity not yet stale (`Millis::MAX` when none has one).
fn next_expiry<T: twinhall_core::protocol::EntityHeader>(
    table: &twinhall_core::store::Table<T>,
) -> twinhall_core::protocol::Millis {
    table
        .iter()
        .filter(|(slot, _)| !table.is_stale(*slot))
        .filter_map(|(_, e)| e.stale_after())
        .min()
        .unwrap_or(twinhall_core::protocol::Millis::MAX)
}

/// Once a second: entities past their stale-after time are marked stale. While nothing arrives,
/// the store is not scanned again before the next entity is due.
fn expire_entities(mut data: ResMut<FeedData>, mut last: Local<Option<Instant>>, mut watch: Local<ExpiryWatch>) {
    // Changes by others since this system last ran (its own marks are not seen here).
    if data.is_changed() {
        watch.changed = true;
    }
    if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
        return;
    }
    *last = Some(Instant::now());
    let now = now_ms();
    if !watch.changed && watch.next.is_some_and(|next| now <= next) {
        return;
    }
    let changed = std::mem::take(&mut watch.changed);
    watch.next = None;
    if data.bypass_change_detection().synced {
        let n = data.bypass_change_detection().expire(now);
        if n > 0 {
            data.set_changed();
            debug!("feed: {n} entities went stale");
        }
        // A second quiet look in a row: find when the next entity is due (one more scan, then
        // none until then).
        if !changed {
            let d = data.bypass_change_detection();
            let next = [
                next_expiry(&d.incidents),
                next_expiry(&d.cameras),
                next_expiry(&d.facilities),
                next_expiry(&d.supply_depots),
                next_expiry(&d.units),
                next_expiry(&d.sensors),
                next_expiry(&d.areas),
            ];
            watch.next = next.into_iter().min();
        }
    }
}
