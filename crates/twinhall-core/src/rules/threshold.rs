//! Threshold rules: a reading past the level for at least the minimum duration fires; only a
//! reading back at or past the clear level clears it (hysteresis), so a value hovering at the
//! level does not chatter. A reading that falls back below the level before the duration is up
//! cancels the wait.

use crate::protocol::Millis;
use crate::rules::config::{Direction, Threshold};
use crate::rules::timers::{Timer, Timers};

/// One sensor's standing against one threshold rule.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum Latch {
    #[default]
    Off,
    /// Past the level since this reading time, waiting for the minimum duration.
    Pending(Millis),
    On,
}

fn past_level(rule: &Threshold, reading: f64) -> bool {
    match rule.direction {
        Direction::Up => reading > rule.level,
        Direction::Down => reading < rule.level,
    }
}

fn back_to_clear(rule: &Threshold, reading: f64) -> bool {
    match rule.direction {
        Direction::Up => reading <= rule.clear,
        Direction::Down => reading >= rule.clear,
    }
}

/// A pending latch whose minimum duration is up at `now` turns on.
pub(crate) fn settle(latch: Latch, rule: &Threshold, now: Millis) -> Latch {
    match latch {
        Latch::Pending(since) if now >= since.saturating_add(rule.for_ms) => Latch::On,
        other => other,
    }
}

/// The latch after a reading taken at `t`.
pub(crate) fn step(latch: Latch, rule: &Threshold, reading: f64, t: Millis) -> Latch {
    match settle(latch, rule, t) {
        Latch::Off if past_level(rule, reading) => Latch::Pending(t),
        Latch::Pending(_) if !past_level(rule, reading) => Latch::Off,
        Latch::On if back_to_clear(rule, reading) => Latch::Off,
        other => other,
    }
}

/// When a latch next needs looking at without a new reading.
pub(crate) fn due(latch: Latch, rule: &Threshold) -> Option<Millis> {
    match latch {
        Latch::Pending(since) => Some(since.saturating_add(rule.for_ms)),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    latch: Latch,
    timer: Timer,
}

/// Every sensor's latch for one rule, by sensor number.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    slots: Vec<Slot>,
}

impl State {
    fn slot(&mut self, sensor: u32) -> &mut Slot {
        let i = sensor as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, Slot::default());
        }
        &mut self.slots[i]
    }

    pub fn reading(&mut self, rule: &Threshold, r: u32, sensor: u32, reading: f64, t: Millis, timers: &mut Timers) {
        let slot = self.slot(sensor);
        slot.latch = step(slot.latch, rule, reading, t);
        if let Some(due) = due(slot.latch, rule) {
            timers.schedule(&mut slot.timer, due, r, u64::from(sensor));
        }
    }

    pub fn forget(&mut self, sensor: u32) {
        if let Some(slot) = self.slots.get_mut(sensor as usize) {
            slot.latch = Latch::Off;
        }
    }

    /// A popped deadline: true if the sensor needs evaluating.
    pub fn on_timer(&mut self, sensor: u32, due: Millis) -> bool {
        self.slots.get_mut(sensor as usize).is_some_and(|s| s.timer.take(due))
    }

    /// Whether the rule holds for the sensor at `now`.
    pub fn holds(&mut self, rule: &Threshold, sensor: u32, now: Millis) -> bool {
        let Some(slot) = self.slots.get_mut(sensor as usize) else { return false };
        slot.latch = settle(slot.latch, rule, now);
        slot.latch == Latch::On
    }
}
