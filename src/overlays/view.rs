//! The camera's view as the overlays need it (projection, size, distance, focus), kept up to date
//! from the orbit camera and the window, and the local-metres/scene position helpers.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use twinhall_core::LonLat;

use crate::camera::OrbitCamera;
use crate::city::City;

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

pub(super) fn update_view(
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
