//! The undo bar under the map while a dispatch waits to go.

use std::time::Instant;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use twinhall_core::config::Lang;

use super::super::UndoBar;
use crate::context::{ConsoleRect, Settings};

/// "即将调度 9 支力量 · 3.0 秒后发出" / "Dispatching 9 units · sending in 3.0 s".
pub(super) fn undo_text(units: usize, left_s: f32, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("即将调度 {units} 支力量 · {left_s:.1} 秒后发出"),
        Lang::En if units == 1 => format!("Dispatching 1 unit · sending in {left_s:.1} s"),
        Lang::En => format!("Dispatching {units} units · sending in {left_s:.1} s"),
    }
}

pub(super) fn undo_bar(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    view: Res<ConsoleRect>,
    bar: Option<Res<UndoBar>>,
    mut commands: Commands,
) -> Result {
    let Some(bar) = bar else { return Ok(()) };
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    let left = bar.deadline.saturating_duration_since(Instant::now()).as_secs_f32();
    let mut cancel = false;
    egui::Area::new("hub_undo".into())
        .pivot(egui::Align2::CENTER_BOTTOM)
        .fixed_pos(egui::pos2(view.0.center().x, view.0.bottom() - 40.0))
        .order(egui::Order::Foreground)
        .show(&ctx, |ui| {
            egui::Frame::new()
                .fill(egui::Color32::from_rgba_unmultiplied(20, 30, 50, 240))
                .stroke(egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 200, 60)))
                .corner_radius(8.0)
                .inner_margin(egui::Margin::symmetric(18, 10))
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(
                            egui::RichText::new(undo_text(bar.request.unit_ids.len(), left, lang))
                                .size(18.0)
                                .color(egui::Color32::WHITE),
                        );
                        if ui.button(egui::RichText::new(lang.tr("撤销", "Undo")).size(18.0).strong()).clicked() {
                            cancel = true;
                        }
                    });
                });
        });
    // The bar counts down on its own.
    ctx.request_repaint();
    if cancel {
        info!("hub: order for {} taken back in its undo time", bar.request.incident_id);
        commands.remove_resource::<UndoBar>();
    }
    Ok(())
}
