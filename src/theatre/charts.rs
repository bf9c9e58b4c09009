//! Charts bound to live metrics: bars and lines with egui_plot, a pie with egui's painter. The
//! numbers drawn are the metric's own (tested against the store).

use bevy_egui::egui;
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoint, PlotPoints, Text};
use twinhall_core::config::Lang;
use twinhall_core::metrics::{MetricValue, SeriesPoint, metric_info};
use twinhall_core::protocol::{GovernanceIndex, IndexAspect};
use twinhall_core::theatre::{ChartKind, Colour};

use crate::metrics::LiveMetrics;

/// Colours of a chart's elements after the theme's two accents.
const PALETTE: [[u8; 3]; 8] = [
    [0x56, 0xcc, 0xf2],
    [0xeb, 0x57, 0x57],
    [0x6f, 0xcf, 0x97],
    [0xbb, 0x6b, 0xd9],
    [0xf2, 0x99, 0x4a],
    [0x9b, 0x51, 0xe0],
    [0x27, 0xae, 0x60],
    [0xe0, 0xe0, 0xe0],
];

fn c32(c: [u8; 3]) -> egui::Color32 {
    egui::Color32::from_rgb(c[0], c[1], c[2])
}

/// Colour of the n-th element.
pub fn element_colour(n: usize, accent: Colour, accent2: Colour) -> egui::Color32 {
    match n {
        0 => c32(accent.0),
        1 => c32(accent2.0),
        n => c32(PALETTE[(n - 2) % PALETTE.len()]),
    }
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

/// Draws one chart of a metric in a box of `size`.
#[allow(clippy::too_many_arguments)]
pub fn chart_ui(
    ui: &mut egui::Ui,
    id: &str,
    kind: ChartKind,
    metric: &str,
    live: &LiveMetrics,
    lang: Lang,
    accent: Colour,
    accent2: Colour,
    size: egui::Vec2,
    trend: &[GovernanceIndex],
) {
    let value = live.now.as_ref().and_then(|m| m.get(metric));
    let font = (size.y / 14.0).clamp(11.0, 28.0);
    match (kind, value) {
        (_, None) => {
            ui.add_sized(size, egui::Label::new(egui::RichText::new(lang.tr("暂无数据", "no data yet")).size(font)));
        }
        (ChartKind::Bar, Some(MetricValue::Series(points))) => {
            let points = chart_points(points, kind, 12);
            let bars: Vec<Bar> = points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    Bar::new(i as f64, p.value).name(p.label(lang)).fill(element_colour(i, accent, accent2)).width(0.7)
                })
                .collect();
            // Figures on the bars and names under them: read from across the hall, not on hover.
            let top = points.iter().map(|p| p.value).fold(0.0_f64, f64::max).max(1.0);
            let unit = metric_info(metric).map(|m| m.unit);
            let texts: Vec<Text> = points
                .iter()
                .enumerate()
                .flat_map(|(i, p)| {
                    let value = unit.map_or_else(|| format!("{}", p.value), |u| u.format(p.value));
                    [
                        Text::new(
                            "",
                            PlotPoint::new(i as f64, p.value + top * 0.07),
                            egui::RichText::new(value).size(font * 0.9).color(egui::Color32::WHITE),
                        ),
                        Text::new(
                            "",
                            PlotPoint::new(i as f64, -top * 0.09),
                            egui::RichText::new(p.label(lang)).size(font * 0.75).color(egui::Color32::LIGHT_GRAY),
                        ),
                    ]
                })
                .collect();
            still_plot(id, size)
                .show_grid([false, false])
                .show_axes([false, false])
                .include_y(-top * 0.16)
                .include_y(top * 1.15)
                .show(ui, |p| {
                    p.bar_chart(BarChart::new(metric, bars));
                    for t in texts {
                        p.text(t);
                    }
                });
        }
        (ChartKind::Line, Some(_)) if (metric == "index_overall" || metric == "index_aspects") && trend.len() > 1 => {
            index_trend_ui(ui, id, metric, trend, lang, accent, accent2, size);
        }
        (ChartKind::Line, Some(v)) => {
            let paths: Vec<(String, String)> = match v {
                MetricValue::Scalar(_) => vec![(metric.to_owned(), metric_title(metric, lang))],
                MetricValue::Series(points) => chart_points(points, ChartKind::Bar, 8)
                    .iter()
                    .map(|p| (format!("{metric}.{}", p.key), p.label(lang).to_owned()))
                    .collect(),
            };
            still_plot(id, size)
                .x_axis_formatter(|m, _| format!("{:.0}′", m.value))
                .legend(egui_plot::Legend::default())
                .show(ui, |p| {
                    for (n, (path, name)) in paths.iter().enumerate() {
                        let Some(samples) = live.samples(path) else { continue };
                        let pts: PlotPoints = samples.iter().map(|(t, v)| [t / 60.0, *v]).collect();
                        p.line(Line::new(name.clone(), pts).color(element_colour(n, accent, accent2)).width(2.5));
                    }
                });
        }
        (ChartKind::Pie, Some(MetricValue::Series(points))) => {
            pie_ui(ui, &chart_points(points, kind, 8), lang, accent, accent2, size);
        }
        (_, Some(MetricValue::Scalar(v))) => {
            let unit = metric_info(metric).map(|m| m.unit.format(*v)).unwrap_or_default();
            ui.add_sized(size, egui::Label::new(egui::RichText::new(unit).size(font * 2.0).strong()));
        }
    }
}

