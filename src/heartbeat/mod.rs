//! The heartbeat hub (心跳中枢): the governance index on the wall (the overall figure, its six
//! aspects in the four warning colours, their trend over the backend's history and the session),
//! drill-down from the city to its districts, streets, communities and grids with the worst
//! areas ranked at each level, efficiency supervision (效能监管) from the incidents, and the
//! index briefing (指数简报) exported as one HTML file.
//!
//! - `drill`: the drill-down state, the areas ranked at its level, the map following it;
//! - `panel`: the hub's section of the side panel, which drives the drill;
//! - `export`: the briefing, from the panel (with a picture of the wall) or `twinhall brief`.

mod drill;
mod export;
mod panel;

#[cfg(test)]
mod tests;

pub use drill::{Drill, area_score, child_level, ranked_children};
pub use export::{ExportRequest, ExportStatus, brief_cli};
pub use panel::HeartbeatUi;

use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<drill::Drill>().add_plugins(export::plugin).add_systems(
        Update,
        drill::drive_choropleth.in_set(crate::context::AppSystems::Analyse).before(crate::context::AppSystems::Draw),
    );
}
