//! Rings shared by every importer (OSM, GeoJSON, coastlines): validation, since a ring that is
//! too small, flat, non-finite or self-intersecting would break triangulation later, so each
//! importer drops it here and counts the reason; and [`ContainIndex`], which finds the ring
//! holding a point (holes and islands to their polygons) without testing every ring's every edge.
//!
//! It lives apart from `osm` so that `coast` (which `osm` calls) needs nothing back from `osm`.

/// A ring of `[east, north]` points, not repeating the first point at the end.
pub type Ring = Vec<[f64; 2]>;

/// Shoelace area: positive for counter-clockwise rings.
pub fn signed_area(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    if n < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..n {
        let a = ring[i];
        let b = ring[(i + 1) % n];
        s += a[0] * b[1] - b[0] * a[1];
    }
    s * 0.5
}

/// Even-odd point-in-ring test.
pub fn ring_contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let n = ring.len();
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Drops degenerate rings: too few points, zero area, self-intersections.
pub fn validate_ring(mut ring: Ring) -> Result<Ring, &'static str> {
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    if ring.len() < 3 {
        return Err("too_few_points");
    }
    if ring.iter().any(|p| !p[0].is_finite() || !p[1].is_finite()) {
        return Err("bad_coordinate");
    }
    if signed_area(&ring).abs() < 0.5 {
        return Err("zero_area");
    }
    if ring.len() <= 4096 && self_intersects(&ring) {
        return Err("self_intersecting");
    }
    Ok(ring)
}

/// True when two non-adjacent edges of the ring cross or touch.
pub fn self_intersects(ring: &[[f64; 2]]) -> bool {
    let n = ring.len();
    if n < 4 {
        return false;
    }
    // Sort edges by min x so the sweep only compares overlapping spans.
    let mut edges: Vec<(f64, f64, usize)> = (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            (a[0].min(b[0]), a[0].max(b[0]), i)
        })
        .collect();
    edges.sort_by(|x, y| x.0.total_cmp(&y.0));
    for (k, &(_, max_x, i)) in edges.iter().enumerate() {
        for &(min_x2, _, j) in &edges[k + 1..] {
            if min_x2 > max_x {
                break;
            }
            let adjacent = i.abs_diff(j) == 1 || i.abs_diff(j) == n - 1;
            if adjacent {
                continue;
            }
            if segments_intersect(ring[i], ring[(i + 1) % n], ring[j], ring[(j + 1) % n]) {
                return true;
            }
        }
    }
    false
}

fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn segments_intersect(p1: [f64; 2], p2: [f64; 2], q1: [f64; 2], q2: [f64; 2]) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
}

/// Answers "which is the first of these rings that contains the point", exactly as scanning the
/// rings in order with [`ring_contains`] would, in about constant time per query:
/// a grid of ring bounding boxes picks the candidates and each ring keeps its edges in
/// horizontal bands, so only edges at the point's height are tested. A relation with 50,000
/// islands in a lake of 100,000 vertices would otherwise cost 5·10⁹ edge tests.
pub struct ContainIndex<'a> {
    rings: Vec<BandedRing<'a>>,
    grid: Grid,
}

impl<'a> ContainIndex<'a> {
    pub fn new(rings: impl IntoIterator<Item = &'a [[f64; 2]]>) -> Self {
        let rings: Vec<BandedRing<'a>> = rings.into_iter().map(BandedRing::new).collect();
        let boxes: Vec<[f64; 4]> = rings.iter().map(|r| r.bbox).collect();
        Self { grid: Grid::new(&boxes), rings }
    }

    /// Index of the first ring (in the order given) that contains `p`.
    pub fn first_containing(&self, p: [f64; 2]) -> Option<usize> {
        self.grid.candidates(p).iter().map(|&k| k as usize).find(|&k| {
            let b = self.rings[k].bbox;
            (b[0]..=b[2]).contains(&p[0]) && (b[1]..=b[3]).contains(&p[1]) && self.rings[k].contains(p)
        })
    }
}

/// A margin around bounding boxes wider than the rounding of the crossing test, so that a point
/// a hair outside a box is still tested exactly rather than ruled out.
fn margin(v: f64) -> f64 {
    1e-6 + v.abs() * 1e-9
}

