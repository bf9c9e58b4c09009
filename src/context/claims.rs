//! Claims on what only one feature may hold at a time, set by the holder and read by the rest
//! (foxtrot's `CrosshairState` pattern): who has the arrow keys, and whose labels the map paints.

use bevy::prelude::*;

/// Who holds the left and right arrow keys: the presenter while a briefing plays (previous and
/// next step), else the camera (pan).
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArrowKeys {
    pub presenter: bool,
}

/// Whose labels the map paints: this instance's own layout, or (a follower of a wall of several
/// machines whose canvas is its leader's view) the leader's, sent with each frame.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelSource {
    pub leader: bool,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ArrowKeys>().init_resource::<LabelSource>().init_resource::<super::WallRole>();
}
