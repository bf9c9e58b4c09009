//! The sending side of dispatch orders, without Bevy: an order is written to the journal
//! (`twinhall_core::hub::journal`) as pending, on disk, before it is sent; every attempt, after
//! a timeout or a restart, carries the same idempotency key and body, so the backend makes it
//! once. An order is never lost (it is on disk before anything leaves) and never doubled (a
//! resend is the same key).
//!
//! [`Outbox::poll`] never blocks: answers arrive on channels from a [`DispatchSink`] (the feed
//! client, [`HttpSink`], or the app's embedded simulator) and are written to the journal as they
//! come. An order with no answer within [`ANSWER_TIMEOUT_MS`] is marked unconfirmed and sent
//! again, same key, as often (`Outbox::with_answer_timeout` sets both) until the backend answers.

use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError, bounded};
use twinhall_core::hub::journal::{Journal, JournalError, OrderStatus, new_key};
use twinhall_core::protocol::{DispatchOrder, DispatchRequest, Incident, IncidentReport, Millis};

use crate::{ClientConfig, FeedClient};

/// No answer this long after an order is sent marks it unconfirmed.
pub const ANSWER_TIMEOUT_MS: Millis = 10_000;
/// Sends of one order whose answers are still awaited; an older one is given up past this.
const MAX_WAITING: usize = 3;

/// Why a send has no order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The backend refused the order (a 4xx): the backend's reason. Final: it made no order.
    #[error("refused: {0}")]
    Rejected(String),
    /// No answer: transport error, timeout or 5xx, after the sink's retries. The order may or may
    /// not exist on the backend; sending it again with the same key settles which.
    #[error("unconfirmed: {0}")]
    Unconfirmed(String),
}

/// Where orders go. `send` must not block: it returns at once, and the answer arrives on the
/// channel (one message; a channel closed without one counts as no answer).
pub trait DispatchSink: Send + Sync {
    fn send(&self, key: &str, request: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>>;
}

/// The running feed client sends on its worker's runtime, the same key for every attempt.
impl DispatchSink for FeedClient {
    fn send(&self, key: &str, request: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>> {
        self.dispatch_with_key(key.to_owned(), request.clone())
    }
}

/// A sink that only sends orders and incident reports (no snapshot, no stream), on a runtime of
/// its own: for tools such as `twinhall-dispatch`.
pub struct HttpSink {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    /// Tries per send or report (transport errors and 5xx are retried with backoff, same key).
    attempts: u32,
}

impl HttpSink {
    /// Fails if the HTTP client or the runtime cannot be built (a bad CA file, a bad token).
    pub fn new(config: ClientConfig) -> Result<Self, String> {
        let http = crate::http_client(&config)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("twinhall-dispatch-sink")
            .enable_all()
            .build()
            .map_err(|e| format!("dispatch runtime: {e}"))?;
        Ok(Self { runtime, http, config: Arc::new(config), attempts: 5 })
    }

