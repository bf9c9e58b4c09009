//! The rules engine in the app: the store's changes go to the incremental evaluator as they are
//! applied, an evaluation runs when changes came or once a second (for deadlines: a sensor gone
//! silent, a duration reached), its edges open, repeat and clear alerts in the book, and every
//! alert that changed is written to the journal in one transaction. The officer's actions
//! (acknowledge, dismiss, report as an incident) go through [`AlertAction`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use crossbeam_channel::Receiver;
use twinhall_client::outbox::SendError;
use twinhall_core::LonLat;
use twinhall_core::hub::journal::Journal;
use twinhall_core::protocol::{Incident, IncidentReport, Millis, ReportSource, now_ms};
use twinhall_core::rules::{Alert, AlertBook, AlertEvent, Evaluator, RuleKind, Stage};

use super::TactileRules;
use crate::context::{AppJournal, City, FlyTo, FocusIncident, Settings};
use crate::feed::{FeedApplied, FeedData, FeedTap};

/// With no change, the rules are still evaluated this often (deadlines fall due).
const TICK: Duration = Duration::from_secs(1);

/// The report sink in force (inserted by the feed: remote or embedded).
#[derive(Resource, Clone)]
pub struct AlertReporter(pub Arc<dyn twinhall_client::ReportSink>);

/// The tactile hub's state: the evaluator, the alert book, and where alerts are kept.
#[derive(Resource)]
pub struct Tactile {
    evaluator: Evaluator,
    pub book: AlertBook,
    journal: Option<Arc<Journal>>,
    /// Why alerts are not kept on disk (the journal would not open or write).
    pub journal_error: Option<String>,
    /// The rules checked against the feed: the first that names an unknown sensor kind or area.
    pub rules_error: Option<String>,
    validated: bool,
    /// The kept book has been settled against what holds now (see [`AlertBook::settle`]).
    settled: bool,
    last_eval: Option<Instant>,
    /// Alerts being reported as incidents, with the answer to wait for.
    reporting: Vec<(u64, Receiver<Result<Incident, SendError>>)>,
    /// The last refusal or failure of an action, per alert, for the panel.
    pub errors: HashMap<u64, String>,
    /// An incident made from an alert, to focus in the action hub once the feed has it.
    focus_when_seen: Option<String>,
    /// The chime muted from the panel.
    pub muted: bool,
    /// The feed's coordinate system (its snapshot's `crs`): reports go back in it.
    feed_crs: String,
}

impl Tactile {
    /// A book that shows another machine's alerts: empty until they come, with no journal.
    pub fn mirror(evaluator: Evaluator) -> Self {
        Self {
            evaluator,
            book: AlertBook::default(),
            journal: None,
            journal_error: None,
            rules_error: None,
            validated: true,
            settled: true,
            last_eval: None,
            reporting: Vec::new(),
            errors: HashMap::new(),
            focus_when_seen: None,
            muted: true,
            feed_crs: "EPSG:4326".into(),
        }
    }

    /// Whether a report of this alert is waiting for its answer.
    pub fn is_reporting(&self, id: u64) -> bool {
        self.reporting.iter().any(|(a, _)| *a == id)
    }

    fn keep<'a>(&mut self, alerts: impl IntoIterator<Item = &'a Alert>) {
        let Some(journal) = &self.journal else { return };
        match journal.save_alerts(alerts) {
            Ok(_) => self.journal_error = None,
            Err(e) => {
                if self.journal_error.is_none() {
                    error!("tactile: alerts not kept: {e}");
                }
                self.journal_error = Some(e.to_string());
            }
        }
    }

    fn keep_ids(&mut self, ids: &[u64]) {
        let alerts: Vec<Alert> = ids.iter().filter_map(|id| self.book.get(*id).cloned()).collect();
        self.keep(&alerts);
    }
}

/// An officer's action on an alert.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct AlertAction {
    pub id: u64,
    pub kind: ActionKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    Acknowledge,
    /// Dismiss with this reason (acknowledging first if still new).
    Dismiss(String),
    /// Report it to the backend as an incident of the rule's suggested category, then focus it
    /// in the action hub (acknowledging first if still new).
    ToIncident,
    /// Fly to it.
    Locate,
}

