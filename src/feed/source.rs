//! Which backend answers this instance's requests, in one place: the remote feed's client, the
//! embedded simulator, or (a follower of a wall of several machines) the leader, which relays what
//! it loaded. Dispatch orders, incident reports and the histories all ask [`FeedSource`]; the
//! histories are fetched by one [`Fetch`], retried after a failure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};
use twinhall_client::outbox::{DispatchSink, SendError};
use twinhall_client::{FeedClient, ReportSink};
use twinhall_core::protocol::{DispatchOrder, DispatchRequest, IncidentHistory, IndexHistory, Millis};

use super::{EmbeddedDispatch, FeedLink};

/// What a leader loaded besides the feed, relayed to a follower (which has no backend of its own):
/// the receiving ends its histories arrive on. Inserted by the wall's link on a follower.
#[derive(Resource)]
pub struct HistoryRelay {
    pub history: Receiver<Result<IncidentHistory, String>>,
    pub index_history: Receiver<Result<IndexHistory, String>>,
}

impl HistoryRelay {
    /// The relay and the ends the link sends on.
    pub fn new() -> (Self, RelaySenders) {
        let (history_tx, history) = bounded(1);
        let (index_history_tx, index_history) = bounded(1);
        (Self { history, index_history }, RelaySenders { history: history_tx, index_history: index_history_tx })
    }
}

/// The sending ends of a [`HistoryRelay`], kept by the wall's link.
pub struct RelaySenders {
    pub history: Sender<Result<IncidentHistory, String>>,
    pub index_history: Sender<Result<IndexHistory, String>>,
}

/// The histories this instance loaded, once each arrives: a wall's leader sends them on to its
/// followers (and to each that joins later).
#[derive(Resource, Default)]
pub struct LoadedHistories {
    pub incidents: Option<IncidentHistory>,
    pub index: Option<IndexHistory>,
}

/// Which backend answers: the one place that chooses between the remote client, the embedded
/// simulator and a wall's leader.
#[derive(SystemParam)]
pub struct FeedSource<'w> {
    link: Option<Res<'w, FeedLink>>,
    embedded: Option<Res<'w, EmbeddedDispatch>>,
    relay: Option<Res<'w, HistoryRelay>>,
}

impl FeedSource<'_> {
    fn client(&self) -> Option<Arc<FeedClient>> {
        self.link.as_ref().and_then(|l| l.client.clone())
    }

    /// Where dispatch orders go, once a backend can take them.
    pub fn dispatch_sink(&self) -> Option<Box<dyn DispatchSink>> {
        match (self.client(), self.embedded.as_deref()) {
            (Some(client), _) => Some(Box::new(ClientSink(client))),
            (None, Some(e)) => Some(Box::new(e.clone())),
            _ => None,
        }
    }

    /// Where incident reports go (`POST /v1/incidents`, or the simulator), once a backend can take
    /// them. The same key always gets the same incident.
    pub fn report_sink(&self) -> Option<Arc<dyn ReportSink>> {
        match (self.client(), self.embedded.as_deref()) {
            (Some(client), _) => Some(client),
            (None, Some(e)) => Some(Arc::new(e.clone())),
            _ => None,
        }
    }

    /// The incident history from `since`, at most `max` incidents: the leader's, the backend's
    /// (`GET /v1/incidents/history`, paged) or the simulator's.
    pub fn incident_history(&self, since: Millis, max: usize) -> Option<Receiver<Result<IncidentHistory, String>>> {
        if let Some(r) = &self.relay {
            return Some(r.history.clone());
        }
        match (self.client(), self.embedded.as_deref()) {
            (Some(client), _) => Some(client.fetch_history(since, max)),
            (None, Some(e)) => Some(e.history(since, max)),
            _ => None,
        }
    }

    /// The governance index's history from `since` (at most `max` reports from the simulator).
    pub fn index_history(&self, since: Millis, max: usize) -> Option<Receiver<Result<IndexHistory, String>>> {
        if let Some(r) = &self.relay {
            return Some(r.index_history.clone());
        }
        match (self.client(), self.embedded.as_deref()) {
            (Some(client), _) => Some(client.fetch_index_history(since)),
            (None, Some(e)) => Some(e.index_history(since, max)),
            _ => None,
        }
    }
}

/// The remote client as a dispatch sink.
struct ClientSink(Arc<FeedClient>);

impl DispatchSink for ClientSink {
    fn send(&self, key: &str, request: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>> {
        self.0.dispatch_with_key(key.to_owned(), request.clone())
    }
}

/// One request for something loaded once (a history): in flight, failed (asked again after
/// `retry`), or done.
#[derive(Debug)]
pub struct Fetch<T> {
    pending: Option<Receiver<Result<T, String>>>,
    failed_at: Option<Instant>,
    retry: Duration,
    done: bool,
}

impl<T> Fetch<T> {
    pub fn new(retry: Duration) -> Self {
        Self { pending: None, failed_at: None, retry, done: false }
    }

    pub fn done(&self) -> bool {
        self.done
    }

    /// The answer, once it came (`Err` when the source failed or went away); a success ends the
    /// fetch, a failure waits `retry` before [`Fetch::due`] says ask again.
    pub fn poll(&mut self) -> Option<Result<T, String>> {
        let rx = self.pending.as_ref()?;
        let answer = match rx.try_recv() {
            Ok(a) => a,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Err("the feed went away before answering".into()),
        };
        self.pending = None;
        match &answer {
            Ok(_) => self.done = true,
            Err(_) => self.failed_at = Some(Instant::now()),
        }
        Some(answer)
    }

    /// Whether to ask now: not done, nothing in flight, the feed in, and not just failed.
    pub fn due(&self, synced: bool) -> bool {
        !self.done && self.pending.is_none() && synced && self.failed_at.is_none_or(|t| t.elapsed() >= self.retry)
    }

    /// Asks: `None` when no source can answer, which ends the fetch.
    pub fn start(&mut self, request: Option<Receiver<Result<T, String>>>) {
        match request {
            Some(rx) => self.pending = Some(rx),
            None => self.done = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fetch_retries_after_a_failure_and_ends_on_success() {
        let mut f = Fetch::<u32>::new(Duration::ZERO);
        assert!(!f.due(false), "not before the feed is in");
        assert!(f.due(true));
        let (tx, rx) = bounded(1);
        f.start(Some(rx));
        assert!(!f.due(true) && f.poll().is_none(), "in flight");
        tx.send(Err("500".into())).expect("send");
        assert_eq!(f.poll(), Some(Err("500".into())));
        assert!(f.due(true), "asked again after the retry wait");
        let (tx, rx) = bounded(1);
        f.start(Some(rx));
        drop(tx);
        assert!(matches!(f.poll(), Some(Err(m)) if m.contains("went away")));
        let (tx, rx) = bounded(1);
        f.start(Some(rx));
        tx.send(Ok(7)).expect("send");
        assert_eq!(f.poll(), Some(Ok(7)));
        assert!(f.done() && !f.due(true));
        let mut none = Fetch::<u32>::new(Duration::ZERO);
        none.start(None);
        assert!(none.done(), "no source ends it");
    }
}
