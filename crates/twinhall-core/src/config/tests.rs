//! Tests of the configuration: the shipped file, each section's values and errors.

use std::path::Path;

use super::*;
use crate::metrics::EfficiencyLimits;
use crate::protocol::IncidentCategory;

#[test]
fn spans_of_time_take_the_largest_whole_unit() {
    let zh: Vec<String> = [0.0, 59.9, 60.0, 3_599.0, 3_600.0, 86_399.0, 86_400.0, 31_979_086.7]
        .iter()
        .map(|&s| Lang::Zh.span(s))
        .collect();
    assert_eq!(zh, ["0 秒", "59 秒", "1 分钟", "59 分钟", "1 小时", "23 小时", "1 天", "370 天"]);
    assert_eq!(Lang::En.span(905.0), "15 min");
    assert_eq!((Lang::Zh.ago(-5.0), Lang::En.ago(7_200.0)), ("0 秒前".to_owned(), "2 h ago".to_owned()));
}

#[test]
fn default_file_equals_built_in_defaults_plus_the_demo_bookmarks_and_model() {
    let parsed = Config::parse(DEFAULT_TOML, Path::new("config/default.toml")).expect("the shipped config parses");
    assert_eq!(parsed.camera.bookmarks.len(), 8);
    assert_eq!(parsed.models.len(), 1);
    let mut without = parsed.clone();
    without.camera.bookmarks.clear();
    without.models.clear();
    assert_eq!(without, Config::default());
}

#[test]
fn embedded_liechtenstein_is_a_city_source() {
    assert_eq!(CitySource::parse("embedded:liechtenstein"), Ok(CitySource::EmbeddedLiechtenstein));
    assert_eq!(CitySource::parse(" embedded:helsinki "), Ok(CitySource::EmbeddedHelsinki));
    let err = CitySource::parse("embedded:vienna").err().unwrap_or_default();
    assert!(err.contains("vienna") && err.contains("`helsinki`") && err.contains("`liechtenstein`"), "{err}");
    let err = CitySource::parse("").err().unwrap_or_default();
    assert!(err.contains("embedded:liechtenstein"), "{err}");
    let c = Config::parse("[city]\nsource = \"embedded:liechtenstein\"\n", Path::new("x.toml"));
    assert_eq!(c.map(|c| c.city.source).ok().as_deref(), Some("embedded:liechtenstein"));
}

#[test]
fn the_shipped_bookmarks_are_offered_only_in_their_city() {
    let config = Config::parse(DEFAULT_TOML, Path::new("config/default.toml")).expect("the shipped config parses");
    let nowhere = |_: f64, _: f64| false;
    let names = |source: &CitySource| -> Vec<String> {
        config.camera.bookmarks_for(source, nowhere).iter().map(|b| b.name.clone()).collect()
    };
    let helsinki = names(&CitySource::EmbeddedHelsinki);
    assert_eq!(helsinki.len(), 4);
    assert!(helsinki[0].contains("Central Station"), "{helsinki:?}");
    let liechtenstein = names(&CitySource::EmbeddedLiechtenstein);
    assert_eq!(liechtenstein.len(), 4);
    assert!(liechtenstein.iter().any(|n| n.contains("Vaduz")) && liechtenstein.iter().any(|n| n.contains("Balzers")));
    // The same extract loaded from a file is the same city.
    assert_eq!(names(&CitySource::File("data/liechtenstein.osm.pbf".into())), liechtenstein);
    assert!(names(&CitySource::Generated(1000)).is_empty());
    assert!(names(&CitySource::File("data/vienna.osm.pbf".into())).is_empty());
}

