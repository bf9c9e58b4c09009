//! The decision theatre's briefings (决策剧场): one RON file per theme in scenes/, a theme and
//! its steps. Every name a step uses (layers, filters, queries, metrics, easings, the
//! placeholders of its narration) is checked while the file is read, so a mistake is an error
//! at `file:line:column` naming the field, never a step that silently does nothing.
//!
//! The format, with every field, is in scenes/README.md.

mod easing;
mod load;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Deserializer};

use crate::protocol::{AreaLevel, FacilityKind, IncidentCategory, IncidentStatus, IndexAspect, UnitKind, UnitStatus};

pub use easing::Easing;
pub use load::{SceneError, check_dir, parse, scene_files};

pub use crate::layers::Layers;

/// A themed briefing: what the presenter picks.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Briefing {
    pub theme: Theme,
    pub steps: Vec<Step>,
}

/// Title and colours of a briefing.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Stable name, used by `--brief` and the control API (`social_governance`).
    pub id: String,
    pub title: Text,
    #[serde(default)]
    pub subtitle: Text,
    /// Main accent (title bar, highlights), `"#rrggbb"`.
    #[serde(default = "default_accent")]
    pub accent: Colour,
    /// Second accent (charts' second series, the expert's card).
    #[serde(default = "default_accent2")]
    pub accent2: Colour,
    /// Place in the theme list (lower first), then the title.
    #[serde(default)]
    pub order: i32,
}

fn default_accent() -> Colour {
    Colour([0x2f, 0x80, 0xed])
}

fn default_accent2() -> Colour {
    Colour([0xf2, 0xc9, 0x4c])
}

/// Chinese and English text; the screen shows the one of the wall's language.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: crate::lang::Lang) -> &str {
        match lang {
            crate::lang::Lang::En if !self.en.is_empty() => &self.en,
            _ => &self.zh,
        }
    }
}

/// Narration whose placeholders (`{open_incidents}`) are filled from the live metrics; checked
/// against the metric registry when read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Narration {
    #[serde(deserialize_with = "template")]
    pub zh: String,
    #[serde(default, deserialize_with = "template")]
    pub en: String,
}

impl Narration {
    pub fn get(&self, lang: crate::lang::Lang) -> &str {
        match lang {
            crate::lang::Lang::En if !self.en.is_empty() => &self.en,
            _ => &self.zh,
        }
    }
}

fn template<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    crate::metrics::check_template(&s).map_err(|e| {
        serde::de::Error::custom(format!("placeholder at byte {} of the text: {}", e.offset, e.message))
    })?;
    Ok(s)
}

/// An sRGB colour written `"#rrggbb"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colour(pub [u8; 3]);

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let hex = s.strip_prefix('#').filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let Some(hex) = hex else {
            return Err(serde::de::Error::custom(format!("`{s}` is not a colour: write \"#rrggbb\"")));
        };
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
        Ok(Self([byte(0), byte(2), byte(4)]))
    }
}

/// One step of a briefing.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: Text,
    pub body: Narration,
    /// 专家解读, shown on its own card.
    #[serde(default)]
    pub expert: Option<Narration>,
    /// Where the camera goes; none: it stays where the last step left it.
    #[serde(default)]
    pub camera: Option<CameraMove>,
    /// Layers switched on or off for this step (the others as the presenter left them).
    #[serde(default)]
    pub layers: Layers,
    /// Which incidents and units the map shows during the step.
    #[serde(default)]
    pub filter: Filter,
    /// Entities drawn out in the theme's accent.
    #[serde(default)]
    pub highlight: Vec<Query>,
    /// Charts on the wall, bound to live metrics.
    #[serde(default)]
    pub charts: Vec<Chart>,
    /// Seconds the step stays up under autoplay (after its camera move).
    #[serde(default = "default_dwell", deserialize_with = "dwell")]
    pub dwell_s: f32,
}

