//! The layer panel: the search box, toggles with counts and the time of the last update, the
//! area level and the legend.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use twinhall_core::config::Lang;
use twinhall_core::overlay::search::{self, Hit, Query as SearchQuery};
use twinhall_core::protocol::{AreaLevel, IncidentCategory, UnitStatus, WarningLevel, now_ms};

use crate::context::severity_rgb;
use crate::context::{City, ConsoleFree, ConsoleRect, FeedRef, FlyTo, OverlayLayers, Selection, Settings};
use crate::feed::FeedData;
use crate::overlays::icons::{category_shape, position_of};
use crate::overlays::material::Shape;
use crate::overlays::text;
use crate::overlays::units::status_rgb;

/// The search box's text and results.
#[derive(Resource, Default)]
pub(super) struct SearchState {
    text: String,
    searched: String,
    hits: Vec<Hit>,
    /// The text as a point, read against the city (latitude first is read the other way round).
    place: Option<search::Place>,
}

/// Whether a point lands in the city or within 20 km of it.
fn near_city(city: &City, ll: twinhall_core::LonLat) -> bool {
    let b = city.model.bounds();
    let p = city.model.frame.to_local(ll);
    let dx = (b.min[0] - p[0]).max(p[0] - b.max[0]).max(0.0);
    let dy = (b.min[1] - p[1]).max(p[1] - b.max[1]).max(0.0);
    b.min[0].is_finite() && dx.hypot(dy) <= 20_000.0
}

fn rgb(c: [f32; 3]) -> egui::Color32 {
    egui::Color32::from_rgb((c[0] * 255.0) as u8, (c[1] * 255.0) as u8, (c[2] * 255.0) as u8)
}

/// A legend swatch: the icon's shape, painted (the font has no glyphs for several of them).
fn shape_icon(ui: &mut egui::Ui, shape: Shape, colour: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
    let c = rect.center();
    let r = 6.0;
    let p = ui.painter();
    let poly = |n: usize, radius: f32, start: f32| -> Vec<egui::Pos2> {
        (0..n)
            .map(|k| {
                let a = start + k as f32 * std::f32::consts::TAU / n as f32;
                c + egui::vec2(a.sin(), -a.cos()) * radius
            })
            .collect()
    };
    let stroke = egui::Stroke::NONE;
    match shape {
        Shape::Circle => {
            p.circle_filled(c, r, colour);
        }
        Shape::Square => {
            p.rect_filled(egui::Rect::from_center_size(c, egui::vec2(2.0 * r - 1.0, 2.0 * r - 1.0)), 2.0, colour);
        }
        Shape::Diamond => {
            p.add(egui::Shape::convex_polygon(poly(4, r, 0.0), colour, stroke));
        }
        Shape::Triangle => {
            p.add(egui::Shape::convex_polygon(poly(3, r, 0.0), colour, stroke));
        }
        Shape::Arrow => {
            p.add(egui::Shape::convex_polygon(poly(3, r, std::f32::consts::FRAC_PI_2), colour, stroke));
        }
        Shape::Hexagon => {
            p.add(egui::Shape::convex_polygon(poly(6, r, 0.0), colour, stroke));
        }
        Shape::Star => {
            let pts: Vec<egui::Pos2> = (0..10)
                .map(|k| {
                    let a = k as f32 * std::f32::consts::TAU / 10.0;
                    let rr = if k % 2 == 0 { r } else { r * 0.45 };
                    c + egui::vec2(a.sin(), -a.cos()) * rr
                })
                .collect();
            // Not convex: a fan from the centre.
            for k in 0..10 {
                p.add(egui::Shape::convex_polygon(vec![c, pts[k], pts[(k + 1) % 10]], colour, stroke));
            }
        }
        Shape::Cross => {
            p.rect_filled(egui::Rect::from_center_size(c, egui::vec2(2.0 * r, r * 0.7)), 0.0, colour);
            p.rect_filled(egui::Rect::from_center_size(c, egui::vec2(r * 0.7, 2.0 * r)), 0.0, colour);
        }
    }
}

