//! Camera view cones: a translucent ground sector per camera (heading, field of view, range),
//! cyan when online and grey when offline, in one mesh rebuilt only when cameras change and
//! shown when the view is close enough for them to read (under 2.5 km). Beyond
//! [`CONE_BUDGET`] cameras only the nearest to the focus get one (a city with 100,000 cameras
//! would be a blanket of cones), chosen again when the view has moved.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;

use twinhall_core::overlay::thin::{moved_enough, nearest};

use super::OverlayChanges;
use crate::context::{AppSystems, City, OverlayLayers, OverlayView, linear, local_of};
use crate::feed::FeedData;

pub(super) const SEGMENTS: usize = 6;
const Y: f32 = 0.9;
/// Cones show below this camera distance.
pub const CONES_BELOW_M: f32 = 2500.0;
/// Most cones drawn at once: the cameras nearest the focus.
pub const CONE_BUDGET: usize = 1500;

#[derive(Component)]
pub(super) struct ConeLayer;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn).add_systems(Update, (build, show).in_set(AppSystems::Draw));
}

fn spawn(
    mut commands: Commands,
    meshes: Option<ResMut<Assets<Mesh>>>,
    materials: Option<ResMut<Assets<StandardMaterial>>>,
) {
    let (Some(mut meshes), Some(mut materials)) = (meshes, materials) else { return };
    let mesh = meshes.add(cone_mesh(Vec::new(), Vec::new(), Vec::new()));
    let material = materials.add(StandardMaterial {
        base_color: Color::WHITE,
        unlit: true,
        alpha_mode: AlphaMode::Blend,
        cull_mode: None,
        depth_bias: 10.0,
        ..default()
    });
    commands.spawn((ConeLayer, Mesh3d(mesh), MeshMaterial3d(material), Visibility::Hidden));
}

fn cone_mesh(mut positions: Vec<[f32; 3]>, mut colors: Vec<[f32; 4]>, mut indices: Vec<u32>) -> Mesh {
    // The renderer's allocator wants at least one vertex: a degenerate triangle stands in.
    if positions.is_empty() {
        (positions, colors, indices) = (vec![[0.0; 3]; 3], vec![[0.0; 4]; 3], vec![0, 1, 2]);
    }
    let normals = vec![[0.0, 1.0, 0.0]; positions.len()];
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors)
        .with_inserted_indices(Indices::U32(indices))
}

fn build(
    changes: Res<OverlayChanges>,
    data: Res<FeedData>,
    city: Res<City>,
    view: Res<OverlayView>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    q: Query<&Mesh3d, With<ConeLayer>>,
    mut thinned_at: Local<Option<([f64; 2], f32)>>,
) {
    let Some(mut meshes) = meshes else { return };
    let thin = data.cameras.len() > CONE_BUDGET;
    let here = (view.focus, view.distance_m);
    let moved = thin && view.distance_m < CONES_BELOW_M && thinned_at.is_none_or(|was| moved_enough(was, here));
    if !changes.cameras && !moved {
        return;
    }
    let Ok(handle) = q.single() else { return };
    let mut chosen: Vec<([f64; 2], u32)> =
        data.cameras.iter().map(|(slot, cam)| (local_of(&city, cam.lon, cam.lat), slot)).collect();
    if thin {
        nearest(&mut chosen, view.focus, CONE_BUDGET);
        *thinned_at = Some(here);
    }
    let n = chosen.len();
    let (mut p, mut c, mut idx) = (
        Vec::with_capacity(n * (SEGMENTS + 2)),
        Vec::with_capacity(n * (SEGMENTS + 2)),
        Vec::with_capacity(n * SEGMENTS * 3),
    );
    for (o, slot) in chosen {
        let Some(cam) = data.cameras.slot(slot) else { continue };
        let stale = data.cameras.is_stale(slot);
        let (centre, edge) = if cam.online && !stale {
            (linear(0.2, 0.95, 0.95, 0.38), linear(0.2, 0.95, 0.95, 0.05))
        } else {
            (linear(0.55, 0.55, 0.6, 0.25), linear(0.55, 0.55, 0.6, 0.03))
        };
        let base = p.len() as u32;
        p.push([o[0] as f32, Y, -o[1] as f32]);
        c.push(centre);
        let h = f64::from(cam.heading_deg).to_radians();
        let half = f64::from(cam.fov_deg.clamp(1.0, 360.0)).to_radians() / 2.0;
        let r = f64::from(cam.range_m.max(1.0));
        for k in 0..=SEGMENTS {
            let a = h - half + 2.0 * half * k as f64 / SEGMENTS as f64;
            let (e, nn) = (o[0] + r * a.sin(), o[1] + r * a.cos());
            p.push([e as f32, Y, -nn as f32]);
            c.push(edge);
        }
        for k in 0..SEGMENTS as u32 {
            idx.extend_from_slice(&[base, base + 1 + k, base + 2 + k]);
        }
    }
    let _ = meshes.insert(handle.0.id(), cone_mesh(p, c, idx));
}

fn show(
    layers: Res<OverlayLayers>,
    view: Res<OverlayView>,
    changes: Res<OverlayChanges>,
    data: Res<FeedData>,
    mut q: Query<&mut Visibility, With<ConeLayer>>,
) {
    if !layers.is_changed() && !view.is_changed() && !changes.cameras {
        return;
    }
    let want = layers.cameras && layers.cones && view.distance_m < CONES_BELOW_M && !data.cameras.is_empty();
    for mut vis in &mut q {
        vis.set_if_neq(if want { Visibility::Inherited } else { Visibility::Hidden });
    }
}
