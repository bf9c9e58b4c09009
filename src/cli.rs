//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "twinhall", version, about = "市域社会治理数字孪生指挥大屏 / Digital-twin command wall for a city")]
pub struct Cli {
    /// Configuration file (TOML). Default: config/default.toml when it exists, else built-in defaults.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Backend feed base URL (overrides feed.url); without it the simulated city runs in-process.
    #[arg(long, value_name = "URL", global = true)]
    pub feed: Option<String>,
    /// City to load: embedded:helsinki, embedded:liechtenstein, generated:N, none, or an .osm.pbf, .osm, .osm.gz, .osm.bz2 or .geojson file (overrides city.source).
    #[arg(long, value_name = "SOURCE")]
    pub city: Option<String>,
    /// Window size in physical pixels, e.g. 1920x1080.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Open fullscreen on the primary monitor.
    #[arg(long)]
    pub fullscreen: bool,
    /// Interface language.
    #[arg(long, value_enum, global = true)]
    pub lang: Option<LangArg>,
    /// Map style.
    #[arg(long, value_enum)]
    pub style: Option<StyleArg>,
    /// Render --frames frames, save a PNG of the window to PATH and exit.
    #[arg(long, value_name = "PATH")]
    pub screenshot: Option<PathBuf>,
    /// Frames to render before the screenshot.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub frames: u32,
    /// Focus an incident in the action hub once the feed is live: its id, or `auto` for the most
    /// severe open incident (unattended wall demos and screenshots).
    #[arg(long, value_name = "ID|auto")]
    pub focus: Option<String>,
    /// With --focus: dispatch the recommended plan once, through the undo bar and the journal,
    /// as the leader's button does (scripted demos).
    #[arg(long, requires = "focus")]
    pub dispatch_plan: bool,
    /// A hot spot for the embedded simulator, GRID[:CATEGORY[:FACTOR]] (repeatable): the
    /// simulated city has run an hour with it when the wall opens, for the defence hub to find.
    #[arg(long = "hotspot", value_name = "GRID[:CATEGORY[:FACTOR]]")]
    pub hotspots: Vec<String>,
    /// Show the defence hub's incident heat map from the start.
    #[arg(long)]
    pub heat: bool,
    /// Start a decision-theatre briefing at start-up: its theme id, and a step from 1
    /// (`public_safety:3`); the ids are those `twinhall check-scenes` lists.
    #[arg(long, value_name = "THEME[:STEP]", value_parser = parse_brief)]
    pub brief: Option<(String, usize)>,
    /// Turn on the control API at ADDR (`127.0.0.1:8790`; overrides control.listen): HTTP + JSON
    /// to fly, select, switch layers, run briefings and take screenshots (docs/control-api.md).
    #[arg(long, value_name = "ADDR")]
    pub control: Option<String>,
    /// Open the video wall as a window of its own (the map, the theatre's cards and the HUD, no
    /// operator chrome), borderless full screen; this first window becomes the console.
    #[arg(long)]
    pub wall: bool,
    /// Monitor for the wall: `primary`, its index from 0, or its name (`DP-2`).
    #[arg(long, value_name = "MONITOR")]
    pub wall_monitor: Option<String>,
    /// The wall as a window of this size instead of full screen (to try a layout; tests).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub wall_size: Option<(u32, u32)>,
    /// Text, icon and margin sizes for the viewing distance: desk, room, hall or far.
    #[arg(long, value_name = "PRESET")]
    pub wall_preset: Option<String>,
    /// A wall of several machines: the grid of tiles, COLSxROWS (`4x2`).
    #[arg(long, value_name = "COLSxROWS")]
    pub wall_grid: Option<String>,
    /// This machine's tile of the grid, COL,ROW from 0 (`1,0`).
    #[arg(long, value_name = "COL,ROW")]
    pub wall_tile: Option<String>,
    /// Pixels hidden by the bezels between tiles, across and down (`40,30`).
    #[arg(long, value_name = "X,Y", value_parser = parse_pair)]
    pub wall_bezel: Option<(u32, u32)>,
    /// Lead the wall's other machines: listen for followers at ADDR (`127.0.0.1:8791`).
    #[arg(long, value_name = "ADDR")]
    pub lead: Option<String>,
    /// Follow the leader at ADDR: show only this machine's tile of the wall, as the leader has it.
    #[arg(long, value_name = "ADDR", conflicts_with = "lead")]
    pub leader: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print a JSON summary of a city file (counts of buildings, roads, areas, POIs, rejects).
    CityInfo {
        /// An .osm.pbf, .osm, .osm.gz, .osm.bz2 or .geojson file, embedded:helsinki, embedded:liechtenstein or generated:N.
        file: String,
    },
    /// Check every decision-theatre briefing (*.ron) of a folder, scenes/ by default: one line
    /// per good file, `file:line:column: message` per bad one; exit 2 if any is bad.
    CheckScenes {
        /// The folder of briefings.
        dir: Option<PathBuf>,
    },
    /// Write the index briefing (指数简报) of a backend as one HTML file: the index and its six
    /// aspects, the trend, the ten worst grids, efficiency supervision, and a picture of the
    /// scene when a display is there. `twinhall brief --feed URL --out FILE.html`.
    Brief {
        /// The HTML file to write.
        #[arg(long, value_name = "FILE.html")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StyleArg {
    Night,
    Day,
}

/// Parses `THEME[:STEP]` (STEP from 1) into the theme id and a 0-based step.
pub fn parse_brief(s: &str) -> Result<(String, usize), String> {
    let (theme, step) = match s.split_once(':') {
        Some((t, n)) => {
            let n: usize = n.trim().parse().map_err(|_| format!("`{n}` is not a step number (1, 2, ...)"))?;
            if n == 0 {
                return Err("steps count from 1".into());
            }
            (t, n - 1)
        }
        None => (s, 0),
    };
    if theme.is_empty() {
        return Err("name a theme id, e.g. social_governance".into());
    }
    Ok((theme.to_owned(), step))
}

/// Parses `X,Y` (two whole numbers).
pub fn parse_pair(s: &str) -> Result<(u32, u32), String> {
    let (x, y) = s.split_once(',').ok_or_else(|| format!("`{s}` is not X,Y, e.g. 40,30"))?;
    let n = |v: &str| v.trim().parse::<u32>().map_err(|_| format!("`{v}` is not a whole number of pixels"));
    Ok((n(x)?, n(y)?))
}

/// Parses `WxH`.
pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("`{s}` is not WxH, e.g. 1920x1080"))?;
    let w: u32 = w.trim().parse().map_err(|_| format!("`{w}` is not a width in pixels"))?;
    let h: u32 = h.trim().parse().map_err(|_| format!("`{h}` is not a height in pixels"))?;
    if !(320..=16384).contains(&w) || !(240..=16384).contains(&h) {
        return Err(format!("{w}x{h} is outside 320x240..16384x16384"));
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1920x1080"), Ok((1920, 1080)));
        assert_eq!(parse_size("7680X2160"), Ok((7680, 2160)));
        assert!(parse_size("1920").is_err());
        assert!(parse_size("10x10").is_err());
        assert!(parse_size("axb").is_err());
    }
}
