//! Where and when incidents arrive, so that there is something real for the defence hub to find:
//! each grid area has its own rate (log-normal: a few grids are much busier than most) and its
//! own mix of categories; the city follows a daily rhythm in Asia/Shanghai time (trough about
//! 04:00, peaks late morning and evening); a few natural hot spots drift to a neighbouring grid
//! every few hours; and a knob injects a hot spot at a chosen grid.
//!
//! The rate of grid `g` and category `c` at time `t`, per minute:
//!
//! `R · rhythm(t) · w_g · m_gc · h_gc(t) / Z(t) · i_gc`
//!
//! with `R` the city-wide mean (`SimConfig::incidents_per_minute`), `w_g` the grid's share (sums
//! to 1; 0 for a grid with no road), `m_gc` its category mix (sums to 1), `h_gc` the natural
//! hot spots' factor, `Z = Σ w_g m_gc h_gc` (natural hot spots move incidents, they do not add
//! any, so `R` stays the mean) and `i_gc` an injected factor (this one adds). The same model makes
//! the past up at start ([`Arrivals::backfill`]), hour by hour and grid by grid, Poisson.
//!
//! An incident sits on a road inside its grid: a road node, or a point along a road between
//! nodes (every [`ROAD_STEP_M`]), since a street may cross a grid with no node in it. A grid with
//! no road at all (water, a park) gets no incident.

use std::collections::HashMap;

use super::SimError;
use crate::frame::LocalFrame;
use crate::generate::SplitMix64;
use crate::model::Bounds;
use crate::protocol::{Area, AreaLevel, IncidentCategory, Millis};
use crate::routing::RoadGraph;

/// Categories, in the protocol's order ([`IncidentCategory::ALL`]).
pub(super) const CATEGORIES: usize = IncidentCategory::ALL.len();

/// The city-wide share of each category, in the protocol's order (`other` is not simulated).
const CITY_MIX: [f64; CATEGORIES] = [0.22, 0.15, 0.04, 0.14, 0.20, 0.12, 0.05, 0.08, 0.0];

/// Spread of the grids' rates: `w_g ∝ exp(σ z)`, z standard normal.
const GRID_SIGMA: f64 = 0.8;
/// Spread of a grid's category mix around the city's: `m_gc ∝ CITY_MIX_c · exp(σ z)`.
const MIX_SIGMA: f64 = 0.3;
/// Natural hot spots: how many, their factor on one category, how long one stays in a grid.
const NATURAL_HOTSPOTS: usize = 3;
const NATURAL_FACTOR: f64 = 2.0;
const NATURAL_STAY_MS: (f64, f64) = (2.0 * HOUR_MS as f64, 6.0 * HOUR_MS as f64);
/// Spacing of the places along a road where an incident may sit, metres.
pub const ROAD_STEP_M: f64 = 50.0;
/// The largest factor an injected hot spot may have.
pub const MAX_HOTSPOT_FACTOR: f64 = 1000.0;

const HOUR_MS: Millis = 3_600_000;
/// Asia/Shanghai is UTC+8 all year.
const SHANGHAI_OFFSET_MS: Millis = 8 * HOUR_MS;

/// The daily rhythm at `t`: the rate's factor at that time of day in Asia/Shanghai, smooth, least
/// about 04:00 (0.37), most late morning (1.45 about 10:30) and evening (1.58 about 20:00), mean 1
/// over a day.
pub fn daily_rhythm(t: Millis) -> f64 {
    let hour = (t + SHANGHAI_OFFSET_MS).rem_euclid(24 * HOUR_MS) as f64 / HOUR_MS as f64;
    raw_rhythm(hour) / rhythm_mean()
}

fn raw_rhythm(hour: f64) -> f64 {
    let bump = |centre: f64, sigma: f64| {
        let d = (hour - centre).rem_euclid(24.0);
        let d = d.min(24.0 - d);
        (-d * d / (2.0 * sigma * sigma)).exp()
    };
    0.25 + bump(10.5, 2.5) + 1.1 * bump(20.0, 3.0)
}

