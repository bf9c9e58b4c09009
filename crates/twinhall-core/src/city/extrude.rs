//! Mesh building: extruded building footprints (earcut roofs, walls), flat areas and road
//! ribbons, batched per square tile so a city draws with a few meshes instead of one entity
//! per building.
//!
//! Output positions are in the scene axes Bevy uses: x east, y up, z south (= -north), in
//! metres from the frame origin, as f32. That is precise to a millimetre within 30 km.

use std::collections::BTreeMap;

use crate::model::{Building, BuildingKind, Polygon};

/// One batch of triangles with per-vertex normals and colours.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshData {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub colors: Vec<[f32; 4]>,
    pub indices: Vec<u32>,
}

impl MeshData {
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }

    fn push(&mut self, p: [f32; 3], n: [f32; 3], c: [f32; 4]) -> u32 {
        let i = self.positions.len() as u32;
        self.positions.push(p);
        self.normals.push(n);
        self.colors.push(c);
        i
    }

    /// Heap bytes held by the buffers.
    pub fn heap_bytes(&self) -> usize {
        self.positions.capacity() * 12
            + self.normals.capacity() * 12
            + self.colors.capacity() * 16
            + self.indices.capacity() * 4
    }
}

/// Scene position of a local `[east, north]` point at height `y`.
#[inline]
pub fn scene(p: [f64; 2], y: f32) -> [f32; 3] {
    [p[0] as f32, y, -p[1] as f32]
}

/// Building colours: walls shade from `base` at the foot to `top` at the roof line, and taller
/// buildings lean towards `tall` so the skyline reads at a glance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BuildingColors {
    pub base: [f32; 4],
    pub top: [f32; 4],
    pub tall: [f32; 4],
    pub roof: [f32; 4],
    /// Height at which a building takes the `tall` colour fully.
    pub tall_m: f32,
    /// When set, the roof-line colour by building kind (indexed by [`BuildingKind::index`])
    /// instead of by height.
    pub by_kind: Option<[[f32; 4]; BuildingKind::COUNT]>,
}

/// Direction (east, north) the baked key light comes from: the south-west, low sun.
const KEY_LIGHT: [f32; 2] = [-0.6, -0.8];

fn scale_rgb(c: [f32; 4], k: f32) -> [f32; 4] {
    [c[0] * k, c[1] * k, c[2] * k, c[3]]
}

fn lerp4(a: [f32; 4], b: [f32; 4], t: f32) -> [f32; 4] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t, a[3] + (b[3] - a[3]) * t]
}

/// Reusable triangulation state; one per thread.
#[derive(Default)]
pub struct Extruder {
    earcut: earcut::Earcut<f64>,
    flat: Vec<[f64; 2]>,
    holes: Vec<u32>,
    tris: Vec<u32>,
}

impl Extruder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Triangulates a polygon (exterior CCW, holes CW) into `tris` over `flat`; returns false
    /// when earcut finds no triangles (a degenerate polygon).
    fn triangulate(&mut self, poly: &Polygon) -> bool {
        self.flat.clear();
        self.holes.clear();
        self.flat.extend_from_slice(&poly.exterior);
        for h in &poly.holes {
            self.holes.push(self.flat.len() as u32);
            self.flat.extend_from_slice(h);
        }
        self.earcut.earcut_slice(&self.flat, &self.holes, &mut self.tris);
        !self.tris.is_empty()
    }

    /// Appends the triangles of a flat polygon at height `y`, facing up.
    fn emit_flat(&mut self, out: &mut MeshData, y: f32, color: [f32; 4]) {
        self.emit_face(out, y, color, true);
    }

    /// Appends the triangulated polygon at height `y`, facing up or (for the underside of a
    /// raised building part) down.
    fn emit_face(&mut self, out: &mut MeshData, y: f32, color: [f32; 4], up: bool) {
        let base = out.positions.len() as u32;
        let normal = if up { [0.0, 1.0, 0.0] } else { [0.0, -1.0, 0.0] };
        for p in &self.flat {
            out.push(scene(*p, y), normal, color);
        }
        // Earcut keeps the input winding in its output only loosely: orient each triangle CCW in
        // (east, north), which is front-facing from above in scene axes (and flip for below).
        for t in self.tris.chunks_exact(3) {
            let (a, b, c) = (self.flat[t[0] as usize], self.flat[t[1] as usize], self.flat[t[2] as usize]);
            let cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
            if (cross >= 0.0) == up {
                out.indices.extend_from_slice(&[base + t[0], base + t[1], base + t[2]]);
            } else {
                out.indices.extend_from_slice(&[base + t[0], base + t[2], base + t[1]]);
            }
        }
    }

    /// Appends one building: roof and outward-facing walls. Returns false when the footprint
    /// could not be triangulated (nothing is appended then).
    pub fn building(&mut self, b: &Building, colors: &BuildingColors, out: &mut MeshData) -> bool {
        if !self.triangulate(&b.footprint) {
            return false;
        }
        let t = (b.height_m / colors.tall_m).clamp(0.0, 1.0);
        let top = match &colors.by_kind {
            Some(kinds) => kinds[b.kind.index()],
            None => lerp4(colors.top, colors.tall, t),
        };
        let roof = lerp4(colors.roof, colors.tall, t * 0.5);
        self.emit_flat(out, b.height_m, roof);
        let (y0, y1) = (b.min_height_m, b.height_m);
        if y0 > 0.0 {
            // A raised part (a bridge between buildings, an overhang) is closed underneath.
            self.emit_face(out, y0, colors.base, false);
        }
        for ring in std::iter::once(&b.footprint.exterior).chain(b.footprint.holes.iter()) {
            let n = ring.len();
            for i in 0..n {
                let (p, q) = (ring[i], ring[(i + 1) % n]);
                let (dx, dy) = ((q[0] - p[0]) as f32, (q[1] - p[1]) as f32);
                let len = (dx * dx + dy * dy).sqrt();
                if len <= 1e-6 {
                    continue;
                }
                // Right-hand normal in (east, north): outward for CCW exteriors and CW holes.
                let normal = [dy / len, 0.0, dx / len];
                // Baked light: walls facing the key light are brighter, so shapes read on an
                // unlit material, identically on every GPU.
                let facing = (dy / len) * KEY_LIGHT[0] + (-dx / len) * KEY_LIGHT[1];
                let shade = 0.62 + 0.38 * facing.max(0.0);
                let (base, top) = (scale_rgb(colors.base, shade), scale_rgb(top, shade));
                let i0 = out.push(scene(p, y0), normal, base);
                let i1 = out.push(scene(q, y0), normal, base);
                let i2 = out.push(scene(q, y1), normal, top);
                let i3 = out.push(scene(p, y1), normal, top);
                out.indices.extend_from_slice(&[i0, i1, i2, i0, i2, i3]);
            }
        }
        true
    }

    /// Appends a flat polygon (water, green) at height `y`.
    pub fn flat_polygon(&mut self, poly: &Polygon, y: f32, color: [f32; 4], out: &mut MeshData) -> bool {
        if !self.triangulate(poly) {
            return false;
        }
        self.emit_flat(out, y, color);
        true
    }
}

