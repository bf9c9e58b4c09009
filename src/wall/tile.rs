//! One tile of a wall of several machines: the wall's camera renders its part of one large
//! canvas (`Camera::sub_camera_view`, an exact off-axis piece of the same frustum), jumping the
//! bezels between tiles. What is drawn over the map is laid out on the whole canvas and shifted
//! by the tile's corner, so a label or a card crossing a seam continues on the next machine.

use crate::context::{TileView, Wall, WallCamera};
use bevy::camera::SubCameraView;
use bevy::camera::primitives::Frustum;
use bevy::camera::visibility::VisibilitySystems;
use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, cut_tile.run_if(resource_exists::<Wall>)).add_systems(
        PostUpdate,
        tile_frustum.after(VisibilitySystems::UpdateFrusta).before(VisibilitySystems::CheckVisibility),
    );
}

/// The wall camera's piece of the canvas, from its window's size and the grid, when either
/// changes.
fn cut_tile(
    mut commands: Commands,
    wall: Res<Wall>,
    windows: Query<&Window>,
    mut cams: Query<&mut Camera, With<WallCamera>>,
    current: Option<Res<TileView>>,
) {
    if wall.tiling.is_single() {
        return;
    }
    let Ok(window) = windows.get(wall.window) else { return };
    let tile = [window.physical_width(), window.physical_height()];
    if tile[0] == 0 || tile[1] == 0 {
        return;
    }
    let canvas = wall.tiling.canvas(tile);
    let offset = wall.tiling.offset(tile);
    let sub = SubCameraView {
        full_size: UVec2::from(canvas),
        offset: Vec2::new(offset[0] as f32, offset[1] as f32),
        size: UVec2::from(tile),
    };
    let scale = window.scale_factor();
    let view = TileView {
        canvas: Vec2::new(canvas[0] as f32, canvas[1] as f32) / scale,
        origin: sub.offset / scale,
        size: Vec2::new(tile[0] as f32, tile[1] as f32) / scale,
    };
    if current.as_deref() != Some(&view) {
        info!(
            "wall: tile {},{} of {}x{}: {}x{} at {},{} of a {}x{} canvas (bezels {}x{} px)",
            wall.tiling.col,
            wall.tiling.row,
            wall.tiling.cols,
            wall.tiling.rows,
            tile[0],
            tile[1],
            offset[0],
            offset[1],
            canvas[0],
            canvas[1],
            wall.tiling.bezel[0],
            wall.tiling.bezel[1]
        );
        commands.insert_resource(view);
    }
    for mut camera in &mut cams {
        if camera.sub_camera_view != Some(sub) {
            camera.sub_camera_view = Some(sub);
        }
    }
}

/// Bevy culls with the whole projection at the tile's aspect, which is not the tile's piece of
/// the canvas: what stands at the canvas's far sides would vanish. The tile's own frustum is its
/// piece of the canvas's.
fn tile_frustum(mut cams: Query<(&Camera, &Projection, &GlobalTransform, &mut Frustum), With<WallCamera>>) {
    for (camera, projection, transform, mut frustum) in &mut cams {
        let Some(sub) = camera.sub_camera_view else { continue };
        let clip_from_world = projection.get_clip_from_view_for_sub(&sub) * transform.affine().inverse();
        let next = Frustum(bevy::math::primitives::ViewFrustum::from_clip_from_world_custom_far(
            &clip_from_world,
            &transform.translation(),
            &transform.back(),
            projection.far(),
        ));
        *frustum = next;
    }
}
