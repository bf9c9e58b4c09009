//! The wall's side of the control API: takes a few commands a frame from the server's channel
//! and answers each from the world. A theatre command is answered after the theatre applied it
//! (end of the frame), a screenshot when the frame is captured.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::PrimaryWindow;
use crossbeam_channel::Receiver;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use twinhall_core::LonLat;
use twinhall_core::overlay::search;
use twinhall_core::protocol::EntityKind;
use twinhall_core::theatre::Layers;

use super::{Call, FlyBody, Pulse, Reply, Request, TheatreAction, TheatreBody};
use crate::camera::Flight;
use crate::context::{
    AppSystems, City, DefenceView, FeedRef, FlyTo, FocusIncident, LayerVisibility, OrbitCamera, OverlayLayers,
    Selection, Settings, TheatreCommand,
};
use crate::feed::{FeedData, FeedStatus};
use crate::heartbeat::{ExportRequest, ExportStatus};
use crate::hub::HubState;
use crate::theatre::{Library, Theatre};

/// Commands taken a frame at most; the rest wait for the next.
const PER_FRAME: usize = 16;
/// How far beyond the city's buildings and roads a fly-to may go, metres.
const REACH_M: f64 = 20_000.0;

/// The running API's channel and pulse.
#[derive(Resource)]
pub struct ControlInbox {
    pub addr: std::net::SocketAddr,
    calls: Receiver<Call>,
    pulse: Arc<Pulse>,
    started: std::time::Instant,
}

impl From<super::Running> for ControlInbox {
    fn from(r: super::Running) -> Self {
        Self { addr: r.addr, calls: r.calls, pulse: r.pulse, started: r.started }
    }
}

/// An answer that is not ready when the command is taken: asked at the end of each frame
/// until it gives one (the server stops waiting after its timeout).
type Later = Box<dyn FnMut(&World) -> Option<Reply> + Send + Sync>;

/// Answers that wait for the end of the frame (or longer).
#[derive(Resource, Default)]
struct Deferred(Vec<(oneshot::Sender<Reply>, Later)>);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Deferred>()
        .add_systems(Startup, start_server)
        .add_systems(Update, take_calls.in_set(AppSystems::Commands))
        .add_systems(Last, (answer_deferred, count_frame));
}

fn start_server(mut commands: Commands, settings: Res<Settings>) {
    let control = &settings.config.control;
    let addr = match control.addr() {
        Ok(Some(addr)) => addr,
        Ok(None) => return,
        Err(e) => return error!("control API off: control.listen: {e}"),
    };
    match super::start(addr, control.token.clone()) {
        Ok(running) => {
            info!(
                "control API listening on http://{}{}",
                running.addr,
                if control.token.is_empty() { " (no token: loopback only)" } else { " (token required)" }
            );
            commands.insert_resource(ControlInbox::from(running));
        }
        // The wall runs on without remote control; the log says why.
        Err(e) => error!("{e}; the wall runs without its control API"),
    }
}

