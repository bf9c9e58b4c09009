//! Feed benchmark (`cargo bench --bench feed`): decoding and applying 10,000-update batches, in
//! place against despawn-and-respawn, and the snapshot of a city with 100,000 cameras and 10,000
//! units served over HTTP and loaded, against the same snapshot encoded and decoded in memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use crossbeam_channel::bounded;
use twinhall::city::City;
use twinhall::feed::{ClientEvent, FeedData, FeedLink, FeedMarker, FeedStatus, LinkState, MarkerAssets, MarkerIndex};
use twinhall_core::LonLat;
use twinhall_core::config::CitySource;
use twinhall_core::protocol::{Batch, Snapshot};
use twinhall_core::sim::{SimConfig, Simulation};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Marker strategy of the baseline: every changed unit's marker is despawned and spawned anew.
fn respawn_markers(
    mut commands: Commands,
    mut data: ResMut<FeedData>,
    city: Res<City>,
    assets: Option<Res<MarkerAssets>>,
    mut index: ResMut<MarkerIndex>,
) {
    let Some(a) = assets else { return };
    let data = data.bypass_change_detection();
    for slot in data.units.take_dirty() {
        let s = slot as usize;
        if index.units.len() <= s {
            index.units.resize(s + 1, None);
        }
        if let Some(e) = index.units[s].take() {
            commands.entity(e).despawn();
        }
        if let Some(u) = data.units.slot(slot) {
            let p = city.model.frame.to_local(LonLat::new(u.lon, u.lat));
            let t = Transform::from_xyz(p[0] as f32, 4.0, -p[1] as f32)
                .with_rotation(Quat::from_rotation_y(-u.heading_deg.to_radians()));
            let mesh = if u.kind.walks() { &a.walker } else { &a.unit };
            let m = &a.unit_colours[twinhall::feed::unit_colour(u.kind)];
            let e = commands
                .spawn((
                    FeedMarker(u.id.clone()),
                    Mesh3d(mesh.clone()),
                    MeshMaterial3d(m.clone()),
                    t,
                    Visibility::Inherited,
                ))
                .id();
            index.units[s] = Some(e);
        }
    }
}

fn feed_app(city: &Arc<twinhall_core::CityModel>, in_place: bool) -> (App, crossbeam_channel::Sender<ClientEvent>) {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .insert_resource(City { model: city.clone(), source: CitySource::Generated(0) });
    twinhall::feed::headless_plugin(&mut app, true);
    if !in_place {
        // Same assets and index, the baseline's system instead of the in-place one.
        app.add_systems(Update, respawn_markers.before(twinhall::feed::update_markers));
    }
    let (tx, rx) = bounded(1024);
    app.insert_resource(FeedLink { events: rx, client: None }).insert_resource(FeedStatus {
        state: LinkState::Live,
        target: "bench".into(),
        embedded: false,
        last_data: None,
        malformed: 0,
        refused: 0,
        no_source: None,
    });
    (app, tx)
}

