use std::collections::BTreeMap;

use super::*;
use crate::frame::LonLat;
use crate::protocol::{
    Area, AreaLevel, AspectScore, Camera, DispatchRequest, Entities, GovernanceIndex, Incident, ReportChannel, Sensor,
    Snapshot, StageTime, Unit, UnitKind, WarningLevel,
};
use crate::sim::{SimConfig, Simulation};

const NOW: Millis = 1_764_300_000_000;
const MIN: Millis = 60_000;
const HOUR: Millis = 3_600_000;

fn incident(id: &str, category: IncidentCategory, status: IncidentStatus, reported_ago: Millis) -> Incident {
    Incident {
        id: id.into(),
        version: 1,
        updated_at: NOW,
        stale_after: None,
        category,
        severity: 2,
        status,
        channel: ReportChannel::Hotline,
        title: id.into(),
        description: String::new(),
        lon: 0.5,
        lat: 0.5,
        address: String::new(),
        district: "东区".into(),
        grid_id: String::new(),
        reported_at: NOW - reported_ago,
        assigned_units: Vec::new(),
        stages: Vec::new(),
    }
}

/// Stages at the given minutes after the report.
fn stages(i: &Incident, steps: &[(IncidentStatus, i64)]) -> Vec<StageTime> {
    steps.iter().map(|(s, m)| StageTime { status: *s, at: i.reported_at + m * MIN }).collect()
}

fn unit(id: &str, status: UnitStatus) -> Unit {
    Unit {
        id: id.into(),
        version: 1,
        updated_at: NOW,
        stale_after: None,
        kind: UnitKind::PoliceCar,
        name: id.into(),
        lon: 0.0,
        lat: 0.0,
        heading_deg: 0.0,
        speed_mps: 0.0,
        status,
        incident_id: None,
        route: Vec::new(),
        altitude_m: None,
        snapshot_url: String::new(),
    }
}

fn sensor(id: &str, kind: &str, alarm: bool) -> Sensor {
    Sensor {
        id: id.into(),
        version: 1,
        updated_at: NOW,
        stale_after: None,
        kind: kind.into(),
        name: id.into(),
        lon: 0.0,
        lat: 0.0,
        reading: 1.0,
        unit: "m".into(),
        threshold: 2.0,
        alarm,
    }
}

fn camera(n: u32, online: bool) -> Camera {
    Camera {
        id: format!("4403050000131{n:07}"),
        version: 1,
        updated_at: NOW,
        stale_after: None,
        name: String::new(),
        lon: 0.0,
        lat: 0.0,
        height_m: 6.0,
        heading_deg: 0.0,
        fov_deg: 60.0,
        range_m: 50.0,
        online,
        snapshot_url: String::new(),
        stream_url: String::new(),
    }
}

/// A district area one degree square with its west edge at `x0` (read from JSON, as the feed
/// sends it, so that fields other than these keep their defaults).
fn district(id: &str, name: &str, x0: f64) -> Area {
    let area = serde_json::json!({
        "id": id, "version": 1, "updated_at": NOW, "level": "district", "name": name,
        "ring": [[x0, 0.0], [x0 + 1.0, 0.0], [x0 + 1.0, 1.0], [x0, 1.0]],
        "population": 1000, "governance_index": 80.0,
    });
    let area: Area = serde_json::from_value(area).expect("an area");
    assert_eq!(area.level, AreaLevel::District);
    area
}

fn store_of(entities: Entities, index: Option<GovernanceIndex>) -> FeedStore {
    let mut store = FeedStore::default();
    store.apply_snapshot(Snapshot {
        protocol: crate::protocol::PROTOCOL.into(),
        epoch: 1,
        seq: 1,
        crs: "EPSG:4326".into(),
        generated_at: NOW,
        entities,
        index,
    });
    store
}

