//! The index briefing (指数简报): one self-contained HTML file with the governance index, its
//! six aspects and their levels, the trend charts (inline SVG), the ten worst grids, the
//! efficiency table and, when there is one, a PNG of the wall's scene (inline, base64). Every
//! figure comes from the store passed in, at the moment of the export.

use std::fmt::Write as _;

use crate::feed::store::FeedStore;
use crate::heartbeat::worst_grids;
use crate::lang::Lang;
use crate::metrics::{EfficiencyRow, Metrics};
use crate::overlay::{index_level, level_rgb};
use crate::protocol::{GovernanceIndex, IndexAspect, Millis, WarningLevel};

/// The six aspects in the order the platform lists them.
pub const ASPECTS: [IndexAspect; 6] = IndexAspect::ALL;

/// The aspect's name.
pub fn aspect_label(a: IndexAspect, lang: Lang) -> &'static str {
    match a {
        IndexAspect::SocialGovernance => lang.tr("社会治理", "Social governance"),
        IndexAspect::CityManagement => lang.tr("城市管理", "City management"),
        IndexAspect::PublicSecurity => lang.tr("社会治安", "Public security"),
        IndexAspect::RuleOfLaw => lang.tr("法治建设", "Rule of law"),
        IndexAspect::PublicServices => lang.tr("公共服务", "Public services"),
        IndexAspect::PublicSafety => lang.tr("公共安全", "Public safety"),
    }
}

/// The four-colour level's name.
pub fn level_label(l: WarningLevel, lang: Lang) -> &'static str {
    match l {
        WarningLevel::Blue => lang.tr("蓝色", "blue"),
        WarningLevel::Yellow => lang.tr("黄色", "yellow"),
        WarningLevel::Orange => lang.tr("橙色", "orange"),
        WarningLevel::Red => lang.tr("红色", "red"),
    }
}

/// What goes into a briefing besides the store.
pub struct BriefInput<'a> {
    pub city: &'a str,
    pub lang: Lang,
    pub now: Millis,
    /// The index over time, oldest first (the backend's history and the session's samples).
    pub trend: &'a [GovernanceIndex],
    /// A PNG of the wall's scene.
    pub png: Option<&'a [u8]>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn css(level: WarningLevel) -> String {
    let [r, g, b] = level_rgb(level);
    format!("#{:02x}{:02x}{:02x}", (r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
}

/// Base64 (standard alphabet, padded).
/// `YYYY-MM-DD HH:MM` in Beijing time (UTC+8, the command centre's clock) of a protocol time.
pub fn beijing_time(ms: Millis) -> String {
    let secs = ms.div_euclid(1000) + 8 * 3600;
    let (days, s) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil, inverted).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", s / 3600, (s / 60) % 60)
}

pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 { A[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if c.len() > 2 { A[n as usize & 63] as char } else { '=' });
    }
    out
}

/// A line chart of the index and its aspects over time, as inline SVG.
fn trend_svg(trend: &[GovernanceIndex], lang: Lang) -> String {
    let (w, h, pad) = (760.0, 260.0, 36.0);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" class="trend">"#
    );
    if trend.len() < 2 {
        let _ = write!(s, r#"<text x="20" y="40">{}</text></svg>"#, lang.tr("走势数据不足", "Not enough history yet"));
        return s;
    }
    let t0 = trend[0].updated_at as f64;
    let t1 = (trend[trend.len() - 1].updated_at as f64).max(t0 + 1.0);
    let all = trend.iter().flat_map(|g| std::iter::once(g.overall).chain(g.aspects.iter().map(|a| a.score)));
    let (lo, hi) = all.fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = ((lo - 2.0).floor() as f64, (hi + 2.0).ceil() as f64);
    let x = |t: Millis| pad + (t as f64 - t0) / (t1 - t0) * (w - 2.0 * pad);
    let y = |v: f32| h - pad - (f64::from(v) - lo) / (hi - lo).max(1.0) * (h - 2.0 * pad);
    for v in [lo, (lo + hi) / 2.0, hi] {
        let yy = y(v as f32);
        let _ = write!(
            s,
            r##"<line x1="{pad}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ccc"/><text x="2" y="{:.1}" font-size="11">{v:.0}</text>"##,
            w - pad,
            yy + 4.0
        );
    }
    let palette = ["#2f80ed", "#27ae60", "#eb5757", "#9b51e0", "#f2994a", "#56ccf2"];
    let mut line = |values: Vec<(Millis, f32)>, colour: &str, width: f32| {
        let pts: Vec<String> = values.iter().map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v))).collect();
        let _ =
            write!(s, r#"<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{}"/>"#, pts.join(" "));
    };
    for (n, aspect) in ASPECTS.iter().enumerate() {
        let v: Vec<(Millis, f32)> = trend
            .iter()
            .filter_map(|g| g.aspects.iter().find(|a| a.aspect == *aspect).map(|a| (g.updated_at, a.score)))
            .collect();
        line(v, palette[n], 1.5);
    }
    line(trend.iter().map(|g| (g.updated_at, g.overall)).collect(), "#111", 3.0);
    let mut lx = pad;
    for (n, aspect) in ASPECTS.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{lx}" y="6" width="10" height="10" fill="{}"/><text x="{}" y="15" font-size="11">{}</text>"#,
            palette[n],
            lx + 13.0,
            aspect_label(*aspect, lang)
        );
        lx += 110.0;
    }
    s.push_str("</svg>");
    s
}