#[test]
fn a_bookmark_without_a_city_is_offered_where_its_point_lies() {
    let text = "[[camera.bookmarks]]\nname = \"here\"\nlon = 10.0\nlat = 50.0\ndistance_m = 500.0\npitch_deg = 45.0\n\n\
                    [[camera.bookmarks]]\nname = \"there\"\ncity = \"data/town.geojson\"\nlon = 11.0\nlat = 51.0\n\
                    distance_m = 500.0\npitch_deg = 45.0\n";
    let config = Config::parse(text, Path::new("x.toml")).expect("parses");
    let near = |lon: f64, lat: f64| (lon - 10.0).abs() < 0.1 && (lat - 50.0).abs() < 0.1;
    let offered = |source: &CitySource| -> Vec<&str> {
        config.camera.bookmarks_for(source, near).iter().map(|b| b.name.as_str()).collect()
    };
    assert_eq!(offered(&CitySource::Generated(10)), ["here"]);
    assert_eq!(offered(&CitySource::File("data/town.geojson".into())), ["here", "there"]);
    // A path names that file only.
    assert_eq!(offered(&CitySource::File("elsewhere/town.geojson".into())), ["here"]);
    assert_eq!(offered(&CitySource::File("data/village.geojson".into())), ["here"]);
    let bad = text.replace("data/town.geojson", "embedded:atlantis");
    let err = Config::parse(&bad, Path::new("x.toml")).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("camera.bookmarks.city") && err.contains("atlantis"), "{err}");
}

#[test]
fn empty_file_is_all_defaults() {
    assert_eq!(Config::parse("", Path::new("x.toml")).ok(), Some(Config::default()));
}

