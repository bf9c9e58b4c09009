//! OpenStreetMap PBF import: buildings (ways and multipolygons with holes), roads, railways,
//! water, green areas and the points of interest the overlays and simulator use.
//!
//! Bad geometry never aborts an import: each dropped or repaired feature is counted under a
//! reason in [`CityModel::rejected`] / [`CityModel::repaired`].

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use osmpbf::{Element, ElementReader, RelMemberType};

use crate::frame::{LocalFrame, LonLat};
use crate::model::{
    AreaFeature, Building, BuildingKind, CityModel, Poi, PoiKind, Polygon, Railway, Ring, Road, RoadClass, signed_area,
};

/// Errors that stop an import as a whole (a file that cannot be read at all).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a valid OSM PBF file: {message}")]
    Pbf { path: PathBuf, message: String },
    #[error("{path}: the file holds no nodes")]
    Empty { path: PathBuf },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
}

/// Options for turning OSM tags into a city.
#[derive(Clone, Debug)]
pub struct OsmOptions {
    pub name: String,
    /// Height of one `building:levels` level, in metres.
    pub level_height_m: f32,
    /// Frame origin; the centre of the buildings when absent.
    pub origin: Option<LonLat>,
}

impl Default for OsmOptions {
    fn default() -> Self {
        Self { name: "city".into(), level_height_m: 3.0, origin: None }
    }
}

type Tags = Vec<(String, String)>;

/// A polyline of local `[east, north]` points.
type Line = Vec<[f64; 2]>;

fn tag<'a>(tags: &'a Tags, key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

struct WayRec {
    refs: Vec<i64>,
    tags: Tags,
}

struct RelRec {
    id: i64,
    tags: Tags,
    /// (way id, role) of way members.
    ways: Vec<(i64, String)>,
}

#[derive(Default)]
struct RawOsm {
    nodes: HashMap<i64, LonLat>,
    tagged_nodes: Vec<(i64, Tags)>,
    ways: HashMap<i64, WayRec>,
    relations: Vec<RelRec>,
}

/// Imports a PBF file from disk.
pub fn import_pbf_path(path: &Path, options: &OsmOptions) -> Result<CityModel, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io { path: path.into(), source })?;
    import_pbf_bytes(&bytes, path, options)
}

/// Imports PBF bytes; `path` only names the source in messages.
pub fn import_pbf_bytes(bytes: &[u8], path: &Path, options: &OsmOptions) -> Result<CityModel, ImportError> {
    let raw = read_raw(bytes).map_err(|message| ImportError::Pbf { path: path.into(), message })?;
    if raw.nodes.is_empty() {
        return Err(ImportError::Empty { path: path.into() });
    }
    let mut city = build_city(&raw, options);
    let mut report = crate::model::FileReport::new(path);
    report.loaded = city.buildings.len()
        + city.roads.len()
        + city.railways.len()
        + city.water.len()
        + city.green.len()
        + city.pois.len();
    report.rejected = city.rejected.clone();
    report.repaired = city.repaired.clone();
    city.sources.push(report);
    Ok(city)
}

