//! The rules file: the shipped one, broken ones, and the check against the feed.

use std::path::Path;

use crate::LonLat;
use crate::protocol::{AreaLevel, IncidentCategory, UnitKind};
use crate::rules::config::{Direction, Fence, FenceEvent, StaleEntity};
use crate::rules::{DEFAULT_RULES, RuleKind, Rules};
use crate::sim::{SimConfig, Simulation};
use crate::store::FeedStore;

fn parse_err(text: &str) -> String {
    match Rules::parse(text, Path::new("config/rules.toml")) {
        Ok(_) => panic!("should fail: {text}"),
        Err(e) => e.to_string(),
    }
}

const GOOD: &str = r#"
[[rule]]
id = "water"
name_zh = "水位超警戒"
name_en = "Water level high"
severity = 3
suggest = "city_management"
kind = "threshold"
sensor_kind = "water_level"
above = 2.5
clear = 2.2
for_s = 30

[[rule]]
id = "fence"
name_zh = "进入管控区"
name_en = "Entering the zone"
severity = 2
suggest = "public_order"
kind = "geofence"
areas = ["A4-1", "A4-2"]
event = "enter"
unit_kinds = ["police_car"]

[[rule]]
id = "fires"
name_zh = "火情聚集"
name_en = "Fires clustered"
severity = 4
suggest = "fire"
kind = "cluster"
category = "fire"
count = 3
radius_m = 500
window_min = 30
"#;

/// A store loaded from the simulated demo city's snapshot.
fn demo_store() -> FeedStore {
    let city = crate::generate::generate_city(400, 2, LonLat::new(24.94, 60.17));
    let sim = Simulation::new(&city, SimConfig::default());
    let mut store = FeedStore::default();
    store.apply_snapshot(sim.snapshot());
    store
}

#[test]
fn shipped_rules_parse_cover_every_kind_and_validate_against_the_demo_city() {
    let rules = Rules::shipped().expect("shipped rules parse");
    let kinds: std::collections::BTreeSet<&str> = rules.rules.iter().map(|r| r.kind.name()).collect();
    for k in ["threshold", "rate", "stale", "geofence", "geofence_incidents", "cluster", "cameras_offline"] {
        assert!(kinds.contains(k), "the shipped rules show a {k} rule");
    }
    rules.validate(&demo_store()).expect("the shipped rules name only what the demo feed has");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/rules.toml");
    let from_disk = Rules::load(&shipped).expect("config/rules.toml loads");
    assert_eq!(from_disk.rules, rules.rules);
    assert_eq!(DEFAULT_RULES, std::fs::read_to_string(&shipped).expect("read"));
}

#[test]
fn parses_each_field_into_its_rule() {
    let rules = Rules::parse(GOOD, Path::new("x.toml")).expect("parses");
    assert_eq!(rules.rules.len(), 3);
    let water = &rules.rules[0];
    assert_eq!((water.id.as_str(), water.severity, water.suggest), ("water", 3, IncidentCategory::CityManagement));
    let RuleKind::Threshold(t) = &water.kind else { panic!("threshold") };
    assert_eq!((t.direction, t.level, t.clear, t.for_ms), (Direction::Up, 2.5, 2.2, 30_000));
    let RuleKind::Geofence(g) = &rules.rules[1].kind else { panic!("geofence") };
    assert_eq!(g.fence, Fence::Areas(vec!["A4-1".into(), "A4-2".into()]));
    assert_eq!((g.event, g.unit_kinds.as_slice()), (FenceEvent::Enter, &[UnitKind::PoliceCar][..]));
    let RuleKind::Cluster(c) = &rules.rules[2].kind else { panic!("cluster") };
    assert_eq!((c.category, c.count, c.radius_m, c.window_ms), (IncidentCategory::Fire, 3, 500.0, 1_800_000));

    // Defaults: no clear = the level, no for_s = 0, cameras_offline watches every grid.
    let text = r#"
[[rule]]
id = "a"
name_zh = "甲"
name_en = "A"
severity = 1
suggest = "other"
kind = "threshold"
sensor_kind = "gas"
below = 5

[[rule]]
id = "b"
name_zh = "乙"
name_en = "B"
severity = 1
suggest = "other"
kind = "cameras_offline"
count = 2

[[rule]]
id = "c"
name_zh = "丙"
name_en = "C"
severity = 1
suggest = "other"
kind = "stale"
entity = "camera"

[[rule]]
id = "d"
name_zh = "丁"
name_en = "D"
severity = 1
suggest = "other"
kind = "geofence"
polygon = [[24.0, 60.0], [24.1, 60.0], [24.1, 60.1], [24.0, 60.0]]
event = "leave"
"#;
    let rules = Rules::parse(text, Path::new("x.toml")).expect("parses");
    let RuleKind::Threshold(t) = &rules.rules[0].kind else { panic!("threshold") };
    assert_eq!((t.direction, t.level, t.clear, t.for_ms), (Direction::Down, 5.0, 5.0, 0));
    let RuleKind::CamerasOffline(c) = &rules.rules[1].kind else { panic!("cameras") };
    assert_eq!(c.fence, Fence::Level(AreaLevel::Grid));
    let RuleKind::Stale(s) = &rules.rules[2].kind else { panic!("stale") };
    assert_eq!((s.entity, s.period_ms), (StaleEntity::Camera, None));
    let RuleKind::Geofence(g) = &rules.rules[3].kind else { panic!("geofence") };
    assert_eq!(g.fence, Fence::Polygon(vec![[24.0, 60.0], [24.1, 60.0], [24.1, 60.1]]), "a closing point is dropped");
    assert!(Rules::parse("", Path::new("x.toml")).is_ok_and(|r| r.rules.is_empty()));
}

