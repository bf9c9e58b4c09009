//! `config/rules.toml`: the warning rules, parsed and checked. A wrong file is one line naming
//! the file, the line and the field, as `config/plans.toml` does; a rule that names a sensor kind
//! or an area the feed does not have is caught by [`Rules::validate`] once the feed is loaded,
//! not left to match nothing.
//!
//! Two files: `model` (the rules, each kind's fields, the check against the feed) and `read`
//! (the file read and checked field by field).

mod model;
mod read;

pub use model::{
    CamerasOffline, Cluster, Direction, Fence, FenceEvent, FenceIncidents, Geofence, Rate, Rule, RuleKind, Rules,
    RulesError, Stale, StaleEntity, Threshold,
};
pub use read::DEFAULT_RULES;
