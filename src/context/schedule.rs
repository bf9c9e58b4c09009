//! When things happen in a frame: the app's sets, chained once, the panels' set and the pass that
//! draws over the map.

use bevy::ecs::schedule::ScheduleLabel;
use bevy::prelude::*;

/// The app's per-frame work in `Update`, named by what happens, in this order (chained once, by
/// [`super::plugin`]). Feature code only does `.in_set(..)`.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppSystems {
    /// Drain the feed channel into the store (bounded, budgeted).
    Ingest,
    /// Commands from outside and from the presenter: the control API, the briefing's step.
    Commands,
    /// Input, flights, tours and a wall's leader move the camera.
    Camera,
    /// The map's view from this frame's camera, and the store's changes the layers will show.
    View,
    /// The city's meshes and the basemap's tiles for this view.
    City,
    /// The hubs think: focus, surroundings, rules, risks, metrics.
    Analyse,
    /// Overlay entities, rings, marks and highlights from what changed.
    Draw,
    /// Labels laid out and what the pointer is over.
    Layout,
    /// Screenshots, exports and exit bookkeeping.
    Capture,
}

/// The side panels, status bar and console windows (egui's primary pass), after fonts and scale.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PanelSystems;

/// The pass that draws over the map (labels, tags, the theatre's cards, the HUD): the wall's own
/// egui pass with `--wall`, else run inside the one window's pass after its panels.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct MapPass;

pub(super) fn plugin(app: &mut App) {
    app.configure_sets(
        Update,
        (
            AppSystems::Ingest,
            AppSystems::Commands,
            AppSystems::Camera,
            AppSystems::View,
            AppSystems::City,
            AppSystems::Analyse,
            AppSystems::Draw,
            AppSystems::Layout,
            AppSystems::Capture,
        )
            .chain(),
    )
    .init_schedule(MapPass);
}
