//! The map HUD over the 3D view: a compass that turns with the camera (click it to face north),
//! a scale bar, and the lon/lat of the ground under the cursor.

use bevy::camera::Projection;
use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::config::Lang;

use crate::Settings;
use crate::camera::{GroundCursor, OrbitCamera};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(super::MapPass, draw_hud).add_systems(
        bevy_egui::EguiPrimaryContextPass,
        console_cursor.after(super::panel::PanelSystems).run_if(resource_exists::<crate::wall::Wall>),
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

fn draw_hud(
    mut map: crate::ui::MapUi,
    settings: Res<Settings>,
    mut cams: Query<(&mut OrbitCamera, &Projection, &Camera)>,
    cursor: Res<GroundCursor>,
    view_rect: Res<super::panel::ViewRect>,
    overlay: Res<crate::overlays::OverlayView>,
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
    // A wall keeps its HUD inside the safe-area margin; one window uses all of it.
    let on_wall = map.on_wall();
    let area = if on_wall { view_rect.0 } else { ctx.content_rect() };
    let zoom = ctx.zoom_factor();

    // Compass, top right of the view.
    let heading = orbit.heading;
    // A wall keeps its right column for the theatre's charts: the compass goes bottom right,
    // beside the scale bar (which is at most about 200 points long).
    let compass_at = if on_wall {
        egui::pos2(area.right() - 300.0, area.bottom() - 84.0)
    } else {
        egui::pos2(area.right() - 86.0, area.top() + 12.0)
    };
    let clicked = egui::Area::new("compass".into())
        .fixed_pos(compass_at)
        .constrain(false)
        .show(&ctx, |ui| {
            let (rect, response) = ui.allocate_exact_size(egui::vec2(72.0, 72.0), egui::Sense::click());
            let painter = ui.painter();
            let c = rect.center();
            painter.circle(
                c,
                34.0,
                egui::Color32::from_rgba_unmultiplied(6, 18, 40, 220),
                egui::Stroke::new(1.5, egui::Color32::from_rgb(70, 150, 220)),
            );
            // North on screen is where the camera's heading is not: rotate by -heading.
            let rot = |v: egui::Vec2| -> egui::Vec2 {
                let (s, co) = (-heading).sin_cos();
                egui::vec2(v.x * co - v.y * s, v.x * s + v.y * co)
            };
            let tip = c + rot(egui::vec2(0.0, -26.0));
            let left = c + rot(egui::vec2(-7.0, 0.0));
            let right = c + rot(egui::vec2(7.0, 0.0));
            let tail = c + rot(egui::vec2(0.0, 26.0));
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
            let n = c + rot(egui::vec2(0.0, -30.0)) * 1.0;
            painter.text(
                n,
                egui::Align2::CENTER_CENTER,
                lang.tr("北", "N"),
                egui::FontId::proportional(13.0),
                egui::Color32::WHITE,
            );
            response.on_hover_text(lang.tr("点击朝北", "Click to face north")).clicked()
        })
        .inner;
    if clicked && orbit.heading != 0.0 {
        orbit.heading = 0.0;
    }

    // Scale bar at the focus distance, bottom right.
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => std::f32::consts::FRAC_PI_4,
    };
    let view_h_px = (view_h / zoom).max(1.0);
    let m_per_px = 2.0 * f64::from(orbit.distance_m) * f64::from((fov * 0.5).tan()) / f64::from(view_h_px);
    let len_m = nice_length_m(m_per_px * 160.0);
    let len_px = (len_m / m_per_px) as f32;
    egui::Area::new("scale_bar".into())
        .constrain(false)
        .fixed_pos(egui::pos2(area.right() - len_px - 24.0, area.bottom() - 58.0))
        .show(&ctx, |ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(len_px + 8.0, 34.0), egui::Sense::hover());
            let painter = ui.painter();
            // A dark plate under the bar and its figure: white on the day style's light ground
            // could not be read.
            painter.rect_filled(
                rect.expand2(egui::vec2(6.0, 2.0)),
                4.0,
                egui::Color32::from_rgba_unmultiplied(4, 10, 24, 190),
            );
            let y = rect.bottom() - 6.0;
            let (x0, x1) = (rect.left() + 4.0, rect.left() + 4.0 + len_px);
            let stroke = egui::Stroke::new(2.0, egui::Color32::WHITE);
            painter.line_segment([egui::pos2(x0, y), egui::pos2(x1, y)], stroke);
            painter.line_segment([egui::pos2(x0, y - 6.0), egui::pos2(x0, y)], stroke);
            painter.line_segment([egui::pos2(x1, y - 6.0), egui::pos2(x1, y)], stroke);
            painter.text(
                egui::pos2((x0 + x1) * 0.5, y - 10.0),
                egui::Align2::CENTER_BOTTOM,
                format_length(len_m, lang),
                egui::FontId::proportional(13.0),
                egui::Color32::WHITE,
            );
        });

    // Cursor lon/lat, bottom right above the scale bar (a wall has no cursor: the console shows it).
    if let Some(ll) = cursor.lonlat.filter(|_| !on_wall) {
        cursor_readout(&ctx, egui::pos2(area.right() - 290.0, area.bottom() - 84.0), ll, lang);
    }
    Ok(())
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

/// Beside a wall, the console's map shows the lon/lat under the cursor, bottom right of its view.
fn console_cursor(
    mut contexts: bevy_egui::EguiContexts,
    settings: Res<Settings>,
    cursor: Res<GroundCursor>,
    console: Res<super::panel::ConsoleRect>,
) -> Result {
    let Some(ll) = cursor.lonlat else { return Ok(()) };
    let ctx = contexts.ctx_mut()?.clone();
    let area = console.0.intersect(ctx.content_rect());
    cursor_readout(&ctx, egui::pos2(area.right() - 290.0, area.bottom() - 40.0), ll, settings.lang());
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
