//! Labels: candidates near the view (incidents, units, cameras, facilities, in that priority),
//! placed without overlaps and without flicker by `twinhall_core::overlay::declutter`; cluster
//! badges carry their counts. Laid out when the view or the data changed, and ten times a second
//! while units move; painted by the egui pass.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use twinhall_core::overlay::declutter::{Candidate, Declutter};
use twinhall_core::protocol::{EntityKind, FacilityKind};

use super::icons::{CameraClusters, ICON_Y};
use super::text;
use super::units::UnitMotions;
use super::{OverlayChanges, Spatial};
use crate::context::{
    AppSystems, City, LabelSource, OverlayLayers, OverlayView, Reserved, Settings, local_of, scene_of,
};
use crate::feed::FeedData;

/// A placed label: where (window logical px, the label's box), its text and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub rect: [f32; 4],
    pub text: String,
    pub kind: EntityKind,
}

/// What the egui pass paints: labels, and cluster counts at their badges.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct LabelLayout {
    pub labels: Vec<Label>,
    pub badges: Vec<(Vec2, String)>,
    /// Font size in window pixels.
    pub font_px: f32,
}

#[derive(Resource, Default)]
struct LabelState {
    declutter: Declutter,
    last: Option<Instant>,
    /// Clock time (`Time::elapsed_secs_wrapped`) of the last layout.
    laid_at: f32,
    /// The last layout was put off to the next frame (a busy frame).
    deferred: bool,
    /// `items` and `badges` are up to date with the view, layers, data and settings.
    gathered: bool,
    /// The label candidates, in priority order of kind, gathered when their inputs change; a
    /// layout while only units move just places them again.
    items: Vec<Item>,
    badges: Vec<(Vec2, String)>,
}

/// A label candidate kept between layouts.
struct Item {
    key: u64,
    priority: u8,
    size: [f32; 2],
    text: String,
    kind: EntityKind,
    anchor: Anchor,
}

enum Anchor {
    /// On the view, px (fixed while the view and the data stay).
    Fixed([f32; 2]),
    /// A unit: where its motion draws it (`moves`: not stale) or else at its report (`at`,
    /// local metres).
    Unit { slot: u32, at: [f64; 2], moves: bool },
}

/// Most candidates considered per kind, nearest the focus first.
const PER_KIND: usize = 400;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LabelLayout>()
        .init_resource::<LabelState>()
        .add_systems(Update, layout_labels.in_set(AppSystems::Layout).run_if(own_layout));
}

/// A follower of a wall of several machines paints its leader's labels (the wall's claim).
fn own_layout(source: Option<Res<LabelSource>>) -> bool {
    source.is_none_or(|s| !s.leader)
}

fn key(kind: EntityKind, id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    kind.hash(&mut h);
    id.hash(&mut h);
    h.finish()
}

/// Rough text width: CJK characters a full em, others about half.
pub fn text_width(text: &str, font_px: f32) -> f32 {
    text.chars().map(|c| if c.is_ascii() { 0.56 } else { 1.0 }).sum::<f32>() * font_px
}

/// Seconds until a unit en route arrives: its remaining road route at its reported speed (at
/// least walking pace), whole seconds.
pub fn unit_eta_s(city: &City, u: &twinhall_core::protocol::Unit) -> Option<u64> {
    if u.status != twinhall_core::protocol::UnitStatus::EnRoute || u.route.len() < 2 {
        return None;
    }
    let pts: Vec<[f64; 2]> = u.route.iter().map(|q| local_of(city, q[0], q[1])).collect();
    let length: f64 = pts.windows(2).map(|w| twinhall_core::frame::distance(w[0], w[1])).sum();
    Some((length / f64::from(u.speed_mps.max(1.0))).round() as u64)
}

