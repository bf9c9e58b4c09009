//! The `[basemap]` section: raster base-map tiles.

use serde::{Deserialize, Serialize};

/// Raster base-map tiles draped on the ground.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BasemapConfig {
    /// XYZ/TMS URL template (http:// or https://) or a local folder template, with {z}, {x}, {y};
    /// empty turns the base map off.
    pub url: String,
    pub scheme: crate::tiles::TileScheme,
    pub grid: crate::tiles::TileGrid,
    pub max_zoom: u8,
    /// On-disk cache of fetched tiles; empty is ~/.cache/twinhall/tiles. Cached tiles are used
    /// when the server cannot be reached.
    pub cache_dir: String,
    /// Most tiles drawn at once.
    pub max_tiles: usize,
}

impl Default for BasemapConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            scheme: crate::tiles::TileScheme::Xyz,
            grid: crate::tiles::TileGrid::WebMercator,
            max_zoom: 19,
            cache_dir: String::new(),
            max_tiles: 48,
        }
    }
}
