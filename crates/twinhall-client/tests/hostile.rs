//! The feed client against small hostile backends on real loopback sockets: one that answers
//! `reset` on every stream, one whose events or snapshot are too large, and an app that stops
//! draining its queue while orders and stills must still go through.

mod support;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{batch, heartbeat, quick, respond, serve, snapshot_json, start_stream, wait_for};
use twinhall_client::{ClientConfig, ClientEvent, ClientStats, FeedClient, LinkState};
use twinhall_core::protocol::{DispatchRequest, OrderState};

/// Every state the client reported, and the sequence numbers of the batches, as a drained app
/// would see them.
#[derive(Default)]
struct Seen {
    states: Vec<LinkState>,
    batches: Vec<u64>,
    snapshots: usize,
}

fn drain(client: &FeedClient) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (events, s) = (client.events().clone(), seen.clone());
    std::thread::spawn(move || {
        while let Ok(ev) = events.recv() {
            let mut s = s.lock().expect("lock");
            match ev {
                ClientEvent::State(st) => s.states.push(st),
                ClientEvent::Snapshot(_) => s.snapshots += 1,
                ClientEvent::Batch(b) => s.batches.push(b.seq),
            }
        }
    });
    seen
}

#[test]
fn a_backend_that_resets_every_stream_gets_a_bounded_number_of_snapshot_loads() {
    let loads = Arc::new(AtomicU64::new(0));
    let counted = loads.clone();
    let backend = serve(move |req, s| {
        if req.target.starts_with("/v1/snapshot") {
            counted.fetch_add(1, Ordering::Relaxed);
            respond(s, "200 OK", "application/json", snapshot_json(5, 9).as_bytes());
        } else if req.target.starts_with("/v1/stream") {
            start_stream(s);
            let _ = s.write_all(b"event: reset\ndata: {\"oldest_seq\":100,\"seq\":200}\n\n");
        } else {
            respond(s, "404 Not Found", "text/plain", b"");
        }
    });
    // The default schedule: 0.5 s doubling to 30 s.
    let client = FeedClient::spawn(ClientConfig::new(&backend.base, "")).expect("client");
    let seen = drain(&client);
    let window = Duration::from_secs(4);
    std::thread::sleep(window);
    let n = loads.load(Ordering::Relaxed);
    println!("{n} snapshot loads in {window:?} from a backend that resets every stream");
    assert!(n >= 2, "the first reset reloads at once ({n} loads)");
    // Without backoff this is thousands (a loopback round trip per load); with it, the first
    // reload is immediate and the next ones wait up to 0.5, 1, 2, 4 s.
    assert!(n <= 12, "{n} snapshot loads in {window:?}");
    assert!(ClientStats::get(&client.stats().resets) >= n - 1);
    let s = seen.lock().expect("lock");
    assert!(
        s.states.iter().any(|st| matches!(st, LinkState::Resyncing { reason } if reason.starts_with("reset"))),
        "{:?}",
        s.states
    );
}

