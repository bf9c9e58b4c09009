//! Orbit camera: the mouse drags to pan (left) and rotate (right), the wheel zooms towards the
//! focus; W/A/S/D or the arrows pan, Q/E rotate, R/F tilt, +/- zoom, Home resets.
//! Input that egui wants (the panels) never moves the camera.

use bevy::camera::{PerspectiveProjection, Projection, RenderTarget};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy::window::WindowRef;
use bevy_egui::input::EguiWantsInput;

use crate::city::City;
use crate::{AppSystems, Settings};

/// The orbit state; the camera's `Transform` is derived from it whenever it changes.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct OrbitCamera {
    /// Point looked at, in scene coordinates.
    pub focus: Vec3,
    pub distance_m: f32,
    /// Angle below the horizon, radians.
    pub pitch: f32,
    /// Compass heading the camera looks towards, radians (0 = north, clockwise).
    pub heading: f32,
}

/// The view a reset returns to.
#[derive(Component, Clone, Copy, Debug)]
pub struct HomeView(pub OrbitCamera);

const MIN_DISTANCE_M: f32 = 20.0;
const MAX_DISTANCE_M: f32 = 200_000.0;
const MIN_PITCH: f32 = 0.087; // 5 degrees
const MAX_PITCH: f32 = 1.553; // 89 degrees

impl OrbitCamera {
    /// Horizontal unit vectors (forward, right) for the current heading, in scene axes.
    pub fn ground_axes(&self) -> (Vec3, Vec3) {
        let forward = Vec3::new(self.heading.sin(), 0.0, -self.heading.cos());
        let right = Vec3::new(self.heading.cos(), 0.0, self.heading.sin());
        (forward, right)
    }

    /// The camera transform this state describes.
    pub fn transform(&self) -> Transform {
        let (forward, _) = self.ground_axes();
        let dir = (forward * self.pitch.cos() - Vec3::Y * self.pitch.sin()).normalize();
        Transform::from_translation(self.focus - dir * self.distance_m).looking_at(self.focus, Vec3::Y)
    }

    pub fn clamp(&mut self) {
        self.distance_m = self.distance_m.clamp(MIN_DISTANCE_M, MAX_DISTANCE_M);
        self.pitch = self.pitch.clamp(MIN_PITCH, MAX_PITCH);
        self.heading = self.heading.rem_euclid(std::f32::consts::TAU);
    }
}

/// Manual camera input and deriving the transform.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrbitSystems;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_camera).add_systems(
        Update,
        (orbit_with_input, apply_orbit, mirror_views).chain().in_set(OrbitSystems).in_set(AppSystems::UpdateCamera),
    );
}

/// A distance at which a city of this size (metres east, north) fills the view.
pub fn fit_distance_m(size: [f64; 2]) -> f32 {
    (size[0].max(size[1]) as f32 * 1.25).clamp(400.0, MAX_DISTANCE_M)
}

/// The camera whose window the operator points and clicks in: the one window's, or with a wall
/// the console's. Its egui context is the primary one, so every panel is drawn there.
#[derive(Component, Debug, Clone, Copy)]
pub struct OperatorCamera;

/// A camera that shows what the orbit camera shows (the console's map beside a wall).
#[derive(Component, Debug, Clone, Copy)]
pub struct MirrorView;

fn spawn_camera(
    mut commands: Commands,
    settings: Res<Settings>,
    city: Res<City>,
    primary: Query<Entity, With<bevy::window::PrimaryWindow>>,
) -> Result {
    let bounds = city.model.bounds();
    let c = bounds.center();
    let cam = &settings.config.camera;
    let mut orbit = OrbitCamera {
        focus: Vec3::new(c[0] as f32, 0.0, -c[1] as f32),
        distance_m: if cam.distance_m > 0.0 { cam.distance_m } else { fit_distance_m(bounds.size()) },
        pitch: cam.pitch_deg.to_radians(),
        heading: cam.heading_deg.to_radians(),
    };
    orbit.clamp();
    let view = (
        Camera3d::default(),
        // A map shows its palette and tiles as configured: no filmic tonemapping.
        Tonemapping::None,
        Projection::Perspective(PerspectiveProjection { near: 1.0, far: 400_000.0, ..default() }),
        orbit.transform(),
    );
    if settings.config.wall.follows() {
        // A follower of a wall of several machines: its one window is its tile, drawn as the
        // wall's (its own egui pass, no input, no panels); the leader moves its camera.
        let window = primary.single()?;
        let wall = crate::wall::adopt(window, &settings.config.wall)?;
        commands.spawn((
            view,
            orbit,
            HomeView(orbit),
            crate::wall::WallCamera,
            bevy_egui::EguiSchedule::new(crate::ui::MapPass),
            crate::wall::no_input(),
        ));
        commands.insert_resource(wall);
    } else if settings.config.wall.enabled {
        let wall = crate::wall::open(&mut commands, &settings.config.wall)?;
        // The wall's camera comes first and draws its overlays on its own egui context; the
        // console's is the primary one, on purpose, so the panels go there.
        commands.spawn((
            view.clone(),
            orbit,
            HomeView(orbit),
            crate::wall::WallCamera,
            RenderTarget::Window(WindowRef::Entity(wall.window)),
            bevy_egui::EguiSchedule::new(crate::ui::MapPass),
            crate::wall::no_input(),
        ));
        commands.spawn((view, MirrorView, OperatorCamera, bevy_egui::PrimaryEguiContext));
        commands.insert_resource(wall);
    } else {
        commands.spawn((view, orbit, HomeView(orbit), OperatorCamera, bevy_egui::PrimaryEguiContext));
    }
    Ok(())
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
    theatre: Option<Res<crate::theatre::Theatre>>,
) {
    // While a briefing plays, the left and right arrows are the presenter's (previous, next).
    let presenting = theatre.is_some_and(|t| t.is_playing());
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
