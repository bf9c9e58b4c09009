//! Leader -> follower latency of a wall of several machines, in frames: a leader sends a frame
//! every 1/60 s through the real link (`twinhall_client::sync`: TCP on loopback, tokio's
//! length-delimited frames, the app's JSON messages), and a follower looks at the start of each
//! of its own frames, 1/60 s apart, for the newest frame. Printed: how many of the follower's
//! frames after the leader's send the frame is shown (median and worst), and the send-to-arrival
//! time, against the same loop over an in-process channel (the baseline: no network at all).
//!
//! `cargo bench --bench wall_sync` (about 12 s); `-- SECONDS` sets the run (default 5).

use std::time::{Duration, Instant};

use crossbeam_channel::bounded;
use twinhall_client::sync::{FollowEvent, SyncClient, SyncServer, encode};
use twinhall_core::theatre::Layers;
use twinhall_core::wall::{SyncFrame, SyncMessage};

const FRAME: Duration = Duration::from_nanos(16_666_667);

fn frame(n: u64) -> SyncMessage {
    let on = Some(true);
    SyncMessage::Frame(Box::new(SyncFrame {
        frame: n,
        sent_ms: 0,
        clock_s: 1.5,
        camera: [120.5, 0.0, -340.25, 1800.0, 0.9, 0.35],
        selected: Some((twinhall_core::protocol::EntityKind::Incident, format!("I-{n:05}"))),
        focused: None,
        theatre: Some(("public_safety".into(), 2)),
        layers: Layers { incidents: on, units: on, cameras: on, cones: on, labels: on, ..Layers::default() },
        view: Default::default(),
        feed_seq: 1000 + n,
        labels: None,
        alerts: None,
    }))
}

/// What one run measured: frames late (per frame shown) and microseconds from send to arrival.
struct Run {
    late_frames: Vec<u32>,
    micros: Vec<f64>,
}

/// Sends a frame every 1/60 s for `secs`; the follower side looks once a frame, offset by half a
/// frame, and takes the newest. `send` returns false when the link is gone.
fn run(secs: f64, mut send: impl FnMut(u64) -> bool, mut newest: impl FnMut() -> Option<(u64, Instant)>) -> Run {
    let start = Instant::now();
    let total = (secs / FRAME.as_secs_f64()) as u64;
    let mut sent_at = Vec::with_capacity(total as usize);
    let (mut late_frames, mut micros) = (Vec::new(), Vec::new());
    let mut shown = 0u64;
    for tick in 0..total {
        // The leader's frame `tick` ends: it sends.
        let due = start + FRAME * tick as u32;
        while Instant::now() < due {
            std::thread::sleep(Duration::from_micros(200));
        }
        sent_at.push(Instant::now());
        if !send(tick) {
            break;
        }
        // Half a frame later the follower's frame starts: it shows the newest it has.
        let look = due + FRAME / 2;
        while Instant::now() < look {
            std::thread::sleep(Duration::from_micros(200));
        }
        while let Some((n, arrived)) = newest() {
            micros.push(arrived.duration_since(sent_at[n as usize]).as_secs_f64() * 1e6);
            if n >= shown {
                // Shown at the follower's frame `tick`, sent at the leader's frame `n`.
                late_frames.push((tick - n) as u32 + 1);
                shown = n + 1;
            }
        }
    }
    Run { late_frames, micros }
}

fn median<T: Copy + PartialOrd>(v: &mut [T]) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

fn main() {
    let secs: f64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5.0);

    // Baseline: the same loop over an in-process channel.
    let (tx, rx) = bounded::<(u64, Instant)>(1024);
    let mut base = run(secs, |n| tx.send((n, Instant::now())).is_ok(), || rx.try_recv().ok());

    // The real link on loopback.
    let server = SyncServer::start("127.0.0.1:0".parse().expect("addr"), "bench".into()).expect("listen");
    let (feed_tx, _feed) = bounded(64);
    let client = SyncClient::start(server.local_addr().to_string(), "bench".into(), "1,0".into(), feed_tx);
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        if let Some((id, _)) = server.joined().pop() {
            break id;
        }
        assert!(Instant::now() < deadline, "the follower did not join");
        std::thread::sleep(Duration::from_millis(5));
    };
    server.send_first(id, None);
    let mut link = run(
        secs,
        |n| server.broadcast(&encode(&frame(n))) == 1,
        || loop {
            match client.events.try_recv().ok()? {
                FollowEvent::Frame(f) => return Some((f.frame, Instant::now())),
                _ => continue,
            }
        },
    );
    let bytes = encode(&frame(1)).len();

    let (b_us, l_us) = (median(&mut base.micros), median(&mut link.micros));
    let l_p99 = {
        link.micros.sort_by(f64::total_cmp);
        link.micros[(link.micros.len() * 99 / 100).min(link.micros.len() - 1)]
    };
    let (b_late, l_late) = (median(&mut base.late_frames), median(&mut link.late_frames));
    let l_worst = link.late_frames.iter().copied().max().unwrap_or(0);
    println!("wall_sync: {} frames of {bytes} bytes at 60 fps over {secs} s", link.late_frames.len());
    println!(
        "  send to the follower's next look (half a frame later): median {l_us:.0} us (p99 {l_p99:.0} us) over TCP, {b_us:.1} us in-process",
    );
    println!(
        "  leader -> follower latency: median {l_late} frame(s), worst {l_worst}, at 60 fps \
         (in-process baseline {b_late}): ratio {:.2}",
        f64::from(l_late) / f64::from(b_late.max(1))
    );
}
