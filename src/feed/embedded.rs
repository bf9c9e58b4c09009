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
use twinhall_core::protocol::{DispatchOrder, DispatchRequest};
use twinhall_core::sim::{SimConfig, Simulation};

use super::{FeedLink, FeedStatus, NoSource};
use crate::Settings;
use crate::city::City;

const TICK: Duration = Duration::from_secs(1);

/// An order for the in-process simulator and where its answer goes.
struct EmbeddedOrder {
    key: String,
    request: DispatchRequest,
    reply: Sender<Result<DispatchOrder, SendError>>,
}

/// Sends dispatch orders to the embedded simulator (the in-process stand-in for
/// `POST /v1/dispatch`).
#[derive(Resource, Clone)]
pub struct EmbeddedDispatch {
    tx: Sender<EmbeddedOrder>,
}

impl DispatchSink for EmbeddedDispatch {
    fn send(&self, key: &str, request: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>> {
        let (reply, rx) = bounded(1);
        let order = EmbeddedOrder { key: key.to_owned(), request: request.clone(), reply };
        if let Err(e) = self.tx.try_send(order) {
            let _ =
                e.into_inner().reply.send(Err(SendError::Unconfirmed("the embedded simulator is busy or gone".into())));
        }
        rx
    }
}

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

type Answered = HashMap<String, (DispatchRequest, Result<DispatchOrder, String>)>;

/// Applies one order to the simulation, or returns the first answer for a key seen before.
fn handle_order(sim: &mut Simulation, answered: &mut Answered, order: EmbeddedOrder) {
    let result = match answered.get(&order.key) {
        Some((first, _)) if *first != order.request => {
            Err(SendError::Rejected("this Idempotency-Key was used with another body".into()))
        }
        Some((_, first)) => first.clone().map_err(SendError::Rejected),
        None => {
            let r = sim.dispatch(&order.request).map_err(|e| e.to_string());
            answered.insert(order.key.clone(), (order.request.clone(), r.clone()));
            r.map_err(SendError::Rejected)
        }
    };
    let _ = order.reply.send(result);
}

fn start_embedded_feed(
    mut commands: Commands,
    settings: Res<Settings>,
    city: Res<City>,
    status: Option<ResMut<FeedStatus>>,
) {
    if !settings.config.feed.url.is_empty() {
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
    let spawned = std::thread::Builder::new().name("twinhall-embedded-feed".into()).spawn(move || {
        let config = SimConfig { start_ms: now_ms, incidents: 12, ..SimConfig::default() };
        let mut sim = Simulation::new(&model, config);
        let mut answered = Answered::new();
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
