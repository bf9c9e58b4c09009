//! GeoJSON FeatureCollection import: buildings (height from a configurable attribute, or
//! levels), roads, water, green areas and points of interest, in any CRS [`crate::crs`] knows.
//! Bad features are counted per reason; a file that is not GeoJSON at all is an error.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::crs::{Crs, ToWgs84};
use crate::model::{
    AreaFeature, Building, BuildingKind, CityModel, FileReport, Poi, PoiKind, Polygon, Road, RoadClass,
};
use crate::osm::{ImportError, parse_length_m, validate_ring};

/// What a layer file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    Buildings,
    Roads,
    Water,
    Green,
    Pois,
}

#[derive(Clone, Debug)]
pub struct GeoJsonOptions {
    pub kind: LayerKind,
    pub crs: Crs,
    /// Property holding a building's height in metres.
    pub height_attribute: String,
    pub level_height_m: f32,
}

/// The centre of the bounding box of every coordinate in a GeoJSON file, in WGS84: the origin
/// for a city whose main source is GeoJSON.
pub fn centre_of(bytes: &[u8], path: &Path, crs: &Crs) -> Result<crate::frame::LonLat, ImportError> {
    let fail = |message: String| ImportError::Format { path: path.into(), message };
    let root: Value = serde_json::from_slice(bytes).map_err(|e| fail(format!("not JSON: {e}")))?;
    let to_wgs = ToWgs84::new(crs).map_err(|m| fail(format!("crs: {m}")))?;
    let mut b = crate::model::Bounds::EMPTY;
    fn walk(v: &Value, to_wgs: &ToWgs84, b: &mut crate::model::Bounds) {
        match v {
            Value::Array(a) if a.len() >= 2 && a[0].is_number() && a[1].is_number() => {
                if let (Some(x), Some(y)) = (a[0].as_f64(), a[1].as_f64())
                    && let Some(ll) = to_wgs.convert(x, y)
                {
                    b.extend([ll.lon, ll.lat]);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, to_wgs, b)),
            Value::Object(o) => {
                if let Some(c) = o.get("coordinates") {
                    walk(c, to_wgs, b);
                }
                for key in ["features", "geometry", "geometries"] {
                    if let Some(x) = o.get(key) {
                        walk(x, to_wgs, b);
                    }
                }
            }
            _ => {}
        }
    }
    walk(&root, &to_wgs, &mut b);
    if b.is_empty() {
        return Err(fail("no valid coordinates".into()));
    }
    let [lon, lat] = b.center();
    Ok(crate::frame::LonLat::new(lon, lat))
}

/// Reads a GeoJSON file into `city` (whose frame must already be set).
pub fn import_geojson_path(
    path: &Path,
    options: &GeoJsonOptions,
    city: &mut CityModel,
) -> Result<FileReport, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io { path: path.into(), source })?;
    import_geojson_bytes(&bytes, path, options, city)
}

pub fn import_geojson_bytes(
    bytes: &[u8],
    path: &Path,
    options: &GeoJsonOptions,
    city: &mut CityModel,
) -> Result<FileReport, ImportError> {
    let fail = |message: String| ImportError::Format { path: path.into(), message };
    let root: Value = serde_json::from_slice(bytes).map_err(|e| fail(format!("not JSON: {e}")))?;
    if root.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(fail("not a GeoJSON FeatureCollection (\"type\" must be \"FeatureCollection\")".into()));
    }
    let features =
        root.get("features").and_then(Value::as_array).ok_or_else(|| fail("\"features\" is not an array".into()))?;
    let to_wgs = ToWgs84::new(&options.crs).map_err(|m| fail(format!("crs: {m}")))?;
    let mut report = FileReport::new(path);
    let mut importer = Importer { to_wgs: &to_wgs, city, report: &mut report, options };
    for (i, feature) in features.iter().enumerate() {
        importer.feature(i, feature);
    }
    for (k, v) in &report.rejected {
        *city.rejected.entry(format!("geojson_{k}")).or_default() += v;
    }
    for (k, v) in &report.repaired {
        *city.repaired.entry(format!("geojson_{k}")).or_default() += v;
    }
    Ok(report)
}

struct Importer<'a> {
    to_wgs: &'a ToWgs84,
    city: &'a mut CityModel,
    report: &'a mut FileReport,
    options: &'a GeoJsonOptions,
}

