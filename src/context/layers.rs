//! The map's layers, with one owner: which overlay, city and defence layers show, what the
//! incidents are filtered to and what the choropleth colours. A briefing's step, the control API
//! and a wall's leader all switch them through [`MapLayers::switch`]; [`MapLayers::now`] is its
//! inverse (every layer named, as a leader sends them).

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use twinhall_core::protocol::{AreaLevel, IncidentCategory};
use twinhall_core::theatre::Layers;

/// Which overlay layers show, and the area level of the choropleth.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct OverlayLayers {
    pub incidents: bool,
    pub units: bool,
    pub cameras: bool,
    pub cones: bool,
    pub facilities: bool,
    pub depots: bool,
    pub sensors: bool,
    pub areas: bool,
    pub labels: bool,
    pub area_level: AreaLevel,
}

impl Default for OverlayLayers {
    fn default() -> Self {
        Self {
            incidents: true,
            units: true,
            cameras: true,
            cones: true,
            facilities: true,
            depots: true,
            sensors: true,
            areas: true,
            labels: true,
            area_level: AreaLevel::District,
        }
    }
}

impl OverlayLayers {
    /// These layers with what `l` names switched (a briefing's step, a remote command).
    pub fn switched(&self, l: &twinhall_core::theatre::Layers) -> Self {
        let mut out = self.clone();
        for (slot, v) in [
            (&mut out.incidents, l.incidents),
            (&mut out.units, l.units),
            (&mut out.cameras, l.cameras),
            (&mut out.cones, l.cones),
            (&mut out.facilities, l.facilities),
            (&mut out.depots, l.depots),
            (&mut out.sensors, l.sensors),
            (&mut out.areas, l.areas),
            (&mut out.labels, l.labels),
        ] {
            if let Some(v) = v {
                *slot = v;
            }
        }
        if let Some(level) = l.area_level {
            out.area_level = level;
        }
        out
    }
}

/// Which incidents and units the map shows: a briefing step's filter (category, least severity,
/// status, unit kind); the default shows everything.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct IncidentFilter(pub twinhall_core::theatre::Filter);

impl IncidentFilter {
    pub fn admits(&self, i: &twinhall_core::protocol::Incident) -> bool {
        self.0.admits_incident(i.category, i.severity, i.status)
    }

    pub fn admits_unit(&self, kind: twinhall_core::protocol::UnitKind) -> bool {
        self.0.admits_unit(kind)
    }
}

/// What the area choropleth colours: an aspect of the index (the overall index when none), and
/// only the descendants of one area (the heartbeat hub's drill-down) when set.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct AreaChoropleth {
    pub aspect: Option<twinhall_core::protocol::IndexAspect>,
    pub within: Option<String>,
}

/// Layers the user has switched on.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct LayerVisibility {
    pub buildings: bool,
    pub roads: bool,
    pub railways: bool,
    pub water: bool,
    pub green: bool,
}

impl Default for LayerVisibility {
    fn default() -> Self {
        Self { buildings: true, roads: true, railways: true, water: true, green: true }
    }
}

impl LayerVisibility {
    /// These layers with what `l` names switched (a briefing's step, a remote command).
    pub fn switched(&self, l: &twinhall_core::theatre::Layers) -> Self {
        let mut out = self.clone();
        for (slot, v) in [
            (&mut out.buildings, l.buildings),
            (&mut out.roads, l.roads),
            (&mut out.railways, l.railways),
            (&mut out.water, l.water),
            (&mut out.green, l.green),
        ] {
            if let Some(v) = v {
                *slot = v;
            }
        }
        out
    }
}

/// What the defence hub shows; changed in the panel.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct DefenceView {
    /// The heat map on the ground.
    pub heat: bool,
    /// Key grids outlined on the twin.
    pub key_grids: bool,
    /// Only this category in the heat map (all when none).
    pub category: Option<IncidentCategory>,
    /// The recent window, hours: the heat map's and the scores'.
    pub window_h: u32,
    /// The heat map's kernel bandwidth, metres.
    pub bandwidth_m: f64,
}

impl DefenceView {
    /// This view with the heat map and key grids switched as `l` names them.
    pub fn switched(&self, l: &twinhall_core::theatre::Layers) -> Self {
        Self { heat: l.heat.unwrap_or(self.heat), key_grids: l.key_grids.unwrap_or(self.key_grids), ..self.clone() }
    }
}

