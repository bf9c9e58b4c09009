//! Installs the bundled CJK font (WenQuanYi Micro Hei, Apache-2.0) into egui and scales the
//! interface with the window so it stays legible on a video wall.

use crate::context::ui_scale_for_height;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

/// WenQuanYi Micro Hei; licence in assets/fonts/wqy-microhei.LICENSE.txt.
pub const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        (install_fonts, scale_with_window).chain().before(crate::context::PanelSystems),
    )
    // The wall's own context (with one window, the same context: set once more, unchanged).
    .add_systems(super::MapPass, install_map_fonts);
}

/// The font definitions twinhall uses: egui's defaults with the CJK font as fallback for every
/// family, so Latin keeps egui's font and Chinese always has glyphs.
pub fn font_definitions() -> egui::FontDefinitions {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert("wqy-microhei".to_owned(), egui::FontData::from_static(CJK_FONT).into());
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("wqy-microhei".to_owned());
    }
    fonts
}

fn install_fonts(mut contexts: EguiContexts, mut done: Local<bool>) -> Result {
    if *done {
        return Ok(());
    }
    setup(contexts.ctx_mut()?);
    *done = true;
    Ok(())
}

fn install_map_fonts(mut map: crate::context::MapUi, mut done: Local<bool>) -> Result {
    if *done {
        return Ok(());
    }
    setup(&map.ctx()?);
    *done = true;
    Ok(())
}

/// The CJK font (the visuals follow the map's style: `ui::theme`).
fn setup(ctx: &egui::Context) {
    ctx.set_fonts(font_definitions());
}

fn scale_with_window(
    mut contexts: EguiContexts,
    windows: Query<&Window, (With<PrimaryWindow>, Changed<Window>)>,
) -> Result {
    let Ok(window) = windows.single() else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    ctx.set_zoom_factor(ui_scale_for_height(window.physical_height() as f32));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_font_covers_the_interface_text() {
        // A TrueType collection starts with "ttcf".
        assert_eq!(&CJK_FONT[..4], b"ttcf");
        let defs = font_definitions();
        assert!(defs.families[&egui::FontFamily::Proportional].contains(&"wqy-microhei".to_owned()));
    }

    #[test]
    fn wall_scale_grows_with_height() {
        assert_eq!(ui_scale_for_height(720.0), 1.0);
        assert_eq!(ui_scale_for_height(2160.0), 2.0);
    }
}