fn minutes(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |m| format!("{m:.1}"))
}

fn row_html(r: &EfficiencyRow, lang: Lang) -> String {
    let label = match lang {
        Lang::Zh => &r.label_zh,
        Lang::En => &r.label_en,
    };
    let mut s = format!("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>", esc(label), r.open, r.overdue, r.closed);
    for m in r.avg_step_minutes {
        let _ = write!(s, "<td>{}</td>", minutes(m));
    }
    let _ = write!(s, "<td>{}</td></tr>", r.first_handling_share.map_or_else(|| "—".into(), |p| format!("{p:.1}%")));
    s
}

/// The briefing as one HTML document.
pub fn brief_html(store: &FeedStore, metrics: &Metrics, input: &BriefInput<'_>) -> String {
    let lang = input.lang;
    let tr = |zh: &'static str, en: &'static str| lang.tr(zh, en);
    let mut h = String::new();
    let title = format!("{} · {}", esc(input.city), tr("市域社会治理指数简报", "Governance index briefing"));
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8"><title>{title}</title><style>
body{{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif;margin:24px;color:#111}}
h1{{margin-bottom:0}} .when{{color:#666}} table{{border-collapse:collapse;margin:8px 0 20px}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}} td:first-child,th:first-child{{text-align:left}}
.level{{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:middle}}
.overall{{font-size:40px;font-weight:bold}} img{{max-width:100%;border:1px solid #ccc}}
</style></head><body>"#,
        match lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    );
    let _ = write!(
        h,
        "<h1>{title}</h1><p class=\"when\" data-generated-at=\"{}\">{} {}</p>",
        input.now,
        tr("生成时间（北京时间）", "Generated at (Beijing time, UTC+8)"),
        beijing_time(input.now)
    );

    // The index and its aspects.
    let _ = write!(h, "<h2>{}</h2>", tr("综合指数与六大领域", "The index and its six aspects"));
    match &store.index {
        Some(index) => {
            let level = index_level(index.overall);
            let _ = write!(
                h,
                r#"<p><span class="overall" id="overall">{:.1}</span> <span class="level" style="background:{}"></span>{}</p>"#,
                index.overall,
                css(level),
                level_label(level, lang)
            );
            let _ = write!(
                h,
                "<table id=\"aspects\"><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
                tr("领域", "Aspect"),
                tr("指数", "Score"),
                tr("预警等级", "Level")
            );
            for aspect in ASPECTS {
                if let Some(a) = index.aspects.iter().find(|a| a.aspect == aspect) {
                    let _ = write!(
                        h,
                        r#"<tr><td>{}</td><td>{:.1}</td><td><span class="level" style="background:{}"></span>{}</td></tr>"#,
                        aspect_label(aspect, lang),
                        a.score,
                        css(a.level),
                        level_label(a.level, lang)
                    );
                }
            }
            h.push_str("</table>");
        }
        None => {
            let _ = write!(h, "<p>{}</p>", tr("后端尚未报送指数。", "The backend has not sent an index yet."));
        }
    }
    let _ = write!(h, "<h2>{}</h2>{}", tr("指数走势", "Index over time"), trend_svg(input.trend, lang));

    // The worst grids.
    let _ = write!(
        h,
        "<h2>{}</h2><table id=\"worst-grids\"><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        tr("指数最低的十个网格", "The ten lowest-scoring grids"),
        tr("网格", "Grid"),
        tr("编号", "Id"),
        tr("指数", "Index")
    );
    for (n, g) in worst_grids(store, 10).iter().enumerate() {
        let level = index_level(g.score);
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td><span class="level" style="background:{}"></span>{:.1}</td></tr>"#,
            n + 1,
            esc(&g.name),
            esc(&g.id),
            css(level),
            g.score
        );
    }
    h.push_str("</table>");

    // Efficiency supervision.
    let e = metrics.efficiency();
    let head = format!(
        "<tr><th></th><th>{}</th><th>{}</th><th>{}</th>{}<th>{}</th></tr>",
        tr("在办", "Open"),
        tr("超期", "Overdue"),
        tr("已办结", "Closed"),
        crate::metrics::STEP_KEYS.iter().map(|k| format!("<th>{}</th>", step_label(k, lang))).collect::<String>(),
        tr("一次办结率", "Closed first time")
    );
    let _ = write!(
        h,
        "<h2>{}</h2><p>{}</p>",
        tr("效能监管", "Efficiency supervision"),
        tr("各环节为平均用时（分钟）。", "Steps show average minutes.")
    );
    let _ = write!(h, "<h3>{}</h3><table id=\"by-district\">{head}", tr("按区域", "By district"));
    for r in &e.by_district {
        h += &row_html(r, lang);
    }
    h += &row_html(&e.total, lang);
    let _ = write!(h, "</table><h3>{}</h3><table id=\"by-category\">{head}", tr("按类别", "By category"));
    for r in &e.by_category {
        h += &row_html(r, lang);
    }
    h.push_str("</table>");

    if let Some(png) = input.png {
        let _ = write!(
            h,
            "<h2>{}</h2><img alt=\"scene\" src=\"data:image/png;base64,{}\">",
            tr("当前场景", "The wall now"),
            base64(png)
        );
    }
    let _ = writeln!(
        h,
        "<p class=\"when\">{}</p></body></html>",
        tr(
            "数据来源：指挥中心实时数据；地图 © OpenStreetMap contributors",
            "Data: the command centre's live feed; map © OpenStreetMap contributors"
        )
    );
    h
}

/// A lifecycle step's name (`reported_accepted` → 上报→受理).
pub fn step_label(key: &str, lang: Lang) -> String {
    let mut parts = key.split('_').filter_map(|s| {
        crate::protocol::IncidentStatus::ALL.into_iter().find(|st| st.label_en() == s).map(|st| match lang {
            Lang::Zh => st.label_zh(),
            Lang::En => st.label_en(),
        })
    });
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}→{b}"),
        _ => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::EfficiencyLimits;
    use crate::sim::{SimConfig, Simulation};

    #[test]
    fn times_are_said_in_beijing_time() {
        assert_eq!(beijing_time(0), "1970-01-01 08:00");
        assert_eq!(beijing_time(-1), "1970-01-01 07:59");
        assert_eq!(beijing_time(951_782_400_000), "2000-02-29 08:00");
        assert_eq!(beijing_time(1_795_951_394_920), "2026-11-29 19:23");
        // 16:00 UTC on New Year's Eve is already the new year in Beijing.
        assert_eq!(beijing_time(1_798_761_600_000 - 8 * 3_600_000), "2027-01-01 00:00");
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in cases {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    /// The text between `<tag id="id"` and its end.
    fn section<'a>(html: &'a str, id: &str) -> &'a str {
        let start = html.find(&format!("id=\"{id}\"")).expect("section");
        let end = html[start..].find("</table>").map_or(html.len(), |e| start + e);
        &html[start..end]
    }

    #[test]
    fn the_briefing_shows_the_stores_figures() {
        let model = crate::generate::generate_city(300, 3, crate::LonLat::new(114.06, 22.54));
        let mut sim = Simulation::new(&model, SimConfig { incidents: 120, ..SimConfig::default() });
        for _ in 0..30 {
            sim.step(10_000);
        }
        let mut store = FeedStore::default();
        store.apply_snapshot(sim.snapshot());
        let now = sim.snapshot().generated_at;
        let limits = EfficiencyLimits::default();
        let metrics = Metrics::compute(&store, now, &limits);
        let trend = vec![store.index.clone().expect("index"); 1];
        let png = [0x89u8, b'P', b'N', b'G'];
        let html = brief_html(
            &store,
            &metrics,
            &BriefInput { city: "测试<城>", lang: Lang::Zh, now, trend: &trend, png: Some(&png) },
        );
        assert!(html.contains("测试&lt;城&gt;"), "escaped");
        let index = store.index.as_ref().expect("index");
        assert!(html.contains(&format!("id=\"overall\">{:.1}<", index.overall)));
        let aspects = section(&html, "aspects");
        for a in &index.aspects {
            assert!(aspects.contains(&format!("<td>{}</td><td>{:.1}</td>", aspect_label(a.aspect, Lang::Zh), a.score)));
        }
        // The ten worst grids, worst first, as the store has them.
        let worst = worst_grids(&store, 10);
        assert_eq!(worst.len(), 10);
        let grids = section(&html, "worst-grids");
        let mut at = 0;
        for g in &worst {
            let i = grids[at..].find(&format!("<td>{}</td>", g.id)).expect("every grid, in order") + at;
            at = i;
        }
        assert!(worst.windows(2).all(|w| w[0].score <= w[1].score));
        // The efficiency table's total: open incidents equal the store's count.
        let open =
            store.incidents.iter().filter(|(_, i)| i.status != crate::protocol::IncidentStatus::Archived).count();
        assert_eq!(metrics.efficiency().total.open, open);
        let districts = section(&html, "by-district");
        assert!(districts.contains(&format!("<td>{}</td><td>{open}</td>", esc(&metrics.efficiency().total.label_zh))));
        assert!(html.contains("data:image/png;base64,iVBORw=="), "the scene inline");
        assert!(html.contains("<svg"), "trend chart inline");
        assert_eq!(step_label("reported_accepted", Lang::Zh), "上报→受理");
    }

    /// The cells of the row labelled `label` in the table `id`: the label, 在办, 超期, 已办结,
    /// the six steps (上报→受理 at 4 … 审核→归档 at 9) and the share closed first time.
    fn row_cells(html: &str, id: &str, label: &str) -> Vec<String> {
        let table = section(html, id);
        let start = table.find(&format!("<tr><td>{label}</td>")).expect("the row");
        let row = &table[start..];
        let row = &row[..row.find("</tr>").expect("the row's end")];
        row.split("<td>").skip(1).map(|c| c.trim_end_matches("</td>").to_owned()).collect()
    }

    /// 分拨→处置 was always `—` and 受理→分拨 equal to 处置→反馈 in every row: the cases the
    /// grid's staff took on skip 分拨, and their 受理→处置 time was shown as 受理→分拨.
    #[test]
    fn the_stage_columns_count_only_the_cases_that_went_through_them() {
        use crate::protocol::{DispatchRequest, IncidentStatus, OrderState};
        let model = crate::generate::generate_city(300, 3, crate::LonLat::new(114.06, 22.54));
        let mut sim = Simulation::new(&model, SimConfig { incidents: 120, ..SimConfig::default() });
        sim.step(1000);
        let total = |sim: &Simulation| {
            let snapshot = sim.snapshot();
            let now = snapshot.generated_at;
            let mut store = FeedStore::default();
            store.apply_snapshot(snapshot);
            let metrics = Metrics::compute(&store, now, &EfficiencyLimits::default());
            let input = BriefInput { city: "t", lang: Lang::Zh, now, trend: &[], png: None };
            row_cells(&brief_html(&store, &metrics, &input), "by-district", "全部")
        };
        // Nobody dispatched yet: no case went through 分拨, though seeded ones were handled.
        let before = total(&sim);
        assert_eq!(before.len(), 11, "{before:?}");
        assert_eq!((before[5].as_str(), before[6].as_str()), ("—", "—"), "受理→分拨, 分拨→处置: {before:?}");
        assert_ne!(before[7], "—", "处置→反馈: {before:?}");

        // One accepted case dispatched: once its unit is there, both steps have a figure.
        let case = sim
            .snapshot()
            .entities
            .incidents
            .into_iter()
            .find(|i| i.status == IncidentStatus::Accepted)
            .expect("an accepted case");
        let unit = sim.rank_units(crate::LonLat::new(case.lon, case.lat))[0].0.clone();
        let req = DispatchRequest { incident_id: case.id.clone(), unit_ids: vec![unit], note: String::new() };
        let order = sim.dispatch(&req).expect("dispatch");
        let mut arrived = false;
        for _ in 0..1200 {
            sim.step(1000);
            if sim.order(&order.order_id).map(|o| o.state) == Some(OrderState::Arrived) {
                arrived = true;
                break;
            }
        }
        assert!(arrived, "the unit never arrived");
        sim.step(1000);
        let after = total(&sim);
        assert_ne!(after[5], "—", "受理→分拨: {after:?}");
        assert_ne!(after[6], "—", "分拨→处置: {after:?}");
    }
}
