//! What recomputing the governance index (every area's six aspects, once a simulated minute)
//! costs, against one simulation tick of a second measured in the same run, at the default size
//! and at a large one.
//!
//! `cargo run -p twinhall-core --release --example index_cost`

use std::time::Instant;

use twinhall_core::LonLat;
use twinhall_core::generate::generate_city;
use twinhall_core::sim::{SimConfig, Simulation};

fn measure(name: &str, buildings: usize, config: SimConfig) {
    let city = generate_city(buildings, 5, LonLat::new(114.06, 22.54));
    let built = Instant::now();
    let mut sim = Simulation::new(&city, config);
    let build_s = built.elapsed().as_secs_f64();
    // Warm up, then ticks of a second (59 a minute: the 60th would recompute).
    for _ in 0..30 {
        sim.step(1000);
        let _ = sim.take_batch();
    }
    let (mut tick_s, mut ticks) = (0.0, 0);
    let (mut index_s, mut indexes) = (0.0, 0);
    for _ in 0..5 {
        for _ in 0..50 {
            let t = Instant::now();
            sim.step(1000);
            let _ = sim.take_batch();
            tick_s += t.elapsed().as_secs_f64();
            ticks += 1;
        }
        for _ in 0..4 {
            let t = Instant::now();
            sim.recompute_index();
            let _ = sim.take_batch();
            index_s += t.elapsed().as_secs_f64();
            indexes += 1;
        }
    }
    let snap = sim.snapshot();
    let window = sim.history(sim.now_ms() - twinhall_core::sim::INDEX_WINDOW_MS, usize::MAX).incidents.len();
    let (tick, index) = (tick_s / f64::from(ticks), index_s / f64::from(indexes));
    println!(
        "{name}: {} areas, {} units, {window} incidents in the 24 h window, {} index samples; \
         built in {build_s:.2} s (past scored with it); one tick {:.3} ms, one recompute {:.3} ms = {:.2} ticks \
         ({:.3} % of a minute's 60 ticks)",
        snap.entities.areas.len(),
        snap.entities.units.len(),
        sim.index_history(0, usize::MAX).samples.len(),
        tick * 1e3,
        index * 1e3,
        index / tick,
        100.0 * index / (60.0 * tick),
    );
}

fn main() {
    measure("default (900 buildings, 60 units, 2 incidents/min, 28 days)", 900, SimConfig::default());
    measure(
        "large (20,000 buildings, 2,000 units, 20,000 cameras, 60 incidents/min)",
        20_000,
        SimConfig { units: 2_000, cameras: 20_000, sensors: 2_000, incidents_per_minute: 60.0, ..SimConfig::default() },
    );
}
