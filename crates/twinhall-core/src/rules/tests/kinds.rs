//! Each rule kind on hand-made streams: when it fires, when it does not, when it clears.

use super::*;

const HEAD: &str = "name_zh = \"测\"\nname_en = \"Test\"\nseverity = 2\nsuggest = \"other\"\n";

fn rule(id: &str, body: &str) -> String {
    format!("[[rule]]\nid = \"{id}\"\n{HEAD}{body}\n")
}

fn sensors(list: Vec<Sensor>) -> Entities {
    Entities { sensors: list, ..Default::default() }
}

const S: Millis = 1000;

#[test]
fn threshold_waits_the_minimum_duration_and_clears_only_at_the_clear_level() {
    let mut rig = Rig::new(&rule(
        "water",
        "kind = \"threshold\"\nsensor_kind = \"water_level\"\nabove = 2.5\nclear = 2.2\nfor_s = 30",
    ));
    let r = rig.rules.clone();
    let mut v = 0;
    let mut read = |rig: &mut Rig, x: f64, t: Millis| {
        v += 1;
        rig.step(sensors(vec![sensor("S1", "water_level", x, T0 + t, v)]), vec![], T0 + t)
    };
    assert!(read(&mut rig, 2.6, 0).edges.is_empty(), "past the level: waiting");
    assert!(read(&mut rig, 2.7, 10 * S).edges.is_empty());
    assert!(rig.at(T0 + 30 * S - 1).edges.is_empty(), "29.999 s is not 30 s");
    let fired = rig.at(T0 + 30 * S);
    assert_eq!(fired.on(&r), vec!["water/S1"], "fires by the deadline alone, no new reading");
    assert_eq!(fired.edges[0].value, 2.7);
    assert!(read(&mut rig, 2.4, 40 * S).edges.is_empty(), "between clear and level: still on (hysteresis)");
    assert!(read(&mut rig, 2.3, 45 * S).edges.is_empty());
    assert_eq!(read(&mut rig, 2.2, 50 * S).off(&r), vec!["water/S1"], "at the clear level: cleared");
    // Past the level, then back under it before the duration is up: the wait is cancelled.
    assert!(read(&mut rig, 2.6, 60 * S).edges.is_empty());
    assert!(read(&mut rig, 2.45, 70 * S).edges.is_empty());
    assert!(rig.at(T0 + 200 * S).edges.is_empty(), "a cancelled wait never fires");
    // Fires again: the open alert is updated, not doubled.
    read(&mut rig, 2.9, 300 * S);
    let again = rig.at(T0 + 330 * S);
    assert_eq!(again.on(&r), vec!["water/S1"]);
    assert_eq!(again.events, vec![AlertEvent::Repeated(1)]);
    assert_eq!(rig.book.all().len(), 1);
    let alert = &rig.book.all()[0];
    assert_eq!((alert.count, alert.first_seen, alert.last_seen, alert.active), (2, T0 + 30 * S, T0 + 330 * S, true));
    // Other kinds and stale versions are ignored.
    assert!(
        rig.step(sensors(vec![sensor("S2", "smoke", 999.0, T0 + 331 * S, 1)]), vec![], T0 + 400 * S).edges.is_empty()
    );
    let old = sensor("S1", "water_level", 0.0, T0 + 332 * S, 1);
    assert!(rig.step(sensors(vec![old]), vec![], T0 + 401 * S).edges.is_empty(), "an older version changes nothing");
    assert_eq!(
        rig.step(Entities::default(), vec![removal(EntityKind::Sensor, "S1")], T0 + 402 * S).off(&r),
        vec!["water/S1"],
        "a removed sensor's condition ends"
    );
}