#[test]
fn with_the_app_queue_full_dispatch_and_still_fetches_still_complete_and_no_batch_is_lost() {
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(32, 24, image::Rgb([10, 200, 30]))
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("png");
    let png = png.into_inner();
    let png_len = png.len();
    let backend = serve(move |req, s| {
        let t = req.target.as_str();
        if t.starts_with("/v1/snapshot") {
            respond(s, "200 OK", "application/json", snapshot_json(5, 9).as_bytes());
        } else if t.starts_with("/v1/stream") {
            let mut seq: u64 = t.split("after=").nth(1).and_then(|v| v.split('&').next()?.parse().ok()).unwrap_or(5);
            start_stream(s);
            // Batches as fast as the socket takes them, for up to 30 s.
            let end = Instant::now() + Duration::from_secs(30);
            while Instant::now() < end {
                seq += 1;
                if s.write_all(batch(seq).as_bytes()).is_err() || s.write_all(heartbeat(seq, 9).as_bytes()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        } else if t.starts_with("/v1/dispatch") && req.method == "POST" {
            let order = r#"{"order_id":"O-1","incident_id":"I-1","unit_ids":["U-1"],"state":"accepted","created_at":1,"updated_at":1}"#;
            respond(s, "201 Created", "application/json", order.as_bytes());
        } else if t.starts_with("/v1/cameras/") {
            respond(s, "200 OK", "image/png", &png);
        } else {
            respond(s, "404 Not Found", "text/plain", b"");
        }
    });
    let mut config = quick(&backend.base);
    config.channel_capacity = 4;
    let client = FeedClient::spawn(config).expect("client");
    // Nobody drains: the queue fills and the worker waits for room.
    wait_for("the worker to find the app's queue full", Duration::from_secs(10), || {
        ClientStats::get(&client.stats().queue_full) >= 1
    });
    assert_eq!(client.events().len(), 4, "the queue is full");
    let request = DispatchRequest { incident_id: "I-1".into(), unit_ids: vec!["U-1".into()], note: String::new() };
    let order = client.dispatch(request).recv_timeout(Duration::from_secs(10)).expect("a dispatch answer within 10 s");
    assert_eq!(order.map(|o| o.state), Ok(OrderState::Accepted));
    let bytes = client.fetch("/v1/cameras/C1/snapshot.jpg").recv_timeout(Duration::from_secs(10)).expect("bytes");
    assert_eq!(bytes.map(|b| b.len()), Ok(png_len));
    let still = client.fetch_still("/v1/cameras/C1/snapshot.jpg").recv_timeout(Duration::from_secs(10)).expect("still");
    assert_eq!(still.map(|s| (s.width, s.height)), Ok((32, 24)));
    assert_eq!(client.events().len(), 4, "still full: the answers did not wait for the app");

    // The app drains again: batches carry on from where they stopped, none dropped.
    let seen = drain(&client);
    wait_for("batches after the queue drained", Duration::from_secs(10), || {
        seen.lock().expect("lock").batches.len() >= 50
    });
    let s = seen.lock().expect("lock");
    let first = s.batches[0];
    assert!(s.batches.iter().enumerate().all(|(i, &seq)| seq == first + i as u64), "in sequence, none lost");
}

#[test]
fn an_event_over_its_limit_is_refused_counted_and_reloaded_and_odd_lines_are_counted() {
    let streams = Arc::new(AtomicU64::new(0));
    let n = streams.clone();
    let backend = serve(move |req, s| {
        if req.target.starts_with("/v1/snapshot") {
            respond(s, "200 OK", "application/json", snapshot_json(5, 9).as_bytes());
        } else if req.target.starts_with("/v1/stream") {
            let k = n.fetch_add(1, Ordering::Relaxed);
            start_stream(s);
            let _ = s.write_all(b"bogus line\n");
            let _ = s.write_all(batch(6).as_bytes());
            if k == 0 {
                // 100 data lines of 1 KiB: each within the line limit, 100 KiB together.
                let line = format!("data: {}\n", "x".repeat(1024));
                let _ = s.write_all(b"event: batch\nid: 7\n");
                for _ in 0..100 {
                    let _ = s.write_all(line.as_bytes());
                }
                let _ = s.write_all(b"\n");
            }
            for _ in 0..50 {
                if s.write_all(heartbeat(6, 9).as_bytes()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        } else {
            respond(s, "404 Not Found", "text/plain", b"");
        }
    });
    let mut config = quick(&backend.base);
    config.max_line_bytes = 4096;
    config.max_event_bytes = 64 << 10;
    let client = FeedClient::spawn(config).expect("client");
    let seen = drain(&client);
    wait_for("a reload after the oversized event, then live", Duration::from_secs(10), || {
        let s = seen.lock().expect("lock");
        s.snapshots == 2 && s.states.last() == Some(&LinkState::Live)
    });
    let stats = client.stats();
    assert_eq!(ClientStats::get(&stats.refused_events), 1);
    assert_eq!(stats.refused(), 1);
    assert_eq!(ClientStats::get(&stats.odd_lines), 2, "one bogus line per stream");
    let s = seen.lock().expect("lock");
    assert!(
        s.states.iter().any(|st| matches!(st, LinkState::Resyncing { reason } if reason.contains("65536 bytes"))),
        "{:?}",
        s.states
    );
    assert_eq!(s.batches, [6, 6], "batch 6 on each stream, the oversized 7 never");
}

#[test]
fn a_snapshot_over_its_limit_is_refused_whether_declared_or_not_and_shown_as_an_error() {
    let loads = Arc::new(AtomicU64::new(0));
    let n = loads.clone();
    let backend = serve(move |req, s| {
        if req.target.starts_with("/v1/snapshot") {
            let k = n.fetch_add(1, Ordering::Relaxed);
            let big = vec![b' '; 3 << 20];
            if k.is_multiple_of(2) {
                respond(s, "200 OK", "application/json", &big);
            } else {
                // No Content-Length: the body runs until the connection closes.
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n");
                let _ = s.write_all(&big);
            }
        } else {
            respond(s, "404 Not Found", "text/plain", b"");
        }
    });
    let mut config = quick(&backend.base);
    config.max_snapshot_bytes = 1 << 20;
    let client = FeedClient::spawn(config).expect("client");
    let seen = drain(&client);
    // The counter moves before the state reaches the app's channel: wait for what the app sees.
    let error_seen = |needle: &str| {
        seen.lock()
            .expect("lock")
            .states
            .iter()
            .any(|st| matches!(st, LinkState::Error { cause, .. } if cause.contains(needle)))
    };
    wait_for("both refusals shown as errors", Duration::from_secs(10), || {
        error_seen("bytes declared") && error_seen("more than the limit")
    });
    assert!(ClientStats::get(&client.stats().refused_snapshots) >= 2);
    let s = seen.lock().expect("lock");
    let causes: Vec<&String> = s
        .states
        .iter()
        .filter_map(|st| match st {
            LinkState::Error { cause, .. } => Some(cause),
            _ => None,
        })
        .collect();
    assert!(
        causes.iter().any(|c| c.contains("3145728 bytes declared") && c.contains("limit of 1048576")),
        "{causes:?}"
    );
    assert!(causes.iter().any(|c| c.contains("more than the limit of 1048576")), "{causes:?}");
    assert_eq!(s.snapshots, 0);
}

#[test]
fn a_dropped_stream_resumes_where_it_was_and_goes_live_again_without_a_reload() {
    let streams = Arc::new(AtomicU64::new(0));
    let n = streams.clone();
    let backend = serve(move |req, s| {
        let t = req.target.as_str();
        if t.starts_with("/v1/snapshot") {
            respond(s, "200 OK", "application/json", snapshot_json(5, 9).as_bytes());
        } else if t.starts_with("/v1/stream") {
            let k = n.fetch_add(1, Ordering::Relaxed);
            start_stream(s);
            if k == 0 {
                // One batch, then the connection drops.
                let _ = s.write_all(batch(6).as_bytes());
                return;
            }
            assert!(t.contains("after=6&epoch=9"), "resumed after the last batch: {t}");
            let _ = s.write_all(batch(7).as_bytes());
            for _ in 0..50 {
                if s.write_all(heartbeat(7, 9).as_bytes()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        } else {
            respond(s, "404 Not Found", "text/plain", b"");
        }
    });
    let client = FeedClient::spawn(quick(&backend.base)).expect("client");
    let seen = drain(&client);
    wait_for("live again on the resumed stream", Duration::from_secs(10), || {
        let s = seen.lock().expect("lock");
        s.batches.len() == 2 && s.states.last() == Some(&LinkState::Live)
    });
    let s = seen.lock().expect("lock");
    assert_eq!((s.snapshots, s.batches.as_slice()), (1, [6, 7].as_slice()), "resumed, not reloaded");
    let resumed = s.states.iter().position(|st| matches!(st, LinkState::Resyncing { .. })).expect("resyncing shown");
    assert!(s.states[resumed..].contains(&LinkState::Live), "{:?}", s.states);
}