/// "12 秒前" / "3 分钟前".
fn ago(updated: Option<i64>, lang: Lang) -> String {
    let Some(t) = updated else { return "—".into() };
    lang.ago((now_ms() - t) as f64 / 1000.0)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn layer_window(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    data: Res<FeedData>,
    city: Res<City>,
    mut layers: ResMut<OverlayLayers>,
    mut search_state: ResMut<SearchState>,
    mut selection: ResMut<Selection>,
    mut fly: MessageWriter<FlyTo>,
    (console, mut console_free): (Res<ConsoleRect>, ResMut<ConsoleFree>),
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    let mut next = layers.clone();
    let mut chosen: Option<Hit> = None;
    let mut fly_to_point = None;
    let shown = egui::Window::new(lang.tr("态势图层", "Layers"))
        .id("overlay_layers".into())
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-12.0, 96.0))
        .default_width(300.0)
        .collapsible(true)
        .resizable(false)
        .show(&ctx, |ui| {
            // Search first: duty staff use it most.
            ui.horizontal(|ui| {
                ui.label(lang.tr("搜索", "Search"));
                ui.add(
                    egui::TextEdit::singleline(&mut search_state.text)
                        .hint_text(lang.tr("名称、编号、地址或 经度,纬度", "name, id, address or lon,lat"))
                        .desired_width(230.0),
                );
            });
            if search_state.text != search_state.searched {
                search_state.searched = search_state.text.clone();
                search_state.hits = match search::parse(&search_state.text) {
                    SearchQuery::Text(q) => search::search(&data, &q, 30),
                    _ => Vec::new(),
                };
                search_state.place = search::place(&search_state.text, |ll| near_city(&city, ll));
            }
            if let Some(place) = search_state.place {
                let ll = place.lonlat;
                ui.horizontal(|ui| {
                    if ui.button(format!("{} {:.5}, {:.5}", lang.tr("飞往", "Fly to"), ll.lon, ll.lat)).clicked() {
                        fly_to_point = Some(ll);
                    }
                    if let Some(note) = place.note(lang) {
                        ui.weak(note);
                    } else if !place.in_city {
                        ui.weak(lang.tr("不在本市范围内", "outside the city"));
                    }
                });
            }
            if !search_state.hits.is_empty() {
                egui::ScrollArea::vertical().max_height(180.0).id_salt("search_hits").show(ui, |ui| {
                    for h in &search_state.hits {
                        let name = text::entity_name(h.kind, &h.name, lang);
                        let line = format!("{} · {name} · {}", text::kind(h.kind, lang), h.id);
                        if ui.selectable_label(false, line).clicked() {
                            chosen = Some(h.clone());
                        }
                    }
                });
            } else if matches!(search::parse(&search_state.text), SearchQuery::Text(_)) {
                ui.weak(lang.tr("无匹配结果", "no match"));
            }
            ui.separator();
            egui::Grid::new("layer_grid").num_columns(3).striped(true).show(ui, |ui| {
                let row = |ui: &mut egui::Ui, on: &mut bool, name: &str, count: usize, updated: Option<i64>| {
                    ui.checkbox(on, name);
                    ui.label(count.to_string());
                    ui.weak(ago(updated, lang));
                    ui.end_row();
                };
                row(
                    ui,
                    &mut next.incidents,
                    lang.tr("事件", "Incidents"),
                    data.incidents.len(),
                    data.incidents.updated_at,
                );
                row(ui, &mut next.units, lang.tr("力量", "Units"), data.units.len(), data.units.updated_at);
                row(ui, &mut next.cameras, lang.tr("视频监控", "Cameras"), data.cameras.len(), data.cameras.updated_at);
                row(
                    ui,
                    &mut next.facilities,
                    lang.tr("设施", "Facilities"),
                    data.facilities.len(),
                    data.facilities.updated_at,
                );
                row(
                    ui,
                    &mut next.depots,
                    lang.tr("物资储备", "Supplies"),
                    data.supply_depots.len(),
                    data.supply_depots.updated_at,
                );
                row(ui, &mut next.sensors, lang.tr("感知设备", "Sensors"), data.sensors.len(), data.sensors.updated_at);
                row(ui, &mut next.areas, lang.tr("网格区域", "Areas"), data.areas.len(), data.areas.updated_at);
            });
            ui.horizontal(|ui| {
                ui.checkbox(&mut next.cones, lang.tr("视域", "View cones"));
                ui.checkbox(&mut next.labels, lang.tr("标注", "Labels"));
            });
            ui.horizontal(|ui| {
                ui.label(lang.tr("区域层级", "Area level"));
                for level in
                    [AreaLevel::City, AreaLevel::District, AreaLevel::Street, AreaLevel::Community, AreaLevel::Grid]
                {
                    ui.radio_value(&mut next.area_level, level, text::area_level(level, lang));
                }
            });
            egui::CollapsingHeader::new(lang.tr("图例", "Legend")).default_open(true).show(ui, |ui| legend(ui, lang));
        });
    // The console's cards and windows keep to the map left of this window's column.
    let free = match shown {
        Some(w) if w.response.rect.left() > console.0.left() => {
            let mut r = console.0;
            r.max.x = r.max.x.min(w.response.rect.left() - 8.0);
            r
        }
        _ => console.0,
    };
    if console_free.0 != free {
        console_free.0 = free;
    }
    if *layers != next {
        *layers = next;
    }
    if let Some(ll) = fly_to_point {
        fly.write(FlyTo { lonlat: ll, altitude_m: 0.0, distance_m: 600.0, pitch_deg: 50.0, heading_deg: 0.0 });
    }
    if let Some(h) = chosen {
        if position_of(&data, &city, h.kind, &h.id).is_some() {
            fly.write(FlyTo {
                lonlat: twinhall_core::LonLat::new(h.lon, h.lat),
                altitude_m: 0.0,
                distance_m: 500.0,
                pitch_deg: 50.0,
                heading_deg: 0.0,
            });
        }
        selection.selected = Some(FeedRef { kind: h.kind, id: h.id });
    }
    Ok(())
}

