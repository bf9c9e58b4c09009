//! City build benchmark: footprint triangulation and extrusion throughput, time to make a
//! 200,000-building city ready to draw, mesh entities against buildings, and memory, each
//! printed as a figure and as a ratio against a baseline measured in the same run.
//!
//! Run: `cargo bench --bench city_build` (add `-- N` for another city size).

use std::hint::black_box;
use std::time::Instant;

use bevy::prelude::*;
use twinhall::city::{build_city_meshes, to_mesh};
use twinhall_core::LonLat;
use twinhall_core::config::Palette;
use twinhall_core::extrude::{BuildingColors, Extruder, MeshData};
use twinhall_core::generate::generate_city;

fn colors() -> BuildingColors {
    BuildingColors { base: [0.1; 4], top: [0.5; 4], tall: [0.9; 4], roof: [0.6; 4], tall_m: 60.0, by_kind: None }
}

/// Adds meshes as assets and spawns one entity each, as the app does, and returns the seconds.
fn spawn_meshes(meshes_data: Vec<MeshData>) -> (f64, usize) {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default())).init_asset::<Mesh>();
    let start = Instant::now();
    let world = app.world_mut();
    let handles: Vec<Handle<Mesh>> = {
        let mut assets = world.resource_mut::<Assets<Mesh>>();
        meshes_data.into_iter().map(|d| assets.add(to_mesh(d))).collect()
    };
    let n = handles.len();
    world.spawn_batch(handles.into_iter().map(|h| (Mesh3d(h), Transform::IDENTITY)));
    app.update();
    (start.elapsed().as_secs_f64(), n)
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(200_000);
    println!("city_build benchmark: {n} buildings (procedural city, seed 1)");

    let t = Instant::now();
    let city = generate_city(n, 1, LonLat::new(114.0579, 22.5431));
    let gen_s = t.elapsed().as_secs_f64();
    let vertices: usize = city.buildings.iter().map(|b| b.footprint.exterior.len()).sum();
    println!("  generate: {gen_s:.3} s ({:.1} footprint vertices on average)", vertices as f64 / n as f64);

    // 1. Triangulation + extrusion on one core, into one reused buffer.
    let c = colors();
    let mut ex = Extruder::new();
    let mut buf = MeshData::default();
    let rounds = 3;
    let t = Instant::now();
    for _ in 0..rounds {
        for b in &city.buildings {
            buf.positions.clear();
            buf.normals.clear();
            buf.colors.clear();
            buf.indices.clear();
            black_box(ex.building(b, &c, &mut buf));
        }
    }
    let per_core = (n * rounds) as f64 / t.elapsed().as_secs_f64();
    println!(
        "  triangulate + extrude, 1 core: {:.2} M footprints/s (target >= 1.0 M/s: {:.2}x)",
        per_core / 1e6,
        per_core / 1e6
    );

    // 2. Ready to draw: generate + batch every layer as the app does, against the baseline of
    // one mesh per building.
    let palette = Palette::night();
    let t = Instant::now();
    let tile_size_m = twinhall_core::config::CityConfig::default().tile_size_m;
    let (batched, stats) = build_city_meshes(&city, &palette, twinhall_core::config::ColorBy::Height, tile_size_m);
    let batch_s = t.elapsed().as_secs_f64();
    let mesh_bytes: usize = batched.iter().map(|(_, m)| m.heap_bytes()).sum();
    let (spawn_batched_s, batched_entities) = spawn_meshes(batched.into_iter().map(|(_, m)| m).collect());
    let rss_batched = rss_mib();

    let t = Instant::now();
    let mut singles = Vec::with_capacity(n);
    for b in &city.buildings {
        let mut m = MeshData::default();
        ex.building(b, &c, &mut m);
        singles.push(m);
    }
    let single_build_s = t.elapsed().as_secs_f64();
    let (spawn_single_s, single_entities) = spawn_meshes(singles);

    let ready = gen_s + batch_s + spawn_batched_s;
    let ready_single = gen_s + single_build_s + spawn_single_s;
    println!(
        "  ready to draw (generate + mesh + assets + entities): {ready:.3} s (target < 3 s), one-entity-per-building: {ready_single:.3} s, ratio {:.2}x",
        ready_single / ready
    );
    println!(
        "  mesh entities: {batched_entities} for {} buildings ({} triangles); one-entity-per-building: {single_entities}; ratio {:.0}x fewer (target >= 100x)",
        stats.buildings_drawn,
        stats.triangles,
        single_entities as f64 / batched_entities.max(1) as f64
    );

    // 3. Memory: the city model's footprints and the batched meshes (CPU copies before upload).
    let model_bytes: usize = city
        .buildings
        .iter()
        .map(|b| {
            std::mem::size_of_val(b)
                + b.footprint.exterior.capacity() * 16
                + b.footprint.holes.iter().map(|h| h.capacity() * 16 + 24).sum::<usize>()
        })
        .sum();
    let total = model_bytes + mesh_bytes;
    println!("  process resident memory after the batched city was built and spawned: {rss_batched:.0} MiB");
    println!(
        "  memory: model {:.0} MiB + meshes {:.0} MiB = {:.0} MiB (target < 1024 MiB: {:.2}x under)",
        model_bytes as f64 / 1048576.0,
        mesh_bytes as f64 / 1048576.0,
        total as f64 / 1048576.0,
        1024.0 * 1048576.0 / total as f64
    );
}

/// Resident set size of this process, from /proc (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}
