//! Where the served state comes from: the simulator, or a recording played back at its pace.
//!
//! A recording (`--record FILE`) is JSON lines: first `{"t":0,"snapshot":{..}}`, then one
//! `{"t":MS,"batch":{..}}` per streamed batch, `t` in milliseconds since the recording started.

use std::collections::VecDeque;
use std::path::Path;

use serde::Deserialize;
use twinhall_core::protocol::{Batch, Camera, DispatchOrder, DispatchRequest, GovernanceIndex, Millis, Snapshot};
use twinhall_core::sim::Simulation;
use twinhall_core::store::FeedStore;

/// A recording being served.
pub struct Replay {
    store: FeedStore,
    pending: VecDeque<(Millis, Batch)>,
    /// Recording time served so far.
    elapsed_ms: Millis,
    start_ms: Millis,
}

#[derive(Deserialize)]
struct Line {
    t: Millis,
    #[serde(default)]
    snapshot: Option<Box<Snapshot>>,
    #[serde(default)]
    batch: Option<Box<Batch>>,
}

impl Replay {
    /// Reads a recording. The first line must be a snapshot; a broken later line is skipped with
    /// a warning naming it (its gap makes clients resync, as a live gap would).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let (_, first) = lines.next().ok_or_else(|| format!("{}: empty recording", path.display()))?;
        let first: Line =
            serde_json::from_str(first).map_err(|e| format!("{}:1: not a recording line: {e}", path.display()))?;
        let snapshot =
            first.snapshot.ok_or_else(|| format!("{}:1: the first line must hold a snapshot", path.display()))?;
        let start_ms = snapshot.generated_at;
        let mut store = FeedStore::default();
        store.apply_snapshot(*snapshot);
        let mut pending = VecDeque::new();
        for (n, line) in lines {
            match serde_json::from_str::<Line>(line) {
                Ok(Line { t, batch: Some(b), .. }) => pending.push_back((t, *b)),
                Ok(_) => tracing::warn!("{}:{}: no batch in this line; skipped", path.display(), n + 1),
                Err(e) => tracing::warn!("{}:{}: skipped: {e}", path.display(), n + 1),
            }
        }
        Ok(Self { store, pending, elapsed_ms: 0, start_ms })
    }

    pub fn remaining(&self) -> usize {
        self.pending.len()
    }
}

pub enum Source {
    Sim(Box<Simulation>),
    Replay(Box<Replay>),
}

impl Source {
    pub fn seq(&self) -> u64 {
        match self {
            Source::Sim(s) => s.seq(),
            Source::Replay(r) => r.store.seq,
        }
    }

    pub fn now_ms(&self) -> Millis {
        match self {
            Source::Sim(s) => s.now_ms(),
            Source::Replay(r) => r.start_ms + r.elapsed_ms,
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        match self {
            Source::Sim(s) => s.snapshot(),
            Source::Replay(r) => r.store.to_snapshot(r.start_ms + r.elapsed_ms),
        }
    }

    /// Advances by `dt_ms` and returns the batches that came of it, in order.
    pub fn tick(&mut self, dt_ms: Millis) -> Vec<Batch> {
        match self {
            Source::Sim(s) => {
                s.step(dt_ms);
                s.take_batch().into_iter().collect()
            }
            Source::Replay(r) => {
                r.elapsed_ms += dt_ms;
                let mut out = Vec::new();
                while r.pending.front().is_some_and(|(t, _)| *t <= r.elapsed_ms) {
                    let Some((_, b)) = r.pending.pop_front() else { break };
                    match r.store.apply_batch(b.clone()) {
                        Ok(_) => out.push(b),
                        Err(e) => {
                            // A gap in the recording: serve the batches anyway (they carry their
                            // seq), so clients see the gap and resync onto the store's state.
                            tracing::warn!("replay: {e}; continuing after it");
                            r.store.seq = b.seq - 1;
                            let _ = r.store.apply_batch(b.clone());
                            out.push(b);
                        }
                    }
                }
                out
            }
        }
    }

    pub fn camera(&self, id: &str) -> Option<&Camera> {
        match self {
            Source::Sim(s) => s.camera(id),
            Source::Replay(r) => r.store.cameras.get(id),
        }
    }

    /// A drone's aerial still to draw; a replay has no city to draw from.
    pub fn aerial_shot(
        &self,
        unit_id: &str,
    ) -> Option<(std::sync::Arc<twinhall_core::aerial::AerialScene>, twinhall_core::aerial::AerialShot)> {
        match self {
            Source::Sim(s) => s.aerial_shot(unit_id),
            Source::Replay(_) => None,
        }
    }

    pub fn index(&self) -> Option<GovernanceIndex> {
        match self {
            Source::Sim(s) => Some(s.index().clone()),
            Source::Replay(r) => r.store.index.clone(),
        }
    }

    pub fn dispatch(&mut self, req: &DispatchRequest) -> Result<DispatchOrder, String> {
        match self {
            Source::Sim(s) => s.dispatch(req).map_err(|e| e.to_string()),
            Source::Replay(_) => Err("this backend replays a recording and takes no dispatch orders".into()),
        }
    }

    pub fn restore_order(&mut self, order: DispatchOrder) {
        if let Source::Sim(s) = self {
            s.restore_order(order);
        }
    }

    /// Notes the id of an incident reported before a restart, never to give it again.
    pub fn restore_incident_id(&mut self, id: &str) {
        if let Source::Sim(s) = self {
            s.restore_incident_id(id);
        }
    }

    pub fn order(&self, id: &str) -> Option<DispatchOrder> {
        match self {
            Source::Sim(s) => s.order(id),
            Source::Replay(_) => None,
        }
    }

    pub fn orders(&self) -> Vec<DispatchOrder> {
        match self {
            Source::Sim(s) => s.orders(),
            Source::Replay(_) => Vec::new(),
        }
    }

    /// The incidents reported in `[since_ms, now)`, at most `limit` (see
    /// [`Simulation::history`]); a replay keeps none.
    pub fn history(&self, since_ms: Millis, limit: usize) -> Option<twinhall_core::protocol::IncidentHistory> {
        match self {
            Source::Sim(s) => Some(s.history(since_ms, limit)),
            Source::Replay(_) => None,
        }
    }

    /// The governance index reports kept in `[since_ms, now)`, at most `limit` (see
    /// [`Simulation::index_history`]); a replay keeps none.
    pub fn index_history(&self, since_ms: Millis, limit: usize) -> Option<twinhall_core::protocol::IndexHistory> {
        match self {
            Source::Sim(s) => Some(s.index_history(since_ms, limit)),
            Source::Replay(_) => None,
        }
    }

    pub fn is_replay(&self) -> bool {
        matches!(self, Source::Replay(_))
    }
}
