//! Charts bound to live metrics: bars and lines with egui_plot, a pie with egui's painter. The
//! numbers drawn are the metric's own (tested against the store). What is decided before
//! anything is drawn (ticks, how the names under bars are set, legends, the categories'
//! colours) is `twinhall_core::graphics`, unit-tested there; here it is measured with egui's
//! fonts and painted.

use bevy_egui::egui;
use egui_plot::{Bar, BarChart, GridMark, Line, Plot, PlotPoint, PlotPoints, Text};
use twinhall_core::config::Lang;
use twinhall_core::graphics::{self, LabelPlan};
use twinhall_core::metrics::{MetricUnit, MetricValue, SeriesPoint, metric_info};
use twinhall_core::protocol::GovernanceIndex;
use twinhall_core::theatre::{ChartKind, Colour};

use crate::metrics::LiveMetrics;

fn c32(c: [u8; 3]) -> egui::Color32 {
    egui::Color32::from_rgb(c[0], c[1], c[2])
}

/// The colour of the `n`-th category of a series (its place in the metric's own order), from
/// the one palette (`twinhall_core::graphics::CATEGORY_COLOURS`).
pub fn category_colour(n: usize) -> egui::Color32 {
    c32(graphics::category_colour(n))
}

/// The colour of `p` by its place in `all`, the metric's whole series: a category keeps its
/// colour whether the chart sorts, drops or leaves out the others.
pub(super) fn colour_of(all: &[SeriesPoint], p: &SeriesPoint) -> egui::Color32 {
    category_colour(all.iter().position(|q| q.key == p.key).unwrap_or(0))
}

/// The elements a chart of a series shows: the largest first for pies, in the metric's order
/// for bars (stages, severities keep their order), at most `max`, zero elements left out of pies.
pub fn chart_points(points: &[SeriesPoint], kind: ChartKind, max: usize) -> Vec<SeriesPoint> {
    let mut v: Vec<SeriesPoint> = points.to_vec();
    if kind == ChartKind::Pie {
        v.retain(|p| p.value > 0.0);
        v.sort_by(|a, b| b.value.total_cmp(&a.value));
    }
    if v.len() > max {
        // Districts and sensor kinds can be many: keep the largest.
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&a, &b| v[b].value.total_cmp(&v[a].value));
        let keep: std::collections::HashSet<usize> = order.into_iter().take(max).collect();
        v = v.into_iter().enumerate().filter(|(i, _)| keep.contains(i)).map(|(_, p)| p).collect();
    }
    v
}

/// Draws one chart of a metric in a box of `size`. A single line takes the theme's `accent`;
/// a series' elements take the categories' colours.
#[allow(clippy::too_many_arguments)]
pub fn chart_ui(
    ui: &mut egui::Ui,
    id: &str,
    kind: ChartKind,
    metric: &str,
    live: &LiveMetrics,
    lang: Lang,
    accent: Colour,
    size: egui::Vec2,
    trend: &[GovernanceIndex],
) {
    let value = live.now.as_ref().and_then(|m| m.get(metric));
    let font = (size.y / 14.0).clamp(11.0, 28.0);
    let unit = metric_info(metric).map(|m| m.unit);
    match (kind, value) {
        (_, None) => note_ui(ui, size, font, lang.tr("暂无数据", "no data yet")),
        (ChartKind::Bar, Some(MetricValue::Series(all))) => {
            bar_ui(ui, id, metric, all, &chart_points(all, kind, 12), unit, lang, size, font);
        }
        (ChartKind::Line, Some(v)) => {
            let series = line_series(metric, v, live, lang, accent, trend);
            line_ui(ui, id, &series, unit.unwrap_or(MetricUnit::Count), lang, size, font);
        }
        (ChartKind::Pie, Some(MetricValue::Series(all))) => {
            let points = chart_points(all, kind, 8);
            let colours: Vec<egui::Color32> = points.iter().map(|p| colour_of(all, p)).collect();
            pie_ui(ui, &points, &colours, lang, size);
        }
        (_, Some(MetricValue::Scalar(v))) => {
            let unit = metric_info(metric).map(|m| m.unit.format(*v)).unwrap_or_default();
            ui.add_sized(size, egui::Label::new(egui::RichText::new(unit).size(font * 2.0).strong()));
        }
    }
}

