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

/// What a piece of panel text means, so that its colour reads on the night and the day panels
/// alike (each tone meets WCAG AA, 4.5:1, on both: `ui::theme`'s tests measure it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Titles and headings.
    Accent,
    /// Live, online, accepted.
    Good,
    /// Needs a look: failed tiles, unconfirmed orders, stale data.
    Warn,
    /// Wrong or refused: errors, rejected orders, alarms.
    Bad,
    /// The tactile hub's alerts (violet).
    Tactile,
    /// The defence hub's risks (pink).
    Defence,
}

impl Tone {
    pub const ALL: [Tone; 6] = [Tone::Accent, Tone::Good, Tone::Warn, Tone::Bad, Tone::Tactile, Tone::Defence];

    /// sRGB on the night (`dark`) or the day panels.
    pub fn rgb(self, dark: bool) -> [u8; 3] {
        match (self, dark) {
            (Tone::Accent, true) => [120, 210, 255],
            (Tone::Good, true) => [80, 220, 120],
            (Tone::Warn, true) => [255, 170, 60],
            (Tone::Bad, true) => [255, 110, 90],
            (Tone::Tactile, true) => [235, 120, 255],
            (Tone::Defence, true) => [255, 120, 200],
            (Tone::Accent, false) => [0, 88, 160],
            (Tone::Good, false) => [20, 118, 50],
            (Tone::Warn, false) => [158, 82, 0],
            (Tone::Bad, false) => [190, 28, 28],
            (Tone::Tactile, false) => [128, 40, 170],
            (Tone::Defence, false) => [168, 28, 110],
        }
    }

    /// The tone's colour in `ui`'s theme.
    pub fn of(self, ui: &bevy_egui::egui::Ui) -> bevy_egui::egui::Color32 {
        let [r, g, b] = self.rgb(ui.visuals().dark_mode);
        bevy_egui::egui::Color32::from_rgb(r, g, b)
    }
}

/// A colour that stands for data (a severity, a grid's band) made legible as text on `ui`'s
/// panels: on the day panels it is darkened until it meets 4.5:1 against white.
pub fn text_on(ui: &bevy_egui::egui::Ui, rgb: [f32; 3]) -> bevy_egui::egui::Color32 {
    let c = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let mut rgb8 = [c(rgb[0]), c(rgb[1]), c(rgb[2])];
    if !ui.visuals().dark_mode {
        rgb8 = darken_to_contrast(rgb8, [255, 255, 255], 4.5);
    }
    bevy_egui::egui::Color32::from_rgb(rgb8[0], rgb8[1], rgb8[2])
}

/// WCAG relative luminance of an sRGB colour.
pub fn luminance(rgb: [u8; 3]) -> f64 {
    let lin = |v: u8| {
        let s = v as f64 / 255.0;
        if s <= 0.04045 { s / 12.92 } else { ((s + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
}

/// WCAG contrast ratio of two sRGB colours (1 to 21).
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `rgb` scaled towards black, keeping its hue, until it reaches `ratio` against `ground`.
pub fn darken_to_contrast(rgb: [u8; 3], ground: [u8; 3], ratio: f64) -> [u8; 3] {
    let mut k = 1.0f64;
    loop {
        let c = rgb.map(|v| (v as f64 * k).round() as u8);
        if contrast(c, ground) >= ratio || k <= 0.0 {
            return c;
        }
        k -= 0.02;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_is_wcag_s() {
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        assert!((contrast([119, 119, 119], [255, 255, 255]) - 4.48).abs() < 0.01);
    }

    #[test]
    fn a_severity_colour_darkened_for_the_day_panels_reads_and_keeps_its_hue() {
        for s in 1..=4 {
            let [r, g, b] = severity_rgb(s).map(|v| (v * 255.0).round() as u8);
            let d = darken_to_contrast([r, g, b], [255, 255, 255], 4.5);
            assert!(contrast(d, [255, 255, 255]) >= 4.5, "severity {s}: {d:?}");
            // Same hue: the largest channel stays the largest.
            let max = |c: [u8; 3]| (0..3).max_by_key(|&i| c[i]).unwrap();
            assert_eq!(max(d), max([r, g, b]), "severity {s}");
        }
    }
}
