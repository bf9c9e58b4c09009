//! The control API end to end: the real binary under Xvfb (software Vulkan) with `--control`,
//! driven over HTTP as a tablet or a script would: health, the token, select an incident and
//! see the camera arrive, a fly-to refused for bad coordinates, layers switched and seen in the
//! screenshot's pixels, a briefing started and stepped, and the index briefing written through
//! the panel button's path. And an exposed address without a token refused at start.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use support::{Api, Wall, control_port, xvfb_run};

use serde_json::Value;

const TOKEN: &str = "wall-token-7";

fn start_wall(port: u16, dir: &Path, extra: &[&str]) -> Wall {
    use std::os::unix::process::CommandExt;
    let log = std::fs::File::create(dir.join("wall.log")).expect("log file");
    let child = Command::new(xvfb_run())
        .args(["-a", "-s", "-screen 0 1920x1080x24"])
        .arg(env!("CARGO_BIN_EXE_twinhall"))
        .args(["--size", "1280x720", "--control", &format!("127.0.0.1:{port}")])
        .args(extra)
        .env("TWINHALL_CONTROL_TOKEN", TOKEN)
        .env("RUST_LOG", "info")
        .env("XDG_DATA_HOME", dir)
        .current_dir(dir)
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log))
        .process_group(0)
        .spawn()
        .expect("xvfb-run starts");
    Wall(child)
}

/// Share of pixels of the 3D view (right of the side panel, above the status bar) that differ.
fn view_difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let (w, h) = a.dimensions();
    let mut n = 0u64;
    let mut differ = 0u64;
    for y in 40..h - 60 {
        for x in 380..w {
            n += 1;
            let (p, q) = (a.get_pixel(x, y).0, b.get_pixel(x, y).0);
            if p.iter().zip(q).map(|(u, v)| u.abs_diff(v) as u32).sum::<u32>() > 24 {
                differ += 1;
            }
        }
    }
    differ as f64 / n as f64
}

