//! Named live metrics computed from the feed store, for the decision theatre's charts and the
//! narration templates (`{open_incidents_by_category.fire}`), and the heartbeat hub's efficiency
//! supervision (效能监管, `efficiency`). One registry ([`METRICS`]) names them, so a scene that
//! binds an unknown name or key is refused when it is checked, not shown empty on the wall.
//!
//! Computing is one pass over each table of the store; the app recomputes when the store changed,
//! at most once a second.

mod efficiency;
mod template;
#[cfg(test)]
mod tests;

pub use efficiency::{
    DEFAULT_LIMITS_H, EfficiencyLimits, EfficiencyRow, EfficiencyTable, STEP_KEYS, STEPS, closed_on_first_handling,
    efficiency, step_minutes,
};
pub use template::{TemplateError, check_template};

use std::collections::{BTreeMap, HashMap};

use crate::lang::Lang;
use crate::protocol::{IncidentCategory, IncidentStatus, IndexAspect, Millis, UnitStatus};
use crate::store::FeedStore;

/// A metric's value: one number, or labelled numbers in a fixed order (a chart's bars).
#[derive(Clone, Debug, PartialEq)]
pub enum MetricValue {
    Scalar(f64),
    Series(Vec<SeriesPoint>),
}

/// One element of a series.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesPoint {
    /// As templates name it: a protocol name (`fire`, `en_route`, `social_governance`), a
    /// severity (`1`..`4`), a step (`reported_accepted`), a district's or sensor kind's name.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub value: f64,
}

impl SeriesPoint {
    fn new(key: impl Into<String>, label_zh: impl Into<String>, label_en: impl Into<String>, value: f64) -> Self {
        Self { key: key.into(), label_zh: label_zh.into(), label_en: label_en.into(), value }
    }

    /// The label in `lang`.
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.label_zh,
            Lang::En => &self.label_en,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    Scalar,
    Series,
}

/// What a metric's numbers are, which says how they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricUnit {
    /// Whole numbers: `12`.
    Count,
    /// The governance index, 0 to 100: one decimal, `85.3`.
    Index,
    /// Per cent: one decimal and `%`, `87.5%`.
    Percent,
    /// Minutes: one decimal, `4.5`.
    Minutes,
}

impl MetricUnit {
    /// `value` written as templates show it.
    pub fn format(self, value: f64) -> String {
        if !value.is_finite() {
            return MISSING.into();
        }
        match self {
            Self::Count => format!("{value:.0}"),
            Self::Index | Self::Minutes => format!("{value:.1}"),
            Self::Percent => format!("{value:.1}%"),
        }
    }
}

/// The keys a series has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKeys {
    /// A scalar has none.
    None,
    /// Always these (a template naming another is refused when checked).
    Fixed(&'static [&'static str]),
    /// Known only from the data (districts, sensor kinds): a key absent at run time shows `—`.
    Runtime,
}

/// One entry of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricInfo {
    pub name: &'static str,
    pub kind: MetricKind,
    pub unit: MetricUnit,
    pub keys: MetricKeys,
    pub title_zh: &'static str,
    pub title_en: &'static str,
}

impl MetricInfo {
    /// The title in `lang`.
    pub fn title(&self, lang: Lang) -> &'static str {
        lang.tr(self.title_zh, self.title_en)
    }
}

/// What a template shows for a value that is not there (no index yet, a district with no data).
pub const MISSING: &str = "—";

/// Every category's protocol name, in the protocol's order.
const CATEGORY_KEYS: &[&str] = &{
    let mut keys = [""; IncidentCategory::ALL.len()];
    let mut i = 0;
    while i < keys.len() {
        keys[i] = IncidentCategory::ALL[i].name();
        i += 1;
    }
    keys
};
const OPEN_STATUS_KEYS: &[&str] = &["reported", "accepted", "assigned", "handling", "feedback", "review"];
const SEVERITY_KEYS: &[&str] = &["1", "2", "3", "4"];
const UNIT_STATUS_KEYS: &[&str] = &["available", "patrolling", "en_route", "on_scene", "returning", "offline"];
const ASPECT_KEYS: &[&str] =
    &["social_governance", "city_management", "public_security", "rule_of_law", "public_services", "public_safety"];

