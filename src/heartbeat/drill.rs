//! The drill-down: where the leader has drilled to and which aspect colours the map, the areas
//! ranked at that level, and the map's choropleth following it.

use bevy::prelude::*;
use twinhall_core::heartbeat::{RankedArea, Scope, rank, score_of};
use twinhall_core::protocol::{Area, AreaLevel, IndexAspect};

use crate::context::{AreaChoropleth, OverlayLayers};
use crate::feed::FeedData;

/// Where the leader has drilled to and which aspect colours the map.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct Drill {
    /// The aspect the areas are coloured by; the overall index when none.
    pub aspect: Option<IndexAspect>,
    /// Area ids from the city down to the area whose children are shown; empty: the city's
    /// districts.
    pub path: Vec<String>,
}

impl Drill {
    /// The area whose children are listed and coloured.
    pub fn parent(&self) -> Option<&str> {
        self.path.last().map(String::as_str)
    }
}

/// The level below an area's.
pub fn child_level(level: AreaLevel) -> Option<AreaLevel> {
    match level {
        AreaLevel::City => Some(AreaLevel::District),
        AreaLevel::District => Some(AreaLevel::Street),
        AreaLevel::Street => Some(AreaLevel::Community),
        AreaLevel::Community => Some(AreaLevel::Grid),
        AreaLevel::Grid => None,
    }
}

/// An area's score on an aspect (its overall index when none is named or the area has no score
/// for it), for colouring.
pub fn area_score(a: &Area, aspect: Option<IndexAspect>) -> f32 {
    score_of(a, aspect).map_or(a.governance_index, |(score, _)| score)
}

/// The areas the drill shows now, worst first: the children of the drilled area, or the top
/// level below the city (the districts) when nothing is drilled.
pub fn ranked_children(data: &FeedData, drill: &Drill) -> Vec<RankedArea> {
    let scope = match drill.parent() {
        Some(p) => Scope::Children(p),
        None => {
            let top = data.areas.iter().map(|(_, a)| a.level).filter(|l| *l != AreaLevel::City).min();
            Scope::Level(top.unwrap_or(AreaLevel::District))
        }
    };
    rank(data, scope, drill.aspect)
}

/// The map follows the drill: the level below the drilled area, only its children, coloured by
/// the chosen aspect.
pub(super) fn drive_choropleth(
    drill: Res<Drill>,
    data: Res<FeedData>,
    mut choropleth: ResMut<AreaChoropleth>,
    mut layers: ResMut<OverlayLayers>,
) {
    if !drill.is_changed() {
        return;
    }
    let within = drill.parent().map(str::to_owned);
    choropleth.set_if_neq(AreaChoropleth { aspect: drill.aspect, within: within.clone() });
    let level = match within.as_deref().and_then(|id| data.areas.get(id)) {
        Some(a) => child_level(a.level),
        None if drill.aspect.is_some() || !drill.path.is_empty() => Some(AreaLevel::District),
        None => None,
    };
    if let Some(level) = level
        && (layers.area_level != level || !layers.areas)
    {
        layers.area_level = level;
        layers.areas = true;
    }
}
