//! The resolved settings: the config file with the command line's overrides applied.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use twinhall_core::config::{CitySource, Config, ConfigError, Lang, StyleMode};

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
}

impl Settings {
    pub fn lang(&self) -> Lang {
        self.config.ui.lang
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
        let city_source = CitySource::parse(&config.city.source).map_err(|m| arg_err("city", m))?;
        Ok(Self { config, config_origin, city_source, screenshot: cli.screenshot.clone().map(|p| (p, cli.frames)) })
    }
}

/// A URL with any user:password and secret-looking query values removed, for logs and screens.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_owned(),
    };
    let path = match path.split_once('?') {
        Some((p, query)) => {
            let q: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if is_secret_key(k) => format!("{k}=***"),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{p}?{}", q.join("&"))
        }
        None => path.to_owned(),
    };
    format!("{scheme}{host}{path}")
}

fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    // Short keys tile and map providers use for their tokens (Tianditu's tk, Baidu's ak).
    if matches!(k.as_str(), "tk" | "ak" | "sk" | "t") {
        return true;
    }
    ["token", "password", "passwd", "pwd", "secret", "key", "auth", "sig", "signature"].iter().any(|s| k.contains(s))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Settings with the shipped defaults and the given city, as tests want them.
    pub(crate) fn settings_for(source: CitySource) -> Settings {
        let config =
            Config::parse(twinhall_core::config::DEFAULT_TOML, Path::new("default.toml")).expect("defaults parse");
        Settings { config, config_origin: ConfigOrigin::BuiltIn, city_source: source, screenshot: None }
    }

    #[test]
    fn urls_lose_their_secrets() {
        assert_eq!(redact_url("rtsp://admin:hunter2@10.0.0.5:554/stream1"), "rtsp://***@10.0.0.5:554/stream1");
        assert_eq!(redact_url("https://feed.example/v1?token=abc&x=1"), "https://feed.example/v1?token=***&x=1");
        assert_eq!(redact_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert!(!redact_url("http://u:p@h/?access_key=zzz").contains("zzz"));
        assert_eq!(
            redact_url("https://tiles.example.cn/vec_w/wmts?x=1&tk=abc123"),
            "https://tiles.example.cn/vec_w/wmts?x=1&tk=***"
        );
    }
}
