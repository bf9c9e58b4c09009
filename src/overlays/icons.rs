//! Icon layers: incidents (shape by category, colour by severity, grey once closed, dim when
//! stale, pulsing rings for new and urgent ones), cameras (online and offline distinct; clusters
//! with counts when zoomed out), facilities, supply depots and sensors (red when alarming). Each
//! layer is one mesh, rebuilt only when its kind changed, the selection changed or the view
//! crossed a cluster step.

use std::collections::HashMap;

use bevy::camera::visibility::NoFrustumCulling;
use bevy::prelude::*;
use twinhall_core::overlay::cluster::{Cluster, cell_for, cluster};
use twinhall_core::overlay::thin::{Urgency, most_urgent};
use twinhall_core::protocol::{EntityKind, FacilityKind, IncidentCategory, IncidentStatus, now_ms};

use super::material::{Icon, IconMaterial, IconVerts, RingMaterial, Shape, is_empty_layer};
use super::{OverlayChanges, Spatial};
use crate::context::{
    AppSystems, City, OverlayLayers, OverlayView, Selection, linear, local_of, scene_of, severity_rgb,
};
use crate::feed::FeedData;

/// One overlay mesh entity.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IconLayer {
    Incidents,
    Cameras,
    Facilities,
    Depots,
    Sensors,
    Units,
    Rings,
}

/// The meshes and materials of the icon layers.
#[derive(Resource)]
pub struct IconMeshes {
    pub meshes: HashMap<IconLayer, Handle<Mesh>>,
    pub icon: Handle<IconMaterial>,
    pub ring: Handle<RingMaterial>,
}

/// Camera clusters shown now (empty when every camera has its own icon), for the count labels.
#[derive(Resource, Default, Debug, Clone)]
pub struct CameraClusters {
    pub cell_m: Option<f64>,
    pub clusters: Vec<Cluster>,
}

/// Icon heights above the ground (metres): they are drawn over everything, the height only
/// places them.
pub const ICON_Y: f32 = 6.0;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<CameraClusters>().add_systems(Startup, spawn_layers).add_systems(
        Update,
        (build_incidents, build_cameras, build_points, build_rings, show_layers, scale_materials)
            .in_set(AppSystems::Draw),
    );
}

fn spawn_layers(
    mut commands: Commands,
    meshes: Option<ResMut<Assets<Mesh>>>,
    icons: Option<ResMut<Assets<IconMaterial>>>,
    rings: Option<ResMut<Assets<RingMaterial>>>,
) {
    let (Some(mut meshes), Some(mut icons), Some(mut rings)) = (meshes, icons, rings) else { return };
    let icon = icons.add(IconMaterial { params: Vec4::new(1.0, 0.0, 0.0, 0.0) });
    let ring = rings.add(RingMaterial { params: Vec4::new(1.0, 0.7, 0.0, 0.0) });
    let mut handles = HashMap::new();
    for layer in [
        IconLayer::Incidents,
        IconLayer::Cameras,
        IconLayer::Facilities,
        IconLayer::Depots,
        IconLayer::Sensors,
        IconLayer::Units,
        IconLayer::Rings,
    ] {
        let mesh = meshes.add(IconVerts::default().into_mesh(layer == IconLayer::Rings));
        let mut e =
            commands.spawn((layer, Mesh3d(mesh.clone()), Transform::IDENTITY, Visibility::Hidden, NoFrustumCulling));
        if layer == IconLayer::Rings {
            e.insert(MeshMaterial3d(ring.clone()));
        } else {
            e.insert(MeshMaterial3d(icon.clone()));
        }
        handles.insert(layer, mesh);
    }
    commands.insert_resource(IconMeshes { meshes: handles, icon, ring });
}

/// Replaces a layer's mesh.
pub fn set_mesh(meshes: &mut Assets<Mesh>, registry: &IconMeshes, layer: IconLayer, verts: IconVerts) {
    if let Some(h) = registry.meshes.get(&layer) {
        let rings = layer == IconLayer::Rings;
        let _ = meshes.insert(h.id(), verts.into_mesh(rings));
    }
}

/// Non-empty layers the user wants are visible.
fn show_layers(
    layers: Res<OverlayLayers>,
    meshes: Res<Assets<Mesh>>,
    mut q: Query<(&IconLayer, &Mesh3d, &mut Visibility)>,
    changed: Res<OverlayChanges>,
    mut events: MessageReader<AssetEvent<Mesh>>,
) {
    let any_mesh_event = events.read().count() > 0;
    if !layers.is_changed() && !changed.any() && !any_mesh_event {
        return;
    }
    for (layer, mesh, mut vis) in &mut q {
        let want = match layer {
            IconLayer::Incidents | IconLayer::Rings => layers.incidents,
            IconLayer::Cameras => layers.cameras,
            IconLayer::Facilities => layers.facilities,
            IconLayer::Depots => layers.depots,
            IconLayer::Sensors => layers.sensors,
            IconLayer::Units => layers.units,
        };
        let has = meshes.get(&mesh.0).is_some_and(|m| !is_empty_layer(m));
        vis.set_if_neq(if want && has { Visibility::Inherited } else { Visibility::Hidden });
    }
}