/// The mean of [`raw_rhythm`] over a day, minute by minute.
fn rhythm_mean() -> f64 {
    static MEAN: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *MEAN.get_or_init(|| (0..1440).map(|m| raw_rhythm(m as f64 / 60.0)).sum::<f64>() / 1440.0)
}

/// A hot spot injected with [`Simulation::inject_hotspot`](super::Simulation::inject_hotspot) or
/// given at start in [`SimConfig::hotspots`](super::SimConfig::hotspots): from then on the grid's
/// rate (of one category, or of all) is multiplied by `factor`.
#[derive(Clone, Debug, PartialEq)]
pub struct InjectedHotspot {
    pub grid_id: String,
    /// `None`: every category.
    pub category: Option<IncidentCategory>,
    pub factor: f64,
}

/// One grid area as the rate model sees it.
pub(super) struct GridCell {
    pub(super) id: String,
    /// The name of the district it lies in.
    pub(super) district: String,
    row: usize,
    col: usize,
    /// Its share of the city's incidents (0 without roads).
    weight: f64,
    mix: [f64; CATEGORIES],
    /// Places on its roads (local metres): the road nodes inside it and points along the roads.
    places: Vec<[f64; 2]>,
}

struct NaturalHotspot {
    grid: usize,
    category: usize,
    move_at: Millis,
}

pub(super) struct Arrivals {
    pub(super) grids: Vec<GridCell>,
    index: HashMap<String, usize>,
    side: usize,
    natural: Vec<NaturalHotspot>,
    /// (grid, category or all, factor).
    injected: Vec<(usize, Option<usize>, f64)>,
    /// Cumulative cell weights with every factor, grid-major.
    cumulative: Vec<f64>,
    /// `Z`: the weights' sum without the injected factors.
    norm: f64,
    rate_per_minute: f64,
    rng: SplitMix64,
}

/// A made-up incident of the past.
pub(super) struct PastIncident {
    pub(super) grid: usize,
    pub(super) category: IncidentCategory,
    pub(super) severity: u8,
    /// Where, local metres.
    pub(super) at: [f64; 2],
    pub(super) reported_at: Millis,
    pub(super) closed_at: Millis,
}

