//! Narration templates: text with placeholders filled from the metrics, and choices that say
//! zero, one and many in words of their own.
//!
//! - `{metric}`, `{metric.key}`: a number (`{open_incidents}`, `{open_incidents_by_category.fire}`);
//! - `{metric.top}`: the label of a series' largest element, `{metric.top_value}` its value; a
//!   series with nothing above zero has no top (both show `—`);
//! - `{PATH|zero=TEXT|one=TEXT|many=TEXT|none=TEXT}`: a choice on the number PATH names (any of
//!   the above but `.top`, a label), as it is written: `zero` when it is written as zero (`0`,
//!   `0.0`, `0.0%`), `one` when it is written `1`, `many` for any other number and `none` when
//!   there is none (`—`: no index yet, a series with no top). A case left out falls back: `zero`
//!   and `one` to `many`, `none` to `zero`, then `many`; with no case to fall back to, the choice
//!   shows nothing. Each TEXT is a template itself (placeholders and choices inside); the braces
//!   inside a choice must pair up.
//! - `{{` and `}}` are braces (outside choices).
//!
//! `{alarming_sensors|zero=暂无告警|many=告警 {alarming_sensors} 处}`,
//! `{open_incidents|zero=No incident is open|one=1 incident is open|many={open_incidents} incidents are open}`.

use super::{METRICS, MetricKeys, MetricKind, check_metric, metric_info, suggest};

/// Why a template is refused: the byte offset of the placeholder (or brace) in the template, and
/// what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (byte {offset})")]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

enum Piece<'a> {
    Text(&'a str),
    /// `{body}`, its `{` at byte `offset` of the whole template.
    Slot {
        offset: usize,
        body: &'a str,
    },
    /// A brace that opens or closes nothing, kept as text when filling.
    Stray {
        offset: usize,
        text: &'a str,
        message: &'static str,
    },
}

/// The pieces of `t`: a whole template (`base` 0), or the text of a choice's case starting at
/// byte `base` of the whole template.
fn pieces(t: &str, base: usize) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let (mut i, mut text_from) = (0, 0);
    let b = t.as_bytes();
    while i < b.len() {
        match b[i] {
            b'{' | b'}' if b.get(i + 1) == Some(&b[i]) => {
                out.push(Piece::Text(&t[text_from..=i]));
                i += 2;
                text_from = i;
            }
            b'{' => {
                out.push(Piece::Text(&t[text_from..i]));
                match closing(b, i) {
                    Some(end) => {
                        out.push(Piece::Slot { offset: base + i, body: &t[i + 1..end] });
                        i = end + 1;
                    }
                    None => {
                        let message = "`{` opens a placeholder that is not closed with `}` (write `{{` for a brace)";
                        out.push(Piece::Stray { offset: base + i, text: &t[i..=i], message });
                        i += 1;
                    }
                }
                text_from = i;
            }
            b'}' => {
                out.push(Piece::Text(&t[text_from..i]));
                let message = "`}` closes no placeholder (write `}}` for a brace)";
                out.push(Piece::Stray { offset: base + i, text: &t[i..=i], message });
                i += 1;
                text_from = i;
            }
            _ => i += 1,
        }
    }
    out.push(Piece::Text(&t[text_from..]));
    out
}

/// The byte of the `}` that closes the `{` at `open`, braces inside nesting (a choice's cases
/// hold placeholders); `None` if it is never closed.
fn closing(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// `s` cut at each `|` outside braces, with each part's byte offset in `s`.
fn split_cases(s: &str) -> Vec<(usize, &str)> {
    let mut parts = Vec::new();
    let (mut depth, mut from) = (0usize, 0usize);
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'|' if depth == 0 => {
                parts.push((from, &s[from..i]));
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push((from, &s[from..]));
    parts
}

/// `name` and the key after the first dot, if any.
fn split(body: &str) -> (&str, Option<&str>) {
    match body.split_once('.') {
        Some((n, k)) => (n.trim(), Some(k.trim())),
        None => (body.trim(), None),
    }
}

/// The cases of a choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    Zero,
    One,
    Many,
    None,
}

const CASES: [(&str, Case); 4] = [("zero", Case::Zero), ("one", Case::One), ("many", Case::Many), ("none", Case::None)];

fn case_named(name: &str) -> Option<Case> {
    CASES.iter().find(|(n, _)| *n == name.trim()).map(|(_, c)| *c)
}

/// The case a number picks, as a placeholder writes it (`—` when there is none).
fn case_of(written: &str) -> Case {
    match written.trim_end_matches('%').parse::<f64>() {
        Ok(v) if !v.is_finite() => Case::None,
        // 0 and -0 alike.
        Ok(v) if v.abs() == 0.0 => Case::Zero,
        Ok(_) if written == "1" => Case::One,
        Ok(_) => Case::Many,
        Err(_) => Case::None,
    }
}

/// The text of the case that `case` picks among a choice's `CASE=TEXT` parts, after the
/// fallbacks; `None` when none of them is there.
fn pick<'a>(case: Case, parts: &[(usize, &'a str)]) -> Option<&'a str> {
    let order: &[Case] = match case {
        Case::None => &[Case::None, Case::Zero, Case::Many],
        Case::Zero => &[Case::Zero, Case::Many],
        Case::One => &[Case::One, Case::Many],
        Case::Many => &[Case::Many],
    };
    order.iter().find_map(|want| {
        parts.iter().find_map(|&(_, part)| {
            let (name, text) = part.split_once('=')?;
            (case_named(name) == Some(*want)).then_some(text)
        })
    })
}

