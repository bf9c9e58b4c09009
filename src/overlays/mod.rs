//! Live overlays on the twin, drawn from the feed store: incidents, cameras (with view cones),
//! facilities, supply depots, sensors, units (moving smoothly between reports, with trails) and
//! grid areas (outlines and a four-colour choropleth), with labels decluttered by priority,
//! clusters when zoomed out, search, hover, click details and "cameras near here".
//!
//! Work happens on change: `collect_changes` takes the store's changed slots once a frame and
//! each layer rebuilds only when its kind changed (or the view crossed a cluster step). Icons are
//! screen-space quads drawn by shaders (shaders://overlay_icon.wgsl, shaders://pulse_ring.wgsl);
//! units move on the GPU between reports. The GPU-free parts live in `twinhall_core::overlay`.

mod areas;
mod changes;
mod cones;
mod icons;
mod labels;
mod material;
mod panel;
mod pick;
mod routes;
mod spatial;
pub mod text;
mod units;

#[cfg(test)]
mod tests;

pub use changes::OverlayChanges;
pub use icons::IconMeshes;
pub use labels::{Label, LabelLayout, unit_eta_s};
pub use material::{Icon, IconMaterial, IconVerts, RingMaterial, Shape};
pub use panel::{request_image, request_still};
pub use spatial::{KindIndex, Spatial};

use crate::context::AppSystems;
use bevy::prelude::*;

pub fn plugin(app: &mut App) {
    app.init_resource::<OverlayChanges>()
        .init_resource::<crate::context::Reserved>()
        .init_resource::<Spatial>()
        .add_systems(Update, changes::collect_changes.in_set(AppSystems::View).after(crate::context::update_view))
        .add_plugins((
            material::plugin,
            icons::plugin,
            units::plugin,
            routes::plugin,
            cones::plugin,
            areas::plugin,
            labels::plugin,
            pick::plugin,
            panel::plugin,
        ));
}
