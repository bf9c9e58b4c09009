//! The `[city]` section: where the city comes from. Its types live with the city
//! ([`crate::city::source`], which loading a city takes) and are named here too.

pub use crate::city::source::{CityConfig, CitySource, LayerConfig, SourceFormat};
