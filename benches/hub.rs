//! `cargo bench --bench hub`: the action hub's per-incident work, on the demo city and on a
//! generated city of a million road-graph nodes with 2,000 units.
//!
//! Prints, for each city: the graph, how long building the ranker takes, the ranking of every
//! unit by road time per incident (p50/p99) with the contraction-hierarchy sweep
//! (`hub::rank::Ranker`) and with one reverse Dijkstra that stops once every unit is settled,
//! against a plain Dijkstra per unit (the baseline, measured in the same run), whether the results
//! are equal, and the surroundings query on the demo city.

use std::time::Instant;

use twinhall_core::LonLat;
use twinhall_core::generate::SplitMix64;
use twinhall_core::hub::rank::{Ranker, dijkstra_per_source, reverse_dijkstra_until_settled};
use twinhall_core::model::{CityModel, Road, RoadClass};
use twinhall_core::routing::RoadGraph;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
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

fn random_points(graph: &RoadGraph, rng: &mut SplitMix64, n: usize) -> Vec<[f64; 2]> {
    (0..n).map(|_| graph.node((rng.next_u64() % graph.node_count() as u64) as u32)).collect()
}

fn equal(a: &[Option<f32>], b: &[Option<f32>], tol: f32) -> bool {
    a.iter().zip(b).all(|(x, y)| match (x, y) {
        (Some(x), Some(y)) => (x - y).abs() <= tol.max(y * 1e-4),
        (None, None) => true,
        _ => false,
    })
}

fn bench_city(name: &str, graph: &RoadGraph, incidents: usize, baseline_incidents: usize, baseline_units: usize) {
    let t = Instant::now();
    let ranker = Ranker::new(graph);
    let build = ms(t);
    println!(
        "{name}: {} nodes, {} edges; ranker built in {:.0} ms ({} arcs, time unit {:.1e} s)",
        graph.node_count(),
        graph.edge_count(),
        build,
        ranker.arc_count(),
        ranker.resolution_s()
    );
    let mut rng = SplitMix64::new(11);
    let units = random_points(graph, &mut rng, 2000);
    let targets = random_points(graph, &mut rng, incidents);
    let (mut fast, mut settle) = (Vec::new(), Vec::new());
    let mut checked = 0;
    let mut same = true;
    for (k, target) in targets.iter().enumerate() {
        let t = Instant::now();
        let a = ranker.times_to(*target, &units);
        fast.push(ms(t));
        if k < 10 {
            let t = Instant::now();
            let b = reverse_dijkstra_until_settled(graph, *target, &units);
            settle.push(ms(t));
            same &= equal(&a, &b, 0.05);
            checked += units.len();
        }
    }
    // The baseline: a plain Dijkstra per unit, on a sample of units (it is slow), scaled to 2,000.
    let mut plain = Vec::new();
    for target in targets.iter().take(baseline_incidents) {
        let sample = &units[..baseline_units];
        let t = Instant::now();
        let c = dijkstra_per_source(graph, *target, sample);
        plain.push(ms(t) * 2000.0 / baseline_units as f64);
        let a = ranker.times_to(*target, sample);
        same &= equal(&a, &c, 0.05);
        checked += sample.len();
    }
    let plain_mean = plain.iter().sum::<f64>() / plain.len().max(1) as f64;
    let (p50, p99) = (pct(&mut fast, 0.5), pct(&mut fast, 0.99));
    let (s50, s99) = (pct(&mut settle, 0.5), pct(&mut settle, 0.99));
    println!(
        "{name}, 2000 units: ranking p50 {p50:.2} ms, p99 {p99:.2} ms over {incidents} incidents; target <= 10 ms p99: {:.2}x{}",
        10.0 / p99,
        if p99 <= 10.0 { "" } else { " (MISSED)" }
    );
    println!(
        "  reverse Dijkstra until every unit is settled: p50 {s50:.1} ms, p99 {s99:.1} ms (10 incidents); ranking is {:.0}x faster at p50",
        s50 / p50
    );
    println!(
        "  plain Dijkstra per unit: {plain_mean:.0} ms per incident ({baseline_units} units timed, scaled to 2000, {baseline_incidents} incidents); ratio {:.0}x",
        plain_mean / p50
    );
    println!("  equal to Dijkstra: {} ({checked} unit times checked)", if same { "yes" } else { "NO" });
}

fn main() {
    // The demo city.
    let city = twinhall_core::osm::import_pbf_bytes(
        twinhall_core::load::HELSINKI_PBF,
        std::path::Path::new("embedded:helsinki"),
        &Default::default(),
    )
    .expect("the demo city imports");
    let graph = RoadGraph::from_city(&city);
    bench_city("demo city (Helsinki)", &graph, 200, 3, 2000);

    // The surroundings query on the demo city with the simulator's feed.
    let sim = twinhall_core::sim::Simulation::new(&city, twinhall_core::sim::SimConfig::default());
    let mut store = twinhall_core::store::FeedStore::default();
    store.apply_snapshot(sim.snapshot());
    let buildings = twinhall_core::hub::sight::BuildingIndex::new(&city.buildings);
    let ranker = Ranker::new(&graph);
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
        around.push(ms(t));
    }
    println!(
        "demo city surroundings within 500 m ({} cameras, {} buildings): p50 {:.2} ms, p99 {:.2} ms",
        store.cameras.len(),
        buildings.len(),
        pct(&mut around, 0.5),
        pct(&mut around, 0.99)
    );

    // A generated city of a million road-graph nodes.
    let t = Instant::now();
    let big = grid_city(1000);
    let graph = RoadGraph::from_city(&big);
    drop(big);
    println!("generated city: graph built in {:.0} ms", ms(t));
    bench_city("generated city", &graph, 100, 2, 40);
}
