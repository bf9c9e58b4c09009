//! The numbers of a chart on the wall, worked out before anything is drawn: value axes with
//! round ticks (a count's from zero, in whole numbers), a time axis of "minutes ago", how the
//! names under a bar chart's bars are set so that they never run together, and how a legend
//! fits its place.

use crate::lang::Lang;

/// Fewer points than this make no trend: the chart says it is collecting data instead.
pub const MIN_TREND_POINTS: usize = 3;

/// Whether a series of `points` points is long enough to be drawn as a trend.
pub fn trend_ready(points: usize) -> bool {
    points >= MIN_TREND_POINTS
}

/// A value axis: the range shown and its ticks, `step` apart.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueAxis {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub ticks: Vec<f64>,
}

/// The axis of a count: from zero to at least `max`, ticks on whole numbers (1, 2 or 5 times a
/// power of ten apart), at most `max_ticks` of them (at least two).
pub fn count_axis(max: f64, max_ticks: usize) -> ValueAxis {
    value_axis(0.0, max, max_ticks, true, true)
}

/// The axis over `lo..=hi` rounded out to ticks 1, 2 or 5 times a power of ten apart, at most
/// `max_ticks` of them (at least two). `whole`: the ticks are whole numbers; `from_zero`: the
/// axis takes in zero. An empty range (one value) is widened: by one for whole numbers, by 2%
/// of the value otherwise; a range that is not finite is taken as `0..=1`.
pub fn value_axis(lo: f64, hi: f64, max_ticks: usize, whole: bool, from_zero: bool) -> ValueAxis {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() { (lo.min(hi), lo.max(hi)) } else { (0.0, 1.0) };
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-12 {
        let pad = if whole { 1.0 } else { (hi.abs() * 0.02).max(1e-6) };
        if from_zero && lo >= 0.0 {
            hi = lo + pad;
        } else {
            lo -= pad / 2.0;
            hi += pad / 2.0;
        }
    }
    let n = max_ticks.max(2) as f64;
    let raw = (hi - lo) / (n - 1.0);
    let mut exp = raw.log10().floor() as i32 - 1;
    loop {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(exp);
            if whole && step < 1.0 {
                continue;
            }
            let a = (lo / step + 1e-9).floor();
            let b = (hi / step - 1e-9).ceil();
            if b - a + 1.0 <= n + 1e-9 {
                let (a, b) = (a as i64, b as i64);
                return ValueAxis {
                    min: a as f64 * step,
                    max: b as f64 * step,
                    step,
                    ticks: (a..=b).map(|i| i as f64 * step).collect(),
                };
            }
        }
        exp += 1;
    }
}

/// Steps of a time axis, in seconds: round numbers of seconds, minutes, hours and days.
const TIME_STEPS_S: [f64; 21] = [
    1.0,
    2.0,
    5.0,
    10.0,
    15.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    900.0,
    1800.0,
    3600.0,
    7200.0,
    10800.0,
    21600.0,
    43200.0,
    86400.0,
    172_800.0,
    604_800.0,
    2_592_000.0,
];

/// A time axis that ends now: ticks at 0 (now), −step, −2·step … seconds, no earlier than the
/// span shown.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeAxis {
    pub step_s: f64,
    /// Seconds relative to now (zero or less), latest first.
    pub ticks: Vec<f64>,
}

/// The time axis over the last `span_s` seconds with at most `max_ticks` ticks (at least two):
/// the smallest round step that keeps to it.
pub fn time_axis(span_s: f64, max_ticks: usize) -> TimeAxis {
    let span = if span_s.is_finite() { span_s.abs().max(1.0) } else { 1.0 };
    let n = max_ticks.max(2);
    let step = TIME_STEPS_S
        .iter()
        .copied()
        .find(|s| ((span / s + 1e-9).floor() as usize) < n)
        .unwrap_or_else(|| (span / (n - 1) as f64).ceil());
    let count = (span / step + 1e-9).floor() as usize;
    TimeAxis { step_s: step, ticks: (0..=count).map(|k| 0.0 - k as f64 * step).collect() }
}

/// A tick of a time axis in words: "现在" / "now" at zero, else "15 分钟前" / "15 min ago".
pub fn time_label(t_s: f64, lang: Lang) -> String {
    if t_s.abs() < 0.5 { lang.tr("现在", "now").to_owned() } else { lang.ago(t_s.abs()) }
}

/// How the names under a bar chart's bars are set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelPlan {
    /// Each level, centred under its bar.
    Level,
    /// Each level, on two rows in turn (the even bars' on the first).
    Staggered,
    /// Each turned up by 45°, ending under its bar.
    Slanted,
    /// Only every n-th (the first bar's, then every n-th), level.
    Every(usize),
}

/// The plan and the height it takes under the bars.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelLayout {
    pub plan: LabelPlan,
    pub band: f32,
}

const SIN45: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Least room between two names, as a share of the row's height.
const LABEL_GAP: f32 = 0.3;

