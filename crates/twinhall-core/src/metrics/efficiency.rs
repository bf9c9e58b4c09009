//! Efficiency supervision (效能监管): how the platform's cases move, per district and per category,
//! read from the incidents in the store: how many are open, how many are past their category's
//! time limit, how long each lifecycle step takes (from the incidents' 流转记录 `stages`) and the
//! share closed on first handling (never sent back from review).

use std::collections::{BTreeMap, HashMap};

use crate::protocol::{Area, AreaLevel, Incident, IncidentCategory, IncidentStatus, Millis, StageTime};
use crate::store::FeedStore;

/// The lifecycle steps whose time is measured, as (from, to): the time spent in each of the
/// first six stages on the way to the next, 上报→受理 … 审核→归档 (see [`step_minutes`]).
pub const STEPS: [(IncidentStatus, IncidentStatus); 6] = [
    (IncidentStatus::Reported, IncidentStatus::Accepted),
    (IncidentStatus::Accepted, IncidentStatus::Assigned),
    (IncidentStatus::Assigned, IncidentStatus::Handling),
    (IncidentStatus::Handling, IncidentStatus::Feedback),
    (IncidentStatus::Feedback, IncidentStatus::Review),
    (IncidentStatus::Review, IncidentStatus::Archived),
];

/// Each step's key in the `lifecycle_avg_minutes` series.
pub const STEP_KEYS: [&str; 6] = [
    "reported_accepted",
    "accepted_assigned",
    "assigned_handling",
    "handling_feedback",
    "feedback_review",
    "review_archived",
];

/// Hours an open case of each category may take before it is overdue, unless the config says
/// otherwise (`[heartbeat] limits_h`).
pub const DEFAULT_LIMITS_H: [(IncidentCategory, f64); 9] = [
    (IncidentCategory::Dispute, 72.0),
    (IncidentCategory::PublicOrder, 4.0),
    (IncidentCategory::Fire, 2.0),
    (IncidentCategory::Traffic, 2.0),
    (IncidentCategory::CityManagement, 48.0),
    (IncidentCategory::Environment, 24.0),
    (IncidentCategory::PublicHealth, 12.0),
    (IncidentCategory::WorkSafety, 8.0),
    (IncidentCategory::Other, 48.0),
];

/// Time limits per category, hours from the report.
#[derive(Clone, Debug, PartialEq)]
pub struct EfficiencyLimits {
    pub hours: HashMap<IncidentCategory, f64>,
}

impl Default for EfficiencyLimits {
    fn default() -> Self {
        Self { hours: DEFAULT_LIMITS_H.into_iter().collect() }
    }
}

impl EfficiencyLimits {
    /// The defaults with the hours named by category (`fire`, `public_order` ...) in their place;
    /// an unknown category, or hours that are not a positive number, is an error naming it.
    pub fn from_names(hours: &BTreeMap<String, f64>) -> Result<Self, String> {
        let mut limits = Self::default();
        for (name, h) in hours {
            let Some(category) = IncidentCategory::from_name(name) else {
                let known: Vec<&str> = IncidentCategory::ALL.iter().map(|c| c.name()).collect();
                return Err(format!("`{name}` is no incident category; the categories are {}", known.join(", ")));
            };
            if !(h.is_finite() && *h > 0.0) {
                return Err(format!("`{name}` must be a positive number of hours, got {h}"));
            }
            limits.hours.insert(category, *h);
        }
        Ok(limits)
    }

    /// The limit of a category in milliseconds (a category left out has none).
    pub fn limit_ms(&self, category: IncidentCategory) -> Option<Millis> {
        self.hours.get(&category).map(|h| (h * 3_600_000.0) as Millis)
    }
}

/// One row of the efficiency table: a district, a category, or all.
#[derive(Clone, Debug, PartialEq)]
pub struct EfficiencyRow {
    /// The district's name, or the category's protocol name, or `total`.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    /// Not archived.
    pub open: usize,
    /// Open and reported longer ago than its category's limit.
    pub overdue: usize,
    /// Average minutes spent in each step ([`STEPS`]), over the incidents that completed it
    /// ([`step_minutes`]: a skipped stage completes no step); `None` where none did.
    pub avg_step_minutes: [Option<f64>; 6],
    /// Per cent of the archived incidents (with a 流转记录) that were never sent back from review;
    /// `None` when there are none.
    pub first_handling_share: Option<f64>,
    /// Archived incidents still in the store.
    pub closed: usize,
}

