//! Key grids on hand-made logs (the statistic, the reasons, the daily window), key places, and on
//! the simulated city: an injected hot spot found first within a stated time, and no more flags
//! than the stated false-alarm rate without one, over ten seeds.

use super::*;
use crate::frame::LonLat;
use crate::protocol::{Area, AreaLevel, Facility, FacilityKind};
use crate::sim::{SimConfig, Simulation};

const H: Millis = 3_600_000;
const NOW: Millis = 1_764_300_000_000;

fn grids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("G{i}")).collect()
}

/// A log covering 28 days, with `per_day` disputes a day at `grid` in the recent window's clock
/// hours (baseline), plus `now_count` in the window itself.
fn log_with(grid: &str, per_day: u32, now_count: u32) -> IncidentLog {
    let mut log = IncidentLog::new();
    log.add_history(&IncidentHistory { since: NOW - 30 * DAY_MS, until: NOW, incidents: vec![], truncated: false });
    let mut n = 0;
    let mut add = |log: &mut IncidentLog, t: Millis| {
        n += 1;
        log.add(&format!("I-{n}"), grid, IncidentCategory::Dispute, t);
    };
    for d in 1..=28 {
        for i in 0..per_day {
            add(&mut log, NOW - d * DAY_MS - H - i64::from(i) * 60_000);
        }
    }
    for i in 0..now_count {
        add(&mut log, NOW - H - i64::from(i) * 60_000);
    }
    log
}

#[test]
fn a_grid_over_its_baseline_is_flagged_with_its_reason() {
    // 36 disputes in 28 days of the window's hours: a baseline of about 1.2 per window.
    let mut log = IncidentLog::new();
    log.add_history(&IncidentHistory { since: NOW - 30 * DAY_MS, until: NOW, incidents: vec![], truncated: false });
    for d in 0..36 {
        log.add(&format!("B{d}"), "G1", IncidentCategory::Dispute, NOW - (1 + d % 28) * DAY_MS - 2 * H);
    }
    for i in 0..7 {
        log.add(&format!("N{i}"), "G1", IncidentCategory::Dispute, NOW - H - i * 60_000);
    }
    let report = score_grids(&log, &grids(100), &RiskConfig::default(), NOW);
    assert_eq!((report.baseline_days, report.cells), (28, 900));
    let top = &report.scores[0];
    assert_eq!((top.grid_id.as_str(), top.category, top.count), ("G1", IncidentCategory::Dispute, 7));
    assert_eq!(top.reason_zh, "矛盾纠纷 7 起 / 基线 1.2");
    assert_eq!(top.reason_en, "Dispute 7 / baseline 1.2");
    // The prior: two days of the city's mean, 36 / (100 grids · 28 days), is under the floor of
    // 0.1; the grid's own 36 dominate.
    let expected = ((2.0f64 * 36.0 / 2800.0).max(0.1) + 36.0) / 30.0;
    assert!((top.expected - expected).abs() < 1e-12, "{}", top.expected);
    // Poisson at that mean would say p = P(X >= 7 | 1.2) = 2.5e-4; the Gamma-Poisson tail is a
    // little wider, and both are far above 0.01 / 900.
    let poisson = ln_poisson_tail(7, expected).exp();
    assert!(top.p > poisson && top.p < 3.0 * poisson, "{} vs {poisson}", top.p);
    assert!(!top.flagged, "p {} is above {}", top.p, report.threshold_p);
    assert_eq!(report.key_grids(), Vec::<&str>::new());
    // Three times as many now is flagged.
    for i in 7..21 {
        log.add(&format!("N{i}"), "G1", IncidentCategory::Dispute, NOW - H - i * 60_000);
    }
    let report = score_grids(&log, &grids(100), &RiskConfig::default(), NOW);
    assert!(report.scores[0].flagged && report.scores[0].p < report.threshold_p);
    assert_eq!(report.key_grids(), vec!["G1"]);
    assert_eq!(report.grid_rank("G1"), Some(0));
}

