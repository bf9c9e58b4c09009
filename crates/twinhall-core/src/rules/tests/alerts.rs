//! Alerts: one per key while open, the lifecycle, and a book restored from kept alerts.

use super::*;
use crate::rules::alerts::Resolution;
use crate::rules::{Alert, AlertError, Stage};

fn edge(rule: usize, subject: &str, on: bool) -> Edge {
    Edge { rule, subject: subject.into(), on, value: if on { 3.0 } else { 0.0 }, lonlat: on.then_some([24.9, 60.1]) }
}

fn two_rules() -> Rules {
    rules(
        r#"
[[rule]]
id = "low"
name_zh = "低"
name_en = "Low"
severity = 1
suggest = "other"
kind = "stale"
entity = "camera"

[[rule]]
id = "high"
name_zh = "高"
name_en = "High"
severity = 4
suggest = "fire"
kind = "stale"
entity = "sensor"
"#,
    )
}

#[test]
fn a_repeat_updates_the_open_alert_and_a_closed_key_starts_a_new_one() {
    let rules = two_rules();
    let mut book = AlertBook::default();
    assert_eq!(book.apply(&rules, &[edge(1, "S1", true)], T0), vec![AlertEvent::Opened(1)]);
    assert_eq!(book.apply(&rules, &[edge(1, "S1", false)], T0 + 10), vec![AlertEvent::Cleared(1)]);
    let a = book.get(1).expect("alert 1");
    assert_eq!((a.active, a.cleared_at, a.count), (false, Some(T0 + 10), 1));
    assert_eq!(book.apply(&rules, &[edge(1, "S1", true)], T0 + 20), vec![AlertEvent::Repeated(1)]);
    let a = book.get(1).expect("alert 1");
    assert_eq!((a.key.as_str(), a.count, a.first_seen, a.last_seen, a.active), ("high/S1", 2, T0, T0 + 20, true));
    assert_eq!((a.severity, a.suggest, a.name_zh.as_str()), (4, IncidentCategory::Fire, "高"));
    assert_eq!(book.all().len(), 1, "no second alert for the same key");

    book.acknowledge(1, "值班员 王", T0 + 30).expect("a new alert is acknowledged");
    assert_eq!(book.apply(&rules, &[edge(1, "S1", false), edge(1, "S1", true)], T0 + 40).len(), 2);
    assert_eq!(book.get(1).map(|a| (a.count, a.stage())), Some((3, Stage::Acknowledged)), "acknowledged is still open");
    book.dismiss(1, "设备检修", "值班员 王", T0 + 50).expect("dismissed");
    assert!(book.open_for("high/S1").is_none());
    assert!(book.apply(&rules, &[edge(1, "S1", false)], T0 + 60).is_empty(), "a closed alert is not updated");
    assert_eq!(book.apply(&rules, &[edge(1, "S1", true)], T0 + 70), vec![AlertEvent::Opened(2)], "a new one after");
    assert_eq!(book.get(1).map(Alert::stage), Some(Stage::Dismissed));
}

