//! The action hub (行动中枢): a leader picks an incident (map click, the hub's list, search or
//! the attention card), sees what surrounds it (cameras that can see it, facilities, supplies,
//! population, sensors), gets the plan (预案) filled with the units that arrive first by road,
//! dispatches them with one action behind a short undo bar, and watches them arrive.
//!
//! The domain logic is GPU-free in `twinhall_core::hub`; these plugins adapt it to the ECS:
//! `context.rs` builds the road ranker and the building index for the city off the main thread,
//! `analysis.rs` computes the focused incident's surroundings and recommendation when the focus,
//! the radius or (once a second) the data changed, `attention.rs` raises the card for new severe
//! incidents, `dispatch.rs` sends orders through the journal (exactly once, across restarts),
//! `scene.rs` draws the radius ring and the sight lines on the twin, `panel/` is the egui side;
//! `state.rs` holds the plans and the hub's state, `focus.rs` what focuses an incident.

mod analysis;
mod attention;
mod context;
mod dispatch;
mod focus;
mod panel;
mod report;
mod scene;
mod state;

#[cfg(test)]
mod tests;

pub use analysis::{FocusAnalysis, RankedUnit, Recommendation};
pub use attention::AttentionQueue;
pub use context::HubContext;
pub use dispatch::{DispatchTiming, HubOutbox, UndoBar};
pub use panel::HubUi;
pub use state::{HubPlans, HubState, load_plans};

use bevy::prelude::*;

use crate::context::FocusIncident;

pub(super) fn plugin(app: &mut App) {
    app.add_message::<FocusIncident>()
        .add_systems(PreStartup, state::init_state)
        .add_systems(
            Update,
            // A focus is a command: taken before the camera moves, so its flight starts this frame.
            (focus::scripted_focus, focus::focus_from_selection, focus::apply_focus)
                .chain()
                .after(crate::context::AppSystems::Commands)
                .before(crate::context::AppSystems::Camera),
        )
        .add_systems(
            Update,
            focus::scripted_dispatch.in_set(crate::context::AppSystems::Analyse).after(analysis::analyse),
        )
        .add_plugins((
            context::plugin,
            analysis::plugin,
            attention::plugin,
            dispatch::plugin,
            scene::plugin,
            panel::plugin,
            report::plugin,
        ));
}