#[test]
fn a_grid_with_no_baseline_is_surprising_but_not_infinitely() {
    let log = log_with("G7", 0, 1);
    let report = score_grids(&log, &grids(10), &RiskConfig::default(), NOW);
    let s = &report.scores[0];
    // The city has seen no dispute at all: the floor's prior shape 0.1 over 30 days.
    assert!((s.expected - 0.1 / 30.0).abs() < 1e-12, "{}", s.expected);
    assert_eq!(s.reason_zh, "矛盾纠纷 1 起 / 基线 0.00");
    assert!(s.p > 1e-3 && !s.flagged, "one incident: p {}", s.p);
    let log = log_with("G7", 0, 4);
    let s = &score_grids(&log, &grids(10), &RiskConfig::default(), NOW).scores[0];
    assert!(s.flagged && s.score.is_finite() && s.score < 12.0, "four: score {}", s.score);
}

#[test]
fn only_the_same_clock_hours_make_the_baseline_and_each_id_counts_once() {
    // A busy night seven hours before the window's hours does not raise its baseline.
    let mut log = log_with("G1", 1, 3);
    for d in 1..=28 {
        for i in 0..20 {
            log.add(&format!("night-{d}-{i}"), "G1", IncidentCategory::Dispute, NOW - d * DAY_MS - 7 * H - i);
        }
    }
    let s = &score_grids(&log, &grids(4), &RiskConfig::default(), NOW).scores[0];
    assert_eq!(s.count, 3);
    assert!((s.expected - (2.0 * 28.0 / 112.0 + 28.0) / 30.0).abs() < 1e-12, "{}", s.expected);
    // The same incident again (a later version from the feed, a repeated page) counts once.
    let before = log.len();
    assert!(!log.add("I-1", "G1", IncidentCategory::Dispute, NOW - 1));
    assert!(!log.add("X", "", IncidentCategory::Dispute, NOW - 1), "no grid");
    assert_eq!(log.len(), before);
    // Incidents of grids not scored are counted apart.
    log.add("elsewhere", "G99", IncidentCategory::Fire, NOW - 10);
    assert_eq!(score_grids(&log, &grids(4), &RiskConfig::default(), NOW).outside, 1);
    // Forgetting what no baseline reaches changes nothing.
    let kept = score_grids(&log, &grids(4), &RiskConfig::default(), NOW);
    log.forget_before(NOW - 29 * DAY_MS - 7 * H);
    assert_eq!(score_grids(&log, &grids(4), &RiskConfig::default(), NOW), kept);
    log.forget_before(NOW - 10 * DAY_MS);
    assert_eq!(score_grids(&log, &grids(4), &RiskConfig::default(), NOW).baseline_days, 9);
}

#[test]
fn without_history_the_grids_are_compared_with_the_city() {
    let mut log = IncidentLog::new();
    for g in 0..50 {
        log.add(&format!("a{g}"), &format!("G{g}"), IncidentCategory::Traffic, NOW - H);
    }
    for i in 0..19 {
        log.add(&format!("b{i}"), "G3", IncidentCategory::Traffic, NOW - 2 * H);
    }
    let report = score_grids(&log, &grids(50), &RiskConfig::default(), NOW);
    assert_eq!(report.baseline_days, 0);
    assert_eq!(report.scores[0].grid_id, "G3");
    // With no baseline the prior is all there is, and it is wide: 20 where the city has 1.38 a
    // grid is flagged (9 against 1.16 was not: p 5.7e-4 against 0.01 / 450).
    assert!(report.scores[0].flagged, "{:?}", report.scores[0]);
}

fn square(id: &str, lon0: f64, lat0: f64, side_deg: f64) -> Area {
    Area {
        id: id.into(),
        version: 1,
        updated_at: 0,
        stale_after: None,
        level: AreaLevel::Grid,
        name: id.into(),
        parent_id: None,
        ring: vec![[lon0, lat0], [lon0 + side_deg, lat0], [lon0 + side_deg, lat0 + side_deg], [lon0, lat0 + side_deg]],
        population: 0,
        governance_index: 0.0,
        aspects: Vec::new(),
    }
}

fn facility(id: &str, kind: FacilityKind, lon: f64, lat: f64) -> Facility {
    Facility {
        id: id.into(),
        version: 1,
        updated_at: 0,
        stale_after: None,
        kind,
        name: id.into(),
        lon,
        lat,
        capacity: None,
    }
}

