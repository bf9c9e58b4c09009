//! Positions in a TOML file for error messages: the line of a byte offset, and for a syntax
//! error the `array[i].key` it sits in, as far as the text shows. Shared by the files parsed
//! with spans (plans, rules) so that every message reads `FILE:LINE: FIELD: message`.

/// A TOML file (plans, rules) that cannot be read or is wrong; the message names the file, the
/// line and the field, on one line.
#[derive(Debug, thiserror::Error)]
pub enum TomlFileError {
    #[error("{path}: cannot read: {source}")]
    Io { path: std::path::PathBuf, source: std::io::Error },
    /// Not valid TOML.
    #[error("{path}:{line}: {field}: {message}")]
    Syntax { path: std::path::PathBuf, line: usize, field: String, message: String },
    /// Valid TOML, but not a valid entry.
    #[error("{path}:{line}: {field}: {message}")]
    Invalid { path: std::path::PathBuf, line: usize, field: String, message: String },
}

/// A syntax error placed: its line, the field it is in, and the parser's message.
pub struct SyntaxAt {
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

/// Where a TOML syntax error is: `array` is the name of the file's array of tables (`plan` for
/// `[[plan]]`), so the field reads `plan[2].units` for the third plan's `units` line.
pub fn syntax_at(text: &str, array: &str, e: &toml::de::Error) -> SyntaxAt {
    let mut offset = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_text = text[start..].lines().next().unwrap_or("");
    let header_wanted = format!("[[{array}]]");
    let mut count = 0usize;
    let mut section = String::new();
    for l in text[..start].lines() {
        let header: String = l.split('#').next().unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
        if header == header_wanted {
            count += 1;
        }
        if header.starts_with('[') {
            section = header.trim_matches(['[', ']']).to_string();
        }
    }
    let mut field = if section == array || section.starts_with(&format!("{array}.")) {
        format!("{array}[{}]{}", count.saturating_sub(1), section.strip_prefix(array).unwrap_or(""))
    } else {
        section
    };
    if let Some((key, _)) = line_text.split_once('=') {
        let key = key.trim().trim_matches('"');
        if !key.is_empty() && !key.starts_with('[') && !key.starts_with('#') {
            field = if field.is_empty() { key.to_string() } else { format!("{field}.{key}") };
        }
    }
    if field.is_empty() {
        field = "(file)".into();
    }
    let message = e.message().trim().replace('\n', " ");
    SyntaxAt { line: line_of(text, offset), field, message: format!("invalid TOML: {message}") }
}
