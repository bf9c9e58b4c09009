//! The same OSM data as PBF and as XML (plain, gzip, bzip2) gives the same city: the Helsinki
//! extract is written out as OSM XML (the way JOSM saves a file: every element, with its
//! version, user and timestamp, plus a deleted and an invisible building that must not appear)
//! and both are imported from files on disk.

mod support;

use std::fmt::Write as _;
use std::io::Write as _;

use osmpbf::{Element, ElementReader, RelMemberType};
use twinhall_core::config::{CityConfig, CitySource};
use twinhall_core::osm::{OsmOptions, import_osm_path};
use twinhall_core::{CityModel, load};

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

fn tags<'a>(out: &mut String, tags: impl Iterator<Item = (&'a str, &'a str)>) {
    for (k, v) in tags {
        let _ = writeln!(out, "    <tag k=\"{}\" v=\"{}\"/>", escape(k), escape(v));
    }
}

/// Writes every element of a PBF file as OSM XML. Coordinates are written in Rust's shortest
/// exact form, so that both files hold the very same numbers.
fn pbf_to_xml(pbf: &[u8]) -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6' generator='JOSM'>\n");
    out += "  <bounds minlat='60.1642' minlon='24.9352' maxlat='60.1791' maxlon='24.9534' origin='osmium'/>\n";
    out += "  <!-- written from helsinki.osm.pbf by the twinhall tests -->\n";
    let meta =
        "version=\"3\" timestamp=\"2019-05-01T10:00:00Z\" uid=\"42\" user=\"M&amp;M &lt;test&gt;\" changeset=\"7\"";
    let node = |out: &mut String, id: i64, lat: f64, lon: f64, t: Vec<(&str, &str)>| {
        if t.is_empty() {
            let _ = writeln!(out, "  <node id=\"{id}\" {meta} lat=\"{lat}\" lon=\"{lon}\"/>");
        } else {
            let _ = writeln!(out, "  <node id=\"{id}\" {meta} lat=\"{lat}\" lon=\"{lon}\">");
            tags(out, t.into_iter());
            out.push_str("  </node>\n");
        }
    };
    ElementReader::new(pbf)
        .for_each(|element| match element {
            Element::DenseNode(n) => node(&mut out, n.id(), n.lat(), n.lon(), n.tags().collect()),
            Element::Node(n) => node(&mut out, n.id(), n.lat(), n.lon(), n.tags().collect()),
            Element::Way(w) => {
                let _ = writeln!(out, "  <way id=\"{}\" {meta}>", w.id());
                for r in w.refs() {
                    let _ = writeln!(out, "    <nd ref=\"{r}\"/>");
                }
                tags(&mut out, w.tags());
                out.push_str("  </way>\n");
            }
            Element::Relation(r) => {
                let _ = writeln!(out, "  <relation id=\"{}\" {meta}>", r.id());
                for m in r.members() {
                    let kind = match m.member_type {
                        RelMemberType::Node => "node",
                        RelMemberType::Way => "way",
                        RelMemberType::Relation => "relation",
                    };
                    let role = m.role().unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "    <member type=\"{kind}\" ref=\"{}\" role=\"{}\"/>",
                        m.member_id,
                        escape(role)
                    );
                }
                tags(&mut out, r.tags());
                out.push_str("  </relation>\n");
            }
        })
        .expect("the Helsinki extract reads");
    // JOSM keeps local deletions in the file until upload; history files carry invisible
    // versions. Neither is on the map.
    for (id, attribute) in [(-1, "action='delete'"), (-11, "visible='false'")] {
        for k in 0..4 {
            let _ = writeln!(out, "  <node id='{}' {attribute} lat='60.17{k}' lon='24.94{}'/>", id - k, k % 2);
        }
        let _ = writeln!(
            out,
            "  <way id='{id}' {attribute}><nd ref='{id}'/><nd ref='{}'/><nd ref='{}'/><nd ref='{}'/><nd ref='{id}'/>",
            id - 1,
            id - 2,
            id - 3
        );
        out += "    <tag k='building' v='yes'/>\n  </way>\n";
    }
    out + "</osm>\n"
}

