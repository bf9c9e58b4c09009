//! Dispatch that is never lost and never doubled. "Dispatch the plan" is one action that shows a
//! short undo bar (撤销) instead of a modal confirmation; when it runs out, the order gets a
//! client-made idempotency key and is written to the SQLite journal before it leaves (the
//! `twinhall_client::outbox::Outbox` does both, and resends with the same key what has no answer).
//! On start the journal's pending and unconfirmed orders are sent again. The incident's timeline
//! (recommendation, order, answers, status changes, arrivals) goes to the same journal.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_client::outbox::{Outbox, OutboxUpdate};
use twinhall_core::hub::journal::{OrderStatus, TimelineEntry};
use twinhall_core::protocol::{DispatchRequest, IncidentStatus, UnitStatus, now_ms};

use super::HubState;
use crate::context::{AppJournal, Settings};
use crate::feed::{FeedData, FeedSource};
use crate::overlays::text;

/// The journal and the sending side, once the feed is known.
#[derive(Resource)]
pub struct HubOutbox {
    pub outbox: Outbox,
    /// Latest status of each order this session saw, by key.
    pub orders: HashMap<String, OutboxUpdate>,
}

/// Why there is no outbox (the journal could not be opened): dispatch is refused, shown in the
/// panel, rather than sending orders that a crash could lose.
#[derive(Resource, Debug, Clone)]
pub struct OutboxError(pub String);

/// An order waiting out its undo bar.
#[derive(Resource, Debug, Clone)]
pub struct UndoBar {
    pub request: DispatchRequest,
    pub clicked_at: Instant,
    pub deadline: Instant,
    /// What the panel recommended and the leader confirmed, for the timeline.
    pub summary_zh: String,
    pub summary_en: String,
}

/// How long the last dispatch took, from the click to the order on the wire and to the answer.
#[derive(Resource, Debug, Default, Clone)]
pub struct DispatchTiming {
    pub click_to_wire_ms: Option<f64>,
    pub journal_ms: Option<f64>,
    pub wire_to_answer_ms: Option<f64>,
    sent_at: HashMap<String, Instant>,
}

/// Ask for a dispatch (the panel's button); it waits out the undo bar.
#[derive(Message, Debug, Clone)]
pub struct RequestDispatch {
    pub request: DispatchRequest,
    pub summary_zh: String,
    pub summary_en: String,
}

/// Incidents whose timeline this session follows, with their last status and units.
#[derive(Resource, Debug, Default)]
struct Watched {
    status: HashMap<String, IncidentStatus>,
    units: HashMap<String, (String, UnitStatus)>,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<AppJournal>()
        .init_resource::<DispatchTiming>()
        .init_resource::<Watched>()
        .add_message::<RequestDispatch>()
        .add_systems(
            Update,
            (open_outbox, start_undo, send_after_undo, poll_outbox, follow_timeline)
                .chain()
                .in_set(crate::context::AppSystems::Analyse),
        );
}

/// Opens the journal once a feed (remote or embedded) can take orders, and resends what it holds.
fn open_outbox(
    mut commands: Commands,
    settings: Res<Settings>,
    journal: Res<AppJournal>,
    outbox: Option<Res<HubOutbox>>,
    failed: Option<Res<OutboxError>>,
    source: FeedSource,
) {
    if outbox.is_some() || failed.is_some() {
        return;
    }
    let Some(sink) = source.dispatch_sink() else { return };
    let path = settings.journal_path();
    match journal.get(&settings) {
        Ok(journal) => {
            let mut outbox = Outbox::new(journal, sink)
                .with_answer_timeout((settings.config.hub.unconfirmed_seconds * 1000.0) as i64);
            let resent = outbox.resend_all(now_ms());
            info!("hub: dispatch journal {}; {resent} unanswered order(s) sent again", path.display());
            commands.insert_resource(HubOutbox { outbox, orders: HashMap::new() });
        }
        Err(e) => {
            error!("hub: dispatch journal unavailable, dispatch disabled: {e}");
            commands.insert_resource(OutboxError(e));
        }
    }
}

