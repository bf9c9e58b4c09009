//! Hostile input against the real `twinhall-feed` binary: dispatch limits answered with clear
//! 4xx messages and no order made, the bearer scheme in any case, a warning for a listener beyond
//! loopback without a token, and a stream asked to resume from a sequence near `u64::MAX`.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{client, count, start, temp};

async fn post(c: &reqwest::Client, base: &str, key: &str, body: Vec<u8>) -> (u16, Value) {
    let r = c
        .post(format!("{base}/v1/dispatch"))
        .header("Idempotency-Key", key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn error_of(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn dispatch_limits_answer_clear_4xx_and_make_no_order() {
    let dir = temp("limits");
    let db = dir.join("orders.sqlite");
    let server = start("127.0.0.1:0", &["--orders", db.to_str().expect("utf8")]);
    let base = server.base.as_str();
    let c = client();
    let snap: Value = c.get(format!("{base}/v1/snapshot")).send().await.expect("get").json().await.expect("json");
    let incident = snap["entities"]["incidents"][0]["id"].as_str().expect("an incident").to_owned();
    let body = |units: Vec<String>, note: String| {
        serde_json::to_vec(&json!({ "incident_id": incident, "unit_ids": units, "note": note })).expect("json")
    };
    let one = || vec!["U-00001".to_owned()];

    let long_key = "k".repeat(201);
    let (status, answer) = post(&c, base, &long_key, body(one(), String::new())).await;
    assert_eq!(status, 400, "{answer}");
    assert!(error_of(&answer).contains("201 bytes") && error_of(&answer).contains("at most 200"), "{answer}");

    let many: Vec<String> = (0..65).map(|i| format!("U-{:05}", i % 8 + 1)).collect();
    let (status, answer) = post(&c, base, "k-many", body(many, String::new())).await;
    assert_eq!(status, 422, "{answer}");
    assert!(error_of(&answer).contains("65 unit_ids") && error_of(&answer).contains("at most 64"), "{answer}");

    let repeated = vec!["U-00001".to_owned(), "U-00002".to_owned(), "U-00001".to_owned()];
    let (status, answer) = post(&c, base, "k-repeat", body(repeated, String::new())).await;
    assert_eq!(status, 422, "{answer}");
    assert!(error_of(&answer).contains("`U-00001` more than once"), "{answer}");

    let (status, answer) = post(&c, base, "k-note", body(one(), "注".repeat(2001))).await;
    assert_eq!(status, 422, "{answer}");
    assert!(error_of(&answer).contains("2001 characters") && error_of(&answer).contains("2000"), "{answer}");

    // 70 kB of padding in an otherwise valid body.
    let mut big = body(one(), String::new());
    big.truncate(big.len() - 1);
    big.extend_from_slice(format!(",\"pad\":\"{}\"}}", "x".repeat(70_000)).as_bytes());
    let (status, answer) = post(&c, base, "k-big", big).await;
    assert_eq!(status, 413, "{answer}");
    assert!(error_of(&answer).contains("65536 bytes"), "{answer}");

    assert_eq!(count(&db, "SELECT count(*) FROM orders"), 0, "no refused request made an order");
    let orders: Value = c.get(format!("{base}/v1/orders")).send().await.expect("get").json().await.expect("json");
    assert_eq!(orders.as_array().map(Vec::len), Some(0), "{orders}");

    // At the limits: a 200-byte key and a 2000-character note make an order; 64 distinct units
    // pass the limits (and are refused for the ones this city lacks).
    let key = "k".repeat(200);
    let (status, answer) = post(&c, base, &key, body(one(), "注".repeat(2000))).await;
    assert_eq!(status, 201, "{answer}");
    let distinct: Vec<String> = (1..=64).map(|i| format!("U-{i:05}")).collect();
    let (status, answer) = post(&c, base, "k-64", body(distinct, String::new())).await;
    assert_eq!(status, 422, "{answer}");
    assert!(!error_of(&answer).contains("at most"), "refused for an unknown unit, not the count: {answer}");
    assert_eq!(count(&db, "SELECT count(*) FROM orders"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bearer_scheme_is_case_insensitive_and_the_token_must_match_exactly() {
    let dir = temp("bearer");
    let server = start("127.0.0.1:0", &["--orders", dir.join("o.sqlite").to_str().expect("utf8"), "--token", "s3cret"]);
    let c = client();
    let url = format!("{}/v1/health", server.base);
    for (header, want) in [
        ("Bearer s3cret", 200),
        ("bearer s3cret", 200),
        ("BEARER s3cret", 200),
        ("bEaReR   s3cret", 200),
        ("Bearer s3cre", 401),
        ("Bearer s3cret2", 401),
        ("Bearer S3CRET", 401),
        ("Basic s3cret", 401),
        ("Bearers3cret", 401),
        ("Bearer ", 401),
        ("s3cret", 401),
    ] {
        let status = c.get(&url).header("Authorization", header).send().await.expect("get").status().as_u16();
        assert_eq!(status, want, "Authorization: {header}");
    }
    assert_eq!(c.get(&url).send().await.expect("get").status(), 401, "no header");
}

#[test]
fn listening_beyond_loopback_without_a_token_warns_at_start() {
    let dir = temp("warn");
    let orders = dir.join("o.sqlite");
    let orders = orders.to_str().expect("utf8");
    let warning = "beyond loopback, without a token";
    let open = start("0.0.0.0:0", &["--orders", orders]).logs();
    assert!(open.contains(warning), "{open}");
    let with_token = start("0.0.0.0:0", &["--orders", orders, "--token", "t0ken-value"]).logs();
    assert!(!with_token.contains(warning), "{with_token}");
    assert!(!with_token.contains("t0ken-value"), "the token never reaches the log");
    let loopback = start("127.0.0.1:0", &["--orders", orders]).logs();
    assert!(!loopback.contains(warning), "{loopback}");
}

/// The whole answer of a stream that must end by itself within `within`.
async fn ended_stream(c: &reqwest::Client, url: &str, within: Duration) -> String {
    let res = c.get(url).send().await.expect("stream");
    assert_eq!(res.status(), 200);
    tokio::time::timeout(within, res.text())
        .await
        .unwrap_or_else(|_| panic!("{url} did not end in {within:?}"))
        .expect("text")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sequence_near_u64_max_or_of_another_epoch_gets_a_reset_at_once() {
    let dir = temp("after-max");
    let server = start("127.0.0.1:0", &["--orders", dir.join("o.sqlite").to_str().expect("utf8"), "--tick-ms", "100"]);
    let c = client();
    let base = &server.base;
    for after in [u64::MAX, u64::MAX - 1, 1u64 << 63] {
        let t = Instant::now();
        let text = ended_stream(&c, &format!("{base}/v1/stream?after={after}"), Duration::from_secs(2)).await;
        assert!(text.starts_with("event: reset\n"), "after={after}: {text}");
        assert!(!text.contains("event: batch"), "after={after}: {text}");
        eprintln!("after={after}: reset in {:?}", t.elapsed());
    }
    let health: Value = c.get(format!("{base}/v1/health")).send().await.expect("get").json().await.expect("json");
    let epoch = health["epoch"].as_u64().expect("epoch");
    let text = ended_stream(&c, &format!("{base}/v1/stream?after=0&epoch={}", epoch + 1), Duration::from_secs(2)).await;
    assert!(text.starts_with("event: reset\n"), "another epoch: {text}");
    // The stream still serves a good sequence: catch-up from the history, in order, no gaps.
    let seq = health["seq"].as_u64().expect("seq");
    let mut res = c.get(format!("{base}/v1/stream?after={}", seq.saturating_sub(5))).send().await.expect("stream");
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, res.chunk()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let ids: Vec<u64> =
        text.lines().filter_map(|l| l.strip_prefix("id:")).filter_map(|i| i.trim().parse().ok()).collect();
    assert_eq!(ids.first(), Some(&(seq.saturating_sub(5) + 1)), "{text}");
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
}

/// The library's `serve`, spawned on a runtime as the wall embeds it: it answers within the same
/// limits, with an order database beside an old-style `.jsonl` path.
#[test]
fn the_embedded_server_serves_within_the_limits() {
    let dir = temp("embedded");
    let city = twinhall_core::generate::generate_city(200, 2, twinhall_core::LonLat::new(114.06, 22.54));
    let sim = twinhall_core::sim::Simulation::new(
        &city,
        twinhall_core::sim::SimConfig { units: 5, ..twinhall_core::sim::SimConfig::default() },
    );
    let config = twinhall_feed::ServerConfig {
        token: String::new(),
        tick: Duration::from_millis(100),
        history: 50,
        orders_path: dir.join("orders.jsonl"),
        record: None,
    };
    let shared = twinhall_feed::shared(twinhall_feed::Source::Sim(Box::new(sim)), config).expect("state");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    rt.spawn(twinhall_feed::serve(listener, shared));
    let c = client();
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let h: Value = c.get(format!("{base}/v1/health")).send().await.expect("get").json().await.expect("json");
            if h["seq"].as_u64().unwrap_or(0) >= 3 {
                break;
            }
            assert!(Instant::now() < deadline, "the ticker runs: {h}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (status, answer) = post(&c, &base, &"k".repeat(300), b"{}".to_vec()).await;
        assert_eq!(status, 400, "{answer}");
    });
    assert!(dir.join("orders.sqlite").exists(), "the database goes beside the .jsonl path");
}