/// How to set names of widths `widths` under bars `slot` apart, in rows `row_h` high, within
/// `max_band` under the bars: level if they fit, else on two rows, else slanted, else every
/// n-th, whichever comes first; names never overlap.
pub fn plan_labels(widths: &[f32], slot: f32, row_h: f32, max_band: f32) -> LabelLayout {
    let gap = LABEL_GAP * row_h;
    let apart = |k: usize| {
        (0..widths.len().saturating_sub(k)).all(|i| k as f32 * slot >= (widths[i] + widths[i + k]) / 2.0 + gap)
    };
    if apart(1) {
        return LabelLayout { plan: LabelPlan::Level, band: row_h };
    }
    if 2.0 * row_h <= max_band && apart(2) {
        return LabelLayout { plan: LabelPlan::Staggered, band: 2.0 * row_h };
    }
    let widest = widths.iter().copied().fold(0.0_f32, f32::max);
    let slanted = slanted_band(widest, row_h);
    if slot * SIN45 >= row_h + gap && slanted <= max_band {
        return LabelLayout { plan: LabelPlan::Slanted, band: slanted };
    }
    let n = widths.len().max(1);
    let every = (2..n)
        .find(|&k| {
            (0..n)
                .step_by(k)
                .zip((0..n).step_by(k).skip(1))
                .all(|(i, j)| k as f32 * slot >= (widths[i] + widths[j]) / 2.0 + gap)
        })
        .unwrap_or(n.max(2));
    LabelLayout { plan: LabelPlan::Every(every), band: row_h }
}

/// The height a name `width` wide takes turned up by 45°, with its end's centre a little below
/// the bar's foot.
fn slanted_band(width: f32, row_h: f32) -> f32 {
    (width + row_h) * SIN45 + 2.0
}

/// Where a slanted name's end is put under its bar's foot (its right end's centre), downwards.
pub fn slanted_drop(row_h: f32) -> f32 {
    row_h * SIN45 / 2.0 + 2.0
}

/// Whether the `i`-th name is shown under `plan`.
pub fn label_shown(plan: LabelPlan, i: usize) -> bool {
    match plan {
        LabelPlan::Every(k) => i.is_multiple_of(k.max(1)),
        _ => true,
    }
}

/// How far the names reach past the first bar's slot on the left and the last one's on the
/// right (zero when they keep inside), for bars `slot` apart: the room to leave at the ends.
pub fn label_overhang(plan: LabelPlan, widths: &[f32], slot: f32, row_h: f32) -> (f32, f32) {
    let n = widths.len();
    let (mut left, mut right) = (0.0_f32, 0.0_f32);
    for (i, &w) in widths.iter().enumerate() {
        if !label_shown(plan, i) {
            continue;
        }
        // How far the name reaches left and right of its bar's centre.
        let (l, r) = match plan {
            LabelPlan::Slanted => (w * SIN45 + row_h * SIN45 / 2.0, row_h * SIN45 / 2.0),
            _ => (w / 2.0, w / 2.0),
        };
        let centre = (i as f32 + 0.5) * slot;
        left = left.max(l - centre);
        right = right.max(r - ((n - i) as f32 - 0.5) * slot);
    }
    (left.max(0.0), right.max(0.0))
}

/// Where a legend's entries go: each entry's row and x, how many rows, the scale of the font
/// that fits, and how many entries are shown (the first ones; all unless not even the smallest
/// font fits them).
#[derive(Clone, Debug, PartialEq)]
pub struct LegendFit {
    pub scale: f32,
    pub places: Vec<(usize, f32)>,
    pub rows: usize,
    pub shown: usize,
}

/// Entries of `widths` (swatch and text, at the full font) in rows `row_h` high (at the full
/// font), `gap` apart, in a box of `max_w` × `max_h`: one to a row when `one_column`, else as
/// many to a row as fit. The font shrinks (to `min_scale` at least) until they fit in height;
/// an entry wider than the box is given the whole width (its text is to be cut to it).
pub fn fit_legend(
    widths: &[f32],
    row_h: f32,
    gap: f32,
    max_w: f32,
    max_h: f32,
    min_scale: f32,
    one_column: bool,
) -> LegendFit {
    let min_scale = min_scale.clamp(0.1, 1.0);
    let mut scale = 1.0_f32;
    loop {
        let scaled: Vec<f32> = widths.iter().map(|w| (w * scale).min(max_w)).collect();
        let places =
            if one_column { (0..scaled.len()).map(|i| (i, 0.0)).collect() } else { flow(&scaled, max_w, gap * scale) };
        let rows = places.last().map_or(0, |p| p.0 + 1);
        let fits = rows as f32 * row_h * scale <= max_h + 1e-3;
        if fits || scale <= min_scale + 1e-6 {
            if fits {
                return LegendFit { scale, shown: places.len(), places, rows };
            }
            if one_column {
                // Not one to a row even at the smallest font: side by side.
                return fit_legend(widths, row_h, gap, max_w, max_h, min_scale, false);
            }
            let fit_rows = ((max_h + 1e-3) / (row_h * scale)).floor().max(0.0) as usize;
            let shown = places.iter().take_while(|p| p.0 < fit_rows).count();
            let places: Vec<(usize, f32)> = places.into_iter().take(shown).collect();
            let rows = places.last().map_or(0, |p| p.0 + 1);
            return LegendFit { scale, places, rows, shown };
        }
        scale = (scale - 0.1).max(min_scale);
    }
}

/// Entries of `widths` set left to right, `gap` apart, in rows no wider than `max_w`: each
/// entry's row and x. An entry wider than a row has one to itself.
pub fn flow(widths: &[f32], max_w: f32, gap: f32) -> Vec<(usize, f32)> {
    let mut out = Vec::with_capacity(widths.len());
    let (mut row, mut x) = (0usize, 0.0_f32);
    for (i, &w) in widths.iter().enumerate() {
        if i > 0 {
            if x + gap + w <= max_w + 1e-3 {
                x += gap;
            } else {
                row += 1;
                x = 0.0;
            }
        }
        out.push((row, x));
        x += w;
    }
    out
}
