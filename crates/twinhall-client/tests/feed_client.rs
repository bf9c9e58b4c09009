//! The app's feed client (twinhall-client) against the real `twinhall-feed` binary on loopback:
//! kill and restart, a too-old sequence, a stalled stream, malformed messages, a lost dispatch
//! response, a wrong token, TLS, and record/replay. No HTTP is mocked: every server here is a
//! real process or a real socket.

mod real_backend;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use twinhall_client::{ClientConfig, ClientEvent, ClientStats, FeedClient, LinkState};
use twinhall_core::protocol::{DispatchOrder, DispatchRequest, Snapshot};
use twinhall_core::store::{Applied, FeedStore, snapshot_versions};

struct Server {
    child: Child,
    base: String,
    port: u16,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Everything the server logged (after it was killed).
    fn logs(&mut self) -> String {
        self.kill();
        self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts the real binary on `listen` and reads the address it bound; `None` if it could not
/// bind (a restart may race the old socket).
fn try_start(listen: &str, extra: &[&str], env: &[(&str, &str)]) -> Option<Server> {
    let mut child = real_backend::feed_command()
        .args(["--listen", listen])
        .args(extra)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut server = Server { child, base: String::new(), port: 0, stderr: Some(stderr) };
    let line = real_backend::first_line(stdout)?;
    server.base = line.trim().strip_prefix("listening on ")?.to_owned();
    server.port = server.base.rsplit(':').next()?.parse().ok()?;
    Some(server)
}

fn start(listen: &str, extra: &[&str]) -> Server {
    for _ in 0..50 {
        if let Some(s) = try_start(listen, extra, &[]) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not start on {listen}");
}

fn temp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("client-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn quick(base: &str) -> ClientConfig {
    let mut c = ClientConfig::new(base, "");
    // Short backoff so twenty restarts take seconds; the schedule itself is unit-tested.
    c.backoff_base = Duration::from_millis(20);
    c.backoff_cap = Duration::from_millis(400);
    c
}

/// What a consumer saw: the store it applied the client's events to, and every state change.
#[derive(Default)]
struct Seen {
    store: FeedStore,
    states: Vec<(Instant, LinkState)>,
    snapshots: Vec<Instant>,
    /// Batches that did not follow the last one (must stay empty).
    out_of_order: Vec<String>,
    /// When set, the versions held at the moment the store reaches this sequence number.
    target: Option<u64>,
    at_target: Option<BTreeMap<String, u64>>,
}

impl Seen {
    fn last_state(&self) -> Option<&LinkState> {
        self.states.last().map(|(_, s)| s)
    }
}

struct Consumer {
    seen: Arc<Mutex<Seen>>,
    pause: Arc<AtomicBool>,
    /// Set by the consumer once it has seen `pause` and holds no event: it takes none until
    /// `pause` is cleared.
    paused: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Applies the client's events the way the app does, on a thread of its own.
fn consume(client: &FeedClient) -> Consumer {
    let rx = client.events().clone();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let pause = Arc::new(AtomicBool::new(false));
    let paused = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (s, p, pa, st) = (seen.clone(), pause.clone(), paused.clone(), stop.clone());
    let thread = std::thread::spawn(move || {
        while !st.load(Ordering::Relaxed) {
            if p.load(Ordering::SeqCst) {
                pa.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            let Ok(ev) = rx.recv_timeout(Duration::from_millis(50)) else { continue };
            let mut seen = s.lock().expect("lock");
            match ev {
                ClientEvent::State(state) => seen.states.push((Instant::now(), state)),
                ClientEvent::Snapshot(snap) => {
                    seen.store.apply_snapshot(*snap);
                    seen.snapshots.push(Instant::now());
                }
                ClientEvent::Batch(b) => {
                    let seq = b.seq;
                    match seen.store.apply_batch(*b) {
                        Ok(Applied::Changes(_)) => {}
                        Ok(Applied::Duplicate) => seen.out_of_order.push(format!("duplicate {seq}")),
                        Err(e) => seen.out_of_order.push(e.to_string()),
                    }
                }
            }
            if seen.target == Some(seen.store.seq) && seen.at_target.is_none() {
                seen.at_target = Some(seen.store.versions());
            }
        }
    });
    Consumer { seen, pause, paused, stop, thread: Some(thread) }
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A plain reqwest client with a runtime of its own, for the test's direct calls.
struct Http {
    rt: tokio::runtime::Runtime,
    c: reqwest::Client,
}

fn http() -> Http {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    // No pooled connections: servers here restart on the same port.
    let c =
        reqwest::Client::builder().timeout(Duration::from_secs(20)).pool_max_idle_per_host(0).build().expect("client");
    Http { rt, c }
}

impl Http {
    fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> T {
        self.rt.block_on(async {
            let r = self.c.get(url).send().await.expect("GET");
            assert!(r.status().is_success(), "GET {url}: {}", r.status());
            r.json().await.expect("JSON")
        })
    }
}

/// Fetches the server's snapshot and waits until the consumer's store reaches its sequence,
/// then returns the versions the store held at that moment, with the snapshot's.
fn versions_at_server_snapshot(
    consumer: &Consumer,
    base: &str,
) -> (Option<BTreeMap<String, u64>>, BTreeMap<String, u64>) {
    let seen = consumer.seen.clone();
    // Hold the consumer so that it cannot pass the snapshot's sequence before the target is set:
    // wait until it says it holds (a fixed sleep is not enough on a busy machine, where it may
    // take an event sent after the snapshot was read).
    consumer.paused.store(false, Ordering::SeqCst);
    consumer.pause.store(true, Ordering::SeqCst);
    wait_for("the consumer to hold", Duration::from_secs(10), || consumer.paused.load(Ordering::SeqCst));
    let snap: Snapshot = http().get_json(&format!("{base}/v1/snapshot"));
    {
        let mut s = seen.lock().expect("lock");
        assert!(
            s.store.seq <= snap.seq,
            "the client ({}) is ahead of the server's snapshot ({})",
            s.store.seq,
            snap.seq
        );
        s.target = Some(snap.seq);
        if s.store.seq == snap.seq {
            s.at_target = Some(s.store.versions());
        }
    }
    consumer.pause.store(false, Ordering::Relaxed);
    wait_for("the client to reach the snapshot's sequence", Duration::from_secs(30), || {
        seen.lock().expect("lock").at_target.is_some()
    });
    let got = seen.lock().expect("lock").at_target.clone();
    (got, snapshot_versions(&snap))
}

#[test]
fn killed_and_restarted_twenty_times_the_client_ends_with_the_servers_exact_state() {
    let dir = temp("restart");
    let orders = dir.join("orders.sqlite");
    let args = [
        "--city",
        "generated:400",
        "--units",
        "40",
        "--cameras",
        "20000",
        "--incidents",
        "200",
        "--incident-rate",
        "120",
        "--tick-ms",
        "100",
        "--orders",
        orders.to_str().expect("utf8"),
    ];
    let mut server = start("127.0.0.1:0", &args);
    let listen = format!("127.0.0.1:{}", server.port);
    let client = FeedClient::spawn(quick(&server.base)).expect("client");
    let consumer = consume(&client);
    let seen = consumer.seen.clone();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let mut mid_snapshot = 0;
    for round in 0..20 {
        if round % 3 == 0 {
            // Kill while the client is loading the snapshot (20,000 cameras: several MB).
            let since = Instant::now();
            let n_before = seen.lock().expect("lock").states.len();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let s = seen.lock().expect("lock");
                if s.states[n_before.min(s.states.len())..].iter().any(|(_, st)| *st == LinkState::Syncing)
                    && s.states.last().is_some_and(|(_, st)| *st == LinkState::Syncing)
                {
                    mid_snapshot += 1;
                    break;
                }
                drop(s);
                if Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = since;
        } else {
            std::thread::sleep(Duration::from_millis(next(1500)));
        }
        server.kill();
        std::thread::sleep(Duration::from_millis(next(300)));
        server = start(&listen, &args);
    }
    // Settle on the last server: live on its epoch.
    let h = http();
    let health: serde_json::Value = h.get_json(&format!("{}/v1/health", server.base));
    let epoch = health["epoch"].as_u64().expect("epoch");
    wait_for("the client to be live on the last server", Duration::from_secs(30), || {
        let s = seen.lock().expect("lock");
        s.store.epoch == epoch && s.last_state() == Some(&LinkState::Live)
    });
    let (got, want) = versions_at_server_snapshot(&consumer, &server.base);
    assert_eq!(got.as_ref().map(BTreeMap::len), Some(want.len()));
    assert!(got.as_ref() == Some(&want), "the client's (id, version) set differs from the server's");
    let s = seen.lock().expect("lock");
    assert!(s.out_of_order.is_empty(), "batches applied out of order: {:?}", s.out_of_order);
    let stats = client.stats();
    println!(
        "20 restarts ({mid_snapshot} while the snapshot loaded): {} snapshots, {} batches, {} failed attempts, \
         {} entities compared",
        ClientStats::get(&stats.snapshots),
        ClientStats::get(&stats.batches),
        ClientStats::get(&stats.failed_attempts),
        want.len()
    );
    assert!(mid_snapshot >= 4, "only {mid_snapshot} kills landed while a snapshot loaded");
    assert!(ClientStats::get(&stats.snapshots) >= 2, "the client reloaded after restarts");
}

/// A TCP proxy whose link can be cut (every connection closed, new ones refused) and restored.
struct Proxy {
    base: String,
    down: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl Proxy {
    fn new(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let down = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let (d, c) = (down.clone(), conns.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { return };
                if d.load(Ordering::Relaxed) {
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(&upstream) else { continue };
                c.lock()
                    .expect("lock")
                    .extend([client.try_clone().expect("clone"), server.try_clone().expect("clone")]);
                let (mut cr, mut sw) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut cr, &mut sw);
                });
                let (mut sr, mut cw) = (server, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut sr, &mut cw);
                });
            }
        });
        Self { base, down, conns }
    }

    fn cut(&self) {
        self.down.store(true, Ordering::Relaxed);
        for c in self.conns.lock().expect("lock").drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::Relaxed);
    }
}

