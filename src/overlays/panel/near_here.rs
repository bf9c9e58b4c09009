//! The "cameras near here" window: the cameras whose view covers a right-clicked point.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use twinhall_core::protocol::EntityKind;

use crate::context::{FeedRef, Selection, Settings};
use crate::feed::FeedData;
use crate::overlays::text;

pub(super) fn near_here_window(
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
                    let name =
                        data.cameras.get(id).map(|c| text::camera_name(&c.name, lang)).unwrap_or_else(|| "?".into());
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
