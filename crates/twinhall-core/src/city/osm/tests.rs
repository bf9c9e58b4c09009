//! Reading OSM files: what each format yields and how each bad file is reported.

use std::io::Write;
use std::path::Path;

use super::*;
use crate::CityModel;

fn import(text: &[u8], name: &str) -> Result<CityModel, String> {
    import_osm_bytes(text, Path::new(name), &OsmOptions::default()).map_err(|e| e.to_string())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("writes to memory");
    encoder.finish().expect("writes to memory")
}

fn bzip2(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    encoder.write_all(bytes).expect("writes to memory");
    encoder.finish().expect("writes to memory")
}

/// A square building way of four new (negative-id) nodes around `[lon, lat]`, as JOSM writes
/// unsaved objects; `extra` goes into the way's start tag.
fn square(first_id: i64, lon: f64, lat: f64, extra: &str, tags: &str) -> String {
    let d = 0.0002;
    let corners = [(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)];
    let mut out = String::new();
    for (k, (x, y)) in corners.iter().enumerate() {
        out += &format!("  <node id='{}' action='modify' visible='true' lat='{y}' lon='{x}' />\n", first_id - k as i64);
    }
    out += &format!("  <way id='{first_id}' {extra}>\n");
    for k in [0, 1, 2, 3, 0] {
        out += &format!("    <nd ref='{}' />\n", first_id - k);
    }
    out + tags + "  </way>\n"
}

fn josm_file(body: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6' upload='never' generator='JOSM'>\n  \
         <bounds minlat='60.16' minlon='24.93' maxlat='60.18' maxlon='24.96' origin='CGImap 0.9' />\n{body}</osm>\n"
    )
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let msg = import(b"definitely not a pbf file", "x.pbf").err().unwrap_or_default();
    assert!(msg.starts_with("x.pbf:"), "{msg}");
    assert!(msg.contains("plain text") && msg.contains(".osm.bz2"), "{msg}");
}

#[test]
fn a_josm_file_reads_with_its_deletions_left_out() {
    let tags = "    <tag k='building' v='yes' />\n    <tag k='name' v='Caf&#233; &amp; &quot;Bar&quot;&#10;2nd line' />\n    <tag k='height' v='21' />\n";
    let deleted = square(-10, 24.9402, 60.1702, "action='delete'", "    <tag k='building' v='yes' />\n");
    let invisible = square(-20, 24.9406, 60.1702, "visible='false'", "    <tag k='building' v='yes' />\n");
    let file = josm_file(&(square(-1, 24.9410, 60.1700, "action='modify'", tags) + &deleted + &invisible));
    let city = import(file.as_bytes(), "josm.osm").expect("a JOSM file imports");
    assert_eq!(city.buildings.len(), 1, "{:?}", city.buildings);
    let b = &city.buildings[0];
    assert_eq!((b.id, b.height_m), (-1, 21.0));
    assert_eq!(b.name.as_deref(), Some("Café & \"Bar\"\n2nd line"));
    // 0.0002° square at 60.17° N: 11.1 m east by 22.3 m north.
    assert!((b.footprint.area() - 247.0).abs() < 2.0, "{}", b.footprint.area());

    // The same file gzipped and bzipped, under names that do not say so.
    for (bytes, name) in [(gzip(file.as_bytes()), "josm.osm.pbf"), (bzip2(file.as_bytes()), "josm")] {
        let again = import(&bytes, name).expect("compressed XML imports");
        assert_eq!(format!("{:?}", again.buildings), format!("{:?}", city.buildings));
    }
}

