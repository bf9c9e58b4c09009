//! The index over time: the backend's history (from 7 days back), fetched once the feed is live
//! (retried after a minute on failure), then every report the feed sends during the session.

use std::time::Duration;

use bevy::prelude::*;
use twinhall_core::protocol::{GovernanceIndex, IndexHistory, now_ms};

use crate::context::AppSystems;
use crate::feed::{FeedData, FeedSource, Fetch, LoadedHistories};

/// Days of the backend's history asked for.
pub const TREND_DAYS: i64 = 7;
/// Most reports kept (the backend's and the session's together).
const KEEP: usize = 20_000;
const RETRY: Duration = Duration::from_secs(60);

/// The index's reports, oldest first.
#[derive(Resource, Default, Debug)]
pub struct IndexTrend {
    pub samples: Vec<GovernanceIndex>,
    /// Why the backend's history is missing, when it is.
    pub error: Option<String>,
    /// How many of the samples came from the backend's history.
    pub from_history: usize,
}

impl IndexTrend {
    /// Adds a report, keeping time order and dropping repeats.
    pub fn push(&mut self, g: GovernanceIndex) {
        if self.samples.last().is_some_and(|l| l.updated_at >= g.updated_at) {
            return;
        }
        self.samples.push(g);
        if self.samples.len() > KEEP {
            self.samples.drain(..self.samples.len() - KEEP);
        }
    }

    /// Merges the backend's history under what the session has seen.
    fn merge_history(&mut self, h: IndexHistory) {
        let first_live = self.samples.first().map_or(i64::MAX, |s| s.updated_at);
        let mut v: Vec<GovernanceIndex> = h.samples.into_iter().filter(|s| s.updated_at < first_live).collect();
        v.sort_by_key(|s| s.updated_at);
        self.from_history = v.len();
        v.append(&mut self.samples);
        self.samples = v;
    }
}

/// The history's request.
#[derive(Resource)]
struct TrendFetch(Fetch<IndexHistory>);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<IndexTrend>()
        .insert_resource(TrendFetch(Fetch::new(RETRY)))
        .add_systems(Update, follow_index.after(AppSystems::Ingest).before(AppSystems::Commands));
}

fn follow_index(
    data: Res<FeedData>,
    source: FeedSource,
    mut trend: ResMut<IndexTrend>,
    mut fetch: ResMut<TrendFetch>,
    mut loaded: ResMut<LoadedHistories>,
) {
    if data.is_changed()
        && let Some(index) = &data.index
        && trend.samples.last().is_none_or(|l| l.updated_at < index.updated_at)
    {
        trend.push(index.clone());
    }
    match fetch.0.poll() {
        Some(Ok(h)) => {
            info!("heartbeat: {} index reports of history", h.samples.len());
            loaded.index = Some(h.clone());
            trend.merge_history(h);
            trend.error = None;
        }
        Some(Err(e)) => {
            warn!("heartbeat: index history not loaded, the trend shows this session only: {e}");
            trend.error = Some(e);
        }
        None if fetch.0.due(data.synced) => {
            let since = now_ms() - TREND_DAYS * 86_400_000;
            fetch.0.start(source.index_history(since, KEEP));
        }
        None => {}
    }
}
