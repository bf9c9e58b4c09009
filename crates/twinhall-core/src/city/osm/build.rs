//! Turning OSM elements into the city: buildings (ways and multipolygons with holes), roads,
//! railways, water (with the sea from coastlines), green areas and the points of interest the
//! overlays and simulator use.
//!
//! Bad geometry never aborts an import: each dropped or repaired feature is counted under a
//! reason in [`CityModel::rejected`] / [`CityModel::repaired`].

use std::collections::BTreeMap;

use super::assembly::{assemble_rings, join_chains};
use super::raw::RawOsm;
use super::tags::{AreaClass, Tags, area_class, building_heights, is_admin_boundary, is_building, is_tunnel, tag};
use crate::frame::{LocalFrame, LonLat};
use crate::model::{
    AdminBoundary, AreaFeature, Building, BuildingKind, CityModel, Poi, PoiKind, Polygon, Railway, Ring, Road,
    RoadClass,
};
use crate::ring::{ContainIndex, validate_ring};

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

/// A polyline of local `[east, north]` points.
type Line = Vec<[f64; 2]>;

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

pub(super) fn build_city(raw: &RawOsm, options: &OsmOptions) -> CityModel {
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
        // Each hole goes into the first outer ring that holds it.
        let mut holes: Vec<(usize, Ring)> = Vec::new();
        {
            let index = ContainIndex::new(polygons.iter().map(|p| p.exterior.as_slice()));
            for r in &inner_rings {
                let Ok(hole) = b.ring(r) else {
                    b.city.reject(&format!("{prefix}_bad_hole"));
                    continue;
                };
                if let Some(k) = index.first_containing(hole[0]) {
                    holes.push((k, hole));
                }
            }
        }
        for (k, hole) in holes {
            polygons[k].holes.push(hole);
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
    add_admin(&mut b);
    b.city
}

/// Share of an administrative area that must lie inside the buildings' extent for it to count
/// as part of the city (the neighbours across a border reach into the extract only partly).
const ADMIN_INSIDE_SHARE: f64 = 0.5;

/// Reads `boundary=administrative` relations into [`CityModel::admin`]: outer member ways
/// joined into rings (holes from `inner` members), kept when most of the area lies inside the
/// bounding box of the buildings (of buildings and roads when there are no buildings).
fn add_admin(b: &mut Builder<'_>) {
    let raw = b.raw;
    let mut extent = crate::model::Bounds::EMPTY;
    for p in b.city.buildings.iter().flat_map(|x| x.footprint.exterior.iter()) {
        extent.extend(*p);
    }
    if extent.is_empty() {
        extent = b.city.bounds();
    }
    if extent.is_empty() {
        return;
    }
    for rel in raw.relations.iter().filter(|r| is_admin_boundary(&r.tags)) {
        let (Some(name), Some(level)) =
            (tag(&rel.tags, "name"), tag(&rel.tags, "admin_level").and_then(|l| l.trim().parse::<u8>().ok()))
        else {
            b.city.reject("admin_without_name_or_level");
            continue;
        };
        let mut outers: Vec<&[i64]> = Vec::new();
        let mut inners: Vec<&[i64]> = Vec::new();
        for (way_id, role) in &rel.ways {
            match raw.ways.get(way_id) {
                Some(w) if role == "inner" => inners.push(&w.refs),
                Some(w) => outers.push(&w.refs),
                None => {}
            }
        }
        let (outer_rings, _) = assemble_rings(&outers);
        let (inner_rings, _) = assemble_rings(&inners);
        let mut polygons: Vec<Polygon> = outer_rings
            .iter()
            .filter_map(|r| b.ring(r).ok())
            .map(|exterior| Polygon { exterior, holes: Vec::new() })
            .collect();
        if polygons.is_empty() {
            // Mostly a neighbour that the extract cut: its ways are not all there.
            b.city.reject("admin_unclosed_ring");
            continue;
        }
        for hole in inner_rings.iter().filter_map(|r| b.ring(r).ok()) {
            if let Some(poly) = polygons.iter_mut().find(|p| crate::model::ring_contains(&p.exterior, hole[0])) {
                poly.holes.push(hole);
            }
        }
        for poly in &mut polygons {
            poly.normalize_orientation();
        }
        let area: f64 = polygons.iter().map(Polygon::area).sum();
        let inside: f64 = polygons
            .iter()
            .map(|p| {
                crate::model::signed_area(&crate::model::clip_ring_to_rect(&p.exterior, extent.min, extent.max)).abs()
            })
            .sum();
        if area <= 0.0 || inside < ADMIN_INSIDE_SHARE * area {
            b.city.reject("admin_outside_city");
            continue;
        }
        b.city.admin.push(AdminBoundary {
            id: rel.id,
            name: name.to_owned(),
            name_zh: tag(&rel.tags, "name:zh").map(str::to_owned),
            level,
            polygons,
        });
    }
    b.city.admin.sort_by(|x, y| (x.level, &x.name, x.id).cmp(&(y.level, &y.name, y.id)));
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