const fn info(
    name: &'static str,
    kind: MetricKind,
    unit: MetricUnit,
    keys: MetricKeys,
    title_zh: &'static str,
    title_en: &'static str,
) -> MetricInfo {
    MetricInfo { name, kind, unit, keys, title_zh, title_en }
}

use MetricKind::{Scalar as S, Series as L};
use MetricUnit::{Count, Index, Minutes, Percent};

/// Every metric, by name.
pub const METRICS: &[MetricInfo] = &[
    info("open_incidents", S, Count, MetricKeys::None, "在办事件", "open incidents"),
    info(
        "open_incidents_by_category",
        L,
        Count,
        MetricKeys::Fixed(CATEGORY_KEYS),
        "在办事件 (按类别)",
        "open incidents by category",
    ),
    info("open_incidents_by_district", L, Count, MetricKeys::Runtime, "在办事件 (按区)", "open incidents by district"),
    info(
        "open_incidents_by_status",
        L,
        Count,
        MetricKeys::Fixed(OPEN_STATUS_KEYS),
        "在办事件 (按环节)",
        "open incidents by stage",
    ),
    info(
        "open_incidents_by_severity",
        L,
        Count,
        MetricKeys::Fixed(SEVERITY_KEYS),
        "在办事件 (按等级)",
        "open incidents by severity",
    ),
    info("units_by_status", L, Count, MetricKeys::Fixed(UNIT_STATUS_KEYS), "力量状态", "units by status"),
    info("units_available", S, Count, MetricKeys::None, "可调度力量", "units free to dispatch"),
    info("alarming_sensors", S, Count, MetricKeys::None, "告警感知设备", "sensors in alarm"),
    info("sensors_by_kind_alarming", L, Count, MetricKeys::Runtime, "告警设备 (按类型)", "sensors in alarm by kind"),
    info("cameras_online", S, Count, MetricKeys::None, "在线摄像头", "cameras online"),
    info("cameras_offline", S, Count, MetricKeys::None, "离线摄像头", "cameras offline"),
    info("index_overall", S, Index, MetricKeys::None, "治理指数", "governance index"),
    info("index_aspects", L, Index, MetricKeys::Fixed(ASPECT_KEYS), "指数分项", "index aspects"),
    info(
        "lifecycle_avg_minutes",
        L,
        Minutes,
        MetricKeys::Fixed(&STEP_KEYS),
        "各环节平均用时 (分钟)",
        "average minutes per lifecycle step",
    ),
    info("overdue_incidents", S, Count, MetricKeys::None, "超时事件", "overdue incidents"),
    info(
        "overdue_incidents_by_category",
        L,
        Count,
        MetricKeys::Fixed(CATEGORY_KEYS),
        "超时事件 (按类别)",
        "overdue incidents by category",
    ),
    info(
        "overdue_incidents_by_district",
        L,
        Count,
        MetricKeys::Runtime,
        "超时事件 (按区)",
        "overdue incidents by district",
    ),
    info("first_handling_share", S, Percent, MetricKeys::None, "一次办结率", "closed on first handling"),
    info("closed_today", S, Count, MetricKeys::None, "今日办结", "closed today"),
    info("reported_last_hour", S, Count, MetricKeys::None, "近一小时上报", "reported in the last hour"),
];

/// The registry entry of `name`.
pub fn metric_info(name: &str) -> Option<&'static MetricInfo> {
    METRICS.iter().find(|m| m.name == name)
}

/// Whether `name` is a metric; the error lists the names closest to it (or all of them).
pub fn check_metric(name: &str) -> Result<(), String> {
    if metric_info(name).is_some() {
        return Ok(());
    }
    Err(format!("no metric `{name}`; {}", suggest(name, METRICS.iter().map(|m| m.name))))
}

/// "did you mean a, b?" for the candidates within a few edits of `word` (or sharing a word with
/// it), else "the names are ..." with all of them.
pub(crate) fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str> + Clone) -> String {
    let limit = (word.chars().count() / 3).max(2);
    let mut close: Vec<(usize, &str)> = candidates
        .clone()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= limit || (word.len() >= 4 && (c.contains(word) || word.contains(c))))
        .collect();
    close.sort();
    if close.is_empty() {
        let all: Vec<&str> = candidates.collect();
        return format!("the names are {}", all.join(", "));
    }
    let names: Vec<&str> = close.iter().take(4).map(|(_, c)| *c).collect();
    format!("did you mean {}?", names.join(", "))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// The metrics of one moment of the store.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    values: HashMap<&'static str, MetricValue>,
    efficiency: EfficiencyTable,
}

