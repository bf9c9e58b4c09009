//! The defence hub headless against a real twinhall-feed server: the history comes over HTTP,
//! an injected hot spot is found as the first key grid with its reason, and the heat map's
//! densest place is at that grid.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::config::CitySource;
use twinhall_core::protocol::{IncidentCategory, now_ms};
use twinhall_core::sim::{InjectedHotspot, SimConfig, Simulation};

use super::*;
use crate::context::{City, DefenceView};

/// A backend whose city has run two hours with a strong dispute hot spot at `grid` (enough to
/// be the densest place for disputes as well as the most unusual); its history has
/// seven days before that.
fn start_backend(city: &twinhall_core::CityModel, dir: &std::path::Path) -> (String, String) {
    let hours = 2;
    let mut config = SimConfig {
        units: 10,
        cameras: 40,
        incidents: 0,
        incidents_per_minute: 6.0,
        start_ms: now_ms() - hours * 3_600_000,
        history_days: 7,
        ..SimConfig::default()
    };
    // A grid of median traffic among those with any (a grid with no road gets no incidents).
    let probe = Simulation::new(city, config.clone());
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for i in probe.history(0, usize::MAX).incidents {
        *counts.entry(i.grid_id).or_default() += 1;
    }
    let mut grids: Vec<(usize, String)> =
        counts.into_iter().filter(|(g, _)| !g.is_empty()).map(|(g, n)| (n, g)).collect();
    grids.sort();
    let grid = grids[grids.len() / 2].1.clone();
    config.hotspots =
        vec![InjectedHotspot { grid_id: grid.clone(), category: Some(IncidentCategory::Dispute), factor: 300.0 }];
    let mut sim = Simulation::new(city, config);
    for _ in 0..(hours * 360) {
        sim.step(10_000);
        let _ = sim.take_batch();
    }
    (crate::test_support::serve_sim(sim, dir.join("orders.sqlite")), grid)
}

#[test]
fn an_injected_hot_spot_is_the_first_key_grid_and_the_heat_maps_peak() {
    let dir = std::env::temp_dir().join(format!("twinhall-defence-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let model = Arc::new(twinhall_core::generate::generate_city(400, 5, LonLat::new(114.06, 22.54)));
    let (base, grid) = start_backend(&model, &dir);
    let mut settings = crate::settings::tests::settings_for(CitySource::Generated(400));
    settings.config.feed.url = base;
    settings.config.hub.journal = dir.join("journal.sqlite").to_string_lossy().into_owned();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .insert_resource(settings)
        .insert_resource(City { model: model.clone(), source: CitySource::Generated(400) })
        .add_message::<crate::context::FlyTo>()
        .init_resource::<crate::overlays::OverlayChanges>()
        .add_plugins((crate::feed::plugin, super::plugin));

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        app.update();
        let d = app.world().resource::<Defence>();
        if d.history.is_some() && d.report.as_ref().is_some_and(|r| !r.scores.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "no scores: history {:?}, error {:?}", d.history, d.history_error);
        std::thread::sleep(Duration::from_millis(20));
    }
    let d = app.world().resource::<Defence>();
    let (n, since) = d.history.expect("history");
    assert!(n > 1000, "a week of history came over HTTP: {n}");
    assert!(since <= now_ms() - 6 * 86_400_000, "it reaches back a week: {since}");
    let report = d.report.as_ref().expect("report");
    let top = report.by_grid()[0];
    assert_eq!(top.grid_id, grid, "the hot spot ranks first: {:?}", &report.scores[..3.min(report.scores.len())]);
    assert!(top.flagged && top.category == IncidentCategory::Dispute, "{top:?}");
    assert!(top.reason_zh.contains("矛盾纠纷") && top.reason_zh.contains("基线"), "{}", top.reason_zh);
    assert_eq!(report.key_grids().first().copied(), Some(grid.as_str()));

    // The heat map of disputes, with a kernel as narrow as this city's grids (about 50 m), peaks
    // at the hot spot: its densest cell lies in that grid.
    let view = DefenceView { category: Some(IncidentCategory::Dispute), bandwidth_m: 50.0, ..DefenceView::default() };
    let city = app.world().resource::<City>();
    let g = heat_grid(d, &view, city);
    let (mut best, mut at) = (0.0, [0.0, 0.0]);
    for j in 0..g.rows {
        for i in 0..g.cols {
            let c = [g.origin[0] + (i as f64 + 0.5) * g.cell_m, g.origin[1] + (j as f64 + 0.5) * g.cell_m];
            let v = g.density_at(c[0], c[1]);
            if v > best {
                (best, at) = (v, c);
            }
        }
    }
    assert!((best - g.max_density()).abs() <= 1e-6 * best.max(1.0));
    let area = app.world().resource::<crate::feed::FeedData>().areas.get(&grid).cloned().expect("the grid");
    let ring: Vec<[f64; 2]> = area.ring.iter().map(|p| city.model.frame.to_local(LonLat::new(p[0], p[1]))).collect();
    let (min_x, max_x) = ring.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
    let (min_n, max_n) = ring.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
    let slack = g.cell_m;
    assert!(
        at[0] >= min_x - slack && at[0] <= max_x + slack && -at[1] >= min_n - slack && -at[1] <= max_n + slack,
        "peak at {at:?}, grid x {min_x}..{max_x} north {min_n}..{max_n}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
