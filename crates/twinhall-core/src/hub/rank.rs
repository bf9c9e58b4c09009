//! Every unit ranked by road travel time to an incident, fast on a whole city's road graph.
//!
//! [`Ranker`] is a contraction hierarchy (CH) built for the graph's travel times (one-way streets
//! are single arcs), queried RPHAST-style: an upward search from the incident along the
//! backward arcs, then the part of the hierarchy the units reach upwards (the only nodes an
//! up-down path from a unit can use) swept once from the top rank down, each node relaxing its
//! upward arcs. One sweep answers all units at once, exactly. The selection depends only on the
//! units, so it is compacted and kept for the next incident with the same units; with many
//! units the top fifth of the hierarchy, which they all reach, is swept whole (chosen by measurement:
//! on the million-node grid a tenth gave p99 4.6 ms for fixed units and 10.3 ms for units moved
//! before every incident, a fifth 3.4 ms and 6.2 ms).
//!
//! Chosen by measurement on a generated city of 1,000,000 nodes (a 1000 x 1000 street grid, the
//! worst case for separators) with 2,000 units: a reverse Dijkstra that stops when every unit is
//! settled explores nearly the whole graph (100-500 ms); a customizable contraction hierarchy
//! (the `cch` crate: inertial-flow order, build, customize) took 51 s + 15 s + 50 s to build,
//! 49 million arcs, and 100-140 ms per incident for the same sweep, because a grid's separators
//! are a thousand nodes wide; this CH takes one to two minutes, has about 8.6 million arcs and
//! ranks all units in a few milliseconds.
//!
//! Travel times are integers on the hierarchy: each edge's seconds are rounded to a unit of
//! [`Ranker::resolution_s`] seconds, chosen per graph so that the longest route in the main
//! network fits in 2^30 units (about 1 µs on the demo city, 30 µs on a 120 km square grid). A
//! ranked time therefore differs from the plain Dijkstra on the graph's `f32` edge times by at
//! most half a unit per edge of the route, plus the `f32` rounding of the result.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;

use crate::routing::{HeapItem, RoadGraph};

/// Unreachable.
const INF: u32 = u32::MAX / 2;
/// Finite travel times are kept below this many units.
const RANGE_UNITS: f64 = (1u64 << 30) as f64;
/// The finest time unit, seconds.
const FINEST_S: f64 = 1e-6;
/// Witness searches settle at most this many nodes when contracting, and when estimating the
/// cost of a contraction.
const WITNESS: (usize, u8) = (500, u8::MAX);
const ESTIMATE: (usize, u8) = (100, 3);
/// Neighbours of a contracted node with at most this many arcs are re-estimated at once; a
/// busier one when it comes up.
const UPDATE_DEGREE: usize = 16;
/// The top `1 / TOP_SHARE` of the ranks is swept whole for `WHOLE_TOP_SOURCES` sources or more.
const TOP_SHARE: usize = 5;
const WHOLE_TOP_SOURCES: usize = 64;
/// At most this many index cells for the snapping grid; a sparser graph snaps through the graph.
const MAX_SNAP_CELLS: usize = 1 << 26;

/// An arc of the hierarchy's upward graph: to a higher-ranked node, with its weight in units.
#[derive(Clone, Copy, Debug)]
struct Arc {
    head: u32,
    w: u32,
}

/// An upward graph in CSR form over ranks.
#[derive(Default)]
struct Upward {
    first: Vec<u32>,
    arcs: Vec<Arc>,
}

impl Upward {
    fn of(&self, v: u32) -> &[Arc] {
        &self.arcs[self.first[v as usize] as usize..self.first[v as usize + 1] as usize]
    }
}

/// Per-query working memory, reused across queries (all-INF / all-clear between them).
struct Scratch {
    /// By rank: the target search's distances.
    dist: Vec<u32>,
    mark: Vec<u64>,
    /// The ranks the target search reached.
    reached: Vec<u32>,
    /// By selection index.
    local: Vec<u32>,
}

/// The part of the hierarchy a set of sources reaches upwards, compacted for a sweep; kept for
/// the next query with the same sources.
struct Selection {
    /// The sources' ranks (`u32::MAX` for none).
    key: Vec<u32>,
    /// Ranks from `top` up are all swept, at index `rank - top`.
    top: u32,
    /// The selected ranks below `top`, ascending, at index `(n - top) + i`.
    lower: Vec<u32>,
    /// Their forward arcs, heads as selection indices.
    first: Vec<u32>,
    arcs: Vec<Arc>,
    /// Each source's selection index (`u32::MAX` for none).
    at: Vec<u32>,
}

/// A dense grid copy of the graph's snapping index, searched exactly as
/// [`RoadGraph::nearest_node`] searches its hash map (same cells, same order), so it snaps to
/// the same node, only faster.
struct SnapGrid {
    min: (i64, i64),
    size: (i64, i64),
    first: Vec<u32>,
    /// The nodes of each cell in the graph's order, with their positions.
    nodes: Vec<(u32, [f64; 2])>,
}

