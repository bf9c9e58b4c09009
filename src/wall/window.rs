//! The wall's window: opened (or the one window adopted) for the configured preset and tiling,
//! placed full screen on its monitor once the monitors are listed, and its UI scale and safe-area
//! margin kept to the window's size.

use bevy::prelude::*;
use bevy::window::{Monitor, MonitorSelection, PrimaryMonitor, WindowMode, WindowPosition, WindowResolution};
use bevy_egui::EguiContext;
use twinhall_core::wall::{MonitorChoice, WallConfig};

use crate::context::{Settings, TileView, ViewRect, Wall, WallCamera};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, (place_on_monitor, scale_and_margin).chain().run_if(resource_exists::<Wall>));
}

/// The wall's egui context takes no input: nobody points at the wall, and a pointer that last
/// moved over one of its cards must not count as "over egui" for the console's map (bevy_egui's
/// `EguiWantsInput` joins every context).
pub fn no_input() -> bevy_egui::EguiContextSettings {
    bevy_egui::EguiContextSettings {
        enable_cursor_icon_updates: false,
        input_system_settings: bevy_egui::EguiInputSystemSettings {
            run_write_modifiers_keys_state_system: false,
            run_write_window_pointer_moved_messages: false,
            run_write_pointer_button_messages: false,
            run_write_window_touch_messages_system: false,
            run_write_non_window_pointer_moved_messages_system: false,
            run_write_mouse_wheel_messages_system: false,
            run_write_pinch_gesture_messages_system: false,
            run_write_non_window_touch_messages_system: false,
            run_write_keyboard_input_messages_system: false,
            run_write_ime_messages_system: false,
            run_write_file_dnd_messages_system: false,
        },
        ..default()
    }
}

/// Opens the wall's window; the caller gives it a camera. Borderless full screen on the chosen
/// monitor (a monitor chosen by name is found once the system has listed them), or a plain
/// window of the configured size.
pub fn open(commands: &mut Commands, config: &WallConfig) -> Result<Wall> {
    let preset = config.resolved().map_err(|m| format!("wall.preset: {m}"))?;
    let tiling = config.tiling().map_err(|(f, m)| format!("{f}: {m}"))?;
    // Full screen is set once the monitors are listed (`place_on_monitor`).
    let mode = WindowMode::Windowed;
    let window = commands
        .spawn((
            Window {
                title: "twinhall · 大屏 wall".into(),
                resolution: WindowResolution::new(config.width, config.height).with_scale_factor_override(1.0),
                mode,
                decorations: !config.fullscreen,
                ..default()
            },
            // Nobody points at the wall: no cursor over it.
            bevy::window::CursorOptions { visible: false, ..default() },
        ))
        .id();
    info!(
        "wall: {} on monitor `{}` with preset {} (text x{}, icons x{}, margin {} px)",
        if config.fullscreen { "full screen".to_owned() } else { format!("{}x{} window", config.width, config.height) },
        if config.monitor.is_empty() { "primary" } else { &config.monitor },
        preset.id,
        preset.text_scale,
        preset.icon_scale,
        preset.safe_margin_px
    );
    Ok(Wall { window, preset, tiling, console: true })
}

/// A follower's wall: its one window (the primary, made as the wall by [`window_of`]).
pub fn adopt(window: Entity, config: &WallConfig) -> Result<Wall> {
    let preset = config.resolved().map_err(|m| format!("wall.preset: {m}"))?;
    let tiling = config.tiling().map_err(|(f, m)| format!("{f}: {m}"))?;
    info!(
        "wall: following {} as tile {},{} of {}x{} with preset {} (text x{}, icons x{}, margin {} px)",
        crate::settings::redact_url(&config.leader),
        tiling.col,
        tiling.row,
        tiling.cols,
        tiling.rows,
        preset.id,
        preset.text_scale,
        preset.icon_scale,
        preset.safe_margin_px
    );
    Ok(Wall { window, preset, tiling, console: false })
}

