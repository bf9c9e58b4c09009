//! The command line as a user meets it: errors are one line with exit code 2, never a panic;
//! `city-info` prints JSON about real files.

mod support;

use std::process::{Command, Output};

fn twinhall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_twinhall"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_one_line_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line, got {err:?}");
}

#[test]
fn version_prints_and_exits_zero() {
    let o = twinhall(&["--version"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_config_with_an_unknown_field_names_file_line_and_field() {
    let dir = tempdir("badcfg");
    let path = dir.join("wall.toml");
    std::fs::write(&path, "[window]\nwidth = 1920\nwidht = 1080\n").expect("write");
    let o = twinhall(&["--config", path.to_str().expect("utf8")]);
    assert_one_line_error(&o, "wall.toml:3");
    assert!(stderr(&o).contains("widht"));
}

#[test]
fn a_wrong_value_names_the_field() {
    let dir = tempdir("badval");
    let path = dir.join("wall.toml");
    std::fs::write(&path, "[city]\ntile_size_m = 1.0\n").expect("write");
    let o = twinhall(&["--config", path.to_str().expect("utf8")]);
    assert_one_line_error(&o, "city.tile_size_m");
    // A value serde refuses (an enum's unknown variant) names its field and line too.
    std::fs::write(&path, "[ui]\nlang = \"fr\"\n").expect("write");
    let o = twinhall(&["--config", path.to_str().expect("utf8")]);
    assert_one_line_error(&o, "wall.toml:2: ui.lang: ");
    assert!(stderr(&o).contains("fr"), "{}", stderr(&o));
    // The pitch the control API and the briefings allow, no steeper.
    std::fs::write(&path, "[camera]\npitch_deg = 90.0\n").expect("write");
    let o = twinhall(&["--config", path.to_str().expect("utf8")]);
    assert_one_line_error(&o, "camera.pitch_deg: must be 5..=89");
}

#[test]
fn a_bad_wall_preset_or_scale_is_refused_before_anything_opens() {
    let o = twinhall(&["--wall-preset", "cinema"]);
    assert_one_line_error(&o, "--wall-preset");
    assert!(stderr(&o).contains("desk, room, hall, far"), "{}", stderr(&o));
    let dir = tempdir("badwall");
    let path = dir.join("wall.toml");
    std::fs::write(&path, "[wall]\nenabled = true\ntext_scale = 9.0\n").expect("write");
    let o = twinhall(&["--config", path.to_str().expect("utf8")]);
    assert_one_line_error(&o, "wall.text_scale");
    let o = twinhall(&["--wall-size", "1920"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("1920"), "{}", stderr(&o));
}

#[test]
fn a_bad_tile_or_link_of_a_wall_of_several_machines_is_refused_before_anything_opens() {
    let o = twinhall(&["--wall-grid", "2x1", "--wall-tile", "2,0", "--leader", "127.0.0.1:8791"]);
    assert_one_line_error(&o, "wall.tile");
    assert!(stderr(&o).contains("outside the 2x1 grid"), "{}", stderr(&o));
    let o = twinhall(&["--wall-grid", "2x1", "--wall-tile", "1,0"]);
    assert_one_line_error(&o, "wall.grid");
    let o = twinhall(&["--wall", "--lead", "0.0.0.0:8791"]);
    assert_one_line_error(&o, "wall.lead");
    assert!(stderr(&o).contains("sync_token"), "{}", stderr(&o));
    let o = twinhall(&["--leader", "wall-a"]);
    assert_one_line_error(&o, "wall.leader");
    let o = twinhall(&["--lead", "127.0.0.1:1", "--leader", "127.0.0.1:2"]);
    assert_eq!(o.status.code(), Some(2), "clap refuses both");
}

#[test]
fn a_missing_config_file_is_named() {
    let o = twinhall(&["--config", "/nonexistent/twinhall.toml"]);
    assert_one_line_error(&o, "/nonexistent/twinhall.toml");
}

#[test]
fn a_bad_size_is_rejected_by_the_parser() {
    let o = twinhall(&["--size", "huge"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("huge"));
}

#[test]
fn city_info_describes_the_demo_city() {
    let o = twinhall(&["city-info", "embedded:helsinki"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    // The extract's README counts 433 building ways and 67 building multipolygons.
    let buildings = v["buildings"].as_u64().expect("buildings");
    assert!((400..=600).contains(&buildings), "{buildings} buildings");
    assert!(v["road_segments"].as_u64().expect("road_segments") > 2000);
    assert!(v["pois"].as_u64().expect("pois") >= 221 + 37, "cameras and hydrants");
    assert_eq!(v["pois_by_kind"]["camera"].as_u64(), Some(221));
    assert_eq!(v["pois_by_kind"]["hydrant"].as_u64(), Some(37));
    for key in ["water_areas", "green_areas", "rejected"] {
        assert!(!v[key].is_null(), "{key} missing");
    }
}

#[test]
fn city_info_on_a_file_path_matches_the_embedded_copy() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/city/helsinki.osm.pbf");
    let a = twinhall(&["city-info", path]);
    let b = twinhall(&["city-info", "embedded:helsinki"]);
    let va: serde_json::Value = serde_json::from_slice(&a.stdout).expect("JSON");
    let vb: serde_json::Value = serde_json::from_slice(&b.stdout).expect("JSON");
    assert_eq!(va["buildings"], vb["buildings"]);
    assert_eq!(va["road_segments"], vb["road_segments"]);
}

#[test]
fn city_info_on_unreadable_files_exits_2() {
    let o = twinhall(&["city-info", "/nonexistent/city.osm.pbf"]);
    assert_one_line_error(&o, "/nonexistent/city.osm.pbf");
    let dir = tempdir("garbage");
    let path = dir.join("garbage.osm.pbf");
    std::fs::write(&path, b"\x00\x00\x00\x0egarbage garbage garbage").expect("write");
    let o = twinhall(&["city-info", path.to_str().expect("utf8")]);
    assert_one_line_error(&o, "garbage.osm.pbf");
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn city_info_loads_geojson_layers_in_their_crs_and_reports_each_file() {
    let dir = tempdir("layers");
    // Two buildings in EPSG:4547 around Shenzhen's civic centre, one broken feature.
    let buildings = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"height":"45 m"},"geometry":{"type":"Polygon","coordinates":[[[505900,2493900],[505960,2493900],[505960,2493950],[505900,2493950],[505900,2493900]]]}},
      {"type":"Feature","properties":{"levels":10},"geometry":{"type":"Polygon","coordinates":[[[506000,2493900],[506040,2493900],[506040,2493930],[506000,2493900]]]}},
      {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[506100,2493900],[506140,2493900]]]}}
    ]}"#;
    let roads = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"highway":"primary","name":"福中路"},"geometry":{"type":"LineString","coordinates":[[114.0560,22.5420],[114.0600,22.5420]]}}
    ]}"#;
    std::fs::write(dir.join("b.geojson"), buildings).expect("write");
    std::fs::write(dir.join("r.geojson"), roads).expect("write");
    let config = format!(
        "[city]\ncrs = \"EPSG:4547\"\n\n[[city.layers]]\npath = \"{0}/r.geojson\"\nkind = \"roads\"\ncrs = \"GCJ-02\"\n\n[[city.layers]]\npath = \"{0}/missing.geojson\"\nkind = \"water\"\n",
        dir.display()
    );
    let cfg = dir.join("city.toml");
    std::fs::write(&cfg, config).expect("write");
    let city = dir.join("b.geojson");
    let o = twinhall(&["--config", cfg.to_str().expect("utf8"), "city-info", city.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["buildings"], 2);
    assert_eq!(v["roads"], 1);
    let sources = v["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 3);
    assert_eq!(sources[0]["loaded"], 2);
    assert_eq!(sources[0]["rejected"]["unclosed_ring"], 1);
    assert_eq!(sources[1]["loaded"], 1);
    assert!(sources[2]["error"].as_str().expect("an error").contains("missing.geojson"));
    // The origin is the centre of the buildings, back in WGS84 near 114.058 E, 22.543 N.
    let origin = v["origin"].as_array().expect("origin");
    assert!((origin[0].as_f64().expect("lon") - 114.0585).abs() < 0.001);
    assert!((origin[1].as_f64().expect("lat") - 22.5431).abs() < 0.001);
}

#[test]
fn a_bad_rules_file_names_file_line_and_field_before_anything_opens() {
    let dir = tempdir("badrules");
    let rules = dir.join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid = \"smoke\"\nname_zh = \"烟感\"\nname_en = \"Smoke\"\nseverity = 9\nsuggest = \"fire\"\n\
         kind = \"threshold\"\nsensor_kind = \"smoke\"\nabove = 0.5\n",
    )
    .expect("write rules");
    let config = dir.join("wall.toml");
    std::fs::write(&config, format!("[tactile]\nrules = {:?}\n", rules.to_str().expect("utf8"))).expect("write");
    // No display either: the rules file is what is wrong, and it is said first.
    let o = Command::new(env!("CARGO_BIN_EXE_twinhall"))
        .args(["--config", config.to_str().expect("utf8")])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs");
    assert_one_line_error(&o, "rules.toml:5");
    assert!(stderr(&o).contains("severity"), "{}", stderr(&o));

    // A wrong tactile setting in the config names its field.
    std::fs::write(&config, "[tactile]\nchime_severity = 7\n").expect("write");
    let o = twinhall(&["--config", config.to_str().expect("utf8")]);
    assert_one_line_error(&o, "tactile.chime_severity");
}