#[test]
fn key_places_are_schools_hospitals_and_shelters_in_or_near_a_key_grid() {
    // Grids of 0.005° (about 555 m north-south) at the equator.
    let areas = vec![square("A", 0.0, 0.0, 0.005), square("B", 0.01, 0.0, 0.005)];
    let m = 1.0 / 111_195.0;
    let facilities = vec![
        facility("school-in", FacilityKind::School, 0.002, 0.002),
        facility("hospital-150m", FacilityKind::Hospital, 0.005 + 150.0 * m, 0.002),
        facility("shelter-300m", FacilityKind::Shelter, 0.005 + 300.0 * m, 0.002),
        facility("police-in", FacilityKind::PoliceStation, 0.003, 0.003),
        facility("school-in-b", FacilityKind::School, 0.012, 0.002),
    ];
    let places = key_places(&["A"], &areas, &facilities, 200.0);
    let ids: Vec<&str> = places.iter().map(|p| p.facility_id.as_str()).collect();
    assert_eq!(ids, vec!["school-in", "hospital-150m"]);
    assert_eq!(places[0].distance_m, 0.0);
    assert!((places[1].distance_m - 150.0).abs() < 1.0, "{}", places[1].distance_m);
    // Between two key grids, a place goes with the nearer (the shelter is 300 m from A, 256 m
    // from B); the grids' ranks, then distance, order the list.
    let places = key_places(&["B", "A"], &areas, &facilities, 2000.0);
    let ids: Vec<(&str, &str)> = places.iter().map(|p| (p.grid_id.as_str(), p.facility_id.as_str())).collect();
    assert_eq!(ids, vec![("B", "school-in-b"), ("B", "shelter-300m"), ("A", "school-in"), ("A", "hospital-150m")]);
    assert!((places[1].distance_m - 256.0).abs() < 2.0, "{}", places[1].distance_m);
    assert!(key_places(&["nowhere"], &areas, &facilities, 200.0).is_empty());
}

// ---- On the simulated city -------------------------------------------------------------------

/// The rate the simulation tests run at: a busy city, 14,400 incidents a day over 256 grids (a
/// median grid has 1 to 4 disputes in six hours, by the time of day). At the default 2 a
/// minute a median grid has a fifth of that, eight times it is a handful, and a handful is
/// not told from chance among 2,304 cells within hours.
const RATE: f64 = 10.0;
const SEEDS: u64 = 10;
/// Simulated time between evaluations.
const EVERY: Millis = 15 * 60_000;

fn city() -> crate::CityModel {
    crate::generate::generate_city(900, 5, LonLat::new(114.06, 22.54))
}

/// A simulation per seed, starting at another time of day (five hours apart) so the seeds
/// cover the daily rhythm.
fn sim(city: &crate::CityModel, seed: u64) -> Simulation {
    let start_ms = SimConfig::default().start_ms + seed as Millis * 5 * H;
    let config = SimConfig {
        seed,
        units: 2,
        cameras: 2,
        sensors: 0,
        supply_depots: 0,
        incidents_per_minute: RATE,
        start_ms,
        ..SimConfig::default()
    };
    Simulation::new(city, config)
}

/// Reads the simulation's history from `since` on, page by page as a client does.
fn catch_up(sim: &Simulation, log: &mut IncidentLog, since: &mut Millis) {
    loop {
        let page = sim.history(*since, 50_000);
        log.add_history(&page);
        *since = page.until;
        if !page.truncated {
            break;
        }
    }
}

fn grid_ids(sim: &Simulation) -> Vec<String> {
    sim.snapshot().entities.areas.into_iter().filter(|a| a.level == AreaLevel::Grid).map(|a| a.id).collect()
}

/// The grid with the median count of disputes in the made-up past, among those with any.
fn median_grid(sim: &Simulation) -> String {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for i in sim.history(0, usize::MAX).incidents.iter().filter(|i| i.category == IncidentCategory::Dispute) {
        *counts.entry(i.grid_id.clone()).or_default() += 1;
    }
    let mut by_count: Vec<(usize, String)> = counts.into_iter().map(|(g, n)| (n, g)).collect();
    by_count.sort();
    by_count[by_count.len() / 2].1.clone()
}