impl Importer<'_> {
    fn point(&self, v: &Value) -> Result<[f64; 2], &'static str> {
        let a = v.as_array().ok_or("bad_coordinate")?;
        let (x, y) = (a.first().and_then(Value::as_f64), a.get(1).and_then(Value::as_f64));
        let (Some(x), Some(y)) = (x, y) else { return Err("bad_coordinate") };
        let ll = self.to_wgs.convert(x, y).ok_or("bad_coordinate")?;
        Ok(self.city.frame.to_local(ll))
    }

    fn line(&self, v: &Value) -> Result<Vec<[f64; 2]>, &'static str> {
        let pts = v.as_array().ok_or("bad_geometry")?.iter().map(|p| self.point(p)).collect::<Result<Vec<_>, _>>()?;
        if pts.len() < 2 {
            return Err("too_few_points");
        }
        Ok(pts)
    }

    fn polygon(&self, v: &Value) -> Result<Polygon, &'static str> {
        let rings = v.as_array().ok_or("bad_geometry")?;
        let mut out = rings.iter().map(|r| {
            let pts =
                r.as_array().ok_or("bad_geometry")?.iter().map(|p| self.point(p)).collect::<Result<Vec<_>, _>>()?;
            if pts.len() >= 2 && pts.first() != pts.last() {
                return Err("unclosed_ring");
            }
            validate_ring(pts)
        });
        let exterior = out.next().ok_or("bad_geometry")??;
        let holes = out.collect::<Result<Vec<_>, _>>()?;
        let mut p = Polygon { exterior, holes };
        p.normalize_orientation();
        Ok(p)
    }

    fn feature(&mut self, index: usize, f: &Value) {
        let id = f.get("id").and_then(Value::as_i64).unwrap_or(index as i64 + 1);
        let props = f.get("properties").and_then(Value::as_object);
        let prop_str = |k: &str| -> Option<String> {
            props.and_then(|p| p.get(k)).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let Some(geom) = f.get("geometry").filter(|g| !g.is_null()) else {
            self.report.reject("no_geometry");
            return;
        };
        let gtype = geom.get("type").and_then(Value::as_str).unwrap_or("");
        let coords = geom.get("coordinates").unwrap_or(&Value::Null);
        let name = prop_str("name:zh").or_else(|| prop_str("name"));
        match (self.options.kind, gtype) {
            (LayerKind::Buildings | LayerKind::Water | LayerKind::Green, "Polygon" | "MultiPolygon") => {
                let polys: Vec<&Value> = if gtype == "Polygon" {
                    vec![coords]
                } else {
                    coords.as_array().map(|a| a.iter().collect()).unwrap_or_default()
                };
                if polys.is_empty() {
                    self.report.reject("bad_geometry");
                }
                for pv in polys {
                    let poly = match self.polygon(pv) {
                        Ok(p) => p,
                        Err(reason) => {
                            self.report.reject(reason);
                            continue;
                        }
                    };
                    self.report.loaded += 1;
                    match self.options.kind {
                        LayerKind::Buildings => {
                            let kind = BuildingKind::from_osm(prop_str("building").as_deref().unwrap_or("yes"));
                            let height = prop_str(&self.options.height_attribute)
                                .and_then(|h| parse_length_m(&h))
                                .or_else(|| {
                                    prop_str("building:levels")
                                        .or_else(|| prop_str("levels"))
                                        .and_then(|l| parse_length_m(&l))
                                        .map(|l| l * self.options.level_height_m)
                                });
                            let height_m = match height {
                                Some(h) if (0.5..=1000.0).contains(&h) => h,
                                Some(_) => {
                                    self.report.repair("absurd_height");
                                    kind.default_height_m()
                                }
                                None => kind.default_height_m(),
                            };
                            self.city.buildings.push(Building {
                                id,
                                footprint: poly,
                                height_m,
                                min_height_m: 0.0,
                                kind,
                                name: name.clone(),
                            });
                        }
                        LayerKind::Water => self.city.water.push(AreaFeature { id, polygon: poly, name: name.clone() }),
                        _ => self.city.green.push(AreaFeature { id, polygon: poly, name: name.clone() }),
                    }
                }
            }
            (LayerKind::Roads, "LineString" | "MultiLineString") => {
                let lines: Vec<&Value> = if gtype == "LineString" {
                    vec![coords]
                } else {
                    coords.as_array().map(|a| a.iter().collect()).unwrap_or_default()
                };
                let class = ["highway", "class", "fclass"]
                    .iter()
                    .find_map(|k| prop_str(k).and_then(|c| RoadClass::from_osm(&c)))
                    .unwrap_or(RoadClass::Residential);
                for lv in lines {
                    match self.line(lv) {
                        Ok(points) => {
                            self.report.loaded += 1;
                            self.city.roads.push(Road {
                                id,
                                class,
                                points,
                                name: name.clone(),
                                oneway: prop_str("oneway").as_deref() == Some("yes"),
                                tunnel: prop_str("tunnel").as_deref() == Some("yes"),
                            });
                        }
                        Err(reason) => self.report.reject(reason),
                    }
                }
            }
            (LayerKind::Pois, "Point") => {
                let tags: std::collections::BTreeMap<String, String> = props
                    .map(|p| p.keys().filter_map(|k| prop_str(k).map(|v| (k.clone(), v))).collect())
                    .unwrap_or_default();
                let kind = prop_str("kind")
                    .and_then(|k| serde_json::from_value::<PoiKind>(Value::String(k)).ok())
                    .or_else(|| PoiKind::from_tags(|k| tags.get(k).map(String::as_str)));
                let Some(kind) = kind else {
                    self.report.reject("unknown_poi_kind");
                    return;
                };
                match self.point(coords) {
                    Ok(pos) => {
                        self.report.loaded += 1;
                        let lonlat = self.city.frame.to_lonlat(pos);
                        self.city.pois.push(Poi { id, kind, lonlat, pos, name, tags });
                    }
                    Err(reason) => self.report.reject(reason),
                }
            }
            _ => self.report.reject("wrong_geometry_type"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::LonLat;

    fn options(kind: LayerKind, crs: Crs) -> GeoJsonOptions {
        GeoJsonOptions { kind, crs, height_attribute: "height".into(), level_height_m: 3.0 }
    }

    #[test]
    fn buildings_load_with_heights_and_bad_features_are_counted() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"height":30},"geometry":{"type":"Polygon","coordinates":[[[114.0,22.5],[114.0003,22.5],[114.0003,22.5003],[114.0,22.5003],[114.0,22.5]]]}},
          {"type":"Feature","properties":{"levels":"4"},"geometry":{"type":"Polygon","coordinates":[[[114.001,22.5],[114.0013,22.5],[114.0013,22.5003],[114.001,22.5]]]}},
          {"type":"Feature","properties":{"height":99999},"geometry":{"type":"Polygon","coordinates":[[[114.002,22.5],[114.0023,22.5],[114.0023,22.5003],[114.002,22.5]]]}},
          {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[114.0,22.5],[114.0003,22.5],[114.0003,22.5003]]]}},
          {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[114.0,22.5],["x",22.5],[114.0003,22.5003],[114.0,22.5]]]}},
          {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[114.0,22.5],[114.0003,22.5003],[114.0003,22.5],[114.0,22.5005],[114.0,22.5]]]}},
          {"type":"Feature","properties":{},"geometry":null},
          {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[114.0,22.5]}}
        ]}"#;
        let mut city = CityModel::empty("t", LonLat::new(114.0, 22.5));
        let report = import_geojson_bytes(
            text.as_bytes(),
            Path::new("b.geojson"),
            &options(LayerKind::Buildings, Crs::Wgs84),
            &mut city,
        )
        .expect("imports");
        assert_eq!(report.loaded, 3);
        assert_eq!(city.buildings[0].height_m, 30.0);
        assert_eq!(city.buildings[1].height_m, 12.0);
        assert_eq!(report.repaired.get("absurd_height"), Some(&1));
        assert_eq!(report.rejected.get("unclosed_ring"), Some(&1));
        assert_eq!(report.rejected.get("bad_coordinate"), Some(&1));
        assert_eq!(report.rejected.get("self_intersecting"), Some(&1));
        assert_eq!(report.rejected.get("no_geometry"), Some(&1));
        assert_eq!(report.rejected.get("wrong_geometry_type"), Some(&1));
        // About 30.9 m x 33.2 m at 22.5 N.
        let a = city.buildings[0].footprint.area();
        assert!((a - 30.87 * 33.2).abs() < 20.0, "{a}");
    }

    #[test]
    fn projected_and_gcj_inputs_land_where_wgs84_does() {
        let origin = LonLat::new(114.0579, 22.5431);
        let mut city = CityModel::empty("t", origin);
        // The same point in EPSG:4547 (from cs2cs) and GCJ-02.
        let g = crate::gcj02::wgs84_to_gcj02(origin);
        let text_gk = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"camera"},"geometry":{"type":"Point","coordinates":[505955.8462,2493941.2457]}}]}"#;
        let text_gcj = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"man_made":"surveillance"}},"geometry":{{"type":"Point","coordinates":[{},{}]}}}}]}}"#,
            g.lon, g.lat
        );
        import_geojson_bytes(
            text_gk.as_bytes(),
            Path::new("gk.geojson"),
            &options(LayerKind::Pois, Crs::Epsg(4547)),
            &mut city,
        )
        .expect("gk");
        import_geojson_bytes(
            text_gcj.as_bytes(),
            Path::new("gcj.geojson"),
            &options(LayerKind::Pois, Crs::Gcj02),
            &mut city,
        )
        .expect("gcj");
        assert_eq!(city.pois.len(), 2);
        for p in &city.pois {
            assert_eq!(p.kind, PoiKind::Camera);
            assert!(p.pos[0].hypot(p.pos[1]) < 0.01, "{:?} is not at the origin", p.pos);
        }
    }

    #[test]
    fn not_geojson_is_an_error_naming_the_file() {
        let mut city = CityModel::empty("t", LonLat::new(0.0, 0.0));
        for text in ["{", "[]", r#"{"type":"Feature"}"#] {
            let err = import_geojson_bytes(
                text.as_bytes(),
                Path::new("x.geojson"),
                &options(LayerKind::Roads, Crs::Wgs84),
                &mut city,
            );
            let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.starts_with("x.geojson:"), "{msg}");
        }
    }
}
