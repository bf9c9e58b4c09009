//! The app configuration, read from TOML. Every field has a default; an unknown field or a
//! wrong value is an error that names the file, the line and the field.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The built-in configuration, identical to `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {message}")]
    Parse { path: PathBuf, line: usize, message: String },
    #[error("{path}: {field}: {message}")]
    Invalid { path: PathBuf, field: &'static str, message: String },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks the text for this language; every on-screen string goes through here.
    pub fn tr(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }

    /// A length of time in the largest whole unit that fits: "45 秒", "15 分钟", "3 小时",
    /// "370 天" / "45 s", "15 min", "3 h", "370 d".
    pub fn span(self, seconds: f64) -> String {
        let s = seconds.max(0.0) as u64;
        let (n, zh, en) = match s {
            0..60 => (s, "秒", "s"),
            60..3_600 => (s / 60, "分钟", "min"),
            3_600..86_400 => (s / 3_600, "小时", "h"),
            _ => (s / 86_400, "天", "d"),
        };
        format!("{n} {}", self.tr(zh, en))
    }

    /// How long ago, from a span: "15 分钟前" / "15 min ago".
    pub fn ago(self, seconds: f64) -> String {
        match self {
            Self::Zh => format!("{}前", self.span(seconds)),
            Self::En => format!("{} ago", self.span(seconds)),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StyleMode {
    #[default]
    Night,
    Day,
}

/// What building colours encode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorBy {
    #[default]
    Height,
    Type,
}

/// Roof-line colours by building kind (residential, commercial, civic, religious, industrial,
/// small, other), used when `style.color_by = "type"`.
pub const KIND_COLOURS: [Rgba; 7] = [
    Rgba::hex(0x3a, 0x9a, 0xf0),
    Rgba::hex(0xff, 0xa6, 0x3a),
    Rgba::hex(0x3c, 0xe0, 0xb0),
    Rgba::hex(0xc0, 0x7c, 0xff),
    Rgba::hex(0xc8, 0x8a, 0x50),
    Rgba::hex(0x8a, 0x98, 0xa8),
    Rgba::hex(0x6a, 0xb8, 0xe8),
];

/// An sRGB colour written as `#rrggbb` or `#rrggbbaa`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgba(pub [f32; 4]);

impl Rgba {
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix('#')?;
        if !(hex.len() == 6 || hex.len() == 8) || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok().map(|b| f32::from(b) / 255.0);
        let a = if hex.len() == 8 { byte(6)? } else { 1.0 };
        Some(Self([byte(0)?, byte(2)?, byte(4)?, a]))
    }

    const fn hex(r: u8, g: u8, b: u8) -> Self {
        Self([r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0, 1.0])
    }
}

impl fmt::Display for Rgba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        write!(f, "#{:02x}{:02x}{:02x}", c(self.0[0]), c(self.0[1]), c(self.0[2]))?;
        if self.0[3] < 1.0 {
            write!(f, "{:02x}", c(self.0[3]))?;
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Rgba {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a colour; write #rrggbb or #rrggbbaa")))
    }
}

impl Serialize for Rgba {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

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

/// The control API (a tablet, another console or a script drives the wall over HTTP).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControlConfig {
    /// Address to listen on, `127.0.0.1:8790`; empty: no control API. Beyond loopback only with
    /// a token.
    pub listen: String,
    /// Bearer token every request but `/v1/health` must carry; never logged.
    /// `TWINHALL_CONTROL_TOKEN` in the environment overrides it.
    pub token: String,
}

impl ControlConfig {
    /// The address to listen on, when the API is on.
    pub fn addr(&self) -> Result<Option<std::net::SocketAddr>, String> {
        let listen = self.listen.trim();
        if listen.is_empty() {
            return Ok(None);
        }
        listen
            .parse()
            .map(Some)
            .map_err(|_| format!("`{listen}` is not an address and port, e.g. 127.0.0.1:8790 or 0.0.0.0:8790"))
    }

    /// Why the API must not start as configured: listening beyond loopback without a token.
    pub fn exposure_error(&self) -> Option<String> {
        match self.addr() {
            Ok(Some(addr)) if !addr.ip().is_loopback() && self.token.is_empty() => Some(format!(
                "the control API would listen on {addr}, beyond this machine, without a token: set control.token \
                 (or TWINHALL_CONTROL_TOKEN), or listen on 127.0.0.1"
            )),
            _ => None,
        }
    }
}

impl fmt::Debug for ControlConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlConfig")
            .field("listen", &self.listen)
            .field("token", &if self.token.is_empty() { "" } else { "<redacted>" })
            .finish()
    }
}

