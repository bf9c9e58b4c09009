//! The road graph for routing: drivable roads joined where they share a vertex (OSM ways share
//! node positions at intersections), one-way streets respected, travel times from speeds by road
//! class. A* finds a route; a reverse Dijkstra ranks many units by travel time to one incident.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use crate::model::{CityModel, RoadClass};

/// Typical urban driving speed by class, metres per second.
pub fn speed_mps(class: RoadClass) -> f32 {
    let kmh = match class {
        RoadClass::Motorway => 80.0,
        RoadClass::Trunk => 60.0,
        RoadClass::Primary => 50.0,
        RoadClass::Secondary => 40.0,
        RoadClass::Tertiary => 35.0,
        RoadClass::Residential => 25.0,
        RoadClass::Service => 15.0,
        RoadClass::Pedestrian | RoadClass::Path => 5.0,
    };
    kmh / 3.6
}

const MAX_SPEED_MPS: f32 = 80.0 / 3.6;
/// Side of the cells of the nearest-node index, metres.
const CELL_M: f64 = 100.0;

#[derive(Clone, Copy, Debug)]
struct Edge {
    to: u32,
    time_s: f32,
}

/// A route along the roads.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// Local `[east, north]` points from the start node to the end node.
    pub points: Vec<[f64; 2]>,
    pub length_m: f64,
    pub time_s: f64,
}

#[derive(Clone, Debug, Default)]
pub struct RoadGraph {
    nodes: Vec<[f64; 2]>,
    out: Vec<Vec<Edge>>,
    back: Vec<Vec<Edge>>,
    cells: HashMap<(i64, i64), Vec<u32>>,
}

/// A cost a Dijkstra heap orders by: `f32` (routing's A*) or `f64` (ranking's searches).
pub(crate) trait HeapCost: Copy + PartialEq {
    fn total_cmp(&self, other: &Self) -> Ordering;
}

impl HeapCost for f32 {
    fn total_cmp(&self, other: &Self) -> Ordering {
        f32::total_cmp(self, other)
    }
}

impl HeapCost for f64 {
    fn total_cmp(&self, other: &Self) -> Ordering {
        f64::total_cmp(self, other)
    }
}

/// An entry of a Dijkstra (or A*) heap: a cost and a node. `BinaryHeap<HeapItem<_>>` is a
/// min-heap on the cost (ties: the larger node first), for every graph search in the crate.
#[derive(PartialEq)]
pub(crate) struct HeapItem<C>(pub C, pub u32);

impl<C: HeapCost> Eq for HeapItem<C> {}

impl<C: HeapCost> Ord for HeapItem<C> {
    fn cmp(&self, other: &Self) -> Ordering {
        // A min-heap on cost.
        other.0.total_cmp(&self.0).then_with(|| self.1.cmp(&other.1))
    }
}

impl<C: HeapCost> PartialOrd for HeapItem<C> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn cell(p: [f64; 2]) -> (i64, i64) {
    ((p[0] / CELL_M).floor() as i64, (p[1] / CELL_M).floor() as i64)
}

impl RoadGraph {
    /// The graph of the city's drivable roads (tunnels included: they are roads).
    pub fn from_city(city: &CityModel) -> Self {
        let mut g = Self::default();
        let mut index: HashMap<(u64, u64), u32> = HashMap::new();
        let mut node = |g: &mut Self, p: [f64; 2]| -> u32 {
            *index.entry((p[0].to_bits(), p[1].to_bits())).or_insert_with(|| {
                g.nodes.push(p);
                g.out.push(Vec::new());
                g.back.push(Vec::new());
                g.cells.entry(cell(p)).or_default().push((g.nodes.len() - 1) as u32);
                (g.nodes.len() - 1) as u32
            })
        };
        for road in city.roads.iter().filter(|r| r.class.drivable()) {
            let speed = speed_mps(road.class);
            for w in road.points.windows(2) {
                let (a, b) = (node(&mut g, w[0]), node(&mut g, w[1]));
                if a == b {
                    continue;
                }
                let length_m = crate::frame::distance(w[0], w[1]) as f32;
                let time_s = length_m / speed;
                g.add_edge(a, b, time_s);
                if !road.oneway {
                    g.add_edge(b, a, time_s);
                }
            }
        }
        g.index_main_component();
        g
    }

