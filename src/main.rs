//! The `twinhall` binary: parses the command line, loads config and city, runs the wall.

use std::process::ExitCode;

use clap::Parser;
use twinhall::city::load_city;
use twinhall::cli::{Cli, Command};
use twinhall::{Settings, app};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("twinhall: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match &cli.command {
        Some(Command::CityInfo { file }) => return city_info(file, &cli),
        Some(Command::CheckScenes { dir }) => {
            return Ok(ExitCode::from(twinhall::theatre::check_scenes_cli(dir.clone()) as u8));
        }
        Some(Command::Brief { out }) => {
            let settings = Settings::from_cli(&cli).map_err(|e| e.to_string())?;
            twinhall::heartbeat::brief_cli(&settings, out, true)?;
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let settings = Settings::from_cli(&cli).map_err(|e| e.to_string())?;
    // The files a duty officer edits are checked first: a wrong line is reported before anything
    // else, display or not.
    let plans = twinhall::hub::load_plans(&settings.config.hub)?;
    let rules = twinhall::tactile::load_rules(&settings.config.tactile)?;
    if let Some((theme, _)) = &settings.brief {
        twinhall::theatre::check_brief(theme)?;
    }
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err("no display: set DISPLAY or WAYLAND_DISPLAY, or run under xvfb-run".into());
    }
    let city = load_city(&settings).map_err(|e| e.to_string())?;
    let mut app = app::build(settings, city);
    app.insert_resource(twinhall::hub::HubPlans(std::sync::Arc::new(plans)));
    app.insert_resource(twinhall::tactile::TactileRules(std::sync::Arc::new(rules)));
    let exit = app.run();
    Ok(match exit {
        bevy::app::AppExit::Success => ExitCode::SUCCESS,
        bevy::app::AppExit::Error(code) => ExitCode::from(code.get()),
    })
}

/// Prints the JSON summary of a city source, with the layers of the config in use.
fn city_info(file: &str, cli: &Cli) -> Result<ExitCode, String> {
    let source = twinhall_core::config::CitySource::parse(file).map_err(|m| format!("{file}: {m}"))?;
    let config = Settings::from_cli(cli).map_err(|e| e.to_string())?.config;
    let mut city = twinhall::city::load_source(&source, &config.city).map_err(|e| e.to_string())?;
    twinhall::city::load_layers(&mut city, &config.city);
    let json = serde_json::to_string_pretty(&city.info()).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}
