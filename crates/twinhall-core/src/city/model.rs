//! The city model: what the importers produce and the renderer, simulator and overlays read.
//!
//! Geometry is in the local metric frame ([`crate::LocalFrame`]): `[east, north]` in metres.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::frame::{LocalFrame, LonLat};

// The ring type and its plain geometry are the geometry layer's; named here too, where the
// city's polygons use them.
pub use crate::ring::{Ring, ring_contains, signed_area};

/// A polygon with an exterior ring (counter-clockwise) and holes (clockwise).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Polygon {
    pub exterior: Ring,
    pub holes: Vec<Ring>,
}

impl Polygon {
    /// Area in square metres (exterior minus holes).
    pub fn area(&self) -> f64 {
        signed_area(&self.exterior).abs() - self.holes.iter().map(|h| signed_area(h).abs()).sum::<f64>()
    }

    /// Mean of the exterior ring's vertices.
    pub fn centroid(&self) -> [f64; 2] {
        let n = self.exterior.len().max(1) as f64;
        let (sx, sy) = self.exterior.iter().fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
        [sx / n, sy / n]
    }

    /// Makes the exterior counter-clockwise and the holes clockwise.
    pub fn normalize_orientation(&mut self) {
        if signed_area(&self.exterior) < 0.0 {
            self.exterior.reverse();
        }
        for h in &mut self.holes {
            if signed_area(h) > 0.0 {
                h.reverse();
            }
        }
    }
}

/// The part of `ring` inside the axis-aligned rectangle `min..max` (Sutherland-Hodgman: the
/// rectangle is convex, so the result's area is the exact overlap; where the ring leaves and
/// re-enters the rectangle the pieces are joined by zero-width runs along its edge). Empty
/// when they do not overlap.
pub fn clip_ring_to_rect(ring: &[[f64; 2]], min: [f64; 2], max: [f64; 2]) -> Ring {
    let mut out: Ring = ring.to_vec();
    // Each edge of the rectangle as (axis, bound, keep the side above the bound).
    for (axis, bound, above) in [(0, min[0], true), (0, max[0], false), (1, min[1], true), (1, max[1], false)] {
        if out.is_empty() {
            break;
        }
        let inside = |p: &[f64; 2]| if above { p[axis] >= bound } else { p[axis] <= bound };
        let input = std::mem::take(&mut out);
        let n = input.len();
        for i in 0..n {
            let (a, b) = (input[(i + n - 1) % n], input[i]);
            let cross = |a: [f64; 2], b: [f64; 2]| {
                let t = (bound - a[axis]) / (b[axis] - a[axis]);
                let mut p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
                p[axis] = bound;
                p
            };
            match (inside(&a), inside(&b)) {
                (true, true) => out.push(b),
                (true, false) => out.push(cross(a, b)),
                (false, true) => {
                    out.push(cross(a, b));
                    out.push(b);
                }
                (false, false) => {}
            }
        }
        out.dedup();
        while out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
    }
    if out.len() < 3 { Vec::new() } else { out }
}

/// What a building is used for, from OSM's `building=*` (coarse classes for styling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum BuildingKind {
    Residential,
    Commercial,
    Civic,
    Religious,
    Industrial,
    Small,
    Other,
}

impl BuildingKind {
    pub const COUNT: usize = 7;
    pub const ALL: [Self; Self::COUNT] =
        [Self::Residential, Self::Commercial, Self::Civic, Self::Religious, Self::Industrial, Self::Small, Self::Other];