/// Efficiency by district (every district area, then districts only incidents name), by
/// category (every category) and in total.
#[derive(Clone, Debug, PartialEq)]
pub struct EfficiencyTable {
    pub by_district: Vec<EfficiencyRow>,
    pub by_category: Vec<EfficiencyRow>,
    pub total: EfficiencyRow,
}

/// The efficiency table of the incidents in `store` at `now`.
pub fn efficiency(store: &FeedStore, now: Millis, limits: &EfficiencyLimits) -> EfficiencyTable {
    let districts = Districts::of(store);
    let mut acc = Tally::new(&districts);
    for (_, i) in store.incidents.iter() {
        acc.add(i, districts.of_incident(i), now, limits);
    }
    acc.table(&districts)
}

/// Minutes spent in each step ([`STEPS`]) by one incident, summed over its visits (a case sent
/// back is handled twice, and reviewed twice); `None` for a step it has not completed.
///
/// Only a move of the lifecycle counts: one stage on, or back from review to handling
/// ([`IncidentStatus::can_move_to`]). A move over a skipped stage counts in no step: a case the
/// grid's own staff take on goes from 受理 straight to 处置, and its time is neither 受理→分拨
/// nor 分拨→处置 (counted by the stage it left, it would show as 受理→分拨). Entries out of time
/// order count nothing.
pub fn step_minutes(stages: &[StageTime]) -> [Option<f64>; 6] {
    let mut out = [None; 6];
    for w in stages.windows(2) {
        let (a, b) = (w[0], w[1]);
        if !a.status.can_move_to(b.status) || b.at < a.at {
            continue;
        }
        if let Some(k) = STEPS.iter().position(|(from, _)| *from == a.status) {
            *out[k].get_or_insert(0.0) += (b.at - a.at) as f64 / 60_000.0;
        }
    }
    out
}

/// Whether an archived incident went through handling only once; `None` without a 流转记录.
pub fn closed_on_first_handling(i: &Incident) -> Option<bool> {
    if i.stages.is_empty() {
        return None;
    }
    Some(i.stages.iter().filter(|s| s.status == IncidentStatus::Handling).count() <= 1)
}

/// The label of incidents with no district and outside every district area.
pub(super) const NO_DISTRICT: (&str, &str, &str) = ("unassigned", "未划分", "unassigned");

/// The districts of the store: the district-level areas' names, sorted, with their rings for
/// incidents that name none.
pub(super) struct Districts<'a> {
    pub names: Vec<String>,
    areas: Vec<&'a Area>,
}

impl<'a> Districts<'a> {
    pub fn of(store: &'a FeedStore) -> Self {
        let mut areas: Vec<&Area> =
            store.areas.iter().map(|(_, a)| a).filter(|a| a.level == AreaLevel::District).collect();
        areas.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        let mut names: Vec<String> = areas.iter().map(|a| a.name.clone()).collect();
        names.dedup();
        Self { names, areas }
    }

    /// The incident's district: as it names it, else the district area it lies in, else none.
    pub fn of_incident<'i>(&'i self, i: &'i Incident) -> Option<&'i str> {
        if !i.district.is_empty() {
            return Some(&i.district);
        }
        self.areas.iter().find(|a| crate::model::ring_contains(&a.ring, [i.lon, i.lat])).map(|a| a.name.as_str())
    }
}

/// Sums for one row.
#[derive(Clone, Debug, Default)]
pub(super) struct Sums {
    pub open: usize,
    pub overdue: usize,
    pub step_total: [f64; 6],
    pub step_count: [usize; 6],
    pub closed: usize,
    pub closed_known: usize,
    pub first_time: usize,
}

