//! The index over time: the backend's history (from 7 days back), fetched once the feed is live
//! (retried after a minute on failure), then every report the feed sends during the session.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use crossbeam_channel::Receiver;
use twinhall_core::protocol::{GovernanceIndex, IndexHistory, now_ms};

use crate::feed::{EmbeddedDispatch, FeedData, FeedLink};

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
    pending: Option<Receiver<Result<IndexHistory, String>>>,
    failed_at: Option<Instant>,
    fetched: bool,
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

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<IndexTrend>().add_systems(Update, follow_index.after(crate::AppSystems::IngestFeed));
}

fn follow_index(
    data: Res<FeedData>,
    link: Option<Res<FeedLink>>,
    embedded: Option<Res<EmbeddedDispatch>>,
    mut trend: ResMut<IndexTrend>,
    (mut lead, follow): (Option<ResMut<crate::wall::sync::Lead>>, Option<Res<crate::wall::sync::Follow>>),
) {
    if data.is_changed()
        && let Some(index) = &data.index
        && trend.samples.last().is_none_or(|l| l.updated_at < index.updated_at)
    {
        trend.push(index.clone());
    }
    if trend.fetched {
        return;
    }
    if let Some(rx) = &trend.pending {
        let answer = match rx.try_recv() {
            Ok(a) => a,
            Err(crossbeam_channel::TryRecvError::Empty) => return,
            Err(crossbeam_channel::TryRecvError::Disconnected) => Err("the feed went away before answering".into()),
        };
        trend.pending = None;
        match answer {
            Ok(h) => {
                info!("heartbeat: {} index reports of history", h.samples.len());
                if let Some(lead) = lead.as_deref_mut() {
                    lead.keep("index_history", &twinhall_core::wall::SyncMessage::IndexHistory(Box::new(h.clone())));
                }
                trend.merge_history(h);
                trend.error = None;
                trend.fetched = true;
            }
            Err(e) => {
                warn!("heartbeat: index history not loaded, the trend shows this session only: {e}");
                trend.error = Some(e);
                trend.failed_at = Some(Instant::now());
            }
        }
        return;
    }
    if !data.synced || trend.failed_at.is_some_and(|t| t.elapsed() < RETRY) {
        return;
    }
    let since = now_ms() - TREND_DAYS * 86_400_000;
    // A follower of a wall of several machines has the leader's.
    trend.pending = if let Some(f) = follow {
        Some(f.index_history.clone())
    } else if let Some(client) = link.as_ref().and_then(|l| l.client.clone()) {
        Some(client.fetch_index_history(since))
    } else {
        embedded.map(|e| e.index_history(since, KEEP))
    };
    if trend.pending.is_none() {
        trend.fetched = true;
    }
}