#[test]
fn a_below_threshold_fires_under_the_level_and_clears_at_or_above_clear() {
    let mut rig = Rig::new(&rule("low", "kind = \"threshold\"\nsensor_kind = \"pressure\"\nbelow = 10\nclear = 12"));
    let r = rig.rules.clone();
    let step = |rig: &mut Rig, x: f64, v: u64| {
        rig.step(sensors(vec![sensor("P", "pressure", x, T0 + v as Millis * S, v)]), vec![], T0 + v as Millis * S)
    };
    assert!(step(&mut rig, 10.0, 1).edges.is_empty(), "strictly below");
    assert_eq!(step(&mut rig, 9.9, 2).on(&r), vec!["low/P"], "no minimum duration: at once");
    assert!(step(&mut rig, 11.9, 3).edges.is_empty());
    assert_eq!(step(&mut rig, 12.0, 4).off(&r), vec!["low/P"]);
}

#[test]
fn rate_fires_on_a_rise_within_the_window_and_clears_as_the_window_moves_on() {
    let mut rig = Rig::new(&format!(
        "{}{}",
        rule("rise", "kind = \"rate\"\nsensor_kind = \"water_level\"\nrise = 1.0\nwindow_s = 60"),
        rule("fall", "kind = \"rate\"\nsensor_kind = \"flow\"\nfall = 0.5\nwindow_s = 20"),
    ));
    let r = rig.rules.clone();
    let step = |rig: &mut Rig, id: &str, kind: &str, x: f64, t: Millis, v: u64| {
        rig.step(sensors(vec![sensor(id, kind, x, T0 + t, v)]), vec![], T0 + t)
    };
    assert!(step(&mut rig, "W", "water_level", 1.0, 0, 1).edges.is_empty());
    assert!(step(&mut rig, "W", "water_level", 1.5, 10 * S, 2).edges.is_empty());
    let rose = step(&mut rig, "W", "water_level", 2.1, 20 * S, 3);
    assert_eq!(rose.on(&r), vec!["rise/W"]);
    assert!((rose.edges[0].value - 1.1).abs() < 1e-9, "the change is reported");
    assert!(step(&mut rig, "W", "water_level", 2.0, 30 * S, 4).edges.is_empty(), "2.0 - 1.0 still reaches 1.0");
    assert!(rig.at(T0 + 60 * S - 1).edges.is_empty());
    assert_eq!(rig.at(T0 + 60 * S).off(&r), vec!["rise/W"], "the 1.0 reading left the window: lowest is now 1.5");
    // A fall of 0.5 within 20 s.
    assert!(step(&mut rig, "F", "flow", 2.0, 100 * S, 1).edges.is_empty());
    assert!(step(&mut rig, "F", "flow", 2.1, 110 * S, 2).edges.is_empty());
    assert_eq!(step(&mut rig, "F", "flow", 1.5, 125 * S, 3).on(&r), vec!["fall/F"], "2.1 → 1.5 within 20 s");
    assert!(rig.at(T0 + 130 * S - 1).edges.is_empty());
    assert_eq!(rig.at(T0 + 130 * S).off(&r), vec!["fall/F"], "the 2.1 reading left the window");
    // A sensor's readings out of order in time count at its latest time; a silent one's window
    // empties.
    let late = step(&mut rig, "F", "flow", 0.5, 120 * S, 4);
    assert_eq!(late.on(&r), vec!["fall/F"], "counted at 125 s, beside 1.5: a fall of 1.0");
    assert_eq!(rig.at(T0 + 1000 * S).off(&r), vec!["fall/F"], "a silent sensor's window empties");
    // Time does not go back: an earlier evaluation is taken at the latest one.
    assert!(rig.at(T0 + 10 * S).edges.is_empty());
}

