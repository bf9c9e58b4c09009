//! Live overlays on the twin, drawn from the feed store: incidents, cameras (with view cones),
//! facilities, supply depots, sensors, units (moving smoothly between reports, with trails) and
//! grid areas (outlines and a four-colour choropleth), with labels decluttered by priority,
//! clusters when zoomed out, search, hover, click details and "cameras near here".
//!
//! Work happens on change: `collect_changes` takes the store's changed slots once a frame and
//! each layer rebuilds only when its kind changed (or the view crossed a cluster step). Icons are
//! screen-space quads drawn by shaders (shaders://overlay_icon.wgsl, shaders://pulse_ring.wgsl);
//! units move on the GPU between reports. The GPU-free parts live in `twinhall_core::overlay`.

mod areas;
mod cones;
mod icons;
mod labels;
mod material;
mod panel;
mod pick;
mod routes;
pub mod text;
mod units;

pub use icons::severity_rgb;
pub use labels::{LabelLayout, unit_eta_s};
pub use material::{IconMaterial, RingMaterial};
pub use panel::{request_image, request_still};

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use twinhall_core::LonLat;
use twinhall_core::frame::LocalGrid;
use twinhall_core::overlay::spatial::PointGrid;
use twinhall_core::protocol::{AreaLevel, EntityKind};

use crate::AppSystems;
use crate::camera::OrbitCamera;
use crate::city::City;
use crate::feed::FeedData;

/// Which overlay layers show, and the area level of the choropleth.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct OverlayLayers {
    pub incidents: bool,
    pub units: bool,
    pub cameras: bool,
    pub cones: bool,
    pub facilities: bool,
    pub depots: bool,
    pub sensors: bool,
    pub areas: bool,
    pub labels: bool,
    pub area_level: AreaLevel,
}

impl Default for OverlayLayers {
    fn default() -> Self {
        Self {
            incidents: true,
            units: true,
            cameras: true,
            cones: true,
            facilities: true,
            depots: true,
            sensors: true,
            areas: true,
            labels: true,
            area_level: AreaLevel::District,
        }
    }
}

/// An entity of the feed, by kind and id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FeedRef {
    pub kind: EntityKind,
    pub id: String,
}

/// What the user pointed at: hovered, selected (detail panel), and the cameras covering a point
/// that was right-clicked.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Selection {
    pub hovered: Option<FeedRef>,
    pub selected: Option<FeedRef>,
    pub near_here: Option<NearHere>,
}

/// "Cameras near here": the point and the cameras whose view covers it, nearest first.
#[derive(Debug, Clone, PartialEq)]
pub struct NearHere {
    pub at: LonLat,
    pub cameras: Vec<(String, f64)>,
}

/// The camera's view as the overlays need it: updated when the camera or window changes.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct OverlayView {
    pub clip_from_world: Mat4,
    /// Viewport size in logical pixels.
    pub size: Vec2,
    pub distance_m: f32,
    /// Ground point looked at, local metres.
    pub focus: [f64; 2],
    /// Icon scale for the wall (1 up to 1080 px tall, more on taller walls).
    pub px_scale: f32,
}

impl Default for OverlayView {
    fn default() -> Self {
        Self { clip_from_world: Mat4::IDENTITY, size: Vec2::ZERO, distance_m: 1000.0, focus: [0.0, 0.0], px_scale: 1.0 }
    }
}

impl OverlayView {
    /// Screen position (logical px, origin top left) of a scene point, if in front of the camera.
    pub fn to_screen(&self, p: Vec3) -> Option<Vec2> {
        let c = self.clip_from_world * p.extend(1.0);
        if c.w <= 1e-3 {
            return None;
        }
        let ndc = c.truncate() / c.w;
        if ndc.x.abs() > 1.2 || ndc.y.abs() > 1.2 {
            return None;
        }
        Some(Vec2::new((ndc.x + 1.0) * 0.5 * self.size.x, (1.0 - ndc.y) * 0.5 * self.size.y))
    }

    /// Ground metres a pixel spans at the focus.
    pub fn metres_per_px(&self) -> f64 {
        let fov = std::f32::consts::FRAC_PI_4;
        f64::from(2.0 * self.distance_m * (fov / 2.0).tan() / self.size.y.max(1.0))
    }
}