#[test]
fn a_brief_cut_resumes_the_stream_and_a_too_old_sequence_gets_a_reset_and_a_clean_reload() {
    let dir = temp("reset");
    let orders = dir.join("orders.sqlite");
    let server = start(
        "127.0.0.1:0",
        &[
            "--city",
            "generated:200",
            "--units",
            "20",
            "--tick-ms",
            "100",
            "--history",
            "20",
            "--orders",
            orders.to_str().expect("utf8"),
        ],
    );
    let proxy = Proxy::new(server.base.trim_start_matches("http://").to_owned());
    let client = FeedClient::spawn(quick(&proxy.base)).expect("client");
    let consumer = consume(&client);
    let seen = consumer.seen.clone();
    wait_for("live", Duration::from_secs(20), || seen.lock().expect("lock").last_state() == Some(&LinkState::Live));
    std::thread::sleep(Duration::from_millis(500));

    let signal = |sig: &str| {
        let ok = Command::new("sh").arg("-c").arg(format!("kill -{sig} {}", server.pid())).status().expect("kill");
        assert!(ok.success(), "kill -{sig}");
    };
    let h = http();
    let server_seq = || h.get_json::<serde_json::Value>(&format!("{}/v1/health", server.base))["seq"].as_u64();

    // A cut shorter than the history (20 batches at 10 Hz): the stream resumes, no reload. The
    // server is frozen from the end of the cut until the client has reconnected, so that it
    // misses only the cut's batches (at most 9 in 800 ms at 10 Hz), however long its reconnect
    // takes on a busy machine.
    proxy.cut();
    std::thread::sleep(Duration::from_millis(800));
    signal("STOP");
    proxy.restore();
    let cut_at = Instant::now();
    wait_for("the client to reconnect through the proxy", Duration::from_secs(10), || {
        !proxy.conns.lock().expect("lock").is_empty()
    });
    signal("CONT");
    wait_for("live again", Duration::from_secs(10), || {
        seen.lock().expect("lock").states.iter().any(|(t, s)| *t > cut_at && *s == LinkState::Live)
    });
    assert_eq!(seen.lock().expect("lock").snapshots.len(), 1, "resumed from the history, no snapshot reload");

    // A cut longer than the history: the backend answers reset and the client reloads. The cut
    // lasts until the server is more than its 20 kept batches past where it was when the cut
    // began (the client has nothing later), however slowly it ticks on a busy machine.
    proxy.cut();
    let at_cut = server_seq().expect("the server's sequence");
    wait_for("the server to move past its history", Duration::from_secs(30), || {
        server_seq().is_some_and(|s| s > at_cut + 25)
    });
    proxy.restore();
    wait_for("a reset and a reload", Duration::from_secs(20), || {
        ClientStats::get(&client.stats().resets) >= 1 && seen.lock().expect("lock").snapshots.len() == 2
    });
    wait_for("live after the reload", Duration::from_secs(20), || {
        seen.lock().expect("lock").last_state() == Some(&LinkState::Live)
    });
    // Then in step with the server again.
    let (got, want) = versions_at_server_snapshot(&consumer, &server.base);
    assert!(got.as_ref() == Some(&want), "state differs after the reload");
    let s = seen.lock().expect("lock");
    assert!(s.out_of_order.is_empty(), "{:?}", s.out_of_order);
    assert!(
        s.states.iter().any(|(_, st)| matches!(st, LinkState::Resyncing { reason } if reason.starts_with("reset"))),
        "{:?}",
        s.states
    );
}

