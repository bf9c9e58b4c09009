//! The plans file (`config/plans.toml`): read with spans through [`crate::toml_text`], every
//! plan checked, ids unique, no two plans for one category and severity.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::DeValue;

use super::model::{SEVERITIES, UNIT_KINDS, category_name, kind_rank};
use super::{Plan, Plans, SupplyNeed, UnitNeed};
use crate::protocol::IncidentCategory;
use crate::toml_text::{TomlFile, integer, number, sorted_entries};

/// The most units of one kind a plan may ask for.
pub(super) const MAX_COUNT: i64 = 100;

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