/// Which kinds changed this frame (the layers rebuild only these).
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverlayChanges {
    pub incidents: bool,
    pub units: bool,
    pub cameras: bool,
    pub facilities: bool,
    pub depots: bool,
    pub sensors: bool,
    pub areas: bool,
}

impl OverlayChanges {
    pub fn any(&self) -> bool {
        self.incidents || self.units || self.cameras || self.facilities || self.depots || self.sensors || self.areas
    }
}

/// One kind's positions by store slot (local metres, computed once per report) and a grid
/// over them.
#[derive(Debug)]
pub struct KindIndex {
    pub grid: PointGrid,
    pos: Vec<Option<[f64; 2]>>,
}

impl KindIndex {
    fn new(cell_m: f64) -> Self {
        Self { grid: PointGrid::new(cell_m), pos: Vec::new() }
    }

    /// Position of the entity in `slot`, as last reported.
    pub fn at(&self, slot: u32) -> Option<[f64; 2]> {
        self.pos.get(slot as usize).copied().flatten()
    }

    /// Slots within `radius` of `p`, nearest first.
    pub fn within(&self, p: [f64; 2], radius: f64) -> Vec<(u32, f64)> {
        self.grid.within(p, radius)
    }

    /// Recomputes the positions of these slots.
    fn update_positions(&mut self, dirty: &[u32], slots: usize, at: impl Fn(u32) -> Option<[f64; 2]>) {
        self.pos.resize(slots.max(self.pos.len()), None);
        for &s in dirty {
            if let Some(p) = self.pos.get_mut(s as usize) {
                *p = at(s);
            }
        }
    }

    /// Rebuilds the grid from the cached positions.
    fn rebuild_grid(&mut self) {
        self.grid.clear();
        for (s, p) in self.pos.iter().enumerate() {
            if let Some(p) = p {
                self.grid.insert(s as u32, *p);
            }
        }
    }
}

/// Positions and grids per kind, for the layers, picking, labels and coverage; updated for the
/// slots that changed.
#[derive(Resource, Debug)]
pub struct Spatial {
    pub incidents: KindIndex,
    pub cameras: KindIndex,
    pub facilities: KindIndex,
    pub depots: KindIndex,
    pub sensors: KindIndex,
    /// Units at their last report (their drawn position is `units::UnitMotions`).
    pub units: KindIndex,
}

impl Spatial {
    /// The index of kind `k` in `OverlayChanges` order (areas have none).
    fn kind_mut(&mut self, k: usize) -> Option<&mut KindIndex> {
        match k {
            0 => Some(&mut self.incidents),
            1 => Some(&mut self.units),
            2 => Some(&mut self.cameras),
            3 => Some(&mut self.facilities),
            4 => Some(&mut self.depots),
            5 => Some(&mut self.sensors),
            _ => None,
        }
    }
}

impl Default for Spatial {
    fn default() -> Self {
        Self {
            incidents: KindIndex::new(250.0),
            cameras: KindIndex::new(100.0),
            facilities: KindIndex::new(250.0),
            depots: KindIndex::new(250.0),
            sensors: KindIndex::new(250.0),
            units: KindIndex::new(250.0),
        }
    }
}

/// Ordering within the overlays.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OverlaySystems {
    Changes,
    Build,
    Layout,
}

pub fn plugin(app: &mut App) {
    app.init_resource::<OverlayLayers>()
        .init_resource::<Selection>()
        .init_resource::<OverlayView>()
        .init_resource::<OverlayChanges>()
        .init_resource::<Spatial>()
        .configure_sets(
            Update,
            (OverlaySystems::Changes, OverlaySystems::Build, OverlaySystems::Layout)
                .chain()
                .in_set(AppSystems::UpdateOverlays),
        )
        .add_systems(Update, (update_view, collect_changes).in_set(OverlaySystems::Changes))
        .add_plugins((
            material::plugin,
            icons::plugin,
            units::plugin,
            routes::plugin,
            cones::plugin,
            areas::plugin,
            labels::plugin,
            pick::plugin,
            panel::plugin,
        ));
}

