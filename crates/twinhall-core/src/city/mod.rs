//! The city: its model, loading it from OSM (PBF or XML) and GeoJSON, coastlines, extruded
//! meshes, the road graph, and a generated city for scale work.

pub mod coast;
pub mod extrude;
pub mod generate;
pub mod geojson;
pub mod load;
pub mod model;
pub mod osm;
pub mod routing;
pub mod source;
