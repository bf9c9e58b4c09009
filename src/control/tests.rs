//! The control API headless: its real HTTP server on loopback, driven by a real HTTP client
//! (reqwest) while the app runs its frames on `MinimalPlugins` with the simulated city's store,
//! the shipped briefings and the theatre's player. Every endpoint, its bad input and the token.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use serde_json::{Value, json};

use super::ControlInbox;
use crate::context::{DefenceView, FlyTo, FocusIncident, LayerVisibility, OrbitCamera, OverlayLayers, Selection};
use crate::feed::FeedData;
use crate::theatre::Theatre;

const TOKEN: &str = "t0ken-for-tests";

#[derive(Resource, Default)]
struct Seen {
    flights: Vec<FlyTo>,
    focus: Vec<String>,
}

fn record(mut fly: MessageReader<FlyTo>, mut focus: MessageReader<FocusIncident>, mut seen: ResMut<Seen>) {
    seen.flights.extend(fly.read().cloned());
    seen.focus.extend(focus.read().map(|f| f.0.clone()));
}

fn control_app() -> App {
    let mut app = crate::test_support::city_app();
    let mut settings = app.world_mut().resource_mut::<crate::context::Settings>();
    settings.config.control.listen = "127.0.0.1:0".into();
    settings.config.control.token = TOKEN.into();
    app.init_resource::<Seen>()
        .add_message::<FlyTo>()
        .add_message::<FocusIncident>()
        .add_systems(Last, record)
        .add_plugins((super::plugin, crate::theatre::player_plugins));
    app.world_mut().spawn(OrbitCamera { focus: Vec3::ZERO, distance_m: 3000.0, pitch: 0.8, heading: 0.0 });
    app
}

/// What a client saw: status and JSON body.
type Seen2 = (u16, Value);

