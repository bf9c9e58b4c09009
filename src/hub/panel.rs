//! The hub on screen (egui): the incident list with filters and counts, the focused incident
//! (plan and recommended units with swaps, one-action dispatch, order states, units by road
//! time, surroundings, timeline), the video tiles of the drones over it and the cameras that
//! see it (stills refreshed every 2 s) and the undo bar.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use crossbeam_channel::Receiver;
use twinhall_core::aerial::{AerialScene, AerialShot, aerial_jpeg};
use twinhall_core::config::Lang;
use twinhall_core::hub::journal::OrderStatus;
use twinhall_core::protocol::{
    DispatchRequest, EntityKind, FacilityKind, Incident, IncidentCategory, IncidentStatus, UnitStatus, now_ms,
};

use super::analysis::RankedUnit;
use super::dispatch::{OutboxError, RequestDispatch};
use super::report::ExportReport;
use super::{DispatchTiming, FocusAnalysis, FocusIncident, HubOutbox, HubState, UndoBar};
use crate::Settings;
use crate::city::City;
use crate::feed::{FeedData, FeedLink};
use crate::overlays::{FeedRef, Selection, request_image, request_still, severity_rgb, text};
use crate::ui::panel::{ConsoleRect, PanelSystems};

/// How often the video tiles refresh while an incident is focused.
const TILE_REFRESH: Duration = Duration::from_secs(2);
/// Most video tiles shown.
const MAX_TILES: usize = 6;

/// Stills of the cameras that see the focused incident.
#[derive(Resource, Default)]
struct VideoTiles {
    tiles: HashMap<String, Tile>,
}

/// What a video tile shows: a camera that sees the incident, or a drone hovering over it.
struct TileSource {
    id: String,
    caption: String,
    drone: bool,
}

/// Starts loading a drone's aerial still: from the backend, or drawn in-process from the city
/// for the embedded feed (the scene built once, on the first drone).
fn request_aerial(
    id: &str,
    data: &FeedData,
    city: &City,
    link: Option<&FeedLink>,
    scene: &mut Option<Arc<AerialScene>>,
) -> Option<Receiver<Result<egui::ColorImage, String>>> {
    let drone = data.units.get(id)?;
    let path = Some(drone.snapshot_url.clone())
        .filter(|u| u.starts_with('/'))
        .unwrap_or_else(|| format!("/v1/units/{id}/snapshot.jpg"));
    let draw = if link.and_then(|l| l.client.as_ref()).is_some() {
        None
    } else {
        let scene = scene.get_or_insert_with(|| Arc::new(AerialScene::new(&city.model))).clone();
        let shot = AerialShot::of(
            drone,
            &city.model.frame,
            data.incidents.iter().map(|(_, i)| i),
            data.units.iter().map(|(_, u)| u),
        );
        Some((scene, shot))
    };
    request_image(&path, link, move || match draw {
        Some((scene, shot)) => aerial_jpeg(&scene, &shot, now_ms()),
        None => Err("no backend and no city to draw from".into()),
    })
}

#[derive(Default)]
struct Tile {
    texture: Option<egui::TextureHandle>,
    pending: Option<Receiver<Result<egui::ColorImage, String>>>,
    requested: Option<Instant>,
    error: Option<String>,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<VideoTiles>()
        .add_systems(EguiPrimaryContextPass, (video_window, undo_bar).chain().after(PanelSystems));
}

fn rgb(c: [f32; 3]) -> egui::Color32 {
    egui::Color32::from_rgb((c[0] * 255.0) as u8, (c[1] * 255.0) as u8, (c[2] * 255.0) as u8)
}

/// `m:ss` of a travel time.
pub fn eta(t: Option<f32>) -> String {
    match t {
        Some(s) if s.is_finite() => {
            let s = s.round() as u64;
            format!("{}:{:02}", s / 60, s % 60)
        }
        _ => "—".into(),
    }
}

