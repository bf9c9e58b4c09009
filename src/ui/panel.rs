//! The side panel (city summary, layers, style, view) and the status bar (feed state, city,
//! frame rate, data attribution). Drawing functions take plain views so they test without a GPU.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use twinhall_core::config::{Bookmark, ColorBy, Lang, StyleMode};
use twinhall_core::model::PoiKind;

use crate::city::{CityMeshStats, MapStyle};
use crate::context::{City, ConsoleRect, LayerVisibility, OrbitCamera, PanelSystems, Settings, Tone, ViewRect};
use crate::feed::FeedStatus;

/// Smoothed frame rate for the status bar.
#[derive(Resource, Default, Debug, Clone, Copy)]
pub struct FrameRate {
    pub fps: f32,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FrameRate>()
        .add_systems(Update, measure_frame_rate)
        .init_resource::<ViewRect>()
        .init_resource::<ConsoleRect>()
        .add_systems(EguiPrimaryContextPass, draw_panels.in_set(PanelSystems));
}

fn measure_frame_rate(time: Res<Time>, mut rate: ResMut<FrameRate>) {
    let dt = time.delta_secs();
    if dt > 0.0 {
        let fps = 1.0 / dt;
        rate.fps = if rate.fps == 0.0 { fps } else { rate.fps * 0.9 + fps * 0.1 };
    }
}

/// Chinese and English names of the POI kinds.
pub fn poi_label(kind: PoiKind, lang: Lang) -> &'static str {
    match kind {
        PoiKind::Camera => lang.tr("视频监控", "CCTV cameras"),
        PoiKind::Hydrant => lang.tr("消火栓", "Fire hydrants"),
        PoiKind::Hospital => lang.tr("医疗机构", "Hospitals"),
        PoiKind::Police => lang.tr("公安机关", "Police"),
        PoiKind::FireStation => lang.tr("消防站", "Fire stations"),
        PoiKind::Shelter => lang.tr("应急避难场所", "Shelters"),
        PoiKind::School => lang.tr("学校", "Schools"),
        PoiKind::Pharmacy => lang.tr("药店", "Pharmacies"),
    }
}

/// What the side panel shows of the city.
#[derive(Clone, Debug, Default)]
pub struct CitySummary {
    pub name: String,
    pub buildings: usize,
    pub roads: usize,
    pub water: usize,
    pub green: usize,
    pub pois: Vec<(PoiKind, usize)>,
    pub rejected: usize,
}

impl CitySummary {
    pub fn of(city: &City, lang: Lang, configured_name: &str) -> Self {
        let info = city.model.info();
        Self {
            name: city.display_name(lang, configured_name),
            buildings: info.buildings,
            roads: info.roads,
            water: info.water_areas,
            green: info.green_areas,
            pois: info.pois_by_kind.into_iter().collect(),
            rejected: info.rejected.values().sum(),
        }
    }
}

/// Controls the side panel can change; the caller writes back only what differs.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelControls {
    pub layers: LayerVisibility,
    pub style: MapStyle,
    pub reset_view: bool,
    /// Index of the bookmark the user chose.
    pub fly_to: Option<usize>,
}

pub fn side_panel_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    city: &CitySummary,
    bookmarks: &[Bookmark],
    controls: &mut PanelControls,
) {
    ui.add_space(6.0);
    ui.label(
        egui::RichText::new(lang.tr("市域社会治理现代化指挥中心", "City Governance Command Centre"))
            .size(20.0)
            .strong()
            .color(Tone::Accent.of(ui)),
    );
    ui.label(egui::RichText::new(lang.tr("数字孪生 · 城市总览", "Digital twin · City overview")).size(14.0));
    ui.separator();

    egui::CollapsingHeader::new(lang.tr("城市概况", "City")).default_open(true).show(ui, |ui| {
        egui::Grid::new("city_summary").num_columns(2).striped(true).show(ui, |ui| {
            let row = |ui: &mut egui::Ui, k: &str, v: String| {
                ui.label(k);
                ui.label(egui::RichText::new(v).strong());
                ui.end_row();
            };
            row(ui, lang.tr("城市", "City"), city.name.clone());
            row(ui, lang.tr("建筑", "Buildings"), city.buildings.to_string());
            row(ui, lang.tr("道路", "Roads"), city.roads.to_string());
            row(ui, lang.tr("水域", "Water areas"), city.water.to_string());
            row(ui, lang.tr("绿地", "Green areas"), city.green.to_string());
            for (kind, n) in &city.pois {
                row(ui, poi_label(*kind, lang), n.to_string());
            }
            if city.rejected > 0 {
                row(ui, lang.tr("剔除的无效要素", "Rejected features"), city.rejected.to_string());
            }
        });
    });

    egui::CollapsingHeader::new(lang.tr("图层", "Layers")).default_open(true).show(ui, |ui| {
        let l = &mut controls.layers;
        ui.checkbox(&mut l.buildings, lang.tr("建筑", "Buildings"));
        ui.checkbox(&mut l.roads, lang.tr("道路", "Roads"));
        ui.checkbox(&mut l.railways, lang.tr("轨道交通", "Railways"));
        ui.checkbox(&mut l.water, lang.tr("水系", "Water"));
        ui.checkbox(&mut l.green, lang.tr("绿地", "Green areas"));
    });

    egui::CollapsingHeader::new(lang.tr("显示样式", "Style")).default_open(true).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.radio_value(&mut controls.style.mode, StyleMode::Night, lang.tr("夜间指挥", "Night"));
            ui.radio_value(&mut controls.style.mode, StyleMode::Day, lang.tr("白天", "Day"));
        });
        ui.horizontal(|ui| {
            ui.label(lang.tr("建筑着色", "Colour by"));
            ui.radio_value(&mut controls.style.color_by, ColorBy::Height, lang.tr("高度", "height"));
            ui.radio_value(&mut controls.style.color_by, ColorBy::Type, lang.tr("类型", "type"));
        });
        if ui.button(lang.tr("复位视角 (Home)", "Reset view (Home)")).clicked() {
            controls.reset_view = true;
        }
        ui.label(
            egui::RichText::new(
                lang.tr("左键平移 · 右键旋转 · 滚轮缩放", "Left drag pan · right drag rotate · wheel zoom"),
            )
            .small(),
        );
    });

    if !bookmarks.is_empty() {
        egui::CollapsingHeader::new(lang.tr("视角书签", "Bookmarks")).default_open(true).show(ui, |ui| {
            for (i, name) in bookmarks.iter().map(|b| &b.name).enumerate() {
                let label = if i < 9 { format!("{}  {name}", i + 1) } else { name.clone() };
                if ui.button(label).clicked() {
                    controls.fly_to = Some(i);
                }
            }
        });
    }
}

