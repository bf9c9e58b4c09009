//! twinhall-feed: the reference backend of the twinhall feed protocol (docs/feed-protocol.md),
//! serving a simulated city over HTTP: snapshot, Server-Sent Events stream, idempotent dispatch
//! with orders kept on disk, the governance index and health; optionally over TLS, recording
//! what it streams or replaying a recording.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use futures_util::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use twinhall_core::protocol::{DispatchOrder, DispatchRequest, Heartbeat, Reset};

pub mod source;
pub mod tls;
pub use source::{Replay, Source};
pub use twinhall_core::snapshot_jpeg::camera_jpeg;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Bearer token every call must carry; none when empty.
    pub token: String,
    pub tick: Duration,
    /// Batches kept for `?after=` resumption.
    pub history: usize,
    /// Dispatch orders and their idempotency keys, one JSON line each.
    pub orders_path: PathBuf,
    /// Write the snapshot and every streamed batch here (`--record`).
    pub record: Option<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct OrderRecord {
    key: String,
    request: DispatchRequest,
    order: DispatchOrder,
}

struct Inner {
    sim: Source,
    history: VecDeque<(u64, Arc<str>)>,
    keys: HashMap<String, (DispatchRequest, DispatchOrder)>,
    recorder: Option<Recorder>,
}

