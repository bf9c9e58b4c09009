//! Tests of the plans: the file, recommending and assigning units, the sentences, the matching.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::explain::{fmt_duration_en, fmt_duration_zh};
use super::matching::min_cost_matching;
use super::model::{UNIT_KINDS, kind_rank};
use super::*;
use crate::generate::SplitMix64;
use crate::protocol::{IncidentCategory, UnitKind};

fn parse_err(text: &str) -> String {
    match Plans::parse(text, Path::new("config/plans.toml")) {
        Ok(_) => panic!("should fail: {text}"),
        Err(e) => e.to_string(),
    }
}

const GOOD: &str = r#"
[[plan]]
id = "fire-minor"
name_zh = "一般火情"
name_en = "Minor fire"
category = "fire"
severity = [1, 2]
units = { fire_engine = 1 }

[[plan]]
id = "fire-major"
name_zh = "重大火情处置预案"
name_en = "Major fire"
category = "fire"
severity = [3, 4]
units = { police_car = 1, ambulance = 1, fire_engine = 3 }
supplies = [ { item = "饮用水", quantity = 20, unit = "箱" } ]
"#;

#[test]
fn shipped_plans_parse_and_cover_every_category_and_severity_once() {
    let plans = Plans::parse(DEFAULT_PLANS, Path::new("config/plans.toml")).expect("shipped plans parse");
    assert!(plans.uncovered().is_empty(), "{:?}", plans.uncovered());
    for category in IncidentCategory::ALL {
        for s in SEVERITIES {
            let n = plans.plans.iter().filter(|p| p.covers(category, s)).count();
            assert_eq!(n, 1, "{category:?} severity {s}");
        }
    }
    let depot_items =
        [("帐篷", "顶"), ("饮用水", "箱"), ("沙袋", "袋"), ("发电机", "台"), ("救生衣", "件"), ("折叠床", "张")];
    for p in &plans.plans {
        assert!(!p.units.is_empty(), "{}", p.id);
        assert!(p.units.windows(2).all(|w| kind_rank(w[0].kind) < kind_rank(w[1].kind)), "{}", p.id);
        for s in &p.supplies {
            assert!(depot_items.contains(&(s.item.as_str(), s.unit.as_str())), "{}: {} {}", p.id, s.item, s.unit);
        }
    }
    let fire = plans.find(IncidentCategory::Fire, 4).expect("a fire plan");
    assert!(fire.units.iter().any(|u| u.kind == UnitKind::FireEngine && u.count >= 3));
}

#[test]
fn file_names_match_the_protocol() {
    for c in IncidentCategory::ALL {
        assert_eq!(serde_json::to_string(&c).ok(), Some(format!("\"{}\"", c.name())));
    }
    for (k, name, ..) in UNIT_KINDS {
        assert_eq!(serde_json::to_string(&k).ok(), Some(format!("\"{name}\"")));
    }
}

#[test]
fn parses_units_in_kind_order_and_finds_plans() {
    let plans = Plans::parse(GOOD, Path::new("x.toml")).expect("parses");
    assert_eq!(plans.plans.len(), 2);
    let major = &plans.plans[1];
    assert_eq!(major.severity, (3, 4));
    assert_eq!(
        major.units,
        vec![
            UnitNeed { kind: UnitKind::PoliceCar, count: 1 },
            UnitNeed { kind: UnitKind::FireEngine, count: 3 },
            UnitNeed { kind: UnitKind::Ambulance, count: 1 },
        ]
    );
    assert_eq!(major.supplies, vec![SupplyNeed { item: "饮用水".into(), quantity: 20.0, unit: "箱".into() }]);
    assert_eq!(plans.find(IncidentCategory::Fire, 1).map(|p| p.id.as_str()), Some("fire-minor"));
    assert_eq!(plans.find(IncidentCategory::Fire, 2).map(|p| p.id.as_str()), Some("fire-minor"));
    assert_eq!(plans.find(IncidentCategory::Fire, 3).map(|p| p.id.as_str()), Some("fire-major"));
    assert_eq!(plans.find(IncidentCategory::Fire, 4).map(|p| p.id.as_str()), Some("fire-major"));
    assert!(plans.find(IncidentCategory::Fire, 5).is_none());
    assert!(plans.find(IncidentCategory::Traffic, 2).is_none());
    assert!(Plans::parse("", Path::new("x.toml")).is_ok_and(|p| p.plans.is_empty()));
    let single = GOOD.replace("severity = [1, 2]", "severity = 2").replace("severity = [3, 4]", "severity = 3");
    let plans = Plans::parse(&single, Path::new("x.toml")).expect("single severities parse");
    assert_eq!(plans.plans[0].severity, (2, 2));
}

