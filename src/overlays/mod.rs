//! Live overlays on the twin (incidents, cameras, resources, units, sensors, grid areas). Each
//! layer will be a file here that reads the feed store and draws one kind of thing; none is
//! registered until the feed delivers entities.

use bevy::prelude::*;

pub(super) fn plugin(_app: &mut App) {}