/// Appends a polyline as a flat ribbon of `width_m` at height `y`; each segment is extended by
/// half the width at both ends so joints have no gaps.
pub fn ribbon(points: &[[f64; 2]], width_m: f32, y: f32, color: [f32; 4], out: &mut MeshData) {
    let hw = f64::from(width_m) * 0.5;
    for w in points.windows(2) {
        let (p, q) = (w[0], w[1]);
        let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
        let len = (dx * dx + dy * dy).sqrt();
        if len < 1e-6 {
            continue;
        }
        let (ux, uy) = (dx / len * hw, dy / len * hw);
        let (nx, ny) = (-uy, ux);
        let a = [p[0] - ux + nx, p[1] - uy + ny];
        let b = [p[0] - ux - nx, p[1] - uy - ny];
        let c = [q[0] + ux - nx, q[1] + uy - ny];
        let d = [q[0] + ux + nx, q[1] + uy + ny];
        let up = [0.0, 1.0, 0.0];
        let i0 = out.push(scene(b, y), up, color);
        let i1 = out.push(scene(c, y), up, color);
        let i2 = out.push(scene(d, y), up, color);
        let i3 = out.push(scene(a, y), up, color);
        out.indices.extend_from_slice(&[i0, i1, i2, i0, i2, i3]);
    }
}

/// The tile a local point falls in.
pub fn tile_of(p: [f64; 2], tile_size_m: f64) -> (i32, i32) {
    ((p[0] / tile_size_m).floor() as i32, (p[1] / tile_size_m).floor() as i32)
}

/// Result of batching buildings.
#[derive(Debug, Default)]
pub struct BuildingBatches {
    /// One mesh per tile key, in tile order.
    pub tiles: BTreeMap<(i32, i32), MeshData>,
    pub drawn: usize,
    /// Buildings earcut could not triangulate.
    pub failed: usize,
}