fn normal(rng: &mut SplitMix64) -> f64 {
    // Box-Muller; 1 - u keeps the logarithm finite.
    let (u, v) = (1.0 - rng.unit(), rng.unit());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A Poisson count of mean `lambda`: by inversion, in pieces of at most 30 for large means.
pub(super) fn poisson(rng: &mut SplitMix64, lambda: f64) -> u64 {
    let mut left = if lambda.is_finite() { lambda.max(0.0) } else { 0.0 };
    let mut k = 0;
    while left > 0.0 {
        let l = left.min(30.0);
        left -= l;
        let u = rng.unit();
        let mut p = (-l).exp();
        let mut cum = p;
        let mut i = 0;
        while u > cum && i < 1000 {
            i += 1;
            p *= l / i as f64;
            cum += p;
        }
        k += i;
    }
    k
}

impl Arrivals {
    /// The model for the grid areas of `areas` (a square partition of `bounds`, row by row, as
    /// `populate::grid_areas` makes them), with the places on the roads inside each. Natural hot spots
    /// start at `since` (the start of the made-up past).
    pub(super) fn new(
        graph: &RoadGraph,
        frame: &LocalFrame,
        areas: &[Area],
        bounds: Bounds,
        rate_per_minute: f64,
        seed: u64,
        since: Millis,
    ) -> Self {
        let mut rng = SplitMix64::new(seed ^ 0x6172_7269_7661_6C73);
        let by_id: HashMap<&str, &Area> = areas.iter().map(|a| (a.id.as_str(), a)).collect();
        let district_of = |a: &Area| {
            let mut at = Some(a);
            while let Some(x) = at {
                if x.level == AreaLevel::District {
                    return x.name.clone();
                }
                at = x.parent_id.as_deref().and_then(|p| by_id.get(p).copied());
            }
            String::new()
        };
        let grid_areas: Vec<&Area> = areas.iter().filter(|a| a.level == AreaLevel::Grid).collect();
        let side = (grid_areas.len() as f64).sqrt().round() as usize;
        // A square partition of `bounds` row by row, as `grid_areas` cuts it; grids cut from real
        // districts (`admin_areas`) are found by their rings instead.
        let regular = side > 0
            && grid_areas.len() == side * side
            && !bounds.is_empty()
            && grid_areas.iter().enumerate().all(|(k, a)| {
                let size = bounds.size();
                let corner = frame.to_lonlat([
                    bounds.min[0] + size[0] * (k % side) as f64 / side as f64,
                    bounds.min[1] + size[1] * (k / side) as f64 / side as f64,
                ]);
                a.ring.len() == 4
                    && (a.ring[0][0] - corner.lon).abs() < 1e-7
                    && (a.ring[0][1] - corner.lat).abs() < 1e-7
            });
        let mut grids: Vec<GridCell> = grid_areas
            .iter()
            .enumerate()
            .map(|(k, a)| GridCell {
                id: a.id.clone(),
                district: district_of(a),
                row: if regular { k / side } else { 0 },
                col: if regular { k % side } else { k },
                weight: 0.0,
                mix: [0.0; CATEGORIES],
                places: Vec::new(),
            })
            .collect();
        if regular {
            // Each place goes to the grid whose ring holds it (where an incident's grid_id comes
            // from), looked for first where the partition puts it, then around.
            let size = bounds.size();
            for p in road_places(graph) {
                let cell =
                    |v: f64, lo: f64, w: f64| (((v - lo) / w * side as f64).floor().max(0.0) as usize).min(side - 1);
                let (row, col) = (cell(p[1], bounds.min[1], size[1]), cell(p[0], bounds.min[0], size[0]));
                let ll = frame.to_lonlat(p);
                let holds = |k: usize| crate::model::ring_contains(&grid_areas[k].ring, [ll.lon, ll.lat]);
                let found = neighbourhood(row, col, side, true).into_iter().find(|&k| holds(k));
                if let Some(k) = found {
                    grids[k].places.push(p);
                }
            }
        } else if !grid_areas.is_empty() {
            let index = crate::ring::ContainIndex::new(grid_areas.iter().map(|a| a.ring.as_slice()));
            for p in road_places(graph) {
                let ll = frame.to_lonlat(p);
                if let Some(k) = index.first_containing([ll.lon, ll.lat]) {
                    grids[k].places.push(p);
                }
            }
        }
        for g in &mut grids {
            let z = normal(&mut rng);
            g.weight = if g.places.is_empty() { 0.0 } else { (GRID_SIGMA * z).exp() };
            for (c, share) in CITY_MIX.iter().enumerate() {
                g.mix[c] = share * (MIX_SIGMA * normal(&mut rng)).exp();
            }
            let sum: f64 = g.mix.iter().sum();
            g.mix.iter_mut().for_each(|m| *m /= sum.max(f64::MIN_POSITIVE));
        }
        let total: f64 = grids.iter().map(|g| g.weight).sum();
        if total > 0.0 {
            grids.iter_mut().for_each(|g| g.weight /= total);
        }
        let index = grids.iter().enumerate().map(|(k, g)| (g.id.clone(), k)).collect();
        let mut arrivals = Self {
            grids,
            index,
            side: if regular { side } else { 0 },
            natural: Vec::new(),
            injected: Vec::new(),
            cumulative: Vec::new(),
            norm: 1.0,
            rate_per_minute,
            rng,
        };
        if total > 0.0 {
            for _ in 0..NATURAL_HOTSPOTS {
                let grid = arrivals.pick_grid();
                let category = arrivals.pick_category(grid);
                let move_at = since + arrivals.stay_ms();
                arrivals.natural.push(NaturalHotspot { grid, category, move_at });
            }
        }
        arrivals.rebuild();
        arrivals
    }

    /// Whether incidents can be placed by grid (the city has grids with roads).
    pub(super) fn is_active(&self) -> bool {
        self.cumulative.last().is_some_and(|w| *w > 0.0)
    }

    pub(super) fn grid_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    fn stay_ms(&mut self) -> Millis {
        self.rng.range(NATURAL_STAY_MS.0, NATURAL_STAY_MS.1) as Millis
    }

    /// A grid with a chance proportional to its weight.
    fn pick_grid(&mut self) -> usize {
        let mut u = self.rng.unit();
        for (k, g) in self.grids.iter().enumerate() {
            if u < g.weight {
                return k;
            }
            u -= g.weight;
        }
        self.grids.iter().rposition(|g| g.weight > 0.0).unwrap_or(0)
    }

    fn pick_category(&mut self, grid: usize) -> usize {
        let mut u = self.rng.unit();
        let mix = self.grids[grid].mix;
        for (c, m) in mix.iter().enumerate() {
            if u < *m {
                return c;
            }
            u -= m;
        }
        0
    }

    fn natural_factor(&self, grid: usize, category: usize) -> f64 {
        self.natural.iter().filter(|h| h.grid == grid && h.category == category).map(|_| NATURAL_FACTOR).product()
    }

    fn injected_factor(&self, grid: usize, category: usize) -> f64 {
        self.injected.iter().filter(|(g, c, _)| *g == grid && c.is_none_or(|c| c == category)).map(|h| h.2).product()
    }

    /// Recomputes the cumulative weights and `Z` after a hot spot moved or was injected.
    fn rebuild(&mut self) {
        self.cumulative.clear();
        self.cumulative.reserve(self.grids.len() * CATEGORIES);
        let (mut sum, mut norm) = (0.0, 0.0);
        for g in 0..self.grids.len() {
            for c in 0..CATEGORIES {
                let base = self.grids[g].weight * self.grids[g].mix[c] * self.natural_factor(g, c);
                norm += base;
                sum += base * self.injected_factor(g, c);
                self.cumulative.push(sum);
            }
        }
        self.norm = if norm > 0.0 { norm } else { 1.0 };
    }

    /// Moves the natural hot spots whose time has come, each to a neighbouring grid with roads.
    fn advance_hotspots(&mut self, now: Millis) {
        let mut moved = false;
        for i in 0..self.natural.len() {
            while self.natural[i].move_at <= now {
                let h = &self.natural[i];
                let (row, col) = (self.grids[h.grid].row, self.grids[h.grid].col);
                let around: Vec<usize> = if self.side > 0 {
                    neighbourhood(row, col, self.side, false)
                        .into_iter()
                        .filter(|&k| self.grids[k].weight > 0.0)
                        .collect()
                } else {
                    Vec::new()
                };
                if !around.is_empty() {
                    self.natural[i].grid = around[(self.rng.next_u64() % around.len() as u64) as usize];
                }
                let stay = self.stay_ms();
                self.natural[i].move_at += stay;
                moved = true;
            }
        }
        if moved {
            self.rebuild();
        }
    }

    /// Incidents per millisecond at `t`, city-wide, with every factor.
    fn rate_per_ms(&self, t: Millis) -> f64 {
        let sum = self.cumulative.last().copied().unwrap_or(0.0);
        self.rate_per_minute / 60_000.0 * daily_rhythm(t) * sum / self.norm
    }

    /// How many incidents arrive in `(now - dt_ms, now]` (Poisson), after moving the hot spots.
    pub(super) fn count(&mut self, now: Millis, dt_ms: Millis) -> u64 {
        self.advance_hotspots(now);
        let expected = self.rate_per_ms(now - dt_ms / 2) * dt_ms.max(0) as f64;
        poisson(&mut self.rng, expected)
    }

    /// Where the next incident arrives: a grid and category by their rates now, and a place on a
    /// road inside that grid (local metres). `None` when no grid has roads.
    pub(super) fn place(&mut self) -> Option<(usize, IncidentCategory, [f64; 2])> {
        let total = *self.cumulative.last().filter(|w| **w > 0.0)?;
        let u = self.rng.unit() * total;
        let cell = self.cumulative.partition_point(|w| *w <= u).min(self.cumulative.len() - 1);
        let (grid, category) = (cell / CATEGORIES, cell % CATEGORIES);
        let at = self.place_in(grid)?;
        Some((grid, IncidentCategory::ALL[category], at))
    }

    fn place_in(&mut self, grid: usize) -> Option<[f64; 2]> {
        let places = &self.grids[grid].places;
        let i = (self.rng.next_u64() % places.len().max(1) as u64) as usize;
        places.get(i).copied()
    }

    /// Injects a hot spot: from now on `grid`'s rate (of `category`, or of all) is multiplied by
    /// `factor`, replacing an earlier injection for the same grid and category.
    pub(super) fn inject(
        &mut self,
        grid_id: &str,
        category: Option<IncidentCategory>,
        factor: f64,
    ) -> Result<(), SimError> {
        if !(factor.is_finite() && factor > 0.0 && factor <= MAX_HOTSPOT_FACTOR) {
            return Err(SimError::BadFactor(factor));
        }
        let Some(grid) = self.grid_index(grid_id) else {
            let known = match (self.grids.first(), self.grids.last()) {
                (Some(a), Some(b)) => format!("this city's grids are {} to {}", a.id, b.id),
                _ => "this city has no grid areas".into(),
            };
            return Err(SimError::UnknownGrid { id: grid_id.to_owned(), known });
        };
        if self.grids[grid].weight <= 0.0 {
            return Err(SimError::NoRoads(grid_id.to_owned()));
        }
        let category = category.and_then(|c| IncidentCategory::ALL.iter().position(|x| *x == c));
        self.injected.retain(|(g, c, _)| !(*g == grid && *c == category));
        self.injected.push((grid, category, factor));
        self.rebuild();
        Ok(())
    }

    /// Makes up the incidents of the `hours` before `start`, hour by hour and grid by grid: a
    /// Poisson count of the grid's rate at the middle of the hour (natural hot spots moving as
    /// they do live, no injected ones), each at a uniform time in the hour, a category by the
    /// grid's mix and a place on a road inside the grid. Each is closed 30 minutes to 6 hours after its
    /// report, by `start` at the latest. Oldest first.
    pub(super) fn backfill(&mut self, start: Millis, hours: u32) -> Vec<PastIncident> {
        let mut out = Vec::new();
        let saved = std::mem::take(&mut self.injected);
        self.rebuild();
        for h in (1..=i64::from(hours)).rev() {
            let from = start - h * HOUR_MS;
            self.advance_hotspots(from + HOUR_MS / 2);
            let per_hour = self.rate_per_minute * 60.0 * daily_rhythm(from + HOUR_MS / 2) / self.norm;
            let first = out.len();
            for g in 0..self.grids.len() {
                let mut row = [0.0; CATEGORIES];
                row.copy_from_slice(&self.cumulative[g * CATEGORIES..(g + 1) * CATEGORIES]);
                let before = if g == 0 { 0.0 } else { self.cumulative[g * CATEGORIES - 1] };
                let grid_weight = row[CATEGORIES - 1] - before;
                if grid_weight <= 0.0 {
                    continue;
                }
                for _ in 0..poisson(&mut self.rng, per_hour * grid_weight) {
                    let u = before + self.rng.unit() * grid_weight;
                    let c = row.partition_point(|w| *w <= u).min(CATEGORIES - 1);
                    let Some(at) = self.place_in(g) else { continue };
                    let reported_at = from + (self.rng.unit() * HOUR_MS as f64) as Millis;
                    let open_ms = (self.rng.range(0.5, 6.0) * HOUR_MS as f64) as Millis;
                    let closed_at = (reported_at + open_ms).min(start);
                    let severity = 1 + (self.rng.next_u64() % 4) as u8;
                    out.push(PastIncident {
                        grid: g,
                        category: IncidentCategory::ALL[c],
                        severity,
                        at,
                        reported_at,
                        closed_at,
                    });
                }
            }
            out[first..].sort_by_key(|p| p.reported_at);
        }
        self.advance_hotspots(start);
        self.injected = saved;
        self.rebuild();
        out
    }
}

/// The places on the roads of `graph` where an incident may sit: every node, and points along
/// every road between nodes, [`ROAD_STEP_M`] apart (each two-way road once).
fn road_places(graph: &RoadGraph) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(graph.node_count() * 2);
    for a in 0..graph.node_count() as u32 {
        out.push(graph.node(a));
        for (b, _) in graph.out_edges(a) {
            if b < a && graph.out_edges(b).any(|(x, _)| x == a) {
                continue;
            }
            let (pa, pb) = (graph.node(a), graph.node(b));
            let n = (crate::frame::distance(pa, pb) / ROAD_STEP_M).floor() as usize;
            for k in 1..=n {
                let t = k as f64 / (n + 1) as f64;
                out.push([pa[0] + (pb[0] - pa[0]) * t, pa[1] + (pb[1] - pa[1]) * t]);
            }
        }
    }
    out
}