/// The icon scale follows the wall.
fn scale_materials(
    view: Res<OverlayView>,
    registry: Option<Res<IconMeshes>>,
    icons: Option<ResMut<Assets<IconMaterial>>>,
    rings: Option<ResMut<Assets<RingMaterial>>>,
    mut last: Local<(f32, f32)>,
) {
    let (Some(registry), Some(mut icons), Some(mut rings)) = (registry, icons, rings) else { return };
    // Sizes for the view's height: a second view (the console beside a wall) scales them to its own.
    let next = (view.px_scale, view.viewport_h);
    if *last == next {
        return;
    }
    *last = next;
    if let Some(mut m) = icons.get_mut(&registry.icon) {
        (m.params.x, m.params.w) = next;
    }
    if let Some(mut m) = rings.get_mut(&registry.ring) {
        (m.params.x, m.params.w) = next;
    }
}

pub fn category_shape(c: IncidentCategory) -> Shape {
    use IncidentCategory::*;
    match c {
        Dispute => Shape::Diamond,
        PublicOrder => Shape::Hexagon,
        Fire => Shape::Star,
        Traffic | WorkSafety => Shape::Triangle,
        CityManagement => Shape::Square,
        PublicHealth => Shape::Cross,
        Environment | Other => Shape::Circle,
    }
}

const STALE: [f32; 3] = [0.35, 0.36, 0.4];

/// Incidents drawn with their full icon at most; beyond, the rest are dots.
pub const INCIDENT_ICON_BUDGET: usize = 150;

fn build_incidents(
    changes: Res<OverlayChanges>,
    data: Res<FeedData>,
    spatial: Res<Spatial>,
    filter: Res<crate::context::IncidentFilter>,
    registry: Option<Res<IconMeshes>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
) {
    let (Some(registry), Some(mut meshes)) = (registry, meshes) else { return };
    if !changes.incidents && !filter.is_changed() {
        return;
    }
    let mut v = IconVerts::with_capacity(data.incidents.len());
    // Beyond the budget only the most urgent keep their full icon; the rest are small dots in
    // their severity's colour, which read as density rather than a blanket of shapes.
    let mut shown: Vec<(Urgency, u32)> = data
        .incidents
        .iter()
        .filter(|(_, i)| filter.admits(i))
        .map(|(slot, i)| {
            let open = i.status < IncidentStatus::Feedback;
            (Urgency { severity: if open { i.severity + 1 } else { 0 }, reported_at: i.reported_at }, slot)
        })
        .collect();
    let crowded = shown.len() > INCIDENT_ICON_BUDGET;
    if crowded {
        let mut all = shown.clone();
        most_urgent(&mut shown, INCIDENT_ICON_BUDGET);
        let full: std::collections::HashSet<u32> = shown.iter().map(|s| s.1).collect();
        all.retain(|s| !full.contains(&s.1));
        for (u, slot) in all {
            let Some(p) = spatial.incidents.at(slot) else { continue };
            let [r, g, b] = if u.severity == 0 { [0.55, 0.58, 0.62] } else { severity_rgb(u.severity - 1) };
            let mut dot = Icon::at(scene_of(p, ICON_Y + 2.0), linear(r, g, b, 0.75), 6.0, Shape::Circle);
            dot.outline = 0.0;
            v.push(&dot);
        }
    }
    // The full icons last, so they draw over the dots.
    for (_, slot) in shown {
        let Some(i) = data.incidents.slot(slot) else { continue };
        let closed = i.status >= IncidentStatus::Feedback;
        let stale = data.incidents.is_stale(slot);
        let [r, g, b] = if stale {
            STALE
        } else if closed {
            [0.55, 0.58, 0.62]
        } else {
            severity_rgb(i.severity)
        };
        let size = if closed { 16.0 } else { 20.0 + 2.0 * f32::from(i.severity.min(4)) };
        let Some(p) = spatial.incidents.at(slot) else { continue };
        v.push(&Icon::at(
            scene_of(p, ICON_Y + 4.0),
            linear(r, g, b, if stale { 0.7 } else { 1.0 }),
            size,
            category_shape(i.category),
        ));
    }
    set_mesh(&mut meshes, &registry, IconLayer::Incidents, v);
}