/// Two districts (东区 at x 0..1, 西区 at x 1..2), six incidents, units, sensors, cameras, an index.
fn hand_built() -> FeedStore {
    use IncidentCategory::*;
    use IncidentStatus::*;
    let mut a = incident("I-1", Fire, Reported, 3 * HOUR); // fire limit 2 h: overdue
    a.severity = 4;
    a.stages = stages(&a, &[(Reported, 0)]);
    let mut b = incident("I-2", Fire, Handling, 30 * MIN);
    b.stages = stages(&b, &[(Reported, 0), (Accepted, 2), (Assigned, 5), (Handling, 15)]);
    let mut c = incident("I-3", Dispute, Accepted, 10 * HOUR); // dispute limit 72 h: in time
    c.district = String::new(); // found by its position, in 西区
    c.lon = 1.5;
    c.stages = stages(&c, &[(Reported, 0), (Accepted, 4)]);
    // Archived on first handling.
    let mut d = incident("I-4", Traffic, Archived, 5 * HOUR);
    d.stages = stages(
        &d,
        &[(Reported, 0), (Accepted, 2), (Assigned, 4), (Handling, 10), (Feedback, 30), (Review, 40), (Archived, 50)],
    );
    // Archived after review sent it back once: 处置 20 + 10 minutes, 审核 5 + 5 minutes.
    let mut e = incident("I-5", Traffic, Archived, 20 * HOUR);
    e.district = "西区".into();
    e.stages = stages(
        &e,
        &[
            (Reported, 0),
            (Accepted, 4),
            (Handling, 10),
            (Feedback, 30),
            (Review, 35),
            (Handling, 40),
            (Feedback, 50),
            (Review, 55),
            (Archived, 60),
        ],
    );
    // Open, no 流转记录 (a backend that does not keep it), outside both districts.
    let mut f = incident("I-6", CityManagement, Review, 50 * HOUR); // limit 48 h: overdue
    f.district = String::new();
    f.lon = 5.0;
    let index = GovernanceIndex {
        updated_at: NOW,
        overall: 84.5,
        aspects: vec![
            AspectScore { aspect: IndexAspect::SocialGovernance, score: 90.0, level: WarningLevel::Blue },
            AspectScore { aspect: IndexAspect::PublicSafety, score: 71.5, level: WarningLevel::Yellow },
        ],
    };
    store_of(
        Entities {
            incidents: vec![a, b, c, d, e, f],
            units: vec![
                unit("U-1", UnitStatus::Available),
                unit("U-2", UnitStatus::Patrolling),
                unit("U-3", UnitStatus::EnRoute),
                unit("U-4", UnitStatus::OnScene),
                unit("U-5", UnitStatus::Offline),
            ],
            sensors: vec![
                sensor("S-1", "water_level", true),
                sensor("S-2", "water_level", false),
                sensor("S-3", "smoke", true),
                sensor("S-4", "smoke", true),
                sensor("S-5", "radiation", false),
            ],
            cameras: vec![camera(1, true), camera(2, true), camera(3, false)],
            areas: vec![district("D-1", "东区", 0.0), district("D-2", "西区", 1.0)],
            ..Default::default()
        },
        Some(index),
    )
}

fn series(m: &Metrics, name: &str) -> Vec<(String, f64)> {
    match m.get(name) {
        Some(MetricValue::Series(points)) => points.iter().map(|p| (p.key.clone(), p.value)).collect(),
        other => panic!("{name} is not a series: {other:?}"),
    }
}