/// A word in the chart's place ("no data yet", "collecting data").
fn note_ui(ui: &mut egui::Ui, size: egui::Vec2, font: f32, text: &str) {
    ui.add_sized(size, egui::Label::new(egui::RichText::new(text).size(font).color(egui::Color32::LIGHT_GRAY)));
}

/// Bars with their figures on top and their names under them, set so that they never run
/// together (`graphics::plan_labels`): level, on two rows, slanted or every n-th.
#[allow(clippy::too_many_arguments)]
fn bar_ui(
    ui: &mut egui::Ui,
    id: &str,
    metric: &str,
    all: &[SeriesPoint],
    points: &[SeriesPoint],
    unit: Option<MetricUnit>,
    lang: Lang,
    size: egui::Vec2,
    font: f32,
) {
    let n = points.len();
    if n == 0 {
        note_ui(ui, size, font, lang.tr("暂无数据", "no data yet"));
        return;
    }
    let painter = ui.painter().clone();
    let width_of = |text: &str, font: &egui::FontId| {
        painter.layout_no_wrap(text.to_owned(), font.clone(), egui::Color32::WHITE).size().x
    };
    let name_font = egui::FontId::proportional(font * 0.75);
    let row_h = painter.fonts_mut(|f| f.row_height(&name_font)) + 1.0;
    let names: Vec<String> = points.iter().map(|p| p.label(lang).to_owned()).collect();
    let widths: Vec<f32> = names.iter().map(|t| width_of(t, &name_font)).collect();

    // The names' plan, and room at the ends for names that reach past the first or last bar
    // (which narrows the bars, so the plan is made again).
    let max_band = size.y * 0.4;
    let mut pad = (0.0_f32, 0.0_f32);
    let mut slot = size.x / n as f32;
    let mut layout = graphics::plan_labels(&widths, slot, row_h, max_band);
    for _ in 0..3 {
        let need = graphics::label_overhang(layout.plan, &widths, slot, row_h);
        if need.0 <= pad.0 + 0.5 && need.1 <= pad.1 + 0.5 {
            break;
        }
        pad = (need.0.max(pad.0).min(size.x * 0.3), need.1.max(pad.1).min(size.x * 0.3));
        slot = ((size.x - pad.0 - pad.1) / n as f32).max(1.0);
        layout = graphics::plan_labels(&widths, slot, row_h, max_band);
    }

    // Figures on the bars, smaller when the widest would not fit its bar's slot.
    let figures: Vec<String> =
        points.iter().map(|p| unit.map_or_else(|| format!("{}", p.value), |u| u.format(p.value))).collect();
    let mut figure_font = egui::FontId::proportional(font * 0.9);
    let widest = figures.iter().map(|t| width_of(t, &figure_font)).fold(0.0_f32, f32::max);
    if widest > slot * 0.95 {
        figure_font.size = (figure_font.size * slot * 0.95 / widest).max(font * 0.5);
    }

    // Bars from zero; room above the highest for its figure.
    let plot_h = (size.y - layout.band - ui.spacing().item_spacing.y).max(30.0);
    let top = points.iter().map(|p| p.value).fold(0.0_f64, f64::max);
    let top = if top > 0.0 { top } else { 1.0 };
    let figure_h = figure_font.size * 1.2;
    let y1 = top / f64::from(1.0 - ((figure_h + 4.0) / plot_h).min(0.5));
    let per_point = y1 / f64::from(plot_h);
    let (x0, x1) = (-0.5 - f64::from(pad.0 / slot), n as f64 - 0.5 + f64::from(pad.1 / slot));

    let bars: Vec<Bar> = points
        .iter()
        .enumerate()
        .map(|(i, p)| Bar::new(i as f64, p.value).name(p.label(lang)).fill(colour_of(all, p)).width(0.7))
        .collect();
    let texts: Vec<Text> = points
        .iter()
        .zip(&figures)
        .enumerate()
        .map(|(i, (p, figure))| {
            let y = p.value.max(0.0) + f64::from(figure_h / 2.0 + 2.0) * per_point;
            Text::new(
                "",
                PlotPoint::new(i as f64, y),
                egui::RichText::new(figure).size(figure_font.size).color(egui::Color32::WHITE),
            )
        })
        .collect();
    let response =
        still_plot(id, egui::vec2(size.x, plot_h)).show_grid([false, false]).show_axes([false, false]).show(ui, |p| {
            p.set_plot_bounds_x(x0..=x1);
            p.set_plot_bounds_y(0.0..=y1);
            p.bar_chart(BarChart::new(metric, bars));
            for t in texts {
                p.text(t);
            }
        });

    // The names, in the band under the bars.
    let (band, _) = ui.allocate_exact_size(egui::vec2(size.x, layout.band), egui::Sense::hover());
    let colour = egui::Color32::LIGHT_GRAY;
    for (i, name) in names.iter().enumerate() {
        if !graphics::label_shown(layout.plan, i) {
            continue;
        }
        let x = response.transform.position_from_point_x(i as f64);
        match layout.plan {
            LabelPlan::Slanted => {
                // Turned up by 45° about its right end's centre, which sits under the bar.
                let galley = painter.layout_no_wrap(name.clone(), name_font.clone(), colour);
                let end = egui::pos2(x, band.top() + graphics::slanted_drop(row_h));
                let pos = end - galley.rect.right_center().to_vec2();
                painter.add(
                    egui::epaint::TextShape::new(pos, galley, colour)
                        .with_angle_and_anchor(-std::f32::consts::FRAC_PI_4, egui::Align2::RIGHT_CENTER),
                );
            }
            plan => {
                let row = if plan == LabelPlan::Staggered { (i % 2) as f32 } else { 0.0 };
                painter.text(
                    egui::pos2(x, band.top() + row * row_h),
                    egui::Align2::CENTER_TOP,
                    name,
                    name_font.clone(),
                    colour,
                );
            }
        }
    }
}

