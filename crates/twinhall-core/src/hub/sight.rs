//! 2.5D line of sight against extruded building footprints: whether a straight sight line between
//! two points above the ground passes through a building, and which building it meets first.
//!
//! Buildings are prisms: a footprint (exterior ring minus holes) extruded from `min_height_m` to
//! `height_m`. A uniform grid over the footprints' bounding boxes gives the candidates along a
//! segment; each candidate is tested exactly: the segment is cut where it crosses the footprint's
//! edges, every piece between two cuts is classified inside or outside by its midpoint (so a cut
//! through a vertex or along an edge cannot flip the parity of what follows), and an inside piece
//! blocks when the line's height over it (linear in the parameter) overlaps the building's
//! vertical extent.

use std::collections::HashSet;

use crate::model::{Building, ring_contains};

/// Grid cell size in metres.
const CELL_M: f64 = 50.0;
/// At most this many grid cells; a sparser city gets larger cells.
const MAX_CELLS: f64 = 4.0e6;
/// Inside stretches shorter than this (metres) are rounding noise at a vertex, not a blockage.
const MIN_STRETCH_M: f64 = 1e-7;

/// One building as the index keeps it.
#[derive(Debug, Clone)]
struct Prism {
    id: i64,
    exterior: Vec<[f64; 2]>,
    holes: Vec<Vec<[f64; 2]>>,
    min_h: f64,
    max_h: f64,
    /// Bounding box of the exterior: min x, min y, max x, max y.
    bbox: [f64; 4],
    /// Whether the footprint has an area at all (three or more finite points).
    valid: bool,
}

impl Prism {
    fn contains(&self, p: [f64; 2]) -> bool {
        self.valid
            && p[0] >= self.bbox[0]
            && p[0] <= self.bbox[2]
            && p[1] >= self.bbox[1]
            && p[1] <= self.bbox[3]
            && ring_contains(&self.exterior, p)
            && !self.holes.iter().any(|h| ring_contains(h, p))
    }

    /// The smallest parameter t in [0, 1] at which the segment (a, ha)–(b, hb) is inside this
    /// prism over a stretch, or `None`.
    fn first_block(&self, a: [f64; 2], ha: f64, b: [f64; 2], hb: f64) -> Option<f64> {
        if !self.valid || self.min_h.partial_cmp(&self.max_h).is_none_or(|o| o.is_gt()) {
            return None;
        }
        let d = [b[0] - a[0], b[1] - a[1]];
        let len = d[0].hypot(d[1]);
        // Quick rejection: the segment's bounding box against the footprint's.
        if a[0].max(b[0]) < self.bbox[0]
            || a[0].min(b[0]) > self.bbox[2]
            || a[1].max(b[1]) < self.bbox[1]
            || a[1].min(b[1]) > self.bbox[3]
        {
            return None;
        }
        // Quick rejection on height: the whole line is above the roof or below the underside.
        if ha.min(hb) > self.max_h || ha.max(hb) < self.min_h {
            return None;
        }
        let mut cuts = vec![0.0, 1.0];
        for ring in std::iter::once(&self.exterior).chain(self.holes.iter()) {
            edge_cuts(a, d, len, ring, &mut cuts);
        }
        cuts.sort_by(f64::total_cmp);
        let h = |t: f64| ha + (hb - ha) * t;
        for w in cuts.windows(2) {
            let (t0, t1) = (w[0], w[1]);
            if (t1 - t0) * len < MIN_STRETCH_M {
                continue;
            }
            let tm = 0.5 * (t0 + t1);
            if !self.contains([a[0] + d[0] * tm, a[1] + d[1] * tm]) {
                continue;
            }
            let (h0, h1) = (h(t0), h(t1));
            if h0.max(h1) < self.min_h || h0.min(h1) > self.max_h {
                continue;
            }
            // The earliest t in [t0, t1] where the height lies in [min_h, max_h].
            let dh = hb - ha;
            if dh == 0.0 || (self.min_h..=self.max_h).contains(&h0) {
                return Some(t0);
            }
            // h0 is outside the range and the range is reached inside the piece: the entry is
            // where the line crosses the bound nearer h0.
            let bound = if h0 > self.max_h { self.max_h } else { self.min_h };
            let te = ((bound - ha) / dh).clamp(t0, t1);
            return Some(te);
        }
        None
    }
}

