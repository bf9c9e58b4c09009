//! Aerial stills: what a drone's camera sees looking straight down, drawn from the city model
//! (green and water areas, roads by width, buildings with roofs shaded by height and a shadow),
//! with incidents and units marked, the drone's id, altitude and the time burnt in. The reference
//! backend serves it at `/v1/units/{id}/snapshot.jpg`; the app draws the same picture for its
//! embedded feed.

use crate::frame::{LocalFrame, LonLat};
use crate::model::{Bounds, CityModel, Ring};
use crate::protocol::{Incident, IncidentStatus, Millis, Unit, UnitStatus};
use crate::snapshot_jpeg::text;
use image::{Rgb, RgbImage};

pub const W: u32 = 640;
pub const H: u32 = 360;
/// Horizontal field of view of the drone's camera, degrees (a typical survey camera).
pub const HFOV_DEG: f64 = 84.0;

struct Shape {
    bounds: Bounds,
    ring: Ring,
    /// Building height (0 for ground areas).
    height_m: f32,
}

struct Line {
    bounds: Bounds,
    points: Vec<[f64; 2]>,
    width_m: f32,
}

/// The city as seen from above, kept once per city and shared by every still.
pub struct AerialScene {
    green: Vec<Shape>,
    water: Vec<Shape>,
    roads: Vec<Line>,
    buildings: Vec<Shape>,
}

fn bounds_of(points: &[[f64; 2]]) -> Bounds {
    let mut b = Bounds::EMPTY;
    for p in points {
        b.extend(*p);
    }
    b
}

impl AerialScene {
    pub fn new(city: &CityModel) -> Self {
        let shape = |ring: &Ring, height_m: f32| Shape { bounds: bounds_of(ring), ring: ring.clone(), height_m };
        Self {
            green: city.green.iter().map(|a| shape(&a.polygon.exterior, 0.0)).collect(),
            water: city.water.iter().map(|a| shape(&a.polygon.exterior, 0.0)).collect(),
            roads: city
                .roads
                .iter()
                .filter(|r| !r.tunnel && r.points.len() >= 2)
                .map(|r| Line { bounds: bounds_of(&r.points), points: r.points.clone(), width_m: r.class.width_m() })
                .collect(),
            buildings: city.buildings.iter().map(|b| shape(&b.footprint.exterior, b.height_m)).collect(),
        }
    }
}

/// Something marked on the still.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    /// An incident, by severity 1-4.
    Incident { pos: [f64; 2], severity: u8 },
    /// A unit on the ground.
    Unit { pos: [f64; 2] },
}

/// Where the drone is and what it looks at.
#[derive(Clone, Debug, PartialEq)]
pub struct AerialShot {
    /// Ground point under the drone, local metres.
    pub centre: [f64; 2],
    pub altitude_m: f32,
    /// Compass heading: the top of the picture.
    pub heading_deg: f32,
    /// Digits burnt in at the top left (the drone's serial).
    pub label: String,
    pub marks: Vec<Mark>,
}

impl AerialShot {
    /// Metres on the ground per pixel.
    pub fn metres_per_pixel(&self) -> f64 {
        let alt = f64::from(self.altitude_m).max(10.0);
        2.0 * alt * (HFOV_DEG.to_radians() / 2.0).tan() / f64::from(W)
    }

    /// Radius on the ground that the picture covers (its half diagonal), metres.
    pub fn ground_radius_m(&self) -> f64 {
        let mpp = self.metres_per_pixel();
        0.5 * mpp * f64::from(W).hypot(f64::from(H))
    }
}

