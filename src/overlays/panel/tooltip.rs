//! The hover tooltip: a name and a line of state for the entity under the cursor.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use twinhall_core::protocol::EntityKind;

use crate::context::{Selection, Settings};
use crate::feed::FeedData;
use crate::overlays::text;

pub(super) fn tooltip(
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
                text::unit_name(u.kind, &u.name, lang),
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
                text::camera_name(&c.name, lang),
                format!("{} · {}", c.id, if c.online { lang.tr("在线", "online") } else { lang.tr("离线", "offline") }),
            ]
        }),
        EntityKind::Facility => data
            .facilities
            .get(&h.id)
            .map(|f| vec![text::facility_name(f.kind, &f.name, lang), text::facility(f.kind, lang).to_owned()]),
        EntityKind::SupplyDepot => data.supply_depots.get(&h.id).map(|d| {
            let mut v = vec![text::depot_name(&d.name, lang)];
            v.extend(d.inventory.iter().take(4).map(|l| format!("{} {} {}", l.item, text::whole(l.quantity), l.unit)));
            v
        }),
        EntityKind::Sensor => data.sensors.get(&h.id).map(|s| {
            vec![
                text::sensor_name(&s.kind, &s.name, lang),
                format!(
                    "{} · {:.1} {} / {:.1}{}",
                    text::sensor_kind(&s.kind, lang),
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
