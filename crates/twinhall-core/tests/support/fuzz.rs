//! A small deterministic mutation fuzzer that runs on stable Rust as an ordinary test: seeded
//! SplitMix64 mutations (bit flips, byte inserts and deletes, chunk duplication, splicing two
//! samples, interesting integers, dictionary tokens, truncation) over sample files, each input
//! run under `catch_unwind`, timed, and measured by a counting global allocator.
//!
//! Input `i` of a target depends only on (seed, i), so a failure named by its seed and index
//! is reproduced alone. A failing input is saved under `CARGO_TARGET_TMPDIR` (the system temp
//! directory outside `cargo test`). Used by `tests/fuzz.rs`, `examples/fuzz.rs` and, through a
//! `#[path]`, by twinhall-client's `tests/fuzz_sse.rs`; not part of `support/mod.rs`, so the
//! allocator is installed only in the binaries that fuzz.

#![allow(dead_code, reason = "each fuzz binary uses a part of the harness")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use twinhall_core::generate::SplitMix64;

/// Counts, per thread, the live heap bytes, their peak and the largest single request. Per
/// thread because the fuzz tests run in parallel; the code under test allocates on the calling
/// thread (none of the targets spawns threads).
pub struct CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn count_alloc(size: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(size as isize);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

fn count_free(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(size as isize)));
}

// SAFETY: every call forwards to `System` with the same arguments; the counting touches only
// const-initialised thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count_alloc(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) };
        count_free(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count_free(layout.size());
            count_alloc(new_size);
        }
        p
    }
}

/// Memory allowed for one input: `FACTOR` times its size plus `SLACK` (a target may state a
/// larger slack and why), for both the peak of live bytes and the largest single allocation.
pub const FACTOR: usize = 64;
pub const SLACK: usize = 64 << 20;
/// Wall time allowed for one input (a functional deadline, not a benchmark).
pub const BUDGET: Duration = Duration::from_secs(2);
/// An input still running after this long is a hang: it is saved and the process aborts.
pub const HANG: Duration = Duration::from_secs(30);

/// Integers at the edges of the usual widths, written over the input at random places.
const INTERESTING: [u64; 16] = [
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// Values put between quotes.
const VALUES: [&str; 18] = [
    "",
    "-1",
    "0",
    "1e308",
    "NaN",
    "inf",
    "-9223372036854775808",
    "18446744073709551615",
    "yes",
    "multipolygon",
    "outer",
    "inner",
    " ",
    "\u{4e2d}",
    "\u{202e}",
    "EPSG:999999",
    "a\nb",
    "\\",
];

/// Numbers put in place of numbers.
const NUMBERS: [&str; 14] = [
    "0",
    "-0",
    "1",
    "-1",
    "1e308",
    "1e999",
    "-1e999",
    "4e-324",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "4294967296",
    "65536",
    "999999999999999999999999999999",
];

/// A structural mutation of JSON: the text parsed, one node of the tree changed, written back.
pub fn mutate_json(rng: &mut SplitMix64, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    for _ in 0..1 + below(rng, 3) {
        mutate_tree(rng, &mut value);
    }
    serde_json::to_vec(&value).ok()
}

/// Changes one node, reached by a random walk from the root.
pub fn mutate_tree(rng: &mut SplitMix64, node: &mut serde_json::Value) {
    use serde_json::{Value, json};
    if below(rng, 4) != 0 {
        match node {
            Value::Array(a) if !a.is_empty() => {
                let i = below(rng, a.len());
                return mutate_tree(rng, &mut a[i]);
            }
            Value::Object(o) if !o.is_empty() => {
                let i = below(rng, o.len());
                if let Some(child) = o.values_mut().nth(i) {
                    return mutate_tree(rng, child);
                }
            }
            _ => {}
        }
    }
    let replacement = match below(rng, 12) {
        0 => Value::Null,
        1 => json!(-1),
        2 => json!(0),
        3 => json!(u64::MAX),
        4 => json!(i64::MIN),
        5 => json!(1e308),
        6 => json!(-1e-308),
        7 => json!(""),
        8 => json!([]),
        9 => json!({}),
        10 => {
            // The node repeated: arrays grow, objects lose or repeat members.
            match node {
                Value::Array(a) if !a.is_empty() => {
                    let i = below(rng, a.len());
                    let copy = a[i].clone();
                    for _ in 0..1 + below(rng, 8) {
                        a.push(copy.clone());
                    }
                    return;
                }
                Value::Object(o) if !o.is_empty() => {
                    let i = below(rng, o.len());
                    if let Some(key) = o.keys().nth(i).cloned() {
                        o.remove(&key);
                    }
                    return;
                }
                _ => json!(VALUES[below(rng, VALUES.len())]),
            }
        }
        _ => json!(VALUES[below(rng, VALUES.len())]),
    };
    *node = replacement;
}

/// A format-aware mutation of one sample.
pub type Structural = fn(&mut SplitMix64, &[u8]) -> Option<Vec<u8>>;

/// One fuzz target: its samples, the tokens its format is made of, and how many inputs to run.
pub struct Target<'a> {
    pub name: &'a str,
    pub seed: u64,
    pub inputs: usize,
    pub samples: Vec<Vec<u8>>,
    pub dictionary: &'a [&'a [u8]],
    /// Inputs are cut to this length.
    pub max_len: usize,
    /// A mutation that knows the format (e.g. one on the parsed JSON tree), used for half the
    /// inputs when given; `None` from it falls back to the byte mutations.
    pub structural: Option<Structural>,
    /// The constant part of the memory bound: [`SLACK`] unless the target says why not.
    pub slack: usize,
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: usize,
    /// Inputs the code accepted (the rest were refused with an error).
    pub accepted: usize,
    /// Panics the code caught itself (e.g. inside the PBF decoder) and turned into errors.
    pub caught_inside: usize,
    pub slowest: Duration,
    pub slowest_index: usize,
    pub total: Duration,
    pub peak_bytes: usize,
    pub largest_alloc: usize,
    /// The largest `peak_bytes / bound` over the inputs, in per mille.
    pub worst_share_permille: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} inputs, {} accepted, {} panics caught inside; slowest {:.1} ms (#{}), mean {:.2} ms; \
             peak live {:.1} MiB, largest allocation {:.1} MiB, worst {:.1}% of the bound",
            self.inputs,
            self.accepted,
            self.caught_inside,
            self.slowest.as_secs_f64() * 1e3,
            self.slowest_index,
            self.total.as_secs_f64() * 1e3 / self.inputs.max(1) as f64,
            self.peak_bytes as f64 / (1 << 20) as f64,
            self.largest_alloc as f64 / (1 << 20) as f64,
            self.worst_share_permille as f64 / 10.0,
        )
    }
}

