//! The feed plugin end to end: the embedded simulator, a city without roads, and a real remote
//! backend that goes away.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_core::config::{CitySource, Lang};
use twinhall_core::sim::{SimConfig, Simulation};

use super::*;
use crate::context::City;

fn app(url: &str, city: &twinhall_core::CityModel) -> App {
    let mut settings = crate::settings::tests::settings_for(CitySource::Generated(400));
    settings.config.feed.url = url.to_owned();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .insert_resource(settings)
        .insert_resource(City { model: Arc::new(city.clone()), source: CitySource::Generated(400) })
        .add_plugins((plugin, markers::plugin));
    app
}

fn run_until(app: &mut App, what: &str, timeout: Duration, ok: impl Fn(&World) -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        app.update();
        if ok(app.world()) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn marker_of(app: &mut App, id: &str) -> Option<(Entity, Vec3)> {
    let mut q = app.world_mut().query::<(Entity, &FeedMarker, &Transform)>();
    q.iter(app.world()).find(|(_, m, _)| m.0 == id).map(|(e, _, t)| (e, t.translation))
}

#[test]
fn the_embedded_feed_fills_the_store_and_moves_markers_in_place() {
    let city = twinhall_core::generate::generate_city(400, 2, twinhall_core::LonLat::new(114.06, 22.54));
    let mut app = app("", &city);
    run_until(&mut app, "the snapshot", Duration::from_secs(10), |w| w.resource::<FeedData>().synced);
    app.update();
    let data = app.world().resource::<FeedData>();
    let expected = data.units.len() + data.incidents.len() + data.cameras.len();
    assert_eq!(data.units.len(), SimConfig::default().units);
    assert!(app.world().resource::<FeedStatus>().is_live());
    let mut q = app.world_mut().query::<&FeedMarker>();
    assert_eq!(q.iter(app.world()).count(), expected, "a marker per unit, incident and camera");
    let (entity, before) = marker_of(&mut app, "U-00001").expect("unit 1 has a marker");
    let seq = app.world().resource::<FeedData>().seq;
    run_until(&mut app, "the next batch", Duration::from_secs(10), |w| w.resource::<FeedData>().seq > seq + 1);
    app.update();
    let (again, after) = marker_of(&mut app, "U-00001").expect("still there");
    assert_eq!(entity, again, "updated in place, not respawned");
    assert_ne!(before, after, "the patrolling unit moved");
}

#[test]
fn a_city_without_roads_says_so_in_the_status_instead_of_connecting_forever() {
    let mut city = twinhall_core::generate::generate_city(400, 2, twinhall_core::LonLat::new(114.06, 22.54));
    city.roads.clear();
    let mut app = app("", &city);
    for _ in 0..3 {
        app.update();
    }
    assert!(app.world().get_resource::<FeedLink>().is_none(), "no simulator was started");
    let status = app.world().resource::<FeedStatus>();
    assert_eq!(status.no_source, Some(NoSource::CityWithoutRoads { city: city.name.clone() }));
    assert!(!status.is_live());
    for (lang, words, connecting) in [(Lang::En, "has no roads", "connecting"), (Lang::Zh, "没有道路", "连接中")]
    {
        let line = status.describe(lang);
        assert!(line.contains(words) && line.contains(&city.name), "{line}");
        assert!(!line.contains(connecting), "{line}");
        let banner = status.banner(lang).expect("a banner: nothing live");
        assert!(banner.contains(words), "{banner}");
    }
}

#[test]
fn a_remote_backend_feeds_the_app_and_its_loss_shows_in_the_status_and_banner() {
    let city = twinhall_core::generate::generate_city(400, 2, twinhall_core::LonLat::new(114.06, 22.54));
    let sim = Simulation::new(&city, SimConfig { units: 9, ..SimConfig::default() });
    let dir = std::env::temp_dir().join(format!("twinhall-feed-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = twinhall_feed::ServerConfig {
        token: String::new(),
        tick: Duration::from_millis(200),
        history: 100,
        orders_path: dir.join("orders.jsonl"),
        record: None,
    };
    let shared = twinhall_feed::shared(twinhall_feed::Source::Sim(Box::new(sim)), config).expect("state");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    runtime.spawn(twinhall_feed::serve(listener, shared));

    let mut app = app(&format!("http://{addr}"), &city);
    run_until(&mut app, "live", Duration::from_secs(15), |w| {
        w.resource::<FeedStatus>().is_live() && w.resource::<FeedData>().synced
    });
    assert_eq!(app.world().resource::<FeedData>().units.len(), 9);
    let status = app.world().resource::<FeedStatus>();
    assert!(status.banner(Lang::Zh).is_none(), "no banner while live");
    assert!(status.describe(Lang::Zh).contains(&format!("http://{addr}")));

    // The backend goes away: the wall says so, with the age of what it shows.
    runtime.shutdown_background();
    run_until(&mut app, "not live", Duration::from_secs(10), |w| !w.resource::<FeedStatus>().is_live());
    let banner = app.world().resource::<FeedStatus>().banner(Lang::Zh).expect("a banner");
    assert!(banner.contains("画面数据为"), "{banner}");
    assert_eq!(app.world().resource::<FeedData>().units.len(), 9, "the last picture stays, marked as old");
}