/// One line of a chart: its name, colour, and points (seconds before the latest, value).
struct Series {
    name: String,
    colour: egui::Color32,
    points: Vec<[f64; 2]>,
}

/// The lines of a line chart: the index over the backend's history when the metric is the
/// index and there is enough of it, else the metric's samples over the session.
fn line_series(
    metric: &str,
    value: &MetricValue,
    live: &LiveMetrics,
    lang: Lang,
    accent: Colour,
    trend: &[GovernanceIndex],
) -> Vec<Series> {
    if (metric == "index_overall" || metric == "index_aspects") && graphics::trend_ready(trend.len()) {
        return index_series(metric, trend, lang, accent);
    }
    let paths: Vec<(String, String, egui::Color32)> = match value {
        MetricValue::Scalar(_) => vec![(metric.to_owned(), metric_title(metric, lang), c32(accent.0))],
        MetricValue::Series(all) => chart_points(all, ChartKind::Bar, 8)
            .iter()
            .map(|p| (format!("{metric}.{}", p.key), p.label(lang).to_owned(), colour_of(all, p)))
            .collect(),
    };
    /// A line's name, colour and samples (seconds, value).
    type Sampled = (String, egui::Color32, Vec<(f64, f64)>);
    let sampled: Vec<Sampled> = paths
        .into_iter()
        .filter_map(|(path, name, colour)| live.samples(&path).map(|s| (name, colour, s.iter().copied().collect())))
        .collect();
    let last = sampled.iter().filter_map(|(_, _, s)| s.last().map(|p| p.0)).fold(f64::NEG_INFINITY, f64::max);
    sampled
        .into_iter()
        .map(|(name, colour, s)| Series { name, colour, points: s.iter().map(|(t, v)| [t - last, *v]).collect() })
        .collect()
}

