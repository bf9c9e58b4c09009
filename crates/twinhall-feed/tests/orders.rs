//! The orders database of the real `twinhall-feed` binary: an old JSON-lines orders file with a
//! torn tail (cut inside a UTF-8 character, or not) is imported once, keeping every complete
//! record; the orders survive restarts with exactly one order per key; keys past the retention
//! are dropped from memory and disk.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{client, count, start, temp};

/// One record line of the old orders file.
fn record(key: &str, order_id: &str, incident: &str, unit: &str) -> String {
    let request = json!({ "incident_id": incident, "unit_ids": [unit], "note": "旧文件里的说明" });
    let order = json!({ "order_id": order_id, "incident_id": incident, "unit_ids": [unit], "state": "accepted",
        "created_at": 1_764_300_000_000_i64, "updated_at": 1_764_300_000_000_i64 });
    json!({ "key": key, "request": request, "order": order }).to_string()
}

async fn dispatch(c: &reqwest::Client, base: &str, key: &str, body: &Value) -> (u16, Option<String>, Value) {
    let r = c.post(format!("{base}/v1/dispatch")).header("Idempotency-Key", key).json(body).send().await.expect("post");
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, replayed, r.json().await.unwrap_or(Value::Null))
}

/// The `n`th incident a dispatch can go to (not yet in feedback, review or archive).
async fn open_incident(c: &reqwest::Client, base: &str, n: usize) -> String {
    let snap: Value = c.get(format!("{base}/v1/snapshot")).send().await.expect("get").json().await.expect("json");
    let open: Vec<String> = snap["entities"]["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .filter(|i| matches!(i["status"].as_str(), Some("reported" | "accepted" | "assigned" | "handling")))
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect();
    open.get(n).cloned().unwrap_or_else(|| panic!("no open incident #{n}: {open:?}"))
}

async fn order_ids(c: &reqwest::Client, base: &str) -> Vec<String> {
    let all: Value = c.get(format!("{base}/v1/orders")).send().await.expect("get").json().await.expect("json");
    let mut ids: Vec<String> =
        all.as_array().expect("array").iter().filter_map(|o| o["order_id"].as_str().map(str::to_owned)).collect();
    ids.sort();
    ids
}

/// Imports `file` (the old orders file) through the server started with `--orders flag`, and
/// checks what must hold whatever the torn tail looks like.
async fn imports_once(dir: &Path, flag: &Path, file: &Path, tail_at: usize) {
    let c = client();
    let server = start("127.0.0.1:0", &["--orders", flag.to_str().expect("utf8")]);
    let base = server.base.clone();
    assert_eq!(order_ids(&c, &base).await, ["O-000001", "O-000002"], "both whole records were imported");
    // The imported keys answer as the first time; another body is refused.
    let first = json!({ "incident_id": "I-000001", "unit_ids": ["U-00001"], "note": "旧文件里的说明" });
    let (status, replayed, body) = dispatch(&c, &base, "old-k1", &first).await;
    assert_eq!((status, replayed.as_deref()), (201, Some("true")), "{body}");
    assert_eq!(body["order_id"], "O-000001");
    let other = json!({ "incident_id": "I-000001", "unit_ids": ["U-00002"], "note": "" });
    assert_eq!(dispatch(&c, &base, "old-k1", &other).await.0, 422);
    // A new order follows the imported ids.
    let new = json!({ "incident_id": open_incident(&c, &base, 0).await, "unit_ids": ["U-00003"], "note": "" });
    let (status, _, made) = dispatch(&c, &base, "new-k3", &new).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["order_id"], "O-000003");
    let logs = server.logs();
    let shown = file.display().to_string();
    assert!(
        logs.contains(&format!("{shown}: byte {tail_at}: torn last record")),
        "a warning names the file and the tail's byte offset {tail_at}:\n{logs}"
    );
    assert!(logs.contains(&format!("{shown}: imported 2 orders")), "one line names the imported file:\n{logs}");

    // Restarted: no second import, the three orders from the database, one per key.
    let server = start("127.0.0.1:0", &["--orders", flag.to_str().expect("utf8")]);
    assert_eq!(order_ids(&c, &server.base).await, ["O-000001", "O-000002", "O-000003"]);
    let (status, replayed, again) = dispatch(&c, &server.base, "new-k3", &new).await;
    assert_eq!((status, replayed.as_deref()), (201, Some("true")), "{again}");
    assert_eq!(again["order_id"], "O-000003");
    let logs = server.logs();
    assert!(!logs.contains("imported"), "imported once only:\n{logs}");
    let db = dir.join("orders.sqlite");
    assert_eq!(count(&db, "SELECT count(*) FROM orders"), 3);
    assert_eq!(count(&db, "SELECT count(*) FROM idempotency_keys"), 3, "one key per order");
    // The old file is left as it was.
    assert!(file.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_orders_file_torn_inside_a_character_is_imported_once_keeping_every_whole_record() {
    let dir = temp("torn-utf8");
    let old = dir.join("orders.jsonl");
    let a = record("old-k1", "O-000001", "I-000001", "U-00001");
    let b = record("old-k2", "O-000002", "I-000002", "U-00002");
    let c = record("old-k9", "O-000009", "I-000009", "U-00009");
    // The crash cut the third record one byte into `旧` (three bytes in UTF-8).
    let cut = c.find('旧').expect("a multi-byte character") + 1;
    let mut bytes = format!("{a}\n{b}\n").into_bytes();
    let tail_at = bytes.len();
    bytes.extend_from_slice(&c.as_bytes()[..cut]);
    assert!(std::str::from_utf8(&bytes).is_err(), "the file is not valid UTF-8");
    std::fs::write(&old, &bytes).expect("write the old file");
    // The old default: the flag names the old file; the database goes beside it.
    imports_once(&dir, &old, &old, tail_at).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_orders_file_beside_the_database_with_a_torn_tail_and_a_glued_record_is_imported() {
    let dir = temp("torn-ascii");
    let old = dir.join("orders.jsonl");
    let a = record("old-k1", "O-000001", "I-000001", "U-00001");
    let b = record("old-k2", "O-000002", "I-000002", "U-00002");
    let c = record("old-k9", "O-000009", "I-000009", "U-00009");
    // An older writer glued the second record onto a torn first attempt of it; the tail is cut
    // between two ASCII bytes.
    let torn_b = &b[..b.len() / 3];
    let mut text = format!("{a}\n{torn_b}{b}\n");
    let tail_at = text.len();
    text.push_str(&c[..c.find("\"order\"").expect("order field")]);
    std::fs::write(&old, &text).expect("write the old file");
    imports_once(&dir, &dir.join("orders.sqlite"), &old, tail_at).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_past_the_retention_are_dropped_and_a_new_order_is_made_for_them() {
    let dir = temp("retention");
    let db = dir.join("orders.sqlite");
    let server = start("127.0.0.1:0", &["--orders", db.to_str().expect("utf8"), "--key-retention-secs", "1"]);
    let c = client();
    let first = json!({ "incident_id": open_incident(&c, &server.base, 0).await, "unit_ids": ["U-00001"], "note": "" });
    let (status, _, made) = dispatch(&c, &server.base, "k-expiring", &first).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(count(&db, "SELECT count(*) FROM idempotency_keys WHERE key = 'k-expiring'"), 1);
    // Dropped from the database within a few prune rounds (one a second at this retention).
    let deadline = Instant::now() + Duration::from_secs(15);
    while count(&db, "SELECT count(*) FROM idempotency_keys WHERE key = 'k-expiring'") > 0 {
        assert!(Instant::now() < deadline, "the expired key is still in the database after 15 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // And from memory: the key with another body is a new order, not a 422.
    let other = json!({ "incident_id": open_incident(&c, &server.base, 1).await, "unit_ids": ["U-00002"], "note": "" });
    let (status, replayed, again) = dispatch(&c, &server.base, "k-expiring", &other).await;
    assert_eq!((status, replayed), (201, None), "{again}");
    assert_ne!(again["order_id"], made["order_id"]);
    // The orders themselves are kept.
    assert_eq!(count(&db, "SELECT count(*) FROM orders"), 2);
}

#[test]
fn a_database_of_a_newer_schema_or_not_sqlite_refuses_to_start_naming_the_file() {
    let dir = temp("refuse");
    let db = dir.join("orders.sqlite");
    {
        let conn = rusqlite::Connection::open(&db).expect("create");
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99);",
        )
        .expect("schema");
    }
    let (code, err) = support::run_to_end(&["--orders", db.to_str().expect("utf8")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&db.display().to_string()) && err.contains("schema version 99"), "{err}");
}
