//! Rate-of-change rules: the latest reading against the lowest (for a rise) or highest (for a
//! fall) reading of the window that ends now. Each sensor keeps a monotonic queue of the readings
//! that can still be the window's extreme, so a reading costs O(1) amortised and time passing
//! costs one deadline: when the queue's front leaves the window.
//!
//! A sample's time is its `updated_at`, never earlier than the sensor's previous sample.

use std::collections::VecDeque;

use crate::protocol::Millis;
use crate::rules::config::{Direction, Rate};
use crate::rules::fence::in_window;
use crate::rules::timers::{Timer, Timers};

#[derive(Clone, Debug, Default)]
struct Slot {
    /// (time, reading), times increasing; readings increasing for a rise, decreasing for a fall.
    extremes: VecDeque<(Millis, f64)>,
    last: Option<(Millis, f64)>,
    timer: Timer,
}

/// Every sensor's window for one rule, by sensor number.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    slots: Vec<Slot>,
}

/// The change a rule measures from the window's extreme to the latest reading (positive when
/// going the rule's way).
pub(crate) fn change(rule: &Rate, extreme: f64, last: f64) -> f64 {
    match rule.direction {
        Direction::Up => last - extreme,
        Direction::Down => extreme - last,
    }
}

impl State {
    fn slot(&mut self, sensor: u32) -> &mut Slot {
        let i = sensor as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, Slot::default());
        }
        &mut self.slots[i]
    }

    pub fn reading(&mut self, rule: &Rate, r: u32, sensor: u32, reading: f64, t: Millis, timers: &mut Timers) {
        let slot = self.slot(sensor);
        let t = slot.last.map_or(t, |(prev, _)| t.max(prev));
        let dominated = |v: f64| match rule.direction {
            Direction::Up => v >= reading,
            Direction::Down => v <= reading,
        };
        while slot.extremes.back().is_some_and(|&(_, v)| dominated(v)) {
            slot.extremes.pop_back();
        }
        slot.extremes.push_back((t, reading));
        slot.last = Some((t, reading));
        if let Some(&(front, _)) = slot.extremes.front() {
            timers.schedule(&mut slot.timer, front.saturating_add(rule.window_ms), r, u64::from(sensor));
        }
    }

    pub fn forget(&mut self, sensor: u32) {
        if let Some(slot) = self.slots.get_mut(sensor as usize) {
            *slot = Slot { timer: slot.timer, ..Slot::default() };
        }
    }

    /// A popped deadline: drops what left the window, queues the next front. True if the sensor
    /// needs evaluating.
    pub fn on_timer(
        &mut self,
        rule: &Rate,
        r: u32,
        sensor: u32,
        due: Millis,
        now: Millis,
        timers: &mut Timers,
    ) -> bool {
        let Some(slot) = self.slots.get_mut(sensor as usize) else { return false };
        if !slot.timer.take(due) {
            return false;
        }
        while slot.extremes.front().is_some_and(|&(t, _)| !in_window(t, rule.window_ms, now)) {
            slot.extremes.pop_front();
        }
        if let Some(&(front, _)) = slot.extremes.front() {
            timers.schedule(&mut slot.timer, front.saturating_add(rule.window_ms), r, u64::from(sensor));
        }
        true
    }

    /// The change over the window ending `now`, if the window holds a reading and the change
    /// reaches the rule's.
    pub fn holds(&mut self, rule: &Rate, sensor: u32, now: Millis) -> Option<f64> {
        let slot = self.slots.get_mut(sensor as usize)?;
        while slot.extremes.front().is_some_and(|&(t, _)| !in_window(t, rule.window_ms, now)) {
            slot.extremes.pop_front();
        }
        let (_, extreme) = *slot.extremes.front()?;
        let (_, last) = slot.last?;
        let c = change(rule, extreme, last);
        (c >= rule.change).then_some(c)
    }
}
