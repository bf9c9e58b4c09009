//! The governance index from the incidents: every leaf area (a grid) scores the six aspects from
//! the incidents of the last [`INDEX_WINDOW_MS`] in it, each category counting towards the
//! aspects it bears on ([`aspect_weights`]), open ones and severe ones more, recent ones more than
//! old ones; each area has a base of its own (from the seed and its id) so that quiet areas
//! differ too. A parent's aspects are the population-weighted mean of its children's, an area's
//! `governance_index` is the mean of its aspects, and the city's report is the City area's
//! aspects. Recomputed once a simulated minute ([`INDEX_EVERY_MS`]); areas whose figures change
//! go out with the next batch.
//!
//! The reports are kept as samples for `GET /v1/index/history`: one a minute for the last
//! [`INDEX_MINUTE_SAMPLES_MS`], one an hour before that, for at most [`HISTORY_MAX_DAYS`] days;
//! at start the made-up past (`SimConfig::history_days`) is scored hour by hour from its own
//! incidents, from one window after it begins (so every sample sees a whole window).

use std::collections::{HashMap, VecDeque};

use super::Simulation;
use super::history::{HISTORY_MAX_DAYS, History};
use crate::generate::SplitMix64;
use crate::overlay::index_level;
use crate::protocol::{Area, AspectScore, GovernanceIndex, IncidentCategory, IndexAspect, IndexHistory, Millis};

const HOUR_MS: Millis = 3_600_000;
const DAY_MS: Millis = 24 * HOUR_MS;
/// How often the index is recomputed, simulated milliseconds.
pub const INDEX_EVERY_MS: Millis = 60_000;
/// The incidents an area's score counts: those reported in this span before the time scored,
/// weighing less as they age (linearly, to nothing at the end of the span).
pub const INDEX_WINDOW_MS: Millis = DAY_MS;
/// Samples are kept one a minute for this long, then one an hour.
pub const INDEX_MINUTE_SAMPLES_MS: Millis = DAY_MS;
/// An area's score on an aspect falls from its base by at most this much ...
const MAX_DROP: f64 = 40.0;
/// ... and by half of it at this pressure (severity points, weighted; see [`aspect_weights`]).
const HALF_PRESSURE: f64 = 8.0;
/// An incident still open at the time scored weighs this many times a closed one.
const OPEN_FACTOR: f64 = 2.0;
/// An area's base score on each aspect lies in this range.
const BASE: (f64, f64) = (84.0, 98.0);

/// The six aspects in the order the reports list them.
pub const ASPECTS: [IndexAspect; 6] = IndexAspect::ALL;

