//! The backend feed: connection state and, in later work, the client that streams entities into
//! the store. Today it reports honestly that no feed is connected.

use bevy::prelude::*;
use twinhall_core::config::Lang;

use crate::Settings;
use crate::settings::redact_url;

/// Connection states the status bar and wall banner show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedState {
    /// No feed client runs yet (the embedded simulator and the HTTP client are not built).
    NotConnected,
    Connecting,
    Live,
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
            FeedState::Error(e) => format!("{} {e}", lang.tr("错误", "error")),
        };
        format!("{} · {state}", self.target)
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, init_feed_status);
}

fn init_feed_status(mut commands: Commands, settings: Res<Settings>) {
    let lang = settings.lang();
    let target = if settings.config.feed.url.is_empty() {
        lang.tr("内置模拟城市", "embedded simulator").to_owned()
    } else {
        redact_url(&settings.config.feed.url)
    };
    commands.insert_resource(FeedStatus { state: FeedState::NotConnected, target });
}
