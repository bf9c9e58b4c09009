//! The rule model: each kind of rule with what it measures, a rule, and the rules of a file;
//! with the check of the rules against what the feed holds ([`Rules::validate`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

use crate::lang::Lang;
use crate::protocol::{AreaLevel, IncidentCategory, Millis, UnitKind};
use crate::store::FeedStore;

/// Which side of a level a reading must be on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Above the level (`above`), or a rise (`rise`).
    Up,
    /// Below the level (`below`), or a fall (`fall`).
    Down,
}

/// A sensor reading past a level for a while, cleared only once back past a second level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Threshold {
    pub sensor_kind: String,
    pub direction: Direction,
    /// Fires once readings stay past this (strictly above, or strictly below) for `for_ms`.
    pub level: f64,
    /// Clears at a reading at or past this, back on the normal side (equal to `level` when the
    /// file gives no `clear`).
    pub clear: f64,
    pub for_ms: Millis,
}

/// A sensor's reading rising (or falling) by at least `change` within `window_ms`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rate {
    pub sensor_kind: String,
    pub direction: Direction,
    pub change: f64,
    pub window_ms: Millis,
}

/// What a stale rule watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaleEntity {
    Sensor,
    Camera,
}

/// A sensor or camera silent for longer than its period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stale {
    pub entity: StaleEntity,
    /// Only sensors of this kind (sensors only); `None`: every one.
    pub sensor_kind: Option<String>,
    /// Silent for longer than this since its last report; `None`: past its own `stale_after`.
    pub period_ms: Option<Millis>,
}

/// Where a geofence is.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fence {
    /// One area of the feed, by id.
    Area(String),
    /// Several areas of the feed, each a fence of its own.
    Areas(Vec<String>),
    /// Every area of the feed at this level, each a fence of its own.
    Level(AreaLevel),
    /// A polygon in the file: a [lon, lat] ring, first point not repeated.
    Polygon(Vec<[f64; 2]>),
}

/// Which crossing of a fence fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FenceEvent {
    /// Fires when a unit is inside (a unit already inside when first seen counts as entering);
    /// clears when it leaves.
    Enter,
    /// Fires when a unit that was inside is outside; clears when it comes back.
    Leave,
}

/// A unit entering or leaving a fence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Geofence {
    pub fence: Fence,
    pub event: FenceEvent,
    /// Only units of these kinds; empty: every unit.
    pub unit_kinds: Vec<UnitKind>,
}

/// A fence holding more than `more_than` incidents of a category reported within the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FenceIncidents {
    pub fence: Fence,
    pub category: IncidentCategory,
    pub more_than: u32,
    pub window_ms: Millis,
}

/// At least `count` incidents of a category within `radius_m` of one of them, reported within
/// the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    pub category: IncidentCategory,
    pub count: u32,
    pub radius_m: f64,
    pub window_ms: Millis,
}

/// At least `count` cameras offline inside one fence (by default each grid area), and at least
/// `share` of the fence's cameras (0 to 1; 0 counts only): where hundreds of cameras stand in a
/// grid, a few offline is the normal state, not an alert.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CamerasOffline {
    pub fence: Fence,
    pub count: u32,
    pub share: f64,
}

impl CamerasOffline {
    /// Whether `offline` of `total` cameras in a fence break the rule.
    pub fn breaks(&self, offline: u32, total: u32) -> bool {
        offline >= self.count && f64::from(offline) >= self.share * f64::from(total)
    }
}

/// What a rule watches.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Threshold(Threshold),
    Rate(Rate),
    Stale(Stale),
    Geofence(Geofence),
    GeofenceIncidents(FenceIncidents),
    Cluster(Cluster),
    CamerasOffline(CamerasOffline),
}

