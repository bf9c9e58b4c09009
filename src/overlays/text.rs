//! Words on screen for what the feed sends, Chinese first: the names of its enums, entity names
//! with their kind said once and in the wall's language, and times and durations.

use std::borrow::Cow;

use twinhall_core::brief::beijing_time;
use twinhall_core::config::Lang;
use twinhall_core::protocol::{
    AreaLevel, EntityKind, FacilityKind, IncidentCategory, IncidentStatus, IndexAspect, Millis, ReportChannel,
    UnitKind, UnitStatus, WarningLevel,
};

/// A count or amount as a whole number, never "-0" (a sum that came to a tiny negative, or a
/// negative zero, reads 0).
pub fn whole(v: f64) -> String {
    let r = v.round() + 0.0;
    if r.is_finite() { format!("{r:.0}") } else { "—".into() }
}

pub fn category(c: IncidentCategory, lang: Lang) -> &'static str {
    use IncidentCategory::*;
    match c {
        Dispute => lang.tr("矛盾纠纷", "dispute"),
        PublicOrder => lang.tr("治安", "public order"),
        Fire => lang.tr("消防", "fire"),
        Traffic => lang.tr("交通", "traffic"),
        CityManagement => lang.tr("城市管理", "city management"),
        Environment => lang.tr("环境", "environment"),
        PublicHealth => lang.tr("公共卫生", "public health"),
        WorkSafety => lang.tr("安全生产", "work safety"),
        Other => lang.tr("其他", "other"),
    }
}

pub fn unit_kind(k: UnitKind, lang: Lang) -> &'static str {
    lang.tr(k.label_zh(), k.label_en())
}

/// An incident's lifecycle status in the wall's language.
pub fn incident_status(s: IncidentStatus, lang: Lang) -> &'static str {
    if lang == Lang::Zh { s.label_zh() } else { s.label_en() }
}

pub fn unit_status(s: UnitStatus, lang: Lang) -> &'static str {
    match s {
        UnitStatus::Available => lang.tr("待命", "available"),
        UnitStatus::Patrolling => lang.tr("巡逻", "patrolling"),
        UnitStatus::EnRoute => lang.tr("出动途中", "en route"),
        UnitStatus::OnScene => lang.tr("到达现场", "on scene"),
        UnitStatus::Returning => lang.tr("返回", "returning"),
        UnitStatus::Offline => lang.tr("离线", "offline"),
    }
}

pub fn facility(k: FacilityKind, lang: Lang) -> &'static str {
    match k {
        FacilityKind::Hospital => lang.tr("医院", "hospital"),
        FacilityKind::FireStation => lang.tr("消防站", "fire station"),
        FacilityKind::PoliceStation => lang.tr("派出所", "police station"),
        FacilityKind::Shelter => lang.tr("应急避难场所", "shelter"),
        FacilityKind::School => lang.tr("学校", "school"),
        FacilityKind::Hydrant => lang.tr("消火栓", "hydrant"),
        FacilityKind::Pharmacy => lang.tr("药店", "pharmacy"),
        FacilityKind::Other => lang.tr("其他设施", "facility"),
    }
}

pub fn channel(c: ReportChannel, lang: Lang) -> &'static str {
    match c {
        ReportChannel::Hotline => lang.tr("12345 热线", "12345 hotline"),
        ReportChannel::Police110 => lang.tr("110 报警", "110 call"),
        ReportChannel::GridWorker => lang.tr("网格员上报", "grid worker"),
        ReportChannel::VideoAnalytics => lang.tr("视频智能发现", "video analytics"),
        ReportChannel::Sensor => lang.tr("感知设备告警", "sensor alarm"),
        ReportChannel::CitizenApp => lang.tr("群众 App", "citizen app"),
        ReportChannel::EarlyWarning => lang.tr("预警转事件", "early warning"),
    }
}

