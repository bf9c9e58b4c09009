//! The incident history the baselines need: fetched once the feed is live, from the backend
//! (`GET /v1/incidents/history`, paged, through the feed client) or from the embedded simulator,
//! [`HISTORY_DAYS`] back; retried after [`RETRY`] when it fails (the rest of the wall works on,
//! the panel says why). After that, the feed's own incidents keep the log current.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use crossbeam_channel::Receiver;
use twinhall_core::protocol::{IncidentHistory, now_ms};

use super::Defence;
use crate::city::City;
use crate::feed::{EmbeddedDispatch, FeedData, FeedLink};

/// Days of history asked for: the baseline's 28 and a day of margin.
pub const HISTORY_DAYS: i64 = 29;
/// Most incidents taken from the history.
pub const MAX_HISTORY: usize = 500_000;
/// Wait before asking again after a failure.
const RETRY: Duration = Duration::from_secs(60);

/// The request in flight, or when the last one failed.
#[derive(Resource, Default)]
struct HistoryFetch {
    pending: Option<Receiver<Result<IncidentHistory, String>>>,
    failed_at: Option<Instant>,
    done: bool,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<HistoryFetch>()
        .add_systems(Update, fetch_history.in_set(crate::AppSystems::UpdateOverlays).before(super::follow_feed));
}

fn fetch_history(
    mut fetch: ResMut<HistoryFetch>,
    data: Res<FeedData>,
    city: Res<City>,
    link: Option<Res<FeedLink>>,
    embedded: Option<Res<EmbeddedDispatch>>,
    mut defence: ResMut<Defence>,
    (mut lead, follow): (Option<ResMut<crate::wall::sync::Lead>>, Option<Res<crate::wall::sync::Follow>>),
) {
    if fetch.done {
        return;
    }
    if let Some(rx) = &fetch.pending {
        let answer = match rx.try_recv() {
            Ok(a) => a,
            Err(crossbeam_channel::TryRecvError::Empty) => return,
            Err(crossbeam_channel::TryRecvError::Disconnected) => Err("the feed went away before answering".into()),
        };
        fetch.pending = None;
        match answer {
            Ok(h) => {
                info!(
                    "defence: {} incidents of history from {} (truncated: {})",
                    h.incidents.len(),
                    h.since,
                    h.truncated
                );
                defence.add_history(&h, &city);
                defence.history_error = None;
                if let Some(lead) = lead.as_deref_mut() {
                    lead.keep("history", &twinhall_core::wall::SyncMessage::History(Box::new(h.clone())));
                }
                fetch.done = true;
            }
            Err(e) => {
                warn!("defence: incident history not loaded, baselines wait: {e}");
                defence.history_error = Some(e);
                fetch.failed_at = Some(Instant::now());
            }
        }
        return;
    }
    if !data.synced || fetch.failed_at.is_some_and(|t| t.elapsed() < RETRY) {
        return;
    }
    let since = now_ms() - HISTORY_DAYS * 86_400_000;
    // A follower of a wall of several machines has the leader's.
    fetch.pending = if let Some(f) = follow {
        Some(f.history.clone())
    } else if let Some(client) = link.as_ref().and_then(|l| l.client.clone()) {
        Some(client.fetch_history(since, MAX_HISTORY))
    } else {
        embedded.map(|e| e.history(since, MAX_HISTORY))
    };
}
