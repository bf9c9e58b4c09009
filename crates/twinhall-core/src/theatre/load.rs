//! Reading briefing files: RON with implicit `Some`, errors at `file:line:column`.

use std::path::{Path, PathBuf};

use super::Briefing;

/// A briefing file that cannot be played, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SceneError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for SceneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)
    }
}

impl std::error::Error for SceneError {}

/// Largest briefing file read, bytes.
pub const MAX_SCENE_BYTES: usize = 1 << 20;

/// Parses and checks one briefing.
pub fn parse(src: &str, file: &Path) -> Result<Briefing, SceneError> {
    let at = |line: usize, column: usize, message: String| SceneError { file: file.to_owned(), line, column, message };
    if src.len() > MAX_SCENE_BYTES {
        return Err(at(1, 1, format!("{} bytes is over the {MAX_SCENE_BYTES}-byte limit of a briefing", src.len())));
    }
    let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let b: Briefing = options.from_str(src).map_err(|e| at(e.span.start.line, e.span.start.col, e.code.to_string()))?;
    let line_of = |needle: &str| {
        src.find(needle).map_or((1, 1), |i| {
            let before = &src[..i];
            (before.matches('\n').count() + 1, before.rfind('\n').map_or(i, |n| i - n - 1) + 1)
        })
    };
    if b.steps.is_empty() {
        let (l, c) = line_of("steps");
        return Err(at(l, c, "steps: a briefing needs at least one step".into()));
    }
    if b.theme.id.is_empty() || !b.theme.id.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_') {
        let (l, c) = line_of("id");
        return Err(at(l, c, format!("theme.id `{}` must be lower-case letters, digits and _", b.theme.id)));
    }
    if b.theme.title.zh.trim().is_empty() {
        let (l, c) = line_of("title");
        return Err(at(l, c, "theme.title.zh is empty".into()));
    }
    Ok(b)
}

/// The `.ron` files of a folder, sorted by name.
pub fn scene_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ron") && p.is_file())
        .collect();
    v.sort();
    Ok(v)
}

/// The good briefings of a folder with their files, and the errors of the bad ones.
pub type Checked = (Vec<(PathBuf, Briefing)>, Vec<SceneError>);

/// Reads and checks every briefing of a folder: the good ones, and an error for each bad file
/// (including a theme id used twice).
pub fn check_dir(dir: &Path) -> Result<Checked, std::io::Error> {
    let mut good: Vec<(PathBuf, Briefing)> = Vec::new();
    let mut bad = Vec::new();
    for file in scene_files(dir)? {
        let read = std::fs::read(&file).map_err(|e| e.to_string()).and_then(|bytes| {
            if bytes.len() > MAX_SCENE_BYTES {
                return Err(format!("{} bytes is over the {MAX_SCENE_BYTES}-byte limit of a briefing", bytes.len()));
            }
            String::from_utf8(bytes).map_err(|e| format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()))
        });
        match read {
            Err(message) => bad.push(SceneError { file, line: 1, column: 1, message }),
            Ok(src) => match parse(&src, &file) {
                Err(e) => bad.push(e),
                Ok(b) => {
                    if let Some((other, _)) = good.iter().find(|(_, g)| g.theme.id == b.theme.id) {
                        let message = format!("theme.id `{}` is also the id of {}", b.theme.id, other.display());
                        bad.push(SceneError { file, line: 1, column: 1, message });
                    } else {
                        good.push((file, b));
                    }
                }
            },
        }
    }
    Ok((good, bad))
}
