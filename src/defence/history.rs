//! The incident history the baselines need: fetched once the feed is live, from the backend
//! (`GET /v1/incidents/history`, paged, through the feed client) or from the embedded simulator,
//! [`HISTORY_DAYS`] back; retried after [`RETRY`] when it fails (the rest of the wall works on,
//! the panel says why). After that, the feed's own incidents keep the log current.

use std::time::Duration;

use bevy::prelude::*;
use twinhall_core::protocol::{IncidentHistory, now_ms};

use super::Defence;
use crate::context::AppSystems;
use crate::context::City;
use crate::feed::{FeedData, FeedSource, Fetch, LoadedHistories};

/// Days of history asked for: the baseline's 28 and a day of margin.
pub const HISTORY_DAYS: i64 = 29;
/// Most incidents taken from the history.
pub const MAX_HISTORY: usize = 500_000;
/// Wait before asking again after a failure.
const RETRY: Duration = Duration::from_secs(60);

/// The history's request.
#[derive(Resource)]
struct HistoryFetch(Fetch<IncidentHistory>);

pub(super) fn plugin(app: &mut App) {
    app.insert_resource(HistoryFetch(Fetch::new(RETRY)))
        .add_systems(Update, fetch_history.in_set(AppSystems::Analyse).before(super::scores::follow_feed));
}

fn fetch_history(
    mut fetch: ResMut<HistoryFetch>,
    data: Res<FeedData>,
    city: Res<City>,
    source: FeedSource,
    mut defence: ResMut<Defence>,
    mut loaded: ResMut<LoadedHistories>,
) {
    match fetch.0.poll() {
        Some(Ok(h)) => {
            info!("defence: {} incidents of history from {} (truncated: {})", h.incidents.len(), h.since, h.truncated);
            defence.add_history(&h, &city);
            defence.history_error = None;
            loaded.incidents = Some(h);
        }
        Some(Err(e)) => {
            warn!("defence: incident history not loaded, baselines wait: {e}");
            defence.history_error = Some(e);
        }
        None if fetch.0.due(data.synced) => {
            let since = now_ms() - HISTORY_DAYS * 86_400_000;
            fetch.0.start(source.incident_history(since, MAX_HISTORY));
        }
        None => {}
    }
}