#[test]
fn stale_fires_past_the_period_by_deadline_and_clears_on_the_next_report() {
    let mut rig = Rig::new(&format!(
        "{}{}",
        rule("silent", "kind = \"stale\"\nentity = \"sensor\"\nsensor_kind = \"noise\"\nperiod_s = 60"),
        rule("cam", "kind = \"stale\"\nentity = \"camera\""),
    ));
    let r = rig.rules.clone();
    rig.step(sensors(vec![sensor("N", "noise", 50.0, T0, 1), sensor("G", "gas", 1.0, T0, 1)]), vec![], T0);
    assert!(rig.at(T0 + 60 * S).edges.is_empty(), "silent for exactly the period is not longer than it");
    let stale = rig.at(T0 + 60 * S + 1);
    assert_eq!(stale.on(&r), vec!["silent/N"], "only sensors of the rule's kind");
    assert!((stale.edges[0].value - 60.001).abs() < 1e-9, "seconds silent");
    assert_eq!(
        rig.ev.holding(),
        std::collections::HashSet::from(["silent/N".to_owned()]),
        "what holds, by the book's keys"
    );
    assert_eq!(
        rig.step(sensors(vec![sensor("N", "noise", 50.0, T0 + 70 * S, 2)]), vec![], T0 + 70 * S).off(&r),
        vec!["silent/N"]
    );
    assert!(rig.ev.holding().is_empty());
    // Many reports keep one deadline per sensor queued, not one per report.
    for v in 3..200u64 {
        let t = T0 + 70 * S + v as Millis * 100;
        rig.step(sensors(vec![sensor("N", "noise", 50.0, t, v)]), vec![], t);
    }
    assert!(rig.ev.counts().1 <= 4, "deadlines queued: {}", rig.ev.counts().1);
    // A camera without a period goes stale past its own stale_after.
    let mut cam = camera("C", 0.0, 0.0, true, T0 + 100 * S, 1);
    cam.stale_after = Some(T0 + 105 * S);
    rig.step(Entities { cameras: vec![cam], ..Default::default() }, vec![], T0 + 100 * S);
    assert!(rig.at(T0 + 105 * S).edges.is_empty());
    assert_eq!(rig.at(T0 + 105 * S + 1).on(&r), vec!["cam/C"]);
    assert_eq!(
        rig.step(Entities::default(), vec![removal(EntityKind::Camera, "C")], T0 + 106 * S).off(&r),
        vec!["cam/C"]
    );
}

#[test]
fn geofences_see_units_enter_and_leave_areas_and_polygons() {
    let [a, b, c, d] = [at(1000.0, 0.0), at(1500.0, 0.0), at(1500.0, 500.0), at(1000.0, 500.0)];
    let polygon = format!("[[{}, {}], [{}, {}], [{}, {}], [{}, {}]]", a[0], a[1], b[0], b[1], c[0], c[1], d[0], d[1]);
    let mut rig = Rig::new(&format!(
        "{}{}",
        rule("in", "kind = \"geofence\"\narea = \"G1\"\nevent = \"enter\"\nunit_kinds = [\"police_car\"]"),
        rule("out", &format!("kind = \"geofence\"\npolygon = {polygon}\nevent = \"leave\"")),
    ));
    let r = rig.rules.clone();
    let areas = Entities { areas: vec![square("G1", AreaLevel::Grid, 0.0, 0.0, 500.0, 1)], ..Default::default() };
    rig.step(areas, vec![], T0);
    let mut v = 0;
    let mut go = |rig: &mut Rig, id: &str, kind: UnitKind, x: f64, y: f64| {
        v += 1;
        rig.step(Entities { units: vec![unit(id, kind, x, y, T0 + v, v as u64)], ..Default::default() }, vec![], T0 + v)
    };
    assert_eq!(
        go(&mut rig, "U1", UnitKind::PoliceCar, 100.0, 100.0).on(&r),
        vec!["in/U1@G1"],
        "first seen inside: entered"
    );
    assert!(go(&mut rig, "U2", UnitKind::FireEngine, 100.0, 100.0).edges.is_empty(), "not a kind the rule watches");
    assert!(go(&mut rig, "U1", UnitKind::PoliceCar, 200.0, 100.0).edges.is_empty(), "moving inside: no change");
    assert_eq!(go(&mut rig, "U1", UnitKind::PoliceCar, 600.0, 100.0).off(&r), vec!["in/U1@G1"]);
    assert!(go(&mut rig, "U3", UnitKind::Ambulance, 2000.0, 100.0).edges.is_empty(), "never inside: has not left");
    assert!(go(&mut rig, "U3", UnitKind::Ambulance, 1200.0, 100.0).edges.is_empty(), "in the polygon");
    assert_eq!(go(&mut rig, "U3", UnitKind::Ambulance, 1600.0, 100.0).on(&r), vec!["out/U3@polygon"]);
    assert_eq!(go(&mut rig, "U3", UnitKind::Ambulance, 1400.0, 100.0).off(&r), vec!["out/U3@polygon"], "back inside");
    // The open alert of a unit entering again is updated.
    let again = go(&mut rig, "U1", UnitKind::PoliceCar, 300.0, 300.0);
    assert_eq!(again.on(&r), vec!["in/U1@G1"]);
    assert!(matches!(again.events[..], [AlertEvent::Repeated(_)]));
    // The area leaves the feed: nobody is inside it any more.
    let gone = rig.step(Entities::default(), vec![removal(EntityKind::Area, "G1")], T0 + 100);
    assert_eq!(gone.off(&r), vec!["in/U1@G1"]);
    let back = Entities { areas: vec![square("G1", AreaLevel::Grid, 0.0, 0.0, 500.0, 2)], ..Default::default() };
    assert_eq!(rig.step(back, vec![], T0 + 101).on(&r), vec!["in/U1@G1"], "and when it comes back, it is again");
}