    /// Keeps only nodes of the largest strongly connected part in the nearest-node index, so
    /// units and incidents snap to the network every vehicle can both reach and leave, not to an
    /// isolated service road or the wrong end of a one-way stub.
    fn index_main_component(&mut self) {
        let labels = self.strong_component_labels();
        let mut sizes: HashMap<u32, usize> = HashMap::new();
        for l in &labels {
            *sizes.entry(*l).or_default() += 1;
        }
        let Some((&main, _)) = sizes.iter().max_by_key(|(l, n)| (**n, std::cmp::Reverse(**l))) else { return };
        for ids in self.cells.values_mut() {
            ids.retain(|&n| labels[n as usize] == main);
        }
        self.cells.retain(|_, ids| !ids.is_empty());
    }

    /// Strongly connected component label of every node (Kosaraju, iterative).
    fn strong_component_labels(&self) -> Vec<u32> {
        let n = self.nodes.len();
        let mut order = Vec::with_capacity(n);
        let mut seen = vec![false; n];
        for start in 0..n {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut stack = vec![(start, 0usize)];
            while let Some((v, i)) = stack.pop() {
                if let Some(e) = self.out[v].get(i) {
                    stack.push((v, i + 1));
                    let w = e.to as usize;
                    if !seen[w] {
                        seen[w] = true;
                        stack.push((w, 0));
                    }
                } else {
                    order.push(v);
                }
            }
        }
        let mut label = vec![u32::MAX; n];
        for &start in order.iter().rev() {
            if label[start] != u32::MAX {
                continue;
            }
            label[start] = start as u32;
            let mut stack = vec![start];
            while let Some(v) = stack.pop() {
                for e in &self.back[v] {
                    if label[e.to as usize] == u32::MAX {
                        label[e.to as usize] = start as u32;
                        stack.push(e.to as usize);
                    }
                }
            }
        }
        label
    }

    /// Weakly connected component label of every node.
    fn component_labels(&self) -> Vec<u32> {
        let mut label = vec![u32::MAX; self.nodes.len()];
        for start in 0..self.nodes.len() {
            if label[start] != u32::MAX {
                continue;
            }
            let mut stack = vec![start];
            label[start] = start as u32;
            while let Some(n) = stack.pop() {
                for e in self.out[n].iter().chain(&self.back[n]) {
                    if label[e.to as usize] == u32::MAX {
                        label[e.to as usize] = start as u32;
                        stack.push(e.to as usize);
                    }
                }
            }
        }
        label
    }

    fn add_edge(&mut self, a: u32, b: u32, time_s: f32) {
        self.out[a as usize].push(Edge { to: b, time_s });
        self.back[b as usize].push(Edge { to: a, time_s });
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn edge_count(&self) -> usize {
        self.out.iter().map(Vec::len).sum()
    }

    pub fn node(&self, i: u32) -> [f64; 2] {
        self.nodes[i as usize]
    }

    /// The arcs leaving node `i`: `(head, travel seconds)`.
    pub fn out_edges(&self, i: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.out[i as usize].iter().map(|e| (e.to, e.time_s))
    }

    /// The arcs entering node `i`: `(tail, travel seconds)`.
    pub fn in_edges(&self, i: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.back[i as usize].iter().map(|e| (e.to, e.time_s))
    }

    /// The index [`Self::nearest_node`] searches: `((column, row), node ids in ascending order)`
    /// for each non-empty cell of [`Self::SNAP_CELL_M`] metres square (column `floor(x / size)`),
    /// holding the nodes of the main network only.
    pub fn snap_cells(&self) -> impl Iterator<Item = ((i64, i64), &[u32])> + '_ {
        self.cells.iter().map(|(&c, ids)| (c, ids.as_slice()))
    }

    /// Side of the cells of the nearest-node index, metres.
    pub const SNAP_CELL_M: f64 = CELL_M;