fn keyed(pairs: &[(&str, f64)]) -> Vec<(String, f64)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[test]
fn a_hand_built_store_gives_the_counts_it_holds() {
    let m = Metrics::compute(&hand_built(), NOW, &EfficiencyLimits::default());
    assert_eq!(m.scalar("open_incidents"), Some(4.0));
    assert_eq!(m.scalar("open_incidents_by_category.fire"), Some(2.0));
    assert_eq!(m.scalar("open_incidents_by_category.traffic"), Some(0.0));
    assert_eq!(m.scalar("open_incidents_by_category.nonsense"), None);
    assert_eq!(m.scalar("no_such_metric"), None);
    assert_eq!(series(&m, "open_incidents_by_category").len(), 9, "every category, zeros too");
    // 东区 by name (I-1, I-2), 西区 by position (I-3), none for I-6 (outside both).
    assert_eq!(series(&m, "open_incidents_by_district"), keyed(&[("东区", 2.0), ("西区", 1.0), ("unassigned", 1.0)]));
    assert_eq!(
        series(&m, "open_incidents_by_status"),
        keyed(&[
            ("reported", 1.0),
            ("accepted", 1.0),
            ("assigned", 0.0),
            ("handling", 1.0),
            ("feedback", 0.0),
            ("review", 1.0)
        ])
    );
    assert_eq!(series(&m, "open_incidents_by_severity"), keyed(&[("1", 0.0), ("2", 3.0), ("3", 0.0), ("4", 1.0)]));
    assert_eq!(m.scalar("units_by_status.on_scene"), Some(1.0));
    assert_eq!(m.scalar("units_available"), Some(2.0), "available and patrolling");
    assert_eq!(m.scalar("alarming_sensors"), Some(3.0));
    assert_eq!(
        series(&m, "sensors_by_kind_alarming"),
        keyed(&[("radiation", 0.0), ("smoke", 2.0), ("water_level", 1.0)])
    );
    assert_eq!((m.scalar("cameras_online"), m.scalar("cameras_offline")), (Some(2.0), Some(1.0)));
    assert_eq!(m.scalar("index_overall"), Some(84.5));
    assert_eq!(series(&m, "index_aspects"), keyed(&[("social_governance", 90.0), ("public_safety", 71.5)]));
    assert_eq!((m.scalar("overdue_incidents"), m.scalar("overdue_incidents_by_category.fire")), (Some(2.0), Some(1.0)));
    assert_eq!(m.scalar("first_handling_share"), Some(50.0));
    // Reported→accepted: I-2 2, I-3 4, I-4 2, I-5 4 minutes; handling: I-2 open, I-4 20, I-5 20 + 10.
    let life = series(&m, "lifecycle_avg_minutes");
    assert_eq!(life[0], ("reported_accepted".to_owned(), 3.0));
    assert_eq!(m.scalar("lifecycle_avg_minutes.handling_feedback"), Some(25.0));
    assert_eq!(m.scalar("lifecycle_avg_minutes.review_archived"), Some(10.0));
    // I-4 closed 4 h 10 min ago, I-5 19 h ago; NOW is 11:20 in Shanghai, so only I-4 today.
    assert_eq!(m.scalar("closed_today"), Some(1.0));
    assert_eq!(m.scalar("reported_last_hour"), Some(1.0));
    for info in METRICS {
        assert!(m.get(info.name).is_some(), "{} has a value", info.name);
        let is_series = matches!(m.get(info.name), Some(MetricValue::Series(_)));
        assert_eq!(is_series, info.kind == MetricKind::Series, "{}", info.name);
    }
}

#[test]
fn without_an_index_or_a_closed_case_those_metrics_are_absent_and_show_a_dash() {
    let store = store_of(
        Entities {
            incidents: vec![incident("I-1", IncidentCategory::Fire, IncidentStatus::Reported, 0)],
            ..Default::default()
        },
        None,
    );
    let m = Metrics::compute(&store, NOW, &EfficiencyLimits::default());
    assert_eq!(m.get("index_overall"), None);
    assert_eq!(m.scalar("first_handling_share"), None);
    assert_eq!(
        m.fill("指数 {index_overall}, {index_aspects.top}, 一次办结 {first_handling_share}", Lang::Zh),
        "指数 —, —, 一次办结 —"
    );
    assert_eq!(series(&m, "lifecycle_avg_minutes"), Vec::new(), "no completed step");
    assert_eq!(m.efficiency().total.first_handling_share, None);
}

