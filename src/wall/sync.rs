//! A wall of several machines, kept in step: the leader (`--lead ADDR`) sends every frame its
//! camera, selection, briefing step and layers, after the feed's batches it applied that frame;
//! a follower (`--leader ADDR`) takes its feed from the leader alone and renders the leader's
//! moment on its tile. A follower whose leader goes silent keeps the last frame, says so in a
//! small corner of its tile, and rejoins by itself when the leader is back (from a new snapshot).
//! The tactile hub's open alerts go with the frame when they change: a follower draws the
//! leader's and evaluates no rules of its own.

use std::time::{Duration, Instant};

use bevy::diagnostic::FrameCount;
use bevy::prelude::*;
use bevy_egui::egui;
use crossbeam_channel::bounded;
use twinhall_client::sync::{FollowEvent, SyncClient, SyncServer, encode};
use twinhall_core::config::Lang;
use twinhall_core::config::{ColorBy, StyleMode};
use twinhall_core::protocol::now_ms;
use twinhall_core::rules::{Alert, AlertBook};
use twinhall_core::wall::{SyncFrame, SyncLabels, SyncMessage, SyncView};

use crate::camera::Flight;
use crate::city::MapStyle;
use crate::context::{
    AppSystems, AreaChoropleth, DefenceView, FeedRef, LabelSource, MapPass, OrbitCamera, OverlayView, Selection,
    Settings, TheatreCommand, WallRole,
};
use crate::feed::{
    FeedApplied, FeedData, FeedForward, FeedLink, FeedStatus, HistoryRelay, LoadedHistories, RelaySenders,
};
use crate::hub::HubState;
use crate::overlays::{Label, LabelLayout};
use crate::tactile::Tactile;
use crate::theatre::{Theatre, Tour};

/// A follower with no frame for this long (or four times the longest of the leader's last eight
/// frame times, when it renders slower than that) says its leader is silent.
pub const SILENT_AFTER: Duration = Duration::from_secs(2);

/// The leader's end of the wall's link.
#[derive(Resource)]
pub struct Lead {
    pub server: SyncServer,
    /// What the leader loaded besides the feed (the incident and index histories), encoded:
    /// sent to every follower when it arrives, and to each that joins later.
    extras: Vec<Extra>,
    /// The labels last sent.
    labels: Option<SyncLabels>,
    /// The open alerts last sent.
    alerts: Option<Vec<Alert>>,
}

struct Extra {
    kind: &'static str,
    msg: twinhall_client::sync::Message,
    sent: bool,
}

impl Lead {
    /// Something loaded once that followers need too, replacing the last of its kind.
    pub fn keep(&mut self, kind: &'static str, msg: &SyncMessage) {
        self.extras.retain(|e| e.kind != kind);
        self.extras.push(Extra { kind, msg: encode(msg), sent: false });
    }
}

/// A follower's end: the link, and the last frame the leader sent.
#[derive(Resource)]
pub struct Follow {
    client: SyncClient,
    pub leader: String,
    pub connected: bool,
    pub last: Option<Box<SyncFrame>>,
    /// When the last frame came.
    pub at: Option<Instant>,
    /// The leader's frame last applied here.
    applied: Option<u64>,
    /// The leader's labels, last sent.
    labels: Option<SyncLabels>,
    /// The leader's open alerts, come and not yet put in this machine's book.
    alerts: Option<Vec<Alert>>,
    /// The last times between the leader's frames, newest last (at most eight).
    gaps: std::collections::VecDeque<Duration>,
    /// Where the leader's incident and index histories go on to the feed's [`HistoryRelay`],
    /// which the defence hub and the index trend ask.
    relay: RelaySenders,
}

impl Follow {
    /// Something to show: a frame from the leader and its feed's first snapshot.
    pub fn ready(&self, data: &FeedData) -> bool {
        self.last.is_some() && data.synced
    }

    /// The leader's silence, when there is one to show.
    pub fn silence(&self) -> Option<Duration> {
        let after = SILENT_AFTER.max(self.gaps.iter().max().copied().unwrap_or_default() * 4);
        match self.at {
            _ if !self.connected => Some(self.at.map_or(Duration::ZERO, |t| t.elapsed())),
            Some(t) if t.elapsed() > after => Some(t.elapsed()),
            None => Some(Duration::ZERO),
            _ => None,
        }
    }

