//! The cost of scoring key grids: 10,000 grids × 9 categories from 200,000 incidents over 29
//! days (log-normal grid rates, two grids running hot), and of building the log from a history
//! page; and of making up the simulation's past at start:
//! `cargo run -p twinhall-core --release --example risk`. Prints the median and worst of 20
//! scorings; the target is well under 100 ms a scoring.

use std::time::Instant;

use twinhall_core::LonLat;
use twinhall_core::generate::SplitMix64;
use twinhall_core::protocol::{HistoryIncident, IncidentCategory, IncidentHistory};
use twinhall_core::risk::{IncidentLog, RiskConfig, score_grids};
use twinhall_core::sim::{SimConfig, Simulation};

const GRIDS: usize = 10_000;
const INCIDENTS: usize = 200_000;
const DAY_MS: i64 = 86_400_000;
const NOW: i64 = 1_764_300_000_000;

fn main() -> Result<(), String> {
    let mut rng = SplitMix64::new(42);
    let grid_ids: Vec<String> = (0..GRIDS).map(|g| format!("A4-{g}")).collect();
    // Grid weights exp(0.8 z), cumulative, to draw grids from.
    let mut cumulative = Vec::with_capacity(GRIDS);
    let mut sum = 0.0;
    for _ in 0..GRIDS {
        let (u, v) = (1.0 - rng.unit(), rng.unit());
        sum += (0.8 * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()).exp();
        cumulative.push(sum);
    }
    let since = NOW - 29 * DAY_MS;
    let mut incidents: Vec<HistoryIncident> = (0..INCIDENTS)
        .map(|n| {
            let u = rng.unit() * sum;
            let g = cumulative.partition_point(|w| *w <= u).min(GRIDS - 1);
            let hot = n % 50 == 0;
            HistoryIncident {
                id: format!("H-{n:07}"),
                category: IncidentCategory::ALL[(rng.next_u64() % 8) as usize],
                severity: 2,
                lon: 114.0,
                lat: 22.5,
                // One incident in fifty goes to one of two hot grids in the last six hours.
                grid_id: if hot { grid_ids[(n / 50) % 2].clone() } else { grid_ids[g].clone() },
                district: String::new(),
                reported_at: if hot {
                    NOW - (rng.unit() * 6.0 * 3_600_000.0) as i64
                } else {
                    since + (rng.unit() * (NOW - since) as f64) as i64
                },
                closed_at: None,
            }
        })
        .collect();
    incidents.sort_by_key(|i| i.reported_at);
    let history = IncidentHistory { since, until: NOW, incidents, truncated: false };

    let started = Instant::now();
    let mut log = IncidentLog::new();
    log.add_history(&history);
    let build_ms = started.elapsed().as_secs_f64() * 1e3;

    let config = RiskConfig::default();
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..20 {
        let started = Instant::now();
        report = Some(score_grids(&log, &grid_ids, &config, NOW));
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let report = report.ok_or("no run")?;
    println!(
        "{GRIDS} grids x {} categories, {} incidents over 29 days: log built in {build_ms:.1} ms; \
         scoring median {:.2} ms, worst {:.2} ms of 20",
        IncidentCategory::ALL.len(),
        log.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
    println!(
        "{} cells with an incident in the window, {} flagged (threshold p {:.1e}); top: {}",
        report.scores.len(),
        report.flagged().count(),
        report.threshold_p,
        report
            .by_grid()
            .iter()
            .take(3)
            .map(|s| format!("{} {}", s.grid_id, s.reason_en))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let city = twinhall_core::generate::generate_city(900, 5, LonLat::new(114.06, 22.54));
    for (rate, days) in [(2.0, 0), (2.0, 28), (10.0, 28)] {
        let started = Instant::now();
        let sim = Simulation::new(
            &city,
            SimConfig { incidents_per_minute: rate, history_days: days, ..SimConfig::default() },
        );
        println!(
            "Simulation::new at {rate} a minute with {days} days of past: {} incidents made up, {:.0} ms",
            sim.history_len(),
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    if times[times.len() / 2] >= 100.0 {
        return Err("scoring took 100 ms or more".into());
    }
    Ok(())
}