/// State shared by the handlers and the ticker.
pub struct Shared {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<(u64, Arc<str>)>,
    config: ServerConfig,
    /// This run of the server: clients that see it change reload the snapshot.
    epoch: u64,
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

/// Builds the shared state, restoring the orders kept in `config.orders_path` and starting the
/// recording if asked.
pub fn shared(mut sim: Source, config: ServerConfig) -> Result<Arc<Shared>, String> {
    let mut keys = HashMap::new();
    match std::fs::read_to_string(&config.orders_path) {
        Ok(text) => {
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                match serde_json::from_str::<OrderRecord>(line) {
                    Ok(r) => {
                        sim.restore_order(r.order.clone());
                        keys.insert(r.key, (r.request, r.order));
                    }
                    // A torn last line after a crash is skipped, never fatal.
                    Err(e) => tracing::warn!("{}:{}: order record skipped: {e}", config.orders_path.display(), n + 1),
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: cannot read: {e}", config.orders_path.display())),
    }
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
    Ok(Arc::new(Shared { inner: Mutex::new(inner), tx, config, epoch }))
}

impl Shared {
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

/// Steps the simulation every tick and publishes each batch.
pub async fn run_ticker(shared: Arc<Shared>) {
    let mut interval = tokio::time::interval(shared.config.tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let published = {
            let mut inner = shared.lock();
            let batches = inner.sim.tick(shared.config.tick.as_millis() as i64);
            let mut out = Vec::with_capacity(batches.len());
            for b in batches {
                let Ok(json) = serde_json::to_string(&b) else { continue };
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
    tokio::spawn(run_ticker(shared.clone()));
    axum::serve(listener, router(shared)).await
}

/// The protocol's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/snapshot", get(snapshot))
        .route("/v1/stream", get(stream_events))
        .route("/v1/dispatch", post(dispatch))
        .route("/v1/orders", get(orders))
        .route("/v1/orders/{id}", get(order))
        .route("/v1/index", get(index))
        .route("/v1/cameras/{id}/snapshot.jpg", get(camera_snapshot))
        .route("/v1/health", get(health))
        .layer(middleware::from_fn_with_state(shared.clone(), require_token))
        .with_state(shared)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

async fn require_token(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let token = &shared.config.token;
    if !token.is_empty() {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        }
    }
    next.run(req).await
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

/// `POST /v1/dispatch`: the order is checked and built without touching the simulation, written
/// and synced to the orders file, and only then carried out; a write that fails answers 500 and
/// changes nothing, so the client's retry with the same key makes the order once. A replayed
/// key answers as the first time (201) with `Idempotent-Replayed: true`.
async fn dispatch(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, "an Idempotency-Key header is required");
    };
    let request: DispatchRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("body: {e}")),
    };
    // One lock from the check to the apply: no tick or other order comes between them.
    let mut inner = shared.lock();
    if let Some((first, order)) = inner.keys.get(&key) {
        return if *first == request {
            let mut res = (StatusCode::CREATED, Json(order.clone())).into_response();
            res.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
            res
        } else {
            error(StatusCode::UNPROCESSABLE_ENTITY, "this Idempotency-Key was used with another body")
        };
    }
    let Source::Sim(sim) = &mut inner.sim else {
        return error(StatusCode::CONFLICT, "this backend replays a recording and takes no dispatch orders");
    };
    let order = match sim.prepare_dispatch(&request) {
        Ok(o) => o,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let record = OrderRecord { key: key.clone(), request: request.clone(), order: order.clone() };
    // Durable before applied and answered: the order is on disk before a unit moves.
    let stored = serde_json::to_string(&record)
        .map_err(std::io::Error::other)
        .and_then(|line| append_record(&shared.config.orders_path, &line));
    if let Err(e) = stored {
        tracing::error!("{}: cannot store order: {e}", shared.config.orders_path.display());
        return error(StatusCode::INTERNAL_SERVER_ERROR, "the order could not be stored");
    }
    sim.apply_dispatch(&order);
    inner.keys.insert(key, (request, order.clone()));
    (StatusCode::CREATED, Json(order)).into_response()
}

/// Appends one record line to the orders file and syncs it (and, for a new file, its
/// directory). On failure the file is cut back to where it was, so a record that was not
/// answered 201 is not restored at the next start.
fn append_record(path: &std::path::Path, line: &str) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let existed = path.exists();
    let mut f = std::fs::OpenOptions::new().create(true).read(true).append(true).open(path)?;
    let meta = f.metadata()?;
    let len = if meta.is_file() { meta.len() } else { 0 };
    let mut buf = Vec::with_capacity(line.len() + 2);
    if len > 0 {
        // A torn last line (a crash mid-write) is ended first, so this record stays whole.
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(len - 1))?;
        f.read_exact(&mut last)?;
        if last[0] != b'\n' {
            buf.push(b'\n');
        }
    }
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    let written = f.write_all(&buf).and_then(|()| f.sync_data()).and_then(|()| {
        if existed {
            return Ok(());
        }
        match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => std::fs::File::open(dir)?.sync_all(),
            None => std::fs::File::open(".")?.sync_all(),
        }
    });
    if let Err(e) = written {
        if meta.is_file() {
            let _ = f.set_len(len).and_then(|()| f.sync_data());
        }
        return Err(e);
    }
    Ok(())
}

#[derive(Deserialize)]
struct After {
    after: Option<u64>,
    /// The epoch `after` is from; another epoch than this server's gets a reset.
    epoch: Option<u64>,
}

struct Live {
    rx: broadcast::Receiver<(u64, Arc<str>)>,
    beat: tokio::time::Interval,
    last: u64,
    shared: Arc<Shared>,
    done: bool,
}

async fn stream_events(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<After>,
) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    // Subscribe before reading the history so no batch falls between the two.
    let rx = shared.tx.subscribe();
    let (backlog, reset) = {
        let inner = shared.lock();
        let seq = inner.sim.seq();
        let after = q.after.unwrap_or(seq);
        let oldest = inner.history.front().map(|(s, _)| *s).unwrap_or(seq + 1);
        // Older than the history kept, or ahead of this server (which restarted): reload.
        let other_run = q.epoch.is_some_and(|e| e != shared.epoch);
        if (after + 1 < oldest && after < seq) || after > seq || other_run {
            (Vec::new(), Some(Reset { oldest_seq: oldest, seq }))
        } else {
            let backlog: Vec<(u64, Arc<str>)> = inner.history.iter().filter(|(s, _)| *s > after).cloned().collect();
            (backlog, None)
        }
    };
    let start_last = backlog.last().map(|(s, _)| *s).unwrap_or_else(|| q.after.unwrap_or(0));
    let head: Vec<Result<Event, std::convert::Infallible>> = match reset {
        Some(r) => vec![Ok(Event::default().event("reset").data(serde_json::to_string(&r).unwrap_or_default()))],
        None => backlog
            .into_iter()
            .map(|(s, json)| Ok(Event::default().event("batch").id(s.to_string()).data(&*json)))
            .collect(),
    };
    let ended = reset.is_some();
    let mut beat = tokio::time::interval(Duration::from_secs(1));
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let live = Live { rx, beat, last: start_last, shared, done: ended };
    let tail = stream::unfold(live, |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            tokio::select! {
                msg = st.rx.recv() => match msg {
                    Ok((seq, json)) if seq > st.last => {
                        st.last = seq;
                        let ev = Event::default().event("batch").id(seq.to_string()).data(&*json);
                        return Some((Ok(ev), st));
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // This client fell behind the broadcast: tell it to reload.
                        let seq = st.shared.lock().sim.seq();
                        let r = Reset { oldest_seq: seq, seq };
                        st.done = true;
                        return Some((Ok(Event::default().event("reset").data(serde_json::to_string(&r).unwrap_or_default())), st));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = st.beat.tick() => {
                    let (seq, time) = {
                        let inner = st.shared.lock();
                        (inner.sim.seq(), inner.sim.now_ms())
                    };
                    let hb = Heartbeat { seq, time, epoch: st.shared.epoch };
                    return Some((Ok(Event::default().event("heartbeat").data(serde_json::to_string(&hb).unwrap_or_default())), st));
                }
            }
        }
    });
    Sse::new(stream::iter(head).chain(tail))
}
