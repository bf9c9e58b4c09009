//! The reader of the TOML files parsed with spans (plans, rules): a file of `[[array]]` tables
//! read in file order ([`TomlFile`]), with positions for error messages (the line of a byte
//! offset, and for a syntax error the `array[i].key` it sits in, as far as the text shows), so
//! that every message reads `FILE:LINE: FIELD: message`. Each file's own checks of its tables
//! are its own; reading, walking and placing errors are here, once.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

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

/// Reads a file's text; a file that cannot be read is [`TomlFileError::Io`].
pub fn read(path: &Path) -> Result<String, TomlFileError> {
    std::fs::read_to_string(path).map_err(|source| TomlFileError::Io { path: path.into(), source })
}

/// A TOML file of `[[array]]` tables being read: its text and name, for errors.
pub struct TomlFile<'a> {
    pub text: &'a str,
    pub path: &'a Path,
    /// The name of the file's array of tables: `plan` for `[[plan]]`.
    pub array: &'static str,
}

impl TomlFile<'_> {
    /// 1-based line of a byte offset in the text.
    pub fn line(&self, offset: usize) -> usize {
        line_of(self.text, offset)
    }

    /// A valid TOML value that is not a valid entry, at `span`.
    pub fn invalid(&self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) -> TomlFileError {
        TomlFileError::Invalid {
            path: self.path.into(),
            line: self.line(span.start),
            field: field.into(),
            message: message.into(),
        }
    }

    /// A TOML syntax error; the field is the table and key on that line, as far as the text shows.
    pub fn syntax(&self, e: &toml::de::Error) -> TomlFileError {
        let at = syntax_at(self.text, self.array, e);
        TomlFileError::Syntax { path: self.path.into(), line: at.line, field: at.field, message: at.message }
    }

    /// Parses the text and hands each `[[array]]` table to `each`, in file order. Any other key
    /// at the top, or an `array` that is not an array of tables, is an error.
    pub fn each_table(
        &self,
        mut each: impl FnMut(&Spanned<DeValue<'_>>) -> Result<(), TomlFileError>,
    ) -> Result<(), TomlFileError> {
        let root = DeTable::parse(self.text).map_err(|e| self.syntax(&e))?;
        for (key, value) in sorted_entries(root.get_ref()) {
            if key.get_ref().as_ref() != self.array {
                return Err(self.invalid(
                    key.span(),
                    key.get_ref().as_ref(),
                    format!("unknown field; the file holds [[{}]] tables", self.array),
                ));
            }
            let Some(items) = value.get_ref().as_array() else {
                return Err(self.invalid(
                    value.span(),
                    self.array,
                    format!("must be an array of tables: write [[{}]]", self.array),
                ));
            };
            for item in items.iter() {
                each(item)?;
            }
        }
        Ok(())
    }
}

/// A key and its value, with their spans.
pub type Entry<'a, 'i> = (&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>);

/// A table's entries in file order.
pub fn sorted_entries<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// A TOML integer as an `i64`, whatever its radix.
pub fn integer(value: &DeValue<'_>) -> Option<i64> {
    value.as_integer().and_then(|i| i64::from_str_radix(i.as_str(), i.radix()).ok())
}

/// A TOML integer or float as an `f64`.
pub fn number(value: &DeValue<'_>) -> Option<f64> {
    match value {
        DeValue::Integer(_) => integer(value).map(|i| i as f64),
        DeValue::Float(f) => f.as_str().parse().ok(),
        _ => None,
    }
}
