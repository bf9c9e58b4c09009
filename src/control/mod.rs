//! The control API (远程控制): a tablet, another console or a script drives the wall over HTTP
//! and JSON — fly, select an incident, search, layers, decision-theatre briefings, a screenshot,
//! health and state. docs/control-api.md is the reference.
//!
//! - `api`: the requests and replies, with the bodies' checks.
//! - `server`: axum on a thread of its own; commands reach the wall through a bounded channel,
//!   one answer each.
//! - `commands`: the wall's side, a few commands a frame, answered from the world (a theatre
//!   command after the theatre applied it, a screenshot when it is captured).

mod api;
mod commands;
mod server;
#[cfg(test)]
mod tests;

use bevy::prelude::*;

pub use api::{Call, FlyBody, Reply, Request, TheatreAction, TheatreBody, WallBody};
pub use commands::ControlInbox;
pub use server::{BODY_LIMIT, Pulse, Running, start};

pub(super) fn plugin(app: &mut App) {
    commands::plugin(app);
}
