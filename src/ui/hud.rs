//! The map HUD over the 3D view: a compass that turns with the camera (click it to face north),
//! a scale bar, and the lon/lat of the ground under the cursor. Beside a wall, the console's map
//! has its own compass, scale bar and cursor readout; the wall keeps its compass and scale bar.

use bevy::camera::Projection;
use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::config::Lang;

use crate::camera::GroundCursor;
use crate::context::{OrbitCamera, Settings, egui_rect, layout_rect};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(super::MapPass, draw_hud).add_systems(
        bevy_egui::EguiPrimaryContextPass,
        console_hud
            .after(crate::context::PanelSystems)
            .run_if(|wall: Option<Res<crate::context::Wall>>| wall.is_some_and(|w| w.console)),
    );
}

/// The longest "nice" length (1, 2 or 5 times a power of ten) not above `max_m`.
pub fn nice_length_m(max_m: f64) -> f64 {
    if !(max_m > 0.0 && max_m.is_finite()) {
        return 0.0;
    }
    let p = 10f64.powf(max_m.log10().floor());
    [5.0, 2.0, 1.0].into_iter().map(|k| k * p).find(|l| *l <= max_m).unwrap_or(p)
}

fn format_length(m: f64, lang: Lang) -> String {
    if m >= 1000.0 {
        format!("{} {}", m / 1000.0, lang.tr("公里", "km"))
    } else {
        format!("{m} {}", lang.tr("米", "m"))
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_hud(
    mut map: crate::context::MapUi,
    settings: Res<Settings>,
    wall: Option<Res<crate::context::Wall>>,
    tile: Option<Res<crate::context::TileView>>,
    mut cams: Query<(&mut OrbitCamera, &Projection, &Camera)>,
    view_rect: Res<crate::context::ViewRect>,
    overlay: Res<crate::context::OverlayView>,
) -> Result {
    let lang = settings.lang();
    let ctx = map.ctx()?;
    let Ok((mut orbit, projection, camera)) = cams.single_mut() else {
        return Ok(());
    };
    // The whole view's height (a wall of several machines: the canvas's, not this tile's).
    let Some(viewport) = camera.logical_viewport_size() else {
        return Ok(());
    };
    let view_h = if overlay.size.y > 0.0 { overlay.size.y } else { viewport.y };
    // The HUD's place is the one layout's (twinhall_core::layout): the foot of the right column,
    // under a briefing's charts, in the same view the theatre lays its cards out in.
    let on_wall = map.on_wall();
    // On one window the HUD keeps to the view's own corner (below the layers window), not to the
    // part the console's windows leave: it stays put whatever windows open.
    let everywhere = crate::context::ConsoleFree(egui::Rect::EVERYTHING);
    let area = crate::context::layout_area(ctx.viewport_rect(), &view_rect, &everywhere, on_wall, tile.is_some());
    if !area.is_positive() {
        return Ok(());
    }
    let zoom = ctx.zoom_factor();
    let preset = wall.map_or(1.0, |w| w.preset.text_scale);
    let layout = twinhall_core::layout::theatre(layout_rect(area), preset, twinhall_core::layout::NO_CARDS);
    let (hud, k) = (egui_rect(layout.hud), layout.hud_scale);

    // Compass at the HUD's left, scale bar at its right.
    let compass_at = egui::pos2(hud.left(), hud.bottom() - 72.0 * k);
    if compass(&ctx, "compass", compass_at, orbit.heading, lang, k) && orbit.heading != 0.0 {
        orbit.heading = 0.0;
    }
    let m_per_px = metres_per_point(&orbit, projection, view_h / zoom);
    let longest = (hud.width() - 96.0 * k).max(40.0);
    let at = egui::pos2(hud.right() - 8.0 * k, hud.bottom() - 38.0 * k);
    scale_bar(&ctx, "scale_bar", at, m_per_px, lang, k, longest);

    // The cursor's lon/lat is in the status bar on one window (a wall has no cursor).
    Ok(())
}

/// Metres one point of the view spans at the focus distance, for a view `view_h_pt` points high.
fn metres_per_point(orbit: &OrbitCamera, projection: &Projection, view_h_pt: f32) -> f64 {
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => std::f32::consts::FRAC_PI_4,
    };
    2.0 * f64::from(orbit.distance_m) * f64::from((fov * 0.5).tan()) / f64::from(view_h_pt.max(1.0))
}

/// A compass `72 × k` points wide that turns with the camera's heading, its top left at `at`;
/// true when clicked.
fn compass(ctx: &egui::Context, id: &str, at: egui::Pos2, heading: f32, lang: Lang, k: f32) -> bool {
    egui::Area::new(egui::Id::new(id))
        .fixed_pos(at)
        .constrain(false)
        .show(ctx, |ui| {
            let (rect, response) = ui.allocate_exact_size(egui::vec2(72.0, 72.0) * k, egui::Sense::click());
            let painter = ui.painter();
            let c = rect.center();
            painter.circle(
                c,
                34.0 * k,
                egui::Color32::from_rgba_unmultiplied(6, 18, 40, 220),
                egui::Stroke::new(1.5, egui::Color32::from_rgb(70, 150, 220)),
            );
            // North on screen is where the camera's heading is not: rotate by -heading.
            let rot = |v: egui::Vec2| -> egui::Vec2 {
                let (s, co) = (-heading).sin_cos();
                egui::vec2(v.x * co - v.y * s, v.x * s + v.y * co)
            };
            let tip = c + rot(egui::vec2(0.0, -26.0) * k);
            let left = c + rot(egui::vec2(-7.0, 0.0) * k);
            let right = c + rot(egui::vec2(7.0, 0.0) * k);
            let tail = c + rot(egui::vec2(0.0, 26.0) * k);
            painter.add(egui::Shape::convex_polygon(
                vec![tip, right, left],
                egui::Color32::from_rgb(255, 80, 70),
                egui::Stroke::NONE,
            ));
            painter.add(egui::Shape::convex_polygon(
                vec![tail, left, right],
                egui::Color32::from_rgb(200, 210, 225),
                egui::Stroke::NONE,
            ));
            let n = c + rot(egui::vec2(0.0, -30.0) * k);
            painter.text(
                n,
                egui::Align2::CENTER_CENTER,
                lang.tr("北", "N"),
                egui::FontId::proportional(13.0 * k),
                egui::Color32::WHITE,
            );
            response.on_hover_text(lang.tr("点击朝北", "Click to face north")).clicked()
        })
        .inner
}

/// A scale bar of a nice length at most `longest` points long (about 160 at scale 1), its right
/// end at `right_top`'s x, `34 × k` points high.
fn scale_bar(ctx: &egui::Context, id: &str, right_top: egui::Pos2, m_per_px: f64, lang: Lang, k: f32, longest: f32) {
    let len_m = nice_length_m(m_per_px * f64::from((160.0 * k).min(longest)));
    let len_px = (len_m / m_per_px) as f32;
    egui::Area::new(egui::Id::new(id)).constrain(false).fixed_pos(egui::pos2(right_top.x - len_px, right_top.y)).show(
        ctx,
        |ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(len_px + 8.0, 34.0 * k), egui::Sense::hover());
            let painter = ui.painter();
            // A dark plate under the bar and its figure: white on the day style's light ground
            // could not be read.
            painter.rect_filled(
                rect.expand2(egui::vec2(6.0, 2.0)),
                4.0,
                egui::Color32::from_rgba_unmultiplied(4, 10, 24, 190),
            );
            let y = rect.bottom() - 6.0 * k;
            let (x0, x1) = (rect.left() + 4.0, rect.left() + 4.0 + len_px);
            let stroke = egui::Stroke::new(2.0, egui::Color32::WHITE);
            painter.line_segment([egui::pos2(x0, y), egui::pos2(x1, y)], stroke);
            painter.line_segment([egui::pos2(x0, y - 6.0 * k), egui::pos2(x0, y)], stroke);
            painter.line_segment([egui::pos2(x1, y - 6.0 * k), egui::pos2(x1, y)], stroke);
            painter.text(
                egui::pos2((x0 + x1) * 0.5, y - 10.0 * k),
                egui::Align2::CENTER_BOTTOM,
                format_length(len_m, lang),
                egui::FontId::proportional(13.0 * k),
                egui::Color32::WHITE,
            );
        },
    );
}

