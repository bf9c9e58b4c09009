//! The control API's HTTP side: axum on its own thread and runtime. Every command goes to the
//! wall through a bounded channel with a one-shot answer, so a slow client never holds up a
//! frame and a busy wall answers 503 rather than queueing without end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::{Call, FlyBody, Reply, Request, TheatreBody};

/// Largest request body, bytes: every command is a few dozen.
pub const BODY_LIMIT: usize = 16 * 1024;
/// Commands waiting for the wall at most; more get 503.
const QUEUE: usize = 64;
/// How long a command waits for the wall's answer (a screenshot takes a frame or two; under
/// software rendering a frame can take a second).
const WAIT: Duration = Duration::from_secs(10);
const WAIT_SCREENSHOT: Duration = Duration::from_secs(60);
/// The wall counts as stalled when no frame has finished for this long.
const STALLED_MS: u64 = 10_000;

/// How the wall's frames are seen from the server: count and the last one's time.
#[derive(Debug, Default)]
pub struct Pulse {
    pub frames: AtomicU64,
    /// Milliseconds after `start` of the last frame.
    pub last_ms: AtomicU64,
}

/// The running API: where it listens and the commands it takes in.
pub struct Running {
    pub addr: SocketAddr,
    pub calls: Receiver<Call>,
    pub pulse: Arc<Pulse>,
    pub started: Instant,
}

#[derive(Clone)]
struct Shared {
    calls: Sender<Call>,
    token: Arc<str>,
    pulse: Arc<Pulse>,
    started: Instant,
}

/// Binds `addr` now (an error names it) and serves on a thread of its own.
pub fn start(addr: SocketAddr, token: String) -> Result<Running, String> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|e| format!("control API: cannot listen on {addr}: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| format!("control API: {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| format!("control API: {addr}: {e}"))?;
    let (tx, rx) = crossbeam_channel::bounded(QUEUE);
    let pulse = Arc::new(Pulse::default());
    let started = Instant::now();
    let shared = Shared { calls: tx, token: token.into(), pulse: pulse.clone(), started };
    std::thread::Builder::new()
        .name("twinhall-control".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return bevy::log::error!("control API: no runtime: {e}"),
            };
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => return bevy::log::error!("control API: {local}: {e}"),
                };
                if let Err(e) = axum::serve(listener, router(shared)).await {
                    bevy::log::error!("control API on {local} stopped: {e}");
                }
            });
        })
        .map_err(|e| format!("control API: no thread: {e}"))?;
    Ok(Running { addr: local, calls: rx, pulse, started })
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/state", get(state))
        .route("/v1/search", get(search))
        .route("/v1/fly", axum::routing::post(fly))
        .route("/v1/select", axum::routing::post(select))
        .route("/v1/layers", get(layers_get).post(layers))
        .route("/v1/theatre", get(theatre_get).post(theatre))
        .route("/v1/screenshot.png", get(screenshot))
        .route("/v1/wall", get(wall_get).post(wall))
        .route("/v1/brief", axum::routing::post(brief))
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

/// Every endpoint and the methods it takes, as the router above has them (the answers to an
/// unknown path or a method an endpoint does not take list them; the headless tests check each).
pub const ENDPOINTS: &[(&str, &[&str])] = &[
    ("/v1/health", &["GET"]),
    ("/v1/state", &["GET"]),
    ("/v1/search", &["GET"]),
    ("/v1/fly", &["POST"]),
    ("/v1/select", &["POST"]),
    ("/v1/layers", &["GET", "POST"]),
    ("/v1/theatre", &["GET", "POST"]),
    ("/v1/screenshot.png", &["GET"]),
    ("/v1/wall", &["GET", "POST"]),
    ("/v1/brief", &["POST"]),
];

/// 404 for a path that is no endpoint, naming the method and path asked for and the endpoints.
async fn no_such_endpoint(method: Method, uri: Uri) -> Response {
    let endpoints: Vec<String> =
        ENDPOINTS.iter().map(|(path, methods)| format!("{} {path}", methods.join("|"))).collect();
    let path = uri.path();
    let list = endpoints.join(", ");
    let body = json!({
        "error": format!("no endpoint {method} {path}; the endpoints are {list} (docs/control-api.md)"),
        "method": method.as_str(),
        "path": path,
    });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// 405 for a method an endpoint does not take, naming the method, the path and the methods it
/// takes (axum adds the `Allow` header).
async fn wrong_method(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let allowed: &[&str] = ENDPOINTS.iter().find(|(p, _)| *p == path).map(|(_, m)| *m).unwrap_or_default();
    let body = json!({
        "error": format!("{path} does not take {method}; it takes {}", allowed.join(" or ")),
        "method": method.as_str(),
        "path": path,
        "allowed": allowed,
    });
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut r = (status, axum::Json(json!({ "error": message.into() }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

/// A request turned away: its status and why.
struct Refused(StatusCode, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

/// Every endpoint but health needs the token when one is set: `Authorization: Bearer TOKEN`
/// (the scheme in any case), compared in constant time.
fn check_token(s: &Shared, headers: &HeaderMap) -> Result<(), Refused> {
    if s.token.is_empty() {
        return Ok(());
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match given {
        Some(t) if same(t.as_bytes(), s.token.as_bytes()) => Ok(()),
        _ => Err(Refused(StatusCode::UNAUTHORIZED, "a valid `Authorization: Bearer TOKEN` header is required".into())),
    }
}

/// Equal in time that does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

/// Sends a command to the wall and waits for its answer.
async fn ask(s: &Shared, request: Request, wait: Duration) -> Response {
    let (tx, rx) = oneshot::channel();
    match s.calls.try_send(Call { request, reply: tx }) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            return error(StatusCode::SERVICE_UNAVAILABLE, format!("the wall has {QUEUE} commands waiting; try again"));
        }
        Err(TrySendError::Disconnected(_)) => return error(StatusCode::SERVICE_UNAVAILABLE, "the wall is closing"),
    }
    match tokio::time::timeout(wait, rx).await {
        Ok(Ok(reply)) => respond(reply).await,
        Ok(Err(_)) => error(StatusCode::INTERNAL_SERVER_ERROR, "the wall dropped the command"),
        Err(_) => error(StatusCode::GATEWAY_TIMEOUT, format!("the wall did not answer within {} s", wait.as_secs())),
    }
}

async fn respond(reply: Reply) -> Response {
    match reply {
        Reply::Json(status, body) => {
            (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), axum::Json(body)).into_response()
        }
        Reply::Error(status, message) => {
            error(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), message)
        }
        // PNG encoding takes tens of milliseconds at wall sizes: off the wall's thread and off
        // this runtime's.
        Reply::Image(image) => match tokio::task::spawn_blocking(move || crate::context::png_bytes(&image)).await {
            Ok(Ok(png)) => {
                ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png).into_response()
            }
            Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("the screenshot did not encode: {e}")),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("the screenshot did not encode: {e}")),
        },
    }
}