    /// Tries per send (at least 1; 5 by default).
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }
}

impl DispatchSink for HttpSink {
    fn send(&self, key: &str, request: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>> {
        let (tx, rx) = bounded(1);
        let (http, config, attempts) = (self.http.clone(), self.config.clone(), self.attempts);
        let (key, request) = (key.to_owned(), request.clone());
        self.runtime.spawn(async move {
            let _ = tx.send(crate::send_dispatch(&http, &config, &request, &key, attempts).await);
        });
        rx
    }
}

impl crate::ReportSink for HttpSink {
    fn report(&self, key: &str, report: &IncidentReport) -> Receiver<Result<Incident, SendError>> {
        let (tx, rx) = bounded(1);
        let (http, config, attempts) = (self.http.clone(), self.config.clone(), self.attempts);
        let (key, report) = (key.to_owned(), report.clone());
        self.runtime.spawn(async move {
            let _ = tx.send(crate::send_report(&http, &config, &report, &key, attempts).await);
        });
        rx
    }
}

/// A change of an order's status, as written to the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxUpdate {
    pub key: String,
    pub incident_id: String,
    pub status: OrderStatus,
    pub order_id: Option<String>,
    pub reason: Option<String>,
}

/// An order sent and not yet settled in the journal.
struct InFlight {
    key: String,
    request: DispatchRequest,
    /// Sends whose answers are awaited, oldest first.
    waiting: Vec<Receiver<Result<DispatchOrder, SendError>>>,
    last_sent: Millis,
    /// As the journal has it.
    unconfirmed: bool,
    /// Why the last send had no order.
    last_error: Option<String>,
    /// A final answer not yet written (the journal failed; tried again on the next poll).
    answer: Option<(OrderStatus, Option<String>, Option<String>)>,
}

/// Writes orders before sending them and follows them to an answer. See the module docs.
pub struct Outbox {
    /// Shared with whoever else writes the same database (the app's tactile hub).
    journal: Arc<Journal>,
    sink: Box<dyn DispatchSink>,
    in_flight: Vec<InFlight>,
    /// No answer after this: unconfirmed, and resent as often.
    answer_timeout_ms: Millis,
}

impl Outbox {
    pub fn new(journal: impl Into<Arc<Journal>>, sink: Box<dyn DispatchSink>) -> Self {
        Self { journal: journal.into(), sink, in_flight: Vec::new(), answer_timeout_ms: ANSWER_TIMEOUT_MS }
    }

    /// Another answer timeout (and resend interval) than [`ANSWER_TIMEOUT_MS`].
    pub fn with_answer_timeout(mut self, ms: Millis) -> Self {
        self.answer_timeout_ms = ms.max(1);
        self
    }

    /// Writes the order as pending (durable) and only then sends it; returns the key. An error
    /// here means nothing was sent.
    pub fn submit(&mut self, request: DispatchRequest, now: Millis) -> Result<String, JournalError> {
        let key = new_key();
        self.journal.record_pending(&key, &request, now)?;
        // On disk: from here the order is sent, now or by a later resend.
        self.send(key.clone(), request, false, now);
        Ok(key)
    }

    /// Sends again what the journal holds as pending or unconfirmed (same key, same body): call
    /// at start. Returns how many orders were sent; orders already awaited are left alone.
    pub fn resend_all(&mut self, now: Millis) -> usize {
        let orders = match self.journal.resendable() {
            Ok(o) => o,
            Err(e) => {
                tracing::error!("outbox: unanswered orders not resent: {e}");
                return 0;
            }
        };
        let mut sent = 0;
        for o in orders {
            if self.in_flight.iter().any(|f| f.key == o.key) {
                continue;
            }
            tracing::info!(
                "outbox: resending order {} for {} (status {}, {} earlier attempts)",
                o.key,
                o.request.incident_id,
                o.status,
                o.attempts
            );
            self.send(o.key, o.request, o.status == OrderStatus::Unconfirmed, now);
            sent += 1;
        }
        sent
    }

    fn send(&mut self, key: String, request: DispatchRequest, unconfirmed: bool, now: Millis) {
        let rx = self.sink.send(&key, &request);
        self.count_attempt(&key, now);
        self.in_flight.push(InFlight {
            key,
            request,
            waiting: vec![rx],
            last_sent: now,
            unconfirmed,
            last_error: None,
            answer: None,
        });
    }

    fn count_attempt(&self, key: &str, now: Millis) {
        // Only a count for the operator: the order is sent whether or not this is written.
        if let Err(e) = self.journal.bump_attempts(key, now) {
            tracing::warn!("outbox: attempt of {key} not counted: {e}");
        }
    }

