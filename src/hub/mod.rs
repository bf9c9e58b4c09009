//! The action hub (行动中枢): pick an incident, see its surroundings, dispatch units. It needs
//! the feed's incidents and units; until they arrive its panel section says so.

use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::config::Lang;

pub(super) fn plugin(_app: &mut App) {}

/// The hub's section in the side panel.
pub fn section_ui(ui: &mut egui::Ui, lang: Lang) {
    egui::CollapsingHeader::new(lang.tr("行动中枢", "Action hub")).default_open(false).show(ui, |ui| {
        ui.label(lang.tr(
            "尚无事件：接入数据源后在此选择事件并调度力量。",
            "No incidents yet: once a feed is connected, pick an incident and dispatch units here.",
        ));
    });
}
