//! Filling plans with units: one incident alone ([`recommend`]), or competing incidents at once
//! ([`assign`]) so that no unit goes to two, severity first and then the least total travel.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::UnitNeed;
use super::explain::{explain, explain_recommendation};
use super::matching::min_cost_matching;
use super::model::UNIT_KINDS;
use crate::protocol::UnitKind;

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
pub(super) fn reachable(time_s: f32) -> bool {
    time_s.is_finite() && time_s >= 0.0
}

/// Needs with one entry per kind (counts added up), in first-mention order, zero counts dropped.
pub(super) fn merged_needs(needs: &[UnitNeed]) -> Vec<UnitNeed> {
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
pub(super) fn reachable_candidates(candidates: &[Candidate]) -> Vec<Candidate> {
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

/// Chosen units ordered by kind in need order, fastest first within a kind, and what is missing.
pub(super) fn arrange(mut chosen: Vec<Candidate>, needs: &[UnitNeed]) -> (Vec<Candidate>, Vec<UnitNeed>) {
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
    // The nearest unit of a kind, when another incident holds it.
    let mut nearest_taken: Vec<(UnitKind, &str)> = Vec::new();
    for need in &needs {
        let of_kind: Vec<&Candidate> = pool.iter().filter(|c| c.kind == need.kind).collect();
        chosen.extend(
            of_kind.iter().filter(|c| !taken.contains(&c.unit_id)).take(need.count as usize).map(|c| (*c).clone()),
        );
        if let Some(first) = of_kind.first().filter(|c| taken.contains(&c.unit_id)) {
            nearest_taken.push((need.kind, &first.unit_id));
        }
    }
    let (units, missing) = arrange(chosen, &needs);
    let (why_zh, why_en) = explain_recommendation(&needs, &units, &missing, &nearest_taken);
    Assignment { incident_id: String::new(), units, missing, why_zh, why_en }
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
