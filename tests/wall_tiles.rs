//! A wall of several machines on one: a leader and two followers, each the real binary on one
//! Xvfb display. The followers render the two tiles of a 2x1 wall; stitched side by side they
//! equal the leader's own wall window, which shows the whole canvas. A follower started before
//! its leader joins by itself; one killed and started again rejoins and matches the leader's new
//! view. The leader's feed is the reference backend (in this process) holding still after its
//! snapshot with no incident open, so that nothing on the map moves on its own between the
//! leader's capture and the followers' (a follower draws the moment of the leader's newest frame,
//! and the captures are a few frames apart). The pictures stay in the target's `tmp/wall-tiles/`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Api, Wall, free_port};
use twinhall_core::sim::SimConfig;

const TOKEN: &str = "tiles-token-3";
/// Each tile, and the canvas of two of them side by side.
const TILE: (u32, u32) = (640, 360);
const CANVAS: (u32, u32) = (1280, 360);
/// A pixel differs when a channel is this far off.
const PIXEL_TOL: u8 = 48;
/// Share of a tile's pixels allowed to differ from the leader's picture (anti-aliasing at the
/// tile's edges, a label the declutter keeps on one machine and not the other).
const SHARE_TOL: f64 = 0.01;

/// The reference backend on loopback, sending its snapshot and then no batch for an hour; lives
/// as long as the runtime. No incident open and no sensor to warn about: nothing pulses and no
/// unit is under way.
fn still_backend(dir: &Path) -> (tokio::runtime::Runtime, String) {
    let sim = SimConfig { incidents: 0, incidents_per_minute: 0.0, sensors: 0, ..SimConfig::default() };
    support::backend(sim, "", Duration::from_secs(3600), dir)
}

/// The two tiles side by side.
fn stitch(left: &image::RgbImage, right: &image::RgbImage) -> image::RgbImage {
    let mut out = image::RgbImage::new(CANVAS.0, CANVAS.1);
    image::imageops::replace(&mut out, left, 0, 0);
    image::imageops::replace(&mut out, right, i64::from(TILE.0), 0);
    out
}

/// One Xvfb display for every instance, stopped when dropped.
struct Display {
    child: Child,
    name: String,
}

