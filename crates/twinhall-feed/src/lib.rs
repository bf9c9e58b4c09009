//! twinhall-feed: the reference backend of the twinhall feed protocol (docs/feed-protocol.md),
//! serving a simulated city over HTTP: snapshot, Server-Sent Events stream, idempotent dispatch
//! with orders kept in an embedded database, the governance index and health; optionally over
//! TLS, recording what it streams or replaying a recording. Connections are served within the
//! limits of [`Limits`] (timeouts, a cap), so hostile or stalled sockets cannot starve the walls.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use tokio::sync::broadcast;

pub mod cli;
mod dispatch;
pub mod encode;
pub mod history;
pub mod limits;
pub mod net;
pub mod orders;
mod report;
pub mod source;
mod stream;
pub mod tls;
use dispatch::dispatch;
use encode::EncodeFailures;
pub use limits::Limits;
use orders::{KeptKey, OrderStore};
pub use source::{Replay, Source};
use stream::stream_events;
pub use twinhall_core::snapshot_jpeg::camera_jpeg;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Bearer token every call must carry; none when empty.
    pub token: String,
    pub tick: Duration,
    /// Batches kept for `?after=` resumption.
    pub history: usize,
    /// The orders database (SQLite): dispatch orders and their idempotency keys. A path ending
    /// in `.jsonl`, or an old JSON-lines orders file, is imported once into the same name with
    /// `.sqlite` (see [`orders::resolve`]).
    pub orders_path: PathBuf,
    /// Write the snapshot and every streamed batch here (`--record`).
    pub record: Option<PathBuf>,
}

struct Inner {
    sim: Source,
    history: VecDeque<(u64, Arc<str>)>,
    /// Idempotency keys within the retention, with the order each first answered.
    keys: HashMap<String, KeptKey>,
    recorder: Option<Recorder>,
}

/// State shared by the handlers and the ticker.
pub struct Shared {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<(u64, Arc<str>)>,
    config: ServerConfig,
    limits: Limits,
    /// This run of the server: clients that see it change reload the snapshot.
    epoch: u64,
    /// The orders database's writer.
    orders: OrderStore,
    /// Orders are made one at a time (their ids come from the simulation's counter); only
    /// dispatches wait here, never the ticker or the other calls.
    dispatch_gate: tokio::sync::Mutex<()>,
}

/// Writes what the server streams as a recording; a write error stops the recording (once
/// logged), never the server.
struct Recorder {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    started: std::time::Instant,
}

impl Recorder {
    fn start(path: &std::path::Path, snapshot: &twinhall_core::protocol::Snapshot) -> Result<Self, String> {
        let file = std::fs::File::create(path).map_err(|e| format!("--record {}: {e}", path.display()))?;
        let mut r =
            Self { path: path.to_owned(), out: std::io::BufWriter::new(file), started: std::time::Instant::now() };
        let json = serde_json::to_string(snapshot).map_err(|e| e.to_string())?;
        r.write(&format!("{{\"t\":0,\"snapshot\":{json}}}"))
            .map_err(|e| format!("--record {}: {e}", path.display()))?;
        Ok(r)
    }

    fn write(&mut self, line: &str) -> std::io::Result<()> {
        writeln!(self.out, "{line}")?;
        self.out.flush()
    }

