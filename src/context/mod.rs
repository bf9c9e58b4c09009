//! The shared context every feature depends on, and that depends on no feature (rerun's
//! `re_viewer_context`): when things happen, the map's view, the city handle, the layers, the
//! messages features send each other, claims, and the palette. Features never import each other's
//! vocabulary; they meet here. See docs/ARCHITECTURE.md.

mod camera;
mod city;
mod claims;
mod framing;
mod journal;
mod layers;
mod messages;
mod palette;
mod png;
mod schedule;
mod surface;
mod view;
mod wall;

pub use crate::settings::Settings;
pub use camera::{HomeView, MirrorView, OperatorCamera, OrbitCamera, fit_distance_m};
pub use city::{City, source_name};
pub use claims::{ArrowKeys, LabelSource};
pub use framing::{Framed, FreeNdc, FreeRegion, Reserved, frame_in, project};
pub use journal::AppJournal;
pub use layers::{
    AreaChoropleth, DefenceView, IncidentFilter, LayerVisibility, MapLayers, OverlayLayers, layers_now, switch_layers,
};
pub use messages::{FeedRef, FlyTo, FocusIncident, NearHere, Selection, TheatreCommand};
pub use palette::{Tone, contrast, darken_to_contrast, linear, luminance, severity_rgb, text_on};
pub use png::{png_bytes, save_png};
pub use schedule::{AppSystems, MapPass, PanelSystems};
pub use surface::MapUi;
pub use view::{
    ConsoleFree, ConsoleRect, OverlayView, PickView, ViewRect, egui_rect, layout_area, layout_rect, local_of, scene_of,
    ui_scale_for_height, update_view,
};
pub use wall::{TileView, Wall, WallCamera, WallRole};

use bevy::prelude::*;

/// The context's sets, resources and messages. Added first: every feature's plugin expects them.
pub fn plugin(app: &mut App) {
    app.add_plugins((
        schedule::plugin,
        view::plugin,
        layers::plugin,
        messages::plugin,
        claims::plugin,
        journal::plugin,
        framing::plugin,
    ));
}