/// What the status bar shows.
#[derive(Clone, Debug, Default)]
pub struct StatusView {
    pub feed: String,
    pub feed_ok: bool,
    /// What the feed holds: units, incidents, cameras.
    pub feed_counts: String,
    pub city: String,
    pub mesh_entities: usize,
    pub fps: f32,
    /// Base-map tiles loaded and failed, when a base map is configured.
    pub tiles: Option<(usize, usize)>,
    /// The base map's tile worker has stopped: no more tiles will load.
    pub tiles_stopped: bool,
    /// The ground under the pointer (the map keeps its corners for the HUD and the cards).
    pub cursor: Option<twinhall_core::LonLat>,
}

pub fn status_bar_ui(ui: &mut egui::Ui, lang: Lang, s: &StatusView) {
    ui.horizontal(|ui| {
        let colour = if s.feed_ok { Tone::Good.of(ui) } else { Tone::Warn.of(ui) };
        ui.label(egui::RichText::new("●").color(colour));
        ui.label(format!("{}{}", lang.tr("数据源：", "Feed: "), s.feed));
        if !s.feed_counts.is_empty() {
            ui.label(&s.feed_counts);
        }
        ui.separator();
        ui.label(format!("{}{}", lang.tr("城市：", "City: "), s.city));
        ui.separator();
        ui.label(format!("{} {}", lang.tr("网格批次", "Mesh batches"), s.mesh_entities));
        ui.separator();
        if let Some((loaded, failed)) = s.tiles {
            ui.label(format!("{} {loaded}", lang.tr("底图瓦片", "Tiles")));
            if failed > 0 {
                ui.label(
                    egui::RichText::new(format!("{} {failed}", lang.tr("失败", "failed"))).color(Tone::Warn.of(ui)),
                );
            }
            if s.tiles_stopped {
                ui.label(
                    egui::RichText::new(lang.tr("底图加载已停止", "tile loading stopped")).color(Tone::Warn.of(ui)),
                );
            }
            ui.separator();
        }
        ui.label(format!("{:.0} FPS", s.fps));
        if let Some(ll) = s.cursor {
            ui.separator();
            ui.label(
                egui::RichText::new(format!("{}{:.6}, {:.6}", lang.tr("经纬度 ", "Lon/lat "), ll.lon, ll.lat))
                    .monospace(),
            );
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(
                egui::RichText::new(
                    lang.tr("地图数据 © OpenStreetMap 贡献者", "Map data © OpenStreetMap contributors"),
                )
                .small(),
            );
        });
    });
}

/// A banner across the top of the wall view while the feed is not live, so nobody takes an old
/// picture for the present one.
fn feed_banner(ctx: &egui::Context, view: egui::Rect, text: &str, state: &crate::feed::LinkState) {
    use crate::feed::LinkState;
    let fill = match state {
        LinkState::Unauthorized | LinkState::Error { .. } => egui::Color32::from_rgba_unmultiplied(170, 30, 30, 235),
        _ => egui::Color32::from_rgba_unmultiplied(190, 110, 10, 235),
    };
    // Centred over the 3D view, right of the side panel.
    egui::Area::new("feed_banner".into())
        .pivot(egui::Align2::CENTER_TOP)
        .fixed_pos(egui::pos2(view.center().x, view.top() + 14.0))
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::new().fill(fill).corner_radius(6.0).inner_margin(egui::Margin::symmetric(18, 10)).show(
                ui,
                |ui| {
                    ui.label(egui::RichText::new(format!("⚠ {text}")).size(22.0).strong().color(egui::Color32::WHITE));
                },
            );
        });
}

