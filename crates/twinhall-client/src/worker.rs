//! The worker: one task on the client's runtime that loads the snapshot, follows the stream and
//! hands what it decoded to the app, reconnecting, resuming and reloading as the protocol says.
//! [`crate::events`] decides what each event means; this does the I/O around it.
//!
//! It never blocks the runtime: when the app's queue is full it waits asynchronously (nothing is
//! dropped, since every batch counts), so dispatch orders and still fetches on the same runtime go
//! on meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};
use reqwest::StatusCode;
use twinhall_core::protocol::Snapshot;
use twinhall_core::redact::redact_url;

use crate::backoff::{Backoff, ReloadPacer, seed};
use crate::events::{ResyncCause, Sequencer, Step};
use crate::http::{BodyError, ChunkError, chunk, read_body, without_url};
use crate::sse::{SseError, SseEvent, SseParser};
use crate::status::{Refusal, bump};
use crate::{ClientConfig, ClientEvent, ClientStats, LinkState, crs};

/// How often the worker looks again while the app's queue is full.
const QUEUE_POLL: Duration = Duration::from_millis(5);

/// Why a connection ended.
enum Fail {
    Unauthorized,
    /// Cause, shown and logged.
    Other(String),
    /// The app is gone or the client was dropped.
    Stopped,
}

/// Logs malformed messages at most once per period, with a count of those not logged.
struct LogLimit {
    last: Option<Instant>,
    quiet: u64,
}

impl LogLimit {
    fn log(&mut self, what: &str) {
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < Duration::from_secs(10)) {
            self.quiet += 1;
            return;
        }
        if self.quiet > 0 {
            tracing::warn!("feed: {what} (and {} more malformed messages skipped)", self.quiet);
        } else {
            tracing::warn!("feed: {what}");
        }
        self.quiet = 0;
        self.last = Some(now);
    }
}

pub(crate) struct Worker {
    config: Arc<ClientConfig>,
    http: reqwest::Client,
    tx: Sender<ClientEvent>,
    stats: Arc<ClientStats>,
    stop: Arc<AtomicBool>,
    /// The base URL with its secrets removed, for logs.
    shown: String,
}

/// How following the stream ended: why, where to resume (none: reload the snapshot), and
/// whether to back off before the next attempt.
struct Ended {
    reason: String,
    resume: Option<Sequencer>,
    back_off: bool,
}

/// What the worker does next.
enum Next {
    /// Load the snapshot (for this reason; none on the first connection).
    Snapshot(Option<String>),
    /// Reopen the stream after the position (the backend answers `reset` if it cannot resume
    /// there).
    Resume { reason: String, at: Sequencer },
}