/// The model without its per-file report (whose path differs), in full detail.
fn fingerprint(city: &CityModel) -> String {
    let mut city = city.clone();
    city.sources.clear();
    format!("{city:?}")
}

fn compress(bytes: &[u8], kind: &str) -> Vec<u8> {
    match kind {
        "gz" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(bytes).expect("writes to memory");
            e.finish().expect("writes to memory")
        }
        _ => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            e.write_all(bytes).expect("writes to memory");
            e.finish().expect("writes to memory")
        }
    }
}

#[test]
fn xml_gz_and_bz2_give_the_city_the_pbf_gives() {
    let dir = support::TempDir::new("osm-formats");
    let pbf_path = dir.path().join("helsinki.osm.pbf");
    std::fs::write(&pbf_path, load::HELSINKI_PBF).expect("writes");
    let options = OsmOptions::default();
    let from_pbf = import_osm_path(&pbf_path, &options).expect("the PBF imports");
    assert!(from_pbf.buildings.len() > 400 && from_pbf.roads.len() > 1000 && from_pbf.pois.len() > 200);
    assert!(from_pbf.buildings.iter().any(|b| !b.footprint.holes.is_empty()), "multipolygons with holes");

    let xml = pbf_to_xml(load::HELSINKI_PBF);
    let files = [
        ("helsinki.osm", xml.as_bytes().to_vec()),
        ("helsinki.osm.gz", compress(xml.as_bytes(), "gz")),
        ("helsinki.osm.bz2", compress(xml.as_bytes(), "bz2")),
        // Told by content, not by name.
        ("really-bzip2-xml.osm.pbf", compress(xml.as_bytes(), "bz2")),
    ];
    let wanted = fingerprint(&from_pbf);
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("writes");
        let city = import_osm_path(&path, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(fingerprint(&city) == wanted, "{name}: the city differs from the PBF's");
        let (a, b) = (&city.sources[0], &from_pbf.sources[0]);
        assert_eq!((a.loaded, &a.rejected, &a.repaired), (b.loaded, &b.rejected, &b.repaired), "{name}");
        assert_eq!(a.path, path.display().to_string(), "{name}");
    }

    // The app and the backend load the same files through `load_source`.
    let gz = dir.path().join("helsinki.osm.gz");
    let city = load::load_source(&CitySource::File(gz), &CityConfig::default()).expect("loads");
    assert_eq!(city.buildings.len(), from_pbf.buildings.len());
}

#[test]
fn a_file_of_another_format_is_named_with_the_formats_read() {
    let dir = support::TempDir::new("osm-other-formats");
    let path = dir.path().join("city.osm.gz");
    std::fs::write(&path, compress(br#"{"type":"FeatureCollection","features":[]}"#, "gz")).expect("writes");
    let msg = load::load_source(&CitySource::File(path.clone()), &CityConfig::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.starts_with(&format!("{}: this is gzip-compressed GeoJSON", path.display())), "{msg}");
    assert!(
        ["OSM PBF (.osm.pbf)", "OSM XML (.osm)", "(.osm.gz)", "(.osm.bz2)"].iter().all(|f| msg.contains(f)),
        "{msg}"
    );
    let missing = dir.path().join("missing.osm.bz2");
    let msg = import_osm_path(&missing, &OsmOptions::default()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.starts_with(&format!("{}: cannot read", missing.display())), "{msg}");
}

#[test]
fn a_generated_multipolygon_reads_the_same_plain_gzipped_and_bzipped() {
    let dir = support::TempDir::new("small-relation");
    let plain = dir.path().join("forest.osm");
    support::big_relation::write_big_relation(&plain, 300, 100).expect("writes");
    let bytes = std::fs::read(&plain).expect("reads");
    let a = import_osm_path(&plain, &OsmOptions::default()).expect("imports");
    for kind in ["gz", "bz2"] {
        let path = dir.path().join(format!("forest.osm.{kind}"));
        std::fs::write(&path, compress(&bytes, kind)).expect("writes");
        let b = import_osm_path(&path, &OsmOptions::default()).expect("imports");
        assert_eq!(fingerprint(&a), fingerprint(&b), "{kind}");
    }
    assert_eq!(a.green[0].polygon.holes.len(), 100);
}
