//! The hub on screen (egui): its section of the side panel ([`HubUi`]) and its console windows.
//!
//! - `list`: the incident list with filters and counts;
//! - `focused`: the focused incident: plan and recommended units with swaps, one-action
//!   dispatch, order states, units by road time;
//! - `around`: its surroundings and timeline;
//! - `video`: the video tiles of the drones over it and the cameras that see it;
//! - `undo`: the undo bar while a dispatch waits to go.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiPrimaryContextPass, egui};
use twinhall_core::config::Lang;
use twinhall_core::hub::journal::OrderStatus;
use twinhall_core::protocol::{EntityKind, Incident, IncidentStatus};

use super::analysis::RankedUnit;
use super::dispatch::{OutboxError, RequestDispatch};
use super::report::ExportReport;
use super::{DispatchTiming, FocusAnalysis, HubOutbox, HubState, UndoBar};
use crate::context::{FeedRef, FocusIncident, PanelSystems, Selection, Tone};
use crate::feed::FeedData;
use crate::overlays::text;

mod around;
mod focused;
mod list;
mod undo;
mod video;

#[cfg(test)]
mod tests;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<video::VideoTiles>()
        .add_systems(EguiPrimaryContextPass, (video::video_window, undo::undo_bar).chain().after(PanelSystems));
}
fn rgb(c: [f32; 3]) -> egui::Color32 {
    egui::Color32::from_rgb((c[0] * 255.0) as u8, (c[1] * 255.0) as u8, (c[2] * 255.0) as u8)
}

/// `m:ss` of a travel time.
pub fn eta(t: Option<f32>) -> String {
    match t {
        Some(s) if s.is_finite() => {
            let s = s.round() as u64;
            format!("{}:{:02}", s / 60, s % 60)
        }
        _ => "—".into(),
    }
}

/// Open incidents that pass the filters, most severe first, then the longest waiting.
pub fn incident_list<'a>(data: &'a FeedData, state: &HubState) -> Vec<&'a Incident> {
    let mut list: Vec<&Incident> = data
        .incidents
        .iter()
        .map(|(_, i)| i)
        .filter(|i| i.status != IncidentStatus::Archived)
        .filter(|i| state.category.is_none_or(|c| c == i.category))
        .filter(|i| state.status.is_none_or(|s| s == i.status))
        .filter(|i| state.district.as_ref().is_none_or(|d| d == &i.district))
        .collect();
    list.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.reported_at.cmp(&b.reported_at)).then(a.id.cmp(&b.id)));
    list
}

/// The order the leader is about to send: the recommendation, or the leader's edit of it.
pub fn chosen_units(state: &HubState, analysis: &FocusAnalysis) -> Vec<String> {
    if let (Some((id, units)), Some(focused)) = (&state.chosen, &analysis.incident_id)
        && id == focused
    {
        return units.clone();
    }
    analysis
        .recommendation
        .as_ref()
        .map(|r| r.assignment.units.iter().map(|c| c.unit_id.clone()).collect())
        .unwrap_or_default()
}

/// What the hub's part of the side panel reads and changes; the side panel calls [`HubUi::show`].
#[derive(SystemParam)]
pub struct HubUi<'w> {
    data: Res<'w, FeedData>,
    analysis: Res<'w, FocusAnalysis>,
    outbox: Option<Res<'w, HubOutbox>>,
    outbox_error: Option<Res<'w, OutboxError>>,
    timing: Res<'w, DispatchTiming>,
    undo: Option<Res<'w, UndoBar>>,
    state: ResMut<'w, HubState>,
    selection: ResMut<'w, Selection>,
    focus: MessageWriter<'w, FocusIncident>,
    dispatch: MessageWriter<'w, RequestDispatch>,
    export: MessageWriter<'w, ExportReport>,
}

impl HubUi<'_> {
    /// The action hub's section: the incident list, then the focused incident.
    pub fn show(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let mut next = self.state.clone();
        let mut focus_to = None;
        let mut send = None;
        let mut select_camera = None;
        let title = egui::RichText::new(lang.tr("行动中枢", "Action hub")).strong().color(Tone::Bad.of(ui));
        egui::CollapsingHeader::new(title).id_salt("hub_section").default_open(true).show(ui, |ui| {
            if !self.data.synced {
                ui.label(lang.tr("等待数据源……", "Waiting for the feed…"));
                return;
            }
            list::list_section(ui, lang, &self.data, &mut next, &mut focus_to);
            if let Some(id) = self.state.focused.clone() {
                ui.separator();
                match self.data.incidents.get(&id) {
                    Some(incident) => {
                        let f = focused::Focused {
                            lang,
                            incident,
                            analysis: &self.analysis,
                            outbox: self.outbox.as_deref(),
                            outbox_error: self.outbox_error.as_deref(),
                            timing: &self.timing,
                            undo: self.undo.as_deref(),
                        };
                        focused::show(ui, &f, &mut next, &mut send, &mut select_camera, &mut self.export);
                    }
                    None => {
                        ui.label(lang.tr("聚焦的事件已不在数据中", "The focused incident left the feed"));
                    }
                }
            }
        });
        if let Some(id) = focus_to {
            self.focus.write(FocusIncident(id));
        }
        if let Some(d) = send {
            self.dispatch.write(d);
        }
        if let Some(id) = select_camera {
            self.selection.selected = Some(FeedRef { kind: EntityKind::Camera, id });
        }
        if next != *self.state {
            *self.state = next;
        }
    }
}
fn order_colour(ui: &egui::Ui, s: OrderStatus) -> egui::Color32 {
    match s {
        OrderStatus::Pending => ui.visuals().weak_text_color(),
        OrderStatus::Accepted => Tone::Good.of(ui),
        OrderStatus::Rejected => Tone::Bad.of(ui),
        OrderStatus::Unconfirmed => Tone::Warn.of(ui),
    }
}

pub(super) fn order_text(s: OrderStatus, lang: Lang) -> &'static str {
    match s {
        OrderStatus::Pending => lang.tr("待应答", "pending"),
        OrderStatus::Accepted => lang.tr("已受理", "accepted"),
        OrderStatus::Rejected => lang.tr("被拒绝", "rejected"),
        OrderStatus::Unconfirmed => lang.tr("未确认·重发中", "unconfirmed · resending"),
    }
}

fn unit_line(u: &RankedUnit, lang: Lang) -> String {
    format!(
        "{} · {} {} · {} {:.0} m",
        text::unit_label(u.kind, &u.name, lang),
        lang.tr("路网用时", "road"),
        eta(u.time_s),
        lang.tr("直线", "straight"),
        u.straight_m
    )
}
/// `HH:MM:SS` (UTC+8, the command centre's clock) of a protocol time.
pub fn clock(ms: i64) -> String {
    let s = (ms / 1000 + 8 * 3600).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}