#[test]
fn broken_plans_name_line_and_field() {
    let cases: [(&str, &str, &str); 22] = [
        // (replace this, with this, expected text)
        (
            "units = { fire_engine = 1 }",
            "units = { fire_truck = 1 }",
            "config/plans.toml:8: plan[0].units.fire_truck: unknown unit kind",
        ),
        (
            "category = \"fire\"\nseverity = [3",
            "category = \"fires\"\nseverity = [3",
            "config/plans.toml:14: plan[1].category: unknown category `fires`",
        ),
        ("severity = [3, 4]", "severity = [4, 3]", "config/plans.toml:15: plan[1].severity: range [4, 3] is reversed"),
        (
            "severity = [3, 4]",
            "severity = [3, 5]",
            "config/plans.toml:15: plan[1].severity[1]: severity 5 is outside 1..=4",
        ),
        (
            "severity = [1, 2]",
            "severity = [0, 2]",
            "config/plans.toml:7: plan[0].severity[0]: severity 0 is outside 1..=4",
        ),
        ("severity = [1, 2]", "severity = \"high\"", "config/plans.toml:7: plan[0].severity: must be a severity"),
        (
            "fire_engine = 3",
            "fire_engine = 0",
            "config/plans.toml:16: plan[1].units.fire_engine: count must be 1..=100, got 0",
        ),
        (
            "fire_engine = 3",
            "fire_engine = -2",
            "config/plans.toml:16: plan[1].units.fire_engine: count must be 1..=100, got -2",
        ),
        (
            "fire_engine = 3",
            "fire_engine = 1.5",
            "config/plans.toml:16: plan[1].units.fire_engine: must be a whole number",
        ),
        (
            "units = { fire_engine = 1 }",
            "units = {}",
            "config/plans.toml:8: plan[0].units: needs at least one unit kind",
        ),
        (
            "quantity = 20",
            "quantity = 0",
            "config/plans.toml:17: plan[1].supplies[0].quantity: must be a positive quantity",
        ),
        (
            "quantity = 20",
            "quantity = -1.5",
            "config/plans.toml:17: plan[1].supplies[0].quantity: must be a positive quantity",
        ),
        ("quantity = 20", "quantity = \"20\"", "config/plans.toml:17: plan[1].supplies[0].quantity: must be a number"),
        ("unit = \"箱\"", "units = \"箱\"", "config/plans.toml:17: plan[1].supplies[0].units: unknown field"),
        (
            "name_en = \"Minor fire\"",
            "name_en = \"Minor fire\"\ncolour = \"red\"",
            "config/plans.toml:6: plan[0].colour: unknown field",
        ),
        (
            "id = \"fire-major\"",
            "id = \"fire-minor\"",
            "config/plans.toml:11: plan[1].id: duplicate plan id `fire-minor` (first at line 3)",
        ),
        (
            "severity = [3, 4]",
            "severity = [2, 4]",
            "config/plans.toml:15: plan[1].severity: overlaps plan[0] `fire-minor` (line 7) on fire severity 2",
        ),
        ("name_zh = \"一般火情\"\n", "", "config/plans.toml:2: plan[0].name_zh: missing (required)"),
        ("id = \"fire-major\"", "id = \"\"", "config/plans.toml:11: plan[1].id: must not be empty"),
        ("name_en = \"Major fire\"", "name_en = \"Major fire", "config/plans.toml:13: plan[1].name_en: invalid TOML"),
        (
            "units = { police_car = 1,",
            "units = { police_car = 1,,",
            "config/plans.toml:16: plan[1].units: invalid TOML",
        ),
        (
            "[[plan]]\nid = \"fire-minor\"",
            "plans = 3\n[[plan]]\nid = \"fire-minor\"",
            "config/plans.toml:2: plans: unknown field",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(GOOD.contains(from), "{from}");
        let text = GOOD.replacen(from, to, 1);
        let err = parse_err(&text);
        assert!(err.starts_with(expected), "{to:?}\n  gave     {err}\n  expected {expected}");
        assert!(!err.contains('\n'), "{err}");
    }
    // Severity shapes that are not numbers or pairs.
    let err = parse_err(&GOOD.replace("severity = [3, 4]", "severity = [3, 4, 4]"));
    assert!(err.starts_with("config/plans.toml:15: plan[1].severity: "), "{err}");
    // A second table shape for supplies works and names the entry.
    let tables = GOOD.replace(
            "supplies = [ { item = \"饮用水\", quantity = 20, unit = \"箱\" } ]",
            "[[plan.supplies]]\nitem = \"饮用水\"\nquantity = 20\nunit = \"箱\"\n[[plan.supplies]]\nitem = \"沙袋\"\nquantity = 0\nunit = \"袋\"",
        );
    let err = parse_err(&tables);
    assert!(err.starts_with("config/plans.toml:23: plan[1].supplies[1].quantity:"), "{err}");
    let err = parse_err(&GOOD.replace(
        "quantity = 20, unit = \"箱\" }",
        "quantity = 20, unit = \"箱\" }, { item = \"饮用水\", quantity = 2, unit = \"箱\" }",
    ));
    assert!(err.contains("plan[1].supplies[1]: `饮用水` (箱) is listed twice"), "{err}");
}

#[test]
fn unreadable_file_names_it() {
    let err = Plans::load(Path::new("/nonexistent/plans.toml")).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.starts_with("/nonexistent/plans.toml: cannot read: "), "{err}");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/plans.toml");
    assert_eq!(Plans::load(&shipped).ok(), Plans::parse(DEFAULT_PLANS, Path::new("x")).ok());
}