/// The governance index over the backend's history and the session.
fn index_series(metric: &str, trend: &[GovernanceIndex], lang: Lang, accent: Colour) -> Vec<Series> {
    let last = trend.last().map_or(0, |g| g.updated_at);
    let secs = |t: i64| (t - last) as f64 / 1000.0;
    if metric == "index_overall" {
        return vec![Series {
            name: metric_title(metric, lang),
            colour: c32(accent.0),
            points: trend.iter().map(|g| [secs(g.updated_at), f64::from(g.overall)]).collect(),
        }];
    }
    twinhall_core::brief::ASPECTS
        .iter()
        .enumerate()
        .map(|(n, a)| Series {
            name: twinhall_core::brief::aspect_label(*a, lang).to_owned(),
            // The aspects' order is the metric's (`index_aspects`): the bars' colours.
            colour: category_colour(n),
            points: trend
                .iter()
                .filter_map(|g| {
                    g.aspects.iter().find(|s| s.aspect == *a).map(|s| [secs(g.updated_at), f64::from(s.score)])
                })
                .collect(),
        })
        .collect()
}

/// Lines over time: "collecting data" until a line has three points; a count's axis from zero
/// in whole numbers, others rounded out; time as "10 分钟前" up to "现在"; the legend (for
/// several lines) under the plot, wrapped to the chart's width.
fn line_ui(ui: &mut egui::Ui, id: &str, series: &[Series], unit: MetricUnit, lang: Lang, size: egui::Vec2, font: f32) {
    let longest = series.iter().map(|s| s.points.len()).max().unwrap_or(0);
    if !graphics::trend_ready(longest) {
        note_ui(ui, size, font, lang.tr("数据积累中", "Collecting data"));
        return;
    }
    let painter = ui.painter().clone();
    let entries: Vec<(String, egui::Color32)> =
        if series.len() > 1 { series.iter().map(|s| (s.name.clone(), s.colour)).collect() } else { Vec::new() };
    let legend = (!entries.is_empty()).then(|| {
        LegendLayout::new(&painter, &entries, &egui::FontId::proportional(font * 0.8), size.x, size.y * 0.35, false)
    });
    let legend_h = legend.as_ref().map_or(0.0, |l| l.height() + ui.spacing().item_spacing.y);
    let plot_h = (size.y - legend_h).max(40.0);

    // The tick labels are egui_plot's, in the body font.
    let tick_font = egui::TextStyle::Body.resolve(ui.style());
    let tick_h = painter.fonts_mut(|f| f.row_height(&tick_font));
    let values = series.iter().flat_map(|s| s.points.iter().map(|p| p[1]));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let y_ticks = ((plot_h / (tick_h * 2.5)).floor() as usize).clamp(2, 6);
    let y = match unit {
        MetricUnit::Count => graphics::count_axis(hi, y_ticks),
        MetricUnit::Minutes => graphics::value_axis(lo, hi, y_ticks, false, true),
        _ => graphics::value_axis(lo, hi, y_ticks, false, false),
    };
    let span = series.iter().flat_map(|s| s.points.iter().map(|p| -p[0])).fold(0.0_f64, f64::max).max(1.0);
    let label_w =
        painter.layout_no_wrap(graphics::time_label(-600.0, lang), tick_font.clone(), egui::Color32::WHITE).size().x;
    // What the y axis's labels take, roughly: the plot is narrower than the chart by it.
    let plot_w = (size.x - tick_h * 3.0).max(60.0);
    let x_ticks = ((plot_w / (label_w * 1.3).max(80.0)).floor() as usize + 1).clamp(2, 6);
    let x = graphics::time_axis(span, x_ticks);
    // Room right of "now" for half its label, a little left of the first sample.
    let per_point = span / f64::from(plot_w);
    let (x0, x1) = (-span * 1.02, f64::from(label_w / 2.0 + 2.0) * per_point);
    let pad_y = (y.max - y.min) * 0.03;
    let (y0, y1) = (y.min - pad_y, y.max + pad_y);

    let x_marks: Vec<GridMark> = x.ticks.iter().map(|&value| GridMark { value, step_size: x.step_s }).collect();
    let y_marks: Vec<GridMark> = y.ticks.iter().map(|&value| GridMark { value, step_size: y.step }).collect();
    let decimals = if y.step >= 1.0 {
        0
    } else if y.step >= 0.1 {
        1
    } else {
        2
    };
    let percent = unit == MetricUnit::Percent;
    still_plot(id, egui::vec2(size.x, plot_h))
        .x_grid_spacer(move |_| x_marks.clone())
        .y_grid_spacer(move |_| y_marks.clone())
        .x_axis_formatter(move |m, _| graphics::time_label(m.value, lang))
        .y_axis_formatter(move |m, _| {
            let v = format!("{:.*}", decimals, m.value);
            if percent { format!("{v}%") } else { v }
        })
        .show(ui, |p| {
            p.set_plot_bounds_x(x0..=x1);
            p.set_plot_bounds_y(y0..=y1);
            for s in series {
                p.line(Line::new(s.name.clone(), PlotPoints::from(s.points.clone())).color(s.colour).width(2.5));
            }
        });
    if let Some(legend) = legend {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(size.x, legend.height()), egui::Sense::hover());
        legend.paint(&painter, rect.min, true);
    }
}

