//! The `twinhall-feed` command line (`src/main.rs` calls [`main`]): `twinhall-feed --city FILE
//! --listen ADDR --seed N` serves the feed protocol for a simulated city (or `--replay FILE`, a
//! recording). Errors in the arguments or files are one line and exit code 2. It lives in the
//! library so that tests of other crates can run the real backend's command line in a process
//! of their own (see [`main_from`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::{Limits, Replay, ServerConfig, Source, net, run_ticker, serve_with, shared_with, tls};
use clap::Parser;
use twinhall_core::config::{CityConfig, CitySource};
use twinhall_core::sim::{SimConfig, Simulation};

#[derive(Parser, Debug)]
#[command(
    name = "twinhall-feed",
    version,
    about = "Reference backend for the twinhall feed protocol (simulated city)",
    after_help = limits_help()
)]
struct Cli {
    /// City: embedded:helsinki, embedded:liechtenstein, generated:N, or an .osm.pbf / .osm / .osm.gz / .osm.bz2 / .geojson file.
    #[arg(long, default_value = "embedded:helsinki")]
    city: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8600")]
    listen: String,
    /// Seed of the simulation (the same seed gives the same city life).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 400)]
    cameras: usize,
    #[arg(long, default_value_t = 60)]
    units: usize,
    #[arg(long, default_value_t = 80)]
    sensors: usize,
    #[arg(long, default_value_t = 6)]
    supply_depots: usize,
    /// Incidents open at the start.
    #[arg(long, default_value_t = 12)]
    incidents: usize,
    /// New incidents per simulated minute (the mean over a day: the rate follows a daily rhythm).
    #[arg(long, default_value_t = 2.0)]
    incident_rate: f64,
    /// Days of past incidents made up at start, served by /v1/incidents/history for baselines
    /// (fewer when they would not fit the history's 500,000 incidents).
    #[arg(long, default_value_t = 28, value_parser = clap::value_parser!(u32).range(0..=35))]
    history_days: u32,
    /// Injects a hot spot from the start: the grid's rate (of one category, or `all`) times the
    /// factor (default 8, at most 1000), e.g. A4-37:dispute:8. Repeatable.
    #[arg(long = "hotspot", value_name = "GRID[:CATEGORY[:FACTOR]]", value_parser = twinhall_core::sim::InjectedHotspot::parse, conflicts_with = "replay")]
    hotspots: Vec<twinhall_core::sim::InjectedHotspot>,
    /// Milliseconds between batches.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    tick_ms: u64,
    /// Batches kept for resuming streams.
    #[arg(long, default_value_t = 600)]
    history: usize,
    /// Bearer token every call must carry (or TWINHALL_FEED_TOKEN); none by default.
    #[arg(long, env = "TWINHALL_FEED_TOKEN", default_value = "", hide_env_values = true)]
    token: String,
    /// SQLite database keeping dispatch orders, reported incidents and their idempotency keys
    /// across restarts. An old
    /// JSON-lines orders file given here (or a `.jsonl` path), or lying beside the database under
    /// the same name with `.jsonl`, is imported once into the `.sqlite` of that name.
    #[arg(long, default_value = "twinhall-feed-orders.sqlite")]
    orders: PathBuf,
    /// Idempotency keys are kept this long (seconds); a retry after it makes a new order.
    #[arg(long, default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    key_retention_secs: u64,
    /// A request's head (and a dispatch's body) must arrive within this many seconds; a
    /// kept-alive connection that sends no request for this long is closed.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_read_timeout_secs: u64,
    /// A connection that moves no byte either way for this many seconds is closed.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout_secs: u64,
    /// Connections served at once; more are answered 503 and closed (lowered to fit the
    /// open-files limit, which the server raises to its hard limit at start).
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Write the snapshot and every streamed batch to this file (JSON lines).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Serve a recording made with --record instead of simulating (--city is then unused).
    #[arg(long, conflicts_with = "record")]
    replay: Option<PathBuf>,
    /// PEM certificate chain: with --tls-key, the server speaks HTTPS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

/// The dispatch limits, for `--help` (docs/feed-protocol.md states them too).
fn limits_help() -> String {
    use crate::limits::{MAX_BODY_BYTES, MAX_KEY_BYTES, MAX_NOTE_CHARS, MAX_UNITS};
    format!(
        "Dispatch limits: an Idempotency-Key of at most {MAX_KEY_BYTES} bytes (400), a body of at most \
         {MAX_BODY_BYTES} bytes (413) arriving within --header-read-timeout-secs (408), at most {MAX_UNITS} \
         unit_ids with none twice and a note of at most {MAX_NOTE_CHARS} characters (422)."
    )
}

/// The binary's entry point: [`main_from`] with this process's arguments.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// Runs the command line `args` (the first one is the program name) to its end: serves until
/// interrupted, or prints the error and returns 2.
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::parse_from(args);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twinhall-feed: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
        _ => None,
    };
    let (source, what) = match &cli.replay {
        Some(path) => {
            let replay = Replay::load(path)?;
            let what = format!("the recording {} ({} batches)", path.display(), replay.remaining());
            (Source::Replay(Box::new(replay)), what)
        }
        None => simulate(&cli)?,
    };
    let config = ServerConfig {
        token: cli.token.clone(),
        tick: Duration::from_millis(cli.tick_ms),
        history: cli.history.max(1),
        orders_path: cli.orders.clone(),
        record: cli.record.clone(),
    };
    let limits = Limits {
        key_retention: Duration::from_secs(cli.key_retention_secs),
        header_read_timeout: Duration::from_secs(cli.header_read_timeout_secs),
        idle_timeout: Duration::from_secs(cli.idle_timeout_secs),
        max_connections: cli.max_connections as usize,
    };
    let open_files = net::raise_open_files_limit();
    tracing::debug!("open-files limit: {open_files:?}");
    let state = shared_with(source, config, limits)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(&cli.listen).await.map_err(|e| format!("--listen {}: {e}", cli.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!("twinhall-feed serving {what} on {scheme}://{addr}");
        crate::warn_if_exposed(&state, addr);

        // One line on stdout with the bound address, for scripts and tests that listen on port 0.
        println!("listening on {scheme}://{addr}");
        tokio::spawn(run_ticker(state.clone()));
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        serve_with(listener, state, tls, shutdown).await.map_err(|e| e.to_string())
    })
}

/// The simulated city the flags describe.
fn simulate(cli: &Cli) -> Result<(Source, String), String> {
    let source = CitySource::parse(&cli.city).map_err(|m| format!("--city: {m}"))?;
    let city = twinhall_core::load::load_source(&source, &CityConfig::default()).map_err(|e| e.to_string())?;
    let sim = Simulation::try_new(
        &city,
        SimConfig {
            seed: cli.seed,
            cameras: cli.cameras,
            units: cli.units,
            sensors: cli.sensors,
            supply_depots: cli.supply_depots,
            incidents: cli.incidents,
            incidents_per_minute: cli.incident_rate,
            // The simulated clock starts at the wall clock, so stills and times read as now.
            start_ms: twinhall_core::protocol::now_ms(),
            history_days: cli.history_days,
            hotspots: cli.hotspots.clone(),
        },
    )
    .map_err(|e| format!("--hotspot: {e}"))?;
    let what = format!(
        "{} ({} buildings, {} cameras, {} units, seed {})",
        city.name,
        city.buildings.len(),
        cli.cameras,
        cli.units,
        cli.seed
    );
    Ok((Source::Sim(Box::new(sim)), what))
}