#[test]
fn a_tablet_drives_the_wall_over_the_control_api() {
    let dir = std::env::temp_dir().join(format!("twinhall-control-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    // Port 0, and the port the wall says it bound: one found free first may be taken meanwhile.
    let _wall = start_wall(0, &dir, &[]);
    let api = Api::new(control_port(&dir, "wall.log", 240), TOKEN);

    // Up: health answers without a token once frames run.
    api.wait("health", 240, &dir, |a| {
        let (s, b) = a.send("GET", "/v1/health", None, None);
        (s == 200).then(|| serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null))
    });
    assert_eq!(api.send("GET", "/v1/state", None, None).0, 401, "state needs the token");
    assert_eq!(api.send("GET", "/v1/state", None, Some("wall-token")).0, 401);

    // The embedded feed syncs; find an incident by search as the console's box would.
    api.wait("feed synced", 120, &dir, |a| {
        let (s, st) = a.json("GET", "/v1/state", None);
        (s == 200 && st["feed"]["synced"] == Value::Bool(true)).then_some(())
    });
    let (s, hits) = api.json("GET", "/v1/search?q=I-&limit=100", None);
    assert_eq!(s, 200, "{hits}");
    let hit = hits["hits"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["kind"] == "incident"))
        .cloned()
        .unwrap_or_else(|| panic!("an incident among {hits}"));
    let id = hit["id"].as_str().expect("id").to_owned();

    // Select: the hub focuses it and the camera arrives over it.
    let (s, sel) = api.json("POST", "/v1/select", Some(&format!(r#"{{"incident_id":"{id}"}}"#)));
    assert_eq!(s, 200, "{sel}");
    let view = api.wait("the camera arrives at the incident", 60, &dir, |a| {
        let (_, st) = a.json("GET", "/v1/state", None);
        let v = &st["view"];
        let arrived = st["focused_incident"].as_str() == Some(id.as_str()) && v["flying"] == Value::Bool(false);
        arrived.then(|| v.clone())
    });
    let (lon, lat) = (hit["lon"].as_f64().expect("lon"), hit["lat"].as_f64().expect("lat"));
    let off_m = ((view["lon"].as_f64().expect("lon") - lon) * 111_320.0 * lat.to_radians().cos())
        .hypot((view["lat"].as_f64().expect("lat") - lat) * 110_540.0);
    assert!(off_m < 5.0, "the view is {off_m:.1} m from the incident: {view}");

    // Bad input is refused with the reason, and the wall carries on.
    let (s, e) = api.json("POST", "/v1/fly", Some(r#"{"lon":500,"lat":60.1}"#));
    assert_eq!(s, 422, "{e}");
    assert!(e["error"].as_str().is_some_and(|m| m.contains("lon must be")), "{e}");
    assert_eq!(api.json("POST", "/v1/select", Some(r#"{"incident_id":"I-nowhere"}"#)).0, 404);
    // A method an endpoint does not take: 405 with a JSON body naming it and what it takes.
    let (s, e) = api.json("GET", "/v1/fly", None);
    assert_eq!(s, 405, "{e}");
    let said = e["error"].as_str().unwrap_or_default();
    assert!(said.contains("/v1/fly") && said.contains("GET") && said.contains("POST"), "{e}");
    // Latitude first, as a map site copies it: the search reads it the other way round and says
    // so; a fly-to is refused with the hint.
    let (s, found) = api.json("GET", &format!("/v1/search?q={lat},{lon}"), None);
    let place = &found["hits"][0];
    assert_eq!((s, place["kind"].as_str(), place["swapped"].as_bool()), (200, Some("place"), Some(true)), "{found}");
    assert!(place["lon"].as_f64().is_some_and(|x| (x - lon).abs() < 1e-5), "{found}");
    let (s, e) = api.json("POST", "/v1/fly", Some(&format!(r#"{{"lon":{lat},"lat":{lon}}}"#)));
    assert_eq!(s, 422, "{e}");
    assert!(e["error"].as_str().is_some_and(|m| m.contains("other way round")), "{e}");

    // Fly over the city, then switch the buildings off: the screenshot shows the difference.
    let (s, fly) =
        api.json("POST", "/v1/fly", Some(&format!(r#"{{"lon":{lon},"lat":{lat},"distance_m":1200,"pitch_deg":45}}"#)));
    assert_eq!(s, 200, "{fly}");
    api.wait("the flight ends", 60, &dir, |a| {
        (a.json("GET", "/v1/state", None).1["view"]["flying"] == Value::Bool(false)).then_some(())
    });
    let with = api.screenshot();
    assert_eq!(with.dimensions(), (1280, 720));
    let (s, layers) = api.json("POST", "/v1/layers", Some(r#"{"buildings":false}"#));
    assert_eq!((s, layers["buildings"].clone()), (200, Value::Bool(false)), "{layers}");
    let without = api.screenshot();
    let changed = view_difference(&with, &without);
    assert!(changed > 0.02, "switching buildings off changed only {:.2}% of the view", changed * 100.0);
    with.save(dir.join("with-buildings.png")).expect("save");
    without.save(dir.join("without-buildings.png")).expect("save");

    // A briefing, started and stepped from the tablet.
    let (s, t) = api.json("POST", "/v1/theatre", Some(r#"{"action":"start","theme":"public_safety"}"#));
    assert_eq!((s, t["playing"]["step"].clone()), (200, Value::from(1)), "{t}");
    let (s, t) = api.json("POST", "/v1/theatre", Some(r#"{"action":"next"}"#));
    assert_eq!((s, t["playing"]["step"].clone()), (200, Value::from(2)), "{t}");
    let (s, t) = api.json("POST", "/v1/theatre", Some(r#"{"action":"stop"}"#));
    assert_eq!((s, t["playing"].clone()), (200, Value::Null), "{t}");

    // The index briefing, written by the panel button's path with the wall's picture in it.
    let (s, b) = api.json("POST", "/v1/brief", None);
    assert_eq!(s, 200, "{b}");
    let html = std::fs::read_to_string(b["written"].as_str().expect("a path")).expect("the briefing is on disk");
    assert!(html.contains("data:image/png;base64,"), "the wall's picture is in the briefing");
    assert!(html.contains("综合指数") && html.contains("北京时间"), "Chinese headings and Beijing time");
}

/// With a wall beside the console, the API's screenshot is the wall's picture and a tablet
/// switches the wall's preset for the viewing distance: labels and icons grow on the wall.
#[test]
fn a_tablet_switches_the_wall_preset_and_gets_the_walls_picture() {
    let dir = std::env::temp_dir().join(format!("twinhall-control-wall-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let _wall = start_wall(0, &dir, &["--wall-size", "1600x900", "--wall-preset", "desk"]);
    let api = Api::new(control_port(&dir, "wall.log", 240), TOKEN);
    api.wait("feed synced", 240, &dir, |a| {
        let (s, st) = a.json("GET", "/v1/state", None);
        (s == 200 && st["feed"]["synced"] == Value::Bool(true)).then_some(())
    });
    let (s, wall) = api.json("GET", "/v1/wall", None);
    assert_eq!((s, wall["enabled"].clone(), wall["preset"]["id"].clone()), (200, Value::Bool(true), "desk".into()));
    // Fixed view, no briefing: only the preset changes between the two pictures.
    let (s, fly) =
        api.json("POST", "/v1/fly", Some(r#"{"lon":24.9525,"lat":60.1699,"distance_m":900,"pitch_deg":50}"#));
    assert_eq!(s, 200, "{fly}");
    api.wait("the flight ends", 60, &dir, |a| {
        (a.json("GET", "/v1/state", None).1["view"]["flying"] == Value::Bool(false)).then_some(())
    });
    // Labels off: their cyan accent bars must not count as icons.
    assert_eq!(api.json("POST", "/v1/layers", Some(r#"{"labels":false}"#)).0, 200);
    let desk = api.screenshot();
    assert_eq!(desk.dimensions(), (1600, 900), "the wall's picture, not the console's");
    let (s, far) = api.json("POST", "/v1/wall", Some(r#"{"preset":"far"}"#));
    assert_eq!((s, far["preset"]["text_scale"].clone()), (200, Value::from(2.5)), "{far}");
    assert_eq!(api.json("GET", "/v1/state", None).1["wall"]["preset"]["id"], "far");
    let (s, e) = api.json("POST", "/v1/wall", Some(r#"{"preset":"cinema"}"#));
    assert_eq!(s, 422, "{e}");
    let far_img = api.screenshot();
    desk.save(dir.join("wall-desk.png")).expect("save");
    far_img.save(dir.join("wall-far.png")).expect("save");
    // Camera icons (bright cyan squares) are drawn larger for the back of the hall.
    let icons = |img: &image::RgbImage| img.pixels().filter(|p| p.0[0] < 120 && p.0[1] > 200 && p.0[2] > 200).count();
    let (small, big) = (icons(&desk), icons(&far_img));
    eprintln!("camera icon pixels: desk {small}, far {big}");
    assert!(big as f64 > small as f64 * 1.5, "the far preset's icons are not larger: {big} vs {small}");
}

#[test]
fn an_exposed_control_api_without_a_token_is_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_twinhall"))
        .args(["--control", "0.0.0.0:8790"])
        .env_remove("TWINHALL_CONTROL_TOKEN")
        .env_remove("DISPLAY")
        .output()
        .expect("twinhall runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("without a token") && err.contains("0.0.0.0:8790"), "{err}");
    let bad = Command::new(env!("CARGO_BIN_EXE_twinhall")).args(["--control", "wall:80"]).output().expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--control"), "{}", String::from_utf8_lossy(&bad.stderr));
}
