//! The `[wall]` section: where the wall window goes, how large its text, icons and margins are
//! for the distance it is seen from (the presets), and the tiles of a wall of several machines.

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
    /// A wall of several machines: the grid of tiles, `COLSxROWS` (`1x1`: one machine).
    pub grid: String,
    /// This machine's tile in the grid, `COL,ROW` from 0 (left to right, top to bottom).
    pub tile: String,
    /// Pixels hidden behind the bezels between two tiles, across and down: the picture jumps
    /// them, so a line crossing a seam stays straight.
    pub bezel_px: [u32; 2],
    /// Lead the other machines of the wall: listen for followers at this address
    /// (`127.0.0.1:8791`); beyond loopback only with `sync_token`.
    pub lead: String,
    /// Follow a leader at this address (`host:8791`): this machine shows only its tile, with
    /// the leader's camera, selection, briefing and feed.
    pub leader: String,
    /// Shared secret the followers present to the leader (env `TWINHALL_SYNC_TOKEN`).
    pub sync_token: String,
}

/// Where one machine's tile sits on a wall of several: the grid, the tile, the bezels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Tiling {
    pub cols: u32,
    pub rows: u32,
    pub col: u32,
    pub row: u32,
    /// Pixels behind the bezels between tiles, across and down.
    pub bezel: [u32; 2],
}

impl Tiling {
    /// One machine, one tile.
    pub const SINGLE: Tiling = Tiling { cols: 1, rows: 1, col: 0, row: 0, bezel: [0, 0] };

    /// `COLSxROWS` and `COL,ROW`.
    pub fn parse(grid: &str, tile: &str, bezel: [u32; 2]) -> Result<Self, (&'static str, String)> {
        let grid_s = if grid.trim().is_empty() { "1x1" } else { grid.trim() };
        let tile_s = if tile.trim().is_empty() { "0,0" } else { tile.trim() };
        let (cols, rows) = grid_s
            .split_once(['x', 'X'])
            .and_then(|(c, r)| Some((c.trim().parse::<u32>().ok()?, r.trim().parse::<u32>().ok()?)))
            .filter(|&(c, r)| (1..=16).contains(&c) && (1..=16).contains(&r))
            .ok_or(("wall.grid", format!("`{grid_s}` is not COLSxROWS with 1 to 16 of each, e.g. 4x2")))?;
        let (col, row) = tile_s
            .split_once(',')
            .and_then(|(c, r)| Some((c.trim().parse::<u32>().ok()?, r.trim().parse::<u32>().ok()?)))
            .ok_or(("wall.tile", format!("`{tile_s}` is not COL,ROW counted from 0, e.g. 1,0")))?;
        if col >= cols || row >= rows {
            return Err((
                "wall.tile",
                format!("tile {col},{row} is outside the {cols}x{rows} grid (columns 0..{cols}, rows 0..{rows})"),
            ));
        }
        if bezel[0] > 2000 || bezel[1] > 2000 {
            return Err(("wall.bezel_px", format!("must be 0..=2000 each, got {bezel:?}")));
        }
        Ok(Self { cols, rows, col, row, bezel })
    }

    pub fn is_single(&self) -> bool {
        self.cols * self.rows == 1
    }

    /// The whole wall's picture for tiles of `tile` pixels: the tiles and the bezels between.
    pub fn canvas(&self, tile: [u32; 2]) -> [u32; 2] {
        [self.cols * tile[0] + (self.cols - 1) * self.bezel[0], self.rows * tile[1] + (self.rows - 1) * self.bezel[1]]
    }

    /// This tile's top-left corner on the canvas.
    pub fn offset(&self, tile: [u32; 2]) -> [u32; 2] {
        [self.col * (tile[0] + self.bezel[0]), self.row * (tile[1] + self.bezel[1])]
    }
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
            grid: "1x1".into(),
            tile: "0,0".into(),
            bezel_px: [0, 0],
            lead: String::new(),
            leader: String::new(),
            sync_token: String::new(),
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

    /// The tiling of a wall of several machines (one tile when `grid` is `1x1`).
    pub fn tiling(&self) -> Result<Tiling, (&'static str, String)> {
        Tiling::parse(&self.grid, &self.tile, self.bezel_px)
    }

    /// This machine follows a leader: it shows only its tile.
    pub fn follows(&self) -> bool {
        !self.leader.trim().is_empty()
    }

