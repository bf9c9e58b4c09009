//! What the app's headless tests share: a real twinhall-feed server on loopback, in this process,
//! and an app on `MinimalPlugins` with a generated city and its simulated store.

use std::time::Duration;

use twinhall_core::sim::Simulation;

/// Serves `sim` on a loopback port (its own tokio runtime thread, ticking every 200 ms, orders
/// in `orders`); the base URL.
pub fn serve_sim(sim: Simulation, orders: std::path::PathBuf) -> String {
    serve(twinhall_feed::Source::Sim(Box::new(sim)), orders)
}

/// Serves any source (a simulation, a recording) as [`serve_sim`] does.
pub fn serve(source: twinhall_feed::Source, orders: std::path::PathBuf) -> String {
    let config = twinhall_feed::ServerConfig {
        token: String::new(),
        tick: Duration::from_millis(200),
        history: 512,
        orders_path: orders,
        record: None,
    };
    let shared = twinhall_feed::shared(source, config).expect("server state");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send addr");
            tokio::spawn(twinhall_feed::run_ticker(shared.clone()));
            let _ = twinhall_feed::serve(listener, shared).await;
        });
    });
    format!("http://{}", rx.recv_timeout(Duration::from_secs(10)).expect("the server starts"))
}

/// An app on `MinimalPlugins` with a generated city (400 blocks, seed 5), its simulated store
/// (40 units, 60 cameras, 80 incidents, 10 s on, synced), a manual 250 ms clock, the inputs, the
/// shipped settings, and the shared context (the view a briefing or a remote command changes:
/// layers, filter, heat map, selection). Each test adds the plugins it tries.
pub fn city_app() -> bevy::prelude::App {
    use std::sync::Arc;

    use bevy::prelude::*;
    use twinhall_core::config::CitySource;

    let source = CitySource::Generated(400);
    let model = Arc::new(twinhall_core::generate::generate_city(400, 5, twinhall_core::LonLat::new(114.06, 22.54)));
    let mut sim = Simulation::new(
        &model,
        twinhall_core::sim::SimConfig { units: 40, cameras: 60, incidents: 80, ..Default::default() },
    );
    sim.step(10_000);
    let mut data = crate::feed::FeedData::default();
    data.apply_snapshot(sim.snapshot());
    data.synced = true;
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(bevy::time::TimeUpdateStrategy::ManualDuration(Duration::from_millis(250)))
        .init_resource::<ButtonInput<KeyCode>>()
        .init_resource::<ButtonInput<MouseButton>>()
        .init_resource::<bevy::input::mouse::AccumulatedMouseScroll>()
        .insert_resource(crate::settings::tests::settings_for(source.clone()))
        .insert_resource(crate::context::City { model, source })
        .insert_resource(data)
        .add_plugins(crate::context::plugin);
    app
}