/// Parameters t in [0, 1] where the segment a + t·d crosses the edges of `ring`; for an edge
/// collinear with the segment, the parameters of its two ends.
fn edge_cuts(a: [f64; 2], d: [f64; 2], len: f64, ring: &[[f64; 2]], cuts: &mut Vec<f64>) {
    let n = ring.len();
    if n < 2 || len <= 0.0 {
        return;
    }
    let cross = |u: [f64; 2], v: [f64; 2]| u[0] * v[1] - u[1] * v[0];
    let len2 = len * len;
    let mut push = |t: f64| {
        if t.is_finite() && t > 0.0 && t < 1.0 {
            cuts.push(t);
        }
    };
    for i in 0..n {
        let c = ring[i];
        let e = ring[(i + 1) % n];
        let s = [e[0] - c[0], e[1] - c[1]];
        let slen = s[0].hypot(s[1]);
        if slen == 0.0 {
            continue;
        }
        let ac = [c[0] - a[0], c[1] - a[1]];
        let denom = cross(d, s);
        if denom.abs() > 1e-12 * len * slen {
            let t = cross(ac, s) / denom;
            let u = cross(ac, d) / denom;
            let tol = 1e-9;
            if (-tol..=1.0 + tol).contains(&u) && (-tol..=1.0 + tol).contains(&t) {
                push(t);
            }
        } else if cross(ac, d).abs() <= 1e-9 * len * (1.0 + ac[0].hypot(ac[1])) {
            // Collinear: the edge's ends split the segment; pieces are classified by midpoint.
            let ae = [e[0] - a[0], e[1] - a[1]];
            push((ac[0] * d[0] + ac[1] * d[1]) / len2);
            push((ae[0] * d[0] + ae[1] * d[1]) / len2);
        }
    }
}

/// Buildings by grid cell, for line-of-sight queries.
#[derive(Debug, Clone)]
pub struct BuildingIndex {
    prisms: Vec<Prism>,
    origin: [f64; 2],
    cell: f64,
    nx: usize,
    ny: usize,
    /// Cell `c` holds `items[starts[c]..starts[c + 1]]`.
    starts: Vec<u32>,
    items: Vec<u32>,
}

impl BuildingIndex {
    pub fn new(buildings: &[Building]) -> Self {
        let prisms: Vec<Prism> = buildings.iter().map(prism).collect();
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for p in prisms.iter().filter(|p| p.valid) {
            lo = [lo[0].min(p.bbox[0]), lo[1].min(p.bbox[1])];
            hi = [hi[0].max(p.bbox[2]), hi[1].max(p.bbox[3])];
        }
        if !(lo[0] <= hi[0] && lo[1] <= hi[1]) {
            return Self { prisms, origin: [0.0, 0.0], cell: CELL_M, nx: 0, ny: 0, starts: vec![0], items: Vec::new() };
        }
        let pad = CELL_M * 1e-6;
        let origin = [lo[0] - pad, lo[1] - pad];
        let (w, h) = (hi[0] - lo[0] + 2.0 * pad, hi[1] - lo[1] + 2.0 * pad);
        let mut cell = CELL_M;
        if (w / cell).ceil() * (h / cell).ceil() > MAX_CELLS {
            cell = (w * h / MAX_CELLS).sqrt().max(CELL_M) * 1.01;
        }
        let nx = ((w / cell).ceil() as usize).max(1);
        let ny = ((h / cell).ceil() as usize).max(1);
        let mut index = Self { prisms, origin, cell, nx, ny, starts: Vec::new(), items: Vec::new() };
        // Two passes: count per cell, then fill.
        let mut counts = vec![0u32; nx * ny];
        let ranges: Vec<Option<[usize; 4]>> =
            index.prisms.iter().map(|p| p.valid.then(|| index.cell_range(p.bbox, pad))).collect();
        for r in ranges.iter().flatten() {
            for j in r[1]..=r[3] {
                for i in r[0]..=r[2] {
                    counts[j * nx + i] += 1;
                }
            }
        }
        let mut starts = Vec::with_capacity(nx * ny + 1);
        let mut acc = 0u32;
        starts.push(0);
        for c in &counts {
            acc += c;
            starts.push(acc);
        }
        let mut fill: Vec<u32> = starts[..nx * ny].to_vec();
        let mut items = vec![0u32; acc as usize];
        for (k, r) in ranges.iter().enumerate() {
            let Some(r) = r else { continue };
            for j in r[1]..=r[3] {
                for i in r[0]..=r[2] {
                    let c = j * nx + i;
                    items[fill[c] as usize] = k as u32;
                    fill[c] += 1;
                }
            }
        }
        index.starts = starts;
        index.items = items;
        index
    }