impl Sums {
    fn add(&mut self, i: &Incident, overdue: bool, steps: &[Option<f64>; 6]) {
        if i.status == IncidentStatus::Archived {
            self.closed += 1;
            if let Some(first) = closed_on_first_handling(i) {
                self.closed_known += 1;
                self.first_time += usize::from(first);
            }
        } else {
            self.open += 1;
            self.overdue += usize::from(overdue);
        }
        for (k, m) in steps.iter().enumerate() {
            if let Some(m) = m {
                self.step_total[k] += m;
                self.step_count[k] += 1;
            }
        }
    }

    pub fn avg_step_minutes(&self) -> [Option<f64>; 6] {
        std::array::from_fn(|k| (self.step_count[k] > 0).then(|| self.step_total[k] / self.step_count[k] as f64))
    }

    pub fn first_handling_share(&self) -> Option<f64> {
        (self.closed_known > 0).then(|| 100.0 * self.first_time as f64 / self.closed_known as f64)
    }

    fn row(&self, key: &str, label_zh: &str, label_en: &str) -> EfficiencyRow {
        EfficiencyRow {
            key: key.into(),
            label_zh: label_zh.into(),
            label_en: label_en.into(),
            open: self.open,
            overdue: self.overdue,
            avg_step_minutes: self.avg_step_minutes(),
            first_handling_share: self.first_handling_share(),
            closed: self.closed,
        }
    }
}

/// The sums of every row, filled in one pass over the incidents.
pub(super) struct Tally {
    pub by_district: HashMap<String, Sums>,
    pub no_district: Sums,
    pub by_category: [Sums; 9],
    pub total: Sums,
}

impl Tally {
    pub fn new(districts: &Districts<'_>) -> Self {
        Self {
            by_district: districts.names.iter().map(|n| (n.clone(), Sums::default())).collect(),
            no_district: Sums::default(),
            by_category: Default::default(),
            total: Sums::default(),
        }
    }

    /// Counts one incident; true if it is open and overdue.
    pub fn add(&mut self, i: &Incident, district: Option<&str>, now: Millis, limits: &EfficiencyLimits) -> bool {
        let overdue = i.status != IncidentStatus::Archived
            && limits.limit_ms(i.category).is_some_and(|limit| now - i.reported_at > limit);
        let steps = step_minutes(&i.stages);
        match district {
            Some(d) => match self.by_district.get_mut(d) {
                Some(s) => s.add(i, overdue, &steps),
                None => self.by_district.entry(d.to_owned()).or_default().add(i, overdue, &steps),
            },
            None => self.no_district.add(i, overdue, &steps),
        }
        let c = IncidentCategory::ALL.iter().position(|c| *c == i.category).unwrap_or(8);
        self.by_category[c].add(i, overdue, &steps);
        self.total.add(i, overdue, &steps);
        overdue
    }

    /// District keys in table order: the district areas sorted by name, then districts only
    /// incidents name, sorted; the no-district row last when it has any incident.
    pub fn district_rows(&self, districts: &Districts<'_>) -> Vec<(String, &Sums)> {
        let mut extra: Vec<&String> = self.by_district.keys().filter(|k| !districts.names.contains(k)).collect();
        extra.sort();
        let mut rows: Vec<(String, &Sums)> = districts
            .names
            .iter()
            .chain(extra)
            .filter_map(|k| self.by_district.get(k).map(|s| (k.clone(), s)))
            .collect();
        if self.no_district.open + self.no_district.closed > 0 {
            rows.push((NO_DISTRICT.0.to_owned(), &self.no_district));
        }
        rows
    }

    pub fn table(&self, districts: &Districts<'_>) -> EfficiencyTable {
        let by_district = self
            .district_rows(districts)
            .into_iter()
            .map(|(k, s)| {
                if k == NO_DISTRICT.0 && std::ptr::eq(s, &self.no_district) {
                    s.row(NO_DISTRICT.0, NO_DISTRICT.1, NO_DISTRICT.2)
                } else {
                    s.row(&k, &k, &k)
                }
            })
            .collect();
        let by_category = IncidentCategory::ALL
            .iter()
            .zip(&self.by_category)
            .map(|(c, s)| s.row(c.name(), c.label_zh(), c.label_en()))
            .collect();
        EfficiencyTable { by_district, by_category, total: self.total.row("total", "全部", "all") }
    }
}
