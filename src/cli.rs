//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "twinhall", version, about = "市域社会治理数字孪生指挥大屏 / Digital-twin command wall for a city")]
pub struct Cli {
    /// Configuration file (TOML). Default: config/default.toml when it exists, else built-in defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Backend feed base URL (overrides feed.url); without it the simulated city runs in-process.
    #[arg(long, value_name = "URL")]
    pub feed: Option<String>,
    /// City to load: embedded:helsinki, generated:N, none, or an .osm.pbf, .osm, .osm.gz, .osm.bz2 or .geojson file (overrides city.source).
    #[arg(long, value_name = "SOURCE")]
    pub city: Option<String>,
    /// Window size in physical pixels, e.g. 1920x1080.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Open fullscreen on the primary monitor.
    #[arg(long)]
    pub fullscreen: bool,
    /// Interface language.
    #[arg(long, value_enum)]
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
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print a JSON summary of a city file (counts of buildings, roads, areas, POIs, rejects).
    CityInfo {
        /// An .osm.pbf, .osm, .osm.gz, .osm.bz2 or .geojson file, embedded:helsinki or generated:N.
        file: String,
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