fn read_raw(bytes: &[u8]) -> Result<RawOsm, String> {
    // osmpbf panics on a few malformed enum values; a broken file must not take the app down.
    let result = std::panic::catch_unwind(|| {
        let mut raw = RawOsm::default();
        let reader = ElementReader::new(std::io::Cursor::new(bytes).take(u64::MAX));
        reader
            .for_each(|element| match element {
                Element::DenseNode(n) => {
                    raw.nodes.insert(n.id(), LonLat::new(n.lon(), n.lat()));
                    let tags: Tags = n.tags().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                    if !tags.is_empty() {
                        raw.tagged_nodes.push((n.id(), tags));
                    }
                }
                Element::Node(n) => {
                    raw.nodes.insert(n.id(), LonLat::new(n.lon(), n.lat()));
                    let tags: Tags = n.tags().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                    if !tags.is_empty() {
                        raw.tagged_nodes.push((n.id(), tags));
                    }
                }
                Element::Way(w) => {
                    let tags: Tags = w.tags().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                    raw.ways.insert(w.id(), WayRec { refs: w.refs().collect(), tags });
                }
                Element::Relation(r) => {
                    let tags: Tags = r.tags().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                    let kind = tag(&tags, "type");
                    if matches!(kind, Some("multipolygon") | Some("building")) {
                        let ways = r
                            .members()
                            .filter(|m| m.member_type == RelMemberType::Way)
                            .map(|m| (m.member_id, m.role().unwrap_or("").to_owned()))
                            .collect();
                        raw.relations.push(RelRec { id: r.id(), tags, ways });
                    }
                }
            })
            .map(|()| raw)
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(r) => r,
        Err(_) => Err("the decoder failed on a malformed block".into()),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum AreaClass {
    Water,
    Green,
}

fn area_class(tags: &Tags) -> Option<AreaClass> {
    let natural = tag(tags, "natural");
    let landuse = tag(tags, "landuse");
    let leisure = tag(tags, "leisure");
    if natural == Some("water")
        || matches!(tag(tags, "waterway"), Some("riverbank") | Some("dock"))
        || matches!(landuse, Some("reservoir") | Some("basin") | Some("pond"))
    {
        return Some(AreaClass::Water);
    }
    if matches!(leisure, Some("park") | Some("garden") | Some("playground") | Some("pitch"))
        || matches!(
            landuse,
            Some("grass")
                | Some("forest")
                | Some("meadow")
                | Some("recreation_ground")
                | Some("village_green")
                | Some("cemetery")
                | Some("flowerbed")
        )
        || matches!(natural, Some("wood") | Some("scrub") | Some("grassland") | Some("heath"))
    {
        return Some(AreaClass::Green);
    }
    None
}

fn is_building(tags: &Tags) -> bool {
    tag(tags, "building").is_some_and(|v| v != "no")
}

/// Parses OSM length values such as `12`, `12.5 m`, `40 ft`.
pub fn parse_length_m(value: &str) -> Option<f32> {
    let v = value.trim();
    let (num, factor) = if let Some(s) = v.strip_suffix("ft") {
        (s, 0.3048)
    } else if let Some(s) = v.strip_suffix('\'') {
        (s, 0.3048)
    } else if let Some(s) = v.strip_suffix('m') {
        (s, 1.0)
    } else {
        (v, 1.0)
    };
    num.trim().replace(',', ".").parse::<f32>().ok().filter(|x| x.is_finite()).map(|x| x * factor)
}

/// Heights of a building from its tags: `(height, min_height)` and repairs made.
fn building_heights(tags: &Tags, kind: BuildingKind, level_h: f32, repaired: &mut Vec<&'static str>) -> (f32, f32) {
    let parse = |key: &str, repaired: &mut Vec<&'static str>| -> Option<f32> {
        let v = tag(tags, key)?;
        match parse_length_m(v) {
            Some(x) => Some(x),
            None => {
                repaired.push("unparsable_height_tag");
                None
            }
        }
    };
    let levels = parse("building:levels", repaired).map(|l| l * level_h);
    let mut height = parse("height", repaired).or(levels).unwrap_or_else(|| kind.default_height_m());
    if !(0.5..=1000.0).contains(&height) {
        repaired.push("absurd_height");
        height = kind.default_height_m();
    }
    let min_levels = parse("building:min_level", repaired).map(|l| l * level_h);
    let mut min_height = parse("min_height", repaired).or(min_levels).unwrap_or(0.0);
    if !(0.0..height).contains(&min_height) {
        repaired.push("min_height_not_below_height");
        min_height = 0.0;
    }
    (height, min_height)
}

struct Builder<'a> {
    raw: &'a RawOsm,
    frame: LocalFrame,
    city: CityModel,
}

impl Builder<'_> {
    /// Converts node ids to a validated local ring, or the reason it is unusable.
    fn ring(&self, refs: &[i64]) -> Result<Ring, &'static str> {
        if refs.len() < 4 || refs.first() != refs.last() {
            return Err(if refs.first() != refs.last() { "unclosed_ring" } else { "too_few_points" });
        }
        let mut ring: Ring = Vec::with_capacity(refs.len());
        for id in &refs[..refs.len() - 1] {
            let ll = *self.raw.nodes.get(id).ok_or("outside_extract")?;
            if !ll.is_valid() {
                return Err("bad_coordinate");
            }
            let p = self.frame.to_local(ll);
            if ring.last() != Some(&p) {
                ring.push(p);
            }
        }
        validate_ring(ring)
    }

    /// Converts a line's node ids to runs of local points, split where the extract lost nodes
    /// (ways cut at its edge); the bool says whether anything was cut.
    fn line_runs(&self, refs: &[i64]) -> Result<(Vec<Line>, bool), &'static str> {
        let mut runs = vec![Vec::with_capacity(refs.len())];
        let mut cut = false;
        for id in refs {
            match self.raw.nodes.get(id) {
                Some(ll) if ll.is_valid() => {
                    let p = self.frame.to_local(*ll);
                    let run = runs.last_mut().ok_or("too_few_points")?;
                    if run.last() != Some(&p) {
                        run.push(p);
                    }
                }
                Some(_) => return Err("bad_coordinate"),
                None => {
                    cut = true;
                    if runs.last().is_some_and(|r| !r.is_empty()) {
                        runs.push(Vec::new());
                    }
                }
            }
        }
        runs.retain(|r| r.len() >= 2);
        if runs.is_empty() {
            return Err(if cut { "outside_extract" } else { "too_few_points" });
        }
        Ok((runs, cut))
    }

    fn add_building(&mut self, id: i64, mut polygon: Polygon, tags: &Tags, level_h: f32) {
        polygon.normalize_orientation();
        let kind = BuildingKind::from_osm(tag(tags, "building").unwrap_or("yes"));
        let mut repairs = Vec::new();
        let (height_m, min_height_m) = building_heights(tags, kind, level_h, &mut repairs);
        for r in repairs {
            *self.city.repaired.entry(r.to_owned()).or_default() += 1;
        }
        let name = tag(tags, "name").map(str::to_owned);
        self.city.buildings.push(Building { id, footprint: polygon, height_m, min_height_m, kind, name });
    }

    fn add_area(&mut self, id: i64, mut polygon: Polygon, tags: &Tags, class: AreaClass) {
        polygon.normalize_orientation();
        let feature = AreaFeature { id, polygon, name: tag(tags, "name").map(str::to_owned) };
        match class {
            AreaClass::Water => self.city.water.push(feature),
            AreaClass::Green => self.city.green.push(feature),
        }
    }

    fn add_poi(&mut self, id: i64, kind: PoiKind, lonlat: LonLat, tags: &Tags) {
        let pos = self.frame.to_local(lonlat);
        self.city.pois.push(Poi {
            id,
            kind,
            lonlat,
            pos,
            name: tag(tags, "name:zh").or(tag(tags, "name")).map(str::to_owned),
            tags: tags.iter().cloned().collect::<BTreeMap<_, _>>(),
        });
    }
}