/// The governance index over the backend's history and the session: hours before now on x.
#[allow(clippy::too_many_arguments)]
fn index_trend_ui(
    ui: &mut egui::Ui,
    id: &str,
    metric: &str,
    trend: &[GovernanceIndex],
    lang: Lang,
    accent: Colour,
    accent2: Colour,
    size: egui::Vec2,
) {
    let last = trend.last().map_or(0, |g| g.updated_at);
    let hours = |t: i64| (t - last) as f64 / 3_600_000.0;
    let series: Vec<(String, Vec<[f64; 2]>)> = if metric == "index_overall" {
        vec![(metric_title(metric, lang), trend.iter().map(|g| [hours(g.updated_at), f64::from(g.overall)]).collect())]
    } else {
        twinhall_core::brief::ASPECTS
            .iter()
            .map(|a: &IndexAspect| {
                let pts = trend
                    .iter()
                    .filter_map(|g| {
                        g.aspects.iter().find(|s| s.aspect == *a).map(|s| [hours(g.updated_at), f64::from(s.score)])
                    })
                    .collect();
                (twinhall_core::brief::aspect_label(*a, lang).to_owned(), pts)
            })
            .collect()
    };
    still_plot(id, size).x_axis_formatter(|m, _| format!("{:.0}h", m.value)).legend(egui_plot::Legend::default()).show(
        ui,
        |p| {
            for (n, (name, pts)) in series.into_iter().enumerate() {
                p.line(Line::new(name, PlotPoints::from(pts)).color(element_colour(n, accent, accent2)).width(2.5));
            }
        },
    );
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

/// A pie with its legend (label, value, share) to the right.
pub fn pie_ui(
    ui: &mut egui::Ui,
    points: &[SeriesPoint],
    lang: Lang,
    accent: Colour,
    accent2: Colour,
    size: egui::Vec2,
) {
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
    let r = (rect.height() / 2.0 - 6.0).min(rect.width() / 4.0);
    let centre = egui::pos2(rect.left() + r + 6.0, rect.center().y);
    let mut a0 = -std::f64::consts::FRAC_PI_2;
    for (i, p) in points.iter().enumerate() {
        let sweep = p.value / total * std::f64::consts::TAU;
        // Each slice as convex pieces of at most a quarter turn: one polygon, no seams inside it.
        let pieces = (sweep / std::f64::consts::FRAC_PI_2).ceil().max(1.0) as usize;
        let colour = element_colour(i, accent, accent2);
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
    let row = font.size * 1.35;
    let x = centre.x + r + 14.0;
    let mut y = rect.center().y - row * points.len() as f32 / 2.0;
    for (i, p) in points.iter().enumerate() {
        painter.rect_filled(
            egui::Rect::from_min_size(egui::pos2(x, y + row * 0.2), egui::vec2(row * 0.6, row * 0.6)),
            2.0,
            element_colour(i, accent, accent2),
        );
        let text = format!("{} {} ({:.0}%)", p.label(lang), p.value, p.value / total * 100.0);
        painter.text(egui::pos2(x + row * 0.8, y), egui::Align2::LEFT_TOP, text, font.clone(), egui::Color32::WHITE);
        y += row;
    }
}