    /// Cells a box (min x, min y, max x, max y) padded by `pad` covers: [i0, j0, i1, j1], clamped.
    fn cell_range(&self, b: [f64; 4], pad: f64) -> [usize; 4] {
        let cx = |x: f64| self.col(x);
        let cy = |y: f64| self.row(y);
        [cx(b[0] - pad), cy(b[1] - pad), cx(b[2] + pad), cy(b[3] + pad)]
    }

    fn col(&self, x: f64) -> usize {
        let v = ((x - self.origin[0]) / self.cell).floor();
        if v.is_nan() { 0 } else { v.clamp(0.0, (self.nx.max(1) - 1) as f64) as usize }
    }

    fn row(&self, y: f64) -> usize {
        let v = ((y - self.origin[1]) / self.cell).floor();
        if v.is_nan() { 0 } else { v.clamp(0.0, (self.ny.max(1) - 1) as f64) as usize }
    }

    pub fn len(&self) -> usize {
        self.prisms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prisms.is_empty()
    }

    /// Index (into the slice given to `new`) of the building nearest to `from` that blocks the
    /// straight sight line between the 3-D points (from, from_h) and (to, to_h) (heights in
    /// metres above ground), or None when the line is clear. Buildings whose footprint contains
    /// either end are ignored (a camera is mounted on its building; an incident inside a building
    /// is seen at its facade). A building blocks when, over some stretch of the segment inside
    /// its footprint (holes excluded), the line's height lies within [min_height_m, height_m].
    pub fn blocker(&self, from: [f64; 2], from_h: f64, to: [f64; 2], to_h: f64) -> Option<usize> {
        let finite = [from[0], from[1], to[0], to[1], from_h, to_h].iter().all(|v| v.is_finite());
        if !finite || self.nx == 0 || self.ny == 0 {
            return None;
        }
        let (a, b) = (from, to);
        let d = [b[0] - a[0], b[1] - a[1]];
        if d[0].hypot(d[1]) < 1e-9 {
            return None;
        }
        // Outside the grid entirely?
        let gx1 = self.origin[0] + self.nx as f64 * self.cell;
        let gy1 = self.origin[1] + self.ny as f64 * self.cell;
        if a[0].max(b[0]) < self.origin[0]
            || a[0].min(b[0]) > gx1
            || a[1].max(b[1]) < self.origin[1]
            || a[1].min(b[1]) > gy1
        {
            return None;
        }
        // Walk the rows the segment crosses in the order the segment meets them, and in each row
        // the run of cells the segment crosses there (a scanline form of the 2-D DDA that cannot
        // miss a cell at a corner or along a cell border). Rows are met in increasing t, so once
        // a blocker is known no later row can hold a nearer one.
        let pad = self.cell * 1e-6;
        let (r0, r1) = (self.row(a[1].min(b[1]) - pad), self.row(a[1].max(b[1]) + pad));
        let rows: Box<dyn Iterator<Item = usize>> =
            if d[1] >= 0.0 { Box::new(r0..=r1) } else { Box::new((r0..=r1).rev()) };
        let mut tested: HashSet<u32> = HashSet::new();
        let mut best: Option<(f64, usize)> = None;
        for j in rows {
            let y0 = self.origin[1] + j as f64 * self.cell - pad;
            let y1 = y0 + self.cell + 2.0 * pad;
            let (ta, tb) = if d[1].abs() < 1e-12 {
                (0.0, 1.0)
            } else {
                let (p, q) = ((y0 - a[1]) / d[1], (y1 - a[1]) / d[1]);
                (p.min(q).max(0.0), p.max(q).min(1.0))
            };
            if ta > tb {
                continue;
            }
            if best.is_some_and(|(t, _)| t < ta) {
                break;
            }
            let (xa, xb) = (a[0] + d[0] * ta, a[0] + d[0] * tb);
            let (c0, c1) = (self.col(xa.min(xb) - pad), self.col(xa.max(xb) + pad));
            for i in c0..=c1 {
                let c = j * self.nx + i;
                let (s, e) = (self.starts[c] as usize, self.starts[c + 1] as usize);
                for &k in &self.items[s..e] {
                    if !tested.insert(k) {
                        continue;
                    }
                    let p = &self.prisms[k as usize];
                    if p.contains(a) || p.contains(b) {
                        continue;
                    }
                    if let Some(t) = p.first_block(a, from_h, b, to_h) {
                        let k = k as usize;
                        if best.is_none_or(|(bt, bk)| t < bt || (t == bt && k < bk)) {
                            best = Some((t, k));
                        }
                    }
                }
            }
        }
        best.map(|(_, k)| k)
    }

