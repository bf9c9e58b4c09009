//! The overlays' part of the screen (egui): labels and cluster counts over the 3D view, the
//! layer panel (toggles with counts and the time of the last update, area level, legend), the
//! search box, the hover tooltip, the detail panel with every attribute the feed sent (and, for
//! a camera, its still fetched from the backend and decoded off the main thread) and the
//! "cameras near here" list.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use crossbeam_channel::Receiver;
use twinhall_core::config::Lang;
use twinhall_core::overlay::search::{self, Hit, Query as SearchQuery};
use twinhall_core::protocol::{AreaLevel, EntityKind, IncidentCategory, UnitStatus, WarningLevel, now_ms};
use twinhall_core::redact::redact_url;

use super::icons::{category_shape, position_of, severity_rgb};
use super::labels::LabelLayout;
use super::material::Shape;
use super::units::status_rgb;
use super::{FeedRef, OverlayLayers, Selection, text};
use crate::Settings;
use crate::camera::FlyTo;
use crate::city::City;
use crate::feed::{FeedData, FeedLink};
use crate::ui::panel::{PanelSystems, ViewRect};

/// The search box's text and results.
#[derive(Resource, Default)]
struct SearchState {
    text: String,
    searched: String,
    hits: Vec<Hit>,
}

/// The still of the selected camera: loading, shown, or why not.
#[derive(Resource, Default)]
struct CameraStill {
    id: String,
    pending: Option<Receiver<Result<egui::ColorImage, String>>>,
    texture: Option<egui::TextureHandle>,
    error: Option<String>,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<SearchState>().init_resource::<CameraStill>().add_systems(
        EguiPrimaryContextPass,
        (paint_labels, layer_window, detail_window, near_here_window, tooltip).chain().after(PanelSystems),
    );
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
    let s = ((now_ms() - t) / 1000).max(0);
    if s < 120 {
        format!("{s} {}", lang.tr("秒前", "s ago"))
    } else {
        format!("{} {}", s / 60, lang.tr("分钟前", "min ago"))
    }
}