    /// The corner note while the leader is silent.
    pub fn note(&self, lang: Lang) -> Option<String> {
        let silent = self.silence()?;
        Some(match (&self.last, self.connected) {
            (None, _) => format!("{} {}", lang.tr("等待主控", "waiting for the leader"), self.leader),
            (Some(f), _) => format!(
                "{} {} {} · {} #{}",
                lang.tr("主控", "leader silent"),
                silent.as_secs(),
                lang.tr("秒无画面", "s"),
                lang.tr("保持最后一帧", "holding frame"),
                f.frame
            ),
        })
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, (start_lead, start_follow))
        .add_systems(First, follow_clock.run_if(resource_exists::<Follow>).after(bevy::time::TimeSystems))
        .add_systems(Last, lead_frame.run_if(resource_exists::<Lead>))
        .add_systems(
            Update,
            follow_frame
                .run_if(resource_exists::<Follow>)
                .in_set(AppSystems::Camera)
                .after(crate::camera::OrbitSystems),
        )
        .add_systems(MapPass, silence_note.run_if(resource_exists::<Follow>));
}

fn start_lead(mut commands: Commands, settings: Res<Settings>) {
    let wall = &settings.config.wall;
    let addr = match wall.lead_addr() {
        Ok(Some(a)) => a,
        Ok(None) => return,
        Err(m) => {
            error!("wall.lead: {m}; not leading");
            return;
        }
    };
    match SyncServer::start(addr, wall.sync_token.clone()) {
        Ok(server) => {
            commands.insert_resource(FeedForward::default());
            commands.insert_resource(Lead { server, extras: Vec::new(), labels: None, alerts: None });
            commands.insert_resource(WallRole::Lead);
        }
        // The wall goes on alone: its followers keep waiting, each saying so.
        Err(e) => error!("wall.lead: cannot listen on {addr}: {e}; this wall runs without its followers"),
    }
}

fn start_follow(mut commands: Commands, settings: Res<Settings>, mut status: ResMut<FeedStatus>) {
    let wall = &settings.config.wall;
    if !wall.follows() {
        return;
    }
    let leader = wall.leader.trim().to_owned();
    let (tx, events) = bounded(64);
    let (relay, senders) = HistoryRelay::new();
    commands.insert_resource(relay);
    commands.insert_resource(WallRole::Follow);
    let client = SyncClient::start(leader.clone(), wall.sync_token.clone(), wall.tile.trim().to_owned(), tx);
    commands.insert_resource(FeedLink { events, client: None });
    let lang = settings.lang();
    status.target = format!("{} {leader}", lang.tr("主控", "leader"));
    status.embedded = false;
    commands.insert_resource(Follow {
        client,
        leader,
        connected: false,
        last: None,
        at: None,
        applied: None,
        labels: None,
        alerts: None,
        gaps: Default::default(),
        relay: senders,
    });
}

/// The leader's frame as its followers need it.
fn frame_now(world: &mut World, labels: Option<SyncLabels>, alerts: Option<Vec<Alert>>) -> Option<SyncFrame> {
    let mut q = world.query::<&OrbitCamera>();
    let o = *q.iter(world).next()?;
    let selected = world.get_resource::<Selection>().and_then(|s| s.selected.clone()).map(|r| (r.kind, r.id));
    let theatre =
        world.get_resource::<Theatre>().and_then(|t| t.playing.as_ref().map(|p| (p.briefing.theme.id.clone(), p.step)));
    let focused = world.get_resource::<HubState>().and_then(|h| h.focused.clone().map(|id| (id, h.radius_m)));
    Some(SyncFrame {
        frame: u64::from(world.get_resource::<FrameCount>().map_or(0, |f| f.0)),
        sent_ms: now_ms(),
        clock_s: world.get_resource::<Time>().map_or(0.0, |t| t.elapsed_secs_f64()),
        camera: [o.focus.x, o.focus.y, o.focus.z, o.distance_m, o.pitch, o.heading],
        selected,
        focused,
        theatre,
        layers: crate::context::layers_now(world),
        view: view_now(world),
        feed_seq: world.get_resource::<FeedData>().map_or(0, |d| d.seq),
        labels,
        alerts,
    })
}

