//! The app configuration, read from TOML. Every field has a default; an unknown field or a
//! wrong value is an error that names the file, the line and the field.
//!
//! One file per section; this module only lists them and names every type here, so that
//! `twinhall_core::config::X` is the path for each.

mod basemap;
mod camera;
mod city;
mod control;
mod defence;
mod error;
mod feed;
mod file;
mod heartbeat;
mod hub;
mod models;
mod style;
mod tactile;
mod ui;
mod window;

pub use basemap::BasemapConfig;
pub use camera::{Bookmark, CameraConfig};
pub use city::{CityConfig, CitySource, LayerConfig, SourceFormat};
pub use control::ControlConfig;
pub use defence::DefenceConfig;
pub use error::ConfigError;
pub use feed::FeedConfig;
pub use file::{Config, DEFAULT_TOML};
pub use heartbeat::HeartbeatConfig;
pub use hub::HubConfig;
pub use models::ModelConfig;
pub use style::{ColorBy, KIND_COLOURS, Palette, Rgba, StyleConfig, StyleMode};
pub use tactile::TactileConfig;
pub use ui::UiConfig;
pub use window::WindowConfig;

pub use crate::lang::Lang;

#[cfg(test)]
mod tests;