impl AerialShot {
    /// What `drone`'s camera sees now: the ground under it, with the incidents still open and
    /// the ground units within the picture marked.
    pub fn of<'a>(
        drone: &Unit,
        frame: &LocalFrame,
        incidents: impl IntoIterator<Item = &'a Incident>,
        units: impl IntoIterator<Item = &'a Unit>,
    ) -> Self {
        let centre = frame.to_local(LonLat::new(drone.lon, drone.lat));
        let mut shot = Self {
            centre,
            altitude_m: drone.altitude_m.unwrap_or(0.0),
            heading_deg: drone.heading_deg,
            label: drone.id.chars().filter(|c| c.is_ascii_digit()).collect(),
            marks: Vec::new(),
        };
        let r = shot.ground_radius_m();
        let near = |lon: f64, lat: f64| {
            let p = frame.to_local(LonLat::new(lon, lat));
            (crate::frame::distance(p, centre) <= r).then_some(p)
        };
        for i in incidents.into_iter().filter(|i| i.status < IncidentStatus::Archived) {
            if let Some(pos) = near(i.lon, i.lat) {
                shot.marks.push(Mark::Incident { pos, severity: i.severity });
            }
        }
        for u in units.into_iter().filter(|u| !u.kind.flies() && u.status != UnitStatus::Offline) {
            if let Some(pos) = near(u.lon, u.lat) {
                shot.marks.push(Mark::Unit { pos });
            }
        }
        shot
    }
}

/// Maps local metres to pixels for a shot.
struct View {
    c: [f64; 2],
    mpp: f64,
    sin: f64,
    cos: f64,
}

impl View {
    fn new(shot: &AerialShot) -> Self {
        let h = f64::from(shot.heading_deg).to_radians();
        Self { c: shot.centre, mpp: shot.metres_per_pixel(), sin: h.sin(), cos: h.cos() }
    }

    fn px(&self, p: [f64; 2]) -> [f64; 2] {
        let (dx, dy) = (p[0] - self.c[0], p[1] - self.c[1]);
        // Rotate so that the heading points up: right = (cos, -sin), forward = (sin, cos).
        let right = dx * self.cos - dy * self.sin;
        let fwd = dx * self.sin + dy * self.cos;
        [f64::from(W) / 2.0 + right / self.mpp, f64::from(H) / 2.0 - fwd / self.mpp]
    }
}

/// Fills a polygon given in pixels (even-odd rule, pixel centres).
fn fill(img: &mut RgbImage, poly: &[[f64; 2]], colour: Rgb<u8>) {
    if poly.len() < 3 {
        return;
    }
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in poly {
        y0 = y0.min(p[1]);
        y1 = y1.max(p[1]);
    }
    let ys = (y0.floor().max(0.0)) as u32;
    let ye = (y1.ceil().min(f64::from(H))) as u32;
    let mut xs = Vec::new();
    for y in ys..ye {
        let yc = f64::from(y) + 0.5;
        xs.clear();
        for i in 0..poly.len() {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            if (a[1] <= yc) != (b[1] <= yc) {
                xs.push(a[0] + (yc - a[1]) / (b[1] - a[1]) * (b[0] - a[0]));
            }
        }
        xs.sort_by(f64::total_cmp);
        for pair in xs.chunks_exact(2) {
            let xa = (pair[0] - 0.5).ceil().max(0.0) as u32;
            let xb = ((pair[1] - 0.5).floor() + 1.0).clamp(0.0, f64::from(W)) as u32;
            for x in xa..xb {
                img.put_pixel(x, y, colour);
            }
        }
    }
}

fn line(img: &mut RgbImage, a: [f64; 2], b: [f64; 2], width_px: f64, colour: Rgb<u8>) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy);
    if len < 1e-9 {
        return;
    }
    let h = width_px.max(1.0) / 2.0;
    let (nx, ny) = (-dy / len * h, dx / len * h);
    fill(
        img,
        &[[a[0] + nx, a[1] + ny], [b[0] + nx, b[1] + ny], [b[0] - nx, b[1] - ny], [a[0] - nx, a[1] - ny]],
        colour,
    );
    disc(img, b, h, colour);
}