impl SnapGrid {
    fn new(graph: &RoadGraph) -> Option<Self> {
        let cells: Vec<((i64, i64), &[u32])> = graph.snap_cells().collect();
        let lo = cells.iter().fold((i64::MAX, i64::MAX), |m, (c, _)| (m.0.min(c.0), m.1.min(c.1)));
        let hi = cells.iter().fold((i64::MIN, i64::MIN), |m, (c, _)| (m.0.max(c.0), m.1.max(c.1)));
        if cells.is_empty() {
            return None;
        }
        let size = (hi.0 - lo.0 + 1, hi.1 - lo.1 + 1);
        if size.0.saturating_mul(size.1) > MAX_SNAP_CELLS as i64 {
            return None;
        }
        let index = |c: (i64, i64)| ((c.1 - lo.1) * size.0 + (c.0 - lo.0)) as usize;
        let mut first = vec![0u32; (size.0 * size.1) as usize + 1];
        for (c, ids) in &cells {
            first[index(*c) + 1] = ids.len() as u32;
        }
        for i in 1..first.len() {
            first[i] += first[i - 1];
        }
        let mut nodes = vec![(0u32, [0.0; 2]); first[first.len() - 1] as usize];
        for (c, ids) in &cells {
            let at = first[index(*c)] as usize;
            for (slot, &id) in nodes[at..at + ids.len()].iter_mut().zip(ids.iter()) {
                *slot = (id, graph.node(id));
            }
        }
        Some(Self { min: lo, size, first, nodes })
    }

    fn cell(&self, x: i64, y: i64) -> &[(u32, [f64; 2])] {
        let (cx, cy) = (x - self.min.0, y - self.min.1);
        if cx < 0 || cy < 0 || cx >= self.size.0 || cy >= self.size.1 {
            return &[];
        }
        let i = (cy * self.size.0 + cx) as usize;
        &self.nodes[self.first[i] as usize..self.first[i + 1] as usize]
    }

    /// [`RoadGraph::nearest_node`], ring by ring of cells in the same order.
    fn nearest(&self, p: [f64; 2]) -> Option<u32> {
        let cell_m = RoadGraph::SNAP_CELL_M;
        let (cx, cy) = ((p[0] / cell_m).floor() as i64, (p[1] / cell_m).floor() as i64);
        let mut best: Option<(f64, u32)> = None;
        let visit = |x: i64, y: i64, best: &mut Option<(f64, u32)>| {
            for &(n, q) in self.cell(x, y) {
                let d = crate::frame::distance(p, q);
                if best.is_none_or(|(bd, _)| d < bd) {
                    *best = Some((d, n));
                }
            }
        };
        for r in 0..=2000i64 {
            for dx in -r..=r {
                if dx.abs() == r {
                    for dy in -r..=r {
                        visit(cx + dx, cy + dy, &mut best);
                    }
                } else {
                    visit(cx + dx, cy - r, &mut best);
                    visit(cx + dx, cy + r, &mut best);
                }
            }
            if let Some((d, n)) = best
                && d <= r as f64 * cell_m
            {
                return Some(n);
            }
        }
        best.map(|(_, n)| n)
    }
}

/// Ranks units by road travel time to an incident; built once per city.
pub struct Ranker {
    graph: RoadGraph,
    snap: Option<SnapGrid>,
    resolution_s: f64,
    /// Graph node → rank in the hierarchy.
    rank: Vec<u32>,
    /// By rank: upward arcs in the travel direction (`v → head`).
    forward: Upward,
    /// By rank: upward arcs against the travel direction (`head → v`).
    backward: Upward,
    scratch: Mutex<Vec<Scratch>>,
    last_selection: Mutex<Option<Selection>>,
}

impl Ranker {
    /// Builds the contraction hierarchy for a road graph (one-way streets are single arcs).
    pub fn new(graph: &RoadGraph) -> Self {
        let resolution_s = (distance_bound_s(graph) / RANGE_UNITS).max(FINEST_S);
        let units = |time_s: f32| (f64::from(time_s) / resolution_s).round().min(f64::from(INF - 1)) as u32;
        let (rank, forward, backward) = contract(graph, units);
        Self {
            graph: graph.clone(),
            snap: SnapGrid::new(graph),
            resolution_s,
            rank,
            forward,
            backward,
            scratch: Mutex::new(Vec::new()),
            last_selection: Mutex::new(None),
        }
    }

    /// The time unit of the hierarchy's integer weights, seconds: each edge's time is rounded
    /// to it, so a ranked time is within half of it per edge of the plain Dijkstra's.
    pub fn resolution_s(&self) -> f64 {
        self.resolution_s
    }

    /// Arcs of the hierarchy's upward graphs (both directions; input arcs plus shortcuts).
    pub fn arc_count(&self) -> usize {
        self.forward.arcs.len() + self.backward.arcs.len()
    }

    /// An edge's travel time in hierarchy units.
    #[cfg(test)]
    fn units(&self, time_s: f32) -> u32 {
        (f64::from(time_s) / self.resolution_s).round().min(f64::from(INF - 1)) as u32
    }

    /// The node of the main network nearest to a point: [`RoadGraph::nearest_node`].
    fn snap(&self, p: [f64; 2]) -> Option<u32> {
        match &self.snap {
            Some(grid) => grid.nearest(p),
            None => self.graph.nearest_node(p),
        }
    }

