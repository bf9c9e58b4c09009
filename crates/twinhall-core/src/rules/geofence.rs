//! Geofence rules on units: entering a fence (the alert holds while the unit is inside) or
//! leaving one it was inside (the alert holds while it stays out). Each unit keeps the sorted
//! list of fences it is inside and, for leave rules, of fences it has been inside; a move asks
//! the fence grid which fences hold the new position and compares the two lists, so a move costs
//! the fences near the unit, not every fence.

use crate::protocol::UnitKind;
use crate::rules::config::{FenceEvent, Geofence, Rule, RuleKind};
use crate::rules::fence::{FenceShape, Fences};

/// Where a unit stands against every unit fence.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Place {
    /// Fences holding the unit, by number, increasing.
    pub inside: Vec<u32>,
    /// Leave fences the unit has been inside, increasing.
    pub seen: Vec<u32>,
}

pub(crate) fn geofence(rule: &Rule) -> Option<&Geofence> {
    match &rule.kind {
        RuleKind::Geofence(g) => Some(g),
        _ => None,
    }
}

/// Whether the rule watches units of this kind.
pub(crate) fn accepts(rule: &Geofence, kind: UnitKind) -> bool {
    rule.unit_kinds.is_empty() || rule.unit_kinds.contains(&kind)
}

/// Moves a unit to `p`: fences it entered or left go to `changed`.
pub(crate) fn place(
    rules: &[Rule],
    fences: &Fences,
    kind: UnitKind,
    p: [f64; 2],
    place: &mut Place,
    scratch: &mut Vec<u32>,
    changed: &mut Vec<u32>,
) {
    let keep = |s: &FenceShape| rules.get(s.rule as usize).and_then(geofence).is_some_and(|g| accepts(g, kind));
    fences.query(p, keep, scratch);
    let (old, new) = (&place.inside, &*scratch);
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                changed.push(*a);
                i += 1;
            }
            (Some(a), None) => {
                changed.push(*a);
                i += 1;
            }
            (_, Some(b)) => {
                changed.push(*b);
                j += 1;
            }
            (None, None) => break,
        }
    }
    for &f in new {
        let leave = fences.shapes.get(f as usize).and_then(|s| rules.get(s.rule as usize)).and_then(geofence);
        if leave.is_some_and(|g| g.event == FenceEvent::Leave)
            && let Err(at) = place.seen.binary_search(&f)
        {
            place.seen.insert(at, f);
        }
    }
    place.inside.clone_from(new);
}

/// Whether the rule holds for a unit of `kind` standing at `place` against fence `f`.
pub(crate) fn holds(rule: &Geofence, shape: &FenceShape, f: u32, kind: UnitKind, place: &Place) -> bool {
    if !accepts(rule, kind) || shape.ring.is_none() {
        return false;
    }
    let inside = place.inside.binary_search(&f).is_ok();
    match rule.event {
        FenceEvent::Enter => inside,
        FenceEvent::Leave => !inside && place.seen.binary_search(&f).is_ok(),
    }
}
