//! The feed protocol's types, version 1 (docs/feed-protocol.md): what the backend sends and the
//! app reads. JSON over HTTP; a snapshot and every stream batch group entities by kind, so each
//! array decodes into one concrete type with no tag to look ahead for.

use serde::{Deserialize, Serialize};

/// The protocol name and version every snapshot carries.
pub const PROTOCOL: &str = "twinhall-feed/1";

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// The wall clock as protocol time (0 if the clock is before 1970).
pub fn now_ms() -> Millis {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as Millis).unwrap_or(0)
}

/// Defines an entity struct with the header every entity has: a stable id, a version that grows
/// with each change, the update time, and an optional time after which the data is stale.
macro_rules! entity {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            pub id: String,
            pub version: u64,
            pub updated_at: Millis,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub stale_after: Option<Millis>,
            $($(#[$fm])* pub $field: $ty,)*
        }

        impl EntityHeader for $name {
            fn id(&self) -> &str { &self.id }
            fn version(&self) -> u64 { self.version }
            fn stale_after(&self) -> Option<Millis> { self.stale_after }
            fn updated_at(&self) -> Millis { self.updated_at }
        }
    };
}

/// What every entity has.
pub trait EntityHeader {
    fn id(&self) -> &str;
    fn version(&self) -> u64;
    fn stale_after(&self) -> Option<Millis>;
    fn updated_at(&self) -> Millis;
}

/// An incident's lifecycle: 上报 → 受理 → 分拨 → 处置 → 反馈 → 审核 → 归档.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// 上报
    Reported,
    /// 受理
    Accepted,
    /// 分拨
    Assigned,
    /// 处置
    Handling,
    /// 反馈
    Feedback,
    /// 审核
    Review,
    /// 归档
    Archived,
}

impl IncidentStatus {
    pub const ALL: [Self; 7] =
        [Self::Reported, Self::Accepted, Self::Assigned, Self::Handling, Self::Feedback, Self::Review, Self::Archived];

    /// The next stage, `None` once archived.
    pub fn next(self) -> Option<Self> {
        Self::ALL.iter().position(|s| *s == self).and_then(|i| Self::ALL.get(i + 1)).copied()
    }

    /// Whether the lifecycle may go from `self` to `to`: one step forward, or back from review
    /// to handling when a review sends the case back.
    pub fn can_move_to(self, to: Self) -> bool {
        self.next() == Some(to) || (self == Self::Review && to == Self::Handling)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Reported => "上报",
            Self::Accepted => "受理",
            Self::Assigned => "分拨",
            Self::Handling => "处置",
            Self::Feedback => "反馈",
            Self::Review => "审核",
            Self::Archived => "归档",
        }
    }

    /// The status in English, as the wall shows it with `--lang en`.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Accepted => "accepted",
            Self::Assigned => "assigned",
            Self::Handling => "handling",
            Self::Feedback => "feedback",
            Self::Review => "review",
            Self::Archived => "archived",
        }
    }
}

/// Incident categories a Chinese city's platform sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentCategory {
    /// 矛盾纠纷
    Dispute,
    /// 治安
    PublicOrder,
    /// 消防
    Fire,
    /// 交通
    Traffic,
    /// 城市管理
    CityManagement,
    /// 环境
    Environment,
    /// 公共卫生
    PublicHealth,
    /// 安全生产
    WorkSafety,
    /// 其他
    Other,
}

impl IncidentCategory {
    /// Every category, in the protocol's order.
    pub const ALL: [Self; 9] = [
        Self::Dispute,
        Self::PublicOrder,
        Self::Fire,
        Self::Traffic,
        Self::CityManagement,
        Self::Environment,
        Self::PublicHealth,
        Self::WorkSafety,
        Self::Other,
    ];