/// China Standard Time, the platform's day for `closed_today`.
const DAY_OFFSET_MS: Millis = 8 * 3_600_000;
const DAY_MS: Millis = 86_400_000;

impl Metrics {
    /// Every metric of [`METRICS`] from the store at `now` (`index_overall` and `index_aspects`
    /// are absent until the feed sent an index), and the efficiency table.
    pub fn compute(store: &FeedStore, now: Millis, limits: &EfficiencyLimits) -> Self {
        let districts = efficiency::Districts::of(store);
        let mut tally = efficiency::Tally::new(&districts);
        let mut by_category = [0usize; 9];
        let mut overdue_by_category = [0usize; 9];
        let mut by_status = [0usize; 6];
        let mut by_severity = [0usize; 4];
        let mut open_by_district: HashMap<&str, usize> = HashMap::new();
        let mut overdue_by_district: HashMap<&str, usize> = HashMap::new();
        let (mut open, mut overdue, mut closed_today, mut reported_last_hour) = (0usize, 0usize, 0usize, 0usize);
        let today = (now + DAY_OFFSET_MS).div_euclid(DAY_MS);
        for (_, i) in store.incidents.iter() {
            let district = districts.of_incident(i);
            let late = tally.add(i, district, now, limits);
            if now - i.reported_at <= 3_600_000 && i.reported_at <= now {
                reported_last_hour += 1;
            }
            if i.status == IncidentStatus::Archived {
                let closed_at =
                    i.stages.iter().rev().find(|s| s.status == IncidentStatus::Archived).map_or(i.updated_at, |s| s.at);
                closed_today += usize::from((closed_at + DAY_OFFSET_MS).div_euclid(DAY_MS) == today);
                continue;
            }
            open += 1;
            overdue += usize::from(late);
            let c = IncidentCategory::ALL.iter().position(|c| *c == i.category).unwrap_or(8);
            by_category[c] += 1;
            overdue_by_category[c] += usize::from(late);
            if let Some(s) = IncidentStatus::ALL.iter().position(|s| *s == i.status).filter(|s| *s < 6) {
                by_status[s] += 1;
            }
            by_severity[usize::from(i.severity.clamp(1, 4) - 1)] += 1;
            let d = district.unwrap_or(efficiency::NO_DISTRICT.0);
            *open_by_district.entry(d).or_default() += 1;
            *overdue_by_district.entry(d).or_default() += usize::from(late);
        }

        let mut units = [0usize; 6];
        for (_, u) in store.units.iter() {
            units[unit_status_index(u.status)] += 1;
        }
        let mut alarming = 0usize;
        let mut sensor_kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, s) in store.sensors.iter() {
            alarming += usize::from(s.alarm);
            *sensor_kinds.entry(s.kind.as_str()).or_default() += usize::from(s.alarm);
        }
        let online = store.cameras.iter().filter(|(_, c)| c.online).count();

