//! The raster base map: XYZ/TMS tiles over HTTP (with an on-disk cache that also serves when
//! offline) or from a local folder, in the Web Mercator or CGCS2000 geographic grid, draped on
//! the ground and chosen by what the camera sees.

mod fetch;
mod layer;

pub use fetch::{TileFetcher, TileOutcome};
pub use layer::{Basemap, BasemapStats, tile_mesh, view_lonlat_box};

use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.add_plugins(layer::plugin);
}
