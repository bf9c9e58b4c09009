//! The theatre headless: camera paths under a manual clock (keyframes, easing, heading across
//! north, a skip mid-move), and a briefing played from a real file on the simulated city's
//! store: layers, filter, highlights and tour on entering a step, the presenter's keys, a hot
//! reload (good and broken) while it plays, and the wall's view put back when it stops.

use std::sync::Arc;
use std::time::Duration;

use bevy::math::curve::{Curve, EaseFunction, EasingCurve};
use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::config::CitySource;
use twinhall_core::protocol::{AreaLevel, IncidentCategory};
use twinhall_core::sim::{SimConfig, Simulation};

use super::highlight::Highlights;
use super::library::Library;
use super::player::Theatre;
use super::tour::{Tour, lerp_orbit, sample_tour};
use crate::context::{City, IncidentFilter, LayerVisibility, OrbitCamera, OverlayLayers, TheatreCommand};
use crate::feed::FeedData;

fn orbit(x: f32, d: f32, heading_deg: f32) -> OrbitCamera {
    OrbitCamera { focus: Vec3::new(x, 0.0, 0.0), distance_m: d, pitch: 0.8, heading: heading_deg.to_radians() }
}

#[test]
fn a_path_passes_its_keyframes_with_their_easing_and_turns_the_short_way() {
    let from = orbit(0.0, 1000.0, 350.0);
    let a = orbit(1000.0, 1000.0, 10.0);
    let b = orbit(1000.0, 250.0, 10.0);
    let tour =
        Tour { from, keys: vec![(a, 2.0, EaseFunction::Linear), (b, 4.0, EaseFunction::CubicInOut)], elapsed_s: 0.0 };
    assert_eq!(tour.total_s(), 6.0);
    let (start, done) = sample_tour(&tour, 0.0);
    assert!(!done && (start.focus - from.focus).length() < 1e-3 && (start.distance_m - from.distance_m).abs() < 1e-2);
    assert!((start.heading - from.heading).abs() < 1e-4, "{start:?}");
    // Linear first leg: half-way in time is half-way in space, and the heading goes through north
    // (350° → 0° → 10°), not back round through 180°.
    let (mid, _) = sample_tour(&tour, 1.0);
    assert!((mid.focus.x - 500.0).abs() < 1e-3, "{mid:?}");
    assert!(mid.heading.to_degrees() < 1.0 || mid.heading.to_degrees() > 359.0, "{}", mid.heading.to_degrees());
    // The first keyframe is reached exactly.
    let (at_a, done) = sample_tour(&tour, 2.0);
    assert!(!done && (at_a.focus - a.focus).length() < 1e-3);
    // The second leg eases: a quarter in time is the cubic's share of the way.
    let (q, _) = sample_tour(&tour, 3.0);
    let s = EasingCurve::new(0.0, 1.0, EaseFunction::CubicInOut).sample_clamped(0.25);
    assert!(s < 0.25, "cubic in-out starts slow");
    assert_eq!(q, lerp_orbit(&a, &b, s));
    // Ends exactly on the last keyframe and says so.
    let (end, done) = sample_tour(&tour, 6.5);
    assert!(done);
    assert!((end.distance_m - 250.0).abs() < 1e-3 && (end.heading - b.heading).abs() < 1e-5);
}

/// A city, its simulated feed in the store, a camera, and the theatre's plugins, with `dir` as
/// the scenes folder.
fn theatre_app(dir: &std::path::Path) -> (App, Entity) {
    let mut app = crate::test_support::city_app();
    app.add_plugins((super::library::plugin, super::player::plugin, super::tour::plugin))
        .insert_resource(Library::new(dir.to_owned()));
    let cam = app.world_mut().spawn(orbit(0.0, 3000.0, 0.0)).id();
    (app, cam)
}

