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
pub mod text;
mod units;

pub use labels::LabelLayout;
pub use material::{IconMaterial, RingMaterial};

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use twinhall_core::LonLat;
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

/// Points by store slot in local metres, per kind, for picking, labels and coverage; rebuilt
/// when the kind changes.
#[derive(Resource, Debug)]
pub struct Spatial {
    pub incidents: PointGrid,
    pub cameras: PointGrid,
    pub facilities: PointGrid,
    pub depots: PointGrid,
    pub sensors: PointGrid,
    /// Units at their last report (their drawn position is `units::UnitMotions`).
    pub units: PointGrid,
}

impl Default for Spatial {
    fn default() -> Self {
        Self {
            incidents: PointGrid::new(250.0),
            cameras: PointGrid::new(100.0),
            facilities: PointGrid::new(250.0),
            depots: PointGrid::new(250.0),
            sensors: PointGrid::new(250.0),
            units: PointGrid::new(250.0),
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

pub(super) fn plugin(app: &mut App) {
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

fn update_view(
    cams: MovedCamera,
    windows: Query<&Window, With<PrimaryWindow>>,
    mut view: ResMut<OverlayView>,
) {
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

/// Takes the store's changed slots once a frame, rebuilds the spatial index of the kinds that
/// changed, and says which kinds changed.
fn collect_changes(
    mut data: ResMut<FeedData>,
    city: Res<City>,
    mut changes: ResMut<OverlayChanges>,
    mut spatial: ResMut<Spatial>,
) {
    let data = data.bypass_change_detection();
    let next = OverlayChanges {
        incidents: !data.incidents.take_dirty().is_empty(),
        units: !data.units.take_dirty().is_empty(),
        cameras: !data.cameras.take_dirty().is_empty(),
        facilities: !data.facilities.take_dirty().is_empty(),
        depots: !data.supply_depots.take_dirty().is_empty(),
        sensors: !data.sensors.take_dirty().is_empty(),
        areas: !data.areas.take_dirty().is_empty(),
    };
    if !next.any() && !changes.any() {
        return;
    }
    *changes = next;
    let s = &mut *spatial;
    let l = |lon, lat| local_of(&city, lon, lat);
    if next.incidents {
        s.incidents.clear();
        data.incidents.iter().for_each(|(slot, e)| s.incidents.insert(slot, l(e.lon, e.lat)));
    }
    if next.units {
        s.units.clear();
        data.units.iter().for_each(|(slot, e)| s.units.insert(slot, l(e.lon, e.lat)));
    }
    if next.cameras {
        s.cameras.clear();
        data.cameras.iter().for_each(|(slot, e)| s.cameras.insert(slot, l(e.lon, e.lat)));
    }
    if next.facilities {
        s.facilities.clear();
        data.facilities.iter().for_each(|(slot, e)| s.facilities.insert(slot, l(e.lon, e.lat)));
    }
    if next.depots {
        s.depots.clear();
        data.supply_depots.iter().for_each(|(slot, e)| s.depots.insert(slot, l(e.lon, e.lat)));
    }
    if next.sensors {
        s.sensors.clear();
        data.sensors.iter().for_each(|(slot, e)| s.sensors.insert(slot, l(e.lon, e.lat)));
    }
}