    /// Position in [`Self::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_osm(value: &str) -> Self {
        match value {
            "house" | "detached" | "residential" | "apartments" | "terrace" | "dormitory" | "semidetached_house"
            | "bungalow" => Self::Residential,
            "commercial" | "office" | "retail" | "hotel" | "supermarket" | "kiosk" => Self::Commercial,
            "public" | "civic" | "government" | "school" | "university" | "hospital" | "train_station"
            | "transportation" | "college" | "kindergarten" | "museum" | "fire_station" | "theatre" => Self::Civic,
            "church" | "cathedral" | "chapel" | "mosque" | "temple" | "synagogue" | "religious" => Self::Religious,
            "industrial" | "warehouse" | "factory" | "manufacture" => Self::Industrial,
            "garage" | "garages" | "shed" | "roof" | "carport" | "hut" | "cabin" => Self::Small,
            _ => Self::Other,
        }
    }

    /// Height used when the data gives none, in metres.
    pub fn default_height_m(self) -> f32 {
        match self {
            Self::Residential => 15.0,
            Self::Commercial => 18.0,
            Self::Civic => 18.0,
            Self::Religious => 22.0,
            Self::Industrial => 10.0,
            Self::Small => 4.0,
            Self::Other => 12.0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Building {
    /// OSM id (ways positive, relations negative) or a generated id.
    pub id: i64,
    pub footprint: Polygon,
    pub height_m: f32,
    pub min_height_m: f32,
    pub kind: BuildingKind,
    pub name: Option<String>,
}

/// Road classes by importance; widths are what the renderer draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RoadClass {
    Motorway,
    Trunk,
    Primary,
    Secondary,
    Tertiary,
    Residential,
    Service,
    Pedestrian,
    Path,
}

impl RoadClass {
    pub fn from_osm(highway: &str) -> Option<Self> {
        Some(match highway {
            "motorway" | "motorway_link" => Self::Motorway,
            "trunk" | "trunk_link" => Self::Trunk,
            "primary" | "primary_link" => Self::Primary,
            "secondary" | "secondary_link" => Self::Secondary,
            "tertiary" | "tertiary_link" => Self::Tertiary,
            "residential" | "unclassified" | "living_street" | "road" => Self::Residential,
            "service" => Self::Service,
            "pedestrian" => Self::Pedestrian,
            "footway" | "path" | "cycleway" | "steps" | "track" | "bridleway" => Self::Path,
            _ => return None,
        })
    }

    pub fn width_m(self) -> f32 {
        match self {
            Self::Motorway => 16.0,
            Self::Trunk => 14.0,
            Self::Primary => 12.0,
            Self::Secondary => 10.0,
            Self::Tertiary => 8.0,
            Self::Residential => 6.0,
            Self::Service => 4.0,
            Self::Pedestrian => 5.0,
            Self::Path => 2.0,
        }
    }

    /// Whether vehicles drive on it (the road graph for routing uses these).
    pub fn drivable(self) -> bool {
        !matches!(self, Self::Pedestrian | Self::Path)
    }
}

#[derive(Clone, Debug)]
pub struct Road {
    pub id: i64,
    pub class: RoadClass,
    pub points: Vec<[f64; 2]>,
    pub name: Option<String>,
    pub oneway: bool,
    /// Underground: routable, not drawn on the surface.
    pub tunnel: bool,
}

#[derive(Clone, Debug)]
pub struct Railway {
    pub id: i64,
    pub points: Vec<[f64; 2]>,
    pub tunnel: bool,
}

/// Water bodies and green areas.
#[derive(Clone, Debug)]
pub struct AreaFeature {
    pub id: i64,
    pub polygon: Polygon,
    pub name: Option<String>,
}

/// An administrative area from OSM (`boundary=administrative`): a municipality, a county, a
/// country. The importer keeps those lying mostly inside the city's buildings' extent, so the
/// neighbours across a border are left out.
#[derive(Clone, Debug)]
pub struct AdminBoundary {
    /// OSM relation id.
    pub id: i64,
    /// `name`.
    pub name: String,
    /// `name:zh`, when the data has one.
    pub name_zh: Option<String>,
    /// `admin_level` (2 a country, 8 a municipality in most countries).
    pub level: u8,
    /// Its outer rings with their holes; an exclave is a polygon of its own.
    pub polygons: Vec<Polygon>,
}

impl AdminBoundary {
    /// Area in square metres.
    pub fn area(&self) -> f64 {
        self.polygons.iter().map(Polygon::area).sum()
    }

    /// Whether a point lies inside one of its polygons (and not in a hole).
    pub fn contains(&self, p: [f64; 2]) -> bool {
        self.polygons
            .iter()
            .any(|poly| ring_contains(&poly.exterior, p) && !poly.holes.iter().any(|h| ring_contains(h, p)))
    }
}

/// Points of interest that the overlays, the simulator and the action hub use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum PoiKind {
    Camera,
    Hydrant,
    Hospital,
    Police,
    FireStation,
    Shelter,
    School,
    Pharmacy,
}

