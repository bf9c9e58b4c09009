//! The heartbeat hub's section of the side panel: the overall index, its six aspects in the four
//! colours with their trend (click one to colour the map by it), breadcrumbs and the ranked areas
//! of the drilled level (click one to go down into it and fly there), efficiency supervision,
//! and the briefing export.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use egui_plot::{Line, Plot, PlotPoints};
use twinhall_core::LonLat;
use twinhall_core::brief::{ASPECTS, aspect_label, level_label};
use twinhall_core::config::Lang;
use twinhall_core::metrics::EfficiencyRow;
use twinhall_core::overlay::{index_level, level_rgb};
use twinhall_core::protocol::{AreaLevel, GovernanceIndex, IndexAspect, WarningLevel};

use super::export::{ExportRequest, ExportStatus};
use super::{Drill, child_level, ranked_children};
use crate::context::{FlyTo, Tone, text_on};
use crate::feed::FeedData;
use crate::metrics::IndexTrend;
use crate::metrics::LiveMetrics;

/// Areas listed at a level.
const RANKED: usize = 10;

#[derive(SystemParam)]
pub struct HeartbeatUi<'w> {
    drill: ResMut<'w, Drill>,
    data: Res<'w, FeedData>,
    trend: Res<'w, IndexTrend>,
    live: Res<'w, LiveMetrics>,
    status: Res<'w, ExportStatus>,
    export: MessageWriter<'w, ExportRequest>,
}

fn level_colour(l: WarningLevel) -> egui::Color32 {
    let [r, g, b] = level_rgb(l);
    egui::Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
}

fn chip(ui: &mut egui::Ui, l: WarningLevel) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, level_colour(l));
}

fn aspect_score(g: &GovernanceIndex, a: IndexAspect) -> Option<f32> {
    g.aspects.iter().find(|s| s.aspect == a).map(|s| s.score)
}

/// A small trend line of one series of the index.
fn sparkline(
    ui: &mut egui::Ui,
    id: &str,
    samples: &[GovernanceIndex],
    aspect: Option<IndexAspect>,
    colour: egui::Color32,
) {
    let Some(t0) = samples.first().map(|s| s.updated_at) else { return };
    let points: PlotPoints = samples
        .iter()
        .filter_map(|s| {
            let v = match aspect {
                Some(a) => aspect_score(s, a)?,
                None => s.overall,
            };
            Some([(s.updated_at - t0) as f64 / 3_600_000.0, f64::from(v)])
        })
        .collect();
    Plot::new(id)
        .width(110.0)
        .height(22.0)
        .show_axes(false)
        .show_grid(false)
        .show_background(false)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .show_x(false)
        .show_y(false)
        .show(ui, |p| p.line(Line::new("", points).color(colour).width(1.5)));
}

fn share(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |p| format!("{p:.0}%"))
}

fn efficiency_rows(ui: &mut egui::Ui, id: &str, rows: &[&EfficiencyRow], lang: Lang) {
    egui::Grid::new(id).striped(true).num_columns(5).show(ui, |ui| {
        ui.label("");
        ui.label(lang.tr("在办", "open"));
        ui.label(lang.tr("超期", "overdue"));
        ui.label(lang.tr("处置(分)", "handling min"));
        ui.label(lang.tr("一次办结", "first time"));
        ui.end_row();
        for r in rows {
            ui.label(match lang {
                Lang::Zh => &r.label_zh,
                Lang::En => &r.label_en,
            });
            ui.label(r.open.to_string());
            let overdue = egui::RichText::new(r.overdue.to_string());
            ui.label(if r.overdue > 0 { overdue.color(Tone::Bad.of(ui)) } else { overdue });
            ui.label(r.avg_step_minutes[3].map_or_else(|| "—".into(), |m| format!("{m:.0}")));
            ui.label(share(r.first_handling_share));
            ui.end_row();
        }
    });
}

