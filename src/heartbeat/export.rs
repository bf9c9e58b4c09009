//! The index briefing (指数简报) export. From the panel: the wall's picture is taken, and the
//! HTML (twinhall_core::brief) is written with the store's figures of that moment to
//! `briefs/brief-<time>.html`. From the command line, `twinhall brief --feed URL --out FILE`
//! reads the backend's snapshot and index history with the feed client, has a second twinhall
//! render the scene when a display is there, and writes the same file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use twinhall_core::brief::{BriefInput, brief_html};
use twinhall_core::config::Lang;
use twinhall_core::metrics::Metrics;
use twinhall_core::protocol::{GovernanceIndex, now_ms};
use twinhall_core::store::FeedStore;

use crate::context::{City, Settings};
use crate::feed::FeedData;
use crate::metrics::{IndexTrend, TREND_DAYS};

/// Longest wait for the backend's snapshot.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(15);

/// Ask for a briefing; the path defaults to `briefs/brief-<ms>.html`.
#[derive(Message, Clone, Debug, Default)]
pub struct ExportRequest {
    pub path: Option<PathBuf>,
}

/// The last export's outcome, for the panel and the control API.
#[derive(Resource, Default, Debug)]
pub struct ExportStatus {
    pub last: Option<String>,
    /// The file and whether it was written, once it is.
    pub done: Option<(PathBuf, Result<(), String>)>,
}

pub(super) fn plugin(app: &mut App) {
    app.add_message::<ExportRequest>().init_resource::<ExportStatus>().add_systems(Update, start_export);
}

/// Writes the briefing of this store to `path`.
pub fn write_brief(
    path: &Path,
    store: &FeedStore,
    settings: &Settings,
    city_name: &str,
    trend: &[GovernanceIndex],
    png: Option<&[u8]>,
) -> Result<(), String> {
    let now = now_ms();
    let limits = settings.config.heartbeat.limits().unwrap_or_default();
    let metrics = Metrics::compute(store, now, &limits);
    let html = brief_html(store, &metrics, &BriefInput { city: city_name, lang: settings.lang(), now, trend, png });
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, html).map_err(|e| format!("{}: {e}", path.display()))
}

fn start_export(mut commands: Commands, mut requests: MessageReader<ExportRequest>, mut status: ResMut<ExportStatus>) {
    let Some(req) = requests.read().last().cloned() else { return };
    let path = req.path.unwrap_or_else(|| PathBuf::from(format!("briefs/brief-{}.html", now_ms())));
    status.last = Some(format!("… {}", path.display()));
    commands.spawn(Screenshot::primary_window()).observe(
        move |captured: On<ScreenshotCaptured>,
              data: Res<FeedData>,
              trend: Res<IndexTrend>,
              settings: Res<Settings>,
              city: Res<City>,
              mut status: ResMut<ExportStatus>| {
            let png = crate::context::png_bytes(&captured.image)
                .map_err(|e| warn!("briefing: the wall's picture is left out: {e}"))
                .ok();
            let name = city.display_name(settings.lang(), &settings.config.city.name);
            let lang = settings.lang();
            let result = write_brief(&path, &data, &settings, &name, &trend.samples, png.as_deref());
            match &result {
                Ok(()) => {
                    info!("briefing written to {}", path.display());
                    status.last = Some(format!("{} {}", lang.tr("已导出", "written to"), path.display()));
                }
                Err(e) => {
                    error!("briefing not written: {e}");
                    status.last = Some(format!("{} {e}", lang.tr("导出失败：", "failed:")));
                }
            }
            status.done = Some((path.clone(), result));
        },
    );
}

/// `twinhall brief --feed URL --out FILE.html`: exit code 0 when written, 2 otherwise. With
/// `picture`, a second twinhall renders the scene for it when there is a display.
pub fn brief_cli(settings: &Settings, out: &Path, picture: bool) -> Result<(), String> {
    let url = &settings.config.feed.url;
    if url.is_empty() {
        return Err("brief: name the backend with --feed URL (or feed.url in the config)".into());
    }
    let config = twinhall_client::ClientConfig::new(url.clone(), settings.config.feed.token.clone())
        .with_limits(&settings.config.feed);
    let client = twinhall_client::FeedClient::spawn(config)?;
    let shown = crate::settings::redact_url(url);
    let deadline = std::time::Instant::now() + SNAPSHOT_WAIT;
    let snapshot = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match client.events().recv_timeout(left) {
            Ok(twinhall_client::ClientEvent::Snapshot(s)) => break s,
            Ok(_) => {}
            Err(_) => return Err(format!("brief: no snapshot from {shown} within {} s", SNAPSHOT_WAIT.as_secs())),
        }
    };
    let mut store = FeedStore::default();
    store.apply_snapshot(*snapshot);
    let trend =
        match client.fetch_index_history(now_ms() - TREND_DAYS * 86_400_000).recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(h)) => h.samples,
            Ok(Err(e)) => {
                eprintln!("brief: index history not loaded, the trend shows the current report only: {e}");
                Vec::new()
            }
            Err(_) => {
                eprintln!("brief: no index history from {shown} within 30 s");
                Vec::new()
            }
        };
    let mut trend = trend;
    if let Some(i) = &store.index
        && trend.last().is_none_or(|l| l.updated_at < i.updated_at)
    {
        trend.push(i.clone());
    }
    let png = if picture { scene_png(settings, out) } else { None };
    let name = crate::context::source_name(&settings.city_source, settings.lang(), &settings.config.city.name);
    write_brief(out, &store, settings, &name, &trend, png.as_deref())?;
    let lang = settings.lang();
    println!("{} {}", lang.tr("指数简报已写入", "briefing written to"), out.display());
    Ok(())
}

/// A picture of the scene by a second twinhall rendering the same feed, when there is a display.
fn scene_png(settings: &Settings, out: &Path) -> Option<Vec<u8>> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!("brief: no display, so no picture of the scene (run under xvfb-run to include one)");
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let png = out.with_extension("scene.png");
    let lang = match settings.lang() {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    let mut cmd = std::process::Command::new(exe);
    if let crate::settings::ConfigOrigin::File(config) = &settings.config_origin {
        cmd.arg("--config").arg(config);
    }
    cmd.args([
        "--feed",
        &settings.config.feed.url,
        "--lang",
        lang,
        "--size",
        "1600x900",
        "--frames",
        "30",
        "--screenshot",
    ])
    .arg(&png)
    .args(["--city", &settings.config.city.source]);
    match cmd.status() {
        Ok(s) if s.success() => {
            let bytes = std::fs::read(&png).ok();
            let _ = std::fs::remove_file(&png);
            bytes
        }
        Ok(s) => {
            eprintln!("brief: the scene's picture was not taken ({s}); the briefing has none");
            None
        }
        Err(e) => {
            eprintln!("brief: cannot run twinhall for the scene's picture: {e}");
            None
        }
    }
}
