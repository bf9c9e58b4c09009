//! What the client tells the app: the link state and decoded data, in order ([`ClientEvent`]), and
//! counters the app can show at any time ([`ClientStats`]), including what was refused and why.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use twinhall_core::protocol::{Batch, Snapshot};

/// Where the link to the backend stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// First connection, nothing received yet.
    Connecting,
    /// The snapshot is loading.
    Syncing,
    /// Following the stream, in sequence.
    Live,
    /// The stream went silent: no data or heartbeat for this long. A resync follows.
    Stale { silent_ms: u64 },
    /// Reloading the snapshot, for this reason.
    Resyncing { reason: String },
    /// The backend refused the token (401).
    Unauthorized,
    /// The last attempt failed; the next one comes after `retry_in_ms`.
    Error { cause: String, retry_in_ms: u64 },
}

impl LinkState {
    pub fn is_live(&self) -> bool {
        *self == LinkState::Live
    }
}

/// What the worker sends, in this order for each (re)connection: state changes, a snapshot, then
/// batches each following the one before.
#[derive(Debug)]
pub enum ClientEvent {
    State(LinkState),
    Snapshot(Box<Snapshot>),
    Batch(Box<Batch>),
}

/// What the client refused or skipped, by cause: each is counted in [`ClientStats`] and logged
/// the first time it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A snapshot larger than `max_snapshot_bytes`.
    Snapshot,
    /// A stream line or event larger than `max_line_bytes` / `max_event_bytes`.
    Event,
    /// A camera still (or other fetched body) over `max_still_bytes` or `max_still_pixels`.
    Still,
    /// A stream line that is no SSE field (not UTF-8, or an unknown field name): skipped.
    OddLine,
    /// The app's queue was full and the worker waited for room (data is never dropped).
    QueueFull,
}

impl Refusal {
    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// Counters the worker keeps; read them any time.
#[derive(Debug, Default)]
pub struct ClientStats {
    pub snapshots: AtomicU64,
    pub batches: AtomicU64,
    pub malformed: AtomicU64,
    pub duplicates: AtomicU64,
    pub gaps: AtomicU64,
    pub resets: AtomicU64,
    pub resyncs: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub bytes: AtomicU64,
    /// Snapshots refused for their size.
    pub refused_snapshots: AtomicU64,
    /// Stream lines or events refused for their size (each ends the stream and reloads).
    pub refused_events: AtomicU64,
    /// Camera stills refused for their size in bytes or pixels.
    pub refused_stills: AtomicU64,
    /// Stream lines skipped as no SSE field.
    pub odd_lines: AtomicU64,
    /// Times the worker found the app's queue full and waited.
    pub queue_full: AtomicU64,
    /// Causes already logged (one bit per [`Refusal`]).
    logged: AtomicU32,
}

impl ClientStats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// Snapshots, events and stills refused for their size, together: one number for a status bar.
    pub fn refused(&self) -> u64 {
        Self::get(&self.refused_snapshots) + Self::get(&self.refused_events) + Self::get(&self.refused_stills)
    }

    fn counter(&self, cause: Refusal) -> &AtomicU64 {
        match cause {
            Refusal::Snapshot => &self.refused_snapshots,
            Refusal::Event => &self.refused_events,
            Refusal::Still => &self.refused_stills,
            Refusal::OddLine => &self.odd_lines,
            Refusal::QueueFull => &self.queue_full,
        }
    }

    /// Counts `n` of `cause`; the first time this cause is seen, logs `what` (a warning). Returns
    /// whether it logged.
    pub(crate) fn refuse(&self, cause: Refusal, n: u64, what: impl FnOnce() -> String) -> bool {
        if n == 0 {
            return false;
        }
        self.counter(cause).fetch_add(n, Ordering::Relaxed);
        let first = self.logged.fetch_or(cause.bit(), Ordering::Relaxed) & cause.bit() == 0;
        if first {
            tracing::warn!("feed: {} (logged once; counted in the client's statistics)", what());
        }
        first
    }
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_counted_every_time_and_logged_once() {
        let s = ClientStats::default();
        assert!(s.refuse(Refusal::Snapshot, 1, || "a".into()));
        assert!(!s.refuse(Refusal::Snapshot, 1, || "b".into()));
        assert!(s.refuse(Refusal::OddLine, 3, || "c".into()));
        assert!(!s.refuse(Refusal::OddLine, 0, || "nothing to count".into()));
        assert!(s.refuse(Refusal::Still, 1, || "d".into()));
        assert_eq!(ClientStats::get(&s.refused_snapshots), 2);
        assert_eq!(ClientStats::get(&s.odd_lines), 3);
        assert_eq!(s.refused(), 3, "odd lines are skipped, not refused");
    }
}