    /// The category's name in the protocol (`dispute`, `public_order` ...).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dispute => "dispute",
            Self::PublicOrder => "public_order",
            Self::Fire => "fire",
            Self::Traffic => "traffic",
            Self::CityManagement => "city_management",
            Self::Environment => "environment",
            Self::PublicHealth => "public_health",
            Self::WorkSafety => "work_safety",
            Self::Other => "other",
        }
    }

    /// The category of a protocol name, `None` for another word.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The category's name in Chinese, as the wall shows it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Dispute => "矛盾纠纷",
            Self::PublicOrder => "治安",
            Self::Fire => "消防",
            Self::Traffic => "交通",
            Self::CityManagement => "城市管理",
            Self::Environment => "环境",
            Self::PublicHealth => "公共卫生",
            Self::WorkSafety => "安全生产",
            Self::Other => "其他",
        }
    }

    /// The category's name in English, as the wall shows it with `--lang en`.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Dispute => "dispute",
            Self::PublicOrder => "public order",
            Self::Fire => "fire",
            Self::Traffic => "traffic",
            Self::CityManagement => "city management",
            Self::Environment => "environment",
            Self::PublicHealth => "public health",
            Self::WorkSafety => "work safety",
            Self::Other => "other",
        }
    }
}

/// How an incident was reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportChannel {
    /// 12345 热线
    Hotline,
    /// 110 报警
    Police110,
    /// 网格员上报
    GridWorker,
    /// 视频智能发现
    VideoAnalytics,
    /// 感知设备告警
    Sensor,
    /// 群众 App / 小程序
    CitizenApp,
    /// 预警中枢: raised by the wall's early-warning rules (触觉中枢) and reported with
    /// `POST /v1/incidents`.
    EarlyWarning,
}

entity!(
    /// An event on the platform (一网联动).
    Incident {
        category: IncidentCategory,
        /// 1 (low) to 4 (most severe).
        severity: u8,
        status: IncidentStatus,
        channel: ReportChannel,
        title: String,
        #[serde(default)]
        description: String,
        lon: f64,
        lat: f64,
        #[serde(default)]
        address: String,
        #[serde(default)]
        district: String,
        #[serde(default)]
        grid_id: String,
        reported_at: Millis,
        #[serde(default)]
        assigned_units: Vec<String>,
        /// 流转记录: when each stage began, oldest first (the first is `reported` at
        /// `reported_at`); a review that sends the case back shows as another `handling` entry.
        /// Empty from a backend that does not keep it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stages: Vec<StageTime>,
    }
);

/// One entry of an incident's 流转记录: the stage it entered, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTime {
    pub status: IncidentStatus,
    pub at: Millis,
}

entity!(
    /// A CCTV camera; the id is a 20-digit GB/T 28181 device code.
    Camera {
        name: String,
        lon: f64,
        lat: f64,
        height_m: f32,
        /// Compass direction the camera faces, degrees clockwise from north.
        heading_deg: f32,
        fov_deg: f32,
        range_m: f32,
        online: bool,
        #[serde(default)]
        snapshot_url: String,
        /// May carry credentials: never log or show it unredacted.
        #[serde(default)]
        stream_url: String,
    }
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    Hospital,
    FireStation,
    PoliceStation,
    Shelter,
    School,
    Hydrant,
    Pharmacy,
    Other,
}

entity!(
    /// A fixed emergency or public facility.
    Facility {
        kind: FacilityKind,
        name: String,
        lon: f64,
        lat: f64,
        #[serde(default)]
        capacity: Option<u32>,
    }
);

/// One line of a depot's inventory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InventoryLine {
    pub item: String,
    pub quantity: f64,
    pub unit: String,
}

entity!(
    /// An emergency supply depot (应急物资储备点).
    SupplyDepot {
        name: String,
        lon: f64,
        lat: f64,
        inventory: Vec<InventoryLine>,
    }
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    PoliceCar,
    FireEngine,
    Ambulance,
    GridWorker,
    Volunteer,
    /// 无人机: flies straight at altitude (`Unit::altitude_m`) and carries a camera whose
    /// aerial still is at `Unit::snapshot_url`.
    Drone,
}

impl UnitKind {
    /// Every kind, in the protocol's order.
    pub const ALL: [UnitKind; 6] = [
        UnitKind::PoliceCar,
        UnitKind::FireEngine,
        UnitKind::Ambulance,
        UnitKind::GridWorker,
        UnitKind::Volunteer,
        UnitKind::Drone,
    ];