#[test]
fn the_efficiency_table_has_every_district_and_category_with_step_times() {
    let limits = EfficiencyLimits::default();
    let store = hand_built();
    let t = efficiency(&store, NOW, &limits);
    assert_eq!(t, Metrics::compute(&store, NOW, &limits).efficiency().clone());
    let keys: Vec<&str> = t.by_district.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["东区", "西区", "unassigned"]);
    let east = &t.by_district[0];
    assert_eq!((east.open, east.overdue, east.closed), (2, 1, 1));
    assert_eq!(east.first_handling_share, Some(100.0));
    assert_eq!(east.avg_step_minutes[0], Some(2.0));
    assert_eq!(east.avg_step_minutes[1], Some(2.5), "I-2 3, I-4 2 minutes accepted → assigned");
    let west = &t.by_district[1];
    assert_eq!((west.open, west.closed, west.first_handling_share), (1, 1, Some(0.0)));
    assert_eq!(west.avg_step_minutes[2], None, "I-5 was never assigned: the grid took it on");
    assert_eq!(west.avg_step_minutes[1], None, "I-3 open in 受理; I-5 went from 受理 to 处置, no 分拨");
    assert_eq!(west.avg_step_minutes[3], Some(30.0), "I-5 handled 20 + 10 minutes");
    let none = &t.by_district[2];
    assert_eq!((none.label_zh.as_str(), none.open, none.overdue), ("未划分", 1, 1));
    assert_eq!(t.by_category.len(), 9);
    let traffic = t.by_category.iter().find(|r| r.key == "traffic").expect("a traffic row");
    assert_eq!((traffic.open, traffic.closed, traffic.first_handling_share), (0, 2, Some(50.0)));
    assert_eq!(traffic.label_zh, "交通");
    assert_eq!((t.total.open, t.total.overdue, t.total.closed), (4, 2, 2));
    // A tighter limit for disputes makes I-3 (10 h) overdue too.
    let tight = EfficiencyLimits::from_names(&BTreeMap::from([("dispute".to_owned(), 8.0)])).expect("valid");
    assert_eq!(efficiency(&store, NOW, &tight).total.overdue, 3);
}

#[test]
fn step_minutes_sum_repeated_visits_and_skip_backwards_time() {
    use IncidentStatus::*;
    let at = |status, m: i64| StageTime { status, at: m * MIN };
    let s = [
        at(Reported, 0),
        at(Accepted, 1),
        at(Assigned, 3),
        at(Handling, 4),
        at(Feedback, 8),
        at(Review, 9),
        at(Handling, 10),
        at(Feedback, 12),
    ];
    // 处置 4 + 2 minutes; 审核 1 minute before it sent the case back.
    assert_eq!(step_minutes(&s), [Some(1.0), Some(2.0), Some(1.0), Some(6.0), Some(1.0), Some(1.0)]);
    assert_eq!(step_minutes(&[at(Reported, 5), at(Accepted, 1)]), [None; 6]);
    assert_eq!(step_minutes(&[]), [None; 6]);
}

/// The index briefing showed 分拨→处置 as `—` and 受理→分拨 equal to 处置→反馈 in every row:
/// a case that skips 分拨 (the grid's own staff take it on) had its 受理→处置 time counted as
/// 受理→分拨, by the stage it left.
#[test]
fn a_skipped_stage_counts_in_no_step() {
    use IncidentStatus::*;
    let at = |status, m: i64| StageTime { status, at: m * MIN };
    let grid = [at(Reported, 0), at(Accepted, 1), at(Handling, 31), at(Feedback, 36)];
    assert_eq!(step_minutes(&grid), [Some(1.0), None, None, Some(5.0), None, None]);
    // Reported straight to assigned: neither 上报→受理 nor 受理→分拨.
    let rushed = [at(Reported, 0), at(Assigned, 2), at(Handling, 9)];
    assert_eq!(step_minutes(&rushed), [None, None, Some(7.0), None, None, None]);

    // In the table: one case dispatched, one the grid took on; only the dispatched one went
    // through 分拨.
    let mut dispatched = incident("I-1", IncidentCategory::Fire, Feedback, HOUR);
    dispatched.stages =
        stages(&dispatched, &[(Reported, 0), (Accepted, 2), (Assigned, 4), (Handling, 11), (Feedback, 16)]);
    let mut local = incident("I-2", IncidentCategory::Dispute, Feedback, HOUR);
    local.stages = stages(&local, &[(Reported, 0), (Accepted, 4), (Handling, 34), (Feedback, 39)]);
    let store = store_of(Entities { incidents: vec![dispatched, local], ..Default::default() }, None);
    let t = efficiency(&store, NOW, &EfficiencyLimits::default());
    assert_eq!(t.total.avg_step_minutes, [Some(3.0), Some(2.0), Some(7.0), Some(5.0), None, None]);
    let m = Metrics::compute(&store, NOW, &EfficiencyLimits::default());
    assert_eq!(m.scalar("lifecycle_avg_minutes.accepted_assigned"), Some(2.0));
    assert_eq!(m.scalar("lifecycle_avg_minutes.assigned_handling"), Some(7.0));
    assert_eq!(
        m.fill("{lifecycle_avg_minutes.top}: {lifecycle_avg_minutes.top_value}", Lang::Zh),
        "分拨→处置: 7.0",
        "the longest step is the one that took longest, not the grid's wait under another name"
    );
}

