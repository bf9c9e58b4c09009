//! The mirrored city: loading it from its source and drawing its meshes.

use std::path::Path;
use std::sync::Arc;

use bevy::prelude::*;
use twinhall_core::config::{CityConfig, CitySource, Lang, SourceFormat};
use twinhall_core::crs::Crs;
use twinhall_core::geojson::{GeoJsonOptions, LayerKind, centre_of, import_geojson_bytes, import_geojson_path};
use twinhall_core::model::FileReport;
use twinhall_core::osm::{ImportError, OsmOptions, import_pbf_bytes, import_pbf_path};
use twinhall_core::{CityModel, LonLat};

use crate::Settings;

mod models;
mod render;

pub use models::{PlacedModel, model_transform};
pub use render::{CityLayer, CityMeshStats, LayerVisibility, MapStyle, build_city_meshes, to_mesh};

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
    app.add_plugins((render::plugin, models::plugin));
}

/// Loads the city the settings name: the main source (an error stops start-up) and the extra
/// layers (a broken layer is reported and skipped).
pub fn load_city(settings: &Settings) -> Result<City, ImportError> {
    let mut model = load_source(&settings.city_source, &settings.config.city)?;
    load_layers(&mut model, &settings.config.city);
    Ok(City { model: Arc::new(model), source: settings.city_source.clone() })
}

/// Adds the configured extra layers; each file's outcome lands in `model.sources`.
pub fn load_layers(model: &mut CityModel, config: &CityConfig) {
    for layer in &config.layers {
        let result = Crs::parse(&layer.crs)
            .map_err(|m| ImportError::Format { path: layer.path.clone(), message: m })
            .and_then(|crs| {
                let options = GeoJsonOptions {
                    kind: layer.kind,
                    crs,
                    height_attribute: layer.height_attribute.clone(),
                    level_height_m: config.level_height_m,
                };
                import_geojson_path(&layer.path, &options, model)
            });
        match result {
            Ok(report) => {
                if !report.rejected.is_empty() {
                    warn!("{}: {} features loaded, rejected {:?}", report.path, report.loaded, report.rejected);
                }
                model.sources.push(report);
            }
            Err(e) => {
                warn!("layer skipped: {e}");
                let mut report = FileReport::new(&layer.path);
                report.error = Some(e.to_string());
                model.sources.push(report);
            }
        }
    }
}

/// Loads a city source into a model.
pub fn load_source(source: &CitySource, config: &CityConfig) -> Result<CityModel, ImportError> {
    let origin = config.origin.map(|[lon, lat]| LonLat::new(lon, lat));
    let options = |name: &str| OsmOptions { name: name.to_owned(), level_height_m: config.level_height_m, origin };
    match source {
        CitySource::EmbeddedHelsinki => {
            import_pbf_bytes(HELSINKI_PBF, Path::new("embedded:helsinki"), &options("helsinki"))
        }
        CitySource::Generated(n) => Ok(twinhall_core::generate::generate_city(*n, 1, LonLat::new(114.0579, 22.5431))),
        CitySource::None => Ok(CityModel::empty("none", LonLat::new(24.9443, 60.1716))),
        CitySource::File(path) => {
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            let geojson = match config.format {
                SourceFormat::Geojson => true,
                SourceFormat::Osm => false,
                SourceFormat::Auto => ext == "geojson" || ext == "json",
            };
            if geojson {
                let crs =
                    Crs::parse(&config.crs).map_err(|m| ImportError::Format { path: path.clone(), message: m })?;
                let bytes = std::fs::read(path).map_err(|source| ImportError::Io { path: path.clone(), source })?;
                let origin = match origin {
                    Some(o) => o,
                    None => centre_of(&bytes, path, &crs)?,
                };
                let mut model = CityModel::empty(name, origin);
                let options = GeoJsonOptions {
                    kind: LayerKind::Buildings,
                    crs,
                    height_attribute: "height".into(),
                    level_height_m: config.level_height_m,
                };
                let report = import_geojson_bytes(&bytes, path, &options, &mut model)?;
                model.sources.push(report);
                Ok(model)
            } else {
                import_pbf_path(path, &options(&name))
            }
        }
    }
}