    /// Road travel time in seconds from each source point (local metres) to `target`, both
    /// snapped with [`RoadGraph::nearest_node`]; `None` where unreachable or not snappable.
    /// Equal to [`dijkstra_per_source`] within half of [`Self::resolution_s`] per edge of the
    /// route.
    pub fn times_to(&self, target: [f64; 2], sources: &[[f64; 2]]) -> Vec<Option<f32>> {
        let Some(t) = self.snap(target) else {
            return vec![None; sources.len()];
        };
        let nodes: Vec<Option<u32>> = sources.iter().map(|&p| self.snap(p)).collect();
        self.times_between(t, &nodes)
    }

    /// Travel time in seconds from each source node to the target node (graph node ids).
    fn times_between(&self, target: u32, sources: &[Option<u32>]) -> Vec<Option<f32>> {
        let mut s = self.take_scratch();
        self.search_from_target(self.rank[target as usize], &mut s);
        let key: Vec<u32> = sources.iter().map(|v| v.map_or(u32::MAX, |v| self.rank[v as usize])).collect();
        let mut slot = self.last_selection.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let sel = match slot.take() {
            Some(sel) if sel.key == key => {
                drop(slot);
                sel
            }
            // A few sources (a single route time) leave the fleet's selection in place.
            Some(kept) if key.len() < WHOLE_TOP_SOURCES => {
                *slot = Some(kept);
                drop(slot);
                self.select(key, &mut s.mark, None)
            }
            // Rebuilt in the old one's memory: fresh pages cost more than the copying.
            old => {
                drop(slot);
                self.select(key, &mut s.mark, old)
            }
        };
        // Distances to the target by selection index; the target search's values go in first.
        let Scratch { dist, reached, local, .. } = &mut s;
        let k = self.rank.len() - sel.top as usize;
        local.clear();
        local.resize(k + sel.lower.len(), INF);
        for &x in reached.iter() {
            let at = if x >= sel.top {
                Some((x - sel.top) as usize)
            } else {
                sel.lower.binary_search(&x).ok().map(|i| k + i)
            };
            if let Some(at) = at {
                local[at] = dist[x as usize];
            }
            dist[x as usize] = INF;
        }
        // Sweep from the top rank down: every upward neighbour comes first.
        let (top_part, lower_part) = local.split_at_mut(k);
        for v in (sel.top..self.rank.len() as u32).rev() {
            let mut best = top_part[(v - sel.top) as usize];
            for a in self.forward.of(v) {
                // Both terms are at most INF = 2^31 - 1: the sum cannot overflow.
                let cand = a.w + top_part[(a.head - sel.top) as usize];
                if cand < best {
                    best = cand;
                }
            }
            top_part[(v - sel.top) as usize] = best;
        }
        for i in (0..sel.lower.len()).rev() {
            let mut best = lower_part[i];
            for a in &sel.arcs[sel.first[i] as usize..sel.first[i + 1] as usize] {
                let h = a.head as usize;
                let d = if h < k { top_part[h] } else { lower_part[h - k] };
                let cand = a.w + d;
                if cand < best {
                    best = cand;
                }
            }
            lower_part[i] = best;
        }
        let out = sel
            .at
            .iter()
            .map(|&at| {
                let d = *local.get(at as usize)?;
                (d < INF).then(|| (f64::from(d) * self.resolution_s) as f32)
            })
            .collect();
        let mut slot = self.last_selection.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() || sel.key.len() >= WHOLE_TOP_SOURCES {
            *slot = Some(sel);
        }
        drop(slot);
        self.give_scratch(s);
        out
    }

    /// The upward search from the target (a rank) along the backward arcs: for every node `m`
    /// it reaches (into `reached`, ascending), the best down-path from `m` to the target (into
    /// `dist`). Relaxed in rank order: every arc goes up, so predecessors come first.
    fn search_from_target(&self, t: u32, s: &mut Scratch) {
        let Scratch { dist, mark, reached, .. } = s;
        reached.clear();
        reached.push(t);
        mark[t as usize / 64] |= 1 << (t % 64);
        let mut i = 0;
        while i < reached.len() {
            let x = reached[i];
            i += 1;
            for a in self.backward.of(x) {
                let (w, bit) = (a.head as usize / 64, 1 << (a.head % 64));
                if mark[w] & bit == 0 {
                    mark[w] |= bit;
                    reached.push(a.head);
                }
            }
        }
        reached.sort_unstable();
        for &x in reached.iter() {
            mark[x as usize / 64] = 0;
        }
        dist[t as usize] = 0;
        for &x in reached.iter() {
            let dx = dist[x as usize];
            if dx < INF {
                for a in self.backward.of(x) {
                    let cand = dx + a.w;
                    let slot = &mut dist[a.head as usize];
                    if cand < *slot {
                        *slot = cand;
                    }
                }
            }
        }
    }

