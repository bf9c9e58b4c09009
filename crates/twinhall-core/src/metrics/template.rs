//! Narration templates: text with `{metric}`, `{metric.key}`, `{metric.top}` (the label of a
//! series' largest element) and `{metric.top_value}` placeholders; `{{` and `}}` are braces.

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
    /// `{body}` starting at `offset`.
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

fn pieces(t: &str) -> Vec<Piece<'_>> {
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
                match t[i + 1..].find(['}', '{']) {
                    Some(len) if b[i + 1 + len] == b'}' => {
                        out.push(Piece::Slot { offset: i, body: &t[i + 1..i + 1 + len] });
                        i += len + 2;
                    }
                    _ => {
                        let message = "`{` opens a placeholder that is not closed with `}` (write `{{` for a brace)";
                        out.push(Piece::Stray { offset: i, text: &t[i..=i], message });
                        i += 1;
                    }
                }
                text_from = i;
            }
            b'}' => {
                out.push(Piece::Text(&t[text_from..i]));
                let message = "`}` closes no placeholder (write `}}` for a brace)";
                out.push(Piece::Stray { offset: i, text: &t[i..=i], message });
                i += 1;
                text_from = i;
            }
            _ => i += 1,
        }
    }
    out.push(Piece::Text(&t[text_from..]));
    out
}

/// `name` and the key after the first dot, if any.
fn split(body: &str) -> (&str, Option<&str>) {
    match body.split_once('.') {
        Some((n, k)) => (n.trim(), Some(k.trim())),
        None => (body.trim(), None),
    }
}

/// The template with each placeholder replaced by `value(name, key)`; stray braces stay as they
/// are.
pub(super) fn fill(template: &str, mut value: impl FnMut(&str, Option<&str>) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    for p in pieces(template) {
        match p {
            Piece::Text(t) | Piece::Stray { text: t, .. } => out.push_str(t),
            Piece::Slot { body, .. } => {
                let (name, key) = split(body);
                out.push_str(&value(name, key));
            }
        }
    }
    out
}

/// Checks every placeholder of a template against the registry: the metric exists, a series is
/// given a key (one it has, when its keys are fixed, or `top` / `top_value`) and a number none;
/// braces are balanced. The error is the first problem, at its byte offset.
pub fn check_template(template: &str) -> Result<(), TemplateError> {
    for p in pieces(template) {
        match p {
            Piece::Text(_) => {}
            Piece::Stray { offset, message, .. } => return Err(TemplateError { offset, message: message.into() }),
            Piece::Slot { offset, body } => check_slot(body)
                .map_err(|message| TemplateError { offset, message: format!("`{{{body}}}`: {message}") })?,
        }
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