fn disc(img: &mut RgbImage, c: [f64; 2], r: f64, colour: Rgb<u8>) {
    let poly: Vec<[f64; 2]> = (0..16)
        .map(|k| {
            let t = f64::from(k) / 16.0 * std::f64::consts::TAU;
            [c[0] + r * t.cos(), c[1] + r * t.sin()]
        })
        .collect();
    fill(img, &poly, colour);
}

fn overlaps(b: &Bounds, centre: [f64; 2], r: f64) -> bool {
    b.max[0] >= centre[0] - r && b.min[0] <= centre[0] + r && b.max[1] >= centre[1] - r && b.min[1] <= centre[1] + r
}

/// The still as pixels.
pub fn aerial_image(scene: &AerialScene, shot: &AerialShot, now: Millis) -> RgbImage {
    let mut img = RgbImage::from_pixel(W, H, Rgb([118, 116, 100]));
    let v = View::new(shot);
    let r = shot.ground_radius_m() + 60.0;
    let mpp = v.mpp;
    let project = |ring: &[[f64; 2]]| -> Vec<[f64; 2]> { ring.iter().map(|p| v.px(*p)).collect() };
    for s in scene.green.iter().filter(|s| overlaps(&s.bounds, shot.centre, r)) {
        fill(&mut img, &project(&s.ring), Rgb([92, 128, 70]));
    }
    for s in scene.water.iter().filter(|s| overlaps(&s.bounds, shot.centre, r)) {
        fill(&mut img, &project(&s.ring), Rgb([52, 92, 128]));
    }
    for l in scene.roads.iter().filter(|l| overlaps(&l.bounds, shot.centre, r)) {
        let pts = project(&l.points);
        let w = f64::from(l.width_m) / mpp;
        for seg in pts.windows(2) {
            line(&mut img, seg[0], seg[1], w, Rgb([64, 64, 66]));
        }
        // Lane markings on the wider roads.
        if l.width_m >= 8.0 {
            for seg in pts.windows(2) {
                line(&mut img, seg[0], seg[1], (0.25 / mpp).max(1.0), Rgb([205, 200, 170]));
            }
        }
    }
    // Shadows first (the sun in the south-west, in local axes), then the roofs.
    let near: Vec<&Shape> = scene.buildings.iter().filter(|s| overlaps(&s.bounds, shot.centre, r)).collect();
    for s in &near {
        let off = f64::from(s.height_m) * 0.35;
        let shadow: Vec<[f64; 2]> = s.ring.iter().map(|p| v.px([p[0] + off, p[1] + off * 0.6])).collect();
        fill(&mut img, &shadow, Rgb([70, 68, 60]));
    }
    for s in &near {
        let t = (s.height_m / 60.0).clamp(0.0, 1.0);
        let g = (150.0 + 80.0 * t) as u8;
        fill(&mut img, &project(&s.ring), Rgb([g, g.saturating_sub(6), g.saturating_sub(16)]));
    }
    for m in &shot.marks {
        match *m {
            Mark::Incident { pos, severity } => {
                let p = v.px(pos);
                let colour = match severity {
                    4 => Rgb([235, 40, 40]),
                    3 => Rgb([245, 130, 30]),
                    2 => Rgb([240, 210, 40]),
                    _ => Rgb([80, 160, 240]),
                };
                disc(&mut img, p, 11.0, Rgb([255, 255, 255]));
                disc(&mut img, p, 8.0, colour);
            }
            Mark::Unit { pos } => {
                let p = v.px(pos);
                disc(&mut img, p, 6.0, Rgb([255, 255, 255]));
                disc(&mut img, p, 4.0, Rgb([40, 110, 230]));
            }
        }
    }
    // Centre crosshair, as the drone's video overlay draws it.
    let (cx, cy) = (f64::from(W) / 2.0, f64::from(H) / 2.0);
    for (a, b) in [([cx - 22.0, cy], [cx - 8.0, cy]), ([cx + 8.0, cy], [cx + 22.0, cy])] {
        line(&mut img, a, b, 2.0, Rgb([120, 255, 120]));
    }
    for (a, b) in [([cx, cy - 22.0], [cx, cy - 8.0]), ([cx, cy + 8.0], [cx, cy + 22.0])] {
        line(&mut img, a, b, 2.0, Rgb([120, 255, 120]));
    }
    let secs = now.div_euclid(1000);
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    let clock = format!("{:02}:{:02}:{:02}", (h + 8) % 24, m, s);
    text(&mut img, 12, 12, &shot.label, 3, Rgb([255, 255, 255]));
    // Altitude in metres, top right.
    let alt = format!("{:03}", shot.altitude_m.round().max(0.0) as u32);
    text(&mut img, W - 12 - 4 * 4 * alt.len() as u32, 12, &alt, 4, Rgb([120, 255, 120]));
    text(&mut img, 12, H - 30, &clock, 4, Rgb([255, 230, 80]));
    img
}