impl Default for DefenceView {
    fn default() -> Self {
        Self { heat: true, key_grids: true, category: None, window_h: 6, bandwidth_m: 120.0 }
    }
}

/// Every layer resource, switched together.
#[derive(SystemParam)]
pub struct MapLayers<'w> {
    pub overlays: ResMut<'w, OverlayLayers>,
    pub city: ResMut<'w, LayerVisibility>,
    pub defence: ResMut<'w, DefenceView>,
}

impl MapLayers<'_> {
    /// Switches what `l` names; the rest stays, and a resource is touched only on a real change.
    pub fn switch(&mut self, l: &Layers) {
        let next = self.overlays.switched(l);
        self.overlays.set_if_neq(next);
        let next = self.city.switched(l);
        self.city.set_if_neq(next);
        let next = self.defence.switched(l);
        self.defence.set_if_neq(next);
    }

    /// The layers as shown, every one named.
    pub fn now(&self) -> Layers {
        layers_of(Some(&self.overlays), Some(&self.city), Some(&self.defence))
    }
}

/// Switches the layers `l` names in a world (the control API's exclusive commands, a follower
/// applying its leader's frame); a layer resource that is absent is left alone.
pub fn switch_layers(world: &mut World, l: &Layers) {
    if let Some(mut v) = world.get_resource_mut::<OverlayLayers>() {
        let next = v.switched(l);
        v.set_if_neq(next);
    }
    if let Some(mut v) = world.get_resource_mut::<LayerVisibility>() {
        let next = v.switched(l);
        v.set_if_neq(next);
    }
    if let Some(mut v) = world.get_resource_mut::<DefenceView>() {
        let next = v.switched(l);
        v.set_if_neq(next);
    }
}

/// The layers a world shows, every one named: the inverse of [`switch_layers`].
pub fn layers_now(world: &World) -> Layers {
    layers_of(world.get_resource(), world.get_resource(), world.get_resource())
}

fn layers_of(o: Option<&OverlayLayers>, c: Option<&LayerVisibility>, d: Option<&DefenceView>) -> Layers {
    let mut l = Layers::default();
    if let Some(o) = o {
        l.incidents = Some(o.incidents);
        l.units = Some(o.units);
        l.cameras = Some(o.cameras);
        l.cones = Some(o.cones);
        l.facilities = Some(o.facilities);
        l.depots = Some(o.depots);
        l.sensors = Some(o.sensors);
        l.areas = Some(o.areas);
        l.labels = Some(o.labels);
        l.area_level = Some(o.area_level);
    }
    if let Some(c) = c {
        (l.buildings, l.roads, l.railways, l.water, l.green) =
            (Some(c.buildings), Some(c.roads), Some(c.railways), Some(c.water), Some(c.green));
    }
    if let Some(d) = d {
        (l.heat, l.key_grids) = (Some(d.heat), Some(d.key_grids));
    }
    l
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<OverlayLayers>()
        .init_resource::<LayerVisibility>()
        .init_resource::<DefenceView>()
        .init_resource::<IncidentFilter>()
        .init_resource::<AreaChoropleth>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switching_to_what_is_shown_is_the_identity_and_every_layer_round_trips() {
        let mut world = World::new();
        world.init_resource::<OverlayLayers>();
        world.init_resource::<LayerVisibility>();
        world.init_resource::<DefenceView>();
        let shown = layers_now(&world);
        switch_layers(&mut world, &shown);
        assert_eq!(layers_now(&world), shown);
        let off = Layers {
            incidents: Some(false),
            units: Some(false),
            cameras: Some(false),
            cones: Some(false),
            facilities: Some(false),
            depots: Some(false),
            sensors: Some(false),
            areas: Some(false),
            labels: Some(false),
            heat: Some(!shown.heat.unwrap_or(false)),
            key_grids: Some(false),
            buildings: Some(false),
            roads: Some(false),
            railways: Some(false),
            water: Some(false),
            green: Some(false),
            area_level: Some(AreaLevel::Grid),
        };
        switch_layers(&mut world, &off);
        assert_eq!(layers_now(&world), off, "every layer the world shows is named by its inverse");
    }
}
