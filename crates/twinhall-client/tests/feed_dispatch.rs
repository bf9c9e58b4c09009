//! Exactly-once dispatch across crashes, with real processes: the real `twinhall-feed` binary on
//! loopback and the real `twinhall-dispatch` tool, killed (SIGKILL) after its journal write and
//! after the backend answered, then run again with `--resend`; and a backend whose orders
//! database cannot be written, which must answer 500 and change nothing.

mod real_backend;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use twinhall_core::hub::journal::{Journal, OrderStatus};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real backend on port 0 and reads the address it bound from its first stdout line.
fn start(orders: &Path) -> Server {
    let mut child = real_backend::feed_command()
        .args(["--listen", "127.0.0.1:0", "--orders", orders.to_str().expect("utf8")])
        // Twelve incidents open at start, none arriving: the test picks from a fixed set.
        .args(["--city", "generated:300", "--units", "8", "--incidents", "12", "--incident-rate", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut server = Server { child, base: String::new() };
    let line = real_backend::first_line(stdout).expect("read the address line");
    server.base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    server
}

fn temp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dispatch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A plain HTTP client with a runtime of its own.
struct Http {
    rt: tokio::runtime::Runtime,
    c: reqwest::Client,
}

fn http() -> Http {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let c = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    Http { rt, c }
}

impl Http {
    fn get(&self, url: &str) -> Value {
        self.rt.block_on(async {
            let r = self.c.get(url).send().await.expect("GET");
            assert!(r.status().is_success(), "GET {url}: {}", r.status());
            r.json().await.expect("JSON")
        })
    }

    /// POSTs a dispatch; returns the status, the `Idempotent-Replayed` header and the body.
    fn dispatch(&self, base: &str, key: &str, body: &Value) -> (u16, Option<String>, Value) {
        self.rt.block_on(async {
            let r = self
                .c
                .post(format!("{base}/v1/dispatch"))
                .header("Idempotency-Key", key)
                .json(body)
                .send()
                .await
                .expect("POST");
            let status = r.status().as_u16();
            let replayed = r.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()).map(str::to_owned);
            (status, replayed, r.json().await.unwrap_or(Value::Null))
        })
    }

    /// The backend's orders for one incident.
    fn orders_for(&self, base: &str, incident: &str) -> Vec<Value> {
        let all = self.get(&format!("{base}/v1/orders"));
        all.as_array().expect("an array").iter().filter(|o| o["incident_id"] == incident).cloned().collect()
    }
}

/// Incidents a dispatch can go to for the next minutes (not in feedback, review or archive).
fn open_incidents(h: &Http, base: &str) -> Vec<String> {
    let snap = h.get(&format!("{base}/v1/snapshot"));
    snap["entities"]["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .filter(|i| matches!(i["status"].as_str(), Some("reported" | "accepted" | "assigned" | "handling")))
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

fn unit(h: &Http, base: &str, id: &str) -> Value {
    let snap = h.get(&format!("{base}/v1/snapshot"));
    snap["entities"]["units"].as_array().expect("units").iter().find(|u| u["id"] == id).cloned().expect("the unit")
}

/// A running `twinhall-dispatch` with its stdout lines on a channel.
struct Tool {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Tool {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tool(args: &[&str], pause: Option<&str>) -> Tool {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_twinhall-dispatch"));
    cmd.args(args)
        .env("TWINHALL_FEED_TOKEN", "")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match pause {
        Some(p) => cmd.env("TWINHALL_DISPATCH_PAUSE", p),
        None => cmd.env_remove("TWINHALL_DISPATCH_PAUSE"),
    };
    let mut child = cmd.spawn().expect("twinhall-dispatch starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Tool { child, lines }
}

impl Tool {
    /// The first line starting with `prefix`, within 60 s.
    fn line(&self, prefix: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.starts_with(prefix) => return l,
                Ok(_) => {}
                Err(e) => panic!("no line `{prefix}…` from twinhall-dispatch: {e}"),
            }
        }
    }

    /// Waits for the exit (within 60 s); returns the exit code and the rest of stdout.
    fn finish(mut self) -> (Option<i32>, Vec<String>) {
        let mut out = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // The reader thread drains what is left and ends with the pipe.
                while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
                    out.push(l);
                }
                return (status.code(), out);
            }
            assert!(std::time::Instant::now() < deadline, "twinhall-dispatch did not finish in 60 s");
            while let Ok(l) = self.lines.try_recv() {
                out.push(l);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and reap it.
    fn kill(mut self) {
        self.child.kill().expect("kill");
        let status = self.child.wait().expect("wait");
        assert_eq!(status.code(), None, "killed by a signal, not exited: {status:?}");
    }
}

/// The value of `name=` in a line of the tool's output.
fn field(line: &str, name: &str) -> String {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name}= in {line:?}"))
        .to_owned()
}

/// Orders in the backend's database (read by this process, through SQLite).
fn stored_orders(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the orders database opens");
    conn.query_row("SELECT count(*) FROM orders", [], |r| r.get(0)).expect("count")
}

fn journal_order(path: &Path, key: &str) -> twinhall_core::hub::journal::JournalOrder {
    Journal::open(path).expect("the journal opens").order(key).expect("read").expect("the order is in the journal")
}

#[test]
fn an_order_killed_at_any_point_is_made_exactly_once_after_resend() {
    let dir = temp("kill");
    let server = start(&dir.join("orders.sqlite"));
    let h = http();
    let incidents = open_incidents(&h, &server.base);
    assert!(incidents.len() >= 3, "three open incidents to dispatch to: {incidents:?}");
    let base = server.base.as_str();

    for (n, pause) in [Some("after_journal"), Some("after_send"), None].into_iter().enumerate() {
        let incident = incidents[n].as_str();
        let unit_id = format!("U-{:05}", n + 1);
        let journal = dir.join(format!("journal-{n}.sqlite"));
        let journal_arg = journal.to_str().expect("utf8");
        let args = ["--feed", base, "--journal", journal_arg, "--incident", incident, "--units", &unit_id];
        let args = [&args[..], &["--note", "测试 exactly once"]].concat();
        let what = pause.unwrap_or("clean run");
        let run = tool(&args, pause);
        let key = match pause {
            Some(p) => {
                let line = run.line(&format!("paused {p} "));
                let key = field(&line, "key");
                // Stopped there: the journal holds the order, still pending.
                let o = journal_order(&journal, &key);
                assert_eq!(o.status, OrderStatus::Pending, "{what}");
                assert_eq!(
                    (o.request.incident_id.as_str(), o.request.unit_ids.clone()),
                    (incident, vec![unit_id.clone()])
                );
                let on_backend = h.orders_for(base, incident);
                if p == "after_journal" {
                    assert!(on_backend.is_empty(), "{what}: nothing was sent yet: {on_backend:?}");
                } else {
                    // The request reached the backend, whose answer the tool holds unrecorded.
                    assert_eq!(on_backend.len(), 1, "{what}: {on_backend:?}");
                    assert_eq!(on_backend[0]["order_id"].as_str(), Some(field(&line, "order_id").as_str()));
                }
                run.kill();
                key
            }
            None => {
                let line = run.line("accepted ");
                let (code, _) = run.finish();
                assert_eq!(code, Some(0), "{what}");
                field(&line, "key")
            }
        };

        let resend = tool(&["--feed", base, "--journal", journal_arg, "--resend"], None);
        let (code, out) = resend.finish();
        assert_eq!(code, Some(0), "{what}: --resend exits 0: {out:?}");
        if pause.is_none() {
            assert_eq!(out, ["nothing to resend"], "{what}");
        } else {
            let accepted: Vec<&String> = out.iter().filter(|l| l.starts_with("accepted ")).collect();
            assert_eq!(accepted.len(), 1, "{what}: {out:?}");
            assert_eq!(field(accepted[0], "key"), key, "{what}: the same key was sent again");
        }

        let on_backend = h.orders_for(base, incident);
        assert_eq!(on_backend.len(), 1, "{what}: exactly one order for {incident}: {on_backend:?}");
        let o = journal_order(&journal, &key);
        assert_eq!(o.status, OrderStatus::Accepted, "{what}");
        assert_eq!(
            o.order_id.as_deref(),
            on_backend[0]["order_id"].as_str(),
            "{what}: the journal has the backend's id"
        );
        assert!(Journal::open(&journal).expect("open").resendable().expect("resendable").is_empty(), "{what}");
        assert_eq!(unit(&h, base, &unit_id)["incident_id"].as_str(), Some(incident), "{what}: the unit was sent");
    }
    let all = h.get(&format!("{base}/v1/orders"));
    assert_eq!(all.as_array().map(Vec::len), Some(3), "one order per run: {all}");
    assert_eq!(stored_orders(&dir.join("orders.sqlite")), 3, "one stored record per order");
}

#[test]
fn a_backend_that_cannot_store_an_order_answers_500_and_changes_nothing() {
    let dir = temp("unwritable");
    let store = dir.join("store");
    std::fs::create_dir_all(&store).expect("store dir");
    let orders = store.join("orders.sqlite");
    let server = start(&orders);
    let h = http();
    let base = server.base.as_str();
    let incident = open_incidents(&h, base).first().cloned().expect("an open incident");
    let unit_before = unit(&h, base, "U-00004");
    let body = json!({ "incident_id": incident, "unit_ids": ["U-00004"], "note": "" });
    let key = "k-unwritable-1";

    // Tests run as root, where a read-only mode stops nothing: break the path instead. First the
    // database's directory becomes a regular file (the open database is gone from its path, and
    // reopening fails with ENOTDIR), then the database path is /dev/full, where every write
    // fails with ENOSPC.
    let mut broken = vec!["directory replaced by a file"];
    if Path::new("/dev/full").exists() {
        broken.push("/dev/full");
    }
    for what in broken {
        if what == "directory replaced by a file" {
            std::fs::remove_dir_all(&store).expect("remove the store dir");
            std::fs::write(&store, b"not a directory").expect("a file in its place");
        } else {
            std::fs::remove_file(&store).expect("remove the file");
            std::fs::create_dir_all(&store).expect("the store dir again");
            std::os::unix::fs::symlink("/dev/full", &orders).expect("symlink to /dev/full");
        }
        for attempt in 1..=2 {
            let (status, _, answer) = h.dispatch(base, key, &body);
            assert_eq!(status, 500, "{what}, attempt {attempt}: {answer}");
            assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()), "{what}: {answer}");
        }
        let all = h.get(&format!("{base}/v1/orders"));
        assert_eq!(all.as_array().map(Vec::len), Some(0), "{what}: no order after a failed write: {all}");
        let u = unit(&h, base, "U-00004");
        assert_eq!((&u["status"], &u["incident_id"]), (&unit_before["status"], &unit_before["incident_id"]), "{what}");
        let snap = h.get(&format!("{base}/v1/snapshot"));
        let inc = snap["entities"]["incidents"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["id"] == incident.as_str()))
            .cloned()
            .expect("the incident");
        let assigned = inc["assigned_units"].as_array().cloned().unwrap_or_default();
        assert!(!assigned.iter().any(|u| u == "U-00004"), "{what}: the unit was not assigned: {inc}");
    }

    // Writable again: the same key makes the order, once; a replay answers as the first time.
    if orders.is_symlink() {
        std::fs::remove_file(&orders).expect("remove the symlink");
    } else {
        std::fs::remove_file(&store).expect("remove the file");
        std::fs::create_dir_all(&store).expect("the store dir again");
    }
    let (status, replayed, first) = h.dispatch(base, key, &body);
    assert_eq!((status, replayed), (201, None), "{first}");
    let (status, replayed, again) = h.dispatch(base, key, &body);
    assert_eq!((status, replayed.as_deref()), (201, Some("true")), "a replay is 201 with Idempotent-Replayed");
    assert_eq!(again["order_id"], first["order_id"]);
    let all = h.get(&format!("{base}/v1/orders"));
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    assert_eq!(stored_orders(&orders), 1);
    assert_eq!(unit(&h, base, "U-00004")["incident_id"].as_str(), Some(incident.as_str()));

    // After a restart: the one order, and the key answers with it.
    drop(server);
    let server = start(&orders);
    let all = h.get(&format!("{}/v1/orders", server.base));
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    let (status, replayed, again) = h.dispatch(&server.base, key, &body);
    assert_eq!((status, replayed.as_deref()), (201, Some("true")), "{again}");
    assert_eq!(again["order_id"], first["order_id"]);
}