/// The map's look beyond its layers, as this console set it.
fn view_now(world: &World) -> SyncView {
    let mut v = SyncView::default();
    if let Some(c) = world.get_resource::<AreaChoropleth>() {
        (v.aspect, v.within) = (c.aspect, c.within.clone());
    }
    if let Some(d) = world.get_resource::<DefenceView>() {
        (v.heat_category, v.heat_window_h, v.heat_bandwidth_m) = (d.category, d.window_h, d.bandwidth_m);
    }
    if let Some(s) = world.get_resource::<MapStyle>() {
        (v.day, v.color_by_type) = (s.mode == StyleMode::Day, s.color_by == ColorBy::Type);
    }
    v
}

/// A follower takes its leader's look: each resource touched only on a real change.
fn apply_view(world: &mut World, v: &SyncView) {
    if let Some(mut c) = world.get_resource_mut::<AreaChoropleth>() {
        c.set_if_neq(AreaChoropleth { aspect: v.aspect, within: v.within.clone() });
    }
    // A leader that sends no view (an older one) leaves the heat map as it is.
    if v.heat_window_h > 0
        && let Some(mut d) = world.get_resource_mut::<DefenceView>()
    {
        let next = DefenceView {
            category: v.heat_category,
            window_h: v.heat_window_h,
            bandwidth_m: v.heat_bandwidth_m,
            ..d.clone()
        };
        d.set_if_neq(next);
    }
    if let Some(mut s) = world.get_resource_mut::<MapStyle>() {
        let mode = if v.day { StyleMode::Day } else { StyleMode::Night };
        let color_by = if v.color_by_type { ColorBy::Type } else { ColorBy::Height };
        s.set_if_neq(MapStyle { mode, color_by });
    }
}

/// The histories this machine loaded (the feed's [`LoadedHistories`]), kept once each to send
/// to every follower, and to each that joins later.
fn keep_histories(world: &mut World) {
    let Some(lead) = world.get_resource::<Lead>() else { return };
    let kept = |kind| lead.extras.iter().any(|e| e.kind == kind);
    let (want_history, want_index) = (!kept("history"), !kept("index_history"));
    let Some(loaded) = world.get_resource::<LoadedHistories>() else { return };
    let history = want_history.then(|| loaded.incidents.clone()).flatten();
    let index = want_index.then(|| loaded.index.clone()).flatten();
    let mut lead = world.resource_mut::<Lead>();
    if let Some(h) = history {
        lead.keep("history", &SyncMessage::History(Box::new(h)));
    }
    if let Some(h) = index {
        lead.keep("index_history", &SyncMessage::IndexHistory(Box::new(h)));
    }
}

/// Every frame, last: what the store applied goes on, then new followers get a snapshot of the
/// store as it now is, then every follower gets the frame.
fn lead_frame(world: &mut World) {
    keep_histories(world);
    let Some(lead) = world.get_resource::<Lead>() else { return };
    let joined = lead.server.joined();
    let joined_any = !joined.is_empty();
    let followers = lead.server.followers();
    let (applied, lost) = world
        .get_resource_mut::<FeedForward>()
        .map(|mut f| (std::mem::take(&mut f.applied), std::mem::take(&mut f.lost)))
        .unwrap_or_default();
    if followers == 0 {
        return;
    }
    let lead = world.resource::<Lead>();
    for change in &applied {
        let msg = match change {
            FeedApplied::Snapshot(s) => SyncMessage::Snapshot(Box::new((**s).clone())),
            FeedApplied::Batch(b) => SyncMessage::Batch(Box::new((**b).clone())),
        };
        lead.server.broadcast(&encode(&msg));
    }
    let data = world.resource::<FeedData>();
    let snapshot = || encode(&SyncMessage::Snapshot(Box::new(data.to_snapshot(now_ms()))));
    if lost && data.synced {
        // Changes were dropped before they went on: everyone starts again from the store.
        lead.server.broadcast(&snapshot());
    }
    for extra in lead.extras.iter().filter(|e| !e.sent) {
        lead.server.broadcast(&extra.msg);
    }
    for (id, _tile) in joined {
        let first = data.synced.then(snapshot).into_iter().chain(lead.extras.iter().map(|e| e.msg.clone()));
        lead.server.send_first(id, first);
    }
    if let Some(mut lead) = world.get_resource_mut::<Lead>() {
        for e in &mut lead.extras {
            e.sent = true;
        }
    }
    // The labels go when they changed, to a follower that just joined, and once a second.
    let labels = labels_now(world);
    let frame_no = world.get_resource::<FrameCount>().map_or(0, |f| f.0);
    let send_labels = {
        let lead = world.resource::<Lead>();
        lead.labels != labels || joined_any || frame_no.is_multiple_of(60)
    };
    // The open alerts go when the book changed, and to a follower that just joined (an empty
    // list when this machine has no tactile hub, so it shows none).
    let alerts = if joined_any {
        Some(open_alerts(world).unwrap_or_default())
    } else if world.is_resource_changed::<Tactile>() {
        open_alerts(world).filter(|open| world.resource::<Lead>().alerts.as_ref() != Some(open))
    } else {
        None
    };
    // What went is kept as sent only once it went.
    let frame_labels = if send_labels { labels.clone() } else { None };
    let Some(frame) = frame_now(world, frame_labels, alerts.clone()) else { return };
    let mut lead = world.resource_mut::<Lead>();
    lead.server.broadcast(&encode(&SyncMessage::Frame(Box::new(frame))));
    if send_labels {
        lead.labels = labels;
    }
    if alerts.is_some() {
        lead.alerts = alerts;
    }
}

