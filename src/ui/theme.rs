//! The panels' theme follows the map's style: the night command hall (dark navy panels) or the
//! day style (light panels with dark text). Text colours by meaning come from
//! [`crate::context::Tone`]; every text colour meets WCAG AA (4.5:1) on its panels, which the
//! tests below measure.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use twinhall_core::config::StyleMode;

use crate::city::MapStyle;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, follow_style.before(crate::context::PanelSystems))
        .add_systems(super::MapPass, follow_style_on_map);
}

/// The night panels: navy, slightly see-through over the city.
pub fn night() -> egui::Visuals {
    let mut v = egui::Visuals::dark();
    v.panel_fill = egui::Color32::from_rgba_unmultiplied(6, 14, 30, 235);
    v.window_fill = egui::Color32::from_rgb(8, 18, 38);
    v.selection.bg_fill = egui::Color32::from_rgb(20, 90, 160);
    v.override_text_color = Some(egui::Color32::from_gray(225));
    v.weak_text_color = Some(egui::Color32::from_gray(160));
    v
}

/// The day panels: near-white, opaque, with dark text; secondary text stays dark enough to read.
pub fn day() -> egui::Visuals {
    let mut v = egui::Visuals::light();
    v.panel_fill = egui::Color32::from_rgb(245, 247, 250);
    v.window_fill = egui::Color32::from_rgb(252, 252, 253);
    v.faint_bg_color = egui::Color32::from_rgb(234, 238, 244);
    v.extreme_bg_color = egui::Color32::WHITE;
    v.selection.bg_fill = egui::Color32::from_rgb(170, 205, 240);
    v.override_text_color = Some(egui::Color32::from_rgb(22, 28, 38));
    v.weak_text_color = Some(egui::Color32::from_rgb(84, 92, 104));
    v
}

/// Sets `ctx`'s theme and its visuals to the style's (whatever the system's own preference).
pub fn apply(ctx: &egui::Context, mode: StyleMode) {
    let theme = match mode {
        StyleMode::Night => egui::Theme::Dark,
        StyleMode::Day => egui::Theme::Light,
    };
    ctx.set_theme(theme);
    ctx.set_visuals_of(theme, visuals(mode));
}

/// The visuals of a map style.
pub fn visuals(mode: StyleMode) -> egui::Visuals {
    match mode {
        StyleMode::Night => night(),
        StyleMode::Day => day(),
    }
}

/// Applies the style's theme to `ctx` when it changed since `shown`.
fn follow(ctx: &egui::Context, style: Option<Res<MapStyle>>, shown: &mut Option<StyleMode>) {
    let mode = style.map_or(StyleMode::Night, |s| s.mode);
    if *shown != Some(mode) {
        apply(ctx, mode);
        *shown = Some(mode);
    }
}

fn follow_style(
    mut contexts: EguiContexts,
    style: Option<Res<MapStyle>>,
    mut shown: Local<Option<StyleMode>>,
) -> Result {
    follow(contexts.ctx_mut()?, style, &mut shown);
    Ok(())
}

fn follow_style_on_map(
    mut map: crate::context::MapUi,
    style: Option<Res<MapStyle>>,
    mut shown: Local<Option<StyleMode>>,
) -> Result {
    follow(&map.ctx()?, style, &mut shown);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Tone, contrast};

    fn rgb(c: egui::Color32) -> [u8; 3] {
        [c.r(), c.g(), c.b()]
    }

    /// A fill as seen: composited over the map behind it (black or white, the worst of both).
    fn seen(fill: egui::Color32, behind: [u8; 3]) -> [u8; 3] {
        let [r, g, b, a] = fill.to_srgba_unmultiplied();
        let a = a as f64 / 255.0;
        let mix = |f: u8, m: u8| (f as f64 * a + m as f64 * (1.0 - a)).round() as u8;
        [mix(r, behind[0]), mix(g, behind[1]), mix(b, behind[2])]
    }

    #[test]
    fn every_text_colour_reads_on_its_panels_in_both_styles() {
        let mut worst = f64::MAX;
        for (name, v) in [("night", night()), ("day", day())] {
            let mut texts = vec![("text", rgb(v.text_color())), ("weak", rgb(v.weak_text_color()))];
            texts.extend(Tone::ALL.iter().map(|t| ("tone", t.rgb(v.dark_mode))));
            for (fill_name, fill) in [("panel", v.panel_fill), ("window", v.window_fill), ("faint", v.faint_bg_color)] {
                for behind in [[0, 0, 0], [255, 255, 255]] {
                    // A striped row's faint fill lies over the panel, not over the map.
                    let ground =
                        if fill_name == "faint" { seen(fill, seen(v.panel_fill, behind)) } else { seen(fill, behind) };
                    for (what, c) in &texts {
                        let k = contrast(*c, ground);
                        worst = worst.min(k);
                        assert!(k >= 4.5, "{name}: {what} {c:?} on {fill_name} {ground:?}: {k:.2}:1");
                    }
                }
            }
        }
        println!("lowest text contrast on the panels: {worst:.2}:1");
    }

    #[test]
    fn the_day_style_is_light_and_the_night_dark() {
        assert!(!day().dark_mode && night().dark_mode);
        assert!(crate::context::luminance(rgb(day().panel_fill)) > 0.8);
    }
}
