//! `twinhall-feed --city FILE --listen ADDR --seed N`: serves the feed protocol for a simulated
//! city (or `--replay FILE`, a recording). Errors in the arguments or files are one line and
//! exit code 2. The command line is [`twinhall_feed::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    twinhall_feed::cli::main()
}