/// Holds the orders database's write lock from this process (another SQLite connection), as a
/// disk that takes seconds to write would hold up the server's writer.
struct HeldLock {
    conn: rusqlite::Connection,
}

impl HeldLock {
    fn take(db: &Path) -> Self {
        let conn = rusqlite::Connection::open(db).expect("open the orders database");
        conn.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
        Self { conn }
    }

    fn release(self) {
        self.conn.execute_batch("ROLLBACK").expect("release the write lock");
    }
}

#[test]
fn a_held_up_write_stalls_only_its_order_never_heartbeats_or_other_calls() {
    let dir = temp("slow");
    let orders = dir.join("orders.sqlite");
    let server = start(&orders);
    let h = http();
    let base = server.base.clone();
    let incidents = open_incidents(&h, &base);
    assert!(incidents.len() >= 2, "two open incidents: {incidents:?}");
    let body = json!({ "incident_id": incidents[0], "unit_ids": ["U-00002"], "note": "" });

    // A stream read on its own thread: the time each heartbeat arrives.
    let beats = std::sync::Arc::new(std::sync::Mutex::new(Vec::<std::time::Instant>::new()));
    let stream_beats = beats.clone();
    let stream_url = format!("{base}/v1/stream");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let c = reqwest::Client::new();
            let Ok(mut res) = c.get(&stream_url).send().await else { return };
            while let Ok(Some(chunk)) = res.chunk().await {
                if String::from_utf8_lossy(&chunk).contains("event: heartbeat") {
                    stream_beats.lock().expect("lock").push(std::time::Instant::now());
                }
            }
        });
    });
    // The stream is open (its first heartbeat came) before the write is held, however long it
    // takes to connect on a busy machine.
    let opened = std::time::Instant::now();
    while beats.lock().expect("lock").is_empty() {
        assert!(opened.elapsed() < Duration::from_secs(20), "the stream sent no heartbeat in 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }

    // Held for 3 s, under the writer's 5 s wait: the order is made once the lock is released.
    let lock = HeldLock::take(&orders);
    let held_at = std::time::Instant::now();
    let (tx, rx) = mpsc::channel();
    let (post_base, post_body) = (base.clone(), body.clone());
    std::thread::spawn(move || {
        let answer = http().dispatch(&post_base, "k-slow-1", &post_body);
        let _ = tx.send((answer, std::time::Instant::now()));
    });
    let mut worst_health = Duration::ZERO;
    while held_at.elapsed() < Duration::from_secs(3) {
        let t = std::time::Instant::now();
        let health = h.get(&format!("{base}/v1/health"));
        assert_eq!(health["status"], "ok");
        worst_health = worst_health.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(rx.try_recv().is_err(), "the order waits for the held write");
    lock.release();
    let ((status, _, first), answered) = rx.recv_timeout(Duration::from_secs(20)).expect("the dispatch answers");
    assert_eq!(status, 201, "{first}");
    assert!(answered.duration_since(held_at) >= Duration::from_secs(3), "answered only after the write");
    assert!(
        worst_health < Duration::from_secs(1),
        "health answered within 1 s while the write was held: {worst_health:?}"
    );
    let held: Vec<std::time::Instant> =
        beats.lock().expect("lock").iter().copied().filter(|t| *t >= held_at && *t <= answered).collect();
    assert!(held.len() >= 2, "heartbeats kept coming while the write was held: {held:?}");
    let gaps = held.windows(2).map(|w| w[1].duration_since(w[0])).max().unwrap_or_default();
    assert!(gaps < Duration::from_secs(2), "no heartbeat gap over 2 s while the write was held: {gaps:?}");

    // Held past the writer's wait: 500, nothing made; once free, the retry makes it once.
    let body2 = json!({ "incident_id": incidents[1], "unit_ids": ["U-00003"], "note": "" });
    let lock = HeldLock::take(&orders);
    let (status, _, answer) = h.dispatch(&base, "k-slow-2", &body2);
    assert_eq!(status, 500, "{answer}");
    assert_eq!(h.orders_for(&base, incidents[1].as_str()).len(), 0);
    lock.release();
    let (status, replayed, made) = h.dispatch(&base, "k-slow-2", &body2);
    assert_eq!((status, replayed), (201, None), "{made}");
    let (status, replayed, _) = h.dispatch(&base, "k-slow-2", &body2);
    assert_eq!((status, replayed.as_deref()), (201, Some("true")));
    assert_eq!(h.orders_for(&base, incidents[1].as_str()).len(), 1);
    assert_eq!(stored_orders(&orders), 2, "one stored order per key");
    eprintln!("held write: worst /v1/health {worst_health:?}, worst heartbeat gap {gaps:?}");
}

/// The backend process of [`real_backend::feed_command`] (this binary run again).
#[test]
#[ignore = "run by real_backend::feed_command as the backend's process"]
fn serve_feed() {
    real_backend::serve_feed();
}
