//! The client side of the twinhall feed protocol (docs/feed-protocol.md), without Bevy.
//!
//! [`FeedClient::spawn`] starts a worker thread that owns a tokio runtime and a reqwest client
//! (rustls). It loads `GET /v1/snapshot`, follows `GET /v1/stream?after=SEQ`, and sends what it
//! decoded, in sequence order, through a bounded crossbeam channel. It never hands on a picture
//! it knows to be wrong:
//!
//! - a gap in sequence numbers, a `reset` event, a backend restart (another epoch, or a
//!   heartbeat behind the last batch) or a stream silent for `stale_after` makes it reload the
//!   snapshot, which replaces the state in one step; duplicates are dropped;
//! - reconnects back off exponentially with full jitter up to 30 s, reset after a stable minute;
//! - a malformed message is skipped and counted, and logged at most once per 10 s;
//! - its state (connecting, syncing, live, stale, resyncing, unauthorized, error) is sent with
//!   the data, so the wall always says how far it can be trusted;
//! - the bearer token never reaches a log, and URLs are logged with secrets removed.

pub mod backoff;
pub mod crs;
pub mod outbox;
pub mod sse;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, SendTimeoutError, Sender, bounded};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use twinhall_core::protocol::{Batch, DispatchOrder, DispatchRequest, Heartbeat, Reset, Snapshot};
use twinhall_core::redact::redact_url;

use backoff::Backoff;
use sse::{SseEvent, SseParser};

/// How to reach the backend, and the client's timings.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Base URL, e.g. `https://feed.example:8600`.
    pub base_url: String,
    /// Bearer token; none when empty.
    pub token: String,
    /// Extra trusted root certificates (PEM), for a backend with a private CA.
    pub ca_pem: Option<Vec<u8>>,
    /// No event (data or heartbeat) for this long marks the feed stale and forces a resync.
    pub stale_after: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A connection up this long resets the backoff.
    pub stable_after: Duration,
    /// Connecting, and each read of a response, may take this long.
    pub io_timeout: Duration,
    /// Largest snapshot body and largest stream line accepted.
    pub max_snapshot_bytes: usize,
    pub max_line_bytes: usize,
    /// Decoded messages waiting for the app.
    pub channel_capacity: usize,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            token: token.into(),
            ca_pem: None,
            stale_after: Duration::from_secs(3),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            stable_after: Duration::from_secs(60),
            io_timeout: Duration::from_secs(10),
            max_snapshot_bytes: 1 << 30,
            max_line_bytes: 256 << 20,
            channel_capacity: 64,
        }
    }
}

/// Where the link to the backend stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// First connection, nothing received yet.
    Connecting,
    /// The snapshot is loading.
    Syncing,
    /// Following the stream, in sequence.
    Live,
    /// The stream went silent: no data or heartbeat for this long. A resync follows.
    Stale { silent_ms: u64 },
    /// Reloading the snapshot, for this reason.
    Resyncing { reason: String },
    /// The backend refused the token (401).
    Unauthorized,
    /// The last attempt failed; the next one comes after `retry_in_ms`.
    Error { cause: String, retry_in_ms: u64 },
}

impl LinkState {
    pub fn is_live(&self) -> bool {
        *self == LinkState::Live
    }
}

/// What the worker sends, in this order for each (re)connection: state changes, a snapshot, then
/// batches each following the one before.
#[derive(Debug)]
pub enum ClientEvent {
    State(LinkState),
    Snapshot(Box<Snapshot>),
    Batch(Box<Batch>),
}

/// Counters the worker keeps; read them any time.
#[derive(Debug, Default)]
pub struct ClientStats {
    pub snapshots: AtomicU64,
    pub batches: AtomicU64,
    pub malformed: AtomicU64,
    pub duplicates: AtomicU64,
    pub gaps: AtomicU64,
    pub resets: AtomicU64,
    pub resyncs: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub bytes: AtomicU64,
}

impl ClientStats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// A running client. Dropping it stops the worker.
pub struct FeedClient {
    events: Receiver<ClientEvent>,
    stats: Arc<ClientStats>,
    stop: Arc<AtomicBool>,
    runtime: tokio::runtime::Handle,
    http: reqwest::Client,
    config: Arc<ClientConfig>,
}