impl Worker {
    pub(crate) fn new(
        config: Arc<ClientConfig>,
        http: reqwest::Client,
        tx: Sender<ClientEvent>,
        stats: Arc<ClientStats>,
        stop: Arc<AtomicBool>,
    ) -> Self {
        let shown = redact_url(&config.base_url);
        Self { config, http, tx, stats, stop, shown }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sends to the app, waiting (asynchronously: the runtime goes on) while its queue is full.
    async fn send(&self, mut ev: ClientEvent) -> Result<(), Fail> {
        let mut waited = false;
        loop {
            if self.stopped() {
                return Err(Fail::Stopped);
            }
            match self.tx.try_send(ev) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(_)) => return Err(Fail::Stopped),
                Err(TrySendError::Full(back)) => {
                    ev = back;
                    if !waited {
                        waited = true;
                        self.stats.refuse(Refusal::QueueFull, 1, || {
                            format!(
                                "the app's queue ({} messages) is full: the feed waits for the app to catch up",
                                self.config.channel_capacity.max(1)
                            )
                        });
                    }
                    tokio::time::sleep(QUEUE_POLL).await;
                }
            }
        }
    }

    async fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.stopped() && Instant::now() < until {
            tokio::time::sleep((until - Instant::now()).min(Duration::from_millis(100))).await;
        }
    }

    pub(crate) async fn run(self) {
        let shown = self.shown.clone();
        let mut backoff =
            Backoff::new(self.config.backoff_base, self.config.backoff_cap, self.config.stable_after, seed());
        let mut reloads = ReloadPacer::new(self.config.stable_after);
        let mut malformed = LogLimit { last: None, quiet: 0 };
        let mut next = Next::Snapshot(None);
        let mut last_cause = String::new();
        while !self.stopped() {
            let state = match &next {
                Next::Snapshot(None) => LinkState::Connecting,
                Next::Snapshot(Some(reason)) | Next::Resume { reason, .. } => {
                    LinkState::Resyncing { reason: reason.clone() }
                }
            };
            if self.send(ClientEvent::State(state)).await.is_err() {
                return;
            }
            let result = match &next {
                Next::Snapshot(_) => match self.load_snapshot().await {
                    Ok(snap) => {
                        let at = Sequencer::new(snap.seq, snap.epoch, snap.crs.clone());
                        self.follow(Some(snap), at, &mut malformed).await
                    }
                    Err(f) => Err(f),
                },
                Next::Resume { at, .. } => self.follow(None, at.clone(), &mut malformed).await,
            };
            let (ended, up) = match result {
                Ok(done) => done,
                Err(Fail::Stopped) => return,
                Err(Fail::Unauthorized) => {
                    bump(&self.stats.failed_attempts);
                    if last_cause != "401" {
                        tracing::error!("feed {shown}: 401 unauthorized: the backend refused the token");
                        last_cause = "401".into();
                    }
                    if self.send(ClientEvent::State(LinkState::Unauthorized)).await.is_err() {
                        return;
                    }
                    self.sleep(backoff.next_delay()).await;
                    continue;
                }
                Err(Fail::Other(cause)) => {
                    bump(&self.stats.failed_attempts);
                    let delay = backoff.next_delay();
                    if last_cause != cause {
                        tracing::warn!("feed {shown}: {cause}; retrying with backoff");
                        last_cause = cause.clone();
                    }
                    let state = LinkState::Error { cause, retry_in_ms: delay.as_millis() as u64 };
                    if self.send(ClientEvent::State(state)).await.is_err() {
                        return;
                    }
                    self.sleep(delay).await;
                    continue;
                }
            };
            last_cause.clear();
            backoff.connection_ended(up);
            let mut back_off = ended.back_off;
            next = match ended.resume {
                Some(at) => {
                    tracing::info!("feed {shown}: {}; resuming after seq {}", ended.reason, at.last);
                    Next::Resume { reason: ended.reason, at }
                }
                None => {
                    bump(&self.stats.resyncs);
                    // A reload now and then is quick; reloads in a row (a backend or proxy that
                    // answers `reset` every time) back off like failed connections.
                    if !back_off && !reloads.immediate(Instant::now()) {
                        back_off = true;
                    }
                    let pace = if back_off { ", after a backoff" } else { "" };
                    tracing::info!("feed {shown}: {}; reloading the snapshot{pace}", ended.reason);
                    Next::Snapshot(Some(ended.reason))
                }
            };
            if back_off {
                self.sleep(backoff.next_delay()).await;
            }
        }
    }

    async fn get(&self, path_and_query: &str) -> Result<reqwest::Response, Fail> {
        let url = format!("{}{}", self.config.base_url, path_and_query);
        let r = self.http.get(&url).send().await.map_err(|e| Fail::Other(without_url(&e)))?;
        match r.status() {
            StatusCode::UNAUTHORIZED => Err(Fail::Unauthorized),
            s if !s.is_success() => Err(Fail::Other(format!("HTTP {s} for {}", redact_url(path_and_query)))),
            _ => Ok(r),
        }
    }

    async fn load_snapshot(&self) -> Result<Box<Snapshot>, Fail> {
        let mut r = self.get("/v1/snapshot").await?;
        self.send(ClientEvent::State(LinkState::Syncing)).await?;
        let max = self.config.max_snapshot_bytes;
        let body = read_body(&mut r, max, self.config.io_timeout, |n| {
            self.stats.bytes.fetch_add(n as u64, Ordering::Relaxed);
        })
        .await
        .map_err(|e| {
            let text = e.describe("snapshot", &format!("{}/v1/snapshot", self.shown));
            if matches!(e, BodyError::TooLarge { .. }) {
                self.stats.refuse(Refusal::Snapshot, 1, || format!("{text} (feed.max_snapshot_mib raises it)"));
            }
            Fail::Other(text)
        })?;
        // Decoding a large snapshot takes a while: off the runtime, so dispatch goes on.
        let decoded = tokio::task::spawn_blocking(move || {
            let mut snap: Snapshot = serde_json::from_slice(&body)
                .map_err(|e| (true, format!("snapshot is not valid JSON of the protocol: {e}")))?;
            crs::normalize_snapshot(&mut snap).map_err(|e| (false, e))?;
            Ok::<_, (bool, String)>(Box::new(snap))
        })
        .await
        .map_err(|e| Fail::Other(format!("snapshot decoder stopped: {e}")))?;
        decoded.map_err(|(malformed, e)| {
            if malformed {
                bump(&self.stats.malformed);
            }
            Fail::Other(e)
        })
    }

    /// Sends the snapshot, opens the stream after it and follows it until something calls for a
    /// resync. Returns why, and how long the stream was up.
    async fn follow(
        &self,
        snap: Option<Box<Snapshot>>,
        mut at: Sequencer,
        malformed: &mut LogLimit,
    ) -> Result<(Ended, Duration), Fail> {
        at.new_stream();
        // The epoch lets the backend answer `reset` if it is not the one this position is from.
        let mut r = self.get(&format!("/v1/stream?after={}&epoch={}", at.last, at.epoch)).await?;
        if let Some(snap) = snap {
            bump(&self.stats.snapshots);
            self.send(ClientEvent::Snapshot(snap)).await?;
        }
        let up = Instant::now();
        let mut parser = SseParser::new(self.config.max_line_bytes).with_max_event(self.config.max_event_bytes);
        let mut odd_lines_seen = 0;
        let mut events: Vec<SseEvent> = Vec::new();
        let mut last_event = Instant::now();
        let resync = |reason: String, back_off: bool| Ok((Ended { reason, resume: None, back_off }, up.elapsed()));
        loop {
            if self.stopped() {
                return Err(Fail::Stopped);
            }
            let wait = self.config.stale_after.saturating_sub(last_event.elapsed());
            let piece = match chunk(&mut r, wait).await {
                Ok(Some(c)) => c,
                Ok(None) => {
                    let reason = "the backend closed the stream".to_owned();
                    return Ok((Ended { reason, resume: Some(at), back_off: true }, up.elapsed()));
                }
                Err(ChunkError::Silent) => {
                    let silent_ms = last_event.elapsed().as_millis() as u64;
                    tracing::warn!("feed {}: no data or heartbeat for {silent_ms} ms: stale", self.shown);
                    self.send(ClientEvent::State(LinkState::Stale { silent_ms })).await?;
                    return resync(format!("stream silent for {} s", self.config.stale_after.as_secs_f32()), true);
                }
                Err(ChunkError::Broken(e)) => {
                    let reason = format!("stream broken: {e}");
                    return Ok((Ended { reason, resume: Some(at), back_off: true }, up.elapsed()));
                }
            };
            self.stats.bytes.fetch_add(piece.len() as u64, Ordering::Relaxed);
            let pushed = parser.push(&piece, &mut events);
            self.stats.refuse(Refusal::OddLine, parser.odd_lines - odd_lines_seen, || {
                format!(
                    "{}/v1/stream: a line that is no SSE field (not UTF-8, or an unknown field) was skipped",
                    self.shown
                )
            });
            odd_lines_seen = parser.odd_lines;
            if let Err(e) = pushed {
                let limit = match e {
                    SseError::LineTooLong(_) | SseError::EventTooLarge(_) => "feed.max_event_mib raises it",
                };
                self.stats.refuse(Refusal::Event, 1, || format!("{}/v1/stream: {e}, refused ({limit})", self.shown));
                return resync(format!("stream: {e}"), true);
            }
            let had_events = !events.is_empty();
            for ev in events.drain(..) {
                match at.step(&ev) {
                    Step::Deliver { batch, went_live } => {
                        bump(&self.stats.batches);
                        self.send(ClientEvent::Batch(batch)).await?;
                        if went_live {
                            self.send(ClientEvent::State(LinkState::Live)).await?;
                        }
                    }
                    Step::Alive { went_live } => {
                        if went_live {
                            self.send(ClientEvent::State(LinkState::Live)).await?;
                        }
                    }
                    Step::Duplicate => bump(&self.stats.duplicates),
                    Step::Malformed(why) => {
                        bump(&self.stats.malformed);
                        malformed.log(&why);
                    }
                    Step::Resync(r) => {
                        match r.cause {
                            ResyncCause::Gap => bump(&self.stats.gaps),
                            ResyncCause::Reset => bump(&self.stats.resets),
                            ResyncCause::Restarted | ResyncCause::BadCrs => {}
                        }
                        return resync(r.reason, r.cause == ResyncCause::BadCrs);
                    }
                }
            }
            // Silence counts from the last event, not from the time spent handing events on.
            if had_events {
                last_event = Instant::now();
            }
        }
    }
}