#[expect(clippy::too_many_arguments, reason = "the panel reads most of the app's state")]
fn draw_panels(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    city: Res<City>,
    stats: Res<CityMeshStats>,
    feed: Res<FeedStatus>,
    data: Res<crate::feed::FeedData>,
    rate: Res<FrameRate>,
    basemap: Option<Res<crate::basemap::Basemap>>,
    mut layers: ResMut<LayerVisibility>,
    mut style: ResMut<MapStyle>,
    mut cams: Query<(&mut OrbitCamera, &crate::context::HomeView)>,
    mut summary: Local<Option<CitySummary>>,
    mut fly: MessageWriter<crate::context::FlyTo>,
    (mut view_rect, mut console_rect, wall, cursor): (
        ResMut<ViewRect>,
        ResMut<ConsoleRect>,
        Option<Res<crate::context::Wall>>,
        Res<crate::camera::GroundCursor>,
    ),
    mut hub: crate::hub::HubUi,
    (mut tactile, mut defence, mut theatre, mut heartbeat): (
        crate::tactile::TactileUi,
        crate::defence::DefenceUi,
        crate::theatre::TheatreUi,
        crate::heartbeat::HeartbeatUi,
    ),
) -> Result {
    let lang = settings.lang();
    let ctx = contexts.ctx_mut()?.clone();
    if summary.is_none() || city.is_changed() {
        *summary = Some(CitySummary::of(&city, lang, &settings.config.city.name));
    }
    // Built on change above; borrowed, not rebuilt, every frame.
    let Some(summary) = summary.as_ref() else { return Ok(()) };
    let mut root = egui::Ui::new(
        ctx.clone(),
        "twinhall_root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    let status = StatusView {
        feed: feed.describe(lang),
        feed_ok: feed.is_live(),
        feed_counts: if data.synced {
            format!(
                "{} {} · {} {} · {} {}",
                lang.tr("力量", "units"),
                data.units.len(),
                lang.tr("事件", "incidents"),
                data.incidents.len(),
                lang.tr("视频", "cameras"),
                data.cameras.len()
            )
        } else {
            String::new()
        },
        city: summary.name.clone(),
        mesh_entities: stats.mesh_entities,
        fps: rate.fps,
        tiles: basemap.as_ref().map(|b| (b.stats.loaded, b.stats.failed)),
        tiles_stopped: basemap.as_ref().is_some_and(|b| b.stats.worker_gone),
        cursor: cursor.lonlat,
    };
    egui::Panel::bottom("status_bar").show(&mut root, |ui| status_bar_ui(ui, lang, &status));
    let mut controls = PanelControls { layers: layers.clone(), style: *style, reset_view: false, fly_to: None };
    // Only the open city's bookmarks; the buttons and keys 1-9 number these.
    let bookmarks: Vec<Bookmark> = city.bookmarks(&settings.config.camera).into_iter().cloned().collect();
    let mut defence_fly = None;
    // H hides the side panel while a briefing plays: the wall shows only the presentation.
    let side_panel = !(theatre.hide_panel() && theatre.is_playing());
    let panel = side_panel.then(|| egui::Panel::left("side_panel").default_size(360.0).resizable(true));
    if let Some(panel) = panel {
        panel.show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                // The presenter's controls first while a briefing plays.
                if theatre.is_playing() {
                    theatre.show(ui, lang);
                }
                // The action hub first: it is what the wall is for during an incident.
                hub.show(ui, lang);
                // Then the alerts that may become incidents.
                tactile.show(ui, lang);
                // And the risks found before they break out.
                defence_fly = defence.show(ui, lang);
                // The city's pulse, and the drill-down from the city to its grids.
                if let Some(f) = heartbeat.show(ui, lang) {
                    defence_fly = Some(f);
                }
                if !theatre.is_playing() {
                    theatre.show(ui, lang);
                }
                side_panel_ui(ui, lang, summary, &bookmarks, &mut controls)
            });
        });
    }
    let central = root.available_rect_before_wrap();
    if console_rect.0 != central {
        console_rect.0 = central;
    }
    // A wall sets its own view (its window inside the safe-area margin).
    if wall.is_none() && view_rect.0 != central {
        view_rect.0 = central;
    }
    if let Some(text) = feed.banner(lang) {
        feed_banner(&ctx, root.available_rect_before_wrap(), &text, &feed.state);
    }
    // Write back only real changes: a write marks the resource changed and rebuilds meshes.
    if controls.layers != *layers {
        *layers = controls.layers;
    }
    if controls.style != *style {
        *style = controls.style;
    }
    if let Some(f) = defence_fly {
        fly.write(f);
    }
    if let Some(b) = controls.fly_to.and_then(|i| bookmarks.get(i)) {
        fly.write(b.into());
    }
    if controls.reset_view {
        for (mut orbit, home) in &mut cams {
            *orbit = home.0;
        }
    }
    Ok(())
}
