//! Camera tours: a step's shots resolved to orbit states and flown one after the other, each
//! with its easing from Bevy's `EaseFunction`; the heading turns the short way round. A tour
//! starts from wherever the camera is, so skipping mid-move never leaves it in a broken place;
//! any manual camera input ends it.

use bevy::math::curve::{Curve, EaseFunction, EasingCurve};
use bevy::prelude::*;
use twinhall_core::theatre::{CameraMove, Easing, Shot, Target};

use super::highlight::Highlights;
use crate::context::local_of;
use crate::context::{City, Framed, FreeNdc, OrbitCamera, fit_distance_m, frame_in};

/// A camera move in progress.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Tour {
    pub from: OrbitCamera,
    /// Each keyframe's orbit state, seconds to reach it, and easing.
    pub keys: Vec<(OrbitCamera, f32, EaseFunction)>,
    pub elapsed_s: f32,
}

impl Tour {
    pub fn total_s(&self) -> f32 {
        self.keys.iter().map(|k| k.1).sum()
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        advance_tours.in_set(crate::context::AppSystems::Camera).before(crate::camera::OrbitSystems),
    );
}

/// The orbit state `elapsed_s` into a tour, and whether the tour is over.
pub fn sample_tour(tour: &Tour, elapsed_s: f32) -> (OrbitCamera, bool) {
    let mut from = tour.from;
    let mut t0 = 0.0;
    for (to, secs, ease) in &tour.keys {
        if elapsed_s < t0 + secs {
            let s = EasingCurve::new(0.0, 1.0, *ease).sample_clamped((elapsed_s - t0) / secs);
            return (lerp_orbit(&from, to, s), false);
        }
        t0 += secs;
        from = *to;
    }
    (from, true)
}

/// Straight interpolation of two orbit states at `s` (already eased); heading the short way.
pub fn lerp_orbit(a: &OrbitCamera, b: &OrbitCamera, s: f32) -> OrbitCamera {
    let tau = std::f32::consts::TAU;
    let mut dh = (b.heading - a.heading).rem_euclid(tau);
    if dh > std::f32::consts::PI {
        dh -= tau;
    }
    OrbitCamera {
        focus: a.focus.lerp(b.focus, s),
        // Distance in log space: a zoom from 10 km to 300 m feels even all the way.
        distance_m: (a.distance_m.max(1.0).ln() * (1.0 - s) + b.distance_m.max(1.0).ln() * s).exp(),
        pitch: a.pitch + (b.pitch - a.pitch) * s,
        heading: (a.heading + dh * s).rem_euclid(tau),
    }
}

/// Bevy's easing function of a briefing's easing name.
pub fn ease_function(e: Easing) -> EaseFunction {
    use EaseFunction as F;
    match e {
        Easing::Linear => F::Linear,
        Easing::QuadraticIn => F::QuadraticIn,
        Easing::QuadraticOut => F::QuadraticOut,
        Easing::QuadraticInOut => F::QuadraticInOut,
        Easing::CubicIn => F::CubicIn,
        Easing::CubicOut => F::CubicOut,
        Easing::CubicInOut => F::CubicInOut,
        Easing::QuarticIn => F::QuarticIn,
        Easing::QuarticOut => F::QuarticOut,
        Easing::QuarticInOut => F::QuarticInOut,
        Easing::QuinticIn => F::QuinticIn,
        Easing::QuinticOut => F::QuinticOut,
        Easing::QuinticInOut => F::QuinticInOut,
        Easing::SmoothStepIn => F::SmoothStepIn,
        Easing::SmoothStepOut => F::SmoothStepOut,
        Easing::SmoothStep => F::SmoothStep,
        Easing::SmootherStepIn => F::SmootherStepIn,
        Easing::SmootherStepOut => F::SmootherStepOut,
        Easing::SmootherStep => F::SmootherStep,
        Easing::SineIn => F::SineIn,
        Easing::SineOut => F::SineOut,
        Easing::SineInOut => F::SineInOut,
        Easing::CircularIn => F::CircularIn,
        Easing::CircularOut => F::CircularOut,
        Easing::CircularInOut => F::CircularInOut,
        Easing::ExponentialIn => F::ExponentialIn,
        Easing::ExponentialOut => F::ExponentialOut,
        Easing::ExponentialInOut => F::ExponentialInOut,
        Easing::ElasticIn => F::ElasticIn,
        Easing::ElasticOut => F::ElasticOut,
        Easing::ElasticInOut => F::ElasticInOut,
        Easing::BackIn => F::BackIn,
        Easing::BackOut => F::BackOut,
        Easing::BackInOut => F::BackInOut,
        Easing::BounceIn => F::BounceIn,
        Easing::BounceOut => F::BounceOut,
        Easing::BounceInOut => F::BounceInOut,
    }
}