/// Runs `script` against the API on a client thread while the app runs frames here.
fn drive<T: Send + 'static>(app: &mut App, script: impl FnOnce(String) -> T + Send + 'static) -> T {
    app.update();
    let addr = app.world().get_resource::<ControlInbox>().expect("the control API started").addr;
    let handle = std::thread::spawn(move || script(format!("http://{addr}")));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !handle.is_finished() {
        assert!(Instant::now() < deadline, "the client script did not finish in 60 s");
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    handle.join().expect("the client script ran")
}

fn client() -> (tokio::runtime::Runtime, reqwest::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    (rt, reqwest::Client::new())
}

async fn call(c: &reqwest::Client, method: &str, url: &str, body: Option<&str>, token: Option<&str>) -> Seen2 {
    let mut req = match method {
        "GET" => c.get(url),
        "POST" => c.post(url).header("content-type", "application/json"),
        other => c.request(reqwest::Method::from_bytes(other.as_bytes()).expect("an HTTP method"), url),
    };
    if let Some(b) = body {
        req = req.body(b.to_owned());
    }
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let r = req.send().await.expect("the API answers");
    let status = r.status().as_u16();
    let text = r.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[test]
fn every_command_reaches_the_wall_and_bad_input_gets_a_clear_4xx() {
    let mut app = control_app();
    let (incident, camera) = {
        let data = app.world().resource::<FeedData>();
        let i = data.incidents.iter().map(|(_, i)| i.id.clone()).min().expect("incidents");
        let c = data.cameras.iter().map(|(_, c)| c.id.clone()).min().expect("cameras");
        (i, c)
    };
    let counts = app.world().resource::<FeedData>().incidents.len();
    let (i2, c2) = (incident.clone(), camera.clone());
    let out: Vec<(&'static str, Seen2)> = drive(&mut app, move |base| {
        let (rt, c) = client();
        rt.block_on(async move {
            let u = |p: &str| format!("{base}{p}");
            let t = Some(TOKEN);
            let mut out = Vec::new();
            // Health needs no token; the first frames have run.
            out.push(("health", call(&c, "GET", &u("/v1/health"), None, None).await));
            out.push(("state no token", call(&c, "GET", &u("/v1/state"), None, None).await));
            out.push(("state bad token", call(&c, "GET", &u("/v1/state"), None, Some("t0ken")).await));
            let lower =
                c.get(u("/v1/state")).header("authorization", format!("bearer {TOKEN}")).send().await.expect("answer");
            out.push(("state lower-case scheme", (lower.status().as_u16(), lower.json().await.unwrap_or(Value::Null))));
            out.push((
                "fly",
                call(&c, "POST", &u("/v1/fly"), Some(r#"{"lon":114.062,"lat":22.541,"distance_m":800}"#), t).await,
            ));
            out.push(("fly far", call(&c, "POST", &u("/v1/fly"), Some(r#"{"lon":24.94,"lat":60.17}"#), t).await));
            out.push((
                "fly round",
                call(&c, "POST", &u("/v1/fly"), Some(r#"{"lon":114.0620001234,"lat":22.541,"heading_deg":-0.0}"#), t)
                    .await,
            ));
            out.push((
                "fly swapped",
                call(&c, "POST", &u("/v1/fly"), Some(r#"{"lon":22.541,"lat":114.062}"#), t).await,
            ));
            out.push(("search swapped", call(&c, "GET", &u("/v1/search?q=22.541,114.062"), None, t).await));
            out.push(("fly bad lat", call(&c, "POST", &u("/v1/fly"), Some(r#"{"lon":114.0,"lat":95}"#), t).await));
            out.push(("fly text", call(&c, "POST", &u("/v1/fly"), Some(r#"{"lon":"east","lat":22.5}"#), t).await));
            out.push((
                "fly extra",
                call(&c, "POST", &u("/v1/fly"), Some(r#"{"lon":114.0,"lat":22.5,"zoom":3}"#), t).await,
            ));
            out.push(("fly broken", call(&c, "POST", &u("/v1/fly"), Some(r#"{"lon":114.0,"#), t).await));
            let huge = format!(r#"{{"entity":"{}"}}"#, "x".repeat(super::BODY_LIMIT + 10));
            out.push(("fly huge", call(&c, "POST", &u("/v1/fly"), Some(&huge), t).await));
            out.push(("fly unknown", call(&c, "POST", &u("/v1/fly"), Some(r#"{"entity":"NO-SUCH-1"}"#), t).await));
            let cam = format!(r#"{{"entity":"{c2}"}}"#);
            out.push(("fly camera", call(&c, "POST", &u("/v1/fly"), Some(&cam), t).await));
            let sel = format!(r#"{{"incident_id":"{i2}"}}"#);
            out.push(("select", call(&c, "POST", &u("/v1/select"), Some(&sel), t).await));
            out.push((
                "select unknown",
                call(&c, "POST", &u("/v1/select"), Some(r#"{"incident_id":"I-none"}"#), t).await,
            ));
            out.push(("search", call(&c, "GET", &u(&format!("/v1/search?q={i2}")), None, t).await));
            out.push(("search empty", call(&c, "GET", &u("/v1/search?q="), None, t).await));
            out.push((
                "layers",
                call(
                    &c,
                    "POST",
                    &u("/v1/layers"),
                    Some(r#"{"cameras":false,"buildings":false,"heat":true,"area_level":"grid"}"#),
                    t,
                )
                .await,
            ));
            out.push((
                "layers unknown",
                call(&c, "POST", &u("/v1/layers"), Some(r#"{"cameras":true,"nope":true}"#), t).await,
            ));
            out.push(("layers not bool", call(&c, "POST", &u("/v1/layers"), Some(r#"{"cameras":1}"#), t).await));
            out.push(("next idle", call(&c, "POST", &u("/v1/theatre"), Some(r#"{"action":"next"}"#), t).await));
            out.push((
                "start unknown",
                call(&c, "POST", &u("/v1/theatre"), Some(r#"{"action":"start","theme":"nope"}"#), t).await,
            ));
            out.push((
                "start bad step",
                call(&c, "POST", &u("/v1/theatre"), Some(r#"{"action":"start","theme":"public_safety","step":99}"#), t)
                    .await,
            ));
            out.push((
                "start",
                call(&c, "POST", &u("/v1/theatre"), Some(r#"{"action":"start","theme":"public_safety"}"#), t).await,
            ));
            out.push(("next", call(&c, "POST", &u("/v1/theatre"), Some(r#"{"action":"next"}"#), t).await));
            out.push(("goto bad", call(&c, "POST", &u("/v1/theatre"), Some(r#"{"action":"goto","step":0}"#), t).await));
            out.push(("goto", call(&c, "POST", &u("/v1/theatre"), Some(r#"{"action":"goto","step":4}"#), t).await));
            out.push(("dance", call(&c, "POST", &u("/v1/theatre"), Some(r#"{"action":"dance"}"#), t).await));
            out.push(("state", call(&c, "GET", &u("/v1/state"), None, t).await));
            out.push(("stop", call(&c, "POST", &u("/v1/theatre"), Some(r#"{"action":"stop"}"#), t).await));
            out.push(("nowhere", call(&c, "GET", &u("/v1/nowhere"), None, t).await));
            out.push(("wall", call(&c, "GET", &u("/v1/wall"), None, t).await));
            out.push(("wall far", call(&c, "POST", &u("/v1/wall"), Some(r#"{"preset":"far"}"#), t).await));
            out.push(("wall cinema", call(&c, "POST", &u("/v1/wall"), Some(r#"{"preset":"cinema"}"#), t).await));
            out
        })
    });
    let get = |name: &str| out.iter().find(|(n, _)| *n == name).map(|(_, s)| s.clone()).expect(name);
    let status = |name: &str| get(name).0;
    let error = |name: &str| get(name).1["error"].as_str().unwrap_or_default().to_owned();

    let (s, health) = get("health");
    assert_eq!(s, 200, "{health}");
    assert!(health["frames"].as_u64().is_some_and(|f| f > 0), "{health}");
    assert_eq!(status("state no token"), 401);
    assert_eq!(status("state bad token"), 401, "a prefix of the token is not the token");
    let (s, state) = get("state lower-case scheme");
    assert_eq!(s, 200, "`bearer` in any case, as HTTP says");
    assert_eq!(state["feed"]["counts"]["incidents"].as_u64(), Some(counts as u64));
    assert_eq!(state["feed"]["synced"], json!(true));

    let (s, fly) = get("fly");
    assert_eq!(s, 200, "{fly}");
    assert_eq!(fly["flying_to"]["distance_m"].as_f64(), Some(800.0));
    assert_eq!(status("fly far"), 422);
    assert!(error("fly far").contains("outside the city"), "{}", error("fly far"));
    // Echoed numbers are rounded: no f32 noise (the camera's pitch of 0.8 rad), no -0.0.
    let (s, round) = get("fly round");
    assert_eq!(s, 200, "{round}");
    let to = &round["flying_to"];
    assert_eq!(to["lon"].as_f64(), Some(114.062), "{round}");
    assert_eq!(to["pitch_deg"].as_f64(), Some(45.84), "{round}");
    assert!(to["heading_deg"].as_f64().is_some_and(|h| h == 0.0 && h.is_sign_positive()), "{round}");
    assert_eq!(to["distance_m"].as_f64(), Some(3000.0), "the camera's distance (no flight runs here): {round}");
    // Latitude first: the fly-to says so, the search reads it the other way round.
    assert_eq!(status("fly swapped"), 422);
    assert!(error("fly swapped").contains("other way round"), "{}", error("fly swapped"));
    let (s, swapped) = get("search swapped");
    let hit = &swapped["hits"][0];
    assert_eq!((s, hit["kind"].as_str(), hit["swapped"].as_bool()), (200, Some("place"), Some(true)), "{swapped}");
    assert_eq!((hit["lon"].as_f64(), hit["lat"].as_f64()), (Some(114.062), Some(22.541)), "{swapped}");
    assert_eq!(hit["note"].as_str(), Some("read as lat,lon"), "{swapped}");
    assert!(error("fly bad lat").contains("lat must be"), "{}", error("fly bad lat"));
    assert_eq!(status("fly text"), 422);
    assert!(error("fly text").contains("lon"), "the field is named: {}", error("fly text"));
    assert_eq!(status("fly extra"), 422);
    assert!(error("fly extra").contains("zoom"), "{}", error("fly extra"));
    assert_eq!(status("fly broken"), 400);
    assert_eq!(status("fly huge"), 413);
    assert!(error("fly huge").contains("larger than"), "{}", error("fly huge"));
    assert_eq!(status("fly unknown"), 404);
    assert!(error("fly unknown").contains("NO-SUCH-1"));
    let (s, fc) = get("fly camera");
    assert_eq!((s, fc["entity"]["kind"].as_str()), (200, Some("camera")), "{fc}");

    let (s, sel) = get("select");
    assert_eq!((s, sel["selected"]["id"].as_str()), (200, Some(incident.as_str())), "{sel}");
    assert_eq!(status("select unknown"), 404);
    let (s, hits) = get("search");
    assert_eq!((s, hits["hits"][0]["id"].as_str()), (200, Some(incident.as_str())), "{hits}");
    assert_eq!(status("search empty"), 400);

    let (s, layers) = get("layers");
    assert_eq!(s, 200, "{layers}");
    assert_eq!(
        (layers["cameras"].clone(), layers["buildings"].clone(), layers["heat"].clone()),
        (json!(false), json!(false), json!(true))
    );
    assert_eq!(layers["area_level"], json!("grid"));
    assert_eq!(status("layers unknown"), 422);
    assert!(error("layers unknown").contains("`nope`") && error("layers unknown").contains("buildings"));
    assert_eq!(status("layers not bool"), 422);

    // One window, no wall: the presets are listed, switching one is refused with the reason.
    let (s, wall) = get("wall");
    assert_eq!((s, wall["enabled"].clone()), (200, json!(false)), "{wall}");
    assert_eq!(wall["presets"], json!(["desk", "room", "hall", "far"]));
    assert_eq!(status("wall far"), 409);
    assert!(error("wall far").contains("--wall"), "{}", error("wall far"));
    assert_eq!(status("wall cinema"), 422);
    assert!(error("wall cinema").contains("desk, room, hall, far"), "{}", error("wall cinema"));

    assert_eq!(status("next idle"), 409);
    assert_eq!(status("start unknown"), 404);
    assert!(error("start unknown").contains("public_safety"), "the themes are listed: {}", error("start unknown"));
    assert_eq!(status("start bad step"), 422);
    let (s, started) = get("start");
    assert_eq!(s, 200, "{started}");
    assert_eq!(started["playing"]["theme"], json!("public_safety"), "answered after the theatre applied it");
    assert_eq!(started["playing"]["step"], json!(1));
    assert_eq!(get("next").1["playing"]["step"], json!(2));
    assert_eq!(status("goto bad"), 422);
    assert_eq!(get("goto").1["playing"]["step"], json!(4));
    assert_eq!(status("dance"), 422);
    let state = get("state").1;
    assert_eq!(state["theatre"]["playing"]["step"], json!(4), "{state}");
    assert_eq!(state["selection"]["id"].as_str(), Some(incident.as_str()));
    assert_eq!(state["layers"]["cameras"], json!(false));
    assert_eq!(get("stop").1["playing"], Value::Null);
    assert_eq!(status("nowhere"), 404);
    assert!(error("nowhere").contains("GET /v1/nowhere") && error("nowhere").contains("/v1/health"));

    // The wall's own state agrees with what the API said.
    let world = app.world();
    assert_eq!(world.resource::<Selection>().selected.as_ref().map(|s| s.id.as_str()), Some(incident.as_str()));
    assert!(!world.resource::<OverlayLayers>().cameras && !world.resource::<LayerVisibility>().buildings);
    assert!(world.resource::<DefenceView>().heat);
    assert!(world.resource::<Theatre>().playing.is_none(), "stopped");
    let seen = world.resource::<Seen>();
    assert_eq!(seen.focus, vec![incident.clone()], "select focuses the incident in the action hub");
    let first = seen.flights.first().expect("a flight was asked");
    assert!((first.lonlat.lon - 114.062).abs() < 1e-9 && first.distance_m == 800.0, "{first:?}");
    assert!(seen.flights.len() >= 2, "fly to the camera too: {:?}", seen.flights.len());
}

#[test]
fn a_slow_wall_answers_busy_or_late_but_never_hangs_the_client() {
    // The app is built but runs no frames while the client asks: the API times out with 504
    // instead of hanging, and health says the wall is stalled.
    let mut app = control_app();
    app.update();
    let addr = app.world().resource::<ControlInbox>().addr;
    let (rt, c) = client();
    let (health, state) = rt.block_on(async move {
        let base = format!("http://{addr}");
        // After one frame the pulse is fresh; health is fine.
        let h = call(&c, "GET", &format!("{base}/v1/health"), None, None).await;
        let s = tokio::time::timeout(
            Duration::from_secs(15),
            call(&c, "GET", &format!("{base}/v1/state"), None, Some(TOKEN)),
        )
        .await
        .expect("an answer within 15 s");
        (h, s)
    });
    assert_eq!(health.0, 200, "{health:?}");
    assert_eq!(state.0, 504, "{state:?}");
    assert!(state.1["error"].as_str().is_some_and(|e| e.contains("did not answer")), "{state:?}");
}

#[test]
fn a_screenshot_with_no_window_to_take_it_from_is_refused_at_once() {
    // Headless, the app has no window at all; then a wall whose window was closed by hand. Both
    // answer 409 on the next frame instead of leaving the client to the server's timeout.
    let mut app = control_app();
    let shot = |app: &mut App| {
        let (rt, c) = client();
        let started = Instant::now();
        let seen = drive(app, move |base| {
            rt.block_on(call(&c, "GET", &format!("{base}/v1/screenshot.png"), None, Some(TOKEN)))
        });
        (seen, started.elapsed())
    };
    let (none, waited) = shot(&mut app);
    assert_eq!(none.0, 409, "{none:?}");
    assert!(none.1["error"].as_str().is_some_and(|e| e.contains("no window")), "{none:?}");
    assert!(waited < Duration::from_secs(5), "answered at once, not at the timeout: {waited:?}");

    let closed = app.world_mut().spawn_empty().id();
    app.insert_resource(crate::context::Wall {
        window: closed,
        preset: twinhall_core::wall::PRESETS[0],
        tiling: twinhall_core::wall::Tiling::SINGLE,
        console: true,
    });
    let (gone, waited) = shot(&mut app);
    assert_eq!(gone.0, 409, "{gone:?}");
    assert!(gone.1["error"].as_str().is_some_and(|e| e.contains("wall window is closed")), "{gone:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

#[test]
fn a_method_an_endpoint_does_not_take_or_an_unknown_path_gets_a_json_error_naming_it() {
    let mut app = control_app();
    let out: Vec<(String, &'static [&'static str], Seen2, Vec<Seen2>)> = drive(&mut app, move |base| {
        let (rt, c) = client();
        rt.block_on(async move {
            let mut out = Vec::new();
            for (path, allowed) in super::server::ENDPOINTS {
                let url = format!("{base}{path}");
                // A method it does not take: DELETE for all of them.
                let wrong = call(&c, "DELETE", &url, None, Some(TOKEN)).await;
                // Each method it takes is routed (whatever the command then says of an empty body).
                let mut right = Vec::new();
                for m in allowed.iter() {
                    right.push(call(&c, m, &url, None, Some(TOKEN)).await);
                }
                out.push((path.to_string(), *allowed, wrong, right));
            }
            let put = call(&c, "PUT", &format!("{base}/v1/nowhere"), Some("{}"), Some(TOKEN)).await;
            const NONE: &[&str] = &[];
            out.push(("/v1/nowhere".into(), NONE, put, Vec::new()));
            out
        })
    });
    for (path, allowed, (status, body), right) in &out {
        if allowed.is_empty() {
            assert_eq!(*status, 404, "{path}: {body}");
            let e = body["error"].as_str().unwrap_or_default();
            assert!(e.contains("PUT /v1/nowhere") && e.contains("POST /v1/fly"), "{e}");
            continue;
        }
        assert_eq!(*status, 405, "{path}: {body}");
        let e = body["error"].as_str().unwrap_or_default();
        assert!(e.contains(path.as_str()) && e.contains("DELETE"), "{path}: {e}");
        assert!(allowed.iter().all(|m| e.contains(m)), "{path}: {e}");
        assert_eq!((body["method"].as_str(), body["path"].as_str()), (Some("DELETE"), Some(path.as_str())));
        assert_eq!(body["allowed"], json!(allowed), "{path}");
        for (m, (s, b)) in allowed.iter().zip(right) {
            assert!(*s != 405 && *s != 404, "{m} {path} is routed, got {s}: {b}");
        }
    }
}
