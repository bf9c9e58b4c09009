//! A procedural city for scale work: `n` buildings on a street grid, with footprints shaped
//! like real ones (rectangles, L- and U-shapes, courtyard blocks with a hole), deterministic
//! for a seed. Used by the benchmarks and by `--city generated:N`.

use crate::frame::LonLat;
use crate::model::{Building, BuildingKind, CityModel, Polygon, Road, RoadClass};

/// A small, fast, deterministic generator (SplitMix64); good enough for layouts.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// Block pitch (block plus street) in metres; 4 buildings a block side.
const BLOCK_M: f64 = 120.0;
const STREET_M: f64 = 20.0;
const PER_SIDE: usize = 3;

/// Generates a city of `n` buildings around `origin`.
pub fn generate_city(n: usize, seed: u64, origin: LonLat) -> CityModel {
    let mut rng = SplitMix64::new(seed);
    let mut city = CityModel::empty(format!("generated:{n}"), origin);
    let per_block = PER_SIDE * PER_SIDE;
    let blocks = n.div_ceil(per_block).max(1);
    let side = (blocks as f64).sqrt().ceil() as usize;
    let half = side as f64 * BLOCK_M * 0.5;
    let lot = (BLOCK_M - STREET_M) / PER_SIDE as f64;
    city.buildings.reserve(n);
    'outer: for by in 0..side {
        for bx in 0..side {
            let x0 = bx as f64 * BLOCK_M - half + STREET_M * 0.5;
            let y0 = by as f64 * BLOCK_M - half + STREET_M * 0.5;
            for k in 0..per_block {
                if city.buildings.len() >= n {
                    break 'outer;
                }
                let lx = x0 + (k % PER_SIDE) as f64 * lot;
                let ly = y0 + (k / PER_SIDE) as f64 * lot;
                let footprint = footprint(&mut rng, lx + 2.0, ly + 2.0, lot - 4.0);
                // Taller towards the centre, like a real city.
                let r = ((lx * lx + ly * ly).sqrt() / half.max(1.0)).min(1.0);
                let height = (rng.range(6.0, 30.0) + (1.0 - r) * rng.range(0.0, 90.0)) as f32;
                let id = city.buildings.len() as i64 + 1;
                let kind = match rng.next_u64() % 5 {
                    0 => BuildingKind::Commercial,
                    1 => BuildingKind::Civic,
                    _ => BuildingKind::Residential,
                };
                city.buildings.push(Building { id, footprint, height_m: height, min_height_m: 0.0, kind, name: None });
            }
        }
    }
    // Streets carry a vertex at every crossing, so the road graph sees the intersections.
    let line = |k: usize| k as f64 * BLOCK_M - half;
    for i in 0..=side {
        let c = line(i);
        let class = if i % 5 == 0 { RoadClass::Primary } else { RoadClass::Residential };
        let north_south = (0..=side).map(|k| [c, line(k)]).collect();
        let east_west = (0..=side).map(|k| [line(k), c]).collect();
        for (id, points) in [(2 * i, north_south), (2 * i + 1, east_west)] {
            city.roads.push(Road { id: id as i64, class, points, name: None, oneway: false, tunnel: false });
        }
    }
    city
}

fn footprint(rng: &mut SplitMix64, x: f64, y: f64, s: f64) -> Polygon {
    let w = rng.range(0.6, 1.0) * s;
    let h = rng.range(0.6, 1.0) * s;
    let mut poly = match rng.next_u64() % 4 {
        0 => Polygon { exterior: vec![[x, y], [x + w, y], [x + w, y + h], [x, y + h]], holes: vec![] },
        1 => {
            // L-shape.
            let (cw, ch) = (w * rng.range(0.4, 0.7), h * rng.range(0.4, 0.7));
            Polygon {
                exterior: vec![[x, y], [x + w, y], [x + w, y + ch], [x + cw, y + ch], [x + cw, y + h], [x, y + h]],
                holes: vec![],
            }
        }
        2 => {
            // U-shape.
            let (a, b, d) = (w * 0.3, w * 0.7, h * 0.5);
            Polygon {
                exterior: vec![
                    [x, y],
                    [x + w, y],
                    [x + w, y + h],
                    [x + b, y + h],
                    [x + b, y + d],
                    [x + a, y + d],
                    [x + a, y + h],
                    [x, y + h],
                ],
                holes: vec![],
            }
        }
        _ => {
            // Courtyard block.
            let (m, n) = (w * 0.3, h * 0.3);
            Polygon {
                exterior: vec![[x, y], [x + w, y], [x + w, y + h], [x, y + h]],
                holes: vec![vec![[x + m, y + n], [x + m, y + h - n], [x + w - m, y + h - n], [x + w - m, y + n]]],
            }
        }
    };
    poly.normalize_orientation();
    poly
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_exactly_n_valid_buildings_deterministically() {
        let a = generate_city(1000, 7, LonLat::new(114.06, 22.54));
        let b = generate_city(1000, 7, LonLat::new(114.06, 22.54));
        assert_eq!(a.buildings.len(), 1000);
        assert!(!a.roads.is_empty());
        for (x, y) in a.buildings.iter().zip(&b.buildings) {
            assert_eq!(x.footprint, y.footprint);
            assert!(x.footprint.area() > 10.0);
            assert!(crate::osm::validate_ring(x.footprint.exterior.clone()).is_ok());
        }
    }
}
