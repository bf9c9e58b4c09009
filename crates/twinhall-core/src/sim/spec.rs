//! Hot spots written on a command line or in a config: `GRID[:CATEGORY[:FACTOR]]`.

use super::{InjectedHotspot, MAX_HOTSPOT_FACTOR};
use crate::protocol::IncidentCategory;

/// The factor of a hot spot given without one.
pub const DEFAULT_HOTSPOT_FACTOR: f64 = 8.0;

impl InjectedHotspot {
    /// Parses `GRID[:CATEGORY[:FACTOR]]` (e.g. `A4-37:dispute:8`; the category `all`, `*` or
    /// nothing means every category); the error says what is wrong with which part. Whether the
    /// grid exists is for the simulation to check.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut parts = spec.split(':');
        let grid_id = parts.next().unwrap_or_default().trim();
        if grid_id.is_empty() {
            return Err("no grid id before the first `:` (e.g. A4-37:dispute:8)".into());
        }
        let category = match parts.next().map(str::trim) {
            None | Some("" | "all" | "*") => None,
            Some(name) => Some(IncidentCategory::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = IncidentCategory::ALL.iter().map(|c| c.name()).collect();
                format!("category `{name}` is none of all, {}", names.join(", "))
            })?),
        };
        let factor = match parts.next().map(str::trim) {
            None | Some("") => DEFAULT_HOTSPOT_FACTOR,
            Some(f) => f
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0 && *v <= MAX_HOTSPOT_FACTOR)
                .ok_or_else(|| format!("factor `{f}` is not a number above 0 and at most {MAX_HOTSPOT_FACTOR}"))?,
        };
        if let Some(extra) = parts.next() {
            return Err(format!("`{extra}` after the factor: the form is GRID[:CATEGORY[:FACTOR]]"));
        }
        Ok(Self { grid_id: grid_id.to_owned(), category, factor })
    }
}
