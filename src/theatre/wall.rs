//! What the wall shows of a briefing, over the 3D view: the theme's banner with the step count,
//! the narration card (title and body filled from the live metrics), the charts, the expert's
//! note (专家解读) on a card of its own, and the step's progress along the bottom edge. Sizes
//! follow the view's height, so a 4K wall reads as a 1080p one does from its usual distance.

use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::config::Lang;
use twinhall_core::theatre::Colour;

use super::charts::{chart_ui, metric_title};
use super::player::{Playback, Theatre};
use crate::context::{Settings, ViewRect};
use crate::metrics::LiveMetrics;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(crate::context::MapPass, draw_presentation);
}

fn c32(c: Colour) -> egui::Color32 {
    egui::Color32::from_rgb(c.0[0], c.0[1], c.0[2])
}

/// Opaque: egui blends in linear light, where even 4% of a white label under a card shows as
/// a quarter grey through its text.
const CARD: egui::Color32 = egui::Color32::from_rgb(8, 14, 28);

fn card(accent: egui::Color32) -> egui::Frame {
    egui::Frame::new()
        .fill(CARD)
        .stroke(egui::Stroke::new(1.5, accent))
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(16, 12))
}

#[allow(clippy::too_many_arguments)]
fn draw_presentation(
    mut map: crate::context::MapUi,
    time: Res<Time<Real>>,
    theatre: Res<Theatre>,
    live: Res<LiveMetrics>,
    settings: Res<Settings>,
    view_rect: Res<ViewRect>,
    trend: Res<crate::metrics::IndexTrend>,
    wall: Option<Res<crate::context::Wall>>,
    tile: Option<Res<crate::context::TileView>>,
) -> Result {
    let Some(p) = &theatre.playing else { return Ok(()) };
    let ctx = map.ctx()?;
    // A tile of a wall of several machines lays the cards out on the whole canvas (mostly
    // beyond its own edges); one window keeps them inside it.
    let view = if tile.is_some() { view_rect.0 } else { view_rect.0.intersect(ctx.viewport_rect()) };
    if !view.is_positive() {
        return Ok(());
    }
    // On a wall, the context's zoom already holds the preset's text scale; the cards' own scale
    // (from the view's height in points) would undo it, so it is put back.
    let preset = wall.map_or(1.0, |w| w.preset.text_scale);
    presentation_ui(&ctx, view, preset, p, &live, &trend.samples, settings.lang(), time.elapsed_secs_f64());
    Ok(())
}

