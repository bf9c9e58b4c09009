//! Plans (预案) and the assignment of units to competing incidents.
//!
//! A plan says, for one incident category and a range of severities, which units to send and which
//! supplies to bring (`config/plans.toml`). [`assign`] fills the plans of several open incidents at
//! once so that no unit goes to two of them: more severe incidents are served first, and within one
//! severity the units go where the total road travel time is least. [`recommend`] fills one plan
//! alone, and [`supply_check`] sets the supplies within reach against what the plan asks for.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::DeValue;

use crate::protocol::{IncidentCategory, UnitKind};
use crate::toml_text::{TomlFile, integer, number, sorted_entries};

/// The shipped plans, identical to `config/plans.toml`.
pub const DEFAULT_PLANS: &str = include_str!("../../../../config/plans.toml");

/// Severities an incident can have.
pub const SEVERITIES: std::ops::RangeInclusive<u8> = 1..=4;

/// The most units of one kind a plan may ask for.
const MAX_COUNT: i64 = 100;

/// Unit kinds in declaration order, with their names in the file, the Chinese noun and measure
/// word, and the English noun.
const UNIT_KINDS: [(UnitKind, &str, &str); 6] = [
    (UnitKind::PoliceCar, "police_car", "辆"),
    (UnitKind::FireEngine, "fire_engine", "辆"),
    (UnitKind::Ambulance, "ambulance", "辆"),
    (UnitKind::GridWorker, "grid_worker", "名"),
    (UnitKind::Volunteer, "volunteer", "名"),
    (UnitKind::Drone, "drone", "架"),
];

fn kind_rank(kind: UnitKind) -> usize {
    UNIT_KINDS.iter().position(|k| k.0 == kind).unwrap_or(UNIT_KINDS.len())
}

fn kind_info(kind: UnitKind) -> (&'static str, &'static str, &'static str, &'static str) {
    let (name, measure) = UNIT_KINDS.iter().find(|k| k.0 == kind).map_or(("unit", "个"), |k| (k.1, k.2));
    (name, kind.label_zh(), measure, kind.label_en())
}

/// A category's name in the file: the protocol's snake_case.
fn category_name(category: IncidentCategory) -> &'static str {
    category.name()
}

/// How many units of one kind a plan asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UnitNeed {
    pub kind: UnitKind,
    pub count: u32,
}

/// A supply a plan asks to bring; `item` and `unit` match the depots' inventory lines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupplyNeed {
    pub item: String,
    pub quantity: f64,
    pub unit: String,
}

/// One plan (预案).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: IncidentCategory,
    /// Inclusive severity range, within 1..=4.
    pub severity: (u8, u8),
    /// Sorted by `UnitKind` declaration order, one entry per kind.
    pub units: Vec<UnitNeed>,
    pub supplies: Vec<SupplyNeed>,
}

impl Plan {
    /// Whether this plan is for an incident of this category and severity.
    pub fn covers(&self, category: IncidentCategory, severity: u8) -> bool {
        self.category == category && (self.severity.0..=self.severity.1).contains(&severity)
    }
}

/// All plans, in file order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plans {
    pub plans: Vec<Plan>,
}

/// A plans file that cannot be read or is wrong; the message names the file, the line and the
/// field, on one line.
pub type PlansError = crate::toml_text::TomlFileError;

impl Plans {
    /// Parses and validates plans; `path` names the text in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Plans, PlansError> {
        let ctx = Ctx(TomlFile { text, path, array: "plan" });
        let mut raws = Vec::new();
        ctx.each_table(|item| {
            let index = raws.len();
            raws.push(ctx.plan(index, item)?);
            Ok(())
        })?;

        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, raw) in raws.iter().enumerate() {
            if let Some(&first) = ids.get(raw.plan.id.as_str()) {
                return Err(ctx.invalid(
                    raw.id_span.clone(),
                    format!("plan[{i}].id"),
                    format!(
                        "duplicate plan id `{}` (first at line {})",
                        raw.plan.id,
                        ctx.line(raws[first].id_span.start)
                    ),
                ));
            }
            ids.insert(&raw.plan.id, i);
            let (lo, hi) = raw.plan.severity;
            for (j, earlier) in raws[..i].iter().enumerate() {
                let (elo, ehi) = earlier.plan.severity;
                if earlier.plan.category == raw.plan.category && lo <= ehi && elo <= hi {
                    return Err(ctx.invalid(
                        raw.severity_span.clone(),
                        format!("plan[{i}].severity"),
                        format!(
                            "overlaps plan[{j}] `{}` (line {}) on {} severity {}; each category and severity must find one plan",
                            earlier.plan.id,
                            ctx.line(earlier.severity_span.start),
                            category_name(raw.plan.category),
                            lo.max(elo),
                        ),
                    ));
                }
            }
        }
        Ok(Plans { plans: raws.into_iter().map(|r| r.plan).collect() })
    }

    /// Reads and validates a plans file.
    pub fn load(path: &Path) -> Result<Plans, PlansError> {
        Self::parse(&crate::toml_text::read(path)?, path)
    }

    /// The plan for an incident of this category and severity.
    pub fn find(&self, category: IncidentCategory, severity: u8) -> Option<&Plan> {
        self.plans.iter().find(|p| p.covers(category, severity))
    }

    /// The (category, severity) pairs no plan covers, in category then severity order.
    pub fn uncovered(&self) -> Vec<(IncidentCategory, u8)> {
        IncidentCategory::ALL
            .iter()
            .flat_map(|&c| SEVERITIES.map(move |s| (c, s)))
            .filter(|(c, s)| self.find(*c, *s).is_none())
            .collect()
    }
}

/// A plan as parsed, with the spans later checks point at.
struct RawPlan {
    plan: Plan,
    id_span: Range<usize>,
    severity_span: Range<usize>,
}

/// The plans file being read (its text and name, for errors), and the checks of a `[[plan]]`.
struct Ctx<'a>(TomlFile<'a>);

impl<'a> std::ops::Deref for Ctx<'a> {
    type Target = TomlFile<'a>;

    fn deref(&self) -> &TomlFile<'a> {
        &self.0
    }
}

