//! The focused incident in the hub's section: its heading and radius, the recommended plan with
//! the units filled in (swap, remove, add), one-action dispatch and the orders' states, and the
//! units by road time. The surroundings and the timeline are in [`super::around`].

use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_client::outbox::OutboxUpdate;
use twinhall_core::config::Lang;
use twinhall_core::hub::journal::OrderStatus;
use twinhall_core::hub::plans::Shortfall;
use twinhall_core::protocol::{DispatchRequest, Incident, UnitKind, UnitStatus, now_ms};

use super::super::analysis::RankedUnit;
use super::super::dispatch::{OutboxError, RequestDispatch};
use super::super::report::ExportReport;
use super::super::{DispatchTiming, FocusAnalysis, HubOutbox, HubState, UndoBar};
use super::{chosen_units, eta, order_colour, order_text, rgb, unit_line};
use crate::context::{Tone as Colour, severity_rgb};
use crate::overlays::text;

/// What the focused incident's section reads.
#[derive(Clone, Copy)]
pub(super) struct Focused<'a> {
    pub lang: Lang,
    pub incident: &'a Incident,
    pub analysis: &'a FocusAnalysis,
    pub outbox: Option<&'a HubOutbox>,
    pub outbox_error: Option<&'a OutboxError>,
    pub timing: &'a DispatchTiming,
    pub undo: Option<&'a UndoBar>,
}

/// The focused incident's section, top to bottom; what the operator asks for goes into `state`,
/// `send` (a dispatch), `select_camera` and `export`.
pub(super) fn show(
    ui: &mut egui::Ui,
    f: &Focused,
    state: &mut HubState,
    send: &mut Option<RequestDispatch>,
    select_camera: &mut Option<String>,
    export: &mut MessageWriter<ExportReport>,
) {
    if !heading(ui, f, state, export) {
        return;
    }
    ui.separator();
    let chosen = chosen_units(state, f.analysis);
    plan(ui, f);
    order(ui, f, &chosen, state, send);
    units(ui, f, &chosen, state);
    super::around::surroundings(ui, f, state, select_camera);
    super::around::timeline(ui, f);
    ui.weak(format!("{} {:.1} ms", f.lang.tr("分析用时", "Analysis"), f.analysis.compute_ms));
}

/// The incident, the radius and the section's actions; false while its analysis is not ready.
fn heading(ui: &mut egui::Ui, f: &Focused, state: &mut HubState, export: &mut MessageWriter<ExportReport>) -> bool {
    let Focused { lang, incident, analysis, .. } = *f;
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("●").size(20.0).color(rgb(severity_rgb(incident.severity))));
        ui.label(egui::RichText::new(&incident.title).size(19.0).strong());
    });
    ui.label(format!(
        "{} · {} {} · {} · {}",
        text::category(incident.category, lang),
        lang.tr("等级", "severity"),
        incident.severity,
        text::incident_status(incident.status, lang),
        lang.ago((now_ms() - incident.reported_at) as f64 / 1000.0)
    ));
    if !incident.address.is_empty() || !incident.district.is_empty() {
        ui.weak(format!("{} {}", incident.district, incident.address));
    }
    ui.horizontal(|ui| {
        ui.label(lang.tr("半径", "Radius"));
        let mut r = state.radius_m as f32;
        if ui.add(egui::Slider::new(&mut r, 100.0..=3000.0).suffix(" m").step_by(50.0)).changed() {
            state.radius_m = f64::from(r);
        }
        if ui.button(lang.tr("导出报告", "Export report")).clicked() {
            export.write(ExportReport(incident.id.clone()));
        }
        if ui.button(lang.tr("取消聚焦", "Unfocus")).clicked() {
            state.focused = None;
        }
    });
    if analysis.incident_id.as_deref() != Some(incident.id.as_str()) {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(lang.tr("正在准备路网与周边分析……", "Preparing the road graph and surroundings…"));
        });
        return false;
    }
    true
}

/// How a line of the plan's part is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    /// The plan's name.
    Title,
    /// What was dispatched.
    Done,
    Plain,
    Weak,
    /// Missing units, short supplies.
    Warn,
    /// Supplies enough.
    Enough,
}

/// The units on their way to (or at) the incident.
pub(super) fn sent_units<'a>(analysis: &'a FocusAnalysis, incident_id: &str) -> Vec<&'a RankedUnit> {
    analysis.units.iter().filter(|u| u.busy_with.as_deref() == Some(incident_id)).collect()
}

