//! The live figures the hubs read, as a service under them: the named metrics (the theatre's
//! charts and narration, the heartbeat hub's supervision) and the governance index's trend (its
//! history from the backend, then every report the feed sends).
//!
//! - `live`: [`LiveMetrics`], recomputed when the store changed, at most once a second;
//! - `trend`: [`IndexTrend`], the index's history (`GET /v1/index/history`, the embedded
//!   simulator's, or a wall leader's) once the feed is live, then the feed's reports.

mod live;
mod trend;

pub use live::LiveMetrics;
pub use trend::{IndexTrend, TREND_DAYS};

use bevy::prelude::*;

pub fn plugin(app: &mut App) {
    app.add_plugins((live::plugin, trend::plugin));
}