    /// The kind's name in Chinese (the one table the wall, the plans and reports use).
    pub fn label_zh(self) -> &'static str {
        match self {
            UnitKind::PoliceCar => "警车",
            UnitKind::FireEngine => "消防车",
            UnitKind::Ambulance => "救护车",
            UnitKind::GridWorker => "网格员",
            UnitKind::Volunteer => "志愿者",
            UnitKind::Drone => "无人机",
        }
    }

    /// The kind's name in English.
    pub fn label_en(self) -> &'static str {
        match self {
            UnitKind::PoliceCar => "police car",
            UnitKind::FireEngine => "fire engine",
            UnitKind::Ambulance => "ambulance",
            UnitKind::GridWorker => "grid worker",
            UnitKind::Volunteer => "volunteer",
            UnitKind::Drone => "drone",
        }
    }

    /// Moves on foot (slower than the road speeds routing assumes).
    pub fn walks(self) -> bool {
        matches!(self, UnitKind::GridWorker | UnitKind::Volunteer)
    }

    /// Flies straight to its target instead of following the roads.
    pub fn flies(self) -> bool {
        self == UnitKind::Drone
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// 待命
    Available,
    /// 巡逻
    Patrolling,
    /// 出动途中
    EnRoute,
    /// 到达现场
    OnScene,
    /// 返回
    Returning,
    /// 离线
    Offline,
}

entity!(
    /// A vehicle or a person on duty.
    Unit {
        kind: UnitKind,
        name: String,
        lon: f64,
        lat: f64,
        heading_deg: f32,
        speed_mps: f32,
        status: UnitStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        incident_id: Option<String>,
        /// Remaining route as [lon, lat] points, when driving to an incident.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        route: Vec<[f64; 2]>,
        /// Height above ground in metres, for units that fly (drones).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        altitude_m: Option<f32>,
        /// Where the unit's own camera still is (a drone's aerial view), as for cameras.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        snapshot_url: String,
    }
);

entity!(
    /// A sensor (water level, smoke, gas, noise, air quality ...).
    Sensor {
        kind: String,
        name: String,
        lon: f64,
        lat: f64,
        reading: f64,
        unit: String,
        threshold: f64,
        alarm: bool,
    }
);

/// Administrative levels, city down to grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    City,
    District,
    Street,
    Community,
    Grid,
}

entity!(
    /// A governance area with its polygon ([lon, lat] ring, first point not repeated).
    Area {
        level: AreaLevel,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent_id: Option<String>,
        ring: Vec<[f64; 2]>,
        population: u32,
        /// 0 to 100: the mean of `aspects` when it has any.
        governance_index: f32,
        /// The six aspects of the index for this area, each with its four-colour level (a grid's
        /// from its incidents, a parent's the population-weighted mean of its children's; the
        /// city's equal the governance index report). Empty from a backend that does not say.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        aspects: Vec<AspectScore>,
    }
);

/// The four-colour warning levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningLevel {
    Blue,
    Yellow,
    Orange,
    Red,
}

/// The six aspects of the governance index report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexAspect {
    /// 社会治理
    SocialGovernance,
    /// 城市管理
    CityManagement,
    /// 治安防控
    PublicSecurity,
    /// 法治建设
    RuleOfLaw,
    /// 公共服务
    PublicServices,
    /// 公共安全
    PublicSafety,
}

impl IndexAspect {
    /// The six aspects in the order the platform lists them.
    pub const ALL: [Self; 6] = [
        Self::SocialGovernance,
        Self::CityManagement,
        Self::PublicSecurity,
        Self::RuleOfLaw,
        Self::PublicServices,
        Self::PublicSafety,
    ];
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AspectScore {
    pub aspect: IndexAspect,
    pub score: f32,
    pub level: WarningLevel,
}

/// The city's governance index report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GovernanceIndex {
    pub updated_at: Millis,
    pub overall: f32,
    pub aspects: Vec<AspectScore>,
}

/// `GET /v1/index/history?since=MS&limit=N`: the governance index reports of `[since, until)`,
/// oldest first (each `updated_at` in the span). `since` is the asked-for time, raised to the
/// oldest sample the backend still holds; `until` is the backend's clock, or where the page
/// stops when `truncated` (more follow: ask again with `since` = `until`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexHistory {
    pub since: Millis,
    pub until: Millis,
    pub samples: Vec<GovernanceIndex>,
    #[serde(default)]
    pub truncated: bool,
}

