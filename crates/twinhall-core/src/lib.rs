//! GPU-free core of twinhall: the city model, its import from GIS files, the local metric
//! frame the scene lives in, mesh building for extruded footprints, and the app configuration.
//!
//! Nothing here depends on Bevy, so these tests build and run in seconds.

pub mod aerial;
pub mod coast;
pub mod config;
pub mod crs;
pub mod extrude;
pub mod frame;
pub mod gcj02;
pub mod generate;
pub mod geojson;
pub mod hub;
pub mod load;
pub mod model;
pub mod osm;
pub mod overlay;
pub mod protocol;
pub mod redact;
pub mod ring;
pub mod routing;
pub mod rules;
pub mod sim;
pub mod snapshot_jpeg;
pub mod store;
pub mod tiles;
pub mod toml_text;

pub use frame::{LocalFrame, LonLat};
pub use model::CityModel;