/// How much an incident of `category` bears on each aspect (in [`ASPECTS`]' order): disputes on
/// social governance (and the rule of law), city management and environment on city management,
/// public order on public security (and the rule of law), public health on public services,
/// fire and work safety on public safety, traffic on public safety and city management.
pub fn aspect_weights(category: IncidentCategory) -> [f64; 6] {
    use IncidentCategory as C;
    match category {
        C::Dispute => [1.0, 0.0, 0.0, 0.5, 0.0, 0.0],
        C::PublicOrder => [0.0, 0.0, 1.0, 0.5, 0.0, 0.0],
        C::Fire | C::WorkSafety => [0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        C::Traffic => [0.0, 0.5, 0.0, 0.0, 0.0, 0.5],
        C::CityManagement => [0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        C::Environment => [0.0, 1.0, 0.0, 0.0, 0.3, 0.0],
        C::PublicHealth => [0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        C::Other => [0.5, 0.0, 0.0, 0.0, 0.5, 0.0],
    }
}

/// An incident as the score counts it.
struct Counted {
    area: usize,
    weights: [f64; 6],
    reported_at: Millis,
    closed_at: Option<Millis>,
}

/// The area tree and the samples kept.
#[derive(Default)]
pub(super) struct IndexModel {
    /// Every area, each child before its parent.
    order: Vec<usize>,
    children: Vec<Vec<usize>>,
    roots: Vec<usize>,
    by_id: HashMap<String, usize>,
    /// The area of each of the rate model's grids (the history's grid numbers); `None` for a
    /// grid no area is.
    grid_area: Vec<Option<usize>>,
    base: Vec<[f64; 6]>,
    /// When the next recomputation is due.
    next_at: Millis,
    hourly: VecDeque<GovernanceIndex>,
    minutes: VecDeque<GovernanceIndex>,
}

impl IndexModel {
    fn new(areas: &[Area], seed: u64) -> Self {
        let n = areas.len();
        let by_id: HashMap<String, usize> = areas.iter().enumerate().map(|(i, a)| (a.id.clone(), i)).collect();
        let mut children = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, a) in areas.iter().enumerate() {
            match a.parent_id.as_ref().and_then(|p| by_id.get(p)) {
                Some(&p) if p != i => children[p].push(i),
                _ => roots.push(i),
            }
        }
        // Post-order from the roots; an area in a parent cycle (never reached) counts as a leaf
        // and in no total.
        let (mut order, mut seen) = (Vec::with_capacity(n), vec![false; n]);
        for &r in &roots {
            let mut stack = vec![(r, false)];
            while let Some((i, expanded)) = stack.pop() {
                if expanded {
                    order.push(i);
                } else if !std::mem::replace(&mut seen[i], true) {
                    stack.push((i, true));
                    stack.extend(children[i].iter().map(|&c| (c, false)));
                }
            }
        }
        for i in 0..n {
            if !seen[i] {
                children[i].clear();
                order.push(i);
            }
        }
        let base = areas
            .iter()
            .map(|a| {
                let h =
                    a.id.bytes()
                        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
                let mut rng = SplitMix64::new(seed ^ h ^ 0x0069_6e64_6578);
                std::array::from_fn(|_| rng.range(BASE.0, BASE.1))
            })
            .collect();
        Self { order, children, roots, by_id, base, ..Self::default() }
    }

    /// The history's records as the score counts them: those in an area, with their weights.
    fn count(
        &self,
        records: impl Iterator<Item = (u32, IncidentCategory, u8, Millis, Option<Millis>)>,
    ) -> Vec<Counted> {
        records
            .filter_map(|(grid, category, severity, reported_at, closed_at)| {
                let area = (*self.grid_area.get(grid as usize)?)?;
                let mut weights = aspect_weights(category);
                weights.iter_mut().for_each(|w| *w *= f64::from(severity));
                Some(Counted { area, weights, reported_at, closed_at })
            })
            .collect()
    }

    /// Every area's six scores at `t` from the incidents counted (those outside the window add
    /// nothing).
    fn scores(&self, areas: &[Area], t: Millis, incidents: &[Counted]) -> Vec<[f64; 6]> {
        let n = areas.len();
        let mut pressure = vec![[0.0f64; 6]; n];
        for c in incidents {
            let age = t - c.reported_at;
            if !(0..INDEX_WINDOW_MS).contains(&age) || !self.children[c.area].is_empty() {
                continue;
            }
            let open = if c.closed_at.is_none_or(|at| at > t) { OPEN_FACTOR } else { 1.0 };
            let f = open * (1.0 - age as f64 / INDEX_WINDOW_MS as f64);
            for (p, w) in pressure[c.area].iter_mut().zip(c.weights) {
                *p += w * f;
            }
        }
        let mut scores = vec![[0.0f64; 6]; n];
        for &i in &self.order {
            scores[i] = if self.children[i].is_empty() {
                std::array::from_fn(|k| {
                    let p = pressure[i][k];
                    self.base[i][k] - MAX_DROP * p / (p + HALF_PRESSURE)
                })
            } else {
                weighted_mean(self.children[i].iter().map(|&c| (f64::from(areas[c].population), scores[c])))
            };
        }
        scores
    }

    /// The city's six scores: the root area's (the population-weighted mean of the roots' when
    /// there are several).
    fn city(&self, areas: &[Area], scores: &[[f64; 6]]) -> [f64; 6] {
        weighted_mean(self.roots.iter().map(|&r| (f64::from(areas[r].population), scores[r])))
    }

    /// Keeps a sample taken at `s.updated_at` (the latest); thins and expires the older ones.
    fn keep(&mut self, s: GovernanceIndex) {
        let now = s.updated_at;
        self.minutes.push_back(s);
        while let Some(old) = self.minutes.front().filter(|m| m.updated_at < now - INDEX_MINUTE_SAMPLES_MS) {
            let hour = old.updated_at.div_euclid(HOUR_MS);
            let new_hour = self.hourly.back().is_none_or(|h| h.updated_at.div_euclid(HOUR_MS) < hour);
            if let Some(old) = self.minutes.pop_front()
                && new_hour
            {
                self.hourly.push_back(old);
            }
        }
        let oldest = now - Millis::from(HISTORY_MAX_DAYS) * DAY_MS;
        while self.hourly.front().is_some_and(|h| h.updated_at < oldest) {
            self.hourly.pop_front();
        }
    }
}

/// The weighted mean of six scores (the plain mean when the weights add up to nothing).
fn weighted_mean(items: impl Iterator<Item = (f64, [f64; 6])> + Clone) -> [f64; 6] {
    let total: f64 = items.clone().map(|(w, _)| w).sum();
    let (mut sum, mut n) = ([0.0f64; 6], 0usize);
    for (w, s) in items {
        let w = if total > 0.0 { w / total } else { 1.0 };
        for (a, v) in sum.iter_mut().zip(s) {
            *a += w * v;
        }
        n += 1;
    }
    if total <= 0.0 && n > 0 {
        sum.iter_mut().for_each(|a| *a /= n as f64);
    }
    sum
}

/// Six scores as the protocol carries them (to a tenth, each with its level) and their mean.
fn aspect_scores(v: [f64; 6]) -> (Vec<AspectScore>, f32) {
    let round = |x: f64| ((x.clamp(0.0, 100.0) * 10.0).round() / 10.0) as f32;
    let aspects: Vec<AspectScore> = ASPECTS
        .iter()
        .zip(v)
        .map(|(&aspect, x)| {
            let score = round(x);
            AspectScore { aspect, score, level: index_level(score) }
        })
        .collect();
    let mean = aspects.iter().map(|a| f64::from(a.score)).sum::<f64>() / aspects.len() as f64;
    (aspects, round(mean))
}

fn report(at: Millis, v: [f64; 6]) -> GovernanceIndex {
    let (aspects, overall) = aspect_scores(v);
    GovernanceIndex { updated_at: at, overall, aspects }
}

impl Simulation {
    /// Builds the area tree, scores the made-up past hour by hour and the present (called once,
    /// when the simulation is built; nothing goes out in a batch).
    pub(super) fn init_index(&mut self) {
        let mut model = IndexModel::new(&self.areas, self.config.seed);
        model.grid_area = self.arrivals.grids.iter().map(|g| model.by_id.get(&g.id).copied()).collect();
        let now = self.now_ms;
        let hours = History::backfill_hours(self.config.history_days, self.config.incidents_per_minute);
        let past_since = now - Millis::from(hours) * HOUR_MS;
        let past = model.count(self.history.between(past_since, now));
        let mut t = past_since + INDEX_WINDOW_MS;
        while t < now {
            let from = past.partition_point(|c| c.reported_at <= t - INDEX_WINDOW_MS);
            let to = past.partition_point(|c| c.reported_at <= t);
            let scores = model.scores(&self.areas, t, &past[from..to]);
            model.hourly.push_back(report(t, model.city(&self.areas, &scores)));
            t += HOUR_MS;
        }
        self.index_model = model;
        self.refresh_index(false);
    }

    /// Recomputes every area's aspects and the city's report now and keeps the sample; with
    /// `emit`, areas whose figures changed (and the report, when it did) go out with the next
    /// batch.
    pub(super) fn refresh_index(&mut self, emit: bool) {
        let now = self.now_ms;
        let model = &self.index_model;
        let counted = model.count(self.history.between(now - INDEX_WINDOW_MS + 1, now + 1));
        let scores = model.scores(&self.areas, now, &counted);
        let city = report(now, model.city(&self.areas, &scores));
        for (a, s) in self.areas.iter_mut().zip(&scores) {
            let (aspects, overall) = aspect_scores(*s);
            if a.aspects == aspects && a.governance_index == overall {
                continue;
            }
            a.aspects = aspects;
            a.governance_index = overall;
            if emit {
                a.version += 1;
                a.updated_at = now;
                self.changed.areas.push(a.clone());
            }
        }
        if emit && (city.overall != self.index.overall || city.aspects != self.index.aspects) {
            self.index_changed = true;
        }
        self.index = city.clone();
        self.index_model.keep(city);
        self.index_model.next_at = now + INDEX_EVERY_MS;
    }

    /// Recomputes the index now, as once a minute does (for tools and measurements): changed
    /// areas and the report go out with the next batch.
    pub fn recompute_index(&mut self) {
        self.refresh_index(true);
    }

    /// Recomputes the index when a minute has passed since the last time.
    pub(super) fn step_index(&mut self) {
        if self.now_ms >= self.index_model.next_at {
            self.refresh_index(true);
        }
    }

    /// The governance index reports kept with `updated_at` in `[since_ms, now]`, oldest first, at
    /// most `limit` (see [`IndexHistory`]): one an hour over the made-up past and for what is
    /// older than a day, one a minute since. `since` is raised to the oldest sample held; `until`
    /// is a millisecond past now (a sample is only taken as the clock moves on, so none can
    /// follow at `now`), or the first sample left out when `truncated`.
    pub fn index_history(&self, since_ms: Millis, limit: usize) -> IndexHistory {
        let m = &self.index_model;
        let now = self.now_ms;
        let oldest = m.hourly.front().or(m.minutes.front()).map_or(now, |s| s.updated_at);
        let since = since_ms.max(oldest);
        let mut samples: Vec<GovernanceIndex> = m
            .hourly
            .iter()
            .chain(&m.minutes)
            .filter(|s| (since..=now).contains(&s.updated_at))
            .take(limit.saturating_add(1))
            .cloned()
            .collect();
        let (mut until, mut truncated) = ((now + 1).max(since), false);
        if samples.len() > limit {
            // Samples have times of their own: the page stops at the first one left out.
            until = samples[limit].updated_at;
            samples.truncate(limit);
            truncated = true;
        }
        IndexHistory { since, until, samples, truncated }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::LonLat;
    use crate::protocol::{AreaLevel, IncidentCategory as C};
    use crate::sim::{InjectedHotspot, SimConfig};

    fn city() -> crate::CityModel {
        crate::generate::generate_city(900, 5, LonLat::new(114.06, 22.54))
    }

    fn score(a: &Area, aspect: IndexAspect) -> f32 {
        a.aspects.iter().find(|s| s.aspect == aspect).map_or(f32::NAN, |s| s.score)
    }

    #[test]
    fn parents_are_their_childrens_weighted_mean_and_the_city_is_the_report() {
        let c = city();
        let mut sim = Simulation::new(&c, SimConfig { incidents: 20, ..Default::default() });
        for _ in 0..130 {
            sim.step(1000);
        }
        let snap = sim.snapshot();
        let areas = &snap.entities.areas;
        assert!(areas.iter().all(|a| a.aspects.len() == 6), "every area has its six aspects");
        for a in areas {
            for s in &a.aspects {
                assert_eq!(s.level, index_level(s.score), "{} {:?}", a.id, s.aspect);
            }
            let mean = a.aspects.iter().map(|s| s.score).sum::<f32>() / 6.0;
            assert!((a.governance_index - mean).abs() <= 0.051, "{}: {} against {mean}", a.id, a.governance_index);
            let kids: Vec<&Area> = areas.iter().filter(|k| k.parent_id.as_ref() == Some(&a.id)).collect();
            if kids.is_empty() {
                continue;
            }
            let total: f32 = kids.iter().map(|k| k.population as f32).sum();
            for aspect in ASPECTS {
                let want = kids.iter().map(|k| k.population as f32 * score(k, aspect)).sum::<f32>() / total;
                // Children are rounded to a tenth, and so is the parent.
                assert!(
                    (score(a, aspect) - want).abs() <= 0.11,
                    "{} {aspect:?}: {} against {want}",
                    a.id,
                    score(a, aspect)
                );
            }
        }
        let city = areas.iter().find(|a| a.level == AreaLevel::City).expect("the city area");
        let index = snap.index.expect("an index");
        assert_eq!((index.overall, &index.aspects), (city.governance_index, &city.aspects));
        // Areas differ: not every grid has the same figure.
        let grids: Vec<f32> = areas.iter().filter(|a| a.level == AreaLevel::Grid).map(|a| a.governance_index).collect();
        let spread = grids.iter().copied().fold(f32::MIN, f32::max) - grids.iter().copied().fold(f32::MAX, f32::min);
        assert!(spread > 5.0, "grids spread over {spread} points");
    }

    #[test]
    fn a_minute_recomputes_and_changed_areas_go_out_with_the_index() {
        let c = city();
        let mut sim = Simulation::new(&c, SimConfig { incidents_per_minute: 30.0, ..Default::default() });
        let before = sim.snapshot();
        sim.step(30_000);
        let b = sim.take_batch().expect("units moved");
        assert!(b.upserts.areas.is_empty() && b.index.is_none(), "nothing before a minute");
        sim.step(30_000);
        let b = sim.take_batch().expect("a batch");
        assert!(!b.upserts.areas.is_empty(), "a minute of incidents changes some areas");
        let index = b.index.expect("the index changed");
        assert_eq!(index.updated_at, sim.now_ms());
        for a in &b.upserts.areas {
            let old = before.entities.areas.iter().find(|o| o.id == a.id).expect("known area");
            assert_eq!((a.version, a.updated_at), (old.version + 1, sim.now_ms()));
            assert!(a.aspects != old.aspects || a.governance_index != old.governance_index);
        }
    }

    #[test]
    fn a_hot_spot_grid_falls_below_its_baseline_on_the_aspects_it_bears_on() {
        let c = city();
        let cfg = |hotspots| SimConfig { incidents_per_minute: 6.0, history_days: 3, hotspots, ..Default::default() };
        let hot = |category| InjectedHotspot { grid_id: "A4-135".into(), category: Some(category), factor: 200.0 };
        let mut plain = Simulation::new(&c, cfg(Vec::new()));
        let mut sim = Simulation::new(&c, cfg(vec![hot(C::PublicOrder), hot(C::Dispute)]));
        let grid = |s: &Simulation| s.areas.iter().find(|a| a.id == "A4-135").cloned().expect("grid");
        let start = grid(&sim);
        assert_eq!(start.aspects, grid(&plain).aspects, "the same past, the same start");
        for _ in 0..120 {
            sim.step(60_000);
            plain.step(60_000);
        }
        let (now, base) = (grid(&sim), grid(&plain));
        for aspect in [IndexAspect::PublicSecurity, IndexAspect::SocialGovernance] {
            assert!(
                score(&now, aspect) < score(&base, aspect) - 10.0 && score(&now, aspect) < score(&start, aspect) - 10.0,
                "{aspect:?}: {} with the hot spot, {} without, {} at start",
                score(&now, aspect),
                score(&base, aspect),
                score(&start, aspect)
            );
        }
        // Its community (its parent) falls less: three quiet siblings.
        let parent = |s: &Simulation| {
            let id = now.parent_id.clone().expect("a parent");
            s.areas.iter().find(|a| a.id == id).cloned().expect("parent")
        };
        let (p_hot, p_base) = (parent(&sim), parent(&plain));
        let drop = |a: &Area, b: &Area| score(b, IndexAspect::PublicSecurity) - score(a, IndexAspect::PublicSecurity);
        assert!(drop(&p_hot, &p_base) > 0.0 && drop(&p_hot, &p_base) < drop(&now, &base));
    }

    #[test]
    fn the_index_history_holds_the_past_hourly_then_minutes_and_pages() {
        let c = city();
        let mut sim = Simulation::new(&c, SimConfig { history_days: 3, ..Default::default() });
        let start = sim.now_ms();
        let h = sim.index_history(0, usize::MAX);
        // Three days made up, scored from one day in: 48 hourly samples before the start, and
        // the start's.
        assert_eq!(h.samples.len(), 49);
        assert_eq!((h.since, h.until, h.truncated), (start - 48 * HOUR_MS, start + 1, false));
        assert!(h.samples[..48].windows(2).all(|w| w[1].updated_at - w[0].updated_at == HOUR_MS));
        assert_eq!(h.samples.last(), Some(sim.index()));
        // The past is scored from its incidents: the figures move.
        let lo = h.samples.iter().map(|s| s.overall).fold(f32::MAX, f32::min);
        let hi = h.samples.iter().map(|s| s.overall).fold(f32::MIN, f32::max);
        assert!(hi > lo && hi <= 100.0 && lo > 40.0, "{lo} to {hi}");
        for _ in 0..10 {
            sim.step(60_000);
        }
        let all = sim.index_history(0, usize::MAX);
        assert_eq!(all.samples.len(), 48 + 11, "and one a minute since the start");
        assert_eq!(all.samples[48].updated_at, start);
        assert_eq!(sim.index(), &sim.index_model.minutes.back().cloned().expect("latest"));
        // Pages join.
        let mut since = 0;
        let mut joined = Vec::new();
        loop {
            let page = sim.index_history(since, 7);
            assert!(page.samples.len() <= 7);
            joined.extend(page.samples);
            if !page.truncated {
                break;
            }
            assert!(page.until > since);
            since = page.until;
        }
        assert_eq!(joined, all.samples);
        let late = sim.index_history(start + 5 * 60_000, usize::MAX);
        assert_eq!(late.samples.len(), 6);
        assert!(sim.index_history(sim.now_ms() + 1, 10).samples.is_empty());
    }

    #[test]
    fn minute_samples_older_than_a_day_thin_to_one_an_hour() {
        let c = city();
        let mut sim = Simulation::new(&c, SimConfig { units: 2, history_days: 0, ..Default::default() });
        for _ in 0..(26 * 60) {
            sim.step(60_000);
        }
        let m = &sim.index_model;
        assert_eq!(m.minutes.len(), 24 * 60 + 1);
        assert!((2..=3).contains(&m.hourly.len()), "{} hourly", m.hourly.len());
        let h = sim.index_history(0, usize::MAX);
        assert!(h.samples.windows(2).all(|w| w[0].updated_at < w[1].updated_at));
    }
}