impl FeedClient {
    /// Starts the worker thread. Fails only if the HTTP client cannot be built (a bad CA file).
    pub fn spawn(config: ClientConfig) -> Result<Self, String> {
        let http = http_client(&config)?;
        let config = Arc::new(config);
        let (tx, rx) = bounded(config.channel_capacity.max(1));
        let stats = Arc::new(ClientStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let worker =
            Worker { config: config.clone(), http: http.clone(), tx, stats: stats.clone(), stop: stop.clone() };
        std::thread::Builder::new()
            .name("twinhall-feed-client".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = handle_tx.send(Err(format!("feed client runtime: {e}")));
                        return;
                    }
                };
                let _ = handle_tx.send(Ok(runtime.handle().clone()));
                runtime.block_on(worker.run());
            })
            .map_err(|e| format!("feed client thread: {e}"))?;
        let runtime = handle_rx.recv().map_err(|e| format!("feed client thread: {e}"))??;
        Ok(Self { events: rx, stats, stop, runtime, http, config })
    }

    /// Decoded messages and state changes, in order.
    pub fn events(&self) -> &Receiver<ClientEvent> {
        &self.events
    }

    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    /// Sends a dispatch order on the worker's runtime: one idempotency key for every attempt, so
    /// an order whose response was lost and is sent again is created once. The result arrives on
    /// the returned channel.
    pub fn dispatch(&self, request: DispatchRequest) -> Receiver<Result<DispatchOrder, String>> {
        let (tx, rx) = bounded(1);
        let key = idempotency_key();
        let http = self.http.clone();
        let config = self.config.clone();
        self.runtime.spawn(async move {
            let result = dispatch(&http, &config, &request, &key, 5).await;
            let _ = tx.send(result);
        });
        rx
    }

    /// Sends a dispatch order under `key` (the caller's, kept in its journal) on the worker's
    /// runtime, retrying transport errors and 5xx answers with the same key. The answer arrives
    /// on the returned channel: the order, [`SendError::Rejected`](outbox::SendError::Rejected)
    /// for a 4xx (final; the backend's reason) or
    /// [`SendError::Unconfirmed`](outbox::SendError::Unconfirmed) when no answer came.
    pub fn dispatch_with_key(
        &self,
        key: String,
        request: DispatchRequest,
    ) -> Receiver<Result<DispatchOrder, outbox::SendError>> {
        let (tx, rx) = bounded(1);
        let http = self.http.clone();
        let config = self.config.clone();
        self.runtime.spawn(async move {
            let result = send_dispatch(&http, &config, &request, &key, 5).await;
            let _ = tx.send(result);
        });
        rx
    }
}

impl FeedClient {
    /// GETs `path` (e.g. a camera still) on the worker's runtime; the bytes arrive on the
    /// returned channel, or the cause (never the URL's secrets).
    pub fn fetch(&self, path: &str) -> Receiver<Result<Vec<u8>, String>> {
        let (tx, rx) = bounded(1);
        let http = self.http.clone();
        let url = format!("{}{}", self.config.base_url, path);
        self.runtime.spawn(async move {
            let result = async {
                let r = http.get(&url).send().await.map_err(|e| without_url(&e))?;
                if !r.status().is_success() {
                    return Err(format!("HTTP {}", r.status()));
                }
                r.bytes().await.map(|b| b.to_vec()).map_err(|e| without_url(&e))
            }
            .await;
            let _ = tx.send(result);
        });
        rx
    }
}