impl HeartbeatUi<'_> {
    /// The section; where to fly when an area was clicked.
    pub fn show(&mut self, ui: &mut egui::Ui, lang: Lang) -> Option<FlyTo> {
        let mut fly = None;
        let mut drill = self.drill.clone();
        let index = self.data.index.clone();
        let title = match &index {
            Some(i) => format!("{} · {:.1}", lang.tr("心跳中枢 治理指数", "Heartbeat hub · index"), i.overall),
            None => lang.tr("心跳中枢 治理指数", "Heartbeat hub · index").to_owned(),
        };
        egui::CollapsingHeader::new(egui::RichText::new(title).strong().color(Tone::Accent.of(ui)))
            .id_salt("heartbeat_section")
            .default_open(true)
            .show(ui, |ui| {
                let Some(index) = index else {
                    ui.label(lang.tr("后端尚未报送指数", "No index from the backend yet"));
                    return;
                };
                ui.horizontal(|ui| {
                    let level = index_level(index.overall);
                    chip(ui, level);
                    ui.label(egui::RichText::new(format!("{:.1}", index.overall)).size(26.0).strong());
                    ui.label(level_label(level, lang));
                    sparkline(ui, "hb_overall", &self.trend.samples, None, ui.visuals().strong_text_color());
                });
                let hint = lang.tr("点击领域：按该领域为区域着色", "Click an aspect to colour the areas by it");
                ui.label(egui::RichText::new(hint).small().weak());
                for aspect in ASPECTS {
                    let Some(a) = index.aspects.iter().find(|s| s.aspect == aspect) else { continue };
                    ui.horizontal(|ui| {
                        chip(ui, a.level);
                        let picked = drill.aspect == Some(aspect);
                        let text = format!("{} {:.1}", aspect_label(aspect, lang), a.score);
                        if ui.selectable_label(picked, text).clicked() {
                            drill.aspect = if picked { None } else { Some(aspect) };
                        }
                        sparkline(
                            ui,
                            &format!("hb_{aspect:?}"),
                            &self.trend.samples,
                            Some(aspect),
                            text_on(ui, level_rgb(a.level)),
                        );
                    });
                }
                if let Some(e) = &self.trend.error {
                    ui.colored_label(
                        Tone::Warn.of(ui),
                        format!("{} {e}", lang.tr("历史走势未载入：", "History not loaded:")),
                    );
                }
                ui.separator();
                // Breadcrumbs: 全市 › 区 › 街道 ...
                ui.horizontal_wrapped(|ui| {
                    if ui.link(lang.tr("全市", "City")).clicked() {
                        drill.path.clear();
                    }
                    let mut cut = None;
                    for (n, id) in drill.path.iter().enumerate() {
                        ui.label("›");
                        let name = self.data.areas.get(id).map_or(id.as_str(), |a| a.name.as_str());
                        if ui.link(name).clicked() {
                            cut = Some(n + 1);
                        }
                    }
                    if let Some(n) = cut {
                        drill.path.truncate(n);
                    }
                });
                let by = drill.aspect.map_or_else(
                    || lang.tr("综合指数", "overall index").to_owned(),
                    |a| aspect_label(a, lang).to_owned(),
                );
                ui.label(egui::RichText::new(format!("{} · {by}", lang.tr("排名靠后", "Lowest first"))).small());
                let children = ranked_children(&self.data, &drill);
                egui::Grid::new("hb_ranked").striped(true).num_columns(3).show(ui, |ui| {
                    for (n, r) in children.iter().take(RANKED).enumerate() {
                        ui.label(format!("{}", n + 1));
                        let link = ui.link(&r.name);
                        ui.horizontal(|ui| {
                            chip(ui, r.warning);
                            ui.label(format!("{:.1}", r.score));
                        });
                        ui.end_row();
                        if link.clicked()
                            && let Some(a) = self.data.areas.get(&r.id)
                        {
                            if child_level(a.level).is_some() {
                                drill.path.push(a.id.clone());
                            }
                            let n = a.ring.len().max(1) as f64;
                            let (lon, lat) = (
                                a.ring.iter().map(|p| p[0]).sum::<f64>() / n,
                                a.ring.iter().map(|p| p[1]).sum::<f64>() / n,
                            );
                            let distance = match a.level {
                                AreaLevel::City | AreaLevel::District => 4000.0,
                                AreaLevel::Street => 2000.0,
                                AreaLevel::Community => 1200.0,
                                AreaLevel::Grid => 600.0,
                            };
                            fly = Some(FlyTo {
                                lonlat: LonLat::new(lon, lat),
                                altitude_m: 0.0,
                                distance_m: distance,
                                pitch_deg: 55.0,
                                heading_deg: 0.0,
                            });
                        }
                    }
                });
                if children.is_empty() {
                    ui.label(lang.tr("此级无下级区域", "No areas below this one"));
                }
                egui::CollapsingHeader::new(lang.tr("效能监管", "Efficiency supervision"))
                    .id_salt("hb_efficiency")
                    .show(ui, |ui| match self.live.now.as_ref().map(|m| m.efficiency()) {
                        None => {
                            ui.label(lang.tr("统计中…", "Counting…"));
                        }
                        Some(e) => {
                            let mut rows: Vec<&EfficiencyRow> = e.by_district.iter().collect();
                            rows.push(&e.total);
                            efficiency_rows(ui, "hb_eff_district", &rows, lang);
                            ui.separator();
                            let cats: Vec<&EfficiencyRow> =
                                e.by_category.iter().filter(|r| r.open + r.closed > 0).collect();
                            efficiency_rows(ui, "hb_eff_category", &cats, lang);
                        }
                    });
                ui.horizontal(|ui| {
                    if ui.button(lang.tr("导出指数简报", "Export index briefing")).clicked() {
                        self.export.write(ExportRequest::default());
                    }
                    if let Some(s) = &self.status.last {
                        ui.label(egui::RichText::new(s).small());
                    }
                });
            });
        self.drill.set_if_neq(drill);
        fly
    }
}
