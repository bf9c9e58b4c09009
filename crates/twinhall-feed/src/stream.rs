//! `GET /v1/stream`: Server-Sent Events. A stream first catches up from the history one batch at
//! a time (so a new stream holds one batch, never a copy of the whole history, however slow its
//! client reads), then follows the live broadcast with a heartbeat every second. A sequence the
//! server cannot continue from gets a `reset` at once.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, Sse};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use tokio::sync::broadcast;
use twinhall_core::protocol::{Heartbeat, Reset};

use crate::{Inner, Shared};

#[derive(Deserialize)]
pub(crate) struct After {
    after: Option<u64>,
    /// The epoch `after` is from; another epoch than this server's gets a reset.
    epoch: Option<u64>,
}

enum Phase {
    /// Sending the kept batches after `last`.
    CatchUp,
    Live(broadcast::Receiver<(u64, Arc<str>)>),
    Done,
}

struct StreamState {
    phase: Phase,
    beat: tokio::time::Interval,
    /// The last sequence sent (or the client's `after`).
    last: u64,
    shared: Arc<Shared>,
}

/// Whether a stream cannot continue after `after`: it is older than the history kept, or ahead
/// of this server (which restarted). No arithmetic that could overflow, whatever `after` is.
fn gone(inner: &Inner, after: u64) -> Option<Reset> {
    let seq = inner.sim.seq();
    let oldest = inner.history.front().map_or(seq.saturating_add(1), |(s, _)| *s);
    let too_old = after < seq && after < oldest.saturating_sub(1);
    (too_old || after > seq).then_some(Reset { oldest_seq: oldest, seq })
}

fn reset_event(r: &Reset) -> Event {
    Event::default().event("reset").data(serde_json::to_string(r).unwrap_or_default())
}

pub(crate) async fn stream_events(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<After>,
) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    let (last, first) = {
        let inner = shared.lock();
        let after = q.after.unwrap_or_else(|| inner.sim.seq());
        let reset = if q.epoch.is_some_and(|e| e != shared.epoch) {
            let seq = inner.sim.seq();
            Some(Reset { oldest_seq: inner.history.front().map_or(seq.saturating_add(1), |(s, _)| *s), seq })
        } else {
            gone(&inner, after)
        };
        (after, reset)
    };
    let mut beat = tokio::time::interval(Duration::from_secs(1));
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (phase, head) = match first {
        Some(r) => (Phase::Done, Some(Ok(reset_event(&r)))),
        None => (Phase::CatchUp, None),
    };
    let state = StreamState { phase, beat, last, shared };
    Sse::new(stream::StreamExt::chain(stream::iter(head), stream::unfold(state, next_event)))
}

enum CatchUp {
    Batch(u64, Arc<str>),
    /// Nothing more kept: the live broadcast, subscribed.
    Caught(broadcast::Receiver<(u64, Arc<str>)>),
    Reset(Reset),
}

/// The kept batch after `last`, under the lock for a moment.
fn catch_up(shared: &Shared, last: u64) -> CatchUp {
    let inner = shared.lock();
    if let Some(r) = gone(&inner, last) {
        return CatchUp::Reset(r);
    }
    let i = inner.history.partition_point(|(s, _)| *s <= last);
    match inner.history.get(i) {
        Some((seq, json)) => CatchUp::Batch(*seq, json.clone()),
        // Subscribed under the lock: every batch kept after this is also broadcast after it.
        None => CatchUp::Caught(shared.tx.subscribe()),
    }
}

async fn next_event(mut st: StreamState) -> Option<(Result<Event, std::convert::Infallible>, StreamState)> {
    loop {
        match &mut st.phase {
            Phase::Done => return None,
            Phase::CatchUp => match catch_up(&st.shared, st.last) {
                CatchUp::Reset(r) => {
                    st.phase = Phase::Done;
                    return Some((Ok(reset_event(&r)), st));
                }
                CatchUp::Batch(seq, json) => {
                    st.last = seq;
                    return Some((Ok(Event::default().event("batch").id(seq.to_string()).data(&*json)), st));
                }
                CatchUp::Caught(rx) => st.phase = Phase::Live(rx),
            },
            Phase::Live(rx) => {
                tokio::select! {
                    msg = rx.recv() => match msg {
                        Ok((seq, json)) if seq > st.last => {
                            st.last = seq;
                            let ev = Event::default().event("batch").id(seq.to_string()).data(&*json);
                            return Some((Ok(ev), st));
                        }
                        Ok(_) => continue,
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            // This client fell behind the broadcast: tell it to reload.
                            let seq = st.shared.lock().sim.seq();
                            st.phase = Phase::Done;
                            return Some((Ok(reset_event(&Reset { oldest_seq: seq, seq })), st));
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    _ = st.beat.tick() => {
                        let (seq, time) = {
                            let inner = st.shared.lock();
                            (inner.sim.seq(), inner.sim.now_ms())
                        };
                        let hb = Heartbeat { seq, time, epoch: st.shared.epoch };
                        let ev = Event::default().event("heartbeat").data(serde_json::to_string(&hb).unwrap_or_default());
                        return Some((Ok(ev), st));
                    }
                }
            }
        }
    }
}