fn incidents(list: Vec<Incident>) -> Entities {
    Entities { incidents: list, ..Default::default() }
}

#[test]
fn a_fence_with_too_many_incidents_of_its_category_in_the_window_fires() {
    let mut rig = Rig::new(&rule(
        "disputes",
        "kind = \"geofence_incidents\"\narea_level = \"grid\"\ncategory = \"dispute\"\nmore_than = 2\nwindow_min = 10",
    ));
    let r = rig.rules.clone();
    let grids =
        vec![square("G1", AreaLevel::Grid, 0.0, 0.0, 500.0, 1), square("G2", AreaLevel::Grid, 500.0, 0.0, 500.0, 1)];
    let street = square("ST", AreaLevel::Street, 0.0, 0.0, 1000.0, 1);
    rig.step(Entities { areas: [grids, vec![street]].concat(), ..Default::default() }, vec![], T0);
    const M: Millis = 60_000;
    use IncidentCategory::*;
    let add = |rig: &mut Rig, id: &str, c: IncidentCategory, x: f64, t: Millis| {
        rig.step(incidents(vec![incident(id, c, x, 100.0, T0 + t, 1)]), vec![], T0 + t)
    };
    assert!(add(&mut rig, "I1", Dispute, 100.0, 0).edges.is_empty());
    assert!(add(&mut rig, "I2", Dispute, 200.0, M).edges.is_empty());
    assert!(add(&mut rig, "I3", Fire, 200.0, 2 * M).edges.is_empty(), "another category");
    assert!(add(&mut rig, "I4", Dispute, 700.0, 2 * M).edges.is_empty(), "another grid");
    let third = add(&mut rig, "I5", Dispute, 300.0, 3 * M);
    assert_eq!(third.on(&r), vec!["disputes/G1"], "three is more than two");
    assert_eq!((third.edges[0].value, third.edges[0].lonlat.is_some()), (3.0, true));
    let removed = rig.step(Entities::default(), vec![removal(EntityKind::Incident, "I1")], T0 + 4 * M);
    assert!(removed.edges.is_empty(), "a removed incident still counts within its window");
    assert!(rig.at(T0 + 10 * M - 1).edges.is_empty());
    assert_eq!(rig.at(T0 + 10 * M).off(&r), vec!["disputes/G1"], "the first one left the window");
    // An incident whose report moves into the fence counts there.
    let moved = rig.step(incidents(vec![incident("I4", Dispute, 400.0, 100.0, T0 + 10 * M, 2)]), vec![], T0 + 10 * M);
    assert_eq!(moved.on(&r), vec!["disputes/G1"]);
}