/// The order for this incident the leader will most want to see: one answered before one still
/// waiting, the last made first.
pub(super) fn latest_order<'a>(outbox: Option<&'a HubOutbox>, incident_id: &str) -> Option<&'a OutboxUpdate> {
    let rank = |s: OrderStatus| match s {
        OrderStatus::Accepted => 3,
        OrderStatus::Rejected => 2,
        OrderStatus::Unconfirmed => 1,
        OrderStatus::Pending => 0,
    };
    outbox?
        .orders
        .values()
        .filter(|o| o.incident_id == incident_id)
        .max_by(|a, b| rank(a.status).cmp(&rank(b.status)).then(a.key.cmp(&b.key)))
}

/// What was sent to the incident, in one line: "已调度 9 个单位（警车 ×3、消防车 ×4、救护车 ×2）
/// · 指令 O-000001 已受理" / "9 units dispatched (police car ×3, ...) · order O-000001 accepted".
pub(super) fn dispatched_line(sent: &[&RankedUnit], order: Option<&OutboxUpdate>, lang: Lang) -> String {
    let mut kinds: Vec<(UnitKind, usize)> = Vec::new();
    for u in sent {
        match kinds.iter().position(|(k, _)| *k == u.kind) {
            Some(i) => kinds[i].1 += 1,
            None => kinds.push((u.kind, 1)),
        }
    }
    let n = sent.len();
    let mut line = match lang {
        Lang::Zh => format!("已调度 {n} 个单位"),
        Lang::En if n == 1 => "1 unit dispatched".to_owned(),
        Lang::En => format!("{n} units dispatched"),
    };
    let by_kind: Vec<String> = kinds.iter().map(|(k, c)| format!("{} ×{c}", text::unit_kind(*k, lang))).collect();
    if !by_kind.is_empty() {
        line.push_str(&lang.bracket(by_kind.join(lang.list_sep())));
    }
    let on_scene = sent.iter().filter(|u| u.status == UnitStatus::OnScene).count();
    if on_scene > 0 {
        line.push_str(lang.comma());
        line.push_str(&match lang {
            Lang::Zh => format!("{on_scene} 个已到达现场"),
            Lang::En => format!("{on_scene} on scene"),
        });
    }
    if let Some(o) = order {
        line.push_str(&format!(
            " · {} {} {}",
            lang.tr("指令", "order"),
            o.order_id.as_deref().unwrap_or(&o.key),
            order_text(o.status, lang)
        ));
    }
    line
}

/// A supply the plan asks for against what the radius holds: "物资 帐篷：半径内 3/10 顶".
pub(super) fn supply_line(s: &Shortfall, lang: Lang) -> String {
    lang.labelled(
        &format!("{} {}", lang.tr("物资", "Supply"), s.item),
        format!("{} {}/{} {}", lang.tr("半径内", "in radius"), text::whole(s.have), text::whole(s.need), s.unit),
    )
}

/// The plan's part, top to bottom: its name, what was dispatched, why these units, what is
/// missing, the supplies. Once the plan's units are all on their way it says what was sent, not
/// that the plan "sends no units" (what is left to send).
pub(super) fn plan_lines(f: &Focused) -> Vec<(Tone, String)> {
    let Focused { lang, incident, analysis, outbox, .. } = *f;
    let sent = sent_units(analysis, &incident.id);
    let dispatched = (!sent.is_empty()).then(|| dispatched_line(&sent, latest_order(outbox, &incident.id), lang));
    let mut lines = Vec::new();
    let Some(rec) = &analysis.recommendation else {
        lines.push(match dispatched {
            Some(d) => (Tone::Done, d),
            None => (
                Tone::Plain,
                lang.tr(
                    "没有适用于此类事件的预案：请从下方力量列表手动选择。",
                    "No plan fits this incident: pick units below.",
                )
                .to_owned(),
            ),
        });
        return lines;
    };
    let all_sent = rec.needs.is_empty() && dispatched.is_some();
    let label = if all_sent { lang.tr("预案", "Plan") } else { lang.tr("推荐预案", "Recommended plan") };
    lines.push((Tone::Title, lang.labelled(label, if lang == Lang::Zh { &rec.plan_zh } else { &rec.plan_en })));
    if let Some(d) = dispatched {
        lines.push((Tone::Done, d));
    }
    let why = if lang == Lang::Zh { &rec.assignment.why_zh } else { &rec.assignment.why_en };
    if !all_sent && !why.is_empty() {
        lines.push((Tone::Weak, why.clone()));
    }
    for m in &rec.assignment.missing {
        lines.push((
            Tone::Warn,
            format!("{} {} × {}", lang.tr("缺少可用", "Missing"), text::unit_kind(m.kind, lang), m.count),
        ));
    }
    for s in &rec.supplies {
        lines.push((if s.have >= s.need { Tone::Enough } else { Tone::Warn }, supply_line(s, lang)));
    }
    lines
}

