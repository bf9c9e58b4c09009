//! Geofence-incident rules: a fence holding more than N incidents of a category reported within
//! the window. Each fence keeps its window's incidents ordered by report time; a report adds or
//! moves one, and one deadline per fence (its oldest incident leaving the window) is all that
//! time passing costs.
//!
//! As for clusters, an incident counts from its report time until the window has passed, even
//! once archived or removed from the feed.

use std::collections::{BTreeSet, HashMap};

use crate::protocol::Millis;
use crate::rules::config::FenceIncidents;
use crate::rules::fence::in_window;
use crate::rules::timers::{Timer, Timers};

#[derive(Clone, Debug, Default)]
struct Window {
    /// (report time, incident number).
    items: BTreeSet<(Millis, u32)>,
    timer: Timer,
}

/// One rule's fences and the incidents each holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    fences: HashMap<u32, Window>,
    /// Each incident's report time and the fences it is counted in.
    placed: HashMap<u32, (Millis, Vec<u32>)>,
}

impl State {
    /// An incident's latest report: counted in `fences` (this rule's fences holding it) at time
    /// `t`, or in none when its category is not the rule's. Fences whose count changed go to
    /// `dirty`.
    #[expect(clippy::too_many_arguments, reason = "one incident's fields, passed apart to avoid a copy")]
    pub fn incident(
        &mut self,
        rule: &FenceIncidents,
        r: u32,
        i: u32,
        t: Millis,
        fences: &[u32],
        timers: &mut Timers,
        dirty: &mut Vec<u32>,
    ) {
        if self.placed.get(&i).is_some_and(|(held_t, held)| *held_t == t && held == fences) {
            return;
        }
        if let Some((held_t, held)) = self.placed.remove(&i) {
            for f in held {
                if let Some(w) = self.fences.get_mut(&f) {
                    w.items.remove(&(held_t, i));
                }
                dirty.push(f);
            }
        }
        if fences.is_empty() {
            return;
        }
        for &f in fences {
            let w = self.fences.entry(f).or_default();
            w.items.insert((t, i));
            if let Some(&(oldest, _)) = w.items.first() {
                timers.schedule(&mut w.timer, oldest.saturating_add(rule.window_ms), r, u64::from(f));
            }
            dirty.push(f);
        }
        self.placed.insert(i, (t, fences.to_vec()));
    }

    /// A popped deadline: the fence's incidents whose window has passed leave it. True if the
    /// fence needs evaluating.
    pub fn on_timer(
        &mut self,
        rule: &FenceIncidents,
        r: u32,
        f: u32,
        due: Millis,
        now: Millis,
        timers: &mut Timers,
    ) -> bool {
        let Some(w) = self.fences.get_mut(&f) else { return false };
        if !w.timer.take(due) {
            return false;
        }
        while let Some(&(t, i)) = w.items.first() {
            if in_window(t, rule.window_ms, now) {
                timers.schedule(&mut w.timer, t.saturating_add(rule.window_ms), r, u64::from(f));
                break;
            }
            w.items.pop_first();
            if let Some((_, fences)) = self.placed.get_mut(&i) {
                fences.retain(|x| *x != f);
                if fences.is_empty() {
                    self.placed.remove(&i);
                }
            }
        }
        true
    }

    /// The fence's count at `now`, if it is more than the rule's.
    pub fn holds(&self, rule: &FenceIncidents, f: u32, now: Millis) -> Option<usize> {
        let w = self.fences.get(&f)?;
        let n = w.items.iter().filter(|(t, _)| in_window(*t, rule.window_ms, now)).count();
        (n > rule.more_than as usize).then_some(n)
    }
}
