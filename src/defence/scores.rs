//! The defence hub's data: the incident log (history, then the feed's incidents), the points of
//! the heat map, the latest key-grid scores and key places, rescored as the window slides.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::protocol::{Incident, IncidentCategory, IncidentHistory, Millis, now_ms};
use twinhall_core::risk::{IncidentLog, KeyPlace, RiskConfig, RiskReport, key_places, score_grids};

use crate::context::{City, DefenceView};
use crate::feed::FeedData;
use crate::overlays::OverlayChanges;

/// The scores are recomputed at least this often (the window slides).
const RESCORE: Duration = Duration::from_secs(30);
/// Key places within this distance of a key grid.
const PLACES_WITHIN_M: f64 = 200.0;

/// One incident for the heat map: where (local metres) and when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatPoint {
    pub local: [f64; 2],
    pub category: IncidentCategory,
    pub reported_at: Millis,
}

/// The defence hub's data: the incident log, the points of the heat map, the latest scores.
#[derive(Resource, Default)]
pub struct Defence {
    log: IncidentLog,
    /// By report time.
    points: Vec<HeatPoint>,
    seen: HashSet<String>,
    pub report: Option<RiskReport>,
    pub places: Vec<KeyPlace>,
    /// The history: how many incidents came and from when, once it has.
    pub history: Option<(usize, Millis)>,
    pub history_error: Option<String>,
    last_scored: Option<Instant>,
    dirty: bool,
}

impl Defence {
    /// Adds a page of history (each incident once).
    pub fn add_history(&mut self, h: &IncidentHistory, city: &City) {
        self.log.add_history(h);
        for i in &h.incidents {
            if self.seen.insert(i.id.clone()) {
                let local = city.model.frame.to_local(LonLat::new(i.lon, i.lat));
                self.points.push(HeatPoint { local, category: i.category, reported_at: i.reported_at });
            }
        }
        self.points.sort_by_key(|p| p.reported_at);
        let (n, since) = self.history.unwrap_or((0, h.since));
        self.history = Some((n + h.incidents.len(), since.min(h.since)));
        self.dirty = true;
    }

    /// Adds an incident the feed reported (once by id).
    pub fn add_incident(&mut self, i: &Incident, city: &City) {
        self.log.add_incident(i);
        if self.seen.insert(i.id.clone()) {
            let local = city.model.frame.to_local(LonLat::new(i.lon, i.lat));
            let p = HeatPoint { local, category: i.category, reported_at: i.reported_at };
            let at = self.points.partition_point(|q| q.reported_at <= p.reported_at);
            self.points.insert(at, p);
            self.dirty = true;
        }
    }

    /// The heat map's points: the view's window and category.
    pub fn points_in_view<'a>(&'a self, view: &'a DefenceView) -> impl Iterator<Item = &'a HeatPoint> + 'a {
        let since = now_ms() - Millis::from(view.window_h) * 3_600_000;
        let start = self.points.partition_point(|p| p.reported_at < since);
        self.points[start..].iter().filter(move |p| view.category.is_none_or(|c| c == p.category))
    }

    pub fn incidents_known(&self) -> usize {
        self.points.len()
    }
}

/// The view as the config starts it.
pub(super) fn init_view(mut commands: Commands, settings: Res<crate::context::Settings>) {
    commands.insert_resource(DefenceView { heat: settings.config.defence.heat, ..DefenceView::default() });
}

/// New incidents in the feed join the log (they arrive with the overlays' incident changes).
pub(super) fn follow_feed(
    changes: Res<OverlayChanges>,
    data: Res<FeedData>,
    city: Res<City>,
    mut defence: ResMut<Defence>,
) {
    if !changes.incidents {
        return;
    }
    let d = defence.bypass_change_detection();
    let before = d.points.len();
    for (_, i) in data.incidents.iter() {
        if !d.seen.contains(&i.id) {
            d.add_incident(i, &city);
        }
    }
    if d.points.len() != before {
        defence.set_changed();
    }
}

/// Scores the grids when the log or the view changed, and every [`RESCORE`].
pub(super) fn rescore(data: Res<FeedData>, view: Res<DefenceView>, mut defence: ResMut<Defence>) {
    let d = defence.bypass_change_detection();
    let due = d.last_scored.is_none_or(|t| t.elapsed() >= RESCORE);
    if !data.synced || !(d.dirty || view.is_changed() || due) {
        return;
    }
    d.dirty = false;
    d.last_scored = Some(Instant::now());
    let grids: Vec<&str> = data
        .areas
        .iter()
        .filter(|(_, a)| a.level == twinhall_core::protocol::AreaLevel::Grid)
        .map(|(_, a)| a.id.as_str())
        .collect();
    let config = RiskConfig { window_ms: Millis::from(view.window_h) * 3_600_000, ..RiskConfig::default() };
    let report = score_grids(&d.log, &grids, &config, now_ms());
    let key = report.key_grids();
    let areas: Vec<_> = data.areas.iter().map(|(_, a)| a.clone()).collect();
    let facilities: Vec<_> = data.facilities.iter().map(|(_, f)| f.clone()).collect();
    let places = key_places(&key, &areas, &facilities, PLACES_WITHIN_M);
    let was: Vec<String> =
        d.report.as_ref().map(|r| r.key_grids().iter().map(|g| g.to_string()).collect()).unwrap_or_default();
    if report.key_grids() != was {
        let top: Vec<String> = report.flagged().take(3).map(|s| format!("{} {}", s.grid_id, s.reason_zh)).collect();
        info!("defence: {} key grid(s): {}", report.key_grids().len(), top.join("; "));
    }
    let changed = d.report.as_ref().is_none_or(|r| r.scores != report.scores) || d.places != places;
    d.report = Some(report);
    d.places = places;
    if changed {
        defence.set_changed();
    }
}