fn cand(id: &str, kind: UnitKind, time_s: f32) -> Candidate {
    Candidate { unit_id: id.into(), kind, time_s }
}

fn need(kind: UnitKind, count: u32) -> UnitNeed {
    UnitNeed { kind, count }
}

fn ids(a: &Assignment) -> Vec<&str> {
    a.units.iter().map(|u| u.unit_id.as_str()).collect()
}

#[test]
fn recommend_picks_the_fastest_and_skips_taken() {
    let candidates = vec![
        cand("F-01", UnitKind::FireEngine, 300.0),
        cand("F-02", UnitKind::FireEngine, 120.0),
        cand("F-03", UnitKind::FireEngine, 60.0),
        cand("F-04", UnitKind::FireEngine, f32::INFINITY),
        cand("A-01", UnitKind::Ambulance, 200.0),
        cand("A-02", UnitKind::Ambulance, 90.0),
        cand("P-01", UnitKind::PoliceCar, 30.0),
    ];
    let needs = [need(UnitKind::FireEngine, 2), need(UnitKind::Ambulance, 1)];
    let a = recommend(&needs, &candidates, &HashSet::new());
    assert_eq!(ids(&a), ["F-03", "F-02", "A-02"]);
    assert!(a.missing.is_empty());
    assert!(a.why_zh.contains("2 辆消防车总行程 3 分钟"), "{}", a.why_zh);
    assert!(a.why_en.contains("2 fire engines, 3 min travel in total"), "{}", a.why_en);

    let taken: HashSet<String> = ["F-03".to_string(), "A-02".to_string()].into();
    let a = recommend(&needs, &candidates, &taken);
    assert_eq!(ids(&a), ["F-02", "F-01", "A-01"]);
    assert!(a.why_zh.contains("最近的消防车 F-03 已被占用"), "{}", a.why_zh);

    // The unreachable engine is never sent, even when short.
    let a = recommend(&[need(UnitKind::FireEngine, 5)], &candidates, &HashSet::new());
    assert_eq!(ids(&a), ["F-03", "F-02", "F-01"]);
    assert_eq!(a.missing, vec![need(UnitKind::FireEngine, 2)]);
    assert!(a.why_zh.contains("缺 2 辆消防车"), "{}", a.why_zh);
    assert!(a.why_en.contains("short of 2 fire engines"), "{}", a.why_en);
}