/// The grids around (row, col) in a `side` × `side` partition, row by row; with the centre first
/// when `centre`.
fn neighbourhood(row: usize, col: usize, side: usize, centre: bool) -> Vec<usize> {
    let mut out = Vec::with_capacity(9);
    if centre {
        out.push(row * side + col);
    }
    for dr in -1i64..=1 {
        for dc in -1i64..=1 {
            let (r, c) = (row as i64 + dr, col as i64 + dc);
            if (dr, dc) != (0, 0) && (0..side as i64).contains(&r) && (0..side as i64).contains(&c) {
                out.push(r as usize * side + c as usize);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_rhythm_has_mean_one_a_night_trough_and_two_peaks() {
        let day = 86_400_000;
        // 2025-11-27 16:00 UTC is midnight in Shanghai.
        let midnight = 1_764_259_200_000;
        let at = |h: f64| daily_rhythm(midnight + (h * HOUR_MS as f64) as Millis);
        let mean = (0..1440).map(|m| daily_rhythm(midnight + m * 60_000)).sum::<f64>() / 1440.0;
        assert!((mean - 1.0).abs() < 1e-9, "mean {mean}");
        let (trough, _) = (0..240)
            .map(|i| (i as f64 / 10.0, at(i as f64 / 10.0)))
            .fold((0.0, f64::MAX), |b, x| if x.1 < b.1 { x } else { b });
        assert!((3.0..=5.0).contains(&trough), "trough at {trough}");
        assert!(at(10.5) > 1.3 && at(20.0) > 1.4 && at(15.0) < at(10.5) && at(15.0) < at(20.0));
        assert!(at(4.0) < 0.5);
        assert_eq!(daily_rhythm(midnight), daily_rhythm(midnight + 3 * day), "a day is a day");
    }

    #[test]
    fn poisson_counts_have_their_mean_small_or_large() {
        let mut rng = SplitMix64::new(7);
        for lambda in [0.05, 2.0, 75.0] {
            let n = 20_000;
            let sum: u64 = (0..n).map(|_| poisson(&mut rng, lambda)).sum();
            let mean = sum as f64 / n as f64;
            // Five standard errors.
            assert!((mean - lambda).abs() < 5.0 * (lambda / n as f64).sqrt(), "{lambda}: {mean}");
        }
        assert_eq!(poisson(&mut rng, 0.0), 0);
        assert_eq!(poisson(&mut rng, f64::NAN), 0);
    }

    #[test]
    fn neighbours_stay_in_the_partition() {
        assert_eq!(neighbourhood(0, 0, 4, true), vec![0, 1, 4, 5]);
        assert_eq!(neighbourhood(1, 1, 4, false).len(), 8);
        assert!(neighbourhood(3, 3, 4, false).iter().all(|&k| k < 16));
    }
}
