//! The `[feed]` section: the backend, or the simulator in-process.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The backend. Its `Debug` shows the token as `<redacted>` and the URL without its secrets.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// Backend base URL; empty runs the simulator in-process.
    pub url: String,
    /// Bearer token; never logged. `TWINHALL_FEED_TOKEN` in the environment overrides it.
    pub token: String,
    /// Extra trusted CA certificates (PEM) for an https:// backend with a private CA.
    pub ca_file: String,
    /// Largest snapshot accepted, MiB; a larger one is refused and counted.
    pub max_snapshot_mib: u32,
    /// Largest stream line or event (its `data:` lines together) accepted, MiB.
    pub max_event_mib: u32,
    /// Largest camera still body accepted, MiB.
    pub max_still_mib: u32,
    /// Most pixels of a camera still, millions, checked from its header before decoding.
    pub max_still_megapixels: u32,
    /// Hot spots for the embedded simulator, `GRID[:CATEGORY[:FACTOR]]` (demos of the defence
    /// hub): with any, the simulated city has run an hour with them when the wall opens.
    pub hotspots: Vec<String>,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: String::new(),
            ca_file: String::new(),
            max_snapshot_mib: 256,
            max_event_mib: 4,
            max_still_mib: 16,
            max_still_megapixels: 16,
            hotspots: Vec::new(),
        }
    }
}

impl fmt::Debug for FeedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedConfig")
            .field("url", &crate::redact::redact_url(&self.url))
            .field("token", &if self.token.is_empty() { "" } else { "<redacted>" })
            .field("ca_file", &self.ca_file)
            .field("max_snapshot_mib", &self.max_snapshot_mib)
            .field("max_event_mib", &self.max_event_mib)
            .field("max_still_mib", &self.max_still_mib)
            .field("max_still_megapixels", &self.max_still_megapixels)
            .field("hotspots", &self.hotspots)
            .finish()
    }
}
