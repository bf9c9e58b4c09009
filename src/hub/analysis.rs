//! The focused incident in one pass: its surroundings within the radius, every unit ranked by
//! travel time (by road; drones in a straight line; available ones apart from the busy), and the plan filled with the units
//! that arrive first, with units competing incidents need assigned by the stated rule (severity
//! first, then the least total travel time; `twinhall_core::hub::plans::assign`).
//!
//! Computed when the focus, the radius or the city context changes, and at most once a second
//! while the feed reports; never on frames with nothing new.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::hub::plans::{self, Assignment, Candidate, Demand, Shortfall, UnitNeed};
use twinhall_core::hub::rank::Ranker;
use twinhall_core::hub::surroundings::{Query as AroundQuery, Surroundings, surroundings};
use twinhall_core::protocol::{Incident, IncidentStatus, Unit, UnitKind, UnitStatus};
use twinhall_core::sim::DRONE_SPEED_MPS;

use super::{HubContext, HubPlans, HubState};
use crate::context::City;
use crate::feed::FeedData;

/// Most other open incidents that compete with the focused one for units.
const MAX_COMPETING: usize = 12;
/// How often the analysis follows the feed while an incident is focused.
const REFRESH: Duration = Duration::from_secs(1);

/// One unit with its road travel time to the focused incident.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedUnit {
    pub id: String,
    pub name: String,
    pub kind: UnitKind,
    pub status: UnitStatus,
    /// Road travel time, seconds; `None` where the roads do not reach.
    pub time_s: Option<f32>,
    /// Straight-line distance, metres, for comparison.
    pub straight_m: f64,
    /// Free to send: on duty, not on another incident, not stale.
    pub available: bool,
    /// The incident it is busy with, if any.
    pub busy_with: Option<String>,
}

/// The plan filled for the focused incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub plan_id: String,
    pub plan_zh: String,
    pub plan_en: String,
    /// What the plan asks, less the units already on their way to this incident.
    pub needs: Vec<UnitNeed>,
    pub assignment: Assignment,
    pub supplies: Vec<Shortfall>,
    /// Other open incidents considered for the assignment.
    pub competing: usize,
}

/// The focused incident's analysis.
#[derive(Resource, Debug, Default)]
pub struct FocusAnalysis {
    pub incident_id: Option<String>,
    pub center: [f64; 2],
    pub radius_m: f64,
    pub surroundings: Surroundings,
    /// Available units first (fastest first), then the busy ones.
    pub units: Vec<RankedUnit>,
    pub recommendation: Option<Recommendation>,
    pub compute_ms: f64,
    pub computed_at: Option<Instant>,
}