fn age(ms: i64, lang: Lang) -> String {
    let s = ((now_ms() - ms) / 1000).max(0);
    if s < 120 { format!("{s}{}", lang.tr("秒", "s")) } else { format!("{}{}", s / 60, lang.tr("分", "min")) }
}

const CATEGORIES: [IncidentCategory; 9] = [
    IncidentCategory::Dispute,
    IncidentCategory::PublicOrder,
    IncidentCategory::Fire,
    IncidentCategory::Traffic,
    IncidentCategory::CityManagement,
    IncidentCategory::Environment,
    IncidentCategory::PublicHealth,
    IncidentCategory::WorkSafety,
    IncidentCategory::Other,
];

/// Open incidents that pass the filters, most severe first, then the longest waiting.
pub fn incident_list<'a>(data: &'a FeedData, state: &HubState) -> Vec<&'a Incident> {
    let mut list: Vec<&Incident> = data
        .incidents
        .iter()
        .map(|(_, i)| i)
        .filter(|i| i.status != IncidentStatus::Archived)
        .filter(|i| state.category.is_none_or(|c| c == i.category))
        .filter(|i| state.status.is_none_or(|s| s == i.status))
        .filter(|i| state.district.as_ref().is_none_or(|d| d == &i.district))
        .collect();
    list.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.reported_at.cmp(&b.reported_at)).then(a.id.cmp(&b.id)));
    list
}

/// The order the leader is about to send: the recommendation, or the leader's edit of it.
pub fn chosen_units(state: &HubState, analysis: &FocusAnalysis) -> Vec<String> {
    if let (Some((id, units)), Some(focused)) = (&state.chosen, &analysis.incident_id)
        && id == focused
    {
        return units.clone();
    }
    analysis
        .recommendation
        .as_ref()
        .map(|r| r.assignment.units.iter().map(|c| c.unit_id.clone()).collect())
        .unwrap_or_default()
}

/// What the hub's part of the side panel reads and changes; the side panel calls [`HubUi::show`].
#[derive(SystemParam)]
pub struct HubUi<'w> {
    data: Res<'w, FeedData>,
    analysis: Res<'w, FocusAnalysis>,
    outbox: Option<Res<'w, HubOutbox>>,
    outbox_error: Option<Res<'w, OutboxError>>,
    timing: Res<'w, DispatchTiming>,
    undo: Option<Res<'w, UndoBar>>,
    state: ResMut<'w, HubState>,
    selection: ResMut<'w, Selection>,
    focus: MessageWriter<'w, FocusIncident>,
    dispatch: MessageWriter<'w, RequestDispatch>,
    export: MessageWriter<'w, ExportReport>,
}

impl HubUi<'_> {
    /// The action hub's section: the incident list, then the focused incident.
    pub fn show(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let mut next = self.state.clone();
        let mut focus_to = None;
        let mut send = None;
        let mut select_camera = None;
        let title = egui::RichText::new(lang.tr("行动中枢", "Action hub"))
            .strong()
            .color(egui::Color32::from_rgb(255, 150, 120));
        egui::CollapsingHeader::new(title).id_salt("hub_section").default_open(true).show(ui, |ui| {
            if !self.data.synced {
                ui.label(lang.tr("等待数据源……", "Waiting for the feed…"));
                return;
            }
            list_section(ui, lang, &self.data, &mut next, &mut focus_to);
            if let Some(id) = self.state.focused.clone() {
                ui.separator();
                match self.data.incidents.get(&id) {
                    Some(incident) => focused_section(
                        ui,
                        lang,
                        incident,
                        &self.data,
                        &self.analysis,
                        self.outbox.as_deref(),
                        self.outbox_error.as_deref(),
                        &self.timing,
                        self.undo.as_deref(),
                        &mut next,
                        &mut send,
                        &mut select_camera,
                        &mut self.export,
                    ),
                    None => {
                        ui.label(lang.tr("聚焦的事件已不在数据中", "The focused incident left the feed"));
                    }
                }
            }
        });
        if let Some(id) = focus_to {
            self.focus.write(FocusIncident(id));
        }
        if let Some(d) = send {
            self.dispatch.write(d);
        }
        if let Some(id) = select_camera {
            self.selection.selected = Some(FeedRef { kind: EntityKind::Camera, id });
        }
        if next != *self.state {
            *self.state = next;
        }
    }
}