/// The tactile hub's open alerts, oldest first.
fn open_alerts(world: &World) -> Option<Vec<Alert>> {
    let tactile = world.get_resource::<Tactile>()?;
    Some(tactile.book.all().iter().filter(|a| a.is_open()).cloned().collect())
}

/// The leader's label layout, as it goes on the wire.
fn labels_now(world: &World) -> Option<SyncLabels> {
    let layout = world.get_resource::<LabelLayout>()?;
    let view = world.get_resource::<OverlayView>()?;
    Some(SyncLabels {
        view: view.size.to_array(),
        font_px: layout.font_px,
        labels: layout.labels.iter().map(|l| (l.rect, l.text.clone(), l.kind)).collect(),
        badges: layout.badges.iter().map(|(p, t)| (p.to_array(), t.clone())).collect(),
    })
}

/// A follower paints the leader's labels when it lays out on the same view (its canvas is the
/// leader's, at the same text size); otherwise it lays out its own.
fn take_labels(world: &mut World) {
    let Some(follow) = world.get_resource::<Follow>() else { return };
    let Some(l) = follow.labels.clone() else { return };
    let Some((size, text_scale)) = world.get_resource::<OverlayView>().map(|v| (v.size, v.text_scale)) else { return };
    let font_px = 14.0 * text_scale;
    let same = (size - Vec2::from(l.view)).abs().max_element() < 0.5 && (font_px - l.font_px).abs() < 0.01;
    let leader = world.get_resource::<LabelSource>().is_some_and(|s| s.leader);
    if leader != same {
        if let Some(mut source) = world.get_resource_mut::<LabelSource>() {
            source.leader = same;
        }
        if !same {
            info!(
                "wall: the leader lays out labels on {:?} px, this tile's canvas is {:?}: laying out its own",
                l.view, size
            );
        }
    }
    if !same {
        return;
    }
    let next = LabelLayout {
        labels: l.labels.into_iter().map(|(rect, text, kind)| Label { rect, text, kind }).collect(),
        badges: l.badges.into_iter().map(|(p, t)| (Vec2::from(p), t)).collect(),
        font_px: l.font_px,
    };
    if let Some(mut out) = world.get_resource_mut::<LabelLayout>() {
        out.set_if_neq(next);
    }
}

