//! Deadlines: a min-heap of (due, rule, subject), so that time passing (a sensor falling silent, a
//! minimum duration running out, an incident leaving a window) costs only the deadlines that come
//! due, never a scan of every subject.
//!
//! A subject holds at most one live entry: [`Timer`] remembers the earliest one queued, a later
//! deadline is not pushed (the earlier entry, when it comes due, finds the subject's real deadline
//! and queues that instead), and an entry that no longer matches is skipped when popped.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::protocol::Millis;

/// What a subject knows of its queued deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timer {
    queued: Millis,
}

impl Default for Timer {
    fn default() -> Self {
        Self { queued: Millis::MAX }
    }
}

impl Timer {
    /// Called with a popped entry's due time: true if the entry is this subject's live one (it is
    /// then no longer queued), false if it is an outdated entry to skip.
    pub fn take(&mut self, due: Millis) -> bool {
        if self.queued != due {
            return false;
        }
        self.queued = Millis::MAX;
        true
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Millis, u32, u64)>>,
}

impl Timers {
    /// Makes sure the subject is looked at no later than `due`.
    pub fn schedule(&mut self, timer: &mut Timer, due: Millis, rule: u32, subject: u64) {
        if due < timer.queued {
            timer.queued = due;
            self.heap.push(Reverse((due, rule, subject)));
        }
    }

    /// The next entry due at or before `now`.
    pub fn pop_due(&mut self, now: Millis) -> Option<(Millis, u32, u64)> {
        match self.heap.peek() {
            Some(Reverse((due, ..))) if *due <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }
}
