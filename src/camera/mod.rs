//! The wall's camera: orbit, pan, zoom and tilt around a focus point on the ground, smooth
//! fly-to and bookmarks, and the ground point under the cursor.

mod fly;
mod orbit;
mod pick;

pub use fly::{Flight, interpolate, target_orbit};
pub use orbit::OrbitSystems;
pub use pick::{GroundCursor, ground_hit};

use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((orbit::plugin, fly::plugin, pick::plugin));
}
