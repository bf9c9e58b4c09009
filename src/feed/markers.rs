//! First, simple view of the feed on the twin: a marker per unit, incident and camera, moved or
//! recoloured only when the store says that id changed. The overlays issue replaces these with
//! the rich layers (icons, labels, cones, trails).

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::protocol::{IncidentStatus, UnitKind};

use super::FeedData;
use crate::context::{AppSystems, City};

/// Meshes and materials the markers share.
#[derive(Resource)]
pub struct MarkerAssets {
    pub unit: Handle<Mesh>,
    pub walker: Handle<Mesh>,
    pub incident: Handle<Mesh>,
    pub camera: Handle<Mesh>,
    pub unit_colours: [Handle<StandardMaterial>; 6],
    pub severity: [Handle<StandardMaterial>; 4],
    pub closed: Handle<StandardMaterial>,
    pub camera_on: Handle<StandardMaterial>,
    pub camera_off: Handle<StandardMaterial>,
    /// Past its stale-after time.
    pub stale: Handle<StandardMaterial>,
}

/// Which marker entity shows which store slot (slots stay with their ids: see
/// `twinhall_core::store`), so an update reaches its entity without hashing the id.
#[derive(Resource, Default)]
pub struct MarkerIndex {
    pub units: Vec<Option<Entity>>,
    pub incidents: Vec<Option<Entity>>,
    pub cameras: Vec<Option<Entity>>,
}

/// A marker, tagged with the feed id it shows.
#[derive(Component, Debug, Clone)]
pub struct FeedMarker(pub String);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MarkerIndex>()
        .add_systems(Startup, make_marker_assets)
        .add_systems(Update, update_markers.in_set(AppSystems::Analyse).run_if(resource_changed::<FeedData>));
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
            flat(0.3, 0.95, 1.0),
        ],
        severity: [flat(0.3, 0.6, 1.0), flat(1.0, 0.85, 0.1), flat(1.0, 0.55, 0.1), flat(1.0, 0.1, 0.1)],
        closed: flat(0.45, 0.48, 0.52),
        camera_on: flat(0.2, 1.0, 0.95),
        camera_off: flat(0.35, 0.38, 0.4),
        stale: flat(0.22, 0.22, 0.24),
    };
    commands.insert_resource(assets);
}

pub fn unit_colour(kind: UnitKind) -> usize {
    match kind {
        UnitKind::PoliceCar => 0,
        UnitKind::FireEngine => 1,
        UnitKind::Ambulance => 2,
        UnitKind::GridWorker => 3,
        UnitKind::Volunteer => 4,
        UnitKind::Drone => 5,
    }
}

/// Scene position of a lon/lat at a height.
fn place(city: &City, lon: f64, lat: f64, y: f32) -> Vec3 {
    let p = city.model.frame.to_local(LonLat::new(lon, lat));
    Vec3::new(p[0] as f32, y, -p[1] as f32)
}

type Want<'a> = Option<(&'a str, Transform, &'a Handle<Mesh>, &'a Handle<StandardMaterial>)>;

type MarkerQuery<'w, 's> = Query<
    'w,
    's,
    (
        &'static mut Transform,
        &'static mut MeshMaterial3d<StandardMaterial>,
        &'static mut Mesh3d,
        &'static mut FeedMarker,
    ),
>;

/// Updates the marker of a slot in place, spawns it, or despawns it.
fn sync_marker(commands: &mut Commands, q: &mut MarkerQuery, index: &mut Vec<Option<Entity>>, slot: u32, want: Want) {
    let slot = slot as usize;
    if index.len() <= slot {
        index.resize(slot + 1, None);
    }
    match (want, index[slot]) {
        (Some((id, t, mesh, m)), Some(e)) => {
            if let Ok((mut tf, mut mat, mut m3, mut marker)) = q.get_mut(e) {
                tf.set_if_neq(t);
                if mat.0 != *m {
                    mat.0 = m.clone();
                }
                if m3.0 != *mesh {
                    m3.0 = mesh.clone();
                }
                if marker.0 != id {
                    id.clone_into(&mut marker.0);
                }
            }
        }
        (Some((id, t, mesh, m)), None) => {
            let e = commands
                .spawn((
                    FeedMarker(id.to_owned()),
                    Mesh3d(mesh.clone()),
                    MeshMaterial3d(m.clone()),
                    t,
                    Visibility::Inherited,
                ))
                .id();
            index[slot] = Some(e);
        }
        (None, Some(e)) => {
            commands.entity(e).despawn();
            index[slot] = None;
        }
        (None, None) => {}
    }
}

/// Moves, recolours, spawns or despawns the markers of the slots that changed.
pub fn update_markers(
    mut commands: Commands,
    mut data: ResMut<FeedData>,
    city: Res<City>,
    assets: Option<Res<MarkerAssets>>,
    mut index: ResMut<MarkerIndex>,
    mut q: MarkerQuery,
) {
    let Some(a) = assets else { return };
    let index = &mut *index;
    // Taking the dirty lists is bookkeeping, not a change for other readers.
    let data = data.bypass_change_detection();
    for slot in data.units.take_dirty() {
        let stale = data.units.is_stale(slot);
        let want = data.units.slot(slot).map(|u| {
            let walker = u.kind.walks();
            let t = Transform::from_translation(place(&city, u.lon, u.lat, 4.0))
                .with_rotation(Quat::from_rotation_y(-u.heading_deg.to_radians()));
            let mesh = if walker { &a.walker } else { &a.unit };
            let m = if stale { &a.stale } else { &a.unit_colours[unit_colour(u.kind)] };
            (u.id.as_str(), t, mesh, m)
        });
        sync_marker(&mut commands, &mut q, &mut index.units, slot, want);
    }
    for slot in data.incidents.take_dirty() {
        let stale = data.incidents.is_stale(slot);
        let want = data.incidents.slot(slot).map(|i| {
            let t = Transform::from_translation(place(&city, i.lon, i.lat, 30.0));
            let m = if stale {
                &a.stale
            } else if i.status >= IncidentStatus::Feedback {
                &a.closed
            } else {
                &a.severity[usize::from(i.severity.clamp(1, 4) - 1)]
            };
            (i.id.as_str(), t, &a.incident, m)
        });
        sync_marker(&mut commands, &mut q, &mut index.incidents, slot, want);
    }
    for slot in data.cameras.take_dirty() {
        let stale = data.cameras.is_stale(slot);
        let want = data.cameras.slot(slot).map(|c| {
            let t = Transform::from_translation(place(&city, c.lon, c.lat, c.height_m));
            let m = if stale || !c.online { &a.camera_off } else { &a.camera_on };
            (c.id.as_str(), t, &a.camera, m)
        });
        sync_marker(&mut commands, &mut q, &mut index.cameras, slot, want);
    }
}
