//! The backend feed: the link to it (the twinhall-client worker for `--feed URL`, or the
//! embedded simulated city), the store of what it reported, and its first view on the twin.
//!
//! Both sources send the same [`ClientEvent`]s through a bounded channel; one system applies them
//! once per frame under a time budget.

mod embedded;
mod markers;
mod remote;
mod source;
mod status;
mod store;
#[cfg(test)]
mod tests;

pub use embedded::EmbeddedDispatch;
pub use markers::{FeedMarker, MarkerAssets, MarkerIndex, unit_colour, update_markers};
pub use source::{FeedSource, Fetch, HistoryRelay, LoadedHistories, RelaySenders};
pub use status::{FeedLink, FeedStatus, NoSource};
pub use store::{FeedApplied, FeedData, FeedForward, FeedTap};
pub use twinhall_client::{ClientEvent, LinkState};

use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LoadedHistories>().add_systems(PreStartup, status::init_feed_status).add_plugins((
        store::plugin,
        embedded::plugin,
        remote::plugin,
    ));
}

/// The overlays draw the feed in the app; the simple markers remain for tools, tests and the
/// feed benchmark (in place against despawn-and-respawn).
///
/// The store, its ingest and the markers without a source: for tools and benchmarks that insert
/// their own [`FeedLink`] and [`FeedStatus`]. `markers: false` leaves the marker system out.
pub fn headless_plugin(app: &mut App, markers: bool) {
    app.add_plugins(store::plugin);
    if markers {
        app.add_plugins(markers::plugin);
    }
}
