//! The video wall as a window of its own (`--wall`): borderless full screen on a chosen monitor,
//! showing the map, its labels, the theatre's cards and the HUD sized for the viewing distance
//! (a preset), inside a safe-area margin, with no operator chrome and no cursor. The first
//! window becomes the console: its egui context is the primary one on purpose, so every panel
//! lands there, and its small map follows the wall's view.
//!
//! What is drawn over the map goes through [`crate::context::MapUi`] in [`crate::context::MapPass`]: on
//! the wall's own egui context here, on the one window's otherwise.
//!
//! A wall of several machines: each renders one tile of one canvas ([`tile`]), one of them leads
//! and the others follow it frame by frame ([`sync`]).

mod spawn;
pub mod sync;
pub mod tile;
mod window;

use bevy::prelude::*;

pub use window::{adopt, no_input, open, window_of};

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((window::plugin, spawn::plugin, tile::plugin, sync::plugin));
}
