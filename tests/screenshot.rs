//! Renders the real binary under Xvfb with Mesa's software Vulkan (lavapipe) and checks the PNG:
//! the requested size, not blank, and clearly different from a render with no city.

use std::path::{Path, PathBuf};
use std::process::Command;

const W: u32 = 960;
const H: u32 = 540;

/// `xvfb-run` on the PATH: `.ci/setup` installs it, so a machine without it fails the test
/// rather than passing it unrun.
fn xvfb_run() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|path| path.to_str()?.split(':').map(|d| Path::new(d).join("xvfb-run")).find(|p| p.is_file()))
        .expect("xvfb-run is not installed: run `bash .ci/setup` (Debian package xvfb) to render these tests")
}

fn render(xvfb: &Path, out: &Path, extra: &[&str]) -> image::RgbImage {
    let size = format!("{W}x{H}");
    let mut cmd = Command::new(xvfb);
    cmd.args(["-a", "-s", "-screen 0 1280x1024x24"])
        .arg(env!("CARGO_BIN_EXE_twinhall"))
        .args(["--screenshot", out.to_str().expect("utf8 path"), "--frames", "12", "--size", &size])
        .args(extra)
        .env("RUST_LOG", "warn")
        // The journal (orders, alerts) goes beside the picture, not into the user's own.
        .env("XDG_DATA_HOME", out.parent().expect("a folder"));
    let o = cmd.output().expect("xvfb-run runs");
    assert!(o.status.success(), "twinhall {extra:?} failed: {}\n{}", o.status, String::from_utf8_lossy(&o.stderr));
    image::open(out).expect("a PNG was written").to_rgb8()
}

/// Pixels of the 3D view: right of the side panel and above the status bar.
fn view_pixels(img: &image::RgbImage) -> impl Iterator<Item = &image::Rgb<u8>> {
    img.enumerate_pixels().filter(|(x, y, _)| *x > 360 && *y < H - 60).map(|(_, _, p)| p)
}

/// Blue-cyan pixels: the night style's buildings, roads and water; the empty ground is near black.
fn city_like(p: &image::Rgb<u8>) -> bool {
    let [r, g, b] = p.0;
    b > 70 && b as i32 > r as i32 + 25 && g as i32 > r as i32
}

#[test]
fn screenshot_shows_the_demo_city() {
    let xvfb = xvfb_run();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("shots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let city = render(&xvfb, &dir.join("city.png"), &[]);
    let empty = render(&xvfb, &dir.join("empty.png"), &["--city", "none"]);

    assert_eq!(city.dimensions(), (W, H));
    assert_eq!(empty.dimensions(), (W, H));

    let mut colours: Vec<[u8; 3]> = city.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 200, "a blank image: only {} colours", colours.len());

    let total = view_pixels(&city).count();
    let with_city = view_pixels(&city).filter(|p| city_like(p)).count();
    let without = view_pixels(&empty).filter(|p| city_like(p)).count();
    eprintln!("building-coloured pixels: {with_city} with the city, {without} without, of {total}");
    assert!(with_city * 20 > total, "buildings cover under 5% of the view: {with_city} of {total}");
    // The empty render still shows the configured glTF model, so compare by a wide factor.
    assert!(with_city > without * 4 + 100, "the city render is not clearly different from an empty one");

    let differing = view_pixels(&city)
        .zip(view_pixels(&empty))
        .filter(|(a, b)| a.0.iter().zip(b.0.iter()).map(|(x, y)| (*x as i32 - *y as i32).abs()).sum::<i32>() > 60)
        .count();
    assert!(differing * 10 > total, "only {differing} of {total} pixels differ from the empty render");

    // The live overlays: the embedded feed's cameras are drawn as bright cyan icons (the city's
    // own palette has no such colour); with no city there is no feed and none are drawn.
    let cyan =
        |img: &image::RgbImage| view_pixels(img).filter(|p| p.0[0] < 110 && p.0[1] > 215 && p.0[2] > 215).count();
    let (icons, icons_empty) = (cyan(&city), cyan(&empty));
    eprintln!("camera-icon pixels: {icons} with the feed, {icons_empty} without");
    assert!(icons > 2000 && icons > icons_empty * 5, "no camera icons on the wall: {icons} vs {icons_empty}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Orange-red: the focus ring's colour (the night style has none of it; severity icons are
/// redder or more orange).
fn ring_like(p: &image::Rgb<u8>) -> bool {
    let [r, g, b] = p.0;
    r > 200 && (45..=100).contains(&g) && b < 40
}

#[test]
fn focusing_an_incident_draws_its_ring() {
    let xvfb = xvfb_run();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hub-shots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // The frames count from when the hub has focused and analysed the incident.
    let focused = render(&xvfb, &dir.join("focus.png"), &["--focus", "auto"]);
    let plain = render(&xvfb, &dir.join("plain.png"), &[]);
    let ring = view_pixels(&focused).filter(|p| ring_like(p)).count();
    let ring_plain = view_pixels(&plain).filter(|p| ring_like(p)).count();
    eprintln!("ring pixels: {ring} focused, {ring_plain} not");
    assert!(ring > 400 && ring > ring_plain * 5, "no focus ring: {ring} vs {ring_plain}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The key grids' outline and tag: deep pink, apart from the alerts' violet (bluer) and the
/// incidents' red and orange (no blue).
fn key_grid_like(p: &image::Rgb<u8>) -> bool {
    let [r, g, b] = p.0;
    r > 220 && g < 110 && (120..=215).contains(&b)
}

#[test]
fn a_hot_spot_is_found_and_outlined_as_a_key_grid() {
    let xvfb = xvfb_run();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("defence-shots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // The embedded city runs an hour with a disputes hot spot before the wall opens.
    let hot = render(&xvfb, &dir.join("hot.png"), &["--hotspot", "A4-120:dispute:1000"]);
    let plain = render(&xvfb, &dir.join("plain.png"), &[]);
    let pink = view_pixels(&hot).filter(|p| key_grid_like(p)).count();
    let pink_plain = view_pixels(&plain).filter(|p| key_grid_like(p)).count();
    eprintln!("key grid pixels: {pink} with the hot spot, {pink_plain} without");
    assert!(pink > 150 && pink > pink_plain * 4, "no key grid drawn: {pink} vs {pink_plain}");
    let _ = std::fs::remove_dir_all(&dir);
}
