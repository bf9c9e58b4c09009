//! Which kinds changed this frame: the store's changed slots taken once a frame, their positions
//! computed (spread over frames) and each kind reported changed once all its positions are in.

use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::frame::LocalGrid;
use twinhall_core::protocol::EntityKind;

use super::spatial::Spatial;
use crate::context::City;
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

/// The kinds in the order they take turns (and `OverlayChanges` lists them).
const KINDS: [EntityKind; 7] = [
    EntityKind::Incident,
    EntityKind::Unit,
    EntityKind::Camera,
    EntityKind::Facility,
    EntityKind::SupplyDepot,
    EntityKind::Sensor,
    EntityKind::Area,
];

/// Slots whose positions are still to be computed, by kind (at a kind's place in [`KINDS`]).
#[derive(Default)]
pub(super) struct Pending {
    slots: [Vec<u32>; KINDS.len()],
    waiting: [bool; KINDS.len()],
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
    for (k, kind) in KINDS.into_iter().enumerate() {
        let t = match kind {
            EntityKind::Incident => data.incidents.take_dirty(),
            EntityKind::Unit => data.units.take_dirty(),
            EntityKind::Camera => data.cameras.take_dirty(),
            EntityKind::Facility => data.facilities.take_dirty(),
            EntityKind::SupplyDepot => data.supply_depots.take_dirty(),
            EntityKind::Sensor => data.sensors.take_dirty(),
            EntityKind::Area => data.areas.take_dirty(),
        };
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
    let mut done = [false; KINDS.len()];
    let l = |lon, lat| fast.to_local(LonLat::new(lon, lat));
    let defer = applied_now && total <= BULK && !pending.deferred;
    pending.deferred = defer;
    // Nothing waiting (most frames): the spatial index and the changes are left untouched, so
    // neither is marked changed for their readers.
    if !pending.waiting.contains(&true) {
        changes.set_if_neq(OverlayChanges::default());
        return;
    }
    let s = &mut *spatial;
    let first = pending.first;
    for k in (first..KINDS.len()).chain(0..first) {
        if !pending.waiting[k] {
            continue;
        }
        let kind = KINDS[k];
        // Areas have no point position: nothing to compute.
        let n = if kind == EntityKind::Area { pending.slots[k].len() } else { pending.slots[k].len().min(budget) };
        let chunk: Vec<u32> = pending.slots[k].drain(..n).collect();
        budget = budget.saturating_sub(n);
        match kind {
            EntityKind::Incident => s.incidents.update_positions(&chunk, data.incidents.slot_count(), |j| {
                data.incidents.slot(j).map(|e| l(e.lon, e.lat))
            }),
            EntityKind::Unit => s
                .units
                .update_positions(&chunk, data.units.slot_count(), |j| data.units.slot(j).map(|e| l(e.lon, e.lat))),
            EntityKind::Camera => s
                .cameras
                .update_positions(&chunk, data.cameras.slot_count(), |j| data.cameras.slot(j).map(|e| l(e.lon, e.lat))),
            EntityKind::Facility => s.facilities.update_positions(&chunk, data.facilities.slot_count(), |j| {
                data.facilities.slot(j).map(|e| l(e.lon, e.lat))
            }),
            EntityKind::SupplyDepot => s.depots.update_positions(&chunk, data.supply_depots.slot_count(), |j| {
                data.supply_depots.slot(j).map(|e| l(e.lon, e.lat))
            }),
            EntityKind::Sensor => s
                .sensors
                .update_positions(&chunk, data.sensors.slot_count(), |j| data.sensors.slot(j).map(|e| l(e.lon, e.lat))),
            EntityKind::Area => {}
        }
        // No grid or layer rebuilds on the frame that applied a batch (that frame is busy
        // enough), unless they were put off last frame too.
        if pending.slots[k].is_empty() && !defer {
            if let Some(index) = s.kind_mut(kind) {
                index.rebuild_grid();
            }
            pending.waiting[k] = false;
            done[k] = true;
            // One kind's layers rebuild per frame, unless this is a bulk load.
            if total <= BULK {
                pending.first = (k + 1) % KINDS.len();
                break;
            }
        }
    }
    let done_kind = |kind: EntityKind| KINDS.iter().position(|k| *k == kind).is_some_and(|k| done[k]);
    let next = OverlayChanges {
        incidents: done_kind(EntityKind::Incident),
        units: done_kind(EntityKind::Unit),
        cameras: done_kind(EntityKind::Camera),
        facilities: done_kind(EntityKind::Facility),
        depots: done_kind(EntityKind::SupplyDepot),
        sensors: done_kind(EntityKind::Sensor),
        areas: done_kind(EntityKind::Area),
    };
    if *changes != next {
        *changes = next;
    }
}
