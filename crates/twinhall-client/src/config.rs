//! How to reach the backend, the client's timings, and the limits that keep a broken or hostile
//! backend from making the wall hold unbounded memory.

use std::fmt;
use std::time::Duration;

use twinhall_core::config::FeedConfig;
use twinhall_core::redact::redact_url;

/// Largest snapshot body accepted by default.
pub const DEFAULT_MAX_SNAPSHOT_BYTES: usize = 256 << 20;
/// Largest stream line, and largest event (its `data:` lines together), accepted by default.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 4 << 20;
/// Largest camera still body accepted by default.
pub const DEFAULT_MAX_STILL_BYTES: usize = 16 << 20;
/// Most pixels a camera still may have by default (decoded as RGBA: 64 MB).
pub const DEFAULT_MAX_STILL_PIXELS: u64 = 16_000_000;

/// How to reach the backend, and the client's timings and limits.
///
/// Its `Debug` shows the token as `<redacted>` and the URL without its secrets.
#[derive(Clone)]
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
    /// A connection up this long resets the backoff; within it, only the first snapshot reload
    /// is immediate and further ones back off (a backend that answers `reset` every time).
    pub stable_after: Duration,
    /// Connecting, and each read of a response, may take this long.
    pub io_timeout: Duration,
    /// Largest snapshot body accepted; a larger one is refused and counted.
    pub max_snapshot_bytes: usize,
    /// Largest stream line accepted.
    pub max_line_bytes: usize,
    /// Largest stream event (its `data:` lines joined) accepted.
    pub max_event_bytes: usize,
    /// Largest camera still (or other [`FeedClient::fetch`](crate::FeedClient::fetch)) body.
    pub max_still_bytes: usize,
    /// Most pixels (width × height) of a camera still, checked from its header before decoding.
    pub max_still_pixels: u64,
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
            max_snapshot_bytes: DEFAULT_MAX_SNAPSHOT_BYTES,
            max_line_bytes: DEFAULT_MAX_EVENT_BYTES,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            max_still_bytes: DEFAULT_MAX_STILL_BYTES,
            max_still_pixels: DEFAULT_MAX_STILL_PIXELS,
            channel_capacity: 64,
        }
    }

    /// The size limits of the app's `[feed]` section (`max_snapshot_mib`, `max_event_mib`,
    /// `max_still_mib`, `max_still_megapixels`); each at least 1.
    pub fn with_limits(mut self, feed: &FeedConfig) -> Self {
        let mib = |n: u32| (n.max(1) as usize) << 20;
        self.max_snapshot_bytes = mib(feed.max_snapshot_mib);
        self.max_line_bytes = mib(feed.max_event_mib);
        self.max_event_bytes = mib(feed.max_event_mib);
        self.max_still_bytes = mib(feed.max_still_mib);
        self.max_still_pixels = u64::from(feed.max_still_megapixels.max(1)) * 1_000_000;
        self
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &redact_url(&self.base_url))
            .field("token", &if self.token.is_empty() { "" } else { "<redacted>" })
            .field("ca_pem", &self.ca_pem.as_ref().map(|p| format!("{} bytes", p.len())))
            .field("stale_after", &self.stale_after)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_cap", &self.backoff_cap)
            .field("stable_after", &self.stable_after)
            .field("io_timeout", &self.io_timeout)
            .field("max_snapshot_bytes", &self.max_snapshot_bytes)
            .field("max_line_bytes", &self.max_line_bytes)
            .field("max_event_bytes", &self.max_event_bytes)
            .field("max_still_bytes", &self.max_still_bytes)
            .field("max_still_pixels", &self.max_still_pixels)
            .field("channel_capacity", &self.channel_capacity)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use twinhall_core::config::Config;

    use super::*;

    #[test]
    fn debug_shows_no_token_and_no_url_secrets() {
        let c = ClientConfig::new("https://feeder:pa55word@feed.example/?token=q7", "s3cret-token");
        let shown = format!("{c:?}");
        assert!(shown.contains("<redacted>"), "{shown}");
        for secret in ["s3cret-token", "pa55word", "q7"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("feed.example"), "{shown}");
    }

    #[test]
    fn the_app_config_sets_the_limits_and_the_defaults_agree() {
        let defaults = Config::parse("", Path::new("x.toml")).expect("empty config");
        let c = ClientConfig::new("http://h", "").with_limits(&defaults.feed);
        let plain = ClientConfig::new("http://h", "");
        assert_eq!(
            (c.max_snapshot_bytes, c.max_event_bytes, c.max_line_bytes, c.max_still_bytes, c.max_still_pixels),
            (
                plain.max_snapshot_bytes,
                plain.max_event_bytes,
                plain.max_line_bytes,
                plain.max_still_bytes,
                plain.max_still_pixels
            ),
            "config/default.toml and ClientConfig::new agree"
        );
        let raised = Config::parse(
            "[feed]\nmax_snapshot_mib = 1024\nmax_event_mib = 16\nmax_still_mib = 2\nmax_still_megapixels = 40\n",
            Path::new("x.toml"),
        )
        .expect("raised limits");
        let c = ClientConfig::new("http://h", "").with_limits(&raised.feed);
        assert_eq!(c.max_snapshot_bytes, 1 << 30);
        assert_eq!((c.max_event_bytes, c.max_line_bytes), (16 << 20, 16 << 20));
        assert_eq!(c.max_still_bytes, 2 << 20);
        assert_eq!(c.max_still_pixels, 40_000_000);
    }
}