pub fn area_level(l: AreaLevel, lang: Lang) -> &'static str {
    match l {
        AreaLevel::City => lang.tr("市", "city"),
        AreaLevel::District => lang.tr("区", "district"),
        AreaLevel::Street => lang.tr("街道", "street"),
        AreaLevel::Community => lang.tr("社区", "community"),
        AreaLevel::Grid => lang.tr("网格", "grid"),
    }
}

pub fn warning(l: WarningLevel, lang: Lang) -> &'static str {
    match l {
        WarningLevel::Blue => lang.tr("蓝", "blue"),
        WarningLevel::Yellow => lang.tr("黄", "yellow"),
        WarningLevel::Orange => lang.tr("橙", "orange"),
        WarningLevel::Red => lang.tr("红", "red"),
    }
}

pub fn kind(k: EntityKind, lang: Lang) -> &'static str {
    match k {
        EntityKind::Incident => lang.tr("事件", "incident"),
        EntityKind::Camera => lang.tr("视频监控", "camera"),
        EntityKind::Facility => lang.tr("设施", "facility"),
        EntityKind::SupplyDepot => lang.tr("物资储备点", "supply depot"),
        EntityKind::Unit => lang.tr("力量", "unit"),
        EntityKind::Sensor => lang.tr("感知设备", "sensor"),
        EntityKind::Area => lang.tr("网格区域", "area"),
    }
}

/// An incident's severity in words: "3 级 · 重大" reads from `severity` and this.
pub fn severity(s: u8, lang: Lang) -> &'static str {
    match s {
        1 => lang.tr("一般", "low"),
        2 => lang.tr("较大", "medium"),
        3 => lang.tr("重大", "high"),
        4 => lang.tr("特别重大", "critical"),
        _ => "—",
    }
}

/// One of the six aspects of the governance index.
pub fn aspect(a: IndexAspect, lang: Lang) -> &'static str {
    match a {
        IndexAspect::SocialGovernance => lang.tr("社会治理", "social governance"),
        IndexAspect::CityManagement => lang.tr("城市管理", "city management"),
        IndexAspect::PublicSecurity => lang.tr("治安防控", "public security"),
        IndexAspect::RuleOfLaw => lang.tr("法治建设", "rule of law"),
        IndexAspect::PublicServices => lang.tr("公共服务", "public services"),
        IndexAspect::PublicSafety => lang.tr("公共安全", "public safety"),
    }
}