#[test]
fn a_cluster_fires_keeps_its_name_while_it_changes_and_ends_with_its_window() {
    let mut rig =
        Rig::new(&rule("fires", "kind = \"cluster\"\ncategory = \"fire\"\ncount = 3\nradius_m = 200\nwindow_min = 30"));
    let r = rig.rules.clone();
    const M: Millis = 60_000;
    use IncidentCategory::*;
    let add = |rig: &mut Rig, id: &str, c: IncidentCategory, x: f64, y: f64, t: Millis| {
        rig.step(incidents(vec![incident(id, c, x, y, T0 + t, 1)]), vec![], T0 + t)
    };
    assert!(add(&mut rig, "I1", Fire, 0.0, 0.0, 0).edges.is_empty());
    assert!(add(&mut rig, "I2", Fire, 150.0, 0.0, M).edges.is_empty());
    assert!(add(&mut rig, "I0", Traffic, 75.0, 0.0, M).edges.is_empty(), "another category");
    let three = add(&mut rig, "I3", Fire, 300.0, 0.0, 2 * M);
    assert_eq!(
        three.on(&r),
        vec!["fires/I2"],
        "I2 has I1 and I3 within 200 m: a cluster of three, named after its core"
    );
    assert_eq!(three.edges[0].value, 3.0);
    assert!(add(&mut rig, "I4", Fire, 100.0, 50.0, 3 * M).edges.is_empty(), "it grows: same alert, no new one");
    let far = add(&mut rig, "I5", Fire, 5000.0, 0.0, 4 * M);
    assert!(far.edges.is_empty());
    add(&mut rig, "I6", Fire, 5100.0, 0.0, 5 * M);
    assert_eq!(add(&mut rig, "I7", Fire, 5050.0, 80.0, 6 * M).on(&r), vec!["fires/I5"], "a second cluster elsewhere");
    add(&mut rig, "I8", Fire, 5050.0, -80.0, 10 * M);
    // I1 leaves the window at 30 min; I2, I3, I4 still make one: the name stays.
    assert!(rig.at(T0 + 30 * M).edges.is_empty(), "no change while the cluster goes on");
    // I2 leaves at 31 min; I3 and I4 are 206 m apart: the cluster ends.
    assert_eq!(rig.at(T0 + 31 * M).off(&r), vec!["fires/I2"]);
    // I5 leaves at 34 min; I6, I7, I8 are still within 200 m of I6: the cluster keeps the name
    // of the incident that started it.
    assert!(rig.at(T0 + 34 * M).edges.is_empty(), "the cluster keeps its name when its first incident leaves");
    assert_eq!(rig.at(T0 + 35 * M).off(&r), vec!["fires/I5"], "I6 left too: I7 and I8 are 160 m apart, two only");
    assert_eq!(rig.book.all().len(), 2);
    assert!(rig.book.all().iter().all(|a| a.count == 1), "no alert doubled");
}

#[test]
fn offline_cameras_are_counted_per_grid_and_a_swap_in_one_batch_does_not_flicker() {
    let mut rig = Rig::new(&rule("cams", "kind = \"cameras_offline\"\ncount = 2"));
    let r = rig.rules.clone();
    let grids =
        vec![square("G1", AreaLevel::Grid, 0.0, 0.0, 500.0, 1), square("G2", AreaLevel::Grid, 500.0, 0.0, 500.0, 1)];
    rig.step(Entities { areas: grids, ..Default::default() }, vec![], T0);
    let cams = |list: Vec<Camera>| Entities { cameras: list, ..Default::default() };
    let first = rig.step(
        cams(vec![
            camera("C1", 100.0, 100.0, false, T0, 1),
            camera("C2", 200.0, 100.0, false, T0, 1),
            camera("C3", 300.0, 100.0, true, T0, 1),
            camera("C4", 700.0, 100.0, false, T0, 1),
        ]),
        vec![],
        T0 + 1,
    );
    assert_eq!(first.on(&r), vec!["cams/G1"]);
    assert_eq!(first.edges[0].value, 2.0);
    let swap = rig.step(
        cams(vec![camera("C1", 100.0, 100.0, true, T0, 2), camera("C3", 300.0, 100.0, false, T0, 2)]),
        vec![],
        T0 + 2,
    );
    assert!(swap.edges.is_empty(), "one back, one down in the same batch: still two");
    assert_eq!(rig.step(cams(vec![camera("C3", 300.0, 100.0, true, T0, 3)]), vec![], T0 + 3).off(&r), vec!["cams/G1"]);
    let moved = rig.step(cams(vec![camera("C2", 800.0, 100.0, false, T0, 2)]), vec![], T0 + 4);
    assert_eq!(moved.on(&r), vec!["cams/G2"], "a camera moved into the other grid");
    assert_eq!(rig.step(Entities::default(), vec![removal(EntityKind::Camera, "C4")], T0 + 5).off(&r), vec!["cams/G2"]);
}