/// Reads a number and refuses one outside `range`, naming `what`.
fn ranged<'de, D, T>(d: D, range: std::ops::RangeInclusive<T>, what: &str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + PartialOrd + std::fmt::Display,
{
    let v = T::deserialize(d)?;
    if !range.contains(&v) {
        return Err(serde::de::Error::custom(format!("{what} {v} is outside {}..={}", range.start(), range.end())));
    }
    Ok(v)
}

fn default_dwell() -> f32 {
    12.0
}

fn dwell<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    ranged(d, 1.0..=600.0, "dwell_s")
}

/// A camera move: one flight, or a path through keyframes.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub enum CameraMove {
    Fly(Shot),
    #[serde(deserialize_with = "path")]
    Path(Vec<Shot>),
}

fn path<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Shot>, D::Error> {
    let v = Vec::<Shot>::deserialize(d)?;
    if v.is_empty() || v.len() > 32 {
        return Err(serde::de::Error::custom(format!("a path needs 1 to 32 keyframes, not {}", v.len())));
    }
    Ok(v)
}

impl CameraMove {
    pub fn shots(&self) -> &[Shot] {
        match self {
            Self::Fly(s) => std::slice::from_ref(s),
            Self::Path(v) => v,
        }
    }

    /// Seconds the whole move takes.
    pub fn seconds(&self) -> f32 {
        self.shots().iter().map(|s| s.seconds).sum()
    }
}

/// A camera keyframe: where it looks, from how far and which way, reached in `seconds` with
/// `easing`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shot {
    pub at: Target,
    /// Distance from the target; 0 (the default) fits the target (the city, the highlights) on
    /// screen.
    #[serde(default, deserialize_with = "distance")]
    pub distance_m: f32,
    #[serde(default)]
    pub altitude_m: f32,
    #[serde(default)]
    pub heading_deg: f32,
    #[serde(default = "default_pitch", deserialize_with = "pitch")]
    pub pitch_deg: f32,
    #[serde(default = "default_seconds", deserialize_with = "seconds")]
    pub seconds: f32,
    #[serde(default)]
    pub easing: Easing,
}

fn default_pitch() -> f32 {
    50.0
}

fn default_seconds() -> f32 {
    3.0
}

fn distance<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    let m = f32::deserialize(d)?;
    if m != 0.0 && !(10.0..=200_000.0).contains(&m) {
        return Err(serde::de::Error::custom(format!("distance_m {m} is outside 10..=200000 (0 fits the target)")));
    }
    Ok(m)
}

fn pitch<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    ranged(d, 5.0..=89.0, "pitch_deg (degrees below the horizon)")
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    ranged(d, 0.0..=120.0, "seconds")
}

/// What a shot looks at. Briefings play on any city, so most shots name what to look at rather
/// than where it is.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawTarget")]
pub enum Target {
    /// The whole city.
    City,
    /// The step's highlighted entities (the city when none is found).
    Highlight,
    /// A point, `LonLat(24.9414, 60.1711)`.
    LonLat(f64, f64),
    /// A point given as a fraction of the city's extent from its south-west corner, `Fraction(0.5, 0.5)`.
    Fraction(f64, f64),
}

#[derive(Deserialize)]
enum RawTarget {
    City,
    Highlight,
    LonLat(f64, f64),
    Fraction(f64, f64),
}

impl TryFrom<RawTarget> for Target {
    type Error = String;

    fn try_from(r: RawTarget) -> Result<Self, String> {
        Ok(match r {
            RawTarget::City => Self::City,
            RawTarget::Highlight => Self::Highlight,
            RawTarget::LonLat(lon, lat) => {
                if !(-180.0..=180.0).contains(&lon) || !(-85.0..=85.0).contains(&lat) {
                    return Err(format!("LonLat({lon}, {lat}) is not a point on the map"));
                }
                Self::LonLat(lon, lat)
            }
            RawTarget::Fraction(x, y) => {
                if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
                    return Err(format!("Fraction({x}, {y}) must lie in 0..=1 each"));
                }
                Self::Fraction(x, y)
            }
        })
    }
}

