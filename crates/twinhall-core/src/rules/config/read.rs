//! The rules file (`config/rules.toml`) read with spans through [`crate::toml_text`]: every
//! field of every `[[rule]]` checked, ids unique, errors naming file, line and field.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::model::*;
use crate::protocol::{AreaLevel, IncidentCategory, Millis, UnitKind};
use crate::toml_text::{TomlFile, integer, number, sorted_entries};

/// The shipped rules, identical to `config/rules.toml`.
pub const DEFAULT_RULES: &str = include_str!("../../../../../config/rules.toml");

/// The longest window or duration a rule may ask for: a week.
const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;
/// The largest count a rule may ask for.
const MAX_COUNT: i64 = 10_000;
/// The largest cluster radius, metres.
const MAX_RADIUS_M: f64 = 50_000.0;

const AREA_LEVELS: [AreaLevel; 5] =
    [AreaLevel::City, AreaLevel::District, AreaLevel::Street, AreaLevel::Community, AreaLevel::Grid];

impl Rules {
    /// Parses and checks rules; `path` names the text in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Rules, RulesError> {
        let ctx = Ctx(TomlFile { text, path, array: "rule" });
        let mut rules: Vec<Rule> = Vec::new();
        ctx.each_table(|item| {
            let rule = ctx.rule(rules.len(), item)?;
            if let Some(first) = rules.iter().find(|r| r.id == rule.id) {
                return Err(RulesError::Invalid {
                    path: path.into(),
                    line: rule.line("id"),
                    field: format!("rule[{}].id", rules.len()),
                    message: format!("duplicate rule id `{}` (first at line {})", rule.id, first.line("id")),
                });
            }
            rules.push(rule);
            Ok(())
        })?;
        Ok(Rules { path: path.into(), rules })
    }

    /// Reads and checks a rules file.
    pub fn load(path: &Path) -> Result<Rules, RulesError> {
        Self::parse(&crate::toml_text::read(path)?, path)
    }

    /// The shipped rules.
    pub fn shipped() -> Result<Rules, RulesError> {
        Self::parse(DEFAULT_RULES, Path::new("config/rules.toml"))
    }
}

fn parse_enum<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

fn enum_names<T: Serialize>(all: &[T]) -> String {
    all.iter().map(enum_name).collect::<Vec<_>>().join(", ")
}

/// The fields every rule has, and each kind's own.
const COMMON: [&str; 6] = ["id", "name_zh", "name_en", "severity", "suggest", "kind"];
const FENCE_FIELDS: [&str; 4] = ["area", "areas", "area_level", "polygon"];
const KINDS: [(&str, &[&str]); 7] = [
    ("threshold", &["sensor_kind", "above", "below", "clear", "for_s"]),
    ("rate", &["sensor_kind", "rise", "fall", "window_s"]),
    ("stale", &["entity", "sensor_kind", "period_s"]),
    ("geofence", &["area", "areas", "area_level", "polygon", "event", "unit_kinds"]),
    ("geofence_incidents", &["area", "areas", "area_level", "polygon", "category", "more_than", "window_min"]),
    ("cluster", &["category", "count", "radius_m", "window_min"]),
    ("cameras_offline", &["area", "areas", "area_level", "polygon", "count", "share"]),
];

/// The rules file being read (its text and name, for errors), and the checks of a `[[rule]]`.
struct Ctx<'a>(TomlFile<'a>);

impl<'a> std::ops::Deref for Ctx<'a> {
    type Target = TomlFile<'a>;

    fn deref(&self) -> &TomlFile<'a> {
        &self.0
    }
}

/// One `[[rule]]` table being read: its fields, its position, and the lines seen.
struct RuleTable<'c, 'a, 't, 'i> {
    ctx: &'c Ctx<'a>,
    prefix: String,
    span: Range<usize>,
    table: &'t DeTable<'i>,
    lines: BTreeMap<String, usize>,
}

