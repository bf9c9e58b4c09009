//! The wall's camera: orbit, pan, zoom and tilt around a focus point on the ground.

mod orbit;

pub use orbit::{HomeView, OrbitCamera};

use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.add_plugins(orbit::plugin);
}