/// Drops degenerate rings: too few points, zero area, self-intersections.
pub fn validate_ring(mut ring: Ring) -> Result<Ring, &'static str> {
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    if ring.len() < 3 {
        return Err("too_few_points");
    }
    if ring.iter().any(|p| !p[0].is_finite() || !p[1].is_finite()) {
        return Err("bad_coordinate");
    }
    if signed_area(&ring).abs() < 0.5 {
        return Err("zero_area");
    }
    if ring.len() <= 4096 && self_intersects(&ring) {
        return Err("self_intersecting");
    }
    Ok(ring)
}

/// True when two non-adjacent edges of the ring cross or touch.
pub fn self_intersects(ring: &[[f64; 2]]) -> bool {
    let n = ring.len();
    if n < 4 {
        return false;
    }
    // Sort edges by min x so the sweep only compares overlapping spans.
    let mut edges: Vec<(f64, f64, usize)> = (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            (a[0].min(b[0]), a[0].max(b[0]), i)
        })
        .collect();
    edges.sort_by(|x, y| x.0.total_cmp(&y.0));
    for (k, &(_, max_x, i)) in edges.iter().enumerate() {
        for &(min_x2, _, j) in &edges[k + 1..] {
            if min_x2 > max_x {
                break;
            }
            let adjacent = i.abs_diff(j) == 1 || i.abs_diff(j) == n - 1;
            if adjacent {
                continue;
            }
            if segments_intersect(ring[i], ring[(i + 1) % n], ring[j], ring[(j + 1) % n]) {
                return true;
            }
        }
    }
    false
}

fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn segments_intersect(p1: [f64; 2], p2: [f64; 2], q1: [f64; 2], q2: [f64; 2]) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
}

/// Joins ways end to end into chains of node ids. With `reverse`, a way may be turned round to
/// fit (multipolygon members); without it direction is kept (coastlines).
fn join_chains(ways: &[&[i64]], reverse: bool) -> Vec<Vec<i64>> {
    let mut used = vec![false; ways.len()];
    let mut chains = Vec::new();
    for start in 0..ways.len() {
        if used[start] || ways[start].len() < 2 {
            continue;
        }
        used[start] = true;
        let mut chain: Vec<i64> = ways[start].to_vec();
        loop {
            if chain.len() > 3 && chain.first() == chain.last() {
                break;
            }
            let (head, end) = (chain[0], chain[chain.len() - 1]);
            let next = (0..ways.len()).find(|&k| {
                !used[k]
                    && (ways[k].first() == Some(&end)
                        || ways[k].last() == Some(&head)
                        || (reverse && ways[k].last() == Some(&end)))
            });
            let Some(k) = next else { break };
            used[k] = true;
            if ways[k].first() == Some(&end) {
                chain.extend_from_slice(&ways[k][1..]);
            } else if ways[k].last() == Some(&head) {
                let mut joined = ways[k].to_vec();
                joined.extend_from_slice(&chain[1..]);
                chain = joined;
            } else {
                chain.extend(ways[k].iter().rev().skip(1));
            }
        }
        chains.push(chain);
    }
    chains
}

/// Joins member ways into closed rings of node ids; returns the rings and how many chains did
/// not close.
fn assemble_rings(ways: &[&[i64]]) -> (Vec<Vec<i64>>, usize) {
    let (rings, open): (Vec<_>, Vec<_>) =
        join_chains(ways, true).into_iter().partition(|c| c.len() > 3 && c.first() == c.last());
    (rings, open.len())
}