/// Where a grid has many cameras, a few offline is normal: with a share, the rule asks for that
/// share of the grid's cameras as well as the count, and cameras joining or leaving move it.
#[test]
fn a_share_of_offline_cameras_counts_against_all_the_cameras_in_the_grid() {
    let mut rig = Rig::new(&rule("cams", "kind = \"cameras_offline\"\ncount = 2\nshare = 0.5"));
    let r = rig.rules.clone();
    rig.step(
        Entities { areas: vec![square("G1", AreaLevel::Grid, 0.0, 0.0, 500.0, 1)], ..Default::default() },
        vec![],
        T0,
    );
    let cams = |list: Vec<Camera>| Entities { cameras: list, ..Default::default() };
    // Ten cameras, three offline: the count is met, the share (30%) is not.
    let ten: Vec<Camera> =
        (0..10).map(|i| camera(&format!("C{i}"), 20.0 + 40.0 * i as f64, 100.0, i >= 3, T0, 1)).collect();
    assert!(rig.step(cams(ten), vec![], T0 + 1).edges.is_empty(), "3 of 10 offline is not half");
    // Two more go down: five of ten.
    let down = rig.step(
        cams(vec![camera("C3", 140.0, 100.0, false, T0, 2), camera("C4", 180.0, 100.0, false, T0, 2)]),
        vec![],
        T0 + 2,
    );
    assert_eq!(down.on(&r), vec!["cams/G1"]);
    assert_eq!(down.edges[0].value, 5.0);
    // A camera installed in the grid: five of eleven is under half again.
    let more = rig.step(cams(vec![camera("C10", 450.0, 300.0, true, T0, 1)]), vec![], T0 + 3);
    assert_eq!(more.off(&r), vec!["cams/G1"]);
    // It is taken out, and an online one moves away: five of nine.
    let back =
        rig.step(cams(vec![camera("C9", 900.0, 900.0, true, T0, 2)]), vec![removal(EntityKind::Camera, "C10")], T0 + 4);
    assert_eq!(back.on(&r), vec!["cams/G1"]);
}

#[test]
fn a_snapshot_replaces_what_the_evaluator_knows() {
    let mut rig = Rig::new(&rule("water", "kind = \"threshold\"\nsensor_kind = \"water_level\"\nabove = 2.5"));
    let r = rig.rules.clone();
    let on = rig.step(sensors(vec![sensor("S1", "water_level", 3.0, T0, 5)]), vec![], T0);
    assert_eq!(on.on(&r), vec!["water/S1"]);
    // A restarted backend: versions start again and S1 is gone.
    let snapshot = crate::protocol::Snapshot {
        protocol: crate::protocol::PROTOCOL.into(),
        epoch: 2,
        seq: 1,
        crs: "EPSG:4326".into(),
        generated_at: T0 + S,
        entities: sensors(vec![sensor("S2", "water_level", 3.0, T0 + S, 1)]),
        index: None,
    };
    rig.ev.apply_snapshot(&snapshot);
    rig.full.apply_snapshot(&snapshot);
    let edges = rig.ev.evaluate(T0 + S);
    assert_eq!(edges, rig.full.evaluate_full(T0 + S));
    let keys: Vec<(bool, &str)> = edges.iter().map(|e| (e.on, e.subject.as_str())).collect();
    assert_eq!(keys, vec![(false, "S1"), (true, "S2")]);
    assert_eq!(rig.ev.known(), [0, 1, 0, 0]);
}
