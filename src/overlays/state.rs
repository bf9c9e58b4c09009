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

impl OverlayLayers {
    /// These layers with what `l` names switched (a briefing's step, a remote command).
    pub fn switched(&self, l: &twinhall_core::theatre::Layers) -> Self {
        let mut out = self.clone();
        for (slot, v) in [
            (&mut out.incidents, l.incidents),
            (&mut out.units, l.units),
            (&mut out.cameras, l.cameras),
            (&mut out.cones, l.cones),
            (&mut out.facilities, l.facilities),
            (&mut out.depots, l.depots),
            (&mut out.sensors, l.sensors),
            (&mut out.areas, l.areas),
            (&mut out.labels, l.labels),
        ] {
            if let Some(v) = v {
                *slot = v;
            }
        }
        if let Some(level) = l.area_level {
            out.area_level = level;
        }
        out
    }
}

/// Which incidents and units the map shows: a briefing step's filter (category, least severity,
/// status, unit kind); the default shows everything.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct IncidentFilter(pub twinhall_core::theatre::Filter);

impl IncidentFilter {
    pub fn admits(&self, i: &twinhall_core::protocol::Incident) -> bool {
        self.0.admits_incident(i.category, i.severity, i.status)
    }

    pub fn admits_unit(&self, kind: twinhall_core::protocol::UnitKind) -> bool {
        self.0.admits_unit(kind)
    }
}

/// What the area choropleth colours: an aspect of the index (the overall index when none), and
/// only the descendants of one area (the heartbeat hub's drill-down) when set.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct AreaChoropleth {
    pub aspect: Option<twinhall_core::protocol::IndexAspect>,
    pub within: Option<String>,
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