fn build_cameras(
    changes: Res<OverlayChanges>,
    data: Res<FeedData>,
    spatial: Res<Spatial>,
    view: Res<OverlayView>,
    registry: Option<Res<IconMeshes>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    mut clusters: ResMut<CameraClusters>,
) {
    let (Some(registry), Some(mut meshes)) = (registry, meshes) else { return };
    let cell = cell_for(view.distance_m, data.cameras.len());
    if !changes.cameras && cell == clusters.cell_m {
        return;
    }
    let mut v = IconVerts::with_capacity(data.cameras.len());
    match cell {
        None => {
            for (slot, c) in data.cameras.iter() {
                let stale = data.cameras.is_stale(slot);
                let colour = if stale {
                    linear(STALE[0], STALE[1], STALE[2], 0.8)
                } else if c.online {
                    linear(0.2, 0.95, 0.95, 0.85)
                } else {
                    linear(0.5, 0.5, 0.55, 0.9)
                };
                let Some(p) = spatial.cameras.at(slot) else { continue };
                v.push(&Icon::at(scene_of(p, ICON_Y), colour, if c.online { 8.0 } else { 7.0 }, Shape::Square));
            }
            clusters.clusters.clear();
        }
        Some(cell_m) => {
            let points = data.cameras.iter().filter_map(|(slot, _)| spatial.cameras.at(slot).map(|p| (slot, p)));
            clusters.clusters = cluster(points, cell_m);
            for c in &clusters.clusters {
                let size = 14.0 + 7.0 * (c.count as f32).log10();
                v.push(&Icon::at(scene_of(c.centre, ICON_Y), linear(0.1, 0.65, 0.7, 0.92), size, Shape::Circle));
            }
        }
    }
    clusters.cell_m = cell;
    debug!("cameras: {} icons ({} clusters, cell {:?})", v.len(), clusters.clusters.len(), cell);
    set_mesh(&mut meshes, &registry, IconLayer::Cameras, v);
}

pub fn facility_style(k: FacilityKind) -> ([f32; 3], Shape, f32) {
    match k {
        FacilityKind::Hospital => ([1.0, 0.3, 0.35], Shape::Cross, 18.0),
        FacilityKind::FireStation => ([1.0, 0.45, 0.1], Shape::Star, 18.0),
        FacilityKind::PoliceStation => ([0.3, 0.55, 1.0], Shape::Hexagon, 18.0),
        FacilityKind::Shelter => ([0.3, 0.9, 0.45], Shape::Square, 16.0),
        FacilityKind::School => ([0.95, 0.85, 0.3], Shape::Circle, 13.0),
        FacilityKind::Hydrant => ([0.9, 0.2, 0.2], Shape::Circle, 8.0),
        FacilityKind::Pharmacy => ([0.4, 0.9, 0.6], Shape::Cross, 12.0),
        FacilityKind::Other => ([0.7, 0.7, 0.75], Shape::Circle, 10.0),
    }
}

/// Facilities, supply depots and sensors: few and rarely changing, one system for the three, each
/// layer rebuilt only when its kind changed.
fn build_points(
    changes: Res<OverlayChanges>,
    data: Res<FeedData>,
    spatial: Res<Spatial>,
    registry: Option<Res<IconMeshes>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
) {
    let (Some(registry), Some(mut meshes)) = (registry, meshes) else { return };
    if changes.facilities {
        let mut v = IconVerts::with_capacity(data.facilities.len());
        for (slot, f) in data.facilities.iter() {
            let ([r, g, b], shape, size) = facility_style(f.kind);
            if let Some(p) = spatial.facilities.at(slot) {
                v.push(&Icon::at(scene_of(p, ICON_Y), linear(r, g, b, 1.0), size, shape));
            }
        }
        set_mesh(&mut meshes, &registry, IconLayer::Facilities, v);
    }
    if changes.depots {
        let mut v = IconVerts::with_capacity(data.supply_depots.len());
        for (slot, _) in data.supply_depots.iter() {
            if let Some(p) = spatial.depots.at(slot) {
                v.push(&Icon::at(scene_of(p, ICON_Y), linear(0.85, 0.6, 0.25, 1.0), 18.0, Shape::Square));
            }
        }
        set_mesh(&mut meshes, &registry, IconLayer::Depots, v);
    }
    if changes.sensors {
        let mut v = IconVerts::with_capacity(data.sensors.len());
        for (slot, s) in data.sensors.iter() {
            let (colour, size) = if data.sensors.is_stale(slot) {
                (linear(STALE[0], STALE[1], STALE[2], 0.8), 10.0)
            } else if s.alarm {
                (linear(1.0, 0.1, 0.1, 1.0), 16.0)
            } else {
                (linear(0.6, 0.95, 0.3, 1.0), 10.0)
            };
            if let Some(p) = spatial.sensors.at(slot) {
                v.push(&Icon::at(scene_of(p, ICON_Y), colour, size, Shape::Triangle));
            }
        }
        set_mesh(&mut meshes, &registry, IconLayer::Sensors, v);
    }
}

