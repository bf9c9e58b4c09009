//! Around the focused incident: the cameras that see it and those blocked, facilities, depots
//! and supplies, population and sensors; and the incident's timeline from the journal.

use bevy_egui::egui;
use twinhall_core::config::Lang;
use twinhall_core::hub::surroundings::{CameraSight, DepotNear, FacilityNear, SensorNear, SupplyTotal};
use twinhall_core::protocol::FacilityKind;

use super::super::HubState;
use super::focused::Focused;
use super::{clock, eta};
use crate::context::Tone;
use crate::overlays::text;

/// A camera near the incident: "视频监控 0012 · 85 m" (and "· 离线" / "· offline").
pub(super) fn camera_line(c: &CameraSight, lang: Lang) -> String {
    let name = text::camera_name(&c.name, lang);
    let offline = if c.online { String::new() } else { format!(" · {}", lang.tr("离线", "offline")) };
    format!("{name} · {:.0} m{offline}", c.distance_m)
}

/// The hydrants within the radius: "消火栓 12 个（最近 157 m）" / "12 hydrants (nearest 157 m)".
pub(super) fn hydrant_line(count: usize, nearest_m: f64, lang: Lang) -> String {
    let nearest = lang.bracket(format!("{} {} m", lang.tr("最近", "nearest"), text::whole(nearest_m)));
    match lang {
        Lang::Zh => format!("{} {count} 个{nearest}", text::facility(FacilityKind::Hydrant, lang)),
        Lang::En if count == 1 => format!("1 hydrant{nearest}"),
        Lang::En => format!("{count} hydrants{nearest}"),
    }
}

/// A facility with its distance and drive time, its kind said once: "学校 262 · 300 m · 车程 1:05".
pub(super) fn facility_line(f: &FacilityNear, lang: Lang) -> String {
    format!(
        "{} · {:.0} m · {} {}",
        text::facility_label(f.kind, &f.name, lang),
        f.distance_m,
        lang.tr("车程", "drive"),
        eta(f.travel_s)
    )
}

/// A depot with what it holds: "📦 应急物资储备点 01 · 420 m · 帐篷 200顶，沙袋 5000袋".
pub(super) fn depot_line(d: &DepotNear, lang: Lang) -> String {
    let inv: Vec<String> =
        d.inventory.iter().map(|l| format!("{} {}{}", l.item, text::whole(l.quantity), l.unit)).collect();
    format!("📦 {} · {:.0} m · {}", text::depot_name(&d.name, lang), d.distance_m, inv.join(lang.comma()))
}

/// What the depots within the radius hold together.
pub(super) fn supplies_line(totals: &[SupplyTotal], lang: Lang) -> String {
    let tot: Vec<String> = totals.iter().map(|t| format!("{} {}{}", t.item, text::whole(t.quantity), t.unit)).collect();
    lang.labelled(lang.tr("半径内物资合计", "Supplies in radius"), tot.join(lang.comma()))
}

/// The people within the radius: "估算人口 1200（按面积占比，涉及 3 个网格）" /
/// "Population 1200 (area-weighted over 3 grids)".
pub(super) fn population_line(population: f64, areas: usize, lang: Lang) -> String {
    let how = match lang {
        Lang::Zh => format!("按面积占比，涉及 {areas} 个网格"),
        Lang::En if areas == 1 => "area-weighted over 1 grid".to_owned(),
        Lang::En => format!("area-weighted over {areas} grids"),
    };
    format!("{} {}{}", lang.tr("估算人口", "Population"), text::whole(population), lang.bracket(how))
}

/// A sensor with its reading: "水位 073 · 1.5/2.5 m · 120 m" (and "· 过期" / "· stale").
pub(super) fn sensor_line(x: &SensorNear, lang: Lang) -> String {
    format!(
        "{} · {:.1}/{:.1} {} · {:.0} m{}",
        text::sensor_label(&x.kind, &x.name, lang),
        x.reading,
        x.threshold,
        x.unit,
        x.distance_m,
        if x.stale { format!(" · {}", lang.tr("过期", "stale")) } else { String::new() }
    )
}

/// What lies within the radius.
pub(super) fn surroundings(ui: &mut egui::Ui, f: &Focused, state: &mut HubState, select_camera: &mut Option<String>) {
    let Focused { lang, analysis, .. } = *f;
    let s = &analysis.surroundings;
    egui::CollapsingHeader::new(format!(
        "{} {:.0} m · {} {} · {} {}",
        lang.tr("周边", "Within"),
        analysis.radius_m,
        lang.tr("可见视频", "cameras"),
        s.cameras_visible.len(),
        lang.tr("人口", "people"),
        text::whole(s.population)
    ))
    .id_salt("hub_around")
    .default_open(true)
    .show(ui, |ui| {
        for c in &s.cameras_visible {
            let line = format!("📹 {}", camera_line(c, lang));
            let r = ui.selectable_label(
                false,
                egui::RichText::new(line).color(if c.online {
                    Tone::Good.of(ui)
                } else {
                    ui.visuals().weak_text_color()
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
                    egui::RichText::new(format!("📷 {}", camera_line(c, lang))).color(ui.visuals().weak_text_color()),
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
            ui.label(hydrant_line(hydrants.len(), nearest, lang));
        }
        for f in s.facilities.iter().filter(|f| f.kind != FacilityKind::Hydrant) {
            ui.label(facility_line(f, lang));
        }
        for d in &s.depots {
            ui.label(depot_line(d, lang));
        }
        if !s.supply_totals.is_empty() {
            ui.weak(supplies_line(&s.supply_totals, lang));
        }
        ui.label(population_line(s.population, s.areas.len(), lang));
        for x in &s.sensors {
            ui.colored_label(if x.alarm { Tone::Bad.of(ui) } else { ui.visuals().text_color() }, sensor_line(x, lang));
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
                    ui.colored_label(Tone::Bad.of(ui), e.to_string());
                }
            },
        );
    }
}