impl Ctx<'_> {
    fn string(&self, value: &Spanned<DeValue<'_>>, field: &str) -> Result<String, PlansError> {
        match value.get_ref().as_str() {
            Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Some(_) => Err(self.invalid(value.span(), field, "must not be empty")),
            None => {
                Err(self.invalid(value.span(), field, format!("must be a string, got {}", value.get_ref().type_str())))
            }
        }
    }

    fn severity_value(&self, value: &Spanned<DeValue<'_>>, field: &str) -> Result<u8, PlansError> {
        let Some(n) = integer(value.get_ref()) else {
            return Err(self.invalid(
                value.span(),
                field,
                format!("must be a whole number 1..=4, got {}", value.get_ref().type_str()),
            ));
        };
        u8::try_from(n)
            .ok()
            .filter(|s| SEVERITIES.contains(s))
            .ok_or_else(|| self.invalid(value.span(), field, format!("severity {n} is outside 1..=4")))
    }

    fn severity(&self, value: &Spanned<DeValue<'_>>, field: &str) -> Result<(u8, u8), PlansError> {
        if value.get_ref().is_integer() {
            let s = self.severity_value(value, field)?;
            return Ok((s, s));
        }
        let Some(items) = value.get_ref().as_array().filter(|a| a.len() == 2) else {
            return Err(self.invalid(
                value.span(),
                field,
                "must be a severity 1..=4 or an inclusive range [low, high]",
            ));
        };
        let lo = self.severity_value(&items[0], &format!("{field}[0]"))?;
        let hi = self.severity_value(&items[1], &format!("{field}[1]"))?;
        if lo > hi {
            return Err(self.invalid(
                value.span(),
                field,
                format!("range [{lo}, {hi}] is reversed; write [{hi}, {lo}]"),
            ));
        }
        Ok((lo, hi))
    }

    fn units(&self, value: &Spanned<DeValue<'_>>, field: &str) -> Result<Vec<UnitNeed>, PlansError> {
        let Some(table) = value.get_ref().as_table() else {
            return Err(self.invalid(value.span(), field, "must be a table of unit kind = count"));
        };
        let mut units = Vec::new();
        for (key, count) in sorted_entries(table) {
            let name = key.get_ref().as_ref();
            let f = format!("{field}.{name}");
            let Some(kind) = UNIT_KINDS.iter().find(|k| k.1 == name).map(|k| k.0) else {
                let known: Vec<&str> = UNIT_KINDS.iter().map(|k| k.1).collect();
                return Err(self.invalid(
                    key.span(),
                    f,
                    format!("unknown unit kind `{name}`; expected one of {}", known.join(", ")),
                ));
            };
            let n = match (integer(count.get_ref()), number(count.get_ref())) {
                (Some(n), _) => n,
                (None, Some(x)) => {
                    return Err(self.invalid(count.span(), f, format!("must be a whole number of units, got {x}")));
                }
                (None, None) => {
                    return Err(self.invalid(
                        count.span(),
                        f,
                        format!("must be a whole number, got {}", count.get_ref().type_str()),
                    ));
                }
            };
            if !(1..=MAX_COUNT).contains(&n) {
                return Err(self.invalid(count.span(), f, format!("count must be 1..={MAX_COUNT}, got {n}")));
            }
            units.push(UnitNeed { kind, count: n as u32 });
        }
        if units.is_empty() {
            return Err(self.invalid(value.span(), field, "needs at least one unit kind"));
        }
        units.sort_by_key(|u| kind_rank(u.kind));
        Ok(units)
    }

    fn supplies(&self, value: &Spanned<DeValue<'_>>, field: &str) -> Result<Vec<SupplyNeed>, PlansError> {
        let Some(items) = value.get_ref().as_array() else {
            return Err(self.invalid(value.span(), field, "must be an array of { item, quantity, unit }"));
        };
        let mut supplies: Vec<SupplyNeed> = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let f = format!("{field}[{j}]");
            let Some(table) = item.get_ref().as_table() else {
                return Err(self.invalid(item.span(), f, "must be a table { item, quantity, unit }"));
            };
            let (mut name, mut quantity, mut unit) = (None, None, None);
            for (key, v) in sorted_entries(table) {
                let k = key.get_ref().as_ref();
                let kf = format!("{f}.{k}");
                match k {
                    "item" => name = Some(self.string(v, &kf)?),
                    "unit" => unit = Some(self.string(v, &kf)?),
                    "quantity" => {
                        let Some(q) = number(v.get_ref()) else {
                            return Err(self.invalid(
                                v.span(),
                                kf,
                                format!("must be a number, got {}", v.get_ref().type_str()),
                            ));
                        };
                        if !(q.is_finite() && q > 0.0) {
                            return Err(self.invalid(v.span(), kf, format!("must be a positive quantity, got {q}")));
                        }
                        quantity = Some(q);
                    }
                    _ => {
                        return Err(self.invalid(
                            key.span(),
                            kf,
                            "unknown field; expected one of item, quantity, unit",
                        ));
                    }
                }
            }
            let missing = |what: &str| self.invalid(item.span(), format!("{f}.{what}"), "missing (required)");
            let need = SupplyNeed {
                item: name.ok_or_else(|| missing("item"))?,
                quantity: quantity.ok_or_else(|| missing("quantity"))?,
                unit: unit.ok_or_else(|| missing("unit"))?,
            };
            if supplies.iter().any(|s| s.item == need.item && s.unit == need.unit) {
                return Err(self.invalid(
                    item.span(),
                    f,
                    format!("`{}` ({}) is listed twice; add the quantities up", need.item, need.unit),
                ));
            }
            supplies.push(need);
        }
        Ok(supplies)
    }

    fn plan(&self, index: usize, value: &Spanned<DeValue<'_>>) -> Result<RawPlan, PlansError> {
        let p = format!("plan[{index}]");
        let Some(table) = value.get_ref().as_table() else {
            return Err(self.invalid(value.span(), p, "must be a table: write [[plan]]"));
        };
        const FIELDS: [&str; 7] = ["id", "name_zh", "name_en", "category", "severity", "units", "supplies"];
        for (key, _) in sorted_entries(table) {
            let k = key.get_ref().as_ref();
            if !FIELDS.contains(&k) {
                return Err(self.invalid(
                    key.span(),
                    format!("{p}.{k}"),
                    format!("unknown field; expected one of {}", FIELDS.join(", ")),
                ));
            }
        }
        let required = |name: &str| {
            table.get(name).ok_or_else(|| self.invalid(value.span(), format!("{p}.{name}"), "missing (required)"))
        };
        let id_value = required("id")?;
        let id = self.string(id_value, &format!("{p}.id"))?;
        let name_zh = self.string(required("name_zh")?, &format!("{p}.name_zh"))?;
        let name_en = self.string(required("name_en")?, &format!("{p}.name_en"))?;
        let category_value = required("category")?;
        let category_text = self.string(category_value, &format!("{p}.category"))?;
        let Some(category) = IncidentCategory::from_name(&category_text) else {
            let known: Vec<&str> = IncidentCategory::ALL.iter().map(|c| c.name()).collect();
            return Err(self.invalid(
                category_value.span(),
                format!("{p}.category"),
                format!("unknown category `{category_text}`; expected one of {}", known.join(", ")),
            ));
        };
        let severity_value = required("severity")?;
        let severity = self.severity(severity_value, &format!("{p}.severity"))?;
        let units = self.units(required("units")?, &format!("{p}.units"))?;
        let supplies = match table.get("supplies") {
            Some(v) => self.supplies(v, &format!("{p}.supplies"))?,
            None => Vec::new(),
        };
        Ok(RawPlan {
            plan: Plan { id, name_zh, name_en, category, severity, units, supplies },
            id_span: id_value.span(),
            severity_span: severity_value.span(),
        })
    }
}

// ── Recommendation and competing incidents ─────────────────────────────────────────────────────

/// A unit that could go to an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub unit_id: String,
    pub kind: UnitKind,
    /// Road travel time to that incident, seconds; not finite (or negative) = cannot get there.
    pub time_s: f32,
}

