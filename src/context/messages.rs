//! What features tell each other: focus an incident, fly the camera, drive the briefing, and
//! what the user pointed at.

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::config::Bookmark;
use twinhall_core::protocol::EntityKind;

/// Focus an incident: fly to it, draw its ring, compute its surroundings.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct FocusIncident(pub String);

/// Ask the camera to fly somewhere.
#[derive(Message, Clone, Debug)]
pub struct FlyTo {
    pub lonlat: LonLat,
    pub altitude_m: f32,
    pub distance_m: f32,
    pub pitch_deg: f32,
    pub heading_deg: f32,
}

impl From<&Bookmark> for FlyTo {
    fn from(b: &Bookmark) -> Self {
        Self {
            lonlat: LonLat::new(b.lon, b.lat),
            altitude_m: b.altitude_m,
            distance_m: b.distance_m,
            pitch_deg: b.pitch_deg,
            heading_deg: b.heading_deg,
        }
    }
}

/// What the presenter (keys, panel, control API) asks.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum TheatreCommand {
    /// Start a briefing (by theme id) at a step (0-based).
    Start {
        theme: String,
        step: usize,
    },
    Next,
    Prev,
    Goto(usize),
    Stop,
    /// Autoplay on or off.
    ToggleAutoplay,
    /// Side panel hidden or shown (the wall then shows only the presentation).
    TogglePanel,
}

/// An entity of the feed, by kind and id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FeedRef {
    pub kind: EntityKind,
    pub id: String,
}

/// What the user pointed at: hovered, selected (detail panel), and the cameras covering a point
/// that was right-clicked.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Selection {
    pub hovered: Option<FeedRef>,
    pub selected: Option<FeedRef>,
    pub near_here: Option<NearHere>,
}

/// "Cameras near here": the point and the cameras whose view covers it, nearest first.
#[derive(Debug, Clone, PartialEq)]
pub struct NearHere {
    pub at: LonLat,
    pub cameras: Vec<(String, f64)>,
}

pub(super) fn plugin(app: &mut App) {
    app.add_message::<FocusIncident>()
        .add_message::<FlyTo>()
        .add_message::<TheatreCommand>()
        .init_resource::<Selection>();
}