fn cursor_readout(ctx: &egui::Context, at: egui::Pos2, ll: twinhall_core::LonLat, lang: Lang) {
    egui::Area::new("cursor_lonlat".into()).fixed_pos(at).show(ctx, |ui| {
        let text = egui::RichText::new(format!("{} {:.6}, {:.6}", lang.tr("经纬度", "Lon/lat"), ll.lon, ll.lat))
            .monospace()
            .color(egui::Color32::from_rgb(170, 220, 255))
            .background_color(egui::Color32::from_rgba_unmultiplied(4, 10, 24, 200));
        ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Extend));
    });
}

/// Beside a wall, the console's map has its own compass (click it to face north: the wall turns
/// too), scale bar, and the lon/lat under the cursor, in the console's map area.
fn console_hud(
    mut contexts: bevy_egui::EguiContexts,
    settings: Res<Settings>,
    cursor: Res<GroundCursor>,
    console: Res<crate::context::ConsoleRect>,
    mut orbits: Query<&mut OrbitCamera>,
    mirror: Query<(&Projection, &Camera), With<crate::context::MirrorView>>,
) -> Result {
    let lang = settings.lang();
    let ctx = contexts.ctx_mut()?.clone();
    let area = console.0.intersect(ctx.content_rect());
    if let (Ok(mut orbit), Ok((projection, camera))) = (orbits.single_mut(), mirror.single()) {
        if compass(
            &ctx,
            "console_compass",
            egui::pos2(area.right() - 86.0, area.top() + 12.0),
            orbit.heading,
            lang,
            1.0,
        ) && orbit.heading != 0.0
        {
            orbit.heading = 0.0;
        }
        if let Some(viewport) = camera.logical_viewport_size() {
            let m_per_px = metres_per_point(&orbit, projection, viewport.y / ctx.zoom_factor());
            let at = egui::pos2(area.right() - 24.0, area.bottom() - 58.0);
            scale_bar(&ctx, "console_scale_bar", at, m_per_px, lang, 1.0, 160.0);
        }
    }
    if let Some(ll) = cursor.lonlat {
        cursor_readout(&ctx, egui::pos2(area.right() - 290.0, area.bottom() - 84.0), ll, lang);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_lengths_are_nice() {
        assert_eq!(nice_length_m(160.0), 100.0);
        assert_eq!(nice_length_m(260.0), 200.0);
        assert_eq!(nice_length_m(999.0), 500.0);
        assert_eq!(nice_length_m(1000.0), 1000.0);
        assert_eq!(nice_length_m(0.0), 0.0);
        assert_eq!(format_length(2000.0, Lang::Zh), "2 公里");
    }
}
