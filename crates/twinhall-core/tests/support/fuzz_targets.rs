//! The core's fuzz targets: each names its samples (files shipped in the repository, or small
//! ones generated here), the tokens of its format, and the call that reads an input. Shared by
//! `tests/fuzz.rs` (fixed counts in CI) and `examples/fuzz.rs` (longer runs).

use std::io::{Read, Write};
use std::path::Path;

use twinhall_core::LonLat;
use twinhall_core::crs::Crs;
use twinhall_core::geojson::{GeoJsonOptions, LayerKind, centre_of, import_geojson_bytes};
use twinhall_core::model::CityModel;
use twinhall_core::osm::{OsmOptions, import_osm_bytes};
use twinhall_core::protocol::{Batch, Incident, Snapshot};
use twinhall_core::sim::{SimConfig, Simulation};
use twinhall_core::store::FeedStore;

use super::fuzz::Target;

pub const TARGETS: [&str; 9] =
    ["osm_pbf", "osm_xml", "osm_compressed", "geojson", "config", "plans", "rules", "protocol", "store"];

/// The constant part of the PBF target's memory bound (see `target`).
pub const PBF_SLACK: usize = 512 << 20;

const HELSINKI_PBF: &[u8] = include_bytes!("../../../../assets/city/helsinki.osm.pbf");
const DEFAULT_TOML: &str = include_str!("../../../../config/default.toml");
const PLANS_TOML: &str = include_str!("../../../../config/plans.toml");
const RULES_TOML: &str = include_str!("../../../../config/rules.toml");
const PROTOCOL_DOC: &str = include_str!("../../../../docs/feed-protocol.md");

const XML_TOKENS: &[&[u8]] = &[
    b"<node id=\"9\" lat=\"60.17\" lon=\"24.94\"/>",
    b"<way id=\"9\">",
    b"</way>",
    b"<nd ref=\"1\"/>",
    b"<tag k=\"building\" v=\"yes\"/>",
    b"<tag k=\"height\" v=\"1e308\"/>",
    b"<tag k=\"type\" v=\"multipolygon\"/>",
    b"<relation id=\"9\">",
    b"<member type=\"way\" ref=\"2\" role=\"inner\"/>",
    b"&amp;",
    b"&#0;",
    b"&#xFFFFFFFF;",
    b"<![CDATA[",
    b"<!DOCTYPE osm [<!ENTITY a \"aaaaaaaa\">]>",
    b"&a;",
    b"\"",
    b"'",
    b"<",
    b">",
    b"/>",
    b"-9223372036854775808",
    b"NaN",
    b"1e999",
    b"-91",
    b"<?xml version=\"1.0\"?>",
];

const JSON_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"null",
    b"true",
    b"-0",
    b"1e999",
    b"-1",
    b"1e-320",
    b"18446744073709551616",
    b"9007199254740993",
    b"\"\\ud800\"",
    b"[[[",
    b"\"coordinates\"",
    b"\"type\"",
    b"\"Polygon\"",
    b"\"MultiPolygon\"",
    b"\"LineString\"",
    b"\"MultiLineString\"",
    b"\"Point\"",
    b"\"GeometryCollection\"",
    b"\"features\"",
    b"\"height\"",
    b"\"levels\"",
    b"180.0000001",
    b"90.1",
    b"\"seq\"",
    b"\"id\"",
    b"\"version\"",
    b"\"status\"",
    b"\"lon\"",
    b"\"lat\"",
];

const TOML_TOKENS: &[&[u8]] = &[
    b"[",
    b"]",
    b"[[",
    b"]]",
    b"=",
    b"\"",
    b"'''",
    b"\"\"\"",
    b"\n",
    b"#",
    b"inf",
    b"nan",
    b"-inf",
    b"1e999",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"0x",
    b"1979-05-27T07:32:00Z",
    b"{}",
    b"[]",
    b"true",
    b"\"\\u0000\"",
    b" = ",
    b".",
    b"-1",
    b"0.0",
    b"\"\"",
    b"\xe4\xb8\xad",
];