/// What the map shows of incidents and units during a step; empty lists admit everything.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default)]
    pub categories: Vec<IncidentCategory>,
    #[serde(default, deserialize_with = "severity")]
    pub min_severity: u8,
    #[serde(default)]
    pub statuses: Vec<IncidentStatus>,
    #[serde(default)]
    pub unit_kinds: Vec<UnitKind>,
}

fn severity<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    ranged(d, 0..=4, "severity")
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn admits_incident(&self, category: IncidentCategory, severity: u8, status: IncidentStatus) -> bool {
        (self.categories.is_empty() || self.categories.contains(&category))
            && severity >= self.min_severity
            && (self.statuses.is_empty() || self.statuses.contains(&status))
    }

    pub fn admits_unit(&self, kind: UnitKind) -> bool {
        self.unit_kinds.is_empty() || self.unit_kinds.contains(&kind)
    }
}

/// Entities a step draws out.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub enum Query {
    /// Incidents by category, least severity and status (open ones when no status is named),
    /// most severe first, at most `limit`.
    Incidents(IncidentQuery),
    /// The worst areas of a level by the overall index or one aspect.
    WorstAreas(AreaQuery),
    /// Sensors in alarm.
    AlarmingSensors,
    /// Cameras offline.
    OfflineCameras,
    /// Units by kind and status.
    Units(UnitQuery),
    /// Facilities by kind.
    Facilities(FacilityQuery),
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    #[serde(default)]
    pub categories: Vec<IncidentCategory>,
    #[serde(default, deserialize_with = "severity")]
    pub min_severity: u8,
    #[serde(default)]
    pub statuses: Vec<IncidentStatus>,
    #[serde(default = "default_limit", deserialize_with = "limit")]
    pub limit: usize,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaQuery {
    pub level: AreaLevel,
    #[serde(default = "default_count", deserialize_with = "limit")]
    pub count: usize,
    #[serde(default)]
    pub aspect: Option<IndexAspect>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    #[serde(default)]
    pub kinds: Vec<UnitKind>,
    #[serde(default)]
    pub statuses: Vec<UnitStatus>,
    #[serde(default = "default_limit", deserialize_with = "limit")]
    pub limit: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilityQuery {
    #[serde(default)]
    pub kinds: Vec<FacilityKind>,
    #[serde(default = "default_limit", deserialize_with = "limit")]
    pub limit: usize,
}

fn default_limit() -> usize {
    50
}

fn default_count() -> usize {
    5
}

fn limit<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    ranged(d, 1..=500, "count")
}

/// A chart bound to a live metric.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawChart")]
pub struct Chart {
    pub kind: ChartKind,
    pub metric: String,
    pub title: Option<Text>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum ChartKind {
    /// Bars of a series metric.
    Bar,
    /// A scalar metric over the session (or a series' elements, one line each).
    Line,
    /// Shares of a series metric.
    Pie,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChart {
    kind: ChartKind,
    metric: String,
    #[serde(default)]
    title: Option<Text>,
}

impl TryFrom<RawChart> for Chart {
    type Error = String;

    fn try_from(r: RawChart) -> Result<Self, String> {
        crate::metrics::check_metric(&r.metric).map_err(|e| format!("metric: {e}"))?;
        let series =
            crate::metrics::metric_info(&r.metric).is_some_and(|m| m.kind == crate::metrics::MetricKind::Series);
        if !series && r.kind != ChartKind::Line {
            return Err(format!(
                "metric `{}` is one number: a {:?} chart needs a series (a Line chart plots one number over time)",
                r.metric, r.kind
            ));
        }
        Ok(Self { kind: r.kind, metric: r.metric, title: r.title })
    }
}
