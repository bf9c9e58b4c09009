//! The egui interface: fonts and scale for the wall, the panels' theme (night or day, following
//! the map's style), the side panel and the status bar.

pub mod fonts;
mod hud;
pub mod panel;
pub mod theme;

pub use panel::{FrameRate, side_panel_ui, status_bar_ui};

use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;

use crate::context::{MapPass, PanelSystems, WallCamera};

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((fonts::plugin, theme::plugin, panel::plugin, hud::plugin))
        .add_systems(EguiPrimaryContextPass, run_map_pass.after(PanelSystems));
}

/// With one window, the map's drawing runs in its pass after the panels (which decide where the
/// map shows); a wall runs [`MapPass`] in its own.
fn run_map_pass(world: &mut World) {
    let mut walls = world.query_filtered::<(), With<WallCamera>>();
    if walls.iter(world).next().is_none() {
        world.run_schedule(MapPass);
    }
}
