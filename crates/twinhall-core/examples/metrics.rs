//! The cost of the live metrics and the efficiency table (`Metrics::compute`, which builds both,
//! and `efficiency` alone) on a simulated city's store, against two baselines measured in the
//! same run: one pass over the store's incidents (counting them by status and category) and
//! cloning the whole store. The app recomputes when the store changed, at most once a second,
//! so the figure to read is the compute time as a share of that second.
//! `cargo run -p twinhall-core --release --example metrics`

use std::hint::black_box;
use std::time::{Duration, Instant};

use twinhall_core::LonLat;
use twinhall_core::metrics::{EfficiencyLimits, Metrics, efficiency};
use twinhall_core::protocol::IncidentStatus;
use twinhall_core::sim::{SimConfig, Simulation};
use twinhall_core::store::FeedStore;

/// Median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn measure(name: &str, cfg: SimConfig, minutes: u32, runs: usize) {
    let city = twinhall_core::generate::generate_city(900, 5, LonLat::new(114.06, 22.54));
    let mut sim = Simulation::new(&city, cfg);
    let mut store = FeedStore::default();
    store.apply_snapshot(sim.snapshot());
    for _ in 0..minutes * 60 {
        sim.step(1000);
        if let Some(b) = sim.take_batch()
            && let Err(e) = store.apply_batch(b)
        {
            eprintln!("{name}: a batch was refused: {e}");
        }
    }
    let now = sim.now_ms();
    let limits = EfficiencyLimits::default();
    let compute = median(runs, || {
        black_box(Metrics::compute(black_box(&store), now, &limits));
    });
    let table = median(runs, || {
        black_box(efficiency(black_box(&store), now, &limits));
    });
    let pass = median(runs, || {
        let mut by = [[0u32; 9]; 7];
        for (_, i) in black_box(&store).incidents.iter() {
            let s = IncidentStatus::ALL.iter().position(|s| *s == i.status).unwrap_or(0);
            by[s][i.category as usize] += 1;
        }
        black_box(by);
    });
    let clone = median(runs, || {
        black_box(black_box(&store).clone());
    });
    let m = Metrics::compute(&store, now, &limits);
    println!(
        "{name}: {} incidents ({} open), {} units, {} cameras, {} sensors, {} areas",
        store.incidents.len(),
        m.scalar("open_incidents").unwrap_or(0.0),
        store.units.len(),
        store.cameras.len(),
        store.sensors.len(),
        store.areas.len()
    );
    println!(
        "  Metrics::compute (with the efficiency table) {:.3} ms, efficiency alone {:.3} ms; \
         one pass over the incidents {:.3} ms ({:.0}x), cloning the store {:.3} ms ({:.2}x); \
         at once a second: {:.3}% of a core",
        ms(compute),
        ms(table),
        ms(pass),
        ms(compute) / ms(pass).max(1e-9),
        ms(clone),
        ms(compute) / ms(clone).max(1e-9),
        ms(compute) / 10.0,
    );
}

fn main() {
    // The embedded feed's load (SimConfig's defaults) after ten simulated minutes.
    measure("default", SimConfig { history_days: 1, incidents: 30, ..SimConfig::default() }, 10, 51);
    // A big city: 5,000 incidents open at the start, 10,000 units, 20,000 cameras.
    let big = SimConfig {
        history_days: 1,
        incidents: 5000,
        units: 10_000,
        cameras: 20_000,
        sensors: 2000,
        ..SimConfig::default()
    };
    measure("big", big, 1, 21);
}
