//! The embedded feed: with no backend URL, a worker thread runs the city simulator on the loaded
//! city in real time and sends a snapshot, then a batch a second, through a bounded channel. If
//! the app falls behind, the simulator waits for it rather than drop a batch. Dispatch orders
//! reach the same thread through [`EmbeddedDispatch`], with the idempotency rule of the
//! protocol: the same key returns the first answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender, bounded};
use twinhall_client::outbox::{DispatchSink, SendError};
use twinhall_client::{ClientEvent, LinkState};
use twinhall_core::protocol::{
    DispatchOrder, DispatchRequest, Incident, IncidentHistory, IncidentReport, IndexHistory, Millis,
};
use twinhall_core::sim::{SimConfig, Simulation};

use super::{FeedLink, FeedStatus, NoSource};
use crate::context::{City, Settings};

const TICK: Duration = Duration::from_secs(1);

/// A call for the in-process simulator and where its answer goes.
enum EmbeddedOrder {
    Dispatch { key: String, request: DispatchRequest, reply: Sender<Result<DispatchOrder, SendError>> },
    Report { key: String, report: IncidentReport, reply: Sender<Result<Incident, SendError>> },
    History { since: Millis, limit: usize, reply: Sender<Result<IncidentHistory, String>> },
    IndexHistory { since: Millis, limit: usize, reply: Sender<Result<IndexHistory, String>> },
}

/// Sends dispatch orders and incident reports to the embedded simulator (the in-process stand-in
/// for `POST /v1/dispatch` and `POST /v1/incidents`).
#[derive(Resource, Clone)]
pub struct EmbeddedDispatch {
    tx: Sender<EmbeddedOrder>,
}

impl DispatchSink for EmbeddedDispatch {
    fn send(&self, key: &str, request: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>> {
        let (reply, rx) = bounded(1);
        let order = EmbeddedOrder::Dispatch { key: key.to_owned(), request: request.clone(), reply };
        if let Err(e) = self.tx.try_send(order)
            && let EmbeddedOrder::Dispatch { reply, .. } = e.into_inner()
        {
            let _ = reply.send(Err(SendError::Unconfirmed(BUSY.into())));
        }
        rx
    }
}

impl twinhall_client::ReportSink for EmbeddedDispatch {
    fn report(&self, key: &str, report: &IncidentReport) -> Receiver<Result<Incident, SendError>> {
        let (reply, rx) = bounded(1);
        let order = EmbeddedOrder::Report { key: key.to_owned(), report: report.clone(), reply };
        if let Err(e) = self.tx.try_send(order)
            && let EmbeddedOrder::Report { reply, .. } = e.into_inner()
        {
            let _ = reply.send(Err(SendError::Unconfirmed(BUSY.into())));
        }
        rx
    }
}

impl EmbeddedDispatch {
    /// The simulator's incident history from `since` (the stand-in for
    /// `GET /v1/incidents/history`).
    pub fn history(&self, since: Millis, limit: usize) -> Receiver<Result<IncidentHistory, String>> {
        let (reply, rx) = bounded(1);
        if let Err(e) = self.tx.try_send(EmbeddedOrder::History { since, limit, reply })
            && let EmbeddedOrder::History { reply, .. } = e.into_inner()
        {
            let _ = reply.send(Err(BUSY.into()));
        }
        rx
    }

    /// The simulator's governance index history from `since` (the stand-in for
    /// `GET /v1/index/history`).
    pub fn index_history(&self, since: Millis, limit: usize) -> Receiver<Result<IndexHistory, String>> {
        let (reply, rx) = bounded(1);
        if let Err(e) = self.tx.try_send(EmbeddedOrder::IndexHistory { since, limit, reply })
            && let EmbeddedOrder::IndexHistory { reply, .. } = e.into_inner()
        {
            let _ = reply.send(Err(BUSY.into()));
        }
        rx
    }
}

const BUSY: &str = "the embedded simulator is busy or gone";

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, start_embedded_feed);
}

/// Sends, waiting while the app's queue is full; false once the app is gone.
fn send(tx: &Sender<ClientEvent>, mut ev: ClientEvent, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        match tx.send_timeout(ev, Duration::from_millis(200)) {
            Ok(()) => return true,
            Err(SendTimeoutError::Timeout(back)) => ev = back,
            Err(SendTimeoutError::Disconnected(_)) => return false,
        }
    }
}

/// The first answer for each key, by call: the same key returns it again (the protocol's rule).
#[derive(Default)]
struct Answered {
    dispatch: HashMap<String, (DispatchRequest, Result<DispatchOrder, String>)>,
    reports: HashMap<String, (IncidentReport, Result<Incident, String>)>,
}

/// The first answer for `key`, or `make`'s, kept.
fn once<Q: PartialEq + Clone, A: Clone>(
    answered: &mut HashMap<String, (Q, Result<A, String>)>,
    key: String,
    body: &Q,
    make: impl FnOnce() -> Result<A, String>,
) -> Result<A, SendError> {
    match answered.get(&key) {
        Some((first, _)) if first != body => {
            Err(SendError::Rejected("this Idempotency-Key was used with another body".into()))
        }
        Some((_, first)) => first.clone().map_err(SendError::Rejected),
        None => {
            let r = make();
            answered.insert(key, (body.clone(), r.clone()));
            r.map_err(SendError::Rejected)
        }
    }
}

