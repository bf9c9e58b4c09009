//! Reconnect delays: exponential with full jitter (a uniform delay between zero and the current
//! ceiling, which doubles per failure up to a cap), back to the start after a stable period; and
//! the pace of snapshot reloads, so a backend that answers `reset` every time is not hammered.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// A connection that stayed up this long resets the ceiling.
    pub stable_after: Duration,
    attempt: u32,
    rng: u64,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration, stable_after: Duration, seed: u64) -> Self {
        Self { base, cap, stable_after, attempt: 0, rng: seed | 1 }
    }

    /// The ceiling of the next delay.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(30)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The next delay, and one more failure counted.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        // xorshift64*: jitter needs no cryptographic quality.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        let unit = r as f64 / (1u64 << 53) as f64;
        ceiling.mul_f64(unit)
    }

    /// A connection ended after being up for `up`: a stable one forgets past failures.
    pub fn connection_ended(&mut self, up: Duration) {
        if up >= self.stable_after {
            self.attempt = 0;
        }
    }

    pub fn failures(&self) -> u32 {
        self.attempt
    }
}

/// Decides whether a snapshot reload may start at once. A reload is normal now and then (the
/// client fell behind, the backend restarted) and should be quick; reloads in a row are a backend
/// or proxy that cannot serve the stream, and back off like failed connections do. Only the
/// first reload within `window` (the backoff's stable period) is immediate.
#[derive(Debug, Clone)]
pub struct ReloadPacer {
    window: Duration,
    last_immediate: Option<Instant>,
}

impl ReloadPacer {
    pub fn new(window: Duration) -> Self {
        Self { window, last_immediate: None }
    }

    /// A reload is due at `now`: true when it may start at once, false when it should wait for
    /// the backoff's next delay.
    pub fn immediate(&mut self, now: Instant) -> bool {
        if self.last_immediate.is_some_and(|t| now.saturating_duration_since(t) < self.window) {
            return false;
        }
        self.last_immediate = Some(now);
        true
    }
}

/// A seed for jitter, different per process and start.
pub(crate) fn seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
        ^ u64::from(std::process::id()) << 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_reload_in_a_window_is_immediate() {
        let t0 = Instant::now();
        let mut p = ReloadPacer::new(Duration::from_secs(60));
        assert!(p.immediate(t0));
        assert!(!p.immediate(t0 + Duration::from_millis(1)));
        assert!(!p.immediate(t0 + Duration::from_secs(59)));
        assert!(p.immediate(t0 + Duration::from_secs(60)), "a reload a minute later is quick again");
        assert!(!p.immediate(t0 + Duration::from_secs(61)));
    }

    #[test]
    fn delays_grow_to_the_cap_with_full_jitter_and_reset_after_a_stable_minute() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(30), Duration::from_secs(60), 7);
        let ceilings: Vec<u64> = (0..10)
            .map(|_| {
                let c = b.ceiling();
                let d = b.next_delay();
                assert!(d <= c, "{d:?} within {c:?}");
                c.as_millis() as u64
            })
            .collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
        // Full jitter: delays spread over the whole range, not clustered at the ceiling.
        let delays: Vec<f64> = (0..2000).map(|_| b.next_delay().as_secs_f64() / 30.0).collect();
        let mean = delays.iter().sum::<f64>() / delays.len() as f64;
        assert!((0.45..0.55).contains(&mean), "mean {mean}");
        assert!(delays.iter().any(|&d| d < 0.05) && delays.iter().any(|&d| d > 0.95));
        b.connection_ended(Duration::from_secs(59));
        assert_eq!(b.ceiling(), Duration::from_secs(30), "59 s is not a stable minute");
        b.connection_ended(Duration::from_secs(60));
        assert_eq!(b.ceiling(), Duration::from_millis(500));
    }
}
