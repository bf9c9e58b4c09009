//! The video wall beside the console (`--wall`), rendered by the real binary under Xvfb at
//! 1280x720, 1920x1080 and 7680x2160: the wall shows the map with its labels and HUD and none
//! of the operator's panels, the console shows the panels; a briefing plays on the wall while
//! its controls stay on the console; the wall goes full screen on the monitor it is given.
//! The pictures stay in the test folder to be looked at (docs/images/wall-*.png are copies).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::xvfb_run;

/// Renders with a wall; returns the wall's and the console's pictures and the log.
fn render_wall(
    out: &Path,
    screen: (u32, u32),
    args: &[&str],
    frames: u32,
) -> (image::RgbImage, image::RgbImage, String) {
    let o = Command::new(xvfb_run())
        .args(["-a", "-s", &format!("-screen 0 {}x{}x24", screen.0, screen.1)])
        .arg(env!("CARGO_BIN_EXE_twinhall"))
        .args(["--screenshot", out.to_str().expect("utf8 path"), "--frames", &frames.to_string()])
        .args(args)
        .env("RUST_LOG", "info")
        .env("XDG_DATA_HOME", out.parent().expect("a folder"))
        .output()
        .expect("xvfb-run runs");
    let log = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "twinhall {args:?} failed: {}\n{log}", o.status);
    let console = out.with_file_name(format!("{}-console.png", out.file_stem().and_then(|s| s.to_str()).unwrap_or("")));
    let wall = image::open(out).expect("the wall's PNG").to_rgb8();
    let console = image::open(&console).expect("the console's PNG").to_rgb8();
    (wall, console, log)
}

/// Pixels of egui's panel text (its grey on the dark panel) in a region (fractions of the size):
/// the side panel and status bar are full of them, the map has next to none.
fn panel_text(img: &image::RgbImage, (x0, x1, y0, y1): (f32, f32, f32, f32)) -> usize {
    let (w, h) = (img.width() as f32, img.height() as f32);
    img.enumerate_pixels()
        .filter(|(x, y, p)| {
            let (fx, fy) = (*x as f32 / w, *y as f32 / h);
            let (lo, hi) = (p.0.iter().min().copied().unwrap_or(0), p.0.iter().max().copied().unwrap_or(0));
            fx >= x0 && fx < x1 && fy >= y0 && fy < y1 && hi - lo <= 8 && (110..=225).contains(&hi)
        })
        .count()
}

/// Pixels of the compass's red north arrow (#ff5046) in a region (x0, y0, x1, y1).
fn compass_north(img: &image::RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> usize {
    img.enumerate_pixels()
        .filter(|(x, y, p)| {
            (x0..x1).contains(x)
                && (y0..y1).contains(y)
                && p.0.iter().zip([255, 80, 70]).all(|(a, b)| (i32::from(*a) - b).abs() <= 12)
        })
        .count()
}

fn dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// At each size, the side panel's text is on the console and not on the wall, and the wall is
/// the size asked for, with the city on it.
#[test]
fn the_wall_has_the_map_and_the_console_the_panels_at_every_size() {
    let dir = dir("wall-sizes");
    for (w, h) in [(1280, 720), (1920, 1080), (7680, 2160)] {
        // A console is an operator's monitor: at most 1920x1080.
        let (cw, ch) = (w.min(1920), h.min(1080));
        let out = dir.join(format!("wall-{w}x{h}.png"));
        let (wall, console, log) = render_wall(
            &out,
            (w + cw, h.max(ch)),
            &["--size", &format!("{cw}x{ch}"), "--wall-size", &format!("{w}x{h}"), "--wall-preset", "hall"],
            8,
        );
        assert_eq!(wall.dimensions(), (w, h));
        assert_eq!(console.dimensions(), (cw, ch));
        assert!(log.contains("preset hall (text x1.8, icons x1.6, margin 32 px)"), "{log}");
        let left = (0.0, 0.25, 0.05, 0.95);
        let (on_wall, on_console) = (panel_text(&wall, left), panel_text(&console, left));
        eprintln!("{w}x{h}: panel text pixels on the wall {on_wall}, on the console {on_console}");
        assert!(on_console > 3000 * (ch as usize / 720), "the console has no side panel: {on_console}");
        assert!(on_wall * 20 < on_console, "the wall shows panel text: {on_wall} vs {on_console}");
        // The console's map has its own compass, top right: its red north arrow.
        let north = compass_north(&console, (cw - 160, 0, cw, 160));
        eprintln!("{w}x{h}: the console's compass arrow {north} pixels");
        assert!(north > 60, "no compass on the console's map: {north} red pixels top right");
        // The city (lit building tops, blue to cyan) fills the wall's middle.
        let city = wall
            .enumerate_pixels()
            .filter(|(x, y, p)| {
                *x > w / 4 && *x < w * 3 / 4 && *y > h / 4 && *y < h * 3 / 4 && p.0[2] > 120 && p.0[2] > p.0[0] + 40
            })
            .count();
        assert!(city * 10 > (w * h / 4) as usize, "no city in the middle of the wall: {city} pixels");
    }
}

/// A briefing plays on the wall (its charts in the theme's accent, right) and its controls are
/// on the console; the wall goes full screen on its monitor; a monitor name nobody has is said.
#[test]
fn a_briefing_plays_on_the_wall_and_the_wall_fills_its_monitor() {
    let dir = dir("wall-theatre");
    let out = dir.join("theatre.png");
    // No size: full screen on the primary monitor, the whole 1600x900 screen.
    let (wall, console, _) =
        render_wall(&out, (1600, 900), &["--size", "1280x720", "--wall", "--brief", "public_safety:2"], 10);
    assert_eq!(wall.dimensions(), (1600, 900), "the wall fills the screen");
    // public_safety's accent, #f2994a, in the charts column right of the wall.
    let accent = |img: &image::RgbImage| {
        let w = img.width();
        img.enumerate_pixels()
            .filter(|(x, y, p)| {
                *x > w * 7 / 10
                    && *y < img.height() * 3 / 4
                    && p.0.iter().zip([0xf2, 0x99, 0x4a]).all(|(a, b)| (i32::from(*a) - b).abs() <= 18)
            })
            .count()
    };
    let (on_wall, on_console) = (accent(&wall), accent(&console));
    eprintln!("chart accent pixels: wall {on_wall}, console {on_console}");
    assert!(on_wall > 2000 && on_wall > on_console * 5, "the charts are not on the wall: {on_wall} vs {on_console}");
    assert!(panel_text(&console, (0.0, 0.25, 0.0, 0.3)) > 1000, "the theatre's controls are not on the console");

    let (wall, _, log) = render_wall(
        &dir.join("unnamed.png"),
        (1600, 900),
        &["--size", "1280x720", "--wall-monitor", "DP-77", "--wall-preset", "desk"],
        6,
    );
    assert!(log.contains("there is no monitor `DP-77`") && log.contains("the wall stays a window"), "{log}");
    assert_eq!(wall.dimensions(), (1920, 1080), "the configured window size");
}