    /// What the sources (ranks, `u32::MAX` for none) reach upwards along the forward arcs: with
    /// many sources the top of the hierarchy, which they all reach, whole; below it the nodes
    /// marked in one pass up the ranks (arcs go up, so a node is marked before the pass reaches
    /// it), their arcs copied as they are read.
    fn select(&self, key: Vec<u32>, mark: &mut [u64], reuse: Option<Selection>) -> Selection {
        let n = self.rank.len();
        let top = if key.len() >= WHOLE_TOP_SOURCES { (n - n / TOP_SHARE) as u32 } else { n as u32 };
        let k = n as u32 - top;
        for &r in &key {
            if r < top {
                mark[r as usize / 64] |= 1 << (r % 64);
            }
        }
        let words = (top as usize).div_ceil(64);
        let Selection { mut lower, mut first, mut arcs, mut at, .. } = reuse.unwrap_or_else(|| Selection {
            key: Vec::new(),
            top,
            lower: Vec::new(),
            first: Vec::new(),
            arcs: Vec::new(),
            at: Vec::new(),
        });
        lower.clear();
        first.clear();
        first.push(0);
        arcs.clear();
        at.clear();
        for w in 0..words {
            let mut done = 0u64;
            loop {
                let pending = mark[w] & !done;
                if pending == 0 {
                    break;
                }
                let b = pending.trailing_zeros();
                done |= 1 << b;
                let v = (w * 64) as u32 + b;
                lower.push(v);
                for a in self.forward.of(v) {
                    if a.head < top {
                        mark[a.head as usize / 64] |= 1 << (a.head % 64);
                    }
                    arcs.push(*a);
                }
                first.push(arcs.len() as u32);
            }
        }
        // Heads as selection indices: the top by rank, a lower node by its count of marks below.
        let mut below = Vec::with_capacity(words + 1);
        below.push(0u32);
        for w in 0..words {
            below.push(below[w] + mark[w].count_ones());
        }
        let index = |r: u32| {
            if r >= top {
                r - top
            } else {
                let (w, b) = (r as usize / 64, r % 64);
                k + below[w] + (mark[w] & ((1u64 << b) - 1)).count_ones()
            }
        };
        for a in &mut arcs {
            a.head = index(a.head);
        }
        at.extend(key.iter().map(|&r| if r == u32::MAX { u32::MAX } else { index(r) }));
        mark[..words].fill(0);
        Selection { key, top, lower, first, arcs, at }
    }

    fn take_scratch(&self) -> Scratch {
        let pooled = self.scratch.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        pooled.unwrap_or_else(|| {
            let n = self.rank.len();
            Scratch { dist: vec![INF; n], mark: vec![0; n.div_ceil(64)], reached: Vec::new(), local: Vec::new() }
        })
    }

    fn give_scratch(&self, s: Scratch) {
        self.scratch.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(s);
    }
}

/// A Dijkstra over the not yet contracted graph, for witnesses: is there a path from `u` to `w`
/// avoiding the node being contracted that is no longer than the path through it?
struct Witness {
    dist: Vec<u32>,
    hops: Vec<u8>,
    /// The heads of the contracted node's out-arcs.
    target: Vec<bool>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
}

impl Witness {
    /// Tentative distances from `from` avoiding `skip`, settling nodes up to cost `limit`, at
    /// most `max.0` of them and at most `max.1` arcs from `from`, until `targets` targets are
    /// settled. Every finite distance is the length of a real path.
    fn run(&mut self, out: &[Vec<Arc>], from: u32, skip: u32, limit: u32, max: (usize, u8), mut targets: usize) {
        for &v in &self.touched {
            self.dist[v as usize] = INF;
        }
        self.touched.clear();
        self.heap.clear();
        self.dist[from as usize] = 0;
        self.hops[from as usize] = 0;
        self.touched.push(from);
        self.heap.push(Reverse((0, from)));
        let mut settled = 0;
        while let Some(Reverse((d, x))) = self.heap.pop() {
            if d > self.dist[x as usize] {
                continue;
            }
            settled += 1;
            if d >= limit || settled > max.0 {
                break;
            }
            if self.target[x as usize] && x != from {
                targets -= 1;
                if targets == 0 {
                    break;
                }
            }
            let hops = self.hops[x as usize] + 1;
            if hops > max.1 {
                continue;
            }
            for a in &out[x as usize] {
                if a.head == skip {
                    continue;
                }
                let cand = d + a.w;
                let slot = &mut self.dist[a.head as usize];
                if cand < *slot {
                    if *slot == INF {
                        self.touched.push(a.head);
                    }
                    *slot = cand;
                    self.hops[a.head as usize] = hops;
                    self.heap.push(Reverse((cand, a.head)));
                }
            }
        }
    }
}

/// The graph being contracted: the arcs between nodes not yet contracted, both ways.
struct Remaining {
    out: Vec<Vec<Arc>>,
    inc: Vec<Vec<Arc>>,
    witness: Witness,
    shortcuts: Vec<(u32, u32, u32)>,
}

impl Remaining {
    /// The shortcuts contracting `v` needs (into `self.shortcuts`): `(tail, head, weight)`.
    fn shortcuts_for(&mut self, v: u32, max: (usize, u8)) {
        self.shortcuts.clear();
        let (out, inc) = (&self.out, &self.inc);
        for b in &out[v as usize] {
            self.witness.target[b.head as usize] = true;
        }
        for a in &inc[v as usize] {
            let u = a.head;
            // Paths of INF units or more count as no path.
            let candidates = || out[v as usize].iter().filter(|b| b.head != u && a.w + b.w < INF);
            let Some(limit) = candidates().map(|b| a.w + b.w).max() else { continue };
            let targets = out[v as usize].iter().filter(|b| b.head != u).count();
            self.witness.run(out, u, v, limit, max, targets);
            for b in candidates() {
                let c = a.w + b.w;
                if self.witness.dist[b.head as usize] > c {
                    self.shortcuts.push((u, b.head, c));
                }
            }
        }
        for b in &out[v as usize] {
            self.witness.target[b.head as usize] = false;
        }
    }