#[test]
fn a_stalled_stream_is_stale_within_3_s_and_clears_only_after_a_resync() {
    let dir = temp("stall");
    let orders = dir.join("orders.sqlite");
    let server = start(
        "127.0.0.1:0",
        &["--city", "generated:200", "--units", "10", "--tick-ms", "200", "--orders", orders.to_str().expect("utf8")],
    );
    let client = FeedClient::spawn(quick(&server.base)).expect("client");
    let consumer = consume(&client);
    let seen = consumer.seen.clone();
    wait_for("live", Duration::from_secs(20), || seen.lock().expect("lock").last_state() == Some(&LinkState::Live));
    std::thread::sleep(Duration::from_millis(500));
    let sh = |sig: &str| {
        let ok = Command::new("sh").arg("-c").arg(format!("kill -{sig} {}", server.pid())).status().expect("kill");
        assert!(ok.success());
    };
    // Freeze the server process: the TCP connection stays open and nothing arrives.
    sh("STOP");
    let stopped = Instant::now();
    wait_for("stale", Duration::from_secs(6), || {
        seen.lock().expect("lock").states.iter().any(|(t, s)| *t > stopped && matches!(s, LinkState::Stale { .. }))
    });
    let took = stopped.elapsed();
    println!("stale {} ms after the server froze", took.as_millis());
    assert!(took <= Duration::from_millis(3500), "stale only after {took:?}");
    std::thread::sleep(Duration::from_secs(2));
    assert_ne!(seen.lock().expect("lock").last_state(), Some(&LinkState::Live), "live again with no resync");
    sh("CONT");
    let resumed = Instant::now();
    wait_for("live after the resync", Duration::from_secs(20), || {
        seen.lock().expect("lock").states.iter().any(|(t, s)| *t > resumed && *s == LinkState::Live)
    });
    let s = seen.lock().expect("lock");
    let stale_at = s.states.iter().find(|(t, st)| *t > stopped && matches!(st, LinkState::Stale { .. })).map(|x| x.0);
    let live_at = s.states.iter().find(|(t, st)| *t > resumed && *st == LinkState::Live).map(|x| x.0);
    let (Some(stale_at), Some(live_at)) = (stale_at, live_at) else { panic!("states {:?}", s.states) };
    assert!(
        s.snapshots.iter().any(|t| *t > stale_at && *t <= live_at),
        "live again without a snapshot reload in between"
    );
    assert!(s.out_of_order.is_empty(), "{:?}", s.out_of_order);
}

