//! Loading a city from its source: the embedded demo, a procedural city, nothing, an OSM file
//! (PBF or XML, plain, gzip or bzip2, told by content) or a GeoJSON file in its declared CRS.
//! Shared by the app and the reference backend.

use std::path::Path;

use crate::city::source::{CityConfig, CitySource, SourceFormat};
use crate::crs::Crs;
use crate::geojson::{GeoJsonOptions, LayerKind, centre_of, import_geojson_bytes};
use crate::osm::{ImportError, OsmOptions, import_osm_path, import_pbf_bytes};
use crate::{CityModel, LonLat};

/// The Helsinki extract (© OpenStreetMap contributors, ODbL) compiled into the binaries.
pub const HELSINKI_PBF: &[u8] = include_bytes!("../../../../assets/city/helsinki.osm.pbf");

/// The Liechtenstein extract (© OpenStreetMap contributors, ODbL): a region of 11
/// municipalities, compiled into the binaries.
pub const LIECHTENSTEIN_PBF: &[u8] = include_bytes!("../../../../assets/city/liechtenstein.osm.pbf");

/// Loads a city source into a model.
pub fn load_source(source: &CitySource, config: &CityConfig) -> Result<CityModel, ImportError> {
    let origin = config.origin.map(|[lon, lat]| LonLat::new(lon, lat));
    let options = |name: &str| OsmOptions { name: name.to_owned(), level_height_m: config.level_height_m, origin };
    match source {
        CitySource::EmbeddedHelsinki => {
            import_pbf_bytes(HELSINKI_PBF, Path::new("embedded:helsinki"), &options("helsinki"))
        }
        CitySource::EmbeddedLiechtenstein => {
            import_pbf_bytes(LIECHTENSTEIN_PBF, Path::new("embedded:liechtenstein"), &options("liechtenstein"))
        }
        CitySource::Generated(n) => Ok(crate::generate::generate_city(*n, 1, LonLat::new(114.0579, 22.5431))),
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
                import_osm_path(path, &options(&name))
            }
        }
    }
}
