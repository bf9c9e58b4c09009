//! The tactile hub headless against a real twinhall-feed server: a rule fires on the live
//! stream, the alert is kept in the journal, the officer turns it into an incident that the
//! backend makes and the action hub focuses, dismisses another with a reason, and a restart
//! brings every alert back as it was.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::config::CitySource;
use twinhall_core::hub::journal::Journal;
use twinhall_core::protocol::{IncidentCategory, ReportChannel};
use twinhall_core::rules::alerts::Resolution;
use twinhall_core::rules::{Alert, Rules, Stage};
use twinhall_core::sim::{SimConfig, Simulation};

use super::*;
use crate::context::City;
use crate::feed::FeedData;

/// A real twinhall-feed server on loopback with many incidents a minute.
fn start_backend(city: &twinhall_core::CityModel, dir: &std::path::Path) -> String {
    // The clock is the wall clock (the rules' windows are read against it), so the daily rhythm
    // would scale the rate by the time of day (0.37 at 04:00 to 1.58 at 20:00 Beijing time):
    // divided out, 600 a minute whenever the test runs. No made-up past: it would draw the
    // arrivals' random numbers by the time of day too, and nothing here reads it.
    let start_ms = twinhall_core::protocol::now_ms();
    let sim = Simulation::new(
        city,
        SimConfig {
            units: 20,
            cameras: 80,
            incidents: 0,
            incidents_per_minute: 600.0 / twinhall_core::sim::daily_rhythm(start_ms),
            start_ms,
            history_days: 0,
            ..SimConfig::default()
        },
    );
    crate::test_support::serve_sim(sim, dir.join("orders.sqlite"))
}

/// Two cluster rules that the busy simulated city sets off within seconds.
const RULES: &str = r#"
[[rule]]
id = "fires-together"
name_zh = "火情聚集"
name_en = "Fires together"
severity = 4
suggest = "fire"
kind = "cluster"
category = "fire"
count = 2
radius_m = 20000
window_min = 60

[[rule]]
id = "disputes-together"
name_zh = "纠纷聚集"
name_en = "Disputes together"
severity = 2
suggest = "dispute"
kind = "cluster"
category = "dispute"
count = 2
radius_m = 20000
window_min = 60
"#;

fn app_for(base: &str, journal: &std::path::Path, model: Arc<twinhall_core::CityModel>) -> App {
    let mut settings = crate::settings::tests::settings_for(CitySource::Generated(400));
    settings.config.feed.url = base.to_owned();
    settings.config.hub.journal = journal.to_string_lossy().into_owned();
    settings.config.tactile.operator = "值班员 测试".into();
    let rules = Rules::parse(RULES, std::path::Path::new("test-rules.toml")).expect("rules parse");
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .insert_resource(settings)
        .insert_resource(City { model, source: CitySource::Generated(400) })
        .insert_resource(TactileRules(Arc::new(rules)))
        .init_resource::<crate::context::Selection>()
        .add_message::<crate::context::FlyTo>()
        .add_message::<crate::context::FocusIncident>()
        .init_resource::<Focused>()
        .add_systems(Update, record_focus)
        .add_plugins((crate::feed::plugin, plugin));
    app
}

/// The incidents the tactile hub asked the action hub to focus, last one last (the action hub
/// itself is another feature; it takes the same message).
#[derive(Resource, Default)]
struct Focused(Vec<String>);

fn record_focus(mut focus: MessageReader<crate::context::FocusIncident>, mut focused: ResMut<Focused>) {
    focused.0.extend(focus.read().map(|f| f.0.clone()));
}

