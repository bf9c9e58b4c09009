//! The `[camera]` section: the starting view and the bookmarks.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::CitySource;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraConfig {
    /// Distance from the focus point, metres; 0 fits the whole city in view.
    pub distance_m: f32,
    /// Angle below the horizon, degrees: 5..=89 (89 looks all but straight down), as the
    /// control API's fly-to and a briefing's shot allow.
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