/// A compass direction of eight from degrees clockwise from north: "东北" / "NE".
pub fn compass(deg: f32, lang: Lang) -> &'static str {
    const NAMES: [(&str, &str); 8] = [
        ("北", "N"),
        ("东北", "NE"),
        ("东", "E"),
        ("东南", "SE"),
        ("南", "S"),
        ("西南", "SW"),
        ("西", "W"),
        ("西北", "NW"),
    ];
    if !deg.is_finite() {
        return "—";
    }
    let k = ((deg.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8;
    lang.tr(NAMES[k].0, NAMES[k].1)
}

// ---------------------------------------------------------------------------------------------
// Times

/// A protocol time on the command centre's clock (Beijing time, UTC+8): "14:03:22" on the day
/// of `now`, "2025-03-01 14:03:22" on another day.
pub fn local_time(ms: Millis, now: Millis) -> String {
    let full = format!("{}:{:02}", beijing_time(ms), ms.div_euclid(1000).rem_euclid(60));
    let today = beijing_time(now);
    match (full.get(..10), today.get(..10), full.get(11..)) {
        (Some(day), Some(this_day), Some(time)) if day == this_day => time.to_owned(),
        _ => full,
    }
}

/// A protocol time and how far it is from `now`: "14:03:22 · 15 分钟前" / "14:03:22 · 15 min
/// ago", or "· 5 分钟后" / "· in 5 min" for a time still to come.
pub fn when(ms: Millis, now: Millis, lang: Lang) -> String {
    let at = local_time(ms, now);
    let seconds = (now - ms) as f64 / 1000.0;
    if seconds >= 0.0 {
        format!("{at} · {}", lang.ago(seconds))
    } else {
        match lang {
            Lang::Zh => format!("{at} · {}后", lang.span(-seconds)),
            Lang::En => format!("{at} · in {}", lang.span(-seconds)),
        }
    }
}

/// A length of time in its two largest units: "45 秒", "3 分 20 秒", "2 小时 5 分", "3 天" /
/// "45 s", "3 min 20 s", "2 h 5 min", "3 d".
pub fn duration(seconds: f64, lang: Lang) -> String {
    let s = if seconds.is_finite() { seconds.max(0.0).round() as u64 } else { 0 };
    let (big, big_unit, small, small_unit) = match s {
        0..60 => return format!("{s} {}", lang.tr("秒", "s")),
        60..3_600 => (s / 60, lang.tr("分", "min"), s % 60, lang.tr("秒", "s")),
        3_600..86_400 => (s / 3_600, lang.tr("小时", "h"), s % 3_600 / 60, lang.tr("分", "min")),
        _ => (s / 86_400, lang.tr("天", "d"), s % 86_400 / 3_600, lang.tr("小时", "h")),
    };
    match (small, lang) {
        // "3 分钟", not "3 分", when the minutes stand alone.
        (0, Lang::Zh) if big_unit == "分" => format!("{big} 分钟"),
        (0, _) => format!("{big} {big_unit}"),
        _ => format!("{big} {big_unit} {small} {small_unit}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Names

/// How a kind of entity is called: in each language, and in the other spellings a name may
/// begin with (the protocol's id such as "water_level", a longer Chinese form such as "巡逻警车").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindWords<'a> {
    pub zh: Cow<'a, str>,
    pub en: Cow<'a, str>,
    pub also: [&'a str; 2],
}

impl<'a> KindWords<'a> {
    fn of(zh: &'a str, en: &'a str, also: [&'a str; 2]) -> Self {
        Self { zh: Cow::Borrowed(zh), en: Cow::Borrowed(en), also }
    }

    /// The kind in the wall's language.
    pub fn word(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// The spelling of the kind `name` begins with, and the rest of the name after it.
    fn lead<'n>(&self, name: &'n str) -> Option<(&'n str, &'n str)> {
        [&*self.zh, &*self.en, self.also[0], self.also[1]]
            .into_iter()
            .filter(|w| !w.is_empty())
            .find_map(|w| leading(name, w))
    }
}

/// `name` split after a leading `word` that ends where a word ends (the end, a space, a digit or
/// an ASCII sign other than `_`): "无人机 055" → ("无人机", " 055"). ASCII words match in any case.
fn leading<'n>(name: &'n str, word: &str) -> Option<(&'n str, &'n str)> {
    let head = name.get(..word.len())?;
    let same = if word.is_ascii() { head.eq_ignore_ascii_case(word) } else { head == word };
    if !same {
        return None;
    }
    let rest = &name[word.len()..];
    let ends = match rest.chars().next() {
        None => true,
        Some(c) => c.is_whitespace() || c.is_ascii_digit() || (c.is_ascii_punctuation() && c != '_') || c == '·',
    };
    ends.then_some((head, rest))
}

/// `word` in front of the rest of a name, a space between them.
fn reword(word: &str, rest: &str) -> String {
    let trimmed = rest.trim_start();
    if trimmed.is_empty() {
        word.to_owned()
    } else if trimmed.len() != rest.len() || trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{word} {trimmed}")
    } else {
        format!("{word}{rest}")
    }
}

/// A name as the wall shows it: a kind word it begins with is said in the wall's language, so
/// "无人机 055" reads "drone 055" in English and "water_level 073" reads "水位 073" in Chinese; a
/// Chinese name keeps its own Chinese spelling ("巡逻警车 001"); a name without a kind word is
/// shown as it is.
pub fn display_name(words: &KindWords, name: &str, lang: Lang) -> String {
    let Some((said, rest)) = words.lead(name) else { return name.to_owned() };
    let keep = match lang {
        Lang::Zh => !said.is_ascii(),
        Lang::En => said.eq_ignore_ascii_case(&words.en),
    };
    if keep { name.to_owned() } else { reword(words.word(lang), rest) }
}

/// The kind and the name on one line, the kind said once: "无人机 055" (never "无人机 无人机
/// 055"), "drone 055" in English, "消防车 城东中队" for a name that does not say its kind, and
/// "深圳市人民医院" as it is (the name says 医院).
pub fn kind_and_name(words: &KindWords, name: &str, lang: Lang) -> String {
    if words.lead(name).is_some() {
        return display_name(words, name, lang);
    }
    let word = words.word(lang);
    let says_it = match lang {
        Lang::Zh => name.contains(word),
        Lang::En => name.to_lowercase().contains(&word.to_lowercase()),
    };
    if word.is_empty() || says_it {
        name.to_owned()
    } else if name.trim().is_empty() {
        word.to_owned()
    } else {
        format!("{word} {name}")
    }
}

pub fn unit_words(k: UnitKind) -> KindWords<'static> {
    let (id, alias) = match k {
        UnitKind::PoliceCar => ("police_car", "巡逻警车"),
        UnitKind::FireEngine => ("fire_engine", ""),
        UnitKind::Ambulance => ("ambulance", ""),
        UnitKind::GridWorker => ("grid_worker", ""),
        UnitKind::Volunteer => ("volunteer", ""),
        UnitKind::Drone => ("drone", ""),
    };
    KindWords::of(k.label_zh(), k.label_en(), [id, alias])
}

pub fn facility_words(k: FacilityKind) -> KindWords<'static> {
    let id = match k {
        FacilityKind::Hospital => "hospital",
        FacilityKind::FireStation => "fire_station",
        FacilityKind::PoliceStation => "police_station",
        FacilityKind::Shelter => "shelter",
        FacilityKind::School => "school",
        FacilityKind::Hydrant => "hydrant",
        FacilityKind::Pharmacy => "pharmacy",
        // What the simulator calls an unnamed facility of another kind.
        FacilityKind::Other => "设施",
    };
    KindWords::of(facility(k, Lang::Zh), facility(k, Lang::En), [id, ""])
}

/// The sensor kinds the platform knows: the protocol's id, Chinese, English.
const SENSOR_KINDS: [(&str, &str, &str); 5] = [
    ("water_level", "水位", "water level"),
    ("smoke", "烟感", "smoke"),
    ("gas", "燃气", "gas"),
    ("noise", "噪声", "noise"),
    ("air_quality", "空气质量", "air quality"),
];

/// A sensor kind's words; another kind is called by its id (underscores as spaces in English).
pub fn sensor_words(kind: &str) -> KindWords<'_> {
    match SENSOR_KINDS.iter().find(|(id, _, _)| *id == kind) {
        Some(&(id, zh, en)) => KindWords::of(zh, en, [id, ""]),
        None => KindWords { zh: Cow::Borrowed(kind), en: Cow::Owned(kind.replace('_', " ")), also: [kind, ""] },
    }
}