        let mut values: HashMap<&'static str, MetricValue> = HashMap::with_capacity(METRICS.len());
        let count = |n: usize| MetricValue::Scalar(n as f64);
        values.insert("open_incidents", count(open));
        let categories = |counts: &[usize; 9]| {
            MetricValue::Series(
                IncidentCategory::ALL
                    .iter()
                    .zip(counts)
                    .map(|(c, n)| SeriesPoint::new(c.name(), c.label_zh(), c.label_en(), *n as f64))
                    .collect(),
            )
        };
        values.insert("open_incidents_by_category", categories(&by_category));
        values.insert("overdue_incidents_by_category", categories(&overdue_by_category));
        let district_rows = tally.district_rows(&districts);
        let by_district = |counts: &HashMap<&str, usize>| {
            MetricValue::Series(
                district_rows
                    .iter()
                    .map(|(k, _)| {
                        let n = counts.get(k.as_str()).copied().unwrap_or(0) as f64;
                        if k == efficiency::NO_DISTRICT.0 && !districts.names.contains(k) {
                            SeriesPoint::new(k.clone(), efficiency::NO_DISTRICT.1, efficiency::NO_DISTRICT.2, n)
                        } else {
                            SeriesPoint::new(k.clone(), k.clone(), k.clone(), n)
                        }
                    })
                    .collect(),
            )
        };
        values.insert("open_incidents_by_district", by_district(&open_by_district));
        values.insert("overdue_incidents_by_district", by_district(&overdue_by_district));
        values.insert(
            "open_incidents_by_status",
            MetricValue::Series(
                IncidentStatus::ALL
                    .iter()
                    .zip(by_status)
                    .map(|(s, n)| SeriesPoint::new(OPEN_STATUS_KEYS[*s as usize], s.label_zh(), s.label_en(), n as f64))
                    .collect(),
            ),
        );
        values.insert(
            "open_incidents_by_severity",
            MetricValue::Series(
                by_severity
                    .iter()
                    .enumerate()
                    .map(|(k, n)| {
                        SeriesPoint::new(
                            SEVERITY_KEYS[k],
                            format!("{} 级", k + 1),
                            format!("severity {}", k + 1),
                            *n as f64,
                        )
                    })
                    .collect(),
            ),
        );
        values.insert(
            "units_by_status",
            MetricValue::Series(
                UNIT_STATUSES
                    .iter()
                    .zip(units)
                    .enumerate()
                    .map(|(k, ((_, zh, en), n))| SeriesPoint::new(UNIT_STATUS_KEYS[k], *zh, *en, n as f64))
                    .collect(),
            ),
        );
        values.insert("units_available", count(units[0] + units[1]));
        values.insert("alarming_sensors", count(alarming));
        values.insert(
            "sensors_by_kind_alarming",
            MetricValue::Series(
                sensor_kinds
                    .into_iter()
                    .map(|(kind, n)| {
                        let (zh, en) = sensor_kind_labels(kind);
                        SeriesPoint::new(kind, zh, en, n as f64)
                    })
                    .collect(),
            ),
        );
        values.insert("cameras_online", count(online));
        values.insert("cameras_offline", count(store.cameras.len() - online));
        if let Some(index) = &store.index {
            values.insert("index_overall", MetricValue::Scalar(f64::from(index.overall)));
            let aspects = ASPECTS
                .iter()
                .enumerate()
                .filter_map(|(k, (aspect, zh, en))| {
                    let score = index.aspects.iter().find(|a| a.aspect == *aspect)?.score;
                    Some(SeriesPoint::new(ASPECT_KEYS[k], *zh, *en, f64::from(score)))
                })
                .collect();
            values.insert("index_aspects", MetricValue::Series(aspects));
        }
        let avg = tally.total.avg_step_minutes();
        values.insert(
            "lifecycle_avg_minutes",
            MetricValue::Series(
                STEPS
                    .iter()
                    .zip(avg)
                    .enumerate()
                    .filter_map(|(k, ((from, to), m))| {
                        let zh = format!("{}→{}", from.label_zh(), to.label_zh());
                        let en = format!("{} → {}", from.label_en(), to.label_en());
                        m.map(|m| SeriesPoint::new(STEP_KEYS[k], zh, en, m))
                    })
                    .collect(),
            ),
        );
        values.insert("overdue_incidents", count(overdue));
        if let Some(share) = tally.total.first_handling_share() {
            values.insert("first_handling_share", MetricValue::Scalar(share));
        }
        values.insert("closed_today", count(closed_today));
        values.insert("reported_last_hour", count(reported_last_hour));
        let efficiency = tally.table(&districts);
        Self { values, efficiency }
    }

    /// A metric by name; `None` for an unknown name, or one with no value now (no index yet, no
    /// archived incident for `first_handling_share`).
    pub fn get(&self, name: &str) -> Option<&MetricValue> {
        self.values.get(name)
    }

    /// A number by path: `open_incidents`, `open_incidents_by_category.fire`; `None` for an
    /// unknown or absent one. A series' `top_value` is its largest element, absent when no
    /// element is above zero (nothing is "the most").
    pub fn scalar(&self, path: &str) -> Option<f64> {
        let (name, key) = match path.split_once('.') {
            Some((n, k)) => (n, Some(k)),
            None => (path, None),
        };
        match (self.values.get(name)?, key) {
            (MetricValue::Scalar(v), None) => Some(*v),
            (MetricValue::Series(points), Some("top_value")) => top(points).map(|p| p.value),
            (MetricValue::Series(points), Some(key)) => points.iter().find(|p| p.key == key).map(|p| p.value),
            _ => None,
        }
    }

    /// The template with each `{placeholder}` replaced by its value in `lang` and each choice
    /// (`{open_incidents|zero=...|one=...|many=...}`) by the text of the case its number picks
    /// (`{{` and `}}` are braces); a name or key with no value now shows `—`. The syntax is in
    /// the `template` module's documentation. Check templates with [`check_template`] when they
    /// are loaded: here nothing fails.
    pub fn fill(&self, template: &str, lang: Lang) -> String {
        template::fill(template, |name, key| self.show(name, key, lang))
    }

    /// Metrics with no value at all, as before the feed's first snapshot: every placeholder
    /// shows `—` and every choice its `none` case (else `zero`, else `many`).
    pub fn empty() -> Self {
        let efficiency = efficiency(&FeedStore::default(), 0, &EfficiencyLimits::default());
        Self { values: HashMap::new(), efficiency }
    }

    /// Sets (or with `None` removes) the value of the registry's metric `name`, for previews and
    /// tests of narration with chosen figures; false for a name not in [`METRICS`].
    pub fn set(&mut self, name: &str, value: Option<MetricValue>) -> bool {
        let Some(info) = metric_info(name) else { return false };
        match value {
            Some(v) => {
                self.values.insert(info.name, v);
            }
            None => {
                self.values.remove(info.name);
            }
        }
        true
    }

    /// The text of one placeholder.
    fn show(&self, name: &str, key: Option<&str>, lang: Lang) -> String {
        let unit = metric_info(name).map_or(MetricUnit::Count, |m| m.unit);
        match (self.values.get(name), key) {
            (Some(MetricValue::Series(points)), Some("top")) => {
                top(points).map_or_else(|| MISSING.into(), |p| p.label(lang).to_owned())
            }
            (Some(_), _) => self
                .scalar(&key.map_or_else(|| name.to_owned(), |k| format!("{name}.{k}")))
                .map_or_else(|| MISSING.into(), |v| unit.format(v)),
            (None, _) => MISSING.into(),
        }
    }

    /// The efficiency table computed with the metrics.
    pub fn efficiency(&self) -> &EfficiencyTable {
        &self.efficiency
    }
}

