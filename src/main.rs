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
    if let Some((theme, step)) = &settings.brief {
        check_brief(theme, *step)?;
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

/// Before the window opens: `--brief THEME[:STEP]` must name a good briefing of the scenes
/// folder the theatre will read, and a step it has (`step` from 0). An error names the folder
/// as it is on this machine and where it was found, and lists the themes with their steps.
fn check_brief(theme: &str, step: usize) -> Result<(), String> {
    let (dir, found) = scenes_dir();
    let (good, bad) = twinhall_core::theatre::check_dir(&dir).map_err(|e| {
        format!(
            "--brief {theme}: cannot read the briefings in {} ({found}): {e}; set TWINHALL_HOME to the folder \
             holding scenes/",
            dir.display()
        )
    })?;
    if let Some((_, briefing)) = good.iter().find(|(_, b)| b.theme.id == theme) {
        let steps = briefing.steps.len();
        if step >= steps {
            return Err(format!(
                "--brief {theme}:{}: `{theme}` has {steps} step{}; give a step from 1 to {steps}",
                step + 1,
                if steps == 1 { "" } else { "s" }
            ));
        }
        return Ok(());
    }
    let themes: Vec<String> = good.iter().map(|(_, b)| format!("{} ({} steps)", b.theme.id, b.steps.len())).collect();
    let there = if themes.is_empty() { "none".to_owned() } else { themes.join(", ") };
    let mut message =
        format!("--brief {theme}: no briefing `{theme}` in {} ({found}); the themes there are: {there}", dir.display());
    for e in bad {
        message += &format!("\n{e}");
    }
    Err(message)
}

/// The scenes folder the theatre reads (`project_root()/scenes`), absolute, and how its root
/// was found: what an error about a briefing should name, rather than a path from the build.
fn scenes_dir() -> (std::path::PathBuf, &'static str) {
    let root = twinhall::paths::project_root();
    let found = if std::env::var_os("TWINHALL_HOME").is_some() {
        "TWINHALL_HOME"
    } else if std::env::current_dir().is_ok_and(|cwd| cwd == root) {
        "the working directory"
    } else if std::env::current_exe().is_ok_and(|exe| exe.ancestors().any(|a| a == root)) {
        "beside the executable"
    } else {
        "the source tree this binary was built from; TWINHALL_HOME names another"
    };
    let dir = root.join("scenes");
    (std::fs::canonicalize(&dir).unwrap_or(dir), found)
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
