//! What the hub needs of the city, built once per city off the main thread: the road graph, the
//! travel-time ranker over it, and the index of building footprints for line of sight.

use std::sync::Arc;
use std::time::Instant;

use crate::context::City;
use bevy::prelude::*;
use crossbeam_channel::Receiver;
use twinhall_core::hub::rank::Ranker;
use twinhall_core::hub::sight::BuildingIndex;
use twinhall_core::routing::RoadGraph;

/// The city's road ranker and building index, ready for queries.
#[derive(Resource, Clone)]
pub struct HubContext {
    pub graph: Arc<RoadGraph>,
    pub ranker: Arc<Ranker>,
    pub buildings: Arc<BuildingIndex>,
    /// How long building them took, for the log and the panel.
    pub build_ms: f64,
}

/// The context being built for the current city.
#[derive(Resource)]
struct Building(Receiver<HubContext>);

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, (start_build, finish_build).chain().in_set(crate::context::AppSystems::City));
}

/// Builds the context for the city: synchronously, for tests and tools.
pub fn build_context(city: &City) -> HubContext {
    let t = Instant::now();
    let graph = RoadGraph::from_city(&city.model);
    let ranker = Ranker::new(&graph);
    let buildings = BuildingIndex::new(&city.model.buildings);
    HubContext {
        graph: Arc::new(graph),
        ranker: Arc::new(ranker),
        buildings: Arc::new(buildings),
        build_ms: t.elapsed().as_secs_f64() * 1000.0,
    }
}

fn start_build(mut commands: Commands, city: Res<City>) {
    if !city.is_changed() {
        return;
    }
    commands.remove_resource::<HubContext>();
    let (tx, rx) = crossbeam_channel::bounded(1);
    let city = city.clone();
    match std::thread::Builder::new().name("twinhall-hub-context".into()).spawn(move || {
        let _ = tx.send(build_context(&city));
    }) {
        Ok(_) => commands.insert_resource(Building(rx)),
        Err(e) => error!("hub: road ranking not started: {e}"),
    }
}

fn finish_build(mut commands: Commands, building: Option<Res<Building>>) {
    let Some(building) = building else { return };
    if let Ok(ctx) = building.0.try_recv() {
        info!(
            "hub: road graph {} nodes, {} buildings indexed in {:.0} ms",
            ctx.graph.node_count(),
            ctx.buildings.len(),
            ctx.build_ms
        );
        commands.insert_resource(ctx);
        commands.remove_resource::<Building>();
    }
}