/// A legend laid out to fit its box (`graphics::fit_legend`): entries wrapped into rows or one
/// to a row, the font smaller when they would not fit, texts wider than the box cut with "…".
struct LegendLayout {
    fit: graphics::LegendFit,
    font: egui::FontId,
    row_h: f32,
    swatch: f32,
    pad: f32,
    texts: Vec<String>,
    colours: Vec<egui::Color32>,
}

impl LegendLayout {
    fn new(
        painter: &egui::Painter,
        entries: &[(String, egui::Color32)],
        font: &egui::FontId,
        max_w: f32,
        max_h: f32,
        one_column: bool,
    ) -> Self {
        let (row_h, swatch, pad, gap) = (font.size * 1.35, font.size * 0.9, font.size * 0.4, font.size);
        let widths: Vec<f32> = entries
            .iter()
            .map(|(t, _)| swatch + pad + painter.layout_no_wrap(t.clone(), font.clone(), egui::Color32::WHITE).size().x)
            .collect();
        let fit = graphics::fit_legend(&widths, row_h, gap, max_w, max_h, 0.6, one_column);
        let font = egui::FontId::new(font.size * fit.scale, font.family.clone());
        let text_max = max_w - (swatch + pad) * fit.scale - 1.0;
        let texts: Vec<String> = painter.fonts_mut(|f| {
            entries
                .iter()
                .take(fit.shown)
                .map(|(t, _)| graphics::ellipsize(t, text_max, |c| f.glyph_width(&font, c)))
                .collect()
        });
        let colours: Vec<egui::Color32> = entries.iter().take(fit.shown).map(|(_, c)| *c).collect();
        Self { fit, font, row_h, swatch, pad, texts, colours }
    }

    fn height(&self) -> f32 {
        self.fit.rows as f32 * self.row_h * self.fit.scale
    }

    /// Paints the entries from `origin` (the box's top left): a short line or a square of the
    /// colour, then the text.
    fn paint(&self, painter: &egui::Painter, origin: egui::Pos2, line: bool) {
        let s = self.fit.scale;
        let (row, swatch, pad) = (self.row_h * s, self.swatch * s, self.pad * s);
        for ((&(r, x), text), &colour) in self.fit.places.iter().zip(&self.texts).zip(&self.colours) {
            let left = origin.x + x;
            let mid = origin.y + (r as f32 + 0.5) * row;
            if line {
                painter.line_segment(
                    [egui::pos2(left, mid), egui::pos2(left + swatch, mid)],
                    egui::Stroke::new(2.5, colour),
                );
            } else {
                let square =
                    egui::Rect::from_center_size(egui::pos2(left + swatch / 2.0, mid), egui::Vec2::splat(swatch * 0.7));
                painter.rect_filled(square, 2.0, colour);
            }
            painter.text(
                egui::pos2(left + swatch + pad, mid),
                egui::Align2::LEFT_CENTER,
                text,
                self.font.clone(),
                egui::Color32::WHITE,
            );
        }
    }
}