/// A new alert, for the chime and the pulse.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertOpened {
    pub id: u64,
    pub severity: u8,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<AppJournal>()
        .add_message::<AlertAction>()
        .add_message::<AlertOpened>()
        .init_resource::<FeedTap>()
        .add_systems(Startup, init_tactile)
        .add_systems(
            Update,
            (
                attach_reporter,
                // A follower of a wall of several machines shows the leader's alerts.
                evaluate.run_if(|s: Res<Settings>| !s.config.wall.follows()),
                act,
                poll_reports,
                focus_reported,
            )
                .chain()
                .in_set(crate::context::AppSystems::Analyse),
        );
}

/// Reports go where dispatch orders go: the embedded simulator, or the backend.
fn attach_reporter(mut commands: Commands, reporter: Option<Res<AlertReporter>>, source: crate::feed::FeedSource) {
    if reporter.is_none()
        && let Some(sink) = source.report_sink()
    {
        commands.insert_resource(AlertReporter(sink));
    }
}

/// The rules (from the binary, which checked them before the window opened, or the configured
/// ones), the evaluator in the city's frame, and the alerts the journal kept.
fn init_tactile(
    mut commands: Commands,
    settings: Res<Settings>,
    journal: Res<AppJournal>,
    city: Res<City>,
    rules: Option<Res<TactileRules>>,
) {
    let rules = match rules {
        Some(r) => r.0.clone(),
        None => match super::load_rules(&settings.config.tactile) {
            Ok(r) => Arc::new(r),
            Err(e) => {
                error!("tactile: rules not loaded, no alerts: {e}");
                Arc::new(twinhall_core::rules::Rules::default())
            }
        },
    };
    let origin = city.model.frame.origin();
    if settings.config.wall.follows() {
        // A follower of a wall of several machines draws the leader's alerts (wall::sync): it
        // evaluates no rules and keeps no journal, which is the leader's. Nothing reads the
        // store's changes here, so the store keeps no copies of them.
        commands.remove_resource::<FeedTap>();
        commands.insert_resource(TactileRules(rules.clone()));
        commands.insert_resource(Tactile::mirror(Evaluator::new((*rules).clone(), origin)));
        return;
    }
    let path = settings.journal_path();
    let (journal, journal_error) = match journal.get(&settings) {
        Ok(j) => (Some(j), None),
        Err(e) => (None, Some(e)),
    };
    let (book, journal_error) = match &journal {
        Some(j) => match j.alerts() {
            Ok(kept) => {
                let open = kept.iter().filter(|a| a.is_open()).count();
                info!(
                    "tactile: {} rules; {} alerts kept in {} ({open} open)",
                    rules.rules.len(),
                    kept.len(),
                    path.display()
                );
                (AlertBook::from_alerts(kept), journal_error)
            }
            Err(e) => (AlertBook::default(), Some(e.to_string())),
        },
        None => (AlertBook::default(), journal_error),
    };
    if let Some(e) = &journal_error {
        error!("tactile: alerts will not survive a restart: {e}");
    }
    commands.insert_resource(TactileRules(rules.clone()));
    commands.insert_resource(Tactile {
        evaluator: Evaluator::new((*rules).clone(), origin),
        book,
        journal,
        journal_error,
        rules_error: None,
        validated: false,
        settled: false,
        last_eval: None,
        reporting: Vec::new(),
        errors: HashMap::new(),
        focus_when_seen: None,
        muted: !settings.config.tactile.chime,
        feed_crs: "EPSG:4326".into(),
    });
}

