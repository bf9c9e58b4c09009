//! `--screenshot PATH --frames N`: render N frames, save the window as PNG, exit 0. With
//! `--focus`, the N frames count from when the hub has focused and analysed the incident (at
//! most [`FOCUS_WAIT`] later), so the picture shows it. The frames always count from when the
//! feed's first snapshot is in, or the feed said why none will come (at most [`FEED_WAIT`]
//! later), and with a base map the picture waits for the tiles in view (at most [`BASEMAP_WAIT`]):
//! a picture never depends on how fast the backend or the tile server answered.

use std::path::{Path, PathBuf};

use crate::context::{AppSystems, Settings};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

/// Frames to wait for the capture after asking for it before giving up.
const CAPTURE_GRACE_FRAMES: u32 = 600;
/// Longest wait for the feed's first snapshot before the frames count anyway.
const FEED_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// Longest wait, from the start, for the base map's tiles in view before the picture is taken anyway.
const BASEMAP_WAIT: std::time::Duration = std::time::Duration::from_secs(45);
/// Longest wait for `--focus` before the frames count anyway.
const FOCUS_WAIT: std::time::Duration = std::time::Duration::from_secs(90);

#[derive(Resource, Debug)]
struct CapturePlan {
    path: PathBuf,
    frames: u32,
    rendered: u32,
    requested: bool,
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, plan_capture)
        .add_systems(Update, request_capture.run_if(resource_exists::<CapturePlan>).in_set(AppSystems::Capture));
}

fn plan_capture(mut commands: Commands, settings: Res<Settings>) {
    if let Some((path, frames)) = &settings.screenshot {
        commands.insert_resource(CapturePlan { path: path.clone(), frames: *frames, rendered: 0, requested: false });
    }
}

#[allow(clippy::too_many_arguments)]
fn request_capture(
    mut commands: Commands,
    mut plan: ResMut<CapturePlan>,
    settings: Res<Settings>,
    analysis: Option<Res<crate::hub::FocusAnalysis>>,
    mut started: Local<Option<std::time::Instant>>,
    time: Res<Time<Real>>,
    mut frame_ms: Local<Vec<f32>>,
    mut exit: MessageWriter<AppExit>,
    wall: Option<Res<crate::context::Wall>>,
    windows: Query<&Window>,
    (follow, data, status): (
        Option<Res<crate::wall::sync::Follow>>,
        Res<crate::feed::FeedData>,
        Option<Res<crate::feed::FeedStatus>>,
    ),
    (basemap, mut tiles_settled_for): (Option<Res<crate::basemap::Basemap>>, Local<u32>),
) {
    let started = *started.get_or_insert_with(std::time::Instant::now);
    // The feed's first snapshot is in, or the feed said why none will come.
    let feed_settled = data.synced
        || status.is_none_or(|s| {
            s.no_source.is_some()
                || matches!(s.state, crate::feed::LinkState::Unauthorized | crate::feed::LinkState::Error { .. })
        });
    if !feed_settled && plan.rendered == 0 {
        if started.elapsed() < FEED_WAIT {
            return;
        }
        warn!("--screenshot: the feed sent nothing after {} s; capturing anyway", FEED_WAIT.as_secs());
    }
    let focus_wanted = !settings.config.hub.focus.is_empty();
    let focused = analysis.is_some_and(|a| a.incident_id.is_some() && a.computed_at.is_some());
    if focus_wanted && !focused && plan.rendered == 0 {
        if started.elapsed() < FOCUS_WAIT {
            return;
        }
        warn!("--focus: nothing focused after {} s; capturing anyway", FOCUS_WAIT.as_secs());
    }
    // A follower's frames count from when it shows its leader's picture.
    if let Some(f) = follow
        && !f.ready(&data)
        && plan.rendered == 0
    {
        if started.elapsed() < FOCUS_WAIT {
            return;
        }
        warn!("--leader: nothing from the leader after {} s; capturing anyway", FOCUS_WAIT.as_secs());
    }
    plan.rendered += 1;
    // The first frames compile pipelines and load assets: the frame time counts from the fourth.
    if plan.rendered > 3 && !plan.requested {
        frame_ms.push(time.delta_secs() * 1000.0);
    }
    // With a base map, the picture waits for the tiles in view (a few frames after the last one
    // came, for it to reach the GPU), at most BASEMAP_WAIT.
    let tiles_in = basemap.as_ref().is_none_or(|b| b.settled());
    *tiles_settled_for = if tiles_in { *tiles_settled_for + 1 } else { 0 };
    let tiles_ready = basemap.is_none() || *tiles_settled_for >= 3 || started.elapsed() >= BASEMAP_WAIT;
    if !plan.requested && plan.rendered >= plan.frames && !tiles_ready {
        return;
    }
    if !plan.requested && plan.rendered >= plan.frames {
        plan.requested = true;
        if let Some((median, slowest)) = frame_stats(&mut frame_ms) {
            let w = &settings.config.window;
            // The wall's own size (full screen takes its monitor's), else the one window's.
            let (width, height) = wall
                .as_ref()
                .and_then(|wall| windows.get(wall.window).ok())
                .map_or((w.width, w.height), |win| (win.physical_width(), win.physical_height()));
            // `benches/wall.rs` reads this line.
            info!(
                "frame time: median {median:.1} ms, slowest {slowest:.1} ms over {} frames at {}x{}",
                frame_ms.len(),
                width,
                height
            );
        }
        // With a wall, PATH is the wall and PATH-console.png the console beside it.
        let shots: Vec<(Screenshot, PathBuf)> = match &wall {
            Some(wall) if wall.console => vec![
                (Screenshot::window(wall.window), plan.path.clone()),
                (Screenshot::primary_window(), console_path(&plan.path)),
            ],
            _ => vec![(Screenshot::primary_window(), plan.path.clone())],
        };
        let left = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(shots.len()));
        for (shot, path) in shots {
            let left = left.clone();
            commands.spawn(shot).observe(move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                match crate::context::save_png(&captured.image, &path) {
                    Ok(()) => {
                        info!("screenshot saved to {}", path.display());
                        if left.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                            exit.write(AppExit::Success);
                        }
                    }
                    Err(e) => {
                        error!("{}: cannot save screenshot: {e}", path.display());
                        exit.write(AppExit::from_code(1));
                    }
                }
            });
        }
    } else if plan.requested && plan.rendered > plan.frames + CAPTURE_GRACE_FRAMES {
        error!("no screenshot arrived {CAPTURE_GRACE_FRAMES} frames after it was requested");
        exit.write(AppExit::from_code(1));
    }
}

/// Where the console's picture goes beside a wall's: `shot.png` -> `shot-console.png`.
pub fn console_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().map_or_else(|| "screenshot".into(), |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}-console.png"))
}

/// Median and slowest of the frame times, when there are any.
fn frame_stats(ms: &mut [f32]) -> Option<(f32, f32)> {
    if ms.is_empty() {
        return None;
    }
    ms.sort_by(f32::total_cmp);
    Some((ms[ms.len() / 2], ms[ms.len() - 1]))
}
