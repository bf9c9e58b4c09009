//! The session's journal: one SQLite database (`Settings::journal_path`) holding dispatch
//! orders, incident timelines and alerts. Opened once, by whichever feature needs it first (the
//! action hub's outbox, or the tactile hub's alerts), and shared: one connection, one lock, so
//! the two never contend as two writers of one file.

use std::sync::{Arc, OnceLock};

use bevy::prelude::*;
use twinhall_core::hub::journal::Journal;

use crate::settings::Settings;

/// The journal, or why it could not be opened (said once, by each feature that needed it).
#[derive(Resource, Default)]
pub struct AppJournal(OnceLock<Result<Arc<Journal>, String>>);

impl AppJournal {
    /// The journal at the settings' path, opened (and its folder made) on the first call.
    pub fn get(&self, settings: &Settings) -> Result<Arc<Journal>, String> {
        self.0.get_or_init(|| open(settings)).clone()
    }
}

fn open(settings: &Settings) -> Result<Arc<Journal>, String> {
    let path = settings.journal_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    }
    Journal::open(&path).map(Arc::new).map_err(|e| e.to_string())
}

pub(super) fn plugin(app: &mut App) {
    // Also initialised by the features that open it, so that each plugin stands alone in tests.
    app.init_resource::<AppJournal>();
}
