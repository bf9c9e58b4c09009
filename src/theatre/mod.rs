//! The decision theatre (视觉中枢 · 决策剧场): themed briefings from scenes/*.ron played on the
//! live twin. The presenter steps through a briefing (arrow keys, PageUp/PageDown as clickers
//! send, autoplay); each step flies the camera, switches layers and filters, draws out entities,
//! and puts narration, charts bound to live metrics and an expert's note on the wall.
//!
//! - `library`: the briefing files, read at start and again when one changes on disk;
//! - `player`: playback, the presenter's keys, what a step switches on;
//! - `tour`: camera paths with Bevy's easing functions;
//! - `highlight`: the step's queries resolved on the store and drawn on the twin;
//! - `wall`: narration card, charts, expert note and progress over the view;
//! - `panel`: the presenter's controls in the side panel.

mod charts;
mod highlight;
mod library;
mod panel;
mod player;
mod tour;
mod wall;

#[cfg(test)]
mod tests;

use bevy::prelude::*;

pub use charts::{chart_points, chart_ui, pie_ui};
pub use highlight::Highlights;
pub use library::{Library, check_scenes_cli};
pub use panel::TheatreUi;
pub use player::{Playback, Theatre};
pub use tour::{Tour, sample_tour};

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((library::plugin, player::plugin, tour::plugin, highlight::plugin, wall::plugin));
}

/// The briefings and their player without the wall's drawing, for other features' headless tests.
#[cfg(test)]
pub(crate) fn player_plugins(app: &mut App) {
    app.add_plugins((library::plugin, player::plugin, tour::plugin));
}