/// A minimal HTTP/1.1 backend on a real socket that sends what a broken backend might: a valid
/// snapshot, then a stream with malformed messages among valid ones.
fn broken_backend() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        for _ in 0..2 {
            let Ok((mut s, _)) = listener.accept() else { return };
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                let Ok(n) = s.read(&mut buf) else { return };
                if n == 0 {
                    return;
                }
                req.extend_from_slice(&buf[..n]);
            }
            let head = String::from_utf8_lossy(&req).to_string();
            if head.starts_with("GET /v1/snapshot") {
                let body = r#"{"protocol":"twinhall-feed/1","epoch":9,"seq":5,"generated_at":0,"entities":{"units":[{"id":"U-1","version":1,"updated_at":0,"kind":"police_car","name":"巡逻警车 001","lon":24.9,"lat":60.2,"heading_deg":0,"speed_mps":0,"status":"patrolling"}]}}"#;
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            } else {
                let _ = write!(s, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n");
                let events = [
                    "event: batch\nid: 6\ndata: {not json at all\n\n",
                    "event: surprise\ndata: 42\n\n",
                    "event: heartbeat\ndata: [1,2\n\n",
                    "event: batch\nid: 6\ndata: {\"seq\":6,\"upserts\":{\"units\":[{\"id\":\"U-1\",\"version\":2,\"updated_at\":1,\"kind\":\"police_car\",\"name\":\"巡逻警车 001\",\"lon\":24.91,\"lat\":60.2,\"heading_deg\":90,\"speed_mps\":10,\"status\":\"patrolling\"}]}}\n\n",
                ];
                for e in events {
                    let _ = s.write_all(e.as_bytes());
                }
                for _ in 0..40 {
                    let _ = s.write_all(b"event: heartbeat\ndata: {\"seq\":6,\"time\":0,\"epoch\":9}\n\n");
                    std::thread::sleep(Duration::from_millis(100));
                }
                return;
            }
        }
    });
    (base, handle)
}