    /// How late to contract `v`: shortcuts per removed arc, and how deep the hierarchy already
    /// is around it.
    fn priority(&mut self, v: u32, depth: u32) -> i64 {
        self.shortcuts_for(v, ESTIMATE);
        let removed = (self.out[v as usize].len() + self.inc[v as usize].len()).max(1) as i64;
        let added = self.shortcuts.len() as i64;
        2000 * added / removed + 1000 * i64::from(depth)
    }

    fn add_arc(&mut self, tail: u32, head: u32, w: u32) {
        if let Some(a) = self.out[tail as usize].iter_mut().find(|a| a.head == head) {
            if w < a.w {
                a.w = w;
                if let Some(b) = self.inc[head as usize].iter_mut().find(|b| b.head == tail) {
                    b.w = w;
                }
            }
            return;
        }
        self.out[tail as usize].push(Arc { head, w });
        self.inc[head as usize].push(Arc { head: tail, w });
    }
}

/// Contracts every node of the graph, least important first; returns each node's rank and the
/// upward graphs over ranks.
fn contract(graph: &RoadGraph, units: impl Fn(f32) -> u32) -> (Vec<u32>, Upward, Upward) {
    let n = graph.node_count();
    let mut g = Remaining {
        out: vec![Vec::new(); n],
        inc: vec![Vec::new(); n],
        witness: Witness {
            dist: vec![INF; n],
            hops: vec![0; n],
            target: vec![false; n],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        },
        shortcuts: Vec::new(),
    };
    for v in 0..n as u32 {
        for (h, t) in graph.out_edges(v) {
            if h != v {
                g.add_arc(v, h, units(t));
            }
        }
    }
    let mut depth = vec![0u32; n];
    let mut priority: Vec<i64> = (0..n as u32).map(|v| g.priority(v, 0)).collect();
    let mut queue: BinaryHeap<Reverse<(i64, u32)>> =
        (0..n as u32).map(|v| Reverse((priority[v as usize], v))).collect();
    let mut contracted = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut forward = Upward { first: vec![0], arcs: Vec::new() };
    let mut backward = Upward { first: vec![0], arcs: Vec::new() };
    let mut neighbours = Vec::new();
    while let Some(Reverse((p, v))) = queue.pop() {
        if contracted[v as usize] || p != priority[v as usize] {
            continue;
        }
        // Lazy update: contract only if still the least important.
        let fresh = g.priority(v, depth[v as usize]);
        if let Some(Reverse((next, _))) = queue.peek()
            && fresh > *next
        {
            priority[v as usize] = fresh;
            queue.push(Reverse((fresh, v)));
            continue;
        }
        g.shortcuts_for(v, WITNESS);
        contracted[v as usize] = true;
        order.push(v);
        forward.arcs.extend_from_slice(&g.out[v as usize]);
        forward.first.push(forward.arcs.len() as u32);
        backward.arcs.extend_from_slice(&g.inc[v as usize]);
        backward.first.push(backward.arcs.len() as u32);
        neighbours.clear();
        let out_v = std::mem::take(&mut g.out[v as usize]);
        let inc_v = std::mem::take(&mut g.inc[v as usize]);
        for a in &out_v {
            g.inc[a.head as usize].retain(|b| b.head != v);
            neighbours.push(a.head);
        }
        for a in &inc_v {
            g.out[a.head as usize].retain(|b| b.head != v);
            neighbours.push(a.head);
        }
        let shortcuts = std::mem::take(&mut g.shortcuts);
        for &(tail, head, w) in &shortcuts {
            g.add_arc(tail, head, w);
        }
        g.shortcuts = shortcuts;
        neighbours.sort_unstable();
        neighbours.dedup();
        for &x in &neighbours {
            depth[x as usize] = depth[x as usize].max(depth[v as usize] + 1);
            // Cheap to re-estimate now; a busier node is re-estimated when it comes up.
            if g.out[x as usize].len() + g.inc[x as usize].len() <= UPDATE_DEGREE {
                let p = g.priority(x, depth[x as usize]);
                priority[x as usize] = p;
                queue.push(Reverse((p, x)));
            }
        }
    }
    let mut rank = vec![0u32; n];
    for (r, &v) in order.iter().enumerate() {
        rank[v as usize] = r as u32;
    }
    for a in forward.arcs.iter_mut().chain(backward.arcs.iter_mut()) {
        a.head = rank[a.head as usize];
    }
    (rank, forward, backward)
}

/// An upper bound on the travel time between any two nodes of the main network, seconds:
/// `d(u, v) <= d(u, r) + d(r, v)` for a node `r` of it.
fn distance_bound_s(graph: &RoadGraph) -> f64 {
    let Some(r) = (graph.node_count() > 0).then(|| graph.nearest_node(graph.node(0))).flatten() else {
        return 0.0;
    };
    let mut search = Search::new(graph.node_count());
    let mut far = 0.0;
    for reverse in [false, true] {
        search.run(graph, r, reverse, |_| false);
        far += search.touched.iter().map(|&v| search.dist[v as usize]).fold(0.0, f64::max);
        search.reset();
    }
    far
}

