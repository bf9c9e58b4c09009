//! Framing a subject inside part of the view: the orbit state that shows a set of ground points
//! inside a rectangle of the screen (the free region that the cards leave, `twinhall_core::layout`),
//! rather than merely around the screen's centre. Pure camera geometry, tested without a window.

use bevy::prelude::*;

use super::camera::OrbitCamera;

/// Where points land on screen for an orbit state: normalised device coordinates (x right, y
/// up, -1..1), or `None` for a point behind the camera.
pub fn project(orbit: &OrbitCamera, fov_y: f32, aspect: f32, p: Vec3) -> Option<Vec2> {
    let view = orbit.transform().to_matrix().inverse();
    let proj = Mat4::perspective_infinite_reverse_rh(fov_y, aspect.max(1e-3), 0.1);
    let c = proj * view * p.extend(1.0);
    (c.w > 1e-4).then(|| Vec2::new(c.x / c.w, c.y / c.w))
}

/// The ground point (at the focus's height) under a point of the screen, in NDC.
fn ground_at(orbit: &OrbitCamera, fov_y: f32, aspect: f32, ndc: Vec2) -> Option<Vec3> {
    let t = orbit.transform();
    let tan = (fov_y * 0.5).tan();
    let dir = (t.forward().as_vec3() + t.right().as_vec3() * ndc.x * tan * aspect + t.up().as_vec3() * ndc.y * tan)
        .normalize();
    if dir.y >= -1e-4 {
        return None;
    }
    let k = (orbit.focus.y - t.translation.y) / dir.y;
    Some(t.translation + dir * k)
}

/// Where the camera frames a subject: the part of the view that no card, header or HUD takes
/// (the one layout's free region, `twinhall_core::layout`), in normalised device coordinates of
/// the camera's whole picture (min x, min y, max x, max y), and the picture's aspect. Kept by the
/// theatre's layout whenever the view changes; `None` before the first layout.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default)]
pub struct FreeRegion(pub Option<FreeNdc>);

/// Where labels must not go: the cards and the HUD drawn over the map, as rectangles of the
/// whole view in logical pixels (the labels' own coordinates: `[x0, y0, x1, y1]`). Kept by the
/// theatre's layout; labels are laid out again when it changes.
#[derive(Resource, Debug, Clone, PartialEq, Default)]
pub struct Reserved(pub Vec<[f32; 4]>);

/// A free region in NDC, with the picture's aspect (width over height).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FreeNdc {
    pub ndc: [f32; 4],
    pub aspect: f32,
    /// The same region in the map's egui points (on one window, the console's own points): where
    /// a card that must not cover a briefing's cards goes (the hub's attention card).
    pub area: [f32; 4],
}

/// How well the points sit in `free` (NDC min x, min y, max x, max y).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Framed {
    pub orbit: OrbitCamera,
    /// Whether every point lies inside `free` (false: the subject cannot fit, for example at
    /// the closest or farthest distance allowed).
    pub fits: bool,
}