/// Header and first data block of the demo city, as shipped (zlib) and re-encoded raw, so that
/// mutations reach the protobuf inside as well as the framing.
fn pbf_samples() -> Vec<Vec<u8>> {
    let blocks = pbf_blocks(HELSINKI_PBF);
    let zlib: Vec<u8> = blocks.iter().take(2).flat_map(|b| b.framed.clone()).collect();
    let mut raw = Vec::new();
    for block in blocks.iter().take(2) {
        let mut inflated = Vec::new();
        if flate2::read::ZlibDecoder::new(block.zlib.as_slice()).read_to_end(&mut inflated).is_err() {
            continue;
        }
        let mut blob = Vec::new();
        field_bytes(&mut blob, 1, &inflated);
        field_varint(&mut blob, 2, inflated.len() as u64);
        let mut header = Vec::new();
        field_bytes(&mut header, 1, block.kind.as_bytes());
        field_varint(&mut header, 3, blob.len() as u64);
        raw.extend_from_slice(&(header.len() as u32).to_be_bytes());
        raw.extend_from_slice(&header);
        raw.extend_from_slice(&blob);
    }
    vec![zlib, raw]
}

struct PbfBlock {
    kind: String,
    framed: Vec<u8>,
    zlib: Vec<u8>,
}

/// The blocks of a PBF file; only what the samples need of protobuf is read.
fn pbf_blocks(file: &[u8]) -> Vec<PbfBlock> {
    let mut blocks = Vec::new();
    let mut at = 0;
    while at + 4 <= file.len() {
        let header_len = u32::from_be_bytes([file[at], file[at + 1], file[at + 2], file[at + 3]]) as usize;
        let Some(header) = file.get(at + 4..at + 4 + header_len) else { break };
        let (mut kind, mut size) = (String::new(), 0);
        for (field, value) in fields(header) {
            match (field, value) {
                (1, Value::Bytes(b)) => kind = String::from_utf8_lossy(b).into_owned(),
                (3, Value::Varint(v)) => size = v as usize,
                _ => {}
            }
        }
        let end = at + 4 + header_len + size;
        let Some(blob) = file.get(at + 4 + header_len..end) else { break };
        let zlib = fields(blob)
            .into_iter()
            .find_map(|(f, v)| match (f, v) {
                (3, Value::Bytes(b)) => Some(b.to_vec()),
                _ => None,
            })
            .unwrap_or_default();
        blocks.push(PbfBlock { kind, framed: file[at..end].to_vec(), zlib });
        at = end;
    }
    blocks
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(value);
        }
    }
    None
}

fn fields(bytes: &[u8]) -> Vec<(u64, Value<'_>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(key) = varint(bytes, &mut at) {
        let value = match key & 7 {
            0 => match varint(bytes, &mut at) {
                Some(v) => Value::Varint(v),
                None => break,
            },
            2 => {
                let Some(len) = varint(bytes, &mut at) else { break };
                let Some(b) = bytes.get(at..at + len as usize) else { break };
                at += len as usize;
                Value::Bytes(b)
            }
            _ => break,
        };
        out.push((key >> 3, value));
    }
    out
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_varint(out: &mut Vec<u8>, field: u64, v: u64) {
    put_varint(out, field << 3);
    put_varint(out, v);
}