/// The still as JPEG bytes.
pub fn aerial_jpeg(scene: &AerialScene, shot: &AerialShot, now: Millis) -> Result<Vec<u8>, String> {
    let img = aerial_image(scene, shot, now);
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Building, BuildingKind, Polygon};

    fn city_with_one_building() -> CityModel {
        let mut city = CityModel::empty("t", LonLat::new(24.94, 60.17));
        city.buildings.push(Building {
            id: 1,
            footprint: Polygon {
                exterior: vec![[20.0, -10.0], [40.0, -10.0], [40.0, 10.0], [20.0, 10.0], [20.0, -10.0]],
                holes: Vec::new(),
            },
            height_m: 30.0,
            min_height_m: 0.0,
            kind: BuildingKind::Residential,
            name: None,
        });
        city
    }

    fn shot(heading_deg: f32) -> AerialShot {
        AerialShot {
            centre: [0.0, 0.0],
            altitude_m: 120.0,
            heading_deg,
            label: "7".into(),
            marks: vec![Mark::Incident { pos: [0.0, -30.0], severity: 4 }],
        }
    }

    fn is_roof(p: &Rgb<u8>) -> bool {
        p.0[0] > 170 && p.0[1] > 160 && p.0[2] > 150
    }

    #[test]
    fn the_building_east_of_the_drone_is_right_of_centre_heading_north_and_above_heading_east() {
        let scene = AerialScene::new(&city_with_one_building());
        let mpp = shot(0.0).metres_per_pixel();
        // Heading north: 30 m east is to the right of the centre.
        let north = aerial_image(&scene, &shot(0.0), 0);
        let x = (f64::from(W) / 2.0 + 30.0 / mpp) as u32;
        assert!(is_roof(north.get_pixel(x, H / 2)), "{:?}", north.get_pixel(x, H / 2));
        assert!(!is_roof(north.get_pixel(W / 2 - (30.0 / mpp) as u32, H / 2)));
        // Heading east: the same building is straight ahead, above the centre.
        let east = aerial_image(&scene, &shot(90.0), 0);
        let y = (f64::from(H) / 2.0 - 30.0 / mpp) as u32;
        assert!(is_roof(east.get_pixel(W / 2, y)), "{:?}", east.get_pixel(W / 2, y));
        // The severity-4 incident 30 m south is red below the centre when heading north.
        let p = north.get_pixel(W / 2, (f64::from(H) / 2.0 + 30.0 / mpp) as u32);
        assert!(p.0[0] > 200 && p.0[1] < 80, "{p:?}");
    }

    #[test]
    fn higher_flights_see_more_ground() {
        let low = AerialShot { altitude_m: 60.0, ..shot(0.0) };
        let high = AerialShot { altitude_m: 240.0, ..shot(0.0) };
        assert!((high.ground_radius_m() / low.ground_radius_m() - 4.0).abs() < 1e-9);
        let jpeg = aerial_jpeg(&AerialScene::new(&city_with_one_building()), &high, 0).expect("jpeg");
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    }
}