#[test]
fn malformed_messages_are_skipped_and_counted_and_the_rest_applies() {
    let (base, backend) = broken_backend();
    let client = FeedClient::spawn(quick(&base)).expect("client");
    let consumer = consume(&client);
    let seen = consumer.seen.clone();
    wait_for("the valid batch after the malformed ones", Duration::from_secs(10), || {
        seen.lock().expect("lock").store.seq == 6
    });
    std::thread::sleep(Duration::from_millis(300));
    let s = seen.lock().expect("lock");
    assert_eq!(ClientStats::get(&client.stats().malformed), 3, "bad batch JSON, unknown event, bad heartbeat");
    assert_eq!(s.store.units.get("U-1").map(|u| u.version), Some(2));
    assert_eq!(s.last_state(), Some(&LinkState::Live), "malformed messages alone do not break the link");
    assert_eq!(ClientStats::get(&client.stats().resyncs), 0);
    drop(s);
    drop(consumer);
    drop(client);
    let _ = backend.join();
}

/// Forwards connections to `upstream`; the first one gets the upstream's answer thrown away and
/// its connection closed, as if the response were lost on the way back.
fn lossy_proxy(upstream: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(client) = conn else { return };
            let Ok(server) = std::net::TcpStream::connect(&upstream) else { return };
            let (mut c_read, mut s_write) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_read, &mut s_write);
            });
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                if n == 0 {
                    let mut buf = [0u8; 4096];
                    let _ = s_read.read(&mut buf);
                    let _ = c_write.shutdown(std::net::Shutdown::Both);
                    let _ = s_read.shutdown(std::net::Shutdown::Both);
                } else {
                    let _ = std::io::copy(&mut s_read, &mut c_write);
                }
            });
        }
    });
    addr
}