fn paint_labels(mut contexts: EguiContexts, layout: Res<LabelLayout>, view_rect: Res<ViewRect>) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    if layout.labels.is_empty() && layout.badges.is_empty() {
        return Ok(());
    }
    let zoom = ctx.zoom_factor();
    let painter = ctx
        .layer_painter(egui::LayerId::new(egui::Order::Background, "overlay_labels".into()))
        .with_clip_rect(view_rect.0);
    let font = egui::FontId::proportional(layout.font_px / zoom);
    for l in &layout.labels {
        let r =
            egui::Rect::from_min_max(egui::pos2(l.rect[0], l.rect[1]) / zoom, egui::pos2(l.rect[2], l.rect[3]) / zoom);
        let accent = match l.kind {
            EntityKind::Incident => egui::Color32::from_rgb(255, 120, 80),
            EntityKind::Unit => egui::Color32::from_rgb(120, 240, 140),
            EntityKind::Camera => egui::Color32::from_rgb(90, 230, 230),
            _ => egui::Color32::from_rgb(230, 220, 150),
        };
        painter.rect_filled(r, 3.0, egui::Color32::from_rgba_unmultiplied(8, 14, 28, 205));
        painter.rect_filled(egui::Rect::from_min_size(r.min, egui::vec2(3.0, r.height())), 1.0, accent);
        painter.text(
            r.left_center() + egui::vec2(6.0, 0.0),
            egui::Align2::LEFT_CENTER,
            &l.text,
            font.clone(),
            egui::Color32::WHITE,
        );
    }
    let badge_font = egui::FontId::proportional(layout.font_px * 0.85 / zoom);
    for (p, count) in &layout.badges {
        painter.text(
            egui::pos2(p.x, p.y) / zoom,
            egui::Align2::CENTER_CENTER,
            count,
            badge_font.clone(),
            egui::Color32::WHITE,
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn layer_window(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    data: Res<FeedData>,
    city: Res<City>,
    mut layers: ResMut<OverlayLayers>,
    mut search_state: ResMut<SearchState>,
    mut selection: ResMut<Selection>,
    mut fly: MessageWriter<FlyTo>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    let mut next = layers.clone();
    let mut chosen: Option<Hit> = None;
    let mut fly_to_point = None;
    egui::Window::new(lang.tr("态势图层", "Layers"))
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
            }
            if let SearchQuery::LonLat(ll) = search::parse(&search_state.text)
                && ui.button(format!("{} {:.5}, {:.5}", lang.tr("飞往", "Fly to"), ll.lon, ll.lat)).clicked()
            {
                fly_to_point = Some(ll);
            }
            if !search_state.hits.is_empty() {
                egui::ScrollArea::vertical().max_height(180.0).id_salt("search_hits").show(ui, |ui| {
                    for h in &search_state.hits {
                        let line = format!("{} · {} · {}", text::kind(h.kind, lang), h.name, h.id);
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

/// Every attribute of an entity as (key, value) rows, from what the feed sent.
fn attributes(value: &serde_json::Value) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if let serde_json::Value::Object(map) = value {
        for (k, v) in map {
            let shown = match v {
                serde_json::Value::String(s) if k.ends_with("_url") => redact_url(s),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(a) if a.len() > 6 => format!("[{} items]", a.len()),
                other => other.to_string(),
            };
            rows.push((k.clone(), shown));
        }
    }
    rows
}

fn entity_json(data: &FeedData, r: &FeedRef) -> Option<serde_json::Value> {
    let v = match r.kind {
        EntityKind::Incident => serde_json::to_value(data.incidents.get(&r.id)?),
        EntityKind::Camera => serde_json::to_value(data.cameras.get(&r.id)?),
        EntityKind::Facility => serde_json::to_value(data.facilities.get(&r.id)?),
        EntityKind::SupplyDepot => serde_json::to_value(data.supply_depots.get(&r.id)?),
        EntityKind::Unit => serde_json::to_value(data.units.get(&r.id)?),
        EntityKind::Sensor => serde_json::to_value(data.sensors.get(&r.id)?),
        EntityKind::Area => serde_json::to_value(data.areas.get(&r.id)?),
    };
    v.ok()
}

/// Starts loading a camera's still: from the backend, or drawn in-process for the embedded feed.
pub fn request_still(
    id: &str,
    data: &FeedData,
    link: Option<&FeedLink>,
) -> Option<Receiver<Result<egui::ColorImage, String>>> {
    let camera = data.cameras.get(id)?.clone();
    let path = Some(camera.snapshot_url.clone())
        .filter(|u| u.starts_with('/'))
        .unwrap_or_else(|| format!("/v1/cameras/{id}/snapshot.jpg"));
    request_image(&path, link, move || {
        twinhall_core::snapshot_jpeg::camera_jpeg(&camera, now_ms()).map_err(|e| e.to_string())
    })
}

/// Fetches an image from the backend at `path` (or, with the embedded feed, draws it with
/// `draw` on a thread of its own); either way its size is checked from the header and it is
/// decoded off the main thread, never past the client's pixel limit.
pub fn request_image(
    path: &str,
    link: Option<&FeedLink>,
    draw: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
) -> Option<Receiver<Result<egui::ColorImage, String>>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let stills: Receiver<Result<twinhall_client::still::Still, String>> = match link.and_then(|l| l.client.as_ref()) {
        Some(client) => client.fetch_still(path),
        None => {
            let (btx, brx) = crossbeam_channel::bounded(1);
            std::thread::Builder::new()
                .name("twinhall-draw-still".into())
                .spawn(move || {
                    let still = draw().and_then(|bytes| {
                        twinhall_client::still::decode_still(&bytes, twinhall_client::DEFAULT_MAX_STILL_PIXELS)
                            .map_err(|e| e.to_string())
                    });
                    let _ = btx.send(still);
                })
                .ok()?;
            brx
        }
    };
    // Waiting for the answer happens off the main thread too.
    std::thread::Builder::new()
        .name("twinhall-camera-still".into())
        .spawn(move || {
            let result = stills
                .recv_timeout(std::time::Duration::from_secs(20))
                .map_err(|_| "no answer in 20 s".to_owned())
                .and_then(|r| r)
                .map(|still| {
                    egui::ColorImage::from_rgba_unmultiplied([still.width as usize, still.height as usize], &still.rgba)
                });
            let _ = tx.send(result);
        })
        .ok()?;
    Some(rx)
}

#[allow(clippy::too_many_arguments)]
fn detail_window(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    data: Res<FeedData>,
    city: Res<City>,
    link: Option<Res<FeedLink>>,
    mut selection: ResMut<Selection>,
    mut still: ResMut<CameraStill>,
    mut fly: MessageWriter<FlyTo>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    let Some(sel) = selection.selected.clone() else { return Ok(()) };
    // The camera still follows the selection.
    if sel.kind == EntityKind::Camera && still.id != sel.id {
        *still = CameraStill { id: sel.id.clone(), ..default() };
        still.pending = request_still(&sel.id, &data, link.as_deref());
    }
    if let Some(rx) = &still.pending
        && let Ok(result) = rx.try_recv()
    {
        match result {
            Ok(img) => still.texture = Some(ctx.load_texture(format!("still-{}", still.id), img, default())),
            Err(e) => {
                warn!("camera {}: still not loaded: {e}", still.id);
                still.error = Some(e);
            }
        }
        still.pending = None;
    }
    let mut open = true;
    let mut go = false;
    let title = format!("{} · {}", text::kind(sel.kind, lang), sel.id);
    egui::Window::new(title)
        .id("overlay_detail".into())
        .open(&mut open)
        .default_pos(egui::pos2(360.0, 120.0))
        .default_width(380.0)
        .show(&ctx, |ui| {
            let Some(json) = entity_json(&data, &sel) else {
                ui.label(lang.tr("该对象已不在数据中", "no longer in the feed"));
                return;
            };
            if sel.kind == EntityKind::Camera {
                match (&still.texture, &still.error) {
                    (Some(t), _) => {
                        ui.add(egui::Image::new(t).max_width(360.0));
                    }
                    (None, Some(e)) => {
                        ui.colored_label(
                            egui::Color32::from_rgb(255, 170, 60),
                            format!("{}：{e}", lang.tr("快照加载失败", "still failed")),
                        );
                    }
                    (None, None) => {
                        ui.spinner();
                    }
                }
                if let Some(c) = data.cameras.get(&sel.id)
                    && !c.stream_url.is_empty()
                {
                    ui.horizontal(|ui| {
                        ui.label(lang.tr("视频流", "Stream"));
                        ui.monospace(redact_url(&c.stream_url));
                        // The full address (with its credentials) goes to the clipboard for the
                        // player, never to the screen or the log.
                        if ui.button(lang.tr("复制地址", "Copy URL")).clicked() {
                            ui.ctx().copy_text(c.stream_url.clone());
                        }
                    });
                }
            }
            if data
                .incidents
                .slot_of(&sel.id)
                .is_some_and(|s| data.incidents.is_stale(s) && sel.kind == EntityKind::Incident)
            {
                ui.colored_label(egui::Color32::from_rgb(255, 170, 60), lang.tr("数据已过期", "stale"));
            }
            egui::Grid::new("detail_grid").num_columns(2).striped(true).show(ui, |ui| {
                for (k, v) in attributes(&json) {
                    ui.weak(k);
                    ui.label(v);
                    ui.end_row();
                }
            });
            if ui.button(lang.tr("定位", "Locate")).clicked() {
                go = true;
            }
        });
    if go && let Some(p) = position_of(&data, &city, sel.kind, &sel.id) {
        let ll = city.model.frame.to_lonlat(p);
        fly.write(FlyTo { lonlat: ll, altitude_m: 0.0, distance_m: 500.0, pitch_deg: 50.0, heading_deg: 0.0 });
    }
    if !open {
        selection.selected = None;
    }
    Ok(())
}

fn near_here_window(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    data: Res<FeedData>,
    mut selection: ResMut<Selection>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    let Some(near) = selection.near_here.clone() else { return Ok(()) };
    let mut open = true;
    let mut pick = None;
    egui::Window::new(lang.tr("附近可见此处的摄像机", "Cameras that see this point"))
        .id("near_here".into())
        .open(&mut open)
        .default_pos(egui::pos2(360.0, 400.0))
        .show(&ctx, |ui| {
            ui.weak(format!("{:.6}, {:.6}", near.at.lon, near.at.lat));
            if near.cameras.is_empty() {
                ui.label(lang.tr("没有摄像机的视域覆盖此处", "no camera's view covers this point"));
            }
            egui::ScrollArea::vertical().max_height(260.0).show(ui, |ui| {
                for (id, d) in &near.cameras {
                    let name = data.cameras.get(id).map(|c| c.name.as_str()).unwrap_or("?");
                    let online = data.cameras.get(id).is_some_and(|c| c.online);
                    let line = format!(
                        "{name} · {id} · {d:.0} m{}",
                        if online { String::new() } else { format!(" · {}", lang.tr("离线", "offline")) }
                    );
                    if ui.selectable_label(false, line).clicked() {
                        pick = Some(id.clone());
                    }
                }
            });
        });
    if let Some(id) = pick {
        selection.selected = Some(FeedRef { kind: EntityKind::Camera, id });
    }
    if !open {
        selection.near_here = None;
    }
    Ok(())
}

fn tooltip(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    data: Res<FeedData>,
    selection: Res<Selection>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    let Some(h) = &selection.hovered else { return Ok(()) };
    let Some(pos) = ctx.pointer_latest_pos() else { return Ok(()) };
    let lines: Vec<String> = match h.kind {
        EntityKind::Incident => data.incidents.get(&h.id).map(|i| {
            vec![
                i.title.clone(),
                format!(
                    "{} · {} · {}",
                    text::category(i.category, lang),
                    text::incident_status(i.status, lang),
                    text::channel(i.channel, lang)
                ),
            ]
        }),
        EntityKind::Unit => data.units.get(&h.id).map(|u| {
            vec![
                u.name.clone(),
                format!(
                    "{} · {} · {:.0} km/h",
                    text::unit_kind(u.kind, lang),
                    text::unit_status(u.status, lang),
                    u.speed_mps * 3.6
                ),
            ]
        }),
        EntityKind::Camera => data.cameras.get(&h.id).map(|c| {
            vec![
                c.name.clone(),
                format!("{} · {}", c.id, if c.online { lang.tr("在线", "online") } else { lang.tr("离线", "offline") }),
            ]
        }),
        EntityKind::Facility => {
            data.facilities.get(&h.id).map(|f| vec![f.name.clone(), text::facility(f.kind, lang).to_owned()])
        }
        EntityKind::SupplyDepot => data.supply_depots.get(&h.id).map(|d| {
            let mut v = vec![d.name.clone()];
            v.extend(d.inventory.iter().take(4).map(|l| format!("{} {:.0} {}", l.item, l.quantity, l.unit)));
            v
        }),
        EntityKind::Sensor => data.sensors.get(&h.id).map(|s| {
            vec![
                s.name.clone(),
                format!(
                    "{:.1} {} / {:.1}{}",
                    s.reading,
                    s.unit,
                    s.threshold,
                    if s.alarm { lang.tr(" · 告警", " · ALARM") } else { "" }
                ),
            ]
        }),
        EntityKind::Area => None,
    }
    .unwrap_or_default();
    if lines.is_empty() {
        return Ok(());
    }
    egui::Area::new("overlay_tooltip".into())
        .fixed_pos(pos + egui::vec2(16.0, 16.0))
        .order(egui::Order::Tooltip)
        .interactable(false)
        .show(&ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                for (k, l) in lines.iter().enumerate() {
                    if k == 0 {
                        ui.strong(l);
                    } else {
                        ui.label(l);
                    }
                }
            });
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use twinhall_core::LonLat;
    use twinhall_core::sim::{SimConfig, Simulation};

    #[test]
    fn a_camera_still_is_drawn_and_decoded_off_the_main_thread_for_the_embedded_feed() {
        let city = twinhall_core::generate::generate_city(200, 2, LonLat::new(114.06, 22.54));
        let sim = Simulation::new(&city, SimConfig { cameras: 3, ..SimConfig::default() });
        let mut data = FeedData::default();
        data.apply_snapshot(sim.snapshot());
        let id = data.cameras.iter().next().map(|(_, c)| c.id.clone()).expect("a camera");
        let rx = request_still(&id, &data, None).expect("requested");
        let img = rx.recv_timeout(std::time::Duration::from_secs(20)).expect("an answer").expect("an image");
        assert_eq!(img.size, [640, 360]);
        assert!(request_still("no-such-camera", &data, None).is_none());
    }

    #[test]
    fn details_list_every_attribute_with_credentials_removed() {
        let city = twinhall_core::generate::generate_city(200, 2, LonLat::new(114.06, 22.54));
        let sim = Simulation::new(&city, SimConfig { cameras: 1, ..SimConfig::default() });
        let cam = sim.snapshot().entities.cameras[0].clone();
        assert!(cam.stream_url.contains("viewer:viewer@"));
        let rows = attributes(&serde_json::to_value(&cam).expect("json"));
        let keys: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        for k in ["id", "name", "lon", "lat", "heading_deg", "fov_deg", "range_m", "online", "stream_url"] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        let stream = rows.iter().find(|r| r.0 == "stream_url").map(|r| r.1.clone()).unwrap_or_default();
        assert!(!stream.contains("viewer:viewer"), "{stream}");
    }
}
