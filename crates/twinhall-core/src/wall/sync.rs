//! What the leader of a wall of several machines sends its followers: one message per frame of
//! the TCP stream (see `twinhall-client`'s `sync`).

use serde::{Deserialize, Serialize};

/// What goes from the leader of a wall of several machines to each follower, one
/// length-delimited JSON message per frame of the TCP stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum SyncMessage {
    /// A follower's first message: the shared secret, and which tile it shows (for the log).
    Hello { token: String, tile: String },
    /// The leader's whole feed state, first thing after a follower joins (and whenever the
    /// leader itself reloaded one).
    Snapshot(Box<crate::protocol::Snapshot>),
    /// A batch the leader applied, in the order it applied them.
    Batch(Box<crate::protocol::Batch>),
    /// The incident history the leader loaded for the defence hub's baselines and heat map
    /// (a follower asks no backend of its own).
    History(Box<crate::protocol::IncidentHistory>),
    /// The governance index's history the leader loaded for the heartbeat hub's trend (and the
    /// theatre's charts of it).
    IndexHistory(Box<crate::protocol::IndexHistory>),
    /// The moment the leader renders, sent every frame after the data it needs.
    Frame(Box<SyncFrame>),
}

/// One frame of the leader: what its followers render.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncFrame {
    /// The leader's frame number.
    pub frame: u64,
    /// The leader's clock when it sent the frame, ms since the Unix epoch.
    pub sent_ms: i64,
    /// The leader's animation clock for this frame (Bevy's `Time`, seconds): followers draw
    /// pulses, flows and moving units at this moment, not at their own.
    pub clock_s: f64,
    /// The orbit camera: focus (scene x, y, z), distance (m), pitch and heading (radians).
    pub camera: [f32; 6],
    /// The selected entity: kind and id.
    pub selected: Option<(crate::protocol::EntityKind, String)>,
    /// The action hub's incident in focus, and the radius of its surroundings (m).
    pub focused: Option<(String, f64)>,
    /// The briefing playing: theme id and step (from 0).
    pub theatre: Option<(String, usize)>,
    /// Every layer, as the leader shows them.
    pub layers: crate::layers::Layers,
    /// What else the console changed on the map's look: the choropleth's aspect and drill-down,
    /// the heat map's category, window and bandwidth, the map's style.
    #[serde(default)]
    pub view: SyncView,
    /// The feed's sequence number the leader has applied (0 before its first snapshot).
    pub feed_seq: u64,
    /// The leader's labels when they changed (and now and then): followers whose canvas is the
    /// leader's view paint these rather than lay out their own, so that every tile shows the
    /// same ones (the declutter keeps what it showed before, and each machine's past differs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<SyncLabels>,
    /// The tactile hub's open alerts when they changed (and to a follower that just joined):
    /// followers draw these and evaluate no rules of their own, so an alert the duty officer
    /// closes on the leader's console leaves every tile at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<crate::rules::Alert>>,
}

/// The map's look beyond its layers, as the leader's console set it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncView {
    /// The aspect of the index the areas are coloured by (the overall index when none).
    pub aspect: Option<crate::protocol::IndexAspect>,
    /// The drilled-down area whose descendants are coloured (all areas when none).
    pub within: Option<String>,
    /// The heat map's category (all when none), window (hours) and kernel bandwidth (m).
    pub heat_category: Option<crate::protocol::IncidentCategory>,
    pub heat_window_h: u32,
    pub heat_bandwidth_m: f64,
    /// The map's style: day (else night), buildings coloured by type (else by height).
    pub day: bool,
    pub color_by_type: bool,
}

/// Labels as the leader laid them out, on its view.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncLabels {
    /// The view they were laid out on (logical px): the canvas, when the leader shows it whole.
    pub view: [f32; 2],
    pub font_px: f32,
    /// Box (min x, min y, max x, max y), text, kind.
    pub labels: Vec<([f32; 4], String, crate::protocol::EntityKind)>,
    /// Cluster counts: where, and the count's text.
    pub badges: Vec<([f32; 2], String)>,
}
