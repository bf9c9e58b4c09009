//! OpenStreetMap import: PBF and XML files (plain, gzip or bzip2) into a [`crate::CityModel`].
//!
//! - `format`: what a file is, from its first bytes, and the formats accepted;
//! - `read`: the import entry points, decompression, and the elements every format yields;
//! - `pbf`, `xml`: one reader per format, both filling the same elements;
//! - `tags`: what tags mean (buildings, water, green, heights);
//! - `assembly`: relation members joined into rings;
//! - `build`: elements into buildings, roads, areas, sea and points of interest.

mod assembly;
mod build;
mod format;
mod pbf;
mod raw;
mod read;
mod tags;
mod xml;

pub use build::OsmOptions;
pub use read::{ImportError, import_osm_bytes, import_osm_path, import_pbf_bytes, import_pbf_path};
pub use tags::parse_length_m;

// Ring validation moved to `crate::ring` (shared with `coast` and `geojson`); these names stay
// for the callers that use them from here.
pub use crate::ring::{self_intersects, validate_ring};

#[cfg(test)]
mod tests;