/// The heartbeat hub (心跳中枢): efficiency supervision (效能监管).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeartbeatConfig {
    /// Hours an open case may take from its report before it is overdue, by category name
    /// (`fire`, `public_order` ...); a category left out keeps its default
    /// ([`crate::metrics::DEFAULT_LIMITS_H`]).
    #[serde(deserialize_with = "limits_over_defaults")]
    pub limits_h: std::collections::BTreeMap<String, f64>,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        Self { limits_h: crate::metrics::DEFAULT_LIMITS_H.iter().map(|(c, h)| (c.name().to_owned(), *h)).collect() }
    }
}

impl HeartbeatConfig {
    /// The time limits, as efficiency supervision takes them (the config is validated on load,
    /// so only a hand-built config can fail here).
    pub fn limits(&self) -> Result<crate::metrics::EfficiencyLimits, String> {
        crate::metrics::EfficiencyLimits::from_names(&self.limits_h)
    }
}

fn limits_over_defaults<'de, D: Deserializer<'de>>(d: D) -> Result<std::collections::BTreeMap<String, f64>, D::Error> {
    let mut limits = HeartbeatConfig::default().limits_h;
    limits.extend(std::collections::BTreeMap::<String, f64>::deserialize(d)?);
    Ok(limits)
}

/// The defence hub (防御中枢).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DefenceConfig {
    /// The incident heat map on the ground at start (the panel turns it on and off).
    pub heat: bool,
}

/// The tactile hub (触觉中枢): warning rules and their alerts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TactileConfig {
    /// Rules file (预警规则); empty uses the built-in copy of config/rules.toml.
    pub rules: String,
    /// A short chime when an alert of at least `chime_severity` opens (the panel mutes it too).
    pub chime: bool,
    /// The least severity (1..=4) that chimes.
    pub chime_severity: u8,
    /// Who the alerts' record names as acknowledging, dismissing or reporting (the duty seat).
    pub operator: String,
}

impl Default for TactileConfig {
    fn default() -> Self {
        Self { rules: String::new(), chime: true, chime_severity: 3, operator: "值班席 Duty desk".into() }
    }
}

/// The action hub (行动中枢).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubConfig {
    /// Radius of the surroundings drawn and listed around a focused incident, metres.
    pub radius_m: f64,
    /// Plans file (预案); empty uses the built-in copy of config/plans.toml.
    pub plans: String,
    /// The dispatch journal (SQLite); empty is ~/.local/share/twinhall/journal.sqlite.
    pub journal: String,
    /// Seconds the undo bar shows before a dispatch order leaves.
    pub undo_seconds: f32,
    /// Seconds without an answer before an order is shown as unconfirmed (and resent).
    pub unconfirmed_seconds: f32,
    /// Focus this incident once the feed is live: an id, `auto` (the most severe open incident)
    /// or empty (none).
    pub focus: String,
    /// With `focus`: dispatch its recommended plan once (scripted demos).
    pub dispatch_plan: bool,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            radius_m: 500.0,
            plans: String::new(),
            journal: String::new(),
            undo_seconds: 3.0,
            unconfirmed_seconds: 10.0,
            focus: String::new(),
            dispatch_plan: false,
        }
    }
}

