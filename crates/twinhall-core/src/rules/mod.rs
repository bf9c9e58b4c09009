//! The tactile hub's GPU-free engine (触觉中枢): warning rules from `config/rules.toml`,
//! evaluated incrementally on the feed's changes, and the alerts they raise.
//!
//! - [`config`]: the rules file, its errors (`FILE:LINE: FIELD: message`) and the check against
//!   the feed's sensor kinds and areas;
//! - one file per rule kind: `threshold` (hysteresis, minimum duration), `rate` (change over
//!   a window), `stale` (silent past its period), `geofence` (units entering or leaving),
//!   `fence_incidents` (too many incidents in a fence), `cluster` (incidents close together);
//!   cameras offline per area are counted in the evaluator beside the cameras;
//! - `fence`: fences from areas and polygons, with a grid index; `timers`: the deadline heap;
//! - [`evaluator`]: the incremental evaluator; [`reference`]: the full rescan it is tested and
//!   measured against;
//! - [`alerts`]: alerts keyed by rule and subject, their lifecycle
//!   new → acknowledged → incident | dismissed.

pub mod alerts;
mod cluster;
pub mod config;
pub mod evaluator;
mod fence;
mod fence_incidents;
mod geofence;
mod rate;
pub mod reference;
mod stale;
mod threshold;
mod timers;

#[cfg(test)]
mod tests;

pub use alerts::{Alert, AlertBook, AlertError, AlertEvent, Edge, Stage};
pub use config::{DEFAULT_RULES, Rule, RuleKind, Rules, RulesError};
pub use evaluator::Evaluator;
pub use reference::FullRescan;
