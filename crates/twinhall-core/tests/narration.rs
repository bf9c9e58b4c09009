//! Every shipped briefing's narration (scenes/*.ron, body and expert, Chinese and English)
//! rendered with every metric at zero, at one, at many, with one at the top of each series, and
//! with no value at all: no placeholder left unfilled, no figure missing where every metric has
//! one, no "most" naming a top of nothing (`（0 处）`, `区 1（0 起）`), and English that agrees
//! with one (`1 incident is`, never `1 incidents`).

use std::path::{Path, PathBuf};

use twinhall_core::lang::Lang;
use twinhall_core::metrics::{METRICS, MISSING, MetricKeys, MetricKind, MetricValue, Metrics, SeriesPoint};
use twinhall_core::theatre::check_dir;

fn scenes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes")
}

const LETTERS: [&str; 10] = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
const STEMS: [&str; 10] = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"];

/// Every scalar at `scalar`; every series' first element at `first` and the others at `rest`
/// (keys known only from the data: two districts or kinds). Labels carry no digit, so that a
/// figure in the text is one the template wrote.
fn metrics(scalar: f64, first: f64, rest: f64) -> Metrics {
    let mut m = Metrics::empty();
    for info in METRICS {
        let value = match info.kind {
            MetricKind::Scalar => MetricValue::Scalar(scalar),
            MetricKind::Series => {
                let keys: Vec<&str> = match info.keys {
                    MetricKeys::Fixed(keys) => keys.to_vec(),
                    _ => vec!["east", "west"],
                };
                MetricValue::Series(
                    keys.iter()
                        .enumerate()
                        .map(|(k, key)| SeriesPoint {
                            key: (*key).to_owned(),
                            label_zh: format!("{}类", STEMS[k % STEMS.len()]),
                            label_en: format!("kind {}", LETTERS[k % LETTERS.len()]),
                            value: if k == 0 { first } else { rest },
                        })
                        .collect(),
                )
            }
        };
        assert!(m.set(info.name, Some(value)), "{} is in the registry", info.name);
    }
    m
}

/// The numbers written in `s` (runs of digits and dots).
fn numbers(s: &str) -> Vec<f64> {
    s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| !t.is_empty())
        .filter_map(|t| t.parse::<f64>().ok())
        .collect()
}

/// The clause after each `word` of `text`: up to the next comma, semicolon, colon or full stop.
fn clauses_after<'a>(text: &'a str, word: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let start = from + i + word.len();
        let rest = &text[start..];
        let mut end = rest.len();
        let mut chars = rest.char_indices().peekable();
        while let Some((k, c)) = chars.next() {
            let stop = matches!(c, ',' | ';' | ':' | '，' | '；' | '：' | '。')
                || (c == '.' && chars.peek().is_none_or(|(_, n)| n.is_whitespace()));
            if stop {
                end = k;
                break;
            }
        }
        out.push(&rest[..end]);
        from = start;
    }
    out
}

/// A word as the English check reads it: without the punctuation around it (a decimal point
/// stays: `1.0` is not `1`).
fn bare(w: &str) -> String {
    w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.' || c == '%'))
        .trim_end_matches('.')
        .to_lowercase()
}

fn ends_clause(w: &str) -> bool {
    w.ends_with([',', ';', ':', '.', ')', '!', '?'])
}

/// Words that are plural after `1` (every counted noun of the shipped briefings, and a few more).
const PLURALS: &[&str] = &[
    "incidents",
    "disputes",
    "sensors",
    "units",
    "cameras",
    "alarms",
    "cases",
    "grids",
    "engines",
    "ambulances",
    "volunteers",
    "workers",
    "cars",
    "drones",
    "kinds",
    "stages",
    "reports",
    "districts",
];

/// `1` followed (in its clause, before an `and` or `or`) by a plural noun or a plural verb.
fn english_one_problem(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        if bare(w) != "1" || ends_clause(w) {
            continue;
        }
        for next in words.iter().skip(i + 1).take(4) {
            let b = bare(next);
            if b == "and" || b == "or" {
                break;
            }
            if PLURALS.contains(&b.as_str()) || ["are", "were", "have"].contains(&b.as_str()) {
                return Some(format!(
                    "`{}` does not agree with 1",
                    words[i..].iter().take(6).copied().collect::<Vec<_>>().join(" ")
                ));
            }
            if ends_clause(next) {
                break;
            }
        }
    }
    None
}