/// Extrudes all buildings, grouped by the tile of their first vertex.
pub fn batch_buildings(buildings: &[Building], colors: &BuildingColors, tile_size_m: f64) -> BuildingBatches {
    let mut ex = Extruder::new();
    let mut out = BuildingBatches::default();
    for b in buildings {
        let Some(first) = b.footprint.exterior.first() else {
            out.failed += 1;
            continue;
        };
        let mesh = out.tiles.entry(tile_of(*first, tile_size_m)).or_default();
        if ex.building(b, colors, mesh) {
            out.drawn += 1;
        } else {
            out.failed += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLORS: BuildingColors = BuildingColors {
        base: [0.0, 0.0, 0.0, 1.0],
        top: [1.0, 1.0, 1.0, 1.0],
        tall: [1.0, 0.0, 0.0, 1.0],
        roof: [0.0, 1.0, 0.0, 1.0],
        tall_m: 100.0,
        by_kind: None,
    };

    fn square(x: f64, y: f64, s: f64) -> Polygon {
        let mut p = Polygon { exterior: vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s]], holes: vec![] };
        p.normalize_orientation();
        p
    }

    fn cross(a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> [f32; 3] {
        let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
        [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
    }

    #[test]
    fn box_building_has_roof_and_four_walls_facing_outward() {
        let b = Building {
            id: 1,
            footprint: square(0.0, 0.0, 10.0),
            height_m: 20.0,
            min_height_m: 0.0,
            kind: BuildingKind::Other,
            name: None,
        };
        let mut mesh = MeshData::default();
        assert!(Extruder::new().building(&b, &COLORS, &mut mesh));
        // 2 roof triangles + 4 walls x 2.
        assert_eq!(mesh.triangle_count(), 10);
        for t in mesh.indices.chunks_exact(3) {
            let (a, bb, c) =
                (mesh.positions[t[0] as usize], mesh.positions[t[1] as usize], mesh.positions[t[2] as usize]);
            let n = cross(a, bb, c);
            let stored = mesh.normals[t[0] as usize];
            let dot = n[0] * stored[0] + n[1] * stored[1] + n[2] * stored[2];
            assert!(dot > 0.0, "triangle winding disagrees with its normal");
            // Outward: the normal points away from the box centre (5, 10, -5).
            let centre = [
                (a[0] + bb[0] + c[0]) / 3.0 - 5.0,
                (a[1] + bb[1] + c[1]) / 3.0 - 10.0,
                (a[2] + bb[2] + c[2]) / 3.0 + 5.0,
            ];
            assert!(centre[0] * stored[0] + centre[1] * stored[1] + centre[2] * stored[2] > 0.0);
        }
        let max_y = mesh.positions.iter().map(|p| p[1]).fold(f32::MIN, f32::max);
        assert_eq!(max_y, 20.0);
    }

    #[test]
    fn raised_parts_are_closed_underneath() {
        let b = Building {
            id: 3,
            footprint: square(0.0, 0.0, 10.0),
            height_m: 20.0,
            min_height_m: 8.0,
            kind: BuildingKind::Other,
            name: None,
        };
        let mut mesh = MeshData::default();
        assert!(Extruder::new().building(&b, &COLORS, &mut mesh));
        assert_eq!(mesh.triangle_count(), 12);
        let min_y = mesh.positions.iter().map(|p| p[1]).fold(f32::MAX, f32::min);
        assert_eq!(min_y, 8.0);
        let down: Vec<_> = mesh.indices.chunks_exact(3).filter(|t| mesh.normals[t[0] as usize][1] < -0.5).collect();
        assert_eq!(down.len(), 2);
        for t in down {
            let n = cross(mesh.positions[t[0] as usize], mesh.positions[t[1] as usize], mesh.positions[t[2] as usize]);
            assert!(n[1] < 0.0, "the underside faces down");
        }
    }

    #[test]
    fn holes_are_cut_from_roofs() {
        let mut fp = square(0.0, 0.0, 30.0);
        fp.holes.push(vec![[10.0, 10.0], [10.0, 20.0], [20.0, 20.0], [20.0, 10.0]]);
        fp.normalize_orientation();
        let b =
            Building { id: 2, footprint: fp, height_m: 10.0, min_height_m: 0.0, kind: BuildingKind::Other, name: None };
        let mut mesh = MeshData::default();
        assert!(Extruder::new().building(&b, &COLORS, &mut mesh));
        let roof_area: f32 = mesh
            .indices
            .chunks_exact(3)
            .filter(|t| mesh.normals[t[0] as usize][1] > 0.5)
            .map(|t| {
                let n =
                    cross(mesh.positions[t[0] as usize], mesh.positions[t[1] as usize], mesh.positions[t[2] as usize]);
                0.5 * n[1]
            })
            .sum();
        assert!((roof_area - 800.0).abs() < 0.01, "roof area {roof_area}");
        // 4 outer walls + 4 inner walls + roof triangles.
        let walls = mesh.indices.chunks_exact(3).filter(|t| mesh.normals[t[0] as usize][1] == 0.0).count();
        assert_eq!(walls, 16);
    }

    #[test]
    fn buildings_batch_per_tile() {
        let bs: Vec<Building> = (0..10)
            .map(|i| Building {
                id: i,
                footprint: square(i as f64 * 100.0, 0.0, 10.0),
                height_m: 10.0,
                min_height_m: 0.0,
                kind: BuildingKind::Other,
                name: None,
            })
            .collect();
        let batches = batch_buildings(&bs, &COLORS, 500.0);
        assert_eq!(batches.tiles.len(), 2);
        assert_eq!(batches.drawn, 10);
        assert_eq!(batches.failed, 0);
    }

    #[test]
    fn ribbon_is_two_triangles_per_segment_facing_up() {
        let mut mesh = MeshData::default();
        ribbon(&[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]], 4.0, 0.1, [1.0; 4], &mut mesh);
        assert_eq!(mesh.triangle_count(), 4);
        for t in mesh.indices.chunks_exact(3) {
            let n = cross(mesh.positions[t[0] as usize], mesh.positions[t[1] as usize], mesh.positions[t[2] as usize]);
            assert!(n[1] > 0.0);
        }
    }
}
