//! The real `twinhall-feed` binary on loopback, driven over HTTP: snapshot, stream order and
//! heartbeats, reset on a too-old sequence, idempotent dispatch, orders kept across a restart,
//! and the bearer token.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

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

/// Starts the real binary on port 0 and reads the address it bound from its first stdout line,
/// so parallel tests never race for a port.
fn start(orders: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twinhall-feed"))
        .args(["--listen", "127.0.0.1:0", "--orders", orders.to_str().expect("utf8")])
        .args(["--city", "generated:400", "--units", "8", "--incident-rate", "120", "--tick-ms", "100"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("stdout");
    // Owned by a Server from here, so a failed start still kills the process.
    let mut server = Server { child, base: String::new() };
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read the address line");
    server.base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    server
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client")
}

fn temp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("feed-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Reads SSE events (event name, id, data) for `for_how_long`.
async fn read_events(c: &reqwest::Client, url: &str, for_how_long: Duration) -> Vec<(String, Option<u64>, String)> {
    let mut res = c.get(url).send().await.expect("stream");
    assert_eq!(res.status(), 200);
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + for_how_long;
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, res.chunk()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned());
            (
                field("event:").unwrap_or_default(),
                field("id:").and_then(|i| i.parse().ok()),
                field("data:").unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_stream_and_reset() {
    let dir = temp("stream");
    let server = start(&dir.join("orders.jsonl"), &[]);
    let c = client();
    let snap: Value =
        c.get(format!("{}/v1/snapshot", server.base)).send().await.expect("get").json().await.expect("json");
    assert_eq!(snap["protocol"], "twinhall-feed/1");
    assert_eq!(snap["entities"]["units"].as_array().map(Vec::len), Some(8));
    let seq = snap["seq"].as_u64().expect("seq");

    let events = read_events(&c, &format!("{}/v1/stream?after={seq}", server.base), Duration::from_millis(2500)).await;
    let batches: Vec<u64> = events.iter().filter(|e| e.0 == "batch").filter_map(|e| e.1).collect();
    assert!(batches.len() >= 10, "{} batches in 2.5 s at 10 Hz", batches.len());
    assert!(batches.windows(2).all(|w| w[1] == w[0] + 1), "batches out of order or with gaps: {batches:?}");
    assert_eq!(batches[0], seq + 1, "the stream resumed right after the snapshot, from the history");
    assert!(events.iter().any(|e| e.0 == "heartbeat"), "no heartbeat in 2.5 s");
    for e in events.iter().filter(|e| e.0 == "batch") {
        let b: twinhall_core::protocol::Batch = serde_json::from_str(&e.2).expect("a batch parses");
        assert_eq!(Some(b.seq), e.1);
    }

    // A server that keeps 3 batches: once it is past them, sequence 0 is gone and the stream says reset.
    let short = start(&dir.join("orders-short.jsonl"), &["--history", "3"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the short-history server did not reach sequence 5 in 20 s");
        let h: Value =
            c.get(format!("{}/v1/health", short.base)).send().await.expect("get").json().await.expect("json");
        if h["seq"].as_u64().unwrap_or(0) > 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = read_events(&c, &format!("{}/v1/stream?after=0", short.base), Duration::from_millis(500)).await;
    assert_eq!(events.first().map(|e| e.0.as_str()), Some("reset"), "{events:?}");

    let health: Value =
        c.get(format!("{}/v1/health", server.base)).send().await.expect("get").json().await.expect("json");
    assert_eq!(health["status"], "ok");
    let index: Value =
        c.get(format!("{}/v1/index", server.base)).send().await.expect("get").json().await.expect("json");
    assert_eq!(index["aspects"].as_array().map(Vec::len), Some(6));
}

#[tokio::test(flavor = "multi_thread")]
async fn dispatch_is_idempotent_and_orders_survive_a_restart() {
    let dir = temp("dispatch");
    let orders = dir.join("orders.sqlite");
    let server = start(&orders, &[]);
    let c = client();
    let mut incident = None;
    for _ in 0..100 {
        let snap: Value =
            c.get(format!("{}/v1/snapshot", server.base)).send().await.expect("get").json().await.expect("json");
        incident = snap["entities"]["incidents"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|i| i["id"].as_str())
            .map(str::to_owned);
        if incident.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let incident = incident.expect("an incident arrives within 10 s at 120 a minute");
    let body = json!({ "incident_id": incident, "unit_ids": ["U-00001"], "note": "" });
    let base = std::sync::Arc::new(std::sync::Mutex::new(server.base.clone()));
    let post = |key: &'static str, body: Value| {
        let c = c.clone();
        let url = format!("{}/v1/dispatch", base.lock().expect("lock"));
        async move { c.post(url).header("Idempotency-Key", key).json(&body).send().await.expect("post") }
    };
    let first = post("k-1", body.clone()).await;
    assert_eq!(first.status(), 201);
    let order: Value = first.json().await.expect("json");
    // The response was "lost": the retry with the same key returns the same order.
    let again = post("k-1", body.clone()).await;
    // A replay answers as the first time, marked as a replay.
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(again.json::<Value>().await.expect("json")["order_id"], order["order_id"]);
    let other = post("k-1", json!({ "incident_id": incident, "unit_ids": ["U-00002"], "note": "" })).await;
    assert_eq!(other.status(), 422);
    let no_key = c.post(format!("{}/v1/dispatch", server.base)).json(&body).send().await.expect("post");
    assert_eq!(no_key.status(), 400);
    let db = rusqlite::Connection::open_with_flags(&orders, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("db");
    let stored: i64 = db.query_row("SELECT count(*) FROM orders", [], |r| r.get(0)).expect("count");
    assert_eq!(stored, 1, "exactly one order stored");

    drop(server);
    let server = start(&orders, &[]);
    *base.lock().expect("lock") = server.base.clone();
    let id = order["order_id"].as_str().expect("id");
    let res = c.get(format!("{}/v1/orders/{id}", server.base)).send().await.expect("get");
    assert_eq!(res.status(), 200, "the order survived the restart");
    let again = post("k-1", body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.expect("json")["order_id"], order["order_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_is_required_when_configured() {
    let dir = temp("token");
    let server = start(&dir.join("orders.jsonl"), &["--token", "s3cret-token"]);
    let c = client();
    let url = format!("{}/v1/health", server.base);
    assert_eq!(c.get(&url).send().await.expect("get").status(), 401);
    assert_eq!(c.get(&url).bearer_auth("wrong").send().await.expect("get").status(), 401);
    assert_eq!(c.get(&url).bearer_auth("s3cret-token").send().await.expect("get").status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drone_serves_its_aerial_still_and_other_units_have_none() {
    let dir = temp("drone");
    let server = start(&dir.join("orders.jsonl"), &[]);
    let c = client();
    let snap: Value =
        c.get(format!("{}/v1/snapshot", server.base)).send().await.expect("get").json().await.expect("json");
    let units = snap["entities"]["units"].as_array().expect("units");
    let drone = units.iter().find(|u| u["kind"] == "drone").expect("the fleet has a drone");
    let path = drone["snapshot_url"].as_str().expect("a drone names its still");
    let res = c.get(format!("{}{path}", server.base)).send().await.expect("get");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/jpeg"));
    let img = image::load_from_memory(&res.bytes().await.expect("body")).expect("a JPEG");
    assert_eq!((img.width(), img.height()), (640, 360));
    let car = units.iter().find(|u| u["kind"] == "police_car").expect("a police car");
    let url = format!("{}/v1/units/{}/snapshot.jpg", server.base, car["id"].as_str().expect("id"));
    let res = c.get(url).send().await.expect("get");
    assert_eq!(res.status(), 404);
    assert!(res.text().await.expect("text").contains("with a camera"));
}
