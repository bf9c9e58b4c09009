//! Orbit camera: the mouse drags to pan (left) and rotate (right), the wheel zooms towards the
//! focus; W/A/S/D or the arrows pan, Q/E rotate, R/F tilt, +/- zoom, Home resets.
//! Input that egui wants (the panels) never moves the camera.

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use crate::context::{AppSystems, ArrowKeys, HomeView, MirrorView, OrbitCamera};

/// Manual camera input and deriving the transform.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrbitSystems;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (orbit_with_input, apply_orbit, mirror_views).chain().in_set(OrbitSystems).in_set(AppSystems::Camera),
    );
}
/// The orbit camera's transform, when it moved.
type MovedOrbit<'w, 's> =
    Query<'w, 's, &'static Transform, (With<OrbitCamera>, Changed<Transform>, Without<MirrorView>)>;

/// Mirrors follow the orbit camera.
fn mirror_views(source: MovedOrbit, mut mirrors: Query<&mut Transform, (With<MirrorView>, Without<OrbitCamera>)>) {
    let Ok(t) = source.single() else { return };
    for mut m in &mut mirrors {
        *m = *t;
    }
}

#[allow(clippy::too_many_arguments)]
fn orbit_with_input(
    mut cams: Query<(&mut OrbitCamera, &HomeView)>,
    mouse: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    egui_input: Option<Res<EguiWantsInput>>,
    time: Res<Time>,
    arrows: Option<Res<ArrowKeys>>,
) {
    // While a briefing plays, the left and right arrows are the presenter's (previous, next).
    let presenting = arrows.is_some_and(|a| a.presenter);
    let (right_keys, left_keys) = if presenting {
        ([KeyCode::KeyD, KeyCode::KeyD], [KeyCode::KeyA, KeyCode::KeyA])
    } else {
        ([KeyCode::KeyD, KeyCode::ArrowRight], [KeyCode::KeyA, KeyCode::ArrowLeft])
    };
    let (pointer_free, keys_free) = egui_input
        .map(|e| (!e.wants_pointer_input() && !e.is_pointer_over_area(), !e.wants_keyboard_input()))
        .unwrap_or((true, true));
    let dt = time.delta_secs().min(0.1);
    for (mut orbit, home) in &mut cams {
        let mut o = *orbit;
        let (forward, right) = o.ground_axes();
        if pointer_free {
            let d = motion.delta;
            if mouse.pressed(MouseButton::Left) && d != Vec2::ZERO {
                let scale = o.distance_m * 0.0015;
                o.focus += (-right * d.x + forward * d.y) * scale;
            }
            if mouse.pressed(MouseButton::Right) && d != Vec2::ZERO {
                o.heading += d.x * 0.005;
                o.pitch += d.y * 0.004;
            }
            if scroll.delta.y != 0.0 {
                o.distance_m *= (-scroll.delta.y * 0.12).exp();
            }
        }
        if keys_free {
            let pan = o.distance_m * 0.8 * dt;
            let axis = |a: [KeyCode; 2], b: [KeyCode; 2]| -> f32 {
                f32::from(u8::from(keys.any_pressed(a))) - f32::from(u8::from(keys.any_pressed(b)))
            };
            o.focus += forward * pan * axis([KeyCode::KeyW, KeyCode::ArrowUp], [KeyCode::KeyS, KeyCode::ArrowDown]);
            o.focus += right * pan * axis(right_keys, left_keys);
            o.heading += 1.2 * dt * axis([KeyCode::KeyE, KeyCode::KeyE], [KeyCode::KeyQ, KeyCode::KeyQ]);
            o.pitch += 0.8 * dt * axis([KeyCode::KeyR, KeyCode::KeyR], [KeyCode::KeyF, KeyCode::KeyF]);
            o.distance_m *=
                (-1.5 * dt * axis([KeyCode::Equal, KeyCode::NumpadAdd], [KeyCode::Minus, KeyCode::NumpadSubtract]))
                    .exp();
            if keys.just_pressed(KeyCode::Home) {
                o = home.0;
            }
        }
        o.clamp();
        // Only write when something moved, so `Changed<OrbitCamera>` means a real change.
        if o != *orbit {
            *orbit = o;
        }
    }
}

fn apply_orbit(mut cams: Query<(&OrbitCamera, &mut Transform), Changed<OrbitCamera>>) {
    for (orbit, mut t) in &mut cams {
        *t = orbit.transform();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_looks_at_focus_from_the_south_when_heading_north() {
        let o = OrbitCamera { focus: Vec3::ZERO, distance_m: 100.0, pitch: 45f32.to_radians(), heading: 0.0 };
        let t = o.transform();
        assert!((t.translation.length() - 100.0).abs() < 1e-3);
        // North is -z, so a camera looking north stands at +z (south) and above.
        assert!(t.translation.z > 0.0 && t.translation.y > 0.0);
        let fwd = t.forward();
        assert!(fwd.z < 0.0 && fwd.y < 0.0);
    }
}