pub fn camera_words() -> KindWords<'static> {
    KindWords::of("视频监控", "camera", ["摄像机", ""])
}

pub fn depot_words() -> KindWords<'static> {
    KindWords::of("应急物资储备点", "supply depot", ["物资储备点", ""])
}

pub fn area_words(l: AreaLevel) -> KindWords<'static> {
    KindWords::of(area_level(l, Lang::Zh), area_level(l, Lang::En), ["", ""])
}

/// A sensor kind in the wall's language: "水位" / "water level", never "water_level".
pub fn sensor_kind(kind: &str, lang: Lang) -> String {
    sensor_words(kind).word(lang).to_owned()
}

/// A unit's name as the wall shows it ("无人机 055" / "drone 055").
pub fn unit_name(k: UnitKind, name: &str, lang: Lang) -> String {
    display_name(&unit_words(k), name, lang)
}

/// A unit's kind and name, the kind once ("消防车 城东中队", "无人机 055" / "drone 055").
pub fn unit_label(k: UnitKind, name: &str, lang: Lang) -> String {
    kind_and_name(&unit_words(k), name, lang)
}

pub fn facility_name(k: FacilityKind, name: &str, lang: Lang) -> String {
    display_name(&facility_words(k), name, lang)
}

/// A facility's kind and name, the kind once ("学校 262" / "school 262").
pub fn facility_label(k: FacilityKind, name: &str, lang: Lang) -> String {
    kind_and_name(&facility_words(k), name, lang)
}

