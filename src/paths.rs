//! Where the app finds its files on disk. A module of its own so that both the app builder and
//! the features (the city's models) can use it without depending on each other.

use std::path::{Path, PathBuf};

/// The folder holding assets/, shaders/, scenes/ and config/: `TWINHALL_HOME`, else the working
/// directory or a parent of the executable that has assets/, else the source tree it was built from.
pub fn project_root() -> PathBuf {
    if let Some(home) = std::env::var_os("TWINHALL_HOME") {
        return PathBuf::from(home);
    }
    let has_assets = |p: &Path| p.join("assets").is_dir();
    if let Ok(cwd) = std::env::current_dir()
        && has_assets(&cwd)
    {
        return cwd;
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(found) = exe.ancestors().skip(1).find(|p| has_assets(p))
    {
        return found.to_path_buf();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
