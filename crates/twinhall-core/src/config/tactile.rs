//! The `[tactile]` section: the tactile hub's rules and alerts.

use serde::{Deserialize, Serialize};

/// The tactile hub (触觉中枢): warning rules and their alerts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TactileConfig {
    /// Rules file (预警规则); empty uses the built-in copy of config/rules.toml.
    pub rules: String,
    /// A short chime when an alert of at least `chime_severity` opens (the panel mutes it too).
    pub chime: bool,
    /// The least severity (1..=4) that chimes.
    pub chime_severity: u8,
    /// Who the alerts' record names as acknowledging, dismissing or reporting (the duty seat).
    pub operator: String,
}

impl Default for TactileConfig {
    fn default() -> Self {
        Self { rules: String::new(), chime: true, chime_severity: 3, operator: "值班席 Duty desk".into() }
    }
}
