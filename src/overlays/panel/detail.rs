//! The detail window: what the feed says of the selected entity, in words (names with their kind
//! said once, every kind and state translated, times on the local clock with how long ago, an
//! incident's stages as a timeline) and, for a camera, its still (fetched from the backend and
//! decoded off the main thread) and stream address.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use crossbeam_channel::Receiver;
use twinhall_core::config::Lang;
use twinhall_core::protocol::{EntityKind, Incident, Millis, StageTime, now_ms};
use twinhall_core::redact::redact_url;

use super::still::request_still;
use crate::context::{City, FeedRef, FlyTo, Selection, Settings, Tone};
use crate::feed::{FeedData, FeedLink};
use crate::overlays::icons::position_of;
use crate::overlays::text;

/// The still of the selected camera: loading, shown, or why not.
#[derive(Resource, Default)]
pub(super) struct CameraStill {
    id: String,
    pending: Option<Receiver<Result<egui::ColorImage, String>>>,
    texture: Option<egui::TextureHandle>,
    error: Option<String>,
}

/// One line of the detail window: what it is and its value, in the wall's language.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    pub label: String,
    pub value: String,
}

/// One entry of an incident's 流转记录 as the window shows it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StageLine {
    /// The stage entered, in the wall's language.
    pub stage: &'static str,
    /// When, on the local clock.
    pub at: String,
    /// How long after the stage before it.
    pub after: Option<String>,
}

/// What the window shows of one entity.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Detail {
    pub rows: Vec<Row>,
    pub stages: Vec<StageLine>,
}

/// The rows of one entity, and the fields of what the feed sent that they cover (the others are
/// shown after them, readable, under their own names).
struct Rows {
    lang: Lang,
    now: Millis,
    rows: Vec<Row>,
    covered: Vec<&'static str>,
}

impl Rows {
    fn new(lang: Lang, now: Millis) -> Self {
        Self { lang, now, rows: Vec::new(), covered: Vec::new() }
    }

