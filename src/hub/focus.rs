//! Focusing an incident: from a click on the twin or a search hit, from `--focus`, and what a
//! focus does (the camera flies there); `--dispatch-plan` sends the focused plan once.

use bevy::prelude::*;
use twinhall_core::protocol::{EntityKind, IncidentStatus};

use super::{FocusAnalysis, HubContext, HubOutbox, HubState, dispatch, panel};
use crate::context::{City, FlyTo, FocusIncident, Selection, Settings};
use crate::feed::FeedData;

/// Where `hub.focus` (`--focus`) stands: done once.
#[derive(Default)]
pub(super) struct Scripted {
    focused: Option<String>,
    dispatched: bool,
}

/// `--focus ID|auto`: focuses the incident once the feed and the road ranking are ready (`auto`:
/// the most severe incident still waiting for units, the longest waiting first).
pub(super) fn scripted_focus(
    settings: Res<Settings>,
    data: Res<FeedData>,
    context: Option<Res<HubContext>>,
    mut done: Local<bool>,
    mut focus: MessageWriter<FocusIncident>,
) {
    let wanted = &settings.config.hub.focus;
    if *done || wanted.is_empty() || !data.synced || context.is_none() {
        return;
    }
    let id = if wanted == "auto" {
        data.incidents
            .iter()
            .map(|(_, i)| i)
            .filter(|i| matches!(i.status, IncidentStatus::Reported | IncidentStatus::Accepted))
            .max_by(|a, b| a.severity.cmp(&b.severity).then(b.reported_at.cmp(&a.reported_at)).then(b.id.cmp(&a.id)))
            .map(|i| i.id.clone())
    } else {
        data.incidents.get(wanted).map(|i| i.id.clone())
    };
    match id {
        Some(id) => {
            info!("hub: focusing {id} (--focus {wanted})");
            focus.write(FocusIncident(id));
            *done = true;
        }
        None if wanted != "auto" => {
            warn!("hub: --focus {wanted}: no such incident in the feed");
            *done = true;
        }
        None => {}
    }
}

/// `--dispatch-plan`: once the focused incident's plan is filled, dispatches it once, through
/// the undo bar and the journal like the panel's button.
pub(super) fn scripted_dispatch(
    settings: Res<Settings>,
    state: Res<HubState>,
    analysis: Res<FocusAnalysis>,
    outbox: Option<Res<HubOutbox>>,
    mut scripted: Local<Scripted>,
    mut dispatch: MessageWriter<dispatch::RequestDispatch>,
) {
    if !settings.config.hub.dispatch_plan || scripted.dispatched || outbox.is_none() {
        return;
    }
    let Some(id) = state.focused.clone() else { return };
    if analysis.incident_id.as_deref() != Some(id.as_str()) {
        return;
    }
    let units = panel::chosen_units(&state, &analysis);
    if units.is_empty() {
        return;
    }
    scripted.focused = Some(id.clone());
    scripted.dispatched = true;
    let plan = analysis.recommendation.as_ref();
    info!("hub: dispatching the plan for {id} (--dispatch-plan): {}", units.join(", "));
    dispatch.write(dispatch::RequestDispatch {
        request: twinhall_core::protocol::DispatchRequest {
            incident_id: id,
            unit_ids: units,
            note: plan.map(|p| p.plan_zh.clone()).unwrap_or_default(),
        },
        summary_zh: format!("脚本调度：{}", plan.map(|p| p.plan_zh.as_str()).unwrap_or("")),
        summary_en: format!("Scripted dispatch: {}", plan.map(|p| p.plan_en.as_str()).unwrap_or("")),
    });
}

/// A click on an incident on the twin (or a search hit) focuses it in the hub.
pub(super) fn focus_from_selection(
    selection: Res<Selection>,
    mut last: Local<Option<String>>,
    mut focus: MessageWriter<FocusIncident>,
) {
    if !selection.is_changed() {
        return;
    }
    let now = selection.selected.as_ref().filter(|s| s.kind == EntityKind::Incident).map(|s| s.id.clone());
    if now != *last {
        if let Some(id) = &now {
            focus.write(FocusIncident(id.clone()));
        }
        *last = now;
    }
}

pub(super) fn apply_focus(
    mut messages: MessageReader<FocusIncident>,
    data: Res<FeedData>,
    city: Res<City>,
    mut state: ResMut<HubState>,
    mut fly: MessageWriter<FlyTo>,
) {
    let Some(FocusIncident(id)) = messages.read().last().cloned() else { return };
    let Some(incident) = data.incidents.get(&id) else {
        warn!("hub: incident {id} is not in the feed; not focused");
        return;
    };
    let _ = &city;
    if state.focused.as_deref() != Some(id.as_str()) {
        state.chosen = None;
        state.hovered_blocked = None;
    }
    state.focused = Some(id);
    fly.write(FlyTo {
        lonlat: twinhall_core::LonLat::new(incident.lon, incident.lat),
        altitude_m: 0.0,
        distance_m: (state.radius_m as f32 * 4.0).clamp(500.0, 15_000.0),
        pitch_deg: 55.0,
        heading_deg: 0.0,
    });
}
