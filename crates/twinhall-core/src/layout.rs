//! One layout for what is drawn over the map on the wall: the briefing's cards (header, charts,
//! narration, the expert's note), the HUD (compass and scale bar) and the progress strip each get
//! a region of the view, reserved for the preset's text scale and the view's size, so that no two
//! of them overlap; what is left in the middle is the free region, where the camera frames a
//! step's subject. GPU-free: the app draws into these rectangles (`theatre/wall.rs`, `ui/hud.rs`)
//! and the tests lay out every step at every preset and size without a window.
//!
//! Units are the view's points (egui points: a wall's zoom is already in them).

/// An axis-aligned rectangle in points, `min` top left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub min: [f32; 2],
    pub max: [f32; 2],
}

impl Rect {
    pub fn new(x0: f32, y0: f32, x1: f32, y1: f32) -> Self {
        Self { min: [x0, y0], max: [x1, y1] }
    }
    pub fn width(&self) -> f32 {
        self.max[0] - self.min[0]
    }
    pub fn height(&self) -> f32 {
        self.max[1] - self.min[1]
    }
    pub fn is_positive(&self) -> bool {
        self.width() > 0.0 && self.height() > 0.0
    }
    pub fn center(&self) -> [f32; 2] {
        [(self.min[0] + self.max[0]) / 2.0, (self.min[1] + self.max[1]) / 2.0]
    }
    /// Whether the two share any area (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.min[0] < o.max[0] && o.min[0] < self.max[0] && self.min[1] < o.max[1] && o.min[1] < self.max[1]
    }
    pub fn contains(&self, p: [f32; 2]) -> bool {
        p[0] >= self.min[0] && p[0] <= self.max[0] && p[1] >= self.min[1] && p[1] <= self.max[1]
    }
    /// Whether `o` lies wholly inside.
    pub fn holds(&self, o: &Rect) -> bool {
        self.contains(o.min) && self.contains(o.max)
    }
    /// Smaller by `d` on every side.
    pub fn shrink(&self, d: f32) -> Rect {
        Rect::new(self.min[0] + d, self.min[1] + d, self.max[0] - d, self.max[1] - d)
    }
}

/// The cards of one briefing step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepCards {
    pub charts: usize,
    pub expert: bool,
}

/// Where everything over the map goes while a briefing plays on the wall.
#[derive(Clone, Debug, PartialEq)]
pub struct TheatreLayout {
    /// The view the layout is for.
    pub view: Rect,
    /// The cards' text scale (1 at 900 points tall with the desk preset), already fitted.
    pub scale: f32,
    /// Space between cards and from the view's edges.
    pub margin: f32,
    /// Theme title, subtitle and step dots: top left.
    pub header: Rect,
    /// One rectangle per chart: a column on the right.
    pub charts: Vec<Rect>,
    /// The step's title and narration: bottom left.
    pub narration: Rect,
    /// The expert's note: bottom, right of the narration.
    pub expert: Option<Rect>,
    /// Compass and scale bar: bottom right, under the charts.
    pub hud: Rect,
    /// What the HUD's sizes are multiplied by (1 on a view 700 points tall or more).
    pub hud_scale: f32,
    /// The step's progress: a strip along the bottom edge.
    pub progress: Rect,
    /// What no card holds: the camera frames the step's subject here.
    pub free: Rect,
}

/// The HUD (compass and scale bar) at scale 1, points: its height, and the least width it needs.
pub const HUD_H: f32 = 84.0;
pub const HUD_MIN_W: f32 = 200.0;
/// How far above the view's bottom edge the HUD ends (the progress strip runs below it).
pub const HUD_LIFT: f32 = 22.0;

/// The cards' text scale a view and preset ask for (before fitting).
pub fn text_scale(view: Rect, preset_text_scale: f32) -> f32 {
    (view.height() * preset_text_scale / 900.0).clamp(0.7, 3.0)
}

/// The layout with no cards: where the HUD goes, and the free region, whatever a step shows.
pub const NO_CARDS: StepCards = StepCards { charts: 0, expert: false };