impl RuleKind {
    /// The name the file uses.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Threshold(_) => "threshold",
            Self::Rate(_) => "rate",
            Self::Stale(_) => "stale",
            Self::Geofence(_) => "geofence",
            Self::GeofenceIncidents(_) => "geofence_incidents",
            Self::Cluster(_) => "cluster",
            Self::CamerasOffline(_) => "cameras_offline",
        }
    }

    /// What an alert's value means under this rule, for the officer (zh, en): a reading and its
    /// level, a change, how long a device has been silent, a count of incidents or cameras.
    /// None where the value says nothing (a unit crossing a fence).
    pub fn reading(&self, value: f64) -> Option<(String, String)> {
        let n = |v: f64| if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.1}") };
        Some(match self {
            Self::Threshold(t) => {
                let (zh, en) = match t.direction {
                    Direction::Up => ("高于", "above"),
                    Direction::Down => ("低于", "below"),
                };
                (
                    format!("读数 {}（{zh} {}）", n(value), n(t.level)),
                    format!("reading {} ({en} {})", n(value), n(t.level)),
                )
            }
            Self::Rate(r) => {
                let (zh, en) = match r.direction {
                    Direction::Up => ("上升", "rose"),
                    Direction::Down => ("下降", "fell"),
                };
                let minutes = n(r.window_ms as f64 / 60_000.0);
                (format!("{minutes} 分钟内{zh} {}", n(value)), format!("{en} {} in {minutes} min", n(value)))
            }
            Self::Stale(_) => {
                (format!("已失联 {}", Lang::Zh.span(value)), format!("silent for {}", Lang::En.span(value)))
            }
            Self::Geofence(_) => return None,
            Self::GeofenceIncidents(_) | Self::Cluster(_) => {
                (format!("{} 起事件", n(value)), format!("{} incidents", n(value)))
            }
            Self::CamerasOffline(_) => (format!("{} 路离线", n(value)), format!("{} offline", n(value))),
        })
    }

    /// The fence, for the kinds that have one.
    pub fn fence(&self) -> Option<&Fence> {
        match self {
            Self::Geofence(g) => Some(&g.fence),
            Self::GeofenceIncidents(g) => Some(&g.fence),
            Self::CamerasOffline(c) => Some(&c.fence),
            _ => None,
        }
    }

    /// The sensor kind, for the kinds that name one.
    pub fn sensor_kind(&self) -> Option<&str> {
        match self {
            Self::Threshold(t) => Some(&t.sensor_kind),
            Self::Rate(r) => Some(&r.sensor_kind),
            Self::Stale(s) => s.sensor_kind.as_deref(),
            _ => None,
        }
    }
}

/// One warning rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    /// 1 (low) to 4 (most severe).
    pub severity: u8,
    /// The plan category (`config/plans.toml`) the action hub suggests for an alert of this rule.
    pub suggest: IncidentCategory,
    pub kind: RuleKind,
    /// The line of each field in the file, for [`Rules::validate`].
    #[serde(skip)]
    pub(super) lines: BTreeMap<String, usize>,
}

impl Rule {
    /// A rule made in code (no file lines).
    pub fn new(
        id: &str,
        name_zh: &str,
        name_en: &str,
        severity: u8,
        suggest: IncidentCategory,
        kind: RuleKind,
    ) -> Self {
        Self {
            id: id.into(),
            name_zh: name_zh.into(),
            name_en: name_en.into(),
            severity,
            suggest,
            kind,
            lines: BTreeMap::new(),
        }
    }

    pub(super) fn line(&self, field: &str) -> usize {
        self.lines.get(field).or_else(|| self.lines.get("")).copied().unwrap_or(0)
    }
}

/// All rules, in file order, with the file they came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rules {
    pub path: PathBuf,
    pub rules: Vec<Rule>,
}

/// A rules file that cannot be read or is wrong (or names what the feed does not have); the
/// message names the file, the line and the field, on one line.
pub type RulesError = crate::toml_text::TomlFileError;

impl Rules {
    /// Checks the rules against what the feed holds: every sensor kind a rule names is the kind
    /// of at least one sensor, every area id is an area, and every area level has areas. The
    /// first rule that refers to something unknown is the error.
    pub fn validate(&self, store: &FeedStore) -> Result<(), RulesError> {
        let kinds: BTreeSet<&str> = store.sensors.iter().map(|(_, s)| s.kind.as_str()).collect();
        let levels: BTreeSet<AreaLevel> = store.areas.iter().map(|(_, a)| a.level).collect();
        for (i, rule) in self.rules.iter().enumerate() {
            let invalid = |field: &str, message: String| RulesError::Invalid {
                path: self.path.clone(),
                line: rule.line(field),
                field: format!("rule[{i}].{field}"),
                message,
            };
            if let Some(kind) = rule.kind.sensor_kind()
                && !kinds.contains(kind)
            {
                let known: Vec<&str> = kinds.iter().copied().collect();
                let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                return Err(invalid(
                    "sensor_kind",
                    format!("unknown sensor kind `{kind}`; the feed's sensors are of kinds: {known}"),
                ));
            }
            match rule.kind.fence() {
                Some(Fence::Area(id)) if store.areas.get(id).is_none() => {
                    return Err(invalid("area", format!("unknown area `{id}`: the feed has no area with this id")));
                }
                Some(Fence::Areas(ids)) => {
                    if let Some((j, id)) = ids.iter().enumerate().find(|(_, id)| store.areas.get(id).is_none()) {
                        return Err(invalid(
                            &format!("areas[{j}]"),
                            format!("unknown area `{id}`: the feed has no area with this id"),
                        ));
                    }
                }
                Some(Fence::Level(level)) if !levels.contains(level) => {
                    return Err(invalid("area_level", format!("the feed has no area at level `{}`", enum_name(level))));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The snake_case name serde gives a unit variant.
pub(crate) fn enum_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}