#[test]
fn broken_rules_name_file_line_and_field() {
    let cases: &[(&str, &str, &str)] = &[
        // (replace this, with this, expected start of the one-line error)
        ("sensor_kind = \"water_level\"", "", "config/rules.toml:2: rule[0].sensor_kind: missing (required)"),
        ("above = 2.5", "above = \"high\"", "config/rules.toml:10: rule[0].above: must be a number, got string"),
        ("above = 2.5", "above = 2.5\nbelow = 1", "config/rules.toml:11: rule[0].below: give either above or below"),
        ("above = 2.5\n", "", "config/rules.toml:2: rule[0].above: missing: give above or below"),
        ("clear = 2.2", "clear = 2.8", "config/rules.toml:11: rule[0].clear: 2.8 is on the alarm side of above = 2.5"),
        ("for_s = 30", "for_s = -1", "config/rules.toml:12: rule[0].for_s: must be 0..=604800 seconds, got -1"),
        ("severity = 3", "severity = 5", "config/rules.toml:6: rule[0].severity: must be 1..=4, got 5"),
        ("severity = 3", "severity = 2.5", "config/rules.toml:6: rule[0].severity: must be a whole number 1..=4"),
        (
            "suggest = \"city_management\"",
            "suggest = \"floods\"",
            "config/rules.toml:7: rule[0].suggest: unknown category `floods`",
        ),
        ("kind = \"threshold\"", "kind = \"thresh\"", "config/rules.toml:8: rule[0].kind: unknown rule kind `thresh`"),
        (
            "for_s = 30",
            "for_s = 30\nwindow_s = 5",
            "config/rules.toml:13: rule[0].window_s: unknown field for a threshold rule",
        ),
        (
            "id = \"fence\"",
            "id = \"water\"",
            "config/rules.toml:15: rule[1].id: duplicate rule id `water` (first at line 3)",
        ),
        ("id = \"fence\"", "id = \"a/b\"", "config/rules.toml:15: rule[1].id: `a/b` must not hold spaces or `/`"),
        ("id = \"fence\"", "id = \"\"", "config/rules.toml:15: rule[1].id: must not be empty"),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "areas = [\"A4-1\", \"A4-1\"]",
            "config/rules.toml:21: rule[1].areas[1]: area `A4-1` is listed twice",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "areas = []",
            "config/rules.toml:21: rule[1].areas: must list at least one area id",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "area = \"A4-1\"\narea_level = \"grid\"",
            "config/rules.toml:22: rule[1].area_level: give one of area, areas, area_level, polygon, not both area and area_level",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]\n",
            "",
            "config/rules.toml:14: rule[1].area: missing: give one of area, areas, area_level, polygon",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "area_level = \"block\"",
            "config/rules.toml:21: rule[1].area_level: unknown area level `block`",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "polygon = [[24.0, 60.0], [24.1, 60.0]]",
            "config/rules.toml:21: rule[1].polygon: needs at least 3 distinct points, got 2",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "polygon = [[24.0, 60.0], [24.1, 60.0], [24.2, 60.0]]",
            "config/rules.toml:21: rule[1].polygon: has no area",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "polygon = [[24.0, 60.0], [24.1, 91.0], [24.2, 60.1]]",
            "config/rules.toml:21: rule[1].polygon[1]: [24.1, 91] is not a longitude",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "polygon = [[24.0, 60.0], [24.1], [24.2, 60.1]]",
            "config/rules.toml:21: rule[1].polygon[1]: must be a [lon, lat] pair",
        ),
        ("event = \"enter\"", "event = \"arrive\"", "config/rules.toml:22: rule[1].event: unknown event `arrive`"),
        (
            "unit_kinds = [\"police_car\"]",
            "unit_kinds = [\"tank\"]",
            "config/rules.toml:23: rule[1].unit_kinds[0]: unknown unit kind",
        ),
        ("count = 3", "count = 1", "config/rules.toml:33: rule[2].count: must be 2..=10000, got 1"),
        (
            "radius_m = 500",
            "radius_m = 0",
            "config/rules.toml:34: rule[2].radius_m: must be within (0, 50000] metres, got 0",
        ),
        (
            "window_min = 30",
            "window_min = -5",
            "config/rules.toml:35: rule[2].window_min: must be a positive number of minutes",
        ),
        (
            "category = \"fire\"",
            "category = \"fires\"",
            "config/rules.toml:32: rule[2].category: unknown category `fires`; expected one of dispute, public_order",
        ),
        (
            "name_en = \"Fires clustered\"",
            "name_en = \"Fires clustered",
            "config/rules.toml:28: rule[2].name_en: invalid TOML",
        ),
        (
            "[[rule]]\nid = \"water\"",
            "rules = 3\n[[rule]]\nid = \"water\"",
            "config/rules.toml:2: rules: unknown field; the file holds [[rule]] tables",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(GOOD.contains(from), "{from}");
        let err = parse_err(&GOOD.replacen(from, to, 1));
        assert!(err.starts_with(expected), "{to:?}\n  gave     {err}\n  expected {expected}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
    let stale = GOOD.replace(
        "kind = \"threshold\"\nsensor_kind = \"water_level\"\nabove = 2.5\nclear = 2.2\nfor_s = 30",
        "kind = \"stale\"\nentity = \"camera\"\nsensor_kind = \"smoke\"",
    );
    assert!(parse_err(&stale).starts_with("config/rules.toml:10: rule[0].sensor_kind: only for entity = \"sensor\""));
}

#[test]
fn rules_naming_what_the_feed_lacks_are_errors_with_their_line() {
    let store = demo_store();
    let good = GOOD.replace("[\"A4-1\", \"A4-2\"]", "[\"A4-1\", \"A4-200\"]");
    Rules::parse(&good, Path::new("config/rules.toml")).expect("parses").validate(&store).expect("known names");
    let cases = [
        (
            "sensor_kind = \"water_level\"",
            "sensor_kind = \"radiation\"",
            "config/rules.toml:9: rule[0].sensor_kind: unknown sensor kind `radiation`; the feed's sensors are of kinds: gas, noise, smoke, water_level",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "areas = [\"A4-1\",\n  \"A9-9\"]",
            "config/rules.toml:22: rule[1].areas[1]: unknown area `A9-9`",
        ),
        (
            "areas = [\"A4-1\", \"A4-2\"]",
            "area = \"nowhere\"",
            "config/rules.toml:21: rule[1].area: unknown area `nowhere`",
        ),
    ];
    for (from, to, expected) in cases {
        let rules = Rules::parse(&GOOD.replacen(from, to, 1), Path::new("config/rules.toml")).expect("parses");
        let err = rules.validate(&store).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with(expected), "{to:?}\n  gave     {err}\n  expected {expected}");
    }
    // A level the feed has no area at.
    let mut no_grids = demo_store();
    let grids: Vec<String> =
        no_grids.areas.iter().filter(|(_, a)| a.level == AreaLevel::Grid).map(|(_, a)| a.id.clone()).collect();
    for id in grids {
        no_grids.areas.remove(&id);
    }
    let err = Rules::shipped().expect("parses").validate(&no_grids).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains(": rule[") && err.ends_with("area_level: the feed has no area at level `grid`"), "{err}");
}

