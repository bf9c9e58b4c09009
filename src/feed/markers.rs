//! First, simple view of the feed on the twin: a marker per unit, incident and camera, moved or
//! recoloured only when the store says that id changed. The overlays issue replaces these with
//! the rich layers (icons, labels, cones, trails).

use std::collections::HashMap;

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::protocol::{IncidentStatus, UnitKind};

use super::FeedStore;
use crate::AppSystems;
use crate::city::City;

#[derive(Resource)]
struct MarkerAssets {
    unit: Handle<Mesh>,
    walker: Handle<Mesh>,
    incident: Handle<Mesh>,
    camera: Handle<Mesh>,
    unit_colours: [Handle<StandardMaterial>; 5],
    severity: [Handle<StandardMaterial>; 4],
    closed: Handle<StandardMaterial>,
    camera_on: Handle<StandardMaterial>,
    camera_off: Handle<StandardMaterial>,
}

/// Which marker entity shows which feed id.
#[derive(Resource, Default)]
pub struct MarkerIndex {
    pub units: HashMap<String, Entity>,
    pub incidents: HashMap<String, Entity>,
    pub cameras: HashMap<String, Entity>,
}

/// A marker, tagged with the feed id it shows.
#[derive(Component, Debug, Clone)]
pub struct FeedMarker(pub String);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MarkerIndex>()
        .add_systems(Startup, make_marker_assets)
        .add_systems(Update, update_markers.in_set(AppSystems::UpdateOverlays));
}

fn make_marker_assets(
    mut commands: Commands,
    meshes: Option<ResMut<Assets<Mesh>>>,
    materials: Option<ResMut<Assets<StandardMaterial>>>,
) {
    let (Some(mut meshes), Some(mut materials)) = (meshes, materials) else { return };
    let mut flat = |r: f32, g: f32, b: f32| {
        materials.add(StandardMaterial { base_color: Color::srgb(r, g, b), unlit: true, ..default() })
    };
    let assets = MarkerAssets {
        unit: meshes.add(Cuboid::new(8.0, 6.0, 14.0)),
        walker: meshes.add(Cuboid::new(4.0, 8.0, 4.0)),
        incident: meshes.add(Cylinder::new(7.0, 60.0)),
        camera: meshes.add(Cuboid::new(5.0, 5.0, 5.0)),
        unit_colours: [
            flat(0.25, 0.55, 1.0),
            flat(1.0, 0.25, 0.2),
            flat(0.95, 0.95, 0.95),
            flat(0.3, 0.95, 0.45),
            flat(1.0, 0.85, 0.2),
        ],
        severity: [flat(0.3, 0.6, 1.0), flat(1.0, 0.85, 0.1), flat(1.0, 0.55, 0.1), flat(1.0, 0.1, 0.1)],
        closed: flat(0.45, 0.48, 0.52),
        camera_on: flat(0.2, 1.0, 0.95),
        camera_off: flat(0.35, 0.38, 0.4),
    };
    commands.insert_resource(assets);
}

fn unit_colour(kind: UnitKind) -> usize {
    match kind {
        UnitKind::PoliceCar => 0,
        UnitKind::FireEngine => 1,
        UnitKind::Ambulance => 2,
        UnitKind::GridWorker => 3,
        UnitKind::Volunteer => 4,
    }
}

/// Scene position of a lon/lat at a height.
fn place(city: &City, lon: f64, lat: f64, y: f32) -> Vec3 {
    let p = city.model.frame.to_local(LonLat::new(lon, lat));
    Vec3::new(p[0] as f32, y, -p[1] as f32)
}

/// Moves, recolours, spawns or despawns the marker of `id`.
fn sync_marker(
    commands: &mut Commands,
    index: &mut HashMap<String, Entity>,
    id: String,
    want: Option<(Transform, Handle<Mesh>, Handle<StandardMaterial>)>,
) {
    match (want, index.get(&id).copied()) {
        (Some((t, _, m)), Some(e)) => {
            commands.entity(e).insert((t, MeshMaterial3d(m)));
        }
        (Some((t, mesh, m)), None) => {
            let e = commands
                .spawn((FeedMarker(id.clone()), Mesh3d(mesh), MeshMaterial3d(m), t, Visibility::Inherited))
                .id();
            index.insert(id, e);
        }
        (None, Some(e)) => {
            commands.entity(e).despawn();
            index.remove(&id);
        }
        (None, None) => {}
    }
}

fn update_markers(
    mut commands: Commands,
    mut store: ResMut<FeedStore>,
    city: Res<City>,
    assets: Option<Res<MarkerAssets>>,
    mut index: ResMut<MarkerIndex>,
) {
    let Some(a) = assets else { return };
    let index = &mut *index;
    for id in store.units.take_dirty() {
        let want = store.units.items.get(&id).map(|u| {
            let walker = matches!(u.kind, UnitKind::GridWorker | UnitKind::Volunteer);
            let t = Transform::from_translation(place(&city, u.lon, u.lat, 4.0))
                .with_rotation(Quat::from_rotation_y(-u.heading_deg.to_radians()));
            let mesh = if walker { a.walker.clone() } else { a.unit.clone() };
            (t, mesh, a.unit_colours[unit_colour(u.kind)].clone())
        });
        sync_marker(&mut commands, &mut index.units, id, want);
    }
    for id in store.incidents.take_dirty() {
        let want = store.incidents.items.get(&id).map(|i| {
            let t = Transform::from_translation(place(&city, i.lon, i.lat, 30.0));
            let m = if i.status >= IncidentStatus::Feedback {
                a.closed.clone()
            } else {
                a.severity[usize::from(i.severity.clamp(1, 4) - 1)].clone()
            };
            (t, a.incident.clone(), m)
        });
        sync_marker(&mut commands, &mut index.incidents, id, want);
    }
    for id in store.cameras.take_dirty() {
        let want = store.cameras.items.get(&id).map(|c| {
            let t = Transform::from_translation(place(&city, c.lon, c.lat, c.height_m));
            (t, a.camera.clone(), if c.online { a.camera_on.clone() } else { a.camera_off.clone() })
        });
        sync_marker(&mut commands, &mut index.cameras, id, want);
    }
}