/// Bounding box `[min_x, min_y, max_x, max_y]`, widened by [`margin`].
fn padded_bbox(ring: &[[f64; 2]]) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in ring {
        b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])];
    }
    [b[0] - margin(b[0]), b[1] - margin(b[1]), b[2] + margin(b[2]), b[3] + margin(b[3])]
}

/// Maps a coordinate to one of `n` equal slots from `lo` with width `1 / inv`; monotone, so a
/// value inside `[a, b]` lands between the slots of `a` and `b`.
fn slot(v: f64, lo: f64, inv: f64, n: usize) -> usize {
    (((v - lo) * inv).floor().max(0.0) as usize).min(n - 1)
}

/// A ring's edges sorted into horizontal bands by the heights they span.
struct BandedRing<'a> {
    ring: &'a [[f64; 2]],
    bbox: [f64; 4],
    y0: f64,
    inv_h: f64,
    /// Per band, the edges (by the index of their first point) whose height range meets it.
    bands: Vec<Vec<u32>>,
}

impl<'a> BandedRing<'a> {
    fn new(ring: &'a [[f64; 2]]) -> Self {
        let n = ring.len();
        let bbox = padded_bbox(ring);
        let (y0, height) = (bbox[1], (bbox[3] - bbox[1]).max(f64::MIN_POSITIVE));
        let edge_y = |i: usize| {
            let (a, b) = (ring[i][1], ring[(i + n - 1) % n][1]);
            (a.min(b), a.max(b))
        };
        // About four edges a band; fewer bands where long edges would be listed in too many.
        let mut count = (n / 4).clamp(1, 1 << 16);
        loop {
            let inv_h = count as f64 / height;
            let listed: usize = (0..n)
                .map(|i| {
                    let (lo, hi) = edge_y(i);
                    (slot(hi, y0, inv_h, count) + 1).saturating_sub(slot(lo, y0, inv_h, count))
                })
                .sum();
            if listed <= 16 * n.max(1) || count == 1 {
                let mut bands = vec![Vec::new(); count];
                for i in 0..n {
                    let (lo, hi) = edge_y(i);
                    let span = slot(lo, y0, inv_h, count)..=slot(hi, y0, inv_h, count);
                    for band in bands.get_mut(span).unwrap_or_default() {
                        band.push(i as u32);
                    }
                }
                return Self { ring, bbox, y0, inv_h, bands };
            }
            count /= 2;
        }
    }

    /// The crossing test of [`ring_contains`], term for term, over the edges at the
    /// point's height only (the others never cross its ray).
    fn contains(&self, p: [f64; 2]) -> bool {
        let n = self.ring.len();
        let mut inside = false;
        for &i in &self.bands[slot(p[1], self.y0, self.inv_h, self.bands.len())] {
            let i = i as usize;
            let (a, b) = (self.ring[i], self.ring[(i + n - 1) % n]);
            if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
                inside = !inside;
            }
        }
        inside
    }
}

/// A uniform grid over bounding boxes; each cell lists, in ascending order, the boxes meeting it.
struct Grid {
    bbox: [f64; 4],
    inv: [f64; 2],
    size: usize,
    cells: Vec<Vec<u32>>,
}

impl Grid {
    fn new(boxes: &[[f64; 4]]) -> Self {
        let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for b in boxes {
            bbox = [bbox[0].min(b[0]), bbox[1].min(b[1]), bbox[2].max(b[2]), bbox[3].max(b[3])];
        }
        let extent = |lo: f64, hi: f64| (hi - lo).max(f64::MIN_POSITIVE);
        // About one box a cell; fewer cells where large boxes would be listed in too many.
        let mut size = ((boxes.len() as f64).sqrt().ceil() as usize).clamp(1, 1024);
        loop {
            let inv = [size as f64 / extent(bbox[0], bbox[2]), size as f64 / extent(bbox[1], bbox[3])];
            let span = |b: &[f64; 4]| {
                let x = (slot(b[0], bbox[0], inv[0], size), slot(b[2], bbox[0], inv[0], size));
                let y = (slot(b[1], bbox[1], inv[1], size), slot(b[3], bbox[1], inv[1], size));
                (x, y)
            };
            let listed: usize = boxes
                .iter()
                .map(span)
                .map(|(x, y)| (x.1 + 1).saturating_sub(x.0) * (y.1 + 1).saturating_sub(y.0))
                .sum();
            if listed <= 16 * boxes.len() + size * size || size == 1 {
                let mut cells = vec![Vec::new(); size * size];
                for (k, b) in boxes.iter().enumerate() {
                    let (x, y) = span(b);
                    for cy in y.0..=y.1 {
                        for cx in x.0..=x.1 {
                            cells[cy * size + cx].push(k as u32);
                        }
                    }
                }
                return Self { bbox, inv, size, cells };
            }
            size /= 2;
        }
    }