fn below(rng: &mut SplitMix64, n: usize) -> usize {
    if n == 0 { 0 } else { (rng.next_u64() % n as u64) as usize }
}

/// Input `index` of a target: the samples themselves first, then mutants.
pub fn input(target: &Target, index: usize) -> Vec<u8> {
    if index < target.samples.len() {
        return target.samples[index].clone();
    }
    let mut rng = SplitMix64::new(target.seed ^ (index as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let base = &target.samples[below(&mut rng, target.samples.len())];
    if let Some(structural) = target.structural
        && below(&mut rng, 2) == 0
        && let Some(mut out) = structural(&mut rng, base)
    {
        if below(&mut rng, 4) == 0 {
            out = mutate(&mut rng, &out, &target.samples, target.dictionary, target.max_len);
        }
        out.truncate(target.max_len);
        return out;
    }
    mutate(&mut rng, base, &target.samples, target.dictionary, target.max_len)
}

/// One to four stacked mutations of `base`.
pub fn mutate(rng: &mut SplitMix64, base: &[u8], samples: &[Vec<u8>], dictionary: &[&[u8]], max_len: usize) -> Vec<u8> {
    let mut out = base.to_vec();
    for _ in 0..1 + below(rng, 4) {
        let len = out.len();
        let at = below(rng, len + 1);
        match below(rng, 13) {
            0 if len > 0 => {
                let i = below(rng, len);
                out[i] ^= 1 << below(rng, 8);
            }
            1 if len > 0 => {
                let i = below(rng, len);
                out[i] = rng.next_u64() as u8;
            }
            2 => {
                let bytes: Vec<u8> = (0..1 + below(rng, 8)).map(|_| rng.next_u64() as u8).collect();
                out.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let n = 1 + below(rng, (len / 4).clamp(1, 256));
                let start = below(rng, len);
                out.drain(start..(start + n).min(len));
            }
            4 if len > 0 => {
                // A chunk repeated a few times, as deep nesting or long runs are made.
                let start = below(rng, len);
                let n = 1 + below(rng, (len - start).min(256));
                let chunk = out[start..start + n].to_vec();
                let times = 1 + below(rng, 16);
                let to = below(rng, len + 1);
                out.splice(to..to, chunk.iter().copied().cycle().take(n * times));
            }
            5 => {
                let other = &samples[below(rng, samples.len())];
                let from = below(rng, other.len() + 1);
                out.truncate(at);
                out.extend_from_slice(&other[from..]);
            }
            6 if len > 0 => {
                let value = INTERESTING[below(rng, INTERESTING.len())];
                let width = [1, 2, 4, 8][below(rng, 4)];
                let bytes = if below(rng, 2) == 0 { value.to_le_bytes() } else { value.to_be_bytes() };
                let bytes = if bytes[0] == 0 && width < 8 { &bytes[8 - width..] } else { &bytes[..width] };
                let i = below(rng, len);
                for (k, b) in bytes.iter().enumerate() {
                    if let Some(slot) = out.get_mut(i + k) {
                        *slot = *b;
                    }
                }
            }
            7 => out.truncate(at),
            8 | 9 if !dictionary.is_empty() => {
                let token = dictionary[below(rng, dictionary.len())];
                out.splice(at..at, token.iter().copied());
            }
            10 if !dictionary.is_empty() && len > 0 => {
                let token = dictionary[below(rng, dictionary.len())];
                let i = below(rng, len);
                let end = (i + token.len()).min(len);
                out.splice(i..end, token.iter().copied());
            }
            11 if len > 0 => {
                // The value between the next pair of quotes, replaced.
                let start = below(rng, len);
                if let Some(q) = out[start..].iter().position(|b| *b == b'"' || *b == b'\'') {
                    let open = start + q;
                    if let Some(close) = out[open + 1..].iter().position(|b| *b == out[open]) {
                        let value = VALUES[below(rng, VALUES.len())];
                        out.splice(open + 1..open + 1 + close, value.bytes());
                    }
                }
            }
            12 if len > 0 => {
                // The next number, replaced.
                let start = below(rng, len);
                if let Some(d) = out[start..].iter().position(u8::is_ascii_digit) {
                    let first = start + d;
                    let n = out[first..].iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
                    let value = NUMBERS[below(rng, NUMBERS.len())];
                    out.splice(first..first + n, value.bytes());
                }
            }
            _ => {}
        }
    }
    out.truncate(max_len);
    out
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                let message = info.to_string();
                PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(message));
            } else {
                default(info);
            }
        }));
    });
}

