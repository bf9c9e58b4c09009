//! What the wall draws, worked out without a GPU: text broken into lines by the rules of
//! Chinese typesetting (`linebreak`), the numbers of a chart (`chart`: value and time axes,
//! the names under bars, legends), and the categories' colours (`palette`). The app measures
//! with egui's fonts and paints; everything decided here is unit-tested.

mod chart;
mod linebreak;
mod palette;
#[cfg(test)]
mod tests;

pub use chart::{
    LabelLayout, LabelPlan, LegendFit, MIN_TREND_POINTS, TimeAxis, ValueAxis, count_axis, fit_legend, flow,
    label_overhang, label_shown, plan_labels, slanted_drop, time_axis, time_label, trend_ready, value_axis,
};
pub use linebreak::{ellipsize, is_cjk, is_no_end, is_no_start, wrap_cjk};
pub use palette::{CARD_FILL, CATEGORY_COLOURS, category_colour, delta_e76, lab};
