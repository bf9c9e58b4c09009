//! Labels and cluster counts painted over the 3D view.

use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::protocol::EntityKind;

use crate::context::ViewRect;
use crate::overlays::labels::LabelLayout;

/// Labels are laid out on the whole view; a tile of a wall of several machines paints them
/// shifted by its corner ([`OverlayView::origin`]), so one crossing a seam goes on next door.
pub(super) fn paint_labels(
    mut map: crate::context::MapUi,
    layout: Res<LabelLayout>,
    view_rect: Res<ViewRect>,
    view: Res<crate::context::OverlayView>,
) -> Result {
    let ctx = map.ctx()?;
    if layout.labels.is_empty() && layout.badges.is_empty() {
        return Ok(());
    }
    let zoom = ctx.zoom_factor();
    let painter = ctx
        .layer_painter(egui::LayerId::new(egui::Order::Background, "overlay_labels".into()))
        .with_clip_rect(view_rect.0);
    let font = egui::FontId::proportional(layout.font_px / zoom);
    let o = view.origin;
    for l in &layout.labels {
        let r = egui::Rect::from_min_max(
            egui::pos2(l.rect[0] - o.x, l.rect[1] - o.y) / zoom,
            egui::pos2(l.rect[2] - o.x, l.rect[3] - o.y) / zoom,
        );
        // A label the side panel or a window edge would cut is left out, not shown in part.
        if !view_rect.0.contains_rect(r) {
            continue;
        }
        let accent = match l.kind {
            EntityKind::Incident => egui::Color32::from_rgb(255, 120, 80),
            EntityKind::Unit => egui::Color32::from_rgb(120, 240, 140),
            EntityKind::Camera => egui::Color32::from_rgb(90, 230, 230),
            _ => egui::Color32::from_rgb(230, 220, 150),
        };
        painter.rect_filled(r, 3.0, egui::Color32::from_rgba_unmultiplied(8, 14, 28, 205));
        painter.rect_filled(egui::Rect::from_min_size(r.min, egui::vec2(3.0, r.height())), 1.0, accent);
        painter.text(
            r.left_center() + egui::vec2(6.0, 0.0),
            egui::Align2::LEFT_CENTER,
            &l.text,
            font.clone(),
            egui::Color32::WHITE,
        );
    }
    let badge_font = egui::FontId::proportional(layout.font_px * 0.85 / zoom);
    for (p, count) in &layout.badges {
        let at = egui::pos2(p.x - o.x, p.y - o.y) / zoom;
        if !view_rect.0.shrink(8.0).contains(at) {
            continue;
        }
        painter.text(at, egui::Align2::CENTER_CENTER, count, badge_font.clone(), egui::Color32::WHITE);
    }
    Ok(())
}