/// The layout of a step's cards in `view`. The text keeps the preset's size unless the header
/// would take more than 15% of the height or the narration's band (title and two lines) more than
/// 30%; then it shrinks, never below half. The chart column takes about a quarter of the width,
/// the HUD the foot of that column. The free region keeps the middle left: at least about a third
/// of the height and half the width, whatever the preset and the size.
pub fn theatre(view: Rect, preset_text_scale: f32, cards: StepCards) -> TheatreLayout {
    let (w, h) = (view.width(), view.height());
    let wanted = text_scale(view, preset_text_scale);
    let s = wanted.min(h * 0.15 / 92.0).min(h * 0.3 / 130.0).max(0.5);
    let margin = (18.0 * s).min(h * 0.02).max(4.0);
    let [l, t] = view.min;
    let [r, b] = view.max;
    let progress = Rect::new(l, b - 6.0 * s, r, b);

    // The right column: charts from the top, the HUD at its foot (the HUD scales down on a view
    // too small for it, and the column widens to hold it).
    let hud_scale = (h / 700.0).clamp(0.45, 1.0);
    let chart_w = (w * 0.26).clamp(260.0_f32.min(w * 0.3), 900.0 * s).max(HUD_MIN_W * hud_scale);
    let col_x0 = r - margin - chart_w;
    let hud = Rect::new(col_x0, b - HUD_LIFT * hud_scale - HUD_H * hud_scale, r - margin, b - HUD_LIFT * hud_scale);

    let header_h = 92.0 * s;
    let header = Rect::new(l + margin, t + margin, col_x0 - margin, t + margin + header_h);

    // The bottom band, above the progress strip.
    let band_h = (h * 0.28).max(130.0 * s);
    let band_y1 = b - 6.0 * s - margin;
    let band_y0 = band_y1 - band_h;
    let band_x1 = col_x0 - margin;
    let band_w = band_x1 - (l + margin);
    let (narration, expert) = if cards.expert {
        let nw = band_w * 0.6;
        let n = Rect::new(l + margin, band_y0, l + margin + nw, band_y1);
        let e = Rect::new(n.max[0] + margin, band_y0, band_x1, band_y1);
        (n, Some(e))
    } else {
        (Rect::new(l + margin, band_y0, l + margin + band_w.min(w * 0.55), band_y1), None)
    };

    // The charts, from the top down to the HUD.
    let col_y1 = hud.min[1] - margin;
    let col_y0 = t + margin;
    let n = cards.charts;
    let charts = if n == 0 {
        Vec::new()
    } else {
        let each = ((col_y1 - col_y0) - margin * (n as f32 - 1.0)) / n as f32;
        (0..n)
            .map(|i| {
                let y0 = col_y0 + i as f32 * (each + margin);
                Rect::new(col_x0, y0, r - margin, y0 + each)
            })
            .collect()
    };

    let free = Rect::new(l + margin, header.max[1] + margin, band_x1, band_y0 - margin);
    TheatreLayout { view, scale: s, margin, header, charts, narration, expert, hud, hud_scale, progress, free }
}

impl TheatreLayout {
    /// Every card and the HUD, named (the progress strip and the free region are not cards).
    pub fn cards(&self) -> Vec<(String, Rect)> {
        let mut v = vec![("header".to_owned(), self.header), ("narration".to_owned(), self.narration)];
        v.extend(self.expert.map(|e| ("expert".to_owned(), e)));
        v.extend(self.charts.iter().enumerate().map(|(i, c)| (format!("chart {}", i + 1), *c)));
        v.push(("hud".to_owned(), self.hud));
        v
    }

    /// The first pair of cards that overlap, if any.
    pub fn overlap(&self) -> Option<(String, String)> {
        let cards = self.cards();
        for (i, (a, ra)) in cards.iter().enumerate() {
            for (b, rb) in &cards[i + 1..] {
                if ra.overlaps(rb) {
                    return Some((a.clone(), b.clone()));
                }
            }
        }
        None
    }
}

