//! The defence hub's risk discovery (防御中枢): key grids (重点网格), grids where a category of
//! incident is running above the grid's own baseline, and key places (重点场所), the schools,
//! hospitals and shelters in or next to them.
//!
//! **The statistic.** For each grid g and category c, `k` is the count in the recent window
//! (default the 6 hours up to now) and `B` the count in the same clock hours on each of the `N`
//! previous days (default 28, fewer when the history is shorter), so the daily rhythm cancels
//! out. The grid's rate per window has a Gamma prior centred on the city's mean for that category
//! and hours, `m_c = Σ_g B_gc / (G·N)`, worth `prior_days` days (default 2):
//! shape `a0 = max(prior_days · m_c, min_prior_shape)`, rate `b0 = prior_days`; the floor
//! `min_prior_shape` (default 0.1) keeps a grid and category with no baseline at all from being
//! infinitely surprising. The posterior is Gamma(a0 + B, b0 + N), whose mean is the
//! baseline shown (`expected`), and
//!
//! `p = P(X ≥ k)`, X Poisson with that Gamma-distributed rate (negative binomial),
//!
//! which is the Poisson upper tail `P(X ≥ k | λ = expected)` widened by how little the baseline
//! says about the rate (it tends to it as N grows). Cells are ranked by `score = -log10 p`.
//! **Flags** need `p < alpha / (G · 9)`: Bonferroni over every grid and the nine categories,
//! so when no grid runs above its baseline the chance that an evaluation flags anything is at
//! most `alpha` (default 0.01), and the expected number of flagged cells at most `alpha`.
//!
//! **Cost.** Counting is one pass over the incidents held, with grid ids interned when they are
//! added; scoring 10,000 grids × 9 categories over 200,000 incidents takes a few milliseconds
//! (`cargo run -p twinhall-core --release --example risk`).

mod places;
mod stats;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde::Serialize;

pub use places::{KEY_PLACE_KINDS, KeyPlace, key_places};
pub use stats::{ln_gamma, ln_gamma_poisson_tail, ln_poisson_tail};

use crate::protocol::{Incident, IncidentCategory, IncidentHistory, Millis};

const DAY_MS: Millis = 86_400_000;
const CATEGORIES: usize = IncidentCategory::ALL.len();

/// How key grids are scored.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskConfig {
    /// The recent window, ending now.
    pub window_ms: Millis,
    /// Days of baseline: the same clock window on each of this many previous days.
    pub baseline_days: u32,
    /// The family-wise false-alarm rate of one evaluation (Bonferroni over grids × categories).
    pub alpha: f64,
    /// The weight of the city-wide prior, in days of the grid's own baseline.
    pub prior_days: f64,
    /// The least prior shape (in incidents), for a category the city has not seen.
    pub min_prior_shape: f64,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self { window_ms: 6 * 3_600_000, baseline_days: 28, alpha: 0.01, prior_days: 2.0, min_prior_shape: 0.1 }
    }
}

#[derive(Clone, Copy, Debug)]
struct LogRecord {
    grid: u32,
    category: u8,
    reported_at: Millis,
    id_hash: u64,
}

/// The incidents the scores are counted from: the history fetched once (`GET
/// /v1/incidents/history`), then every new incident the feed reports, each once by id.
#[derive(Clone, Debug, Default)]
pub struct IncidentLog {
    grid_ids: Vec<String>,
    grid_index: HashMap<String, u32>,
    records: Vec<LogRecord>,
    seen: HashSet<u64>,
    covered_since: Option<Millis>,
}