    /// Non-blocking: applies answers that arrived to the journal; orders with no answer within
    /// 10 s are marked unconfirmed (and resent with the same key every 10 s until answered).
    /// Returns what changed.
    pub fn poll(&mut self, now: Millis) -> Vec<OutboxUpdate> {
        let mut updates = Vec::new();
        let mut resend = Vec::new();
        for (i, f) in self.in_flight.iter_mut().enumerate() {
            if f.answer.is_none() {
                f.answer = take_answer(f);
            }
            if let Some((status, order_id, reason)) = &f.answer {
                match self.journal.set_status(&f.key, *status, order_id.as_deref(), reason.as_deref(), now) {
                    Ok(()) => updates.push(OutboxUpdate {
                        key: f.key.clone(),
                        incident_id: f.request.incident_id.clone(),
                        status: *status,
                        order_id: order_id.clone(),
                        reason: reason.clone(),
                    }),
                    // Kept, and written on a later poll.
                    Err(e) => tracing::error!("outbox: the answer to {} is not written yet: {e}", f.key),
                }
                continue;
            }
            let silent = now - f.last_sent >= self.answer_timeout_ms;
            if !f.unconfirmed && (silent || f.waiting.is_empty()) {
                let reason = f
                    .last_error
                    .clone()
                    .unwrap_or_else(|| format!("no answer within {} s", self.answer_timeout_ms / 1000));
                match self.journal.set_status(&f.key, OrderStatus::Unconfirmed, None, Some(&reason), now) {
                    Ok(()) => {
                        tracing::warn!("outbox: order {} unconfirmed ({reason}); resending with the same key", f.key);
                        f.unconfirmed = true;
                        updates.push(OutboxUpdate {
                            key: f.key.clone(),
                            incident_id: f.request.incident_id.clone(),
                            status: OrderStatus::Unconfirmed,
                            order_id: None,
                            reason: Some(reason),
                        });
                    }
                    Err(e) => tracing::error!("outbox: order {} not marked unconfirmed: {e}", f.key),
                }
            }
            if f.unconfirmed && now - f.last_sent >= self.answer_timeout_ms {
                resend.push(i);
            }
        }
        for i in resend {
            let f = &mut self.in_flight[i];
            let rx = self.sink.send(&f.key, &f.request);
            f.waiting.push(rx);
            if f.waiting.len() > MAX_WAITING {
                // The same key: the newer sends get the same answer.
                f.waiting.remove(0);
            }
            f.last_sent = now;
            let key = f.key.clone();
            self.count_attempt(&key, now);
        }
        let written: Vec<&str> = updates.iter().filter(|u| u.status.is_final()).map(|u| u.key.as_str()).collect();
        self.in_flight.retain(|f| !written.contains(&f.key.as_str()));
        updates
    }