#[test]
fn templates_fill_scalars_series_keys_and_the_top_in_each_language() {
    let m = Metrics::compute(&hand_built(), NOW, &EfficiencyLimits::default());
    let t = "在办 {open_incidents} 起，火情 {open_incidents_by_category.fire} 起，最多的是{open_incidents_by_category.top}（{open_incidents_by_category.top_value}）；指数 {index_overall}，一次办结 {first_handling_share}，处置平均 {lifecycle_avg_minutes.handling_feedback} 分钟";
    assert_eq!(check_template(t), Ok(()));
    assert_eq!(
        m.fill(t, Lang::Zh),
        "在办 4 起，火情 2 起，最多的是消防（2）；指数 84.5，一次办结 50.0%，处置平均 25.0 分钟"
    );
    assert_eq!(m.fill("{open_incidents_by_category.top}, {index_aspects.top}", Lang::En), "fire, social governance");
    assert_eq!(m.fill("{open_incidents_by_district.西区} {{literal}}", Lang::Zh), "1 {literal}");
    // Unknown at run time: a dash, never a panic or an empty string.
    assert_eq!(m.fill("{open_incidents_by_district.北区}|{nothing}|{open_incidents.x}", Lang::Zh), "—|—|—");
    assert_eq!(m.fill("a { b", Lang::Zh), "a { b", "a stray brace stays");
}

#[test]
fn choices_say_zero_one_and_many_in_words_of_their_own() {
    let m = Metrics::compute(&hand_built(), NOW, &EfficiencyLimits::default());
    let none = Metrics::compute(&store_of(Entities::default(), None), NOW, &EfficiencyLimits::default());
    let open =
        "{open_incidents|zero=No incident is open|one=1 incident is open|many={open_incidents} incidents are open}";
    assert_eq!(check_template(open), Ok(()));
    assert_eq!(m.fill(open, Lang::En), "4 incidents are open");
    assert_eq!(none.fill(open, Lang::En), "No incident is open");
    // Fire 2, traffic 0, severity 4 one; a case left out falls back to `many`, or shows nothing.
    let traffic =
        "{open_incidents_by_category.traffic|zero=暂无交通事件|many=交通 {open_incidents_by_category.traffic} 起}";
    assert_eq!(m.fill(traffic, Lang::Zh), "暂无交通事件");
    assert_eq!(
        m.fill("{open_incidents_by_severity.4|one=one severe case|many=severe cases}", Lang::En),
        "one severe case"
    );
    assert_eq!(m.fill("{open_incidents_by_severity.4|many=n={open_incidents_by_severity.4}}", Lang::En), "n=1");
    assert_eq!(m.fill("[{open_incidents_by_category.traffic|one=x|many=y}]", Lang::En), "[y]");
    assert_eq!(m.fill("[{open_incidents_by_category.traffic|one=x}]", Lang::En), "[]");
    // As written: 50.0% is many; a number that is not there picks `none`, else `zero`, else `many`.
    assert_eq!(m.fill("{first_handling_share|zero=零|one=一|many=多}", Lang::Zh), "多");
    let index = "{index_overall|none=暂无指数|many=指数 {index_overall}}";
    assert_eq!(m.fill(index, Lang::Zh), "指数 84.5");
    assert_eq!(none.fill(index, Lang::Zh), "暂无指数");
    assert_eq!(none.fill("{index_overall|zero=零|many=指数 {index_overall}}", Lang::Zh), "零");
    assert_eq!(none.fill("{index_overall|many=指数 {index_overall}}", Lang::Zh), "指数 —");
    // Choices inside choices.
    let nested = "{open_incidents|zero=无在办|many=在办 {open_incidents} 起{overdue_incidents|zero=|many=，超期 {overdue_incidents} 起}}";
    assert_eq!(check_template(nested), Ok(()));
    assert_eq!(m.fill(nested, Lang::Zh), "在办 4 起，超期 2 起");
    assert_eq!(none.fill(nested, Lang::Zh), "无在办");
    // Chosen figures, and none at all.
    let mut chosen = Metrics::empty();
    assert!(chosen.set("open_incidents", Some(MetricValue::Scalar(1.0))));
    assert!(!chosen.set("no_such_metric", None));
    assert_eq!(chosen.fill(open, Lang::En), "1 incident is open");
    assert_eq!(chosen.fill("{closed_today}", Lang::Zh), MISSING);
    assert!(chosen.set("open_incidents", None));
    assert_eq!(chosen.fill(open, Lang::En), "No incident is open", "no value: `none`, else `zero`");
}