fn id_hash(id: &str) -> u64 {
    // SipHash with fixed keys: the same in every run; 64 bits make a collision among a million
    // ids a one in ten million chance.
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl IncidentLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a page of history: its incidents (each once) and its span, `since` onwards, as
    /// complete. Pages should join (each `since` the previous `until`), the oldest first or not.
    pub fn add_history(&mut self, history: &IncidentHistory) {
        for i in &history.incidents {
            self.add(&i.id, &i.grid_id, i.category, i.reported_at);
        }
        self.covered_since = Some(self.covered_since.map_or(history.since, |s| s.min(history.since)));
    }

    /// Adds an incident the feed reported (once by id; a later version changes nothing).
    pub fn add_incident(&mut self, incident: &Incident) -> bool {
        self.add(&incident.id, &incident.grid_id, incident.category, incident.reported_at)
    }

    /// Adds one incident; `false` when its id is already held or it lies in no grid.
    pub fn add(&mut self, id: &str, grid_id: &str, category: IncidentCategory, reported_at: Millis) -> bool {
        if grid_id.is_empty() {
            return false;
        }
        let h = id_hash(id);
        if !self.seen.insert(h) {
            return false;
        }
        let grid = match self.grid_index.get(grid_id) {
            Some(g) => *g,
            None => {
                let g = self.grid_ids.len() as u32;
                self.grid_ids.push(grid_id.to_owned());
                self.grid_index.insert(grid_id.to_owned(), g);
                g
            }
        };
        let category = IncidentCategory::ALL.iter().position(|c| *c == category).unwrap_or(CATEGORIES - 1) as u8;
        self.records.push(LogRecord { grid, category, reported_at, id_hash: h });
        true
    }

    /// Forgets the incidents reported before `t` (no baseline looks further back than
    /// `baseline_days + 1` days), and counts the span from `t` as the complete one.
    pub fn forget_before(&mut self, t: Millis) {
        let seen = &mut self.seen;
        self.records.retain(|r| {
            let keep = r.reported_at >= t;
            if !keep {
                seen.remove(&r.id_hash);
            }
            keep
        });
        self.covered_since = self.covered_since.map(|s| s.max(t));
    }

    /// From when the log is complete (the oldest history page's `since`); `None` without history.
    pub fn covered_since(&self) -> Option<Millis> {
        self.covered_since
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// One grid and category, scored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GridRisk {
    pub grid_id: String,
    pub category: IncidentCategory,
    /// Incidents in the recent window.
    pub count: u32,
    /// The baseline: the expected count in the window (the posterior mean).
    pub expected: f64,
    /// P(X ≥ count) under the baseline.
    pub p: f64,
    /// -log10 p: the rank.
    pub score: f64,
    /// `p` under the report's `threshold_p`.
    pub flagged: bool,
    /// "矛盾纠纷 7 起 / 基线 1.2" (the baseline with two decimals below 0.95: "基线 0.05")
    pub reason_zh: String,
    /// "Dispute 7 / baseline 1.2"
    pub reason_en: String,
}

/// Every grid and category with an incident in the window, most surprising first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskReport {
    pub now: Millis,
    pub window_ms: Millis,
    /// Days of baseline actually used (fewer than asked when the history is shorter).
    pub baseline_days: u32,
    /// Grids × categories tested.
    pub cells: usize,
    /// The flag threshold on p: `alpha / cells`.
    pub threshold_p: f64,
    /// Incidents counted (window and baseline) whose grid is not among the grids scored.
    pub outside: usize,
    /// Cells with at least one incident in the window, by score (highest first), then grid id
    /// and category; cells with none have p = 1 and are left out.
    pub scores: Vec<GridRisk>,
}

impl RiskReport {
    /// The flagged cells, highest score first.
    pub fn flagged(&self) -> impl Iterator<Item = &GridRisk> {
        self.scores.iter().filter(|s| s.flagged)
    }

    /// Each grid once, with its highest-scoring cell, in rank order: the key grids to outline
    /// are those whose cell is `flagged`.
    pub fn by_grid(&self) -> Vec<&GridRisk> {
        let mut seen = HashSet::new();
        self.scores.iter().filter(|s| seen.insert(s.grid_id.as_str())).collect()
    }

    /// The flagged grids, each once, in rank order.
    pub fn key_grids(&self) -> Vec<&str> {
        self.by_grid().into_iter().filter(|s| s.flagged).map(|s| s.grid_id.as_str()).collect()
    }