impl Display {
    fn start() -> Self {
        let n = (50..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists() && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .expect("a free X display number");
        let child = Command::new("Xvfb")
            .args([&format!(":{n}"), "-screen", "0", "2600x1200x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts (Debian package xvfb: bash .ci/setup)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
            assert!(Instant::now() < deadline, "Xvfb :{n} did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, name: format!(":{n}") }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on the display, its output in `dir/log`.
fn start(display: &Display, dir: &Path, log: &str, args: &[&str]) -> Wall {
    use std::os::unix::process::CommandExt;
    let file = std::fs::File::create(dir.join(log)).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_twinhall"))
        .args(args)
        .env("DISPLAY", &display.name)
        .env("TWINHALL_CONTROL_TOKEN", TOKEN)
        .env("TWINHALL_SYNC_TOKEN", TOKEN)
        .env("RUST_LOG", "info")
        .env("XDG_DATA_HOME", dir)
        .env_remove("WAYLAND_DISPLAY")
        .current_dir(dir)
        .stdout(Stdio::from(file.try_clone().expect("log")))
        .stderr(Stdio::from(file))
        .process_group(0)
        .spawn()
        .expect("twinhall starts");
    Wall(child)
}

fn follower_args<'a>(lead: &'a str, tile: &'a str, size: &'a str) -> Vec<&'a str> {
    vec!["--leader", lead, "--wall-grid", "2x1", "--wall-tile", tile, "--wall-size", size, "--wall-preset", "room"]
}

fn whole_log(dir: &Path, log: &str) -> String {
    std::fs::read_to_string(dir.join(log)).unwrap_or_default()
}

fn tail(dir: &Path, log: &str) -> String {
    let text = std::fs::read_to_string(dir.join(log)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Share of the tile's pixels that differ from the leader's picture at the tile's place.
fn differ(tile: &image::RgbImage, whole: &image::RgbImage, x0: u32) -> f64 {
    let (w, h) = tile.dimensions();
    let mut n = 0u64;
    for y in 0..h {
        for x in 0..w {
            let (p, q) = (tile.get_pixel(x, y).0, whole.get_pixel(x0 + x, y).0);
            if p.iter().zip(q).any(|(a, b)| a.abs_diff(b) > PIXEL_TOL) {
                n += 1;
            }
        }
    }
    n as f64 / f64::from(w * h)
}

fn dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wall-tiles");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Share of a picture's pixels lit by the city (the night style's blues and cyans, the icons).
fn lit(img: &image::RgbImage) -> f64 {
    let n = img.pixels().filter(|p| p.0.iter().any(|&c| c > 90)).count();
    n as f64 / f64::from(img.width() * img.height())
}

/// Pictures of several running instances taken at once (each its next frame), over their
/// control APIs; again while the first of them (the leader's whole canvas) does not show the
/// city yet (its pipelines still compiling under lavapipe).
fn pictures(ports: &[u16]) -> Vec<image::RgbImage> {
    for _ in 0..30 {
        let shots: Vec<_> =
            ports.iter().map(|&port| std::thread::spawn(move || Api::new(port, TOKEN).screenshot())).collect();
        let shots: Vec<image::RgbImage> = shots.into_iter().map(|s| s.join().expect("a picture")).collect();
        if lit(&shots[0]) > 0.05 {
            return shots;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    panic!("the leader's wall never showed the city");
}

/// Waits until the instance at `port` has the leader's data (its feed synced) and has drawn a
/// dozen frames since (its pipelines compiled under lavapipe).
fn synced(api: &Api, dir: &Path, log: &str) {
    let frames = api.wait_log(&format!("{log}: the feed"), 240, dir, log, |a| {
        let synced = a.json("GET", "/v1/state", None).1["feed"]["synced"] == Value::Bool(true);
        synced.then(|| a.json("GET", "/v1/health", None).1["frames"].as_u64().unwrap_or(0))
    });
    api.wait_log(&format!("{log}: a dozen frames"), 240, dir, log, |a| {
        (a.json("GET", "/v1/health", None).1["frames"].as_u64().unwrap_or(0) >= frames + 12).then_some(())
    });
}

#[test]
fn two_followers_render_the_leaders_canvas_in_tiles_and_one_rejoins_after_a_restart() {
    let dir = dir();
    let (_backend, feed) = still_backend(&dir);
    let display = Display::start();
    let [lead_port, leader_api, left_api, right_api, again_api] = [0; 5].map(|_| free_port());
    let lead = format!("127.0.0.1:{lead_port}");
    let tile = format!("{}x{}", TILE.0, TILE.1);
    let follower = |tile_at: &str, log: &str, api: u16| {
        let control = format!("127.0.0.1:{api}");
        let args = [follower_args(&lead, tile_at, &tile), vec!["--control", control.as_str()]].concat();
        start(&display, &dir, log, &args)
    };

    // The right-hand follower comes up first: it waits for its leader, saying so.
    let right_first = follower("1,0", "right-1.log", right_api);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !whole_log(&dir, "right-1.log").contains("trying again") {
        assert!(Instant::now() < deadline, "the follower never said it waits:\n{}", tail(&dir, "right-1.log"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let _leader = start(
        &display,
        &dir,
        "leader.log",
        &[
            "--size",
            "640x360",
            "--wall-size",
            &format!("{}x{}", CANVAS.0, CANVAS.1),
            "--wall-preset",
            "room",
            "--lead",
            &lead,
            "--control",
            &format!("127.0.0.1:{leader_api}"),
            "--feed",
            &feed,
        ],
    );
    let _left = follower("0,0", "left.log", left_api);
    synced(&Api::new(leader_api, TOKEN), &dir, "leader.log");
    synced(&Api::new(right_api, TOKEN), &dir, "right-1.log");
    synced(&Api::new(left_api, TOKEN), &dir, "left.log");
    assert!(whole_log(&dir, "leader.log").contains("follower for tile 1,0 joined"), "{}", tail(&dir, "leader.log"));
    assert!(whole_log(&dir, "left.log").contains("tile 0,0 of 2x1: 640x360 at 0,0 of a 1280x360 canvas"));

    // Both tiles and the leader's whole canvas, at once.
    let [whole, left, right]: [image::RgbImage; 3] =
        pictures(&[leader_api, left_api, right_api]).try_into().expect("three pictures");
    assert_eq!((whole.dimensions(), left.dimensions(), right.dimensions()), (CANVAS, TILE, TILE));
    let (d_left, d_right) = (differ(&left, &whole, 0), differ(&right, &whole, TILE.0));
    eprintln!(
        "left tile: {:.2}% of its pixels differ from the leader's canvas, right tile: {:.2}%",
        d_left * 100.0,
        d_right * 100.0
    );
    let stitched = stitch(&left, &right);
    whole.save(dir.join("leader-1.png")).expect("save");
    stitched.save(dir.join("stitched-1.png")).expect("save");
    assert!(d_left < SHARE_TOL, "the left tile is not the left of the leader's canvas: {:.2}%", d_left * 100.0);
    assert!(d_right < SHARE_TOL, "the right tile is not the right of the leader's canvas: {:.2}%", d_right * 100.0);

    // The right follower dies; the leader carries on, and flies elsewhere.
    drop(right_first);
    let api = Api::new(leader_api, TOKEN);
    let (s, fly) =
        api.json("POST", "/v1/fly", Some(r#"{"lon":24.9525,"lat":60.1690,"distance_m":900,"pitch_deg":50}"#));
    assert_eq!(s, 200, "{fly}");
    api.wait_log("the flight ends", 90, &dir, "leader.log", |a| {
        (a.json("GET", "/v1/state", None).1["view"]["flying"] == Value::Bool(false)).then_some(())
    });

    // Started again, it rejoins and shows the right of the leader's new view.
    let _right_again = follower("1,0", "right-2.log", again_api);
    synced(&Api::new(again_api, TOKEN), &dir, "right-2.log");
    let [moved, left, right]: [image::RgbImage; 3] =
        pictures(&[leader_api, left_api, again_api]).try_into().expect("three pictures");
    let (d_left, d_right, d_old) =
        (differ(&left, &moved, 0), differ(&right, &moved, TILE.0), differ(&right, &whole, TILE.0));
    eprintln!(
        "after the flight: left {:.2}%, right (restarted) {:.2}% differ ({:.2}% from the view before the flight)",
        d_left * 100.0,
        d_right * 100.0,
        d_old * 100.0
    );
    let stitched = stitch(&left, &right);
    moved.save(dir.join("leader-2.png")).expect("save");
    stitched.save(dir.join("stitched-2.png")).expect("save");
    assert!(d_left < SHARE_TOL && d_right < SHARE_TOL, "the tiles do not match the leader's new view");
    assert!(d_old > 5.0 * SHARE_TOL, "the flight should have changed the view: {:.2}%", d_old * 100.0);
}