#[test]
fn a_series_with_nothing_above_zero_has_no_top() {
    let m = Metrics::compute(&hand_built(), NOW, &EfficiencyLimits::default());
    let none = Metrics::compute(&store_of(Entities::default(), None), NOW, &EfficiencyLimits::default());
    assert_eq!(series(&none, "open_incidents_by_category").len(), 9, "every category, at zero");
    assert_eq!(none.scalar("open_incidents_by_category.top_value"), None);
    let bare = "最多的是{open_incidents_by_category.top}（{open_incidents_by_category.top_value} 起）";
    assert_eq!(none.fill(bare, Lang::Zh), "最多的是—（— 起）", "never a top of nothing (消防（0 起）)");
    let t = format!("{{open_incidents_by_category.top_value|zero=暂无在办事件|many={bare}}}");
    assert_eq!(check_template(&t), Ok(()));
    assert_eq!(none.fill(&t, Lang::Zh), "暂无在办事件");
    assert_eq!(m.fill(&t, Lang::Zh), "最多的是消防（2 起）");
}

#[test]
fn a_bad_choice_is_refused_at_its_byte_offset() {
    let t = "在办 {open_incidents|zero=无|lots=多}";
    let e = check_template(t).expect_err("no case `lots`");
    assert_eq!(&t[e.offset..], "lots=多}");
    assert!(e.message.contains("`lots`") && e.message.contains("zero, one, many, none"), "{e}");
    let t = "{open_incidents|zero=无|zero=零}";
    assert_eq!(&t[check_template(t).expect_err("a case twice").offset..], "zero=零}");
    assert!(check_template("{open_incidents|many}").expect_err("no text").message.contains("CASE=TEXT"));
    // A placeholder inside a case is checked, at its own byte.
    let t = "{open_incidents|many=共 {open_incident} 起}";
    let e = check_template(t).expect_err("an unknown metric inside");
    assert_eq!(&t[e.offset..e.offset + 14], "{open_incident");
    assert!(e.message.contains("did you mean open_incidents"), "{e}");
    // A choice reads a number, not a label; its path is checked as a placeholder's.
    let e = check_template("{open_incidents_by_category.top|zero=无}").expect_err("a label");
    assert!(e.message.contains("top_value"), "{e}");
    let e = check_template("{open_incidents_by_category|zero=无}").expect_err("a series with no key");
    assert!(e.message.contains("series"), "{e}");
    assert_eq!(check_template("a {open_incidents|zero={open_incidents}").expect_err("unclosed").offset, 2);
    assert_eq!(check_template("{open_incidents|zero=|one=一起|many={open_incidents} 起}"), Ok(()));
}

