//! Pointing at the overlays: the icon under the cursor (hover), a click selects it for the
//! detail panel, and a right-click on the ground lists the cameras whose view covers that point
//! ("cameras near here"), nearest first. Runs when the cursor or the view moves.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;
use twinhall_core::overlay::coverage::{View, covering};
use twinhall_core::protocol::EntityKind;

use super::Spatial;
use super::icons::{CameraClusters, ICON_Y};
use super::units::UnitMotions;
use crate::camera::GroundCursor;
use crate::context::{
    AppSystems, City, FeedRef, NearHere, OverlayLayers, OverlayView, PickView, Selection, local_of, scene_of,
};
use crate::feed::FeedData;

/// Pixels within which an icon counts as under the cursor (times the wall scale).
const PICK_PX: f32 = 14.0;
/// A press and release closer than this is a click, not a drag.
const CLICK_PX: f32 = 5.0;

#[derive(Resource, Default)]
struct Presses {
    left: Option<Vec2>,
    right: Option<Vec2>,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Presses>().add_systems(Update, (hover, click).chain().in_set(AppSystems::Layout));
}

/// The entity whose icon is nearest `cursor` on screen, within the pick radius.
#[allow(clippy::too_many_arguments)]
pub fn pick_at(
    cursor: Vec2,
    ground: [f64; 2],
    data: &FeedData,
    city: &City,
    view: &OverlayView,
    layers: &OverlayLayers,
    spatial: &Spatial,
    motions: &UnitMotions,
    clustered: bool,
    t: f32,
) -> Option<FeedRef> {
    let limit = PICK_PX * view.px_scale;
    // Ground radius generous enough for icons drawn above the ground.
    let radius = view.metres_per_px() * f64::from(limit) * 4.0 + 30.0;
    let mut best: Option<(f32, FeedRef)> = None;
    let mut consider = |kind: EntityKind, id: &str, pos: Vec3| {
        if let Some(p) = view.to_screen(pos) {
            let d = p.distance(cursor);
            if d <= limit && best.as_ref().is_none_or(|b| d < b.0) {
                best = Some((d, FeedRef { kind, id: id.to_owned() }));
            }
        }
    };
    if layers.incidents {
        for (slot, _) in spatial.incidents.within(ground, radius) {
            if let Some(i) = data.incidents.slot(slot) {
                consider(EntityKind::Incident, &i.id, scene_of(local_of(city, i.lon, i.lat), ICON_Y + 4.0));
            }
        }
    }
    if layers.units {
        for (slot, _) in spatial.units.within(ground, radius + 60.0) {
            if let Some(u) = data.units.slot(slot) {
                let p = motions.position(slot, t).map(|p| [f64::from(p[0]), f64::from(p[1])]);
                consider(
                    EntityKind::Unit,
                    &u.id,
                    scene_of(p.unwrap_or_else(|| local_of(city, u.lon, u.lat)), ICON_Y + 2.0),
                );
            }
        }
    }
    if layers.cameras && !clustered {
        for (slot, _) in spatial.cameras.within(ground, radius) {
            if let Some(c) = data.cameras.slot(slot) {
                consider(EntityKind::Camera, &c.id, scene_of(local_of(city, c.lon, c.lat), ICON_Y));
            }
        }
    }
    if layers.facilities {
        for (slot, _) in spatial.facilities.within(ground, radius) {
            if let Some(f) = data.facilities.slot(slot) {
                consider(EntityKind::Facility, &f.id, scene_of(local_of(city, f.lon, f.lat), ICON_Y));
            }
        }
    }
    if layers.depots {
        for (slot, _) in spatial.depots.within(ground, radius) {
            if let Some(d) = data.supply_depots.slot(slot) {
                consider(EntityKind::SupplyDepot, &d.id, scene_of(local_of(city, d.lon, d.lat), ICON_Y));
            }
        }
    }
    if layers.sensors {
        for (slot, _) in spatial.sensors.within(ground, radius) {
            if let Some(s) = data.sensors.slot(slot) {
                consider(EntityKind::Sensor, &s.id, scene_of(local_of(city, s.lon, s.lat), ICON_Y));
            }
        }
    }
    best.map(|b| b.1)
}

/// Cameras whose view covers a local point, nearest first (ids and metres).
pub fn cameras_covering(data: &FeedData, spatial: &Spatial, p: [f64; 2], city: &City) -> Vec<(String, f64)> {
    let view_of = |slot: u32| {
        data.cameras.slot(slot).map(|c| View {
            pos: local_of(city, c.lon, c.lat),
            heading_deg: c.heading_deg,
            fov_deg: c.fov_deg,
            range_m: c.range_m,
        })
    };
    let max_range = data.cameras.iter().map(|(_, c)| f64::from(c.range_m)).fold(0.0, f64::max).min(2000.0);
    covering(&spatial.cameras.grid, &view_of, p, max_range)
        .into_iter()
        .filter_map(|(slot, d)| data.cameras.slot(slot).map(|c| (c.id.clone(), d)))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn hover(
    windows: Query<&Window, With<PrimaryWindow>>,
    cursor: Res<GroundCursor>,
    view: Res<PickView>,
    data: Res<FeedData>,
    city: Res<City>,
    layers: Res<OverlayLayers>,
    spatial: Res<Spatial>,
    motions: Res<UnitMotions>,
    clusters: Res<CameraClusters>,
    wants: Option<Res<EguiWantsInput>>,
    time: Res<Time>,
    mut selection: ResMut<Selection>,
) {
    if !cursor.is_changed() && !view.is_changed() {
        return;
    }
    let over_ui = wants.is_some_and(|w| w.wants_any_pointer_input());
    let pos = windows.single().ok().and_then(|w| w.cursor_position());
    let hit = match (pos, cursor.local) {
        (Some(pos), Some(ground)) if !over_ui => pick_at(
            pos,
            ground,
            &data,
            &city,
            &view.0,
            &layers,
            &spatial,
            &motions,
            clusters.cell_m.is_some(),
            time.elapsed_secs_wrapped(),
        ),
        _ => None,
    };
    if selection.hovered != hit {
        selection.hovered = hit;
    }
}

#[allow(clippy::too_many_arguments)]
fn click(
    buttons: Option<Res<ButtonInput<MouseButton>>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    cursor: Res<GroundCursor>,
    wants: Option<Res<EguiWantsInput>>,
    data: Res<FeedData>,
    spatial: Res<Spatial>,
    city: Res<City>,
    mut presses: ResMut<Presses>,
    mut selection: ResMut<Selection>,
) {
    let Some(buttons) = buttons else { return };
    let pos = windows.single().ok().and_then(|w| w.cursor_position());
    let over_ui = wants.is_some_and(|w| w.wants_any_pointer_input());
    if buttons.just_pressed(MouseButton::Left) {
        presses.left = if over_ui { None } else { pos };
    }
    if buttons.just_pressed(MouseButton::Right) {
        presses.right = if over_ui { None } else { pos };
    }
    let is_click = |start: Option<Vec2>| matches!((start, pos), (Some(a), Some(b)) if a.distance(b) <= CLICK_PX);
    if buttons.just_released(MouseButton::Left)
        && is_click(presses.left.take())
        && let Some(h) = selection.hovered.clone()
    {
        selection.selected = Some(h);
    }
    if buttons.just_released(MouseButton::Right)
        && is_click(presses.right.take())
        && let (Some(local), Some(at)) = (cursor.local, cursor.lonlat)
    {
        selection.near_here = Some(NearHere { at, cameras: cameras_covering(&data, &spatial, local, &city) });
    }
}