fn build_city(raw: &RawOsm, options: &OsmOptions) -> CityModel {
    let origin = options.origin.unwrap_or_else(|| default_origin(raw));
    let frame = LocalFrame::new(origin);
    let mut b = Builder { raw, frame: frame.clone(), city: CityModel::empty(options.name.clone(), origin) };
    let level_h = options.level_height_m;

    let mut coast_ways: Vec<&[i64]> = Vec::new();
    let mut way_ids: Vec<&i64> = raw.ways.keys().collect();
    way_ids.sort_unstable();
    for &id in way_ids {
        let way = &raw.ways[&id];
        let tags = &way.tags;
        if tags.is_empty() {
            continue;
        }
        if is_building(tags) {
            match b.ring(&way.refs) {
                Ok(ring) => {
                    let poly = Polygon { exterior: ring, holes: Vec::new() };
                    if let Some(kind) = PoiKind::from_tags(|k| tag(tags, k)) {
                        let c = poly.centroid();
                        b.add_poi(id, kind, frame.to_lonlat(c), tags);
                    }
                    b.add_building(id, poly, tags, level_h);
                }
                Err(reason) => b.city.reject(&format!("building_{reason}")),
            }
            continue;
        }
        if let Some(highway) = tag(tags, "highway") {
            if tag(tags, "area") == Some("yes") {
                continue;
            }
            if let Some(class) = RoadClass::from_osm(highway) {
                match b.line_runs(&way.refs) {
                    Ok((runs, cut)) => {
                        if cut {
                            b.city.repair("road_cut_at_extract_edge");
                        }
                        for points in runs {
                            b.city.roads.push(Road {
                                id,
                                class,
                                points,
                                name: tag(tags, "name").map(str::to_owned),
                                oneway: matches!(tag(tags, "oneway"), Some("yes") | Some("1")),
                                tunnel: is_tunnel(tags),
                            });
                        }
                    }
                    Err(reason) => b.city.reject(&format!("road_{reason}")),
                }
            }
            continue;
        }
        if matches!(
            tag(tags, "railway"),
            Some("rail") | Some("tram") | Some("subway") | Some("light_rail") | Some("narrow_gauge")
        ) {
            match b.line_runs(&way.refs) {
                Ok((runs, cut)) => {
                    if cut {
                        b.city.repair("railway_cut_at_extract_edge");
                    }
                    let tunnel = is_tunnel(tags);
                    b.city.railways.extend(runs.into_iter().map(|points| Railway { id, points, tunnel }));
                }
                Err(reason) => b.city.reject(&format!("railway_{reason}")),
            }
            continue;
        }
        if tag(tags, "natural") == Some("coastline") {
            coast_ways.push(&way.refs);
            continue;
        }
        if let Some(class) = area_class(tags) {
            match b.ring(&way.refs) {
                Ok(ring) => b.add_area(id, Polygon { exterior: ring, holes: Vec::new() }, tags, class),
                Err(reason) => b.city.reject(&format!("area_{reason}")),
            }
            continue;
        }
        if let Some(kind) = PoiKind::from_tags(|k| tag(tags, k))
            && let Ok(ring) = b.ring(&way.refs)
        {
            let c = Polygon { exterior: ring, holes: Vec::new() }.centroid();
            b.add_poi(id, kind, frame.to_lonlat(c), tags);
        }
    }

    add_sea(&mut b, &coast_ways);

    for rel in &raw.relations {
        let building = is_building(&rel.tags);
        let class = area_class(&rel.tags);
        if !building && class.is_none() {
            continue;
        }
        let prefix = if building { "building" } else { "area" };
        let mut outers: Vec<&[i64]> = Vec::new();
        let mut inners: Vec<&[i64]> = Vec::new();
        let mut missing = false;
        for (way_id, role) in &rel.ways {
            match raw.ways.get(way_id) {
                Some(w) if role == "inner" => inners.push(&w.refs),
                Some(w) => outers.push(&w.refs),
                None => missing = true,
            }
        }
        if missing {
            // The extract cut the relation: keep what closes, count the cut.
            *b.city.repaired.entry(format!("{prefix}_multipolygon_missing_member")).or_default() += 1;
        }
        let (outer_rings, open_outer) = assemble_rings(&outers);
        let (inner_rings, _) = assemble_rings(&inners);
        if open_outer > 0 && outer_rings.is_empty() {
            b.city.reject(&format!("{prefix}_unclosed_ring"));
            continue;
        }
        let mut polygons: Vec<Polygon> = Vec::new();
        for r in &outer_rings {
            match b.ring(r) {
                Ok(ring) => polygons.push(Polygon { exterior: ring, holes: Vec::new() }),
                Err(reason) => b.city.reject(&format!("{prefix}_{reason}")),
            }
        }
        for r in &inner_rings {
            let Ok(hole) = b.ring(r) else {
                b.city.reject(&format!("{prefix}_bad_hole"));
                continue;
            };
            if let Some(p) = polygons.iter_mut().find(|p| crate::model::ring_contains(&p.exterior, hole[0])) {
                p.holes.push(hole);
            }
        }
        for poly in polygons {
            if building {
                b.add_building(-rel.id, poly, &rel.tags, level_h);
            } else if let Some(class) = class {
                b.add_area(-rel.id, poly, &rel.tags, class);
            }
        }
    }

    for (id, tags) in &raw.tagged_nodes {
        if let Some(kind) = PoiKind::from_tags(|k| tag(tags, k))
            && let Some(ll) = raw.nodes.get(id)
        {
            if ll.is_valid() {
                b.add_poi(*id, kind, *ll, tags);
            } else {
                b.city.reject("poi_bad_coordinate");
            }
        }
    }
    b.city.pois.sort_by_key(|p| (p.kind, p.id));
    b.city
}

fn is_tunnel(tags: &Tags) -> bool {
    matches!(tag(tags, "tunnel"), Some("yes") | Some("culvert"))
}

/// Turns coastline ways into sea polygons clipped to the extract's bounds.
fn add_sea(b: &mut Builder<'_>, coast_ways: &[&[i64]]) {
    if coast_ways.is_empty() {
        return;
    }
    let mut bbox = crate::model::Bounds::EMPTY;
    for ll in b.raw.nodes.values().filter(|ll| ll.is_valid()) {
        bbox.extend(b.frame.to_local(*ll));
    }
    let mut open = Vec::new();
    let mut closed = Vec::new();
    for chain in join_chains(coast_ways, false) {
        let is_ring = chain.len() > 3 && chain.first() == chain.last();
        match b.line_runs(&chain) {
            Ok((runs, false)) if is_ring => match runs.into_iter().next().map(validate_ring) {
                Some(Ok(ring)) => closed.push(ring),
                _ => b.city.reject("coastline_bad_ring"),
            },
            Ok((runs, _)) => open.extend(runs),
            Err(reason) => b.city.reject(&format!("coastline_{reason}")),
        }
    }
    for polygon in crate::coast::sea_polygons(&open, &closed, &bbox) {
        b.city.water.push(AreaFeature { id: 0, polygon, name: Some("sea".into()) });
    }
}