fn field_bytes(out: &mut Vec<u8>, field: u64, b: &[u8]) {
    put_varint(out, (field << 3) | 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// A small OSM XML city: a building with a height, one with levels, a road, a multipolygon
/// forest with a clearing, a lake, and a point of interest.
fn osm_xml_sample() -> Vec<u8> {
    let mut x = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6' generator='fuzz'>\n");
    let square = |id0: i64, lon: f64, lat: f64, d: f64| {
        [(0.0, 0.0), (d, 0.0), (d, d), (0.0, d)]
            .iter()
            .enumerate()
            .map(|(k, (dx, dy))| {
                format!("  <node id='{}' lat='{:.7}' lon='{:.7}'/>\n", id0 + k as i64, lat + dy, lon + dx)
            })
            .collect::<String>()
    };
    x += &square(1, 24.940, 60.170, 0.0004);
    x += &square(5, 24.942, 60.170, 0.0003);
    x += &square(9, 24.930, 60.160, 0.01);
    x += &square(13, 24.933, 60.163, 0.002);
    x += &square(17, 24.950, 60.175, 0.003);
    x += "  <node id='21' lat='60.1705' lon='24.9410'><tag k='amenity' v='hospital'/><tag k='name' v='Meilahti &amp; co'/></node>\n";
    let way = |id: i64, first: i64, tags: &str| {
        format!(
            "  <way id='{id}'><nd ref='{}'/><nd ref='{}'/><nd ref='{}'/><nd ref='{}'/><nd ref='{first}'/>{tags}</way>\n",
            first,
            first + 1,
            first + 2,
            first + 3
        )
    };
    x += &way(101, 1, "<tag k='building' v='yes'/><tag k='height' v='24 m'/>");
    x += &way(102, 5, "<tag k='building' v='apartments'/><tag k='building:levels' v='7'/>");
    x += &way(103, 9, "");
    x += &way(104, 13, "");
    x += &way(105, 17, "<tag k='natural' v='water'/>");
    x += "  <way id='106'><nd ref='1'/><nd ref='9'/><nd ref='17'/><tag k='highway' v='primary'/><tag k='name' v='Mannerheimintie'/></way>\n";
    x += "  <relation id='201'><member type='way' ref='103' role='outer'/><member type='way' ref='104' role='inner'/><tag k='type' v='multipolygon'/><tag k='landuse' v='forest'/></relation>\n";
    x += "</osm>\n";
    x.into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

fn bzip2(bytes: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

fn geojson_samples() -> Vec<Vec<u8>> {
    let buildings = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"height":30,"name":"A"},"geometry":{"type":"Polygon","coordinates":[[[24.940,60.170],[24.9404,60.170],[24.9404,60.1703],[24.940,60.1703],[24.940,60.170]]]}},
 {"type":"Feature","properties":{"levels":"4"},"geometry":{"type":"Polygon","coordinates":[[[24.941,60.170],[24.9413,60.170],[24.9413,60.1703],[24.941,60.170]],[[24.9411,60.1701],[24.9412,60.1701],[24.9412,60.1702],[24.9411,60.1701]]]}},
 {"type":"Feature","properties":{"height":"12"},"geometry":{"type":"MultiPolygon","coordinates":[[[[24.942,60.170],[24.9423,60.170],[24.9423,60.1703],[24.942,60.170]]],[[[24.943,60.170],[24.9433,60.170],[24.9433,60.1703],[24.943,60.170]]]]}},
 {"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[24.94,60.17]}]}},
 {"type":"Feature","properties":null,"geometry":null}
]}"#;
    let lines = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"highway":"primary","name":"Mannerheimintie"},"geometry":{"type":"LineString","coordinates":[[24.93,60.16],[24.94,60.17],[24.95,60.175]]}},
 {"type":"Feature","properties":{"class":"residential"},"geometry":{"type":"MultiLineString","coordinates":[[[24.93,60.16],[24.931,60.161]],[[24.932,60.162],[24.933,60.163,5.0]]]}},
 {"type":"Feature","properties":{"name":"医院","kind":"hospital"},"geometry":{"type":"Point","coordinates":[24.941,60.1705]}},
 {"type":"Feature","properties":{"name":"点"},"geometry":{"type":"MultiPoint","coordinates":[[24.941,60.1705],[24.942,60.1706]]}}
]}"#;
    vec![buildings.as_bytes().to_vec(), lines.as_bytes().to_vec()]
}

/// A small simulated city's snapshot, a batch after it, one incident, and the protocol
/// document's own examples.
fn protocol_samples() -> Vec<Vec<u8>> {
    let city = twinhall_core::generate::generate_city(40, 3, LonLat::new(24.94, 60.17));
    let config = SimConfig { cameras: 4, units: 4, sensors: 3, supply_depots: 1, incidents: 3, ..SimConfig::default() };
    let mut sim = Simulation::new(&city, config);
    let snapshot = sim.snapshot();
    let mut samples = Vec::new();
    samples.extend(serde_json::to_vec(&snapshot).ok());
    samples.extend(snapshot.entities.incidents.first().and_then(|i| serde_json::to_vec(i).ok()));
    for _ in 0..20 {
        sim.step(5_000);
        if let Some(batch) = sim.take_batch() {
            samples.extend(serde_json::to_vec(&batch).ok());
            break;
        }
    }
    for block in PROTOCOL_DOC.split("```json").skip(1).filter_map(|b| b.split("```").next()) {
        samples.push(block.as_bytes().to_vec());
    }
    samples
}

/// A structural mutation of TOML: the document as a JSON tree, one node changed, written back
/// (a change TOML cannot hold, such as a null, falls back to the byte mutations).
fn mutate_toml(rng: &mut twinhall_core::generate::SplitMix64, bytes: &[u8]) -> Option<Vec<u8>> {
    let table: toml::Table = toml::from_str(std::str::from_utf8(bytes).ok()?).ok()?;
    let mut value = serde_json::to_value(table).ok()?;
    super::fuzz::mutate_tree(rng, &mut value);
    toml::to_string(&value).ok().map(String::into_bytes)
}

const KINDS: [LayerKind; 5] =
    [LayerKind::Buildings, LayerKind::Roads, LayerKind::Water, LayerKind::Green, LayerKind::Pois];

/// Reads one input; true when the input was accepted.
pub type Exec = Box<dyn FnMut(&[u8]) -> bool>;