#[test]
fn severity_comes_first_and_the_reason_says_so() {
    let demands = vec![
        Demand {
            incident_id: "I-0002".into(),
            severity: 2,
            reported_at: 100,
            needs: vec![need(UnitKind::FireEngine, 1)],
            candidates: vec![cand("F-03", UnitKind::FireEngine, 60.0), cand("F-09", UnitKind::FireEngine, 600.0)],
        },
        Demand {
            incident_id: "I-0007".into(),
            severity: 4,
            reported_at: 200,
            needs: vec![need(UnitKind::FireEngine, 1)],
            candidates: vec![cand("F-03", UnitKind::FireEngine, 400.0), cand("F-09", UnitKind::FireEngine, 500.0)],
        },
    ];
    let out = assign(&demands);
    assert_eq!(out[0].incident_id, "I-0002");
    assert_eq!(ids(&out[1]), ["F-03"]);
    assert_eq!(ids(&out[0]), ["F-09"]);
    assert!(out[0].why_zh.contains("最近的消防车 F-03 已派往更严重的事件 I-0007"), "{}", out[0].why_zh);
    assert!(
        out[0].why_en.contains("nearest fire engine F-03 went to more severe incident I-0007"),
        "{}",
        out[0].why_en
    );
    assert!(out[1].why_zh.starts_with("严重度 4，优先于 1 起较低等级事件"), "{}", out[1].why_zh);
    assert!(out[1].why_en.starts_with("Severity 4, ahead of 1 lower-severity incident"), "{}", out[1].why_en);

    // Same severity: the older incident is served first only as a tie-break; the total decides.
    let mut same = demands.clone();
    same[1].severity = 2;
    let out = assign(&same);
    // F-03→I-0002 + F-09→I-0007 = 560 beats F-03→I-0007 + F-09→I-0002 = 1000.
    assert_eq!(ids(&out[0]), ["F-03"]);
    assert_eq!(ids(&out[1]), ["F-09"]);
    assert!(out[1].why_zh.contains("全局最短"), "{}", out[1].why_zh);
    assert!(out[1].why_zh.contains("最近的消防车 F-03 派往同级事件 I-0002"), "{}", out[1].why_zh);
}

/// A random case: incidents with random severities (few tiers, so they compete) and units of
/// two kinds with random times, some unreachable or not listed.
fn random_case(rng: &mut SplitMix64) -> Vec<Demand> {
    let kinds = [UnitKind::FireEngine, UnitKind::Ambulance];
    let n_incidents = 2 + (rng.next_u64() % 2) as usize;
    let n_units = 3 + (rng.next_u64() % 4) as usize;
    let units: Vec<(String, UnitKind)> =
        (0..n_units).map(|u| (format!("U-{u}"), kinds[(rng.next_u64() % 2) as usize])).collect();
    (0..n_incidents)
        .map(|i| {
            let mut needs = vec![need(UnitKind::FireEngine, 1 + (rng.next_u64() % 2) as u32)];
            if rng.unit() < 0.6 {
                needs.push(need(UnitKind::Ambulance, 1 + (rng.next_u64() % 2) as u32));
            }
            let candidates = units
                .iter()
                .filter_map(|(id, kind)| {
                    if rng.unit() >= 0.85 {
                        return None;
                    }
                    let time_s = if rng.unit() < 0.12 { f32::INFINITY } else { rng.range(30.0, 900.0) as f32 };
                    Some(cand(id, *kind, time_s))
                })
                .collect();
            Demand {
                incident_id: format!("I-{i}"),
                severity: 3 + (rng.next_u64() % 2) as u8,
                reported_at: (rng.next_u64() % 1000) as i64,
                needs,
                candidates,
            }
        })
        .collect()
}

