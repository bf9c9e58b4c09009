//! GPU-free core of twinhall: everything the wall computes that needs no GPU, in folders that
//! show its parts:
//!
//! - `geo/`: where things are (the local metric frame, input CRSs through PROJ and GCJ-02, ring
//!   geometry, base-map tile grids);
//! - `city/`: the city model, its import (OSM PBF and XML, GeoJSON, coastlines), extruded meshes,
//!   the road graph, a generated city for scale work;
//! - `feed/`: the feed protocol's types, the store every consumer keeps, the stills a backend draws;
//! - `sim/`: the simulated city behind the reference backend and the embedded feed;
//! - `overlay/`: the live overlays' logic (spatial index, coverage, clustering, declutter, search);
//! - `heartbeat/`: the heartbeat hub (the governance index drilled down from city to grid);
//! - `hub/`: the action hub (line of sight, surroundings, ranking, plans, the dispatch journal);
//! - `rules/`: the tactile hub's warning rules and alerts;
//! - `risk/`: the defence hub's key grids (incidents against each grid's baseline) and key places;
//! - `metrics/`: named live metrics for the theatre's charts and narration, and the heartbeat
//!   hub's efficiency supervision (效能监管);
//! - `brief`: the index briefing (指数简报) as one HTML file;
//! - `theatre/`: the decision theatre's briefing files (RON in scenes/), parsed and checked;
//! - `layout`: the one layout of what is drawn over the map on the wall (cards, HUD, the free
//!   region a step's subject is framed in);
//! - `graphics/`: what the cards draw with (Chinese line breaking, chart axes and labels, the
//!   category palette);
//! - `config/`: the app's configuration, one file per section;
//! - `lang`, `layers`: the wall's language and its map layers, leaves that words and switches
//!   everywhere use;
//! - `wall/`: the video wall's configuration and the messages between the machines of one wall;
//! - `redact`, `toml_text`, `sqlite`: secrets out of URLs, the reader of the TOML files parsed
//!   with spans, SQLite opened and migrated.
//!
//! The modules of `geo/`, `city/` and `feed/` are also named at the crate root
//! (`twinhall_core::protocol` is `twinhall_core::feed::protocol`), the paths the code uses.
//!
//! Nothing here depends on Bevy, so these tests build and run in seconds.

pub mod brief;
pub mod city;
pub mod config;
pub mod feed;
pub mod geo;
pub mod graphics;
pub mod heartbeat;
pub mod hub;
pub mod lang;
pub mod layers;
pub mod layout;
pub mod metrics;
pub mod overlay;
pub mod redact;
pub mod risk;
pub mod rules;
pub mod sim;
pub mod sqlite;
pub mod theatre;
pub mod toml_text;
pub mod wall;

pub use city::{coast, extrude, generate, geojson, load, model, osm, routing};
pub use feed::{aerial, protocol, snapshot_jpeg, store};
pub use geo::{crs, frame, gcj02, ring, tiles};

pub use frame::{LocalFrame, LonLat};
pub use model::CityModel;
