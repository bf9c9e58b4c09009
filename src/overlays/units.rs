//! Units and personnel: an arrow along the heading (a dot for people on foot), coloured by
//! status, moving smoothly between reports on the GPU (see twinhall_core::overlay::motion), with
//! a short trail of their last reports and, for units en route, the road route still ahead.
//! Rebuilt only when a report arrives.

use std::collections::VecDeque;

use bevy::asset::RenderAssetUsages;
use bevy::camera::visibility::NoFrustumCulling;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use twinhall_core::overlay::motion::Motion;
use twinhall_core::protocol::UnitStatus;

use super::icons::{ICON_Y, IconLayer, IconMeshes, set_mesh};
use super::material::{Icon, IconVerts, Shape};
use super::{OverlayChanges, Spatial};
use crate::context::{AppSystems, City, OverlayLayers, linear, local_of, scene_of};
use crate::feed::FeedData;

/// Reports kept per unit for its trail.
const TRAIL: usize = 8;

/// Each unit's motion as drawn, by store slot, with the version it was built from and its trail.
#[derive(Resource, Default)]
pub struct UnitMotions {
    pub motions: Vec<Option<(u64, Motion)>>,
    pub trails: Vec<VecDeque<[f32; 2]>>,
    /// Clock time (as `Time::elapsed_secs_wrapped`) after which no unit's drawn position changes
    /// any more (extrapolation and easing both stop); `None` when none moves. Stale units are
    /// drawn still, so they do not count.
    pub moving_until: Option<f32>,
}

impl UnitMotions {
    /// Drawn position (local metres) of the unit in `slot` at clock time `t`.
    pub fn position(&self, slot: u32, t: f32) -> Option<[f32; 2]> {
        self.motions.get(slot as usize).and_then(|m| m.as_ref()).map(|(_, m)| m.at(t))
    }

    /// Whether some unit's drawn position changed between clock times `from` and `to` (the
    /// clock wrapping counts as a change).
    pub fn moved_between(&self, from: f32, to: f32) -> bool {
        to < from || (to > from && self.moving_until.is_some_and(|u| u > from))
    }
}

#[derive(Component)]
struct TrailLayer;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<UnitMotions>()
        .add_systems(Startup, spawn_trails)
        .add_systems(Update, (build_units, show_trails).in_set(AppSystems::Draw));
}

pub fn status_rgb(s: UnitStatus) -> [f32; 3] {
    match s {
        UnitStatus::Available => [0.35, 0.6, 1.0],
        UnitStatus::Patrolling => [0.3, 0.95, 0.45],
        UnitStatus::EnRoute => [1.0, 0.6, 0.1],
        UnitStatus::OnScene => [1.0, 0.2, 0.25],
        UnitStatus::Returning => [0.3, 0.85, 0.95],
        UnitStatus::Offline => [0.45, 0.45, 0.5],
    }
}

fn spawn_trails(
    mut commands: Commands,
    meshes: Option<ResMut<Assets<Mesh>>>,
    materials: Option<ResMut<Assets<StandardMaterial>>>,
) {
    let (Some(mut meshes), Some(mut materials)) = (meshes, materials) else { return };
    let mesh = meshes.add(lines(Vec::new(), Vec::new()));
    let material = materials.add(StandardMaterial {
        base_color: Color::WHITE,
        unlit: true,
        alpha_mode: AlphaMode::Blend,
        ..default()
    });
    commands.spawn((TrailLayer, Mesh3d(mesh), MeshMaterial3d(material), Visibility::Hidden, NoFrustumCulling));
}

fn lines(mut positions: Vec<[f32; 3]>, mut colors: Vec<[f32; 4]>) -> Mesh {
    // The renderer's allocator wants at least one vertex: a zero-length line stands in.
    if positions.is_empty() {
        (positions, colors) = (vec![[0.0; 3]; 2], vec![[0.0; 4]; 2]);
    }
    let n = positions.len() as u32;
    Mesh::new(PrimitiveTopology::LineList, RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors)
        .with_inserted_indices(Indices::U32((0..n).collect()))
}