/// The target `name` with `inputs` inputs from `seed`, and the call that reads one input
/// (true when the input was accepted).
pub fn target(name: &str, inputs: usize, seed: u64) -> Option<(Target<'static>, Exec)> {
    let target = |name: &'static str, samples: Vec<Vec<u8>>, dictionary: &'static [&'static [u8]], max_len| Target {
        name,
        seed,
        inputs,
        samples,
        dictionary,
        max_len,
        structural: None,
        slack: super::fuzz::SLACK,
    };
    let json = |t: Target<'static>| Target { structural: Some(super::fuzz::mutate_json), ..t };
    let toml = |t: Target<'static>| Target { structural: Some(mutate_toml), ..t };
    let osm = |bytes: &[u8]| import_osm_bytes(bytes, Path::new("fuzz.osm"), &OsmOptions::default()).is_ok();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    Some(match name {
        // rust-protobuf (under osmpbf) reserves a packed field's declared length, capped at
        // 10,000,000 elements (80 MB of i64), before it finds the data shorter: a 90 kB block
        // can reserve that much per field for a moment. Every block is capped at 32 MiB
        // inflated, so the PBF bound is 64 x input + PBF_SLACK.
        "osm_pbf" => (Target { slack: PBF_SLACK, ..target("osm_pbf", pbf_samples(), &[], 4 << 20) }, Box::new(osm)),
        "osm_xml" => (target("osm_xml", vec![osm_xml_sample()], XML_TOKENS, 1 << 16), Box::new(osm)),
        "osm_compressed" => {
            let xml = osm_xml_sample();
            (target("osm_compressed", vec![gzip(&xml), bzip2(&xml)], &[], 1 << 16), Box::new(osm))
        }
        "geojson" => (
            json(target("geojson", geojson_samples(), JSON_TOKENS, 1 << 16)),
            Box::new(move |bytes: &[u8]| {
                let kind = KINDS[bytes.len() % KINDS.len()];
                let options =
                    GeoJsonOptions { kind, crs: Crs::Wgs84, height_attribute: "height".into(), level_height_m: 3.0 };
                let path = Path::new("fuzz.geojson");
                let _ = centre_of(bytes, path, &Crs::Gcj02);
                let mut city = CityModel::empty("fuzz", LonLat::new(24.94, 60.17));
                import_geojson_bytes(bytes, path, &options, &mut city).is_ok()
            }),
        ),
        "config" => (
            toml(target("config", vec![DEFAULT_TOML.as_bytes().to_vec()], TOML_TOKENS, 1 << 16)),
            Box::new(move |bytes: &[u8]| {
                twinhall_core::config::Config::parse(&text(bytes), Path::new("fuzz.toml")).is_ok()
            }),
        ),
        "plans" => (
            toml(target("plans", vec![PLANS_TOML.as_bytes().to_vec()], TOML_TOKENS, 1 << 16)),
            Box::new(move |bytes: &[u8]| {
                twinhall_core::hub::plans::Plans::parse(&text(bytes), Path::new("plans.toml")).is_ok()
            }),
        ),
        "rules" => (
            toml(target("rules", vec![RULES_TOML.as_bytes().to_vec()], TOML_TOKENS, 1 << 16)),
            Box::new(move |bytes: &[u8]| {
                twinhall_core::rules::Rules::parse(&text(bytes), Path::new("rules.toml")).is_ok()
            }),
        ),
        "protocol" => (
            json(target("protocol", protocol_samples(), JSON_TOKENS, 1 << 16)),
            Box::new(|bytes: &[u8]| {
                let snapshot = serde_json::from_slice::<Snapshot>(bytes).is_ok();
                let batch = serde_json::from_slice::<Batch>(bytes).is_ok();
                let incident = serde_json::from_slice::<Incident>(bytes).is_ok();
                snapshot || batch || incident
            }),
        ),
        "store" => {
            // Decoded messages applied to a store: a snapshot to a fresh one, a batch to the
            // store the sample snapshot built.
            let samples = protocol_samples();
            let mut base = FeedStore::default();
            if let Some(s) = samples.first().and_then(|s| serde_json::from_slice::<Snapshot>(s).ok()) {
                base.apply_snapshot(s);
            }
            (
                json(target("store", samples, JSON_TOKENS, 1 << 16)),
                Box::new(move |bytes: &[u8]| {
                    if let Ok(s) = serde_json::from_slice::<Snapshot>(bytes) {
                        FeedStore::default().apply_snapshot(s);
                        return true;
                    }
                    if let Ok(b) = serde_json::from_slice::<Batch>(bytes) {
                        let mut store = base.clone();
                        return store.apply_batch(b).is_ok();
                    }
                    false
                }),
            )
        }
        _ => return None,
    })
}
