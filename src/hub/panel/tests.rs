//! The hub's words: English without full-width punctuation, names with their kind said once,
//! whole numbers never "-0", and a dispatched plan that says what went.

use twinhall_client::outbox::OutboxUpdate;
use twinhall_core::config::Lang;
use twinhall_core::hub::journal::OrderStatus;
use twinhall_core::hub::plans::{Assignment, Shortfall, UnitNeed};
use twinhall_core::hub::surroundings::{CameraSight, DepotNear, FacilityNear, SensorNear, SupplyTotal};
use twinhall_core::protocol::{
    FacilityKind, Incident, IncidentCategory, IncidentStatus, InventoryLine, ReportChannel, UnitKind, UnitStatus,
};

use super::super::{DispatchTiming, FocusAnalysis, RankedUnit, Recommendation};
use super::focused::{self, Focused, Tone};
use super::{around, undo, unit_line};
use crate::overlays::text;

const INCIDENT: &str = "I-1";

fn incident() -> Incident {
    Incident {
        id: INCIDENT.into(),
        version: 1,
        updated_at: 0,
        stale_after: None,
        category: IncidentCategory::Fire,
        severity: 3,
        status: IncidentStatus::Assigned,
        channel: ReportChannel::Hotline,
        title: "仓库起火".into(),
        description: String::new(),
        lon: 114.06,
        lat: 22.54,
        address: String::new(),
        district: String::new(),
        grid_id: String::new(),
        reported_at: 0,
        assigned_units: Vec::new(),
        stages: Vec::new(),
    }
}

/// A unit named as the simulator names them ("无人机 055"), on its way to `busy` if given.
fn unit(i: usize, kind: UnitKind, busy: Option<&str>) -> RankedUnit {
    RankedUnit {
        id: format!("U-{i:05}"),
        name: format!("{} {i:03}", kind.label_zh()),
        kind,
        status: if busy.is_some() { UnitStatus::EnRoute } else { UnitStatus::Patrolling },
        time_s: Some(125.0),
        straight_m: 900.0,
        available: busy.is_none(),
        busy_with: busy.map(str::to_owned),
    }
}

/// The focused incident's analysis with `sent` units already on their way (the plan then
/// needs none, and the core says so).
fn analysis(sent: usize) -> FocusAnalysis {
    let kinds = [UnitKind::PoliceCar, UnitKind::FireEngine, UnitKind::Ambulance];
    let mut units: Vec<RankedUnit> = (0..sent).map(|i| unit(i + 1, kinds[i % 3], Some(INCIDENT))).collect();
    units.push(unit(100, UnitKind::Drone, None));
    let done = sent > 0;
    FocusAnalysis {
        incident_id: Some(INCIDENT.into()),
        units,
        recommendation: Some(Recommendation {
            plan_id: "fire-3".into(),
            plan_zh: "火灾三级响应".into(),
            plan_en: "Fire, level 3".into(),
            needs: if done { Vec::new() } else { vec![UnitNeed { kind: UnitKind::FireEngine, count: 2 }] },
            assignment: Assignment {
                incident_id: INCIDENT.into(),
                units: Vec::new(),
                missing: if done { Vec::new() } else { vec![UnitNeed { kind: UnitKind::FireEngine, count: 1 }] },
                why_zh: String::from(if done {
                    "预案无需出动单位"
                } else {
                    "最快可用：1 辆消防车行程 2 分 5 秒；缺 1 辆消防车"
                }),
                why_en: String::from(if done {
                    "The plan sends no units"
                } else {
                    "Fastest available: 1 fire engine, 2 min 5 s travel"
                }),
            },
            supplies: vec![Shortfall { item: "沙袋".into(), need: 100.0, have: -0.2, unit: "袋".into() }],
            competing: 0,
        }),
        ..FocusAnalysis::default()
    }
}

fn order(reason: Option<&str>) -> OutboxUpdate {
    OutboxUpdate {
        key: "k-1".into(),
        incident_id: INCIDENT.into(),
        status: if reason.is_some() { OrderStatus::Rejected } else { OrderStatus::Accepted },
        order_id: Some("O-000001".into()),
        reason: reason.map(str::to_owned),
    }
}

fn camera(online: bool) -> CameraSight {
    CameraSight {
        id: "34020000001320000001".into(),
        slot: 0,
        name: "视频监控 0001".into(),
        distance_m: 85.0,
        online,
        blocked_by: None,
    }
}

fn school() -> FacilityNear {
    FacilityNear {
        id: "F-1".into(),
        slot: 0,
        kind: FacilityKind::School,
        name: "学校 262".into(),
        distance_m: 300.0,
        travel_s: Some(65.0),
    }
}

fn depot() -> DepotNear {
    DepotNear {
        id: "D-001".into(),
        slot: 0,
        name: "应急物资储备点 01".into(),
        distance_m: 420.0,
        travel_s: Some(90.0),
        inventory: vec![
            InventoryLine { item: "帐篷".into(), quantity: 200.0, unit: "顶".into() },
            InventoryLine { item: "沙袋".into(), quantity: -0.0, unit: "袋".into() },
        ],
    }
}

fn sensor() -> SensorNear {
    SensorNear {
        id: "S-00073".into(),
        slot: 0,
        name: "water_level 073".into(),
        kind: "water_level".into(),
        reading: 1.5,
        unit: "m".into(),
        threshold: 2.5,
        alarm: false,
        stale: true,
        distance_m: 120.0,
    }
}

