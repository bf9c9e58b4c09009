//! The wall never crashes on an error a system returns: Bevy 0.19 panics on one unless an error
//! handler is set. [`log_once`] logs each cause (the system and the error's first line) the first
//! time it happens, then counts repeats quietly, so a system failing every frame neither stops
//! the app nor floods the log.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use bevy::ecs::error::{BevyError, ErrorContext};
use bevy::log::{error, warn};

/// Distinct causes remembered; beyond this, new causes are still logged, one line each time.
const MAX_CAUSES: usize = 1024;

static SEEN: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);

/// The cause an error is counted under: where it happened and the first line of what, with
/// numbers masked (an id or a frame count does not make a new cause).
fn cause(error: &BevyError, ctx: &ErrorContext) -> String {
    let what = error.to_string();
    let mut first = String::new();
    let mut in_number = false;
    for c in what.lines().next().unwrap_or_default().chars().take(160) {
        if c.is_ascii_digit() {
            if !in_number {
                first.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            first.push(c);
        }
    }
    format!("{} `{}`: {first}", ctx.kind(), ctx.name())
}

/// Distinct causes containing `needle` so far.
pub fn causes(needle: &str) -> usize {
    let seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    seen.as_ref().map_or(0, |m| m.keys().filter(|k| k.contains(needle)).count())
}

/// The app's error handler: log the first of each cause, count the rest, never panic.
pub fn log_once(error: BevyError, ctx: ErrorContext) {
    let key = cause(&error, &ctx);
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let seen = seen.get_or_insert_with(HashMap::new);
    if let Some(n) = seen.get_mut(&key) {
        *n += 1;
    } else if seen.len() < MAX_CAUSES {
        error!("{key} (logged once; the wall carries on)");
        seen.insert(key, 1);
    } else {
        warn!("{key}");
    }
}

/// How often a cause containing `needle` has happened so far (for the status line and tests).
pub fn count(needle: &str) -> u64 {
    let seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    seen.as_ref().map_or(0, |m| m.iter().filter(|(k, _)| k.contains(needle)).map(|(_, n)| *n).sum())
}

#[cfg(test)]
mod tests {
    use bevy::prelude::*;

    fn always_fails(mut frames: Local<u32>) -> Result {
        *frames += 1;
        Err(format!("the egui context is gone (frame {})", *frames).into())
    }

    fn keeps_working(mut n: ResMut<Frames>) {
        n.0 += 1;
    }

    #[derive(Resource, Default)]
    struct Frames(u32);

    #[test]
    fn a_failing_system_is_logged_once_and_the_app_keeps_running() {
        let mut app = App::new();
        app.set_error_handler(super::log_once)
            .add_plugins(MinimalPlugins)
            .init_resource::<Frames>()
            .add_systems(Update, (always_fails, keeps_working));
        for _ in 0..5 {
            app.update();
        }
        assert_eq!(app.world().resource::<Frames>().0, 5, "the other systems ran every frame");
        // Five failures, one cause (the frame number in the message is masked): logged once.
        assert_eq!(super::count("always_fails"), 5);
        assert_eq!(super::causes("always_fails"), 1);
    }

    /// A panel drawn through bevy_egui whose context is missing (a window closed, a camera
    /// despawned): `ctx_mut()?` returns bevy_egui's own error every frame.
    fn egui_panel(mut contexts: bevy_egui::EguiContexts, mut drawn: ResMut<Frames>) -> Result {
        let ctx = contexts.ctx_mut()?;
        bevy_egui::egui::Window::new("状态").show(ctx, |ui| ui.label("ok"));
        drawn.0 += 1;
        Ok(())
    }

    #[derive(Resource, Default)]
    struct Ticks(u32);

    fn tick(mut n: ResMut<Ticks>) {
        n.0 += 1;
    }

    #[test]
    fn a_failing_egui_system_does_not_take_the_app_down() {
        let mut app = App::new();
        app.set_error_handler(super::log_once)
            .add_plugins(MinimalPlugins)
            .init_resource::<bevy_egui::EguiUserTextures>()
            .init_resource::<Frames>()
            .init_resource::<Ticks>()
            .add_systems(Update, (egui_panel, tick));
        for _ in 0..4 {
            app.update();
        }
        assert_eq!(app.world().resource::<Frames>().0, 0, "no context, so the panel never drew");
        assert_eq!(app.world().resource::<Ticks>().0, 4, "the rest of the wall ran every frame");
        assert_eq!(super::count("egui_panel"), 4);
        assert_eq!(super::causes("egui_panel"), 1, "logged once, not every frame");
    }
}