#[allow(clippy::too_many_arguments)]
fn build_units(
    changes: Res<OverlayChanges>,
    data: Res<FeedData>,
    city: Res<City>,
    spatial: Res<Spatial>,
    time: Res<Time>,
    registry: Option<Res<IconMeshes>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    mut motions: ResMut<UnitMotions>,
    trails: Query<&Mesh3d, With<TrailLayer>>,
    filter: Res<crate::context::IncidentFilter>,
) {
    let (Some(registry), Some(mut meshes)) = (registry, meshes) else { return };
    if !changes.units && !filter.is_changed() {
        return;
    }
    let t = time.elapsed_secs_wrapped();
    let slots = data.units.slot_count();
    let m = &mut *motions;
    m.motions.resize(slots, None);
    m.trails.resize(slots, VecDeque::new());
    // sRGB to linear once per status, not per unit.
    let status_colours = [
        UnitStatus::Available,
        UnitStatus::Patrolling,
        UnitStatus::EnRoute,
        UnitStatus::OnScene,
        UnitStatus::Returning,
        UnitStatus::Offline,
    ]
    .map(|st| {
        let [r, g, b] = status_rgb(st);
        linear(r, g, b, 1.0)
    });
    let stale_colour = linear(0.35, 0.36, 0.4, 1.0);
    let mut v = IconVerts::with_capacity(data.units.len());
    let (mut lp, mut lc) = (Vec::new(), Vec::new());
    let mut moving_until: Option<f32> = None;
    for slot in 0..slots as u32 {
        let s = slot as usize;
        let Some(u) = data.units.slot(slot) else {
            m.motions[s] = None;
            m.trails[s].clear();
            continue;
        };
        let p = spatial.units.at(slot).unwrap_or_else(|| local_of(&city, u.lon, u.lat));
        let pos = [p[0] as f32, p[1] as f32];
        let motion = match m.motions[s] {
            Some((version, motion)) if version == u.version => motion,
            Some((_, old)) => {
                let trail = &mut m.trails[s];
                trail.push_back(pos);
                if trail.len() > TRAIL {
                    trail.pop_front();
                }
                old.report(pos, u.heading_deg, u.speed_mps, t)
            }
            None => {
                m.trails[s].clear();
                m.trails[s].push_back(pos);
                Motion::new(pos, u.heading_deg, u.speed_mps, t)
            }
        };
        m.motions[s] = Some((u.version, motion));
        // Until when this unit's drawn position changes (labels follow it until then).
        if !data.units.is_stale(slot) {
            let extrapolates =
                if motion.vel != [0.0, 0.0] { twinhall_core::overlay::motion::MAX_EXTRAPOLATION_S } else { 0.0 };
            let eases = if motion.offset != [0.0, 0.0] { twinhall_core::overlay::motion::EASE_S } else { 0.0 };
            let span = extrapolates.max(eases);
            if span > 0.0 {
                let end = motion.t0 + span;
                moving_until = Some(moving_until.map_or(end, |u: f32| u.max(end)));
            }
        }
        if !filter.admits_unit(u.kind) {
            continue;
        }
        let stale = data.units.is_stale(slot);
        let colour = if stale { stale_colour } else { status_colours[u.status as usize] };
        // Drones at their height, with a line down to the ground point under them.
        let altitude = u.altitude_m.unwrap_or(0.0);
        let (size, shape) = match u.kind {
            k if k.walks() => (10.0, Shape::Circle),
            k if k.flies() => (15.0, Shape::Cross),
            _ => (17.0, Shape::Arrow),
        };
        let mut icon = Icon::at(scene_of(p, ICON_Y + 2.0 + altitude), colour, size, shape);
        if altitude > 1.0 {
            lp.push([pos[0], 1.5, -pos[1]]);
            lp.push([pos[0], ICON_Y + altitude, -pos[1]]);
            lc.push([colour[0], colour[1], colour[2], 0.25]);
            lc.push([colour[0], colour[1], colour[2], 0.8]);
        }
        icon.heading = u.heading_deg.to_radians();
        // Units that stopped reporting are not extrapolated.
        let (vel, moving) = if stale { ([0.0, 0.0], false) } else { (motion.vel, true) };
        icon.motion =
            [vel[0], vel[1], if moving { motion.offset[0] } else { 0.0 }, if moving { motion.offset[1] } else { 0.0 }];
        icon.t0 = motion.t0;
        v.push(&icon);
        // Trail: fading segments through the last reports.
        let trail = &m.trails[s];
        for (k, w) in trail.iter().zip(trail.iter().skip(1)).enumerate() {
            let a = 0.15 + 0.6 * (k as f32 + 1.0) / TRAIL as f32;
            lp.push([w.0[0], 1.5, -w.0[1]]);
            lp.push([w.1[0], 1.5, -w.1[1]]);
            lc.push([colour[0], colour[1], colour[2], a * 0.6]);
            lc.push([colour[0], colour[1], colour[2], a]);
        }
        // The route still ahead of a unit on its way is drawn by routes.rs.
    }
    m.moving_until = moving_until;
    set_mesh(&mut meshes, &registry, IconLayer::Units, v);
    if let Ok(trail) = trails.single() {
        let _ = meshes.insert(trail.0.id(), lines(lp, lc));
    }
}

fn show_trails(
    layers: Res<OverlayLayers>,
    changes: Res<OverlayChanges>,
    meshes: Res<Assets<Mesh>>,
    mut q: Query<(&Mesh3d, &mut Visibility), With<TrailLayer>>,
) {
    if !layers.is_changed() && !changes.units {
        return;
    }
    for (mesh, mut vis) in &mut q {
        let has = meshes.get(&mesh.0).is_some_and(|m| m.count_vertices() > 2);
        vis.set_if_neq(if layers.units && has { Visibility::Inherited } else { Visibility::Hidden });
    }
}