const SCENE: &str = r##"Briefing(
    theme: (id: "drill", title: (zh: "演练", en: "Drill"), accent: "#ff0000"),
    steps: [
        (
            title: (zh: "火情", en: "Fires"),
            body: (zh: "在办 {open_incidents} 起", en: "{open_incidents} open"),
            camera: Path([(at: City, seconds: 1), (at: Highlight, seconds: 2, easing: SineInOut, heading_deg: 90)]),
            layers: (cones: false, area_level: grid, buildings: false),
            filter: (categories: [fire], min_severity: 2),
            highlight: [Incidents((statuses: [])), WorstAreas((level: grid, count: 3))],
            dwell_s: 5,
        ),
        (
            title: (zh: "第二步", en: "Second"),
            body: (zh: "二", en: "two"),
            camera: Fly((at: Fraction(0.5, 0.5), distance_m: 500, seconds: 2)),
            dwell_s: 5,
        ),
    ],
)
"##;

fn press(app: &mut App, key: KeyCode) {
    app.world_mut().resource_mut::<ButtonInput<KeyCode>>().press(key);
    app.update();
    let mut keys = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
    keys.release(key);
    keys.clear();
}

fn step_of(app: &App) -> Option<usize> {
    app.world().resource::<Theatre>().playing.as_ref().map(|p| p.step)
}