/// A follower takes what came from its leader and shows the newest frame: the camera (set
/// here, after this frame's own camera systems, with any flight or tour of its own removed),
/// the selection, the briefing's step (without autoplay of its own) and the layers.
fn follow_frame(world: &mut World) {
    let Some(mut follow) = world.get_resource_mut::<Follow>() else { return };
    let events: Vec<FollowEvent> = follow.client.events.try_iter().collect();
    for ev in events {
        match ev {
            FollowEvent::Joined => {
                follow.connected = true;
                follow.at = None;
                follow.gaps.clear();
            }
            FollowEvent::Lost(_) => follow.connected = false,
            // Kept until the defence hub takes it; a second one (after a rejoin) is the same.
            FollowEvent::History(h) => {
                let _ = follow.relay.history.try_send(Ok(*h));
            }
            FollowEvent::IndexHistory(h) => {
                let _ = follow.relay.index_history.try_send(Ok(*h));
            }
            FollowEvent::Frame(mut f) => {
                // Several frames can come between two of this machine's: what only some of
                // them carry is kept from each, not just from the newest.
                if let Some(l) = f.labels.take() {
                    follow.labels = Some(l);
                }
                if let Some(a) = f.alerts.take() {
                    follow.alerts = Some(a);
                }
                let now = Instant::now();
                // Gaps while connected only: a rejoin's wait is no frame time.
                if let Some(at) = follow.at.filter(|_| follow.connected) {
                    if follow.gaps.len() == 8 {
                        follow.gaps.pop_front();
                    }
                    let gap = now.duration_since(at).min(Duration::from_secs(10));
                    follow.gaps.push_back(gap);
                }
                follow.last = Some(f);
                follow.at = Some(now);
            }
        }
    }
    let Some(frame) = follow.last.clone() else { return };
    if follow.applied == Some(frame.frame) {
        return;
    }
    follow.applied = Some(frame.frame);
    let alerts = follow.alerts.take();
    if let Some(alerts) = alerts
        && let Some(mut tactile) = world.get_resource_mut::<Tactile>()
    {
        tactile.book = AlertBook::from_alerts(alerts);
    }
    let [x, y, z, distance_m, pitch, heading] = frame.camera;
    let orbit = OrbitCamera { focus: Vec3::new(x, y, z), distance_m, pitch, heading };
    let mut cams = world.query::<(Entity, &mut OrbitCamera, &mut Transform)>();
    let mut moving = Vec::new();
    for (entity, mut o, mut t) in cams.iter_mut(world) {
        if *o != orbit {
            *o = orbit;
            *t = orbit.transform();
        }
        moving.push(entity);
    }
    for entity in moving {
        world.entity_mut(entity).remove::<(Flight, Tour)>();
    }
    if let Some(mut s) = world.get_resource_mut::<Selection>() {
        let next = frame.selected.clone().map(|(kind, id)| FeedRef { kind, id });
        if s.selected != next {
            s.selected = next;
        }
    }
    // The hub's focus (its ring, routes and ranked units are worked out here from the same
    // data), without a flight of its own: the camera is the leader's.
    if let Some(mut h) = world.get_resource_mut::<HubState>() {
        let (id, radius) = frame.focused.clone().map_or((None, h.radius_m), |(id, r)| (Some(id), r));
        if h.focused != id || h.radius_m != radius {
            h.focused = id;
            h.radius_m = radius;
        }
    }
    let here = world
        .get_resource::<Theatre>()
        .and_then(|t| t.playing.as_ref().map(|p| (p.briefing.theme.id.clone(), p.step, p.autoplay)));
    match (&frame.theatre, here) {
        (Some((theme, step)), Some((t, s, _))) if (theme, *step) != (&t, s) => {
            world.write_message(TheatreCommand::Start { theme: theme.clone(), step: *step });
        }
        (Some((theme, step)), None) => {
            world.write_message(TheatreCommand::Start { theme: theme.clone(), step: *step });
        }
        (None, Some(_)) => {
            world.write_message(TheatreCommand::Stop);
        }
        _ => {}
    }
    // The leader's steps advance; a follower's own autoplay would race it.
    if let Some(mut t) = world.get_resource_mut::<Theatre>()
        && let Some(p) = t.playing.as_mut().filter(|p| p.autoplay)
    {
        p.autoplay = false;
    }
    crate::context::switch_layers(world, &frame.layers);
    apply_view(world, &frame.view);
    take_labels(world);
}

/// A follower's frame is the leader's moment: its `Time` is the leader's clock of the newest
/// frame (it stands still while the leader is silent), so rings pulse, routes flow and units
/// move in step across the seams. Its own clock goes on underneath (`Time<Real>`, `Time<Virtual>`).
fn follow_clock(follow: Res<Follow>, mut time: ResMut<Time>, mut clock: Local<Option<Time>>) {
    let Some(frame) = &follow.last else { return };
    let target = Duration::from_secs_f64(frame.clock_s.max(0.0));
    let t = clock.get_or_insert_with(Time::default);
    if target < t.elapsed() {
        // The leader started again: its clock with it.
        *t = Time::default();
    }
    t.advance_to(target);
    *time = *t;
}