pub fn sensor_name(kind: &str, name: &str, lang: Lang) -> String {
    display_name(&sensor_words(kind), name, lang)
}

/// A sensor's kind and name, the kind once ("水位 073" / "water level 073").
pub fn sensor_label(kind: &str, name: &str, lang: Lang) -> String {
    kind_and_name(&sensor_words(kind), name, lang)
}

pub fn camera_name(name: &str, lang: Lang) -> String {
    display_name(&camera_words(), name, lang)
}

pub fn depot_name(name: &str, lang: Lang) -> String {
    display_name(&depot_words(), name, lang)
}

/// A name of an entity of this kind when only its kind of entity is known (a search hit): the
/// first kind word of that family it begins with is said in the wall's language.
pub fn entity_name(kind: EntityKind, name: &str, lang: Lang) -> String {
    const FACILITIES: [FacilityKind; 8] = [
        FacilityKind::Hospital,
        FacilityKind::FireStation,
        FacilityKind::PoliceStation,
        FacilityKind::Shelter,
        FacilityKind::School,
        FacilityKind::Hydrant,
        FacilityKind::Pharmacy,
        FacilityKind::Other,
    ];
    const LEVELS: [AreaLevel; 5] =
        [AreaLevel::City, AreaLevel::District, AreaLevel::Street, AreaLevel::Community, AreaLevel::Grid];
    let family: Vec<KindWords> = match kind {
        EntityKind::Unit => UnitKind::ALL.into_iter().map(unit_words).collect(),
        EntityKind::Facility => FACILITIES.into_iter().map(facility_words).collect(),
        EntityKind::Sensor => SENSOR_KINDS.iter().map(|&(id, _, _)| sensor_words(id)).collect(),
        EntityKind::Camera => vec![camera_words()],
        EntityKind::SupplyDepot => vec![depot_words()],
        EntityKind::Area => LEVELS.into_iter().map(area_words).collect(),
        EntityKind::Incident => Vec::new(),
    };
    match family.iter().find(|w| w.lead(name).is_some()) {
        Some(words) => display_name(words, name, lang),
        None => name.to_owned(),
    }
}

