//! Search on the simulated city's real names: a name is found with or without the space before
//! its number (a test of `overlay::search` on `sim`'s output, kept here so that the library's
//! modules import no loop).

use twinhall_core::LonLat;
use twinhall_core::overlay::search::search;
use twinhall_core::protocol::EntityKind;
use twinhall_core::store::FeedStore;

#[test]
fn a_name_is_found_with_or_without_the_space_before_its_number() {
    let city = twinhall_core::generate::generate_city(300, 2, LonLat::new(114.06, 22.54));
    let config = twinhall_core::sim::SimConfig {
        cameras: 5,
        units: 10,
        incidents: 2,
        ..twinhall_core::sim::SimConfig::default()
    };
    let sim = twinhall_core::sim::Simulation::new(&city, config);
    let mut store = FeedStore::default();
    store.apply_snapshot(sim.snapshot());
    let name = store.units.get("U-00002").map(|u| u.name.clone());
    assert_eq!(name.as_deref(), Some("消防车 002"));
    for q in ["消防车002", "消防车 002", "消防车  002"] {
        let hits = search(&store, q, 10);
        assert_eq!(hits.first().map(|h| (h.id.as_str(), h.rank)), Some(("U-00002", 2)), "{q}: {hits:?}");
    }
    assert_eq!(search(&store, "视频监控0003", 10).first().map(|h| h.kind), Some(EntityKind::Camera));
    assert!(search(&store, "消防车003", 10).is_empty(), "unit 3 is an ambulance");
    assert!(search(&store, "   ", 10).is_empty());
}