    /// The node of the main network nearest to a point, searching outwards ring by ring of
    /// index cells.
    pub fn nearest_node(&self, p: [f64; 2]) -> Option<u32> {
        if self.nodes.is_empty() {
            return None;
        }
        let (cx, cy) = cell(p);
        let mut best: Option<(f64, u32)> = None;
        for r in 0..=2000i64 {
            for dx in -r..=r {
                for dy in -r..=r {
                    if dx.abs() != r && dy.abs() != r {
                        continue;
                    }
                    for &n in self.cells.get(&(cx + dx, cy + dy)).into_iter().flatten() {
                        let d = crate::frame::distance(p, self.nodes[n as usize]);
                        if best.is_none_or(|(bd, _)| d < bd) {
                            best = Some((d, n));
                        }
                    }
                }
            }
            // Anything in a farther ring is at least r * CELL_M away.
            if let Some((d, n)) = best
                && d <= r as f64 * CELL_M
            {
                return Some(n);
            }
        }
        best.map(|(_, n)| n)
    }

    /// The fastest route between the nodes nearest to two points (A* on travel time).
    pub fn route(&self, from: [f64; 2], to: [f64; 2]) -> Option<Route> {
        let (s, t) = (self.nearest_node(from)?, self.nearest_node(to)?);
        let goal = self.nodes[t as usize];
        let h = |n: u32| (crate::frame::distance(self.nodes[n as usize], goal) as f32) / MAX_SPEED_MPS;
        let mut best = vec![f32::INFINITY; self.nodes.len()];
        let mut prev = vec![u32::MAX; self.nodes.len()];
        let mut heap = BinaryHeap::new();
        best[s as usize] = 0.0;
        heap.push(HeapItem(h(s), s));
        while let Some(HeapItem(_, n)) = heap.pop() {
            if n == t {
                break;
            }
            let g = best[n as usize];
            for e in &self.out[n as usize] {
                let cand = g + e.time_s;
                if cand < best[e.to as usize] {
                    best[e.to as usize] = cand;
                    prev[e.to as usize] = n;
                    heap.push(HeapItem(cand + h(e.to), e.to));
                }
            }
        }
        if !best[t as usize].is_finite() {
            return None;
        }
        let mut path = vec![t];
        while let Some(&last) = path.last() {
            if last == s {
                break;
            }
            path.push(prev[last as usize]);
        }
        path.reverse();
        let points: Vec<[f64; 2]> = path.iter().map(|&n| self.nodes[n as usize]).collect();
        let length_m = points.windows(2).map(|w| crate::frame::distance(w[0], w[1])).sum();
        Some(Route { points, length_m, time_s: f64::from(best[t as usize]) })
    }

    /// Travel time in seconds from every node to the node nearest `target` (infinite where the
    /// target cannot be reached): one reverse Dijkstra ranks any number of units.
    pub fn times_to(&self, target: [f64; 2]) -> Vec<f32> {
        let mut best = vec![f32::INFINITY; self.nodes.len()];
        let Some(t) = self.nearest_node(target) else {
            return best;
        };
        let mut heap = BinaryHeap::new();
        best[t as usize] = 0.0;
        heap.push(HeapItem(0.0, t));
        while let Some(HeapItem(cost, n)) = heap.pop() {
            if cost > best[n as usize] {
                continue;
            }
            for e in &self.back[n as usize] {
                let cand = cost + e.time_s;
                if cand < best[e.to as usize] {
                    best[e.to as usize] = cand;
                    heap.push(HeapItem(cand, e.to));
                }
            }
        }
        best
    }