/// Where failing inputs go.
pub fn failure_dir() -> PathBuf {
    option_env!("CARGO_TARGET_TMPDIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir)
}

fn save(target: &Target, index: usize, bytes: &[u8]) -> PathBuf {
    let path = failure_dir().join(format!("fuzz-{}-seed{}-input{}.bin", target.name, target.seed, index));
    if let Err(e) = std::fs::write(&path, bytes) {
        eprintln!("cannot save the failing input to {}: {e}", path.display());
    }
    path
}

/// What is running now, for the hang watchdog.
struct Current {
    index: usize,
    started: Instant,
    bytes: Arc<Vec<u8>>,
}

/// Runs `target.inputs` inputs through `exec` (which returns whether the input was accepted).
/// Returns the first failure (a panic, an input over its time budget or over its memory bound)
/// as a message naming the seed and index, with the input saved; aborts the process on a hang.
pub fn run(target: &Target, mut exec: impl FnMut(&[u8]) -> bool) -> Result<Report, String> {
    install_panic_hook();
    let current: Mutex<Option<Current>> = Mutex::new(None);
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let guard = current.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(c) = guard.as_ref()
                    && c.started.elapsed() > HANG
                {
                    let path = save(target, c.index, &c.bytes);
                    eprintln!(
                        "fuzz {}: seed {} input {} still running after {:?}: a hang; input saved to {}",
                        target.name,
                        target.seed,
                        c.index,
                        HANG,
                        path.display()
                    );
                    std::process::abort();
                }
            }
        });
        let result = run_inputs(target, &mut exec, &current);
        done.store(true, Ordering::Relaxed);
        result
    })
}

fn run_inputs(
    target: &Target,
    exec: &mut impl FnMut(&[u8]) -> bool,
    current: &Mutex<Option<Current>>,
) -> Result<Report, String> {
    let mut report = Report { inputs: target.inputs, ..Report::default() };
    for index in 0..target.inputs {
        let bytes = Arc::new(input(target, index));
        *current.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Current { index, started: Instant::now(), bytes: Arc::clone(&bytes) });
        PANIC_MESSAGE.with(|m| m.borrow_mut().take());
        let live0 = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(live0));
        LARGEST.with(|l| l.set(0));
        FUZZING.with(|f| f.set(true));
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| exec(&bytes)));
        let elapsed = started.elapsed();
        FUZZING.with(|f| f.set(false));
        let peak = (PEAK.with(Cell::get) - live0).max(0) as usize;
        let largest = LARGEST.with(Cell::get);
        *current.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let panic_message = PANIC_MESSAGE.with(|m| m.borrow_mut().take());
        let fail = |why: String| {
            let path = save(target, index, &bytes);
            format!(
                "fuzz {}: seed {} input {} ({} bytes): {why}; input saved to {}",
                target.name,
                target.seed,
                index,
                bytes.len(),
                path.display()
            )
        };
        match outcome {
            Ok(accepted) => {
                report.accepted += usize::from(accepted);
                report.caught_inside += usize::from(panic_message.is_some());
            }
            Err(_) => return Err(fail(format!("panicked: {}", panic_message.unwrap_or_default()))),
        }
        let bound = FACTOR * bytes.len() + target.slack;
        if elapsed > BUDGET {
            return Err(fail(format!("took {elapsed:?}, over the {BUDGET:?} budget")));
        }
        if peak > bound || largest > bound {
            return Err(fail(format!(
                "peak live {peak} bytes, largest allocation {largest} bytes, over the bound {bound} \
                 ({FACTOR} x input + {} bytes)",
                target.slack
            )));
        }
        report.total += elapsed;
        if elapsed > report.slowest {
            report.slowest = elapsed;
            report.slowest_index = index;
        }
        report.peak_bytes = report.peak_bytes.max(peak);
        report.largest_alloc = report.largest_alloc.max(largest);
        report.worst_share_permille = report.worst_share_permille.max(peak.max(largest) * 1000 / bound);
    }
    Ok(report)
}
