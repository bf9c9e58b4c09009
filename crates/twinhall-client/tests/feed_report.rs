//! `POST /v1/incidents` against the real `twinhall-feed` binary: a report makes one incident that
//! goes out on the stream, the same key answers the same bytes with `Idempotent-Replayed` (also
//! when sent eight times at once, and after a restart), bad reports are refused naming the field
//! and make nothing, a write that cannot be made answers 500 and makes nothing, a replaying
//! backend answers 409; and the client's `ReportSink`s, retrying a lost answer with the same key
//! into one incident.

mod real_backend;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use real_backend::{client, count, start, temp};
use serde_json::{Value, json};
use twinhall_client::ReportSink;
use twinhall_client::outbox::{HttpSink, SendError};
use twinhall_core::protocol::{
    Incident, IncidentCategory, IncidentReport, IncidentStatus, ReportChannel, ReportSource, Snapshot,
};

/// The answer to a POST: status, the `Idempotent-Replayed` header, the body's bytes.
struct Answer {
    status: u16,
    replayed: Option<String>,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

async fn post(c: &reqwest::Client, base: &str, key: Option<&str>, body: Vec<u8>) -> Answer {
    let mut req = c.post(format!("{base}/v1/incidents")).header("content-type", "application/json").body(body);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    let r = req.send().await.expect("post");
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()).map(str::to_owned);
    Answer { status, replayed, bytes: r.bytes().await.expect("body").to_vec() }
}

async fn snapshot(c: &reqwest::Client, base: &str) -> Snapshot {
    c.get(format!("{base}/v1/snapshot")).send().await.expect("get").json().await.expect("snapshot")
}

/// The middle of the city-level area of the snapshot: a position every backend takes.
fn city_centre(s: &Snapshot) -> (f64, f64) {
    let city = s.entities.areas.iter().find(|a| a.level == twinhall_core::protocol::AreaLevel::City).expect("city");
    let n = city.ring.len() as f64;
    (city.ring.iter().map(|p| p[0]).sum::<f64>() / n, city.ring.iter().map(|p| p[1]).sum::<f64>() / n)
}

fn report_at((lon, lat): (f64, f64), title: &str) -> IncidentReport {
    IncidentReport {
        category: IncidentCategory::Environment,
        severity: 3,
        lon,
        lat,
        title: title.into(),
        description: "S-00007 水位 2.9 m，超过 2.5 m 持续 60 s".into(),
        source: Some(ReportSource { alert_id: "17".into(), rule_id: "water-level-high".into() }),
        reported_by: "值班员 王".into(),
    }
}

fn body(r: &IncidentReport) -> Vec<u8> {
    serde_json::to_vec(r).expect("json")
}

fn early_warnings(s: &Snapshot) -> Vec<&Incident> {
    s.entities.incidents.iter().filter(|i| i.channel == ReportChannel::EarlyWarning).collect()
}