/// Entities grouped by kind; used by snapshots and by batch upserts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Entities {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<Incident>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cameras: Vec<Camera>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub facilities: Vec<Facility>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supply_depots: Vec<SupplyDepot>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<Unit>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sensors: Vec<Sensor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub areas: Vec<Area>,
}

impl Entities {
    pub fn len(&self) -> usize {
        self.incidents.len()
            + self.cameras.len()
            + self.facilities.len()
            + self.supply_depots.len()
            + self.units.len()
            + self.sensors.len()
            + self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Entity kinds, for removals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Incident,
    Camera,
    Facility,
    SupplyDepot,
    Unit,
    Sensor,
    Area,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Removal {
    pub kind: EntityKind,
    pub id: String,
}

/// `GET /v1/snapshot`: the whole state at sequence `seq`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub protocol: String,
    /// The backend instance: it changes when the backend restarts and its sequence numbers start
    /// over, so a client that sees another epoch reloads the snapshot.
    #[serde(default)]
    pub epoch: u64,
    pub seq: u64,
    /// CRS of every position: `EPSG:4326` (default), `EPSG:4490` or `GCJ-02`.
    #[serde(default = "default_crs")]
    pub crs: String,
    pub generated_at: Millis,
    pub entities: Entities,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<GovernanceIndex>,
}

fn default_crs() -> String {
    "EPSG:4326".into()
}

/// One `event: batch` of the stream; the SSE `id:` is `seq`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub seq: u64,
    #[serde(default)]
    pub upserts: Entities,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removals: Vec<Removal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<GovernanceIndex>,
}

/// `event: heartbeat`, every second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub seq: u64,
    pub time: Millis,
    /// As in the snapshot; 0 from a backend that does not say.
    #[serde(default)]
    pub epoch: u64,
}

/// `event: reset`: the asked-for sequence is older than the history kept; reload the snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reset {
    pub oldest_seq: u64,
    pub seq: u64,
}

/// `POST /v1/dispatch` body (with an `Idempotency-Key` header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchRequest {
    pub incident_id: String,
    pub unit_ids: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Accepted,
    EnRoute,
    Arrived,
    Completed,
    Rejected,
}

/// A dispatch order, as `POST /v1/dispatch` and `GET /v1/orders/{id}` return it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchOrder {
    pub order_id: String,
    pub incident_id: String,
    pub unit_ids: Vec<String>,
    pub state: OrderState,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// The longest incident report title, in characters.
pub const MAX_REPORT_TITLE_CHARS: usize = 200;
/// The longest incident report description, in characters.
pub const MAX_REPORT_DESCRIPTION_CHARS: usize = 2000;
/// The longest `reported_by`, in characters.
pub const MAX_REPORTED_BY_CHARS: usize = 100;
/// The longest `source.alert_id` or `source.rule_id`, in characters.
pub const MAX_REPORT_SOURCE_ID_CHARS: usize = 200;

/// Where a reported incident comes from: the early-warning alert, and the rule that raised it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSource {
    pub alert_id: String,
    pub rule_id: String,
}

/// `POST /v1/incidents` body (with an `Idempotency-Key` header): an incident the wall reports to
/// the platform, such as an early-warning alert a duty officer turned into a case. The backend
/// answers with the [`Incident`] it made (status `reported`, channel `early_warning`), which
/// then goes through the lifecycle like any other. `lon`, `lat` are in the snapshot's `crs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentReport {
    pub category: IncidentCategory,
    /// 1 (low) to 4 (most severe).
    pub severity: u8,
    pub lon: f64,
    pub lat: f64,
    /// 1 to [`MAX_REPORT_TITLE_CHARS`] characters, not blank.
    pub title: String,
    /// At most [`MAX_REPORT_DESCRIPTION_CHARS`] characters.
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ReportSource>,
    /// Who reports it (the duty officer): 1 to [`MAX_REPORTED_BY_CHARS`] characters, not blank.
    pub reported_by: String,
}

/// Why an incident report is refused: the field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ReportError {
    /// As the JSON names it (`severity`, `lon`, `source.rule_id` ...).
    pub field: &'static str,
    pub problem: String,
}

impl ReportError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self { field, problem: problem.into() }
    }
}

