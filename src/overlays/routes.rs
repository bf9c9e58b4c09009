//! The road route still ahead of each unit on its way, drawn as a ribbon of constant pixel
//! width with chevrons flowing towards the incident (shaders://route_flow.wgsl), coloured by
//! unit kind. Rebuilt only when units report.

use bevy::asset::RenderAssetUsages;
use bevy::camera::visibility::NoFrustumCulling;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use twinhall_core::protocol::{UnitKind, UnitStatus};

use super::OverlayChanges;
use super::material::{ATTRIBUTE_CORNER, ATTRIBUTE_STYLE, RouteMaterial};
use crate::context::{AppSystems, City, OverlayLayers, OverlayView, linear, local_of};
use crate::feed::FeedData;

/// Height of the ribbon above the ground, metres.
const ROUTE_Y: f32 = 2.2;
/// Ribbon width in px at the wall scale 1.
const WIDTH_PX: f32 = 7.0;

/// The route layer's entity.
#[derive(Component)]
pub struct RouteLayer;

/// sRGB colour of a unit kind's route.
pub fn kind_rgb(kind: UnitKind) -> [f32; 3] {
    match kind {
        UnitKind::PoliceCar => [0.30, 0.55, 1.0],
        UnitKind::FireEngine => [1.0, 0.25, 0.15],
        UnitKind::Ambulance => [0.25, 1.0, 0.55],
        UnitKind::GridWorker => [1.0, 0.85, 0.2],
        UnitKind::Volunteer => [0.85, 0.5, 1.0],
        UnitKind::Drone => [0.3, 0.95, 1.0],
    }
}

pub(super) fn plugin(app: &mut App) {
    if app.is_plugin_added::<bevy::render::RenderPlugin>() {
        app.add_plugins(MaterialPlugin::<RouteMaterial>::default());
    } else {
        app.init_asset::<RouteMaterial>();
    }
    app.add_systems(Startup, spawn_layer).add_systems(Update, build_routes.in_set(AppSystems::Draw));
}

/// Ribbon vertices of routes: positions, (side, metres to the end), colours, (direction, px).
#[derive(Default, Debug)]
pub struct RouteVerts {
    pub pos: Vec<[f32; 3]>,
    pub corner: Vec<[f32; 2]>,
    pub color: Vec<[f32; 4]>,
    pub style: Vec<[f32; 4]>,
    pub idx: Vec<u32>,
}

impl RouteVerts {
    /// Adds one route (local metres, from the unit to the incident).
    pub fn push(&mut self, route: &[[f64; 2]], colour: [f32; 4]) {
        if route.len() < 2 {
            return;
        }
        let total: f64 = route.windows(2).map(|w| twinhall_core::frame::distance(w[0], w[1])).sum();
        let mut done = 0.0;
        for w in route.windows(2) {
            let len = twinhall_core::frame::distance(w[0], w[1]);
            if len < 1e-3 {
                continue;
            }
            let dir = [((w[1][0] - w[0][0]) / len) as f32, 0.0, (-(w[1][1] - w[0][1]) / len) as f32];
            let base = self.pos.len() as u32;
            for (p, left) in [(w[0], total - done), (w[1], total - done - len)] {
                for side in [-1.0f32, 1.0] {
                    self.pos.push([p[0] as f32, ROUTE_Y, -p[1] as f32]);
                    self.corner.push([side, left as f32]);
                    self.color.push(colour);
                    self.style.push([dir[0], dir[1], dir[2], WIDTH_PX]);
                }
            }
            self.idx.extend([base, base + 1, base + 2, base + 1, base + 3, base + 2]);
            done += len;
        }
    }

    pub fn into_mesh(mut self) -> Mesh {
        if self.pos.is_empty() {
            // The renderer wants at least one vertex: a degenerate triangle stands in.
            self.pos = vec![[0.0; 3]; 3];
            self.corner = vec![[0.0; 2]; 3];
            self.color = vec![[0.0; 4]; 3];
            self.style = vec![[1.0, 0.0, 0.0, 0.0]; 3];
            self.idx = vec![0, 1, 2];
        }
        Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default())
            .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, self.pos)
            .with_inserted_attribute(ATTRIBUTE_CORNER, self.corner)
            .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, self.color)
            .with_inserted_attribute(ATTRIBUTE_STYLE, self.style)
            .with_inserted_indices(Indices::U32(self.idx))
    }
}

fn spawn_layer(
    mut commands: Commands,
    meshes: Option<ResMut<Assets<Mesh>>>,
    materials: Option<ResMut<Assets<RouteMaterial>>>,
) {
    let (Some(mut meshes), Some(mut materials)) = (meshes, materials) else { return };
    let mesh = meshes.add(RouteVerts::default().into_mesh());
    let material = materials.add(RouteMaterial { params: Vec4::new(1.0, 25.0, 40.0, 0.0) });
    commands.spawn((RouteLayer, Mesh3d(mesh), MeshMaterial3d(material), NoFrustumCulling));
}

#[allow(clippy::too_many_arguments)]
fn build_routes(
    changes: Res<OverlayChanges>,
    layers: Res<OverlayLayers>,
    view: Res<OverlayView>,
    data: Res<FeedData>,
    city: Res<City>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    materials: Option<ResMut<Assets<RouteMaterial>>>,
    mut q: Query<(&Mesh3d, &MeshMaterial3d<RouteMaterial>, &mut Visibility), With<RouteLayer>>,
) {
    let Ok((mesh, material, mut vis)) = q.single_mut() else { return };
    if view.is_changed()
        && let Some(mut materials) = materials
        && let Some(mut m) = materials.get_mut(&material.0)
        && (m.params.x, m.params.w) != (view.px_scale, view.viewport_h)
    {
        (m.params.x, m.params.w) = (view.px_scale, view.viewport_h);
    }
    if layers.is_changed() {
        vis.set_if_neq(if layers.units { Visibility::Inherited } else { Visibility::Hidden });
    }
    if !changes.units {
        return;
    }
    let Some(mut meshes) = meshes else { return };
    let mut v = RouteVerts::default();
    for (_, u) in data.units.iter() {
        if u.status != UnitStatus::EnRoute || u.route.len() < 2 {
            continue;
        }
        let route: Vec<[f64; 2]> = u.route.iter().map(|q| local_of(&city, q[0], q[1])).collect();
        let [r, g, b] = kind_rgb(u.kind);
        v.push(&route, linear(r, g, b, 0.95));
    }
    let _ = meshes.insert(mesh.0.id(), v.into_mesh());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_is_a_ribbon_counting_down_to_the_incident() {
        let mut v = RouteVerts::default();
        v.push(&[[0.0, 0.0], [100.0, 0.0], [100.0, 50.0]], [1.0; 4]);
        assert_eq!(v.pos.len(), 8, "two segments, four vertices each");
        assert_eq!(v.idx.len(), 12);
        // Metres left: 150 at the unit, 50 at the corner, 0 at the incident.
        assert_eq!(v.corner[0][1], 150.0);
        assert_eq!(v.corner[2][1], 50.0);
        assert_eq!(v.corner[7][1], 0.0);
        // Directions east then north (scene z is south).
        assert_eq!(&v.style[0][..3], &[1.0, 0.0, 0.0]);
        assert_eq!(&v.style[4][..3], &[0.0, 0.0, -1.0]);
        v.push(&[[5.0, 5.0]], [1.0; 4]);
        assert_eq!(v.pos.len(), 8, "a single point adds nothing");
    }
}
