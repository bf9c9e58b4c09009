//! Builds the full windowed app: Bevy's default plugins configured from the settings, egui, and
//! every twinhall feature.

use bevy::asset::io::AssetSourceBuilder;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::window::{MonitorSelection, WindowMode, WindowResolution};
use bevy_egui::EguiPlugin;

use crate::context::{City, Settings};
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
    app
}