    /// Orders sent and not yet answered for good.
    pub fn waiting(&self) -> usize {
        self.in_flight.len()
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }
}

/// The first final answer among an order's sends; sends that ended without an order are dropped
/// (their reason kept).
fn take_answer(f: &mut InFlight) -> Option<(OrderStatus, Option<String>, Option<String>)> {
    let mut i = 0;
    while i < f.waiting.len() {
        match f.waiting[i].try_recv() {
            Ok(Ok(order)) => return Some((OrderStatus::Accepted, Some(order.order_id), None)),
            Ok(Err(SendError::Rejected(reason))) => return Some((OrderStatus::Rejected, None, Some(reason))),
            Ok(Err(SendError::Unconfirmed(reason))) => {
                f.last_error = Some(reason);
                f.waiting.remove(i);
            }
            Err(TryRecvError::Disconnected) => {
                f.last_error = Some("the sender ended without an answer".into());
                f.waiting.remove(i);
            }
            Err(TryRecvError::Empty) => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use crossbeam_channel::Sender;
    use twinhall_core::protocol::OrderState;

    use super::*;

    type Reply = Sender<Result<DispatchOrder, SendError>>;

    /// A sink the test answers by hand: every send is recorded with its reply channel.
    #[derive(Clone, Default)]
    struct Manual(Arc<Mutex<Vec<(String, DispatchRequest, Reply)>>>);

    impl DispatchSink for Manual {
        fn send(&self, key: &str, request: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>> {
            let (tx, rx) = bounded(1);
            self.0.lock().expect("lock").push((key.to_owned(), request.clone(), tx));
            rx
        }
    }

    impl Manual {
        fn sent(&self) -> Vec<(String, DispatchRequest)> {
            self.0.lock().expect("lock").iter().map(|(k, r, _)| (k.clone(), r.clone())).collect()
        }

        fn reply(&self, n: usize, answer: Result<DispatchOrder, SendError>) {
            let _ = self.0.lock().expect("lock")[n].2.send(answer);
        }
    }

    fn request(incident: &str) -> DispatchRequest {
        DispatchRequest { incident_id: incident.into(), unit_ids: vec!["U-00001".into()], note: String::new() }
    }

    fn order(id: &str, incident: &str) -> DispatchOrder {
        DispatchOrder {
            order_id: id.into(),
            incident_id: incident.into(),
            unit_ids: vec!["U-00001".into()],
            state: OrderState::Accepted,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn outbox(sink: &Manual) -> Outbox {
        Outbox::new(Journal::open_in_memory().expect("journal"), Box::new(sink.clone()))
    }

    #[test]
    fn an_order_is_written_before_it_is_sent_and_its_answer_recorded() {
        // The sink checks that the journal holds the order when the send happens.
        struct Checking(Arc<Mutex<Option<std::path::PathBuf>>>, Manual);
        impl DispatchSink for Checking {
            fn send(&self, key: &str, request: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>> {
                let path = self.0.lock().expect("lock").clone().expect("path");
                let j = Journal::open(&path).expect("a second connection");
                let o = j.order(key).expect("read").expect("on disk before the send");
                assert_eq!((o.status, &o.request), (OrderStatus::Pending, request));
                self.1.send(key, request)
            }
        }
        let dir = std::env::temp_dir().join(format!("twinhall-outbox-{}-{}", std::process::id(), new_key()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("journal.sqlite");
        let manual = Manual::default();
        let sink = Checking(Arc::new(Mutex::new(Some(path.clone()))), manual.clone());
        let mut ob = Outbox::new(Journal::open(&path).expect("journal"), Box::new(sink));
        let key = ob.submit(request("I-1"), 1_000).expect("submit");
        assert_eq!(manual.sent(), [(key.clone(), request("I-1"))]);
        assert!(ob.poll(1_100).is_empty(), "no answer yet");
        manual.reply(0, Ok(order("O-000042", "I-1")));
        let updates = ob.poll(1_200);
        assert_eq!(
            updates,
            [OutboxUpdate {
                key: key.clone(),
                incident_id: "I-1".into(),
                status: OrderStatus::Accepted,
                order_id: Some("O-000042".into()),
                reason: None
            }]
        );
        let o = ob.journal().order(&key).expect("read").expect("there");
        assert_eq!((o.status, o.order_id.as_deref(), o.attempts), (OrderStatus::Accepted, Some("O-000042"), 1));
        assert_eq!(ob.waiting(), 0);
        assert!(ob.poll(60_000).is_empty(), "settled orders are not resent");
        assert_eq!(manual.sent().len(), 1);
        drop(ob);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_silent_order_is_unconfirmed_and_resent_with_the_same_key_until_answered() {
        let sink = Manual::default();
        let mut ob = outbox(&sink);
        let key = ob.submit(request("I-2"), 0).expect("submit");
        assert!(ob.poll(9_999).is_empty());
        let u = ob.poll(10_000);
        assert_eq!(u.len(), 1);
        assert_eq!((u[0].status, u[0].key.as_str()), (OrderStatus::Unconfirmed, key.as_str()));
        assert_eq!(sink.sent().len(), 2, "resent at once: 10 s since the send");
        assert!(ob.poll(15_000).is_empty(), "unconfirmed is reported once");
        assert_eq!(sink.sent().len(), 2);
        ob.poll(20_000);
        assert_eq!(sink.sent().len(), 3);
        assert!(sink.sent().iter().all(|(k, r)| *k == key && *r == request("I-2")), "same key, same body");
        assert_eq!(ob.journal().order(&key).expect("read").expect("there").attempts, 3);
        // The first send's answer arrives late: it settles the order.
        sink.reply(0, Ok(order("O-000007", "I-2")));
        let u = ob.poll(21_000);
        assert_eq!(u.len(), 1);
        assert_eq!((u[0].status, u[0].order_id.as_deref()), (OrderStatus::Accepted, Some("O-000007")));
        ob.poll(60_000);
        assert_eq!(sink.sent().len(), 3, "no resend once answered");
    }

    #[test]
    fn a_failed_send_is_unconfirmed_at_once_and_a_refusal_is_final() {
        let sink = Manual::default();
        let mut ob = outbox(&sink);
        let a = ob.submit(request("I-3"), 0).expect("submit");
        let b = ob.submit(request("I-4"), 0).expect("submit");
        sink.reply(0, Err(SendError::Unconfirmed("HTTP 500".into())));
        sink.reply(1, Err(SendError::Rejected("no incident `I-4`".into())));
        let mut u = ob.poll(500);
        u.sort_by(|x, y| x.incident_id.cmp(&y.incident_id));
        assert_eq!(u.len(), 2);
        assert_eq!((u[0].status, u[0].reason.as_deref()), (OrderStatus::Unconfirmed, Some("HTTP 500")));
        assert_eq!((u[1].status, u[1].reason.as_deref()), (OrderStatus::Rejected, Some("no incident `I-4`")));
        let j = ob.journal();
        assert_eq!(j.order(&a).expect("read").expect("a").status, OrderStatus::Unconfirmed);
        assert_eq!(j.order(&b).expect("read").expect("b").status, OrderStatus::Rejected);
        assert_eq!(j.resendable().expect("resendable").len(), 1);
        ob.poll(10_000);
        assert_eq!(sink.sent().iter().filter(|(k, _)| *k == a).count(), 2);
        assert_eq!(sink.sent().iter().filter(|(k, _)| *k == b).count(), 1);
    }

    #[test]
    fn resend_all_sends_what_the_journal_holds_with_the_same_key() {
        let journal = Journal::open_in_memory().expect("journal");
        journal.record_pending("k-pending", &request("I-5"), 10).expect("pending");
        journal.record_pending("k-unconfirmed", &request("I-6"), 20).expect("pending");
        journal.set_status("k-unconfirmed", OrderStatus::Unconfirmed, None, Some("timed out"), 30).expect("set");
        journal.record_pending("k-done", &request("I-7"), 5).expect("pending");
        journal.set_status("k-done", OrderStatus::Accepted, Some("O-1"), None, 6).expect("set");
        let sink = Manual::default();
        let mut ob = Outbox::new(journal, Box::new(sink.clone()));
        assert_eq!(ob.resend_all(1_000), 2);
        assert_eq!(
            sink.sent(),
            [("k-pending".to_owned(), request("I-5")), ("k-unconfirmed".to_owned(), request("I-6"))]
        );
        assert_eq!(ob.resend_all(1_001), 0, "orders awaited are not sent twice");
        sink.reply(0, Ok(order("O-2", "I-5")));
        sink.reply(1, Ok(order("O-3", "I-6")));
        let u = ob.poll(1_100);
        assert_eq!(u.len(), 2);
        assert!(ob.journal().resendable().expect("resendable").is_empty());
    }

    #[test]
    fn a_sink_that_drops_its_channel_counts_as_no_answer() {
        struct Dropping;
        impl DispatchSink for Dropping {
            fn send(&self, _: &str, _: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>> {
                bounded(1).1
            }
        }
        let mut ob = Outbox::new(Journal::open_in_memory().expect("journal"), Box::new(Dropping));
        let key = ob.submit(request("I-8"), 0).expect("submit");
        let u = ob.poll(1);
        assert_eq!((u.len(), u[0].status), (1, OrderStatus::Unconfirmed));
        assert_eq!(ob.journal().order(&key).expect("read").expect("there").status, OrderStatus::Unconfirmed);
    }

    #[test]
    fn the_outbox_can_live_in_an_ecs_resource() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<Outbox>();
        shared::<HttpSink>();
        shared::<Box<dyn crate::ReportSink>>();
    }
}
