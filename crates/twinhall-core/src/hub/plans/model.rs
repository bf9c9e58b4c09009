//! What a plan is: the units and supplies it asks for, the category and severities it covers,
//! and the plans of a file, found by incident.

use serde::{Deserialize, Serialize};

use crate::protocol::{IncidentCategory, UnitKind};

/// The shipped plans, identical to `config/plans.toml`.
pub const DEFAULT_PLANS: &str = include_str!("../../../../../config/plans.toml");

/// Severities an incident can have.
pub const SEVERITIES: std::ops::RangeInclusive<u8> = 1..=4;

/// Unit kinds in declaration order, with their names in the file, the Chinese noun and measure
/// word, and the English noun.
pub(super) const UNIT_KINDS: [(UnitKind, &str, &str); 6] = [
    (UnitKind::PoliceCar, "police_car", "辆"),
    (UnitKind::FireEngine, "fire_engine", "辆"),
    (UnitKind::Ambulance, "ambulance", "辆"),
    (UnitKind::GridWorker, "grid_worker", "名"),
    (UnitKind::Volunteer, "volunteer", "名"),
    (UnitKind::Drone, "drone", "架"),
];

pub(super) fn kind_rank(kind: UnitKind) -> usize {
    UNIT_KINDS.iter().position(|k| k.0 == kind).unwrap_or(UNIT_KINDS.len())
}

pub(super) fn kind_info(kind: UnitKind) -> (&'static str, &'static str, &'static str, &'static str) {
    let (name, measure) = UNIT_KINDS.iter().find(|k| k.0 == kind).map_or(("unit", "个"), |k| (k.1, k.2));
    (name, kind.label_zh(), measure, kind.label_en())
}

/// A category's name in the file: the protocol's snake_case.
pub(super) fn category_name(category: IncidentCategory) -> &'static str {
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

impl Plans {
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
