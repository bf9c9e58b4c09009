//! The focused incident on the twin: the radius ring, a sight line from each camera that sees
//! the incident (blocked ones dashed grey), the recommended units' lines, and the building that
//! blocks the camera under the pointer in the panel, outlined. One retained gizmo, rebuilt only
//! when the analysis or the hovered camera changes.

use bevy::color::palettes::css;
use bevy::prelude::*;
use twinhall_core::LonLat;

use super::{FocusAnalysis, HubContext, HubState};
use crate::context::City;
use crate::context::scene_of;
use crate::feed::FeedData;

/// The hub's gizmo entity.
#[derive(Component)]
pub struct HubGizmo;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, draw_focus.in_set(crate::context::AppSystems::Analyse).after(super::analysis::analyse));
}

#[allow(clippy::too_many_arguments)]
fn draw_focus(
    mut commands: Commands,
    analysis: Res<FocusAnalysis>,
    state: Res<HubState>,
    data: Res<FeedData>,
    city: Res<City>,
    context: Option<Res<HubContext>>,
    assets: Option<ResMut<Assets<GizmoAsset>>>,
    existing: Query<Entity, With<HubGizmo>>,
) {
    if !analysis.is_changed() && !state.is_changed() {
        return;
    }
    let Some(mut assets) = assets else { return };
    for e in &existing {
        commands.entity(e).despawn();
    }
    if analysis.incident_id.is_none() {
        return;
    }
    let mut g = GizmoAsset::default();
    let c = analysis.center;
    let ring_y = 2.0;
    let centre = scene_of(c, ring_y);
    // The radius ring, and a faint inner ring at half the radius.
    g.circle(
        Isometry3d::new(centre, Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
        analysis.radius_m as f32,
        css::ORANGE_RED,
    )
    .resolution(128);
    g.circle(
        Isometry3d::new(centre, Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
        analysis.radius_m as f32 * 0.5,
        css::ORANGE_RED.with_alpha(0.4),
    )
    .resolution(96);
    let target = scene_of(c, 1.5);
    let camera_at = |id: &str| {
        data.cameras.get(id).map(|cam| {
            let p = city.model.frame.to_local(LonLat::new(cam.lon, cam.lat));
            scene_of(p, cam.height_m)
        })
    };
    for cam in &analysis.surroundings.cameras_visible {
        if let Some(p) = camera_at(&cam.id) {
            let colour = if cam.online { css::LIME } else { css::GRAY };
            g.line(p, target, colour);
        }
    }
    for cam in &analysis.surroundings.cameras_blocked {
        if let Some(p) = camera_at(&cam.id) {
            // Dashed: every other tenth of the line.
            for k in (0..10).step_by(2) {
                let a = p.lerp(target, k as f32 / 10.0);
                let b = p.lerp(target, (k + 1) as f32 / 10.0);
                g.line(a, b, css::SLATE_GRAY);
            }
        }
    }
    // The building that blocks the hovered camera, outlined at its roof and foot.
    if let (Some(id), Some(ctx)) = (&state.hovered_blocked, &context)
        && let Some(cam) = analysis.surroundings.cameras_blocked.iter().find(|c| &c.id == id)
        && let Some(b) = cam.blocked_by
    {
        let ring = ctx.buildings.footprint(b);
        let h = ctx.buildings.height_m(b) as f32;
        for w in ring.iter().zip(ring.iter().cycle().skip(1)) {
            for y in [0.5, h] {
                g.line(scene_of(*w.0, y), scene_of(*w.1, y), css::RED);
            }
            g.line(scene_of(*w.0, 0.5), scene_of(*w.0, h), css::RED);
        }
    }
    // Recommended units: a line from each to the incident.
    if let Some(rec) = &analysis.recommendation {
        for cand in &rec.assignment.units {
            if let Some(u) = data.units.get(&cand.unit_id) {
                let p = city.model.frame.to_local(LonLat::new(u.lon, u.lat));
                g.line(scene_of(p, 3.0), scene_of(c, 3.0), css::GOLD.with_alpha(0.7));
            }
        }
    }
    commands.spawn((
        HubGizmo,
        Gizmo { handle: assets.add(g), line_config: GizmoLineConfig { width: 3.0, ..default() }, depth_bias: -0.2 },
    ));
}