/// Where a tour frames a step's subject: the free region of the view and the camera's vertical
/// field of view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Framing {
    pub free: FreeNdc,
    pub fov_y: f32,
}

/// The highlights' points on the ground, scene coordinates.
fn subject_points(highlights: &Highlights) -> Vec<Vec3> {
    let ground = |p: [f64; 2]| Vec3::new(p[0] as f32, 0.0, -p[1] as f32);
    highlights
        .spots
        .iter()
        .map(|s| ground(s.local))
        .chain(highlights.areas.iter().flat_map(|a| a.ring.iter().map(|p| ground(*p))))
        .collect()
}

/// The orbit state a shot asks for in this city, with these highlights. With a `framing`, a shot
/// at the highlights puts them inside the view's free region (not merely at the centre, where
/// cards may cover them); `fits` is false when they cannot all be shown there.
pub fn resolve_shot(shot: &Shot, city: &City, highlights: &Highlights, framing: Option<Framing>) -> Framed {
    let bounds = city.model.bounds();
    let (centre, fit) = match &shot.at {
        Target::City => (bounds.center(), fit_distance_m(bounds.size())),
        Target::Highlight => match highlights.extent() {
            Some((min, max)) => {
                let size = [max[0] - min[0], max[1] - min[1]];
                ([(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0], (fit_distance_m(size) * 1.1).max(600.0))
            }
            None => (bounds.center(), fit_distance_m(bounds.size())),
        },
        Target::LonLat(lon, lat) => (local_of(city, *lon, *lat), 900.0),
        Target::Fraction(x, y) => {
            let s = bounds.size();
            ([bounds.min[0] + s[0] * x, bounds.min[1] + s[1] * y], 900.0)
        }
    };
    let mut o = OrbitCamera {
        focus: Vec3::new(centre[0] as f32, shot.altitude_m, -centre[1] as f32),
        distance_m: if shot.distance_m > 0.0 { shot.distance_m } else { fit },
        pitch: shot.pitch_deg.to_radians(),
        heading: shot.heading_deg.to_radians().rem_euclid(std::f32::consts::TAU),
    };
    o.clamp();
    match (framing, &shot.at) {
        (Some(f), Target::Highlight) if !highlights.is_empty() => {
            frame_in(o, &subject_points(highlights), f.fov_y, f.free.aspect, f.free.ndc)
        }
        _ => Framed { orbit: o, fits: true },
    }
}

/// The tour of a camera move, from where the camera is now.
/// The tour of a camera move, from where the camera is now; and whether every shot at the
/// highlights could show them all in the free region.
pub fn plan_tour(
    from: OrbitCamera,
    mv: &CameraMove,
    city: &City,
    highlights: &Highlights,
    framing: Option<Framing>,
) -> (Tour, bool) {
    let mut fits = true;
    let keys = mv
        .shots()
        .iter()
        .map(|s| {
            let f = resolve_shot(s, city, highlights, framing);
            fits &= f.fits;
            (f.orbit, s.seconds, ease_function(s.easing))
        })
        .collect();
    (Tour { from, keys, elapsed_s: 0.0 }, fits)
}

fn advance_tours(
    mut commands: Commands,
    time: Res<Time<Real>>,
    mouse: Res<ButtonInput<MouseButton>>,
    scroll: Res<bevy::input::mouse::AccumulatedMouseScroll>,
    mut cams: Query<(Entity, &mut OrbitCamera, &mut Tour)>,
) {
    // The presenter grabbing the camera ends the move where it is.
    let manual = mouse.get_just_pressed().next().is_some() || scroll.delta.y != 0.0;
    for (entity, mut orbit, mut tour) in &mut cams {
        if manual {
            commands.entity(entity).remove::<Tour>();
            continue;
        }
        tour.elapsed_s += time.delta_secs();
        let (o, done) = sample_tour(&tour, tour.elapsed_s);
        orbit.set_if_neq(o);
        if done {
            commands.entity(entity).remove::<Tour>();
        }
    }
}
