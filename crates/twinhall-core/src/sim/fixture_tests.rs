//! Tests of lower modules that take the simulated city as their fixture: the feed store
//! following the simulator, the search over a simulated city's store, and the figures of the
//! embedded cities. They live here, above what they test, so that the feed, the overlays and
//! the city import need nothing of the simulator.

/// The feed store (`crate::store`) applying the simulator's snapshot and batches.
mod store {
    use crate::LonLat;
    use crate::protocol::Batch;
    use crate::sim::{SimConfig, Simulation};
    use crate::store::*;

    fn sim(units: usize) -> Simulation {
        let city = crate::generate::generate_city(400, 2, LonLat::new(114.06, 22.54));
        Simulation::new(&city, SimConfig { units, incidents_per_minute: 40.0, ..Default::default() })
    }

    #[test]
    fn snapshot_then_batches_track_the_simulator_exactly() {
        let mut sim = sim(20);
        let mut store = FeedStore::default();
        assert_eq!(store.apply_batch(Batch { seq: 1, ..Default::default() }), Err(ApplyError::NoSnapshot));
        store.apply_snapshot(sim.snapshot());
        let mut batches = Vec::new();
        for _ in 0..30 {
            sim.step(1000);
            batches.extend(sim.take_batch());
        }
        let dup = batches[0].clone();
        for b in batches.clone() {
            assert!(matches!(store.apply_batch(b), Ok(Applied::Changes(_))));
        }
        assert_eq!(store.apply_batch(dup), Ok(Applied::Duplicate), "a duplicate is ignored");
        assert_eq!(store.duplicates, 1);
        assert_eq!(store.versions(), snapshot_versions(&sim.snapshot()));
        let mut gap = batches[0].clone();
        gap.seq = store.seq + 5;
        assert!(matches!(store.apply_batch(gap), Err(ApplyError::Gap { .. })));
        assert_eq!(store.gaps, 1);
    }

    #[test]
    fn a_snapshot_replaces_whatever_the_versions_and_drops_what_it_lacks() {
        let mut sim = sim(5);
        let mut store = FeedStore::default();
        for _ in 0..5 {
            sim.step(1000);
            sim.take_batch();
        }
        store.apply_snapshot(sim.snapshot());
        assert_eq!(store.units.len(), 5);
        store.units.take_dirty();
        // A restarted backend: versions start again, and it has fewer units.
        let mut fresh = self::sim(5).snapshot();
        fresh.entities.units.truncate(2);
        store.apply_snapshot(fresh.clone());
        assert_eq!(store.units.len(), 2);
        assert_eq!(store.units.take_dirty().len(), 5, "three dropped and two older versions are changes");
        assert_eq!(store.versions(), snapshot_versions(&fresh));
    }

    #[test]
    fn slots_stay_with_their_ids_and_are_reused_after_removal() {
        let mut sim = sim(3);
        let mut store = FeedStore::default();
        store.apply_snapshot(sim.snapshot());
        let slot = store.units.slot_of("U-00002").expect("unit 2");
        sim.step(1000);
        store.apply_batch(sim.take_batch().expect("units move")).expect("next batch");
        assert_eq!(store.units.slot_of("U-00002"), Some(slot));
        store.units.take_dirty();
        assert!(store.units.remove("U-00002"));
        assert_eq!(store.units.take_dirty(), vec![slot]);
        assert!(store.units.slot(slot).is_none());
        let mut u = store.units.get("U-00001").expect("unit 1").clone();
        u.id = "U-NEW".into();
        assert!(store.units.upsert(u));
        assert_eq!(store.units.slot_of("U-NEW"), Some(slot), "the freed slot is reused");
    }

    #[test]
    fn entities_past_stale_after_are_marked_until_updated() {
        let mut sim = sim(4);
        let mut store = FeedStore::default();
        let snap = sim.snapshot();
        let t = snap.entities.units[0].stale_after.expect("units have a stale-after time");
        store.apply_snapshot(snap);
        store.units.take_dirty();
        assert_eq!(store.expire(t - 1), 0);
        assert_eq!(store.expire(t + 1), 4, "four units went stale");
        assert_eq!(store.units.stale_count(), 4);
        assert_eq!(store.units.take_dirty().len(), 4);
        assert_eq!(store.expire(t + 2), 0, "marked once");
        sim.step(1000);
        store.apply_batch(sim.take_batch().expect("batch")).expect("applies");
        assert_eq!(store.units.stale_count(), 0, "an update clears stale");
    }
}

/// The overlays' search (`crate::overlay::search`) over a simulated city.
mod search {
    use crate::LonLat;
    use crate::overlay::search::search;
    use crate::protocol::EntityKind;
    use crate::sim::{SimConfig, Simulation};
    use crate::store::FeedStore;

    #[test]
    fn finds_by_camera_code_name_and_inventory() {
        let city = crate::generate::generate_city(300, 2, LonLat::new(114.06, 22.54));
        let sim = Simulation::new(&city, SimConfig { cameras: 50, incidents: 5, ..SimConfig::default() });
        let mut store = FeedStore::default();
        store.apply_snapshot(sim.snapshot());
        let cam = search(&store, "44030500001310000007", 10);
        assert_eq!(cam.first().map(|h| (h.kind, h.rank)), Some((EntityKind::Camera, 0)));
        let police = search(&store, "巡逻警车", 100);
        assert!(!police.is_empty() && police.iter().all(|h| h.kind == EntityKind::Unit && h.rank == 2));
        let tents = search(&store, "帐篷", 100);
        assert_eq!(tents.len(), store.supply_depots.len(), "every depot stocks tents");
        assert!(search(&store, "no such thing", 10).is_empty());
    }
}

/// The embedded cities' import (`crate::osm`) and the areas the simulator makes of them.
mod embedded {
    use std::path::Path;

    use crate::osm::{OsmOptions, import_pbf_bytes};

    /// Prints import times and counts of both embedded cities:
    /// `cargo test -p twinhall-core --release -- --ignored --nocapture embedded_city_figures`.
    #[test]
    #[ignore = "measurement, prints figures"]
    fn embedded_city_figures() {
        for (name, bytes) in
            [("helsinki", crate::load::HELSINKI_PBF), ("liechtenstein", crate::load::LIECHTENSTEIN_PBF)]
        {
            let start = std::time::Instant::now();
            let city = import_pbf_bytes(bytes, Path::new(name), &OsmOptions::default()).expect("imports");
            let took = start.elapsed();
            let info = city.info();
            println!(
                "{name}: import {:.0} ms, {} buildings, {} roads, {} road segments, {} pois, extent {:.0} x {:.0} m, admin {:?}, rejected {:?}",
                took.as_secs_f64() * 1e3,
                info.buildings,
                info.roads,
                info.road_segments,
                info.pois,
                info.extent_m[0],
                info.extent_m[1],
                info.admin,
                info.rejected
            );
            let sim =
                crate::sim::Simulation::new(&city, crate::sim::SimConfig { history_days: 0, ..Default::default() });
            let mut levels = std::collections::BTreeMap::new();
            for a in sim.snapshot().entities.areas {
                *levels.entry(format!("{:?}", a.level)).or_insert(0usize) += 1;
            }
            println!("{name}: simulated areas by level {levels:?}");
        }
    }
}
