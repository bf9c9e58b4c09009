//! Builds the full windowed app: Bevy's default plugins configured from the settings, egui, and
//! every twinhall feature.

use bevy::asset::io::AssetSourceBuilder;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::window::{MonitorSelection, WindowMode, WindowResolution};
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, egui};
use twinhall_core::config::Lang;

use crate::context::{AppSystems, City, ConsoleRect, PanelSystems, Settings};
use crate::feed::FeedData;
use crate::paths::project_root;
use crate::settings::{ConfigOrigin, redact_url};

/// The first window: the operator's (the one window, or the console beside a wall), or on a
/// follower of a wall of several machines its tile.
fn primary_window(settings: &Settings) -> WindowPlugin {
    let window = &settings.config.window;
    if settings.config.wall.follows() {
        let (window, cursor) = crate::wall::window_of(&settings.config.wall);
        return WindowPlugin { primary_window: Some(window), primary_cursor_options: Some(cursor), ..default() };
    }
    WindowPlugin {
        primary_window: Some(Window {
            title: "twinhall · 市域社会治理数字孪生".into(),
            resolution: WindowResolution::new(window.width, window.height).with_scale_factor_override(1.0),
            mode: if window.fullscreen {
                WindowMode::BorderlessFullscreen(MonitorSelection::Primary)
            } else {
                WindowMode::Windowed
            },
            ..default()
        }),
        ..default()
    }
}

/// The windowed app for these settings and this city.
pub fn build(settings: Settings, city: City) -> App {
    let root = project_root();
    let mut app = App::new();
    // An error a system returns is logged once per cause; the wall never goes down for one.
    app.set_error_handler(crate::errors::log_once);
    // Bevy reads only assets/; the shaders, briefing scenes and config folders are sources too.
    for source in ["shaders", "scenes", "config"] {
        let dir = root.join(source).to_string_lossy().into_owned();
        app.register_asset_source(source, AssetSourceBuilder::platform_default(&dir, None));
    }
    app.add_plugins(
        DefaultPlugins
            .set(AssetPlugin { file_path: root.join("assets").to_string_lossy().into_owned(), ..default() })
            .set(primary_window(&settings))
            .set(LogPlugin {
                // RUST_LOG, when set, replaces this filter.
                filter: "info,wgpu=error,naga=warn,bevy_render=warn,bevy_winit=warn,calloop=warn".into(),
                ..default()
            })
            .set(RenderPlugin {
                // A screenshot must show the finished scene, not pipelines still compiling.
                synchronous_pipeline_compilation: settings.screenshot.is_some(),
                ..default()
            }),
    );
    app.add_plugins(EguiPlugin::default());
    // The operator's camera carries the primary egui context on purpose (with a wall, the
    // console's, not whichever camera came first): see camera::orbit.
    app.world_mut().resource_mut::<bevy_egui::EguiGlobalSettings>().auto_create_primary_context = false;
    // The wall and the console render at full rate whichever of them has the focus (the wall
    // has it only when someone clicked it; Bevy would throttle the unfocused app); so do the
    // machines of a wall of several, which nobody clicks.
    let wall = &settings.config.wall;
    if wall.enabled || wall.follows() || !wall.lead.is_empty() {
        app.insert_resource(bevy::winit::WinitSettings {
            focused_mode: bevy::winit::UpdateMode::Continuous,
            unfocused_mode: bevy::winit::UpdateMode::Continuous,
        });
    }
    // A texture egui creates (a camera still, a video tile) becomes a new image asset: flush its
    // asset event in the same frame, or the render world draws it a frame late, and never when
    // a refresh replaces it every frame (seen under Xvfb at one frame in two seconds).
    app.configure_sets(
        PostUpdate,
        bevy_egui::EguiPostUpdateSet::PostProcessOutput.before(bevy::asset::AssetEventSystems),
    );
    let config_name = match &settings.config_origin {
        ConfigOrigin::File(p) => p.display().to_string(),
        ConfigOrigin::BuiltIn => "built-in defaults".into(),
    };
    let feed = if settings.config.feed.url.is_empty() {
        "embedded simulator".to_owned()
    } else {
        redact_url(&settings.config.feed.url)
    };
    info!(
        "twinhall {} starting: config={config_name} city={} ({} buildings) feed={feed} lang={:?} style={:?}",
        env!("CARGO_PKG_VERSION"),
        settings.config.city.source,
        city.model.buildings.len(),
        settings.config.ui.lang,
        settings.config.style.mode,
    );
    app.insert_resource(settings).insert_resource(city).add_plugins(crate::plugin);
    app.init_resource::<FocusNotice>()
        .add_systems(Update, check_focus.in_set(AppSystems::Analyse))
        .add_systems(EguiPrimaryContextPass, show_focus_notice.after(PanelSystems));
    app
}

/// How long the console shows that `--focus` named no incident, unless closed sooner.
const NOTICE_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// The console's notice that `--focus` named no incident of the feed: its text and since when.
#[derive(Resource, Default)]
struct FocusNotice(Option<(String, std::time::Instant)>);

/// `--focus ID` (`hub.focus`) naming an incident the feed does not have is said as soon as the
/// feed's first snapshot is in, not after the screenshot's wait for a focus: a `--screenshot` run
/// ends with exit code 2 (there is nothing to picture), a wall logs it and shows it on the console.
fn check_focus(
    settings: Res<Settings>,
    data: Res<FeedData>,
    mut done: Local<bool>,
    mut notice: ResMut<FocusNotice>,
    mut exit: MessageWriter<AppExit>,
) {
    let wanted = settings.config.hub.focus.as_str();
    if *done || wanted.is_empty() || wanted == "auto" || !data.synced || settings.config.wall.follows() {
        return;
    }
    *done = true;
    if data.incidents.get(wanted).is_some() {
        return;
    }
    let (message, shown) = unknown_focus(wanted, &data, settings.lang());
    if settings.screenshot.is_some() {
        eprintln!("twinhall: error: {message}; no screenshot taken");
        error!("{message}; no screenshot taken");
        exit.write(AppExit::from_code(2));
    } else {
        error!("{message}");
        notice.0 = Some((shown, std::time::Instant::now()));
    }
}

