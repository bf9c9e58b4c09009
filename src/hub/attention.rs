//! The attention card (新的重大事件): a new incident of severity 3-4 raises a card on the wall with
//! its category, address and age, and one action to focus it. One card at a time; the rest wait
//! in a queue whose length the card shows. Dismissable.

use std::collections::{HashSet, VecDeque};

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use twinhall_core::protocol::now_ms;

use crate::context::{ConsoleFree, FocusIncident, FreeRegion, PanelSystems, Settings};
use crate::feed::FeedData;
use crate::overlays::text;

/// Incidents reported this recently count as new even when they arrive in a snapshot.
const NEW_MS: i64 = 5 * 60 * 1000;

/// New severe incidents waiting for the leader's attention, oldest first.
#[derive(Resource, Debug, Default)]
pub struct AttentionQueue {
    pub queue: VecDeque<String>,
    seen: HashSet<String>,
}

impl AttentionQueue {
    /// The card on show.
    pub fn current(&self) -> Option<&String> {
        self.queue.front()
    }

    pub fn dismiss(&mut self) {
        self.queue.pop_front();
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<AttentionQueue>()
        .add_systems(Update, watch_incidents.in_set(crate::context::AppSystems::Analyse))
        .add_systems(EguiPrimaryContextPass, card.after(PanelSystems));
}

/// Queues each severe incident the first time it is seen, if it is new.
pub fn watch_incidents(data: Res<FeedData>, mut queue: ResMut<AttentionQueue>) {
    if !data.is_changed() {
        return;
    }
    let now = now_ms();
    let mut fresh: Vec<(i64, String)> = Vec::new();
    for (_, i) in data.incidents.iter() {
        if queue.seen.contains(&i.id) {
            continue;
        }
        queue.seen.insert(i.id.clone());
        let open = i.status < twinhall_core::protocol::IncidentStatus::Feedback;
        if i.severity >= 3 && open && now - i.reported_at <= NEW_MS {
            fresh.push((i.reported_at, i.id.clone()));
        }
    }
    fresh.sort();
    queue.queue.extend(fresh.into_iter().map(|(_, id)| id));
    // Cards of incidents that left the feed or were handled meanwhile go.
    let before = queue.queue.len();
    queue.queue.retain(|id| {
        data.incidents.get(id).is_some_and(|i| i.status < twinhall_core::protocol::IncidentStatus::Assigned)
    });
    if queue.queue.len() != before {
        debug!("attention: {} card(s) dropped (handled or gone)", before - queue.queue.len());
    }
}

#[allow(clippy::too_many_arguments)]
fn card(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    data: Res<FeedData>,
    console: Res<ConsoleFree>,
    free: Res<FreeRegion>,
    wall: Option<Res<crate::context::Wall>>,
    mut queue: ResMut<AttentionQueue>,
    mut focus: MessageWriter<FocusIncident>,
) -> Result {
    let Some(id) = queue.current().cloned() else { return Ok(()) };
    let Some(incident) = data.incidents.get(&id) else {
        queue.dismiss();
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    // On one window the card keeps to the part of the map the layout leaves free, so that it
    // never covers a briefing's cards or the HUD; beside a wall, to the console's free map.
    let view = match (free.0, wall.is_some()) {
        (Some(f), false) => {
            let area = egui::Rect::from_min_max(egui::pos2(f.area[0], f.area[1]), egui::pos2(f.area[2], f.area[3]));
            let r = area.intersect(console.0);
            if r.width() > 200.0 { r } else { console.0 }
        }
        _ => console.0,
    };
    let age_min = ((now_ms() - incident.reported_at).max(0) / 60_000) as u64;
    let waiting = queue.queue.len() - 1;
    let (mut do_focus, mut dismiss) = (false, false);
    egui::Area::new("attention_card".into())
        .pivot(egui::Align2::CENTER_TOP)
        .fixed_pos(egui::pos2(view.center().x, view.top() + 8.0))
        .constrain_to(view)
        .order(egui::Order::Foreground)
        .show(&ctx, |ui| {
            egui::Frame::new()
                .fill(egui::Color32::from_rgba_unmultiplied(120, 16, 16, 240))
                .stroke(egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 90, 70)))
                .corner_radius(8.0)
                .inner_margin(egui::Margin::symmetric(18, 12))
                .show(ui, |ui| {
                    ui.set_max_width((view.width() - 60.0).clamp(160.0, 520.0));
                    ui.horizontal(|ui| {
                        ui.label(
                            egui::RichText::new(format!("⚠ {}", lang.tr("新的重大事件", "New major incident")))
                                .size(22.0)
                                .strong()
                                .color(egui::Color32::WHITE),
                        );
                        if waiting > 0 {
                            ui.label(
                                egui::RichText::new(format!("+{waiting} {}", lang.tr("条待看", "waiting")))
                                    .color(egui::Color32::from_rgb(255, 210, 200)),
                            );
                        }
                    });
                    ui.label(
                        egui::RichText::new(format!(
                            "{} · {} {} · {}",
                            text::category(incident.category, lang),
                            lang.tr("等级", "severity"),
                            incident.severity,
                            incident.title
                        ))
                        .size(17.0)
                        .color(egui::Color32::WHITE),
                    );
                    let address = if incident.address.is_empty() { &incident.district } else { &incident.address };
                    ui.label(
                        egui::RichText::new(format!("{address} · {age_min} {}", lang.tr("分钟前上报", "min ago")))
                            .color(egui::Color32::from_rgb(255, 220, 210)),
                    );
                    ui.horizontal(|ui| {
                        if ui.button(egui::RichText::new(lang.tr("聚焦处置", "Focus")).size(18.0).strong()).clicked()
                        {
                            do_focus = true;
                        }
                        if ui.button(lang.tr("忽略", "Dismiss")).clicked() {
                            dismiss = true;
                        }
                    });
                });
        });
    if do_focus {
        focus.write(FocusIncident(id));
        queue.dismiss();
    } else if dismiss {
        queue.dismiss();
    }
    Ok(())
}
