//! Import time of one multipolygon relation against its number of member ways (OSM XML written
//! to the temp dir): `cargo run --release -p twinhall-core --example osm_big_relation`.
//! Near-linear: ten times the members takes about ten times as long.

#[path = "../tests/support/big_relation.rs"]
mod big_relation;

use std::time::Instant;

use twinhall_core::osm::{OsmOptions, import_osm_path};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("twinhall-osm-big-relation-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("{:>9} {:>8} {:>10} {:>10}", "members", "XML MB", "import s", "µs/member");
    for members in [1_000, 10_000, 100_000, 300_000] {
        let path = dir.join(format!("forest-{members}.osm"));
        // Three outer pieces for every two clearings, as in the import test.
        let written = big_relation::write_big_relation(&path, members * 3 / 5, members * 2 / 5)?;
        let started = Instant::now();
        let city = import_osm_path(&path, &OsmOptions::default())?;
        let secs = started.elapsed().as_secs_f64();
        let shape = city.green.first().map(|g| (g.polygon.exterior.len(), g.polygon.holes.len()));
        if shape != Some((written.outer_nodes, written.holes)) {
            return Err(format!("{members} members: the forest came out as {shape:?} (outer points, holes)").into());
        }
        println!(
            "{:>9} {:>8.1} {:>10.3} {:>10.2}",
            written.members,
            written.bytes as f64 / 1e6,
            secs,
            secs * 1e6 / written.members as f64
        );
        std::fs::remove_file(&path)?;
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
