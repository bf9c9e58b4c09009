//! The mirrored city: loading it from its source and drawing its meshes.

use std::path::Path;
use std::sync::Arc;

use bevy::prelude::*;
use twinhall_core::config::{CityConfig, CitySource, Lang};
use twinhall_core::osm::{ImportError, OsmOptions, import_pbf_bytes, import_pbf_path};
use twinhall_core::{CityModel, LonLat};

use crate::Settings;

mod render;

pub use render::{CityLayer, CityMeshStats, LayerVisibility, MapStyle, build_city_meshes};

/// The Helsinki extract (© OpenStreetMap contributors, ODbL) compiled into the binary.
pub const HELSINKI_PBF: &[u8] = include_bytes!("../../assets/city/helsinki.osm.pbf");

/// The loaded city, shared with the feed simulator and overlays.
#[derive(Resource, Clone)]
pub struct City {
    pub model: Arc<CityModel>,
    pub source: CitySource,
}

impl City {
    /// The name shown on screen.
    pub fn display_name(&self, lang: Lang, configured: &str) -> String {
        if !configured.is_empty() {
            return configured.to_owned();
        }
        match &self.source {
            CitySource::EmbeddedHelsinki => lang.tr("赫尔辛基（演示城市）", "Helsinki (demo city)").to_owned(),
            CitySource::Generated(n) => format!("{} {n}", lang.tr("生成城市", "Generated city")),
            CitySource::None => lang.tr("空白地面", "Empty ground").to_owned(),
            CitySource::File(p) => p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_plugins(render::plugin);
}

/// Loads the city the settings name.
pub fn load_city(settings: &Settings) -> Result<City, ImportError> {
    let model = load_source(&settings.city_source, &settings.config.city)?;
    Ok(City { model: Arc::new(model), source: settings.city_source.clone() })
}

/// Loads a city source into a model.
pub fn load_source(source: &CitySource, config: &CityConfig) -> Result<CityModel, ImportError> {
    let options =
        |name: &str| OsmOptions { name: name.to_owned(), level_height_m: config.level_height_m, origin: None };
    match source {
        CitySource::EmbeddedHelsinki => {
            import_pbf_bytes(HELSINKI_PBF, Path::new("embedded:helsinki"), &options("helsinki"))
        }
        CitySource::Generated(n) => Ok(twinhall_core::generate::generate_city(*n, 1, LonLat::new(114.0579, 22.5431))),
        CitySource::None => Ok(CityModel::empty("none", LonLat::new(24.9443, 60.1716))),
        CitySource::File(path) => {
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            import_pbf_path(path, &options(&name))
        }
    }
}