/// Applies one call to the simulation, or returns the first answer for a key seen before.
fn handle_order(sim: &mut Simulation, answered: &mut Answered, order: EmbeddedOrder) {
    match order {
        EmbeddedOrder::Dispatch { key, request, reply } => {
            let r = once(&mut answered.dispatch, key, &request, || sim.dispatch(&request).map_err(|e| e.to_string()));
            let _ = reply.send(r);
        }
        EmbeddedOrder::Report { key, report, reply } => {
            let r = once(&mut answered.reports, key, &report, || sim.report(&report).map_err(|e| e.to_string()));
            let _ = reply.send(r);
        }
        EmbeddedOrder::History { since, limit, reply } => {
            let _ = reply.send(Ok(sim.history(since, limit)));
        }
        EmbeddedOrder::IndexHistory { since, limit, reply } => {
            let _ = reply.send(Ok(sim.index_history(since, limit)));
        }
    }
}

/// Hot spots' head start: with any, the city has run this long with them when the wall opens.
const HOTSPOT_HEAD_START_MS: i64 = 3_600_000;

/// The embedded city: with hot spots (a demo of the defence hub), started an hour ago with
/// them and run to now in ten-second steps, so that there is something to find when the wall
/// opens. A hot spot that does not parse or names no grid is logged and left out.
fn new_simulation(model: &twinhall_core::CityModel, hotspots: &[String], now_ms: i64) -> Simulation {
    let base = SimConfig { start_ms: now_ms, incidents: 12, ..SimConfig::default() };
    if hotspots.is_empty() {
        return Simulation::new(model, base);
    }
    let start_ms = now_ms - HOTSPOT_HEAD_START_MS;
    let mut sim = Simulation::new(model, SimConfig { start_ms, ..base });
    for spec in hotspots {
        let added = twinhall_core::sim::InjectedHotspot::parse(spec)
            .and_then(|h| sim.inject_hotspot(&h.grid_id, h.category, h.factor).map_err(|e| e.to_string()));
        match added {
            Ok(()) => info!("embedded feed: hot spot {spec}"),
            Err(e) => error!("embedded feed: hot spot `{spec}` left out: {e}"),
        }
    }
    while sim.now_ms() < now_ms {
        sim.step(10_000);
        let _ = sim.take_batch();
    }
    sim
}

fn start_embedded_feed(
    mut commands: Commands,
    settings: Res<Settings>,
    city: Res<City>,
    status: Option<ResMut<FeedStatus>>,
) {
    // A follower of a wall of several machines takes its feed from the leader.
    if !settings.config.feed.url.is_empty() || settings.config.wall.follows() {
        return;
    }
    if city.model.roads.is_empty() {
        // Logged once (this runs at start-up) and shown in the status bar and banner, which would
        // otherwise say "connecting" forever.
        warn!(
            "embedded feed: the city {} has no roads, so the simulator has nowhere to put units; no live data",
            city.model.name
        );
        if let Some(mut status) = status {
            status.no_source = Some(NoSource::CityWithoutRoads { city: city.model.name.clone() });
        }
        return;
    }
    let (tx, rx) = bounded::<ClientEvent>(64);
    let (order_tx, order_rx) = bounded::<EmbeddedOrder>(64);
    let model = city.model.clone();
    let now_ms = twinhall_core::protocol::now_ms();
    let stop = Arc::new(AtomicBool::new(false));
    let hotspots = settings.config.feed.hotspots.clone();
    let spawned = std::thread::Builder::new().name("twinhall-embedded-feed".into()).spawn(move || {
        let mut sim = new_simulation(&model, &hotspots, now_ms);
        let mut answered = Answered::default();
        if !send(&tx, ClientEvent::Snapshot(Box::new(sim.snapshot())), &stop)
            || !send(&tx, ClientEvent::State(LinkState::Live), &stop)
        {
            return;
        }
        loop {
            // Orders are answered as they come; the city steps once a tick.
            let next = Instant::now() + TICK;
            loop {
                let left = next.saturating_duration_since(Instant::now());
                match order_rx.recv_timeout(left) {
                    Ok(order) => handle_order(&mut sim, &mut answered, order),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        std::thread::sleep(left);
                        break;
                    }
                }
            }
            sim.step(TICK.as_millis() as i64);
            if let Some(batch) = sim.take_batch()
                && !send(&tx, ClientEvent::Batch(Box::new(batch)), &stop)
            {
                return;
            }
        }
    });
    match spawned {
        Ok(_) => {
            info!("embedded feed: simulating {} in-process", city.model.name);
            commands.insert_resource(FeedLink { events: rx, client: None });
            commands.insert_resource(EmbeddedDispatch { tx: order_tx });
        }
        Err(e) => error!("embedded feed not started: {e}"),
    }
}