    fn candidates(&self, p: [f64; 2]) -> &[u32] {
        if self.cells.is_empty() {
            return &[];
        }
        let cx = slot(p[0], self.bbox[0], self.inv[0], self.size);
        let cy = slot(p[1], self.bbox[1], self.inv[1], self.size);
        &self.cells[cy * self.size + cx]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so that the test needs no crate and repeats.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn the_index_finds_the_same_ring_as_a_scan() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        // Star-shaped rings of 3..300 points, overlapping, some nested, plus squares on a grid
        // whose corners share coordinates with the query points (edges through the ray).
        let mut rings: Vec<Vec<[f64; 2]>> = Vec::new();
        for _ in 0..120 {
            let c = [rng.unit() * 1000.0, rng.unit() * 1000.0];
            let n = 3 + (rng.next() % 300) as usize;
            let r0 = 5.0 + rng.unit() * 200.0;
            rings.push(
                (0..n)
                    .map(|k| {
                        let t = k as f64 / n as f64 * std::f64::consts::TAU;
                        let r = r0 * (0.3 + rng.unit());
                        [c[0] + r * t.cos(), c[1] + r * t.sin()]
                    })
                    .collect(),
            );
        }
        for gx in 0..10 {
            for gy in 0..10 {
                let (x, y) = (gx as f64 * 100.0, gy as f64 * 100.0);
                rings.push(vec![[x, y], [x + 50.0, y], [x + 50.0, y + 50.0], [x, y + 50.0]]);
            }
        }
        let index = ContainIndex::new(rings.iter().map(Vec::as_slice));
        let mut found = 0;
        for q in 0..20_000 {
            let p = if q % 4 == 0 {
                [(rng.next() % 21) as f64 * 50.0, (rng.next() % 21) as f64 * 50.0]
            } else {
                [rng.unit() * 1100.0 - 50.0, rng.unit() * 1100.0 - 50.0]
            };
            let scan = rings.iter().position(|r| ring_contains(r, p));
            assert_eq!(index.first_containing(p), scan, "point {p:?}");
            found += usize::from(scan.is_some());
        }
        assert!(found > 5_000, "the rings cover much of the area: {found}");
        assert_eq!(ContainIndex::new(std::iter::empty()).first_containing([0.0, 0.0]), None);
    }

    #[test]
    fn long_edges_do_not_blow_up_the_bands() {
        // A comb: 2,000 teeth, each edge spanning the full height.
        let mut ring = Vec::new();
        for k in 0..2000 {
            let x = k as f64 * 2.0;
            ring.extend([[x, 0.0], [x, 1000.0], [x + 1.0, 1000.0], [x + 1.0, 1.0]]);
        }
        ring.push([4000.0, -10.0]);
        ring.push([0.0, -10.0]);
        let banded = BandedRing::new(&ring);
        let listed: usize = banded.bands.iter().map(Vec::len).sum();
        assert!(listed <= 16 * ring.len(), "{listed} entries for {} edges", ring.len());
        for p in [[0.5, 500.0], [1.5, 500.0], [2001.5, 999.0], [3999.5, -5.0], [4001.0, 5.0]] {
            assert_eq!(banded.contains(p), ring_contains(&ring, p), "{p:?}");
        }
    }

    #[test]
    fn degenerate_rings_are_rejected_with_reasons() {
        assert_eq!(validate_ring(vec![[0.0, 0.0], [1.0, 1.0]]), Err("too_few_points"));
        assert_eq!(validate_ring(vec![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), Err("zero_area"));
        let bowtie = vec![[0.0, 0.0], [10.0, 10.0], [10.0, 0.0], [0.0, 15.0]];
        assert_eq!(validate_ring(bowtie), Err("self_intersecting"));
        assert_eq!(validate_ring(vec![[0.0, 0.0], [f64::NAN, 1.0], [2.0, 0.0]]), Err("bad_coordinate"));
        let square = vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        assert!(validate_ring(square).is_ok());
    }
}
