//! The egui interface: fonts and scale for the wall, the side panel and the status bar.

pub mod fonts;
mod hud;
pub mod panel;

pub use panel::{FrameRate, side_panel_ui, status_bar_ui};

use bevy::ecs::schedule::ScheduleLabel;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use crate::wall::WallCamera;

/// The pass that draws over the map (labels, tags, the theatre's cards, the HUD): the wall's own
/// egui pass with `--wall`, else run inside the one window's pass after its panels.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct MapPass;

/// The egui context that shows the map: the wall's, or the one window's.
#[derive(SystemParam)]
pub struct MapUi<'w, 's> {
    contexts: EguiContexts<'w, 's>,
    wall: Query<'w, 's, Entity, With<WallCamera>>,
}

impl MapUi<'_, '_> {
    pub fn ctx(&mut self) -> Result<egui::Context> {
        Ok(match self.wall.single() {
            Ok(wall) => self.contexts.ctx_for_entity_mut(wall)?.clone(),
            Err(_) => self.contexts.ctx_mut()?.clone(),
        })
    }

    /// Whether the map is on a wall of its own (no pointer there, nothing to click).
    pub fn on_wall(&self) -> bool {
        !self.wall.is_empty()
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_schedule(MapPass)
        .add_plugins((fonts::plugin, panel::plugin, hud::plugin))
        .add_systems(EguiPrimaryContextPass, run_map_pass.after(panel::PanelSystems));
}

/// With one window, the map's drawing runs in its pass after the panels (which decide where the
/// map shows); a wall runs [`MapPass`] in its own.
fn run_map_pass(world: &mut World) {
    let mut walls = world.query_filtered::<(), With<WallCamera>>();
    if walls.iter(world).next().is_none() {
        world.run_schedule(MapPass);
    }
}