    /// A row for the fields `keys` (none when `value` is empty).
    fn add(&mut self, keys: &[&'static str], zh: &'static str, en: &'static str, value: impl Into<String>) {
        self.covered.extend_from_slice(keys);
        let value = value.into();
        if !value.is_empty() {
            self.rows.push(Row { label: self.lang.tr(zh, en).to_owned(), value });
        }
    }

    /// Fields shown elsewhere in the window (or not worth a row).
    fn cover(&mut self, keys: &[&'static str]) {
        self.covered.extend_from_slice(keys);
    }

    fn position(&mut self, lon: f64, lat: f64) {
        self.add(&["lon", "lat"], "经纬度", "Lon, lat", format!("{lon:.6}, {lat:.6}"));
    }

    fn time(&mut self, key: &'static str, zh: &'static str, en: &'static str, ms: Millis) {
        let value = text::when(ms, self.now, self.lang);
        self.add(&[key], zh, en, value);
    }

    /// The header every entity has: id, update time, when it goes stale, version.
    fn header(&mut self, id: &str, version: u64, updated_at: Millis, stale_after: Option<Millis>) {
        self.add(&["id"], "编号", "ID", id);
        self.time("updated_at", "更新时间", "Updated", updated_at);
        self.cover(&["stale_after"]);
        if let Some(t) = stale_after {
            self.time("stale_after", "数据有效至", "Valid until", t);
        }
        self.add(&["version"], "版本", "Version", version.to_string());
    }

    /// What the feed sent beyond the rows above, each field under its own name with a readable
    /// value (a newer backend's fields, say).
    fn extras(&mut self, json: Option<serde_json::Value>) {
        let Some(serde_json::Value::Object(map)) = json else { return };
        for (k, v) in &map {
            if self.covered.contains(&k.as_str()) {
                continue;
            }
            let value = readable(k, v, self.lang, self.now);
            self.rows.push(Row { label: k.replace('_', " "), value });
        }
    }
}

/// A value of a field the window does not know, readable: strings as they are (addresses
/// without credentials), times on the clock, yes or no, short lists spelled out, counts for
/// long ones; never raw JSON.
fn readable(key: &str, v: &serde_json::Value, lang: Lang, now: Millis) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "—".into(),
        Value::Bool(true) => lang.tr("是", "yes").to_owned(),
        Value::Bool(false) => lang.tr("否", "no").to_owned(),
        Value::String(s) if key.ends_with("_url") => redact_url(s),
        Value::String(s) => s.clone(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            // Protocol times are milliseconds since 1970: 1e11 is March 1973.
            (Some(ms), _) if key.ends_with("_at") && ms > 100_000_000_000 => text::when(ms, now, lang),
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => {
                let s = format!("{f:.2}");
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
            _ => n.to_string(),
        },
        Value::Array(a) if a.is_empty() => "—".into(),
        Value::Array(a) if a.len() <= 6 && a.iter().all(|x| !x.is_array() && !x.is_object()) => {
            a.iter().map(|x| readable(key, x, lang, now)).collect::<Vec<_>>().join(lang.list_sep())
        }
        Value::Array(a) => match lang {
            Lang::Zh => format!("{} 项", a.len()),
            Lang::En => format!("{} items", a.len()),
        },
        Value::Object(m) if m.len() <= 4 && m.values().all(|x| !x.is_array() && !x.is_object()) => m
            .iter()
            .map(|(k, x)| format!("{} {}", k.replace('_', " "), readable(k, x, lang, now)))
            .collect::<Vec<_>>()
            .join(lang.comma()),
        Value::Object(m) => match lang {
            Lang::Zh => format!("{} 个字段", m.len()),
            Lang::En => format!("{} fields", m.len()),
        },
    }
}

/// A list of names, at most `max` of them and how many more.
fn names(list: Vec<String>, max: usize, lang: Lang) -> String {
    let more = list.len().saturating_sub(max);
    let mut s = list.into_iter().take(max).collect::<Vec<_>>().join(lang.list_sep());
    if more > 0 {
        match lang {
            Lang::Zh => s.push_str(&format!(" 等 {} 个", more + max)),
            Lang::En => s.push_str(&format!(" and {more} more")),
        }
    }
    s
}

/// An incident's stages as a timeline: each stage, when it began, and how long after the one
/// before.
pub(super) fn stage_lines(stages: &[StageTime], lang: Lang, now: Millis) -> Vec<StageLine> {
    stages
        .iter()
        .enumerate()
        .map(|(k, s)| StageLine {
            stage: text::incident_status(s.status, lang),
            at: text::local_time(s.at, now),
            after: k.checked_sub(1).map(|p| text::duration((s.at - stages[p].at) as f64 / 1000.0, lang)),
        })
        .collect()
}

fn incident_rows(r: &mut Rows, i: &Incident, data: &FeedData) {
    let lang = r.lang;
    r.add(&["title"], "标题", "Title", i.title.as_str());
    r.add(&["category"], "类别", "Category", text::category(i.category, lang));
    r.add(&["severity"], "等级", "Severity", format!("{} · {}", i.severity, text::severity(i.severity, lang)));
    r.add(&["status"], "状态", "Status", text::incident_status(i.status, lang));
    r.add(&["channel"], "来源", "Reported via", text::channel(i.channel, lang));
    r.time("reported_at", "上报时间", "Reported", i.reported_at);
    r.add(&["description"], "描述", "Description", i.description.as_str());
    r.add(&["district"], "所属区", "District", text::entity_name(EntityKind::Area, &i.district, lang));
    r.add(&["address"], "地址", "Address", i.address.as_str());
    let grid = match data.areas.get(&i.grid_id) {
        Some(a) => text::entity_name(EntityKind::Area, &a.name, lang),
        None => i.grid_id.clone(),
    };
    r.add(&["grid_id"], "网格", "Grid", grid);
    r.position(i.lon, i.lat);
    let units: Vec<String> = i
        .assigned_units
        .iter()
        .map(|id| match data.units.get(id) {
            Some(u) => text::unit_label(u.kind, &u.name, lang),
            None => id.clone(),
        })
        .collect();
    r.add(&["assigned_units"], "已派力量", "Units sent", names(units, 6, lang));
    // The stages are the timeline under the rows.
    r.cover(&["stages"]);
    r.header(&i.id, i.version, i.updated_at, i.stale_after);
}

/// The rows and stages of the entity `sel` refers to; `None` once it left the feed.
pub(super) fn detail_of(data: &FeedData, sel: &FeedRef, lang: Lang, now: Millis) -> Option<Detail> {
    let mut r = Rows::new(lang, now);
    let mut stages = Vec::new();
    let json = match sel.kind {
        EntityKind::Incident => {
            let i = data.incidents.get(&sel.id)?;
            incident_rows(&mut r, i, data);
            stages = stage_lines(&i.stages, lang, now);
            serde_json::to_value(i).ok()
        }
        EntityKind::Camera => {
            let c = data.cameras.get(&sel.id)?;
            r.add(&["name"], "名称", "Name", text::camera_name(&c.name, lang));
            let online = if c.online { lang.tr("在线", "online") } else { lang.tr("离线", "offline") };
            r.add(&["online"], "状态", "Status", online);
            r.add(
                &["heading_deg"],
                "朝向",
                "Facing",
                format!("{} {:.0}°", text::compass(c.heading_deg, lang), c.heading_deg),
            );
            r.add(&["fov_deg"], "视场角", "Field of view", format!("{:.0}°", c.fov_deg));
            r.add(&["range_m"], "可视距离", "Range", format!("{} m", text::whole(f64::from(c.range_m))));
            r.add(&["height_m"], "安装高度", "Mounted at", format!("{:.1} m", c.height_m));
            r.position(c.lon, c.lat);
            r.add(&["snapshot_url"], "快照地址", "Still address", redact_url(&c.snapshot_url));
            // The stream address is shown above the rows, with its copy button.
            r.cover(&["stream_url"]);
            r.header(&c.id, c.version, c.updated_at, c.stale_after);
            serde_json::to_value(c).ok()
        }
        EntityKind::Facility => {
            let f = data.facilities.get(&sel.id)?;
            r.add(&["name"], "名称", "Name", text::facility_name(f.kind, &f.name, lang));
            r.add(&["kind"], "类型", "Type", text::facility(f.kind, lang));
            r.add(&["capacity"], "容量", "Capacity", f.capacity.map(|c| c.to_string()).unwrap_or_default());
            r.position(f.lon, f.lat);
            r.header(&f.id, f.version, f.updated_at, f.stale_after);
            serde_json::to_value(f).ok()
        }
        EntityKind::SupplyDepot => {
            let d = data.supply_depots.get(&sel.id)?;
            r.add(&["name"], "名称", "Name", text::depot_name(&d.name, lang));
            let stock: Vec<String> =
                d.inventory.iter().map(|l| format!("{} {} {}", l.item, text::whole(l.quantity), l.unit)).collect();
            r.add(&["inventory"], "库存", "Stock", stock.join(lang.list_sep()));
            r.position(d.lon, d.lat);
            r.header(&d.id, d.version, d.updated_at, d.stale_after);
            serde_json::to_value(d).ok()
        }
        EntityKind::Unit => {
            let u = data.units.get(&sel.id)?;
            r.add(&["name"], "名称", "Name", text::unit_name(u.kind, &u.name, lang));
            r.add(&["kind"], "类型", "Type", text::unit_kind(u.kind, lang));
            r.add(&["status"], "状态", "Status", text::unit_status(u.status, lang));
            let on = u.incident_id.as_ref().map(|id| match data.incidents.get(id) {
                Some(i) => format!("{} · {id}", i.title),
                None => id.clone(),
            });
            r.add(&["incident_id"], "执行事件", "On incident", on.unwrap_or_default());
            r.add(&["speed_mps"], "速度", "Speed", format!("{} km/h", text::whole(f64::from(u.speed_mps) * 3.6)));
            r.add(
                &["heading_deg"],
                "航向",
                "Heading",
                format!("{} {:.0}°", text::compass(u.heading_deg, lang), u.heading_deg),
            );
            let altitude = u.altitude_m.map(|a| format!("{} m", text::whole(f64::from(a))));
            r.add(&["altitude_m"], "飞行高度", "Altitude", altitude.unwrap_or_default());
            let route = match (u.route.len(), lang) {
                (0, _) => String::new(),
                (n, Lang::Zh) => format!("{n} 个路点"),
                (n, Lang::En) => format!("{n} points"),
            };
            r.add(&["route"], "剩余路线", "Route ahead", route);
            r.position(u.lon, u.lat);
            r.add(&["snapshot_url"], "快照地址", "Still address", redact_url(&u.snapshot_url));
            r.header(&u.id, u.version, u.updated_at, u.stale_after);
            serde_json::to_value(u).ok()
        }
        EntityKind::Sensor => {
            let s = data.sensors.get(&sel.id)?;
            r.add(&["name"], "名称", "Name", text::sensor_name(&s.kind, &s.name, lang));
            r.add(&["kind"], "类型", "Type", text::sensor_kind(&s.kind, lang));
            r.add(&["reading"], "读数", "Reading", format!("{:.1} {}", s.reading, s.unit));
            r.add(&["threshold"], "告警阈值", "Alarm at", format!("{:.1} {}", s.threshold, s.unit));
            r.cover(&["unit"]);
            let alarm = if s.alarm { lang.tr("告警", "alarm") } else { lang.tr("正常", "normal") };
            r.add(&["alarm"], "告警状态", "Alarm", alarm);
            r.position(s.lon, s.lat);
            r.header(&s.id, s.version, s.updated_at, s.stale_after);
            serde_json::to_value(s).ok()
        }
        EntityKind::Area => {
            let a = data.areas.get(&sel.id)?;
            r.add(&["name"], "名称", "Name", text::entity_name(EntityKind::Area, &a.name, lang));
            r.add(&["level"], "层级", "Level", text::area_level(a.level, lang));
            let parent = a.parent_id.as_ref().map(|id| match data.areas.get(id) {
                Some(p) => text::entity_name(EntityKind::Area, &p.name, lang),
                None => id.clone(),
            });
            r.add(&["parent_id"], "上级区域", "Part of", parent.unwrap_or_default());
            r.add(&["population"], "人口", "Population", a.population.to_string());
            r.add(&["governance_index"], "治理指数", "Governance index", format!("{:.1}", a.governance_index));
            r.cover(&["aspects"]);
            for s in &a.aspects {
                r.rows.push(Row {
                    label: text::aspect(s.aspect, lang).to_owned(),
                    value: format!("{:.1} · {}", s.score, text::warning(s.level, lang)),
                });
            }
            let ring = match lang {
                Lang::Zh => format!("{} 个顶点", a.ring.len()),
                Lang::En => format!("{} vertices", a.ring.len()),
            };
            r.add(&["ring"], "边界", "Boundary", ring);
            r.header(&a.id, a.version, a.updated_at, a.stale_after);
            serde_json::to_value(a).ok()
        }
    };
    r.extras(json);
    Some(Detail { rows: r.rows, stages })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn detail_window(
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
            let Some(detail) = detail_of(&data, &sel, lang, now_ms()) else {
                ui.label(lang.tr("该对象已不在数据中", "no longer in the feed"));
                return;
            };
            if sel.kind == EntityKind::Camera {
                match (&still.texture, &still.error) {
                    (Some(t), _) => {
                        ui.add(egui::Image::new(t).max_width(360.0));
                    }
                    (None, Some(e)) => {
                        ui.colored_label(Tone::Warn.of(ui), lang.labelled(lang.tr("快照加载失败", "Still failed"), e));
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
                ui.colored_label(Tone::Warn.of(ui), lang.tr("数据已过期", "stale"));
            }
            egui::Grid::new("detail_grid").num_columns(2).striped(true).show(ui, |ui| {
                for row in &detail.rows {
                    ui.weak(&row.label);
                    ui.label(&row.value);
                    ui.end_row();
                }
            });
            if !detail.stages.is_empty() {
                ui.separator();
                ui.strong(lang.tr("流转记录", "Stages"));
                egui::Grid::new("detail_stages").num_columns(3).striped(true).show(ui, |ui| {
                    for s in &detail.stages {
                        ui.label(format!("● {}", s.stage));
                        ui.label(&s.at);
                        ui.weak(s.after.as_ref().map(|a| format!("+{a}")).unwrap_or_default());
                        ui.end_row();
                    }
                });
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use twinhall_core::LonLat;
    use twinhall_core::protocol::{IncidentCategory, IncidentStatus};
    use twinhall_core::sim::{SimConfig, Simulation};

    /// A simulated city's feed whose first incident is handled, with its stages and two units.
    fn data() -> (FeedData, String, Millis) {
        let city = twinhall_core::generate::generate_city(200, 2, LonLat::new(114.06, 22.54));
        let sim = Simulation::new(
            &city,
            SimConfig { cameras: 2, units: 12, sensors: 4, incidents: 3, ..SimConfig::default() },
        );
        let mut snap = sim.snapshot();
        let now = snap.generated_at;
        let units: Vec<String> = snap.entities.units.iter().take(2).map(|u| u.id.clone()).collect();
        let i = snap.entities.incidents.first_mut().expect("an incident");
        i.category = IncidentCategory::PublicOrder;
        i.status = IncidentStatus::Handling;
        i.reported_at = now - 20 * 60_000;
        i.assigned_units = units;
        i.stages = vec![
            StageTime { status: IncidentStatus::Reported, at: now - 20 * 60_000 },
            StageTime { status: IncidentStatus::Accepted, at: now - 16 * 60_000 - 40_000 },
            StageTime { status: IncidentStatus::Handling, at: now - 5 * 60_000 },
        ];
        let id = i.id.clone();
        let mut data = FeedData::default();
        data.apply_snapshot(snap);
        (data, id, now)
    }

    /// The first entity of every kind the feed holds.
    fn every(data: &FeedData) -> Vec<FeedRef> {
        let firsts = [
            (EntityKind::Incident, data.incidents.iter().next().map(|(_, e)| e.id.clone())),
            (EntityKind::Camera, data.cameras.iter().next().map(|(_, e)| e.id.clone())),
            (EntityKind::Facility, data.facilities.iter().next().map(|(_, e)| e.id.clone())),
            (EntityKind::SupplyDepot, data.supply_depots.iter().next().map(|(_, e)| e.id.clone())),
            (EntityKind::Unit, data.units.iter().next().map(|(_, e)| e.id.clone())),
            (EntityKind::Sensor, data.sensors.iter().next().map(|(_, e)| e.id.clone())),
            (EntityKind::Area, data.areas.iter().next().map(|(_, e)| e.id.clone())),
        ];
        firsts.into_iter().filter_map(|(kind, id)| id.map(|id| FeedRef { kind, id })).collect()
    }

    /// Whether `s` holds a run of at least 12 digits (epoch milliseconds).
    fn has_epoch(s: &str) -> bool {
        let mut run = 0;
        for c in s.chars() {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            if run >= 12 {
                return true;
            }
        }
        false
    }

    #[test]
    fn details_read_as_words_with_local_times_and_no_credentials() {
        let (data, _, now) = data();
        let refs = every(&data);
        assert!(refs.len() >= 5, "{refs:?}");
        for r in &refs {
            for lang in [Lang::Zh, Lang::En] {
                let d = detail_of(&data, r, lang, now).expect("in the feed");
                assert!(!d.rows.is_empty());
                for row in &d.rows {
                    let line = format!("{} {}", row.label, row.value);
                    // No raw JSON, no epoch milliseconds (the id may be a 20-digit camera
                    // code), no protocol names of fields or enums.
                    assert!(!line.contains('{') && !line.contains('['), "{r:?}: {line}");
                    assert!(row.value.contains(&r.id) || !has_epoch(&row.value), "{r:?}: {line}");
                    for raw in ["public_order", "water_level", "police_car", "fire_engine", "_url", "_at", "_m"] {
                        assert!(!line.contains(raw), "{r:?}: {line}");
                    }
                    assert!(!row.value.contains("viewer:viewer"), "{line}");
                    // English words with Chinese punctuation; a value in Chinese is the feed's
                    // own text (a title, an address) and keeps its punctuation.
                    let chinese = row.value.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                    if lang == Lang::En {
                        assert_eq!(text::full_width(&row.label), None, "{r:?}: {line}");
                        assert!(chinese || text::full_width(&row.value).is_none(), "{r:?}: {line}");
                    }
                }
            }
        }
    }

    #[test]
    fn an_incidents_stages_are_a_timeline_with_durations() {
        let (data, id, now) = data();
        let r = FeedRef { kind: EntityKind::Incident, id };
        let zh = detail_of(&data, &r, Lang::Zh, now).expect("in the feed");
        let value = |d: &Detail, label: &str| d.rows.iter().find(|x| x.label == label).map(|x| x.value.clone());
        assert_eq!(value(&zh, "类别").as_deref(), Some("治安"));
        assert_eq!(value(&zh, "状态").as_deref(), Some("处置"));
        let reported = value(&zh, "上报时间").expect("reported");
        assert!(reported.ends_with("20 分钟前"), "{reported}");
        assert!(value(&zh, "已派力量").is_some_and(|v| !v.is_empty()));
        let stages: Vec<(&str, Option<&str>)> = zh.stages.iter().map(|s| (s.stage, s.after.as_deref())).collect();
        assert_eq!(stages, [("上报", None), ("受理", Some("3 分 20 秒")), ("处置", Some("11 分 40 秒"))]);
        assert!(zh.stages.iter().all(|s| s.at.matches(':').count() == 2 && !has_epoch(&s.at)), "{:?}", zh.stages);

        let en = detail_of(&data, &r, Lang::En, now).expect("in the feed");
        assert_eq!(value(&en, "Category").as_deref(), Some("public order"));
        assert_eq!(value(&en, "Status").as_deref(), Some("handling"));
        let stages: Vec<&str> = en.stages.iter().map(|s| s.stage).collect();
        assert_eq!(stages, ["reported", "accepted", "handling"]);
        assert_eq!(en.stages[1].after.as_deref(), Some("3 min 20 s"));
    }

    #[test]
    fn fields_the_window_does_not_know_are_shown_readable() {
        let now = 1_740_809_002_000;
        let extra = serde_json::json!({
            "id": "X", "checked_at": now - 60_000, "crew": ["张三", "李四"], "armed": false,
            "points": [[1.0, 2.0], [3.0, 4.0]], "feed_url": "http://u:secret@h/x", "ratio": 0.25,
        });
        let mut r = Rows::new(Lang::En, now);
        r.cover(&["id"]);
        r.extras(Some(extra));
        let got: Vec<(String, String)> = r.rows.into_iter().map(|x| (x.label, x.value)).collect();
        let find = |k: &str| got.iter().find(|(l, _)| l == k).map(|(_, v)| v.as_str()).unwrap_or("");
        assert_eq!(find("checked at"), "14:02:22 · 1 min ago");
        assert_eq!(find("crew"), "张三, 李四");
        assert_eq!(find("armed"), "no");
        assert_eq!(find("points"), "2 items");
        assert_eq!(find("ratio"), "0.25");
        assert!(!find("feed url").contains("secret"), "{got:?}");
        assert!(got.iter().all(|(l, _)| l != "id"));
    }
}