impl Drop for FeedClient {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Builds the reqwest client with rustls (ring) and the configured extra roots.
pub fn http_client(config: &ClientConfig) -> Result<reqwest::Client, String> {
    // Installing twice is harmless: the first provider stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = HeaderMap::new();
    if !config.token.is_empty() {
        let mut v = HeaderValue::from_str(&format!("Bearer {}", config.token))
            .map_err(|_| "feed.token: not a valid HTTP header value".to_owned())?;
        v.set_sensitive(true);
        headers.insert(AUTHORIZATION, v);
    }
    let mut builder = reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(config.io_timeout)
        .read_timeout(config.io_timeout.max(config.stale_after * 2))
        .user_agent(concat!("twinhall/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = &config.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| format!("CA certificates: {e}"))?;
        if certs.is_empty() {
            return Err("CA certificates: no certificate in the PEM".into());
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| format!("HTTP client: {e}"))
}

/// A fresh idempotency key: time, process and a counter, unique per dispatch.
pub fn idempotency_key() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("twinhall-{:x}-{:x}-{:x}", t, std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `POST /v1/dispatch` with `key`, retried on transport errors and 5xx answers (the response may
/// have been lost after the backend stored the order; the key makes the retry return it).
pub async fn dispatch(
    http: &reqwest::Client,
    config: &ClientConfig,
    request: &DispatchRequest,
    key: &str,
    attempts: u32,
) -> Result<DispatchOrder, String> {
    send_dispatch(http, config, request, key, attempts).await.map_err(|e| match e {
        outbox::SendError::Rejected(reason) => format!("dispatch refused: {reason}"),
        outbox::SendError::Unconfirmed(cause) => cause,
    })
}

/// [`dispatch`], telling a refusal (4xx other than 408 and 429: final, with the backend's
/// `{"error": ...}` message) from no answer (transport errors, timeouts, 408, 429, 5xx and
/// unreadable answers, after `attempts` tries with the same key).
pub async fn send_dispatch(
    http: &reqwest::Client,
    config: &ClientConfig,
    request: &DispatchRequest,
    key: &str,
    attempts: u32,
) -> Result<DispatchOrder, outbox::SendError> {
    let url = format!("{}/v1/dispatch", config.base_url);
    let mut backoff = Backoff::new(config.backoff_base, config.backoff_cap, config.stable_after, seed());
    let mut last = String::new();
    for attempt in 0..attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(backoff.next_delay()).await;
        }
        let sent = http.post(&url).header("Idempotency-Key", key).json(request).send().await;
        match sent {
            Ok(r) if r.status().is_success() => {
                let body = r.bytes().await.map_err(|e| format!("dispatch answer: {}", without_url(&e)));
                match body.and_then(|b| serde_json::from_slice(&b).map_err(|e| format!("dispatch answer: {e}"))) {
                    Ok(order) => return Ok(order),
                    Err(e) => last = e,
                }
            }
            Ok(r)
                if r.status().is_client_error()
                    && r.status() != StatusCode::REQUEST_TIMEOUT
                    && r.status() != StatusCode::TOO_MANY_REQUESTS =>
            {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                let message = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                    .unwrap_or_else(|| {
                        let text: String = text.chars().take(200).collect();
                        if text.trim().is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {text}") }
                    });
                return Err(outbox::SendError::Rejected(message));
            }
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = without_url(&e),
        }
        tracing::warn!("dispatch to {}: attempt {} failed: {last}", redact_url(&url), attempt + 1);
    }
    Err(outbox::SendError::Unconfirmed(format!("dispatch failed after {} attempts: {last}", attempts.max(1))))
}

fn seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
        ^ u64::from(std::process::id()) << 32
}

/// A reqwest error's text without its URL (the caller names the URL, redacted): what went wrong,
/// then the chain of causes below it.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "response body broken"
    } else if e.is_request() {
        "request failed"
    } else {
        "HTTP error"
    }
    .to_owned();
    // The innermost cause says what happened ("Connection refused"); the layers above repeat it.
    let mut inner = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        inner = Some(s.to_string());
        source = s.source();
    }
    if let Some(inner) = inner {
        text.push_str(": ");
        text.push_str(&inner);
    }
    text
}

/// Why a connection ended.
enum Fail {
    Unauthorized,
    /// Cause, shown and logged.
    Other(String),
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

struct Worker {
    config: Arc<ClientConfig>,
    http: reqwest::Client,
    tx: Sender<ClientEvent>,
    stats: Arc<ClientStats>,
    stop: Arc<AtomicBool>,
}

/// How following the stream ended: why, where to resume (none: reload the snapshot), and
/// whether to back off before the next attempt.
struct Ended {
    reason: String,
    resume: Option<Position>,
    back_off: bool,
}

/// Where the client stands in the backend's sequence.
#[derive(Clone, Debug)]
struct Position {
    seq: u64,
    epoch: u64,
    crs: String,
}

/// What the worker does next.
enum Next {
    /// Load the snapshot (for this reason; none on the first connection).
    Snapshot(Option<String>),
    /// Reopen the stream after `at` (the backend answers `reset` if it cannot resume there).
    Resume { reason: String, at: Position },
}

impl Worker {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sends to the app, waiting while its queue is full; false once the app is gone or stopping.
    fn send(&self, mut ev: ClientEvent) -> bool {
        loop {
            if self.stopped() {
                return false;
            }
            match self.tx.send_timeout(ev, Duration::from_millis(100)) {
                Ok(()) => return true,
                Err(SendTimeoutError::Timeout(back)) => ev = back,
                Err(SendTimeoutError::Disconnected(_)) => return false,
            }
        }
    }

    async fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.stopped() && Instant::now() < until {
            tokio::time::sleep((until - Instant::now()).min(Duration::from_millis(100))).await;
        }
    }

