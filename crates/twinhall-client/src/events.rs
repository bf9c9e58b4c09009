//! The stream's sequencing rules (docs/feed-protocol.md, "What a client must do") as a pure
//! function: given where the client stands and one SSE event, what to do with it. No sockets, no
//! clock, no channel: the worker does the I/O and this decides, so every rule is unit-tested here.

use twinhall_core::protocol::{Batch, Heartbeat, Reset};

use crate::crs;
use crate::sse::SseEvent;

/// Where the client stands in the backend's sequence, and whether the stream has shown life.
#[derive(Clone, Debug)]
pub struct Sequencer {
    /// The last sequence number handed on (the snapshot's, at first).
    pub last: u64,
    /// The backend run the position belongs to.
    pub epoch: u64,
    /// The snapshot's CRS; batch positions are converted from it.
    pub crs: String,
    live: bool,
}

/// What to do with one event.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Hand this batch on: it follows the last one. `went_live` on the first sign of life.
    Deliver { batch: Box<Batch>, went_live: bool },
    /// A heartbeat in step with the client. `went_live` on the first sign of life.
    Alive { went_live: bool },
    /// A batch already handed on: skip it.
    Duplicate,
    /// Skip it and count it as malformed, for this reason (logged, rate-limited).
    Malformed(String),
    /// Drop the stream and reload the snapshot.
    Resync(Resync),
}

/// Why the stream cannot go on, and what kind of cause it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resync {
    pub reason: String,
    pub cause: ResyncCause,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResyncCause {
    /// A batch skipped sequence numbers: events were lost.
    Gap,
    /// The backend said `reset`: it cannot continue from here.
    Reset,
    /// A heartbeat from another epoch or behind the last batch: the backend restarted.
    Restarted,
    /// A batch's positions could not be converted from the snapshot's CRS.
    BadCrs,
}

impl Sequencer {
    /// Standing at `last` (a snapshot's sequence number) of backend run `epoch`, in `crs`.
    pub fn new(last: u64, epoch: u64, crs: impl Into<String>) -> Self {
        Self { last, epoch, crs: crs.into(), live: false }
    }

    /// Whether a batch or in-step heartbeat has arrived on this stream.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// A new stream from the same position (a resume after a dropped connection): not live until
    /// it shows life.
    pub fn new_stream(&mut self) {
        self.live = false;
    }

    fn went_live(&mut self) -> bool {
        !std::mem::replace(&mut self.live, true)
    }

    /// Decides what `ev` means. A delivered batch advances `last` and has its positions converted
    /// to WGS 84.
    pub fn step(&mut self, ev: &SseEvent) -> Step {
        match ev.event.as_str() {
            "batch" => self.batch(ev),
            "heartbeat" => match serde_json::from_str::<Heartbeat>(&ev.data) {
                Ok(hb) if hb.epoch != self.epoch => Step::Resync(Resync {
                    reason: format!("the backend restarted (epoch {} → {})", self.epoch, hb.epoch),
                    cause: ResyncCause::Restarted,
                }),
                Ok(hb) if hb.seq < self.last => Step::Resync(Resync {
                    reason: format!("the backend's sequence went back ({} → {})", self.last, hb.seq),
                    cause: ResyncCause::Restarted,
                }),
                Ok(_) => Step::Alive { went_live: self.went_live() },
                Err(e) => Step::Malformed(format!("heartbeat skipped: {e}")),
            },
            "reset" => {
                let reason = match serde_json::from_str::<Reset>(&ev.data) {
                    Ok(r) => format!("reset: seq {} is older than the history kept (from {})", self.last, r.oldest_seq),
                    Err(_) => "reset".to_owned(),
                };
                Step::Resync(Resync { reason, cause: ResyncCause::Reset })
            }
            other => Step::Malformed(format!("unknown event `{}` skipped", other.chars().take(40).collect::<String>())),
        }
    }

