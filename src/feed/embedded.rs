//! The embedded feed: with no backend URL, a worker thread runs the city simulator on the loaded
//! city in real time and sends a snapshot, then a batch a second, through a bounded channel. If
//! the app falls behind, the simulator waits for it rather than drop a batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bevy::prelude::*;
use crossbeam_channel::{SendTimeoutError, Sender, bounded};
use twinhall_client::{ClientEvent, LinkState};
use twinhall_core::sim::{SimConfig, Simulation};

use super::FeedLink;
use crate::Settings;
use crate::city::City;

const TICK: Duration = Duration::from_secs(1);

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

fn start_embedded_feed(mut commands: Commands, settings: Res<Settings>, city: Res<City>) {
    if !settings.config.feed.url.is_empty() || city.model.roads.is_empty() {
        return;
    }
    let (tx, rx) = bounded::<ClientEvent>(64);
    let model = city.model.clone();
    let now_ms = twinhall_core::protocol::now_ms();
    let stop = Arc::new(AtomicBool::new(false));
    let spawned = std::thread::Builder::new().name("twinhall-embedded-feed".into()).spawn(move || {
        let config = SimConfig { start_ms: now_ms, incidents: 12, ..SimConfig::default() };
        let mut sim = Simulation::new(&model, config);
        if !send(&tx, ClientEvent::Snapshot(Box::new(sim.snapshot())), &stop)
            || !send(&tx, ClientEvent::State(LinkState::Live), &stop)
        {
            return;
        }
        loop {
            std::thread::sleep(TICK);
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
        }
        Err(e) => error!("embedded feed not started: {e}"),
    }
}