fn list_section(ui: &mut egui::Ui, lang: Lang, data: &FeedData, state: &mut HubState, focus_to: &mut Option<String>) {
    let open_count = |s: IncidentStatus| data.incidents.iter().filter(|(_, i)| i.status == s).count();
    let header = format!("{} ({})", lang.tr("事件列表", "Incidents"), data.incidents.len());
    egui::CollapsingHeader::new(header).id_salt("hub_list").default_open(state.focused.is_none()).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            for s in IncidentStatus::ALL {
                let n = open_count(s);
                let label = format!("{} {n}", text::incident_status(s, lang));
                if ui.selectable_label(state.status == Some(s), label).clicked() {
                    state.status = if state.status == Some(s) { None } else { Some(s) };
                }
            }
        });
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt("hub_category")
                .selected_text(
                    state.category.map(|c| text::category(c, lang)).unwrap_or(lang.tr("全部类别", "all categories")),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut state.category, None, lang.tr("全部类别", "all categories"));
                    for c in CATEGORIES {
                        ui.selectable_value(&mut state.category, Some(c), text::category(c, lang));
                    }
                });
            let mut districts: Vec<&str> =
                data.incidents.iter().map(|(_, i)| i.district.as_str()).filter(|d| !d.is_empty()).collect();
            districts.sort_unstable();
            districts.dedup();
            egui::ComboBox::from_id_salt("hub_district")
                .selected_text(
                    state.district.clone().unwrap_or_else(|| lang.tr("全部区域", "all districts").to_owned()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut state.district, None, lang.tr("全部区域", "all districts"));
                    for d in districts {
                        ui.selectable_value(&mut state.district, Some(d.to_owned()), d);
                    }
                });
        });
        let list = incident_list(data, state);
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        egui::ScrollArea::vertical().id_salt("hub_list_rows").max_height(220.0).show_rows(
            ui,
            row_h,
            list.len(),
            |ui, rows| {
                for i in &list[rows] {
                    let focused = state.focused.as_deref() == Some(i.id.as_str());
                    ui.horizontal(|ui| {
                        ui.label(egui::RichText::new("●").color(rgb(severity_rgb(i.severity))));
                        let line = format!(
                            "{} · {} · {} · {}",
                            text::category(i.category, lang),
                            i.title,
                            text::incident_status(i.status, lang),
                            age(i.reported_at, lang)
                        );
                        if ui.selectable_label(focused, line).clicked() {
                            *focus_to = Some(i.id.clone());
                        }
                    });
                }
            },
        );
        if list.is_empty() {
            ui.weak(lang.tr("没有符合条件的事件", "No incident matches"));
        }
    });
}

fn order_colour(s: OrderStatus) -> egui::Color32 {
    match s {
        OrderStatus::Pending => egui::Color32::from_rgb(180, 180, 190),
        OrderStatus::Accepted => egui::Color32::from_rgb(80, 220, 120),
        OrderStatus::Rejected => egui::Color32::from_rgb(255, 80, 70),
        OrderStatus::Unconfirmed => egui::Color32::from_rgb(255, 170, 40),
    }
}

pub(super) fn order_text(s: OrderStatus, lang: Lang) -> &'static str {
    match s {
        OrderStatus::Pending => lang.tr("待应答", "pending"),
        OrderStatus::Accepted => lang.tr("已受理", "accepted"),
        OrderStatus::Rejected => lang.tr("被拒绝", "rejected"),
        OrderStatus::Unconfirmed => lang.tr("未确认·重发中", "unconfirmed · resending"),
    }
}