/// The window a follower opens: its tile of the wall, with no cursor (full screen once the
/// monitors are listed, as a wall beside a console).
pub fn window_of(config: &WallConfig) -> (Window, bevy::window::CursorOptions) {
    (
        Window {
            title: format!("twinhall · 大屏 tile {}", config.tile.trim()),
            resolution: WindowResolution::new(config.width, config.height).with_scale_factor_override(1.0),
            mode: WindowMode::Windowed,
            decorations: !config.fullscreen,
            ..default()
        },
        bevy::window::CursorOptions { visible: false, ..default() },
    )
}

/// Once the system has listed its monitors, a full-screen wall takes the one it was given
/// (primary, by index or by name): borderless full screen there, and that monitor's position
/// and size, so it fills the screen with or without a window manager. A monitor nobody has is
/// said once, with the monitors there are, and the wall stays a window.
fn place_on_monitor(
    settings: Res<Settings>,
    wall: Res<Wall>,
    monitors: Query<(Entity, &Monitor, Has<PrimaryMonitor>)>,
    mut windows: Query<&mut Window>,
    mut done: Local<bool>,
) {
    let config = &settings.config.wall;
    if *done || !config.fullscreen || monitors.is_empty() {
        return;
    }
    *done = true;
    let choice = MonitorChoice::parse(&config.monitor);
    let mut listed: Vec<(Entity, &Monitor, bool)> = monitors.iter().collect();
    // The system's order, as winit lists them: by position, left to right, top to bottom.
    listed.sort_by_key(|(_, m, _)| (m.physical_position.x, m.physical_position.y));
    let found = match &choice {
        MonitorChoice::Primary => listed.iter().find(|m| m.2).or(listed.first()),
        MonitorChoice::Index(i) => listed.get(*i),
        MonitorChoice::Name(name) => {
            listed.iter().find(|(_, m, _)| m.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        }
    };
    let Some(&(entity, monitor, _)) = found else {
        let names: Vec<String> = listed
            .iter()
            .enumerate()
            .map(|(i, (_, m, _))| format!("{i}: {}", m.name.as_deref().unwrap_or("?")))
            .collect();
        warn!(
            "wall.monitor: there is no monitor `{}` (there are {}); the wall stays a window",
            config.monitor,
            names.join(", ")
        );
        if let Ok(mut window) = windows.get_mut(wall.window) {
            window.mode = WindowMode::Windowed;
            window.decorations = true;
        }
        return;
    };
    let Ok(mut window) = windows.get_mut(wall.window) else { return };
    window.mode = WindowMode::BorderlessFullscreen(MonitorSelection::Entity(entity));
    window.position = WindowPosition::At(monitor.physical_position);
    window.resolution.set_physical_resolution(monitor.physical_width, monitor.physical_height);
    info!(
        "wall: full screen on monitor `{}` ({}x{})",
        monitor.name.as_deref().unwrap_or("?"),
        monitor.physical_width,
        monitor.physical_height
    );
}

/// The wall's egui zoom from its height and the preset, and the view rectangle its overlays
/// keep to: the window inside the safe-area margin.
///
/// On a wall of several machines both are the whole canvas's: the zoom for its height, and the
/// rectangle where the canvas lies in this tile's coordinates (mostly beyond its edges).
fn scale_and_margin(
    wall: Res<Wall>,
    windows: Query<&Window>,
    tile: Option<Res<TileView>>,
    mut cams: Query<&mut EguiContext, With<WallCamera>>,
    mut view_rect: ResMut<ViewRect>,
) {
    let Ok(window) = windows.get(wall.window) else { return };
    let scale = window.scale_factor();
    let (origin, size) = match tile.as_deref() {
        Some(t) => (t.origin * scale, t.canvas * scale),
        None => (Vec2::ZERO, Vec2::new(window.physical_width() as f32, window.physical_height() as f32)),
    };
    let zoom = wall.zoom(size.y.round() as u32);
    if let Ok(mut ctx) = cams.single_mut()
        && ctx.get_mut().zoom_factor() != zoom
    {
        ctx.get_mut().set_zoom_factor(zoom);
    }
    let margin = wall.preset.safe_margin_px as f32 / zoom;
    let min = bevy_egui::egui::pos2(-origin.x, -origin.y) / zoom;
    let rect = bevy_egui::egui::Rect::from_min_size(min, bevy_egui::egui::vec2(size.x, size.y) / zoom).shrink(margin);
    if view_rect.0 != rect {
        view_rect.0 = rect;
    }
}