/// The best (most filled, then least total time) for one tier with the given free units.
fn brute_force(tier: &[&Demand], free: &HashSet<String>) -> (usize, f64) {
    let mut units: Vec<(String, UnitKind)> = Vec::new();
    for d in tier {
        for c in &d.candidates {
            if free.contains(&c.unit_id) && !units.iter().any(|u| u.0 == c.unit_id) {
                units.push((c.unit_id.clone(), c.kind));
            }
        }
    }
    let mut capacity: Vec<HashMap<UnitKind, u32>> = tier
        .iter()
        .map(|d| {
            let mut m = HashMap::new();
            for n in &d.needs {
                *m.entry(n.kind).or_insert(0) += n.count;
            }
            m
        })
        .collect();
    fn go(
        k: usize,
        units: &[(String, UnitKind)],
        tier: &[&Demand],
        capacity: &mut [HashMap<UnitKind, u32>],
        filled: usize,
        time: f64,
        best: &mut (usize, f64),
    ) {
        if k == units.len() {
            if filled > best.0 || (filled == best.0 && time < best.1) {
                *best = (filled, time);
            }
            return;
        }
        go(k + 1, units, tier, capacity, filled, time, best);
        let (id, kind) = &units[k];
        for (d, demand) in tier.iter().enumerate() {
            let Some(c) = demand.candidates.iter().find(|c| &c.unit_id == id && c.time_s.is_finite()) else {
                continue;
            };
            let left = capacity[d].get(kind).copied().unwrap_or(0);
            if left == 0 {
                continue;
            }
            capacity[d].insert(*kind, left - 1);
            go(k + 1, units, tier, capacity, filled + 1, time + f64::from(c.time_s), best);
            capacity[d].insert(*kind, left);
        }
    }
    let mut best = (0, 0.0);
    go(0, &units, tier, &mut capacity, 0, 0.0, &mut best);
    best
}

#[test]
fn assign_is_severity_first_and_minimum_total_time_within_a_tier() {
    let mut rng = SplitMix64::new(0x05ee_d0f9_1a25);
    let (mut competing, mut greedy_worse) = (0, 0);
    for case in 0..200 {
        let demands = random_case(&mut rng);
        let out = assign(&demands);
        assert_eq!(out.len(), demands.len());
        let mut seen = HashSet::new();
        for (d, a) in demands.iter().zip(&out) {
            assert_eq!(a.incident_id, d.incident_id);
            for u in &a.units {
                assert!(seen.insert(u.unit_id.clone()), "case {case}: {} sent twice", u.unit_id);
                assert!(u.time_s.is_finite(), "case {case}: unreachable {} sent", u.unit_id);
                assert!(d.candidates.contains(u), "case {case}: {} not a candidate of {}", u.unit_id, d.incident_id);
            }
            for n in &d.needs {
                let sent = a.units.iter().filter(|u| u.kind == n.kind).count() as u32;
                let missing = a.missing.iter().filter(|m| m.kind == n.kind).map(|m| m.count).sum::<u32>();
                assert_eq!(sent + missing, n.count, "case {case}");
            }
            assert!(a.units.windows(2).all(|w| w[0].kind != w[1].kind || w[0].time_s <= w[1].time_s));
        }
        // Tier by tier, most severe first: each tier is the brute-force best with what the
        // tiers above left free.
        let mut free: HashSet<String> =
            demands.iter().flat_map(|d| d.candidates.iter().map(|c| c.unit_id.clone())).collect();
        for severity in [4u8, 3] {
            let tier: Vec<usize> = (0..demands.len()).filter(|&i| demands[i].severity == severity).collect();
            if tier.is_empty() {
                continue;
            }
            let tier_demands: Vec<&Demand> = tier.iter().map(|&i| &demands[i]).collect();
            let (best_filled, best_time) = brute_force(&tier_demands, &free);
            let filled: usize = tier.iter().map(|&i| out[i].units.len()).sum();
            let time: f64 = tier.iter().flat_map(|&i| &out[i].units).map(|u| f64::from(u.time_s)).sum();
            assert_eq!(filled, best_filled, "case {case} severity {severity}: {demands:?} -> {out:?}");
            assert!((time - best_time).abs() < 1e-3 * best_time.max(1.0), "case {case}: {time} vs {best_time}");
            if tier.len() > 1 {
                competing += 1;
                // Oldest first, each taking its fastest free units: what the matching beats.
                let mut order = tier.clone();
                order.sort_by_key(|&i| demands[i].reported_at);
                let mut taken: HashSet<String> =
                    demands.iter().flat_map(|d| &d.candidates).map(|c| c.unit_id.clone()).collect();
                taken.retain(|u| !free.contains(u));
                let (mut g_filled, mut g_time) = (0, 0.0);
                for &i in &order {
                    let g = recommend(&demands[i].needs, &demands[i].candidates, &taken);
                    g_filled += g.units.len();
                    g_time += g.units.iter().map(|u| f64::from(u.time_s)).sum::<f64>();
                    taken.extend(g.units.iter().map(|u| u.unit_id.clone()));
                }
                if g_filled < best_filled || (g_filled == best_filled && g_time > best_time + 1e-3) {
                    greedy_worse += 1;
                }
            }
            for &i in &tier {
                for u in &out[i].units {
                    free.remove(&u.unit_id);
                }
            }
        }
    }
    // The cases do compete, and a first-come greedy pick would often be worse.
    assert!(competing >= 50, "{competing}");
    assert!(greedy_worse >= 5, "{greedy_worse} of {competing}");
}

