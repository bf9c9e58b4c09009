//! Stale rules: a sensor or camera silent for longer than its period. Each report moves the
//! subject's deadline; the deadline heap wakes the rule only when a deadline passes, so ten
//! thousand sensors reporting every second cost one heap entry each per period, not a scan.

use crate::protocol::Millis;
use crate::rules::config::Stale;
use crate::rules::timers::{Timer, Timers};

/// The first time at which a subject last heard at `updated_at` (with its own `stale_after`) is
/// stale: silent for longer than the period, or past its `stale_after` when the rule gives none.
pub(crate) fn stale_from(rule: &Stale, updated_at: Millis, stale_after: Option<Millis>) -> Option<Millis> {
    match rule.period_ms {
        Some(p) => Some(updated_at.saturating_add(p).saturating_add(1)),
        None => stale_after.map(|t| t.saturating_add(1)),
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// When the subject turns stale; `None` while it is not watched or never will be.
    from: Option<Millis>,
    timer: Timer,
}

/// Every subject's deadline for one rule, by sensor or camera number.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    slots: Vec<Slot>,
}

impl State {
    pub fn report(
        &mut self,
        rule: &Stale,
        r: u32,
        subject: u32,
        updated_at: Millis,
        stale_after: Option<Millis>,
        timers: &mut Timers,
    ) {
        let i = subject as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, Slot::default());
        }
        let slot = &mut self.slots[i];
        slot.from = stale_from(rule, updated_at, stale_after);
        if let Some(from) = slot.from {
            timers.schedule(&mut slot.timer, from, r, u64::from(subject));
        }
    }

    pub fn forget(&mut self, subject: u32) {
        if let Some(slot) = self.slots.get_mut(subject as usize) {
            slot.from = None;
        }
    }

    /// A popped deadline: true if the subject needs evaluating (it is due), otherwise its later
    /// deadline is queued.
    pub fn on_timer(&mut self, r: u32, subject: u32, due: Millis, now: Millis, timers: &mut Timers) -> bool {
        let Some(slot) = self.slots.get_mut(subject as usize) else { return false };
        if !slot.timer.take(due) {
            return false;
        }
        match slot.from {
            Some(from) if from > now => {
                timers.schedule(&mut slot.timer, from, r, u64::from(subject));
                false
            }
            Some(_) => true,
            None => false,
        }
    }

    /// Whether the subject is stale at `now`.
    pub fn holds(&self, subject: u32, now: Millis) -> bool {
        self.slots.get(subject as usize).and_then(|s| s.from).is_some_and(|from| now >= from)
    }
}
