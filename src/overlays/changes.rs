//! Which kinds changed this frame: the store's changed slots taken once a frame, their positions
//! computed (spread over frames) and each kind reported changed once all its positions are in.

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::frame::LocalGrid;

use super::spatial::Spatial;
use crate::city::City;
use crate::feed::FeedData;

/// Which kinds changed this frame (the layers rebuild only these).
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverlayChanges {
    pub incidents: bool,
    pub units: bool,
    pub cameras: bool,
    pub facilities: bool,
    pub depots: bool,
    pub sensors: bool,
    pub areas: bool,
}

impl OverlayChanges {
    pub fn any(&self) -> bool {
        self.incidents || self.units || self.cameras || self.facilities || self.depots || self.sensors || self.areas
    }
}

/// Slots whose positions are still to be computed, by kind (in `OverlayChanges` order).
#[derive(Default)]
pub(super) struct Pending {
    slots: [Vec<u32>; 7],
    waiting: [bool; 7],
    /// The kind to look at first next frame: kinds take turns, so a stream of unit reports
    /// never starves the others.
    first: usize,
    /// Whether last frame's rebuilds were put off (they never are twice in a row).
    deferred: bool,
}

/// Positions computed per frame when a batch's work is spread over frames (a sixth of it on the
/// frame the batch was applied).
const SLOTS_PER_FRAME: usize = 6000;
/// More pending than this (a snapshot) is done at once.
const BULK: usize = 30_000;

/// Takes the store's changed slots once a frame and computes their positions, spreading a
/// batch's work over the next frames (at most `SLOTS_PER_FRAME` a frame, a sixth of that on the
/// frame the batch was applied) so that no frame carries it all; a kind is reported changed, and
/// its layers rebuilt, once all its positions are in, one kind a frame, taking turns.
pub(super) fn collect_changes(
    mut data: ResMut<FeedData>,
    city: Res<City>,
    mut changes: ResMut<OverlayChanges>,
    mut spatial: ResMut<Spatial>,
    mut pending: Local<Pending>,
    mut fast: Local<Option<LocalGrid>>,
) {
    if fast.is_none() || city.is_changed() {
        // The city plus 5 km around it, in 0.005° cells (millimetres from the exact projection).
        let b = city.model.bounds();
        let (min, max) = if b.min[0].is_finite() { (b.min, b.max) } else { ([0.0, 0.0], [0.0, 0.0]) };
        *fast = Some(LocalGrid::new(&city.model.frame, min, max, 5000.0, 0.005));
    }
    let Some(fast) = fast.as_ref() else { return };
    let applied_now = data.is_changed();
    let data = data.bypass_change_detection();
    let taken = [
        data.incidents.take_dirty(),
        data.units.take_dirty(),
        data.cameras.take_dirty(),
        data.facilities.take_dirty(),
        data.supply_depots.take_dirty(),
        data.sensors.take_dirty(),
        data.areas.take_dirty(),
    ];
    for (k, t) in taken.into_iter().enumerate() {
        if !t.is_empty() {
            pending.slots[k].extend(t);
            pending.waiting[k] = true;
        }
    }
    let total: usize = pending.slots.iter().map(Vec::len).sum();
    let mut budget = if total > BULK {
        usize::MAX
    } else if applied_now {
        // Some progress even when every frame applies a batch (a slow renderer).
        SLOTS_PER_FRAME / 6
    } else {
        SLOTS_PER_FRAME
    };
    let mut done = [false; 7];
    let l = |lon, lat| fast.to_local(LonLat::new(lon, lat));
    let s = &mut *spatial;
    let defer = applied_now && total <= BULK && !pending.deferred;
    pending.deferred = defer;
    let first = pending.first;
    for k in (first..7).chain(0..first) {
        if !pending.waiting[k] {
            continue;
        }
        // Areas have no point position: nothing to compute.
        let n = if k == 6 { pending.slots[k].len() } else { pending.slots[k].len().min(budget) };
        let chunk: Vec<u32> = pending.slots[k].drain(..n).collect();
        budget = budget.saturating_sub(n);
        let index = match k {
            0 => Some((&mut s.incidents, data.incidents.slot_count())),
            1 => Some((&mut s.units, data.units.slot_count())),
            2 => Some((&mut s.cameras, data.cameras.slot_count())),
            3 => Some((&mut s.facilities, data.facilities.slot_count())),
            4 => Some((&mut s.depots, data.supply_depots.slot_count())),
            5 => Some((&mut s.sensors, data.sensors.slot_count())),
            _ => None,
        };
        if let Some((index, slots)) = index {
            match k {
                0 => index.update_positions(&chunk, slots, |j| data.incidents.slot(j).map(|e| l(e.lon, e.lat))),
                1 => index.update_positions(&chunk, slots, |j| data.units.slot(j).map(|e| l(e.lon, e.lat))),
                2 => index.update_positions(&chunk, slots, |j| data.cameras.slot(j).map(|e| l(e.lon, e.lat))),
                3 => index.update_positions(&chunk, slots, |j| data.facilities.slot(j).map(|e| l(e.lon, e.lat))),
                4 => index.update_positions(&chunk, slots, |j| data.supply_depots.slot(j).map(|e| l(e.lon, e.lat))),
                _ => index.update_positions(&chunk, slots, |j| data.sensors.slot(j).map(|e| l(e.lon, e.lat))),
            }
        }
        // No grid or layer rebuilds on the frame that applied a batch (that frame is busy
        // enough), unless they were put off last frame too.
        if pending.slots[k].is_empty() && !defer {
            if let Some(index) = s.kind_mut(k) {
                index.rebuild_grid();
            }
            pending.waiting[k] = false;
            done[k] = true;
            // One kind's layers rebuild per frame, unless this is a bulk load.
            if total <= BULK {
                pending.first = (k + 1) % 7;
                break;
            }
        }
    }
    let next = OverlayChanges {
        incidents: done[0],
        units: done[1],
        cameras: done[2],
        facilities: done[3],
        depots: done[4],
        sensors: done[5],
        areas: done[6],
    };
    if *changes != next {
        *changes = next;
    }
}
