//! The tactile hub's section of the side panel: open alerts by severity, then age (oldest first:
//! the one waiting longest is handled first), each with locate, acknowledge, report as an
//! incident and dismiss with a reason; the chime's mute; and the last closed alerts with what
//! became of them.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::config::Lang;
use twinhall_core::protocol::now_ms;
use twinhall_core::rules::alerts::Resolution;
use twinhall_core::rules::{Alert, Stage};

use super::engine::{ActionKind, AlertAction};
use super::scene::alert_rgb;
use super::{Tactile, TactileRules};
use crate::context::{Tone, text_on};

/// Most open alerts listed (the rest are counted).
const MAX_ROWS: usize = 40;
/// Closed alerts listed under the open ones.
const RECENT_CLOSED: usize = 5;
/// Reasons offered for a dismissal.
const REASONS: [(&str, &str); 4] = [
    ("误报", "false alarm"),
    ("设备检修", "equipment maintenance"),
    ("已现场处置", "handled on site"),
    ("与已有事件重复", "duplicate of an incident"),
];

/// The first reason offered for closing alerts whose condition ended.
const ENDED_REASONS: [(&str, &str); 1] = [("条件已解除", "condition ended")];

pub(super) fn plugin(_app: &mut App) {}

/// The panel's view of the tactile hub, and its way to act.
#[derive(SystemParam)]
pub struct TactileUi<'w> {
    tactile: Option<ResMut<'w, Tactile>>,
    rules: Option<Res<'w, TactileRules>>,
    actions: MessageWriter<'w, AlertAction>,
}

/// An alert's severity colour, legible as text on this theme's panels.
fn colour(ui: &egui::Ui, severity: u8) -> egui::Color32 {
    text_on(ui, alert_rgb(severity))
}

fn name(a: &Alert, lang: Lang) -> &str {
    match lang {
        Lang::Zh => &a.name_zh,
        Lang::En => &a.name_en,
    }
}

impl TactileUi<'_> {
    /// The section: nothing when the hub is not running (headless tools).
    pub fn show(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let Some(tactile) = self.tactile.as_mut() else { return };
        let open = tactile.book.open_by_severity();
        let new = open.iter().filter(|a| a.stage() == Stage::New).count();
        let title = egui::RichText::new(format!(
            "{} · {} {} / {} {}",
            lang.tr("触觉中枢 预警", "Tactile hub · alerts"),
            lang.tr("待处理", "open"),
            open.len(),
            lang.tr("新", "new"),
            new
        ))
        .strong()
        .color(if new > 0 { Tone::Tactile.of(ui) } else { ui.visuals().text_color() });
        let mut actions = Vec::new();
        let mut muted = tactile.muted;
        egui::CollapsingHeader::new(title).id_salt("tactile_section").default_open(true).show(ui, |ui| {
            let rules = self.rules.as_ref().map_or(0, |r| r.0.rules.len());
            ui.horizontal(|ui| {
                ui.label(format!("{} {rules}", lang.tr("规则", "rules")));
                ui.checkbox(&mut muted, lang.tr("静音", "mute chime"));
                // Alerts whose condition ended (many, after a long outage) are closed together.
                let ended: Vec<u64> = open.iter().filter(|a| !a.active).map(|a| a.id).collect();
                if ended.len() > 1 {
                    let label = format!("{} {}…", lang.tr("忽略已解除", "Dismiss ended"), ended.len());
                    ui.menu_button(label, |ui| {
                        for (zh, en) in ENDED_REASONS.iter().chain(&REASONS) {
                            if ui.button(format!("{zh} · {en}")).clicked() {
                                let reason = format!("{zh} · {en}");
                                actions.extend(
                                    ended
                                        .iter()
                                        .map(|&id| AlertAction { id, kind: ActionKind::Dismiss(reason.clone()) }),
                                );
                                ui.close();
                            }
                        }
                    });
                }
            });
            if let Some(e) = &tactile.rules_error {
                ui.colored_label(Tone::Bad.of(ui), format!("⚠ {e}"));
            }
            if let Some(e) = &tactile.journal_error {
                ui.colored_label(Tone::Warn.of(ui), format!("⚠ {}: {e}", lang.tr("预警未能保存", "alerts not kept")));
            }
            if open.is_empty() {
                ui.weak(lang.tr("暂无待处理预警", "No open alerts"));
            }
            let now = now_ms();
            // A long list scrolls in its own box, so the sections below stay in reach.
            egui::ScrollArea::vertical().id_salt("tactile_alerts").max_height(300.0).show(ui, |ui| {
                for a in open.iter().take(MAX_ROWS) {
                    let reading = self
                        .rules
                        .as_ref()
                        .and_then(|r| r.0.get(&a.rule_id))
                        .and_then(|r| r.kind.reading(a.value))
                        .map(|(zh, en)| if lang == Lang::Zh { zh } else { en });
                    let row = Row { reading, reporting: tactile.is_reporting(a.id), error: tactile.errors.get(&a.id) };
                    alert_row(ui, lang, a, now, row, &mut actions);
                }
            });
            if open.len() > MAX_ROWS {
                ui.weak(format!("{} {}", lang.tr("另有", "more:"), open.len() - MAX_ROWS));
            }
            let closed: Vec<&Alert> =
                tactile.book.all().iter().rev().filter(|a| !a.is_open()).take(RECENT_CLOSED).collect();
            if !closed.is_empty() {
                ui.separator();
                ui.weak(lang.tr("最近处理", "Recently closed"));
                for a in closed {
                    let what = match &a.resolution {
                        Some(Resolution::Incident { incident_id, by, .. }) => {
                            format!("→ {} {incident_id} · {by}", lang.tr("事件", "incident"))
                        }
                        Some(Resolution::Dismissed { reason, by, .. }) => {
                            format!("{}：{reason} · {by}", lang.tr("已忽略", "dismissed"))
                        }
                        None => String::new(),
                    };
                    ui.label(egui::RichText::new(format!("#{} {} · {what}", a.id, name(a, lang))).small());
                }
            }
        });
        if muted != tactile.muted {
            tactile.muted = muted;
        }
        for a in actions {
            self.actions.write(a);
        }
    }
}

