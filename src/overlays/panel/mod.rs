//! The overlays' part of the screen (egui): labels and cluster counts over the 3D view, the
//! layer panel (toggles with counts and the time of the last update, area level, legend), the
//! search box, the hover tooltip, the detail panel with every attribute the feed sent (and, for
//! a camera, its still fetched from the backend and decoded off the main thread) and the
//! "cameras near here" list. One file per window.

mod detail;
mod label_paint;
mod layers;
mod near_here;
mod still;
mod tooltip;

pub use still::{request_image, request_still};

use crate::context::PanelSystems;
use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<layers::SearchState>().init_resource::<detail::CameraStill>().add_systems(
        EguiPrimaryContextPass,
        (layers::layer_window, detail::detail_window, near_here::near_here_window, tooltip::tooltip)
            .chain()
            .after(PanelSystems),
    );
    app.add_systems(crate::context::MapPass, label_paint::paint_labels);
}