/// A place a step's camera can fit its subject: the free region in the view's normalised device
/// coordinates (x right, y up, -1..1), as the framing needs it.
pub fn ndc_of(view: Rect, r: Rect) -> Rect {
    let x = |v: f32| (v - view.min[0]) / view.width() * 2.0 - 1.0;
    let y = |v: f32| 1.0 - (v - view.min[1]) / view.height() * 2.0;
    Rect::new(x(r.min[0]), y(r.max[1]), x(r.max[0]), y(r.min[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wall's view in points at each size and preset: the window zoomed by its height's
    /// scale times the preset's text scale, inside the safe margin (as `wall/window.rs` sets it).
    pub(crate) fn wall_view(px: [f32; 2], preset: &crate::wall::WallPreset) -> Rect {
        let zoom = (px[1] / 1080.0).clamp(1.0, 4.0) * preset.text_scale;
        let m = preset.safe_margin_px as f32 / zoom;
        Rect::new(0.0, 0.0, px[0] / zoom, px[1] / zoom).shrink(m)
    }

    pub(crate) const SIZES: [[f32; 2]; 3] = [[1280.0, 720.0], [1920.0, 1080.0], [7680.0, 2160.0]];

    #[test]
    fn no_two_cards_overlap_at_any_preset_and_size() {
        for preset in crate::wall::PRESETS {
            for px in SIZES {
                let view = wall_view(px, &preset);
                let name = format!("{}x{}", px[0], px[1]);
                for charts in 0..=3 {
                    for expert in [false, true] {
                        let l = theatre(view, preset.text_scale, StepCards { charts, expert });
                        let what = format!("{} {name} charts {charts} expert {expert}", preset.id);
                        assert_eq!(l.overlap(), None, "{what}");
                        for (card, r) in l.cards() {
                            assert!(r.is_positive(), "{what}: {card} {r:?}");
                            assert!(view.holds(&r), "{what}: {card} {r:?} outside {view:?}");
                            assert!(!r.overlaps(&l.free), "{what}: {card} covers the free region");
                        }
                        assert!(l.free.height() >= view.height() * 0.3, "{what}: free {:?}", l.free);
                        assert!(l.free.width() >= view.width() * 0.5, "{what}: free {:?}", l.free);
                        assert!(!l.hud.overlaps(&l.progress), "{what}");
                    }
                }
            }
        }
    }

    #[test]
    fn text_keeps_the_presets_size_where_it_fits_and_shrinks_no_further_than_half() {
        let view = Rect::new(0.0, 0.0, 1920.0, 1080.0);
        let desk = theatre(view, 1.0, StepCards { charts: 2, expert: true });
        assert!((desk.scale - 1.2).abs() < 1e-4, "{}", desk.scale);
        let big = theatre(view, 2.5, StepCards { charts: 2, expert: true });
        assert!(big.scale < text_scale(view, 2.5) && big.scale >= 0.5, "{}", big.scale);
        assert!(big.header.height() <= 1080.0 * 0.15 + 0.01);
        for preset in crate::wall::PRESETS {
            for px in SIZES {
                let l = theatre(wall_view(px, &preset), preset.text_scale, StepCards { charts: 3, expert: true });
                assert!(l.scale >= 0.5 && l.hud_scale >= 0.45, "{} {px:?}: {l:?}", preset.id);
                assert!(l.hud.width() >= HUD_MIN_W * l.hud_scale - 0.01, "{} {px:?}", preset.id);
            }
        }
    }

    #[test]
    fn ndc_maps_the_view_corners() {
        let view = Rect::new(100.0, 50.0, 300.0, 150.0);
        assert_eq!(ndc_of(view, view), Rect::new(-1.0, -1.0, 1.0, 1.0));
        let top_left = ndc_of(view, Rect::new(100.0, 50.0, 200.0, 100.0));
        assert_eq!(top_left, Rect::new(-1.0, 0.0, 0.0, 1.0));
    }
}