    /// Exterior ring of building i (for highlighting the blocker), local metres.
    pub fn footprint(&self, i: usize) -> &[[f64; 2]] {
        self.prisms.get(i).map_or(&[], |p| p.exterior.as_slice())
    }

    pub fn building_id(&self, i: usize) -> i64 {
        self.prisms.get(i).map_or(0, |p| p.id)
    }

    /// Roof height of building `i`, metres (0 when out of range).
    pub fn height_m(&self, i: usize) -> f64 {
        self.prisms.get(i).map_or(0.0, |p| p.max_h)
    }
}

fn prism(b: &Building) -> Prism {
    let exterior = b.footprint.exterior.clone();
    let holes = b.footprint.holes.clone();
    let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in &exterior {
        bbox = [bbox[0].min(p[0]), bbox[1].min(p[1]), bbox[2].max(p[0]), bbox[3].max(p[1])];
    }
    let finite = exterior.iter().chain(holes.iter().flatten()).all(|p| p[0].is_finite() && p[1].is_finite());
    let valid = finite && exterior.len() >= 3 && bbox[0] <= bbox[2] && bbox[1] <= bbox[3];
    Prism { id: b.id, exterior, holes, min_h: f64::from(b.min_height_m), max_h: f64::from(b.height_m), bbox, valid }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::SplitMix64;
    use crate::model::{BuildingKind, Polygon};

    fn building(id: i64, exterior: Vec<[f64; 2]>, holes: Vec<Vec<[f64; 2]>>, min_h: f32, h: f32) -> Building {
        Building {
            id,
            footprint: Polygon { exterior, holes },
            height_m: h,
            min_height_m: min_h,
            kind: BuildingKind::Other,
            name: None,
        }
    }

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
        vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    }

    #[test]
    fn a_tall_building_between_blocks_and_a_low_one_under_a_high_camera_does_not() {
        let bs = vec![
            building(10, rect(40.0, -10.0, 60.0, 10.0), vec![], 0.0, 30.0),
            building(11, rect(140.0, -10.0, 160.0, 10.0), vec![], 0.0, 4.0),
        ];
        let idx = BuildingIndex::new(&bs);
        assert_eq!(idx.len(), 2);
        assert!(!idx.is_empty());
        // Camera at 10 m looking 100 m east at a person: the 30 m building is in the way.
        assert_eq!(idx.blocker([0.0, 0.0], 10.0, [100.0, 0.0], 1.5), Some(0));
        assert_eq!(idx.building_id(0), 10);
        assert_eq!(idx.footprint(0).len(), 4);
        // Reversed direction gives the same building.
        assert_eq!(idx.blocker([100.0, 0.0], 1.5, [0.0, 0.0], 10.0), Some(0));
        // A camera 20 m up over the 4 m building sees the target beyond it: at the building the
        // line is at 20 - 18.5 * (40..60)/100 ≥ 8.9 m.
        assert_eq!(idx.blocker([100.0, 0.0], 20.0, [200.0, 0.0], 1.5), None);
        // Seen from 3 m, the same low building blocks.
        assert_eq!(idx.blocker([100.0, 0.0], 3.0, [200.0, 0.0], 1.5), Some(1));
        // A line passing beside both buildings is clear.
        assert_eq!(idx.blocker([0.0, 20.0], 10.0, [200.0, 20.0], 1.5), None);
        // Both in the way: the nearer one to `from` is reported.
        assert_eq!(idx.blocker([0.0, 0.0], 2.0, [200.0, 0.0], 2.0), Some(0));
        assert_eq!(idx.blocker([200.0, 0.0], 2.0, [0.0, 0.0], 2.0), Some(1));
        // Over the tall building's roof: 40 m at both ends.
        assert_eq!(idx.blocker([0.0, 0.0], 40.0, [100.0, 0.0], 40.0), None);
    }

    #[test]
    fn a_bridge_with_its_underside_above_the_line_does_not_block() {
        let bs = vec![building(1, rect(40.0, -10.0, 60.0, 10.0), vec![], 12.0, 20.0)];
        let idx = BuildingIndex::new(&bs);
        assert_eq!(idx.blocker([0.0, 0.0], 5.0, [100.0, 0.0], 1.5), None, "passes under");
        assert_eq!(idx.blocker([0.0, 0.0], 30.0, [100.0, 0.0], 25.0), None, "passes over");
        assert_eq!(idx.blocker([0.0, 0.0], 15.0, [100.0, 0.0], 15.0), Some(0), "through the deck");
        // Rising from 1 m to 41 m: at x = 40..60 the line is at 17..25 m, overlapping 12..20.
        assert_eq!(idx.blocker([0.0, 0.0], 1.0, [100.0, 0.0], 41.0), Some(0));
    }

    #[test]
    fn a_building_containing_either_end_is_ignored_and_courtyards_are_open() {
        let bs = vec![
            building(1, rect(-10.0, -10.0, 10.0, 10.0), vec![], 0.0, 50.0),
            building(2, rect(90.0, -10.0, 110.0, 10.0), vec![], 0.0, 50.0),
            // A courtyard block: the segment runs inside the hole only.
            building(
                3,
                rect(200.0, -50.0, 300.0, 50.0),
                vec![vec![[220.0, -30.0], [220.0, 30.0], [280.0, 30.0], [280.0, -30.0]]],
                0.0,
                50.0,
            ),
        ];
        let idx = BuildingIndex::new(&bs);
        assert_eq!(idx.blocker([0.0, 0.0], 30.0, [100.0, 0.0], 1.5), None, "camera on 1, incident in 2");
        assert_eq!(idx.blocker([0.0, 0.0], 30.0, [150.0, 0.0], 1.5), Some(1), "2 lies between");
        assert_eq!(idx.blocker([230.0, 0.0], 10.0, [270.0, 0.0], 1.5), None, "inside the courtyard");
        assert_eq!(idx.blocker([230.0, 0.0], 10.0, [350.0, 0.0], 1.5), Some(2), "through the wing");
        assert_eq!(idx.blocker([150.0, 0.0], 10.0, [250.0, 0.0], 1.5), Some(2), "into the courtyard");
    }

    #[test]
    fn degenerate_lines_are_robust() {
        let bs = vec![
            building(1, rect(0.0, 0.0, 10.0, 10.0), vec![], 0.0, 20.0),
            // L-shape with a reflex vertex at (20, 10).
            building(
                2,
                vec![[20.0, 0.0], [40.0, 0.0], [40.0, 20.0], [30.0, 20.0], [30.0, 10.0], [20.0, 10.0]],
                vec![],
                0.0,
                20.0,
            ),
            building(3, vec![], vec![], 0.0, 20.0),
            building(4, vec![[f64::NAN, 0.0], [1.0, 1.0], [2.0, 0.0]], vec![], 0.0, 20.0),
        ];
        let idx = BuildingIndex::new(&bs);
        // Through two opposite corners: inside along the diagonal, both ways round.
        assert_eq!(idx.blocker([-10.0, -10.0], 5.0, [20.0, 20.0], 5.0), Some(0));
        assert_eq!(idx.blocker([-10.0, 20.0], 5.0, [20.0, -10.0], 5.0), Some(0));
        // Touching one corner only: no stretch inside.
        assert_eq!(idx.blocker([-10.0, 10.0], 5.0, [10.0, -10.0], 5.0), None);
        assert_eq!(idx.blocker([0.0, 20.0], 5.0, [20.0, 0.0], 5.0).filter(|&k| k == 0), None, "touches (10, 10)");
        // A horizontal line along the L's inner edge (y = 10) runs inside from x = 30 to 40.
        assert_eq!(idx.blocker([15.0, 10.0], 5.0, [50.0, 10.0], 5.0), Some(1));
        // Lines through the reflex vertex (30, 10) enter the L there.
        assert_eq!(idx.blocker([25.0, 15.0], 5.0, [45.0, -5.0], 5.0), Some(1));
        assert_eq!(idx.blocker([10.0, -10.0], 5.0, [50.0, 30.0], 5.0), Some(1));
        assert_eq!(idx.blocker([25.0, 5.0], 5.0, [15.0, 15.0], 5.0), None, "starts inside 2: ignored");
        // Along an edge and along a cell border: no panic, some answer.
        let _ = idx.blocker([-5.0, 0.0], 5.0, [50.0, 0.0], 5.0);
        let _ = idx.blocker([10.0, -5.0], 5.0, [10.0, 50.0], 5.0);
        // Zero length, non-finite, far away.
        assert_eq!(idx.blocker([5.0, 5.0], 5.0, [5.0, 5.0], 5.0), None);
        assert_eq!(idx.blocker([f64::NAN, 5.0], 5.0, [5.0, 5.0], 5.0), None);
        assert_eq!(idx.blocker([-1e6, -1e6], 5.0, [-1e6 + 10.0, -1e6], 5.0), None);
        assert_eq!(idx.footprint(99), &[] as &[[f64; 2]]);
        let empty = BuildingIndex::new(&[]);
        assert!(empty.is_empty());
        assert_eq!(empty.blocker([0.0, 0.0], 1.0, [10.0, 0.0], 1.0), None);
    }

    // ---- equality with a brute force on random scenes ----

    /// A random footprint around (cx, cy) of radius about r: convex, star-shaped (concave),
    /// rectangle, L-shape, or courtyard block with a hole.
    fn random_footprint(rng: &mut SplitMix64, cx: f64, cy: f64, r: f64) -> (Vec<[f64; 2]>, Vec<Vec<[f64; 2]>>) {
        match rng.next_u64() % 5 {
            0 | 1 => {
                let convex = rng.next_u64().is_multiple_of(2);
                let n = 3 + (rng.next_u64() % 9) as usize;
                let mut angles: Vec<f64> = (0..n).map(|_| rng.range(0.0, std::f64::consts::TAU)).collect();
                angles.sort_by(f64::total_cmp);
                let ring = angles
                    .iter()
                    .map(|a| {
                        let rr = if convex { r } else { r * rng.range(0.3, 1.0) };
                        [cx + rr * a.cos(), cy + rr * a.sin()]
                    })
                    .collect();
                (ring, vec![])
            }
            2 => (rect(cx - r, cy - r * 0.6, cx + r, cy + r * 0.6), vec![]),
            3 => {
                let (w, h) = (r * 2.0, r * 1.6);
                let (x, y) = (cx - r, cy - r * 0.8);
                let (cw, ch) = (w * rng.range(0.3, 0.7), h * rng.range(0.3, 0.7));
                (vec![[x, y], [x + w, y], [x + w, y + ch], [x + cw, y + ch], [x + cw, y + h], [x, y + h]], vec![])
            }
            _ => {
                let outer = rect(cx - r, cy - r, cx + r, cy + r);
                let m = r * rng.range(0.3, 0.7);
                let mut hole = rect(cx - m, cy - m, cx + m, cy + m);
                hole.reverse();
                (outer, vec![hole])
            }
        }
    }

    fn brute_inside(b: &Building, p: [f64; 2]) -> bool {
        ring_contains(&b.footprint.exterior, p) && !b.footprint.holes.iter().any(|h| ring_contains(h, p))
    }

    /// For each building not containing an end: the first sample index where the sampled line
    /// is inside the footprint at a height within the building's extent.
    fn brute_hits(bs: &[Building], a: [f64; 2], ha: f64, b: [f64; 2], hb: f64, samples: usize) -> Vec<(usize, usize)> {
        let mut hits = Vec::new();
        for (k, bld) in bs.iter().enumerate() {
            if brute_inside(bld, a) || brute_inside(bld, b) {
                continue;
            }
            let ext = &bld.footprint.exterior;
            let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
            for p in ext {
                (x0, y0, x1, y1) = (x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1]));
            }
            let (lo, hi) = (f64::from(bld.min_height_m), f64::from(bld.height_m));
            for s in 0..=samples {
                let t = s as f64 / samples as f64;
                let p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
                if p[0] < x0 || p[0] > x1 || p[1] < y0 || p[1] > y1 {
                    continue;
                }
                let h = ha + (hb - ha) * t;
                if h >= lo && h <= hi && brute_inside(bld, p) {
                    hits.push((k, s));
                    break;
                }
            }
        }
        hits
    }

    #[test]
    fn the_grid_and_exact_test_agree_with_a_brute_force_on_random_scenes() {
        const SAMPLES: usize = 20_000;
        let mut rng = SplitMix64::new(0x5EED_0F51_6A7A);
        let (mut cases, mut blocked, mut through_vertex, mut fine_checks) = (0, 0, 0, 0);
        for _scene in 0..200 {
            // Scenes of 60 to 400 m so that some span several grid cells.
            let size = rng.range(60.0, 400.0);
            let n = 1 + (rng.next_u64() % 25) as usize;
            let bs: Vec<Building> = (0..n)
                .map(|k| {
                    let (cx, cy) = (rng.range(0.0, size), rng.range(0.0, size));
                    let r = rng.range(3.0, size / 6.0 + 3.0);
                    let (ext, holes) = random_footprint(&mut rng, cx, cy, r);
                    let h = rng.range(3.0, 60.0) as f32;
                    let min_h = if rng.unit() < 0.3 { (f64::from(h) * rng.range(0.1, 0.8)) as f32 } else { 0.0 };
                    building(k as i64 + 1, ext, holes, min_h, h)
                })
                .collect();
            let idx = BuildingIndex::new(&bs);
            for _seg in 0..25 {
                let a = [rng.range(-20.0, size + 20.0), rng.range(-20.0, size + 20.0)];
                let mut b = [rng.range(-20.0, size + 20.0), rng.range(-20.0, size + 20.0)];
                if rng.unit() < 0.25 {
                    // Aim exactly through a vertex of some building, and beyond it.
                    let bld = &bs[(rng.next_u64() % n as u64) as usize];
                    let v = bld.footprint.exterior[(rng.next_u64() % bld.footprint.exterior.len() as u64) as usize];
                    let f = rng.range(1.2, 2.5);
                    b = [a[0] + (v[0] - a[0]) * f, a[1] + (v[1] - a[1]) * f];
                    through_vertex += 1;
                }
                let (ha, hb) = (rng.range(0.0, 70.0), rng.range(0.0, 20.0));
                let exact = idx.blocker(a, ha, b, hb);
                let hits = brute_hits(&bs, a, ha, b, hb, SAMPLES);
                cases += 1;
                // What the samples saw is a true blockage: the exact test must see it too.
                if let Some(&(_, s0)) = hits.iter().min_by_key(|h| h.1) {
                    let k = exact.unwrap_or_else(|| panic!("exact says clear, samples hit at {s0}: {a:?}->{b:?}"));
                    blocked += 1;
                    // The nearest blocker agrees unless two buildings' first hits are within a
                    // couple of samples of each other.
                    let mut firsts: Vec<usize> = hits.iter().map(|h| h.1).collect();
                    firsts.sort_unstable();
                    if firsts.len() == 1 || firsts[1] > firsts[0] + 2 {
                        let brute_k = hits.iter().find(|h| h.1 == s0).map(|h| h.0);
                        assert_eq!(Some(k), brute_k, "nearest blocker, {a:?}->{b:?}");
                    }
                    continue;
                }
                // The samples saw nothing. The exact test may only disagree when the blocked
                // stretch is shorter than a sample step: sample that building again, a thousand
                // times finer around the stretch the exact test found; the test fails if that
                // finds nothing either (the exact test saw a blockage that is not there).
                if let Some(k) = exact {
                    let bld = &bs[k];
                    let t_star = idx.prisms[k].first_block(a, ha, b, hb).expect("it blocks");
                    let step = 1.0 / SAMPLES as f64;
                    let (lo, hi) = (f64::from(bld.min_height_m), f64::from(bld.height_m));
                    let found = (0..=4000).any(|s| {
                        let t = (t_star - 2.0 * step + s as f64 * step / 1000.0).clamp(0.0, 1.0);
                        let p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
                        let h = ha + (hb - ha) * t;
                        h >= lo - 1e-9 && h <= hi + 1e-9 && brute_inside(bld, p)
                    });
                    assert!(found, "exact says {k} blocks at t = {t_star}, nothing there: {a:?}->{b:?}");
                    fine_checks += 1;
                }
            }
        }
        assert_eq!(cases, 5000);
        assert!(blocked > 1000 && blocked < 4500, "a balanced mix: {blocked} of {cases} blocked");
        assert!(through_vertex > 1000);
        // Stretches shorter than a sample step are rare; if they were common the brute force
        // above would not be checking much.
        assert!(fine_checks < cases / 100, "{fine_checks} near-grazing cases");
    }
}