/// The plan's part of the section.
fn plan(ui: &mut egui::Ui, f: &Focused) {
    for (tone, line) in plan_lines(f) {
        match tone {
            Tone::Title => {
                ui.label(egui::RichText::new(line).strong().color(Colour::Accent.of(ui)));
            }
            Tone::Done => {
                ui.colored_label(Colour::Good.of(ui), line);
            }
            Tone::Plain => {
                ui.label(line);
            }
            Tone::Weak => {
                ui.weak(line);
            }
            Tone::Warn => {
                ui.colored_label(Colour::Warn.of(ui), line);
            }
            Tone::Enough => {
                ui.colored_label(Colour::Good.of(ui), line);
            }
        }
    }
}

/// How long the last dispatch took: "上次从点击到发出 120 ms（落盘 1.5 ms） · 应答 30 ms".
pub(super) fn timing_line(timing: &DispatchTiming, lang: Lang) -> Option<String> {
    let ms = timing.click_to_wire_ms?;
    Some(format!(
        "{} {ms:.0} ms{}{}",
        lang.tr("上次从点击到发出", "Last click to wire"),
        lang.bracket(format!("{} {:.1} ms", lang.tr("落盘", "journal"), timing.journal_ms.unwrap_or(0.0))),
        timing.wire_to_answer_ms.map(|a| format!(" · {} {a:.0} ms", lang.tr("应答", "answer"))).unwrap_or_default()
    ))
}

/// An order and its state: "指令 O-000001 · 已受理", and why when it was refused.
pub(super) fn order_line(o: &OutboxUpdate, lang: Lang) -> String {
    let line = format!(
        "{} {} · {}",
        lang.tr("指令", "Order"),
        o.order_id.as_deref().unwrap_or(&o.key),
        order_text(o.status, lang)
    );
    match o.reason.as_deref() {
        Some(r) => lang.labelled(&line, r),
        None => line,
    }
}