impl PoiKind {
    /// The kind of a node or way from its tags, if it is one we keep.
    pub fn from_tags<'a>(tag: impl Fn(&str) -> Option<&'a str>) -> Option<Self> {
        if tag("man_made") == Some("surveillance") {
            return Some(Self::Camera);
        }
        if tag("emergency") == Some("fire_hydrant") {
            return Some(Self::Hydrant);
        }
        if matches!(tag("emergency"), Some("assembly_point")) || tag("social_facility") == Some("shelter") {
            return Some(Self::Shelter);
        }
        match tag("amenity") {
            Some("hospital") | Some("clinic") => Some(Self::Hospital),
            Some("police") => Some(Self::Police),
            Some("fire_station") => Some(Self::FireStation),
            Some("school") | Some("kindergarten") | Some("university") | Some("college") => Some(Self::School),
            Some("pharmacy") => Some(Self::Pharmacy),
            Some("shelter") if tag("shelter_type") == Some("emergency") => Some(Self::Shelter),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Poi {
    pub id: i64,
    pub kind: PoiKind,
    pub lonlat: LonLat,
    pub pos: [f64; 2],
    pub name: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// Axis-aligned bounds in local metres.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bounds {
    pub min: [f64; 2],
    pub max: [f64; 2],
}

impl Bounds {
    pub const EMPTY: Self = Self { min: [f64::INFINITY; 2], max: [f64::NEG_INFINITY; 2] };

    pub fn extend(&mut self, p: [f64; 2]) {
        self.min = [self.min[0].min(p[0]), self.min[1].min(p[1])];
        self.max = [self.max[0].max(p[0]), self.max[1].max(p[1])];
    }

    pub fn is_empty(&self) -> bool {
        self.min[0] > self.max[0]
    }

    pub fn center(&self) -> [f64; 2] {
        if self.is_empty() {
            return [0.0, 0.0];
        }
        [(self.min[0] + self.max[0]) * 0.5, (self.min[1] + self.max[1]) * 0.5]
    }

    pub fn size(&self) -> [f64; 2] {
        if self.is_empty() {
            return [0.0, 0.0];
        }
        [self.max[0] - self.min[0], self.max[1] - self.min[1]]
    }
}

/// Why a feature was dropped or repaired during import, counted per reason.
pub type ReasonCounts = BTreeMap<String, usize>;

/// What one file contributed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FileReport {
    pub path: String,
    pub loaded: usize,
    pub rejected: ReasonCounts,
    pub repaired: ReasonCounts,
    /// Why the file could not be read at all; the rest of the city loads without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileReport {
    pub fn new(path: &std::path::Path) -> Self {
        Self { path: path.display().to_string(), ..Default::default() }
    }

    pub(crate) fn reject(&mut self, reason: &str) {
        *self.rejected.entry(reason.to_owned()).or_default() += 1;
    }

    pub(crate) fn repair(&mut self, reason: &str) {
        *self.repaired.entry(reason.to_owned()).or_default() += 1;
    }
}

/// Everything the importers know about a city.
#[derive(Clone, Debug)]
pub struct CityModel {
    pub name: String,
    pub frame: LocalFrame,
    pub buildings: Vec<Building>,
    pub roads: Vec<Road>,
    pub railways: Vec<Railway>,
    pub water: Vec<AreaFeature>,
    pub green: Vec<AreaFeature>,
    pub pois: Vec<Poi>,
    /// Administrative areas inside the city, by level then name; empty when the data has none.
    pub admin: Vec<AdminBoundary>,
    /// Features that were dropped, by reason.
    pub rejected: ReasonCounts,
    /// Features kept after a repair (for example an absurd height replaced by a default).
    pub repaired: ReasonCounts,
    /// What each input file contributed, in load order.
    pub sources: Vec<FileReport>,
}

impl CityModel {
    pub fn empty(name: impl Into<String>, origin: LonLat) -> Self {
        Self {
            name: name.into(),
            frame: LocalFrame::new(origin),
            buildings: Vec::new(),
            roads: Vec::new(),
            railways: Vec::new(),
            water: Vec::new(),
            green: Vec::new(),
            pois: Vec::new(),
            admin: Vec::new(),
            rejected: ReasonCounts::new(),
            repaired: ReasonCounts::new(),
            sources: Vec::new(),
        }
    }

    /// Bounds of buildings and roads, in local metres.
    pub fn bounds(&self) -> Bounds {
        let mut b = Bounds::EMPTY;
        for p in self.buildings.iter().flat_map(|b| b.footprint.exterior.iter()) {
            b.extend(*p);
        }
        for p in self.roads.iter().flat_map(|r| r.points.iter()) {
            b.extend(*p);
        }
        b
    }

    pub fn reject(&mut self, reason: &str) {
        *self.rejected.entry(reason.to_owned()).or_default() += 1;
    }

    pub fn repair(&mut self, reason: &str) {
        *self.repaired.entry(reason.to_owned()).or_default() += 1;
    }

    /// Road segments (consecutive point pairs) in all roads.
    pub fn road_segments(&self) -> usize {
        self.roads.iter().map(|r| r.points.len().saturating_sub(1)).sum()
    }

    /// The summary `twinhall city-info` prints.
    pub fn info(&self) -> CityInfo {
        let mut pois_by_kind = BTreeMap::new();
        for p in &self.pois {
            *pois_by_kind.entry(p.kind).or_insert(0usize) += 1;
        }
        let b = self.bounds();
        let origin = self.frame.origin();
        CityInfo {
            name: self.name.clone(),
            origin: [origin.lon, origin.lat],
            extent_m: b.size(),
            buildings: self.buildings.len(),
            roads: self.roads.len(),
            road_segments: self.road_segments(),
            railways: self.railways.len(),
            water_areas: self.water.len(),
            green_areas: self.green.len(),
            pois: self.pois.len(),
            admin: self.admin.iter().fold(BTreeMap::new(), |mut m, a| {
                m.entry(a.level).or_insert_with(Vec::new).push(a.name.clone());
                m
            }),
            pois_by_kind,
            rejected: self.rejected.clone(),
            repaired: self.repaired.clone(),
            sources: self.sources.clone(),
        }
    }
}

/// A JSON-friendly summary of a city.
#[derive(Clone, Debug, Serialize)]
pub struct CityInfo {
    pub name: String,
    pub origin: [f64; 2],
    pub extent_m: [f64; 2],
    pub buildings: usize,
    pub roads: usize,
    pub road_segments: usize,
    pub railways: usize,
    pub water_areas: usize,
    pub green_areas: usize,
    pub pois: usize,
    /// Administrative areas' names by `admin_level`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub admin: BTreeMap<u8, Vec<String>>,
    pub pois_by_kind: BTreeMap<PoiKind, usize>,
    pub rejected: ReasonCounts,
    pub repaired: ReasonCounts,
    pub sources: Vec<FileReport>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_and_area() {
        let mut p = Polygon {
            exterior: vec![[0.0, 0.0], [0.0, 10.0], [10.0, 10.0], [10.0, 0.0]],
            holes: vec![vec![[2.0, 2.0], [4.0, 2.0], [4.0, 4.0], [2.0, 4.0]]],
        };
        assert!(signed_area(&p.exterior) < 0.0);
        p.normalize_orientation();
        assert!(signed_area(&p.exterior) > 0.0);
        assert!(signed_area(&p.holes[0]) < 0.0);
        assert!((p.area() - 96.0).abs() < 1e-9);
        assert!(ring_contains(&p.exterior, [5.0, 5.0]));
        assert!(!ring_contains(&p.exterior, [11.0, 5.0]));
    }

    #[test]
    fn poi_kinds_from_tags() {
        let tags = |k: &str| match k {
            "man_made" => Some("surveillance"),
            _ => None,
        };
        assert_eq!(PoiKind::from_tags(tags), Some(PoiKind::Camera));
        let none = |_: &str| None;
        assert_eq!(PoiKind::from_tags(none), None);
        let hospital = |k: &str| (k == "amenity").then_some("hospital");
        assert_eq!(PoiKind::from_tags(hospital), Some(PoiKind::Hospital));
    }
}