/// Draws the presentation of the playing step inside `view`.
#[allow(clippy::too_many_arguments)]
pub fn presentation_ui(
    ctx: &egui::Context,
    view: egui::Rect,
    text_scale: f32,
    p: &Playback,
    live: &LiveMetrics,
    trend: &[twinhall_core::protocol::GovernanceIndex],
    lang: Lang,
    now: f64,
) {
    let theme = &p.briefing.theme;
    let (accent, accent2) = (c32(theme.accent), c32(theme.accent2));
    let step = p.current();
    let s = (view.height() * text_scale / 900.0).clamp(0.7, 3.0);
    let margin = 18.0 * s;
    let fill = |t: &str| live.now.as_ref().map_or_else(|| t.replace(['{', '}'], ""), |m| m.fill(t, lang));

    // Banner: theme, subtitle, step count.
    egui::Area::new("theatre_banner".into())
        .order(egui::Order::Tooltip)
        .fixed_pos(view.min + egui::vec2(margin, margin))
        .interactable(false)
        .constrain(false)
        .show(ctx, |ui| {
            card(accent).show(ui, |ui| {
                ui.horizontal(|ui| {
                    let (bar, _) = ui.allocate_exact_size(egui::vec2(6.0 * s, 40.0 * s), egui::Sense::hover());
                    ui.painter().rect_filled(bar, 2.0, accent);
                    ui.vertical(|ui| {
                        // Unwrapped: the block is as wide as its text, so the step count
                        // beside it never overlaps it, whatever the wall's zoom.
                        ui.add(
                            egui::Label::new(
                                egui::RichText::new(format!(
                                    "{} · {}",
                                    lang.tr("决策剧场", "Decision theatre"),
                                    theme.title.get(lang)
                                ))
                                .size(24.0 * s)
                                .strong()
                                .color(egui::Color32::WHITE),
                            )
                            .extend(),
                        );
                        if !theme.subtitle.zh.is_empty() {
                            ui.add(
                                egui::Label::new(
                                    egui::RichText::new(theme.subtitle.get(lang))
                                        .size(15.0 * s)
                                        .color(egui::Color32::LIGHT_GRAY),
                                )
                                .extend(),
                            );
                        }
                    });
                    ui.add_space(18.0 * s);
                    let n = p.briefing.steps.len();
                    ui.label(
                        egui::RichText::new(format!("{} / {n}", p.step + 1)).size(22.0 * s).color(accent2).strong(),
                    );
                    let (dots, _) =
                        ui.allocate_exact_size(egui::vec2(n as f32 * 16.0 * s, 20.0 * s), egui::Sense::hover());
                    for i in 0..n {
                        let c = dots.left_center() + egui::vec2((i as f32 + 0.5) * 16.0 * s, 0.0);
                        if i == p.step {
                            ui.painter().circle_filled(c, 5.5 * s, accent2);
                        } else {
                            ui.painter().circle_stroke(c, 4.5 * s, egui::Stroke::new(1.5, egui::Color32::GRAY));
                        }
                    }
                    if p.autoplay {
                        ui.label(
                            egui::RichText::new(lang.tr("▶ 自动播放", "▶ autoplay")).size(15.0 * s).color(accent2),
                        );
                    }
                });
            });
        });

    // Charts: a column on the right.
    let chart_w = (view.width() * 0.27).clamp(260.0, 900.0 * s);
    // The bottom right keeps about 100 points for the HUD (compass, scale bar).
    let chart_h =
        (chart_w * 0.58).min((view.height() - 6.0 * margin - 100.0) / step.charts.len().max(1) as f32 - 40.0 * s);
    let right = view.max.x - margin;
    let mut y = view.min.y + margin;
    for (n, chart) in step.charts.iter().enumerate() {
        let title = chart.title.as_ref().map_or_else(|| metric_title(&chart.metric, lang), |t| t.get(lang).to_owned());
        let pos = egui::pos2(right - chart_w, y);
        let shown = egui::Area::new(egui::Id::new(("theatre_chart", n)))
            .order(egui::Order::Tooltip)
            .fixed_pos(pos)
            .interactable(false)
            .constrain(false)
            .show(ctx, |ui| {
                card(accent).show(ui, |ui| {
                    ui.set_width(chart_w - 32.0);
                    ui.label(egui::RichText::new(title).size(17.0 * s).strong().color(egui::Color32::WHITE));
                    ui.style_mut().override_text_style = Some(egui::TextStyle::Small);
                    chart_ui(
                        ui,
                        &format!("theatre_plot_{n}"),
                        chart.kind,
                        &chart.metric,
                        live,
                        lang,
                        theme.accent,
                        theme.accent2,
                        egui::vec2(chart_w - 32.0, chart_h.max(80.0)),
                        trend,
                    );
                });
            });
        y = shown.response.rect.max.y + margin * 0.6;
    }

    // Narration: bottom left.
    let narr_w = (view.width() - chart_w - 3.0 * margin).min(view.width() * 0.5).max(240.0);
    let narration = egui::Area::new("theatre_narration".into())
        .order(egui::Order::Tooltip)
        .pivot(egui::Align2::LEFT_BOTTOM)
        .fixed_pos(egui::pos2(view.min.x + margin, view.max.y - margin - 8.0 * s))
        .interactable(false)
        .constrain(false)
        .show(ctx, |ui| {
            card(accent).show(ui, |ui| {
                ui.set_width(narr_w);
                ui.label(egui::RichText::new(step.title.get(lang)).size(30.0 * s).strong().color(accent2));
                ui.add_space(6.0 * s);
                ui.label(egui::RichText::new(fill(step.body.get(lang))).size(21.0 * s).color(egui::Color32::WHITE));
            });
        });

    // The expert's note: above the narration, in the second accent.
    if let Some(expert) = &step.expert {
        egui::Area::new("theatre_expert".into())
            .order(egui::Order::Tooltip)
            .pivot(egui::Align2::LEFT_BOTTOM)
            .fixed_pos(egui::pos2(view.min.x + margin, narration.response.rect.min.y - margin * 0.6))
            .interactable(false)
            .constrain(false)
            .show(ctx, |ui| {
                card(accent2).show(ui, |ui| {
                    ui.set_width(narr_w * 0.8);
                    ui.label(
                        egui::RichText::new(lang.tr("专家解读", "Expert's view"))
                            .size(16.0 * s)
                            .strong()
                            .color(accent2),
                    );
                    ui.label(
                        egui::RichText::new(fill(expert.get(lang)))
                            .size(18.0 * s)
                            .italics()
                            .color(egui::Color32::LIGHT_GRAY),
                    );
                });
            });
    }

    // Progress of the step along the bottom edge of the view.
    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Tooltip, "theatre_progress".into()));
    let bar = egui::Rect::from_min_max(egui::pos2(view.min.x, view.max.y - 6.0 * s), view.max);
    painter.rect_filled(bar, 0.0, egui::Color32::from_rgba_unmultiplied(255, 255, 255, 30));
    let done = egui::Rect::from_min_max(bar.min, egui::pos2(bar.min.x + bar.width() * p.progress(now), bar.max.y));
    painter.rect_filled(done, 0.0, accent);
}
