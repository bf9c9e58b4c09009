//! The incidents of the past, for the defence hub's baselines: every incident the simulation
//! reports is kept (and closed when archived) in a store bounded by [`HISTORY_MAX_RECORDS`] and
//! [`HISTORY_MAX_DAYS`], and at start the past is made up from the same rate model
//! (`SimConfig::history_days`), so that a baseline exists from the first second.

use std::collections::VecDeque;

use super::Simulation;
use super::arrivals::PastIncident;
use crate::protocol::{HistoryIncident, Incident, IncidentCategory, IncidentHistory, Millis};

/// The most incidents kept; the oldest go first.
pub const HISTORY_MAX_RECORDS: usize = 500_000;
/// Incidents older than this many days go.
pub const HISTORY_MAX_DAYS: u32 = 35;
/// The made-up past is shortened so that it fills at most this share of [`HISTORY_MAX_RECORDS`]
/// (at 10 incidents a minute, 28 days are 403,200 and fit).
const BACKFILL_SHARE: f64 = 0.9;

const DAY_MS: Millis = 86_400_000;

/// An id, kept small: the made-up past's `H-0000001` and the simulation's `I-000001` as numbers.
#[derive(Clone, Debug, PartialEq)]
enum RecordId {
    Past(u32),
    Sim(u64),
    Other(Box<str>),
}

impl RecordId {
    fn of(id: &str) -> Self {
        match id.strip_prefix("I-").and_then(|n| n.parse::<u64>().ok()) {
            Some(n) if format!("I-{n:06}") == id => Self::Sim(n),
            _ => Self::Other(id.into()),
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Past(n) => format!("H-{n:07}"),
            Self::Sim(n) => format!("I-{n:06}"),
            Self::Other(s) => s.to_string(),
        }
    }
}

#[derive(Clone, Debug)]
struct Record {
    id: RecordId,
    category: IncidentCategory,
    severity: u8,
    lon: f64,
    lat: f64,
    /// Index into the rate model's grids; `u32::MAX` for none.
    grid: u32,
    reported_at: Millis,
    closed_at: Option<Millis>,
}

/// Oldest first by `reported_at`.
pub(super) struct History {
    records: VecDeque<Record>,
    /// The span from here on is complete: nothing reported since was dropped.
    covered_since: Millis,
}

impl History {
    pub(super) fn new(covered_since: Millis) -> Self {
        Self { records: VecDeque::new(), covered_since }
    }

    /// How many hours of the past to make up: `days` (at most [`HISTORY_MAX_DAYS`]), shortened so
    /// that the expected count fits [`BACKFILL_SHARE`] of the store.
    pub(super) fn backfill_hours(days: u32, incidents_per_minute: f64) -> u32 {
        let hours = days.min(HISTORY_MAX_DAYS) * 24;
        let per_hour = incidents_per_minute.max(0.0) * 60.0;
        if per_hour * f64::from(hours) <= BACKFILL_SHARE * HISTORY_MAX_RECORDS as f64 {
            return hours;
        }
        (BACKFILL_SHARE * HISTORY_MAX_RECORDS as f64 / per_hour).floor() as u32
    }

    fn push(&mut self, r: Record) {
        // Reports come in time order; the incidents open at start are the exception.
        match self.records.back() {
            Some(last) if last.reported_at > r.reported_at => {
                let at = self.records.partition_point(|x| x.reported_at <= r.reported_at);
                self.records.insert(at, r);
            }
            _ => self.records.push_back(r),
        }
        if self.records.len() > HISTORY_MAX_RECORDS {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        if let Some(r) = self.records.pop_front() {
            self.covered_since = self.covered_since.max(r.reported_at + 1);
        }
    }

    /// Drops what is older than [`HISTORY_MAX_DAYS`] before `now`.
    pub(super) fn expire(&mut self, now: Millis) {
        let oldest = now - Millis::from(HISTORY_MAX_DAYS) * DAY_MS;
        while self.records.front().is_some_and(|r| r.reported_at < oldest) {
            self.drop_oldest();
        }
        self.covered_since = self.covered_since.max(oldest);
    }

    pub(super) fn len(&self) -> usize {
        self.records.len()
    }

    /// The records reported in `[since, until)`, oldest first, as the governance index counts
    /// them: (grid, category, severity, reported_at, closed_at).
    pub(super) fn between(
        &self,
        since: Millis,
        until: Millis,
    ) -> impl Iterator<Item = (u32, IncidentCategory, u8, Millis, Option<Millis>)> + '_ {
        let start = self.records.partition_point(|r| r.reported_at < since);
        self.records
            .range(start..)
            .take_while(move |r| r.reported_at < until)
            .map(|r| (r.grid, r.category, r.severity, r.reported_at, r.closed_at))
    }

