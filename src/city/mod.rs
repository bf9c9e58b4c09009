//! The mirrored city: loading it from its source and drawing its meshes.

use std::sync::Arc;

use bevy::prelude::*;
use twinhall_core::CityModel;
use twinhall_core::config::{CityConfig, CitySource};
use twinhall_core::crs::Crs;
use twinhall_core::geojson::{GeoJsonOptions, import_geojson_path};
use twinhall_core::model::FileReport;
use twinhall_core::osm::ImportError;

use crate::context::Settings;

mod models;
mod render;

pub use crate::context::{City, source_name};
pub use models::{PlacedModel, model_transform};
pub use render::{CityLayer, CityMeshStats, MapStyle, build_city_meshes, to_mesh};

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

/// Loads a city source into a model (shared with the reference backend).
pub fn load_source(source: &CitySource, config: &CityConfig) -> Result<CityModel, ImportError> {
    twinhall_core::load::load_source(source, config)
}