#[test]
fn a_briefing_plays_from_its_file_and_puts_the_wall_back_when_it_stops() {
    let dir = std::env::temp_dir().join(format!("twinhall-theatre-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("drill.ron");
    std::fs::write(&file, SCENE).expect("write");
    let (mut app, cam) = theatre_app(&dir);
    app.update();
    assert_eq!(app.world().resource::<Library>().entries.len(), 1, "{:?}", app.world().resource::<Library>().errors);

    app.world_mut().write_message(TheatreCommand::Start { theme: "drill".into(), step: 0 });
    app.update();
    let theatre = app.world().resource::<Theatre>();
    let p = theatre.playing.as_ref().expect("playing");
    assert!(p.entered.is_some() && p.step == 0);
    // Layers, filter and highlights of step 1.
    let layers = app.world().resource::<OverlayLayers>();
    assert!(!layers.cones && layers.area_level == AreaLevel::Grid && layers.incidents, "{layers:?}");
    assert!(!app.world().resource::<LayerVisibility>().buildings);
    let filter = app.world().resource::<IncidentFilter>();
    assert_eq!(filter.0.categories, vec![IncidentCategory::Fire]);
    let h = app.world().resource::<Highlights>();
    let data = app.world().resource::<FeedData>();
    let incidents =
        data.incidents.iter().filter(|(_, i)| i.status < twinhall_core::protocol::IncidentStatus::Feedback).count();
    assert_eq!(h.spots.len(), incidents.min(50), "every open incident, at most the limit");
    assert_eq!(h.areas.len(), 3);
    assert!(h.areas[0].score <= h.areas[1].score && h.areas[1].score <= h.areas[2].score, "worst first");
    let tour = app.world().get::<Tour>(cam).expect("the camera tours");
    assert_eq!(tour.keys.len(), 2);
    assert!((tour.keys[1].0.heading.to_degrees() - 90.0).abs() < 1e-3);

    // Skip mid-move: the next step's tour starts where the camera is, not where the last one aimed.
    for _ in 0..3 {
        app.update();
    }
    let mid = *app.world().get::<OrbitCamera>(cam).expect("orbit");
    press(&mut app, KeyCode::PageDown);
    assert_eq!(step_of(&app), Some(1));
    let tour = app.world().get::<Tour>(cam).expect("a new tour");
    assert!((tour.from.focus - mid.focus).length() < 1e-3, "starts from the camera's place");
    assert_eq!(tour.keys.len(), 1);
    assert_eq!(tour.keys[0].0.distance_m, 500.0);
    // Step 2 names no filter: the presenter's (none) is back.
    assert!(app.world().resource::<IncidentFilter>().0.is_empty());
    press(&mut app, KeyCode::PageDown);
    assert_eq!(step_of(&app), Some(1), "no step after the last");
    press(&mut app, KeyCode::ArrowLeft);
    assert_eq!(step_of(&app), Some(0));

    // Hot reload: the file changes on disk, the new version plays from the same step.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&file, SCENE.replace("火情", "火情（更新）")).expect("rewrite");
    bump_mtime(&file);
    for _ in 0..6 {
        app.update();
    }
    let p = app.world().resource::<Theatre>().playing.clone().expect("still playing");
    assert_eq!(p.current().title.zh, "火情（更新）");
    assert_eq!(p.step, 0);
    // A broken save: its error is listed, the last good version keeps playing.
    std::fs::write(&file, SCENE.replace("easing: SineInOut", "easing: Sideways")).expect("break");
    bump_mtime(&file);
    for _ in 0..6 {
        app.update();
    }
    let library = app.world().resource::<Library>();
    assert_eq!(library.errors.len(), 1);
    assert!(library.errors[0].to_string().contains("drill.ron:7:"), "{}", library.errors[0]);
    assert!(library.errors[0].message.contains("Sideways"));
    assert_eq!(
        app.world().resource::<Theatre>().playing.as_ref().map(|p| p.current().title.zh.clone()).as_deref(),
        Some("火情（更新）")
    );

    // Stop: the layers and filter the wall had are back; the camera stays where it is.
    press(&mut app, KeyCode::Escape);
    assert!(app.world().resource::<Theatre>().playing.is_none());
    assert_eq!(*app.world().resource::<OverlayLayers>(), OverlayLayers::default());
    assert!(app.world().resource::<LayerVisibility>().buildings);
    assert!(app.world().resource::<IncidentFilter>().0.is_empty());
    assert!(app.world().get::<Tour>(cam).is_none());
    assert!(app.world().resource::<Highlights>().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Moves a file's modification time on, as an editor's save does (some file systems keep
/// whole seconds): each bump a whole second past the last one, so that two saves within the
/// same second never leave the same stamp (which the library would take for no change).
fn bump_mtime(file: &std::path::Path) {
    static BUMPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = BUMPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let f = std::fs::File::options().write(true).open(file).expect("open");
    let later = std::time::SystemTime::now() + Duration::from_secs(5 + n);
    f.set_modified(later).expect("set mtime");
}

#[test]
fn autoplay_walks_the_steps_and_stops_at_the_last() {
    let dir = std::env::temp_dir().join(format!("twinhall-theatre-auto-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("drill.ron"), SCENE).expect("write");
    let (mut app, _) = theatre_app(&dir);
    app.update();
    app.world_mut().write_message(TheatreCommand::Start { theme: "drill".into(), step: 0 });
    app.update();
    press(&mut app, KeyCode::KeyP);
    assert!(app.world().resource::<Theatre>().playing.as_ref().is_some_and(|p| p.autoplay));
    // Step 1: 3 s of camera and 5 s of dwell, at a quarter second a frame.
    for _ in 0..40 {
        app.update();
    }
    assert_eq!(step_of(&app), Some(1));
    for _ in 0..40 {
        app.update();
    }
    let p = app.world().resource::<Theatre>().playing.clone().expect("playing");
    assert_eq!(p.step, 1);
    assert!(!p.autoplay, "autoplay ends with the briefing");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A recording of the simulated city: its snapshot, then a batch per 10 s of city time, played
/// back 50 ms apart; and the store those lines make.
fn record(
    dir: &std::path::Path,
    model: &twinhall_core::CityModel,
) -> (std::path::PathBuf, twinhall_core::store::FeedStore) {
    let mut sim =
        Simulation::new(model, SimConfig { units: 30, cameras: 60, incidents: 60, seed: 7, ..SimConfig::default() });
    let snapshot = sim.snapshot();
    let mut expected = twinhall_core::store::FeedStore::default();
    expected.apply_snapshot(snapshot.clone());
    let mut lines = vec![serde_json::json!({ "t": 0, "snapshot": snapshot }).to_string()];
    for n in 1..=60 {
        sim.step(10_000);
        if let Some(b) = sim.take_batch() {
            expected.apply_batch(b.clone()).expect("in order");
            lines.push(serde_json::json!({ "t": n * 50, "batch": b }).to_string());
        }
    }
    let path = dir.join("city.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write the recording");
    (path, expected)
}

#[test]
fn metrics_on_a_recorded_feed_equal_the_store_they_come_from() {
    use twinhall_core::metrics::{EfficiencyLimits, Metrics};
    let dir = std::env::temp_dir().join(format!("twinhall-theatre-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let model = Arc::new(twinhall_core::generate::generate_city(400, 5, LonLat::new(114.06, 22.54)));
    let (path, expected) = record(&dir, &model);
    let replay = twinhall_feed::Replay::load(&path).expect("the recording reads");
    let base = crate::test_support::serve(twinhall_feed::Source::Replay(Box::new(replay)), dir.join("orders.sqlite"));

    let mut settings = crate::settings::tests::settings_for(CitySource::Generated(400));
    settings.config.feed.url = base;
    settings.config.hub.journal = dir.join("journal.sqlite").to_string_lossy().into_owned();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .insert_resource(settings)
        .insert_resource(City { model, source: CitySource::Generated(400) })
        .add_message::<crate::context::FlyTo>()
        .init_resource::<crate::overlays::OverlayChanges>()
        .add_plugins((crate::feed::plugin, crate::metrics::plugin));
    // Until the whole recording is in the store and the metrics were computed after it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        app.update();
        let data = app.world().resource::<FeedData>();
        let live = app.world().resource::<crate::metrics::LiveMetrics>();
        if data.seq == expected.seq && live.now.is_some() {
            // A second on, so the metrics are computed after the last change.
            std::thread::sleep(Duration::from_millis(1100));
            app.update();
            app.update();
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the recording did not arrive: seq {} of {}",
            data.seq,
            expected.seq
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let data = app.world().resource::<FeedData>();
    assert_eq!(data.incidents.len(), expected.incidents.len());
    let live = app.world().resource::<crate::metrics::LiveMetrics>().now.clone().expect("metrics");
    let direct = Metrics::compute(&expected, twinhall_core::protocol::now_ms(), &EfficiencyLimits::default());
    // Every figure that does not depend on the wall clock equals the recording's own store.
    for name in [
        "open_incidents",
        "open_incidents_by_category",
        "open_incidents_by_district",
        "open_incidents_by_status",
        "open_incidents_by_severity",
        "units_by_status",
        "units_available",
        "alarming_sensors",
        "cameras_online",
        "cameras_offline",
        "index_overall",
        "index_aspects",
        "lifecycle_avg_minutes",
        "first_handling_share",
    ] {
        assert_eq!(live.get(name), direct.get(name), "{name}");
    }
    let open = expected
        .incidents
        .iter()
        .filter(|(_, i)| i.status != twinhall_core::protocol::IncidentStatus::Archived)
        .count();
    assert_eq!(live.scalar("open_incidents"), Some(open as f64));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_category_keeps_one_colour_of_its_own_in_pies_and_bars() {
    use twinhall_core::metrics::SeriesPoint;
    use twinhall_core::theatre::ChartKind;

    use super::charts::{chart_points, colour_of};
    // Severities 1 to 4, the pie sorting them largest first (4 and 3 were one red).
    let all: Vec<SeriesPoint> = (1..=4)
        .map(|s: u8| SeriesPoint {
            key: s.to_string(),
            label_zh: format!("{s} 级"),
            label_en: format!("level {s}"),
            value: f64::from(s),
        })
        .collect();
    let pie = chart_points(&all, ChartKind::Pie, 8);
    assert_eq!(pie[0].key, "4");
    let bars = chart_points(&all, ChartKind::Bar, 12);
    let colour = |points: &[SeriesPoint], key: &str| {
        colour_of(&all, points.iter().find(|p| p.key == key).expect("the key is charted"))
    };
    for key in ["1", "2", "3", "4"] {
        assert_eq!(colour(&pie, key), colour(&bars, key), "{key} keeps its colour");
    }
    let colours: std::collections::HashSet<_> = pie.iter().map(|p| colour_of(&all, p)).collect();
    assert_eq!(colours.len(), 4, "four severities, four colours");
}

/// Every step of every shipped briefing, at every wall preset and at 1280x720, 1920x1080 and
/// 7680x2160 (the wall's view in points: its height's scale times the preset's text scale, inside
/// the safe margin), laid out by the one layout on the simulated city: no two cards overlap, and
/// every highlighted subject, framed by the step's camera, lies in the region no card covers.
#[test]
fn every_step_of_every_briefing_shows_its_subject_where_no_card_covers_it() {
    use twinhall_core::layout::{self, Rect, StepCards};
    use twinhall_core::theatre::Target;

    let app = crate::test_support::city_app();
    let (data, city) = (app.world().resource::<FeedData>(), app.world().resource::<City>());
    let dir = crate::paths::project_root().join("scenes");
    let files = twinhall_core::theatre::scene_files(&dir).expect("scenes/");
    assert!(files.len() >= 6, "{}: {files:?}", dir.display());
    let fov_y = std::f32::consts::FRAC_PI_4;
    let (mut framed, mut problems) = (0, Vec::new());
    for file in files {
        let src = std::fs::read_to_string(&file).expect("read");
        let briefing = twinhall_core::theatre::parse(&src, &file).expect("a good briefing");
        for (i, step) in briefing.steps.iter().enumerate() {
            let highlights = super::highlight::resolve(&step.highlight, data, city);
            let cards = StepCards { charts: step.charts.len(), expert: step.expert.is_some() };
            for preset in twinhall_core::wall::PRESETS {
                for px in [[1280.0f32, 720.0], [1920.0, 1080.0], [7680.0, 2160.0]] {
                    let what = format!("{} step {} at {} {}x{}", briefing.theme.id, i + 1, preset.id, px[0], px[1]);
                    let zoom = crate::context::ui_scale_for_height(px[1]) * preset.text_scale;
                    let m = preset.safe_margin_px as f32 / zoom;
                    let view = Rect::new(m, m, px[0] / zoom - m, px[1] / zoom - m);
                    let l = layout::theatre(view, preset.text_scale, cards);
                    if let Some((a, b)) = l.overlap() {
                        problems.push(format!("{what}: {a} overlaps {b}"));
                    }
                    let Some(mv) = &step.camera else { continue };
                    if highlights.is_empty() || !mv.shots().iter().any(|s| matches!(s.at, Target::Highlight)) {
                        continue;
                    }
                    let x = |p: f32| p * zoom / px[0] * 2.0 - 1.0;
                    let y = |p: f32| 1.0 - p * zoom / px[1] * 2.0;
                    let f = l.free;
                    let ndc = [x(f.min[0]), y(f.max[1]), x(f.max[0]), y(f.min[1])];
                    let framing = super::tour::Framing {
                        free: crate::context::FreeNdc {
                            ndc,
                            aspect: px[0] / px[1],
                            area: [f.min[0], f.min[1], f.max[0], f.max[1]],
                        },
                        fov_y,
                    };
                    for shot in mv.shots().iter().filter(|s| matches!(s.at, Target::Highlight)) {
                        let shown = super::tour::resolve_shot(shot, city, &highlights, Some(framing));
                        framed += 1;
                        if !shown.fits {
                            problems.push(format!("{what}: its subject does not fit the free region"));
                        }
                        // Framing moves and widens the view, never dives into one street.
                        let asked = super::tour::resolve_shot(shot, city, &highlights, None).orbit.distance_m;
                        if shown.orbit.distance_m < asked - 1.0 {
                            problems.push(format!(
                                "{what}: framed at {} m, closer than the shot's {asked} m",
                                shown.orbit.distance_m
                            ));
                        }
                        for s in &highlights.spots {
                            let p = Vec3::new(s.local[0] as f32, 0.0, -s.local[1] as f32);
                            let q = crate::context::project(&shown.orbit, fov_y, framing.free.aspect, p);
                            let inside =
                                q.is_some_and(|q| q.x >= ndc[0] && q.x <= ndc[2] && q.y >= ndc[1] && q.y <= ndc[3]);
                            if !inside {
                                problems.push(format!(
                                    "{what}: a highlight at {:?} shows at {q:?}, not in {ndc:?}",
                                    s.local
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(framed > 0, "no step frames its highlights: the test would prove nothing");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    println!("{framed} shots framed in the free region, no card overlapping another");
}
