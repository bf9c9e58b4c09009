//! What the user chose and pointed at: the layers shown, the hovered and selected entity, and
//! "cameras near here".

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::protocol::{AreaLevel, EntityKind};

/// Which overlay layers show, and the area level of the choropleth.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct OverlayLayers {
    pub incidents: bool,
    pub units: bool,
    pub cameras: bool,
    pub cones: bool,
    pub facilities: bool,
    pub depots: bool,
    pub sensors: bool,
    pub areas: bool,
    pub labels: bool,
    pub area_level: AreaLevel,
}

impl Default for OverlayLayers {
    fn default() -> Self {
        Self {
            incidents: true,
            units: true,
            cameras: true,
            cones: true,
            facilities: true,
            depots: true,
            sensors: true,
            areas: true,
            labels: true,
            area_level: AreaLevel::District,
        }
    }
}

/// An entity of the feed, by kind and id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FeedRef {
    pub kind: EntityKind,
    pub id: String,
}

/// What the user pointed at: hovered, selected (detail panel), and the cameras covering a point
/// that was right-clicked.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Selection {
    pub hovered: Option<FeedRef>,
    pub selected: Option<FeedRef>,
    pub near_here: Option<NearHere>,
}

/// "Cameras near here": the point and the cameras whose view covers it, nearest first.
#[derive(Debug, Clone, PartialEq)]
pub struct NearHere {
    pub at: LonLat,
    pub cameras: Vec<(String, f64)>,
}
