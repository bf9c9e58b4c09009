//! twinhall: the digital-twin wall of a city's social-governance command centre.
//!
//! A folder is a feature and a file is a plugin. [`plugin`] adds every feature; [`AppSystems`]
//! is the one ordering of the app's own per-frame work. See docs/ARCHITECTURE.md.

use bevy::prelude::*;

pub mod app;
pub mod basemap;
pub mod camera;
pub mod capture;
pub mod city;
pub mod cli;
pub mod control;
pub mod defence;
pub mod errors;
pub mod feed;
pub mod heartbeat;
pub mod hub;
pub mod overlays;
pub mod paths;
pub mod settings;
pub mod tactile;
pub mod theatre;
pub mod ui;
pub mod wall;

#[cfg(test)]
mod test_support;

pub use settings::Settings;

/// The app's per-frame work, in order, all in `Update`. Feature code only does `.in_set(..)`.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppSystems {
    /// Drain the feed channel into the store (bounded, budgeted).
    IngestFeed,
    /// Take the control API's commands (a few a frame).
    Control,
    /// Rebuild what changed in the city's meshes.
    UpdateCity,
    /// Update overlay entities from the store.
    UpdateOverlays,
    /// Read input and move the camera.
    UpdateCamera,
    /// Screenshot and exit bookkeeping.
    Capture,
}

/// Adds every twinhall feature. Expects `Settings` and a `city::City` resource to exist.
pub fn plugin(app: &mut App) {
    app.configure_sets(
        Update,
        (
            AppSystems::IngestFeed,
            AppSystems::Control,
            AppSystems::UpdateCity,
            AppSystems::UpdateOverlays,
            AppSystems::UpdateCamera,
            AppSystems::Capture,
        )
            .chain(),
    );
    app.add_plugins((
        city::plugin,
        control::plugin,
        basemap::plugin,
        camera::plugin,
        feed::plugin,
        overlays::plugin,
        hub::plugin,
        tactile::plugin,
        defence::plugin,
        theatre::plugin,
        heartbeat::plugin,
        ui::plugin,
        wall::plugin,
        capture::plugin,
    ));
}