fn start_undo(mut commands: Commands, settings: Res<Settings>, mut requests: MessageReader<RequestDispatch>) {
    for r in requests.read() {
        let now = Instant::now();
        commands.insert_resource(UndoBar {
            request: r.request.clone(),
            clicked_at: now,
            deadline: now + Duration::from_secs_f32(settings.config.hub.undo_seconds),
            summary_zh: r.summary_zh.clone(),
            summary_en: r.summary_en.clone(),
        });
    }
}

fn send_after_undo(
    mut commands: Commands,
    bar: Option<Res<UndoBar>>,
    outbox: Option<ResMut<HubOutbox>>,
    mut timing: ResMut<DispatchTiming>,
) {
    let Some(bar) = bar else { return };
    if Instant::now() < bar.deadline {
        return;
    }
    commands.remove_resource::<UndoBar>();
    let Some(mut outbox) = outbox else {
        error!("hub: order for {} not sent: no dispatch journal", bar.request.incident_id);
        return;
    };
    let now = now_ms();
    let journal_started = Instant::now();
    let entry = |kind: &str, zh: String, en: String| TimelineEntry {
        incident_id: bar.request.incident_id.clone(),
        at: now,
        kind: kind.to_owned(),
        text_zh: zh,
        text_en: en,
    };
    if let Err(e) =
        outbox.outbox.journal().add_event(&entry("recommendation", bar.summary_zh.clone(), bar.summary_en.clone()))
    {
        warn!("hub: timeline not written: {e}");
    }
    match outbox.outbox.submit(bar.request.clone(), now) {
        Ok(key) => {
            let wire = bar.clicked_at.elapsed().as_secs_f64() * 1000.0;
            timing.click_to_wire_ms = Some(wire);
            timing.journal_ms = Some(journal_started.elapsed().as_secs_f64() * 1000.0);
            timing.sent_at.insert(key.clone(), Instant::now());
            info!(
                "hub: order {key} for {} ({} units) on the wire {:.0} ms after the click (journal {:.1} ms)",
                bar.request.incident_id,
                bar.request.unit_ids.len(),
                wire,
                timing.journal_ms.unwrap_or(0.0)
            );
            let units = bar.request.unit_ids.join(", ");
            if let Err(e) = outbox.outbox.journal().add_event(&entry(
                "order_sent",
                format!("调度指令已发出：{units}"),
                format!("Order sent: {units}"),
            )) {
                warn!("hub: timeline not written: {e}");
            }
            let update = OutboxUpdate {
                key: key.clone(),
                incident_id: bar.request.incident_id.clone(),
                status: OrderStatus::Pending,
                order_id: None,
                reason: None,
            };
            outbox.orders.insert(key, update);
        }
        Err(e) => error!("hub: order for {} not sent: the journal refused it: {e}", bar.request.incident_id),
    }
}

