//! The tail probabilities the key-grid score rests on, in logarithms so that a very surprising
//! count (p of 1e-40) is still a number.

use std::f64::consts::{LN_10, PI};

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms: about 15 significant digits).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// ln P(X ≥ k) for X negative binomial with `shape` r > 0 and `rate` b > 0: the count in one
/// window of a Poisson process whose rate per window has a Gamma(r, b) distribution (mean r/b).
/// As b grows with r/b fixed, this is the Poisson tail of mean r/b.
pub fn ln_gamma_poisson_tail(k: u64, shape: f64, rate: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let (r, q) = (shape, rate / (rate + 1.0));
    let (ln_q, ln_1q) = (q.ln(), (1.0 / (rate + 1.0)).ln());
    let ln_pmf = |i: f64| ln_gamma(i + r) - ln_gamma(r) - ln_gamma(i + 1.0) + r * ln_q + i * ln_1q;
    let mean = r / rate;
    let kf = k as f64;
    if kf > mean {
        // Sum the tail upwards from k: each term is the last times (i + r) / (i + 1) · (1 - q),
        // which falls below 1 past the mean, so the sum converges fast.
        let (mut term, mut sum, mut i) = (1.0f64, 1.0f64, kf);
        while term > 1e-17 * sum && i < kf + 100_000.0 {
            term *= (i + r) / (i + 1.0) / (rate + 1.0);
            sum += term;
            i += 1.0;
        }
        ln_pmf(kf) + sum.ln()
    } else {
        // At or below the mean the tail is large: one minus the head is exact enough.
        let head: f64 = (0..k).map(|i| ln_pmf(i as f64).exp()).sum();
        (1.0 - head).max(ln_pmf(kf).exp()).ln()
    }
}

/// ln P(X ≥ k) for X Poisson of mean `lambda` > 0.
pub fn ln_poisson_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let kf = k as f64;
    let ln_pmf = |i: f64| i * lambda.ln() - lambda - ln_gamma(i + 1.0);
    if kf > lambda {
        let (mut term, mut sum, mut i) = (1.0f64, 1.0f64, kf);
        while term > 1e-17 * sum && i < kf + 100_000.0 {
            term *= lambda / (i + 1.0);
            sum += term;
            i += 1.0;
        }
        ln_pmf(kf) + sum.ln()
    } else {
        let head: f64 = (0..k).map(|i| ln_pmf(i as f64).exp()).sum();
        (1.0 - head).max(ln_pmf(kf).exp()).ln()
    }
}

/// -log10 of a probability given as its natural logarithm.
pub fn minus_log10(ln_p: f64) -> f64 {
    (-ln_p / LN_10).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials_and_half_integers() {
        let mut f = 1.0f64;
        for n in 1..30u32 {
            f *= f64::from(n);
            assert!((ln_gamma(f64::from(n) + 1.0) - f.ln()).abs() < 1e-10, "{n}!");
        }
        assert!((ln_gamma(0.5) - PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(0.1) - 2.252_712_651_734_206).abs() < 1e-10);
    }

    #[test]
    fn poisson_tails_match_direct_sums() {
        // P(X >= 7 | 1.2), P(X >= 3 | 0.35), P(X >= 1 | 2): from the pmf summed by hand.
        let direct = |k: u64, l: f64| {
            let mut p = (-l).exp();
            let mut head = 0.0;
            for i in 0..k {
                head += p;
                p *= l / (i + 1) as f64;
            }
            1.0 - head
        };
        for (k, l) in [(7, 1.2), (3, 0.35), (1, 2.0), (2, 5.0), (12, 10.0)] {
            let ours = ln_poisson_tail(k, l).exp();
            assert!((ours - direct(k, l)).abs() < 1e-12 + 1e-9 * ours, "{k} {l}: {ours} vs {}", direct(k, l));
        }
        // Far in the tail, where 1 - head is all rounding: P(X >= 40 | 1) ~ e^-1 / 40!.
        let ln = ln_poisson_tail(40, 1.0);
        assert!((ln - (-1.0 - ln_gamma(41.0))).abs() < 0.03, "{ln}");
        assert_eq!(ln_poisson_tail(0, 3.0), 0.0);
    }

    #[test]
    fn the_gamma_poisson_tail_is_wider_than_poisson_and_tends_to_it() {
        for (k, mean) in [(5u64, 0.6), (12, 3.0), (2, 0.05)] {
            let poisson = ln_poisson_tail(k, mean);
            // A rate known from 30 windows is less sure than a rate known exactly.
            let uncertain = ln_gamma_poisson_tail(k, 30.0 * mean, 30.0);
            assert!(uncertain > poisson, "{k} {mean}: {uncertain} vs {poisson}");
            let sure = ln_gamma_poisson_tail(k, 1e7 * mean, 1e7);
            assert!((sure - poisson).abs() < 1e-4 * poisson.abs().max(1.0), "{k} {mean}: {sure} vs {poisson}");
        }
        // The whole distribution sums to one: P(X >= 0) = 1 and P(X >= 1) = 1 - q^r.
        let (r, b) = (0.4, 3.0);
        let p1 = ln_gamma_poisson_tail(1, r, b).exp();
        assert!((p1 - (1.0 - (b / (b + 1.0)).powf(r))).abs() < 1e-12);
        assert_eq!(minus_log10((1e-5f64).ln()).round(), 5.0);
    }
}