/// One open incident asking for units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    pub incident_id: String,
    pub severity: u8,
    pub reported_at: i64,
    pub needs: Vec<UnitNeed>,
    /// Available units only, each with its travel time to this incident.
    pub candidates: Vec<Candidate>,
}

/// The units chosen for one incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub incident_id: String,
    /// Chosen units, grouped by kind in need order, fastest first within a kind.
    pub units: Vec<Candidate>,
    /// What could not be filled, in need order.
    pub missing: Vec<UnitNeed>,
    /// One sentence for the leader, Chinese.
    pub why_zh: String,
    /// The same in English.
    pub why_en: String,
}

/// Whether a unit with this travel time can be sent.
fn reachable(time_s: f32) -> bool {
    time_s.is_finite() && time_s >= 0.0
}

/// Needs with one entry per kind (counts added up), in first-mention order, zero counts dropped.
fn merged_needs(needs: &[UnitNeed]) -> Vec<UnitNeed> {
    let mut out: Vec<UnitNeed> = Vec::new();
    for n in needs.iter().filter(|n| n.count > 0) {
        match out.iter_mut().find(|o| o.kind == n.kind) {
            Some(o) => o.count = o.count.saturating_add(n.count),
            None => out.push(*n),
        }
    }
    out
}

/// Reachable candidates, one per unit id (its fastest time), sorted fastest first (ties by id).
fn reachable_candidates(candidates: &[Candidate]) -> Vec<Candidate> {
    let mut best: Vec<Candidate> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for c in candidates.iter().filter(|c| reachable(c.time_s)) {
        match at.get(c.unit_id.as_str()) {
            Some(&i) if best[i].time_s <= c.time_s => {}
            Some(&i) => best[i] = c.clone(),
            None => {
                at.insert(&c.unit_id, best.len());
                best.push(c.clone());
            }
        }
    }
    best.sort_by(|a, b| a.time_s.total_cmp(&b.time_s).then_with(|| a.unit_id.cmp(&b.unit_id)));
    best
}

fn fmt_duration_zh(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 60, s % 60) {
        (0, sec) => format!("{sec} 秒"),
        (m, 0) => format!("{m} 分钟"),
        (m, sec) => format!("{m} 分 {sec} 秒"),
    }
}

fn fmt_duration_en(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 60, s % 60) {
        (0, sec) => format!("{sec} s"),
        (m, 0) => format!("{m} min"),
        (m, sec) => format!("{m} min {sec} s"),
    }
}