impl IncidentReport {
    /// Checks what can be checked without the city: severity 1-4, a finite position on the
    /// globe, a title, the lengths above and a complete source. Whether the position is in the
    /// city is the backend's to check (`Simulation::prepare_report` does).
    pub fn check(&self) -> Result<(), ReportError> {
        if !(1..=4).contains(&self.severity) {
            return Err(ReportError::new("severity", format!("{} is outside 1-4", self.severity)));
        }
        for (field, v, range) in [("lon", self.lon, 180.0), ("lat", self.lat, 90.0)] {
            if !v.is_finite() {
                return Err(ReportError::new(field, "not a finite number"));
            }
            if v.abs() > range {
                return Err(ReportError::new(field, format!("{v} is outside -{range} to {range}")));
            }
        }
        text_field("title", &self.title, MAX_REPORT_TITLE_CHARS, true)?;
        text_field("description", &self.description, MAX_REPORT_DESCRIPTION_CHARS, false)?;
        text_field("reported_by", &self.reported_by, MAX_REPORTED_BY_CHARS, true)?;
        if let Some(source) = &self.source {
            text_field("source.alert_id", &source.alert_id, MAX_REPORT_SOURCE_ID_CHARS, true)?;
            text_field("source.rule_id", &source.rule_id, MAX_REPORT_SOURCE_ID_CHARS, true)?;
        }
        Ok(())
    }
}

/// At most `max` characters (not bytes: Chinese text is three bytes a character), and not blank
/// when `required`.
fn text_field(field: &'static str, text: &str, max: usize, required: bool) -> Result<(), ReportError> {
    let chars = text.chars().count();
    if chars > max {
        return Err(ReportError::new(field, format!("{chars} characters; at most {max} are allowed")));
    }
    if required && text.trim().is_empty() {
        return Err(ReportError::new(field, "empty"));
    }
    Ok(())
}

/// One incident of the past, as `GET /v1/incidents/history` lists it: where and when it was
/// reported and, once archived, when it was closed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryIncident {
    pub id: String,
    pub category: IncidentCategory,
    /// 1 (low) to 4 (most severe).
    pub severity: u8,
    pub lon: f64,
    pub lat: f64,
    /// The grid area (`level` grid) it lies in; empty when none.
    #[serde(default)]
    pub grid_id: String,
    #[serde(default)]
    pub district: String,
    pub reported_at: Millis,
    /// When it reached `archived`; absent while it is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Millis>,
}

/// `GET /v1/incidents/history?since=MS&limit=N`: every incident reported in `[since, until)`,
/// oldest first. `since` is the asked-for time, raised to the oldest the backend still holds
/// (so the span is complete); `until` is the backend's clock, or where the page stops when
/// `truncated` (more follow: ask again with `since` = `until`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IncidentHistory {
    pub since: Millis,
    pub until: Millis,
    pub incidents: Vec<HistoryIncident>,
    #[serde(default)]
    pub truncated: bool,
}

