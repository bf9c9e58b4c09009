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
//!   so do snapshot reloads after the first in that minute (a backend that resets every stream);
//! - a malformed message is skipped and counted, and logged at most once per 10 s;
//! - a snapshot, stream event or camera still over its size limit is refused, counted and logged
//!   once; a still's pixel count is checked from its header before it is decoded;
//! - its state (connecting, syncing, live, stale, resyncing, unauthorized, error) is sent with
//!   the data, so the wall always says how far it can be trusted;
//! - a full app queue makes the worker wait without blocking its runtime: dispatch orders and
//!   still fetches go on;
//! - the bearer token never reaches a log, and URLs are logged with secrets removed; a token
//!   sent over plain http to another machine is warned about.

/// Reconnect delays with full jitter, and the pace of snapshot reloads.
pub mod backoff;
/// [`FeedClient`]: the handle that starts the worker and runs dispatches and fetches.
mod client;
/// [`ClientConfig`]: where the backend is, timings and size limits.
mod config;
/// Positions from the snapshot's CRS to WGS 84.
pub mod crs;
/// `POST /v1/dispatch` with one idempotency key for every attempt.
mod dispatch;
/// The sequencing rules as a pure function: state + event -> what to do.
pub mod events;
/// `GET /v1/incidents/history` and `GET /v1/index/history`: the past incidents the defence hub's
/// baselines count, the governance index's past for the heartbeat hub's trends.
pub mod history;
/// The reqwest client, bodies under a size limit, the token-in-clear warning.
mod http;
/// Dispatch orders journalled before they are sent.
pub mod outbox;
/// `POST /v1/incidents`: incidents the wall reports, one idempotency key for every attempt.
pub mod report;
/// The incremental SSE parser, bounded per line and per event.
pub mod sse;
/// What the client tells the app: link state, events, counters.
mod status;
/// Camera stills, size-checked from their header before decoding.
pub mod still;
/// The link between the machines of one wall: leader and followers, frame by frame.
pub mod sync;
/// The worker task: snapshot, stream, resume, reload.
mod worker;

pub use client::FeedClient;
pub use config::{
    ClientConfig, DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_SNAPSHOT_BYTES, DEFAULT_MAX_STILL_BYTES,
    DEFAULT_MAX_STILL_PIXELS,
};
pub use dispatch::{dispatch, idempotency_key, send_dispatch};
pub use history::{
    fetch_history, fetch_history_page, fetch_history_pages, fetch_index_history, fetch_index_history_page,
};
pub use http::{http_client, token_in_clear, warn_if_token_in_clear};
pub use report::{ReportSink, send_report};
pub use status::{ClientEvent, ClientStats, LinkState, Refusal};
