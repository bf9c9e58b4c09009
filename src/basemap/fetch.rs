//! Tile loading off the main thread. A worker thread owns a tokio runtime and a reqwest client;
//! tile ids come in and decoded RGBA tiles go out through bounded crossbeam channels. Each tile
//! is taken from the disk cache when there, else fetched (http) or read (folder), decoded with
//! the image crate on the worker, and cached.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError, bounded};
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
    /// Set once a channel to the worker is found disconnected: the worker is gone.
    gone: AtomicBool,
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
        Ok(Self { requests: req_tx, results: res_rx, gone: AtomicBool::new(false) })
    }

    /// Queues a tile; false when the queue is full (ask again later) or the worker is gone
    /// (see [`TileFetcher::worker_gone`]).
    pub fn request(&self, id: TileId) -> bool {
        match self.requests.try_send(id) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => false,
            Err(TrySendError::Disconnected(_)) => {
                self.gone.store(true, Ordering::Relaxed);
                false
            }
        }
    }

    pub fn try_recv(&self) -> Option<TileOutcome> {
        match self.results.try_recv() {
            Ok(outcome) => Some(outcome),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.gone.store(true, Ordering::Relaxed);
                None
            }
        }
    }

    /// Whether the worker has stopped (its channels disconnected): no tile will load again, and
    /// a full queue is not the reason.
    pub fn worker_gone(&self) -> bool {
        self.gone.load(Ordering::Relaxed)
    }

    /// A fetcher whose worker has already stopped, for tests of what the app does then.
    #[cfg(test)]
    pub(crate) fn with_stopped_worker() -> Self {
        let (requests, _) = bounded::<TileId>(QUEUE);
        let (_, results) = bounded::<TileOutcome>(QUEUE);
        Self { requests, results, gone: AtomicBool::new(false) }
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
        match read_capped(response, MAX_TILE_BYTES).await {
            Ok(b) => b,
            Err(e) => return fail(format!("GET {shown}: {e}")),
        }
    } else {
        match tokio::fs::metadata(&address).await {
            Ok(m) if m.len() > MAX_TILE_BYTES as u64 => {
                return fail(format!("{shown}: {} bytes, over the tile limit of {MAX_TILE_BYTES}", m.len()));
            }
            _ => {}
        }
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

/// Largest tile body read, bytes (a 512 px PNG tile is well under 1 MiB).
const MAX_TILE_BYTES: usize = 8 << 20;
/// Largest tile side, pixels.
const MAX_TILE_SIDE: u32 = 4096;

/// Reads a body up to `max` bytes: refused up front when its declared length is over, and as
/// soon as what arrives goes over.
async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    if let Some(n) = response.content_length().filter(|n| *n > max as u64) {
        return Err(format!("{n} bytes declared, over the tile limit of {max}"));
    }
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| without_url(&e))? {
        if out.len() + chunk.len() > max {
            return Err(format!("over the tile limit of {max} bytes; refused"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Decodes a tile, its size checked from the header before any pixel is decoded.
fn decode(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let (w, h) = twinhall_client::still::still_dimensions(bytes).map_err(|e| e.to_string())?;
    if w == 0 || h == 0 || w > MAX_TILE_SIDE || h > MAX_TILE_SIDE {
        return Err(format!("unusable size {w}x{h} (at most {MAX_TILE_SIDE} per side); not decoded"));
    }
    let img = image::load_from_memory(bytes).map_err(|e| e.to_string())?.to_rgba8();
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

#[cfg(test)]
mod tests {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A PNG that claims `w` x `h` pixels: its signature, header and an empty data chunk (what a
    /// reader needs to know the size), no pixels.
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        for chunk in [ihdr, b"IDAT".to_vec(), b"IEND".to_vec()] {
            out.extend_from_slice(&(chunk.len() as u32 - 4).to_be_bytes());
            out.extend_from_slice(&chunk);
            out.extend_from_slice(&crc32(&chunk).to_be_bytes());
        }
        out
    }

    #[test]
    fn a_huge_tile_is_refused_from_its_header_and_a_real_one_decodes() {
        let err = super::decode(&png_header(11_000, 11_000)).expect_err("refused");
        assert!(err.contains("11000x11000") && err.contains("not decoded"), "{err}");
        let mut png = Vec::new();
        image::RgbaImage::from_pixel(256, 256, image::Rgba([10, 20, 30, 255]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("encode");
        let (w, h, rgba) = super::decode(&png).expect("a real tile decodes");
        assert_eq!((w, h, rgba.len()), (256, 256, 256 * 256 * 4));
        assert!(super::decode(b"<html>502 Bad Gateway</html>").is_err());
    }
}