    fn batch(&mut self, ev: &SseEvent) -> Step {
        let mut b: Batch = match serde_json::from_str(&ev.data) {
            Ok(b) => b,
            Err(e) => return Step::Malformed(format!("batch after seq {} skipped: {e}", self.last)),
        };
        if ev.id.as_deref().is_some_and(|id| id != b.seq.to_string()) {
            let id: String = ev.id.as_deref().unwrap_or_default().chars().take(40).collect();
            return Step::Malformed(format!("batch id {id:?} differs from its seq {}: skipped", b.seq));
        }
        if b.seq <= self.last {
            return Step::Duplicate;
        }
        if b.seq != self.last + 1 {
            return Step::Resync(Resync {
                reason: format!("sequence gap: expected {}, got {}", self.last + 1, b.seq),
                cause: ResyncCause::Gap,
            });
        }
        if let Err(reason) = crs::normalize_entities(&mut b.upserts, &self.crs) {
            return Step::Resync(Resync { reason, cause: ResyncCause::BadCrs });
        }
        self.last = b.seq;
        Step::Deliver { batch: Box::new(b), went_live: self.went_live() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, id: Option<&str>, data: &str) -> SseEvent {
        SseEvent { event: event.into(), data: data.into(), id: id.map(str::to_owned) }
    }

    fn batch(seq: u64) -> SseEvent {
        ev("batch", Some(&seq.to_string()), &format!(r#"{{"seq":{seq},"upserts":{{}},"removals":[]}}"#))
    }

    fn heartbeat(seq: u64, epoch: u64) -> SseEvent {
        ev("heartbeat", None, &format!(r#"{{"seq":{seq},"time":0,"epoch":{epoch}}}"#))
    }

    fn delivered(step: Step) -> (u64, bool) {
        match step {
            Step::Deliver { batch, went_live } => (batch.seq, went_live),
            other => panic!("expected a delivery, got {other:?}"),
        }
    }

    #[test]
    fn batches_in_order_are_delivered_and_the_first_sign_of_life_goes_live_once() {
        let mut s = Sequencer::new(5, 9, "EPSG:4326");
        assert!(!s.is_live());
        assert_eq!(delivered(s.step(&batch(6))), (6, true));
        assert_eq!(delivered(s.step(&batch(7))), (7, false));
        assert_eq!(s.step(&heartbeat(7, 9)), Step::Alive { went_live: false });
        assert_eq!(s.last, 7);

        let mut s = Sequencer::new(5, 9, "EPSG:4326");
        assert_eq!(s.step(&heartbeat(5, 9)), Step::Alive { went_live: true });
        assert_eq!(delivered(s.step(&batch(6))), (6, false));

        // A resumed stream goes live again on its own first sign of life, from where it was.
        s.new_stream();
        assert!(!s.is_live());
        assert_eq!(s.step(&batch(6)), Step::Duplicate);
        assert_eq!(delivered(s.step(&batch(7))), (7, true));
    }

    #[test]
    fn duplicates_are_skipped_and_a_gap_resyncs() {
        let mut s = Sequencer::new(5, 9, "");
        assert_eq!(s.step(&batch(5)), Step::Duplicate);
        assert_eq!(s.step(&batch(2)), Step::Duplicate);
        match s.step(&batch(8)) {
            Step::Resync(r) => {
                assert_eq!(r.cause, ResyncCause::Gap);
                assert!(r.reason.contains("expected 6, got 8"), "{}", r.reason);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.last, 5, "nothing delivered");
    }

    #[test]
    fn a_heartbeat_from_another_run_or_behind_the_last_batch_means_a_restart() {
        let mut s = Sequencer::new(5, 9, "");
        let Step::Resync(r) = s.step(&heartbeat(5, 10)) else { panic!("another epoch") };
        assert_eq!(r.cause, ResyncCause::Restarted);
        assert!(r.reason.contains("epoch 9 → 10"), "{}", r.reason);
        let Step::Resync(r) = s.step(&heartbeat(4, 9)) else { panic!("sequence went back") };
        assert_eq!(r.cause, ResyncCause::Restarted);
    }

    #[test]
    fn reset_resyncs_and_names_the_history_kept() {
        let mut s = Sequencer::new(5, 9, "");
        let Step::Resync(r) = s.step(&ev("reset", None, r#"{"oldest_seq":100,"seq":200}"#)) else { panic!() };
        assert_eq!(r.cause, ResyncCause::Reset);
        assert!(r.reason.contains("seq 5") && r.reason.contains("from 100"), "{}", r.reason);
        let Step::Resync(r) = s.step(&ev("reset", None, "garbage")) else { panic!() };
        assert_eq!((r.reason.as_str(), r.cause), ("reset", ResyncCause::Reset));
    }

    #[test]
    fn malformed_events_are_skipped_without_moving_the_position() {
        let mut s = Sequencer::new(5, 9, "");
        for bad in [
            ev("batch", Some("6"), "{not json"),
            ev("batch", Some("7"), r#"{"seq":6,"upserts":{},"removals":[]}"#),
            ev("heartbeat", None, "[1,2"),
            ev("surprise", None, "42"),
        ] {
            assert!(matches!(s.step(&bad), Step::Malformed(_)), "{bad:?}");
        }
        assert_eq!((s.last, s.is_live()), (5, false));
        // An event name from a hostile server is cut before it reaches a log.
        let Step::Malformed(why) = s.step(&ev(&"x".repeat(10_000), None, "")) else { panic!() };
        assert!(why.len() < 100, "{why}");
    }

    #[test]
    fn batch_positions_are_converted_from_the_snapshot_crs_and_an_unknown_crs_resyncs() {
        let unit = r#"{"id":"U-1","version":2,"updated_at":1,"kind":"police_car","name":"n","lon":114.06,"lat":22.54,"heading_deg":0,"speed_mps":0,"status":"patrolling"}"#;
        let data = format!(r#"{{"seq":6,"upserts":{{"units":[{unit}]}},"removals":[]}}"#);
        let mut s = Sequencer::new(5, 9, "GCJ-02");
        let Step::Deliver { batch, .. } = s.step(&ev("batch", Some("6"), &data)) else { panic!() };
        let u = &batch.upserts.units[0];
        assert!((u.lon - 114.06).abs() > 1e-4, "GCJ-02 shifted back to WGS 84: {}", u.lon);
        let mut s = Sequencer::new(5, 9, "EPSG:3857");
        let Step::Resync(r) = s.step(&ev("batch", Some("6"), &data)) else { panic!() };
        assert_eq!(r.cause, ResyncCause::BadCrs);
        assert_eq!(s.last, 5);
    }
}