/// A plot of a fixed size that the wall's viewers cannot drag or zoom.
fn still_plot<'a>(id: &str, size: egui::Vec2) -> Plot<'a> {
    Plot::new(id)
        .width(size.x)
        .height(size.y)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
}

/// The metric's title in the wall's language.
pub fn metric_title(metric: &str, lang: Lang) -> String {
    metric_info(metric).map_or_else(|| metric.to_owned(), |m| m.title(lang).to_owned())
}

/// A pie with its legend (label, value, share) to the right, fitted to the room beside the pie;
/// `colours` holds one colour for each point.
pub fn pie_ui(ui: &mut egui::Ui, points: &[SeriesPoint], colours: &[egui::Color32], lang: Lang, size: egui::Vec2) {
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let total: f64 = points.iter().map(|p| p.value).sum();
    let font = egui::FontId::proportional((size.y / 12.0).clamp(11.0, 26.0));
    if total <= 0.0 {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            lang.tr("暂无数据", "no data yet"),
            font,
            egui::Color32::GRAY,
        );
        return;
    }
    let colour_at = |i: usize| colours.get(i).copied().unwrap_or_else(|| category_colour(i));
    // A card taller than wide (the wall's chart column) puts the legend under the pie, one wider
    // than tall beside it.
    let below = rect.height() > rect.width() * 1.1;
    let r = if below {
        (rect.width() / 2.0 - 6.0).min(rect.height() * 0.3)
    } else {
        (rect.height() / 2.0 - 6.0).min(rect.width() / 4.0)
    };
    let centre = if below {
        egui::pos2(rect.center().x, rect.top() + r + 6.0)
    } else {
        egui::pos2(rect.left() + r + 6.0, rect.center().y)
    };
    let mut a0 = -std::f64::consts::FRAC_PI_2;
    for (i, p) in points.iter().enumerate() {
        let sweep = p.value / total * std::f64::consts::TAU;
        // Each slice as convex pieces of at most a quarter turn: one polygon, no seams inside it.
        let pieces = (sweep / std::f64::consts::FRAC_PI_2).ceil().max(1.0) as usize;
        let colour = colour_at(i);
        for k in 0..pieces {
            let (b0, b1) = (a0 + sweep * k as f64 / pieces as f64, a0 + sweep * (k + 1) as f64 / pieces as f64);
            let steps = (((b1 - b0) / 0.04).ceil() as usize).max(2);
            let mut poly = vec![centre];
            for s in 0..=steps {
                let a = b0 + (b1 - b0) * s as f64 / steps as f64;
                poly.push(centre + egui::vec2(a.cos() as f32, a.sin() as f32) * r);
            }
            painter.add(egui::Shape::convex_polygon(poly, colour, egui::Stroke::new(0.5, colour)));
        }
        a0 += sweep;
    }
    // The legend in the room right of the pie: one entry to a row, smaller or side by side when
    // they would not fit, never past the chart's edge.
    let area = if below {
        egui::Rect::from_min_max(egui::pos2(rect.left(), centre.y + r + 12.0), rect.max)
    } else {
        egui::Rect::from_min_max(egui::pos2(centre.x + r + 14.0, rect.top()), rect.max)
    };
    let entries: Vec<(String, egui::Color32)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("{} {} ({:.0}%)", p.label(lang), p.value, p.value / total * 100.0), colour_at(i)))
        .collect();
    let legend = LegendLayout::new(&painter, &entries, &font, area.width(), area.height(), true);
    let top = if below { area.top() } else { area.center().y - legend.height() / 2.0 };
    legend.paint(&painter, egui::pos2(area.left(), top), false);
}
