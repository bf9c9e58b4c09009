//! The action hub headless against a real backend: focus, surroundings, plan, dispatch.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::config::CitySource;
use twinhall_core::protocol::{DispatchOrder, DispatchRequest, Unit, UnitStatus};
use twinhall_core::sim::{SimConfig, Simulation};

use super::dispatch::RequestDispatch;
use super::*;
use crate::context::{City, FocusIncident};
use crate::feed::FeedData;

/// A real twinhall-feed server on loopback, in this process (its own tokio runtime thread).
fn start_backend(city: &twinhall_core::CityModel, orders: std::path::PathBuf) -> String {
    // The clock is the wall clock (the attention queue reads "new" against it), so the daily
    // rhythm would scale the rate by the time of day (0.37 to 1.58): divided out, 300 a
    // minute whenever the test runs. No made-up past: it would draw the arrivals' random
    // numbers by the time of day too, and nothing here reads it.
    let start_ms = twinhall_core::protocol::now_ms();
    let sim = Simulation::new(
        city,
        SimConfig {
            units: 30,
            cameras: 150,
            incidents: 0,
            incidents_per_minute: 300.0 / twinhall_core::sim::daily_rhythm(start_ms),
            start_ms,
            history_days: 0,
            ..SimConfig::default()
        },
    );
    crate::test_support::serve_sim(sim, orders)
}