fn count_frame(inbox: Option<Res<ControlInbox>>) {
    if let Some(inbox) = inbox {
        inbox.pulse.frames.fetch_add(1, Ordering::Relaxed);
        inbox.pulse.last_ms.store(inbox.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

fn take_calls(world: &mut World) {
    let Some(inbox) = world.get_resource::<ControlInbox>() else { return };
    let calls: Vec<Call> = inbox.calls.try_iter().take(PER_FRAME).collect();
    for call in calls {
        handle(world, call);
    }
}

fn answer_deferred(world: &mut World) {
    let waiting = std::mem::take(&mut world.resource_mut::<Deferred>().0);
    let mut still = Vec::new();
    for (reply, mut answer) in waiting {
        if reply.is_closed() {
            continue;
        }
        match answer(world) {
            Some(a) => {
                let _ = reply.send(a);
            }
            None => still.push((reply, answer)),
        }
    }
    world.resource_mut::<Deferred>().0.extend(still);
}

fn handle(world: &mut World, Call { request, reply }: Call) {
    let answer = match request {
        Request::State => state(world),
        Request::Search { q, limit } => search_feed(world, &q, limit),
        Request::Fly(body) => fly(world, &body),
        Request::Select { incident_id } => select(world, incident_id),
        Request::Layers(l) => layers(world, &l),
        Request::TheatreState => Reply::Json(200, theatre_json(world)),
        Request::Theatre(body) => match theatre(world, &body) {
            Ok(()) => {
                world.resource_mut::<Deferred>().0.push((reply, Box::new(|w| Some(Reply::Json(200, theatre_json(w))))));
                return;
            }
            Err(e) => e,
        },
        Request::Brief => {
            let path = std::path::PathBuf::from(format!("briefs/brief-{}.html", twinhall_core::protocol::now_ms()));
            if let Some(mut status) = world.get_resource_mut::<ExportStatus>() {
                status.done = None;
            } else {
                let _ = reply.send(Reply::Error(503, "the heartbeat hub is not running".into()));
                return;
            }
            // The panel's button sends the same message: one path for both.
            world.write_message(ExportRequest { path: Some(path.clone()) });
            let later: Later = Box::new(move |w| {
                let (done, result) = w.get_resource::<ExportStatus>()?.done.as_ref()?;
                (*done == path).then(|| match result {
                    Ok(()) => {
                        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                        let shown = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                        Reply::Json(200, json!({ "written": shown.display().to_string(), "bytes": bytes }))
                    }
                    Err(e) => Reply::Error(500, format!("the briefing was not written: {e}")),
                })
            });
            world.resource_mut::<Deferred>().0.push((reply, later));
            return;
        }
        Request::Wall(body) => wall(world, body),
        Request::Screenshot => {
            let mut reply = Some(reply);
            // The wall's picture when there is one, else the one window's.
            let shot = match world.get_resource::<crate::context::Wall>().map(|w| w.window) {
                // A wall window closed by hand has no picture to give: say so now rather than
                // leave the client waiting for the server's timeout.
                Some(window) if world.get::<Window>(window).is_none() => {
                    let _ = reply.take().map(|r| r.send(Reply::Error(409, "the wall window is closed".into())));
                    return;
                }
                Some(window) => Screenshot::window(window),
                None if world.query_filtered::<(), With<PrimaryWindow>>().iter(world).next().is_none() => {
                    let _ = reply.take().map(|r| r.send(Reply::Error(409, "the app has no window".into())));
                    return;
                }
                None => Screenshot::primary_window(),
            };
            world.spawn(shot).observe(move |captured: On<ScreenshotCaptured>| {
                if let Some(reply) = reply.take() {
                    let _ = reply.send(Reply::Image(Box::new(captured.image.clone())));
                }
            });
            return;
        }
    };
    let _ = reply.send(answer);
}

fn not_found(message: String) -> Reply {
    Reply::Error(404, message)
}

/// Scene point to lon/lat.
fn lonlat_of(city: &City, focus: Vec3) -> LonLat {
    city.model.frame.to_lonlat([f64::from(focus.x), -f64::from(focus.z)])
}

fn view_json(world: &mut World) -> Value {
    let Some(city) = world.get_resource::<City>().cloned() else { return Value::Null };
    let mut q = world.query::<(&OrbitCamera, Option<&Flight>)>();
    let Some((orbit, flight)) = q.iter(world).next() else { return Value::Null };
    let ll = lonlat_of(&city, orbit.focus);
    json!({
        "lon": degrees_ll(ll.lon), "lat": degrees_ll(ll.lat), "altitude_m": metres(orbit.focus.y),
        "distance_m": metres(orbit.distance_m),
        "pitch_deg": angle(orbit.pitch.to_degrees()),
        "heading_deg": heading(orbit.heading.to_degrees()),
        "flying": flight.is_some(),
    })
}

/// A number as the API echoes it: to `decimals` places, and never -0.0, so that f32 noise
/// (a pitch of 60.000003814697266) and a heading of -0.0 stay out of the answers.
fn rounded(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    let r = (x * scale).round() / scale;
    if r == 0.0 { 0.0 } else { r }
}

/// A longitude or latitude, to 1e-6 degrees (about 0.1 m).
fn degrees_ll(x: f64) -> f64 {
    rounded(x, 6)
}

/// A distance or height, to 0.1 m.
fn metres(x: f32) -> f64 {
    rounded(f64::from(x), 1)
}

/// An angle, to 0.01 degrees.
fn angle(x: f32) -> f64 {
    rounded(f64::from(x), 2)
}

/// A compass heading, to 0.01 degrees in 0..360.
fn heading(x: f32) -> f64 {
    let h = angle(x).rem_euclid(360.0);
    if h == 0.0 { 0.0 } else { h }
}

fn layers_json(world: &World) -> Value {
    let mut out = Map::new();
    if let Some(l) = world.get_resource::<OverlayLayers>() {
        for (k, v) in [
            ("incidents", l.incidents),
            ("units", l.units),
            ("cameras", l.cameras),
            ("cones", l.cones),
            ("facilities", l.facilities),
            ("depots", l.depots),
            ("sensors", l.sensors),
            ("areas", l.areas),
            ("labels", l.labels),
        ] {
            out.insert(k.into(), v.into());
        }
        out.insert("area_level".into(), serde_json::to_value(l.area_level).unwrap_or(Value::Null));
    }
    if let Some(c) = world.get_resource::<LayerVisibility>() {
        for (k, v) in [
            ("buildings", c.buildings),
            ("roads", c.roads),
            ("railways", c.railways),
            ("water", c.water),
            ("green", c.green),
        ] {
            out.insert(k.into(), v.into());
        }
    }
    if let Some(d) = world.get_resource::<DefenceView>() {
        out.insert("heat".into(), d.heat.into());
        out.insert("key_grids".into(), d.key_grids.into());
    }
    Value::Object(out)
}

fn theatre_json(world: &World) -> Value {
    let themes: Vec<Value> = world
        .get_resource::<Library>()
        .map(|l| {
            l.entries
                .iter()
                .map(|e| {
                    json!({
                        "id": e.briefing.theme.id, "title_zh": e.briefing.theme.title.zh,
                        "title_en": e.briefing.theme.title.en, "steps": e.briefing.steps.len(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let playing = world.get_resource::<Theatre>().and_then(|t| t.playing.as_ref()).map(|p| {
        let step = p.current();
        json!({
            "theme": p.briefing.theme.id,
            "title_zh": p.briefing.theme.title.zh,
            "title_en": p.briefing.theme.title.en,
            "step": p.step + 1,
            "steps": p.briefing.steps.len(),
            "step_title_zh": step.title.zh,
            "step_title_en": step.title.en,
            "autoplay": p.autoplay,
            "entered": p.entered.is_some(),
        })
    });
    json!({ "playing": playing, "themes": themes })
}

fn wall_json(world: &World) -> serde_json::Value {
    let presets: Vec<_> = twinhall_core::wall::PRESETS.iter().map(|p| p.id).collect();
    match world.get_resource::<crate::context::Wall>() {
        Some(wall) => json!({ "enabled": true, "preset": wall.preset, "presets": presets }),
        None => json!({ "enabled": false, "presets": presets }),
    }
}

/// `GET`/`POST /v1/wall`: the preset, or another one (the config's overrides of scale and
/// margin are kept on top of it).
fn wall(world: &mut World, body: Option<super::WallBody>) -> Reply {
    if let Some(body) = body {
        let Some(settings) = world.get_resource::<Settings>() else {
            return Reply::Error(500, "no settings".into());
        };
        let config = twinhall_core::wall::WallConfig { preset: body.preset.clone(), ..settings.config.wall.clone() };
        let preset = match config.resolved() {
            Ok(p) => p,
            Err(m) => return Reply::Error(422, format!("preset: {m}")),
        };
        let Some(mut wall) = world.get_resource_mut::<crate::context::Wall>() else {
            return Reply::Error(409, "there is no wall: start twinhall with --wall".into());
        };
        if wall.preset != preset {
            wall.preset = preset;
        }
    }
    Reply::Json(200, wall_json(world))
}

fn state(world: &mut World) -> Reply {
    let view = view_json(world);
    let selection = world
        .get_resource::<Selection>()
        .and_then(|s| s.selected.clone())
        .map(|r| json!({ "kind": format!("{:?}", r.kind).to_lowercase(), "id": r.id }));
    let focused = world.get_resource::<HubState>().and_then(|h| h.focused.clone());
    let feed = world.get_resource::<FeedData>().map(|d| {
        let status = world.get_resource::<FeedStatus>();
        json!({
            "state": status.map(|s| format!("{:?}", s.state)),
            "target": status.map(|s| s.target.clone()),
            "embedded": status.map(|s| s.embedded),
            "synced": d.synced,
            "seq": d.seq,
            "counts": {
                "incidents": d.incidents.len(), "units": d.units.len(), "cameras": d.cameras.len(),
                "facilities": d.facilities.len(), "supply_depots": d.supply_depots.len(),
                "sensors": d.sensors.len(), "areas": d.areas.len(),
            },
        })
    });
    let city = world.get_resource::<City>().map(|c| {
        let lang = world.get_resource::<Settings>().map(|s| s.lang()).unwrap_or_default();
        let configured = world.get_resource::<Settings>().map(|s| s.config.city.name.clone()).unwrap_or_default();
        json!({ "name": c.display_name(lang, &configured), "buildings": c.model.buildings.len() })
    });
    Reply::Json(
        200,
        json!({
            "view": view,
            "selection": selection,
            "focused_incident": focused,
            "theatre": theatre_json(world),
            "layers": layers_json(world),
            "feed": feed,
            "city": city,
            "wall": wall_json(world),
        }),
    )
}

fn search_feed(world: &World, q: &str, limit: usize) -> Reply {
    let Some(data) = world.get_resource::<FeedData>() else { return Reply::Error(503, "no feed yet".into()) };
    // Two numbers are a place, read against the city: latitude first when only that lands in it.
    let place = world.get_resource::<City>().and_then(|city| {
        let city = CityBox::new(city);
        search::place(q, |ll| city.outside_m(ll) <= REACH_M)
    });
    if let Some(p) = place {
        let hit = json!({
            "kind": "place", "lon": degrees_ll(p.lonlat.lon), "lat": degrees_ll(p.lonlat.lat),
            "swapped": p.swapped, "in_city": p.in_city, "note": p.note(twinhall_core::lang::Lang::En),
        });
        return Reply::Json(200, json!({ "q": q, "hits": [hit] }));
    }
    let hits: Vec<Value> = match search::parse(q) {
        search::Query::Text(t) => search::search(data, &t, limit)
            .into_iter()
            .map(|h| {
                json!({
                    "kind": format!("{:?}", h.kind).to_lowercase(), "id": h.id, "name": h.name,
                    "lon": h.lon, "lat": h.lat,
                })
            })
            .collect(),
        search::Query::LonLat(ll) => vec![json!({ "kind": "place", "lon": ll.lon, "lat": ll.lat })],
        search::Query::Empty => Vec::new(),
    };
    Reply::Json(200, json!({ "q": q, "hits": hits }))
}

/// The box of the city's buildings and roads in its local frame (the origin for a city with
/// neither), to tell how far a point lies outside it.
struct CityBox<'a> {
    city: &'a City,
    /// Worked out when first asked (it walks every building and road).
    bounds: std::cell::OnceCell<([f64; 2], [f64; 2])>,
}

impl<'a> CityBox<'a> {
    fn new(city: &'a City) -> Self {
        Self { city, bounds: std::cell::OnceCell::new() }
    }

    /// Metres from the box to the point, 0 inside it.
    fn outside_m(&self, ll: LonLat) -> f64 {
        let (min, max) = *self.bounds.get_or_init(|| {
            let b = self.city.model.bounds();
            if b.min[0].is_finite() { (b.min, b.max) } else { ([0.0; 2], [0.0; 2]) }
        });
        let p = self.city.model.frame.to_local(ll);
        let dx = (min[0] - p[0]).max(p[0] - max[0]).max(0.0);
        let dy = (min[1] - p[1]).max(p[1] - max[1]).max(0.0);
        dx.hypot(dy)
    }
}

/// The feed entity with exactly this id (any kind).
fn entity_at(data: &FeedData, id: &str) -> Option<search::Hit> {
    search::search(data, &id.to_lowercase(), 16).into_iter().find(|h| h.rank == 0)
}

fn fly(world: &mut World, body: &FlyBody) -> Reply {
    let current = {
        let mut q = world.query::<&OrbitCamera>();
        q.iter(world).next().copied()
    };
    let (Some(city), Some(settings)) = (world.get_resource::<City>(), world.get_resource::<Settings>()) else {
        return Reply::Error(503, "the city is not loaded yet".into());
    };
    let (lonlat, entity) = match &body.entity {
        Some(id) => {
            let Some(data) = world.get_resource::<FeedData>() else {
                return Reply::Error(503, "no feed yet".into());
            };
            match entity_at(data, id) {
                Some(h) => (LonLat::new(h.lon, h.lat), Some(FeedRef { kind: h.kind, id: h.id })),
                None => return not_found(format!("no entity with id `{id}` in the feed")),
            }
        }
        None => {
            let ll = LonLat::new(body.lon.unwrap_or_default(), body.lat.unwrap_or_default());
            let city_box = CityBox::new(city);
            let off = city_box.outside_m(ll);
            if off > REACH_M {
                // Latitude and longitude given the other way round is the usual slip: say so.
                let swapped = LonLat::new(ll.lat, ll.lon);
                let hint = if swapped.is_valid() && city_box.outside_m(swapped) <= REACH_M {
                    format!(
                        "; the other way round it is in the city: {{\"lon\": {}, \"lat\": {}}}",
                        swapped.lon, swapped.lat
                    )
                } else {
                    String::new()
                };
                return Reply::Error(
                    422,
                    format!(
                        "[{}, {}] is {:.0} km outside the city on the wall ({}); fly within {:.0} km of it{hint}",
                        ll.lon,
                        ll.lat,
                        off / 1000.0,
                        city.display_name(settings.lang(), &settings.config.city.name),
                        REACH_M / 1000.0
                    ),
                );
            }
            (ll, None)
        }
    };
    let default_distance = if entity.is_some() { 500.0 } else { current.map_or(1500.0, |c| c.distance_m) };
    let to = FlyTo {
        lonlat,
        altitude_m: body.altitude_m.unwrap_or(0.0),
        distance_m: body.distance_m.unwrap_or(default_distance),
        pitch_deg: body.pitch_deg.unwrap_or(if entity.is_some() {
            50.0
        } else {
            current.map_or(45.0, |c| c.pitch.to_degrees())
        }),
        heading_deg: body.heading_deg.unwrap_or(current.map_or(0.0, |c| c.heading.to_degrees())).rem_euclid(360.0),
    };
    let seconds = settings.config.camera.fly_seconds;
    let answer = json!({
        "flying_to": {
            "lon": degrees_ll(to.lonlat.lon), "lat": degrees_ll(to.lonlat.lat), "altitude_m": metres(to.altitude_m),
            "distance_m": metres(to.distance_m), "pitch_deg": angle(to.pitch_deg),
            "heading_deg": heading(to.heading_deg),
        },
        "seconds": rounded(f64::from(seconds), 2),
        "entity": entity.as_ref().map(|e| json!({ "kind": format!("{:?}", e.kind).to_lowercase(), "id": e.id })),
    });
    if let Some(e) = entity
        && let Some(mut selection) = world.get_resource_mut::<Selection>()
    {
        selection.selected = Some(e);
    }
    world.write_message(to);
    Reply::Json(200, answer)
}

fn select(world: &mut World, incident_id: Option<String>) -> Reply {
    let Some(id) = incident_id else {
        if let Some(mut s) = world.get_resource_mut::<Selection>() {
            s.selected = None;
        }
        if let Some(mut h) = world.get_resource_mut::<HubState>() {
            h.focused = None;
        }
        return Reply::Json(200, json!({ "selected": null }));
    };
    let Some(data) = world.get_resource::<FeedData>() else { return Reply::Error(503, "no feed yet".into()) };
    let Some(i) = data.incidents.get(&id) else {
        return not_found(format!("no incident `{id}` in the feed ({} incidents there)", data.incidents.len()));
    };
    let answer = json!({
        "selected": {
            "id": i.id, "title": i.title, "category": i.category.name(), "severity": i.severity,
            "status": format!("{:?}", i.status).to_lowercase(), "lon": i.lon, "lat": i.lat,
        }
    });
    if let Some(mut s) = world.get_resource_mut::<Selection>() {
        s.selected = Some(FeedRef { kind: EntityKind::Incident, id: id.clone() });
    }
    // The action hub focuses it: surroundings, ranked units, and the flight there.
    world.write_message(FocusIncident(id));
    Reply::Json(200, answer)
}

/// Switches what the body names, through the same switch a briefing's step uses (the body is
/// a briefing's `layers`, checked field by field by the server).
fn layers(world: &mut World, l: &Layers) -> Reply {
    crate::context::switch_layers(world, l);
    Reply::Json(200, layers_json(world))
}

fn theatre(world: &mut World, body: &TheatreBody) -> Result<(), Reply> {
    // The steps of the playing briefing, or why a presenter's command has nothing to act on.
    let playing = world
        .get_resource::<Theatre>()
        .and_then(|t| t.playing.as_ref())
        .map(|p| p.briefing.steps.len())
        .ok_or_else(|| Reply::Error(409, "no briefing is playing; start one first".into()));
    let command = match body.action {
        TheatreAction::Start => {
            let Some(theme) = body.theme.as_deref() else {
                return Err(Reply::Error(422, "start: name a `theme` (its id, e.g. public_safety)".into()));
            };
            let Some(library) = world.get_resource::<Library>() else {
                return Err(Reply::Error(503, "the briefings are not read yet".into()));
            };
            let Some(entry) = library.get(theme) else {
                let ids: Vec<&str> = library.entries.iter().map(|e| e.briefing.theme.id.as_str()).collect();
                return Err(not_found(format!("no briefing `{theme}`; the themes are {}", ids.join(", "))));
            };
            let steps = entry.briefing.steps.len();
            let step = body.step.unwrap_or(1);
            if step == 0 || step > steps {
                return Err(Reply::Error(422, format!("step must be 1..={steps} for `{theme}`, got {step}")));
            }
            TheatreCommand::Start { theme: theme.to_owned(), step: step - 1 }
        }
        TheatreAction::Next => playing.map(|_| TheatreCommand::Next)?,
        TheatreAction::Prev => playing.map(|_| TheatreCommand::Prev)?,
        TheatreAction::Stop => playing.map(|_| TheatreCommand::Stop)?,
        TheatreAction::Autoplay => playing.map(|_| TheatreCommand::ToggleAutoplay)?,
        TheatreAction::Goto => {
            let steps = playing?;
            match body.step {
                Some(s) if (1..=steps).contains(&s) => TheatreCommand::Goto(s - 1),
                other => {
                    let given = other.map_or_else(|| "none".to_owned(), |s| s.to_string());
                    return Err(Reply::Error(422, format!("goto: step must be 1..={steps}, got {given}")));
                }
            }
        }
    };
    world.write_message(command);
    Ok(())
}
