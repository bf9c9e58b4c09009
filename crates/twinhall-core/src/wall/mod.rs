//! The video wall beside the operator console: its configuration (`config`: the `[wall]`
//! section, presets, tiles) and the messages between the machines of one wall (`sync`). The
//! configuration needs nothing of the feed, rules or layers the messages carry.

mod config;
mod sync;

pub use config::{MonitorChoice, PRESETS, Tiling, WallConfig, WallPreset, preset};
pub use sync::{SyncFrame, SyncLabels, SyncMessage, SyncView};
