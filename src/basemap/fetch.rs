//! Tile loading off the main thread. A worker thread owns a tokio runtime and a reqwest client;
//! tile ids come in and decoded RGBA tiles go out through bounded crossbeam channels. Each tile
//! is taken from the disk cache when there, else fetched (http) or read (folder), decoded with
//! the image crate on the worker, and cached.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use twinhall_core::tiles::{TileId, TileSource};

use crate::settings::redact_url;

/// What became of one tile.
#[derive(Debug)]
pub enum TileOutcome {
    Loaded { id: TileId, width: u32, height: u32, rgba: Vec<u8>, from_cache: bool },
    Failed { id: TileId, reason: String },
}

/// Handle to the worker; dropping it stops the worker.
pub struct TileFetcher {
    requests: Sender<TileId>,
    results: Receiver<TileOutcome>,
}

const QUEUE: usize = 256;

impl TileFetcher {
    /// Starts the worker for a source. `cache_dir` is where fetched tiles are kept.
    pub fn spawn(source: TileSource, cache_dir: Option<PathBuf>, concurrency: usize) -> Result<Self, String> {
        let (req_tx, req_rx) = bounded::<TileId>(QUEUE);
        let (res_tx, res_rx) = bounded::<TileOutcome>(QUEUE);
        // reqwest is built without a default crypto provider; ring is ours. A second install
        // (another fetcher) is not an error.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("twinhall/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("twinhall-tiles")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the tile runtime: {e}"))?;
        let cache = cache_dir.map(|d| d.join(source.cache_key()));
        let source = Arc::new(source);
        std::thread::Builder::new()
            .name("twinhall-tile-queue".into())
            .spawn(move || {
                let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
                // Ends when the fetcher (the sender) is dropped.
                while let Ok(id) = req_rx.recv() {
                    let Ok(permit) = runtime.block_on(permits.clone().acquire_owned()) else { break };
                    let (source, cache, client, res_tx) =
                        (source.clone(), cache.clone(), client.clone(), res_tx.clone());
                    runtime.spawn(async move {
                        let outcome = load_tile(&source, cache.as_deref(), &client, id).await;
                        // The app may be gone; nothing to report to then.
                        let _ = res_tx.send(outcome);
                        drop(permit);
                    });
                }
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| format!("cannot start the tile thread: {e}"))?;
        Ok(Self { requests: req_tx, results: res_rx })
    }

    /// Queues a tile; false when the queue is full (ask again later).
    pub fn request(&self, id: TileId) -> bool {
        match self.requests.try_send(id) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => false,
        }
    }

    pub fn try_recv(&self) -> Option<TileOutcome> {
        self.results.try_recv().ok()
    }

    /// Waits for the next outcome (tests and tools).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<TileOutcome> {
        self.results.recv_timeout(timeout).ok()
    }
}

fn cache_path(cache: &Path, id: TileId) -> PathBuf {
    cache.join(id.z.to_string()).join(id.x.to_string()).join(format!("{}.tile", id.y))
}

async fn load_tile(source: &TileSource, cache: Option<&Path>, client: &reqwest::Client, id: TileId) -> TileOutcome {
    let address = source.address(id);
    let shown = if source.is_http() { redact_url(&address) } else { address.clone() };
    let fail = |reason: String| TileOutcome::Failed { id, reason };
    if let Some(path) = cache.map(|c| cache_path(c, id))
        && let Ok(bytes) = tokio::fs::read(&path).await
    {
        match decode(&bytes) {
            Ok((width, height, rgba)) => return TileOutcome::Loaded { id, width, height, rgba, from_cache: true },
            // A damaged cache entry is dropped and fetched again.
            Err(_) => {
                let _ = tokio::fs::remove_file(&path).await;
            }
        }
    }
    let bytes = if source.is_http() {
        let response = match client.get(&address).send().await {
            Ok(r) => r,
            Err(e) => return fail(format!("GET {shown}: {}", without_url(&e))),
        };
        if !response.status().is_success() {
            return fail(format!("GET {shown}: HTTP {}", response.status()));
        }
        match response.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return fail(format!("GET {shown}: {}", without_url(&e))),
        }
    } else {
        match tokio::fs::read(&address).await {
            Ok(b) => b,
            Err(e) => return fail(format!("{shown}: {e}")),
        }
    };
    let (width, height, rgba) = match decode(&bytes) {
        Ok(d) => d,
        Err(e) => return fail(format!("{shown}: broken tile image: {e}")),
    };
    if source.is_http()
        && let Some(path) = cache.map(|c| cache_path(c, id))
    {
        store(&path, &bytes).await;
    }
    TileOutcome::Loaded { id, width, height, rgba, from_cache: false }
}

/// reqwest's errors print the URL, tokens included; keep only the cause.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "broken response body"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(cause) => format!("{kind} ({cause})"),
        None => kind.to_owned(),
    }
}

fn decode(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let img = image::load_from_memory(bytes).map_err(|e| e.to_string())?.to_rgba8();
    if img.width() == 0 || img.height() == 0 || img.width() > 4096 || img.height() > 4096 {
        return Err(format!("unusable size {}x{}", img.width(), img.height()));
    }
    Ok((img.width(), img.height(), img.into_raw()))
}

/// Writes a cache entry atomically (temp file, then rename); a failure only costs the cache.
async fn store(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if tokio::fs::create_dir_all(dir).await.is_err() {
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if tokio::fs::write(&tmp, bytes).await.is_ok() && tokio::fs::rename(&tmp, path).await.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
}