/// Within this much simulated time after a factor-8 dispute hot spot is injected at a median
/// grid, that grid ranks first at every evaluation (every 15 minutes) up to the end of the run
/// (8 hours), for every seed. Measured (printed by the test): 0.5 to 5.0 hours, median 2.9; the
/// slowest start at night, when the daily rhythm makes the fewest incidents.
const FOUND_WITHIN: Millis = 6 * H;
const RUN: Millis = 8 * H;

#[test]
fn an_injected_hot_spot_ranks_first_within_the_stated_time_for_every_seed() {
    let city = city();
    let config = RiskConfig::default();
    let mut worst = 0;
    for seed in 1..=SEEDS {
        let mut sim = sim(&city, seed);
        let grids = grid_ids(&sim);
        let target = median_grid(&sim);
        let (mut log, mut since) = (IncidentLog::new(), 0);
        catch_up(&sim, &mut log, &mut since);
        let start = sim.now_ms();
        let before = score_grids(&log, &grids, &config, start);
        sim.inject_hotspot(&target, Some(IncidentCategory::Dispute), 8.0).expect("a grid of this city");
        // The time from which the grid ranked first at every evaluation.
        let mut first_since: Option<Millis> = None;
        let mut ranks = Vec::new();
        while sim.now_ms() - start < RUN {
            for _ in 0..EVERY / 60_000 {
                sim.step(60_000);
            }
            catch_up(&sim, &mut log, &mut since);
            let report = score_grids(&log, &grids, &config, sim.now_ms());
            let rank = report.grid_rank(&target);
            ranks.push(rank.map_or(-1, |r| r as i64));
            if rank == Some(0) {
                first_since.get_or_insert(sim.now_ms() - start);
            } else {
                first_since = None;
            }
        }
        let found = first_since.unwrap_or(Millis::MAX);
        let top = score_grids(&log, &grids, &config, sim.now_ms());
        let s = &top.by_grid()[0];
        let when = first_since.map_or("never in 8 h".into(), |t| format!("after {:.2} h", t as f64 / H as f64));
        println!(
            "seed {seed:2}: {target} (rank before {:?}) first for good {when}; ranks each 15 min {ranks:?}; \
             at the end {} p {:.1e} flagged {} ({})",
            before.grid_rank(&target),
            s.grid_id,
            s.p,
            s.flagged,
            s.reason_en
        );
        worst = worst.max(found);
    }
    println!("worst over {SEEDS} seeds: ranked first for good {:.2} h after injection", worst as f64 / H as f64);
    assert!(worst <= FOUND_WITHIN, "the hot spot was not first for good within {FOUND_WITHIN} ms for some seed");
}

#[test]
fn without_injection_flags_stay_within_the_stated_false_alarm_rate() {
    let city = city();
    let config = RiskConfig::default();
    let (mut evaluations, mut flagged_cells, mut with_flag) = (0u32, 0u32, 0u32);
    for seed in 1..=SEEDS {
        let mut sim = sim(&city, seed);
        let grids = grid_ids(&sim);
        let (mut log, mut since) = (IncidentLog::new(), 0);
        catch_up(&sim, &mut log, &mut since);
        let start = sim.now_ms();
        let mut seed_flags = Vec::new();
        // Every hour for a day, the first at start (on the made-up past alone).
        loop {
            let report = score_grids(&log, &grids, &config, sim.now_ms());
            let n = report.flagged().count() as u32;
            evaluations += 1;
            flagged_cells += n;
            with_flag += u32::from(n > 0);
            if n > 0 {
                seed_flags.extend(report.flagged().map(|s| format!("{} {}", s.grid_id, s.reason_en)));
            }
            if sim.now_ms() - start >= 24 * H {
                break;
            }
            for _ in 0..60 {
                sim.step(60_000);
            }
            catch_up(&sim, &mut log, &mut since);
        }
        println!("seed {seed:2}: flags {seed_flags:?}");
    }
    let rate = f64::from(with_flag) / f64::from(evaluations);
    println!(
        "{evaluations} evaluations of 2,304 cells over {SEEDS} seeds: {with_flag} with a flag ({rate:.4} of them), \
         {flagged_cells} flagged cells ({:.4} an evaluation); stated: at most alpha = {} of evaluations",
        f64::from(flagged_cells) / f64::from(evaluations),
        config.alpha
    );
    assert!(rate <= config.alpha, "{with_flag} of {evaluations} evaluations flagged a grid");
}
