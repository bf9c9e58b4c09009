//! Names of the feed's enums on screen, Chinese first.

use twinhall_core::config::Lang;
use twinhall_core::protocol::{
    AreaLevel, EntityKind, FacilityKind, IncidentCategory, IncidentStatus, ReportChannel, UnitKind, UnitStatus,
    WarningLevel,
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

#[cfg(test)]
mod tests {
    use super::*;

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