/// Median time of `app.update()` applying one batch each.
fn apply_times(app: &mut App, tx: &crossbeam_channel::Sender<ClientEvent>, batches: &[Batch]) -> Duration {
    let mut times: Vec<Duration> = batches
        .iter()
        .map(|b| {
            tx.send(ClientEvent::Batch(Box::new(b.clone()))).expect("send");
            let t = Instant::now();
            app.update();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let units = 10_000;
    println!("feed benchmark: batches of {units} unit updates; snapshot of 100000 cameras and 10000 units");
    let city = Arc::new(twinhall_core::generate::generate_city(3000, 7, LonLat::new(114.06, 22.54)));
    let mut sim = Simulation::new(&city, SimConfig { units, cameras: 100, sensors: 0, ..SimConfig::default() });
    let snapshot = sim.snapshot();
    let mut batches = Vec::new();
    for _ in 0..21 {
        sim.step(2000);
        batches.extend(sim.take_batch());
    }
    let updates: usize = batches.iter().map(|b| b.upserts.units.len()).sum::<usize>() / batches.len();
    let json: Vec<String> = batches.iter().map(|b| serde_json::to_string(b).expect("encode")).collect();
    let bytes: usize = json.iter().map(String::len).sum::<usize>() / json.len();

    // Decode.
    let t = Instant::now();
    let mut decoded = 0;
    for j in &json {
        let b: Batch = serde_json::from_str(j).expect("decode");
        decoded += b.upserts.units.len();
    }
    let decode = t.elapsed();
    let per_s = decoded as f64 / decode.as_secs_f64();
    println!(
        "  decode: {:.2} M updates/s ({updates} updates, {:.1} MB JSON a batch, {:.2} ms a batch); target >= 2 M/s: {:.2}x",
        per_s / 1e6,
        bytes as f64 / 1e6,
        ms(decode) / json.len() as f64,
        per_s / 2e6
    );

    // Store apply alone.
    let mut store = twinhall_core::store::FeedStore::default();
    store.apply_snapshot(snapshot.clone());
    let copies: Vec<Batch> = batches.clone();
    let t = Instant::now();
    for b in copies {
        store.apply_batch(b).expect("in order");
        store.units.take_dirty();
    }
    let store_apply = t.elapsed() / batches.len() as u32;

    // Apply in the app: in place, then despawn-and-respawn.
    let mut results = Vec::new();
    for in_place in [true, false] {
        let (mut app, tx) = feed_app(&city, in_place);
        tx.send(ClientEvent::Snapshot(Box::new(snapshot.clone()))).expect("send");
        app.update();
        app.update();
        let idle = {
            let mut v: Vec<Duration> = (0..20)
                .map(|_| {
                    let t = Instant::now();
                    app.update();
                    t.elapsed()
                })
                .collect();
            v.sort();
            v[10]
        };
        let busy = apply_times(&mut app, &tx, &batches[1..]);
        let mut q = app.world_mut().query::<&FeedMarker>();
        let markers = q.iter(app.world()).count();
        results.push((busy, idle, markers));
    }
    let (inplace, idle, markers) = results[0];
    let (respawn, _, markers_b) = results[1];
    println!(
        "  apply a {updates}-update batch (store + markers, one frame): in place {:.2} ms, despawn-and-respawn {:.2} ms: {:.2}x faster; \
         target <= 1 ms: {:.2}x",
        ms(inplace),
        ms(respawn),
        respawn.as_secs_f64() / inplace.as_secs_f64(),
        1.0 / ms(inplace)
    );
    println!(
        "    of which the store: {:.2} ms; a frame with nothing new: {:.3} ms; markers {markers} / {markers_b}",
        ms(store_apply),
        ms(idle)
    );

    // Snapshot: 100k cameras + 10k units, over real HTTP from the reference server.
    let big = Simulation::new(&city, SimConfig { units: 10_000, cameras: 100_000, ..SimConfig::default() });
    let dir = std::env::temp_dir().join(format!("twinhall-feed-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = twinhall_feed::ServerConfig {
        token: String::new(),
        tick: Duration::from_secs(3600),
        history: 10,
        orders_path: dir.join("orders.jsonl"),
        record: None,
    };
    let in_memory = big.snapshot();
    let t = Instant::now();
    let encoded = serde_json::to_vec(&in_memory).expect("encode");
    let encode = t.elapsed();
    let t = Instant::now();
    let back: Snapshot = serde_json::from_slice(&encoded).expect("decode");
    let decode_snap = t.elapsed();
    drop(back);
    let shared = twinhall_feed::shared(twinhall_feed::Source::Sim(Box::new(big)), config).expect("state");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(twinhall_feed::serve(listener, shared));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let t = Instant::now();
    let body = rt.block_on(async {
        http.get(format!("http://{addr}/v1/snapshot")).send().await.expect("get").bytes().await.expect("body")
    });
    let serve = t.elapsed();
    let t = Instant::now();
    let snap: Snapshot = serde_json::from_slice(&body).expect("decode");
    let load_decode = t.elapsed();
    let (mut app, tx) = feed_app(&city, true);
    let t = Instant::now();
    tx.send(ClientEvent::Snapshot(Box::new(snap))).expect("send");
    app.update();
    let load_apply = t.elapsed();
    let total = serve + load_decode + load_apply;
    println!(
        "  snapshot 100000 cameras + 10000 units: {:.1} MB; served over HTTP in {:.0} ms, decoded in {:.0} ms, \
         applied with markers in {:.0} ms: {:.2} s from request to drawn",
        body.len() as f64 / 1e6,
        ms(serve),
        ms(load_decode),
        ms(load_apply),
        total.as_secs_f64()
    );
    println!(
        "    in-memory baseline (encode {:.0} ms + decode {:.0} ms): HTTP serve+load is {:.2}x that",
        ms(encode),
        ms(decode_snap),
        (serve + load_decode).as_secs_f64() / (encode + decode_snap).as_secs_f64()
    );
    rt.shutdown_background();
}
