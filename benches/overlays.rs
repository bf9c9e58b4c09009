//! Overlay benchmark (`cargo bench --bench overlays`): the CPU cost per frame of twinhall's own
//! systems (feed ingest and every overlay layer, labels and picking) at command-centre load:
//! 100,000 cameras, 10,000 units reporting every 2 s, 5,000 incidents, 2,000 sensors, on the
//! demo city, in a headless app without rendering, frame after frame at 60 frames a second;
//! against the same app on frames where nothing changed, and those against the floor: an app
//! with the same plugins under it (MinimalPlugins, assets, the shared context) and no overlays,
//! so that what the overlays cost when nothing happened is the difference.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use crossbeam_channel::bounded;
use twinhall::context::City;
use twinhall::feed::{ClientEvent, FeedLink, FeedStatus, LinkState};
use twinhall_core::config::{CityConfig, CitySource};
use twinhall_core::sim::{SimConfig, Simulation};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let source = CitySource::parse("embedded:helsinki").expect("source");
    let city = twinhall_core::load::load_source(&source, &CityConfig::default()).expect("demo city");
    let load = SimConfig { cameras: 100_000, units: 10_000, incidents: 5_000, sensors: 2_000, ..SimConfig::default() };
    println!(
        "overlays benchmark: {} cameras, {} units every 2 s, {} incidents, {} sensors on {}",
        load.cameras, load.units, load.incidents, load.sensors, city.name
    );
    let mut sim = Simulation::new(&city, load);

    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .add_plugins(twinhall::context::plugin)
        .insert_resource(twinhall::Settings {
            config: twinhall_core::config::Config::default(),
            config_origin: twinhall::settings::ConfigOrigin::BuiltIn,
            city_source: source.clone(),
            screenshot: None,
            brief: None,
        })
        .insert_resource(City { model: Arc::new(city), source })
        .init_resource::<twinhall::camera::GroundCursor>();
    twinhall::feed::headless_plugin(&mut app, false);
    twinhall::overlays::plugin(&mut app);
    let (tx, rx) = bounded(64);
    app.insert_resource(FeedLink { events: rx, client: None }).insert_resource(FeedStatus {
        state: LinkState::Live,
        target: "bench".into(),
        embedded: false,
        last_data: None,
        malformed: 0,
        refused: 0,
        no_source: None,
    });
    // A wall view over the centre, close enough that every camera has its own icon and labels show.
    let orbit = twinhall::context::OrbitCamera { focus: Vec3::ZERO, distance_m: 1500.0, pitch: 0.8, heading: 0.3 };
    let proj = Mat4::perspective_infinite_reverse_rh(std::f32::consts::FRAC_PI_4, 7680.0 / 2160.0, 1.0);
    app.insert_resource(twinhall::context::OverlayView {
        clip_from_world: proj * orbit.transform().to_matrix().inverse(),
        size: Vec2::new(3840.0, 1080.0),
        distance_m: 1500.0,
        focus: [0.0, 0.0],
        px_scale: 2.0,
        text_scale: 2.0,
        origin: Vec2::ZERO,
        viewport_h: 1080.0,
    });

    let t = Instant::now();
    tx.send(ClientEvent::Snapshot(Box::new(sim.snapshot()))).expect("send");
    app.update();
    let first = t.elapsed();
    for _ in 0..5 {
        app.update();
    }

    // Nothing changes: the baseline.
    let frame = Duration::from_micros(16_667);
    let mut idle = Vec::new();
    for _ in 0..120 {
        let t = Instant::now();
        app.update();
        idle.push(t.elapsed());
        std::thread::sleep(frame.saturating_sub(t.elapsed()));
    }

    // Live: a batch every 2 s (120 frames), 10,000 unit reports each.
    let mut live = Vec::new();
    let mut batch_frames = Vec::new();
    for f in 0..600 {
        if f % 120 == 0 {
            sim.step(2000);
            if let Some(b) = sim.take_batch() {
                tx.send(ClientEvent::Batch(Box::new(b))).expect("send");
            }
        }
        let t = Instant::now();
        app.update();
        let d = t.elapsed();
        live.push(d);
        if f % 120 == 0 {
            batch_frames.push(d);
        }
        std::thread::sleep(frame.saturating_sub(d));
    }
    let mean = |v: &[Duration]| v.iter().sum::<Duration>() / v.len() as u32;
    let pct = |v: &mut Vec<Duration>, p: f64| {
        v.sort();
        v[((v.len() - 1) as f64 * p) as usize]
    };
    let (idle_mean, live_mean) = (mean(&idle), mean(&live));
    let mut live_sorted = live.clone();
    println!("  first snapshot (110k entities) ingested and every layer built: {:.0} ms (once)", ms(first));
    println!(
        "  per frame at load: mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, batch frames {:.1} ms on average; \
         target <= 4 ms mean: {:.2}x",
        ms(live_mean),
        ms(pct(&mut live_sorted, 0.5)),
        ms(pct(&mut live_sorted, 0.99)),
        ms(pct(&mut live_sorted, 1.0)),
        ms(mean(&batch_frames)),
        4.0 / ms(live_mean)
    );
    println!(
        "  nothing changed: mean {:.3} ms; live / idle: {:.1}x",
        ms(idle_mean),
        live_mean.as_secs_f64() / idle_mean.as_secs_f64()
    );
    let floor = schedule_floor(frame);
    println!(
        "  the floor (the same app without the overlays): mean {:.3} ms; the overlays' own cost when nothing changed: {:.3} ms (idle / floor: {:.2}x)",
        ms(floor),
        ms(idle_mean.saturating_sub(floor)),
        idle_mean.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    );
}

/// The mean frame of the app under the overlays: MinimalPlugins, assets and the shared context,
/// 120 frames paced as the idle ones are.
fn schedule_floor(frame: Duration) -> Duration {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .add_plugins(twinhall::context::plugin);
    for _ in 0..6 {
        app.update();
    }
    let mut total = Duration::ZERO;
    for _ in 0..120 {
        let t = Instant::now();
        app.update();
        let d = t.elapsed();
        total += d;
        std::thread::sleep(frame.saturating_sub(d));
    }
    total / 120
}