/// Every line the hub's section words from these samples, in `lang`.
fn hub_lines(lang: Lang) -> Vec<String> {
    let inc = incident();
    let before = analysis(0);
    let after = analysis(9);
    let mut timing = DispatchTiming::default();
    timing.click_to_wire_ms = Some(120.0);
    timing.journal_ms = Some(1.5);
    timing.wire_to_answer_ms = Some(30.0);
    let f = Focused {
        lang,
        incident: &inc,
        analysis: &before,
        outbox: None,
        outbox_error: None,
        timing: &timing,
        undo: None,
    };
    let sent = focused::sent_units(&after, INCIDENT);
    let mut lines = vec![
        around::camera_line(&camera(true), lang),
        around::camera_line(&camera(false), lang),
        around::hydrant_line(12, 157.4, lang),
        around::facility_line(&school(), lang),
        around::depot_line(&depot(), lang),
        around::supplies_line(&[SupplyTotal { item: "沙袋".into(), quantity: -0.2, unit: "袋".into() }], lang),
        around::population_line(1234.4, 3, lang),
        around::sensor_line(&sensor(), lang),
        unit_line(&unit(55, UnitKind::Drone, None), lang),
        undo::undo_text(9, 2.5, lang),
        focused::order_line(&order(None), lang),
        focused::order_line(&order(Some("unit U-00001 is busy")), lang),
        focused::timing_line(&timing, lang).expect("a dispatch was timed"),
        focused::dispatched_line(&sent, Some(&order(None)), lang),
    ];
    lines.extend(focused::plan_lines(&f).into_iter().map(|(_, l)| l));
    lines.extend(focused::plan_lines(&Focused { analysis: &after, ..f }).into_iter().map(|(_, l)| l));
    lines
}

#[test]
fn english_hub_text_has_no_full_width_punctuation_and_names_say_their_kind_once() {
    let en = hub_lines(Lang::En);
    for l in &en {
        assert_eq!(text::full_width(l), None, "{l}");
        for raw in ["water_level", "无人机", "学校", "视频监控", "应急物资储备点", " -0"] {
            assert!(!l.contains(raw), "{raw} in {l}");
        }
    }
    assert!(en.contains(&"12 hydrants (nearest 157 m)".to_owned()), "{en:?}");
    assert!(en.contains(&"Population 1234 (area-weighted over 3 grids)".to_owned()), "{en:?}");
    assert!(en.contains(&"Recommended plan: Fire, level 3".to_owned()), "{en:?}");
    assert!(en.iter().any(|l| l.starts_with("drone 055 · road 2:05")), "{en:?}");

    let zh = hub_lines(Lang::Zh);
    for l in &zh {
        for doubled in ["学校 学校", "无人机 无人机", "视频监控 视频监控", "水位 水位", "water_level", " -0"]
        {
            assert!(!l.contains(doubled), "{doubled} in {l}");
        }
    }
    assert!(zh.contains(&"消火栓 12 个（最近 157 m）".to_owned()), "{zh:?}");
    assert!(zh.iter().any(|l| l.starts_with("学校 262 · 300 m")), "{zh:?}");
    assert!(zh.iter().any(|l| l.starts_with("无人机 055 · ")), "{zh:?}");
    assert!(zh.iter().any(|l| l.starts_with("水位 073 · 1.5/2.5 m")), "{zh:?}");
}

#[test]
fn a_dispatched_plan_says_what_went_not_that_it_needs_nothing() {
    let inc = incident();
    let after = analysis(9);
    let timing = DispatchTiming::default();
    let f = Focused {
        lang: Lang::Zh,
        incident: &inc,
        analysis: &after,
        outbox: None,
        outbox_error: None,
        timing: &timing,
        undo: None,
    };
    let lines = focused::plan_lines(&f);
    let words: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert!(words.iter().all(|l| !l.contains("无需出动")), "{words:?}");
    assert_eq!(lines[0], (Tone::Title, "预案：火灾三级响应".to_owned()));
    assert!(lines.iter().any(|(t, l)| *t == Tone::Done && l.starts_with("已调度 9 个单位")), "{words:?}");

    let sent = focused::sent_units(&after, INCIDENT);
    assert_eq!(
        focused::dispatched_line(&sent, Some(&order(None)), Lang::Zh),
        "已调度 9 个单位（警车 ×3、消防车 ×3、救护车 ×3） · 指令 O-000001 已受理"
    );
    assert_eq!(
        focused::dispatched_line(&sent, Some(&order(None)), Lang::En),
        "9 units dispatched (police car ×3, fire engine ×3, ambulance ×3) · order O-000001 accepted"
    );

    // Before the dispatch: the recommendation, why, and what is missing; nothing "dispatched".
    let before = analysis(0);
    let lines = focused::plan_lines(&Focused { analysis: &before, ..f });
    assert_eq!(lines[0].1, "推荐预案：火灾三级响应");
    assert!(lines.iter().all(|(t, _)| *t != Tone::Done), "{lines:?}");
    assert!(lines.iter().any(|(t, l)| *t == Tone::Weak && l.starts_with("最快可用")), "{lines:?}");
    assert!(lines.iter().any(|(t, l)| *t == Tone::Warn && l.contains("沙袋") && l.contains(" 0/100 ")), "{lines:?}");
}
