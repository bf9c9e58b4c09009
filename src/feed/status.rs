//! The link to the feed and what the app shows of it: which source, its state, when data last
//! came, what was refused, and the banner that says so.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use crossbeam_channel::Receiver;
use twinhall_core::config::Lang;

use crate::context::Settings;
use crate::settings::redact_url;

use super::{ClientEvent, LinkState};

/// Where the feed's events come from; the client (if any) lives as long as this resource.
#[derive(Resource)]
pub struct FeedLink {
    pub events: Receiver<ClientEvent>,
    pub client: Option<std::sync::Arc<twinhall_client::FeedClient>>,
}

/// The feed's state as the status bar and the wall banner show it.
#[derive(Resource, Clone, Debug)]
pub struct FeedStatus {
    pub state: LinkState,
    /// What the feed is: the backend's URL (redacted) or the embedded simulator.
    pub target: String,
    pub embedded: bool,
    /// When the last snapshot or batch arrived.
    pub last_data: Option<Instant>,
    /// Messages and stream lines skipped as malformed, so far.
    pub malformed: u64,
    /// Snapshots, stream events and stills refused for their size, so far.
    pub refused: u64,
    /// Why no data will ever come, when that is known (shown instead of the link state).
    pub no_source: Option<NoSource>,
}

/// Why a feed will send nothing, so the wall says so rather than "connecting" forever.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoSource {
    /// The embedded simulator needs roads to place units on; this city has none.
    CityWithoutRoads { city: String },
}

impl NoSource {
    /// The reason in words.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            NoSource::CityWithoutRoads { city } => format!(
                "{}：{city} {}",
                lang.tr("无实时数据", "no live data"),
                lang.tr("没有道路，内置模拟无法运行", "has no roads, so the embedded simulator cannot run")
            ),
        }
    }
}

impl FeedStatus {
    pub fn is_live(&self) -> bool {
        self.state.is_live()
    }

    /// Seconds since the last data, if any came.
    pub fn data_age(&self) -> Option<Duration> {
        self.last_data.map(|t| t.elapsed())
    }

    /// The state in words.
    pub fn state_text(&self, lang: Lang) -> String {
        if let Some(reason) = &self.no_source {
            return reason.text(lang);
        }
        match &self.state {
            LinkState::Connecting => lang.tr("连接中", "connecting").to_owned(),
            LinkState::Syncing => lang.tr("同步中", "syncing").to_owned(),
            LinkState::Live => lang.tr("实时", "live").to_owned(),
            LinkState::Stale { .. } => lang.tr("数据停滞", "stale").to_owned(),
            LinkState::Resyncing { reason } => format!("{}（{reason}）", lang.tr("重新同步", "resyncing")),
            LinkState::Unauthorized => lang.tr("未授权（令牌被拒绝）", "unauthorized (token refused)").to_owned(),
            LinkState::Error { cause, retry_in_ms } => format!(
                "{} {cause}，{:.0} {}",
                lang.tr("错误", "error"),
                (*retry_in_ms as f64 / 1000.0).ceil(),
                lang.tr("秒后重试", "s to retry")
            ),
        }
    }

    /// One line for the status bar.
    pub fn describe(&self, lang: Lang) -> String {
        let mut line = format!("{} · {}", self.target, self.state_text(lang));
        if self.malformed > 0 {
            line.push_str(&format!(" · {} {}", self.malformed, lang.tr("条异常消息已跳过", "malformed skipped")));
        }
        if self.refused > 0 {
            line.push_str(&format!(" · {} {}", self.refused, lang.tr("项超限数据已拒收", "refused as oversize")));
        }
        line
    }

    /// The wall banner when the feed is not live: the state and how old the data on screen is.
    pub fn banner(&self, lang: Lang) -> Option<String> {
        if self.is_live() {
            return None;
        }
        let age = match self.data_age() {
            Some(a) => {
                format!("{} {} {}", lang.tr("画面数据为", "data on screen is"), a.as_secs(), lang.tr("秒前", "s old"))
            }
            None => lang.tr("尚无数据", "no data yet").to_owned(),
        };
        Some(format!("{} {} · {}", lang.tr("数据链路", "Feed"), self.state_text(lang), age))
    }
}

pub(super) fn init_feed_status(mut commands: Commands, settings: Res<Settings>) {
    let lang = settings.lang();
    let embedded = settings.config.feed.url.is_empty();
    let target = if embedded {
        lang.tr("内置模拟城市", "embedded simulator").to_owned()
    } else {
        redact_url(&settings.config.feed.url)
    };
    commands.insert_resource(FeedStatus {
        state: LinkState::Connecting,
        target,
        embedded,
        last_data: None,
        malformed: 0,
        refused: 0,
        no_source: None,
    });
}