/// Feeds the evaluator what the store applied, evaluates, and keeps what changed.
fn evaluate(
    tap: Option<ResMut<FeedTap>>,
    data: Res<FeedData>,
    tactile: Option<ResMut<Tactile>>,
    rules: Option<Res<TactileRules>>,
    mut opened: MessageWriter<AlertOpened>,
) {
    let (Some(mut tap), Some(mut tactile), Some(rules)) = (tap, tactile, rules) else { return };
    let t = tactile.bypass_change_detection();
    let mut got = false;
    if std::mem::take(&mut tap.lost) {
        // The tap overflowed: start again from the store, which holds everything applied.
        tap.applied.clear();
        t.evaluator.apply_snapshot(&data.to_snapshot(now_ms()));
        t.validated = false;
        got = true;
    }
    for change in tap.applied.drain(..) {
        match change {
            FeedApplied::Snapshot(s) => {
                t.evaluator.apply_snapshot(&s);
                t.validated = false;
                t.feed_crs.clone_from(&s.crs);
            }
            FeedApplied::Batch(b) => t.evaluator.apply(&b.upserts, &b.removals),
        }
        got = true;
    }
    if !t.validated && data.synced {
        t.validated = true;
        let checked = rules.0.validate(&data).err().map(|e| e.to_string());
        if let Some(e) = &checked {
            error!("tactile: {e}");
        }
        if checked != t.rules_error {
            t.rules_error = checked;
            tactile.set_changed();
        }
    }
    let t = tactile.bypass_change_detection();
    if !got && t.last_eval.is_some_and(|l| l.elapsed() < TICK) {
        return;
    }
    t.last_eval = Some(Instant::now());
    let now = now_ms();
    let edges = t.evaluator.evaluate(now);
    let mut events = t.book.apply(&rules.0, &edges, now);
    // Once the evaluator has seen the whole feed, an alert kept from before a restart whose
    // condition ended meanwhile is cleared: no edge would ever say so.
    if !t.settled && data.synced {
        t.settled = true;
        let settled = t.book.settle(&t.evaluator.holding(), now);
        if !settled.is_empty() {
            info!("tactile: {} kept alerts cleared: their condition no longer holds", settled.len());
        }
        events.extend(settled);
    }
    if events.is_empty() {
        return;
    }
    let mut ids = Vec::with_capacity(events.len());
    for ev in &events {
        let (AlertEvent::Opened(id) | AlertEvent::Repeated(id) | AlertEvent::Cleared(id)) = *ev;
        ids.push(id);
        if let AlertEvent::Opened(id) = *ev
            && let Some(a) = t.book.get(id)
        {
            info!("tactile: alert {id} {} · {} ({}), severity {}", a.name_zh, a.name_en, a.subject, a.severity);
            opened.write(AlertOpened { id, severity: a.severity });
        }
    }
    ids.sort_unstable();
    ids.dedup();
    t.keep_ids(&ids);
    tactile.set_changed();
}

/// The report of an alert as an incident: the rule's suggested category, its severity and place,
/// and what the alert measured as its rule reads it (`rule`, when the rule is still loaded).
pub fn incident_report(alert: &Alert, rule: Option<&RuleKind>, operator: &str) -> Result<IncidentReport, String> {
    let Some([lon, lat]) = alert.lonlat else {
        return Err(format!("alert {} has no place to report", alert.id));
    };
    Ok(IncidentReport {
        category: alert.suggest,
        severity: alert.severity,
        lon,
        lat,
        title: format!("{}：{}", alert.name_zh, alert.subject),
        description: {
            let mut d =
                format!("预警 {} · {} (alert {}), {} 次 times", alert.name_zh, alert.name_en, alert.id, alert.count);
            if let Some((zh, en)) = rule.and_then(|r| r.reading(alert.value)) {
                d = format!("{d}, {zh} · {en}");
            }
            d
        },
        source: Some(ReportSource { alert_id: alert.id.to_string(), rule_id: alert.rule_id.clone() }),
        reported_by: operator.to_owned(),
    })
}

/// The idempotency key of an alert's report: the same for every attempt and across restarts.
pub fn report_key(alert: &Alert) -> String {
    format!("alert-{}-{}", alert.id, alert.first_seen)
}