#[test]
fn a_dispatch_whose_response_is_lost_is_retried_into_exactly_one_order_that_survives_a_restart() {
    let dir = temp("dispatch");
    let orders = dir.join("orders.sqlite");
    let args = ["--city", "generated:300", "--units", "6", "--orders", orders.to_str().expect("utf8")];
    let mut server = start("127.0.0.1:0", &args);
    let h = http();
    let snap: Snapshot = h.get_json(&format!("{}/v1/snapshot", server.base));
    let incident = snap.entities.incidents.first().expect("the server opens incidents at start").id.clone();
    let request = DispatchRequest { incident_id: incident, unit_ids: vec!["U-00001".into()], note: "测试".into() };
    let proxy = lossy_proxy(server.base.trim_start_matches("http://").to_owned());
    let cfg = quick(&proxy);
    let http_client = twinhall_client::http_client(&cfg).expect("http");
    let key = twinhall_client::idempotency_key();
    let order: DispatchOrder =
        h.rt.block_on(twinhall_client::dispatch(&http_client, &cfg, &request, &key, 5))
            .expect("the retry gets the order");
    let all: Vec<DispatchOrder> = h.get_json(&format!("{}/v1/orders", server.base));
    assert_eq!(all.len(), 1, "exactly one order: {all:?}");
    assert_eq!(all[0].order_id, order.order_id);
    let db = rusqlite::Connection::open_with_flags(&orders, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("db");
    let stored: i64 = db.query_row("SELECT count(*) FROM orders", [], |r| r.get(0)).expect("count");
    assert_eq!(stored, 1, "one order in the orders database");

    server.kill();
    let server = start(&format!("127.0.0.1:{}", server.port), &args);
    let kept: DispatchOrder = h.get_json(&format!("{}/v1/orders/{}", server.base, order.order_id));
    assert_eq!(kept.incident_id, order.incident_id);
    // The same key again, after the restart: the same order, still one.
    let direct = quick(&server.base);
    let again =
        h.rt.block_on(twinhall_client::dispatch(&http_client, &direct, &request, &key, 1))
            .expect("same key, same body");
    assert_eq!(again.order_id, order.order_id);
    let all: Vec<DispatchOrder> = h.get_json(&format!("{}/v1/orders", server.base));
    assert_eq!(all.len(), 1);
}

/// Collects tracing output of this process.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_wrong_token_is_refused_and_shown_as_unauthorized_and_no_token_reaches_a_log() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // Global: the client logs from its own thread. No other test in this binary sets one.
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");

    let dir = temp("token");
    let orders = dir.join("orders.sqlite");
    let secret = "s3cret-feed-token-7f1e";
    let mut server = try_start(
        "127.0.0.1:0",
        &["--city", "generated:200", "--units", "5", "--orders", orders.to_str().expect("utf8")],
        &[("TWINHALL_FEED_TOKEN", secret), ("RUST_LOG", "trace")],
    )
    .expect("server");
    let wrong = "wrong-token-0a9b";
    let mut cfg = quick(&server.base);
    cfg.token = wrong.into();
    let client = FeedClient::spawn(cfg).expect("client");
    let consumer = consume(&client);
    let seen = consumer.seen.clone();
    wait_for("unauthorized", Duration::from_secs(10), || {
        seen.lock().expect("lock").last_state() == Some(&LinkState::Unauthorized)
    });
    assert!(!seen.lock().expect("lock").store.synced, "no data without the token");

    let mut cfg = quick(&server.base);
    cfg.token = secret.into();
    let good = FeedClient::spawn(cfg).expect("client");
    let good_consumer = consume(&good);
    let good_seen = good_consumer.seen.clone();
    wait_for("live with the right token", Duration::from_secs(20), || {
        good_seen.lock().expect("lock").last_state() == Some(&LinkState::Live)
    });
    drop(consumer);
    drop(client);
    drop(good_consumer);
    drop(good);
    std::thread::sleep(Duration::from_millis(300));
    let client_logs = String::from_utf8_lossy(&logs.0.lock().expect("lock")).to_string();
    let server_logs = server.logs();
    assert!(client_logs.contains("401"), "the client says why: {client_logs}");
    for (who, text) in [("client", &client_logs), ("server", &server_logs)] {
        assert!(!text.contains(secret) && !text.contains(wrong), "a token in the {who} logs:\n{text}");
    }
}

