//! Where a city comes from (the `[city]` section of the configuration, also
//! `twinhall_core::config::{CityConfig, CitySource, ...}`): its source, format, CRS, origin and
//! extra layers, as [`super::load`] takes them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CityConfig {
    /// `embedded:helsinki`, `embedded:liechtenstein`, `generated:N`, `none`, or a path to an OSM (`.osm.pbf`, `.osm`,
    /// `.osm.gz`, `.osm.bz2`) or GeoJSON file.
    pub source: String,
    /// Display name; the source's name when empty.
    pub name: String,
    pub level_height_m: f32,
    pub tile_size_m: f64,
    /// Format of a file source: auto (by extension), osm (PBF or XML, told by content) or geojson.
    pub format: SourceFormat,
    /// CRS of a GeoJSON main source (OSM is always EPSG:4326).
    pub crs: String,
    /// Frame origin `[lon, lat]`; the centre of the main source when left out.
    pub origin: Option<[f64; 2]>,
    /// Extra layers drawn over the main source.
    pub layers: Vec<LayerConfig>,
}

impl Default for CityConfig {
    fn default() -> Self {
        Self {
            source: "embedded:helsinki".into(),
            name: String::new(),
            level_height_m: 3.0,
            tile_size_m: 500.0,
            format: SourceFormat::Auto,
            crs: "EPSG:4326".into(),
            origin: None,
            layers: Vec::new(),
        }
    }
}

/// File formats a city source can have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    /// `.geojson`/`.json` are GeoJSON, anything else OSM (PBF or XML, told by content).
    #[default]
    Auto,
    Osm,
    Geojson,
}

/// One extra GIS layer file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerConfig {
    /// A GeoJSON FeatureCollection; relative paths are from the working directory.
    pub path: PathBuf,
    /// buildings, roads, water, green or pois.
    pub kind: crate::geojson::LayerKind,
    #[serde(default = "default_crs")]
    pub crs: String,
    /// Property with a building's height in metres.
    #[serde(default = "default_height_attribute")]
    pub height_attribute: String,
}

fn default_crs() -> String {
    "EPSG:4326".into()
}

fn default_height_attribute() -> String {
    "height".into()
}

/// Where the city comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum CitySource {
    /// The Helsinki extract compiled into the binary.
    EmbeddedHelsinki,
    /// The Liechtenstein extract (a region with 11 municipalities) compiled into the binary.
    EmbeddedLiechtenstein,
    /// A procedural city of N buildings.
    Generated(usize),
    /// Ground only.
    None,
    /// An OSM or GeoJSON file.
    File(PathBuf),
}

impl CitySource {
    /// The name bookmarks give this city: `helsinki`, `liechtenstein`, `generated:N`, `none`,
    /// or a file's name up to its first dot.
    pub fn key(&self) -> String {
        match self {
            Self::EmbeddedHelsinki => "helsinki".into(),
            Self::EmbeddedLiechtenstein => "liechtenstein".into(),
            Self::Generated(n) => format!("generated:{n}"),
            Self::None => "none".into(),
            Self::File(path) => {
                let name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
                name.split('.').next().unwrap_or_default().to_owned()
            }
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err(
                "is empty; use embedded:helsinki, embedded:liechtenstein, generated:N, none or a file path".into()
            );
        }
        if let Some(rest) = s.strip_prefix("embedded:") {
            return match rest {
                "helsinki" => Ok(Self::EmbeddedHelsinki),
                "liechtenstein" => Ok(Self::EmbeddedLiechtenstein),
                other => {
                    Err(format!("no embedded city `{other}`; the embedded cities are `helsinki` and `liechtenstein`"))
                }
            };
        }
        if let Some(n) = s.strip_prefix("generated:") {
            return n
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 5_000_000)
                .map(Self::Generated)
                .ok_or_else(|| format!("`{s}`: N must be a number of buildings up to 5000000"));
        }
        if s == "none" {
            return Ok(Self::None);
        }
        Ok(Self::File(PathBuf::from(s)))
    }
}