/// The centre of the buildings' nodes' bounding box, or of all nodes when there are none.
fn default_origin(raw: &RawOsm) -> LonLat {
    let mut b = crate::model::Bounds::EMPTY;
    for w in raw.ways.values().filter(|w| is_building(&w.tags)) {
        for ll in w.refs.iter().filter_map(|r| raw.nodes.get(r)).filter(|ll| ll.is_valid()) {
            b.extend([ll.lon, ll.lat]);
        }
    }
    if b.is_empty() {
        for ll in raw.nodes.values().filter(|ll| ll.is_valid()) {
            b.extend([ll.lon, ll.lat]);
        }
    }
    let [lon, lat] = b.center();
    LonLat::new(lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_parse() {
        assert_eq!(parse_length_m("12"), Some(12.0));
        assert_eq!(parse_length_m("12.5 m"), Some(12.5));
        assert_eq!(parse_length_m("3,5"), Some(3.5));
        assert!((parse_length_m("10 ft").unwrap_or(0.0) - 3.048).abs() < 1e-4);
        assert_eq!(parse_length_m("tall"), None);
    }

    #[test]
    fn heights_prefer_height_then_levels_then_default() {
        let t = |pairs: &[(&str, &str)]| -> Tags {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let mut rep = Vec::new();
        let k = BuildingKind::Other;
        assert_eq!(building_heights(&t(&[("height", "30")]), k, 3.0, &mut rep), (30.0, 0.0));
        assert_eq!(building_heights(&t(&[("building:levels", "5")]), k, 3.0, &mut rep), (15.0, 0.0));
        assert_eq!(building_heights(&t(&[]), k, 3.0, &mut rep), (12.0, 0.0));
        assert!(rep.is_empty());
        assert_eq!(building_heights(&t(&[("height", "99999")]), k, 3.0, &mut rep), (12.0, 0.0));
        assert_eq!(rep, vec!["absurd_height"]);
        let (h, m) = building_heights(&t(&[("height", "20"), ("building:min_level", "2")]), k, 3.0, &mut rep);
        assert_eq!((h, m), (20.0, 6.0));
    }

    #[test]
    fn degenerate_rings_are_rejected_with_reasons() {
        assert_eq!(validate_ring(vec![[0.0, 0.0], [1.0, 1.0]]), Err("too_few_points"));
        assert_eq!(validate_ring(vec![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), Err("zero_area"));
        let bowtie = vec![[0.0, 0.0], [10.0, 10.0], [10.0, 0.0], [0.0, 15.0]];
        assert_eq!(validate_ring(bowtie), Err("self_intersecting"));
        assert_eq!(validate_ring(vec![[0.0, 0.0], [f64::NAN, 1.0], [2.0, 0.0]]), Err("bad_coordinate"));
        let square = vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        assert!(validate_ring(square).is_ok());
    }

    #[test]
    fn multipolygon_rings_join_reversed_pieces() {
        let a: &[i64] = &[1, 2, 3];
        let b: &[i64] = &[1, 4, 3];
        let c: &[i64] = &[7, 8];
        let (rings, open) = assemble_rings(&[a, b, c]);
        assert_eq!(rings, vec![vec![1, 2, 3, 4, 1]]);
        assert_eq!(open, 1);
        // Without reversal only head-to-tail pieces join, in either order.
        let d: &[i64] = &[3, 5];
        assert_eq!(join_chains(&[d, a], false), vec![vec![1, 2, 3, 5]]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let err = import_pbf_bytes(b"definitely not a pbf file", Path::new("x.pbf"), &OsmOptions::default());
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.starts_with("x.pbf:"), "{msg}");
    }
}