/// `GET path` over a plain socket: the body.
fn http_get(base: &str, path: &str) -> String {
    let host = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
}

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("twinhall-hub-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run_until(app: &mut App, what: &str, secs: u64, mut done: impl FnMut(&mut App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(app) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        app.update();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_severe_incident_raises_the_card_and_focus_then_dispatch_sends_one_order_to_a_real_backend() {
    let dir = temp("e2e");
    let model = twinhall_core::generate::generate_city(400, 5, LonLat::new(114.06, 22.54));
    let base = start_backend(&model, dir.join("orders.jsonl"));
    let mut settings = crate::settings::tests::settings_for(CitySource::Generated(400));
    settings.config.feed.url = base.clone();
    settings.config.hub.journal = dir.join("journal.sqlite").to_string_lossy().into_owned();
    settings.config.hub.undo_seconds = 0.0;
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .insert_resource(settings)
        .insert_resource(City { model: Arc::new(model), source: CitySource::Generated(400) })
        .init_resource::<crate::context::Selection>()
        .add_message::<crate::context::FlyTo>()
        .add_plugins(crate::feed::plugin)
        .add_plugins(plugin);

    // The feed syncs, the road ranking is ready, and a severe new incident raises the card.
    run_until(&mut app, "a severe incident's card", 60, |app| {
        let w = app.world();
        w.contains_resource::<HubContext>()
            && w.resource::<AttentionQueue>().current().is_some()
            && w.contains_resource::<HubOutbox>()
    });
    let id = app.world().resource::<AttentionQueue>().current().cloned().expect("a card");
    let severity = app.world().resource::<FeedData>().incidents.get(&id).map(|i| i.severity);
    assert!(matches!(severity, Some(3 | 4)), "the card is for a severe incident: {severity:?}");

    // Action one: focus (what the card's button does).
    app.world_mut().write_message(FocusIncident(id.clone()));
    app.world_mut().resource_mut::<AttentionQueue>().dismiss();
    run_until(&mut app, "the recommendation", 30, |app| {
        let a = app.world().resource::<FocusAnalysis>();
        a.incident_id.as_deref() == Some(id.as_str())
            && a.recommendation.as_ref().is_some_and(|r| !r.assignment.units.is_empty())
    });
    let analysis = app.world().resource::<FocusAnalysis>();
    let state = app.world().resource::<HubState>();
    assert_eq!(state.focused.as_deref(), Some(id.as_str()));
    let units = super::panel::chosen_units(state, analysis);
    // Every recommended unit is available and among the fastest of its kind. The simulator
    // reports five incidents a second, so others may wait for units too: a faster free unit
    // the plan skips must have gone to one of them, and the plan must say where.
    let rec = analysis.recommendation.as_ref().expect("a recommendation");
    for u in &units {
        let r = analysis.unit(u).expect("ranked");
        assert!(r.available, "{u} is available");
        let skipped: Vec<&str> = analysis
            .units
            .iter()
            .filter(|o| o.available && o.kind == r.kind && !units.contains(&o.id))
            .filter(|o| o.time_s.is_some_and(|t| t.is_finite()) && o.time_s < r.time_s)
            .map(|o| o.id.as_str())
            .collect();
        assert!(
            skipped.is_empty() || (rec.competing > 0 && rec.assignment.why_en.contains("went to")),
            "{u} is among the fastest of its kind, or the plan says where the faster {skipped:?} went: {}",
            rec.assignment.why_en
        );
    }

    // Action two: dispatch the plan (what the panel's button sends).
    app.world_mut().write_message(RequestDispatch {
        request: DispatchRequest { incident_id: id.clone(), unit_ids: units.clone(), note: "test".into() },
        summary_zh: "确认调度".into(),
        summary_en: "confirmed".into(),
    });
    run_until(&mut app, "the backend's answer", 30, |app| {
        app.world()
            .resource::<HubOutbox>()
            .orders
            .values()
            .any(|o| o.incident_id == id && o.status == twinhall_core::hub::journal::OrderStatus::Accepted)
    });
    let timing = app.world().resource::<DispatchTiming>();
    assert!(timing.click_to_wire_ms.is_some_and(|ms| ms < 1000.0), "{:?}", timing.click_to_wire_ms);

    // Exactly one order for the incident on the backend, with the chosen units.
    let orders: Vec<DispatchOrder> = serde_json::from_str(&http_get(&base, "/v1/orders")).expect("orders json");
    let mine: Vec<&DispatchOrder> = orders.iter().filter(|o| o.incident_id == id).collect();
    assert_eq!(mine.len(), 1, "{orders:?}");
    assert_eq!(mine[0].unit_ids, units);

    // The units go: routes ahead of them, and their ETA falls.
    let eta = |app: &App| -> Option<u64> {
        let data = app.world().resource::<FeedData>();
        let city = app.world().resource::<City>();
        let u: &Unit = data.units.get(&units[0])?;
        crate::overlays::unit_eta_s(city, u)
    };
    run_until(&mut app, "the unit en route", 20, |app| {
        let data = app.world().resource::<FeedData>();
        data.units.get(&units[0]).is_some_and(|u| u.status == UnitStatus::EnRoute && u.route.len() > 1)
    });
    let first = eta(&app).expect("an ETA");
    run_until(&mut app, "a falling ETA", 20, |app| eta(app).is_none_or(|e| e < first));
    // The journal agrees and holds the timeline.
    let outbox = app.world().resource::<HubOutbox>();
    let journal = outbox.outbox.journal();
    let kept = journal.orders(Some(&id)).expect("journal");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].order_id.as_deref(), Some(mine[0].order_id.as_str()));
    let kinds: Vec<String> = journal.timeline(&id).expect("timeline").into_iter().map(|e| e.kind).collect();
    for k in ["reported", "recommendation", "order_sent", "answer"] {
        assert!(kinds.iter().any(|x| x == k), "timeline has {k}: {kinds:?}");
    }

    // The report: an HTML file with the incident, the order and its units, and the timeline.
    let reports = dir.join("reports");
    app.insert_resource(report::ReportDir(reports.clone()));
    app.world_mut().write_message(report::ExportReport(id.clone()));
    run_until(&mut app, "the report file", 10, |_| std::fs::read_dir(&reports).is_ok_and(|mut d| d.next().is_some()));
    let html_path = std::fs::read_dir(&reports)
        .expect("reports dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "html"))
        .expect("an HTML report");
    let html = std::fs::read_to_string(&html_path).expect("read the report");
    let title = &app.world().resource::<FeedData>().incidents.get(&id).expect("incident").title;
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"), "a whole document");
    for needle in [id.as_str(), title.as_str(), mine[0].order_id.as_str(), "已受理", "<h2>时间线 · Timeline</h2>"]
    {
        assert!(html.contains(needle), "the report has {needle}");
    }
    let unit_name = &app.world().resource::<FocusAnalysis>().unit(&units[0]).expect("ranked").name;
    assert!(html.contains(unit_name.as_str()), "the report names unit {unit_name}");
    assert!(html.matches("<tr><td>").count() >= kinds.len() + units.len(), "timeline and unit rows");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_list_is_most_severe_first_then_longest_waiting_and_filters() {
    let model = twinhall_core::generate::generate_city(300, 2, LonLat::new(114.06, 22.54));
    let sim = Simulation::new(&model, SimConfig { incidents: 40, ..SimConfig::default() });
    let mut data = FeedData::default();
    data.apply_snapshot(sim.snapshot());
    let mut state = HubState::new(&twinhall_core::config::HubConfig::default());
    let list = super::panel::incident_list(&data, &state);
    assert!(!list.is_empty());
    for w in list.windows(2) {
        assert!(
            w[0].severity > w[1].severity || (w[0].severity == w[1].severity && w[0].reported_at <= w[1].reported_at)
        );
    }
    let c = list[0].category;
    state.category = Some(c);
    assert!(super::panel::incident_list(&data, &state).iter().all(|i| i.category == c));
    assert_eq!(super::panel::eta(Some(125.4)), "2:05");
    assert_eq!(super::panel::eta(None), "—");
}
