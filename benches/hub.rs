//! `cargo bench --bench hub`: the action hub's per-incident work, on the embedded Helsinki demo
//! city and on a generated city of 1,000,000 road-graph nodes, 2,000 units at random positions.
//!
//! For each city: the graph, how long building the ranker takes, the ranking of every unit by
//! road time per incident (p50/p99) with the contraction-hierarchy sweep (`hub::rank::Ranker`),
//! with the same units for every incident and with units moved before every incident; method
//! (a), one reverse Dijkstra that stops once every unit is settled; the plain Dijkstra per unit
//! (the baseline, measured in the same run on a sample of the units and scaled); whether the
//! results are equal. Then the surroundings query on the demo city. `HUB_BENCH_ONEWAY=1` adds a
//! million-node grid with a fifth of its streets one-way. GPU-free: only twinhall-core.

use std::time::Instant;

use twinhall_core::LonLat;
use twinhall_core::generate::{SplitMix64, generate_city};
use twinhall_core::hub::rank::{Ranker, dijkstra_per_source_hops, reverse_dijkstra_until_settled};
use twinhall_core::model::{CityModel, Road, RoadClass};
use twinhall_core::routing::RoadGraph;

const UNITS: usize = 2000;
const INCIDENTS: usize = 100;
const MOVED_INCIDENTS: usize = 20;
const TARGET_P99_MS: f64 = 10.0;

/// CPU time this thread has run, milliseconds (Linux; 0 elsewhere).
fn cpu_ms() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace().next().and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0) / 1e6
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The `q` quantile (nearest rank) of some samples.
fn quantile(samples: &[f64], q: f64) -> f64 {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn verdict(p99: f64) -> String {
    if p99 <= TARGET_P99_MS {
        format!("met ({:.1}x under)", TARGET_P99_MS / p99)
    } else {
        format!("MISSED ({:.1}x over)", p99 / TARGET_P99_MS)
    }
}

/// A `side` x `side` street grid, 100 m apart, a fifth of the streets one-way (alternating).
fn grid_city(side: usize) -> CityModel {
    let mut city = CityModel::empty("generated grid", LonLat::new(114.0579, 22.5431));
    let half = side as f64 * 50.0;
    let mut rng = SplitMix64::new(7);
    let mut id = 0;
    for i in 0..side {
        let c = i as f64 * 100.0 - half;
        let class = if i % 10 == 0 { RoadClass::Primary } else { RoadClass::Residential };
        for horizontal in [true, false] {
            let mut points: Vec<[f64; 2]> =
                (0..side).map(|j| j as f64 * 100.0 - half).map(|d| if horizontal { [d, c] } else { [c, d] }).collect();
            let oneway = rng.unit() < 0.2;
            if oneway && i % 2 == 1 {
                points.reverse();
            }
            id += 1;
            city.roads.push(Road { id, class, points, name: None, oneway, tunnel: false });
        }
    }
    city
}

struct Case<'a> {
    label: &'a str,
    graph: &'a RoadGraph,
    /// Incidents for method (a); incidents and sampled units for the plain reference.
    reverse_incidents: usize,
    plain_incidents: usize,
    plain_sample: usize,
    seed: u64,
}