/// Local metres of a lon/lat, and its scene position at a height.
pub fn local_of(city: &City, lon: f64, lat: f64) -> [f64; 2] {
    city.model.frame.to_local(LonLat::new(lon, lat))
}

pub fn scene_of(local: [f64; 2], y: f32) -> Vec3 {
    Vec3::new(local[0] as f32, y, -local[1] as f32)
}

/// The orbit camera, when it or its projection changed.
type MovedCamera<'w, 's> = Query<
    'w,
    's,
    (&'static Camera, &'static GlobalTransform, &'static OrbitCamera),
    Or<(Changed<GlobalTransform>, Changed<Camera>)>,
>;

fn update_view(cams: MovedCamera, windows: Query<&Window, With<PrimaryWindow>>, mut view: ResMut<OverlayView>) {
    let Ok((camera, transform, orbit)) = cams.single() else { return };
    let Ok(window) = windows.single() else { return };
    let next = OverlayView {
        clip_from_world: camera.clip_from_view() * transform.to_matrix().inverse(),
        size: Vec2::new(window.width(), window.height()),
        distance_m: orbit.distance_m,
        focus: [f64::from(orbit.focus.x), -f64::from(orbit.focus.z)],
        px_scale: crate::ui::fonts::ui_scale_for_height(window.physical_height() as f32),
    };
    view.set_if_neq(next);
}

/// Slots whose positions are still to be computed, by kind (in `OverlayChanges` order).
#[derive(Default)]
struct Pending {
    slots: [Vec<u32>; 7],
    waiting: [bool; 7],
    /// The kind to look at first next frame: kinds take turns, so a stream of unit reports
    /// never starves the others.
    first: usize,
    /// Whether last frame's rebuilds were put off (they never are twice in a row).
    deferred: bool,
}

/// Positions computed per frame when a batch's work is spread over frames (a sixth of it on the
/// frame the batch was applied).
const SLOTS_PER_FRAME: usize = 6000;
/// More pending than this (a snapshot) is done at once.
const BULK: usize = 30_000;

/// Takes the store's changed slots once a frame and computes their positions, spreading a
/// batch's work over the next frames (at most `SLOTS_PER_FRAME` a frame, a sixth of that on the
/// frame the batch was applied) so that no frame carries it all; a kind is reported changed, and
/// its layers rebuilt, once all its positions are in, one kind a frame, taking turns.
fn collect_changes(
    mut data: ResMut<FeedData>,
    city: Res<City>,
    mut changes: ResMut<OverlayChanges>,
    mut spatial: ResMut<Spatial>,
    mut pending: Local<Pending>,
    mut fast: Local<Option<LocalGrid>>,
) {
    if fast.is_none() || city.is_changed() {
        // The city plus 5 km around it, in 0.005° cells (millimetres from the exact projection).
        let b = city.model.bounds();
        let (min, max) = if b.min[0].is_finite() { (b.min, b.max) } else { ([0.0, 0.0], [0.0, 0.0]) };
        *fast = Some(LocalGrid::new(&city.model.frame, min, max, 5000.0, 0.005));
    }
    let Some(fast) = fast.as_ref() else { return };
    let applied_now = data.is_changed();
    let data = data.bypass_change_detection();
    let taken = [
        data.incidents.take_dirty(),
        data.units.take_dirty(),
        data.cameras.take_dirty(),
        data.facilities.take_dirty(),
        data.supply_depots.take_dirty(),
        data.sensors.take_dirty(),
        data.areas.take_dirty(),
    ];
    for (k, t) in taken.into_iter().enumerate() {
        if !t.is_empty() {
            pending.slots[k].extend(t);
            pending.waiting[k] = true;
        }
    }
    let total: usize = pending.slots.iter().map(Vec::len).sum();
    let mut budget = if total > BULK {
        usize::MAX
    } else if applied_now {
        // Some progress even when every frame applies a batch (a slow renderer).
        SLOTS_PER_FRAME / 6
    } else {
        SLOTS_PER_FRAME
    };
    let mut done = [false; 7];
    let l = |lon, lat| fast.to_local(LonLat::new(lon, lat));
    let s = &mut *spatial;
    let defer = applied_now && total <= BULK && !pending.deferred;
    pending.deferred = defer;
    let first = pending.first;
    for k in (first..7).chain(0..first) {
        if !pending.waiting[k] {
            continue;
        }
        // Areas have no point position: nothing to compute.
        let n = if k == 6 { pending.slots[k].len() } else { pending.slots[k].len().min(budget) };
        let chunk: Vec<u32> = pending.slots[k].drain(..n).collect();
        budget = budget.saturating_sub(n);
        let index = match k {
            0 => Some((&mut s.incidents, data.incidents.slot_count())),
            1 => Some((&mut s.units, data.units.slot_count())),
            2 => Some((&mut s.cameras, data.cameras.slot_count())),
            3 => Some((&mut s.facilities, data.facilities.slot_count())),
            4 => Some((&mut s.depots, data.supply_depots.slot_count())),
            5 => Some((&mut s.sensors, data.sensors.slot_count())),
            _ => None,
        };
        if let Some((index, slots)) = index {
            match k {
                0 => index.update_positions(&chunk, slots, |j| data.incidents.slot(j).map(|e| l(e.lon, e.lat))),
                1 => index.update_positions(&chunk, slots, |j| data.units.slot(j).map(|e| l(e.lon, e.lat))),
                2 => index.update_positions(&chunk, slots, |j| data.cameras.slot(j).map(|e| l(e.lon, e.lat))),
                3 => index.update_positions(&chunk, slots, |j| data.facilities.slot(j).map(|e| l(e.lon, e.lat))),
                4 => index.update_positions(&chunk, slots, |j| data.supply_depots.slot(j).map(|e| l(e.lon, e.lat))),
                _ => index.update_positions(&chunk, slots, |j| data.sensors.slot(j).map(|e| l(e.lon, e.lat))),
            }
        }
        // No grid or layer rebuilds on the frame that applied a batch (that frame is busy
        // enough), unless they were put off last frame too.
        if pending.slots[k].is_empty() && !defer {
            if let Some(index) = s.kind_mut(k) {
                index.rebuild_grid();
            }
            pending.waiting[k] = false;
            done[k] = true;
            // One kind's layers rebuild per frame, unless this is a bulk load.
            if total <= BULK {
                pending.first = (k + 1) % 7;
                break;
            }
        }
    }
    let next = OverlayChanges {
        incidents: done[0],
        units: done[1],
        cameras: done[2],
        facilities: done[3],
        depots: done[4],
        sensors: done[5],
        areas: done[6],
    };
    if *changes != next {
        *changes = next;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bevy::asset::AssetEvent;
    use twinhall_core::config::CitySource;
    use twinhall_core::sim::{SimConfig, Simulation};

    use super::icons::{IconLayer, IconMeshes};
    use super::*;

    fn app() -> (App, Simulation) {
        let city = twinhall_core::generate::generate_city(600, 3, LonLat::new(114.06, 22.54));
        let sim = Simulation::new(
            &city,
            SimConfig { units: 40, cameras: 300, incidents: 30, sensors: 40, ..SimConfig::default() },
        );
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default()))
            .init_asset::<Mesh>()
            .init_asset::<StandardMaterial>()
            .insert_resource(crate::settings::tests::settings_for(CitySource::Generated(600)))
            .insert_resource(City { model: Arc::new(city), source: CitySource::Generated(600) })
            .init_resource::<FeedData>()
            .init_resource::<crate::camera::GroundCursor>()
            .add_plugins(plugin);
        (app, sim)
    }

    /// A view from the south-west over the city centre at `distance` metres, 960x540.
    fn view_at(distance: f32) -> OverlayView {
        let orbit = OrbitCamera { focus: Vec3::ZERO, distance_m: distance, pitch: 0.8, heading: 0.3 };
        let proj = Mat4::perspective_infinite_reverse_rh(std::f32::consts::FRAC_PI_4, 960.0 / 540.0, 1.0);
        OverlayView {
            clip_from_world: proj * orbit.transform().to_matrix().inverse(),
            size: Vec2::new(960.0, 540.0),
            distance_m: distance,
            focus: [0.0, 0.0],
            px_scale: 1.0,
        }
    }

    fn modified(app: &mut App) -> Vec<IconLayer> {
        let events: Vec<AssetId<Mesh>> = app
            .world_mut()
            .resource_mut::<Messages<AssetEvent<Mesh>>>()
            .drain()
            .filter_map(|e| if let AssetEvent::Modified { id } = e { Some(id) } else { None })
            .collect();
        let registry = app.world().resource::<IconMeshes>();
        let mut layers: Vec<IconLayer> =
            registry.meshes.iter().filter(|(_, h)| events.contains(&h.id())).map(|(l, _)| *l).collect();
        layers.sort_by_key(|l| *l as u8);
        layers
    }

    /// Runs frames until the spread-out work is done.
    fn settle(app: &mut App) {
        for _ in 0..12 {
            app.update();
        }
    }

    fn vertices(app: &App, layer: IconLayer) -> usize {
        let registry = app.world().resource::<IconMeshes>();
        let meshes = app.world().resource::<Assets<Mesh>>();
        meshes.get(&registry.meshes[&layer]).map(Mesh::count_vertices).unwrap_or(0)
    }

    #[test]
    fn layers_build_from_the_store_and_rebuild_only_what_changed() {
        let (mut app, mut sim) = app();
        app.insert_resource(view_at(1200.0));
        app.update();
        app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
        settle(&mut app);
        let data = app.world().resource::<FeedData>();
        let (incidents, cameras, units) = (data.incidents.len(), data.cameras.len(), data.units.len());
        assert_eq!(vertices(&app, IconLayer::Incidents), incidents * 4);
        assert_eq!(vertices(&app, IconLayer::Cameras), cameras * 4, "close enough: one icon per camera");
        assert_eq!(vertices(&app, IconLayer::Units), units * 4);
        let _ = modified(&mut app);
        // Nothing new: nothing rebuilt.
        app.update();
        app.update();
        assert!(modified(&mut app).is_empty(), "a frame with nothing new rebuilt a layer");
        // A batch that moves units (and perhaps incidents and sensors) rebuilds those only.
        sim.step(2000);
        let batch = sim.take_batch().expect("units moved");
        let kinds = (!batch.upserts.incidents.is_empty(), !batch.upserts.sensors.is_empty());
        app.world_mut().resource_mut::<FeedData>().apply_batch(batch).expect("in order");
        settle(&mut app);
        let changed = modified(&mut app);
        assert!(changed.contains(&IconLayer::Units));
        assert!(!changed.contains(&IconLayer::Cameras) && !changed.contains(&IconLayer::Facilities));
        assert_eq!(changed.contains(&IconLayer::Incidents), kinds.0);
        assert_eq!(changed.contains(&IconLayer::Sensors), kinds.1);
    }

    #[test]
    fn zoomed_out_cameras_cluster_with_counts() {
        let (mut app, sim) = app();
        app.insert_resource(view_at(9000.0));
        app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
        settle(&mut app);
        let clusters = app.world().resource::<icons::CameraClusters>();
        let total: usize = clusters.clusters.iter().map(|c| c.count).sum();
        assert_eq!(total, 300);
        assert!(clusters.clusters.len() < 300 / 3, "{} clusters", clusters.clusters.len());
        assert_eq!(vertices(&app, IconLayer::Cameras), clusters.clusters.len() * 4);
        // Zooming in and out again regroups from the same positions.
        app.insert_resource(view_at(1000.0));
        settle(&mut app);
        assert_eq!(vertices(&app, IconLayer::Cameras), 300 * 4);
        app.insert_resource(view_at(9000.0));
        settle(&mut app);
        let n = app.world().resource::<icons::CameraClusters>().clusters.len();
        assert!(n > 0 && n < 100);
        assert_eq!(vertices(&app, IconLayer::Cameras), n * 4);
    }

    #[test]
    fn a_batch_every_frame_starves_no_layer() {
        // A slow renderer (1 frame a second under Xvfb) applies a batch on every frame.
        let (mut app, mut sim) = app();
        app.insert_resource(view_at(1000.0));
        app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
        for _ in 0..16 {
            sim.step(1000);
            if let Some(b) = sim.take_batch() {
                app.world_mut().resource_mut::<FeedData>().apply_batch(b).expect("in order");
            }
            app.update();
        }
        assert_eq!(vertices(&app, IconLayer::Cameras), 300 * 4);
        assert_eq!(vertices(&app, IconLayer::Units), 40 * 4);
        let depots = app.world().resource::<FeedData>().supply_depots.len();
        assert!(depots > 0);
        assert_eq!(vertices(&app, IconLayer::Depots), depots * 4);
    }

    #[test]
    fn zooming_out_after_the_data_arrived_clusters_too() {
        let (mut app, sim) = app();
        app.insert_resource(view_at(1000.0));
        app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
        settle(&mut app);
        app.insert_resource(view_at(9000.0));
        settle(&mut app);
        let total: usize = app.world().resource::<icons::CameraClusters>().clusters.iter().map(|c| c.count).sum();
        assert_eq!(total, 300);
    }

    #[test]
    fn picking_finds_the_icon_under_the_cursor_and_right_click_lists_covering_cameras() {
        let (mut app, sim) = app();
        app.insert_resource(view_at(1500.0));
        app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
        settle(&mut app);
        let world = app.world();
        let (data, city, view) =
            (world.resource::<FeedData>(), world.resource::<City>(), world.resource::<OverlayView>());
        let (layers, spatial) = (world.resource::<OverlayLayers>(), world.resource::<Spatial>());
        let motions = world.resource::<units::UnitMotions>();
        // The incident whose icon is nearest the middle of the screen.
        let centre = Vec2::new(480.0, 270.0);
        let (id, screen, ground) = data
            .incidents
            .iter()
            .filter_map(|(_, i)| {
                let g = local_of(city, i.lon, i.lat);
                view.to_screen(scene_of(g, icons::ICON_Y + 4.0)).map(|s| (i.id.clone(), s, g))
            })
            .min_by(|a, b| a.1.distance(centre).total_cmp(&b.1.distance(centre)))
            .expect("an incident on screen");
        let hit = pick::pick_at(
            screen + Vec2::new(3.0, -2.0),
            ground,
            data,
            city,
            view,
            layers,
            spatial,
            motions,
            false,
            0.0,
        );
        assert_eq!(hit, Some(FeedRef { kind: EntityKind::Incident, id }));
        let nothing =
            pick::pick_at(Vec2::new(-500.0, -500.0), ground, data, city, view, layers, spatial, motions, false, 0.0);
        assert_eq!(nothing, None);
        // A point 20 m in front of a camera: that camera is among those that see it.
        let (_, cam) = data.cameras.iter().find(|(_, c)| c.range_m > 30.0).expect("a camera");
        let o = local_of(city, cam.lon, cam.lat);
        let h = f64::from(cam.heading_deg).to_radians();
        let p = [o[0] + 20.0 * h.sin(), o[1] + 20.0 * h.cos()];
        let seen = pick::cameras_covering(data, spatial, p, city);
        assert!(seen.iter().any(|(cid, d)| *cid == cam.id && (*d - 20.0).abs() < 0.5), "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1), "nearest first");
    }

    #[test]
    fn labels_never_overlap_and_put_incidents_first() {
        let (mut app, sim) = app();
        app.insert_resource(view_at(1200.0));
        app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
        settle(&mut app);
        let layout = app.world().resource::<LabelLayout>().clone();
        assert!(layout.labels.len() >= 10, "{} labels", layout.labels.len());
        for (i, a) in layout.labels.iter().enumerate() {
            for b in &layout.labels[i + 1..] {
                let apart = a.rect[2] <= b.rect[0]
                    || b.rect[2] <= a.rect[0]
                    || a.rect[3] <= b.rect[1]
                    || b.rect[3] <= a.rect[1];
                assert!(apart, "{} overlaps {}", a.text, b.text);
            }
        }
        let incidents_on_screen = layout.labels.iter().filter(|l| l.kind == EntityKind::Incident).count();
        assert!(incidents_on_screen > 0);
    }
}
