//! The embedded feed: with no backend URL, a worker thread runs the city simulator on the loaded
//! city in real time and sends a snapshot, then a batch a second, through a bounded channel.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bevy::prelude::*;
use crossbeam_channel::{Receiver, SendTimeoutError, bounded};
use twinhall_core::protocol::{Batch, Snapshot};
use twinhall_core::sim::{SimConfig, Simulation};

use crate::Settings;
use crate::city::City;

/// What a feed delivers.
#[derive(Debug)]
pub enum FeedMessage {
    Snapshot(Box<Snapshot>),
    Batch(Box<Batch>),
}

/// The receiving end; dropping it stops the worker.
#[derive(Resource)]
pub struct FeedReceiver(pub Receiver<FeedMessage>);

const TICK: Duration = Duration::from_secs(1);

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, start_embedded_feed);
}

fn start_embedded_feed(mut commands: Commands, settings: Res<Settings>, city: Res<City>) {
    if !settings.config.feed.url.is_empty() || city.model.roads.is_empty() {
        return;
    }
    let (tx, rx) = bounded::<FeedMessage>(64);
    let model = city.model.clone();
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    let spawned = std::thread::Builder::new().name("twinhall-embedded-feed".into()).spawn(move || {
        let mut sim = Simulation::new(&model, SimConfig { start_ms: now_ms, ..SimConfig::default() });
        if tx.send(FeedMessage::Snapshot(Box::new(sim.snapshot()))).is_err() {
            return;
        }
        let mut warned = false;
        loop {
            std::thread::sleep(TICK);
            sim.step(TICK.as_millis() as i64);
            let Some(batch) = sim.take_batch() else { continue };
            match tx.send_timeout(FeedMessage::Batch(Box::new(batch)), Duration::from_secs(5)) {
                Ok(()) => warned = false,
                Err(SendTimeoutError::Timeout(_)) => {
                    // The app is not draining (a stalled frame); say so once, keep simulating.
                    if !warned {
                        warn!("embedded feed: the app has not taken a batch for 5 s; batches are dropped");
                        warned = true;
                    }
                }
                Err(SendTimeoutError::Disconnected(_)) => return,
            }
        }
    });
    match spawned {
        Ok(_) => {
            info!("embedded feed: simulating {} in-process", city.model.name);
            commands.insert_resource(FeedReceiver(rx));
        }
        Err(e) => error!("embedded feed not started: {e}"),
    }
}
