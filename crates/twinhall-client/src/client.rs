//! [`FeedClient`], the handle the app holds: it starts the worker thread and its tokio runtime, and
//! runs dispatch orders and still fetches on that runtime, each answer on a channel of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, bounded};
use twinhall_core::protocol::{DispatchOrder, DispatchRequest, Incident, IncidentReport};
use twinhall_core::redact::redact_url;

use crate::dispatch::{dispatch, idempotency_key, send_dispatch};
use crate::http::{http_client, read_body, without_url};
use crate::outbox::SendError;
use crate::status::Refusal;
use crate::still::{Still, decode_still};
use crate::worker::Worker;
use crate::{ClientConfig, ClientEvent, ClientStats};

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
        let worker = Worker::new(config.clone(), http.clone(), tx, stats.clone(), stop.clone());
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
    /// on the returned channel: the order, [`SendError::Rejected`] for a 4xx (final; the
    /// backend's reason) or [`SendError::Unconfirmed`] when no answer came.
    pub fn dispatch_with_key(
        &self,
        key: String,
        request: DispatchRequest,
    ) -> Receiver<Result<DispatchOrder, SendError>> {
        let (tx, rx) = bounded(1);
        let http = self.http.clone();
        let config = self.config.clone();
        self.runtime.spawn(async move {
            let result = send_dispatch(&http, &config, &request, &key, 5).await;
            let _ = tx.send(result);
        });
        rx
    }

    /// Reports an incident (`POST /v1/incidents`) under `key` (the caller's, kept in its journal)
    /// on the worker's runtime, retrying transport errors and 5xx answers with the same key. The
    /// answer arrives on the returned channel: the incident made, [`SendError::Rejected`] for a
    /// 4xx (final; the backend's reason) or [`SendError::Unconfirmed`] when no answer came.
    pub fn report_with_key(&self, key: String, report: IncidentReport) -> Receiver<Result<Incident, SendError>> {
        let (tx, rx) = bounded(1);
        let http = self.http.clone();
        let config = self.config.clone();
        self.runtime.spawn(async move {
            let result = crate::send_report(&http, &config, &report, &key, 5).await;
            let _ = tx.send(result);
        });
        rx
    }

    /// GETs `path` (e.g. a camera still) on the worker's runtime; the bytes arrive on the
    /// returned channel, or the cause (never the URL's secrets). A body over `max_still_bytes`
    /// is refused (and counted) without being read whole.
    pub fn fetch(&self, path: &str) -> Receiver<Result<Vec<u8>, String>> {
        let (tx, rx) = bounded(1);
        let job = self.fetch_job(path);
        self.runtime.spawn(async move {
            let _ = tx.send(job.await);
        });
        rx
    }

    /// GETs a camera still at `path` and decodes it off the runtime: refused (and counted) when
    /// its body is over `max_still_bytes` or its header says more than `max_still_pixels`, before
    /// any pixel is decoded.
    pub fn fetch_still(&self, path: &str) -> Receiver<Result<Still, String>> {
        let (tx, rx) = bounded(1);
        let job = self.fetch_job(path);
        let (stats, max_pixels) = (self.stats.clone(), self.config.max_still_pixels);
        let shown = redact_url(&format!("{}{}", self.config.base_url, path));
        self.runtime.spawn(async move {
            let result = match job.await {
                Ok(bytes) => tokio::task::spawn_blocking(move || decode_still(&bytes, max_pixels))
                    .await
                    .map_err(|e| format!("camera still {shown}: decoder stopped: {e}"))
                    .and_then(|r| {
                        r.map_err(|e| {
                            let text = format!("camera still {shown}: {e}");
                            if e.is_too_large() {
                                stats.refuse(Refusal::Still, 1, || text.clone());
                            }
                            text
                        })
                    }),
                Err(e) => Err(e),
            };
            let _ = tx.send(result);
        });
        rx
    }

    /// Fetches the incident history from `since_ms` on, page after page, on the worker's runtime
    /// ([`fetch_history_pages`](crate::fetch_history_pages): at most `max_incidents`, pages size-
    /// capped, errors naming the URL without its secrets); the history arrives on the returned
    /// channel.
    pub fn fetch_history(
        &self,
        since_ms: twinhall_core::protocol::Millis,
        max_incidents: usize,
    ) -> Receiver<Result<twinhall_core::protocol::IncidentHistory, String>> {
        let (tx, rx) = bounded(1);
        let (http, config) = (self.http.clone(), self.config.clone());
        self.runtime.spawn(async move {
            let _ = tx.send(crate::fetch_history_pages(&http, &config, since_ms, max_incidents).await);
        });
        rx
    }

    /// Fetches every governance index report the backend keeps from `since_ms` on, page after
    /// page, on the worker's runtime ([`fetch_index_history`](crate::fetch_index_history)); the
    /// history arrives on the returned channel.
    pub fn fetch_index_history(
        &self,
        since_ms: twinhall_core::protocol::Millis,
    ) -> Receiver<Result<twinhall_core::protocol::IndexHistory, String>> {
        let (tx, rx) = bounded(1);
        let (http, config) = (self.http.clone(), self.config.clone());
        self.runtime.spawn(async move {
            let _ = tx.send(crate::fetch_index_history(&http, &config, since_ms).await);
        });
        rx
    }

    fn fetch_job(&self, path: &str) -> impl Future<Output = Result<Vec<u8>, String>> + Send + 'static {
        let http = self.http.clone();
        let url = format!("{}{}", self.config.base_url, path);
        let (stats, max, timeout) = (self.stats.clone(), self.config.max_still_bytes, self.config.io_timeout);
        async move {
            let shown = redact_url(&url);
            let mut r = http.get(&url).send().await.map_err(|e| format!("GET {shown}: {}", without_url(&e)))?;
            if !r.status().is_success() {
                return Err(format!("GET {shown}: HTTP {}", r.status()));
            }
            read_body(&mut r, max, timeout, |_| {}).await.map_err(|e| {
                let text = e.describe("GET", &shown);
                if matches!(e, crate::http::BodyError::TooLarge { .. }) {
                    stats.refuse(Refusal::Still, 1, || text.clone());
                }
                text
            })
        }
    }
}

impl Drop for FeedClient {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
