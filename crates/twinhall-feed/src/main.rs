//! twinhall-feed: the reference backend for the twinhall feed protocol.
//!
//! The protocol server and the city simulator are the work of the backend data feed issue and
//! are not built yet. Until then this binary says so plainly instead of pretending to serve.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "twinhall-feed", version, about = "Reference backend for the twinhall feed protocol (simulated city)")]
struct Cli {}

fn main() -> ExitCode {
    let _cli = Cli::parse();
    eprintln!(
        "twinhall-feed: error: the protocol server and city simulator are not built yet (see the backend data feed issue)"
    );
    ExitCode::from(2)
}