/// Carries out the officer's actions; each change is kept at once.
fn act(
    mut actions: MessageReader<AlertAction>,
    settings: Res<Settings>,
    tactile: Option<ResMut<Tactile>>,
    reporter: Option<Res<AlertReporter>>,
    rules: Option<Res<TactileRules>>,
    mut fly: MessageWriter<FlyTo>,
) {
    let Some(mut tactile) = tactile else { return };
    let operator = settings.config.tactile.operator.clone();
    for AlertAction { id, kind } in actions.read().cloned() {
        let now: Millis = now_ms();
        let t = &mut *tactile;
        let Some(alert) = t.book.get(id).cloned() else { continue };
        let needs_ack = alert.stage() == Stage::New && !matches!(kind, ActionKind::Locate);
        let acked = if needs_ack { t.book.acknowledge(id, &operator, now).map(|_| ()) } else { Ok(()) };
        let done = acked.map_err(|e| e.to_string()).and_then(|()| match &kind {
            ActionKind::Acknowledge => Ok(()),
            ActionKind::Dismiss(reason) => {
                t.book.dismiss(id, reason, &operator, now).map(|_| ()).map_err(|e| e.to_string())
            }
            ActionKind::ToIncident => {
                let reporter = reporter.as_ref().ok_or("no feed takes incident reports yet")?;
                if t.reporting.iter().any(|(a, _)| *a == id) {
                    return Ok(());
                }
                let rule = rules.as_ref().and_then(|r| r.0.get(&alert.rule_id)).map(|r| &r.kind);
                let mut report = incident_report(&alert, rule, &operator)?;
                // Positions here are WGS 84; the backend takes them in its own system.
                let p = twinhall_client::crs::from_wgs84(LonLat::new(report.lon, report.lat), &t.feed_crs)?;
                (report.lon, report.lat) = (p.lon, p.lat);
                t.reporting.push((id, reporter.0.report(&report_key(&alert), &report)));
                Ok(())
            }
            ActionKind::Locate => {
                if let Some([lon, lat]) = alert.lonlat {
                    fly.write(FlyTo {
                        lonlat: LonLat::new(lon, lat),
                        altitude_m: 0.0,
                        distance_m: 1500.0,
                        pitch_deg: 55.0,
                        heading_deg: 0.0,
                    });
                }
                Ok(())
            }
        });
        match done {
            Ok(()) => {
                t.errors.remove(&id);
            }
            Err(e) => {
                warn!("tactile: alert {id}: {e}");
                t.errors.insert(id, e);
            }
        }
        if !matches!(kind, ActionKind::Locate) {
            t.keep_ids(&[id]);
        }
    }
}

/// Takes the answers to reports: the alert becomes the incident, focused once the feed has it.
fn poll_reports(settings: Res<Settings>, tactile: Option<ResMut<Tactile>>) {
    let Some(mut tactile) = tactile else { return };
    if tactile.reporting.is_empty() {
        return;
    }
    // Waiting is no change: what draws or sends the book looks again only when an answer came.
    let t = tactile.bypass_change_detection();
    let mut answers = Vec::new();
    t.reporting.retain(|(id, rx)| match rx.try_recv() {
        Ok(answer) => {
            answers.push((*id, answer));
            false
        }
        Err(crossbeam_channel::TryRecvError::Empty) => true,
        Err(crossbeam_channel::TryRecvError::Disconnected) => {
            answers.push((*id, Err(SendError::Unconfirmed("the feed went away before answering".into()))));
            false
        }
    });
    if answers.is_empty() {
        return;
    }
    tactile.set_changed();
    let t = tactile.bypass_change_detection();
    for (id, answer) in answers {
        match answer {
            Ok(incident) => {
                match t.book.to_incident(id, &incident.id, &settings.config.tactile.operator, now_ms()) {
                    Ok(_) => {
                        info!("tactile: alert {id} reported as incident {}", incident.id);
                        t.errors.remove(&id);
                        t.focus_when_seen = Some(incident.id.clone());
                    }
                    Err(e) => {
                        t.errors.insert(id, e.to_string());
                    }
                }
                t.keep_ids(&[id]);
            }
            Err(e) => {
                warn!("tactile: alert {id} not reported: {e}");
                t.errors.insert(id, e.to_string());
            }
        }
    }
}

/// Focuses an incident made from an alert in the action hub as soon as the feed carries it.
fn focus_reported(tactile: Option<ResMut<Tactile>>, data: Res<FeedData>, mut focus: MessageWriter<FocusIncident>) {
    let Some(mut tactile) = tactile else { return };
    let Some(id) = tactile.focus_when_seen.as_ref() else { return };
    if data.incidents.get(id).is_some() {
        focus.write(FocusIncident(id.clone()));
        tactile.focus_when_seen = None;
    }
}