/// The orbit state, keeping `orbit`'s pitch and heading (and its distance as the first guess),
/// that shows every point inside `free` (NDC), with a little room around them: the focus starts
/// at the points' middle and slides so that their extent's middle sits at the region's middle,
/// and the distance grows so that their extent fills about 85% of it (it never comes closer than
/// `orbit`'s: a lone point keeps the shot's distance, with its surroundings in view).
pub fn frame_in(orbit: OrbitCamera, points: &[Vec3], fov_y: f32, aspect: f32, free: [f32; 4]) -> Framed {
    let mut o = orbit;
    if points.is_empty() {
        return Framed { orbit: o, fits: true };
    }
    // Start from the points' middle: from there, each step moves little and the points stay in
    // front of the camera.
    let centre = points.iter().copied().sum::<Vec3>() / points.len() as f32;
    o.focus = Vec3::new(centre.x, o.focus.y, centre.z);
    let [fx0, fy0, fx1, fy1] = free;
    let free_c = Vec2::new((fx0 + fx1) / 2.0, (fy0 + fy1) / 2.0);
    let (fw, fh) = ((fx1 - fx0).max(1e-3), (fy1 - fy0).max(1e-3));
    for _ in 0..12 {
        let Some(ndc) = points.iter().map(|p| project(&o, fov_y, aspect, *p)).collect::<Option<Vec<_>>>() else {
            // A point behind the camera: step back and look again.
            o.distance_m *= 2.0;
            o.clamp();
            continue;
        };
        let (lo, hi) =
            ndc.iter().fold((Vec2::splat(f32::MAX), Vec2::splat(f32::MIN)), |(lo, hi), p| (lo.min(*p), hi.max(*p)));
        let (bw, bh) = ((hi.x - lo.x).max(1e-3), (hi.y - lo.y).max(1e-3));
        let k = (bw / (fw * 0.85)).max(bh / (fh * 0.85));
        // Never closer than the shot asked: a lone incident is shown with its surroundings.
        let before = o.distance_m;
        o.distance_m = (o.distance_m * k.clamp(0.25, 4.0)).max(orbit.distance_m);
        o.clamp();
        let zoomed = (o.distance_m / before - 1.0).abs();
        // Slide: the ground under the points' middle goes to the ground under the region's.
        let mid = (lo + hi) / 2.0;
        if let (Some(a), Some(b)) = (ground_at(&o, fov_y, aspect, mid), ground_at(&o, fov_y, aspect, free_c)) {
            let d = a - b;
            o.focus += Vec3::new(d.x, 0.0, d.z);
        }
        if zoomed < 0.02 && (mid - free_c).length() < 0.01 {
            break;
        }
    }
    let fits = points
        .iter()
        .all(|p| project(&o, fov_y, aspect, *p).is_some_and(|q| q.x >= fx0 && q.x <= fx1 && q.y >= fy0 && q.y <= fy1));
    Framed { orbit: o, fits }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FreeRegion>().init_resource::<Reserved>();
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOV: f32 = std::f32::consts::FRAC_PI_4;

    #[test]
    fn points_end_inside_an_off_centre_region_at_any_heading() {
        // The free region of a briefing: left of the charts, between header and narration.
        let free = [-0.95, -0.35, 0.4, 0.7];
        let points = [Vec3::new(0.0, 0.0, 0.0), Vec3::new(1800.0, 0.0, -600.0), Vec3::new(900.0, 0.0, -2400.0)];
        for heading in [0.0f32, 1.0, 2.5, 4.0, 5.9] {
            for pitch in [0.5f32, 0.9, 1.3] {
                let start = OrbitCamera { focus: Vec3::new(5000.0, 0.0, 5000.0), distance_m: 900.0, pitch, heading };
                let f = frame_in(start, &points, FOV, 16.0 / 9.0, free);
                assert!(f.fits, "heading {heading} pitch {pitch}: {:?}", f.orbit);
                for p in points {
                    let q = project(&f.orbit, FOV, 16.0 / 9.0, p).unwrap();
                    assert!(q.x >= free[0] && q.x <= free[2] && q.y >= free[1] && q.y <= free[3], "{q}");
                }
                assert_eq!((f.orbit.pitch, f.orbit.heading), (start.pitch, start.heading));
            }
        }
    }

    #[test]
    fn a_lone_point_keeps_the_shots_distance_and_moves_into_the_region() {
        let free = [-0.9, -0.3, 0.3, 0.6];
        let start = OrbitCamera { focus: Vec3::ZERO, distance_m: 600.0, pitch: 0.9, heading: 0.4 };
        let p = Vec3::new(250.0, 0.0, -80.0);
        let f = frame_in(start, &[p], FOV, 16.0 / 9.0, free);
        assert!(f.fits && (f.orbit.distance_m - 600.0).abs() < 1e-3, "{:?}", f.orbit);
        let q = project(&f.orbit, FOV, 16.0 / 9.0, p).unwrap();
        assert!((q.x - (-0.3)).abs() < 0.02 && (q.y - 0.15).abs() < 0.02, "{q}");
    }

    #[test]
    fn a_subject_wider_than_the_farthest_view_says_it_does_not_fit() {
        let points = [Vec3::new(-2.0e6, 0.0, 0.0), Vec3::new(2.0e6, 0.0, 0.0)];
        let start = OrbitCamera { focus: Vec3::ZERO, distance_m: 900.0, pitch: 0.9, heading: 0.0 };
        assert!(!frame_in(start, &points, FOV, 1.5, [-0.5, -0.5, 0.5, 0.5]).fits);
    }
}