impl Ctx<'_> {
    fn rule(&self, index: usize, value: &Spanned<DeValue<'_>>) -> Result<Rule, RulesError> {
        let prefix = format!("rule[{index}]");
        let Some(table) = value.get_ref().as_table() else {
            return Err(self.invalid(value.span(), prefix, "must be a table: write [[rule]]"));
        };
        let mut t = RuleTable { ctx: self, prefix, span: value.span(), table, lines: BTreeMap::new() };
        t.lines.insert(String::new(), self.line(value.span().start));
        for (key, v) in sorted_entries(table) {
            t.lines.insert(key.get_ref().as_ref().to_string(), self.line(v.span().start));
        }
        let id = t.string("id")?;
        if id.contains(['/', ' ', '\t']) {
            return Err(t.err("id", format!("`{id}` must not hold spaces or `/` (alerts are keyed rule/subject)")));
        }
        let name_zh = t.string("name_zh")?;
        let name_en = t.string("name_en")?;
        let severity = t.integer_in("severity", 1, 4)? as u8;
        let suggest = t.category("suggest")?;
        let kind_name = t.string("kind")?;
        let Some((_, fields)) = KINDS.iter().find(|(k, _)| *k == kind_name) else {
            let known: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
            return Err(t.err("kind", format!("unknown rule kind `{kind_name}`; expected one of {}", known.join(", "))));
        };
        for (key, _) in sorted_entries(table) {
            let k = key.get_ref().as_ref();
            if !COMMON.contains(&k) && !fields.contains(&k) {
                return Err(self.invalid(
                    key.span(),
                    format!("{}.{k}", t.prefix),
                    format!("unknown field for a {kind_name} rule; expected {}", fields.join(", ")),
                ));
            }
        }
        let kind = match kind_name.as_str() {
            "threshold" => {
                let (direction, level) = t.one_of("above", "below")?;
                let clear = match t.get("clear") {
                    Some(_) => t.number("clear")?,
                    None => level,
                };
                let wrong_side = match direction {
                    Direction::Up => clear > level,
                    Direction::Down => clear < level,
                };
                if wrong_side {
                    let (side, word) =
                        if direction == Direction::Up { ("above", "at or below") } else { ("below", "at or above") };
                    return Err(t.err(
                        "clear",
                        format!("{clear} is on the alarm side of {side} = {level}; the alert clears {word} it"),
                    ));
                }
                RuleKind::Threshold(Threshold {
                    sensor_kind: t.string("sensor_kind")?,
                    direction,
                    level,
                    clear,
                    for_ms: t.seconds_or("for_s", 0.0, true)?,
                })
            }
            "rate" => {
                let (direction, change) = t.one_of("rise", "fall")?;
                if change <= 0.0 {
                    let field = if direction == Direction::Up { "rise" } else { "fall" };
                    return Err(t.err(field, format!("must be a positive change, got {change}")));
                }
                RuleKind::Rate(Rate {
                    sensor_kind: t.string("sensor_kind")?,
                    direction,
                    change,
                    window_ms: t.seconds("window_s", 1.0, false)?,
                })
            }
            "stale" => {
                let entity = match t.string("entity")?.as_str() {
                    "sensor" => StaleEntity::Sensor,
                    "camera" => StaleEntity::Camera,
                    other => {
                        return Err(t.err("entity", format!("unknown entity `{other}`; expected sensor or camera")));
                    }
                };
                let sensor_kind = match t.get("sensor_kind") {
                    Some(_) if entity == StaleEntity::Camera => {
                        return Err(t.err("sensor_kind", "only for entity = \"sensor\"".to_string()));
                    }
                    Some(_) => Some(t.string("sensor_kind")?),
                    None => None,
                };
                let period_ms = match t.get("period_s") {
                    Some(_) => Some(t.seconds("period_s", 1.0, false)?),
                    None => None,
                };
                RuleKind::Stale(Stale { entity, sensor_kind, period_ms })
            }
            "geofence" => {
                let event = match t.string("event")?.as_str() {
                    "enter" => FenceEvent::Enter,
                    "leave" => FenceEvent::Leave,
                    other => return Err(t.err("event", format!("unknown event `{other}`; expected enter or leave"))),
                };
                let unit_kinds = match t.get("unit_kinds") {
                    Some(_) => t.unit_kinds("unit_kinds")?,
                    None => Vec::new(),
                };
                RuleKind::Geofence(Geofence { fence: t.fence(None)?, event, unit_kinds })
            }
            "geofence_incidents" => RuleKind::GeofenceIncidents(FenceIncidents {
                fence: t.fence(None)?,
                category: t.category("category")?,
                more_than: t.integer_in("more_than", 0, MAX_COUNT)? as u32,
                window_ms: t.minutes("window_min")?,
            }),
            "cluster" => {
                let radius_m = t.number("radius_m")?;
                if !(radius_m > 0.0 && radius_m <= MAX_RADIUS_M) {
                    return Err(t.err("radius_m", format!("must be within (0, {MAX_RADIUS_M}] metres, got {radius_m}")));
                }
                RuleKind::Cluster(Cluster {
                    category: t.category("category")?,
                    count: t.integer_in("count", 2, MAX_COUNT)? as u32,
                    radius_m,
                    window_ms: t.minutes("window_min")?,
                })
            }
            _ => {
                let share = if t.get("share").is_some() { t.number("share")? } else { 0.0 };
                if !(0.0..=1.0).contains(&share) {
                    return Err(t.err("share", format!("must be a share of the area's cameras, 0 to 1, got {share}")));
                }
                RuleKind::CamerasOffline(CamerasOffline {
                    fence: t.fence(Some(AreaLevel::Grid))?,
                    count: t.integer_in("count", 1, MAX_COUNT)? as u32,
                    share,
                })
            }
        };
        Ok(Rule { id, name_zh, name_en, severity, suggest, kind, lines: t.lines })
    }
}