/// Raster base-map tiles draped on the ground.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BasemapConfig {
    /// XYZ/TMS URL template (http:// or https://) or a local folder template, with {z}, {x}, {y};
    /// empty turns the base map off.
    pub url: String,
    pub scheme: crate::tiles::TileScheme,
    pub grid: crate::tiles::TileGrid,
    pub max_zoom: u8,
    /// On-disk cache of fetched tiles; empty is ~/.cache/twinhall/tiles. Cached tiles are used
    /// when the server cannot be reached.
    pub cache_dir: String,
    /// Most tiles drawn at once.
    pub max_tiles: usize,
}

impl Default for BasemapConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            scheme: crate::tiles::TileScheme::Xyz,
            grid: crate::tiles::TileGrid::WebMercator,
            max_zoom: 19,
            cache_dir: String::new(),
            max_tiles: 48,
        }
    }
}

/// A glTF/GLB model placed at a lon/lat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub name: String,
    /// Path under assets/, e.g. `models/command_centre.glb`.
    pub path: String,
    pub lon: f64,
    pub lat: f64,
    #[serde(default)]
    pub altitude_m: f32,
    /// Compass direction the model's front (+Z) faces, degrees clockwise from north.
    #[serde(default)]
    pub heading_deg: f32,
    #[serde(default = "one")]
    pub scale: f32,
}

fn one() -> f32 {
    1.0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    pub lang: Lang,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WindowConfig {
    pub width: u32,
    pub height: u32,
    pub fullscreen: bool,
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self { width: 1600, height: 900, fullscreen: false }
    }
}

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

/// The backend. Its `Debug` shows the token as `<redacted>` and the URL without its secrets.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// Backend base URL; empty runs the simulator in-process.
    pub url: String,
    /// Bearer token; never logged. `TWINHALL_FEED_TOKEN` in the environment overrides it.
    pub token: String,
    /// Extra trusted CA certificates (PEM) for an https:// backend with a private CA.
    pub ca_file: String,
    /// Largest snapshot accepted, MiB; a larger one is refused and counted.
    pub max_snapshot_mib: u32,
    /// Largest stream line or event (its `data:` lines together) accepted, MiB.
    pub max_event_mib: u32,
    /// Largest camera still body accepted, MiB.
    pub max_still_mib: u32,
    /// Most pixels of a camera still, millions, checked from its header before decoding.
    pub max_still_megapixels: u32,
    /// Hot spots for the embedded simulator, `GRID[:CATEGORY[:FACTOR]]` (demos of the defence
    /// hub): with any, the simulated city has run an hour with them when the wall opens.
    pub hotspots: Vec<String>,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: String::new(),
            ca_file: String::new(),
            max_snapshot_mib: 256,
            max_event_mib: 4,
            max_still_mib: 16,
            max_still_megapixels: 16,
            hotspots: Vec::new(),
        }
    }
}

impl fmt::Debug for FeedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedConfig")
            .field("url", &crate::redact::redact_url(&self.url))
            .field("token", &if self.token.is_empty() { "" } else { "<redacted>" })
            .field("ca_file", &self.ca_file)
            .field("max_snapshot_mib", &self.max_snapshot_mib)
            .field("max_event_mib", &self.max_event_mib)
            .field("max_still_mib", &self.max_still_mib)
            .field("max_still_megapixels", &self.max_still_megapixels)
            .field("hotspots", &self.hotspots)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StyleConfig {
    pub mode: StyleMode,
    /// What the building colour shows: height or type.
    pub color_by: ColorBy,
    #[serde(deserialize_with = "night_palette")]
    pub night: Palette,
    #[serde(deserialize_with = "day_palette")]
    pub day: Palette,
}

fn night_palette<'de, D: Deserializer<'de>>(d: D) -> Result<Palette, D::Error> {
    Ok(PaletteOverride::deserialize(d)?.apply(Palette::night()))
}

fn day_palette<'de, D: Deserializer<'de>>(d: D) -> Result<Palette, D::Error> {
    Ok(PaletteOverride::deserialize(d)?.apply(Palette::day()))
}

