//! The sentences that say why units were chosen (Chinese and English): travel times, what is
//! missing, and where a nearer unit went.

use std::collections::HashMap;

use super::UnitNeed;
use super::assign::{Candidate, Demand};
use super::model::kind_info;
use crate::protocol::UnitKind;

pub(super) fn fmt_duration_zh(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 60, s % 60) {
        (0, sec) => format!("{sec} 秒"),
        (m, 0) => format!("{m} 分钟"),
        (m, sec) => format!("{m} 分 {sec} 秒"),
    }
}

pub(super) fn fmt_duration_en(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 60, s % 60) {
        (0, sec) => format!("{sec} s"),
        (m, 0) => format!("{m} min"),
        (m, sec) => format!("{m} min {sec} s"),
    }
}

pub(super) fn count_en(n: u32, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

pub(super) fn count_zh(n: u32, kind: UnitKind) -> String {
    let (_, noun, measure, _) = kind_info(kind);
    format!("{n} {measure}{noun}")
}

/// "2 辆消防车总行程 5 分 3 秒" / "2 fire engines, 5 min 3 s travel in total" for each kind chosen.
pub(super) fn travel_parts(units: &[Candidate], needs: &[UnitNeed]) -> (Vec<String>, Vec<String>) {
    let (mut zh, mut en) = (Vec::new(), Vec::new());
    for need in needs {
        let chosen: Vec<&Candidate> = units.iter().filter(|u| u.kind == need.kind).collect();
        if chosen.is_empty() {
            continue;
        }
        let n = chosen.len() as u32;
        let total: f64 = chosen.iter().map(|c| f64::from(c.time_s)).sum();
        let (_, _, _, noun_en) = kind_info(need.kind);
        if n == 1 {
            zh.push(format!("{}行程 {}", count_zh(n, need.kind), fmt_duration_zh(total)));
            en.push(format!("{}, {} travel", count_en(n, noun_en), fmt_duration_en(total)));
        } else {
            zh.push(format!("{}总行程 {}", count_zh(n, need.kind), fmt_duration_zh(total)));
            en.push(format!("{}, {} travel in total", count_en(n, noun_en), fmt_duration_en(total)));
        }
    }
    (zh, en)
}

pub(super) fn missing_parts(missing: &[UnitNeed]) -> Option<(String, String)> {
    if missing.is_empty() {
        return None;
    }
    let zh: Vec<String> = missing.iter().map(|m| count_zh(m.count, m.kind)).collect();
    let en: Vec<String> = missing.iter().map(|m| count_en(m.count, kind_info(m.kind).3)).collect();
    Some((format!("缺 {}", zh.join("、")), format!("short of {}", en.join(", "))))
}

pub(super) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The sentence for a plan filled alone ([`super::recommend`]): the fastest units chosen, what
/// is missing, and the nearest units other incidents hold.
pub(super) fn explain_recommendation(
    needs: &[UnitNeed],
    units: &[Candidate],
    missing: &[UnitNeed],
    nearest_taken: &[(UnitKind, &str)],
) -> (String, String) {
    let (mut notes_zh, mut notes_en) = (Vec::new(), Vec::new());
    for (kind, unit_id) in nearest_taken {
        let (_, noun, _, noun_en) = kind_info(*kind);
        notes_zh.push(format!("最近的{noun} {unit_id} 已被占用"));
        notes_en.push(format!("nearest {noun_en} {unit_id} is already taken"));
    }
    let (travel_zh, travel_en) = travel_parts(units, needs);
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if !travel_zh.is_empty() {
        zh.push(format!("最快可用：{}", travel_zh.join("、")));
        en.push(format!("Fastest available: {}", travel_en.join("; ")));
    }
    if let Some((m_zh, m_en)) = missing_parts(missing) {
        zh.push(m_zh);
        en.push(m_en);
    }
    zh.extend(notes_zh);
    en.extend(notes_en);
    if needs.is_empty() {
        zh.push("预案无需出动单位".into());
        en.push("The plan sends no units".into());
    }
    (zh.join("；"), capitalise(&en.join("; ")))
}

/// The sentence for one incident of an [`assign`] call.
pub(super) fn explain(
    demands: &[Demand],
    i: usize,
    needs: &[UnitNeed],
    pool: &[Candidate],
    units: &[Candidate],
    missing: &[UnitNeed],
    taken: &HashMap<String, usize>,
) -> (String, String) {
    let me = &demands[i];
    let higher = demands.iter().filter(|d| d.severity > me.severity).count();
    let lower = demands.iter().filter(|d| d.severity < me.severity).count();
    let same = demands.iter().filter(|d| d.severity == me.severity).count().saturating_sub(1);

    let mut head_zh = format!("严重度 {}", me.severity);
    let mut head_en = format!("Severity {}", me.severity);
    if higher > 0 {
        head_zh.push_str(&format!("，排在 {higher} 起更严重事件之后"));
        head_en.push_str(&format!(", after {}", count_en(higher as u32, "more severe incident")));
    }
    if lower > 0 {
        head_zh.push_str(&format!("，优先于 {lower} 起较低等级事件"));
        head_en.push_str(&format!(", ahead of {}", count_en(lower as u32, "lower-severity incident")));
    }
    if same > 0 {
        head_zh.push_str(&format!("，与 {same} 起同级事件统筹调度"));
        head_en.push_str(&format!(", planned with {}", count_en(same as u32, "other incident")));
        head_en.push_str(" of the same severity");
    }
    let mut zh = vec![head_zh];
    let mut en = vec![head_en];

    let (travel_zh, travel_en) = travel_parts(units, needs);
    if !travel_zh.is_empty() {
        let (tag_zh, tag_en) = if same > 0 {
            ("（全局最短）", " (shortest overall)")
        } else {
            ("（最快可用）", " (fastest available)")
        };
        zh.push(format!("{}{tag_zh}", travel_zh.join("、")));
        en.push(format!("{}{tag_en}", travel_en.join("; ")));
    }
    if let Some((m_zh, m_en)) = missing_parts(missing) {
        zh.push(m_zh);
        en.push(m_en);
    }

    // A faster unit of a needed kind that went elsewhere.
    for need in needs {
        let mine: Vec<&Candidate> = units.iter().filter(|u| u.kind == need.kind).collect();
        let short = missing.iter().any(|m| m.kind == need.kind);
        let slowest = mine.iter().map(|c| c.time_s).fold(f32::NEG_INFINITY, f32::max);
        let of_kind: Vec<&Candidate> = pool.iter().filter(|c| c.kind == need.kind).collect();
        let away = of_kind
            .iter()
            .enumerate()
            .find(|(_, c)| (short || c.time_s < slowest) && taken.get(&c.unit_id).is_some_and(|&d| d != i));
        let Some((rank, c)) = away else { continue };
        let Some(other) = taken.get(&c.unit_id).map(|&d| &demands[d]) else { continue };
        let (_, noun, _, noun_en) = kind_info(need.kind);
        let (near_zh, near_en) = if rank == 0 { ("最近的", "nearest") } else { ("较近的", "a nearer") };
        if other.severity > me.severity {
            zh.push(format!("{near_zh}{noun} {} 已派往更严重的事件 {}", c.unit_id, other.incident_id));
            en.push(format!("{near_en} {noun_en} {} went to more severe incident {}", c.unit_id, other.incident_id));
        } else {
            zh.push(format!("{near_zh}{noun} {} 派往同级事件 {}，总行程更短", c.unit_id, other.incident_id));
            en.push(format!(
                "{near_en} {noun_en} {} went to same-severity incident {} (less total travel)",
                c.unit_id, other.incident_id
            ));
        }
    }
    if needs.is_empty() {
        zh.push("预案无需出动单位".into());
        en.push("the plan sends no units".into());
    }
    (zh.join("；"), en.join("; "))
}