impl RuleTable<'_, '_, '_, '_> {
    fn get(&self, name: &str) -> Option<&Spanned<DeValue<'_>>> {
        self.table.get(name)
    }

    fn field(&self, name: &str) -> String {
        format!("{}.{name}", self.prefix)
    }

    /// An error at a field (or at the rule when the field is absent).
    fn err(&self, name: &str, message: String) -> RulesError {
        let span = self.get(name).map(|v| v.span()).unwrap_or(self.span.clone());
        self.ctx.invalid(span, self.field(name), message)
    }

    fn required(&self, name: &str) -> Result<&Spanned<DeValue<'_>>, RulesError> {
        self.get(name).ok_or_else(|| self.ctx.invalid(self.span.clone(), self.field(name), "missing (required)"))
    }

    fn string(&self, name: &str) -> Result<String, RulesError> {
        let value = self.required(name)?;
        match value.get_ref().as_str() {
            Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Some(_) => Err(self.err(name, "must not be empty".into())),
            None => Err(self.err(name, format!("must be a string, got {}", value.get_ref().type_str()))),
        }
    }

    fn number(&self, name: &str) -> Result<f64, RulesError> {
        let value = self.required(name)?;
        match number(value.get_ref()) {
            Some(x) if x.is_finite() => Ok(x),
            Some(x) => Err(self.err(name, format!("must be a finite number, got {x}"))),
            None => Err(self.err(name, format!("must be a number, got {}", value.get_ref().type_str()))),
        }
    }

    fn integer_in(&self, name: &str, lo: i64, hi: i64) -> Result<i64, RulesError> {
        let value = self.required(name)?;
        match (integer(value.get_ref()), number(value.get_ref())) {
            (Some(n), _) if (lo..=hi).contains(&n) => Ok(n),
            (Some(n), _) => Err(self.err(name, format!("must be {lo}..={hi}, got {n}"))),
            (None, Some(x)) => Err(self.err(name, format!("must be a whole number {lo}..={hi}, got {x}"))),
            (None, None) => {
                Err(self.err(name, format!("must be a whole number {lo}..={hi}, got {}", value.get_ref().type_str())))
            }
        }
    }

    /// Seconds as milliseconds, at least `min_s` (zero allowed when `zero_ok`), at most a week.
    fn seconds(&self, name: &str, min_s: f64, zero_ok: bool) -> Result<Millis, RulesError> {
        let s = self.number(name)?;
        let ok = (s >= min_s || (zero_ok && s == 0.0)) && s <= MAX_SECONDS;
        if !ok {
            let lo = if zero_ok { "0".to_string() } else { format!("{min_s}") };
            return Err(self.err(name, format!("must be {lo}..={MAX_SECONDS} seconds, got {s}")));
        }
        Ok((s * 1000.0).round() as Millis)
    }

    fn seconds_or(&self, name: &str, default_s: f64, zero_ok: bool) -> Result<Millis, RulesError> {
        match self.get(name) {
            Some(_) => self.seconds(name, 0.0, zero_ok),
            None => Ok((default_s * 1000.0) as Millis),
        }
    }

    fn minutes(&self, name: &str) -> Result<Millis, RulesError> {
        let m = self.number(name)?;
        if !(m > 0.0 && m * 60.0 <= MAX_SECONDS) {
            return Err(self.err(name, format!("must be a positive number of minutes, at most a week, got {m}")));
        }
        Ok((m * 60_000.0).round() as Millis)
    }

    /// Exactly one of two numeric fields (`above`/`below`, `rise`/`fall`).
    fn one_of(&self, up: &str, down: &str) -> Result<(Direction, f64), RulesError> {
        match (self.get(up).is_some(), self.get(down).is_some()) {
            (true, false) => Ok((Direction::Up, self.number(up)?)),
            (false, true) => Ok((Direction::Down, self.number(down)?)),
            (true, true) => Err(self.err(down, format!("give either {up} or {down}, not both"))),
            (false, false) => {
                Err(self.ctx.invalid(self.span.clone(), self.field(up), format!("missing: give {up} or {down}")))
            }
        }
    }

    fn category(&self, name: &str) -> Result<IncidentCategory, RulesError> {
        let text = self.string(name)?;
        parse_enum(&text).ok_or_else(|| {
            self.err(name, format!("unknown category `{text}`; expected one of {}", enum_names(&IncidentCategory::ALL)))
        })
    }

    fn unit_kinds(&self, name: &str) -> Result<Vec<UnitKind>, RulesError> {
        let value = self.required(name)?;
        let Some(items) = value.get_ref().as_array() else {
            return Err(self.err(name, "must be an array of unit kinds".into()));
        };
        let mut kinds = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let field = format!("{}[{j}]", self.field(name));
            let kind = item.get_ref().as_str().and_then(parse_enum::<UnitKind>).ok_or_else(|| {
                self.ctx.invalid(
                    item.span(),
                    field,
                    format!("unknown unit kind; expected one of {}", enum_names(&UnitKind::ALL)),
                )
            })?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        if kinds.is_empty() {
            return Err(self.err(name, "must name at least one unit kind (or leave the field out)".into()));
        }
        Ok(kinds)
    }

    /// Exactly one of `area`, `areas`, `area_level`, `polygon`; `default` when none is given.
    fn fence(&mut self, default: Option<AreaLevel>) -> Result<Fence, RulesError> {
        let given: Vec<&str> = FENCE_FIELDS.iter().copied().filter(|f| self.get(f).is_some()).collect();
        let name = match (given.as_slice(), default) {
            ([one], _) => *one,
            ([], Some(level)) => return Ok(Fence::Level(level)),
            ([], None) => {
                return Err(self.ctx.invalid(
                    self.span.clone(),
                    self.field("area"),
                    format!("missing: give one of {}", FENCE_FIELDS.join(", ")),
                ));
            }
            ([first, second, ..], _) => {
                return Err(
                    self.err(second, format!("give one of {}, not both {first} and {second}", FENCE_FIELDS.join(", ")))
                );
            }
        };
        match name {
            "area" => Ok(Fence::Area(self.string("area")?)),
            "area_level" => {
                let text = self.string("area_level")?;
                parse_enum(&text).map(Fence::Level).ok_or_else(|| {
                    self.err(
                        "area_level",
                        format!("unknown area level `{text}`; expected one of {}", enum_names(&AREA_LEVELS)),
                    )
                })
            }
            "areas" => {
                let table = self.table;
                let Some(value) = table.get("areas") else { return Err(self.err("areas", "missing".into())) };
                let Some(items) = value.get_ref().as_array() else {
                    return Err(self.err("areas", "must be an array of area ids".into()));
                };
                let mut ids: Vec<String> = Vec::new();
                let mut lines = Vec::new();
                for (j, item) in items.iter().enumerate() {
                    let field = format!("{}[{j}]", self.field("areas"));
                    match item.get_ref().as_str().map(str::trim) {
                        Some(id) if !id.is_empty() && !ids.iter().any(|x| x == id) => ids.push(id.to_string()),
                        Some(id) if !id.is_empty() => {
                            return Err(self.ctx.invalid(item.span(), field, format!("area `{id}` is listed twice")));
                        }
                        _ => return Err(self.ctx.invalid(item.span(), field, "must be a non-empty area id")),
                    }
                    lines.push((format!("areas[{j}]"), self.ctx.line(item.span().start)));
                }
                self.lines.extend(lines);
                if ids.is_empty() {
                    return Err(self.err("areas", "must list at least one area id".into()));
                }
                Ok(Fence::Areas(ids))
            }
            _ => self.polygon(),
        }
    }

    fn polygon(&self) -> Result<Fence, RulesError> {
        let value = self.required("polygon")?;
        let Some(items) = value.get_ref().as_array() else {
            return Err(self.err("polygon", "must be an array of [lon, lat] points".into()));
        };
        let mut ring: Vec<[f64; 2]> = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let field = format!("{}[{j}]", self.field("polygon"));
            let pair = item.get_ref().as_array().filter(|a| a.len() == 2);
            let point = pair.and_then(|a| Some([number(a[0].get_ref())?, number(a[1].get_ref())?]));
            let Some([lon, lat]) = point else {
                return Err(self.ctx.invalid(item.span(), field, "must be a [lon, lat] pair of numbers"));
            };
            if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
                return Err(self.ctx.invalid(
                    item.span(),
                    field,
                    format!("[{lon}, {lat}] is not a longitude in -180..180 and a latitude in -90..90"),
                ));
            }
            ring.push([lon, lat]);
        }
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        if ring.len() < 3 {
            return Err(self.err("polygon", format!("needs at least 3 distinct points, got {}", ring.len())));
        }
        let twice_area: f64 = (0..ring.len())
            .map(|i| {
                let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum();
        if twice_area.abs() < 1e-14 {
            return Err(self.err("polygon", "has no area (its points are on one line)".into()));
        }
        Ok(Fence::Polygon(ring))
    }
}
