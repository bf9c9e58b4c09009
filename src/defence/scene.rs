//! Key grids on the twin: each flagged grid outlined (thick, red-violet, brighter the higher it
//! ranks) in one retained gizmo rebuilt only when the scores change, and a tag at each of the
//! top grids with its rank, score and reason ("矛盾纠纷 7 起 / 基线 1.2"), painted over the view.

use bevy::color::palettes::css;
use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::protocol::AreaLevel;

use super::Defence;
use crate::context::{City, DefenceView, OrbitCamera, Settings, ViewRect, local_of, scene_of};
use crate::feed::FeedData;

/// Most key grids tagged on the view.
pub const TAGGED: usize = 5;
/// Height of the outlines above the ground.
const OUTLINE_Y: f32 = 4.0;

/// The key grids' gizmo.
#[derive(Component)]
pub struct KeyGridGizmo;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, outline_key_grids.in_set(crate::context::AppSystems::Draw))
        .add_systems(crate::context::MapPass, tag_key_grids);
}

/// The flagged grids in rank order with their ring (lon/lat), for the outlines and tags.
pub fn flagged_rings<'a>(
    defence: &'a Defence,
    data: &'a FeedData,
) -> Vec<(usize, &'a twinhall_core::risk::GridRisk, &'a [[f64; 2]])> {
    let Some(report) = &defence.report else { return Vec::new() };
    report
        .by_grid()
        .into_iter()
        .filter(|s| s.flagged)
        .enumerate()
        .filter_map(|(rank, s)| {
            let area = data.areas.get(&s.grid_id).filter(|a| a.level == AreaLevel::Grid && a.ring.len() >= 3)?;
            Some((rank, s, area.ring.as_slice()))
        })
        .collect()
}

fn outline_key_grids(
    mut commands: Commands,
    defence: Res<Defence>,
    view: Res<DefenceView>,
    data: Res<FeedData>,
    city: Res<City>,
    assets: Option<ResMut<Assets<GizmoAsset>>>,
    existing: Query<Entity, With<KeyGridGizmo>>,
) {
    if !defence.is_changed() && !view.is_changed() {
        return;
    }
    let Some(mut assets) = assets else { return };
    for e in &existing {
        commands.entity(e).despawn();
    }
    if !view.key_grids {
        return;
    }
    let mut g = GizmoAsset::default();
    for (rank, _, ring) in flagged_rings(&defence, &data) {
        let colour = if rank == 0 { css::DEEP_PINK } else { css::MEDIUM_VIOLET_RED.with_alpha(0.85) };
        for w in ring.iter().zip(ring.iter().cycle().skip(1)) {
            let a = scene_of(local_of(&city, w.0[0], w.0[1]), OUTLINE_Y);
            let b = scene_of(local_of(&city, w.1[0], w.1[1]), OUTLINE_Y);
            g.line(a, b, colour);
        }
    }
    commands.spawn((
        KeyGridGizmo,
        Gizmo { handle: assets.add(g), line_config: GizmoLineConfig { width: 5.0, ..default() }, depth_bias: -0.5 },
    ));
}

/// Tags the top key grids where they are on screen.
#[allow(clippy::too_many_arguments)]
fn tag_key_grids(
    mut map: crate::context::MapUi,
    defence: Res<Defence>,
    view: Res<DefenceView>,
    data: Res<FeedData>,
    city: Res<City>,
    settings: Res<Settings>,
    view_rect: Res<ViewRect>,
    cameras: Query<(&Camera, &GlobalTransform), With<OrbitCamera>>,
) -> Result {
    if !view.key_grids || defence.report.is_none() {
        return Ok(());
    }
    let Ok((camera, at)) = cameras.single() else { return Ok(()) };
    let ctx = map.ctx()?;
    let zoom = ctx.zoom_factor();
    let painter =
        ctx.layer_painter(egui::LayerId::new(egui::Order::Middle, "key_grid_tags".into())).with_clip_rect(view_rect.0);
    let lang = settings.lang();
    for (rank, s, ring) in flagged_rings(&defence, &data).into_iter().take(TAGGED) {
        let n = ring.len() as f64;
        let (lon, lat) = (ring.iter().map(|p| p[0]).sum::<f64>() / n, ring.iter().map(|p| p[1]).sum::<f64>() / n);
        let Ok(p) = camera.world_to_viewport(at, scene_of(local_of(&city, lon, lat), OUTLINE_Y)) else { continue };
        let reason = match lang {
            twinhall_core::config::Lang::Zh => &s.reason_zh,
            twinhall_core::config::Lang::En => &s.reason_en,
        };
        let text =
            format!("#{} {} {} · {reason} · {:.1}", rank + 1, lang.tr("重点网格", "key grid"), s.grid_id, s.score);
        let font = egui::FontId::proportional(15.0);
        let galley = painter.layout_no_wrap(text, font, egui::Color32::WHITE);
        let pos = egui::pos2(p.x, p.y) / zoom;
        let rect = egui::Rect::from_center_size(pos, galley.size() + egui::vec2(12.0, 6.0));
        painter.rect_filled(rect, 4.0, egui::Color32::from_rgba_unmultiplied(70, 8, 50, 225));
        painter.rect_stroke(
            rect,
            4.0,
            egui::Stroke::new(1.5, egui::Color32::from_rgb(255, 90, 190)),
            egui::StrokeKind::Outside,
        );
        painter.galley(rect.min + egui::vec2(6.0, 3.0), galley, egui::Color32::WHITE);
    }
    Ok(())
}
