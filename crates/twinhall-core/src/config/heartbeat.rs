//! The `[heartbeat]` section: the heartbeat hub's efficiency supervision.

use serde::{Deserialize, Deserializer, Serialize};

/// The heartbeat hub (心跳中枢): efficiency supervision (效能监管).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeartbeatConfig {
    /// Hours an open case may take from its report before it is overdue, by category name
    /// (`fire`, `public_order` ...); a category left out keeps its default
    /// ([`crate::metrics::DEFAULT_LIMITS_H`]).
    #[serde(deserialize_with = "limits_over_defaults")]
    pub limits_h: std::collections::BTreeMap<String, f64>,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        Self { limits_h: crate::metrics::DEFAULT_LIMITS_H.iter().map(|(c, h)| (c.name().to_owned(), *h)).collect() }
    }
}

impl HeartbeatConfig {
    /// The time limits, as efficiency supervision takes them (the config is validated on load,
    /// so only a hand-built config can fail here).
    pub fn limits(&self) -> Result<crate::metrics::EfficiencyLimits, String> {
        crate::metrics::EfficiencyLimits::from_names(&self.limits_h)
    }
}

fn limits_over_defaults<'de, D: Deserializer<'de>>(d: D) -> Result<std::collections::BTreeMap<String, f64>, D::Error> {
    let mut limits = HeartbeatConfig::default().limits_h;
    limits.extend(std::collections::BTreeMap::<String, f64>::deserialize(d)?);
    Ok(limits)
}
