//! The tactile hub (触觉中枢): warning rules watch the feed's sensors, cameras, units and
//! incidents; a rule that starts to hold raises an alert; the duty officer acknowledges it, then
//! turns it into an incident (reported to the backend, then handled in the action hub) or
//! dismisses it with a reason.
//!
//! The rules and their incremental evaluation are GPU-free in `twinhall_core::rules`; these
//! plugins adapt them to the ECS: `engine.rs` feeds the evaluator the store's changes (through
//! [`crate::feed::FeedTap`]), keeps the alert book and writes every alert that changed to the
//! journal (the action hub's SQLite database, so a restart loses none), and carries out the
//! officer's actions; `scene.rs` pulses the open alerts on the twin; `chime.rs` rings a short
//! chime when a severe one opens; `panel.rs` is the egui list.

mod chime;
mod engine;
mod panel;
mod scene;

#[cfg(test)]
mod tests;

pub use chime::chime_wav;
pub use engine::{ActionKind, AlertAction, AlertOpened, AlertReporter, Tactile, incident_report, report_key};
pub use panel::TactileUi;

use std::path::Path;
use std::sync::Arc;

use bevy::prelude::*;
use twinhall_core::config::TactileConfig;
use twinhall_core::rules::Rules;

/// The warning rules in force.
#[derive(Resource, Clone, Debug)]
pub struct TactileRules(pub Arc<Rules>);

/// Loads the rules the config names (or the built-in ones); the error is one line naming file,
/// line and field.
pub fn load_rules(config: &TactileConfig) -> Result<Rules, String> {
    if config.rules.is_empty() {
        Rules::shipped().map_err(|e| e.to_string())
    } else {
        Rules::load(Path::new(&config.rules)).map_err(|e| e.to_string())
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((engine::plugin, scene::plugin, chime::plugin, panel::plugin));
}