fn unit_line(u: &RankedUnit, lang: Lang) -> String {
    format!(
        "{} {} · {} {} · {} {:.0} m",
        text::unit_kind(u.kind, lang),
        u.name,
        lang.tr("路网用时", "road"),
        eta(u.time_s),
        lang.tr("直线", "straight"),
        u.straight_m
    )
}

#[allow(clippy::too_many_arguments)]
fn focused_section(
    ui: &mut egui::Ui,
    lang: Lang,
    incident: &Incident,
    data: &FeedData,
    analysis: &FocusAnalysis,
    outbox: Option<&HubOutbox>,
    outbox_error: Option<&OutboxError>,
    timing: &DispatchTiming,
    undo: Option<&UndoBar>,
    state: &mut HubState,
    send: &mut Option<RequestDispatch>,
    select_camera: &mut Option<String>,
    export: &mut MessageWriter<ExportReport>,
) {
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
        age(incident.reported_at, lang)
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
        return;
    }

    // The plan and the order.
    ui.separator();
    let chosen = chosen_units(state, analysis);
    match &analysis.recommendation {
        None => {
            ui.label(lang.tr(
                "没有适用于此类事件的预案：请从下方力量列表手动选择。",
                "No plan fits this incident: pick units below.",
            ));
        }
        Some(rec) => {
            ui.label(
                egui::RichText::new(format!(
                    "{}：{}",
                    lang.tr("推荐预案", "Plan"),
                    if lang == Lang::Zh { &rec.plan_zh } else { &rec.plan_en }
                ))
                .strong()
                .color(egui::Color32::from_rgb(120, 210, 255)),
            );
            ui.weak(if lang == Lang::Zh { &rec.assignment.why_zh } else { &rec.assignment.why_en });
            for m in &rec.assignment.missing {
                ui.colored_label(
                    egui::Color32::from_rgb(255, 170, 40),
                    format!("{} {} × {}", lang.tr("缺少可用", "missing"), text::unit_kind(m.kind, lang), m.count),
                );
            }
            for s in &rec.supplies {
                let ok = s.have >= s.need;
                ui.colored_label(
                    if ok { egui::Color32::from_rgb(150, 220, 160) } else { egui::Color32::from_rgb(255, 170, 40) },
                    format!(
                        "{} {}：{} {:.0}/{:.0} {}",
                        lang.tr("物资", "supply"),
                        s.item,
                        lang.tr("半径内", "in radius"),
                        s.have,
                        s.need,
                        s.unit
                    ),
                );
            }
        }
    }
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
        let mut units = chosen.clone();
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
    ui.horizontal(|ui| {
        let label = egui::RichText::new(format!("🚨 {} ({})", lang.tr("调度预案", "Dispatch the plan"), chosen.len()))
            .size(18.0)
            .strong();
        if ui.add_enabled(can_send, egui::Button::new(label).fill(egui::Color32::from_rgb(160, 30, 30))).clicked() {
            let names: Vec<String> = chosen
                .iter()
                .filter_map(|id| analysis.unit(id))
                .map(|u| format!("{}({})", u.name, eta(u.time_s)))
                .collect();
            let plan = analysis.recommendation.as_ref();
            *send = Some(RequestDispatch {
                request: DispatchRequest {
                    incident_id: incident.id.clone(),
                    unit_ids: chosen.clone(),
                    note: plan.map(|p| p.plan_zh.clone()).unwrap_or_default(),
                },
                summary_zh: format!(
                    "确认调度{}：{}",
                    plan.map(|p| format!("（{}）", p.plan_zh)).unwrap_or_default(),
                    names.join("、")
                ),
                summary_en: format!(
                    "Dispatch confirmed{}: {}",
                    plan.map(|p| format!(" ({})", p.plan_en)).unwrap_or_default(),
                    names.join(", ")
                ),
            });
        }
        if state.chosen.is_some() && ui.button(lang.tr("恢复推荐", "Reset")).clicked() {
            state.chosen = None;
        }
    });
    if let Some(e) = outbox_error {
        ui.colored_label(
            egui::Color32::from_rgb(255, 80, 70),
            format!("{}：{}", lang.tr("调度日志不可用，禁止调度", "dispatch journal unavailable"), e.0),
        );
    }
    if let Some(ms) = timing.click_to_wire_ms {
        ui.weak(format!(
            "{} {:.0} ms（{} {:.1} ms）{}",
            lang.tr("上次从点击到发出", "Last click to wire"),
            ms,
            lang.tr("落盘", "journal"),
            timing.journal_ms.unwrap_or(0.0),
            timing.wire_to_answer_ms.map(|a| format!(" · {} {a:.0} ms", lang.tr("应答", "answer"))).unwrap_or_default()
        ));
    }
    if let Some(outbox) = outbox {
        let mine: Vec<_> = outbox.orders.values().filter(|o| o.incident_id == incident.id).collect();
        for o in mine {
            ui.colored_label(
                order_colour(o.status),
                format!(
                    "{} {} · {}{}",
                    lang.tr("指令", "Order"),
                    o.order_id.as_deref().unwrap_or(&o.key),
                    order_text(o.status, lang),
                    o.reason.as_deref().map(|r| format!("：{r}")).unwrap_or_default()
                ),
            );
        }
    }

    // Units by road travel time.
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
                        let mut units = chosen.clone();
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

    // Surroundings.
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

    // Timeline.
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
    ui.weak(format!("{} {:.1} ms", lang.tr("分析用时", "Analysis"), analysis.compute_ms));
    let _ = data;
}

