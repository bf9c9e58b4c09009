//! What the API asks of the wall and what the wall answers: the requests, their JSON bodies and
//! their checks, and the replies.

use bevy::image::Image;
use serde::Deserialize;
use tokio::sync::oneshot;

/// A command from the API to the wall.
#[derive(Debug)]
pub enum Request {
    State,
    Search {
        q: String,
        limit: usize,
    },
    Fly(FlyBody),
    /// `None` clears the selection.
    Select {
        incident_id: Option<String>,
    },
    /// Layers to switch on (`true`) or off, as a briefing's step names them; none only reads them.
    Layers(twinhall_core::theatre::Layers),
    TheatreState,
    Theatre(TheatreBody),
    Screenshot,
    /// The wall's preset; `Some` switches to another.
    Wall(Option<WallBody>),
    /// Write the index briefing (指数简报) as the panel's button does; answered once written.
    Brief,
}

/// The wall's answer.
pub enum Reply {
    Json(u16, serde_json::Value),
    Error(u16, String),
    /// The window's picture, encoded to PNG by the server.
    Image(Box<Image>),
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Json(s, v) => write!(f, "Json({s}, {v})"),
            Reply::Error(s, m) => write!(f, "Error({s}, {m})"),
            Reply::Image(i) => write!(f, "Image({}x{})", i.width(), i.height()),
        }
    }
}

/// One command and where its answer goes.
#[derive(Debug)]
pub struct Call {
    pub request: Request,
    pub reply: oneshot::Sender<Reply>,
}

/// `POST /v1/fly`: a place (`lon`, `lat`, optional `altitude_m`) or an entity of the feed by id
/// (`entity`), with optional view distance, pitch and heading.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlyBody {
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub altitude_m: Option<f32>,
    pub entity: Option<String>,
    pub distance_m: Option<f32>,
    pub pitch_deg: Option<f32>,
    pub heading_deg: Option<f32>,
}

impl FlyBody {
    /// What can be said without the city: one target, numbers in range.
    pub fn check(&self) -> Result<(), String> {
        match (&self.entity, self.lon, self.lat) {
            (Some(_), None, None) => {}
            (None, Some(lon), Some(lat)) => {
                if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                    return Err(format!("lon must be -180..=180, got {lon}"));
                }
                if !(lat.is_finite() && (-85.0..=85.0).contains(&lat)) {
                    // A longitude where the latitude goes: most likely the two the other way round.
                    let swapped = lat.is_finite() && (-180.0..=180.0).contains(&lat) && (-85.0..=85.0).contains(&lon);
                    let hint = if swapped { " (lon and lat the other way round?)" } else { "" };
                    return Err(format!("lat must be -85..=85, got {lat}{hint}"));
                }
            }
            (Some(_), _, _) => return Err("give either `entity` or `lon` and `lat`, not both".into()),
            (None, None, None) => return Err("give `lon` and `lat`, or `entity` (an id of the feed)".into()),
            (None, _, _) => return Err("give both `lon` and `lat`".into()),
        }
        if let Some(a) = self.altitude_m
            && !(a.is_finite() && (-500.0..=9000.0).contains(&a))
        {
            return Err(format!("altitude_m must be -500..=9000, got {a}"));
        }
        if let Some(d) = self.distance_m
            && !(d.is_finite() && (20.0..=200_000.0).contains(&d))
        {
            return Err(format!("distance_m must be 20..=200000, got {d}"));
        }
        if let Some(p) = self.pitch_deg
            && !(p.is_finite() && (5.0..=89.0).contains(&p))
        {
            return Err(format!("pitch_deg must be 5..=89, got {p}"));
        }
        if let Some(h) = self.heading_deg
            && !h.is_finite()
        {
            return Err(format!("heading_deg must be a number of degrees, got {h}"));
        }
        Ok(())
    }
}

/// `POST /v1/wall`: the wall's preset for its viewing distance (`desk`, `room`, `hall`, `far`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallBody {
    pub preset: String,
}

/// `POST /v1/theatre`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheatreBody {
    pub action: TheatreAction,
    /// The theme id, for `start` (`public_safety`; `twinhall check-scenes` lists them).
    pub theme: Option<String>,
    /// A step from 1, for `start` (default 1) and `goto`.
    pub step: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TheatreAction {
    Start,
    Next,
    Prev,
    Goto,
    Stop,
    /// Autoplay on or off.
    Autoplay,
}

#[cfg(test)]
mod body_tests {
    use super::FlyBody;

    #[test]
    fn a_fly_body_names_what_is_wrong() {
        let ok = FlyBody { lon: Some(24.94), lat: Some(60.17), ..FlyBody::default() };
        assert_eq!(ok.check(), Ok(()));
        let entity = FlyBody { entity: Some("I-0001".into()), ..FlyBody::default() };
        assert_eq!(entity.check(), Ok(()));
        for (b, needle) in [
            (FlyBody::default(), "give `lon` and `lat`"),
            (FlyBody { lon: Some(24.9), ..FlyBody::default() }, "both"),
            (FlyBody { lon: Some(200.0), lat: Some(60.0), ..FlyBody::default() }, "lon must be"),
            (FlyBody { lon: Some(f64::NAN), lat: Some(60.0), ..FlyBody::default() }, "lon must be"),
            (FlyBody { lon: Some(24.0), lat: Some(89.0), ..FlyBody::default() }, "lat must be"),
            (FlyBody { lon: Some(22.54), lat: Some(114.06), ..FlyBody::default() }, "the other way round"),
            (FlyBody { entity: Some("x".into()), lon: Some(1.0), lat: Some(1.0), ..FlyBody::default() }, "not both"),
            (FlyBody { distance_m: Some(1.0), ..ok.clone() }, "distance_m"),
            (FlyBody { pitch_deg: Some(95.0), ..ok.clone() }, "pitch_deg"),
            (FlyBody { altitude_m: Some(1e6), ..ok.clone() }, "altitude_m"),
        ] {
            let e = b.check().expect_err("refused");
            assert!(e.contains(needle), "{b:?}: {e}");
        }
    }
}