#[test]
fn a_bad_placeholder_is_refused_at_its_byte_offset_with_close_names() {
    let t = "火情 {open_incident} 起";
    let e = check_template(t).expect_err("unknown metric");
    assert_eq!(e.offset, "火情 ".len());
    assert_eq!(&t[e.offset..e.offset + 1], "{");
    assert!(e.message.contains("open_incident") && e.message.contains("did you mean open_incidents"), "{e}");
    let e = check_template("{open_incidents_by_category.fir}").expect_err("no such key");
    assert!(e.message.contains("no key `fir`") && e.message.contains("fire"), "{e}");
    assert_eq!(e.offset, 0);
    let e = check_template("x {open_incidents_by_category}").expect_err("a series needs a key");
    assert!(e.message.contains("series") && e.offset == 2, "{e}");
    assert!(check_template("{open_incidents.fire}").expect_err("a number has no key").message.contains("one number"));
    assert_eq!(check_template("ok } here").expect_err("stray").offset, 3);
    assert_eq!(check_template("ab {open_incidents").expect_err("unclosed").offset, 3);
    assert!(check_template("{}").is_err());
    // Keys known only at run time are taken; fixed ones are checked.
    assert_eq!(check_template("{open_incidents_by_district.任意区} {sensors_by_kind_alarming.top}"), Ok(()));
    assert_eq!(check_template("{{not a placeholder}} {units_by_status.en_route}"), Ok(()));
    assert_eq!(check_metric("units_available"), Ok(()));
    let e = check_metric("unit_available").expect_err("close to a name");
    assert!(e.contains("units_available"), "{e}");
    let e = check_metric("zzz").expect_err("close to nothing");
    assert!(e.contains("the names are open_incidents,"), "{e}");
}

#[test]
fn the_registry_keys_are_the_protocol_names() {
    let names: Vec<&str> = IncidentCategory::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(CATEGORY_KEYS, names.as_slice());
    let json = |v: String| v.trim_matches('"').to_owned();
    for (k, s) in OPEN_STATUS_KEYS.iter().zip(IncidentStatus::ALL) {
        assert_eq!(*k, json(serde_json::to_string(&s).expect("serialise")));
    }
    for (k, (s, _, _)) in UNIT_STATUS_KEYS.iter().zip(UNIT_STATUSES) {
        assert_eq!(*k, json(serde_json::to_string(&s).expect("serialise")));
    }
    for (k, (a, _, _)) in ASPECT_KEYS.iter().zip(ASPECTS) {
        assert_eq!(*k, json(serde_json::to_string(&a).expect("serialise")));
    }
    let mut seen = std::collections::HashSet::new();
    for m in METRICS {
        assert!(seen.insert(m.name), "{} twice", m.name);
        assert_eq!(m.kind == MetricKind::Scalar, m.keys == MetricKeys::None, "{}", m.name);
    }
}

/// What a chart of the store must show, counted here straight from its entities.
fn counted(store: &FeedStore, now: Millis, limits: &EfficiencyLimits) -> BTreeMap<String, f64> {
    let mut c: BTreeMap<String, f64> = BTreeMap::new();
    let mut add = |k: String, v: f64| *c.entry(k).or_default() += v;
    for (_, i) in store.incidents.iter() {
        if i.status == IncidentStatus::Archived {
            continue;
        }
        add("open_incidents".into(), 1.0);
        add(format!("open_incidents_by_category.{}", i.category.name()), 1.0);
        add(format!("open_incidents_by_district.{}", i.district), 1.0);
        add(format!("open_incidents_by_status.{}", OPEN_STATUS_KEYS[i.status as usize]), 1.0);
        add(format!("open_incidents_by_severity.{}", i.severity), 1.0);
        let limit = limits.hours[&i.category] * 3_600_000.0;
        add("overdue_incidents".into(), f64::from(u8::from((now - i.reported_at) as f64 > limit)));
    }
    for (_, u) in store.units.iter() {
        add(format!("units_by_status.{}", UNIT_STATUS_KEYS[unit_status_index(u.status)]), 1.0);
    }
    for (_, s) in store.sensors.iter() {
        add("alarming_sensors".into(), f64::from(u8::from(s.alarm)));
    }
    for (_, cam) in store.cameras.iter() {
        add(if cam.online { "cameras_online" } else { "cameras_offline" }.into(), 1.0);
    }
    c
}