/// The template with each placeholder replaced by `value(name, key)` and each choice by the
/// text of its case (picked by what `value` writes for its number); stray braces stay as they
/// are.
pub(super) fn fill(template: &str, mut value: impl FnMut(&str, Option<&str>) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    fill_into(&mut out, template, &mut value);
    out
}

fn fill_into(out: &mut String, template: &str, value: &mut dyn FnMut(&str, Option<&str>) -> String) {
    for p in pieces(template, 0) {
        match p {
            Piece::Text(t) | Piece::Stray { text: t, .. } => out.push_str(t),
            Piece::Slot { body, .. } => {
                let parts = split_cases(body);
                let (name, key) = split(parts[0].1);
                let written = value(name, key);
                if parts.len() == 1 {
                    out.push_str(&written);
                } else if let Some(text) = pick(case_of(&written), &parts[1..]) {
                    fill_into(out, text, value);
                }
            }
        }
    }
}

/// Checks every placeholder of a template against the registry: the metric exists, a series is
/// given a key (one it has, when its keys are fixed, or `top` / `top_value`) and a number none;
/// a choice reads a number and names each case once, and its texts are templates that check;
/// braces are balanced. The error is the first problem, at its byte offset.
pub fn check_template(template: &str) -> Result<(), TemplateError> {
    check_at(template, 0)
}

/// [`check_template`] for a template starting at byte `base` of the whole one.
fn check_at(template: &str, base: usize) -> Result<(), TemplateError> {
    for p in pieces(template, base) {
        match p {
            Piece::Text(_) => {}
            Piece::Stray { offset, message, .. } => return Err(TemplateError { offset, message: message.into() }),
            Piece::Slot { offset, body } => {
                let parts = split_cases(body);
                if parts.len() == 1 {
                    check_slot(body)
                        .map_err(|message| TemplateError { offset, message: format!("`{{{body}}}`: {message}") })?;
                } else {
                    check_choice(offset, parts[0].1, &parts[1..])?;
                }
            }
        }
    }
    Ok(())
}

/// A choice whose `{` is at byte `offset`: its number's path and its `CASE=TEXT` parts (offsets
/// in the placeholder's body).
fn check_choice(offset: usize, path: &str, parts: &[(usize, &str)]) -> Result<(), TemplateError> {
    let at = |offset: usize, message: String| TemplateError { offset, message };
    let path = path.trim();
    let (name, key) = split(path);
    if key == Some("top") {
        let message = format!(
            "`{{{path}|…}}`: a choice reads a number and `{name}.top` is a label: choose on `{name}.top_value`"
        );
        return Err(at(offset, message));
    }
    check_slot(path).map_err(|message| at(offset, format!("`{{{path}|…}}`: {message}")))?;
    let names = || CASES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let mut seen: Vec<Case> = Vec::new();
    for &(local, part) in parts {
        // The part's first byte: after the `{` and `local` bytes of the body.
        let part_at = offset + 1 + local;
        let Some((case, text)) = part.split_once('=') else {
            let message = format!("`{part}` in the choice on `{path}`: write CASE=TEXT, the cases being {}", names());
            return Err(at(part_at, message));
        };
        let Some(c) = case_named(case) else {
            let message = format!("`{}` is no case of a choice; the cases are {}", case.trim(), names());
            return Err(at(part_at, message));
        };
        if seen.contains(&c) {
            return Err(at(part_at, format!("the choice on `{path}` names the case `{}` twice", case.trim())));
        }
        seen.push(c);
        check_at(text, part_at + case.len() + 1)?;
    }
    Ok(())
}

fn check_slot(body: &str) -> Result<(), String> {
    let (name, key) = split(body);
    if name.is_empty() {
        return Err(format!("names no metric; the names are {}", names()));
    }
    check_metric(name)?;
    let Some(m) = metric_info(name) else { return Err(format!("no metric `{name}`")) };
    match (m.kind, key) {
        (MetricKind::Scalar, None) => Ok(()),
        (MetricKind::Scalar, Some(_)) => Err(format!("`{name}` is one number: write `{{{name}}}`")),
        (MetricKind::Series, None) => Err(format!(
            "`{name}` is a series: name an element (`{{{name}.KEY}}`), `{{{name}.top}}` or `{{{name}.top_value}}`"
        )),
        (MetricKind::Series, Some("top" | "top_value")) => Ok(()),
        (MetricKind::Series, Some("")) => Err(format!("`{name}.` names no key")),
        (MetricKind::Series, Some(key)) => match m.keys {
            MetricKeys::Fixed(keys) if !keys.contains(&key) => {
                Err(format!("`{name}` has no key `{key}`; {}", suggest(key, keys.iter().copied())))
            }
            _ => Ok(()),
        },
    }
}

fn names() -> String {
    METRICS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
}
