//! Longer fuzz runs than CI's: `cargo run --release -p twinhall-core --example fuzz -- TARGET N SEED`
//! (TARGET `all` runs every target). Exits 1 on the first failure, whose input is saved;
//! `fuzz TARGET --input FILE` runs one saved input bare.

#[path = "../tests/support/fuzz.rs"]
mod fuzz;
#[path = "../tests/support/fuzz_targets.rs"]
mod fuzz_targets;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let (Some(name), Some("--input"), Some(file)) = (args.first(), args.get(1).map(String::as_str), args.get(2)) {
        // One saved input, run bare (no catch_unwind) so that a panic shows its backtrace.
        let (Some((_, mut exec)), Ok(bytes)) = (fuzz_targets::target(name, 0, 0), std::fs::read(file)) else {
            eprintln!("unknown target {name}, or cannot read {file}");
            std::process::exit(2);
        };
        println!("{name} {file}: accepted {}", exec(&bytes));
        return;
    }
    let (Some(name), Some(Ok(inputs)), Some(Ok(seed))) =
        (args.first(), args.get(1).map(|n| n.parse::<usize>()), args.get(2).map(|s| s.parse::<u64>()))
    else {
        eprintln!(
            "usage: fuzz TARGET N SEED | fuzz TARGET --input FILE; targets: all, {}",
            fuzz_targets::TARGETS.join(", ")
        );
        std::process::exit(2);
    };
    let names: Vec<&str> = if name == "all" { fuzz_targets::TARGETS.to_vec() } else { vec![name.as_str()] };
    for name in names {
        let Some((target, exec)) = fuzz_targets::target(name, inputs, seed) else {
            eprintln!("unknown target {name}; targets: {}", fuzz_targets::TARGETS.join(", "));
            std::process::exit(2);
        };
        match fuzz::run(&target, exec) {
            Ok(report) => println!("fuzz {name} seed {seed}: {report}"),
            Err(failure) => {
                eprintln!("{failure}");
                std::process::exit(1);
            }
        }
    }
}