fn run_until(app: &mut App, what: &str, secs: u64, mut done: impl FnMut(&mut App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(app) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        app.update();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The ghost alert as the restarted app's journal load left it, before the feed was ingested.
#[derive(Resource, Default)]
struct LoadedGhost(Option<Alert>);

fn open_alert(app: &App, rule: &str) -> Option<u64> {
    let t = app.world().resource::<Tactile>();
    t.book.open_by_severity().into_iter().find(|a| a.rule_id == rule).map(|a| a.id)
}

#[test]
fn an_alert_fires_on_the_live_feed_becomes_an_incident_and_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("twinhall-tactile-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let model = Arc::new(twinhall_core::generate::generate_city(400, 5, LonLat::new(114.06, 22.54)));
    let base = start_backend(&model, &dir);
    let journal = dir.join("journal.sqlite");
    let mut app = app_for(&base, &journal, model.clone());

    // The rules fire on the stream; the alerts are on disk at once.
    run_until(&mut app, "both rules' alerts", 60, |app| {
        app.world().contains_resource::<Tactile>()
            && open_alert(app, "fires-together").is_some()
            && open_alert(app, "disputes-together").is_some()
    });
    let fire = open_alert(&app, "fires-together").expect("fire alert");
    let dispute = open_alert(&app, "disputes-together").expect("dispute alert");
    let kept = Journal::open(&journal).expect("journal").alerts().expect("alerts");
    assert!(kept.iter().any(|a| a.id == fire && a.stage() == Stage::New), "{kept:?}");
    let t = app.world().resource::<Tactile>();
    assert!(t.rules_error.is_none() && t.journal_error.is_none(), "{:?} {:?}", t.rules_error, t.journal_error);
    // Sorted by severity first: the severity-4 fire alert leads the list.
    assert_eq!(t.book.open_by_severity().first().map(|a| a.severity), Some(4));

    // The officer turns the fire alert into an incident: the backend makes it (channel
    // early_warning, the rule's category) and the action hub focuses it.
    app.world_mut().write_message(AlertAction { id: fire, kind: ActionKind::ToIncident });
    run_until(&mut app, "the reported incident focused in the action hub", 30, |app| {
        let t = app.world().resource::<Tactile>();
        let Some(Resolution::Incident { incident_id, .. }) = t.book.get(fire).and_then(|a| a.resolution.clone()) else {
            return false;
        };
        app.world().resource::<Focused>().0.last() == Some(&incident_id)
    });
    let t = app.world().resource::<Tactile>();
    let alert = t.book.get(fire).expect("the alert").clone();
    assert_eq!(alert.acknowledged.as_ref().map(|a| a.by.as_str()), Some("值班员 测试"), "acknowledged on the way");
    let Some(Resolution::Incident { incident_id, by, .. }) = alert.resolution.clone() else { panic!("{alert:?}") };
    assert_eq!(by, "值班员 测试");
    let incident = app.world().resource::<FeedData>().incidents.get(&incident_id).cloned().expect("in the feed");
    assert_eq!(incident.category, IncidentCategory::Fire);
    assert_eq!(incident.channel, ReportChannel::EarlyWarning);
    assert_eq!(incident.severity, 4);

    // Sending the same alert's report again (a retry, a restart) makes no second incident.
    let reporter = app.world().resource::<AlertReporter>().clone();
    let rules = app.world().resource::<TactileRules>().0.clone();
    let rule = rules.get(&alert.rule_id).map(|r| &r.kind);
    let report = incident_report(&alert, rule, "值班员 测试").expect("report");
    // The report says what the alert measured as its rule reads it: a count of fires.
    let fires = format!("{} 起事件 · {} incidents", alert.value, alert.value);
    assert!(report.description.contains(&fires), "{}", report.description);
    let again = reporter.0.report(&report_key(&alert), &report).recv_timeout(Duration::from_secs(10));
    assert_eq!(again.expect("answer").expect("accepted").id, incident_id, "the same key, the same incident");

    // The other is dismissed with a reason.
    app.world_mut()
        .write_message(AlertAction { id: dispute, kind: ActionKind::Dismiss("误报 · false alarm".into()) });
    run_until(&mut app, "the dismissal", 10, |app| {
        app.world().resource::<Tactile>().book.get(dispute).is_some_and(|a| a.stage() == Stage::Dismissed)
    });
    let before: Vec<_> = app.world().resource::<Tactile>().book.all().to_vec();
    drop(app);
    // An alert kept open and active whose condition ended while the app was down (a cluster
    // that no longer exists): nothing in the feed will ever end it, so the restart must.
    let ghost = Alert {
        id: before.iter().map(|a| a.id).max().unwrap_or(0) + 1,
        key: "fires-together/gone".into(),
        subject: "gone".into(),
        count: 3,
        active: true,
        cleared_at: None,
        acknowledged: None,
        resolution: None,
        ..before[0].clone()
    };
    Journal::open(&journal).expect("journal").save_alerts([&ghost]).expect("kept");

    // A restart: every alert back, with its lifecycle; the ghost cleared once the feed is in,
    // still open for the officer to close, and not counted again.
    let mut app = app_for(&base, &journal, model);
    // The book as the journal loaded it, read after the start-up load (Startup) and before any
    // frame's Update can ingest the feed: the backend may answer within the first frame, and
    // then the ghost is settled before a read after `app.update()` could see it kept.
    let ghost_id = ghost.id;
    app.init_resource::<LoadedGhost>().add_systems(
        PostStartup,
        move |t: Option<Res<Tactile>>, mut loaded: ResMut<LoadedGhost>| {
            loaded.0 = t.and_then(|t| t.book.get(ghost_id).cloned());
        },
    );
    app.update();
    assert!(app.world().resource::<LoadedGhost>().0.as_ref().is_some_and(|a| a.active), "kept as it was");
    run_until(&mut app, "the ghost alert cleared", 30, |app| {
        app.world().resource::<Tactile>().book.get(ghost.id).is_some_and(|a| !a.active)
    });
    let t = app.world().resource::<Tactile>();
    let g = t.book.get(ghost.id).expect("the ghost");
    assert_eq!((g.stage(), g.count, g.cleared_at.is_some()), (Stage::New, 3, true), "{g:?}");
    let kept = Journal::open(&journal).expect("journal").alerts().expect("alerts");
    assert!(kept.iter().any(|a| a.id == ghost.id && !a.active), "the clearing is kept on disk");
    let after = t.book.all();
    for a in &before {
        let b = after.iter().find(|b| b.id == a.id).expect("kept");
        assert_eq!((b.stage(), &b.resolution, &b.acknowledged), (a.stage(), &a.resolution, &a.acknowledged));
    }
    assert!(matches!(
        t.book.get(dispute).and_then(|a| a.resolution.clone()),
        Some(Resolution::Dismissed { reason, .. }) if reason == "误报 · false alarm"
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_chime_is_a_short_audible_wav() {
    let wav = chime_wav();
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..16], b"WAVEfmt ");
    let rate = u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]);
    let data = u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]) as usize;
    assert_eq!(data + 44, wav.len());
    let secs = data as f32 / 2.0 / rate as f32;
    assert!((0.3..1.0).contains(&secs), "{secs} s");
    let peak = wav[44..].chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]]).unsigned_abs()).max();
    assert!(peak.is_some_and(|p| p > 8000), "audible: {peak:?}");
}
