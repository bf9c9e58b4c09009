//! Frame time of the wall at video-wall resolution, for the record: the real binary renders the
//! demo city under Xvfb (with Mesa's lavapipe on a machine without a GPU, or the GPU's driver
//! where there is one) at 1920x1080, the baseline, and at 7680x2160, and prints the median frame
//! time of each and their ratio. The app measures its own frames (`--screenshot` logs
//! `frame time: median … ms` from the fourth frame on).
//!
//! `cargo bench --bench wall` (about 5 minutes under lavapipe on two cores); `-- FRAMES` sets the
//! frames per size (default 12).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn xvfb_run() -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("xvfb-run")).find(|p| p.is_file())
}

/// Median and slowest frame, milliseconds, and the whole run's seconds.
fn render(xvfb: &Path, dir: &Path, (w, h): (u32, u32), frames: u32) -> Result<(f64, f64, f64), String> {
    let shot = dir.join(format!("wall-{w}x{h}.png"));
    let t0 = Instant::now();
    let out = Command::new(xvfb)
        .args(["-a", "-s", "-screen 0 7680x2160x24"])
        .arg(env!("CARGO_BIN_EXE_twinhall"))
        .args(["--size", &format!("{w}x{h}"), "--frames", &frames.to_string(), "--screenshot"])
        .arg(&shot)
        .env("RUST_LOG", "info")
        .env("XDG_DATA_HOME", dir)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("xvfb-run: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        return Err(format!("{w}x{h}: twinhall failed ({}):\n{}", out.status, tail(&log)));
    }
    let line = log
        .lines()
        .find(|l| l.contains("frame time: median"))
        .ok_or_else(|| format!("{w}x{h}: no frame time in the log:\n{}", tail(&log)))?;
    let number = |after: &str| -> Option<f64> {
        let rest = &line[line.find(after)? + after.len()..];
        rest.split_whitespace().next()?.parse().ok()
    };
    match (number("median "), number("slowest ")) {
        (Some(m), Some(s)) => Ok((m, s, secs)),
        _ => Err(format!("{w}x{h}: cannot read `{line}`")),
    }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn main() {
    let frames: u32 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(12).max(6);
    let Some(xvfb) = xvfb_run() else {
        eprintln!("wall bench: xvfb-run is not installed (bash .ci/setup installs it); nothing measured");
        std::process::exit(1);
    };
    let dir = std::env::temp_dir().join(format!("twinhall-wall-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("wall bench: {}: {e}", dir.display());
        std::process::exit(1);
    }
    println!("wall frame time, demo city, {frames} frames a size (median and slowest from the fourth frame)");
    let mut baseline = None;
    for size in [(1920, 1080), (7680, 2160)] {
        match render(&xvfb, &dir, size, frames) {
            Ok((median, slowest, secs)) => {
                let ratio = baseline.map_or(1.0, |b: f64| median / b);
                baseline.get_or_insert(median);
                println!(
                    "  {:>4}x{:<4}  median {median:>8.1} ms  slowest {slowest:>8.1} ms  ({:.1} fps)  x{ratio:.2} of 1920x1080  run {secs:.0} s",
                    size.0,
                    size.1,
                    1000.0 / median
                );
            }
            Err(e) => {
                eprintln!("wall bench: {e}");
                std::process::exit(1);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
