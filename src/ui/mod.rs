//! The egui interface: fonts and scale for the wall, the side panel and the status bar.

pub mod fonts;
mod hud;
pub mod panel;

pub use panel::{FrameRate, side_panel_ui, status_bar_ui};

use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((fonts::plugin, panel::plugin, hud::plugin));
}