/// The largest element, the first of equals; `None` when no element is above zero: a series of
/// zeros has no "most" to name (a template says so with a choice on `top_value`).
fn top(points: &[SeriesPoint]) -> Option<&SeriesPoint> {
    points.iter().reduce(|best, p| if p.value > best.value { p } else { best }).filter(|p| p.value > 0.0)
}

const UNIT_STATUSES: [(UnitStatus, &str, &str); 6] = [
    (UnitStatus::Available, "待命", "available"),
    (UnitStatus::Patrolling, "巡逻", "patrolling"),
    (UnitStatus::EnRoute, "出动途中", "en route"),
    (UnitStatus::OnScene, "到达现场", "on scene"),
    (UnitStatus::Returning, "返回", "returning"),
    (UnitStatus::Offline, "离线", "offline"),
];

fn unit_status_index(s: UnitStatus) -> usize {
    UNIT_STATUSES.iter().position(|(u, _, _)| *u == s).unwrap_or(5)
}

const ASPECTS: [(IndexAspect, &str, &str); 6] = [
    (IndexAspect::SocialGovernance, "社会治理", "social governance"),
    (IndexAspect::CityManagement, "城市管理", "city management"),
    (IndexAspect::PublicSecurity, "治安防控", "public security"),
    (IndexAspect::RuleOfLaw, "法治建设", "rule of law"),
    (IndexAspect::PublicServices, "公共服务", "public services"),
    (IndexAspect::PublicSafety, "公共安全", "public safety"),
];

/// Labels of the sensor kinds the platform knows; another kind is shown as it is named.
fn sensor_kind_labels(kind: &str) -> (String, String) {
    let known = [
        ("water_level", "水位", "water level"),
        ("smoke", "烟感", "smoke"),
        ("gas", "燃气", "gas"),
        ("noise", "噪声", "noise"),
        ("air_quality", "空气质量", "air quality"),
    ];
    known
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or_else(|| (kind.to_owned(), kind.replace('_', " ")), |(_, zh, en)| ((*zh).into(), (*en).into()))
}
