//! The incident list: filters by category, severity and status, counts, most severe first.

use bevy_egui::egui;
use twinhall_core::config::Lang;
use twinhall_core::protocol::{IncidentCategory, IncidentStatus, now_ms};

use super::super::HubState;
use super::{incident_list, rgb};
use crate::context::severity_rgb;
use crate::feed::FeedData;
use crate::overlays::text;

pub(super) fn list_section(
    ui: &mut egui::Ui,
    lang: Lang,
    data: &FeedData,
    state: &mut HubState,
    focus_to: &mut Option<String>,
) {
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
                    for c in IncidentCategory::ALL {
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
                            lang.ago((now_ms() - i.reported_at) as f64 / 1000.0)
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