/// Whether `id` is a well-formed 20-digit GB/T 28181 device code: 8-digit administrative
/// division (centre) code, 2-digit industry code, 3-digit type code, 1-digit network flag and a
/// 6-digit serial. Cameras use type codes 131 (camera) and 132 (IP camera).
pub fn is_gb28181_camera_id(id: &str) -> bool {
    id.len() == 20 && id.bytes().all(|b| b.is_ascii_digit()) && matches!(&id[10..13], "131" | "132")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> Unit {
        Unit {
            id: "U-0001".into(),
            version: 3,
            updated_at: 1_764_300_000_000,
            stale_after: Some(1_764_300_010_000),
            kind: UnitKind::FireEngine,
            name: "特勤一站 1 号车".into(),
            lon: 24.94,
            lat: 60.17,
            heading_deg: 90.0,
            speed_mps: 11.0,
            status: UnitStatus::EnRoute,
            incident_id: Some("I-7".into()),
            route: vec![[24.94, 60.17], [24.95, 60.171]],
            altitude_m: None,
            snapshot_url: String::new(),
        }
    }

    #[test]
    fn batches_round_trip_and_read_as_the_protocol_document_writes_them() {
        let batch = Batch {
            seq: 42,
            upserts: Entities { units: vec![unit()], ..Default::default() },
            removals: vec![Removal { kind: EntityKind::Incident, id: "I-1".into() }],
            index: None,
        };
        let text = serde_json::to_string(&batch).expect("serialise");
        assert_eq!(serde_json::from_str::<Batch>(&text).expect("parse"), batch);
        // The examples in docs/feed-protocol.md, as written there.
        let examples = doc_examples();
        let snapshot: Snapshot =
            serde_json::from_str(example(&examples, "GET /v1/snapshot", 0)).expect("the snapshot example parses");
        assert_eq!(snapshot.protocol, PROTOCOL);
        let b: Batch = serde_json::from_str(example(&examples, "GET /v1/stream", 0)).expect("the batch example parses");
        assert_eq!(b.upserts.units[0].status, UnitStatus::EnRoute);
        assert_eq!(b.upserts.len(), 1);
        assert_eq!(b.removals[0].kind, EntityKind::Incident);
    }

    /// The ```json blocks of docs/feed-protocol.md, each with the `### ` heading it is under.
    fn doc_examples() -> Vec<(&'static str, &'static str)> {
        let doc = include_str!("../../../../docs/feed-protocol.md");
        let mut out = Vec::new();
        for section in doc.split("\n### ").skip(1) {
            let heading = section.lines().next().unwrap_or_default().trim_matches('`');
            for block in section.split("```json").skip(1).filter_map(|b| b.split("```").next()) {
                out.push((heading, block));
            }
        }
        out
    }

    /// The `n`th example under the heading that starts with `call`.
    fn example(examples: &[(&'static str, &'static str)], call: &str, n: usize) -> &'static str {
        let under: Vec<&str> = examples.iter().filter(|(h, _)| h.starts_with(call)).map(|(_, b)| *b).collect();
        under.get(n).copied().unwrap_or_else(|| panic!("no example #{n} under `{call}` in docs/feed-protocol.md"))
    }

    #[test]
    fn every_example_of_the_protocol_document_is_read_here() {
        let parsed = [("GET /v1/snapshot", 1), ("GET /v1/stream", 1), ("POST /v1/incidents", 2)];
        for (heading, _) in doc_examples() {
            assert!(
                parsed.iter().any(|(call, _)| heading.starts_with(call)),
                "the example under `{heading}` in docs/feed-protocol.md is parsed by no test: add it here"
            );
        }
        for (call, n) in parsed {
            let found = doc_examples().iter().filter(|(h, _)| h.starts_with(call)).count();
            assert_eq!(found, n, "examples under `{call}`");
        }
    }

    #[test]
    fn the_incident_report_example_reads_and_checks_and_its_answer_is_an_incident() {
        let examples = doc_examples();
        let report: IncidentReport =
            serde_json::from_str(example(&examples, "POST /v1/incidents", 0)).expect("the report example parses");
        assert_eq!(report.check(), Ok(()));
        assert_eq!(report.category, IncidentCategory::Environment);
        assert_eq!(report.source.as_ref().map(|s| s.rule_id.as_str()), Some("water-level-high"));
        let answer: Incident =
            serde_json::from_str(example(&examples, "POST /v1/incidents", 1)).expect("the answer example parses");
        assert_eq!((answer.status, answer.channel), (IncidentStatus::Reported, ReportChannel::EarlyWarning));
        assert_eq!((answer.title.as_str(), answer.severity), (report.title.as_str(), report.severity));
        // The source is optional, the description may be left out.
        let bare: IncidentReport = serde_json::from_str(
            r#"{"category":"fire","severity":4,"lon":24.94,"lat":60.17,"title":"火情","reported_by":"王"}"#,
        )
        .expect("parses");
        assert_eq!((bare.source, bare.description.as_str()), (None, ""));
    }

    #[test]
    fn a_report_out_of_its_limits_is_refused_naming_the_field() {
        let good = IncidentReport {
            category: IncidentCategory::Fire,
            severity: 3,
            lon: 24.94,
            lat: 60.17,
            title: "烟感告警".into(),
            description: String::new(),
            source: Some(ReportSource { alert_id: "17".into(), rule_id: "smoke-high".into() }),
            reported_by: "值班员 王".into(),
        };
        assert_eq!(good.check(), Ok(()));
        let field = |r: IncidentReport| r.check().expect_err("refused").field;
        assert_eq!(field(IncidentReport { severity: 0, ..good.clone() }), "severity");
        assert_eq!(field(IncidentReport { severity: 5, ..good.clone() }), "severity");
        assert_eq!(field(IncidentReport { lon: f64::NAN, ..good.clone() }), "lon");
        assert_eq!(field(IncidentReport { lat: f64::INFINITY, ..good.clone() }), "lat");
        assert_eq!(field(IncidentReport { lat: 90.5, ..good.clone() }), "lat");
        assert_eq!(field(IncidentReport { lon: -180.1, ..good.clone() }), "lon");
        assert_eq!(field(IncidentReport { title: "  ".into(), ..good.clone() }), "title");
        assert_eq!(field(IncidentReport { reported_by: String::new(), ..good.clone() }), "reported_by");
        let no_rule = Some(ReportSource { alert_id: "17".into(), rule_id: String::new() });
        assert_eq!(field(IncidentReport { source: no_rule, ..good.clone() }), "source.rule_id");
        // Characters, not bytes: 200 Chinese characters are 600 bytes and allowed.
        let at_limit = "火".repeat(MAX_REPORT_TITLE_CHARS);
        assert_eq!(IncidentReport { title: at_limit.clone(), ..good.clone() }.check(), Ok(()));
        let e = IncidentReport { title: format!("{at_limit}火"), ..good.clone() }.check().expect_err("long");
        assert_eq!(e.to_string(), "title: 201 characters; at most 200 are allowed");
        let long = "字".repeat(MAX_REPORT_DESCRIPTION_CHARS + 1);
        assert_eq!(field(IncidentReport { description: long, ..good }), "description");
    }

    #[test]
    fn malformed_messages_are_errors_not_panics() {
        for bad in [r#"{"seq":"x"}"#, r#"{"seq":1,"upserts":{"units":[{"id":"U"}]}}"#, "[", ""] {
            assert!(serde_json::from_str::<Batch>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lifecycle_moves_one_step_or_back_from_review() {
        use IncidentStatus::*;
        assert_eq!(Reported.next(), Some(Accepted));
        assert_eq!(Archived.next(), None);
        assert!(Handling.can_move_to(Feedback));
        assert!(Review.can_move_to(Handling));
        assert!(!Reported.can_move_to(Handling));
        assert_eq!(Assigned.label_zh(), "分拨");
    }

    #[test]
    fn category_names_are_the_protocol_names_and_history_reads_as_written() {
        for c in IncidentCategory::ALL {
            assert_eq!(serde_json::to_string(&c).expect("serialise"), format!("\"{}\"", c.name()));
            assert_eq!(IncidentCategory::from_name(c.name()), Some(c));
            assert!(!c.label_zh().is_empty() && !c.label_en().is_empty());
        }
        assert_eq!(IncidentCategory::from_name("Dispute"), None);
        assert_eq!(IncidentCategory::Dispute.label_zh(), "矛盾纠纷");
        let text = r#"{"since":1,"until":9,"incidents":[{"id":"H-0000001","category":"traffic","severity":2,
            "lon":24.9,"lat":60.1,"grid_id":"A4-3","district":"区 1","reported_at":5,"closed_at":7},
            {"id":"I-000001","category":"fire","severity":4,"lon":24.9,"lat":60.1,"reported_at":8}]}"#;
        let h: IncidentHistory = serde_json::from_str(text).expect("parses");
        assert_eq!((h.since, h.until, h.truncated, h.incidents.len()), (1, 9, false, 2));
        assert_eq!((h.incidents[0].closed_at, h.incidents[1].closed_at), (Some(7), None));
        assert_eq!(h.incidents[1].grid_id, "");
        let again: IncidentHistory =
            serde_json::from_str(&serde_json::to_string(&h).expect("serialise")).expect("round trip");
        assert_eq!(again, h);
        assert!(!serde_json::to_string(&h.incidents[1]).expect("serialise").contains("closed_at"));
    }

    #[test]
    fn camera_ids_follow_gb28181() {
        assert!(is_gb28181_camera_id("44030500001310000001"));
        assert!(is_gb28181_camera_id("11010200001320001234"));
        assert!(!is_gb28181_camera_id("4403050000131000000"));
        assert!(!is_gb28181_camera_id("44030500001180000001"));
        assert!(!is_gb28181_camera_id("4403050000131000000x"));
    }
}