    async fn run(self) {
        let shown = redact_url(&self.config.base_url);
        let mut backoff =
            Backoff::new(self.config.backoff_base, self.config.backoff_cap, self.config.stable_after, seed());
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
            if !self.send(ClientEvent::State(state)) {
                return;
            }
            let result = match &next {
                Next::Snapshot(_) => match self.load_snapshot().await {
                    Ok(snap) => {
                        let at = Position { seq: snap.seq, epoch: snap.epoch, crs: snap.crs.clone() };
                        self.follow(Some(snap), at, &mut malformed, &shown).await
                    }
                    Err(f) => Err(f),
                },
                Next::Resume { at, .. } => self.follow(None, at.clone(), &mut malformed, &shown).await,
            };
            let (ended, up) = match result {
                Ok(done) => done,
                Err(Fail::Unauthorized) => {
                    bump(&self.stats.failed_attempts);
                    if last_cause != "401" {
                        tracing::error!("feed {shown}: 401 unauthorized: the backend refused the token");
                        last_cause = "401".into();
                    }
                    if !self.send(ClientEvent::State(LinkState::Unauthorized)) {
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
                    if !self.send(ClientEvent::State(state)) {
                        return;
                    }
                    self.sleep(delay).await;
                    continue;
                }
            };
            last_cause.clear();
            backoff.connection_ended(up);
            next = match ended.resume {
                Some(at) => {
                    tracing::info!("feed {shown}: {}; resuming after seq {}", ended.reason, at.seq);
                    Next::Resume { reason: ended.reason, at }
                }
                None => {
                    bump(&self.stats.resyncs);
                    tracing::info!("feed {shown}: {}; reloading the snapshot", ended.reason);
                    Next::Snapshot(Some(ended.reason))
                }
            };
            if ended.back_off {
                self.sleep(backoff.next_delay()).await;
            }
        }
    }

    async fn get(&self, path_and_query: &str) -> Result<reqwest::Response, Fail> {
        let url = format!("{}{}", self.config.base_url, path_and_query);
        let r = self.http.get(&url).send().await.map_err(|e| Fail::Other(without_url(&e)))?;
        match r.status() {
            StatusCode::UNAUTHORIZED => Err(Fail::Unauthorized),
            s if !s.is_success() => Err(Fail::Other(format!("HTTP {s} for {}", path_and_query))),
            _ => Ok(r),
        }
    }

    /// Reads the next piece of a body, or fails when none comes within `timeout`.
    async fn chunk(r: &mut reqwest::Response, timeout: Duration) -> Result<Option<bytes::Bytes>, ChunkFail> {
        match tokio::time::timeout(timeout, r.chunk()).await {
            Err(_) => Err(ChunkFail::Silent),
            Ok(Err(e)) => Err(ChunkFail::Broken(without_url(&e))),
            Ok(Ok(c)) => Ok(c),
        }
    }

    async fn load_snapshot(&self) -> Result<Box<Snapshot>, Fail> {
        let mut r = self.get("/v1/snapshot").await?;
        if !self.send(ClientEvent::State(LinkState::Syncing)) {
            return Err(Fail::Other("stopped".into()));
        }
        let mut body = Vec::with_capacity(r.content_length().unwrap_or(0).min(1 << 28) as usize);
        loop {
            match Self::chunk(&mut r, self.config.io_timeout).await {
                Ok(Some(c)) => {
                    self.stats.bytes.fetch_add(c.len() as u64, Ordering::Relaxed);
                    body.extend_from_slice(&c);
                    if body.len() > self.config.max_snapshot_bytes {
                        return Err(Fail::Other(format!(
                            "snapshot larger than {} bytes",
                            self.config.max_snapshot_bytes
                        )));
                    }
                }
                Ok(None) => break,
                Err(ChunkFail::Silent) => return Err(Fail::Other("snapshot: the backend stopped sending".into())),
                Err(ChunkFail::Broken(e)) => return Err(Fail::Other(format!("snapshot cut off: {e}"))),
            }
        }
        let mut snap: Snapshot = serde_json::from_slice(&body).map_err(|e| {
            bump(&self.stats.malformed);
            Fail::Other(format!("snapshot is not valid JSON of the protocol: {e}"))
        })?;
        crs::normalize_snapshot(&mut snap).map_err(Fail::Other)?;
        Ok(Box::new(snap))
    }

