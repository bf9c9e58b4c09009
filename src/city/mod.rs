//! The mirrored city: loading it from its source and drawing its meshes.

use std::sync::Arc;

use bevy::prelude::*;
use twinhall_core::CityModel;
use twinhall_core::config::{Bookmark, CityConfig, CitySource, Lang};
use twinhall_core::crs::Crs;
use twinhall_core::geojson::{GeoJsonOptions, import_geojson_path};
use twinhall_core::model::FileReport;
use twinhall_core::osm::ImportError;

use crate::Settings;

mod models;
mod render;

pub use models::{PlacedModel, model_transform};
pub use render::{CityLayer, CityMeshStats, LayerVisibility, MapStyle, build_city_meshes, to_mesh};

/// The loaded city, shared with the feed simulator and overlays.
#[derive(Resource, Clone)]
pub struct City {
    pub model: Arc<CityModel>,
    pub source: CitySource,
}

impl City {
    /// The name shown on screen.
    pub fn display_name(&self, lang: Lang, configured: &str) -> String {
        source_name(&self.source, lang, configured)
    }
}

/// The city's name for people: the configured name, else one said from its source (the wall's
/// status line, the index briefing's heading).
pub fn source_name(source: &CitySource, lang: Lang, configured: &str) -> String {
    if !configured.is_empty() {
        return configured.to_owned();
    }
    match source {
        CitySource::EmbeddedHelsinki => lang.tr("赫尔辛基（演示城市）", "Helsinki (demo city)").to_owned(),
        CitySource::EmbeddedLiechtenstein => {
            lang.tr("列支敦士登（演示区域）", "Liechtenstein (demo region)").to_owned()
        }
        CitySource::Generated(n) => format!("{} {n}", lang.tr("生成城市", "Generated city")),
        CitySource::None => lang.tr("空白地面", "Empty ground").to_owned(),
        CitySource::File(p) => p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
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

impl City {
    /// The configured bookmarks offered for this city (see `Bookmark::belongs_to`).
    pub fn bookmarks<'a>(&self, camera: &'a twinhall_core::config::CameraConfig) -> Vec<&'a Bookmark> {
        let bounds = self.model.bounds();
        let frame = &self.model.frame;
        camera.bookmarks_for(&self.source, |lon, lat| {
            let p = frame.to_local(twinhall_core::LonLat::new(lon, lat));
            (bounds.min[0]..=bounds.max[0]).contains(&p[0]) && (bounds.min[1]..=bounds.max[1]).contains(&p[1])
        })
    }
}

/// Loads a city source into a model (shared with the reference backend).
pub fn load_source(source: &CitySource, config: &CityConfig) -> Result<CityModel, ImportError> {
    twinhall_core::load::load_source(source, config)
}