#[test]
fn check_scenes_passes_the_shipped_briefings_and_names_a_broken_one() {
    let o = twinhall(&["check-scenes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().filter(|l| l.starts_with("ok ")).count(), 6, "{out}");

    let dir = tempdir("scenes");
    let good =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/01-social-governance.ron")).expect("read");
    std::fs::write(dir.join("good.ron"), &good).expect("write");
    // An unknown metric, on the line that names it.
    let line = good.lines().position(|l| l.contains("\"index_aspects\"")).expect("a chart") + 1;
    std::fs::write(dir.join("bad.ron"), good.replace("\"index_aspects\"", "\"index_aspectz\"")).expect("write");
    let o = twinhall(&["check-scenes", dir.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let want = format!("bad.ron:{line}:");
    assert!(err.contains(&want) && err.contains("index_aspectz"), "{want} in {err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("good.ron"), "the good file is listed");
}

#[test]
fn an_unknown_briefing_is_refused_before_anything_opens() {
    let o = twinhall(&["--brief", "no_such_theme"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no_such_theme") && err.contains("social_governance"), "{err}");
    let o = twinhall(&["--brief", "public_safety:0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("steps count from 1"), "{}", stderr(&o));
}

#[test]
fn a_briefing_step_beyond_its_last_is_refused_naming_the_theme_and_its_steps() {
    let o = twinhall(&["--brief", "public_safety:99"]);
    assert_one_line_error(&o, "--brief public_safety:99: `public_safety` has ");
    let err = stderr(&o);
    assert!(err.contains(" steps; give a step from 1 to "), "{err}");
}

#[test]
fn an_unknown_briefing_names_the_scenes_folder_in_use_and_its_themes() {
    // From the checkout (the working directory of the tests): its scenes/, as this machine has it.
    let o = twinhall(&["--brief", "nope"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let scenes = std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/scenes")).expect("scenes/");
    assert!(err.contains(&scenes.display().to_string()) && err.contains("the working directory"), "{err}");
    assert!(err.contains("public_safety (") && err.contains(" steps)"), "the themes with their steps: {err}");

    // TWINHALL_HOME elsewhere: that folder's scenes/ and only its themes.
    let home = tempdir("home");
    std::fs::create_dir_all(home.join("scenes")).expect("scenes dir");
    let good =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/01-social-governance.ron")).expect("read");
    std::fs::write(home.join("scenes/only.ron"), good).expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_twinhall"))
        .args(["--brief", "nope"])
        .env("TWINHALL_HOME", &home)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs");
    let scenes = std::fs::canonicalize(home.join("scenes")).expect("scenes/");
    assert_one_line_error(&o, &scenes.display().to_string());
    let err = stderr(&o);
    assert!(err.contains("TWINHALL_HOME") && err.contains("social_governance ("), "{err}");
    assert!(!err.contains("public_safety"), "only the themes of the folder in use: {err}");
    assert!(!err.contains(env!("CARGO_MANIFEST_DIR")) || home.starts_with(env!("CARGO_MANIFEST_DIR")), "{err}");
}

#[test]
fn an_unknown_focus_ends_a_screenshot_run_once_the_feed_is_in_not_after_the_focus_wait() {
    let dir = tempdir("focus");
    let out = dir.join("never.png");
    let started = std::time::Instant::now();
    let o = Command::new(support::xvfb_run())
        .args(["-a", "-s", "-screen 0 1280x720x24"])
        .arg(env!("CARGO_BIN_EXE_twinhall"))
        .args(["--screenshot", out.to_str().expect("utf8"), "--frames", "5", "--size", "960x540"])
        .args(["--focus", "I-999999"])
        .env("RUST_LOG", "warn")
        .env("XDG_DATA_HOME", &dir)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("xvfb-run runs");
    let took = started.elapsed();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("twinhall: error: --focus I-999999: no incident `I-999999` in the feed"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "no picture of a focus that never happened");
    // The focus wait is 90 s from the first frame; the feed's snapshot comes in seconds.
    assert!(took < std::time::Duration::from_secs(80), "took {took:?}");
}
