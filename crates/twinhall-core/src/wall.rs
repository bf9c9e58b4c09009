//! The video wall beside the operator console: where the wall window goes and how large its
//! text, icons and margins are for the distance it is seen from (the presets).

use serde::{Deserialize, Serialize};

/// Sizes for a viewing distance: what the wall's text, icons and safe-area margin are scaled by,
/// on top of the scale every window gets for its height (1 up to 1080 px, 2 at 2160 px).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct WallPreset {
    pub id: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// Viewing distance the preset is meant for, metres (for the docs and the console).
    pub distance_m: f32,
    /// Text (labels, the theatre's cards, the HUD) times this.
    pub text_scale: f32,
    /// Icons and their pick radius times this.
    pub icon_scale: f32,
    /// Margin kept clear at every edge, physical pixels (bezels, a frame over the panels).
    pub safe_margin_px: u32,
}

/// The presets, nearest viewing distance first.
pub const PRESETS: [WallPreset; 4] = [
    WallPreset {
        id: "desk",
        name_zh: "桌面（约 0.7 米）",
        name_en: "desk (about 0.7 m)",
        distance_m: 0.7,
        text_scale: 1.0,
        icon_scale: 1.0,
        safe_margin_px: 0,
    },
    WallPreset {
        id: "room",
        name_zh: "会议室（约 4 米）",
        name_en: "meeting room (about 4 m)",
        distance_m: 4.0,
        text_scale: 1.4,
        icon_scale: 1.3,
        safe_margin_px: 16,
    },
    WallPreset {
        id: "hall",
        name_zh: "指挥大厅（约 8 米）",
        name_en: "command hall (about 8 m)",
        distance_m: 8.0,
        text_scale: 1.8,
        icon_scale: 1.6,
        safe_margin_px: 32,
    },
    WallPreset {
        id: "far",
        name_zh: "大厅后排（约 15 米）",
        name_en: "back of the hall (about 15 m)",
        distance_m: 15.0,
        text_scale: 2.5,
        icon_scale: 2.1,
        safe_margin_px: 48,
    },
];

/// The preset with this id.
pub fn preset(id: &str) -> Result<WallPreset, String> {
    let id = id.trim();
    PRESETS.iter().find(|p| p.id.eq_ignore_ascii_case(id)).copied().ok_or_else(|| {
        let ids: Vec<&str> = PRESETS.iter().map(|p| p.id).collect();
        format!("`{id}` is not a wall preset; one of {}", ids.join(", "))
    })
}

/// The monitor the wall goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MonitorChoice {
    /// The system's primary monitor.
    Primary,
    /// By position in the system's list, from 0.
    Index(usize),
    /// By the name the system gives it (`DP-2`, `HDMI-1`), ignoring case.
    Name(String),
}

impl MonitorChoice {
    /// `""` or `primary`, a number, or a name.
    pub fn parse(s: &str) -> Self {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("primary") {
            Self::Primary
        } else if let Ok(i) = s.parse() {
            Self::Index(i)
        } else {
            Self::Name(s.to_owned())
        }
    }
}

/// The `[wall]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WallConfig {
    /// Open the wall as a window of its own beside the console (`--wall`).
    pub enabled: bool,
    /// Monitor for the borderless full-screen wall: "primary", its index from 0, or its name.
    pub monitor: String,
    /// Full screen on that monitor; when false, a window of `width` x `height` (to try a layout
    /// on a desk, and for the tests).
    pub fullscreen: bool,
    pub width: u32,
    pub height: u32,
    /// One of [`PRESETS`]: `desk`, `room`, `hall`, `far`.
    pub preset: String,
    /// Overrides of the preset's scales and margin; 0 keeps the preset's.
    pub text_scale: f32,
    pub icon_scale: f32,
    pub safe_margin_px: u32,
}

impl Default for WallConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            monitor: String::new(),
            fullscreen: true,
            width: 1920,
            height: 1080,
            preset: "hall".into(),
            text_scale: 0.0,
            icon_scale: 0.0,
            safe_margin_px: 0,
        }
    }
}

impl WallConfig {
    /// The preset with this section's overrides applied.
    pub fn resolved(&self) -> Result<WallPreset, String> {
        let mut p = preset(&self.preset)?;
        if self.text_scale > 0.0 {
            p.text_scale = self.text_scale;
        }
        if self.icon_scale > 0.0 {
            p.icon_scale = self.icon_scale;
        }
        if self.safe_margin_px > 0 {
            p.safe_margin_px = self.safe_margin_px;
        }
        Ok(p)
    }

    /// What is wrong with the section, as (field, message).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if let Err(m) = preset(&self.preset) {
            return Some(("wall.preset", m));
        }
        for (field, v) in [("wall.text_scale", self.text_scale), ("wall.icon_scale", self.icon_scale)] {
            if !(v == 0.0 || (0.5..=6.0).contains(&v)) {
                return Some((field, format!("must be 0 (the preset's) or 0.5..=6, got {v}")));
            }
        }
        if self.safe_margin_px > 1000 {
            return Some(("wall.safe_margin_px", format!("must be 0..=1000, got {}", self.safe_margin_px)));
        }
        if !(320..=16384).contains(&self.width) || !(240..=16384).contains(&self.height) {
            return Some((
                "wall.width",
                format!("the wall window must be 320..=16384 by 240..=16384, got {}x{}", self.width, self.height),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_grow_with_the_viewing_distance_and_are_found_by_id() {
        for w in PRESETS.windows(2) {
            assert!(w[1].distance_m > w[0].distance_m);
            assert!(w[1].text_scale > w[0].text_scale && w[1].icon_scale > w[0].icon_scale);
            assert!(w[1].safe_margin_px > w[0].safe_margin_px);
        }
        assert_eq!(preset("HALL").map(|p| p.id), Ok("hall"));
        let e = preset("cinema").expect_err("unknown");
        assert!(e.contains("cinema") && e.contains("desk, room, hall, far"), "{e}");
    }

    #[test]
    fn overrides_replace_the_preset_and_bad_values_name_their_field() {
        let c = WallConfig { preset: "room".into(), text_scale: 3.0, safe_margin_px: 90, ..Default::default() };
        let p = c.resolved().expect("room");
        assert_eq!((p.text_scale, p.icon_scale, p.safe_margin_px), (3.0, 1.3, 90));
        assert_eq!(c.problem(), None);
        let bad = WallConfig { icon_scale: 9.0, ..Default::default() };
        assert_eq!(bad.problem().map(|p| p.0), Some("wall.icon_scale"));
        let bad = WallConfig { preset: "x".into(), ..Default::default() };
        assert_eq!(bad.problem().map(|p| p.0), Some("wall.preset"));
        let bad = WallConfig { width: 100, ..Default::default() };
        assert!(bad.problem().is_some_and(|(f, m)| f == "wall.width" && m.contains("100x1080")));
    }

    #[test]
    fn monitors_are_chosen_by_index_or_name() {
        assert_eq!(MonitorChoice::parse(""), MonitorChoice::Primary);
        assert_eq!(MonitorChoice::parse("Primary"), MonitorChoice::Primary);
        assert_eq!(MonitorChoice::parse(" 1 "), MonitorChoice::Index(1));
        assert_eq!(MonitorChoice::parse("DP-2"), MonitorChoice::Name("DP-2".into()));
    }
}