fn run(case: &Case) {
    let graph = case.graph;
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for v in 0..graph.node_count() as u32 {
        let p = graph.node(v);
        lo = [lo[0].min(p[0]), lo[1].min(p[1])];
        hi = [hi[0].max(p[0]), hi[1].max(p[1])];
    }
    let mut rng = SplitMix64::new(case.seed);
    let mut point = move || [rng.range(lo[0], hi[0]), rng.range(lo[1], hi[1])];
    let label = case.label;
    let nodes = graph.node_count();

    let t0 = Instant::now();
    let ranker = Ranker::new(graph);
    let build_s = t0.elapsed().as_secs_f64();
    println!(
        "{label}: {nodes} nodes, {} arcs; preprocessing (contraction hierarchy) {build_s:.1} s, {} upward arcs, \
         time unit {:.1} µs",
        graph.edge_count(),
        ranker.arc_count(),
        ranker.resolution_s() * 1e6
    );

    // The same units for every incident (the first call for them is timed on its own).
    let units: Vec<[f64; 2]> = (0..UNITS).map(|_| point()).collect();
    let t0 = Instant::now();
    let first = ranker.times_to(point(), &units);
    let first_ms = t0.elapsed().as_secs_f64() * 1e3;
    let reachable = first.iter().filter(|t| t.is_some()).count();
    let mut ms = Vec::with_capacity(INCIDENTS);
    let cpu0 = cpu_ms();
    for _ in 0..INCIDENTS {
        let target = point();
        let t0 = Instant::now();
        std::hint::black_box(ranker.times_to(target, &units));
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let cpu_mean = (cpu_ms() - cpu0) / INCIDENTS as f64;
    let (p50, p99) = (quantile(&ms, 0.5), quantile(&ms, 0.99));

    // Units at new positions before every incident.
    let mut moved = Vec::with_capacity(MOVED_INCIDENTS);
    for _ in 0..MOVED_INCIDENTS {
        let fresh: Vec<[f64; 2]> = (0..UNITS).map(|_| point()).collect();
        let target = point();
        let t0 = Instant::now();
        std::hint::black_box(ranker.times_to(target, &fresh));
        moved.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let (m50, m99) = (quantile(&moved, 0.5), quantile(&moved, 0.99));

    // Method (a), checked against the ranking.
    let mut reverse = Vec::with_capacity(case.reverse_incidents);
    let mut worst_a = 0.0f64;
    for _ in 0..case.reverse_incidents {
        let target = point();
        let t0 = Instant::now();
        let a = reverse_dijkstra_until_settled(graph, target, &units);
        reverse.push(t0.elapsed().as_secs_f64() * 1e3);
        for (x, y) in a.iter().zip(ranker.times_to(target, &units)) {
            match (x, y) {
                (Some(x), Some(y)) => worst_a = worst_a.max(f64::from((x - y).abs())),
                (None, None) => {}
                _ => worst_a = f64::INFINITY,
            }
        }
    }

    // The plain reference on a sample of the units, and the equality check.
    let sample = &units[..case.plain_sample];
    let (mut plain_ms, mut checked, mut equal, mut worst) = (0.0, 0usize, true, 0.0f64);
    for _ in 0..case.plain_incidents {
        let target = point();
        let t0 = Instant::now();
        let plain = dijkstra_per_source_hops(graph, target, sample);
        plain_ms += t0.elapsed().as_secs_f64() * 1e3;
        let ranked = ranker.times_to(target, &units);
        for (r, p) in ranked.iter().zip(&plain) {
            match (r, p) {
                (Some(r), Some((p, hops))) => {
                    let diff = f64::from((r - p).abs());
                    // Half a time unit per edge of either route (allowing the ranked one twice
                    // the edges), plus the f32 rounding of both.
                    let tol =
                        ranker.resolution_s() * f64::from((*hops).max(1)) + 4.0 * f64::from(p.abs() * f32::EPSILON);
                    equal &= diff <= tol;
                    worst = worst.max(diff);
                }
                (None, None) => {}
                _ => equal = false,
            }
            checked += 1;
        }
    }
    let per_unit_ms = plain_ms / (case.plain_incidents * case.plain_sample) as f64;
    let plain_incident_ms = per_unit_ms * UNITS as f64;

    println!(
        "{label} {nodes} nodes, {UNITS} units: ranking p50 {p50:.2} ms, p99 {p99:.2} ms; target <= {TARGET_P99_MS} ms p99: \
         {}; plain Dijkstra per unit: {plain_incident_ms:.0} ms per incident (ratio {:.0} x)",
        verdict(p99),
        plain_incident_ms / p50
    );
    println!(
        "  ranking: {INCIDENTS} incidents, the same {UNITS} units ({reachable} reachable); mean CPU {cpu_mean:.2} ms \
         per incident; the first call for these units {first_ms:.2} ms"
    );
    println!(
        "  units moved before every incident ({MOVED_INCIDENTS} incidents): p50 {m50:.2} ms, p99 {m99:.2} ms; \
         target <= {TARGET_P99_MS} ms p99: {}",
        verdict(m99)
    );
    println!(
        "  (a) reverse Dijkstra until every unit is settled ({} incidents): p50 {:.1} ms, p99 {:.1} ms ({:.0} x the \
         ranking's p50); max |diff| to the ranking {worst_a:.4} s",
        case.reverse_incidents,
        quantile(&reverse, 0.5),
        quantile(&reverse, 0.99),
        quantile(&reverse, 0.5) / p50
    );
    println!(
        "  plain Dijkstra per unit: {per_unit_ms:.2} ms per unit, timed on {} of the {UNITS} units x {} incidents and \
         scaled to {UNITS} units",
        case.plain_sample, case.plain_incidents
    );
    println!(
        "  equal to Dijkstra: {} ({checked} checked, max |diff| {worst:.5} s; tolerance: half a time unit of {:.1} µs \
         per edge of the route)",
        if equal { "yes" } else { "NO" },
        ranker.resolution_s() * 1e6
    );
}

/// The surroundings query on the demo city with the simulator's feed.
fn surroundings(city: &CityModel, graph: &RoadGraph) {
    let sim = twinhall_core::sim::Simulation::new(city, twinhall_core::sim::SimConfig::default());
    let mut store = twinhall_core::store::FeedStore::default();
    store.apply_snapshot(sim.snapshot());
    let buildings = twinhall_core::hub::sight::BuildingIndex::new(&city.buildings);
    let ranker = Ranker::new(graph);
    let mut rng = SplitMix64::new(5);
    let mut around = Vec::new();
    for _ in 0..200 {
        let c = graph.node((rng.next_u64() % graph.node_count() as u64) as u32);
        let q = twinhall_core::hub::surroundings::Query { center: c, radius_m: 500.0, target_height_m: 1.5 };
        let travel = |p: [f64; 2]| ranker.times_to(c, &[p]).first().copied().flatten();
        let t = Instant::now();
        std::hint::black_box(twinhall_core::hub::surroundings::surroundings(
            &store,
            &city.frame,
            &buildings,
            &q,
            &travel,
        ));
        around.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "demo city surroundings within 500 m ({} cameras, {} buildings): p50 {:.2} ms, p99 {:.2} ms",
        store.cameras.len(),
        buildings.len(),
        quantile(&around, 0.5),
        quantile(&around, 0.99)
    );
}

fn main() {
    println!(
        "hub benchmark: units ranked by road travel time (machine: {} CPUs, load average {} at start)",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average()
    );
    let start = Instant::now();
    let demo = twinhall_core::osm::import_pbf_bytes(
        twinhall_core::load::HELSINKI_PBF,
        std::path::Path::new("embedded:helsinki"),
        &Default::default(),
    )
    .expect("the demo city imports");
    let graph = RoadGraph::from_city(&demo);
    println!("demo city (Helsinki) imported with its road graph in {:.1} s", start.elapsed().as_secs_f64());
    run(&Case {
        label: "demo city",
        graph: &graph,
        reverse_incidents: 50,
        plain_incidents: 3,
        plain_sample: 200,
        seed: 1,
    });
    surroundings(&demo, &graph);
    drop((demo, graph));

    // 9 buildings a block, so 999 x 999 blocks: a 1000 x 1000 grid of crossings.
    let buildings = 9 * 999 * 999;
    let t0 = Instant::now();
    let city = generate_city(buildings, 1, LonLat::new(114.0579, 22.5431));
    let graph = RoadGraph::from_city(&city);
    drop(city);
    println!(
        "big city: generate_city({buildings}) (two-way streets) and its road graph in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    run(&Case {
        label: "big city",
        graph: &graph,
        reverse_incidents: 10,
        plain_incidents: 3,
        plain_sample: 100,
        seed: 2,
    });
    drop(graph);

    if std::env::var_os("HUB_BENCH_ONEWAY").is_some() {
        let t0 = Instant::now();
        let graph = RoadGraph::from_city(&grid_city(1000));
        println!("one-way grid: 1000 x 1000 streets, a fifth one-way, built in {:.1} s", t0.elapsed().as_secs_f64());
        run(&Case {
            label: "one-way grid",
            graph: &graph,
            reverse_incidents: 10,
            plain_incidents: 3,
            plain_sample: 100,
            seed: 3,
        });
    }
    println!("load average at the end {}; total {:.0} s", load_average(), start.elapsed().as_secs_f64());
}