/// The follower's corner note while its leader is silent (it keeps the last frame).
fn silence_note(mut map: crate::context::MapUi, follow: Res<Follow>, settings: Res<Settings>) -> Result {
    let Some(note) = follow.note(settings.lang()) else { return Ok(()) };
    let ctx = map.ctx()?;
    let at = ctx.content_rect().min + egui::vec2(12.0, 12.0);
    egui::Area::new("wall_silence".into()).order(egui::Order::Tooltip).fixed_pos(at).interactable(false).show(
        &ctx,
        |ui| {
            egui::Frame::new()
                .fill(egui::Color32::from_rgb(40, 8, 8))
                .stroke(egui::Stroke::new(1.0, egui::Color32::from_rgb(255, 90, 70)))
                .corner_radius(4.0)
                .inner_margin(egui::Margin::symmetric(8, 4))
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        let (dot, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                        ui.painter().circle_filled(dot.center(), 5.0, egui::Color32::from_rgb(255, 70, 60));
                        ui.label(egui::RichText::new(note).size(12.0).color(egui::Color32::WHITE));
                    });
                });
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    //! A leader and a follower headless, over the real link on loopback: the follower's alert
    //! book is the leader's open alerts, also after the leader's officer closes one.

    use twinhall_core::rules::{Edge, Evaluator, Rules};

    use super::*;

    fn app(wall: impl FnOnce(&mut twinhall_core::wall::WallConfig)) -> App {
        let mut app = crate::test_support::city_app();
        wall(&mut app.world_mut().resource_mut::<Settings>().config.wall);
        let origin = app.world().resource::<crate::context::City>().model.frame.origin();
        let rules = Rules::shipped().expect("the shipped rules");
        app.insert_resource(FeedStatus {
            state: twinhall_client::LinkState::Connecting,
            target: String::new(),
            embedded: false,
            last_data: None,
            malformed: 0,
            refused: 0,
            no_source: None,
        })
        .insert_resource(Tactile::mirror(Evaluator::new(rules, origin)))
        .add_plugins(super::plugin);
        let orbit = OrbitCamera { focus: Vec3::ZERO, distance_m: 3000.0, pitch: 0.8, heading: 0.0 };
        app.world_mut().spawn((orbit, orbit.transform()));
        app
    }

    fn open_ids(app: &App) -> Vec<u64> {
        app.world().resource::<Tactile>().book.all().iter().filter(|a| a.is_open()).map(|a| a.id).collect()
    }

    fn fire(app: &mut App, subject: &str, at: i64) -> u64 {
        let rules = Rules::shipped().expect("the shipped rules");
        let edge = Edge { rule: 0, subject: subject.into(), on: true, value: 3.0, lonlat: Some([114.06, 22.54]) };
        let mut tactile = app.world_mut().resource_mut::<Tactile>();
        tactile.book.apply(&rules, &[edge], at);
        tactile.book.open_for(&format!("{}/{subject}", rules.rules[0].id)).map(|a| a.id).expect("opened")
    }

    fn until(leader: &mut App, follower: &mut App, what: &str, done: impl Fn(&App, &App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(leader, follower) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            leader.update();
            follower.update();
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_follower_shows_the_leaders_open_alerts_and_drops_the_closed_ones() {
        // The leader binds port 0 and the follower is given the port it got: a port found free
        // and let go first may be taken by another test before the leader binds it.
        let mut leader = app(|w| w.lead = "127.0.0.1:0".into());
        let first = fire(&mut leader, "S-1", 1_000);
        leader.update();
        let addr = leader.world().get_resource::<Lead>().expect("it leads").server.local_addr().to_string();
        let mut follower = app(|w| {
            w.leader = addr.clone();
            w.grid = "2x1".into();
            w.tile = "1,0".into();
        });
        leader.update();
        follower.update();
        assert!(leader.world().get_resource::<Lead>().is_some(), "it leads");
        assert!(follower.world().get_resource::<Follow>().is_some(), "it follows");

        // On joining, the follower gets the alert that was open before it came.
        until(&mut leader, &mut follower, "the first alert", |_, f| open_ids(f) == vec![first]);

        // A second fires; the officer dismisses the first: the follower shows only the second.
        let second = fire(&mut leader, "S-2", 2_000);
        {
            let mut tactile = leader.world_mut().resource_mut::<Tactile>();
            tactile.book.acknowledge(first, "值班员", 2_100).expect("acknowledged");
            tactile.book.dismiss(first, "误报", "值班员", 2_200).expect("dismissed");
        }
        until(&mut leader, &mut follower, "the change", |_, f| open_ids(f) == vec![second]);
        let shown = follower.world().resource::<Tactile>().book.get(second).cloned();
        assert_eq!(shown.as_ref(), leader.world().resource::<Tactile>().book.get(second), "the same alert");
    }

    /// Every part of the view the console can change, set on the leader: the camera, the
    /// selection, every layer, the choropleth's aspect and drill-down, the heat map's category,
    /// window and bandwidth, and the map's style.
    fn change_everything(world: &mut World) {
        for mut o in world.query::<&mut OrbitCamera>().iter_mut(world) {
            *o = OrbitCamera { focus: Vec3::new(120.0, 0.0, -340.0), distance_m: 900.0, pitch: 0.6, heading: 1.1 };
        }
        world.resource_mut::<Selection>().selected =
            Some(FeedRef { kind: twinhall_core::protocol::EntityKind::Camera, id: "C-1".into() });
        let mut off = crate::context::layers_now(world);
        for v in [
            &mut off.incidents,
            &mut off.units,
            &mut off.cameras,
            &mut off.cones,
            &mut off.facilities,
            &mut off.depots,
            &mut off.sensors,
            &mut off.areas,
            &mut off.labels,
            &mut off.heat,
            &mut off.key_grids,
            &mut off.buildings,
            &mut off.roads,
            &mut off.railways,
            &mut off.water,
            &mut off.green,
        ] {
            *v = v.map(|b| !b);
        }
        off.area_level = Some(twinhall_core::protocol::AreaLevel::Grid);
        crate::context::switch_layers(world, &off);
        *world.resource_mut::<AreaChoropleth>() =
            AreaChoropleth { aspect: Some(twinhall_core::protocol::IndexAspect::ALL[2]), within: Some("D-1".into()) };
        let mut d = world.resource_mut::<DefenceView>();
        (d.category, d.window_h, d.bandwidth_m) = (Some(twinhall_core::protocol::IncidentCategory::Fire), 24, 300.0);
        *world.resource_mut::<MapStyle>() = MapStyle { mode: StyleMode::Day, color_by: ColorBy::Type };
    }

    /// What a follower must show as the leader does.
    fn view_of(world: &mut World) -> String {
        let o = *world.query::<&OrbitCamera>().iter(world).next().expect("a camera");
        format!(
            "{o:?} {:?} {:?} {:?} {:?} {:?}",
            world.resource::<Selection>().selected,
            crate::context::layers_now(world),
            world.resource::<AreaChoropleth>(),
            world.resource::<DefenceView>(),
            world.resource::<MapStyle>()
        )
    }

    #[test]
    fn a_follower_mirrors_every_view_state_the_console_changes() {
        let style = MapStyle { mode: StyleMode::Night, color_by: ColorBy::Height };
        let mut leader = app(|w| w.lead = "127.0.0.1:0".into());
        leader.insert_resource(style);
        leader.update();
        let addr = leader.world().get_resource::<Lead>().expect("it leads").server.local_addr().to_string();
        let mut follower = app(|w| w.leader = addr.clone());
        follower.insert_resource(style);
        let before = view_of(follower.world_mut());
        change_everything(leader.world_mut());
        let wanted = view_of(leader.world_mut());
        assert_ne!(wanted, before, "the test changes what the follower shows");
        let deadline = Instant::now() + Duration::from_secs(20);
        while view_of(follower.world_mut()) != wanted {
            assert!(
                Instant::now() < deadline,
                "the follower shows\n{}\nthe leader\n{wanted}",
                view_of(follower.world_mut())
            );
            leader.update();
            follower.update();
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
