//! The drawing surface over the map: the egui context that shows it (the wall's own, or the one
//! window's), for everything drawn in [`super::MapPass`].

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::wall::WallCamera;

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
