//! What the app's headless tests share: a real twinhall-feed server on loopback, in this process.

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
