//! The city handle every feature reads: the loaded model (f64, local metres) and its source.

use std::sync::Arc;

use bevy::prelude::*;
use twinhall_core::CityModel;
use twinhall_core::config::{Bookmark, CitySource, Lang};

/// The loaded city, shared with the feed simulator and overlays.
#[derive(Resource, Clone)]
pub struct City {
    pub model: Arc<CityModel>,
    pub source: CitySource,
}

impl City {
    /// The name shown on screen.
    pub fn display_name(&self, lang: Lang, configured: &str) -> String {
        source_name(&self.source, lang, configured)
    }
}

/// The city's name for people: the configured name, else one said from its source (the wall's
/// status line, the index briefing's heading).
pub fn source_name(source: &CitySource, lang: Lang, configured: &str) -> String {
    if !configured.is_empty() {
        return configured.to_owned();
    }
    match source {
        CitySource::EmbeddedHelsinki => lang.tr("赫尔辛基（演示城市）", "Helsinki (demo city)").to_owned(),
        CitySource::EmbeddedLiechtenstein => {
            lang.tr("列支敦士登（演示区域）", "Liechtenstein (demo region)").to_owned()
        }
        CitySource::Generated(n) => format!("{} {n}", lang.tr("生成城市", "Generated city")),
        CitySource::None => lang.tr("空白地面", "Empty ground").to_owned(),
        CitySource::File(p) => p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

impl City {
    /// The configured bookmarks offered for this city (see `Bookmark::belongs_to`).
    pub fn bookmarks<'a>(&self, camera: &'a twinhall_core::config::CameraConfig) -> Vec<&'a Bookmark> {
        let bounds = self.model.bounds();
        let frame = &self.model.frame;
        camera.bookmarks_for(&self.source, |lon, lat| {
            let p = frame.to_local(twinhall_core::LonLat::new(lon, lat));
            (bounds.min[0]..=bounds.max[0]).contains(&p[0]) && (bounds.min[1]..=bounds.max[1]).contains(&p[1])
        })
    }
}
