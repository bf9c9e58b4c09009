//! The `[defence]` section: the defence hub.

use serde::{Deserialize, Serialize};

/// The defence hub (防御中枢).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DefenceConfig {
    /// The incident heat map on the ground at start (the panel turns it on and off).
    pub heat: bool,
}
