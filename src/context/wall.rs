//! The wall as every view sees it: its window and preset, the camera that renders it, this
//! machine's tile of a wall of several, and the role this instance plays on such a wall.

use bevy::prelude::*;
use twinhall_core::config::Lang;
use twinhall_core::wall::{Tiling, WallPreset};

use super::view::ui_scale_for_height;

/// The camera that renders the wall (it carries the orbit state every view follows).
#[derive(Component, Debug, Clone, Copy)]
pub struct WallCamera;

/// The wall's window and the preset it is drawn with (present only with `--wall`).
#[derive(Resource, Debug, Clone)]
pub struct Wall {
    pub window: Entity,
    pub preset: WallPreset,
    /// This machine's tile of a wall of several (one tile on a wall of one machine).
    pub tiling: Tiling,
    /// A console window beside the wall (not on a follower, which shows only its tile).
    pub console: bool,
}

impl Wall {
    /// The zoom of the wall's egui context: the scale for the whole wall's height (the canvas's,
    /// on a wall of several machines) times the preset's text scale.
    pub fn zoom(&self, physical_height: u32) -> f32 {
        ui_scale_for_height(physical_height as f32) * self.preset.text_scale
    }

    /// The preset's name for people.
    pub fn preset_name(&self, lang: Lang) -> &'static str {
        lang.tr(self.preset.name_zh, self.preset.name_en)
    }
}

/// The canvas this machine shows a tile of (absent on a wall of one machine).
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct TileView {
    /// The whole wall's picture, logical pixels (bezels included).
    pub canvas: Vec2,
    /// This tile's top-left corner on it.
    pub origin: Vec2,
    /// This tile's size.
    pub size: Vec2,
}

/// The part this instance plays on a wall of several machines (claimed by the wall's link when
/// it starts): alone, leading followers, or following a leader (whose feed, histories, labels
/// and alerts it shows instead of its own).
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WallRole {
    #[default]
    Alone,
    Lead,
    Follow,
}

impl WallRole {
    pub fn follows(self) -> bool {
        self == WallRole::Follow
    }
}
