//! Positions and grids per kind, for the layers, picking, labels and coverage.

use bevy::prelude::*;
use twinhall_core::overlay::spatial::PointGrid;
use twinhall_core::protocol::EntityKind;

/// One kind's positions by store slot (local metres, computed once per report) and a grid
/// over them.
#[derive(Debug)]
pub struct KindIndex {
    pub grid: PointGrid,
    pos: Vec<Option<[f64; 2]>>,
}

impl KindIndex {
    fn new(cell_m: f64) -> Self {
        Self { grid: PointGrid::new(cell_m), pos: Vec::new() }
    }

    /// Position of the entity in `slot`, as last reported.
    pub fn at(&self, slot: u32) -> Option<[f64; 2]> {
        self.pos.get(slot as usize).copied().flatten()
    }

    /// Slots within `radius` of `p`, nearest first.
    pub fn within(&self, p: [f64; 2], radius: f64) -> Vec<(u32, f64)> {
        self.grid.within(p, radius)
    }

    /// Recomputes the positions of these slots.
    pub(super) fn update_positions(&mut self, dirty: &[u32], slots: usize, at: impl Fn(u32) -> Option<[f64; 2]>) {
        self.pos.resize(slots.max(self.pos.len()), None);
        for &s in dirty {
            if let Some(p) = self.pos.get_mut(s as usize) {
                *p = at(s);
            }
        }
    }

    /// Rebuilds the grid from the cached positions.
    pub(super) fn rebuild_grid(&mut self) {
        self.grid.clear();
        for (s, p) in self.pos.iter().enumerate() {
            if let Some(p) = p {
                self.grid.insert(s as u32, *p);
            }
        }
    }
}

/// Positions and grids per kind, for the layers, picking, labels and coverage; updated for the
/// slots that changed.
#[derive(Resource, Debug)]
pub struct Spatial {
    pub incidents: KindIndex,
    pub cameras: KindIndex,
    pub facilities: KindIndex,
    pub depots: KindIndex,
    pub sensors: KindIndex,
    /// Units at their last report (their drawn position is `units::UnitMotions`).
    pub units: KindIndex,
}

impl Spatial {
    /// The index of kind `k` in `OverlayChanges` order (areas have none).
    /// The index of a kind with point positions (areas have none).
    pub(super) fn kind_mut(&mut self, kind: EntityKind) -> Option<&mut KindIndex> {
        match kind {
            EntityKind::Incident => Some(&mut self.incidents),
            EntityKind::Unit => Some(&mut self.units),
            EntityKind::Camera => Some(&mut self.cameras),
            EntityKind::Facility => Some(&mut self.facilities),
            EntityKind::SupplyDepot => Some(&mut self.depots),
            EntityKind::Sensor => Some(&mut self.sensors),
            EntityKind::Area => None,
        }
    }
}

impl Default for Spatial {
    fn default() -> Self {
        Self {
            incidents: KindIndex::new(250.0),
            cameras: KindIndex::new(100.0),
            facilities: KindIndex::new(250.0),
            depots: KindIndex::new(250.0),
            sensors: KindIndex::new(250.0),
            units: KindIndex::new(250.0),
        }
    }
}