/// `HH:MM:SS` (UTC+8, the command centre's clock) of a protocol time.
pub fn clock(ms: i64) -> String {
    let s = (ms / 1000 + 8 * 3600).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

#[allow(clippy::too_many_arguments)]
fn video_window(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    data: Res<FeedData>,
    link: Option<Res<FeedLink>>,
    analysis: Res<FocusAnalysis>,
    view: Res<ConsoleRect>,
    mut tiles: ResMut<VideoTiles>,
    city: Res<City>,
    mut aerial: Local<Option<Arc<AerialScene>>>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    // Drones over the scene first (their view is the widest), then the cameras that see it.
    let Some(focused) = analysis.incident_id.as_deref() else {
        tiles.tiles.clear();
        return Ok(());
    };
    let mut sources: Vec<TileSource> = data
        .units
        .iter()
        .map(|(_, u)| u)
        .filter(|u| u.kind.flies() && u.incident_id.as_deref() == Some(focused) && u.status == UnitStatus::OnScene)
        .map(|u| TileSource {
            id: u.id.clone(),
            caption: format!("{} · {:.0} m", u.name, u.altitude_m.unwrap_or(0.0)),
            drone: true,
        })
        .collect();
    sources.sort_by(|a, b| a.id.cmp(&b.id));
    sources.extend(analysis.surroundings.cameras_visible.iter().filter(|c| c.online).map(|c| TileSource {
        id: c.id.clone(),
        caption: format!("{} · {:.0} m", c.name, c.distance_m),
        drone: false,
    }));
    sources.truncate(MAX_TILES);
    if sources.is_empty() {
        tiles.tiles.clear();
        return Ok(());
    }
    tiles.tiles.retain(|id, _| sources.iter().any(|c| &c.id == id));
    for c in &sources {
        let tile = tiles.tiles.entry(c.id.clone()).or_default();
        if let Some(rx) = &tile.pending
            && let Ok(result) = rx.try_recv()
        {
            match result {
                Ok(img) => {
                    // Updated in place: the tile keeps its texture id while it refreshes.
                    match &mut tile.texture {
                        Some(t) => t.set(img, egui::TextureOptions::LINEAR),
                        None => {
                            tile.texture =
                                Some(ctx.load_texture(format!("tile-{}", c.id), img, egui::TextureOptions::LINEAR))
                        }
                    }
                    tile.error = None;
                }
                Err(e) => {
                    if tile.error.is_none() {
                        warn!("camera {}: still not loaded: {e}", c.id);
                    }
                    tile.error = Some(e);
                }
            }
            tile.pending = None;
        }
        if tile.pending.is_none() && tile.requested.is_none_or(|t| t.elapsed() >= TILE_REFRESH) {
            tile.requested = Some(Instant::now());
            tile.pending = if c.drone {
                request_aerial(&c.id, &data, &city, link.as_deref(), &mut aerial)
            } else {
                request_still(&c.id, &data, link.as_deref())
            };
        }
    }
    egui::Window::new(lang.tr("现场视频", "Scene cameras"))
        .id("hub_video".into())
        .default_pos(egui::pos2(view.0.right() - 470.0, view.0.bottom() - 330.0))
        .default_width(450.0)
        .collapsible(true)
        .show(&ctx, |ui| {
            egui::Grid::new("hub_tiles").num_columns(3).spacing([4.0, 4.0]).show(ui, |ui| {
                for (k, c) in sources.iter().enumerate() {
                    ui.vertical(|ui| {
                        match tiles.tiles.get(&c.id).and_then(|t| t.texture.as_ref()) {
                            Some(t) => {
                                ui.add(egui::Image::new(t).fit_to_exact_size(egui::vec2(144.0, 96.0)));
                            }
                            None => {
                                ui.add_sized([144.0, 96.0], egui::Spinner::new());
                            }
                        }
                        if c.drone {
                            ui.small(
                                egui::RichText::new(format!("✈ {}", c.caption))
                                    .color(egui::Color32::from_rgb(90, 230, 250)),
                            );
                        } else {
                            ui.small(&c.caption);
                        }
                    });
                    if k % 3 == 2 {
                        ui.end_row();
                    }
                }
            });
        });
    Ok(())
}

fn undo_bar(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    view: Res<ConsoleRect>,
    bar: Option<Res<UndoBar>>,
    mut commands: Commands,
) -> Result {
    let Some(bar) = bar else { return Ok(()) };
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    let left = bar.deadline.saturating_duration_since(Instant::now()).as_secs_f32();
    let mut cancel = false;
    egui::Area::new("hub_undo".into())
        .pivot(egui::Align2::CENTER_BOTTOM)
        .fixed_pos(egui::pos2(view.0.center().x, view.0.bottom() - 40.0))
        .order(egui::Order::Foreground)
        .show(&ctx, |ui| {
            egui::Frame::new()
                .fill(egui::Color32::from_rgba_unmultiplied(20, 30, 50, 240))
                .stroke(egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 200, 60)))
                .corner_radius(8.0)
                .inner_margin(egui::Margin::symmetric(18, 10))
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(
                            egui::RichText::new(format!(
                                "{} {} · {} {:.1} {}",
                                lang.tr("即将调度", "Dispatching"),
                                bar.request.unit_ids.len(),
                                lang.tr("支力量", "units"),
                                left,
                                lang.tr("秒后发出", "s to send")
                            ))
                            .size(18.0)
                            .color(egui::Color32::WHITE),
                        );
                        if ui.button(egui::RichText::new(lang.tr("撤销", "Undo")).size(18.0).strong()).clicked() {
                            cancel = true;
                        }
                    });
                });
        });
    // The bar counts down on its own.
    ctx.request_repaint();
    if cancel {
        info!("hub: order for {} taken back in its undo time", bar.request.incident_id);
        commands.remove_resource::<UndoBar>();
    }
    Ok(())
}