/// A JSON body of type `T`, or the 4xx that says what is wrong with it.
fn body<T: for<'de> Deserialize<'de>>(raw: Result<Bytes, BytesRejection>) -> Result<T, Refused> {
    let raw = raw.map_err(|r| {
        let status = r.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the body is larger than {BODY_LIMIT} bytes")
        } else {
            r.body_text()
        };
        Refused(status, message)
    })?;
    let fail = |path: String, inner: serde_json::Error| {
        let status = if inner.is_syntax() || inner.is_eof() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let field = if path.is_empty() || path == "." { String::new() } else { format!("`{path}`: ") };
        Refused(status, format!("the body is not the JSON this endpoint takes: {field}{inner}"))
    };
    let mut de = serde_json::Deserializer::from_slice(&raw);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => de.end().map(|()| v).map_err(|e| fail(String::new(), e)),
        Err(e) => {
            let path = e.path().to_string();
            Err(fail(path, e.into_inner()))
        }
    }
}

async fn health(State(s): State<Shared>) -> Response {
    let frames = s.pulse.frames.load(Ordering::Relaxed);
    let now = s.started.elapsed().as_millis() as u64;
    let since = now.saturating_sub(s.pulse.last_ms.load(Ordering::Relaxed));
    let ok = frames > 0 && since < STALLED_MS;
    let body = json!({
        "ok": ok,
        "frames": frames,
        "since_last_frame_ms": if frames > 0 { Value::from(since) } else { Value::Null },
        "version": env!("CARGO_PKG_VERSION"),
    });
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}

async fn state(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    ask(&s, Request::State, WAIT).await
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    limit: Option<usize>,
}

async fn search(State(s): State<Shared>, headers: HeaderMap, Query(p): Query<SearchParams>) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    let q = p.q.unwrap_or_default();
    if q.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "name what to look for: /v1/search?q=TEXT");
    }
    if q.len() > 200 {
        return error(StatusCode::BAD_REQUEST, "q is longer than 200 bytes");
    }
    ask(&s, Request::Search { q, limit: p.limit.unwrap_or(20).clamp(1, 100) }, WAIT).await
}

async fn fly(State(s): State<Shared>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    let b: FlyBody = match body(raw) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    if let Err(m) = b.check() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, m);
    }
    ask(&s, Request::Fly(b), WAIT).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectBody {
    /// `null` clears the selection.
    incident_id: Option<String>,
}

async fn select(State(s): State<Shared>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    match body::<SelectBody>(raw) {
        Ok(b) => ask(&s, Request::Select { incident_id: b.incident_id }, WAIT).await,
        Err(r) => r.into_response(),
    }
}

async fn layers_get(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    ask(&s, Request::Layers(twinhall_core::theatre::Layers::default()), WAIT).await
}

async fn layers(State(s): State<Shared>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    match body::<twinhall_core::theatre::Layers>(raw) {
        Ok(b) => ask(&s, Request::Layers(b), WAIT).await,
        Err(r) => r.into_response(),
    }
}

async fn theatre_get(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    ask(&s, Request::TheatreState, WAIT).await
}

async fn theatre(State(s): State<Shared>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    match body::<TheatreBody>(raw) {
        Ok(b) => ask(&s, Request::Theatre(b), WAIT).await,
        Err(r) => r.into_response(),
    }
}

async fn screenshot(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    ask(&s, Request::Screenshot, WAIT_SCREENSHOT).await
}

async fn wall_get(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    ask(&s, Request::Wall(None), WAIT).await
}

async fn wall(State(s): State<Shared>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    match body::<super::WallBody>(raw) {
        Ok(b) => ask(&s, Request::Wall(Some(b)), WAIT).await,
        Err(r) => r.into_response(),
    }
}

async fn brief(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = check_token(&s, &headers) {
        return r.into_response();
    }
    ask(&s, Request::Brief, WAIT_SCREENSHOT).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_compare_whole() {
        assert!(super::same(b"s3cret", b"s3cret"));
        assert!(!super::same(b"s3cre", b"s3cret"));
        assert!(!super::same(b"s3cretX", b"s3cret"));
        assert!(!super::same(b"S3cret", b"s3cret"));
        assert!(!super::same(b"", b"s3cret"));
        assert!(super::same(b"", b""));
    }
}
