//! The resolved settings: the config file with the command line's overrides applied.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use twinhall_core::config::{CitySource, Config, ConfigError, Lang, StyleMode};

pub use twinhall_core::redact::redact_url;

use crate::cli::{Cli, LangArg, StyleArg};

/// Where the config came from, for the start-up log line.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigOrigin {
    File(PathBuf),
    BuiltIn,
}

#[derive(Resource, Clone, Debug)]
pub struct Settings {
    pub config: Config,
    pub config_origin: ConfigOrigin,
    pub city_source: CitySource,
    /// Capture a PNG after this many frames and exit.
    pub screenshot: Option<(PathBuf, u32)>,
    /// A decision-theatre briefing to start with: theme id and 0-based step (`--brief`).
    pub brief: Option<(String, usize)>,
}

impl Settings {
    pub fn lang(&self) -> Lang {
        self.config.ui.lang
    }

    /// The journal's path (dispatch orders and alerts): the config's, or
    /// ~/.local/share/twinhall/journal.sqlite.
    pub fn journal_path(&self) -> PathBuf {
        if !self.config.hub.journal.is_empty() {
            return PathBuf::from(&self.config.hub.journal);
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("twinhall").join("journal.sqlite")
    }

    /// Loads the config named on the command line (or the default one) and applies overrides.
    pub fn from_cli(cli: &Cli) -> Result<Self, ConfigError> {
        let default_path = Path::new("config/default.toml");
        let (mut config, config_origin) = match &cli.config {
            Some(path) => (Config::load(path)?, ConfigOrigin::File(path.clone())),
            None if default_path.is_file() => (Config::load(default_path)?, ConfigOrigin::File(default_path.into())),
            None => (
                Config::parse(twinhall_core::config::DEFAULT_TOML, Path::new("built-in config"))?,
                ConfigOrigin::BuiltIn,
            ),
        };
        let arg_err =
            |field: &'static str, message: String| ConfigError::Invalid { path: "command line".into(), field, message };
        if let Some(url) = &cli.feed {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(arg_err("--feed", "must start with http:// or https://".into()));
            }
            config.feed.url = url.clone();
        }
        // The token from the environment keeps it out of config files and shell history.
        if let Ok(token) = std::env::var("TWINHALL_FEED_TOKEN")
            && !token.is_empty()
        {
            config.feed.token = token;
        }
        if let Some(listen) = &cli.control {
            config.control.listen = listen.clone();
            config.control.addr().map_err(|m| arg_err("--control", m))?;
        }
        if let Ok(token) = std::env::var("TWINHALL_CONTROL_TOKEN")
            && !token.is_empty()
        {
            config.control.token = token;
        }
        // Listening beyond this machine without a token would hand the wall to anyone on the LAN.
        if let Some(message) = config.control.exposure_error() {
            return Err(arg_err("control.listen", message));
        }
        if let Some(city) = &cli.city {
            config.city.source = city.clone();
        }
        if let Some((w, h)) = cli.size {
            config.window.width = w;
            config.window.height = h;
        }
        if cli.fullscreen {
            config.window.fullscreen = true;
        }
        if let Some(lang) = cli.lang {
            config.ui.lang = match lang {
                LangArg::Zh => Lang::Zh,
                LangArg::En => Lang::En,
            };
        }
        if let Some(style) = cli.style {
            config.style.mode = match style {
                StyleArg::Night => StyleMode::Night,
                StyleArg::Day => StyleMode::Day,
            };
        }
        for spec in &cli.hotspots {
            twinhall_core::sim::InjectedHotspot::parse(spec)
                .map_err(|m| arg_err("--hotspot", format!("`{spec}`: {m}")))?;
            config.feed.hotspots.push(spec.clone());
        }
        if cli.heat {
            config.defence.heat = true;
        }
        if let Some(focus) = &cli.focus {
            config.hub.focus = focus.clone();
        }
        if cli.dispatch_plan {
            config.hub.dispatch_plan = true;
        }
        if cli.wall || cli.wall_monitor.is_some() || cli.wall_size.is_some() || cli.wall_preset.is_some() {
            config.wall.enabled = true;
        }
        if let Some(monitor) = &cli.wall_monitor {
            config.wall.monitor = monitor.clone();
            config.wall.fullscreen = true;
        }
        if let Some((w, h)) = cli.wall_size {
            (config.wall.width, config.wall.height, config.wall.fullscreen) = (w, h, false);
        }
        if let Some(preset) = &cli.wall_preset {
            twinhall_core::wall::preset(preset).map_err(|m| arg_err("--wall-preset", m))?;
            config.wall.preset = preset.clone();
        }
        if let Some(grid) = &cli.wall_grid {
            config.wall.grid = grid.clone();
        }
        if let Some(tile) = &cli.wall_tile {
            config.wall.tile = tile.clone();
        }
        if let Some((x, y)) = cli.wall_bezel {
            config.wall.bezel_px = [x, y];
        }
        if let Some(lead) = &cli.lead {
            config.wall.lead = lead.clone();
        }
        if let Some(leader) = &cli.leader {
            config.wall.leader = leader.clone();
        }
        if let Ok(token) = std::env::var("TWINHALL_SYNC_TOKEN")
            && !token.is_empty()
        {
            config.wall.sync_token = token;
        }
        if let Some((field, m)) = config.wall.problem() {
            return Err(arg_err(field, m));
        }
        let city_source = CitySource::parse(&config.city.source).map_err(|m| arg_err("city", m))?;
        Ok(Self {
            config,
            config_origin,
            city_source,
            screenshot: cli.screenshot.clone().map(|p| (p, cli.frames)),
            brief: cli.brief.clone(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Settings with the shipped defaults and the given city, as tests want them.
    pub(crate) fn settings_for(source: CitySource) -> Settings {
        let config =
            Config::parse(twinhall_core::config::DEFAULT_TOML, Path::new("default.toml")).expect("defaults parse");
        Settings { config, config_origin: ConfigOrigin::BuiltIn, city_source: source, screenshot: None, brief: None }
    }
}
