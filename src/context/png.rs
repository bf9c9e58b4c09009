//! The one PNG encoder of a captured picture: bytes (the control API, the index briefing) or a
//! file (screenshots, the hub's report).

use std::io::Cursor;
use std::path::Path;

use bevy::prelude::*;

/// A PNG file's bytes of a captured image.
pub fn png_bytes(image: &Image) -> Result<Vec<u8>, String> {
    let mut out = Cursor::new(Vec::new());
    rgb_of(image)?.write_to(&mut out, image::ImageFormat::Png).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// Writes a captured image to `path` as PNG, making its folder.
pub fn save_png(image: &Image, path: &Path) -> Result<(), String> {
    let png = png_bytes(image)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
}

fn rgb_of(image: &Image) -> Result<image::RgbImage, String> {
    Ok(image.clone().try_into_dynamic().map_err(|e| e.to_string())?.to_rgb8())
}
