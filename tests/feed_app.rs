//! The real `twinhall` binary against a real feed server on loopback (the reference backend,
//! in this process), rendered under Xvfb: live data with no banner; a wrong token shows the
//! unauthorized banner on the wall and the token never reaches the app's log.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use twinhall_core::sim::SimConfig;

const W: u32 = 960;
const H: u32 = 540;

/// A reference backend with `token` on a port of its own; lives as long as the runtime.
fn backend(token: &str, dir: &Path) -> (tokio::runtime::Runtime, String) {
    support::backend(SimConfig { units: 30, ..SimConfig::default() }, token, Duration::from_millis(500), dir)
}

fn render(xvfb: &Path, out: &Path, url: &str, token: &str) -> (image::RgbImage, String) {
    let o = Command::new(xvfb)
        .args(["-a", "-s", "-screen 0 1280x1024x24"])
        .arg(env!("CARGO_BIN_EXE_twinhall"))
        .args(["--screenshot", out.to_str().expect("utf8"), "--frames", "12", "--size", &format!("{W}x{H}")])
        .args(["--feed", url])
        .env("TWINHALL_FEED_TOKEN", token)
        .env("RUST_LOG", "info")
        // The journal (orders, alerts) goes beside the picture, not into the user's own.
        .env("XDG_DATA_HOME", out.parent().expect("a folder"))
        .output()
        .expect("xvfb-run runs");
    let log = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "twinhall failed: {}\n{log}", o.status);
    (image::open(out).expect("a PNG").to_rgb8(), log)
}

/// Banner-red pixels in the band at the top of the 3D view.
fn banner_red(img: &image::RgbImage) -> usize {
    img.enumerate_pixels()
        .filter(|(x, y, _)| *x > 380 && *y < 90)
        .filter(|(_, _, p)| p.0[0] > 140 && p.0[1] < 60 && p.0[2] < 60)
        .count()
}

#[test]
fn live_data_from_a_backend_and_a_wrong_token_shown_as_unauthorized_without_leaking_it() {
    let xvfb = support::xvfb_run();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("feed-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let secret = "wall-token-5c1d9e";
    let (_rt, url) = backend(secret, &dir);

    let (live, log) = render(&xvfb, &dir.join("live.png"), &url, secret);
    // The app's journal went beside the picture: a test leaves the user's own alone.
    assert!(dir.join("twinhall").join("journal.sqlite").is_file(), "no journal in {}", dir.display());
    assert!(log.contains("following"), "{log}");
    assert!(!log.contains(secret), "the token is in the log:\n{log}");
    let live_red = banner_red(&live);

    let wrong = "not-the-token-77aa";
    let (refused, log) = render(&xvfb, &dir.join("refused.png"), &url, wrong);
    assert!(log.contains("401"), "the log says the token was refused:\n{log}");
    assert!(!log.contains(wrong) && !log.contains(secret), "a token is in the log:\n{log}");
    let refused_red = banner_red(&refused);
    eprintln!("banner-red pixels: {live_red} live, {refused_red} unauthorized");
    assert!(refused_red > 3000, "no unauthorized banner on the wall ({refused_red} red pixels)");
    assert!(live_red < 300, "a red banner while live ({live_red} red pixels)");
}