    /// Notes that the incident `id`, reported at `reported_at`, was archived at `at`.
    pub(super) fn close(&mut self, id: &str, reported_at: Millis, at: Millis) {
        let key = RecordId::of(id);
        let from = self.records.partition_point(|r| r.reported_at < reported_at);
        let found = self.records.range_mut(from..).take_while(|r| r.reported_at == reported_at).find(|r| r.id == key);
        if let Some(r) = found {
            r.closed_at = Some(at);
        }
    }
}

impl Simulation {
    /// Every incident reported in `[since_ms, now)`, oldest first, at most `limit` of them (see
    /// [`IncidentHistory`]): the made-up past (ids `H-…`) and what the simulation reported since
    /// it started, with `closed_at` once archived. `since` is raised to the oldest time the store
    /// still covers completely. When more than `limit` follow, the page stops before the first
    /// millisecond it cannot hold whole and says `truncated`; a page holds a whole millisecond
    /// even past `limit` when that millisecond alone has more.
    pub fn history(&self, since_ms: Millis, limit: usize) -> IncidentHistory {
        let h = &self.history;
        let since = since_ms.max(h.covered_since);
        let until_now = self.now_ms;
        let start = h.records.partition_point(|r| r.reported_at < since);
        let end = h.records.partition_point(|r| r.reported_at < until_now).max(start);
        let (mut stop, mut until, mut truncated) = (end, until_now.max(since), false);
        if end.saturating_sub(start) > limit {
            truncated = true;
            let cut = h.records[start + limit].reported_at;
            // Stop before the millisecond the limit falls in, unless it is the first one.
            let before = h.records.partition_point(|r| r.reported_at < cut);
            if before > start {
                (stop, until) = (before, cut);
            } else {
                stop = h.records.partition_point(|r| r.reported_at <= cut);
                until = cut + 1;
            }
        }
        let incidents = h.records.range(start..stop).map(|r| self.history_incident(r)).collect();
        IncidentHistory { since, until, incidents, truncated }
    }

    fn history_incident(&self, r: &Record) -> HistoryIncident {
        let grid = self.arrivals.grids.get(r.grid as usize);
        HistoryIncident {
            id: r.id.text(),
            category: r.category,
            severity: r.severity,
            lon: r.lon,
            lat: r.lat,
            grid_id: grid.map(|g| g.id.clone()).unwrap_or_default(),
            district: grid.map(|g| g.district.clone()).unwrap_or_default(),
            reported_at: r.reported_at,
            closed_at: r.closed_at,
        }
    }

    /// How many incidents the history holds.
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// Keeps a newly reported incident in the history.
    pub(super) fn record_history(&mut self, incident: &Incident) {
        let grid = self.arrivals.grid_index(&incident.grid_id).map_or(u32::MAX, |g| g as u32);
        self.history.push(Record {
            id: RecordId::of(&incident.id),
            category: incident.category,
            severity: incident.severity,
            lon: incident.lon,
            lat: incident.lat,
            grid,
            reported_at: incident.reported_at,
            closed_at: None,
        });
    }

