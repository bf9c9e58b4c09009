//! The live metrics (twinhall_core::metrics) that the theatre's charts and narration and the
//! heartbeat hub read: recomputed when the store changed, at most once a second, and kept over
//! the session (one sample every ten seconds, two hours) for the line charts.

use std::collections::{HashMap, VecDeque};

use bevy::prelude::*;
use twinhall_core::metrics::{EfficiencyLimits, MetricValue, Metrics};
use twinhall_core::protocol::now_ms;

use crate::context::Settings;
use crate::feed::FeedData;

/// Least seconds between two computations.
const RECOMPUTE_S: f64 = 1.0;
/// Seconds between two samples of the session's history.
const SAMPLE_S: f64 = 10.0;
/// Samples kept per value (two hours).
const KEEP: usize = 720;

/// The metrics of the store now, and their history over the session.
#[derive(Resource, Default, Debug)]
pub struct LiveMetrics {
    pub now: Option<Metrics>,
    /// Seconds since start and value, per scalar path (`open_incidents`, `index_aspects.rule_of_law`).
    pub history: HashMap<String, VecDeque<(f64, f64)>>,
    limits: EfficiencyLimits,
    last: f64,
    last_sample: f64,
    dirty: bool,
}

impl LiveMetrics {
    /// The session's samples of a scalar path, oldest first.
    pub fn samples(&self, path: &str) -> Option<&VecDeque<(f64, f64)>> {
        self.history.get(path)
    }

    /// Recomputes from the store now and samples the history when due.
    pub fn update(&mut self, store: &twinhall_core::store::FeedStore, t: f64) {
        let m = Metrics::compute(store, now_ms(), &self.limits);
        if t - self.last_sample >= SAMPLE_S || self.history.is_empty() {
            self.last_sample = t;
            for info in twinhall_core::metrics::METRICS {
                match m.get(info.name) {
                    Some(MetricValue::Scalar(v)) => push(&mut self.history, info.name.to_owned(), t, *v),
                    Some(MetricValue::Series(points)) => {
                        for p in points {
                            push(&mut self.history, format!("{}.{}", info.name, p.key), t, p.value);
                        }
                    }
                    None => {}
                }
            }
        }
        self.now = Some(m);
        self.last = t;
        self.dirty = false;
    }
}

fn push(history: &mut HashMap<String, VecDeque<(f64, f64)>>, key: String, t: f64, v: f64) {
    let q = history.entry(key).or_default();
    if q.len() == KEEP {
        q.pop_front();
    }
    q.push_back((t, v));
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LiveMetrics>().add_systems(Startup, read_limits).add_systems(
        Update,
        recompute.after(crate::context::AppSystems::Ingest).before(crate::context::AppSystems::Commands),
    );
}

fn read_limits(settings: Res<Settings>, mut live: ResMut<LiveMetrics>) {
    // Checked when the configuration was read; the defaults stand in if it somehow is not.
    live.limits = settings.config.heartbeat.limits().unwrap_or_default();
}

fn recompute(time: Res<Time<Real>>, data: Res<FeedData>, mut live: ResMut<LiveMetrics>) {
    if data.is_changed() {
        live.bypass_change_detection().dirty = true;
    }
    let t = time.elapsed_secs_f64();
    let due = t - live.last >= RECOMPUTE_S;
    // The time-based metrics (overdue, last hour) move without a change: once every ten seconds.
    let stale = t - live.last >= SAMPLE_S;
    if !data.synced || !(live.dirty && due || stale) {
        return;
    }
    live.update(&data, t);
}