#[test]
fn an_unreadable_file_names_it() {
    let err = Rules::load(Path::new("/nonexistent/rules.toml")).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.starts_with("/nonexistent/rules.toml: cannot read: "), "{err}");
}

#[test]
fn an_alerts_value_reads_as_what_its_rule_measures() {
    let rules = Rules::shipped().expect("shipped rules parse");
    let kind = |id: &str| &rules.get(id).unwrap_or_else(|| panic!("rule {id}")).kind;
    // A sensor silent for a year and five days, as when a feed's clock is far behind.
    assert_eq!(
        kind("sensor-silent").reading(31_979_086.7),
        Some(("已失联 370 天".to_owned(), "silent for 370 d".to_owned()))
    );
    assert_eq!(kind("sensor-silent").reading(905.0).map(|r| r.0), Some("已失联 15 分钟".to_owned()));
    assert_eq!(kind("sensor-silent").reading(59.9).map(|r| r.1), Some("silent for 59 s".to_owned()));
    let water = Rules::parse(GOOD, Path::new("config/rules.toml")).expect("parses");
    assert_eq!(
        water.get("water").expect("water").kind.reading(2.75),
        Some(("读数 2.8（高于 2.5）".to_owned(), "reading 2.8 (above 2.5)".to_owned()))
    );
    for r in &rules.rules {
        match &r.kind {
            RuleKind::Geofence(_) => assert_eq!(r.kind.reading(1.0), None, "{}", r.id),
            RuleKind::CamerasOffline(_) => {
                assert_eq!(r.kind.reading(4.0).map(|x| x.0), Some("4 路离线".to_owned()), "{}", r.id)
            }
            RuleKind::Cluster(_) | RuleKind::GeofenceIncidents(_) => {
                assert_eq!(r.kind.reading(3.0).map(|x| x.1), Some("3 incidents".to_owned()), "{}", r.id)
            }
            RuleKind::Rate(rate) => {
                let (zh, _) = r.kind.reading(1.5).expect("a rate reads");
                assert!(zh.contains("1.5") && zh.contains(&format!("{}", rate.window_ms / 60_000)), "{zh}");
            }
            RuleKind::Threshold(_) | RuleKind::Stale(_) => assert!(r.kind.reading(1.0).is_some(), "{}", r.id),
        }
    }
}