/// Reads the stream from `after` until a batch carries incident `id`; returns that incident.
async fn streamed(c: &reqwest::Client, base: &str, after: u64, epoch: u64, id: &str) -> Incident {
    let mut res =
        c.get(format!("{base}/v1/stream?after={after}&epoch={epoch}")).send().await.expect("the stream opens");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut text = String::new();
    while Instant::now() < deadline {
        let Ok(Ok(Some(chunk))) = tokio::time::timeout(Duration::from_secs(5), res.chunk()).await else { break };
        text.push_str(&String::from_utf8_lossy(&chunk));
        for data in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
            let Ok(batch) = serde_json::from_str::<twinhall_core::protocol::Batch>(data) else { continue };
            if let Some(i) = batch.upserts.incidents.into_iter().find(|i| i.id == id) {
                return i;
            }
        }
    }
    panic!("incident {id} was not on the stream within 10 s:\n{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_makes_one_incident_on_the_stream_and_its_key_answers_the_same_bytes() {
    let dir = temp("report-once");
    let db = dir.join("orders.sqlite");
    let server = start("127.0.0.1:0", &["--orders", db.to_str().expect("utf8")]);
    let (c, base) = (client(), server.base.as_str());
    let before = snapshot(&c, base).await;
    let report = report_at(city_centre(&before), "水位超警戒");

    let first = post(&c, base, Some("k-report-1"), body(&report)).await;
    assert_eq!((first.status, first.replayed.as_deref()), (201, None), "{}", first.error());
    let made: Incident = serde_json::from_slice(&first.bytes).expect("an incident");
    assert_eq!((made.status, made.channel), (IncidentStatus::Reported, ReportChannel::EarlyWarning));
    assert_eq!((made.category, made.severity, made.title.as_str()), (report.category, 3, "水位超警戒"));
    assert_eq!((made.lon, made.lat, made.description.as_str()), (report.lon, report.lat, report.description.as_str()));
    assert!(!made.grid_id.is_empty(), "the backend placed it in its grid: {made:?}");
    assert!(before.entities.incidents.iter().all(|i| i.id != made.id), "a new id: {}", made.id);

    // On the stream after the snapshot taken before, and in the snapshot, as answered.
    assert_eq!(streamed(&c, base, before.seq, before.epoch, &made.id).await, made);
    let after = snapshot(&c, base).await;
    assert_eq!(early_warnings(&after), [&made]);

    // The same key and body, written otherwise: the first answer's bytes, with the header.
    let mut v: Value = serde_json::to_value(&report).expect("value");
    v["description"] = json!(report.description);
    let respaced = serde_json::to_vec_pretty(&v).expect("json");
    let again = post(&c, base, Some("k-report-1"), respaced).await;
    assert_eq!((again.status, again.replayed.as_deref()), (201, Some("true")), "{}", again.error());
    assert_eq!(again.bytes, first.bytes, "the first answer again");
    // The same key with another body, and no key at all: refused, nothing made.
    let other = IncidentReport { severity: 4, ..report.clone() };
    let refused = post(&c, base, Some("k-report-1"), body(&other)).await;
    assert_eq!(refused.status, 422);
    assert!(refused.error().contains("another body"), "{}", refused.error());
    let keyless = post(&c, base, None, body(&report)).await;
    assert_eq!(keyless.status, 400);
    assert!(keyless.error().contains("Idempotency-Key"), "{}", keyless.error());
    // A dispatch key is apart from a report key.
    assert_eq!(count(&db, "SELECT count(*) FROM idempotency_keys"), 0);

    // Eight sends of one new key at once: one incident, seven replays of it.
    let second = report_at(city_centre(&before), "烟感告警");
    let sends = (0..8).map(|_| {
        let (c, base, b) = (c.clone(), base.to_owned(), body(&second));
        tokio::spawn(async move { post(&c, &base, Some("k-report-2"), b).await })
    });
    let answers: Vec<Answer> = futures_join(sends).await;
    assert!(answers.iter().all(|a| a.status == 201), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert_eq!(answers.iter().filter(|a| a.replayed.is_none()).count(), 1, "one made it, the others replayed it");
    assert!(answers.iter().all(|a| a.bytes == answers[0].bytes), "one incident");
    let after = snapshot(&c, base).await;
    assert_eq!(early_warnings(&after).len(), 2, "{:?}", early_warnings(&after));
    assert_eq!(count(&db, "SELECT count(*) FROM reported_incidents"), 2);
    assert_eq!(count(&db, "SELECT count(*) FROM report_keys"), 2);
}

async fn futures_join<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_reports_are_refused_naming_the_field_and_make_no_incident() {
    let dir = temp("report-bad");
    let db = dir.join("orders.sqlite");
    let server = start("127.0.0.1:0", &["--orders", db.to_str().expect("utf8")]);
    let (c, base) = (client(), server.base.as_str());
    let before = snapshot(&c, base).await;
    let good = serde_json::to_value(report_at(city_centre(&before), "水位超警戒")).expect("value");
    let with = |field: &str, value: Value| {
        let mut v = good.clone();
        v[field] = value;
        serde_json::to_vec(&v).expect("json")
    };
    let without = |field: &str| {
        let mut v = good.clone();
        v.as_object_mut().expect("object").remove(field);
        serde_json::to_vec(&v).expect("json")
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("severity 0", with("severity", json!(0)), 422, "severity: 0 is outside 1-4"),
        ("severity 5", with("severity", json!(5)), 422, "severity: 5 is outside 1-4"),
        ("severity 300", with("severity", json!(300)), 400, "severity: invalid value: integer `300`"),
        ("severity text", with("severity", json!("high")), 400, "severity: invalid type"),
        ("lon off the globe", with("lon", json!(200.0)), 422, "lon: 200 is outside -180 to 180"),
        ("lon out of the city", with("lon", json!(city_centre(&before).0 + 1.0)), 422, "outside the city"),
        ("lat off the globe", with("lat", json!(95.0)), 422, "lat: 95 is outside -90 to 90"),
        ("title too long", with("title", json!("水".repeat(201))), 422, "title: 201 characters; at most 200"),
        ("title blank", with("title", json!("  ")), 422, "title: empty"),
        ("description too long", with("description", json!("字".repeat(2001))), 422, "description: 2001"),
        ("source incomplete", with("source", json!({"alert_id": "17", "rule_id": ""})), 422, "source.rule_id"),
        ("no reported_by", without("reported_by"), 400, "missing field `reported_by`"),
        ("unknown category", with("category", json!("volcano")), 400, "category: unknown variant `volcano`"),
        ("trailing bytes", [body(&report_at((0.0, 0.0), "x")), b"}".to_vec()].concat(), 400, "trailing"),
        ("over 64 KiB", with("description", json!("a".repeat(70_000))), 413, "65536 bytes"),
    ];
    for (i, (what, bytes, status, message)) in cases.into_iter().enumerate() {
        let answer = post(&c, base, Some(&format!("k-bad-{i}")), bytes).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.error());
        assert!(answer.error().contains(message), "{what}: `{}` does not say `{message}`", answer.error());
    }
    // A 1e999 is no finite number: refused while parsing, naming the field.
    let text = String::from_utf8(with("lon", json!(0.0))).expect("utf8").replace("\"lon\":0.0", "\"lon\":1e999");
    let answer = post(&c, base, Some("k-bad-inf"), text.into_bytes()).await;
    assert_eq!(answer.status, 400, "{}", answer.error());
    assert!(answer.error().contains("lon: number out of range"), "{}", answer.error());

    assert!(early_warnings(&snapshot(&c, base).await).is_empty(), "no incident was made");
    assert_eq!(count(&db, "SELECT count(*) FROM reported_incidents"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM report_keys"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_answers_the_same_after_a_restart_and_an_incident_id_is_never_given_twice() {
    let dir = temp("report-restart");
    let db = dir.join("orders.sqlite");
    // A database of an earlier build (no report tables) gains them at start.
    {
        let conn = rusqlite::Connection::open(&db).expect("create");
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
             CREATE TABLE orders (order_id TEXT PRIMARY KEY NOT NULL, body TEXT NOT NULL, stored_at INTEGER NOT NULL);
             CREATE TABLE idempotency_keys (key TEXT PRIMARY KEY NOT NULL, request TEXT NOT NULL,
                 order_id TEXT NOT NULL, stored_at INTEGER NOT NULL);
             CREATE TABLE imports (path TEXT PRIMARY KEY NOT NULL, records INTEGER NOT NULL,
                 skipped INTEGER NOT NULL, imported_at INTEGER NOT NULL);",
        )
        .expect("the earlier schema");
    }
    let args = ["--orders", db.to_str().expect("utf8")];
    let server = start("127.0.0.1:0", &args);
    let c = client();
    let report = report_at(city_centre(&snapshot(&c, &server.base).await), "水位超警戒");
    let first = post(&c, &server.base, Some("k-kept"), body(&report)).await;
    assert_eq!(first.status, 201, "{}", first.error());
    let made: Incident = serde_json::from_slice(&first.bytes).expect("incident");
    drop(server);

    let server = start("127.0.0.1:0", &args);
    let again = post(&c, &server.base, Some("k-kept"), body(&report)).await;
    assert_eq!((again.status, again.replayed.as_deref()), (201, Some("true")), "{}", again.error());
    assert_eq!(again.bytes, first.bytes, "the answer from before the restart, byte for byte");
    let other = post(&c, &server.base, Some("k-kept"), body(&IncidentReport { severity: 1, ..report.clone() })).await;
    assert_eq!(other.status, 422, "still the key of another body");
    // A new report: a new id, above the one given before the restart.
    let next = post(&c, &server.base, Some("k-next"), body(&report)).await;
    assert_eq!((next.status, next.replayed.as_deref()), (201, None), "{}", next.error());
    let next: Incident = serde_json::from_slice(&next.bytes).expect("incident");
    let number = |id: &str| id.trim_start_matches("I-").parse::<u64>().expect("a numbered id");
    assert!(number(&next.id) > number(&made.id), "{} after {}", next.id, made.id);
    // The simulation made none with the old id either (it starts afresh: no incident arrives
    // with the test server's rate 0, and the initial ones come first).
    let snap = snapshot(&c, &server.base).await;
    assert!(snap.entities.incidents.iter().all(|i| i.id != made.id), "{} given twice", made.id);
    assert_eq!(count(&db, "SELECT count(*) FROM reported_incidents"), 2);
    assert_eq!(count(&db, "SELECT count(*) FROM report_keys"), 2);
}

/// Holds the orders database's write lock from this process, as a disk that takes seconds to
/// write would hold up the server's writer.
struct HeldLock(rusqlite::Connection);

impl HeldLock {
    fn take(db: &Path) -> Self {
        let conn = rusqlite::Connection::open(db).expect("open the orders database");
        conn.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
        Self(conn)
    }

    fn release(self) {
        self.0.execute_batch("ROLLBACK").expect("release the write lock");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_that_cannot_be_stored_answers_500_and_makes_nothing_until_the_retry() {
    let dir = temp("report-held");
    let db = dir.join("orders.sqlite");
    let server = start("127.0.0.1:0", &["--orders", db.to_str().expect("utf8")]);
    let (c, base) = (client(), server.base.as_str());
    let report = report_at(city_centre(&snapshot(&c, base).await), "水位超警戒");
    // Held past the writer's 5 s wait.
    let lock = HeldLock::take(&db);
    let failed = post(&c, base, Some("k-held"), body(&report)).await;
    assert_eq!(failed.status, 500, "{}", failed.error());
    assert!(failed.error().contains("nothing was done"), "{}", failed.error());
    let health: Value = c.get(format!("{base}/v1/health")).send().await.expect("get").json().await.expect("json");
    assert_eq!(health["status"], "ok");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(early_warnings(&snapshot(&c, base).await).is_empty(), "no incident after a failed write");
    lock.release();
    let made = post(&c, base, Some("k-held"), body(&report)).await;
    assert_eq!((made.status, made.replayed.as_deref()), (201, None), "{}", made.error());
    let again = post(&c, base, Some("k-held"), body(&report)).await;
    assert_eq!((again.status, again.replayed.as_deref(), &again.bytes), (201, Some("true"), &made.bytes));
    assert_eq!(early_warnings(&snapshot(&c, base).await).len(), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM reported_incidents"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replaying_backend_refuses_reports_with_409() {
    let dir = temp("report-replay");
    let (rec, db) = (dir.join("rec.jsonl"), dir.join("orders.sqlite"));
    let recording = start(
        "127.0.0.1:0",
        &["--orders", db.to_str().expect("utf8"), "--record", rec.to_str().expect("utf8"), "--tick-ms", "100"],
    );
    let c = client();
    let report = report_at(city_centre(&snapshot(&c, &recording.base).await), "水位超警戒");
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(recording);
    let replay_db = dir.join("replay-orders.sqlite");
    let replay =
        start("127.0.0.1:0", &["--replay", rec.to_str().expect("utf8"), "--orders", replay_db.to_str().expect("utf8")]);
    let answer = post(&c, &replay.base, Some("k-replay"), body(&report)).await;
    assert_eq!(answer.status, 409, "{}", answer.error());
    assert!(answer.error().contains("replays a recording"), "{}", answer.error());
    assert_eq!(count(&replay_db, "SELECT count(*) FROM reported_incidents"), 0);
}

/// Forwards connections to `upstream`; the first one gets the upstream's answer thrown away and
/// its connection closed, as if the response were lost on the way back. Counts the connections.
fn lossy_proxy(upstream: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(client) = conn else { return };
            counted.fetch_add(1, Ordering::Relaxed);
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
    (addr, connections)
}

fn quick(base: &str) -> twinhall_client::ClientConfig {
    let mut c = twinhall_client::ClientConfig::new(base, "");
    c.backoff_base = Duration::from_millis(20);
    c.backoff_cap = Duration::from_millis(200);
    c
}

#[test]
fn the_clients_sinks_retry_a_lost_answer_with_the_same_key_into_one_incident() {
    let dir = temp("report-client");
    let db = dir.join("orders.sqlite");
    let server = start("127.0.0.1:0", &["--orders", db.to_str().expect("utf8")]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let c = client();
    let centre = city_centre(&rt.block_on(snapshot(&c, &server.base)));
    let answer = |rx: crossbeam_channel::Receiver<Result<Incident, SendError>>| {
        rx.recv_timeout(Duration::from_secs(30)).expect("an answer within 30 s")
    };

    // The first answer is lost on the way back: the sink's retry, same key, gets the incident.
    let (proxy, connections) = lossy_proxy(server.addr());
    let sink = HttpSink::new(quick(&proxy)).expect("sink");
    let report = report_at(centre, "水位超警戒");
    let key = twinhall_client::idempotency_key();
    let made = answer(sink.report(&key, &report)).expect("the retry gets the incident");
    assert!(connections.load(Ordering::Relaxed) >= 2, "the first answer was lost and the report sent again");
    assert_eq!((made.channel, made.title.as_str()), (ReportChannel::EarlyWarning, "水位超警戒"));
    let snap = rt.block_on(snapshot(&c, &server.base));
    assert_eq!(early_warnings(&snap), [&made], "exactly one incident for the key");
    assert_eq!(count(&db, "SELECT count(*) FROM report_keys"), 1);
    // Sent again (an app restarted before it wrote the answer down): the same incident.
    let again = answer(sink.report(&key, &report)).expect("the same key answers");
    assert_eq!(again, made);

    // The feed client is a sink too; a refusal is final and names the field.
    let feed = twinhall_client::FeedClient::spawn(quick(&server.base)).expect("client");
    let sinks: [&dyn ReportSink; 2] = [&sink, &feed];
    for (n, s) in sinks.into_iter().enumerate() {
        let bad = IncidentReport { severity: 9, ..report.clone() };
        match answer(s.report(&format!("k-bad-{n}"), &bad)) {
            Err(SendError::Rejected(reason)) => assert!(reason.contains("severity: 9 is outside 1-4"), "{reason}"),
            other => panic!("sink {n}: a 422 is a refusal, not {other:?}"),
        }
        let next = answer(s.report(&format!("k-ok-{n}"), &report_at(centre, "烟感告警"))).expect("made");
        assert_ne!(next.id, made.id);
    }
    assert_eq!(early_warnings(&rt.block_on(snapshot(&c, &server.base))).len(), 3);

    // No backend: unconfirmed after the sink's attempts, to be sent again with the same key.
    let dead = TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_base = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let sink = HttpSink::new(quick(&dead_base)).expect("sink").with_attempts(2);
    match answer(sink.report(&key, &report)) {
        Err(SendError::Unconfirmed(cause)) => {
            assert!(cause.contains("incident report failed after 2 attempts"), "{cause}")
        }
        other => panic!("no backend is no answer, not {other:?}"),
    }
}

/// The backend process of [`real_backend::feed_command`] (this binary run again).
#[test]
#[ignore = "run by real_backend::feed_command as the backend's process"]
fn serve_feed() {
    real_backend::serve_feed();
}
