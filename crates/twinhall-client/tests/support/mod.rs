//! A small HTTP/1.1 backend on a real loopback socket, one thread per connection, that answers
//! whatever a test's handler writes: a hostile or broken backend without mocking the client.

#![allow(dead_code, reason = "each test binary uses part of this module")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use twinhall_client::ClientConfig;

/// One request as the handler sees it.
pub struct Request {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub head: String,
    pub body: Vec<u8>,
}

pub struct Backend {
    pub base: String,
}

/// Serves `handler` on 127.0.0.1 until the test process ends. The connection closes when the
/// handler returns.
pub fn serve(handler: impl Fn(&Request, &mut TcpStream) + Send + Sync + 'static) -> Backend {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            let handler = handler.clone();
            std::thread::spawn(move || {
                if let Some(req) = read_request(&mut s) {
                    handler(&req, &mut s);
                }
                let _ = s.flush();
            });
        }
    });
    Backend { base }
}

fn read_request(s: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut piece = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut piece).ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&piece[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut first = head.lines().next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let length = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[end..].to_vec();
    while body.len() < length {
        let n = s.read(&mut piece).ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&piece[..n]);
    }
    Some(Request { method, target, head, body })
}

/// Writes a whole response with a Content-Length.
pub fn respond(s: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let _ = write!(
        s,
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(body);
}

/// Starts an event stream (the body runs until the connection closes).
pub fn start_stream(s: &mut TcpStream) {
    let _ = write!(s, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n");
}

/// A valid snapshot at `seq` of run `epoch`, with one unit.
pub fn snapshot_json(seq: u64, epoch: u64) -> String {
    format!(
        r#"{{"protocol":"twinhall-feed/1","epoch":{epoch},"seq":{seq},"generated_at":0,"entities":{{"units":[{{"id":"U-1","version":1,"updated_at":0,"kind":"police_car","name":"巡逻警车 001","lon":24.9,"lat":60.2,"heading_deg":0,"speed_mps":0,"status":"patrolling"}}]}}}}"#
    )
}

pub fn heartbeat(seq: u64, epoch: u64) -> String {
    format!("event: heartbeat\ndata: {{\"seq\":{seq},\"time\":0,\"epoch\":{epoch}}}\n\n")
}

pub fn batch(seq: u64) -> String {
    format!("event: batch\nid: {seq}\ndata: {{\"seq\":{seq},\"upserts\":{{}},\"removals\":[]}}\n\n")
}

/// A client config with short backoff, so tests take seconds.
pub fn quick(base: &str) -> ClientConfig {
    let mut c = ClientConfig::new(base, "");
    c.backoff_base = Duration::from_millis(20);
    c.backoff_cap = Duration::from_millis(400);
    c
}

/// Waits up to `limit` for `cond`, failing with `what`.
pub fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The peak resident memory of this process so far, bytes (Linux `VmHWM`).
pub fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM in /proc/self/status")
        * 1024
}