/// The first full-width (Chinese) punctuation mark in `text`, for the tests that English text
/// has none.
pub fn full_width(text: &str) -> Option<char> {
    text.chars().find(|c| "：（），；。、！？【】《》“”".contains(*c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_says_its_kind_once_and_in_the_walls_language() {
        use Lang::{En, Zh};
        assert_eq!(unit_label(UnitKind::Drone, "无人机 055", Zh), "无人机 055");
        assert_eq!(unit_label(UnitKind::Drone, "无人机 055", En), "drone 055");
        assert_eq!(unit_name(UnitKind::Drone, "无人机 055", En), "drone 055");
        assert_eq!(unit_label(UnitKind::PoliceCar, "巡逻警车 001", Zh), "巡逻警车 001");
        assert_eq!(unit_label(UnitKind::PoliceCar, "巡逻警车 001", En), "police car 001");
        assert_eq!(unit_label(UnitKind::FireEngine, "城东中队", Zh), "消防车 城东中队");
        assert_eq!(unit_label(UnitKind::FireEngine, "城东中队", En), "fire engine 城东中队");
        assert_eq!(facility_label(FacilityKind::School, "学校 262", Zh), "学校 262");
        assert_eq!(facility_label(FacilityKind::School, "学校 262", En), "school 262");
        assert_eq!(facility_label(FacilityKind::Hospital, "深圳市人民医院", Zh), "深圳市人民医院");
        assert_eq!(facility_label(FacilityKind::Other, "设施 007", En), "facility 007");
        assert_eq!(sensor_label("water_level", "water_level 073", En), "water level 073");
        assert_eq!(sensor_label("water_level", "water_level 073", Zh), "水位 073");
        assert_eq!(sensor_name("gas", "gas 002", En), "gas 002");
        assert_eq!(sensor_kind("water_level", En), "water level");
        assert_eq!(sensor_kind("radiation_dose", En), "radiation dose");
        assert_eq!(camera_name("视频监控 0001", En), "camera 0001");
        assert_eq!(depot_name("应急物资储备点 01", En), "supply depot 01");
        assert_eq!(entity_name(EntityKind::Unit, "无人机 055", En), "drone 055");
        assert_eq!(entity_name(EntityKind::Sensor, "water_level 073", En), "water level 073");
        // 网格员 is a unit, not an area's 网格.
        assert_eq!(entity_name(EntityKind::Area, "网格员 004", En), "网格员 004");
        assert_eq!(entity_name(EntityKind::Area, "网格 12", En), "grid 12");
        // A word inside another word is not a kind word.
        assert_eq!(sensor_name("gas", "gasworks 1", Zh), "gasworks 1");
        assert_eq!(sensor_label("gas", "gasworks 1", Zh), "燃气 gasworks 1");
        for kind in UnitKind::ALL {
            let name = format!("{} 001", kind.label_zh());
            let shown = unit_label(kind, &name, En);
            assert!(!shown.contains(kind.label_zh()) && shown.ends_with(" 001"), "{shown}");
        }
    }

    #[test]
    fn times_read_as_local_clock_and_durations_in_two_units() {
        // 2025-03-01 06:03:22 UTC is 14:03:22 in Beijing.
        let t: Millis = 1_740_809_002_000;
        assert_eq!(local_time(t, t + 60_000), "14:03:22");
        assert_eq!(local_time(t, t + 86_400_000), "2025-03-01 14:03:22");
        assert_eq!(when(t, t + 15 * 60_000, Lang::Zh), "14:03:22 · 15 分钟前");
        assert_eq!(when(t, t + 15 * 60_000, Lang::En), "14:03:22 · 15 min ago");
        assert_eq!(when(t + 300_000, t, Lang::En), "14:08:22 · in 5 min");
        assert_eq!(duration(45.0, Lang::Zh), "45 秒");
        assert_eq!(duration(200.0, Lang::Zh), "3 分 20 秒");
        assert_eq!(duration(180.0, Lang::Zh), "3 分钟");
        assert_eq!(duration(180.0, Lang::En), "3 min");
        assert_eq!(duration(7_500.0, Lang::En), "2 h 5 min");
        assert_eq!(duration(3.0 * 86_400.0, Lang::En), "3 d");
        assert_eq!(compass(44.0, Lang::En), "NE");
        assert_eq!(compass(-10.0, Lang::Zh), "北");
    }

    #[test]
    fn whole_numbers_never_read_negative_zero() {
        assert_eq!(whole(-0.0), "0");
        assert_eq!(whole(-0.3), "0");
        assert_eq!(whole(0.0), "0");
        assert_eq!(whole(499.6), "500");
        assert_eq!(whole(-2.0), "-2");
        assert_eq!(whole(f64::NAN), "—");
    }
}
