//! Hostile files, fuzzed: every reader of outside input in the core runs a fixed number of
//! mutated inputs and must neither panic, nor hang, nor allocate beyond its bound (see
//! `support/fuzz.rs`). Longer runs: `cargo run --release -p twinhall-core --example fuzz -- TARGET N SEED`.

#[path = "support/fuzz.rs"]
mod fuzz;
#[path = "support/fuzz_targets.rs"]
mod fuzz_targets;

/// Runs `inputs` inputs of `name` from `seed` and prints what was measured.
fn check(name: &str, inputs: usize, seed: u64) {
    let (target, exec) = fuzz_targets::target(name, inputs, seed).expect("a known target");
    assert!(!target.samples.is_empty(), "{name} has samples");
    match fuzz::run(&target, exec) {
        Ok(report) => {
            println!("fuzz {name} seed {seed}: {report}");
            assert!(report.accepted > 0, "{name}: not even the samples were accepted: {report}");
        }
        Err(failure) => panic!("{failure}"),
    }
}

#[test]
fn osm_pbf() {
    check("osm_pbf", 3_000, 1);
}

#[test]
fn osm_xml() {
    check("osm_xml", 20_000, 2);
}

#[test]
fn osm_compressed() {
    check("osm_compressed", 5_000, 3);
}

#[test]
fn geojson() {
    check("geojson", 20_000, 4);
}

#[test]
fn config() {
    check("config", 10_000, 5);
}

#[test]
fn plans() {
    check("plans", 10_000, 6);
}

#[test]
fn rules() {
    check("rules", 10_000, 7);
}

#[test]
fn protocol() {
    check("protocol", 20_000, 8);
}

#[test]
fn store() {
    check("store", 10_000, 9);
}

/// Found by `--example fuzz -- all 40000 2000`: a mutated dense-node block whose packed field
/// declares a length that rust-protobuf reserves (80 MB) before finding the data shorter. Held
/// to the PBF bound (64 x input + `PBF_SLACK`), over the default one.
#[test]
fn a_pbf_block_declaring_a_huge_packed_field_stays_under_the_pbf_bound() {
    let (found, _) = fuzz_targets::target("osm_pbf", 0, 2000).expect("the PBF target");
    let (mut target, exec) = fuzz_targets::target("osm_pbf", 1, 2000).expect("the PBF target");
    target.samples = vec![fuzz::input(&found, 23_943)];
    let report = fuzz::run(&target, exec).unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(report.accepted, 0, "the block is refused");
    assert!(report.largest_alloc > fuzz::SLACK + fuzz::FACTOR * target.samples[0].len(), "{report}");
}

#[test]
fn every_target_is_run_here() {
    let here = include_str!("fuzz.rs");
    for name in fuzz_targets::TARGETS {
        assert!(here.contains(&format!("check(\"{name}\"")), "{name} has a test");
    }
}

/// A target over one sample, for the harness's own tests.
fn plain(name: &'static str, inputs: usize) -> fuzz::Target<'static> {
    fuzz::Target {
        name,
        seed: 77,
        inputs,
        samples: vec![b"<osm><node id='1'/></osm>".to_vec()],
        dictionary: &[],
        max_len: 1 << 10,
        structural: None,
        slack: fuzz::SLACK,
    }
}

#[test]
fn the_harness_reports_and_saves_a_panicking_input() {
    let target = plain("selftest-panic", 1_000);
    let sample_len = target.samples[0].len();
    let failure = fuzz::run(&target, |bytes| {
        assert_eq!(bytes.len(), sample_len, "a planted bug");
        true
    })
    .expect_err("a mutant changes the length");
    assert!(failure.contains("seed 77 input ") && failure.contains("a planted bug"), "{failure}");
    let index: usize = failure
        .split("input ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("the message names the input");
    let saved = fuzz::failure_dir().join(format!("fuzz-selftest-panic-seed77-input{index}.bin"));
    assert_eq!(std::fs::read(&saved).expect("the input is saved"), fuzz::input(&target, index));
}

#[test]
fn the_harness_refuses_an_allocation_over_the_bound() {
    let failure = fuzz::run(&plain("selftest-alloc", 10), |bytes| {
        let big = vec![1u8; fuzz::SLACK + 65 * bytes.len()];
        std::hint::black_box(&big);
        true
    })
    .expect_err("over the bound");
    assert!(failure.contains("input 0 ") && failure.contains("over the bound"), "{failure}");
}

#[test]
fn the_harness_refuses_an_input_over_its_time_budget() {
    let failure = fuzz::run(&plain("selftest-slow", 10), |_| {
        std::thread::sleep(fuzz::BUDGET + std::time::Duration::from_millis(100));
        true
    })
    .expect_err("over the budget");
    assert!(failure.contains("input 0 ") && failure.contains("budget"), "{failure}");
}
