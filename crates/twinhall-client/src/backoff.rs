//! Reconnect delays: exponential with full jitter (a uniform delay between zero and the current
//! ceiling, which doubles per failure up to a cap), back to the start after a stable period.

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
