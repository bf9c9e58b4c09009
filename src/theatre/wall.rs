//! What the wall shows of a briefing, over the 3D view: the theme's banner with the step count,
//! the narration card (title and body filled from the live metrics), the charts, the expert's
//! note (专家解读) on a card of its own, and the step's progress along the bottom edge. Each goes
//! in its region of the one layout (`twinhall_core::layout::theatre`) for the view and preset,
//! so no card covers another or the HUD; text is broken by the Chinese rules and shrinks to fit
//! its card. The layout's free region, where nothing is drawn, is kept in [`FreeRegion`] for the
//! camera to frame a step's subject in.

use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::config::Lang;
use twinhall_core::graphics::{ellipsize, wrap_cjk};
use twinhall_core::layout::{self, StepCards};
use twinhall_core::theatre::Colour;

use super::charts::{chart_ui, metric_title};
use super::player::{Playback, Theatre};
use crate::context::{
    ConsoleFree, FreeNdc, FreeRegion, Reserved, Settings, ViewRect, egui_rect, layout_area, layout_rect,
};
use crate::metrics::LiveMetrics;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(crate::context::MapPass, (keep_layout, draw_presentation));
}

/// Keeps [`FreeRegion`] to the view: where the layout leaves the map free (it does not depend on
/// a step's cards), in the camera picture's NDC, for the tours to frame subjects in; and
/// [`Reserved`]: the HUD and, while a briefing plays, its step's cards, for labels to keep off.
#[allow(clippy::too_many_arguments)]
fn keep_layout(
    mut map: crate::context::MapUi,
    theatre: Res<Theatre>,
    console_free: Res<ConsoleFree>,
    mut reserved: ResMut<Reserved>,
    view_rect: Res<ViewRect>,
    overlay: Res<crate::context::OverlayView>,
    wall: Option<Res<crate::context::Wall>>,
    tile: Option<Res<crate::context::TileView>>,
    mut free: ResMut<FreeRegion>,
) -> Result {
    let ctx = map.ctx()?;
    let view = layout_area(ctx.viewport_rect(), &view_rect, &console_free, map.on_wall(), tile.is_some());
    if !view.is_positive() || overlay.size.x <= 0.0 || overlay.size.y <= 0.0 {
        return Ok(());
    }
    let preset = wall.map_or(1.0, |w| w.preset.text_scale);
    let cards = theatre.playing.as_ref().map_or(layout::NO_CARDS, |p| {
        let step = p.current();
        StepCards { charts: step.charts.len(), expert: step.expert.is_some() }
    });
    let l = layout::theatre(layout_rect(view), preset, cards);
    let zoom = ctx.zoom_factor();
    // Points to the whole view's logical pixels, and on to NDC.
    let px = |p: [f32; 2]| [p[0] * zoom + overlay.origin.x, p[1] * zoom + overlay.origin.y];
    let (lo, hi) = (px(l.free.min), px(l.free.max));
    let ndc = |p: [f32; 2]| [p[0] / overlay.size.x * 2.0 - 1.0, 1.0 - p[1] / overlay.size.y * 2.0];
    let (a, b) = (ndc(lo), ndc(hi));
    free.set_if_neq(FreeRegion(Some(FreeNdc {
        ndc: [a[0], b[1], b[0], a[1]],
        aspect: overlay.size.x / overlay.size.y,
        area: [l.free.min[0], l.free.min[1], l.free.max[0], l.free.max[1]],
    })));
    // The HUD: on one window in the view's own corner (`ui/hud.rs`), on a wall in the layout's.
    let everywhere = ConsoleFree(egui::Rect::EVERYTHING);
    let hud_view = layout_area(ctx.viewport_rect(), &view_rect, &everywhere, map.on_wall(), tile.is_some());
    let mut keep_off = vec![layout::theatre(layout_rect(hud_view), preset, layout::NO_CARDS).hud];
    if theatre.playing.is_some() {
        keep_off.extend(l.cards().into_iter().filter(|(name, _)| name != "hud").map(|(_, r)| r));
    }
    let rects = keep_off
        .iter()
        .map(|r| {
            let (a, b) = (px(r.min), px(r.max));
            [a[0], a[1], b[0], b[1]]
        })
        .collect();
    reserved.set_if_neq(Reserved(rects));
    Ok(())
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

/// A label of `text` broken into lines `width` wide by the wall's rules
/// (`twinhall_core::graphics::wrap_cjk`: no line starts with "）" or "，", none ends with "（",
/// no character alone on the last line), measured with the fonts egui draws it with, and shown
/// as those lines: egui does not break it again.
fn wrapped_label(
    ui: &mut egui::Ui,
    text: &str,
    size: f32,
    width: f32,
    style: impl FnOnce(egui::RichText) -> egui::RichText,
) {
    let font = egui::FontId::proportional(size);
    // Glyph advances leave out kerning and the rounding to pixels: a little room is kept.
    let max = (width - 2.0).max(size) * 0.98;
    let lines = ui.ctx().fonts_mut(|f| wrap_cjk(text, max, |c| f.glyph_width(&font, c)));
    ui.add(egui::Label::new(style(egui::RichText::new(lines.join("\n")).size(size))).extend());
}

#[allow(clippy::too_many_arguments)]
fn draw_presentation(
    mut map: crate::context::MapUi,
    time: Res<Time<Real>>,
    theatre: Res<Theatre>,
    live: Res<LiveMetrics>,
    settings: Res<Settings>,
    view_rect: Res<ViewRect>,
    console_free: Res<ConsoleFree>,
    trend: Res<crate::metrics::IndexTrend>,
    wall: Option<Res<crate::context::Wall>>,
    tile: Option<Res<crate::context::TileView>>,
) -> Result {
    let Some(p) = &theatre.playing else { return Ok(()) };
    let ctx = map.ctx()?;
    // A tile of a wall of several machines lays the cards out on the whole canvas (mostly
    // beyond its own edges); one window keeps them inside it.
    let view = layout_area(ctx.viewport_rect(), &view_rect, &console_free, map.on_wall(), tile.is_some());
    if !view.is_positive() {
        return Ok(());
    }
    // On a wall, the context's zoom already holds the preset's text scale; the cards' own scale
    // (from the view's height in points) would undo it, so it is put back.
    let preset = wall.map_or(1.0, |w| w.preset.text_scale);
    presentation_ui(&ctx, view, preset, p, &live, &trend.samples, settings.lang(), time.elapsed_secs_f64());
    Ok(())
}

/// A card that stays inside `rect`: drawn from its top left (or bottom left with `bottom`), as
/// wide as the rectangle, as tall as its content up to the rectangle's height, and clipped to it.
/// `add` gets the inner size.
fn card_in(
    ctx: &egui::Context,
    id: egui::Id,
    rect: egui::Rect,
    bottom: bool,
    accent: egui::Color32,
    add: impl FnOnce(&mut egui::Ui, egui::Vec2),
) {
    let (pivot, at) = if bottom {
        (egui::Align2::LEFT_BOTTOM, rect.left_bottom())
    } else {
        (egui::Align2::LEFT_TOP, rect.left_top())
    };
    egui::Area::new(id)
        .order(egui::Order::Tooltip)
        .pivot(pivot)
        .fixed_pos(at)
        .interactable(false)
        .constrain(false)
        .show(ctx, |ui| {
            ui.set_clip_rect(rect.expand(1.0));
            let inner = (rect.size() - egui::vec2(32.0, 24.0)).max(egui::Vec2::splat(1.0));
            card(accent).show(ui, |ui| {
                ui.set_width(inner.x);
                ui.set_max_height(inner.y);
                add(ui, inner);
            });
        });
}

/// The largest size from `size` down to 60% of it at which `text`, broken into lines `width`
/// wide, fits `height` (rows of 1.3 times the size); the smallest if none does.
fn fitted_size(ctx: &egui::Context, text: &str, size: f32, width: f32, height: f32) -> f32 {
    let mut k = size;
    while k > size * 0.6 {
        let font = egui::FontId::proportional(k);
        let lines = ctx.fonts_mut(|f| wrap_cjk(text, (width - 2.0).max(k) * 0.98, |c| f.glyph_width(&font, c))).len();
        if lines as f32 * k * 1.3 <= height {
            return k;
        }
        k *= 0.9;
    }
    size * 0.6
}

/// Draws the presentation of the playing step inside `view`, each card in its region of the one
/// layout (`twinhall_core::layout::theatre`): no card covers another, the HUD or the free region
/// the camera frames the step's subject in.
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
    let layout = layout::theatre(
        layout_rect(view),
        text_scale,
        StepCards { charts: step.charts.len(), expert: step.expert.is_some() },
    );
    let s = layout.scale;
    let empty = twinhall_core::metrics::Metrics::empty();
    let fill = |t: &str| live.now.as_ref().unwrap_or(&empty).fill(t, lang);

    // Header: theme, subtitle, step count and dots.
    let header = egui_rect(layout.header);
    let n = p.briefing.steps.len();
    let title = format!("{} · {}", lang.tr("决策剧场", "Decision theatre"), theme.title.get(lang));
    card_in(ctx, "theatre_banner".into(), header, false, accent, |ui, inner| {
        ui.horizontal(|ui| {
            let (bar, _) = ui.allocate_exact_size(egui::vec2(6.0 * s, 40.0 * s), egui::Sense::hover());
            ui.painter().rect_filled(bar, 2.0, accent);
            // What the step count, dots and autoplay mark take on the right; the titles get the rest.
            let right = 18.0 * s + 60.0 * s + n as f32 * 16.0 * s + if p.autoplay { 110.0 * s } else { 0.0 };
            let text_w = (inner.x - 6.0 * s - 8.0 - right).max(40.0);
            ui.vertical(|ui| {
                ui.set_width(text_w);
                let (big, small) = (egui::FontId::proportional(24.0 * s), egui::FontId::proportional(15.0 * s));
                let shown = ctx.fonts_mut(|f| ellipsize(&title, text_w, |c| f.glyph_width(&big, c)));
                ui.add(
                    egui::Label::new(egui::RichText::new(shown).font(big).strong().color(egui::Color32::WHITE))
                        .extend(),
                );
                if !theme.subtitle.zh.is_empty() {
                    let sub = theme.subtitle.get(lang);
                    let shown = ctx.fonts_mut(|f| ellipsize(sub, text_w, |c| f.glyph_width(&small, c)));
                    ui.add(
                        egui::Label::new(egui::RichText::new(shown).font(small).color(egui::Color32::LIGHT_GRAY))
                            .extend(),
                    );
                }
            });
            ui.add_space(18.0 * s);
            ui.label(egui::RichText::new(format!("{} / {n}", p.step + 1)).size(22.0 * s).color(accent2).strong());
            let (dots, _) = ui.allocate_exact_size(egui::vec2(n as f32 * 16.0 * s, 20.0 * s), egui::Sense::hover());
            for i in 0..n {
                let c = dots.left_center() + egui::vec2((i as f32 + 0.5) * 16.0 * s, 0.0);
                if i == p.step {
                    ui.painter().circle_filled(c, 5.5 * s, accent2);
                } else {
                    ui.painter().circle_stroke(c, 4.5 * s, egui::Stroke::new(1.5, egui::Color32::GRAY));
                }
            }
            if p.autoplay {
                ui.label(egui::RichText::new(lang.tr("▶ 自动播放", "▶ autoplay")).size(15.0 * s).color(accent2));
            }
        });
    });

    // Charts: the right column, one region each.
    for (n, (chart, rect)) in step.charts.iter().zip(&layout.charts).enumerate() {
        let title = chart.title.as_ref().map_or_else(|| metric_title(&chart.metric, lang), |t| t.get(lang).to_owned());
        card_in(ctx, egui::Id::new(("theatre_chart", n)), egui_rect(*rect), false, accent, |ui, inner| {
            let size = 17.0 * s;
            let font = egui::FontId::proportional(size);
            let shown = ctx.fonts_mut(|f| ellipsize(&title, inner.x, |c| f.glyph_width(&font, c)));
            ui.add(
                egui::Label::new(egui::RichText::new(shown).font(font).strong().color(egui::Color32::WHITE)).extend(),
            );
            ui.style_mut().override_text_style = Some(egui::TextStyle::Small);
            let plot_h = (inner.y - size * 1.4 - 6.0).max(40.0);
            chart_ui(
                ui,
                &format!("theatre_plot_{n}"),
                chart.kind,
                &chart.metric,
                live,
                lang,
                theme.accent,
                egui::vec2(inner.x, plot_h),
                trend,
            );
        });
    }

    // Narration: bottom left; its text shrinks (to 60% at most) to fit its region.
    let narration = egui_rect(layout.narration);
    card_in(ctx, "theatre_narration".into(), narration, true, accent, |ui, inner| {
        let title_size = 30.0 * s;
        let body = fill(step.body.get(lang));
        let room = inner.y - title_size * 1.35 - 6.0 * s;
        let size = fitted_size(ctx, &body, 21.0 * s, inner.x, room);
        wrapped_label(ui, step.title.get(lang), title_size, inner.x, |t| t.strong().color(accent2));
        ui.add_space(6.0 * s);
        wrapped_label(ui, &body, size, inner.x, |t| t.color(egui::Color32::WHITE));
    });

    // The expert's note: bottom, right of the narration, in the second accent.
    if let (Some(expert), Some(rect)) = (&step.expert, layout.expert) {
        card_in(ctx, "theatre_expert".into(), egui_rect(rect), true, accent2, |ui, inner| {
            let head = 16.0 * s;
            ui.label(egui::RichText::new(lang.tr("专家解读", "Expert's view")).size(head).strong().color(accent2));
            let text = fill(expert.get(lang));
            let size = fitted_size(ctx, &text, 18.0 * s, inner.x, inner.y - head * 1.35);
            wrapped_label(ui, &text, size, inner.x, |t| t.italics().color(egui::Color32::LIGHT_GRAY));
        });
    }

    // Progress of the step along the bottom edge of the view.
    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Tooltip, "theatre_progress".into()));
    let bar = egui_rect(layout.progress);
    painter.rect_filled(bar, 0.0, egui::Color32::from_rgba_unmultiplied(255, 255, 255, 30));
    let done = egui::Rect::from_min_max(bar.min, egui::pos2(bar.min.x + bar.width() * p.progress(now), bar.max.y));
    painter.rect_filled(done, 0.0, accent);
}
