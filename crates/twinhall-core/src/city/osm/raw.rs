//! The elements of an OSM file that a city is built from, whatever the format: what the PBF and
//! XML readers fill ([`RawOsm`]) and the city builder takes. It lives apart from `read` (which
//! calls the readers and the builder) so that they need nothing back from `read`.

use std::collections::HashMap;

use super::tags::{Tags, is_area_relation};
use crate::frame::LonLat;

pub(super) struct WayRec {
    pub refs: Vec<i64>,
    pub tags: Tags,
}

pub(super) struct RelRec {
    pub id: i64,
    pub tags: Tags,
    /// (way id, role) of way members.
    pub ways: Vec<(i64, String)>,
}

/// The elements of a file that the city is built from, whatever the format.
#[derive(Default)]
pub(super) struct RawOsm {
    pub nodes: HashMap<i64, LonLat>,
    pub tagged_nodes: Vec<(i64, Tags)>,
    pub ways: HashMap<i64, WayRec>,
    pub relations: Vec<RelRec>,
}

impl RawOsm {
    pub fn add_node(&mut self, id: i64, lonlat: LonLat, tags: Tags) {
        self.nodes.insert(id, lonlat);
        if !tags.is_empty() {
            self.tagged_nodes.push((id, tags));
        }
    }

    pub fn add_way(&mut self, id: i64, refs: Vec<i64>, tags: Tags) {
        self.ways.insert(id, WayRec { refs, tags });
    }

    /// Keeps multipolygon and building relations with their way members; `ways` is only
    /// walked for those.
    pub fn add_relation(&mut self, id: i64, tags: Tags, ways: impl FnOnce() -> Vec<(i64, String)>) {
        if is_area_relation(&tags) {
            self.relations.push(RelRec { id, tags, ways: ways() });
        }
    }
}
