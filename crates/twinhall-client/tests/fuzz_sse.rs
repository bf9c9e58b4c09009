//! Hostile streams, fuzzed: the SSE parser and the sequencer behind it run mutated event
//! streams and must neither panic, nor hang, nor allocate beyond the bound of the shared
//! harness (twinhall-core's `tests/support/fuzz.rs`), and a stream cut into chunks anywhere
//! must give the events it gives in one piece.

#[path = "../../twinhall-core/tests/support/fuzz.rs"]
mod fuzz;

use twinhall_client::events::Sequencer;
use twinhall_client::sse::{SseEvent, SseParser};

/// The limits of the tests: small enough that mutations reach them.
const MAX_LINE: usize = 512;
const MAX_EVENT: usize = 2048;

const TOKENS: &[&[u8]] = &[
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"data:",
    b"data: ",
    b"event:",
    b"event: batch",
    b"event: heartbeat",
    b"event: reset",
    b"id:",
    b"id: 18446744073709551616",
    b"retry: 1000",
    b":",
    b": keep-alive",
    b"\xef\xbb\xbf",
    b"\0",
    b"\xff",
    b"\xe4\xb8",
    b"{\"seq\":",
];

/// A stream as the reference backend writes it, with the other line endings and a BOM.
fn samples() -> Vec<Vec<u8>> {
    let batch = r#"{"seq":42,"upserts":{"units":[{"id":"U-0001","version":3,"updated_at":1764300000000,"kind":"fire_engine","name":"特勤一站 1 号车","lon":24.94,"lat":60.17,"heading_deg":90,"speed_mps":11,"status":"en_route","incident_id":"I-7"}]},"removals":[{"kind":"incident","id":"I-1"}]}"#;
    let lf = format!(
        ": hello\n\nevent: heartbeat\ndata: {{\"seq\":41,\"time\":1764300000000,\"epoch\":1}}\n\n\
         event: batch\nid: 42\ndata: {batch}\n\n\
         event: batch\nid: 43\ndata: {{\"seq\":43,\n\
         data: \"upserts\":{{}}}}\n\nretry: 1000\n\nevent: reset\ndata: {{\"reason\":\"too old\"}}\n\n"
    );
    let crlf = lf.replace('\n', "\r\n");
    let cr = format!("\u{feff}{}", lf.replace('\n', "\r"));
    vec![lf.into_bytes(), crlf.into_bytes(), cr.into_bytes()]
}

/// Events of `bytes` pushed in chunks of the given sizes (cycled), or the error.
fn parse(bytes: &[u8], chunks: &[usize]) -> Result<Vec<SseEvent>, String> {
    let mut parser = SseParser::new(MAX_LINE).with_max_event(MAX_EVENT);
    let mut out = Vec::new();
    let mut at = 0;
    for size in chunks.iter().cycle() {
        if at >= bytes.len() {
            break;
        }
        let end = (at + size.max(&1)).min(bytes.len());
        parser.push(&bytes[at..end], &mut out).map_err(|e| e.to_string())?;
        at = end;
    }
    Ok(out)
}

/// One input: parsed whole and in chunks its own bytes choose, the events fed to a sequencer.
fn exec(bytes: &[u8]) -> bool {
    let whole = parse(bytes, &[usize::MAX]);
    let seed = bytes.iter().fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(*b)));
    let chunks = [1 + seed % 7, 1, 1 + seed % 61, 2, 1 + seed % 509];
    let pieces = parse(bytes, &chunks);
    if let (Ok(a), Ok(b)) = (&whole, &pieces) {
        assert_eq!(a, b, "chunks {chunks:?} changed the events");
    }
    let Ok(events) = whole else { return false };
    let crs = if seed % 2 == 0 { "EPSG:4326" } else { "GCJ-02" };
    let mut sequencer = Sequencer::new(41, 1, crs);
    for event in &events {
        let _ = sequencer.step(event);
    }
    true
}

#[test]
fn sse_streams() {
    let seed = 11;
    let target = fuzz::Target {
        name: "sse",
        seed,
        inputs: 50_000,
        samples: samples(),
        dictionary: TOKENS,
        max_len: 1 << 16,
        structural: None,
        slack: fuzz::SLACK,
    };
    let report = fuzz::run(&target, exec).unwrap_or_else(|failure| panic!("{failure}"));
    println!("fuzz sse seed {seed}: {report}");
    assert!(report.accepted > target.samples.len(), "mutants parse too: {report}");
}

#[test]
fn the_samples_hold_every_event_kind() {
    let events = parse(&samples()[2], &[usize::MAX]).expect("the CR sample parses");
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["heartbeat", "batch", "batch", "reset"]);
    assert_eq!(events[2].data, "{\"seq\":43,\n\"upserts\":{}}");
}