/// A plain Dijkstra (binary heap, lazy deletion) accumulating the graph's `f32` edge times in
/// `f64`, with the hop count of the path it finds; reusable, resetting only what it touched.
struct Search {
    dist: Vec<f64>,
    hops: Vec<u32>,
    touched: Vec<u32>,
    heap: BinaryHeap<HeapItem<f64>>,
}

impl Search {
    fn new(n: usize) -> Self {
        Self { dist: vec![f64::INFINITY; n], hops: vec![0; n], touched: Vec::new(), heap: BinaryHeap::new() }
    }

    /// Settles nodes in order of distance from `from` (to it, if `reverse`) until `stop` says so
    /// for a settled node or none are left.
    fn run(&mut self, graph: &RoadGraph, from: u32, reverse: bool, mut stop: impl FnMut(u32) -> bool) {
        self.dist[from as usize] = 0.0;
        self.hops[from as usize] = 0;
        self.touched.push(from);
        self.heap.push(HeapItem(0.0, from));
        while let Some(HeapItem(cost, v)) = self.heap.pop() {
            if cost > self.dist[v as usize] {
                continue;
            }
            if stop(v) {
                return;
            }
            let hops = self.hops[v as usize] + 1;
            let mut relax = |(w, time_s): (u32, f32)| {
                let cand = cost + f64::from(time_s);
                if cand < self.dist[w as usize] {
                    if self.dist[w as usize].is_infinite() {
                        self.touched.push(w);
                    }
                    self.dist[w as usize] = cand;
                    self.hops[w as usize] = hops;
                    self.heap.push(HeapItem(cand, w));
                }
            };
            if reverse { graph.in_edges(v).for_each(&mut relax) } else { graph.out_edges(v).for_each(&mut relax) }
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.dist[v as usize] = f64::INFINITY;
        }
        self.touched.clear();
        self.heap.clear();
    }
}

/// The plain reference with the hop count of each route: one forward Dijkstra per source,
/// stopping when the target is settled; `(seconds, edges)`.
pub fn dijkstra_per_source_hops(graph: &RoadGraph, target: [f64; 2], sources: &[[f64; 2]]) -> Vec<Option<(f32, u32)>> {
    let Some(t) = graph.nearest_node(target) else {
        return vec![None; sources.len()];
    };
    let nodes: Vec<Option<u32>> = sources.iter().map(|&p| graph.nearest_node(p)).collect();
    dijkstra_between(graph, t, &nodes)
}

fn dijkstra_between(graph: &RoadGraph, target: u32, sources: &[Option<u32>]) -> Vec<Option<(f32, u32)>> {
    let mut search = Search::new(graph.node_count());
    sources
        .iter()
        .map(|&s| {
            search.run(graph, s?, false, |v| v == target);
            let (d, hops) = (search.dist[target as usize], search.hops[target as usize]);
            search.reset();
            d.is_finite().then_some((d as f32, hops))
        })
        .collect()
}

/// The plain reference: one Dijkstra per source (forward, stopping at the target), travel
/// seconds accumulated in `f64`.
pub fn dijkstra_per_source(graph: &RoadGraph, target: [f64; 2], sources: &[[f64; 2]]) -> Vec<Option<f32>> {
    dijkstra_per_source_hops(graph, target, sources).into_iter().map(|r| r.map(|(t, _)| t)).collect()
}

