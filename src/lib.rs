//! twinhall: the digital-twin wall of a city's social-governance command centre.
//!
//! A folder is a feature and a file is a plugin. [`plugin`] adds the shared [`context`] and every
//! feature in layers: services (city, feed, camera, basemap, metrics), the overlays, the hubs,
//! and the shell (ui, wall, control, capture). See docs/ARCHITECTURE.md.

use bevy::prelude::*;

pub mod app;
pub mod basemap;
pub mod camera;
pub mod capture;
pub mod city;
pub mod cli;
pub mod context;
pub mod control;
pub mod defence;
pub mod errors;
pub mod feed;
pub mod heartbeat;
pub mod hub;
pub mod metrics;
pub mod overlays;
pub mod paths;
pub mod settings;
pub mod tactile;
pub mod theatre;
pub mod ui;
pub mod wall;

#[cfg(test)]
mod test_support;

pub use context::Settings;

/// Adds every twinhall feature. Expects `Settings` and a `city::City` resource to exist.
pub fn plugin(app: &mut App) {
    app.add_plugins(context::plugin);
    app.add_plugins((
        city::plugin,
        control::plugin,
        basemap::plugin,
        camera::plugin,
        feed::plugin,
        metrics::plugin,
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