macro_rules! palette_override {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// A palette table in the config: any field left out keeps the style's default.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct PaletteOverride {
            $(#[serde(default)] $field: Option<$ty>,)*
        }

        impl PaletteOverride {
            fn apply(self, mut base: Palette) -> Palette {
                $(if let Some(v) = self.$field { base.$field = v; })*
                base
            }
        }
    };
}

palette_override!(
    sky: Rgba, ground: Rgba, building_base: Rgba, building_top: Rgba, building_tall: Rgba,
    roof: Rgba, tall_m: f32, road_major: Rgba, road_minor: Rgba, path: Rgba, railway: Rgba,
    water: Rgba, green: Rgba, ambient: f32, sun_lux: f32,
);

impl Default for StyleConfig {
    fn default() -> Self {
        Self { mode: StyleMode::Night, color_by: ColorBy::Height, night: Palette::night(), day: Palette::day() }
    }
}

impl StyleConfig {
    pub fn palette(&self) -> &Palette {
        match self.mode {
            StyleMode::Night => &self.night,
            StyleMode::Day => &self.day,
        }
    }
}

/// Colours of one style.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Palette {
    pub sky: Rgba,
    pub ground: Rgba,
    pub building_base: Rgba,
    pub building_top: Rgba,
    pub building_tall: Rgba,
    pub roof: Rgba,
    pub tall_m: f32,
    pub road_major: Rgba,
    pub road_minor: Rgba,
    pub path: Rgba,
    pub railway: Rgba,
    pub water: Rgba,
    pub green: Rgba,
    /// Ambient light brightness (cd/m² as Bevy measures it).
    pub ambient: f32,
    /// Sun illuminance in lux.
    pub sun_lux: f32,
}

impl Palette {
    pub fn night() -> Self {
        Self {
            sky: Rgba::hex(0x04, 0x08, 0x14),
            ground: Rgba::hex(0x08, 0x10, 0x1e),
            building_base: Rgba::hex(0x06, 0x12, 0x2c),
            building_top: Rgba::hex(0x2f, 0x8c, 0xe0),
            building_tall: Rgba::hex(0x6a, 0xf0, 0xff),
            roof: Rgba::hex(0x1c, 0x4f, 0x8c),
            tall_m: 60.0,
            road_major: Rgba::hex(0xff, 0xb3, 0x40),
            road_minor: Rgba::hex(0x2e, 0x6a, 0x9a),
            path: Rgba::hex(0x1a, 0x36, 0x52),
            railway: Rgba::hex(0x9a, 0x6c, 0xff),
            water: Rgba::hex(0x0a, 0x3a, 0x6e),
            green: Rgba::hex(0x0e, 0x3b, 0x2e),
            ambient: 400.0,
            sun_lux: 3000.0,
        }
    }