    /// The address a leader listens on for its followers.
    pub fn lead_addr(&self) -> Result<Option<std::net::SocketAddr>, String> {
        let s = self.lead.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse().map(Some).map_err(|_| format!("`{s}` is not an IP:port to listen on, e.g. 127.0.0.1:8791"))
    }

    /// What is wrong with the section, as (field, message).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        match self.tiling() {
            Err(e) => return Some(e),
            Ok(t) if !t.is_single() && !self.enabled && !self.follows() => {
                return Some((
                    "wall.grid",
                    "a tile of a wall of several machines is shown by this machine's wall (--wall) \
                     or as a follower (--leader ADDR)"
                        .into(),
                ));
            }
            Ok(_) => {}
        }
        match self.lead_addr() {
            Err(m) => return Some(("wall.lead", m)),
            Ok(Some(addr)) if !addr.ip().is_loopback() && self.sync_token.is_empty() => {
                return Some((
                    "wall.lead",
                    format!(
                        "{addr} is reachable from other machines: set wall.sync_token (or TWINHALL_SYNC_TOKEN) so \
                         only the wall's followers get its picture and data"
                    ),
                ));
            }
            Ok(_) => {}
        }
        if self.follows() {
            let l = self.leader.trim();
            if !self.lead.trim().is_empty() {
                return Some((
                    "wall.leader",
                    "a machine either leads (wall.lead) or follows (wall.leader), not both".into(),
                ));
            }
            let port_ok =
                l.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
            if !port_ok {
                return Some(("wall.leader", format!("`{l}` is not host:port, e.g. 10.0.0.5:8791")));
            }
        }
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

    #[test]
    fn tiles_and_bezels_make_one_canvas() {
        let t = Tiling::parse("3x2", "2,1", [40, 30]).expect("good");
        // Three 1920-wide tiles and two bezels of 40 px across; two 1080 tiles and one 30 down.
        assert_eq!(t.canvas([1920, 1080]), [3 * 1920 + 2 * 40, 2 * 1080 + 30]);
        assert_eq!(t.offset([1920, 1080]), [2 * (1920 + 40), 1080 + 30]);
        // The last tile ends exactly at the canvas's corner.
        let [cw, ch] = t.canvas([1920, 1080]);
        let [ox, oy] = t.offset([1920, 1080]);
        assert_eq!((ox + 1920, oy + 1080), (cw, ch));
        assert!(Tiling::parse("", "", [0, 0]).expect("defaults").is_single());
        let e = Tiling::parse("2x1", "2,0", [0, 0]).expect_err("outside");
        assert_eq!(e.0, "wall.tile");
        assert!(e.1.contains("2,0") && e.1.contains("2x1"), "{}", e.1);
        assert_eq!(Tiling::parse("0x1", "0,0", [0, 0]).map_err(|e| e.0), Err("wall.grid"));
        assert_eq!(Tiling::parse("2x1", "a", [0, 0]).map_err(|e| e.0), Err("wall.tile"));
        assert_eq!(Tiling::parse("2x1", "0,0", [5000, 0]).map_err(|e| e.0), Err("wall.bezel_px"));
    }

    #[test]
    fn leading_and_following_are_checked() {
        let lead = WallConfig { lead: "0.0.0.0:8791".into(), ..Default::default() };
        assert!(lead.problem().is_some_and(|(f, m)| f == "wall.lead" && m.contains("sync_token")));
        let lead = WallConfig { sync_token: "s".into(), ..lead };
        assert_eq!(lead.problem(), None);
        let bad = WallConfig { lead: "here".into(), ..Default::default() };
        assert_eq!(bad.problem().map(|p| p.0), Some("wall.lead"));
        let both = WallConfig { lead: "127.0.0.1:1".into(), leader: "127.0.0.1:2".into(), ..Default::default() };
        assert_eq!(both.problem().map(|p| p.0), Some("wall.leader"));
        let lonely = WallConfig { grid: "2x1".into(), tile: "1,0".into(), ..Default::default() };
        assert_eq!(lonely.problem().map(|p| p.0), Some("wall.grid"));
        let follower = WallConfig { leader: "wall-a:8791".into(), ..Default::default() };
        assert!(follower.follows() && follower.problem().is_none());
        let bad = WallConfig { leader: "wall-a".into(), ..Default::default() };
        assert!(bad.problem().is_some_and(|(f, m)| f == "wall.leader" && m.contains("wall-a")));
    }
}