    /// Moves the history record of an incident whose report time was set after it was recorded
    /// (the incidents open at start).
    pub(super) fn move_history(&mut self, id: &str, from: Millis, to: Millis) {
        let key = RecordId::of(id);
        let h = &mut self.history;
        let start = h.records.partition_point(|r| r.reported_at < from);
        let found = h.records.range(start..).take_while(|r| r.reported_at == from).position(|r| r.id == key);
        if let Some(mut r) = found.and_then(|i| h.records.remove(start + i)) {
            r.reported_at = to;
            h.push(r);
        }
    }

    /// Keeps the made-up past (oldest first) in the history, numbered `H-0000001` on.
    pub(super) fn record_past(&mut self, past: Vec<PastIncident>) {
        for (n, p) in past.into_iter().enumerate() {
            let ll = self.city_frame.to_lonlat(p.at);
            self.history.push(Record {
                id: RecordId::Past(n as u32 + 1),
                category: p.category,
                severity: p.severity,
                lon: ll.lon,
                lat: ll.lat,
                grid: p.grid as u32,
                reported_at: p.reported_at,
                closed_at: Some(p.closed_at),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::LonLat;
    use crate::protocol::{AreaLevel, DispatchRequest, IncidentStatus};
    use crate::sim::{InjectedHotspot, SimConfig, SimError, daily_rhythm};

    fn city() -> crate::CityModel {
        crate::generate::generate_city(900, 5, LonLat::new(114.06, 22.54))
    }

    #[test]
    fn the_past_is_made_up_at_start_with_busier_grids_and_the_daily_rhythm() {
        let c = city();
        let sim = Simulation::new(&c, SimConfig::default());
        let start = sim.now_ms();
        let h = sim.history(0, usize::MAX);
        assert_eq!((h.since, h.until, h.truncated), (start - 28 * DAY_MS, start, false));
        // 2 a minute for 28 days: 80,640 expected (five standard deviations is 1,420).
        let n = h.incidents.len() as f64;
        assert!((n - 80_640.0).abs() < 1_420.0, "{n} incidents");
        assert_eq!(sim.history_len(), h.incidents.len());
        assert!(h.incidents.windows(2).all(|w| w[0].reported_at <= w[1].reported_at), "oldest first");
        assert!(h.incidents.iter().all(|i| i.id.starts_with("H-") && i.closed_at.is_some_and(|t| t <= start)));
        let ids: std::collections::HashSet<&str> = h.incidents.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), h.incidents.len(), "ids are unique");
        // Every incident on a road inside the grid it names: on this street grid, on a street
        // line (multiples of 120 m from -1800 m, as the units' test says).
        let areas = sim.snapshot().entities.areas;
        let ring = |id: &str| &areas.iter().find(|a| a.id == id).expect("grid").ring;
        let on_line = |v: f64| ((v + 1800.0) / 120.0 - ((v + 1800.0) / 120.0).round()).abs() < 1e-3;
        for i in h.incidents.iter().step_by(97) {
            assert!(crate::model::ring_contains(ring(&i.grid_id), [i.lon, i.lat]), "{} in {}", i.id, i.grid_id);
            let p = c.frame.to_local(LonLat::new(i.lon, i.lat));
            assert!(on_line(p[0]) || on_line(p[1]), "{} is off the roads at {p:?}", i.id);
            assert!(!i.district.is_empty());
        }
        // Busier grids: the busiest tenth of the grids holds far more than a tenth.
        let mut per_grid: std::collections::HashMap<&str, usize> = Default::default();
        for i in &h.incidents {
            *per_grid.entry(&i.grid_id).or_default() += 1;
        }
        let mut counts: Vec<usize> = per_grid.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let grids = areas.iter().filter(|a| a.level == AreaLevel::Grid).count();
        let top: usize = counts.iter().take(grids / 10).sum();
        assert!(top as f64 > 0.25 * n, "the busiest tenth holds {top} of {n}");
        // The daily rhythm: 04:00 to 05:00 against 20:00 to 21:00, Shanghai time.
        let hour = |t: Millis| ((t + 8 * 3_600_000).rem_euclid(DAY_MS) / 3_600_000) as u32;
        let at = |hh: u32| h.incidents.iter().filter(|i| hour(i.reported_at) == hh).count() as f64;
        let ratio = at(4) / at(20);
        let expected = daily_rhythm(start - start.rem_euclid(DAY_MS) - 8 * 3_600_000 + 4 * 3_600_000 + 1_800_000)
            / daily_rhythm(start - start.rem_euclid(DAY_MS) - 8 * 3_600_000 + 20 * 3_600_000 + 1_800_000);
        assert!((ratio - expected).abs() < 0.05, "night/evening {ratio:.3}, the rhythm says {expected:.3}");
    }

    #[test]
    fn live_incidents_are_kept_and_closed_and_pages_join() {
        let c = city();
        let cfg = SimConfig { history_days: 1, incidents_per_minute: 60.0, units: 10, ..SimConfig::default() };
        let mut sim = Simulation::new(&c, cfg);
        let start = sim.now_ms();
        let incident = sim.report_incident(IncidentCategory::Fire, 4, Some(LonLat::new(114.06, 22.545)));
        let unit = sim.rank_units(LonLat::new(incident.lon, incident.lat))[0].0.clone();
        let req = DispatchRequest { incident_id: incident.id.clone(), unit_ids: vec![unit], note: String::new() };
        sim.dispatch(&req).expect("dispatch");
        let mut archived = false;
        for _ in 0..1800 {
            sim.step(1000);
            let snap = sim.snapshot();
            if snap.entities.incidents.iter().any(|i| i.id == incident.id && i.status == IncidentStatus::Archived) {
                archived = true;
                break;
            }
        }
        assert!(archived, "the incident was never archived");
        let now = sim.now_ms();
        let live = sim.history(start, usize::MAX);
        assert_eq!(live.since, start);
        let kept = live.incidents.iter().find(|i| i.id == incident.id).expect("the reported incident is kept");
        assert_eq!((kept.category, kept.severity, kept.reported_at), (IncidentCategory::Fire, 4, start));
        assert!(kept.closed_at.is_some_and(|t| t > start && t <= now), "{:?}", kept.closed_at);
        assert!(live.incidents.len() > 100, "an hour at 60 a minute: {}", live.incidents.len());
        assert!(live.incidents.iter().filter(|i| i.id != incident.id).all(|i| i.id.starts_with("I-")));
        // Pages of 1,000 join without a gap or a repeat, and end where one page of all ends.
        let whole = sim.history(0, usize::MAX);
        let (mut since, mut paged, mut pages) = (0, Vec::new(), 0);
        loop {
            let page = sim.history(since, 1000);
            assert!(page.incidents.len() <= 1000 && page.incidents.iter().all(|i| i.reported_at < page.until));
            assert!(page.incidents.first().is_none_or(|i| i.reported_at >= page.since));
            paged.extend(page.incidents);
            since = page.until;
            pages += 1;
            if !page.truncated {
                break;
            }
        }
        assert!(pages > 10);
        assert_eq!(paged, whole.incidents);
        assert_eq!(since, whole.until);
        assert_eq!(sim.history(now + 5, 10).incidents, vec![], "nothing from the future");
    }

    #[test]
    fn hot_spots_are_injected_at_known_grids_with_sane_factors() {
        let c = city();
        let mut sim = Simulation::new(&c, SimConfig { history_days: 0, ..SimConfig::default() });
        assert_eq!(sim.history(0, 10).incidents.len(), 0, "no past asked for");
        let err = sim.inject_hotspot("A4-999", None, 8.0).expect_err("unknown grid");
        assert_eq!(err.to_string(), "no grid area `A4-999`: this city's grids are A4-0 to A4-255");
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1001.0] {
            assert!(matches!(sim.inject_hotspot("A4-3", None, bad), Err(SimError::BadFactor(_))), "{bad}");
        }
        assert_eq!(sim.inject_hotspot("A4-3", Some(IncidentCategory::Fire), 0.5), Ok(()));
        // On a city of one street, the grids it does not cross get nothing and take no hot spot.
        let mut one_street = city();
        one_street.roads.retain(|r| r.class.drivable());
        one_street.roads.truncate(1);
        let mut sparse = Simulation::new(&one_street, SimConfig { history_days: 1, ..SimConfig::default() });
        let past = sparse.history(0, usize::MAX).incidents;
        let used: std::collections::HashSet<&str> = past.iter().map(|i| i.grid_id.as_str()).collect();
        assert!(!used.is_empty() && used.len() < 64, "{} grids on one street", used.len());
        let empty = (0..256).map(|k| format!("A4-{k}")).find(|g| !used.contains(g.as_str())).expect("a grid off it");
        let err = sparse.inject_hotspot(&empty, None, 8.0).expect_err("no road");
        assert_eq!(err, SimError::NoRoads(empty.clone()));
        assert!(err.to_string().contains(&format!("`{empty}` has no road")));
        // A start-up hot spot that cannot be is refused by try_new, left out by new.
        let bad = InjectedHotspot { grid_id: "nowhere".into(), category: None, factor: 3.0 };
        let cfg = SimConfig { history_days: 0, hotspots: vec![bad], ..SimConfig::default() };
        assert!(matches!(Simulation::try_new(&c, cfg.clone()), Err(SimError::UnknownGrid { .. })));
        assert_eq!(Simulation::new(&c, cfg).history_len(), 0);
        // A day without: the city-wide mean is the rate asked for (2 a minute, 2,880 a day, five
        // standard deviations 268). The busiest grid of the made-up past is then made 10 times
        // busier from the start of a second run of the same seed.
        let cfg = SimConfig { history_days: 1, units: 4, ..SimConfig::default() };
        let mut plain = Simulation::new(&c, cfg.clone());
        let busiest = {
            let mut per_grid: std::collections::HashMap<String, usize> = Default::default();
            for i in plain.history(0, usize::MAX).incidents {
                *per_grid.entry(i.grid_id).or_default() += 1;
            }
            per_grid.into_iter().max_by_key(|(g, n)| (*n, g.clone())).map(|(g, _)| g).expect("a grid")
        };
        let hot = InjectedHotspot { grid_id: busiest.clone(), category: None, factor: 10.0 };
        let mut hot = Simulation::try_new(&c, SimConfig { hotspots: vec![hot], ..cfg }).expect("a grid of the city");
        let start = plain.now_ms();
        for _ in 0..1440 {
            plain.step(60_000);
            hot.step(60_000);
        }
        let (a, b) = (plain.history(start, usize::MAX).incidents, hot.history(start, usize::MAX).incidents);
        assert!((a.len() as f64 - 2880.0).abs() < 268.0, "{} incidents in a day", a.len());
        let (na, nb) =
            (a.iter().filter(|i| i.grid_id == busiest).count(), b.iter().filter(|i| i.grid_id == busiest).count());
        let ratio = nb as f64 / na.max(1) as f64;
        assert!(na >= 30 && (6.0..=16.0).contains(&ratio), "{busiest}: {na} without, {nb} with the hot spot");
        // The rest of the city as before (five standard deviations of the difference: 380).
        let rest = (a.len() - na) as f64 - (b.len() - nb) as f64;
        assert!(rest.abs() < 380.0, "{} and {} elsewhere", a.len() - na, b.len() - nb);
    }

    #[test]
    fn ids_keep_their_text() {
        for id in ["I-000001", "I-1234567", "I-01", "X-9", "I-"] {
            assert_eq!(RecordId::of(id).text(), id);
        }
        assert_eq!(RecordId::of("I-000042"), RecordId::Sim(42));
        assert_eq!(RecordId::Past(3).text(), "H-0000003");
    }

    #[test]
    fn the_made_up_past_fits_the_store() {
        assert_eq!(History::backfill_hours(28, 2.0), 28 * 24);
        assert_eq!(History::backfill_hours(28, 10.0), 28 * 24, "403,200 fit in 450,000");
        assert_eq!(History::backfill_hours(99, 0.0), HISTORY_MAX_DAYS * 24);
        assert_eq!(History::backfill_hours(28, 300.0), 25, "450,000 at 18,000 an hour");
        assert_eq!(History::backfill_hours(0, 2.0), 0);
    }
}