#[test]
fn multipolygons_and_overpass_geometry_read_from_xml() {
    // An Overpass `out geom` way: coordinates on the <nd>s, no <node> elements.
    let mut body = String::from(
        "  <meta osm_base='2024-05-01T00:00:00Z'/>\n  <way id='7'>\n    <bounds minlat='60.17' minlon='24.94' maxlat='60.1702' maxlon='24.9403'/>\n",
    );
    for (k, (lon, lat)) in
        [(24.94, 60.17), (24.9403, 60.17), (24.9403, 60.1702), (24.94, 60.1702), (24.94, 60.17)].iter().enumerate()
    {
        body += &format!("    <nd ref='{}' lat='{lat}' lon='{lon}'/>\n", 100 + k % 4);
    }
    body += "    <tag k='building' v='office'/>\n  </way>\n";
    // A multipolygon courtyard: the outer ring in two ways (one reversed), one inner ring; the
    // relation also has node and relation members, which play no part.
    let ring = |ids: &[i64], pts: &[(f64, f64)]| -> String {
        ids.iter().zip(pts).map(|(id, (lon, lat))| format!("  <node id='{id}' lat='{lat}' lon='{lon}'/>\n")).collect()
    };
    body += &ring(&[1, 2, 3, 4], &[(24.950, 60.170), (24.952, 60.170), (24.952, 60.171), (24.950, 60.171)]);
    body += &ring(&[5, 6, 7, 8], &[(24.9505, 60.1702), (24.9515, 60.1702), (24.9515, 60.1708), (24.9505, 60.1708)]);
    body += "  <way id='11'><nd ref='1'/><nd ref='2'/><nd ref='3'/></way>\n";
    body += "  <way id='12'><nd ref='1'/><nd ref='4'/><nd ref='3'/></way>\n";
    body += "  <way id='13'><nd ref='5'/><nd ref='6'/><nd ref='7'/><nd ref='8'/><nd ref='5'/></way>\n";
    body += "  <relation id='20'>\n    <member type='way' ref='11' role='outer'/>\n    <member type='node' ref='1' role='label'/>\n    \
             <member type='way' ref='12' role='outer'/>\n    <member type='relation' ref='99' role=''/>\n    \
             <member type='way' ref='13' role='inner'/>\n    <tag k='type' v='multipolygon'/>\n    <tag k='building' v='yes'/>\n  </relation>\n";
    let file = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"Overpass API 0.7.62\">\n<note>The data included in this document is from www.openstreetmap.org.</note>\n{body}</osm>\n"
    );
    let city = import(file.as_bytes(), "overpass.osm").expect("imports");
    let ids: Vec<i64> = city.buildings.iter().map(|b| b.id).collect();
    assert_eq!(ids, vec![7, -20], "{:?}", city.rejected);
    assert_eq!(city.buildings[1].footprint.holes.len(), 1);
    assert!(city.rejected.is_empty(), "{:?}", city.rejected);
}

