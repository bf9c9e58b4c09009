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
    }
);

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
        /// 0 to 100.
        governance_index: f32,
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
        let doc = include_str!("../../../../docs/feed-protocol.md");
        let blocks: Vec<&str> = doc.split("```json").skip(1).filter_map(|b| b.split("```").next()).collect();
        assert_eq!(blocks.len(), 2, "the document has a snapshot and a batch example");
        let snapshot: Snapshot = serde_json::from_str(blocks[0]).expect("the snapshot example parses");
        assert_eq!(snapshot.protocol, PROTOCOL);
        let b: Batch = serde_json::from_str(blocks[1]).expect("the batch example parses");
        assert_eq!(b.upserts.units[0].status, UnitStatus::EnRoute);
        assert_eq!(b.upserts.len(), 1);
        assert_eq!(b.removals[0].kind, EntityKind::Incident);
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
    fn camera_ids_follow_gb28181() {
        assert!(is_gb28181_camera_id("44030500001310000001"));
        assert!(is_gb28181_camera_id("11010200001320001234"));
        assert!(!is_gb28181_camera_id("4403050000131000000"));
        assert!(!is_gb28181_camera_id("44030500001180000001"));
        assert!(!is_gb28181_camera_id("4403050000131000000x"));
    }
}