#[test]
fn unreachable_units_are_never_assigned() {
    let demands = vec![Demand {
        incident_id: "I-1".into(),
        severity: 3,
        reported_at: 0,
        needs: vec![need(UnitKind::Ambulance, 2)],
        candidates: vec![
            cand("A-1", UnitKind::Ambulance, f32::INFINITY),
            cand("A-2", UnitKind::Ambulance, f32::NAN),
            cand("A-3", UnitKind::Ambulance, 50.0),
        ],
    }];
    let out = assign(&demands);
    assert_eq!(ids(&out[0]), ["A-3"]);
    assert_eq!(out[0].missing, vec![need(UnitKind::Ambulance, 1)]);
    assert!(out[0].why_zh.contains("缺 1 辆救护车"), "{}", out[0].why_zh);
    // No candidates at all.
    let mut none = demands.clone();
    none[0].candidates.clear();
    let out = assign(&none);
    assert!(out[0].units.is_empty());
    assert_eq!(out[0].missing, vec![need(UnitKind::Ambulance, 2)]);
}

#[test]
fn matching_fills_most_pairs_then_least_cost() {
    // Row 0 can only take column 0; the cheaper overall pick for row 1 is column 0, but filling
    // both rows wins.
    let cost = vec![vec![Some(100.0), None], vec![Some(1.0), Some(500.0)]];
    let mut pairs = min_cost_matching(&cost);
    pairs.sort();
    assert_eq!(pairs, vec![(0, 0), (1, 1)]);
    // More rows than columns.
    let cost = vec![vec![Some(5.0)], vec![Some(3.0)], vec![None]];
    assert_eq!(min_cost_matching(&cost), vec![(1, 0)]);
    assert!(min_cost_matching(&[]).is_empty());
}

#[test]
fn supply_check_lists_every_need() {
    let needs = vec![
        SupplyNeed { item: "饮用水".into(), quantity: 20.0, unit: "箱".into() },
        SupplyNeed { item: "帐篷".into(), quantity: 5.0, unit: "顶".into() },
        SupplyNeed { item: "发电机".into(), quantity: 2.0, unit: "台".into() },
    ];
    let have = vec![
        ("饮用水".to_string(), 12.0, "箱".to_string()),
        ("饮用水".to_string(), 15.0, "箱".to_string()),
        ("饮用水".to_string(), 99.0, "瓶".to_string()),
        ("帐篷".to_string(), 3.0, "顶".to_string()),
    ];
    let check = supply_check(&needs, &have);
    assert_eq!(
        check,
        vec![
            Shortfall { item: "饮用水".into(), need: 20.0, have: 27.0, unit: "箱".into() },
            Shortfall { item: "帐篷".into(), need: 5.0, have: 3.0, unit: "顶".into() },
            Shortfall { item: "发电机".into(), need: 2.0, have: 0.0, unit: "台".into() },
        ]
    );
    assert_eq!(check.iter().map(Shortfall::is_short).collect::<Vec<_>>(), [false, true, true]);
}

#[test]
fn durations_read_naturally() {
    assert_eq!(fmt_duration_zh(432.0), "7 分 12 秒");
    assert_eq!(fmt_duration_en(432.0), "7 min 12 s");
    assert_eq!(fmt_duration_zh(45.2), "45 秒");
    assert_eq!(fmt_duration_zh(180.0), "3 分钟");
}