#[test]
fn unknown_field_names_file_line_and_field() {
    let err = Config::parse("[window]\nwidth = 800\nwidht = 600\n", Path::new("my.toml"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.starts_with("my.toml:3: window.widht: "), "{err}");
    assert!(err.contains("unknown field `widht`"), "{err}");
    assert!(!err.contains('\n'));
}

#[test]
fn wrong_values_name_the_field() {
    let cases = [
        ("[ui]\nlang = \"fr\"\n", "fr"),
        ("[ui]\nlang = \"fr\"\n", "my.toml:2: ui.lang: "),
        ("ui.lang = \"fr\"\n", "my.toml:1: ui.lang: "),
        ("[window]\nwidth = \"wide\"\n", "my.toml:2: window.width: "),
        ("[camera]\npitch_deg = 90.0\n", "camera.pitch_deg: must be 5..=89, got 90"),
        (
            "[[camera.bookmarks]]\nname = \"top\"\nlon = 24.9\nlat = 60.2\ndistance_m = 500.0\npitch_deg = 90.0\n",
            "pitch_deg 5..=89, got 500 and 90",
        ),
        (
            "[[camera.bookmarks]]\nname = \"x\"\nlon = 24.9\nlat = 60.2\ndistance_m = 500.0\npitch_deg = \"steep\"\n",
            "my.toml:6: camera.bookmarks.pitch_deg: ",
        ),
        ("[window]\nwidth = 10\n", "window.width"),
        ("[city]\nsource = \"generated:lots\"\n", "city.source"),
        ("[feed]\nurl = \"ftp://x\"\n", "feed.url"),
        ("[feed]\nmax_event_mib = 0\n", "feed.max_event_mib"),
        ("[basemap]\nurl = \"http://tiles/{z}/{x}.png\"\n", "basemap.url"),
        ("[basemap]\ngrid = \"utm\"\n", "utm"),
        ("[[city.layers]]\npath = \"a.geojson\"\nkind = \"roads\"\ncrs = \"WGS84\"\n", "city.layers.crs"),
        ("[[city.layers]]\npath = \"a.geojson\"\nkind = \"lakes\"\n", "lakes"),
        ("[style.night]\nsky = \"blue\"\n", "blue"),
        ("[style.day]\nsunshine = 3\n", "sunshine"),
        ("[window]\nwidth = \"wide\"\n", "my.toml:2"),
    ];
    for (text, needle) in cases {
        let err = Config::parse(text, Path::new("my.toml")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(needle), "{text:?} gave {err:?}");
    }
}

#[test]
fn feed_debug_shows_no_token() {
    let c = Config::parse("[feed]\nurl = \"https://u:pw@feed/?token=q\"\ntoken = \"s3cret\"\n", Path::new("x.toml"))
        .unwrap_or_default();
    let shown = format!("{c:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!shown.contains("s3cret") && !shown.contains("pw") && !shown.contains("=q"), "{shown}");
}

#[test]
fn the_control_api_is_checked_and_its_token_never_shown() {
    let c = Config::parse("[control]\nlisten = \"0.0.0.0:8790\"\ntoken = \"t0ken\"\n", Path::new("x.toml"))
        .unwrap_or_default();
    assert_eq!(c.control.addr().ok().flatten().map(|a| a.port()), Some(8790));
    assert_eq!(c.control.exposure_error(), None, "a token makes listening everywhere fine");
    assert!(!format!("{c:?}").contains("t0ken"));
    let open = ControlConfig { listen: "0.0.0.0:8790".into(), token: String::new() };
    assert!(open.exposure_error().is_some_and(|e| e.contains("without a token")));
    let local = ControlConfig { listen: "127.0.0.1:0".into(), token: String::new() };
    assert_eq!(local.exposure_error(), None);
    let err = Config::parse("[control]\nlisten = \"wall:80\"\n", Path::new("x.toml")).err().map(|e| e.to_string());
    assert!(err.as_deref().is_some_and(|e| e.contains("control.listen") && e.contains("wall:80")), "{err:?}");
    assert_eq!(ControlConfig::default().addr(), Ok(None), "off unless asked for");
}

#[test]
fn a_palette_table_overrides_only_what_it_names() {
    let c = Config::parse("[style.night]\nwater = \"#ff0000\"\n", Path::new("x.toml")).unwrap_or_default();
    assert_eq!(c.style.night.water, Rgba([1.0, 0.0, 0.0, 1.0]));
    assert_eq!(c.style.night.ground, Palette::night().ground);
}

#[test]
fn colours_round_trip() {
    let c = Rgba::parse("#0a3a6e").unwrap_or(Rgba([0.0; 4]));
    assert_eq!(c.to_string(), "#0a3a6e");
    assert_eq!(Rgba::parse("#0a3a6e80").map(|c| c.to_string()), Some("#0a3a6e80".into()));
    assert_eq!(Rgba::parse("0a3a6e"), None);
}

#[test]
fn heartbeat_limits_read_from_config_over_the_defaults_and_bad_ones_name_the_field() {
    let c = Config::parse("[heartbeat]\nlimits_h = { fire = 1.5 }\n", Path::new("x.toml")).expect("valid");
    let limits = c.heartbeat.limits().expect("valid");
    assert_eq!(limits.hours.get(&IncidentCategory::Fire), Some(&1.5));
    assert_eq!(limits.hours.get(&IncidentCategory::Dispute), Some(&72.0), "left out: the default");
    assert_eq!(Config::default().heartbeat.limits().expect("defaults"), EfficiencyLimits::default());
    for (text, needle) in [
        ("[heartbeat]\nlimits_h = { fires = 2.0 }\n", "`fires` is no incident category"),
        ("[heartbeat]\nlimits_h = { fire = 0.0 }\n", "`fire` must be a positive number"),
        ("[heartbeat]\nlimits_h = { traffic = -1 }\n", "`traffic` must be a positive number"),
        ("[heartbeat]\nlimits_h = { fire = \"2h\" }\n", "my.toml:2"),
        ("[heartbeat]\nlimit_h = {}\n", "limit_h"),
    ] {
        let err = Config::parse(text, Path::new("my.toml")).expect_err(text).to_string();
        assert!(err.contains(needle), "{text:?} gave {err:?}");
        if needle.starts_with('`') {
            assert!(err.starts_with("my.toml: heartbeat.limits_h: "), "{err}");
        }
    }
}
