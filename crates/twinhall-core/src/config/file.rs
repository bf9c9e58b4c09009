//! The whole configuration file: [`Config`], one field per section, the built-in copy
//! ([`DEFAULT_TOML`]), reading and validation (every value checked, errors naming the field).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{
    BasemapConfig, CameraConfig, CityConfig, CitySource, ConfigError, ControlConfig, DefenceConfig, FeedConfig,
    HeartbeatConfig, HubConfig, ModelConfig, StyleConfig, TactileConfig, UiConfig, WindowConfig,
};

/// The camera's pitch below the horizon, degrees: as the control API's fly-to and a briefing's
/// shot allow (89 is all but straight down; at 90 the heading is lost).
pub const MIN_PITCH_DEG: f32 = 5.0;
pub const MAX_PITCH_DEG: f32 = 89.0;

/// The built-in configuration, identical to `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../../../config/default.toml");

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub ui: UiConfig,
    pub window: WindowConfig,
    pub city: CityConfig,
    pub feed: FeedConfig,
    pub style: StyleConfig,
    pub camera: CameraConfig,
    /// glTF/GLB models placed in the city (landmarks, the command centre itself).
    pub models: Vec<ModelConfig>,
    pub basemap: BasemapConfig,
    pub hub: HubConfig,
    pub tactile: TactileConfig,
    pub defence: DefenceConfig,
    pub heartbeat: HeartbeatConfig,
    pub control: ControlConfig,
    /// The video wall as a window of its own beside the console.
    pub wall: crate::wall::WallConfig,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.into(), source })?;
        Self::parse(&text, path)
    }

    /// Parses and validates TOML text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let mut offset = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            let line = text[..offset].matches('\n').count() + 1;
            let message = e.message().trim().replace('\n', " ");
            let message = match field(field_of(&e), field_at(text, offset)) {
                Some(field) => format!("{field}: {message}"),
                None => {
                    let section = text[..offset]
                        .lines()
                        .rev()
                        .map(str::trim)
                        .find(|l| l.starts_with('['))
                        .map(|l| format!(" (in {l})"))
                        .unwrap_or_default();
                    format!("{message}{section}")
                }
            };
            ConfigError::Parse { path: path.into(), line, message }
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid =
            |field: &'static str, message: String| Err(ConfigError::Invalid { path: path.into(), field, message });
        if !(320..=16384).contains(&self.window.width) {
            return invalid("window.width", format!("must be 320..=16384, got {}", self.window.width));
        }
        if !(240..=16384).contains(&self.window.height) {
            return invalid("window.height", format!("must be 240..=16384, got {}", self.window.height));
        }
        if !(1.0..=10.0).contains(&self.city.level_height_m) {
            return invalid("city.level_height_m", format!("must be 1..=10 metres, got {}", self.city.level_height_m));
        }
        if !(50.0..=5000.0).contains(&self.city.tile_size_m) {
            return invalid("city.tile_size_m", format!("must be 50..=5000 metres, got {}", self.city.tile_size_m));
        }
        if let Err(m) = CitySource::parse(&self.city.source) {
            return invalid("city.source", m);
        }
        if let Err(m) = crate::crs::Crs::parse(&self.city.crs) {
            return invalid("city.crs", m);
        }
        if let Some([lon, lat]) = self.city.origin
            && !crate::frame::LonLat::new(lon, lat).is_valid()
        {
            return invalid("city.origin", format!("[{lon}, {lat}] is not a valid [lon, lat]"));
        }
        for (i, layer) in self.city.layers.iter().enumerate() {
            if let Err(m) = crate::crs::Crs::parse(&layer.crs) {
                return invalid("city.layers.crs", format!("layer {} ({}): {m}", i + 1, layer.path.display()));
            }
        }
        if let Err(m) = self.control.addr() {
            return invalid("control.listen", m);
        }
        if let Some((field, m)) = self.wall.problem() {
            return invalid(field, m);
        }
        let url = &self.feed.url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return invalid("feed.url", "must start with http:// or https://".into());
        }
        for (field, value, max) in [
            ("feed.max_snapshot_mib", self.feed.max_snapshot_mib, 16384),
            ("feed.max_event_mib", self.feed.max_event_mib, 1024),
            ("feed.max_still_mib", self.feed.max_still_mib, 1024),
            ("feed.max_still_megapixels", self.feed.max_still_megapixels, 256),
        ] {
            if !(1..=max).contains(&value) {
                return invalid(field, format!("must be 1..={max}, got {value}"));
            }
        }
        if !(self.camera.distance_m == 0.0 || (10.0..=1_000_000.0).contains(&self.camera.distance_m)) {
            return invalid(
                "camera.distance_m",
                format!("must be 0 (fit the city) or 10..=1000000, got {}", self.camera.distance_m),
            );
        }
        for b in &self.camera.bookmarks {
            if !crate::frame::LonLat::new(b.lon, b.lat).is_valid() {
                return invalid(
                    "camera.bookmarks.lon",
                    format!("bookmark `{}`: [{}, {}] is not a valid lon/lat", b.name, b.lon, b.lat),
                );
            }
            if let Some(city) = b.city.as_deref()
                && city.trim().starts_with("embedded:")
                && let Err(message) = CitySource::parse(city)
            {
                return invalid("camera.bookmarks.city", format!("bookmark `{}`: {message}", b.name));
            }
            let pitches = MIN_PITCH_DEG..=MAX_PITCH_DEG;
            if !(10.0..=1_000_000.0).contains(&b.distance_m) || !pitches.contains(&b.pitch_deg) {
                return invalid(
                    "camera.bookmarks",
                    format!(
                        "bookmark `{}`: distance_m must be 10..=1000000 and pitch_deg \
                         {MIN_PITCH_DEG}..={MAX_PITCH_DEG}, got {} and {}",
                        b.name, b.distance_m, b.pitch_deg
                    ),
                );
            }
        }
        for m in &self.models {
            if !crate::frame::LonLat::new(m.lon, m.lat).is_valid() {
                return invalid(
                    "models.lon",
                    format!("model `{}`: [{}, {}] is not a valid lon/lat", m.name, m.lon, m.lat),
                );
            }
            if !(m.scale > 0.0 && m.scale <= 1000.0) {
                return invalid("models.scale", format!("model `{}`: must be in (0, 1000], got {}", m.name, m.scale));
            }
        }
        if !self.basemap.url.is_empty()
            && let Err(m) = crate::tiles::TileSource::validate(&self.basemap.url)
        {
            return invalid("basemap.url", m);
        }
        if self.basemap.max_zoom > 22 {
            return invalid("basemap.max_zoom", format!("must be 0..=22, got {}", self.basemap.max_zoom));
        }
        if !(1..=512).contains(&self.basemap.max_tiles) {
            return invalid("basemap.max_tiles", format!("must be 1..=512, got {}", self.basemap.max_tiles));
        }
        for spec in &self.feed.hotspots {
            if let Err(e) = crate::sim::InjectedHotspot::parse(spec) {
                return invalid("feed.hotspots", format!("`{spec}`: {e}"));
            }
        }
        if let Err(m) = self.heartbeat.limits() {
            return invalid("heartbeat.limits_h", m);
        }
        if !(1..=4).contains(&self.tactile.chime_severity) {
            return invalid("tactile.chime_severity", format!("must be 1..=4, got {}", self.tactile.chime_severity));
        }
        if self.tactile.operator.trim().is_empty() {
            return invalid("tactile.operator", "must name the duty seat, got an empty string".into());
        }
        if !(50.0..=5000.0).contains(&self.hub.radius_m) {
            return invalid("hub.radius_m", format!("must be 50..=5000 metres, got {}", self.hub.radius_m));
        }
        if !(0.0..=30.0).contains(&self.hub.undo_seconds) {
            return invalid("hub.undo_seconds", format!("must be 0..=30, got {}", self.hub.undo_seconds));
        }
        if !(2.0..=120.0).contains(&self.hub.unconfirmed_seconds) {
            return invalid(
                "hub.unconfirmed_seconds",
                format!("must be 2..=120, got {}", self.hub.unconfirmed_seconds),
            );
        }
        if !(0.0..=30.0).contains(&self.camera.fly_seconds) {
            return invalid("camera.fly_seconds", format!("must be 0..=30, got {}", self.camera.fly_seconds));
        }
        if !(MIN_PITCH_DEG..=MAX_PITCH_DEG).contains(&self.camera.pitch_deg) {
            return invalid(
                "camera.pitch_deg",
                format!("must be {MIN_PITCH_DEG}..={MAX_PITCH_DEG}, got {}", self.camera.pitch_deg),
            );
        }
        for (name, p) in [("style.night.tall_m", &self.style.night), ("style.day.tall_m", &self.style.day)] {
            if !p.tall_m.is_finite() || p.tall_m <= 0.0 {
                return invalid(name, format!("must be positive, got {}", p.tall_m));
            }
        }
        Ok(())
    }
}