/// One reverse Dijkstra from the target that stops as soon as every source's node is settled
/// (exact; with units spread over a city it settles most of the graph).
pub fn reverse_dijkstra_until_settled(graph: &RoadGraph, target: [f64; 2], sources: &[[f64; 2]]) -> Vec<Option<f32>> {
    let Some(t) = graph.nearest_node(target) else {
        return vec![None; sources.len()];
    };
    let snapped: Vec<Option<u32>> = sources.iter().map(|&p| graph.nearest_node(p)).collect();
    let mut wanted = vec![false; graph.node_count()];
    let mut left = 0usize;
    for &v in snapped.iter().flatten() {
        if !wanted[v as usize] {
            wanted[v as usize] = true;
            left += 1;
        }
    }
    let mut search = Search::new(graph.node_count());
    search.run(graph, t, true, |v| {
        if wanted[v as usize] {
            left -= 1;
        }
        left == 0
    });
    snapped
        .iter()
        .map(|v| {
            let d = search.dist[(*v)? as usize];
            d.is_finite().then_some(d as f32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::LonLat;
    use crate::generate::SplitMix64;
    use crate::model::{CityModel, Road, RoadClass};

    /// Dijkstra on the hierarchy's rounded integer weights, with the hop count of its route.
    fn integer_dijkstra(ranker: &Ranker, graph: &RoadGraph, s: u32, t: u32) -> Option<(u64, u32)> {
        let mut dist = vec![(u64::MAX, 0u32); graph.node_count()];
        let mut heap = BinaryHeap::new();
        dist[s as usize] = (0, 0);
        heap.push(std::cmp::Reverse((0u64, s)));
        while let Some(std::cmp::Reverse((d, v))) = heap.pop() {
            if v == t {
                return Some(dist[v as usize]);
            }
            if d > dist[v as usize].0 {
                continue;
            }
            for (w, time_s) in graph.out_edges(v) {
                let cand = d + u64::from(ranker.units(time_s));
                if cand < dist[w as usize].0 {
                    dist[w as usize] = (cand, dist[v as usize].1 + 1);
                    heap.push(std::cmp::Reverse((cand, w)));
                }
            }
        }
        None
    }

    /// Checks the ranker on graph nodes: exactly the integer Dijkstra on its own weights, and the
    /// plain Dijkstra within half a unit per edge of the longer of the two routes plus the `f32`
    /// rounding of both; reachability exactly as Dijkstra's; method (a) too. Returns the number
    /// of finite and of unreachable pairs.
    fn check(ranker: &Ranker, graph: &RoadGraph, t: u32, sources: &[Option<u32>]) -> (usize, usize) {
        let got = ranker.times_between(t, sources);
        let want = dijkstra_between(graph, t, sources);
        assert_eq!(got.len(), sources.len());
        let (mut finite, mut unreachable) = (0, 0);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let ints = sources[i].and_then(|s| integer_dijkstra(ranker, graph, s, t));
            assert_eq!(g.is_some(), w.is_some(), "source {i}: {g:?} vs {w:?}");
            assert_eq!(g.is_some(), ints.is_some(), "source {i}");
            let (Some(g), Some((w, hops)), Some((units, int_hops))) = (*g, *w, ints) else {
                unreachable += usize::from(sources[i].is_some());
                continue;
            };
            assert_eq!(g, (units as f64 * ranker.resolution_s()) as f32, "source {i}");
            let tol = 0.5 * ranker.resolution_s() * f64::from(hops.max(int_hops))
                + (f64::from(g) + f64::from(w)) * f64::from(f32::EPSILON)
                + 1e-9;
            assert!((f64::from(g) - f64::from(w)).abs() <= tol, "source {i}: {g} vs {w} ({hops} edges, tol {tol})");
            finite += 1;
        }
        (finite, unreachable)
    }

    /// Method (a) agrees with the plain Dijkstra (both sum `f64`, in different orders).
    fn check_reverse(graph: &RoadGraph, target: [f64; 2], sources: &[[f64; 2]]) {
        let a = reverse_dijkstra_until_settled(graph, target, sources);
        let plain = dijkstra_per_source(graph, target, sources);
        for (x, y) in a.iter().zip(&plain) {
            match (x, y) {
                (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-5 * y.abs() + 1e-6, "{x} vs {y}"),
                _ => assert_eq!(x, y),
            }
        }
    }

    fn random_city(rng: &mut SplitMix64, points: usize, roads: usize, oneway_share: f64) -> CityModel {
        let mut city = CityModel::empty("t", LonLat::new(0.0, 0.0));
        // Points on a coarse lattice so that roads share vertices (intersections).
        let pts: Vec<[f64; 2]> =
            (0..points).map(|_| [rng.range(0.0, 20.0).floor() * 50.0, rng.range(0.0, 20.0).floor() * 50.0]).collect();
        let classes = [RoadClass::Primary, RoadClass::Residential, RoadClass::Service, RoadClass::Motorway];
        for id in 0..roads {
            let len = 2 + (rng.next_u64() % 4) as usize;
            let points = (0..len).map(|_| pts[(rng.next_u64() % points as u64) as usize]).collect();
            let class = classes[(rng.next_u64() % classes.len() as u64) as usize];
            let oneway = rng.unit() < oneway_share;
            city.roads.push(Road { id: id as i64, class, points, name: None, oneway, tunnel: false });
        }
        city
    }

    #[test]
    fn equals_dijkstra_on_random_graphs_with_one_way_streets() {
        let mut rng = SplitMix64::new(42);
        let (mut finite, mut unreachable) = (0, 0);
        for round in 0..40 {
            let city = random_city(&mut rng, 30 + round * 5, 15 + round * 3, 0.5);
            let graph = RoadGraph::from_city(&city);
            let ranker = Ranker::new(&graph);
            let n = graph.node_count() as u64;
            let node = |rng: &mut SplitMix64| (rng.next_u64() % n) as u32;
            for _ in 0..4 {
                // Any nodes, outside the main network too: one-way spurs and islands.
                let t = node(&mut rng);
                // Few sources, and enough for the top of the hierarchy to be swept whole.
                let count = if rng.unit() < 0.5 { 40 } else { WHOLE_TOP_SOURCES + 30 };
                let mut sources: Vec<Option<u32>> = (0..count).map(|_| Some(node(&mut rng))).collect();
                sources.push(None);
                let (f, u) = check(&ranker, &graph, t, &sources);
                finite += f;
                unreachable += u;
                // Points, snapped to the main network: all reachable.
                let target = [rng.range(-100.0, 1100.0), rng.range(-100.0, 1100.0)];
                let points: Vec<[f64; 2]> =
                    (0..40).map(|_| [rng.range(-100.0, 1100.0), rng.range(-100.0, 1100.0)]).collect();
                let t = graph.nearest_node(target).expect("snaps");
                let snapped: Vec<Option<u32>> = points.iter().map(|&p| graph.nearest_node(p)).collect();
                assert_eq!(ranker.times_to(target, &points), ranker.times_between(t, &snapped));
                let (f, u) = check(&ranker, &graph, t, &snapped);
                assert_eq!(u, 0);
                finite += f;
                check_reverse(&graph, target, &points);
            }
        }
        assert!(finite > 4000 && unreachable > 300, "{finite} finite, {unreachable} unreachable");
    }

    #[test]
    fn a_single_route_time_keeps_the_fleets_selection() {
        let mut rng = SplitMix64::new(3);
        let city = random_city(&mut rng, 200, 150, 0.3);
        let graph = RoadGraph::from_city(&city);
        let ranker = Ranker::new(&graph);
        let fleet: Vec<[f64; 2]> =
            (0..WHOLE_TOP_SOURCES * 2).map(|_| [rng.range(0.0, 1000.0), rng.range(0.0, 1000.0)]).collect();
        let target = [500.0, 500.0];
        let first = ranker.times_to(target, &fleet);
        let key = |ranker: &Ranker| ranker.last_selection.lock().expect("lock").as_ref().map(|s| s.key.len());
        assert_eq!(key(&ranker), Some(fleet.len()));
        let one = ranker.times_to(target, &fleet[..1]);
        assert_eq!(one[0], first[0]);
        assert_eq!(key(&ranker), Some(fleet.len()));
        assert_eq!(ranker.times_to(target, &fleet), first);
    }

    #[test]
    fn one_way_streets_give_asymmetric_times() {
        let mut city = CityModel::empty("t", LonLat::new(0.0, 0.0));
        let road = |id, points: Vec<[f64; 2]>, oneway| Road {
            id,
            class: RoadClass::Residential,
            points,
            name: None,
            oneway,
            tunnel: false,
        };
        // A one-way shortcut east, and a long two-way detour (as in routing's tests).
        city.roads.push(road(1, vec![[0.0, 0.0], [100.0, 0.0]], true));
        city.roads.push(road(2, vec![[0.0, 0.0], [0.0, 100.0], [100.0, 100.0], [100.0, 0.0]], false));
        let graph = RoadGraph::from_city(&city);
        let ranker = Ranker::new(&graph);
        let speed = crate::routing::speed_mps(RoadClass::Residential);
        let east = ranker.times_to([100.0, 0.0], &[[0.0, 0.0]])[0].expect("east");
        let west = ranker.times_to([0.0, 0.0], &[[100.0, 0.0]])[0].expect("west");
        assert!((east - 100.0 / speed).abs() < 1e-3, "{east}");
        assert!((west - 300.0 / speed).abs() < 1e-3, "{west}");
    }

    #[test]
    fn snapping_grid_matches_nearest_node() {
        let mut rng = SplitMix64::new(11);
        for round in 0..10 {
            let city = random_city(&mut rng, 40 + round * 10, 20 + round * 5, 0.3);
            let graph = RoadGraph::from_city(&city);
            let grid = SnapGrid::new(&graph).expect("a grid");
            for _ in 0..300 {
                let p = [rng.range(-3000.0, 4000.0), rng.range(-3000.0, 4000.0)];
                assert_eq!(grid.nearest(p), graph.nearest_node(p), "{p:?}");
            }
            // Exactly between lattice points: ties are broken the same way.
            for _ in 0..300 {
                let p = [rng.range(0.0, 20.0).floor() * 25.0, rng.range(0.0, 20.0).floor() * 25.0];
                assert_eq!(grid.nearest(p), graph.nearest_node(p), "{p:?}");
            }
        }
    }

    #[test]
    fn nothing_to_snap_to_gives_none() {
        let empty = Ranker::new(&RoadGraph::default());
        assert_eq!(empty.times_to([0.0, 0.0], &[[1.0, 1.0], [2.0, 2.0]]), vec![None, None]);
        assert_eq!(dijkstra_per_source(&RoadGraph::default(), [0.0, 0.0], &[[1.0, 1.0]]), vec![None]);
        assert_eq!(reverse_dijkstra_until_settled(&RoadGraph::default(), [0.0, 0.0], &[[1.0, 1.0]]), vec![None]);
    }

    #[test]
    fn equals_dijkstra_on_the_helsinki_demo_city() {
        let city = crate::osm::import_pbf_bytes(
            crate::load::HELSINKI_PBF,
            std::path::Path::new("helsinki"),
            &Default::default(),
        )
        .expect("the demo city imports");
        let graph = RoadGraph::from_city(&city);
        let ranker = Ranker::new(&graph);
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for v in 0..graph.node_count() as u32 {
            let p = graph.node(v);
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
        }
        let mut rng = SplitMix64::new(5);
        let mut point = || [rng.range(lo[0], hi[0]), rng.range(lo[1], hi[1])];
        let units: Vec<[f64; 2]> = (0..200).map(|_| point()).collect();
        let snapped: Vec<Option<u32>> = units.iter().map(|&p| graph.nearest_node(p)).collect();
        let mut finite = 0;
        for _ in 0..3 {
            let target = point();
            let t = graph.nearest_node(target).expect("snaps");
            let ranked = ranker.times_to(target, &units);
            assert_eq!(ranked, ranker.times_between(t, &snapped));
            let plain = dijkstra_per_source(&graph, target, &units);
            assert!(ranked.iter().zip(&plain).all(|(r, p)| match (r, p) {
                (Some(r), Some(p)) => (r - p).abs() < 0.01,
                _ => false,
            }));
            let (f, u) = check(&ranker, &graph, t, &snapped);
            assert_eq!(u, 0);
            finite += f;
        }
        assert_eq!(finite, 600);
        check_reverse(&graph, point(), &units);
    }
}
