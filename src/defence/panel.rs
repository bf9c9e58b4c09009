//! The defence hub's section of the side panel: the heat map and key grids on or off, the window
//! and category, the heat map's colour scale with its figures, the ranked grids with why, and
//! the key places next to the flagged ones.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::LonLat;
use twinhall_core::config::Lang;
use twinhall_core::protocol::IncidentCategory;

use super::{Defence, HeatLegend};
use crate::context::{DefenceView, FlyTo, Tone};
use crate::feed::FeedData;
use crate::overlays::text;

/// The share of the top density below which the heat map draws nothing (as in
/// shaders/heat_kde.wgsl).
const SHOWN_FROM: f32 = 0.35;
/// Grids listed in the ranking.
const RANKED: usize = 10;

pub(super) fn plugin(_app: &mut App) {}

#[derive(SystemParam)]
pub struct DefenceUi<'w> {
    defence: Res<'w, Defence>,
    view: ResMut<'w, DefenceView>,
    legend: Res<'w, HeatLegend>,
    data: Res<'w, FeedData>,
}

/// The heat map's colours, as the shader ramps them (for the legend).
fn ramp(t: f32) -> egui::Color32 {
    let stops: [(f32, [u8; 3]); 4] =
        [(0.0, [38, 115, 255]), (0.33, [255, 230, 38]), (0.66, [255, 128, 13]), (1.0, [242, 26, 26])];
    let k = stops.iter().rposition(|(s, _)| t >= *s).unwrap_or(0).min(stops.len() - 2);
    let (a, b) = (stops[k], stops[k + 1]);
    let f = ((t - a.0) / (b.0 - a.0)).clamp(0.0, 1.0);
    let c = |i: usize| (f32::from(a.1[i]) * (1.0 - f) + f32::from(b.1[i]) * f) as u8;
    egui::Color32::from_rgb(c(0), c(1), c(2))
}

impl DefenceUi<'_> {
    /// The section; a place to fly to when a ranked grid was clicked (the panel flies there).
    pub fn show(&mut self, ui: &mut egui::Ui, lang: Lang) -> Option<FlyTo> {
        let mut view = self.view.clone();
        let mut fly_to = None;
        let flagged = self.defence.report.as_ref().map_or(0, |r| r.key_grids().len());
        let title = egui::RichText::new(format!(
            "{} · {} {flagged}",
            lang.tr("防御中枢 风险发现", "Defence hub · risks"),
            lang.tr("重点网格", "key grids")
        ))
        .strong()
        .color(Tone::Defence.of(ui));
        egui::CollapsingHeader::new(title).id_salt("defence_section").default_open(true).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.checkbox(&mut view.heat, lang.tr("热力图", "heat map"));
                ui.checkbox(&mut view.key_grids, lang.tr("重点网格", "key grids"));
            });
            ui.horizontal(|ui| {
                ui.label(lang.tr("时间窗", "window"));
                ui.add(egui::Slider::new(&mut view.window_h, 1..=72).suffix(lang.tr(" 小时", " h")));
            });
            egui::ComboBox::from_id_salt("defence_category")
                .selected_text(view.category.map_or(lang.tr("全部类别", "all categories"), |c| text::category(c, lang)))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut view.category, None, lang.tr("全部类别", "all categories"));
                    for c in IncidentCategory::ALL {
                        ui.selectable_value(&mut view.category, Some(c), text::category(c, lang));
                    }
                });
            if view.heat {
                // The colour scale as the shader draws it: nothing below SHOWN_FROM of the top.
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(ui.available_width().min(260.0), 10.0), egui::Sense::hover());
                let steps = 32;
                for k in 0..steps {
                    let t = SHOWN_FROM + (1.0 - SHOWN_FROM) * k as f32 / (steps - 1) as f32;
                    let x0 = rect.left() + rect.width() * k as f32 / steps as f32;
                    let r = egui::Rect::from_min_max(
                        egui::pos2(x0, rect.top()),
                        egui::pos2(x0 + rect.width() / steps as f32 + 0.5, rect.bottom()),
                    );
                    ui.painter().rect_filled(r, 0.0, ramp(t));
                }
                ui.weak(format!(
                    "{} {} · {:.0} – {:.0} {}",
                    self.legend.points,
                    lang.tr("起事件", "incidents"),
                    self.legend.top_per_km2 * f64::from(SHOWN_FROM),
                    self.legend.top_per_km2,
                    lang.tr("起/平方公里", "per km²")
                ));
            }
            match (&self.defence.history, &self.defence.history_error) {
                (_, Some(e)) => {
                    ui.colored_label(Tone::Warn.of(ui), format!("⚠ {}: {e}", lang.tr("历史未载入", "no history")));
                }
                (Some((n, _)), None) => {
                    ui.weak(format!(
                        "{} {n} · {} {}",
                        lang.tr("历史事件", "history:"),
                        lang.tr("累计", "known"),
                        self.defence.incidents_known()
                    ));
                }
                (None, None) => {
                    ui.weak(lang.tr("正在载入历史事件…", "Loading the incident history…"));
                }
            }
            let Some(report) = &self.defence.report else { return };
            ui.weak(format!(
                "{} {} {} · p < {:.1e}",
                lang.tr("基线", "baseline"),
                report.baseline_days,
                lang.tr("天 · 泊松尾概率，Bonferroni", "days · Poisson tail, Bonferroni"),
                report.threshold_p
            ));
            egui::Grid::new("defence_ranked").striped(true).num_columns(3).show(ui, |ui| {
                for (rank, s) in report.by_grid().into_iter().take(RANKED).enumerate() {
                    let colour = if s.flagged { Tone::Defence.of(ui) } else { ui.visuals().weak_text_color() };
                    if ui
                        .add(
                            egui::Label::new(egui::RichText::new(format!("{} {}", rank + 1, s.grid_id)).color(colour))
                                .sense(egui::Sense::click()),
                        )
                        .clicked()
                        && let Some(a) = self.data.areas.get(&s.grid_id)
                    {
                        let n = a.ring.len().max(1) as f64;
                        fly_to = Some(LonLat::new(
                            a.ring.iter().map(|p| p[0]).sum::<f64>() / n,
                            a.ring.iter().map(|p| p[1]).sum::<f64>() / n,
                        ));
                    }
                    ui.label(match lang {
                        Lang::Zh => &s.reason_zh,
                        Lang::En => &s.reason_en,
                    });
                    ui.label(format!("{:.1}", s.score));
                    ui.end_row();
                }
            });
            if !self.defence.places.is_empty() {
                ui.label(egui::RichText::new(lang.tr("重点场所", "Key places")).strong());
                for p in self.defence.places.iter().take(8) {
                    let near = if p.distance_m <= 0.0 { lang.tr("内", "in") } else { lang.tr("旁", "next to") };
                    ui.label(format!("{} {} · {near} {}", text::facility(p.kind, lang), p.name, p.grid_id));
                }
            }
        });
        if view != *self.view {
            *self.view = view;
        }
        fly_to.map(|lonlat| FlyTo { lonlat, altitude_m: 0.0, distance_m: 2000.0, pitch_deg: 55.0, heading_deg: 0.0 })
    }
}