/// What the panel knows of one alert beyond the alert itself.
struct Row<'a> {
    /// The value as what its rule measures ("已失联 15 分钟"); None where it says nothing.
    reading: Option<String>,
    reporting: bool,
    error: Option<&'a String>,
}

fn alert_row(ui: &mut egui::Ui, lang: Lang, a: &Alert, now: i64, row: Row, actions: &mut Vec<AlertAction>) {
    let Row { reading, reporting, error } = row;
    let act = |kind| AlertAction { id: a.id, kind };
    egui::Frame::group(ui.style()).stroke(egui::Stroke::new(1.0, colour(ui, a.severity))).show(ui, |ui| {
        ui.set_min_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            let dot = if a.active { "●" } else { "○" };
            ui.colored_label(colour(ui, a.severity), format!("{dot} {}", a.severity));
            ui.label(egui::RichText::new(name(a, lang)).strong());
            ui.label(&a.subject);
            if a.count > 1 {
                ui.label(format!("×{}", a.count));
            }
        });
        ui.horizontal_wrapped(|ui| {
            let stage = match a.stage() {
                Stage::New => lang.tr("新预警", "new"),
                Stage::Acknowledged => lang.tr("已确认", "acknowledged"),
                Stage::Incident | Stage::Dismissed => "",
            };
            let mut line = format!("{stage} · {}", lang.ago((now - a.first_seen) as f64 / 1000.0));
            if let Some(reading) = reading {
                line = format!("{line} · {reading}");
            }
            ui.weak(line);
            if !a.active {
                ui.weak(lang.tr("（已解除）", "(cleared)"));
            }
        });
        ui.horizontal_wrapped(|ui| {
            if a.lonlat.is_some() && ui.small_button(lang.tr("定位", "Locate")).clicked() {
                actions.push(act(ActionKind::Locate));
            }
            if a.stage() == Stage::New && ui.small_button(lang.tr("确认", "Acknowledge")).clicked() {
                actions.push(act(ActionKind::Acknowledge));
            }
            let label = if reporting {
                lang.tr("上报中…", "Reporting…")
            } else {
                lang.tr("转为事件", "To incident")
            };
            if ui.add_enabled(!reporting && a.lonlat.is_some(), egui::Button::new(label).small()).clicked() {
                actions.push(act(ActionKind::ToIncident));
            }
            ui.menu_button(lang.tr("忽略…", "Dismiss…"), |ui| {
                for (zh, en) in REASONS {
                    if ui.button(format!("{zh} · {en}")).clicked() {
                        actions.push(act(ActionKind::Dismiss(format!("{zh} · {en}"))));
                        ui.close();
                    }
                }
            });
        });
        if let Some(e) = error {
            ui.colored_label(Tone::Bad.of(ui), e);
        }
    });
}