#[allow(clippy::too_many_arguments)]
fn layout_labels(
    data: Res<FeedData>,
    city: Res<City>,
    view: Res<OverlayView>,
    layers: Res<OverlayLayers>,
    changes: Res<OverlayChanges>,
    spatial: Res<Spatial>,
    motions: Res<UnitMotions>,
    clusters: Res<CameraClusters>,
    settings: Res<Settings>,
    time: Res<Time>,
    reserved: Res<Reserved>,
    mut state: ResMut<LabelState>,
    mut out: ResMut<LabelLayout>,
) {
    let t = time.elapsed_secs_wrapped();
    // What the candidates are gathered from changed: they are gathered again at the next layout.
    if view.is_changed()
        || layers.is_changed()
        || changes.any()
        || data.is_changed()
        || settings.is_changed()
        || city.is_changed()
        || clusters.is_changed()
    {
        state.gathered = false;
    }
    // Only while some unit is drawn moving (its report under 4 s old, not stale) do the labels
    // follow it, ten times a second.
    let moving = layers.units && motions.moved_between(state.laid_at, t);
    let due = state.last.is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
    if !(view.is_changed()
        || layers.is_changed()
        || changes.any()
        || reserved.is_changed()
        || state.deferred
        || (moving && due))
    {
        return;
    }
    // A batch applied or layers rebuilt this frame: lay out on the next one, unless the view moved.
    let busy = changes.any() || data.is_changed();
    if busy && !view.is_changed() && !layers.is_changed() && state.last.is_some() {
        state.last = None;
        state.deferred = true;
        return;
    }
    state.last = Some(Instant::now());
    state.laid_at = t;
    state.deferred = false;
    if view.size.x < 1.0 || !layers.labels {
        if !out.labels.is_empty() || !out.badges.is_empty() {
            *out = LabelLayout::default();
        }
        return;
    }
    let font_px = 14.0 * view.text_scale;
    let state = &mut *state;
    if !state.gathered {
        state.gathered = true;
        let lang = settings.lang();
        let radius = f64::from(view.distance_m) * 1.6;
        let mut items = Vec::new();
        // A label at a scene point (fixed on the view), or following a unit.
        let mut add = |kind: EntityKind, id: &str, priority: u8, pos: Vec3, unit: Option<Anchor>, text: String| {
            let anchor = match unit {
                Some(unit) => unit,
                None => {
                    let Some(a) = view.to_screen(pos) else { return };
                    Anchor::Fixed(a.to_array())
                }
            };
            let size = [text_width(&text, font_px) + 10.0, font_px * 1.45];
            items.push(Item { key: key(kind, id), priority, size, text, kind, anchor });
        };
        if layers.incidents {
            for (slot, _) in spatial.incidents.within(view.focus, radius).into_iter().take(PER_KIND) {
                let Some(i) = data.incidents.slot(slot) else { continue };
                let status = text::incident_status(i.status, lang);
                let text = format!("{} · {status}", i.title);
                let pos = scene_of(local_of(&city, i.lon, i.lat), ICON_Y + 4.0);
                add(EntityKind::Incident, &i.id, 0, pos, None, text);
            }
        }
        if layers.units {
            for (slot, _) in spatial.units.within(view.focus, radius).into_iter().take(PER_KIND) {
                let Some(u) = data.units.slot(slot) else { continue };
                // A stale unit is drawn still at its report (units.rs): so is its label.
                let unit = Anchor::Unit { slot, at: local_of(&city, u.lon, u.lat), moves: !data.units.is_stale(slot) };
                let name = text::unit_name(u.kind, &u.name, lang);
                let text = match unit_eta_s(&city, u) {
                    Some(s) => format!("{name} · ETA {}:{:02}", s / 60, s % 60),
                    None => name,
                };
                add(EntityKind::Unit, &u.id, 1, Vec3::ZERO, Some(unit), text);
            }
        }
        if layers.cameras && clusters.cell_m.is_none() && view.distance_m < 1500.0 {
            for (slot, _) in spatial.cameras.within(view.focus, radius).into_iter().take(PER_KIND) {
                let Some(c) = data.cameras.slot(slot) else { continue };
                let pos = scene_of(local_of(&city, c.lon, c.lat), ICON_Y);
                add(EntityKind::Camera, &c.id, 2, pos, None, text::camera_name(&c.name, lang));
            }
        }
        if layers.facilities {
            for (slot, _) in spatial.facilities.within(view.focus, radius).into_iter().take(PER_KIND) {
                let Some(f) = data.facilities.slot(slot) else { continue };
                if f.kind == FacilityKind::Hydrant {
                    continue;
                }
                let pos = scene_of(local_of(&city, f.lon, f.lat), ICON_Y);
                add(EntityKind::Facility, &f.id, 3, pos, None, text::facility_name(f.kind, &f.name, lang));
            }
        }
        if layers.depots {
            for (slot, _) in spatial.depots.within(view.focus, radius).into_iter().take(PER_KIND) {
                let Some(d) = data.supply_depots.slot(slot) else { continue };
                let pos = scene_of(local_of(&city, d.lon, d.lat), ICON_Y);
                add(EntityKind::SupplyDepot, &d.id, 3, pos, None, text::depot_name(&d.name, lang));
            }
        }
        state.items = items;
        state.badges = if layers.cameras {
            clusters
                .clusters
                .iter()
                .filter(|c| c.count > 1)
                .filter_map(|c| view.to_screen(scene_of(c.centre, ICON_Y)).map(|p| (p, c.count.to_string())))
                .collect()
        } else {
            Vec::new()
        };
    }
    // Units are placed where they are drawn now; everything else where it was gathered.
    let mut cands = Vec::with_capacity(state.items.len());
    let mut item_of = Vec::with_capacity(state.items.len());
    for (k, item) in state.items.iter().enumerate() {
        let anchor = match item.anchor {
            Anchor::Fixed(a) => a,
            Anchor::Unit { slot, at, moves } => {
                let drawn = moves.then(|| motions.position(slot, t)).flatten();
                let p = drawn.map(|p| [f64::from(p[0]), f64::from(p[1])]).unwrap_or(at);
                let Some(a) = view.to_screen(scene_of(p, ICON_Y + 2.0)) else { continue };
                a.to_array()
            }
        };
        cands.push(Candidate { key: item.key, priority: item.priority, anchor, size: item.size });
        item_of.push(k);
    }
    let placed = state.declutter.place_avoiding(&cands, view.size.to_array(), &reserved.0);
    let labels = placed
        .into_iter()
        .map(|(i, rect)| {
            let item = &state.items[item_of[i]];
            Label { rect, text: item.text.clone(), kind: item.kind }
        })
        .collect();
    let next = LabelLayout { labels, badges: state.badges.clone(), font_px };
    out.set_if_neq(next);
}