#[test]
fn the_lifecycle_goes_new_acknowledged_then_incident_or_dismissed() {
    let rules = two_rules();
    let mut book = AlertBook::default();
    book.apply(&rules, &[edge(0, "C1", true), edge(1, "S1", true), edge(1, "S2", true)], T0);
    assert!(matches!(
        book.to_incident(1, "I-9", "王", T0),
        Err(AlertError::NotAcknowledged { id: 1, stage: Stage::New })
    ));
    assert!(matches!(book.dismiss(2, "误报", "王", T0), Err(AlertError::NotAcknowledged { .. })));
    assert!(matches!(book.acknowledge(9, "王", T0), Err(AlertError::Unknown(9))));
    assert!(matches!(book.acknowledge(1, "  ", T0), Err(AlertError::Empty("who"))));
    book.acknowledge(1, "王", T0 + 1).expect("ack");
    assert!(matches!(book.acknowledge(1, "李", T0 + 2), Err(AlertError::NotNew { .. })), "once");
    assert!(matches!(book.dismiss(1, "", "王", T0 + 3), Err(AlertError::Empty("reason"))));
    let a = book.to_incident(1, "I-9", "王", T0 + 4).expect("incident");
    assert_eq!(a.resolution, Some(Resolution::Incident { incident_id: "I-9".into(), by: "王".into(), at: T0 + 4 }));
    assert_eq!(a.acknowledged.as_ref().map(|k| (k.by.as_str(), k.at)), Some(("王", T0 + 1)));
    assert!(matches!(
        book.dismiss(1, "late", "王", T0 + 5),
        Err(AlertError::NotAcknowledged { stage: Stage::Incident, .. })
    ));
    // The panel: open ones, most severe first, then oldest.
    book.apply(&rules, &[edge(0, "C2", true)], T0 + 6);
    let order: Vec<&str> = book.open_by_severity().iter().map(|a| a.key.as_str()).collect();
    assert_eq!(order, vec!["high/S1", "high/S2", "low/C2"]);
    // Kept and restored (a restart): the open ones still take repeats, ids go on.
    let json = serde_json::to_string(book.all()).expect("alerts serialise");
    let kept: Vec<Alert> = serde_json::from_str(&json).expect("and read back");
    let mut again = AlertBook::from_alerts(kept);
    assert_eq!(again, book);
    assert_eq!(again.apply(&rules, &[edge(1, "S2", true)], T0 + 7), vec![AlertEvent::Repeated(3)]);
    assert_eq!(again.apply(&rules, &[edge(0, "C1", true)], T0 + 8), vec![AlertEvent::Opened(5)]);
}

#[test]
fn a_restored_book_settles_against_what_holds_now_and_a_condition_found_again_is_no_new_occurrence() {
    let rules = two_rules();
    let mut book = AlertBook::default();
    book.apply(&rules, &[edge(0, "C1", true), edge(1, "S1", true), edge(1, "S2", true)], T0);
    book.apply(&rules, &[edge(1, "S2", false)], T0 + 1);
    // A restart: the kept book, and an evaluator that starts afresh. S1's condition still holds
    // and is found again; C1's ended while the app was down, so no edge will ever say so.
    let mut again = AlertBook::from_alerts(book.all().to_vec());
    assert_eq!(again.apply(&rules, &[edge(1, "S1", true)], T0 + 10), vec![AlertEvent::Repeated(2)]);
    assert_eq!(again.get(2).map(|a| (a.count, a.active)), Some((1, true)), "the same occurrence, not a second");
    let holding = ["high/S1".to_owned()].into();
    assert_eq!(again.settle(&holding, T0 + 11), vec![AlertEvent::Cleared(1)]);
    let c1 = again.get(1).expect("C1's alert");
    assert_eq!((c1.active, c1.cleared_at, c1.stage()), (false, Some(T0 + 11), Stage::New), "cleared, still open");
    assert_eq!(again.get(3).and_then(|a| a.cleared_at), Some(T0 + 1), "one cleared before stays as it was");
    assert!(again.settle(&holding, T0 + 12).is_empty(), "settling twice changes nothing");
    // The panel lists what still holds before what ended, at the same severity.
    again.apply(&rules, &[edge(0, "C3", true)], T0 + 13);
    let order: Vec<&str> = again.open_by_severity().iter().map(|a| a.key.as_str()).collect();
    assert_eq!(order, vec!["high/S1", "high/S2", "low/C3", "low/C1"]);
    // The condition starting again later is a new occurrence of the open alert.
    assert_eq!(again.apply(&rules, &[edge(0, "C1", true)], T0 + 20), vec![AlertEvent::Repeated(1)]);
    assert_eq!(again.get(1).map(|a| (a.count, a.active)), Some((2, true)));
}