/// The field an error is in: the TOML reader's keys, or what the text shows where that says
/// more (`window.widht` for an unknown key in `[window]`, where the reader has `window`).
fn field(keys: Option<String>, text: Option<String>) -> Option<String> {
    match (keys, text) {
        (Some(k), Some(t)) if t.len() > k.len() && t.starts_with(&format!("{k}.")) => Some(t),
        (Some(k), _) => Some(k),
        (None, t) => t,
    }
}

/// The field a deserialisation error is in, as the TOML reader keeps it (`ui.lang` for a wrong
/// language): its table keys, which it shows only when it has no text to point into.
fn field_of(e: &toml::de::Error) -> Option<String> {
    let mut bare = e.clone();
    bare.set_input(None);
    let shown = bare.to_string();
    let keys = shown.lines().rev().find_map(|l| l.strip_prefix("in `")?.strip_suffix('`'))?;
    (!keys.is_empty()).then(|| keys.to_owned())
}

/// The field at a byte offset, as far as the text shows: the table header above it and the key
/// on its line (`window.widht` for an unknown key, `camera.bookmarks` for a bookmark's header).
fn field_at(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("").trim();
    let header = |l: &str| -> Option<String> {
        let l = l.split('#').next().unwrap_or("").trim();
        l.starts_with('[').then(|| l.trim_matches(['[', ']']).trim().replace([' ', '"'], ""))
    };
    if let Some(table) = header(line) {
        return (!table.is_empty()).then_some(table);
    }
    let table = text[..start].lines().rev().find_map(header).unwrap_or_default();
    let key = line.split_once('=').map(|(k, _)| k.trim().trim_matches('"')).filter(|k| !k.is_empty());
    match key {
        None => (!table.is_empty()).then_some(table),
        Some(key) if table.is_empty() => Some(key.to_owned()),
        Some(key) => Some(format!("{table}.{key}")),
    }
}
