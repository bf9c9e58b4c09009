//! Playback: which briefing and step is up, the presenter's keys, and what entering a step
//! switches (layers, filter, highlights, the camera's tour). Starting a briefing keeps the
//! layers and filter the wall had; stopping puts them back and leaves the camera where it is.

use std::sync::Arc;

use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;
use twinhall_core::theatre::{Briefing, Step};

use super::highlight::{self, Highlights};
use super::library::Library;
use super::tour::{Framing, Tour, plan_tour};
use crate::camera::Flight;
use crate::context::{ArrowKeys, City, FreeRegion, IncidentFilter, MapLayers, OrbitCamera, Settings, TheatreCommand};
use crate::feed::FeedData;

/// Seconds a step waits for the feed's first snapshot before it is entered without data.
const WAIT_FOR_FEED_S: f64 = 5.0;

/// The briefing being played.
#[derive(Clone, Debug)]
pub struct Playback {
    pub briefing: Arc<Briefing>,
    pub step: usize,
    /// Real seconds when the step took effect; `None` until it has (the feed may still be loading).
    pub entered: Option<f64>,
    /// Real seconds when the step was asked for.
    pub asked: f64,
    pub autoplay: bool,
    /// Seconds of the step's camera move.
    pub move_s: f32,
}

impl Playback {
    pub fn current(&self) -> &Step {
        &self.briefing.steps[self.step.min(self.briefing.steps.len() - 1)]
    }

    /// Share of the step's time gone, 0 to 1 (move and dwell together).
    pub fn progress(&self, now: f64) -> f32 {
        let Some(t0) = self.entered else { return 0.0 };
        let total = f64::from(self.move_s + self.current().dwell_s);
        ((now - t0) / total).clamp(0.0, 1.0) as f32
    }
}

/// The view before the briefing started, put back when it stops.
#[derive(Clone, Debug)]
struct Saved {
    /// Every layer as it was (the inverse of a switch).
    layers: twinhall_core::theatre::Layers,
    filter: IncidentFilter,
}

/// The theatre's state.
#[derive(Resource, Debug, Default)]
pub struct Theatre {
    pub playing: Option<Playback>,
    /// The side panel is hidden (key H): the wall shows only the presentation.
    pub hide_panel: bool,
    saved: Option<Saved>,
    /// A start asked before the library was read (`--brief`).
    pending: Option<(String, usize)>,
    /// The library generation the playing briefing came from.
    generation: u64,
}