    pub fn day() -> Self {
        Self {
            sky: Rgba::hex(0xbf, 0xd8, 0xee),
            ground: Rgba::hex(0xe4, 0xe1, 0xd8),
            building_base: Rgba::hex(0x9c, 0x98, 0x90),
            building_top: Rgba::hex(0xee, 0xea, 0xe2),
            building_tall: Rgba::hex(0xc0, 0xd4, 0xee),
            roof: Rgba::hex(0xd8, 0xd4, 0xcc),
            tall_m: 60.0,
            road_major: Rgba::hex(0xff, 0xd2, 0x7a),
            road_minor: Rgba::hex(0xff, 0xff, 0xff),
            path: Rgba::hex(0xd6, 0xcf, 0xc4),
            railway: Rgba::hex(0x8a, 0x84, 0x90),
            water: Rgba::hex(0x8e, 0xc3, 0xe6),
            green: Rgba::hex(0xb5, 0xd9, 0x9c),
            ambient: 900.0,
            sun_lux: 12000.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraConfig {
    /// Distance from the focus point, metres; 0 fits the whole city in view.
    pub distance_m: f32,
    /// Angle below the horizon, degrees (90 looks straight down).
    pub pitch_deg: f32,
    /// Compass heading the camera looks towards, degrees.
    pub heading_deg: f32,
    /// Seconds a fly-to takes.
    pub fly_seconds: f32,
    /// Named views; keys 1-9 fly to the first nine.
    pub bookmarks: Vec<Bookmark>,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self { distance_m: 0.0, pitch_deg: 45.0, heading_deg: 0.0, fly_seconds: 1.5, bookmarks: Vec::new() }
    }
}

/// A named camera view at a lon/lat (WGS84).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bookmark {
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    /// Height of the looked-at point above the ground, metres.
    #[serde(default)]
    pub altitude_m: f32,
    pub distance_m: f32,
    pub pitch_deg: f32,
    #[serde(default)]
    pub heading_deg: f32,
    /// The city it belongs to: `embedded:helsinki` or `helsinki`, `embedded:liechtenstein`, a
    /// file's name up to its first dot (`liechtenstein` for `data/liechtenstein.osm.pbf`) or its
    /// path. Offered only while that city is open; with none, while its point lies in the city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
}

impl Bookmark {
    /// Whether this bookmark is offered while `source` is open; `inside` tells whether a
    /// lon/lat lies in the loaded city (asked only of bookmarks without a `city`).
    pub fn belongs_to(&self, source: &CitySource, inside: impl Fn(f64, f64) -> bool) -> bool {
        match self.city.as_deref().map(str::trim) {
            Some(city) => {
                let bare = city.strip_prefix("embedded:").unwrap_or(city);
                bare.eq_ignore_ascii_case(&source.key())
                    || matches!(source, CitySource::File(path) if Path::new(city) == path.as_path())
            }
            None => inside(self.lon, self.lat),
        }
    }
}

impl CameraConfig {
    /// The bookmarks offered while `source` is open, in config order (see [`Bookmark::belongs_to`]).
    pub fn bookmarks_for(&self, source: &CitySource, inside: impl Fn(f64, f64) -> bool) -> Vec<&Bookmark> {
        self.bookmarks.iter().filter(|b| b.belongs_to(source, &inside)).collect()
    }
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
            let offset = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
            let line = text[..offset].matches('\n').count() + 1;
            let section = text[..offset]
                .lines()
                .rev()
                .map(str::trim)
                .find(|l| l.starts_with('['))
                .map(|l| format!(" (in {l})"))
                .unwrap_or_default();
            let message = e.message().trim().replace('\n', " ");
            ConfigError::Parse { path: path.into(), line, message: format!("{message}{section}") }
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
            if !(10.0..=1_000_000.0).contains(&b.distance_m) || !(5.0..=90.0).contains(&b.pitch_deg) {
                return invalid(
                    "camera.bookmarks",
                    format!("bookmark `{}`: distance_m must be 10..=1000000 and pitch_deg 5..=90", b.name),
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
        if !(5.0..=90.0).contains(&self.camera.pitch_deg) {
            return invalid("camera.pitch_deg", format!("must be 5..=90, got {}", self.camera.pitch_deg));
        }
        for (name, p) in [("style.night.tall_m", &self.style.night), ("style.day.tall_m", &self.style.day)] {
            if !p.tall_m.is_finite() || p.tall_m <= 0.0 {
                return invalid(name, format!("must be positive, got {}", p.tall_m));
            }
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_time_take_the_largest_whole_unit() {
        let zh: Vec<String> = [0.0, 59.9, 60.0, 3_599.0, 3_600.0, 86_399.0, 86_400.0, 31_979_086.7]
            .iter()
            .map(|&s| Lang::Zh.span(s))
            .collect();
        assert_eq!(zh, ["0 秒", "59 秒", "1 分钟", "59 分钟", "1 小时", "23 小时", "1 天", "370 天"]);
        assert_eq!(Lang::En.span(905.0), "15 min");
        assert_eq!((Lang::Zh.ago(-5.0), Lang::En.ago(7_200.0)), ("0 秒前".to_owned(), "2 h ago".to_owned()));
    }

    #[test]
    fn default_file_equals_built_in_defaults_plus_the_demo_bookmarks_and_model() {
        let parsed = Config::parse(DEFAULT_TOML, Path::new("config/default.toml")).expect("the shipped config parses");
        assert_eq!(parsed.camera.bookmarks.len(), 8);
        assert_eq!(parsed.models.len(), 1);
        let mut without = parsed.clone();
        without.camera.bookmarks.clear();
        without.models.clear();
        assert_eq!(without, Config::default());
    }

    #[test]
    fn embedded_liechtenstein_is_a_city_source() {
        assert_eq!(CitySource::parse("embedded:liechtenstein"), Ok(CitySource::EmbeddedLiechtenstein));
        assert_eq!(CitySource::parse(" embedded:helsinki "), Ok(CitySource::EmbeddedHelsinki));
        let err = CitySource::parse("embedded:vienna").err().unwrap_or_default();
        assert!(err.contains("vienna") && err.contains("`helsinki`") && err.contains("`liechtenstein`"), "{err}");
        let err = CitySource::parse("").err().unwrap_or_default();
        assert!(err.contains("embedded:liechtenstein"), "{err}");
        let c = Config::parse("[city]\nsource = \"embedded:liechtenstein\"\n", Path::new("x.toml"));
        assert_eq!(c.map(|c| c.city.source).ok().as_deref(), Some("embedded:liechtenstein"));
    }

    #[test]
    fn the_shipped_bookmarks_are_offered_only_in_their_city() {
        let config = Config::parse(DEFAULT_TOML, Path::new("config/default.toml")).expect("the shipped config parses");
        let nowhere = |_: f64, _: f64| false;
        let names = |source: &CitySource| -> Vec<String> {
            config.camera.bookmarks_for(source, nowhere).iter().map(|b| b.name.clone()).collect()
        };
        let helsinki = names(&CitySource::EmbeddedHelsinki);
        assert_eq!(helsinki.len(), 4);
        assert!(helsinki[0].contains("Central Station"), "{helsinki:?}");
        let liechtenstein = names(&CitySource::EmbeddedLiechtenstein);
        assert_eq!(liechtenstein.len(), 4);
        assert!(
            liechtenstein.iter().any(|n| n.contains("Vaduz")) && liechtenstein.iter().any(|n| n.contains("Balzers"))
        );
        // The same extract loaded from a file is the same city.
        assert_eq!(names(&CitySource::File("data/liechtenstein.osm.pbf".into())), liechtenstein);
        assert!(names(&CitySource::Generated(1000)).is_empty());
        assert!(names(&CitySource::File("data/vienna.osm.pbf".into())).is_empty());
    }

    #[test]
    fn a_bookmark_without_a_city_is_offered_where_its_point_lies() {
        let text = "[[camera.bookmarks]]\nname = \"here\"\nlon = 10.0\nlat = 50.0\ndistance_m = 500.0\npitch_deg = 45.0\n\n\
                    [[camera.bookmarks]]\nname = \"there\"\ncity = \"data/town.geojson\"\nlon = 11.0\nlat = 51.0\n\
                    distance_m = 500.0\npitch_deg = 45.0\n";
        let config = Config::parse(text, Path::new("x.toml")).expect("parses");
        let near = |lon: f64, lat: f64| (lon - 10.0).abs() < 0.1 && (lat - 50.0).abs() < 0.1;
        let offered = |source: &CitySource| -> Vec<&str> {
            config.camera.bookmarks_for(source, near).iter().map(|b| b.name.as_str()).collect()
        };
        assert_eq!(offered(&CitySource::Generated(10)), ["here"]);
        assert_eq!(offered(&CitySource::File("data/town.geojson".into())), ["here", "there"]);
        // A path names that file only.
        assert_eq!(offered(&CitySource::File("elsewhere/town.geojson".into())), ["here"]);
        assert_eq!(offered(&CitySource::File("data/village.geojson".into())), ["here"]);
        let bad = text.replace("data/town.geojson", "embedded:atlantis");
        let err = Config::parse(&bad, Path::new("x.toml")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("camera.bookmarks.city") && err.contains("atlantis"), "{err}");
    }

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(Config::parse("", Path::new("x.toml")).ok(), Some(Config::default()));
    }

    #[test]
    fn unknown_field_names_file_line_and_field() {
        let err = Config::parse("[window]\nwidth = 800\nwidht = 600\n", Path::new("my.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("my.toml:3:"), "{err}");
        assert!(err.contains("widht") && err.contains("[window]"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn wrong_values_name_the_field() {
        let cases = [
            ("[ui]\nlang = \"fr\"\n", "fr"),
            ("[window]\nwidth = 10\n", "window.width"),
            ("[city]\nsource = \"generated:lots\"\n", "city.source"),
            ("[feed]\nurl = \"ftp://x\"\n", "feed.url"),
            ("[feed]\nmax_event_mib = 0\n", "feed.max_event_mib"),
            ("[basemap]\nurl = \"http://tiles/{z}/{x}.png\"\n", "basemap.url"),
            ("[basemap]\ngrid = \"utm\"\n", "utm"),
            ("[[city.layers]]\npath = \"a.geojson\"\nkind = \"roads\"\ncrs = \"WGS84\"\n", "city.layers.crs"),
            ("[[city.layers]]\npath = \"a.geojson\"\nkind = \"lakes\"\n", "lakes"),
            ("[style.night]\nsky = \"blue\"\n", "blue"),
            ("[style.day]\nsunshine = 3\n", "sunshine"),
            ("[window]\nwidth = \"wide\"\n", "my.toml:2"),
        ];
        for (text, needle) in cases {
            let err = Config::parse(text, Path::new("my.toml")).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(needle), "{text:?} gave {err:?}");
        }
    }

    #[test]
    fn feed_debug_shows_no_token() {
        let c =
            Config::parse("[feed]\nurl = \"https://u:pw@feed/?token=q\"\ntoken = \"s3cret\"\n", Path::new("x.toml"))
                .unwrap_or_default();
        let shown = format!("{c:?}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(!shown.contains("s3cret") && !shown.contains("pw") && !shown.contains("=q"), "{shown}");
    }

    #[test]
    fn the_control_api_is_checked_and_its_token_never_shown() {
        let c = Config::parse("[control]\nlisten = \"0.0.0.0:8790\"\ntoken = \"t0ken\"\n", Path::new("x.toml"))
            .unwrap_or_default();
        assert_eq!(c.control.addr().ok().flatten().map(|a| a.port()), Some(8790));
        assert_eq!(c.control.exposure_error(), None, "a token makes listening everywhere fine");
        assert!(!format!("{c:?}").contains("t0ken"));
        let open = ControlConfig { listen: "0.0.0.0:8790".into(), token: String::new() };
        assert!(open.exposure_error().is_some_and(|e| e.contains("without a token")));
        let local = ControlConfig { listen: "127.0.0.1:0".into(), token: String::new() };
        assert_eq!(local.exposure_error(), None);
        let err = Config::parse("[control]\nlisten = \"wall:80\"\n", Path::new("x.toml")).err().map(|e| e.to_string());
        assert!(err.as_deref().is_some_and(|e| e.contains("control.listen") && e.contains("wall:80")), "{err:?}");
        assert_eq!(ControlConfig::default().addr(), Ok(None), "off unless asked for");
    }

    #[test]
    fn a_palette_table_overrides_only_what_it_names() {
        let c = Config::parse("[style.night]\nwater = \"#ff0000\"\n", Path::new("x.toml")).unwrap_or_default();
        assert_eq!(c.style.night.water, Rgba([1.0, 0.0, 0.0, 1.0]));
        assert_eq!(c.style.night.ground, Palette::night().ground);
    }

    #[test]
    fn colours_round_trip() {
        let c = Rgba::parse("#0a3a6e").unwrap_or(Rgba([0.0; 4]));
        assert_eq!(c.to_string(), "#0a3a6e");
        assert_eq!(Rgba::parse("#0a3a6e80").map(|c| c.to_string()), Some("#0a3a6e80".into()));
        assert_eq!(Rgba::parse("0a3a6e"), None);
    }
}