#[test]
fn metrics_of_a_simulated_city_equal_the_counts_of_its_store() {
    let city = crate::generate::generate_city(900, 5, LonLat::new(114.06, 22.54));
    let cfg =
        SimConfig { incidents: 40, incidents_per_minute: 4.0, units: 30, history_days: 1, ..SimConfig::default() };
    let mut sim = Simulation::new(&city, cfg);
    let mut store = FeedStore::default();
    store.apply_snapshot(sim.snapshot());
    let limits = EfficiencyLimits::from_names(&BTreeMap::from([("fire".to_owned(), 0.25)])).expect("valid");
    let mut checked = 0;
    for second in 1..=60 * 60 {
        sim.step(1000);
        // Dispatch to a new incident every half minute, so some go through 分拨.
        if second % 30 == 0
            && let Some(i) = store.incidents.iter().map(|(_, i)| i).find(|i| i.status == IncidentStatus::Reported)
        {
            let unit = sim.rank_units(LonLat::new(i.lon, i.lat))[0].0.clone();
            let req = DispatchRequest { incident_id: i.id.clone(), unit_ids: vec![unit], note: String::new() };
            sim.dispatch(&req).expect("dispatch");
        }
        if let Some(b) = sim.take_batch() {
            store.apply_batch(b).expect("batches follow one another");
        }
        if second % 600 == 0 {
            let now = sim.now_ms();
            let m = Metrics::compute(&store, now, &limits);
            for (path, v) in counted(&store, now, &limits) {
                assert_eq!(m.scalar(&path), Some(v), "{path} at {second} s");
            }
            let total: f64 = ["open_incidents_by_category", "open_incidents_by_status", "open_incidents_by_district"]
                .iter()
                .map(|n| series(&m, n).iter().map(|(_, v)| v).sum::<f64>())
                .sum();
            assert_eq!(total, 3.0 * m.scalar("open_incidents").expect("a count"));
            assert_eq!(
                m.scalar("units_available"),
                Some(
                    m.scalar("units_by_status.available").unwrap_or(0.0)
                        + m.scalar("units_by_status.patrolling").unwrap_or(0.0)
                )
            );
            let t = m.efficiency();
            assert_eq!(t.total.open as f64, m.scalar("open_incidents").expect("a count"));
            assert_eq!(t.by_district.iter().map(|r| r.open).sum::<usize>(), t.total.open);
            assert_eq!(t.by_category.iter().map(|r| r.overdue).sum::<usize>(), t.total.overdue);
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
    // The simulator's 流转记录: from the report, in time order, ending in the status held.
    let mut sent_back = 0;
    let mut assigned = 0;
    for (_, i) in store.incidents.iter() {
        assert_eq!(i.stages.first(), Some(&StageTime { status: IncidentStatus::Reported, at: i.reported_at }), "{i:?}");
        assert_eq!(i.stages.last().map(|s| s.status), Some(i.status), "{i:?}");
        let forward =
            |a: StageTime, b: StageTime| a.at <= b.at && (b.status > a.status || a.status.can_move_to(b.status));
        assert!(i.stages.windows(2).all(|w| forward(w[0], w[1])), "{i:?}");
        sent_back += usize::from(closed_on_first_handling(i) == Some(false));
        assigned += usize::from(i.stages.iter().any(|s| s.status == IncidentStatus::Assigned));
    }
    assert!(sent_back > 0 && assigned > 0, "{sent_back} sent back, {assigned} assigned");
    let m = Metrics::compute(&store, sim.now_ms(), &limits);
    let share = m.scalar("first_handling_share").expect("some were archived");
    assert!(share > 50.0 && share < 100.0, "{share}");
    assert!(m.scalar("overdue_incidents").expect("a count") > 0.0, "fires past 15 minutes");
    let life = series(&m, "lifecycle_avg_minutes");
    assert_eq!(life.len(), 6, "every step completed by some incident: {life:?}");
    // 处置 lasts five simulated minutes a visit in the simulator.
    let handling = m.scalar("lifecycle_avg_minutes.handling_feedback").expect("some were handled");
    assert!((5.0..6.0).contains(&handling), "{handling}");
}