fn count_en(n: u32, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn count_zh(n: u32, kind: UnitKind) -> String {
    let (_, noun, measure, _) = kind_info(kind);
    format!("{n} {measure}{noun}")
}

/// "2 辆消防车总行程 5 分 3 秒" / "2 fire engines, 5 min 3 s travel in total" for each kind chosen.
fn travel_parts(units: &[Candidate], needs: &[UnitNeed]) -> (Vec<String>, Vec<String>) {
    let (mut zh, mut en) = (Vec::new(), Vec::new());
    for need in needs {
        let chosen: Vec<&Candidate> = units.iter().filter(|u| u.kind == need.kind).collect();
        if chosen.is_empty() {
            continue;
        }
        let n = chosen.len() as u32;
        let total: f64 = chosen.iter().map(|c| f64::from(c.time_s)).sum();
        let (_, _, _, noun_en) = kind_info(need.kind);
        if n == 1 {
            zh.push(format!("{}行程 {}", count_zh(n, need.kind), fmt_duration_zh(total)));
            en.push(format!("{}, {} travel", count_en(n, noun_en), fmt_duration_en(total)));
        } else {
            zh.push(format!("{}总行程 {}", count_zh(n, need.kind), fmt_duration_zh(total)));
            en.push(format!("{}, {} travel in total", count_en(n, noun_en), fmt_duration_en(total)));
        }
    }
    (zh, en)
}

fn missing_parts(missing: &[UnitNeed]) -> Option<(String, String)> {
    if missing.is_empty() {
        return None;
    }
    let zh: Vec<String> = missing.iter().map(|m| count_zh(m.count, m.kind)).collect();
    let en: Vec<String> = missing.iter().map(|m| count_en(m.count, kind_info(m.kind).3)).collect();
    Some((format!("缺 {}", zh.join("、")), format!("short of {}", en.join(", "))))
}

/// Chosen units ordered by kind in need order, fastest first within a kind, and what is missing.
fn arrange(mut chosen: Vec<Candidate>, needs: &[UnitNeed]) -> (Vec<Candidate>, Vec<UnitNeed>) {
    let need_rank = |kind: UnitKind| needs.iter().position(|n| n.kind == kind).unwrap_or(needs.len());
    chosen.sort_by(|a, b| {
        need_rank(a.kind)
            .cmp(&need_rank(b.kind))
            .then(a.time_s.total_cmp(&b.time_s))
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    let missing = needs
        .iter()
        .filter_map(|n| {
            let have = chosen.iter().filter(|c| c.kind == n.kind).count() as u32;
            (have < n.count).then_some(UnitNeed { kind: n.kind, count: n.count - have })
        })
        .collect();
    (chosen, missing)
}

/// The plan filled for a single incident with the fastest units not in `taken`. The returned
/// `incident_id` is empty: the caller knows which incident it asked about.
pub fn recommend(needs: &[UnitNeed], candidates: &[Candidate], taken: &HashSet<String>) -> Assignment {
    let needs = merged_needs(needs);
    let pool = reachable_candidates(candidates);
    let mut chosen = Vec::new();
    let (mut notes_zh, mut notes_en) = (Vec::new(), Vec::new());
    for need in &needs {
        let of_kind: Vec<&Candidate> = pool.iter().filter(|c| c.kind == need.kind).collect();
        chosen.extend(
            of_kind.iter().filter(|c| !taken.contains(&c.unit_id)).take(need.count as usize).map(|c| (*c).clone()),
        );
        if let Some(first) = of_kind.first().filter(|c| taken.contains(&c.unit_id)) {
            let (_, noun, _, noun_en) = kind_info(need.kind);
            notes_zh.push(format!("最近的{noun} {} 已被占用", first.unit_id));
            notes_en.push(format!("nearest {noun_en} {} is already taken", first.unit_id));
        }
    }
    let (units, missing) = arrange(chosen, &needs);
    let (travel_zh, travel_en) = travel_parts(&units, &needs);
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if !travel_zh.is_empty() {
        zh.push(format!("最快可用：{}", travel_zh.join("、")));
        en.push(format!("Fastest available: {}", travel_en.join("; ")));
    }
    if let Some((m_zh, m_en)) = missing_parts(&missing) {
        zh.push(m_zh);
        en.push(m_en);
    }
    zh.extend(notes_zh);
    en.extend(notes_en);
    if needs.is_empty() {
        zh.push("预案无需出动单位".into());
        en.push("The plan sends no units".into());
    }
    Assignment {
        incident_id: String::new(), units, missing, why_zh: zh.join("；"), why_en: capitalise(&en.join("; "))
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Assigns units to competing incidents so that no unit goes to two: severity first (higher severity
/// tiers are served before lower ones; ties: older reported first), and within one severity tier a
/// minimum-total-travel-time assignment (Hungarian / min-cost matching per unit kind between the tier's
/// open slots and the free units). Returns one Assignment per demand, in input order.
///
/// Within a tier, as many slots as possible are filled first, then the total travel time is least.
/// A unit whose time to an incident is not finite (or is negative) is never sent there.
pub fn assign(demands: &[Demand]) -> Vec<Assignment> {
    let needs: Vec<Vec<UnitNeed>> = demands.iter().map(|d| merged_needs(&d.needs)).collect();
    let pools: Vec<Vec<Candidate>> = demands.iter().map(|d| reachable_candidates(&d.candidates)).collect();
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by(|&a, &b| {
        demands[b]
            .severity
            .cmp(&demands[a].severity)
            .then(demands[a].reported_at.cmp(&demands[b].reported_at))
            .then(a.cmp(&b))
    });

    // unit id → the demand it went to
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut chosen: Vec<Vec<Candidate>> = vec![Vec::new(); demands.len()];
    for tier in order.chunk_by(|&a, &b| demands[a].severity == demands[b].severity) {
        for &(kind, ..) in &UNIT_KINDS {
            // One slot per unit asked for, oldest incident first.
            let slots: Vec<usize> = tier
                .iter()
                .flat_map(|&d| {
                    let n = needs[d].iter().filter(|n| n.kind == kind).map(|n| n.count as usize).sum();
                    std::iter::repeat_n(d, n)
                })
                .collect();
            if slots.is_empty() {
                continue;
            }
            let mut units: Vec<&str> = Vec::new();
            for &d in tier {
                for c in pools[d].iter().filter(|c| c.kind == kind) {
                    if !taken.contains_key(&c.unit_id) && !units.contains(&c.unit_id.as_str()) {
                        units.push(&c.unit_id);
                    }
                }
            }
            if units.is_empty() {
                continue;
            }
            // Each tier demand's reachable units of this kind, by id.
            let by_id: HashMap<usize, HashMap<&str, &Candidate>> = tier
                .iter()
                .map(|&d| (d, pools[d].iter().filter(|c| c.kind == kind).map(|c| (c.unit_id.as_str(), c)).collect()))
                .collect();
            let find = |d: usize, unit: &str| by_id.get(&d).and_then(|m| m.get(unit)).copied();
            let cost: Vec<Vec<Option<f64>>> = slots
                .iter()
                .map(|&d| units.iter().map(|u| find(d, u).map(|c| f64::from(c.time_s))).collect())
                .collect();
            for (s, u) in min_cost_matching(&cost) {
                let d = slots[s];
                if let Some(c) = find(d, units[u]) {
                    taken.insert(c.unit_id.clone(), d);
                    chosen[d].push(c.clone());
                }
            }
        }
    }

    demands
        .iter()
        .enumerate()
        .map(|(i, demand)| {
            let (units, missing) = arrange(std::mem::take(&mut chosen[i]), &needs[i]);
            let (why_zh, why_en) = explain(demands, i, &needs[i], &pools[i], &units, &missing, &taken);
            Assignment { incident_id: demand.incident_id.clone(), units, missing, why_zh, why_en }
        })
        .collect()
}

/// The sentence for one incident of an [`assign`] call.
fn explain(
    demands: &[Demand],
    i: usize,
    needs: &[UnitNeed],
    pool: &[Candidate],
    units: &[Candidate],
    missing: &[UnitNeed],
    taken: &HashMap<String, usize>,
) -> (String, String) {
    let me = &demands[i];
    let higher = demands.iter().filter(|d| d.severity > me.severity).count();
    let lower = demands.iter().filter(|d| d.severity < me.severity).count();
    let same = demands.iter().filter(|d| d.severity == me.severity).count().saturating_sub(1);

    let mut head_zh = format!("严重度 {}", me.severity);
    let mut head_en = format!("Severity {}", me.severity);
    if higher > 0 {
        head_zh.push_str(&format!("，排在 {higher} 起更严重事件之后"));
        head_en.push_str(&format!(", after {}", count_en(higher as u32, "more severe incident")));
    }
    if lower > 0 {
        head_zh.push_str(&format!("，优先于 {lower} 起较低等级事件"));
        head_en.push_str(&format!(", ahead of {}", count_en(lower as u32, "lower-severity incident")));
    }
    if same > 0 {
        head_zh.push_str(&format!("，与 {same} 起同级事件统筹调度"));
        head_en.push_str(&format!(", planned with {}", count_en(same as u32, "other incident")));
        head_en.push_str(" of the same severity");
    }
    let mut zh = vec![head_zh];
    let mut en = vec![head_en];

    let (travel_zh, travel_en) = travel_parts(units, needs);
    if !travel_zh.is_empty() {
        let (tag_zh, tag_en) = if same > 0 {
            ("（全局最短）", " (shortest overall)")
        } else {
            ("（最快可用）", " (fastest available)")
        };
        zh.push(format!("{}{tag_zh}", travel_zh.join("、")));
        en.push(format!("{}{tag_en}", travel_en.join("; ")));
    }
    if let Some((m_zh, m_en)) = missing_parts(missing) {
        zh.push(m_zh);
        en.push(m_en);
    }

    // A faster unit of a needed kind that went elsewhere.
    for need in needs {
        let mine: Vec<&Candidate> = units.iter().filter(|u| u.kind == need.kind).collect();
        let short = missing.iter().any(|m| m.kind == need.kind);
        let slowest = mine.iter().map(|c| c.time_s).fold(f32::NEG_INFINITY, f32::max);
        let of_kind: Vec<&Candidate> = pool.iter().filter(|c| c.kind == need.kind).collect();
        let away = of_kind
            .iter()
            .enumerate()
            .find(|(_, c)| (short || c.time_s < slowest) && taken.get(&c.unit_id).is_some_and(|&d| d != i));
        let Some((rank, c)) = away else { continue };
        let Some(other) = taken.get(&c.unit_id).map(|&d| &demands[d]) else { continue };
        let (_, noun, _, noun_en) = kind_info(need.kind);
        let (near_zh, near_en) = if rank == 0 { ("最近的", "nearest") } else { ("较近的", "a nearer") };
        if other.severity > me.severity {
            zh.push(format!("{near_zh}{noun} {} 已派往更严重的事件 {}", c.unit_id, other.incident_id));
            en.push(format!("{near_en} {noun_en} {} went to more severe incident {}", c.unit_id, other.incident_id));
        } else {
            zh.push(format!("{near_zh}{noun} {} 派往同级事件 {}，总行程更短", c.unit_id, other.incident_id));
            en.push(format!(
                "{near_en} {noun_en} {} went to same-severity incident {} (less total travel)",
                c.unit_id, other.incident_id
            ));
        }
    }
    if needs.is_empty() {
        zh.push("预案无需出动单位".into());
        en.push("the plan sends no units".into());
    }
    (zh.join("；"), en.join("; "))
}

/// Minimum-cost matching between rows and columns (Hungarian algorithm, O(n²m)). `None` entries
/// can never be matched. Matches as many pairs as possible, and among those the ones with the
/// least total cost. Returns (row, column) pairs.
fn min_cost_matching(cost: &[Vec<Option<f64>>]) -> Vec<(usize, usize)> {
    let rows = cost.len();
    let cols = cost.iter().map(Vec::len).max().unwrap_or(0);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let at = |r: usize, c: usize| cost.get(r).and_then(|row| row.get(c)).copied().flatten();
    // A forbidden pair costs more than every allowed pair together, so filling one more pair always
    // wins over any saving in time.
    let allowed_sum: f64 = cost.iter().flatten().flatten().filter(|x| x.is_finite()).map(|x| x.abs()).sum();
    let big = allowed_sum + 1.0;
    let transpose = rows > cols;
    let (n, m) = if transpose { (cols, rows) } else { (rows, cols) };
    let a = |i: usize, j: usize| {
        let v = if transpose { at(j, i) } else { at(i, j) };
        v.filter(|x| x.is_finite()).unwrap_or(big)
    };
    let columns = hungarian(n, m, a);
    columns
        .into_iter()
        .enumerate()
        .filter_map(|(i, j)| {
            let (r, c) = if transpose { (j, i) } else { (i, j) };
            at(r, c).filter(|x| x.is_finite()).map(|_| (r, c))
        })
        .collect()
}

/// The classic potentials form of the Hungarian algorithm for an n×m matrix with n ≤ m: returns,
/// for each row, the column it is matched to.
fn hungarian(n: usize, m: usize, a: impl Fn(usize, usize) -> f64) -> Vec<usize> {
    let inf = f64::INFINITY;
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    // p[j]: the row (1-based) matched to column j (1-based); 0 = none.
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![inf; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0usize;
            for j in 1..=m {
                if used[j] {
                    continue;
                }
                let cur = a(i0 - 1, j - 1) - u[i0] - v[j];
                if cur < minv[j] {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if minv[j] < delta {
                    delta = minv[j];
                    j1 = j;
                }
            }
            if j1 == 0 {
                break;
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut row_to_col = vec![0usize; n];
    for j in 1..=m {
        if p[j] > 0 {
            row_to_col[p[j] - 1] = j - 1;
        }
    }
    row_to_col
}

// ── Supplies ─────────────────────────────────────────────────────────────────────────────────

/// One supply a plan asks for against what is within reach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    pub item: String,
    pub need: f64,
    pub have: f64,
    pub unit: String,
}

impl Shortfall {
    /// Whether there is less than the plan asks for.
    pub fn is_short(&self) -> bool {
        self.have < self.need
    }
}

/// Supplies within reach against the plan: `have` = quantity of the same item and unit; every need
/// listed (have may be >= need). Lines with a quantity that is not a positive number are left out.
pub fn supply_check(needs: &[SupplyNeed], have: &[(String, f64, String)]) -> Vec<Shortfall> {
    needs
        .iter()
        .map(|n| {
            let (item, unit) = (n.item.trim(), n.unit.trim());
            let have = have
                .iter()
                .filter(|(i, q, u)| i.trim() == item && u.trim() == unit && q.is_finite() && *q > 0.0)
                .map(|(_, q, _)| q)
                .sum();
            Shortfall { item: n.item.clone(), need: n.quantity, have, unit: n.unit.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::SplitMix64;

    fn parse_err(text: &str) -> String {
        match Plans::parse(text, Path::new("config/plans.toml")) {
            Ok(_) => panic!("should fail: {text}"),
            Err(e) => e.to_string(),
        }
    }

    const GOOD: &str = r#"
[[plan]]
id = "fire-minor"
name_zh = "一般火情"
name_en = "Minor fire"
category = "fire"
severity = [1, 2]
units = { fire_engine = 1 }

[[plan]]
id = "fire-major"
name_zh = "重大火情处置预案"
name_en = "Major fire"
category = "fire"
severity = [3, 4]
units = { police_car = 1, ambulance = 1, fire_engine = 3 }
supplies = [ { item = "饮用水", quantity = 20, unit = "箱" } ]
"#;

    #[test]
    fn shipped_plans_parse_and_cover_every_category_and_severity_once() {
        let plans = Plans::parse(DEFAULT_PLANS, Path::new("config/plans.toml")).expect("shipped plans parse");
        assert!(plans.uncovered().is_empty(), "{:?}", plans.uncovered());
        for category in IncidentCategory::ALL {
            for s in SEVERITIES {
                let n = plans.plans.iter().filter(|p| p.covers(category, s)).count();
                assert_eq!(n, 1, "{category:?} severity {s}");
            }
        }
        let depot_items =
            [("帐篷", "顶"), ("饮用水", "箱"), ("沙袋", "袋"), ("发电机", "台"), ("救生衣", "件"), ("折叠床", "张")];
        for p in &plans.plans {
            assert!(!p.units.is_empty(), "{}", p.id);
            assert!(p.units.windows(2).all(|w| kind_rank(w[0].kind) < kind_rank(w[1].kind)), "{}", p.id);
            for s in &p.supplies {
                assert!(depot_items.contains(&(s.item.as_str(), s.unit.as_str())), "{}: {} {}", p.id, s.item, s.unit);
            }
        }
        let fire = plans.find(IncidentCategory::Fire, 4).expect("a fire plan");
        assert!(fire.units.iter().any(|u| u.kind == UnitKind::FireEngine && u.count >= 3));
    }

    #[test]
    fn file_names_match_the_protocol() {
        for c in IncidentCategory::ALL {
            assert_eq!(serde_json::to_string(&c).ok(), Some(format!("\"{}\"", c.name())));
        }
        for (k, name, ..) in UNIT_KINDS {
            assert_eq!(serde_json::to_string(&k).ok(), Some(format!("\"{name}\"")));
        }
    }

    #[test]
    fn parses_units_in_kind_order_and_finds_plans() {
        let plans = Plans::parse(GOOD, Path::new("x.toml")).expect("parses");
        assert_eq!(plans.plans.len(), 2);
        let major = &plans.plans[1];
        assert_eq!(major.severity, (3, 4));
        assert_eq!(
            major.units,
            vec![
                UnitNeed { kind: UnitKind::PoliceCar, count: 1 },
                UnitNeed { kind: UnitKind::FireEngine, count: 3 },
                UnitNeed { kind: UnitKind::Ambulance, count: 1 },
            ]
        );
        assert_eq!(major.supplies, vec![SupplyNeed { item: "饮用水".into(), quantity: 20.0, unit: "箱".into() }]);
        assert_eq!(plans.find(IncidentCategory::Fire, 1).map(|p| p.id.as_str()), Some("fire-minor"));
        assert_eq!(plans.find(IncidentCategory::Fire, 2).map(|p| p.id.as_str()), Some("fire-minor"));
        assert_eq!(plans.find(IncidentCategory::Fire, 3).map(|p| p.id.as_str()), Some("fire-major"));
        assert_eq!(plans.find(IncidentCategory::Fire, 4).map(|p| p.id.as_str()), Some("fire-major"));
        assert!(plans.find(IncidentCategory::Fire, 5).is_none());
        assert!(plans.find(IncidentCategory::Traffic, 2).is_none());
        assert!(Plans::parse("", Path::new("x.toml")).is_ok_and(|p| p.plans.is_empty()));
        let single = GOOD.replace("severity = [1, 2]", "severity = 2").replace("severity = [3, 4]", "severity = 3");
        let plans = Plans::parse(&single, Path::new("x.toml")).expect("single severities parse");
        assert_eq!(plans.plans[0].severity, (2, 2));
    }

    #[test]
    fn broken_plans_name_line_and_field() {
        let cases: [(&str, &str, &str); 22] = [
            // (replace this, with this, expected text)
            (
                "units = { fire_engine = 1 }",
                "units = { fire_truck = 1 }",
                "config/plans.toml:8: plan[0].units.fire_truck: unknown unit kind",
            ),
            (
                "category = \"fire\"\nseverity = [3",
                "category = \"fires\"\nseverity = [3",
                "config/plans.toml:14: plan[1].category: unknown category `fires`",
            ),
            (
                "severity = [3, 4]",
                "severity = [4, 3]",
                "config/plans.toml:15: plan[1].severity: range [4, 3] is reversed",
            ),
            (
                "severity = [3, 4]",
                "severity = [3, 5]",
                "config/plans.toml:15: plan[1].severity[1]: severity 5 is outside 1..=4",
            ),
            (
                "severity = [1, 2]",
                "severity = [0, 2]",
                "config/plans.toml:7: plan[0].severity[0]: severity 0 is outside 1..=4",
            ),
            ("severity = [1, 2]", "severity = \"high\"", "config/plans.toml:7: plan[0].severity: must be a severity"),
            (
                "fire_engine = 3",
                "fire_engine = 0",
                "config/plans.toml:16: plan[1].units.fire_engine: count must be 1..=100, got 0",
            ),
            (
                "fire_engine = 3",
                "fire_engine = -2",
                "config/plans.toml:16: plan[1].units.fire_engine: count must be 1..=100, got -2",
            ),
            (
                "fire_engine = 3",
                "fire_engine = 1.5",
                "config/plans.toml:16: plan[1].units.fire_engine: must be a whole number",
            ),
            (
                "units = { fire_engine = 1 }",
                "units = {}",
                "config/plans.toml:8: plan[0].units: needs at least one unit kind",
            ),
            (
                "quantity = 20",
                "quantity = 0",
                "config/plans.toml:17: plan[1].supplies[0].quantity: must be a positive quantity",
            ),
            (
                "quantity = 20",
                "quantity = -1.5",
                "config/plans.toml:17: plan[1].supplies[0].quantity: must be a positive quantity",
            ),
            (
                "quantity = 20",
                "quantity = \"20\"",
                "config/plans.toml:17: plan[1].supplies[0].quantity: must be a number",
            ),
            ("unit = \"箱\"", "units = \"箱\"", "config/plans.toml:17: plan[1].supplies[0].units: unknown field"),
            (
                "name_en = \"Minor fire\"",
                "name_en = \"Minor fire\"\ncolour = \"red\"",
                "config/plans.toml:6: plan[0].colour: unknown field",
            ),
            (
                "id = \"fire-major\"",
                "id = \"fire-minor\"",
                "config/plans.toml:11: plan[1].id: duplicate plan id `fire-minor` (first at line 3)",
            ),
            (
                "severity = [3, 4]",
                "severity = [2, 4]",
                "config/plans.toml:15: plan[1].severity: overlaps plan[0] `fire-minor` (line 7) on fire severity 2",
            ),
            ("name_zh = \"一般火情\"\n", "", "config/plans.toml:2: plan[0].name_zh: missing (required)"),
            ("id = \"fire-major\"", "id = \"\"", "config/plans.toml:11: plan[1].id: must not be empty"),
            (
                "name_en = \"Major fire\"",
                "name_en = \"Major fire",
                "config/plans.toml:13: plan[1].name_en: invalid TOML",
            ),
            (
                "units = { police_car = 1,",
                "units = { police_car = 1,,",
                "config/plans.toml:16: plan[1].units: invalid TOML",
            ),
            (
                "[[plan]]\nid = \"fire-minor\"",
                "plans = 3\n[[plan]]\nid = \"fire-minor\"",
                "config/plans.toml:2: plans: unknown field",
            ),
        ];
        for (from, to, expected) in cases {
            assert!(GOOD.contains(from), "{from}");
            let text = GOOD.replacen(from, to, 1);
            let err = parse_err(&text);
            assert!(err.starts_with(expected), "{to:?}\n  gave     {err}\n  expected {expected}");
            assert!(!err.contains('\n'), "{err}");
        }
        // Severity shapes that are not numbers or pairs.
        let err = parse_err(&GOOD.replace("severity = [3, 4]", "severity = [3, 4, 4]"));
        assert!(err.starts_with("config/plans.toml:15: plan[1].severity: "), "{err}");
        // A second table shape for supplies works and names the entry.
        let tables = GOOD.replace(
            "supplies = [ { item = \"饮用水\", quantity = 20, unit = \"箱\" } ]",
            "[[plan.supplies]]\nitem = \"饮用水\"\nquantity = 20\nunit = \"箱\"\n[[plan.supplies]]\nitem = \"沙袋\"\nquantity = 0\nunit = \"袋\"",
        );
        let err = parse_err(&tables);
        assert!(err.starts_with("config/plans.toml:23: plan[1].supplies[1].quantity:"), "{err}");
        let err = parse_err(&GOOD.replace(
            "quantity = 20, unit = \"箱\" }",
            "quantity = 20, unit = \"箱\" }, { item = \"饮用水\", quantity = 2, unit = \"箱\" }",
        ));
        assert!(err.contains("plan[1].supplies[1]: `饮用水` (箱) is listed twice"), "{err}");
    }

    #[test]
    fn unreadable_file_names_it() {
        let err = Plans::load(Path::new("/nonexistent/plans.toml")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("/nonexistent/plans.toml: cannot read: "), "{err}");
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/plans.toml");
        assert_eq!(Plans::load(&shipped).ok(), Plans::parse(DEFAULT_PLANS, Path::new("x")).ok());
    }

    fn cand(id: &str, kind: UnitKind, time_s: f32) -> Candidate {
        Candidate { unit_id: id.into(), kind, time_s }
    }

    fn need(kind: UnitKind, count: u32) -> UnitNeed {
        UnitNeed { kind, count }
    }

    fn ids(a: &Assignment) -> Vec<&str> {
        a.units.iter().map(|u| u.unit_id.as_str()).collect()
    }

    #[test]
    fn recommend_picks_the_fastest_and_skips_taken() {
        let candidates = vec![
            cand("F-01", UnitKind::FireEngine, 300.0),
            cand("F-02", UnitKind::FireEngine, 120.0),
            cand("F-03", UnitKind::FireEngine, 60.0),
            cand("F-04", UnitKind::FireEngine, f32::INFINITY),
            cand("A-01", UnitKind::Ambulance, 200.0),
            cand("A-02", UnitKind::Ambulance, 90.0),
            cand("P-01", UnitKind::PoliceCar, 30.0),
        ];
        let needs = [need(UnitKind::FireEngine, 2), need(UnitKind::Ambulance, 1)];
        let a = recommend(&needs, &candidates, &HashSet::new());
        assert_eq!(ids(&a), ["F-03", "F-02", "A-02"]);
        assert!(a.missing.is_empty());
        assert!(a.why_zh.contains("2 辆消防车总行程 3 分钟"), "{}", a.why_zh);
        assert!(a.why_en.contains("2 fire engines, 3 min travel in total"), "{}", a.why_en);

        let taken: HashSet<String> = ["F-03".to_string(), "A-02".to_string()].into();
        let a = recommend(&needs, &candidates, &taken);
        assert_eq!(ids(&a), ["F-02", "F-01", "A-01"]);
        assert!(a.why_zh.contains("最近的消防车 F-03 已被占用"), "{}", a.why_zh);

        // The unreachable engine is never sent, even when short.
        let a = recommend(&[need(UnitKind::FireEngine, 5)], &candidates, &HashSet::new());
        assert_eq!(ids(&a), ["F-03", "F-02", "F-01"]);
        assert_eq!(a.missing, vec![need(UnitKind::FireEngine, 2)]);
        assert!(a.why_zh.contains("缺 2 辆消防车"), "{}", a.why_zh);
        assert!(a.why_en.contains("short of 2 fire engines"), "{}", a.why_en);
    }

    #[test]
    fn severity_comes_first_and_the_reason_says_so() {
        let demands = vec![
            Demand {
                incident_id: "I-0002".into(),
                severity: 2,
                reported_at: 100,
                needs: vec![need(UnitKind::FireEngine, 1)],
                candidates: vec![cand("F-03", UnitKind::FireEngine, 60.0), cand("F-09", UnitKind::FireEngine, 600.0)],
            },
            Demand {
                incident_id: "I-0007".into(),
                severity: 4,
                reported_at: 200,
                needs: vec![need(UnitKind::FireEngine, 1)],
                candidates: vec![cand("F-03", UnitKind::FireEngine, 400.0), cand("F-09", UnitKind::FireEngine, 500.0)],
            },
        ];
        let out = assign(&demands);
        assert_eq!(out[0].incident_id, "I-0002");
        assert_eq!(ids(&out[1]), ["F-03"]);
        assert_eq!(ids(&out[0]), ["F-09"]);
        assert!(out[0].why_zh.contains("最近的消防车 F-03 已派往更严重的事件 I-0007"), "{}", out[0].why_zh);
        assert!(
            out[0].why_en.contains("nearest fire engine F-03 went to more severe incident I-0007"),
            "{}",
            out[0].why_en
        );
        assert!(out[1].why_zh.starts_with("严重度 4，优先于 1 起较低等级事件"), "{}", out[1].why_zh);
        assert!(out[1].why_en.starts_with("Severity 4, ahead of 1 lower-severity incident"), "{}", out[1].why_en);

        // Same severity: the older incident is served first only as a tie-break; the total decides.
        let mut same = demands.clone();
        same[1].severity = 2;
        let out = assign(&same);
        // F-03→I-0002 + F-09→I-0007 = 560 beats F-03→I-0007 + F-09→I-0002 = 1000.
        assert_eq!(ids(&out[0]), ["F-03"]);
        assert_eq!(ids(&out[1]), ["F-09"]);
        assert!(out[1].why_zh.contains("全局最短"), "{}", out[1].why_zh);
        assert!(out[1].why_zh.contains("最近的消防车 F-03 派往同级事件 I-0002"), "{}", out[1].why_zh);
    }

    /// A random case: incidents with random severities (few tiers, so they compete) and units of
    /// two kinds with random times, some unreachable or not listed.
    fn random_case(rng: &mut SplitMix64) -> Vec<Demand> {
        let kinds = [UnitKind::FireEngine, UnitKind::Ambulance];
        let n_incidents = 2 + (rng.next_u64() % 2) as usize;
        let n_units = 3 + (rng.next_u64() % 4) as usize;
        let units: Vec<(String, UnitKind)> =
            (0..n_units).map(|u| (format!("U-{u}"), kinds[(rng.next_u64() % 2) as usize])).collect();
        (0..n_incidents)
            .map(|i| {
                let mut needs = vec![need(UnitKind::FireEngine, 1 + (rng.next_u64() % 2) as u32)];
                if rng.unit() < 0.6 {
                    needs.push(need(UnitKind::Ambulance, 1 + (rng.next_u64() % 2) as u32));
                }
                let candidates = units
                    .iter()
                    .filter_map(|(id, kind)| {
                        if rng.unit() >= 0.85 {
                            return None;
                        }
                        let time_s = if rng.unit() < 0.12 { f32::INFINITY } else { rng.range(30.0, 900.0) as f32 };
                        Some(cand(id, *kind, time_s))
                    })
                    .collect();
                Demand {
                    incident_id: format!("I-{i}"),
                    severity: 3 + (rng.next_u64() % 2) as u8,
                    reported_at: (rng.next_u64() % 1000) as i64,
                    needs,
                    candidates,
                }
            })
            .collect()
    }

    /// The best (most filled, then least total time) for one tier with the given free units.
    fn brute_force(tier: &[&Demand], free: &HashSet<String>) -> (usize, f64) {
        let mut units: Vec<(String, UnitKind)> = Vec::new();
        for d in tier {
            for c in &d.candidates {
                if free.contains(&c.unit_id) && !units.iter().any(|u| u.0 == c.unit_id) {
                    units.push((c.unit_id.clone(), c.kind));
                }
            }
        }
        let mut capacity: Vec<HashMap<UnitKind, u32>> = tier
            .iter()
            .map(|d| {
                let mut m = HashMap::new();
                for n in &d.needs {
                    *m.entry(n.kind).or_insert(0) += n.count;
                }
                m
            })
            .collect();
        fn go(
            k: usize,
            units: &[(String, UnitKind)],
            tier: &[&Demand],
            capacity: &mut [HashMap<UnitKind, u32>],
            filled: usize,
            time: f64,
            best: &mut (usize, f64),
        ) {
            if k == units.len() {
                if filled > best.0 || (filled == best.0 && time < best.1) {
                    *best = (filled, time);
                }
                return;
            }
            go(k + 1, units, tier, capacity, filled, time, best);
            let (id, kind) = &units[k];
            for (d, demand) in tier.iter().enumerate() {
                let Some(c) = demand.candidates.iter().find(|c| &c.unit_id == id && c.time_s.is_finite()) else {
                    continue;
                };
                let left = capacity[d].get(kind).copied().unwrap_or(0);
                if left == 0 {
                    continue;
                }
                capacity[d].insert(*kind, left - 1);
                go(k + 1, units, tier, capacity, filled + 1, time + f64::from(c.time_s), best);
                capacity[d].insert(*kind, left);
            }
        }
        let mut best = (0, 0.0);
        go(0, &units, tier, &mut capacity, 0, 0.0, &mut best);
        best
    }

    #[test]
    fn assign_is_severity_first_and_minimum_total_time_within_a_tier() {
        let mut rng = SplitMix64::new(0x05ee_d0f9_1a25);
        let (mut competing, mut greedy_worse) = (0, 0);
        for case in 0..200 {
            let demands = random_case(&mut rng);
            let out = assign(&demands);
            assert_eq!(out.len(), demands.len());
            let mut seen = HashSet::new();
            for (d, a) in demands.iter().zip(&out) {
                assert_eq!(a.incident_id, d.incident_id);
                for u in &a.units {
                    assert!(seen.insert(u.unit_id.clone()), "case {case}: {} sent twice", u.unit_id);
                    assert!(u.time_s.is_finite(), "case {case}: unreachable {} sent", u.unit_id);
                    assert!(
                        d.candidates.contains(u),
                        "case {case}: {} not a candidate of {}",
                        u.unit_id,
                        d.incident_id
                    );
                }
                for n in &d.needs {
                    let sent = a.units.iter().filter(|u| u.kind == n.kind).count() as u32;
                    let missing = a.missing.iter().filter(|m| m.kind == n.kind).map(|m| m.count).sum::<u32>();
                    assert_eq!(sent + missing, n.count, "case {case}");
                }
                assert!(a.units.windows(2).all(|w| w[0].kind != w[1].kind || w[0].time_s <= w[1].time_s));
            }
            // Tier by tier, most severe first: each tier is the brute-force best with what the
            // tiers above left free.
            let mut free: HashSet<String> =
                demands.iter().flat_map(|d| d.candidates.iter().map(|c| c.unit_id.clone())).collect();
            for severity in [4u8, 3] {
                let tier: Vec<usize> = (0..demands.len()).filter(|&i| demands[i].severity == severity).collect();
                if tier.is_empty() {
                    continue;
                }
                let tier_demands: Vec<&Demand> = tier.iter().map(|&i| &demands[i]).collect();
                let (best_filled, best_time) = brute_force(&tier_demands, &free);
                let filled: usize = tier.iter().map(|&i| out[i].units.len()).sum();
                let time: f64 = tier.iter().flat_map(|&i| &out[i].units).map(|u| f64::from(u.time_s)).sum();
                assert_eq!(filled, best_filled, "case {case} severity {severity}: {demands:?} -> {out:?}");
                assert!((time - best_time).abs() < 1e-3 * best_time.max(1.0), "case {case}: {time} vs {best_time}");
                if tier.len() > 1 {
                    competing += 1;
                    // Oldest first, each taking its fastest free units: what the matching beats.
                    let mut order = tier.clone();
                    order.sort_by_key(|&i| demands[i].reported_at);
                    let mut taken: HashSet<String> =
                        demands.iter().flat_map(|d| &d.candidates).map(|c| c.unit_id.clone()).collect();
                    taken.retain(|u| !free.contains(u));
                    let (mut g_filled, mut g_time) = (0, 0.0);
                    for &i in &order {
                        let g = recommend(&demands[i].needs, &demands[i].candidates, &taken);
                        g_filled += g.units.len();
                        g_time += g.units.iter().map(|u| f64::from(u.time_s)).sum::<f64>();
                        taken.extend(g.units.iter().map(|u| u.unit_id.clone()));
                    }
                    if g_filled < best_filled || (g_filled == best_filled && g_time > best_time + 1e-3) {
                        greedy_worse += 1;
                    }
                }
                for &i in &tier {
                    for u in &out[i].units {
                        free.remove(&u.unit_id);
                    }
                }
            }
        }
        // The cases do compete, and a first-come greedy pick would often be worse.
        assert!(competing >= 50, "{competing}");
        assert!(greedy_worse >= 5, "{greedy_worse} of {competing}");
    }

    #[test]
    fn unreachable_units_are_never_assigned() {
        let demands = vec![Demand {
            incident_id: "I-1".into(),
            severity: 3,
            reported_at: 0,
            needs: vec![need(UnitKind::Ambulance, 2)],
            candidates: vec![
                cand("A-1", UnitKind::Ambulance, f32::INFINITY),
                cand("A-2", UnitKind::Ambulance, f32::NAN),
                cand("A-3", UnitKind::Ambulance, 50.0),
            ],
        }];
        let out = assign(&demands);
        assert_eq!(ids(&out[0]), ["A-3"]);
        assert_eq!(out[0].missing, vec![need(UnitKind::Ambulance, 1)]);
        assert!(out[0].why_zh.contains("缺 1 辆救护车"), "{}", out[0].why_zh);
        // No candidates at all.
        let mut none = demands.clone();
        none[0].candidates.clear();
        let out = assign(&none);
        assert!(out[0].units.is_empty());
        assert_eq!(out[0].missing, vec![need(UnitKind::Ambulance, 2)]);
    }

    #[test]
    fn matching_fills_most_pairs_then_least_cost() {
        // Row 0 can only take column 0; the cheaper overall pick for row 1 is column 0, but filling
        // both rows wins.
        let cost = vec![vec![Some(100.0), None], vec![Some(1.0), Some(500.0)]];
        let mut pairs = min_cost_matching(&cost);
        pairs.sort();
        assert_eq!(pairs, vec![(0, 0), (1, 1)]);
        // More rows than columns.
        let cost = vec![vec![Some(5.0)], vec![Some(3.0)], vec![None]];
        assert_eq!(min_cost_matching(&cost), vec![(1, 0)]);
        assert!(min_cost_matching(&[]).is_empty());
    }

    #[test]
    fn supply_check_lists_every_need() {
        let needs = vec![
            SupplyNeed { item: "饮用水".into(), quantity: 20.0, unit: "箱".into() },
            SupplyNeed { item: "帐篷".into(), quantity: 5.0, unit: "顶".into() },
            SupplyNeed { item: "发电机".into(), quantity: 2.0, unit: "台".into() },
        ];
        let have = vec![
            ("饮用水".to_string(), 12.0, "箱".to_string()),
            ("饮用水".to_string(), 15.0, "箱".to_string()),
            ("饮用水".to_string(), 99.0, "瓶".to_string()),
            ("帐篷".to_string(), 3.0, "顶".to_string()),
        ];
        let check = supply_check(&needs, &have);
        assert_eq!(
            check,
            vec![
                Shortfall { item: "饮用水".into(), need: 20.0, have: 27.0, unit: "箱".into() },
                Shortfall { item: "帐篷".into(), need: 5.0, have: 3.0, unit: "顶".into() },
                Shortfall { item: "发电机".into(), need: 2.0, have: 0.0, unit: "台".into() },
            ]
        );
        assert_eq!(check.iter().map(Shortfall::is_short).collect::<Vec<_>>(), [false, true, true]);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration_zh(432.0), "7 分 12 秒");
        assert_eq!(fmt_duration_en(432.0), "7 min 12 s");
        assert_eq!(fmt_duration_zh(45.2), "45 秒");
        assert_eq!(fmt_duration_zh(180.0), "3 分钟");
    }
}