/// The units in the order (swap, remove), the dispatch button, and the orders sent.
fn order(ui: &mut egui::Ui, f: &Focused, chosen: &[String], state: &mut HubState, send: &mut Option<RequestDispatch>) {
    let Focused { lang, incident, analysis, outbox, outbox_error, timing, undo, .. } = *f;
    let mut remove = None;
    let mut swap: Option<(usize, String)> = None;
    egui::Grid::new("hub_order").num_columns(3).striped(true).show(ui, |ui| {
        for (k, id) in chosen.iter().enumerate() {
            let Some(u) = analysis.unit(id) else { continue };
            ui.label(unit_line(u, lang));
            egui::ComboBox::from_id_salt(("swap", k)).selected_text(lang.tr("换", "swap")).width(40.0).show_ui(
                ui,
                |ui| {
                    for alt in analysis
                        .units
                        .iter()
                        .filter(|a| a.available && a.kind == u.kind && !chosen.contains(&a.id))
                        .take(12)
                    {
                        if ui.selectable_label(false, unit_line(alt, lang)).clicked() {
                            swap = Some((k, alt.id.clone()));
                        }
                    }
                },
            );
            if ui.small_button("✖").on_hover_text(lang.tr("移出", "remove")).clicked() {
                remove = Some(k);
            }
            ui.end_row();
        }
    });
    if remove.is_some() || swap.is_some() {
        let mut units = chosen.to_vec();
        if let Some(k) = remove {
            units.remove(k);
        }
        if let Some((k, id)) = swap
            && let Some(slot) = units.get_mut(k)
        {
            *slot = id;
        }
        state.chosen = Some((incident.id.clone(), units));
    }
    let can_send = !chosen.is_empty() && outbox.is_some() && undo.is_none();
    // Nothing left to send because the plan's units are on their way: the button says so.
    let all_sent = chosen.is_empty() && !sent_units(analysis, &incident.id).is_empty();
    ui.horizontal(|ui| {
        let words = if all_sent {
            lang.tr("预案已调度", "Plan dispatched").to_owned()
        } else {
            format!("{} ({})", lang.tr("调度预案", "Dispatch the plan"), chosen.len())
        };
        let label = egui::RichText::new(format!("🚨 {words}")).size(18.0).strong();
        if ui.add_enabled(can_send, egui::Button::new(label).fill(egui::Color32::from_rgb(160, 30, 30))).clicked() {
            let names = |l: Lang| -> Vec<String> {
                chosen
                    .iter()
                    .filter_map(|id| analysis.unit(id))
                    .map(|u| format!("{}({})", text::unit_name(u.kind, &u.name, l), eta(u.time_s)))
                    .collect()
            };
            let plan = analysis.recommendation.as_ref();
            *send = Some(RequestDispatch {
                request: DispatchRequest {
                    incident_id: incident.id.clone(),
                    unit_ids: chosen.to_vec(),
                    note: plan.map(|p| p.plan_zh.clone()).unwrap_or_default(),
                },
                summary_zh: format!(
                    "确认调度{}：{}",
                    plan.map(|p| format!("（{}）", p.plan_zh)).unwrap_or_default(),
                    names(Lang::Zh).join("、")
                ),
                summary_en: format!(
                    "Dispatch confirmed{}: {}",
                    plan.map(|p| format!(" ({})", p.plan_en)).unwrap_or_default(),
                    names(Lang::En).join(", ")
                ),
            });
        }
        if state.chosen.is_some() && ui.button(lang.tr("恢复推荐", "Reset")).clicked() {
            state.chosen = None;
        }
    });
    if let Some(e) = outbox_error {
        let what = lang.tr("调度日志不可用，禁止调度", "Dispatch journal unavailable, dispatch disabled");
        ui.colored_label(Colour::Bad.of(ui), lang.labelled(what, &e.0));
    }
    if let Some(line) = timing_line(timing, lang) {
        ui.weak(line);
    }
    if let Some(outbox) = outbox {
        let mine: Vec<_> = outbox.orders.values().filter(|o| o.incident_id == incident.id).collect();
        for o in mine {
            ui.colored_label(order_colour(ui, o.status), order_line(o, lang));
        }
    }
}

/// Every unit by road travel time: the available ones (add to the order), then the others.
fn units(ui: &mut egui::Ui, f: &Focused, chosen: &[String], state: &mut HubState) {
    let Focused { lang, incident, analysis, .. } = *f;
    let available: Vec<&RankedUnit> = analysis.units.iter().filter(|u| u.available).collect();
    let busy: Vec<&RankedUnit> = analysis.units.iter().filter(|u| !u.available).collect();
    egui::CollapsingHeader::new(format!(
        "{} ({})",
        lang.tr("可调力量 · 按路网用时", "Available units · by road time"),
        available.len()
    ))
    .id_salt("hub_units")
    .default_open(true)
    .show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt("hub_units_rows").max_height(180.0).show(ui, |ui| {
            for u in available.iter().take(200) {
                ui.horizontal(|ui| {
                    let inside = chosen.contains(&u.id);
                    if ui
                        .add_enabled(!inside, egui::Button::new("+").small())
                        .on_hover_text(lang.tr("加入指令", "add to the order"))
                        .clicked()
                    {
                        let mut units = chosen.to_vec();
                        units.push(u.id.clone());
                        state.chosen = Some((incident.id.clone(), units));
                    }
                    ui.label(unit_line(u, lang));
                });
            }
        });
    });
    egui::CollapsingHeader::new(format!("{} ({})", lang.tr("不可调派", "Unavailable"), busy.len()))
        .id_salt("hub_busy")
        .show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("hub_busy_rows").max_height(140.0).show(ui, |ui| {
                for u in busy.iter().take(200) {
                    let why = match &u.busy_with {
                        Some(i) if *i == incident.id => lang.tr("本事件", "this incident").to_owned(),
                        Some(i) => format!("{} {i}", lang.tr("执行", "on")),
                        None => text::unit_status(u.status, lang).to_owned(),
                    };
                    ui.weak(format!("{} · {why}", unit_line(u, lang)));
                }
            });
        });
}