    /// Size of the largest weakly connected part, in nodes.
    pub fn largest_component(&self) -> usize {
        let mut sizes: HashMap<u32, usize> = HashMap::new();
        for l in self.component_labels() {
            *sizes.entry(l).or_default() += 1;
        }
        sizes.into_values().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::LonLat;
    use crate::model::Road;

    fn grid_city() -> CityModel {
        crate::generate::generate_city(9 * 25, 3, LonLat::new(114.0, 22.5))
    }

    #[test]
    fn grid_routes_follow_the_streets() {
        let city = grid_city();
        let g = RoadGraph::from_city(&city);
        assert_eq!(g.largest_component(), g.node_count());
        let (a, b) = ([-300.0, -300.0], [300.0, 180.0]);
        let r = g.route(a, b).expect("a route");
        let (s, t) = (r.points[0], r.points[r.points.len() - 1]);
        let manhattan = (t[0] - s[0]).abs() + (t[1] - s[1]).abs();
        assert!((r.length_m - manhattan).abs() < 1e-6, "{} vs {manhattan}", r.length_m);
        // Ranking agrees with single routes.
        let times = g.times_to(b);
        let start = g.nearest_node(a).expect("node");
        assert!((f64::from(times[start as usize]) - r.time_s).abs() < 1e-2);
    }

    #[test]
    fn one_way_streets_are_respected() {
        let mut city = CityModel::empty("t", LonLat::new(0.0, 0.0));
        let road = |id, points: Vec<[f64; 2]>, oneway| Road {
            id,
            class: RoadClass::Residential,
            points,
            name: None,
            oneway,
            tunnel: false,
        };
        // A one-way shortcut east, and a long two-way detour.
        city.roads.push(road(1, vec![[0.0, 0.0], [100.0, 0.0]], true));
        city.roads.push(road(2, vec![[0.0, 0.0], [0.0, 100.0], [100.0, 100.0], [100.0, 0.0]], false));
        let g = RoadGraph::from_city(&city);
        let east = g.route([0.0, 0.0], [100.0, 0.0]).expect("east");
        let west = g.route([100.0, 0.0], [0.0, 0.0]).expect("west");
        assert!((east.length_m - 100.0).abs() < 1e-9);
        assert!((west.length_m - 300.0).abs() < 1e-9);
    }

    #[test]
    fn nearest_node_matches_brute_force() {
        let g = RoadGraph::from_city(&grid_city());
        let mut rng = crate::generate::SplitMix64::new(9);
        for _ in 0..200 {
            let p = [rng.range(-900.0, 900.0), rng.range(-900.0, 900.0)];
            let n = g.nearest_node(p).expect("node");
            let brute = (0..g.node_count() as u32)
                .min_by(|&a, &b| crate::frame::distance(p, g.node(a)).total_cmp(&crate::frame::distance(p, g.node(b))))
                .expect("nodes");
            assert!((crate::frame::distance(p, g.node(n)) - crate::frame::distance(p, g.node(brute))).abs() < 1e-9);
        }
    }

    #[test]
    fn helsinki_streets_route_between_landmarks() {
        let bytes = crate::load::HELSINKI_PBF;
        let city = crate::osm::import_pbf_bytes(bytes, std::path::Path::new("helsinki"), &Default::default())
            .expect("the demo city imports");
        let g = RoadGraph::from_city(&city);
        assert!(g.largest_component() * 10 > g.node_count() * 8, "{} of {}", g.largest_component(), g.node_count());
        let station = city.frame.to_local(LonLat::new(24.9414, 60.1711));
        let senate = city.frame.to_local(LonLat::new(24.9521, 60.1694));
        let r = g.route(station, senate).expect("a route from the station to Senate Square");
        let straight = crate::frame::distance(station, senate);
        assert!(r.length_m > straight * 0.8 && r.length_m < straight * 3.0, "{} m for {straight} m", r.length_m);
        assert!(r.time_s > r.length_m / f64::from(MAX_SPEED_MPS));
    }

    #[test]
    fn points_snap_to_the_main_network() {
        let mut city = CityModel::empty("t", LonLat::new(0.0, 0.0));
        let road = |id, points: Vec<[f64; 2]>, oneway| Road {
            id,
            class: RoadClass::Primary,
            points,
            name: None,
            oneway,
            tunnel: false,
        };
        // A two-way loop (the main network), an isolated stub, and a one-way spur leaving it.
        city.roads.push(road(1, vec![[0.0, 0.0], [100.0, 0.0], [100.0, 100.0], [0.0, 100.0], [0.0, 0.0]], false));
        city.roads.push(road(2, vec![[0.0, 500.0], [100.0, 500.0]], false));
        city.roads.push(road(3, vec![[100.0, 0.0], [200.0, 0.0]], true));
        let g = RoadGraph::from_city(&city);
        assert_eq!(g.node(g.nearest_node([10.0, 480.0]).expect("node")), [0.0, 100.0]);
        assert_eq!(g.node(g.nearest_node([205.0, 0.0]).expect("node")), [100.0, 0.0]);
        let r = g.route([10.0, 480.0], [205.0, 0.0]).expect("both ends snap onto the loop");
        assert!((r.length_m - 200.0).abs() < 1e-9, "{}", r.length_m);
    }
}
