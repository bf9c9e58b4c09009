//! The `[[models]]` tables: glTF/GLB models placed in the city.

use serde::{Deserialize, Serialize};

/// A glTF/GLB model placed at a lon/lat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub name: String,
    /// Path under assets/, e.g. `models/command_centre.glb`.
    pub path: String,
    pub lon: f64,
    pub lat: f64,
    #[serde(default)]
    pub altitude_m: f32,
    /// Compass direction the model's front (+Z) faces, degrees clockwise from north.
    #[serde(default)]
    pub heading_deg: f32,
    #[serde(default = "one")]
    pub scale: f32,
}

fn one() -> f32 {
    1.0
}
