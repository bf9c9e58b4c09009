//! Ground picking: the point of the ground plane under the cursor, in local metres and lon/lat,
//! recomputed only when the cursor or the camera moved.

use crate::context::{AppSystems, City};
use bevy::prelude::*;
use bevy::window::{CursorMoved, PrimaryWindow};
use twinhall_core::LonLat;

/// The ground under the cursor; `None` when the cursor is off the window or above the horizon.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq)]
pub struct GroundCursor {
    pub local: Option<[f64; 2]>,
    pub lonlat: Option<LonLat>,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<GroundCursor>()
        .add_systems(Update, update_ground_cursor.after(super::orbit::OrbitSystems).in_set(AppSystems::Camera));
}

/// Where a ray meets the ground plane y = 0, if it points down at it.
pub fn ground_hit(origin: Vec3, dir: Vec3) -> Option<Vec3> {
    if dir.y >= -1e-6 {
        return None;
    }
    let t = -origin.y / dir.y;
    (t >= 0.0).then(|| origin + dir * t)
}

fn update_ground_cursor(
    mut moved: MessageReader<CursorMoved>,
    windows: Query<&Window, With<PrimaryWindow>>,
    // This frame's pose (cameras are root entities): `GlobalTransform` is propagated only in
    // `PostUpdate`, a frame behind a camera that moved in `AppSystems::Camera`.
    cams: Query<(&Camera, Ref<Transform>), With<crate::context::OperatorCamera>>,
    city: Res<City>,
    mut cursor: ResMut<GroundCursor>,
) {
    let cursor_moved = moved.read().count() > 0;
    let Ok((camera, transform)) = cams.single() else {
        return;
    };
    if !cursor_moved && !transform.is_changed() {
        return;
    }
    let hit = windows
        .single()
        .ok()
        .and_then(|w| w.cursor_position())
        .and_then(|pos| camera.viewport_to_world(&GlobalTransform::from(*transform), pos).ok())
        .and_then(|ray| ground_hit(ray.origin, *ray.direction));
    let next = match hit {
        Some(p) => {
            let local = [f64::from(p.x), -f64::from(p.z)];
            GroundCursor { local: Some(local), lonlat: Some(city.model.frame.to_lonlat(local)) }
        }
        None => GroundCursor::default(),
    };
    if *cursor != next {
        *cursor = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rays_hit_the_ground_below_and_miss_above_the_horizon() {
        let hit = ground_hit(Vec3::new(10.0, 100.0, 0.0), Vec3::new(0.0, -1.0, -1.0).normalize());
        let p = hit.expect("hits");
        assert!((p - Vec3::new(10.0, 0.0, -100.0)).length() < 1e-3);
        assert!(ground_hit(Vec3::new(0.0, 100.0, 0.0), Vec3::new(0.0, 0.1, -1.0)).is_none());
        assert!(ground_hit(Vec3::new(0.0, -5.0, 0.0), Vec3::new(0.0, -1.0, 0.0)).is_none());
    }
}