impl Theatre {
    pub fn is_playing(&self) -> bool {
        self.playing.is_some()
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Theatre>()
        .init_resource::<FreeRegion>()
        .init_resource::<Highlights>()
        .add_systems(Startup, start_from_settings)
        .add_systems(
            Update,
            (presenter_keys, apply_commands, follow_library, enter_step, autoplay, claim_arrows)
                .chain()
                .after(crate::context::AppSystems::Commands)
                .before(crate::context::AppSystems::Camera),
        );
}

/// While a briefing plays, the left and right arrows are the presenter's (previous, next).
fn claim_arrows(theatre: Res<Theatre>, arrows: Option<ResMut<ArrowKeys>>) {
    if let Some(mut arrows) = arrows
        && theatre.is_changed()
    {
        arrows.set_if_neq(ArrowKeys { presenter: theatre.is_playing() });
    }
}

fn start_from_settings(settings: Res<Settings>, mut theatre: ResMut<Theatre>) {
    theatre.pending = settings.brief.clone();
}

/// Presentation clickers send PageDown/PageUp (some the arrow keys); P pauses autoplay, Escape
/// stops, H hides the side panel.
fn presenter_keys(
    keys: Res<ButtonInput<KeyCode>>,
    theatre: Res<Theatre>,
    egui_input: Option<Res<EguiWantsInput>>,
    mut out: MessageWriter<TheatreCommand>,
) {
    if egui_input.is_some_and(|e| e.wants_keyboard_input()) {
        return;
    }
    if keys.just_pressed(KeyCode::KeyH) {
        out.write(TheatreCommand::TogglePanel);
    }
    if !theatre.is_playing() {
        return;
    }
    if keys.any_just_pressed([KeyCode::PageDown, KeyCode::ArrowRight]) {
        out.write(TheatreCommand::Next);
    }
    if keys.any_just_pressed([KeyCode::PageUp, KeyCode::ArrowLeft]) {
        out.write(TheatreCommand::Prev);
    }
    if keys.just_pressed(KeyCode::KeyP) {
        out.write(TheatreCommand::ToggleAutoplay);
    }
    if keys.just_pressed(KeyCode::Escape) {
        out.write(TheatreCommand::Stop);
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_commands(
    mut commands: Commands,
    mut input: MessageReader<TheatreCommand>,
    time: Res<Time<Real>>,
    library: Res<Library>,
    mut theatre: ResMut<Theatre>,
    mut view: ViewParams,
    tours: Query<Entity, With<Tour>>,
    mut highlights: ResMut<Highlights>,
) {
    let now = time.elapsed_secs_f64();
    let mut asked: Vec<TheatreCommand> = input.read().cloned().collect();
    if let Some((theme, step)) = theatre.pending.clone()
        && library.get(&theme).is_some()
    {
        theatre.pending = None;
        asked.insert(0, TheatreCommand::Start { theme, step });
    }
    for c in asked {
        match c {
            TheatreCommand::Start { theme, step } => {
                let Some(entry) = library.get(&theme) else {
                    warn!("decision theatre: no briefing `{theme}` in {}", library.dir.display());
                    continue;
                };
                if theatre.saved.is_none() {
                    theatre.saved = Some(view.save());
                }
                let briefing = entry.briefing.clone();
                let step = step.min(briefing.steps.len() - 1);
                info!("decision theatre: {} step {}", briefing.theme.id, step + 1);
                theatre.generation = library.generation;
                theatre.playing =
                    Some(Playback { briefing, step, entered: None, asked: now, autoplay: false, move_s: 0.0 });
            }
            TheatreCommand::Next | TheatreCommand::Prev | TheatreCommand::Goto(_) => {
                let Some(p) = theatre.playing.as_mut() else { continue };
                let last = p.briefing.steps.len() - 1;
                let to = match c {
                    TheatreCommand::Next => (p.step + 1).min(last),
                    TheatreCommand::Prev => p.step.saturating_sub(1),
                    TheatreCommand::Goto(n) => n.min(last),
                    _ => p.step,
                };
                if to != p.step {
                    p.step = to;
                    p.entered = None;
                    p.asked = now;
                }
            }
            TheatreCommand::ToggleAutoplay => {
                if let Some(p) = theatre.playing.as_mut() {
                    p.autoplay = !p.autoplay;
                }
            }
            TheatreCommand::TogglePanel => theatre.hide_panel = !theatre.hide_panel,
            TheatreCommand::Stop => {
                if theatre.playing.take().is_some() {
                    info!("decision theatre: stopped");
                }
                if let Some(saved) = theatre.saved.take() {
                    view.restore(saved);
                }
                // The camera stays where the tour had it: a valid view, never a half-set one.
                for e in &tours {
                    commands.entity(e).remove::<Tour>();
                }
                highlights.clear();
            }
        }
    }
}

/// The layers, filter and heat map a step may switch.
#[derive(bevy::ecs::system::SystemParam)]
pub struct ViewParams<'w> {
    layers: MapLayers<'w>,
    filter: ResMut<'w, IncidentFilter>,
}

impl ViewParams<'_> {
    fn save(&self) -> Saved {
        Saved { layers: self.layers.now(), filter: self.filter.clone() }
    }

    fn restore(&mut self, s: Saved) {
        self.layers.switch(&s.layers);
        self.filter.set_if_neq(s.filter);
    }

    /// Switches what the step names; the rest stays as it is.
    fn apply(&mut self, step: &Step, saved: Option<&Saved>) {
        // Only what the step names switches; a resource is touched only on a real change.
        self.layers.switch(&step.layers);
        // A step's filter replaces the one before it; an empty one puts back the presenter's.
        let filter = if step.filter.is_empty() {
            saved.map(|s| s.filter.clone()).unwrap_or_default()
        } else {
            IncidentFilter(step.filter.clone())
        };
        self.filter.set_if_neq(filter);
    }
}

/// When the library re-reads the playing briefing's file, the new version plays from the same
/// step (or its last one); a briefing whose file went away stops.
fn follow_library(library: Res<Library>, mut theatre: ResMut<Theatre>, mut out: MessageWriter<TheatreCommand>) {
    if library.generation == theatre.generation {
        return;
    }
    theatre.generation = library.generation;
    let Some(p) = theatre.playing.as_mut() else { return };
    match library.get(&p.briefing.theme.id) {
        Some(entry) if !Arc::ptr_eq(&entry.briefing, &p.briefing) => {
            info!("decision theatre: {} changed on disk, playing the new version", entry.file.display());
            p.briefing = entry.briefing.clone();
            p.step = p.step.min(p.briefing.steps.len() - 1);
            p.entered = None;
        }
        Some(_) => {}
        None => {
            out.write(TheatreCommand::Stop);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn enter_step(
    mut commands: Commands,
    time: Res<Time<Real>>,
    mut theatre: ResMut<Theatre>,
    mut view: ViewParams,
    data: Res<FeedData>,
    city: Res<City>,
    mut highlights: ResMut<Highlights>,
    free: Res<FreeRegion>,
    cams: Query<(Entity, &OrbitCamera, Option<&Projection>)>,
) {
    let now = time.elapsed_secs_f64();
    let theatre = &mut *theatre;
    let Some(p) = theatre.playing.as_mut() else { return };
    if p.entered.is_some() || (!data.synced && now - p.asked < WAIT_FOR_FEED_S) {
        return;
    }
    let step = p.current().clone();
    view.apply(&step, theatre.saved.as_ref());
    *highlights = highlight::resolve(&step.highlight, &data, &city);
    highlights.accent = Some(p.briefing.theme.accent);
    p.move_s = 0.0;
    if let Some(mv) = &step.camera {
        for (entity, orbit, projection) in &cams {
            let fov_y = match projection {
                Some(Projection::Perspective(pp)) => pp.fov,
                _ => std::f32::consts::FRAC_PI_4,
            };
            let framing = free.0.map(|free| Framing { free, fov_y });
            let (tour, fits) = plan_tour(*orbit, mv, &city, &highlights, framing);
            if !fits {
                warn!(
                    "decision theatre: {} step {}: its highlights do not all fit the part of the view the cards leave free",
                    p.briefing.theme.id,
                    p.step + 1
                );
            }
            p.move_s = tour.total_s();
            commands.entity(entity).remove::<Flight>().insert(tour);
        }
    }
    p.entered = Some(now);
}

fn autoplay(time: Res<Time<Real>>, theatre: Res<Theatre>, mut out: MessageWriter<TheatreCommand>) {
    let Some(p) = &theatre.playing else { return };
    if !p.autoplay || p.progress(time.elapsed_secs_f64()) < 1.0 {
        return;
    }
    if p.step + 1 < p.briefing.steps.len() {
        out.write(TheatreCommand::Next);
    } else {
        // The last step stays up; autoplay ends with the briefing.
        out.write(TheatreCommand::ToggleAutoplay);
    }
}
