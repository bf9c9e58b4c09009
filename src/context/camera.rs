//! The camera's state that every view follows: the orbit (focus, distance, pitch, heading), the
//! view a reset returns to, and which camera is which (the operator's, a mirror of the wall's).

use bevy::prelude::*;

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
