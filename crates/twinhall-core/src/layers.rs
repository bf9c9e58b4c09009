//! The map's layers as a briefing step or the control API switches them, and as the leader of a
//! wall sends them to its followers (`crate::theatre::Layers` names it too).

use serde::{Deserialize, Serialize};

use crate::protocol::AreaLevel;

/// Layers a step turns on (`true`) or off (`false`); a layer left out stays as it was.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Layers {
    pub incidents: Option<bool>,
    pub units: Option<bool>,
    pub cameras: Option<bool>,
    pub cones: Option<bool>,
    pub facilities: Option<bool>,
    pub depots: Option<bool>,
    pub sensors: Option<bool>,
    pub areas: Option<bool>,
    pub labels: Option<bool>,
    /// The defence hub's incident heat map.
    pub heat: Option<bool>,
    /// The defence hub's key grids outlined on the twin.
    pub key_grids: Option<bool>,
    pub buildings: Option<bool>,
    pub roads: Option<bool>,
    pub railways: Option<bool>,
    pub water: Option<bool>,
    pub green: Option<bool>,
    /// Level the area choropleth colours.
    pub area_level: Option<AreaLevel>,
}