/// Pulsing incident rings at most, the most urgent first.
pub const MAX_RINGS: usize = 60;

/// Rings: open incidents reported in the last five minutes or of severity 3-4 (at most
/// [`MAX_RINGS`], the most severe then the newest), alarming sensors, and the selection (white).
/// Rebuilt when incidents, sensors or the selection change.
#[allow(clippy::too_many_arguments)]
fn build_rings(
    changes: Res<OverlayChanges>,
    selection: Res<Selection>,
    data: Res<FeedData>,
    city: Res<City>,
    spatial: Res<Spatial>,
    filter: Res<crate::context::IncidentFilter>,
    registry: Option<Res<IconMeshes>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    mut last_minute: Local<i64>,
) {
    let (Some(registry), Some(mut meshes)) = (registry, meshes) else { return };
    // New incidents stop pulsing five minutes on: look again once a minute.
    let minute = now_ms() / 60_000;
    let unchanged = !changes.incidents && !changes.sensors && !selection.is_changed() && !filter.is_changed();
    if unchanged && minute == *last_minute {
        return;
    }
    *last_minute = minute;
    let now = now_ms();
    let mut v = IconVerts::default();
    let mut urgent: Vec<(Urgency, u32)> = data
        .incidents
        .iter()
        .filter(|(slot, i)| {
            let open = i.status < IncidentStatus::Feedback;
            let urgent = i.severity >= 3 || now - i.reported_at < 300_000;
            open && urgent && filter.admits(i) && !data.incidents.is_stale(*slot)
        })
        .map(|(slot, i)| (Urgency { severity: i.severity, reported_at: i.reported_at }, slot))
        .collect();
    // Thousands of pulsing rings read as none: the most severe, then the newest, get one.
    most_urgent(&mut urgent, MAX_RINGS);
    for (u, slot) in urgent {
        let [r, g, b] = severity_rgb(u.severity);
        let Some(p) = spatial.incidents.at(slot) else { continue };
        let mut ring = Icon::at(scene_of(p, ICON_Y), linear(r, g, b, 0.9), 64.0, Shape::Circle);
        // The ring shader reads this as the phase, so neighbours do not pulse in step.
        ring.heading = (slot % 7) as f32 / 7.0;
        v.push(&ring);
    }
    for (slot, _) in data.sensors.iter().filter(|(_, s)| s.alarm) {
        if let Some(p) = spatial.sensors.at(slot) {
            v.push(&Icon::at(scene_of(p, ICON_Y), linear(1.0, 0.15, 0.1, 0.8), 48.0, Shape::Circle));
        }
    }
    if let Some(sel) = &selection.selected
        && let Some(p) = position_of(&data, &city, sel.kind, &sel.id)
    {
        v.push(&Icon::at(scene_of(p, ICON_Y), linear(1.0, 1.0, 1.0, 1.0), 80.0, Shape::Circle));
    }
    set_mesh(&mut meshes, &registry, IconLayer::Rings, v);
}

/// Local position of an entity, for the selection ring, search and fly-to.
pub fn position_of(data: &FeedData, city: &City, kind: EntityKind, id: &str) -> Option<[f64; 2]> {
    let ll = match kind {
        EntityKind::Incident => data.incidents.get(id).map(|e| (e.lon, e.lat)),
        EntityKind::Camera => data.cameras.get(id).map(|e| (e.lon, e.lat)),
        EntityKind::Facility => data.facilities.get(id).map(|e| (e.lon, e.lat)),
        EntityKind::SupplyDepot => data.supply_depots.get(id).map(|e| (e.lon, e.lat)),
        EntityKind::Unit => data.units.get(id).map(|e| (e.lon, e.lat)),
        EntityKind::Sensor => data.sensors.get(id).map(|e| (e.lon, e.lat)),
        EntityKind::Area => data.areas.get(id).map(|a| {
            let n = a.ring.len().max(1) as f64;
            (a.ring.iter().map(|p| p[0]).sum::<f64>() / n, a.ring.iter().map(|p| p[1]).sum::<f64>() / n)
        }),
    }?;
    Some(local_of(city, ll.0, ll.1))
}