/// What to say of `--focus ID` when the feed has no such incident: in English for the log and
/// stderr, and in the wall's language for the console.
fn unknown_focus(wanted: &str, data: &FeedData, lang: Lang) -> (String, String) {
    let ids = move || data.incidents.iter().map(|(_, i)| i.id.as_str());
    let n = data.incidents.len();
    let range = match (ids().min(), ids().max()) {
        (Some(a), Some(b)) if a != b => format!("{n} incidents, {a} to {b}"),
        (Some(a), _) => format!("one incident, {a}"),
        _ => "no incidents".to_owned(),
    };
    let like = ids().find(|id| id.eq_ignore_ascii_case(wanted));
    let mean = like.map(|id| format!("; did you mean `{id}`?")).unwrap_or_default();
    let message = format!(
        "--focus {wanted}: no incident `{wanted}` in the feed ({range}){mean}; `--focus auto` takes the most \
         severe open one"
    );
    let shown = match lang {
        Lang::Zh => format!(
            "--focus {wanted}：数据源中没有该事件（现有 {n} 起事件）{}",
            like.map(|id| format!("，是否为 {id}？")).unwrap_or_default()
        ),
        Lang::En => format!(
            "--focus {wanted}: no such incident in the feed ({n} incidents){}",
            like.map(|id| format!("; did you mean {id}?")).unwrap_or_default()
        ),
    };
    (message, shown)
}

/// The notice on the console, near the top of its map, until closed or [`NOTICE_FOR`] passed.
fn show_focus_notice(
    mut contexts: EguiContexts,
    mut notice: ResMut<FocusNotice>,
    settings: Res<Settings>,
    console: Res<ConsoleRect>,
) -> Result {
    let Some((text, since)) = notice.0.clone() else { return Ok(()) };
    if since.elapsed() > NOTICE_FOR {
        notice.0 = None;
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?.clone();
    let area = if console.0.is_finite() { console.0 } else { ctx.content_rect() };
    let mut close = false;
    egui::Area::new("focus_notice".into())
        .pivot(egui::Align2::CENTER_TOP)
        .fixed_pos(egui::pos2(area.center().x, area.top() + 64.0))
        .show(&ctx, |ui| {
            egui::Frame::new()
                .fill(egui::Color32::from_rgba_unmultiplied(170, 30, 30, 235))
                .corner_radius(6.0)
                .inner_margin(egui::Margin::symmetric(16, 10))
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        let words = egui::RichText::new(format!("⚠ {text}")).size(18.0).strong();
                        ui.label(words.color(egui::Color32::WHITE));
                        close = ui.button(settings.lang().tr("关闭", "Close")).clicked();
                    });
                });
        });
    if close {
        notice.0 = None;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simulated city's app, `--focus` set to `focus`, `--screenshot` or not, with the check.
    fn focus_app(focus: &str, screenshot: bool) -> App {
        let mut app = crate::test_support::city_app();
        let mut settings = app.world_mut().resource_mut::<Settings>();
        settings.config.hub.focus = focus.into();
        settings.screenshot = screenshot.then(|| ("never.png".into(), 1));
        app.init_resource::<FocusNotice>().add_systems(Update, check_focus);
        app
    }

    #[test]
    fn an_unknown_focus_ends_a_screenshot_run_at_once_with_code_2() {
        let mut app = focus_app("I-999999", true);
        app.update();
        assert_eq!(app.should_exit(), Some(AppExit::from_code(2)), "said on the first synced frame");
        assert!(app.world().resource::<FocusNotice>().0.is_none());
    }

    #[test]
    fn an_unknown_focus_on_a_wall_shows_a_notice_and_a_known_one_nothing() {
        let mut app = focus_app("I-999999", false);
        app.update();
        assert_eq!(app.should_exit(), None, "the wall runs on");
        let notice = app.world().resource::<FocusNotice>().0.clone().map(|(text, _)| text).unwrap_or_default();
        assert!(notice.contains("I-999999") && notice.contains("数据源中没有该事件"), "{notice}");

        let id = {
            let data = app.world().resource::<FeedData>();
            data.incidents.iter().map(|(_, i)| i.id.clone()).min().expect("incidents")
        };
        let mut known = focus_app(&id, true);
        known.update();
        assert_eq!(known.should_exit(), None);
        let mut auto = focus_app("auto", true);
        auto.update();
        assert_eq!(auto.should_exit(), None);
    }

    #[test]
    fn the_message_names_the_id_what_the_feed_has_and_a_near_miss() {
        let app = crate::test_support::city_app();
        let data = app.world().resource::<FeedData>();
        let first = data.incidents.iter().map(|(_, i)| i.id.clone()).min().expect("incidents");
        let (message, shown) = unknown_focus("I-999999", data, Lang::En);
        assert!(message.contains("`I-999999`") && message.contains(&first), "{message}");
        assert!(message.contains("--focus auto"), "{message}");
        assert!(shown.contains("no such incident"), "{shown}");
        let (message, _) = unknown_focus(&first.to_lowercase(), data, Lang::En);
        assert!(message.contains(&format!("did you mean `{first}`?")), "{message}");
    }
}