#[test]
fn tls_with_a_private_ca() {
    let dir = temp("tls");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    std::fs::write(dir.join("cert.pem"), &cert_pem).expect("write");
    std::fs::write(dir.join("key.pem"), &key_pem).expect("write");
    let orders = dir.join("orders.sqlite");
    let server = start(
        "127.0.0.1:0",
        &[
            "--city",
            "generated:200",
            "--units",
            "5",
            "--tick-ms",
            "200",
            "--orders",
            orders.to_str().expect("utf8"),
            "--tls-cert",
            dir.join("cert.pem").to_str().expect("utf8"),
            "--tls-key",
            dir.join("key.pem").to_str().expect("utf8"),
        ],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let base = format!("https://localhost:{}", server.port);
    // Without the CA the certificate is not trusted: an error state naming the cause.
    let untrusted = FeedClient::spawn(quick(&base)).expect("client");
    let untrusted_consumer = consume(&untrusted);
    let u = untrusted_consumer.seen.clone();
    wait_for("an error", Duration::from_secs(10), || {
        matches!(u.lock().expect("lock").last_state(), Some(LinkState::Error { .. }))
    });
    let mut cfg = quick(&base);
    cfg.ca_pem = Some(cert_pem.into_bytes());
    let client = FeedClient::spawn(cfg).expect("client");
    let consumer = consume(&client);
    let seen = consumer.seen.clone();
    wait_for("batches over TLS", Duration::from_secs(20), || {
        let s = seen.lock().expect("lock");
        s.last_state() == Some(&LinkState::Live) && ClientStats::get(&client.stats().batches) >= 3
    });
    assert_eq!(seen.lock().expect("lock").store.units.len(), 5);
}

#[test]
fn a_recording_replays_to_the_same_state() {
    let dir = temp("replay");
    let rec = dir.join("briefing.jsonl");
    let orders = dir.join("orders.sqlite");
    let mut recording = start(
        "127.0.0.1:0",
        &[
            "--city",
            "generated:300",
            "--units",
            "12",
            "--incident-rate",
            "300",
            "--tick-ms",
            "100",
            "--orders",
            orders.to_str().expect("utf8"),
            "--record",
            rec.to_str().expect("utf8"),
        ],
    );
    // Until the recording holds the snapshot and 16 lines after it (each line is flushed as it
    // is written; 16 so that the 15th is whole), however slowly the server ticks on a busy
    // machine: a fixed 2.5 s counted on it ticking at 10 Hz.
    wait_for("15 batches recorded", Duration::from_secs(30), || {
        std::fs::read_to_string(&rec).is_ok_and(|t| t.lines().count() > 16)
    });
    recording.kill();
    // What the recording holds, applied here.
    let text = std::fs::read_to_string(&rec).expect("recording");
    let mut lines = text.lines();
    let first: serde_json::Value = serde_json::from_str(lines.next().expect("line 1")).expect("json");
    let mut want = FeedStore::default();
    want.apply_snapshot(serde_json::from_value(first["snapshot"].clone()).expect("snapshot"));
    let mut batches = 0;
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        want.apply_batch(serde_json::from_value(v["batch"].clone()).expect("batch")).expect("in order");
        batches += 1;
    }
    assert!(batches >= 15, "{batches} batches recorded in 2.5 s at 10 Hz");

    // Its own orders file in the test's folder (the default would land in the working directory).
    let replay_orders = dir.join("replay-orders.sqlite");
    let replay = start(
        "127.0.0.1:0",
        &[
            "--replay",
            rec.to_str().expect("utf8"),
            "--tick-ms",
            "50",
            "--orders",
            replay_orders.to_str().expect("utf8"),
        ],
    );
    let client = FeedClient::spawn(quick(&replay.base)).expect("client");
    let consumer = consume(&client);
    let seen = consumer.seen.clone();
    wait_for("the end of the recording", Duration::from_secs(20), || seen.lock().expect("lock").store.seq == want.seq);
    let s = seen.lock().expect("lock");
    assert_eq!(s.store.versions(), want.versions());
    assert!(s.out_of_order.is_empty());
    // A replaying backend takes no orders.
    let h = http();
    let status = h.rt.block_on(async {
        h.c.post(format!("{}/v1/dispatch", replay.base))
            .header("Idempotency-Key", "k1")
            .json(&DispatchRequest {
                incident_id: "I-000001".into(),
                unit_ids: vec!["U-00001".into()],
                note: String::new(),
            })
            .send()
            .await
            .expect("post")
            .status()
    });
    assert_eq!(status, 409);
}

/// The backend process of [`real_backend::feed_command`] (this binary run again).
#[test]
#[ignore = "run by real_backend::feed_command as the backend's process"]
fn serve_feed() {
    real_backend::serve_feed();
}