    /// Sends the snapshot, opens the stream after it and follows it until something calls for a
    /// resync. Returns why, and how long the stream was up.
    async fn follow(
        &self,
        snap: Option<Box<Snapshot>>,
        at: Position,
        malformed: &mut LogLimit,
        shown: &str,
    ) -> Result<(Ended, Duration), Fail> {
        let Position { seq: mut last, epoch, crs } = at;
        // The epoch lets the backend answer `reset` if it is not the one this position is from.
        let mut r = self.get(&format!("/v1/stream?after={last}&epoch={epoch}")).await?;
        if let Some(snap) = snap {
            bump(&self.stats.snapshots);
            if !self.send(ClientEvent::Snapshot(snap)) {
                return Err(Fail::Other("stopped".into()));
            }
        }
        let up = Instant::now();
        let mut live = false;
        let mut parser = SseParser::new(self.config.max_line_bytes);
        let mut events: Vec<SseEvent> = Vec::new();
        let mut last_event = Instant::now();
        let resync = |reason: String, back_off: bool| Ok((Ended { reason, resume: None, back_off }, up.elapsed()));
        let resume = |reason: String, seq: u64| {
            let at = Position { seq, epoch, crs: crs.clone() };
            Ok((Ended { reason, resume: Some(at), back_off: true }, up.elapsed()))
        };
        loop {
            if self.stopped() {
                return Err(Fail::Other("stopped".into()));
            }
            let wait = self.config.stale_after.saturating_sub(last_event.elapsed());
            let chunk = match Self::chunk(&mut r, wait).await {
                Ok(Some(c)) => c,
                Ok(None) => return resume("the backend closed the stream".into(), last),
                Err(ChunkFail::Broken(e)) => return resume(format!("stream broken: {e}"), last),
                Err(ChunkFail::Silent) => {
                    let silent_ms = last_event.elapsed().as_millis() as u64;
                    tracing::warn!("feed {shown}: no data or heartbeat for {silent_ms} ms: stale");
                    if !self.send(ClientEvent::State(LinkState::Stale { silent_ms })) {
                        return Err(Fail::Other("stopped".into()));
                    }
                    return resync(format!("stream silent for {} s", self.config.stale_after.as_secs_f32()), true);
                }
            };
            self.stats.bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            if let Err(e) = parser.push(&chunk, &mut events) {
                bump(&self.stats.malformed);
                return resync(format!("stream: {e}"), true);
            }
            let had_events = !events.is_empty();
            for ev in events.drain(..) {
                match ev.event.as_str() {
                    "batch" => {
                        let mut b: Batch = match serde_json::from_str(&ev.data) {
                            Ok(b) => b,
                            Err(e) => {
                                bump(&self.stats.malformed);
                                malformed.log(&format!("batch after seq {last} skipped: {e}"));
                                continue;
                            }
                        };
                        if ev.id.as_deref().is_some_and(|id| id != b.seq.to_string()) {
                            bump(&self.stats.malformed);
                            malformed.log(&format!("batch id {:?} differs from its seq {}: skipped", ev.id, b.seq));
                            continue;
                        }
                        if b.seq <= last {
                            bump(&self.stats.duplicates);
                            continue;
                        }
                        if b.seq != last + 1 {
                            bump(&self.stats.gaps);
                            return resync(format!("sequence gap: expected {}, got {}", last + 1, b.seq), false);
                        }
                        if let Err(e) = crs::normalize_entities(&mut b.upserts, &crs) {
                            return resync(e, true);
                        }
                        last = b.seq;
                        bump(&self.stats.batches);
                        if !self.send(ClientEvent::Batch(Box::new(b))) {
                            return Err(Fail::Other("stopped".into()));
                        }
                        if !live {
                            live = true;
                            if !self.send(ClientEvent::State(LinkState::Live)) {
                                return Err(Fail::Other("stopped".into()));
                            }
                        }
                    }
                    "heartbeat" => match serde_json::from_str::<Heartbeat>(&ev.data) {
                        Ok(hb) if hb.epoch != epoch => {
                            return resync(format!("the backend restarted (epoch {} → {})", epoch, hb.epoch), false);
                        }
                        Ok(hb) if hb.seq < last => {
                            return resync(format!("the backend's sequence went back ({} → {})", last, hb.seq), false);
                        }
                        Ok(_) => {
                            if !live {
                                live = true;
                                if !self.send(ClientEvent::State(LinkState::Live)) {
                                    return Err(Fail::Other("stopped".into()));
                                }
                            }
                        }
                        Err(e) => {
                            bump(&self.stats.malformed);
                            malformed.log(&format!("heartbeat skipped: {e}"));
                        }
                    },
                    "reset" => {
                        bump(&self.stats.resets);
                        let why = match serde_json::from_str::<Reset>(&ev.data) {
                            Ok(r) => {
                                format!("reset: seq {last} is older than the history kept (from {})", r.oldest_seq)
                            }
                            Err(_) => "reset".to_owned(),
                        };
                        return resync(why, false);
                    }
                    other => {
                        bump(&self.stats.malformed);
                        malformed
                            .log(&format!("unknown event `{}` skipped", other.chars().take(40).collect::<String>()));
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

enum ChunkFail {
    Silent,
    Broken(String),
}
