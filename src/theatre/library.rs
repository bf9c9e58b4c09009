//! The briefing files: every scenes/*.ron read at start, then looked at once a second; a file
//! whose modification time changed is read again. A broken file keeps its last good version
//! playable (if it had one), and its error shows in the console's theatre section and the log;
//! the other briefings are untouched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use bevy::prelude::*;
use twinhall_core::theatre::{Briefing, SceneError, check_dir, parse, scene_files};

use crate::paths::project_root;

/// How often the folder is looked at, seconds.
const POLL_S: f64 = 1.0;

/// One playable briefing.
#[derive(Clone, Debug)]
pub struct Entry {
    pub file: PathBuf,
    pub briefing: Arc<Briefing>,
}

/// The briefings of scenes/ and the errors of the files that do not read.
#[derive(Resource, Debug)]
pub struct Library {
    pub dir: PathBuf,
    /// In theme order, then title.
    pub entries: Vec<Entry>,
    pub errors: Vec<SceneError>,
    /// Bumped on every change, so the panel and the player notice a reload.
    pub generation: u64,
    stamps: HashMap<PathBuf, Option<SystemTime>>,
    last_poll: f64,
}

impl Library {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            entries: Vec::new(),
            errors: Vec::new(),
            generation: 0,
            stamps: HashMap::new(),
            last_poll: f64::MIN,
        }
    }

    /// The briefing with this theme id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.briefing.theme.id == id)
    }

    /// Reads what changed on disk since the last look; true when anything did.
    pub fn refresh(&mut self) -> bool {
        let files = match scene_files(&self.dir) {
            Ok(f) => f,
            Err(e) => {
                let err =
                    SceneError { file: self.dir.clone(), line: 1, column: 1, message: format!("cannot list: {e}") };
                if self.errors != [err.clone()] {
                    warn!("decision theatre: {err}");
                    self.errors = vec![err];
                    self.generation += 1;
                    return true;
                }
                return false;
            }
        };
        let stamp = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let now: HashMap<PathBuf, Option<SystemTime>> = files.iter().map(|f| (f.clone(), stamp(f))).collect();
        if now == self.stamps {
            return false;
        }
        let mut changed = false;
        // Files gone: their briefings go too.
        let before = self.entries.len();
        self.entries.retain(|e| now.contains_key(&e.file));
        self.errors.retain(|e| now.contains_key(&e.file));
        changed |= before != self.entries.len();
        for file in &files {
            if self.stamps.get(file) == now.get(file) {
                continue;
            }
            changed = true;
            self.errors.retain(|e| &e.file != file);
            match read(file) {
                Ok(b) => {
                    let duplicate = self.entries.iter().find(|e| &e.file != file && e.briefing.theme.id == b.theme.id);
                    if let Some(other) = duplicate {
                        let message = format!("theme.id `{}` is also the id of {}", b.theme.id, other.file.display());
                        let err = SceneError { file: file.clone(), line: 1, column: 1, message };
                        warn!("decision theatre: {err}");
                        self.errors.push(err);
                        continue;
                    }
                    info!("decision theatre: read {} ({} steps)", file.display(), b.steps.len());
                    let entry = Entry { file: file.clone(), briefing: Arc::new(b) };
                    match self.entries.iter_mut().find(|e| &e.file == file) {
                        Some(e) => *e = entry,
                        None => self.entries.push(entry),
                    }
                }
                Err(err) => {
                    let kept = self.entries.iter().any(|e| &e.file == file);
                    warn!(
                        "decision theatre: {err}{}",
                        if kept { " (the last good version stays playable)" } else { "" }
                    );
                    self.errors.push(err);
                }
            }
        }
        self.stamps = now;
        self.entries.sort_by(|a, b| {
            (a.briefing.theme.order, &a.briefing.theme.title.zh)
                .cmp(&(b.briefing.theme.order, &b.briefing.theme.title.zh))
        });
        if changed {
            self.generation += 1;
        }
        changed
    }
}

fn read(file: &Path) -> Result<Briefing, SceneError> {
    let err = |message: String| SceneError { file: file.to_owned(), line: 1, column: 1, message };
    let bytes = std::fs::read(file).map_err(|e| err(format!("cannot read: {e}")))?;
    let src =
        String::from_utf8(bytes).map_err(|e| err(format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to())))?;
    parse(&src, file)
}

pub(super) fn plugin(app: &mut App) {
    let dir = project_root().join("scenes");
    app.insert_resource(Library::new(dir)).add_systems(Update, poll_library);
}

fn poll_library(time: Res<Time<Real>>, mut library: ResMut<Library>) {
    let now = time.elapsed_secs_f64();
    if now - library.bypass_change_detection().last_poll < POLL_S {
        return;
    }
    library.bypass_change_detection().last_poll = now;
    // Write through change detection only when something changed.
    if library.bypass_change_detection().refresh() {
        library.set_changed();
    }
}

/// `twinhall check-scenes [DIR]`: every briefing of DIR (scenes/ by default) read and checked;
/// one line per file, errors as `file:line:column: message`. Exit code 0 when all are good, 2
/// when any is bad or the folder cannot be read.
pub fn check_scenes_cli(dir: Option<PathBuf>) -> i32 {
    let dir = dir.unwrap_or_else(|| project_root().join("scenes"));
    match check_dir(&dir) {
        Err(e) => {
            eprintln!("{}: cannot read the folder: {e}", dir.display());
            2
        }
        Ok((good, bad)) => {
            for (file, b) in &good {
                println!("ok {} ({}, {} steps)", file.display(), b.theme.id, b.steps.len());
            }
            for e in &bad {
                eprintln!("{e}");
            }
            if good.is_empty() && bad.is_empty() {
                eprintln!("{}: no .ron briefing in this folder", dir.display());
                return 2;
            }
            if bad.is_empty() { 0 } else { 2 }
        }
    }
}
