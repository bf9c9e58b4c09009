//! The real `twinhall-feed` binary under abuse, over real sockets: thousands of slow-loris
//! sockets next to hundreds of real streams, the connection cap, the header-read and idle
//! timeouts, and a dispatch body sent a byte at a time.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::{raise_open_files, rss_kib, start, temp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SLOW_SOCKETS: usize = 2000;
const STREAMS: usize = 200;
/// The server's resident memory stays under this with all of the above open.
const RSS_BOUND_MIB: u64 = 192;

/// A slow-loris client until `end`: sends a request line a byte a second and never finishes it;
/// when the server cuts it, counts the cut and connects again.
async fn slow_loris(addr: String, end: tokio::time::Instant, cuts: Arc<AtomicUsize>, answered: Arc<AtomicUsize>) {
    let line = b"GET /v1/health HTTP/1.1\r\nHost: feed\r\n";
    while tokio::time::Instant::now() < end {
        let Ok(mut s) = TcpStream::connect(&addr).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut buf = [0u8; 512];
        let mut sent = 0;
        loop {
            tokio::select! {
                read = s.read(&mut buf) => {
                    // Closed by the server (or answered, which a whole head never was).
                    if let Ok(n) = read && n > 0 {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    cuts.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                () = tokio::time::sleep(Duration::from_secs(1)) => {
                    if tokio::time::Instant::now() >= end {
                        return;
                    }
                    if s.write_all(&line[sent % line.len()..][..1]).await.is_err() {
                        cuts.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    sent += 1;
                }
            }
        }
    }
}

/// A real stream until `end`: the times its heartbeats arrived, and whether it was answered 200.
async fn stream(addr: String, after: u64, end: tokio::time::Instant) -> (bool, Vec<Instant>) {
    let Ok(mut s) = TcpStream::connect(&addr).await else { return (false, Vec::new()) };
    let req = format!("GET /v1/stream?after={after} HTTP/1.1\r\nHost: feed\r\n\r\n");
    if s.write_all(req.as_bytes()).await.is_err() {
        return (false, Vec::new());
    }
    let mut beats = Vec::new();
    let mut carry = String::new();
    let mut ok = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match tokio::time::timeout_at(end, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => break,
        };
        carry.push_str(&String::from_utf8_lossy(&buf[..n]));
        if ok.is_none() && carry.len() >= 12 {
            ok = Some(carry.starts_with("HTTP/1.1 200"));
        }
        let now = Instant::now();
        beats.extend(std::iter::repeat_n(now, carry.matches("event: heartbeat").count()));
        // Keep a tail that may hold the start of a split marker.
        let keep = carry.len().saturating_sub(20);
        let keep = (keep..=carry.len()).find(|i| carry.is_char_boundary(*i)).unwrap_or(carry.len());
        carry = carry.split_off(keep).replace("event: heartbeat", "");
    }
    (ok == Some(true), beats)
}

#[test]
fn slow_loris_sockets_leave_health_fast_and_every_stream_its_heartbeats() {
    let limit = raise_open_files();
    assert!(limit >= (SLOW_SOCKETS + STREAMS + 200) as u64, "the open-files limit {limit} is too low for this test");
    let dir = temp("loris");
    // The defaults: 10 s header-read timeout, 60 s idle timeout, 4096 connections.
    let server = start("127.0.0.1:0", &["--orders", dir.join("o.sqlite").to_str().expect("utf8"), "--tick-ms", "250"]);
    let addr = server.addr();
    let pid = server.child.id();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c =
        reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(10)).build().expect("client");
    let base = server.base.clone();
    let report = rt.block_on(async move {
        let health = |c: reqwest::Client, base: String| async move {
            let t = Instant::now();
            let r = c.get(format!("{base}/v1/health")).send().await.expect("health answers");
            assert_eq!(r.status(), 200);
            let v: serde_json::Value = r.json().await.expect("json");
            (t.elapsed(), v["seq"].as_u64().unwrap_or(0))
        };
        // Some history to catch up from.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (_, seq) = health(c.clone(), base.clone()).await;
        let rss_idle = rss_kib(pid);
        let start = tokio::time::Instant::now();
        let end = start + Duration::from_secs(16);
        let streams: Vec<_> =
            (0..STREAMS).map(|i| tokio::spawn(stream(addr.clone(), seq.saturating_sub(i as u64 % 10), end))).collect();
        let cuts = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(AtomicUsize::new(0));
        for i in 0..SLOW_SOCKETS {
            tokio::spawn(slow_loris(addr.clone(), end, cuts.clone(), answered.clone()));
            if i % 100 == 99 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let mut worst = Duration::ZERO;
        let mut polls = 0;
        let mut rss_max = 0;
        // Past the 10 s header-read timeout, so every slow socket was cut at least once.
        while tokio::time::Instant::now() + Duration::from_millis(500) < end {
            let (took, _) = health(c.clone(), base.clone()).await;
            worst = worst.max(took);
            polls += 1;
            rss_max = rss_max.max(rss_kib(pid));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let mut gaps = Vec::new();
        for (i, s) in streams.into_iter().enumerate() {
            let (ok, beats) = s.await.expect("stream task");
            assert!(ok, "stream {i} was answered 200");
            let first_to_last = beats.windows(2).map(|w| w[1] - w[0]).max().unwrap_or_default();
            assert!(beats.len() >= 12, "stream {i}: {} heartbeats in 16 s", beats.len());
            gaps.push(first_to_last);
        }
        let worst_gap = gaps.iter().max().copied().unwrap_or_default();
        assert!(worst_gap < Duration::from_secs(3), "a stream went {worst_gap:?} without a heartbeat");
        (worst, polls, worst_gap, (rss_idle, rss_max), cuts.load(Ordering::Relaxed), answered.load(Ordering::Relaxed))
    });
    let (worst, polls, worst_gap, (rss_idle, rss_max), cuts, answered) = report;
    eprintln!(
        "{SLOW_SOCKETS} slow-loris sockets + {STREAMS} streams: /v1/health worst {worst:?} over {polls} polls; \
         worst heartbeat gap {worst_gap:?}; server VmRSS {} MiB idle, {} MiB at most under load; \
         {cuts} slow sockets cut by the server",
        rss_idle / 1024,
        rss_max / 1024
    );
    assert!(worst < Duration::from_secs(1), "/v1/health took {worst:?}");
    assert!(polls >= 20, "{polls} health polls");
    assert!(cuts >= SLOW_SOCKETS, "every slow socket was cut by the header-read timeout: {cuts} cuts");
    assert_eq!(answered, 0, "no slow socket got an answer to its unfinished request");
    assert!(rss_max < RSS_BOUND_MIB * 1024, "server VmRSS {} MiB, over {RSS_BOUND_MIB} MiB", rss_max / 1024);
}

/// A raw request and the whole answer (until the server closes or 5 s pass).
async fn raw(addr: &str, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// How long until the server closes `s`, which sends nothing more.
async fn closed_after(mut s: TcpStream, since: Instant) -> Duration {
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return since.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => panic!("not closed within 30 s"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_cap_a_connection_gets_503_until_the_header_timeout_frees_a_slot() {
    let dir = temp("cap");
    let server = start(
        "127.0.0.1:0",
        &[
            "--orders",
            dir.join("o.sqlite").to_str().expect("utf8"),
            "--max-connections",
            "20",
            "--header-read-timeout-secs",
            "3",
        ],
    );
    let addr = server.addr();
    let opened = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    // The 21st is refused at once with a 503 that says why.
    let deadline = Instant::now() + Duration::from_secs(2);
    let refused = loop {
        let answer = raw(&addr, b"GET /v1/health HTTP/1.1\r\nHost: feed\r\n\r\n").await;
        if answer.starts_with("HTTP/1.1 503") {
            break answer;
        }
        assert!(Instant::now() < deadline, "no 503 with 20 sockets open on a cap of 20: {answer}");
    };
    assert!(refused.contains("too many connections"), "{refused}");
    // The silent sockets are closed at the 3 s header-read timeout, freeing their slots.
    let closes: Vec<Duration> = futures_util::future::join_all(idle.into_iter().map(|s| closed_after(s, opened))).await;
    let last = closes.iter().max().copied().unwrap_or_default();
    assert!(closes.iter().all(|d| *d >= Duration::from_millis(2500)), "closed before the timeout: {closes:?}");
    assert!(last < Duration::from_secs(8), "closed long after the 3 s timeout: {last:?}");
    let answer = raw(&addr, b"GET /v1/health HTTP/1.1\r\nHost: feed\r\nConnection: close\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let logs = server.logs();
    assert!(logs.contains("connections refused") && logs.contains("--max-connections"), "{logs}");
}

const SLOW_HEAD: &str = "POST /v1/dispatch HTTP/1.1\r\nHost: feed\r\nIdempotency-Key: k-slow\r\n\
                         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_body_sent_a_byte_at_a_time_gets_408_within_the_read_timeout() {
    let dir = temp("slow-body");
    let orders = dir.join("o.sqlite");
    let server = start("127.0.0.1:0", &["--orders", orders.to_str().expect("utf8"), "--header-read-timeout-secs", "2"]);
    // A byte every 300 ms, never idle: the body must still arrive within the 2 s read timeout.
    let mut s = TcpStream::connect(server.addr()).await.expect("connect");
    s.write_all(SLOW_HEAD.as_bytes()).await.expect("head");
    let t = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while t.elapsed() < Duration::from_secs(10) {
        let _ = s.write_all(b" ").await;
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await {
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    }
    let took = t.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(5), "answered after {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_that_goes_silent_mid_request_is_closed_at_the_idle_timeout() {
    let dir = temp("idle");
    let orders = dir.join("o.sqlite");
    // The read timeout far away: only the idle timeout can end this.
    let server = start(
        "127.0.0.1:0",
        &["--orders", orders.to_str().expect("utf8"), "--header-read-timeout-secs", "60", "--idle-timeout-secs", "2"],
    );
    let mut s = TcpStream::connect(server.addr()).await.expect("connect");
    s.write_all(SLOW_HEAD.as_bytes()).await.expect("head");
    s.write_all(b"{\"incident_id\":").await.expect("part of the body");
    let t = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut rest)).await;
    let took = t.elapsed();
    assert!(read.is_ok(), "the connection was not closed within 20 s");
    assert!(took >= Duration::from_millis(1500) && took < Duration::from_secs(6), "closed after {took:?}");
    assert!(rest.is_empty(), "closed without an answer: {}", String::from_utf8_lossy(&rest));
    assert_eq!(support::count(&orders, "SELECT count(*) FROM orders"), 0);
}