fn legend(ui: &mut egui::Ui, lang: Lang) {
    ui.horizontal_wrapped(|ui| {
        ui.label(lang.tr("事件等级", "Severity"));
        for (s, name) in
            [(1, ("一般", "low")), (2, ("较大", "medium")), (3, ("重大", "high")), (4, ("特别重大", "critical"))]
        {
            ui.colored_label(rgb(severity_rgb(s)), format!("● {}", lang.tr(name.0, name.1)));
        }
    });
    ui.horizontal_wrapped(|ui| {
        use IncidentCategory::*;
        for c in [Dispute, PublicOrder, Fire, Traffic, CityManagement, Environment, PublicHealth, WorkSafety] {
            shape_icon(ui, category_shape(c), egui::Color32::from_gray(220));
            ui.label(text::category(c, lang));
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(lang.tr("力量状态", "Unit status"));
        for s in [
            UnitStatus::Patrolling,
            UnitStatus::EnRoute,
            UnitStatus::OnScene,
            UnitStatus::Available,
            UnitStatus::Offline,
        ] {
            shape_icon(ui, Shape::Arrow, rgb(status_rgb(s)));
            ui.colored_label(rgb(status_rgb(s)), text::unit_status(s, lang));
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(egui::Color32::from_rgb(50, 240, 240), format!("■ {}", lang.tr("在线", "online")));
        ui.colored_label(egui::Color32::from_rgb(128, 128, 140), format!("■ {}", lang.tr("离线", "offline")));
        ui.colored_label(egui::Color32::from_rgb(90, 92, 102), format!("● {}", lang.tr("数据过期", "stale")));
        ui.colored_label(egui::Color32::from_rgb(255, 26, 26), format!("▲ {}", lang.tr("传感告警", "sensor alarm")));
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(lang.tr("治理指数", "Governance index"));
        for l in [WarningLevel::Blue, WarningLevel::Yellow, WarningLevel::Orange, WarningLevel::Red] {
            ui.colored_label(rgb(twinhall_core::overlay::level_rgb(l)), format!("■ {}", text::warning(l, lang)));
        }
    });
}
