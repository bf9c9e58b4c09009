//! The `[hub]` section: the action hub.

use serde::{Deserialize, Serialize};

/// The action hub (行动中枢).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubConfig {
    /// Radius of the surroundings drawn and listed around a focused incident, metres.
    pub radius_m: f64,
    /// Plans file (预案); empty uses the built-in copy of config/plans.toml.
    pub plans: String,
    /// The dispatch journal (SQLite); empty is ~/.local/share/twinhall/journal.sqlite.
    pub journal: String,
    /// Seconds the undo bar shows before a dispatch order leaves.
    pub undo_seconds: f32,
    /// Seconds without an answer before an order is shown as unconfirmed (and resent).
    pub unconfirmed_seconds: f32,
    /// Focus this incident once the feed is live: an id, `auto` (the most severe open incident)
    /// or empty (none).
    pub focus: String,
    /// With `focus`: dispatch its recommended plan once (scripted demos).
    pub dispatch_plan: bool,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            radius_m: 500.0,
            plans: String::new(),
            journal: String::new(),
            undo_seconds: 3.0,
            unconfirmed_seconds: 10.0,
            focus: String::new(),
            dispatch_plan: false,
        }
    }
}