/// What is wrong with `out`, the template `template` filled in `lang`; `complete` when every
/// metric had a value.
fn problems(out: &str, template: &str, lang: Lang, complete: bool) -> Vec<String> {
    let mut p = Vec::new();
    if out.contains(['{', '}']) {
        p.push("a placeholder left unfilled".to_owned());
    }
    if complete && out.matches(MISSING).count() > template.matches(MISSING).count() {
        p.push(format!("a figure shows `{MISSING}` though every metric has a value"));
    }
    for bracket in ["（0 ", "（0）", "(0 ", "(0)", "（0.0", "(0.0", "（—", "(—"] {
        if out.contains(bracket) {
            p.push(format!("`{bracket}`: a top of nothing named"));
        }
    }
    let most: &[&str] = match lang {
        Lang::Zh => &["最多", "最高", "最长", "最大"],
        Lang::En => &[" most ", "largest", "slowest", "longest", "highest", "busiest"],
    };
    for word in most {
        for clause in clauses_after(out, word) {
            if numbers(clause).contains(&0.0) || clause.contains(MISSING) {
                p.push(format!("`{word}{clause}`: the most of nothing"));
            }
        }
    }
    if lang == Lang::En {
        if out.contains("1 incidents") {
            p.push("`1 incidents`".to_owned());
        }
        p.extend(english_one_problem(out));
    }
    p
}

#[test]
fn every_shipped_narration_reads_right_at_zero_one_and_many() {
    let (good, bad) = check_dir(&scenes_dir()).expect("scenes/ is readable");
    assert!(bad.is_empty(), "{}", bad.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
    assert!(!good.is_empty(), "no briefing in scenes/");
    let fixtures: [(&str, Metrics, bool); 6] = [
        ("zero", metrics(0.0, 0.0, 0.0), true),
        ("one", metrics(1.0, 1.0, 1.0), true),
        ("many", metrics(7.0, 7.0, 3.0), true),
        ("one at the top", metrics(7.0, 1.0, 0.0), true),
        ("many, one each", metrics(7.0, 1.0, 1.0), true),
        ("no data yet", Metrics::empty(), false),
    ];
    let mut wrong = Vec::new();
    let mut filled = 0;
    for (file, briefing) in &good {
        let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        for (n, step) in briefing.steps.iter().enumerate() {
            let texts = std::iter::once(("body", &step.body)).chain(step.expert.as_ref().map(|e| ("expert", e)));
            for (field, narration) in texts {
                for (lang, template) in [(Lang::Zh, &narration.zh), (Lang::En, &narration.en)] {
                    if template.is_empty() {
                        continue;
                    }
                    for (fixture, m, complete) in &fixtures {
                        let out = m.fill(template, lang);
                        filled += 1;
                        for problem in problems(&out, template, lang, *complete) {
                            wrong.push(format!(
                                "{name} step {} {field} {lang:?} ({fixture}): {problem}\n    {out}",
                                n + 1
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(filled > 0);
    assert!(wrong.is_empty(), "{} narrations read wrong:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn the_checks_catch_what_the_old_narration_said() {
    let zh = |s: &str| problems(s, "", Lang::Zh, true);
    let en = |s: &str| problems(s, "", Lang::En, true);
    assert!(!zh("物联感知设备当前告警 0 处，已在图上标出；告警最多的设备类型是燃气（0 处）。").is_empty());
    assert!(!zh("超期事件最多的片区是区 1（0 起）。").is_empty());
    assert!(!zh("用时最长的环节是—，约 — 分钟。").is_empty());
    assert!(!en("1 public health incidents are open, each within reach of the nearest care.").is_empty());
    assert!(!en("The 1 open disputes are marked on the map.").is_empty());
    assert!(!en("7 incidents are past their time limit, 1 of them disputes.").is_empty());
    assert!(!en("the district with the most is kind a (0).").is_empty());
    assert!(!en("{open_incidents} open").is_empty());
    // And leave alone what reads right.
    assert_eq!(zh("超期事件最多的片区是区 1（10 起），平均 0.5 分钟。"), Vec::<String>::new());
    assert_eq!(en("1 incident is open, 1 of them a dispute; 1.0 minutes, 10 units are free."), Vec::<String>::new());
    assert_eq!(en("Marked on the map, most severe first; 0 units are en route."), Vec::<String>::new());
}
