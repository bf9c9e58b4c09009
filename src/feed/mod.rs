//! The backend feed: its connection state, the store of what it reported, and the embedded
//! simulated city that feeds the wall when no `--feed` URL is given. The HTTP/SSE client for a
//! real backend comes with the rest of the feed issue.

mod embedded;
mod markers;
mod store;

pub use embedded::FeedMessage;
pub use markers::{FeedMarker, MarkerIndex};
pub use store::{FeedStore, apply_message};

use bevy::prelude::*;
use twinhall_core::config::Lang;

use crate::Settings;
use crate::settings::redact_url;

/// Connection states the status bar and wall banner show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedState {
    /// No feed client runs (a backend URL is configured, but the HTTP client is not built yet).
    NotConnected,
    Connecting,
    Live,
    /// No data for a while: the age of the last message, in seconds.
    Stale(u64),
    Error(String),
}

/// The feed's state and the URL it was asked to use (already redacted).
#[derive(Resource, Clone, Debug)]
pub struct FeedStatus {
    pub state: FeedState,
    pub target: String,
}

impl FeedStatus {
    pub fn is_live(&self) -> bool {
        self.state == FeedState::Live
    }

    /// One line for the status bar.
    pub fn describe(&self, lang: Lang) -> String {
        let state = match &self.state {
            FeedState::NotConnected => lang.tr("未接入", "not connected").to_owned(),
            FeedState::Connecting => lang.tr("连接中", "connecting").to_owned(),
            FeedState::Live => lang.tr("实时", "live").to_owned(),
            FeedState::Stale(age) => format!("{} {age} s", lang.tr("数据陈旧", "stale")),
            FeedState::Error(e) => format!("{} {e}", lang.tr("错误", "error")),
        };
        format!("{} · {state}", self.target)
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, init_feed_status).add_plugins((store::plugin, embedded::plugin, markers::plugin));
}

fn init_feed_status(mut commands: Commands, settings: Res<Settings>) {
    let lang = settings.lang();
    let (target, state) = if settings.config.feed.url.is_empty() {
        (lang.tr("内置模拟城市", "embedded simulator").to_owned(), FeedState::Connecting)
    } else {
        (redact_url(&settings.config.feed.url), FeedState::NotConnected)
    };
    commands.insert_resource(FeedStatus { state, target });
}