    fn batch(&mut self, json: &str) -> std::io::Result<()> {
        let t = self.started.elapsed().as_millis();
        self.write(&format!("{{\"t\":{t},\"batch\":{json}}}"))
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a handler panicked mid-request; the state is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Builds the shared state with the default [`Limits`]; see [`shared_with`].
pub fn shared(sim: Source, config: ServerConfig) -> Result<Arc<Shared>, String> {
    shared_with(sim, config, Limits::default())
}

/// Builds the shared state, restoring the orders and keys kept in the orders database (importing
/// an old JSON-lines file once), and starting the recording if asked.
pub fn shared_with(mut sim: Source, config: ServerConfig, limits: Limits) -> Result<Arc<Shared>, String> {
    let keep_after = key_cutoff(&limits);
    let (orders, loaded) = OrderStore::open(&config.orders_path, keep_after)?;
    for order in loaded.orders {
        sim.restore_order(order);
    }
    loaded.reported_ids.iter().for_each(|id| sim.restore_incident_id(id));
    let keys: HashMap<String, KeptKey> = loaded.keys.into_iter().map(|k| (k.record.key.clone(), k)).collect();
    let recorder = match &config.record {
        Some(path) => Some(Recorder::start(path, &sim.snapshot())?),
        None => None,
    };
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(1)
        .max(1);
    let (tx, _) = broadcast::channel(256);
    let inner = Inner { sim, history: VecDeque::new(), keys, recorder };
    let dispatch_gate = tokio::sync::Mutex::new(());
    Ok(Arc::new(Shared { inner: Mutex::new(inner), tx, config, limits, epoch, orders, dispatch_gate }))
}

/// Keys stored before this time (wall clock) are past the retention.
fn key_cutoff(limits: &Limits) -> twinhall_core::protocol::Millis {
    let retention = i64::try_from(limits.key_retention.as_millis()).unwrap_or(i64::MAX);
    twinhall_core::protocol::now_ms().saturating_sub(retention)
}

impl Shared {
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

/// Steps the simulation every tick and publishes each batch; drops expired idempotency keys.
pub async fn run_ticker(shared: Arc<Shared>) {
    let mut interval = tokio::time::interval(shared.config.tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let prune_every = shared.limits.key_retention.clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut pruned = tokio::time::Instant::now();
    let mut unencodable = EncodeFailures::default();
    loop {
        interval.tick().await;
        if pruned.elapsed() >= prune_every {
            pruned = tokio::time::Instant::now();
            let cutoff = key_cutoff(&shared.limits);
            shared.lock().keys.retain(|_, k| k.stored_at >= cutoff);
            shared.orders.prune(cutoff);
        }
        let published = {
            let mut inner = shared.lock();
            let batches = inner.sim.tick(shared.config.tick.as_millis() as i64);
            let mut out = Vec::with_capacity(batches.len());
            for b in batches {
                let Some(json) = unencodable.encode(b.seq, &b) else { continue };
                let json: Arc<str> = json.into();
                if let Some(rec) = &mut inner.recorder
                    && let Err(e) = rec.batch(&json)
                {
                    tracing::error!("--record {}: {e}; recording stopped", rec.path.display());
                    inner.recorder = None;
                }
                inner.history.push_back((b.seq, json.clone()));
                while inner.history.len() > shared.config.history {
                    inner.history.pop_front();
                }
                out.push((b.seq, json));
            }
            out
        };
        for p in published {
            // No subscribers is fine.
            let _ = shared.tx.send(p);
        }
    }
}

/// Serves plain HTTP on `listener` and runs the ticker, until the runtime stops (for tests and
/// embedding; the binary adds TLS and a graceful shutdown).
pub async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) -> std::io::Result<()> {
    warn_if_exposed(&shared, listener.local_addr()?);
    tokio::spawn(run_ticker(shared.clone()));
    serve_with(listener, shared, None, std::future::pending()).await
}

/// Warns when `addr` reaches beyond loopback and no token is set.
pub fn warn_if_exposed(shared: &Shared, addr: std::net::SocketAddr) {
    if shared.config.token.is_empty() && !addr.ip().is_loopback() {
        tracing::warn!(
            "listening on {addr}, beyond loopback, without a token: anyone who reaches it can read the feed and dispatch units; set --token or TWINHALL_FEED_TOKEN"
        );
    }
}

/// Serves the protocol on `listener` (over TLS when given a configuration) within the shared
/// state's [`Limits`], until `shutdown` completes; the caller runs the ticker (and calls
/// [`warn_if_exposed`]).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let mut limits = shared.limits.clone();
    limits.max_connections = net::connection_cap(limits.max_connections, net::open_files_limit());
    net::serve_connections(listener, router(shared), tls, limits, shutdown).await
}

/// The protocol's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/snapshot", get(snapshot))
        .route("/v1/stream", get(stream_events))
        .route("/v1/dispatch", post(dispatch))
        .route("/v1/incidents/history", get(history::incident_history))
        .route("/v1/incidents", post(report::report))
        .route("/v1/orders", get(orders))
        .route("/v1/orders/{id}", get(order))
        .route("/v1/index", get(index))
        .route("/v1/index/history", get(history::index_history))
        .route("/v1/cameras/{id}/snapshot.jpg", get(camera_snapshot))
        .route("/v1/units/{id}/snapshot.jpg", get(unit_snapshot))
        .route("/v1/health", get(health))
        .layer(middleware::from_fn_with_state(shared.clone(), require_token))
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .with_state(shared)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

async fn require_token(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let token = shared.config.token.as_bytes();
    if !token.is_empty() {
        let given = req.headers().get(header::AUTHORIZATION).and_then(|v| bearer_token(v.as_bytes()));
        if !given.is_some_and(|g| same_secret(g, token)) {
            return error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        }
    }
    next.run(req).await
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive, as
/// HTTP says (`bearer`, `BEARER`), and may be followed by more than one space.
pub fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    let space = value.iter().position(|b| *b == b' ')?;
    let (scheme, rest) = value.split_at(space);
    let token = rest.trim_ascii_start();
    (scheme.eq_ignore_ascii_case(b"bearer") && !token.is_empty()).then_some(token)
}

/// Compares two secrets in time that depends on their lengths only, never on where they differ.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    given.ct_eq(expected).into()
}

async fn snapshot(State(shared): State<Arc<Shared>>) -> Response {
    let mut snap = shared.lock().sim.snapshot();
    snap.epoch = shared.epoch;
    // Tens of megabytes at city scale: encode off the async workers.
    match tokio::task::spawn_blocking(move || serde_json::to_vec(&snap)).await {
        Ok(Ok(body)) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("snapshot encoding: {e}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("snapshot task: {e}")),
    }
}

async fn index(State(shared): State<Arc<Shared>>) -> Response {
    match shared.lock().sim.index() {
        Some(index) => Json(index).into_response(),
        None => error(StatusCode::NOT_FOUND, "no governance index in this feed"),
    }
}

async fn orders(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.lock().sim.orders()).into_response()
}

async fn camera_snapshot(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let found = {
        let inner = shared.lock();
        inner.sim.camera(&id).cloned().map(|c| (c, inner.sim.now_ms()))
    };
    let Some((camera, now)) = found else {
        return error(StatusCode::NOT_FOUND, format!("no camera `{id}`"));
    };
    // Drawing and encoding take a few milliseconds: off the async workers.
    match tokio::task::spawn_blocking(move || camera_jpeg(&camera, now)).await {
        Ok(Ok(jpeg)) => {
            ([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "no-store")], jpeg).into_response()
        }
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("the snapshot could not be drawn: {e}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("the snapshot task failed: {e}")),
    }
}

/// A drone's aerial still, drawn from the city under it (404 for a unit with no camera).
async fn unit_snapshot(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let found = {
        let inner = shared.lock();
        inner.sim.aerial_shot(&id).map(|shot| (shot, inner.sim.now_ms()))
    };
    let Some(((scene, shot), now)) = found else {
        return error(StatusCode::NOT_FOUND, format!("no unit `{id}` with a camera"));
    };
    match tokio::task::spawn_blocking(move || twinhall_core::aerial::aerial_jpeg(&scene, &shot, now)).await {
        Ok(Ok(jpeg)) => {
            ([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "no-store")], jpeg).into_response()
        }
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("the still could not be drawn: {e}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("the still task failed: {e}")),
    }
}

async fn health(State(shared): State<Arc<Shared>>) -> Response {
    let (seq, replay) = {
        let inner = shared.lock();
        (inner.sim.seq(), inner.sim.is_replay())
    };
    let mode = if replay { "replay" } else { "simulation" };
    Json(serde_json::json!({ "status": "ok", "seq": seq, "epoch": shared.epoch, "mode": mode })).into_response()
}

async fn order(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.lock().sim.order(&id) {
        Some(o) => Json(o).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no order `{id}`")),
    }
}

/// The header a replayed answer carries: the order was made by an earlier request with this key.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
