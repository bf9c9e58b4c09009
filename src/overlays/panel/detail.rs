//! The detail window: every attribute the feed sent for the selected entity and, for a camera,
//! its still (fetched from the backend and decoded off the main thread) and stream address.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use crossbeam_channel::Receiver;
use twinhall_core::protocol::EntityKind;
use twinhall_core::redact::redact_url;

use super::still::request_still;
use crate::context::{City, FeedRef, FlyTo, Selection, Settings};
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

#[cfg(test)]
mod tests {
    use super::*;
    use twinhall_core::LonLat;
    use twinhall_core::sim::{SimConfig, Simulation};

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
