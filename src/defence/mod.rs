//! The defence hub (防御中枢): risks found in the data before they break out. The incident
//! history comes from the backend (`GET /v1/incidents/history`, or the embedded simulator's),
//! then every incident the feed reports joins it; from it:
//!
//! - key grids (重点网格): each grid's count of each category in the window against its own
//!   baseline, scored by `twinhall_core::risk` (a Poisson tail under a Gamma prior, flagged
//!   under a Bonferroni threshold), outlined on the twin with their reason (`scene.rs`);
//! - key places (重点场所): schools, hospitals and shelters in or next to a key grid;
//! - a heat map of the window's incidents, a kernel density drawn by a shader on the ground
//!   (`heat.rs`), with its colour scale in the panel (`panel.rs`).
//!
//! Scores are recomputed when the history arrives, when the view changes, and every
//! `RESCORE` (`scores.rs`) as the window slides; the heat map only when its points or the view change.

mod heat;
mod history;
mod panel;
mod scene;
mod scores;

#[cfg(test)]
mod tests;

pub use heat::{HeatGrid, HeatLegend, HeatMaterial, heat_grid};
pub use panel::DefenceUi;
pub use scores::{Defence, HeatPoint};

use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Defence>()
        .add_systems(PreStartup, scores::init_view)
        .init_resource::<HeatLegend>()
        .add_systems(Update, (scores::follow_feed, scores::rescore).chain().in_set(crate::context::AppSystems::Analyse))
        .add_plugins((history::plugin, heat::plugin, scene::plugin, panel::plugin));
}
