use std::path::{Path, PathBuf};

use super::*;

fn scenes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes")
}

const GOOD: &str = r#"Briefing(
    theme: (id: "t", title: (zh: "测试", en: "Test")),
    steps: [
        (
            title: (zh: "一", en: "One"),
            body: (zh: "在办 {open_incidents} 起", en: "{open_incidents} open"),
            camera: Fly((at: City, seconds: 2, easing: SineInOut)),
            layers: (incidents: true, area_level: grid),
            charts: [(kind: Bar, metric: "open_incidents_by_category")],
        ),
    ],
)
"#;

/// Parses `GOOD` with `from` replaced by `to`, expecting an error; returns it.
fn broken(from: &str, to: &str) -> SceneError {
    assert!(GOOD.contains(from), "{from}");
    let src = GOOD.replacen(from, to, 1);
    parse(&src, Path::new("scenes/x.ron")).expect_err("a broken file is an error")
}

/// 1-based line and column of the first `needle` in `GOOD` after replacing.
fn position(src: &str, needle: &str) -> (usize, usize) {
    let i = src.find(needle).expect("needle");
    let line = src[..i].matches('\n').count() + 1;
    let col = i - src[..i].rfind('\n').map_or(0, |n| n + 1) + 1;
    (line, col)
}

#[test]
fn every_shipped_briefing_passes_the_check() {
    let (good, bad) = check_dir(&scenes_dir()).expect("scenes/ is readable");
    assert!(bad.is_empty(), "{}", bad.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
    assert!(!good.is_empty());
    for (file, b) in &good {
        assert!(b.steps.len() >= 5, "{}: {} steps", file.display(), b.steps.len());
        for s in &b.steps {
            assert!(
                !s.title.en.is_empty() && !s.body.en.is_empty(),
                "{}: every step in both languages",
                file.display()
            );
            assert!(!s.charts.is_empty() || s.expert.is_some(), "{}: a step shows data", file.display());
        }
    }
}

#[test]
fn a_good_briefing_reads_with_every_default() {
    let b = parse(GOOD, Path::new("x.ron")).expect("good");
    assert_eq!(b.theme.accent, Colour([0x2f, 0x80, 0xed]));
    let s = &b.steps[0];
    assert_eq!(s.dwell_s, 12.0);
    assert_eq!(s.layers.incidents, Some(true));
    assert_eq!(s.layers.cones, None);
    let shot = &s.camera.as_ref().expect("camera").shots()[0];
    assert_eq!(
        (shot.at.clone(), shot.seconds, shot.easing, shot.pitch_deg),
        (Target::City, 2.0, Easing::SineInOut, 50.0)
    );
    assert_eq!(s.charts[0].kind, ChartKind::Bar);
}

#[test]
fn errors_name_file_line_column_and_field() {
    // Syntax: a missing comma between two fields.
    let e = broken("(incidents: true, area_level: grid)", "(incidents: true area_level: grid)");
    assert_eq!(e.file, Path::new("scenes/x.ron"));
    let src = GOOD.replacen("(incidents: true, area_level: grid)", "(incidents: true area_level: grid)", 1);
    assert_eq!(e.line, position(&src, "area_level").0, "{e}");

    // An unknown field of a step.
    let src = GOOD.replacen("charts: [", "chart: [", 1);
    let e = parse(&src, Path::new("x.ron")).expect_err("unknown field");
    assert!(e.message.contains("chart"), "{e}");
    assert_eq!(e.line, position(&src, "chart:").0, "{e}");

    // An unknown layer.
    let e = broken("layers: (incidents: true", "layers: (incidnets: true");
    assert!(e.message.contains("incidnets") && e.message.contains("incidents"), "names it and the right ones: {e}");
    assert_eq!(e.line, 8, "{e}");

    // An unknown metric.
    let e = broken("\"open_incidents_by_category\"", "\"open_incidents_by_catgory\"");
    assert!(e.message.contains("open_incidents_by_catgory"), "{e}");
    assert_eq!(e.line, 9, "{e}");

    // A bad easing.
    let e = broken("easing: SineInOut", "easing: SineInOutt");
    assert!(e.message.contains("SineInOutt"), "{e}");
    assert_eq!((e.line, e.column > 1), (7, true), "{e}");

    // A placeholder naming no metric.
    let e = broken("{open_incidents} open", "{open_incidentz} open");
    assert!(e.message.contains("open_incidentz"), "{e}");
    assert_eq!(e.line, 6, "{e}");

    // A scalar metric in a bar chart.
    let e = broken("metric: \"open_incidents_by_category\"", "metric: \"open_incidents\"");
    assert!(e.message.contains("series"), "{e}");

    // A colour, a pitch and a filter value out of range.
    assert!(broken("title: (zh: \"测试\"", "accent: \"blue\", title: (zh: \"测试\"").message.contains("#rrggbb"));
    assert!(broken("seconds: 2", "seconds: 2, pitch_deg: 95").message.contains("pitch_deg"));
    assert!(broken("area_level: grid", "area_level: block").message.contains("block"));

    // No steps.
    let e =
        parse("Briefing(theme: (id: \"t\", title: (zh: \"x\")), steps: [])", Path::new("x.ron")).expect_err("empty");
    assert!(e.message.contains("at least one step"), "{e}");
    assert!(e.to_string().starts_with("x.ron:1:"), "{e}");
}

#[test]
fn a_folder_check_keeps_the_good_files_and_names_the_bad_ones() {
    let dir = std::env::temp_dir().join(format!("twinhall-scenes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("a.ron"), GOOD).expect("write");
    std::fs::write(dir.join("b.ron"), GOOD.replace("easing: SineInOut", "easing: Wobbly")).expect("write");
    std::fs::write(dir.join("c.ron"), GOOD).expect("write"); // the same theme id twice
    std::fs::write(dir.join("notes.txt"), "not a scene").expect("write");
    let (good, bad) = check_dir(&dir).expect("readable");
    assert_eq!(good.len(), 1);
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].file.ends_with("b.ron") && bad[0].message.contains("Wobbly"));
    assert!(bad[1].file.ends_with("c.ron") && bad[1].message.contains("also the id"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_easing_name_reads() {
    for e in Easing::ALL {
        let src = GOOD.replace("SineInOut", &format!("{e:?}"));
        let b = parse(&src, Path::new("x.ron")).expect("easing");
        assert_eq!(b.steps[0].camera.as_ref().expect("cam").shots()[0].easing, e);
    }
}
