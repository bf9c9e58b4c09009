//! Export of an incident's report: one HTML file (CJK as UTF-8) with the timeline, the orders and
//! their units with travel times, the surroundings table, and a PNG of the scene taken at export
//! time, written beside it under `reports/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use twinhall_core::hub::journal::{JournalOrder, TimelineEntry};
use twinhall_core::protocol::{Incident, now_ms};

use super::panel::{clock, eta};
use super::{FocusAnalysis, HubOutbox};
use crate::feed::FeedData;
use crate::overlays::text;

/// Export the report of this incident.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ExportReport(pub String);

/// Where reports go (`reports/` under the working directory).
#[derive(Resource, Clone, Debug)]
pub struct ReportDir(pub PathBuf);

impl Default for ReportDir {
    fn default() -> Self {
        Self(PathBuf::from("reports"))
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_message::<ExportReport>()
        .init_resource::<ReportDir>()
        .add_systems(Update, export.in_set(crate::context::AppSystems::Capture));
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The report as HTML; `png` is the scene image's file name beside it.
pub fn report_html(
    incident: &Incident,
    analysis: &FocusAnalysis,
    orders: &[JournalOrder],
    timeline: &[TimelineEntry],
    png: &str,
) -> String {
    let zh = twinhall_core::config::Lang::Zh;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>事件处置报告 {id}</title>\
         <style>body{{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;margin:2em;color:#123}}\
         table{{border-collapse:collapse;margin:0.5em 0}}td,th{{border:1px solid #9ab;padding:3px 8px;text-align:left}}\
         th{{background:#e4eef8}}img{{max-width:100%;border:1px solid #9ab}}</style></head><body>\n\
         <h1>事件处置报告 · Incident report</h1>\n<p><b>{title}</b> ({id})<br>{cat} · 等级 {sev} · 状态 {status} · 上报 {rep}<br>{district} {addr}</p>\n",
        id = esc(&incident.id),
        title = esc(&incident.title),
        cat = text::category(incident.category, zh),
        sev = incident.severity,
        status = incident.status.label_zh(),
        rep = clock(incident.reported_at),
        district = esc(&incident.district),
        addr = esc(&incident.address),
    );
    let _ = writeln!(h, "<h2>现场 · Scene</h2><img src=\"{}\" alt=\"scene\">", esc(png));
    h.push_str("<h2>时间线 · Timeline</h2><table><tr><th>时间</th><th>事项</th><th>Event</th></tr>\n");
    for e in timeline {
        let _ =
            writeln!(h, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", clock(e.at), esc(&e.text_zh), esc(&e.text_en));
    }
    h.push_str("</table>\n<h2>调度指令与力量 · Orders and units</h2><table><tr><th>指令</th><th>状态</th><th>力量</th><th>路网用时</th><th>直线距离</th></tr>\n");
    for o in orders {
        for u in &o.request.unit_ids {
            let ranked = analysis.unit(u);
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(o.order_id.as_deref().unwrap_or(&o.key)),
                super::panel::order_text(o.status, zh),
                esc(&ranked.map(|r| text::unit_label(r.kind, &r.name, zh)).unwrap_or_else(|| u.clone())),
                ranked.map(|r| eta(r.time_s)).unwrap_or_default(),
                ranked.map(|r| format!("{:.0} m", r.straight_m)).unwrap_or_default(),
            );
        }
    }
    let s = &analysis.surroundings;
    let _ = writeln!(
        h,
        "</table>\n<h2>周边 {:.0} 米 · Surroundings</h2><p>估算人口 {}；可见视频 {}，被遮挡 {}</p><table><tr><th>类型</th><th>名称</th><th>距离</th><th>车程</th></tr>",
        analysis.radius_m,
        text::whole(s.population),
        s.cameras_visible.len(),
        s.cameras_blocked.len()
    );
    for c in &s.cameras_visible {
        let _ = writeln!(
            h,
            "<tr><td>视频（可见）</td><td>{}</td><td>{:.0} m</td><td></td></tr>",
            esc(&c.name),
            c.distance_m
        );
    }
    for c in &s.cameras_blocked {
        let _ = writeln!(
            h,
            "<tr><td>视频（遮挡）</td><td>{}</td><td>{:.0} m</td><td></td></tr>",
            esc(&c.name),
            c.distance_m
        );
    }
    for f in &s.facilities {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{:.0} m</td><td>{}</td></tr>",
            text::facility(f.kind, zh),
            esc(&f.name),
            f.distance_m,
            eta(f.travel_s)
        );
    }
    for d in &s.depots {
        let inv: Vec<String> =
            d.inventory.iter().map(|l| format!("{} {}{}", l.item, text::whole(l.quantity), l.unit)).collect();
        let _ = writeln!(
            h,
            "<tr><td>物资储备点</td><td>{}：{}</td><td>{:.0} m</td><td>{}</td></tr>",
            esc(&d.name),
            esc(&inv.join("，")),
            d.distance_m,
            eta(d.travel_s)
        );
    }
    for x in &s.sensors {
        let _ = writeln!(
            h,
            "<tr><td>感知设备{}</td><td>{} {:.1}/{:.1} {}</td><td>{:.0} m</td><td></td></tr>",
            if x.alarm { "（告警）" } else { "" },
            esc(&text::sensor_label(&x.kind, &x.name, zh)),
            x.reading,
            x.threshold,
            esc(&x.unit),
            x.distance_m
        );
    }
    let _ = writeln!(
        h,
        "</table>\n<p><small>导出于 {} · twinhall · 地图数据 © OpenStreetMap 贡献者</small></p></body></html>",
        clock(now_ms())
    );
    h
}

fn export(
    mut commands: Commands,
    mut messages: MessageReader<ExportReport>,
    data: Res<FeedData>,
    analysis: Res<FocusAnalysis>,
    outbox: Option<Res<HubOutbox>>,
    report_dir: Res<ReportDir>,
) {
    for ExportReport(id) in messages.read() {
        let Some(incident) = data.incidents.get(id) else {
            warn!("report: incident {id} is not in the feed");
            continue;
        };
        let (orders, timeline) = match &outbox {
            Some(o) => (
                o.outbox.journal().orders(Some(id)).unwrap_or_default(),
                o.outbox.journal().timeline(id).unwrap_or_default(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let stem = format!("{}-{}", id.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"), now_ms());
        let dir = report_dir.0.clone();
        let png = format!("{stem}.png");
        let html = report_html(incident, &analysis, &orders, &timeline, &png);
        let html_path = dir.join(format!("{stem}.html"));
        if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&html_path, html)) {
            error!("report: {}: cannot write: {e}", html_path.display());
            continue;
        }
        let png_path = dir.join(&png);
        commands.spawn(Screenshot::primary_window()).observe(move |captured: On<ScreenshotCaptured>| {
            match crate::context::save_png(&captured.image, &png_path) {
                Ok(()) => info!("report: scene saved to {}", png_path.display()),
                Err(e) => error!("report: {}: cannot save the scene: {e}", png_path.display()),
            }
        });
        info!("report written to {}", html_path.display());
        let _: &Path = &html_path;
    }
}
