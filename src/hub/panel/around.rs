//! Around the focused incident: the cameras that see it and those blocked, facilities, depots
//! and supplies, population and sensors; and the incident's timeline from the journal.

use bevy_egui::egui;
use twinhall_core::config::Lang;
use twinhall_core::protocol::FacilityKind;

use super::super::HubState;
use super::focused::Focused;
use super::{clock, eta};
use crate::overlays::text;

/// What lies within the radius.
pub(super) fn surroundings(ui: &mut egui::Ui, f: &Focused, state: &mut HubState, select_camera: &mut Option<String>) {
    let Focused { lang, analysis, .. } = *f;
    let s = &analysis.surroundings;
    egui::CollapsingHeader::new(format!(
        "{} {:.0} m · {} {} · {} {:.0}",
        lang.tr("周边", "Within"),
        analysis.radius_m,
        lang.tr("可见视频", "cameras"),
        s.cameras_visible.len(),
        lang.tr("人口", "people"),
        s.population
    ))
    .id_salt("hub_around")
    .default_open(true)
    .show(ui, |ui| {
        for c in &s.cameras_visible {
            let line =
                format!("📹 {} · {:.0} m{}", c.name, c.distance_m, if c.online { "" } else { " · 离线/offline" });
            let r = ui.selectable_label(
                false,
                egui::RichText::new(line).color(if c.online {
                    egui::Color32::from_rgb(130, 240, 150)
                } else {
                    egui::Color32::GRAY
                }),
            );
            if r.clicked() {
                *select_camera = Some(c.id.clone());
            }
        }
        if !s.cameras_blocked.is_empty() {
            ui.weak(format!("{} ({})", lang.tr("视线被建筑遮挡", "Line of sight blocked"), s.cameras_blocked.len()));
            let mut hovered = None;
            for c in &s.cameras_blocked {
                let r = ui.label(
                    egui::RichText::new(format!("📷 {} · {:.0} m", c.name, c.distance_m))
                        .color(egui::Color32::DARK_GRAY),
                );
                if r.hovered() {
                    hovered = Some(c.id.clone());
                }
            }
            if hovered != state.hovered_blocked {
                state.hovered_blocked = hovered;
            }
        }
        ui.separator();
        // Hydrants are many: one line with their count and the nearest.
        let hydrants: Vec<_> = s.facilities.iter().filter(|f| f.kind == FacilityKind::Hydrant).collect();
        if let Some(nearest) = hydrants.iter().map(|f| f.distance_m).reduce(f64::min) {
            ui.label(format!(
                "{} {} {}（{} {nearest:.0} m）",
                text::facility(FacilityKind::Hydrant, lang),
                hydrants.len(),
                lang.tr("个", ""),
                lang.tr("最近", "nearest")
            ));
        }
        for f in s.facilities.iter().filter(|f| f.kind != FacilityKind::Hydrant) {
            ui.label(format!(
                "{} {} · {:.0} m · {} {}",
                text::facility(f.kind, lang),
                f.name,
                f.distance_m,
                lang.tr("车程", "drive"),
                eta(f.travel_s)
            ));
        }
        for d in &s.depots {
            let inv: Vec<String> =
                d.inventory.iter().map(|l| format!("{} {:.0}{}", l.item, l.quantity, l.unit)).collect();
            ui.label(format!("📦 {} · {:.0} m · {}", d.name, d.distance_m, inv.join("，")));
        }
        if !s.supply_totals.is_empty() {
            let tot: Vec<String> =
                s.supply_totals.iter().map(|t| format!("{} {:.0}{}", t.item, t.quantity, t.unit)).collect();
            ui.weak(format!("{}：{}", lang.tr("半径内物资合计", "Supplies in radius"), tot.join("，")));
        }
        ui.label(format!(
            "{} {:.0}（{} {} {}）",
            lang.tr("估算人口", "Population"),
            s.population,
            lang.tr("按面积占比，涉及", "area-weighted over"),
            s.areas.len(),
            lang.tr("个网格", "grids")
        ));
        for x in &s.sensors {
            ui.colored_label(
                if x.alarm { egui::Color32::from_rgb(255, 80, 70) } else { egui::Color32::from_rgb(170, 200, 220) },
                format!(
                    "{} {} · {:.1}/{:.1} {} · {:.0} m{}",
                    x.kind,
                    x.name,
                    x.reading,
                    x.threshold,
                    x.unit,
                    x.distance_m,
                    if x.stale { " · 过期" } else { "" }
                ),
            );
        }
    });
}

/// The incident's timeline as the journal keeps it.
pub(super) fn timeline(ui: &mut egui::Ui, f: &Focused) {
    let Focused { lang, incident, outbox, .. } = *f;
    if let Some(outbox) = outbox {
        egui::CollapsingHeader::new(lang.tr("时间线", "Timeline")).id_salt("hub_timeline").default_open(false).show(
            ui,
            |ui| match outbox.outbox.journal().timeline(&incident.id) {
                Ok(entries) if entries.is_empty() => {
                    ui.weak(lang.tr("尚无记录", "Nothing yet"));
                }
                Ok(entries) => {
                    for e in entries {
                        ui.label(format!(
                            "{} · {}",
                            clock(e.at),
                            if lang == Lang::Zh { &e.text_zh } else { &e.text_en }
                        ));
                    }
                }
                Err(e) => {
                    ui.colored_label(egui::Color32::from_rgb(255, 80, 70), e.to_string());
                }
            },
        );
    }
}