#[test]
fn every_bad_file_names_itself_what_it_is_and_what_is_read() {
    let osm = |body: &str| format!("<?xml version='1.0'?>\n<osm version='0.6'>\n{body}</osm>\n");
    let cases: Vec<(Vec<u8>, &str, &[&str])> = vec![
        (Vec::new(), "empty.osm", &["empty.osm: this is an empty file", "OSM PBF (.osm.pbf)", ".osm.gz", ".osm.bz2"]),
        (
            gzip(br#"{"type": "FeatureCollection", "features": []}"#),
            "city.osm.gz",
            &["city.osm.gz: this is gzip-compressed GeoJSON", "(.osm.bz2)"],
        ),
        (gzip(crate::load::HELSINKI_PBF), "h.osm.pbf.gz", &["gzip-compressed OSM PBF"]),
        (b"PK\x03\x04\x14\x00\x00\x00".to_vec(), "shapes.zip", &["shapes.zip: this is a ZIP archive"]),
        (b"<!DOCTYPE html><html><body>429 Too Many Requests".to_vec(), "x.osm", &["x.osm: this is an HTML page"]),
        (
            osm("  <node id='1' lat='abc' lon='24.9'/>\n").into_bytes(),
            "bad.osm",
            &["bad.osm: not valid OSM XML: byte 44: <node id=\"1\">: `lat` is `abc`"],
        ),
        (osm("  <node lat='60' lon='24.9'/>\n").into_bytes(), "noid.osm", &["<node> has no `id`"]),
        (osm("  <way id='3'><nd ref='x1'/></way>\n").into_bytes(), "nd.osm", &["<way id=\"3\">: <nd>: `ref` is `x1`"]),
        (
            osm("  <node id='1' lat='60' lon='24.9'><tag k='a' v='&bogus;'/></node>\n").into_bytes(),
            "ent.osm",
            &["ent.osm: not valid OSM XML", "<node id=\"1\">"],
        ),
        (
            b"<?xml version='1.0'?>\n<osm version='0.6'>\n  <node id='1' lat='60' lon='24.9'/>\n  <way id='2'>"
                .to_vec(),
            "cut.osm",
            &["cut.osm: not valid OSM XML", "cut short"],
        ),
        (osm("  <node id='1' lat='60' lon='24.9'>\n").into_bytes(), "nest.osm", &["nest.osm: not valid OSM XML"]),
        (osm("").into_bytes(), "nothing.osm", &["nothing.osm: the file holds no nodes"]),
    ];
    for (bytes, name, wanted) in cases {
        let msg = import(&bytes, name).err().unwrap_or_else(|| format!("{name} imported"));
        for w in wanted {
            assert!(msg.contains(w), "{name}: `{msg}` lacks `{w}`");
        }
        assert!(!msg.contains("blob header"), "{msg}");
    }
}

#[test]
fn a_compressed_file_cut_short_is_an_error_not_a_smaller_city() {
    let mut body = String::new();
    for k in 0..2_000 {
        body += &format!("  <node id='{k}' lat='60.{k:04}' lon='24.9'><tag k='amenity' v='bench'/></node>\n");
    }
    let file = format!("<?xml version='1.0'?>\n<osm version='0.6'>\n{body}</osm>\n");
    for (bytes, kind) in [(gzip(file.as_bytes()), "gzip"), (bzip2(file.as_bytes()), "bzip2")] {
        assert!(import(&bytes, "whole").is_ok(), "{kind}");
        let msg = import(&bytes[..bytes.len() / 2], "half.osm.gz").err().unwrap_or_default();
        assert!(msg.starts_with("half.osm.gz: the ") && msg.contains(kind), "{kind}: {msg}");
    }
}

/// The 11 municipalities of Liechtenstein (admin_level 8), as OSM names them.
pub(crate) const LIECHTENSTEIN_MUNICIPALITIES: [&str; 11] = [
    "Balzers",
    "Eschen",
    "Gamprin",
    "Mauren",
    "Planken",
    "Ruggell",
    "Schaan",
    "Schellenberg",
    "Triesen",
    "Triesenberg",
    "Vaduz",
];

#[test]
fn liechtenstein_gives_its_11_municipalities_and_not_its_neighbours() {
    let city =
        import_pbf_bytes(crate::load::LIECHTENSTEIN_PBF, Path::new("embedded:liechtenstein"), &OsmOptions::default())
            .expect("the embedded extract imports");
    let mut names: Vec<&str> = city.admin.iter().filter(|a| a.level == 8).map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, LIECHTENSTEIN_MUNICIPALITIES);
    // Each is a real area (Schellenberg, the smallest, is about 3.5 km²; all together about 160 km²).
    for a in city.admin.iter().filter(|a| a.level == 8) {
        assert!(a.area() > 2.0e6 && a.area() < 40.0e6, "{}: {} m²", a.name, a.area());
    }
    let total: f64 = city.admin.iter().filter(|a| a.level == 8).map(|a| a.area()).sum();
    assert!((140.0e6..180.0e6).contains(&total), "{total} m²");
    // Their neighbours across the Rhine and the Austrian border are counted as left out.
    assert!(
        city.rejected.get("admin_outside_city").copied().unwrap_or(0)
            + city.rejected.get("admin_unclosed_ring").copied().unwrap_or(0)
            > 0
    );
    // Vaduz's centre lies in Vaduz.
    let vaduz = city.admin.iter().find(|a| a.name == "Vaduz").expect("Vaduz");
    assert!(vaduz.contains(city.frame.to_local(crate::LonLat::new(9.5215, 47.1410))));
}

#[test]
fn an_extract_without_boundaries_has_no_admin_areas() {
    let file = josm_file(&square(-1, 24.9410, 60.1700, "", "    <tag k='building' v='yes' />\n"));
    let city = import(file.as_bytes(), "one.osm").expect("imports");
    assert!(city.admin.is_empty());
}
