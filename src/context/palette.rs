//! The colours every feature draws with: severity (blue, yellow, orange, red) and sRGB to the
//! shaders' linear light.

use bevy::prelude::*;

/// An incident's severity colour (1 blue, 2 yellow, 3 orange, 4 red), sRGB.
pub fn severity_rgb(severity: u8) -> [f32; 3] {
    match severity {
        0 | 1 => [0.25, 0.6, 1.0],
        2 => [1.0, 0.85, 0.1],
        3 => [1.0, 0.5, 0.05],
        _ => [1.0, 0.12, 0.12],
    }
}

/// An sRGB colour in linear light, as the materials take it.
pub fn linear(r: f32, g: f32, b: f32, a: f32) -> [f32; 4] {
    let c = Color::srgba(r, g, b, a).to_linear();
    [c.red, c.green, c.blue, c.alpha]
}
