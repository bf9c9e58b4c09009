//! The decision theatre (决策剧场): scripted, themed briefings with camera tours, data layers
//! and narration. Scripts live in scenes/; until the first one ships its section says so.

use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::config::Lang;

pub(super) fn plugin(_app: &mut App) {}

/// The theatre's section in the side panel.
pub fn section_ui(ui: &mut egui::Ui, lang: Lang) {
    egui::CollapsingHeader::new(lang.tr("决策剧场", "Decision theatre")).default_open(false).show(ui, |ui| {
        ui.label(
            lang.tr("尚无剧本：专题简报剧本放在 scenes/ 目录。", "No briefings yet: themed scripts go in scenes/."),
        );
    });
}
