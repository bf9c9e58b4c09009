//! A multipolygon of 100,000 member ways imports (it hung the import when relation assembly
//! scanned every member for each join).

mod support;

use std::time::Instant;

use twinhall_core::osm::{OsmOptions, import_osm_path};

#[test]
fn a_relation_of_100_000_members_imports_whole() {
    let dir = support::TempDir::new("big-relation");
    let path = dir.path().join("forest.osm");
    let written = support::big_relation::write_big_relation(&path, 60_000, 40_000).expect("writes the file");
    assert_eq!(written.members, 100_000);

    let started = Instant::now();
    let city = import_osm_path(&path, &OsmOptions::default()).expect("imports");
    eprintln!("100,000-member relation ({} MB of XML): imported in {:.2?}", written.bytes >> 20, started.elapsed());

    assert!(city.rejected.is_empty(), "{:?}", city.rejected);
    assert_eq!(city.green.len(), 1);
    let forest = &city.green[0].polygon;
    assert_eq!((city.green[0].id, forest.exterior.len(), forest.holes.len()), (-1, written.outer_nodes, written.holes));
    // 0.1° × 0.05° at 60.15° N, less 40,000 clearings of a quarter of their grid cell each.
    let square = 0.1 * 111_320.0 * 60.175_f64.to_radians().cos() * 0.05 * 111_320.0;
    let wanted = square * (1.0 - 40_000.0 / 201.0 / 201.0 / 4.0);
    assert!((forest.area() / wanted - 1.0).abs() < 0.01, "{} m² against {wanted} m²", forest.area());
}