    /// Where a grid ranks among [`by_grid`](Self::by_grid) (0 first); `None` with no incident in
    /// the window.
    pub fn grid_rank(&self, grid_id: &str) -> Option<usize> {
        self.by_grid().iter().position(|s| s.grid_id == grid_id)
    }
}

/// Scores every grid of `grid_ids` for every category at `now` (see the module's text).
pub fn score_grids(log: &IncidentLog, grid_ids: &[impl AsRef<str>], config: &RiskConfig, now: Millis) -> RiskReport {
    let grids = grid_ids.len();
    let position: HashMap<&str, u32> = grid_ids.iter().enumerate().map(|(i, g)| (g.as_ref(), i as u32)).collect();
    // The log's interned grids to positions in `grid_ids`.
    let to_pos: Vec<u32> = log.grid_ids.iter().map(|g| position.get(g.as_str()).copied().unwrap_or(u32::MAX)).collect();
    let window = config.window_ms.clamp(1, DAY_MS);
    // Baseline day d covers (now - d·day - window, now - d·day]; it counts when the log covers it.
    let covered_days = log.covered_since.map_or(0, |since| ((now - window - since).max(0) / DAY_MS) as u32);
    let days = config.baseline_days.min(covered_days);
    let mut recent = vec![0u32; grids * CATEGORIES];
    let mut base = vec![0u32; grids * CATEGORIES];
    let mut outside = 0;
    for r in &log.records {
        let age = now - r.reported_at;
        if age < 0 || age % DAY_MS >= window {
            continue;
        }
        let day = age / DAY_MS;
        if day > i64::from(days) {
            continue;
        }
        let pos = to_pos[r.grid as usize];
        if pos == u32::MAX {
            outside += 1;
            continue;
        }
        let cell = pos as usize * CATEGORIES + r.category as usize;
        let counts = if day == 0 { &mut recent } else { &mut base };
        counts[cell] += 1;
    }
    // The city's mean per grid and window, by category: from the baseline, or from the window
    // itself when there is no baseline yet.
    let mut city_mean = [0.0f64; CATEGORIES];
    let from = if days > 0 { &base } else { &recent };
    for (cell, n) in from.iter().enumerate() {
        city_mean[cell % CATEGORIES] += f64::from(*n);
    }
    let per = grids.max(1) as f64 * f64::from(days.max(1));
    city_mean.iter_mut().for_each(|m| *m /= per);

    let cells = grids * CATEGORIES;
    let threshold_p = config.alpha / cells.max(1) as f64;
    let b = config.prior_days.max(1e-9) + f64::from(days);
    let mut scores = Vec::new();
    for (cell, &k) in recent.iter().enumerate() {
        if k == 0 {
            continue;
        }
        let c = cell % CATEGORIES;
        let a0 = (config.prior_days * city_mean[c]).max(config.min_prior_shape);
        let a = a0 + f64::from(base[cell]);
        let ln_p = ln_gamma_poisson_tail(u64::from(k), a, b);
        let (expected, category) = (a / b, IncidentCategory::ALL[c]);
        let p = ln_p.exp();
        scores.push(GridRisk {
            grid_id: grid_ids[cell / CATEGORIES].as_ref().to_owned(),
            category,
            count: k,
            expected,
            p,
            score: stats::minus_log10(ln_p),
            flagged: p < threshold_p,
            reason_zh: format!("{} {k} 起 / 基线 {}", category.label_zh(), shown(expected)),
            reason_en: format!("{} {k} / baseline {}", capitalised(category.label_en()), shown(expected)),
        });
    }
    scores.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then_with(|| x.grid_id.cmp(&y.grid_id))
            .then_with(|| (x.category as u8).cmp(&(y.category as u8)))
    });
    RiskReport { now, window_ms: window, baseline_days: days, cells, threshold_p, outside, scores }
}

/// A baseline as the reasons show it: one decimal, two below 0.95 (so a small one is not 0.0).
fn shown(expected: f64) -> String {
    if expected >= 0.95 { format!("{expected:.1}") } else { format!("{expected:.2}") }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