fn poll_outbox(outbox: Option<ResMut<HubOutbox>>, mut timing: ResMut<DispatchTiming>) {
    let Some(mut outbox) = outbox else { return };
    let updates = outbox.outbox.poll(now_ms());
    for u in updates {
        if let Some(t) = timing.sent_at.remove(&u.key) {
            timing.wire_to_answer_ms = Some(t.elapsed().as_secs_f64() * 1000.0);
        }
        let (zh, en) = match u.status {
            OrderStatus::Accepted => (
                format!("后端已受理，指令号 {}", u.order_id.as_deref().unwrap_or("?")),
                format!("Accepted by the backend, order {}", u.order_id.as_deref().unwrap_or("?")),
            ),
            OrderStatus::Rejected => (
                format!("后端拒绝：{}", u.reason.as_deref().unwrap_or("")),
                format!("Rejected: {}", u.reason.as_deref().unwrap_or("")),
            ),
            OrderStatus::Unconfirmed => (
                "未确认：无应答，正以同一幂等键重发".to_owned(),
                "Unconfirmed: no answer, resending with the same key".to_owned(),
            ),
            OrderStatus::Pending => continue,
        };
        match u.status {
            OrderStatus::Accepted => info!("hub: order {} accepted as {:?}", u.key, u.order_id),
            OrderStatus::Rejected => warn!("hub: order {} rejected: {:?}", u.key, u.reason),
            _ => warn!("hub: order {} unconfirmed; resending with the same key", u.key),
        }
        let entry = TimelineEntry {
            incident_id: u.incident_id.clone(),
            at: now_ms(),
            kind: "answer".into(),
            text_zh: zh,
            text_en: en,
        };
        if let Err(e) = outbox.outbox.journal().add_event(&entry) {
            warn!("hub: timeline not written: {e}");
        }
        let key = u.key.clone();
        outbox.orders.insert(key, u);
    }
}

/// Writes the focused and dispatched incidents' status changes and their units' arrivals to the
/// timeline.
fn follow_timeline(
    data: Res<FeedData>,
    state: Res<HubState>,
    settings: Res<Settings>,
    outbox: Option<Res<HubOutbox>>,
    mut watched: ResMut<Watched>,
) {
    let Some(outbox) = outbox else { return };
    if !data.is_changed() && !state.is_changed() {
        return;
    }
    let journal = outbox.outbox.journal();
    let write = |e: TimelineEntry| {
        if let Err(err) = journal.add_event(&e) {
            warn!("hub: timeline not written: {err}");
        }
    };
    let mut ids: Vec<String> = outbox.orders.values().map(|o| o.incident_id.clone()).collect();
    ids.extend(state.focused.clone());
    ids.sort();
    ids.dedup();
    for id in ids {
        let Some(incident) = data.incidents.get(&id) else { continue };
        match watched.status.get(&id) {
            None => {
                // First seen by the hub: the report itself, once per incident in the journal.
                let has_report = journal.timeline(&id).map(|t| t.iter().any(|e| e.kind == "reported")).unwrap_or(true);
                if !has_report {
                    write(TimelineEntry {
                        incident_id: id.clone(),
                        at: incident.reported_at,
                        kind: "reported".into(),
                        text_zh: format!(
                            "上报（{}）：{}",
                            text::channel(incident.channel, twinhall_core::config::Lang::Zh),
                            incident.title
                        ),
                        text_en: format!(
                            "Reported ({}): {}",
                            text::channel(incident.channel, twinhall_core::config::Lang::En),
                            incident.title
                        ),
                    });
                }
            }
            Some(s) if *s != incident.status => write(TimelineEntry {
                incident_id: id.clone(),
                at: incident.updated_at,
                kind: "status".into(),
                text_zh: format!("状态：{} → {}", s.label_zh(), incident.status.label_zh()),
                text_en: format!("Status: {} → {}", s.label_en(), incident.status.label_en()),
            }),
            _ => {}
        }
        watched.status.insert(id.clone(), incident.status);
        for unit_id in &incident.assigned_units {
            let Some(u) = data.units.get(unit_id) else { continue };
            let before = watched.units.insert(unit_id.clone(), (id.clone(), u.status));
            let arrived_now = u.status == UnitStatus::OnScene
                && u.incident_id.as_deref() == Some(id.as_str())
                && before.is_some_and(|(_, s)| s != UnitStatus::OnScene);
            if arrived_now {
                let name = |l| text::unit_label(u.kind, &u.name, l);
                write(TimelineEntry {
                    incident_id: id.clone(),
                    at: u.updated_at,
                    kind: "arrival".into(),
                    text_zh: format!("{} 到达现场", name(twinhall_core::config::Lang::Zh)),
                    text_en: format!("{} arrived on scene", name(twinhall_core::config::Lang::En)),
                });
            }
        }
    }
    let _ = settings;
}