impl FocusAnalysis {
    pub fn unit(&self, id: &str) -> Option<&RankedUnit> {
        self.units.iter().find(|u| u.id == id)
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FocusAnalysis>()
        .add_systems(Update, analyse.in_set(crate::context::AppSystems::Analyse).after(super::focus::apply_focus));
}

/// Walkers move slower than the road speeds the graph holds (as the simulator moves them).
pub fn travel_factor(kind: UnitKind) -> f32 {
    match kind {
        UnitKind::GridWorker => 12.0 / 1.4,
        UnitKind::Volunteer => 12.0 / 1.3,
        _ => 1.0,
    }
}

/// Each unit's travel time to `target`, seconds: by road for those that drive or walk (one
/// sweep of the ranker for all), in a straight line at cruising speed for drones.
pub fn unit_times(ranker: &Ranker, target: [f64; 2], units: &[(u32, &Unit, [f64; 2])]) -> Vec<Option<f32>> {
    let positions: Vec<[f64; 2]> = units.iter().map(|(_, _, p)| *p).collect();
    let road = ranker.times_to(target, &positions);
    units
        .iter()
        .zip(road)
        .map(|((_, u, p), t)| {
            if u.kind.flies() {
                Some((twinhall_core::frame::distance(*p, target) / f64::from(DRONE_SPEED_MPS)) as f32)
            } else {
                t.map(|t| t * travel_factor(u.kind))
            }
        })
        .collect()
}

/// Whether a unit can be sent now.
pub fn is_available(u: &Unit, stale: bool) -> bool {
    !stale && u.incident_id.is_none() && matches!(u.status, UnitStatus::Available | UnitStatus::Patrolling)
}

/// Open incidents that still wait for units.
fn waits_for_units(i: &Incident) -> bool {
    matches!(i.status, IncidentStatus::Reported | IncidentStatus::Accepted)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn analyse(
    state: Res<HubState>,
    data: Res<FeedData>,
    city: Res<City>,
    context: Option<Res<HubContext>>,
    plans: Option<Res<HubPlans>>,
    mut analysis: ResMut<FocusAnalysis>,
) {
    let Some(id) = state.focused.clone() else {
        if analysis.incident_id.is_some() {
            *analysis = FocusAnalysis::default();
        }
        return;
    };
    let Some(context) = context else { return };
    let context_new = context.is_added();
    let changed_focus = analysis.incident_id.as_deref() != Some(id.as_str()) || analysis.radius_m != state.radius_m;
    let due = analysis.computed_at.is_none_or(|t| t.elapsed() >= REFRESH) && data.is_changed();
    if !(changed_focus || context_new || due || state.is_changed()) {
        return;
    }
    let Some(incident) = data.incidents.get(&id) else { return };
    let started = Instant::now();
    let plans = plans.map(|p| p.0.clone());
    *analysis = compute(&data, &city, &context, plans.as_deref(), incident, state.radius_m);
    analysis.compute_ms = started.elapsed().as_secs_f64() * 1000.0;
}

/// The whole analysis of one incident (GPU-free apart from the resources it reads).
pub fn compute(
    data: &FeedData,
    city: &City,
    context: &HubContext,
    plans: Option<&twinhall_core::hub::plans::Plans>,
    incident: &Incident,
    radius_m: f64,
) -> FocusAnalysis {
    let frame = &city.model.frame;
    let center = frame.to_local(LonLat::new(incident.lon, incident.lat));
    let ranker = &context.ranker;
    let travel = |p: [f64; 2]| ranker.times_to(center, &[p]).first().copied().flatten();
    let query = AroundQuery { center, radius_m, target_height_m: 1.5 };
    let around = surroundings(data, frame, &context.buildings, &query, &travel);

    // Every unit, ranked by road time to this incident.
    let units: Vec<(u32, &Unit, [f64; 2])> =
        data.units.iter().map(|(slot, u)| (slot, u, frame.to_local(LonLat::new(u.lon, u.lat)))).collect();
    let times = unit_times(ranker, center, &units);
    let mut ranked: Vec<RankedUnit> = units
        .iter()
        .zip(&times)
        .map(|((slot, u, p), t)| RankedUnit {
            id: u.id.clone(),
            name: u.name.clone(),
            kind: u.kind,
            status: u.status,
            time_s: *t,
            straight_m: twinhall_core::frame::distance(*p, center),
            available: is_available(u, data.units.is_stale(*slot)),
            busy_with: u.incident_id.clone(),
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.available
            .cmp(&a.available)
            .then(a.time_s.unwrap_or(f32::INFINITY).total_cmp(&b.time_s.unwrap_or(f32::INFINITY)))
            .then(a.id.cmp(&b.id))
    });

    let recommendation = plans.and_then(|plans| {
        let plan = plans.find(incident.category, incident.severity)?;
        // What the plan asks, less what is already on its way here.
        let mut on_the_way: HashMap<UnitKind, u32> = HashMap::new();
        for u in ranked.iter().filter(|u| u.busy_with.as_deref() == Some(incident.id.as_str())) {
            *on_the_way.entry(u.kind).or_default() += 1;
        }
        let needs: Vec<UnitNeed> = plan
            .units
            .iter()
            .map(|n| UnitNeed {
                kind: n.kind,
                count: n.count.saturating_sub(on_the_way.get(&n.kind).copied().unwrap_or(0)),
            })
            .filter(|n| n.count > 0)
            .collect();
        let candidates = |times: &[Option<f32>]| -> Vec<Candidate> {
            units
                .iter()
                .zip(times)
                .filter(|((slot, u, _), _)| is_available(u, data.units.is_stale(*slot)))
                .filter_map(|((_, u, _), t)| t.map(|t| Candidate { unit_id: u.id.clone(), kind: u.kind, time_s: t }))
                .collect()
        };
        let mut demands = vec![Demand {
            incident_id: incident.id.clone(),
            severity: incident.severity,
            reported_at: incident.reported_at,
            needs: needs.clone(),
            candidates: candidates(&times),
        }];
        // Other incidents that wait for units compete for the same ones.
        let mut others: Vec<&Incident> =
            data.incidents.iter().map(|(_, i)| i).filter(|i| i.id != incident.id && waits_for_units(i)).collect();
        others.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.reported_at.cmp(&b.reported_at)));
        for other in others.into_iter().take(MAX_COMPETING) {
            let Some(p) = plans.find(other.category, other.severity) else { continue };
            let at = frame.to_local(LonLat::new(other.lon, other.lat));
            let t = unit_times(ranker, at, &units);
            demands.push(Demand {
                incident_id: other.id.clone(),
                severity: other.severity,
                reported_at: other.reported_at,
                needs: p.units.clone(),
                candidates: candidates(&t),
            });
        }
        let competing = demands.len() - 1;
        let assignment = plans::assign(&demands).into_iter().next()?;
        let have: Vec<(String, f64, String)> =
            around.supply_totals.iter().map(|s| (s.item.clone(), s.quantity, s.unit.clone())).collect();
        Some(Recommendation {
            plan_id: plan.id.clone(),
            plan_zh: plan.name_zh.clone(),
            plan_en: plan.name_en.clone(),
            needs,
            assignment,
            supplies: plans::supply_check(&plan.supplies, &have),
            competing,
        })
    });

    FocusAnalysis {
        incident_id: Some(incident.id.clone()),
        center,
        radius_m,
        surroundings: around,
        units: ranked,
        recommendation,
        compute_ms: 0.0,
        computed_at: Some(Instant::now()),
    }
}
