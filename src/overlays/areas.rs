//! Grid areas at the five levels (city, district, street, community, grid): outlines, and a
//! choropleth of each area's governance index in the four colours (blue, yellow, orange, red).
//! One mesh per level, rebuilt when areas change; the level shown is chosen in the layer panel.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use twinhall_core::extrude::{Extruder, MeshData, ribbon};
use twinhall_core::model::Polygon;
use twinhall_core::overlay::{index_level, level_rgb};
use twinhall_core::protocol::AreaLevel;

use super::OverlayChanges;
use crate::context::{AppSystems, City, OverlayLayers, linear, local_of};
use crate::feed::FeedData;

const LEVELS: [AreaLevel; 5] =
    [AreaLevel::City, AreaLevel::District, AreaLevel::Street, AreaLevel::Community, AreaLevel::Grid];

#[derive(Component, Clone, Copy, PartialEq, Eq)]
struct AreaLayer(AreaLevel);

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn).add_systems(Update, (build, show).chain().in_set(AppSystems::Draw));
}

fn spawn(
    mut commands: Commands,
    meshes: Option<ResMut<Assets<Mesh>>>,
    materials: Option<ResMut<Assets<StandardMaterial>>>,
) {
    let (Some(mut meshes), Some(mut materials)) = (meshes, materials) else { return };
    let material = materials.add(StandardMaterial {
        base_color: Color::WHITE,
        unlit: true,
        alpha_mode: AlphaMode::Blend,
        cull_mode: None,
        ..default()
    });
    for level in LEVELS {
        let mesh = meshes.add(to_mesh(MeshData::default()));
        commands.spawn((AreaLayer(level), Mesh3d(mesh), MeshMaterial3d(material.clone()), Visibility::Hidden));
    }
}

/// Kept in the main world too, so the layer knows whether it has anything to show.
fn to_mesh(mut d: MeshData) -> Mesh {
    // The renderer's allocator wants at least one vertex: a degenerate triangle stands in.
    if d.positions.is_empty() {
        d.positions = vec![[0.0; 3]; 3];
        d.normals = vec![[0.0, 1.0, 0.0]; 3];
        d.colors = vec![[0.0; 4]; 3];
        d.indices = vec![0, 1, 2];
    }
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, d.positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, d.normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, d.colors)
        .with_inserted_indices(Indices::U32(d.indices))
}

fn outline_width(level: AreaLevel) -> f32 {
    match level {
        AreaLevel::City => 14.0,
        AreaLevel::District => 10.0,
        AreaLevel::Street => 6.0,
        AreaLevel::Community => 4.0,
        AreaLevel::Grid => 2.5,
    }
}

fn build(
    changes: Res<OverlayChanges>,
    data: Res<FeedData>,
    city: Res<City>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    q: Query<(&AreaLayer, &Mesh3d)>,
    choropleth: Res<crate::context::AreaChoropleth>,
) {
    let Some(mut meshes) = meshes else { return };
    if !changes.areas && !choropleth.is_changed() {
        return;
    }
    // Drilled down: only the drilled area's descendants, more strongly coloured.
    let inside = |a: &twinhall_core::protocol::Area| {
        let Some(root) = &choropleth.within else { return true };
        let mut at = a.parent_id.as_deref();
        for _ in 0..8 {
            match at {
                Some(p) if p == root => return true,
                Some(p) => at = data.areas.get(p).and_then(|x| x.parent_id.as_deref()),
                None => return false,
            }
        }
        false
    };
    let alpha = if choropleth.within.is_some() || choropleth.aspect.is_some() { 0.32 } else { 0.13 };
    let mut ex = Extruder::new();
    for (layer, handle) in &q {
        let mut out = MeshData::default();
        for (_, a) in data.areas.iter().filter(|(_, a)| a.level == layer.0 && inside(a)) {
            let ring: Vec<[f64; 2]> = a.ring.iter().map(|p| local_of(&city, p[0], p[1])).collect();
            if ring.len() < 3 {
                continue;
            }
            let [r, g, b] = level_rgb(index_level(
                twinhall_core::heartbeat::score_of(a, choropleth.aspect).map_or(a.governance_index, |(s, _)| s),
            ));
            ex.flat_polygon(
                &Polygon { exterior: ring.clone(), holes: Vec::new() },
                1.0,
                linear(r, g, b, alpha),
                &mut out,
            );
            let mut closed = ring;
            closed.push(closed[0]);
            ribbon(&closed, outline_width(layer.0), 1.1, linear(0.75, 0.9, 1.0, 0.75), &mut out);
        }
        let _ = meshes.insert(handle.0.id(), to_mesh(out));
    }
}

fn show(
    layers: Res<OverlayLayers>,
    changes: Res<OverlayChanges>,
    meshes: Res<Assets<Mesh>>,
    mut q: Query<(&AreaLayer, &Mesh3d, &mut Visibility)>,
) {
    if !layers.is_changed() && !changes.areas {
        return;
    }
    for (layer, mesh, mut vis) in &mut q {
        let has = meshes.get(&mesh.0).is_some_and(|m| m.count_vertices() > 3);
        let want = layers.areas && layers.area_level == layer.0 && has;
        vis.set_if_neq(if want { Visibility::Inherited } else { Visibility::Hidden });
    }
}
