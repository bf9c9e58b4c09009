//! Where the backend keeps its dispatch orders, the incidents the wall reported
//! (`POST /v1/incidents`) and their idempotency keys: an embedded SQLite database (WAL,
//! `synchronous=FULL`, one transaction per order or incident), written by a thread of its own so
//! that a slow or failing disk holds up only the order or incident being written, never the
//! ticker, the streams or the other calls.
//!
//! An order is written and committed before it is carried out: a write that fails leaves nothing
//! behind (the rows it may have left are deleted in the next transaction), so a client's retry
//! with the same key makes exactly one order. Reported incidents are kept the same way, their keys
//! beside the dispatch keys (in memory here, not in the simulation's lock). Keys older than the
//! retention are dropped.
//!
//! Earlier builds kept the orders in a JSON-lines file; one found at the configured path, or
//! beside the database, is imported once, skipping torn or broken pieces with a warning that
//! names the file and byte offset, never a complete record.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use twinhall_core::protocol::{DispatchOrder, DispatchRequest, Millis};
use twinhall_core::sqlite::{OpenError, Schema, open_migrated};

/// The schema this build writes; a database of a newer one is refused at start.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE orders (
    order_id   TEXT PRIMARY KEY NOT NULL,
    body       TEXT NOT NULL,
    stored_at  INTEGER NOT NULL
);
CREATE TABLE idempotency_keys (
    key        TEXT PRIMARY KEY NOT NULL,
    request    TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    stored_at  INTEGER NOT NULL
);
CREATE INDEX idempotency_keys_by_time ON idempotency_keys (stored_at);
CREATE TABLE imports (
    path        TEXT PRIMARY KEY NOT NULL,
    records     INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);
";

/// Tables added within schema version 1, created where missing at every open: a database of an
/// earlier build gains them, and an earlier build opening this one leaves them alone.
const REPORT_TABLES: &str = "
CREATE TABLE IF NOT EXISTS reported_incidents (
    incident_id TEXT PRIMARY KEY NOT NULL,
    request     TEXT NOT NULL,
    body        TEXT NOT NULL,
    stored_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS report_keys (
    key         TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL,
    stored_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS report_keys_by_time ON report_keys (stored_at);
";

/// How long a write waits for a database another process holds locked before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One order with the key and request that made it, as answered the first time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderRecord {
    pub key: String,
    pub request: DispatchRequest,
    pub order: DispatchOrder,
}

/// A key the store still holds, with when it was stored (wall clock).
pub struct KeptKey {
    pub record: OrderRecord,
    pub stored_at: Millis,
}

/// One incident made by `POST /v1/incidents`, with the key and the report that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRecord {
    pub key: String,
    pub incident_id: String,
    /// The report as `serde_json` writes the parsed request: the same body, however spaced or
    /// ordered, writes the same text.
    pub request: String,
    /// The incident (JSON) as first answered; a replay sends these bytes again.
    pub answer: String,
}

/// A report key the store still holds, with when it was stored (wall clock).
pub struct KeptReport {
    pub record: ReportRecord,
    pub stored_at: Millis,
}

/// What the database held at start.
pub struct Loaded {
    /// Every order, oldest id first.
    pub orders: Vec<DispatchOrder>,
    /// The keys within the retention.
    pub keys: Vec<KeptKey>,
    /// The id of every incident ever reported, so that none is given again.
    pub reported_ids: Vec<String>,
}

/// The database file for a configured `--orders` path, and the old JSON-lines file to import if
/// there is one: a path that ends in `.jsonl`, or names an existing file that is not SQLite, is
/// the old file, and the database goes beside it with the extension `.sqlite`; otherwise the path
/// is the database, and an old file beside it (the same name with `.jsonl`) is imported.
pub fn resolve(configured: &Path) -> (PathBuf, Option<PathBuf>) {
    let legacy_named = configured.extension().is_some_and(|e| e == "jsonl");
    let legacy_content = !legacy_named && is_other_file(configured);
    if legacy_named || legacy_content {
        let db = configured.with_extension("sqlite");
        let legacy = configured.is_file().then(|| configured.to_owned());
        return (db, legacy);
    }
    let beside = configured.with_extension("jsonl");
    let legacy = (beside != configured && beside.is_file()).then_some(beside);
    (configured.to_owned(), legacy)
}

/// Whether `path` is a non-empty regular file that does not start with SQLite's header.
fn is_other_file(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    if !f.metadata().is_ok_and(|m| m.is_file() && m.len() > 0) {
        return false;
    }
    let mut head = [0u8; 16];
    match f.read_exact(&mut head) {
        Ok(()) => &head != b"SQLite format 3\0",
        Err(_) => true,
    }
}

/// Handle to the writer thread, and the report keys within the retention.
pub struct OrderStore {
    tx: mpsc::Sender<Op>,
    db: PathBuf,
    /// Report keys by key (the database holds them too); dispatch keys are kept with the
    /// simulation, as their orders are made under its lock.
    reports: Mutex<HashMap<String, KeptReport>>,
    /// Reported incidents are made one at a time, so that a key sent twice at once makes one.
    report_gate: tokio::sync::Mutex<()>,
}

enum Op {
    Store(Box<(OrderRecord, Millis)>, oneshot::Sender<Result<(), String>>),
    Report(Box<(ReportRecord, Millis)>, oneshot::Sender<Result<(), String>>),
    Prune(Millis),
}

impl OrderStore {
    /// Opens (creating if needed) the database for the configured path, imports an old
    /// JSON-lines file once, drops keys stored before `keep_after`, reads what is kept, and
    /// starts the writer thread. Errors name the file.
    pub fn open(configured: &Path, keep_after: Millis) -> Result<(Self, Loaded), String> {
        let (db, legacy) = resolve(configured);
        let mut conn = open_db(&db)?;
        if let Some(legacy) = legacy {
            import_legacy(&mut conn, &db, &legacy)?;
        }
        let shown = db.display().to_string();
        let sql = |e: rusqlite::Error| format!("{shown}: {e}");
        conn.execute("DELETE FROM idempotency_keys WHERE stored_at < ?1", [keep_after]).map_err(sql)?;
        conn.execute("DELETE FROM report_keys WHERE stored_at < ?1", [keep_after]).map_err(sql)?;
        let loaded = load(&conn, &shown)?;
        let reports = load_reports(&conn, &shown)?;
        let id = file_id(&db);
        let (tx, rx) = mpsc::channel();
        let writer =
            Writer { db: db.clone(), conn: Some((conn, id)), doubtful: Vec::new(), doubtful_reports: Vec::new() };
        std::thread::Builder::new()
            .name("orders-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| format!("{shown}: cannot start the writer thread: {e}"))?;
        let reports = Mutex::new(reports.into_iter().map(|k| (k.record.key.clone(), k)).collect());
        Ok((Self { tx, db, reports, report_gate: tokio::sync::Mutex::new(()) }, loaded))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.db
    }

    /// Writes and commits one order with its key; returns once it is on disk, or with why not
    /// (then nothing of it is kept).
    pub async fn store(&self, record: OrderRecord, stored_at: Millis) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Op::Store(Box::new((record, stored_at)), reply))
            .map_err(|_| format!("{}: the order writer has stopped", self.db.display()))?;
        answer.await.map_err(|_| format!("{}: the order writer has stopped", self.db.display()))?
    }

    /// Drops the keys stored before `before`: report keys from memory now, all from the database
    /// in the background (a failure is logged).
    pub fn prune(&self, before: Millis) {
        self.kept_reports().retain(|_, k| k.stored_at >= before);
        let _ = self.tx.send(Op::Prune(before));
    }

    /// The report first made with `key`, if the key is still kept.
    pub fn report_for(&self, key: &str) -> Option<ReportRecord> {
        self.kept_reports().get(key).map(|k| k.record.clone())
    }

    /// Waits for the turn to make a reported incident; hold the guard until it is made.
    pub async fn report_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.report_gate.lock().await
    }

    /// Writes and commits one reported incident with its report and key, then keeps the key;
    /// returns once it is on disk, or with why not (then nothing of it is kept).
    pub async fn store_report(&self, record: ReportRecord, stored_at: Millis) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        let stopped = || format!("{}: the order writer has stopped", self.db.display());
        self.tx.send(Op::Report(Box::new((record.clone(), stored_at)), reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())??;
        self.kept_reports().insert(record.key.clone(), KeptReport { record, stored_at });
        Ok(())
    }

    fn kept_reports(&self) -> std::sync::MutexGuard<'_, HashMap<String, KeptReport>> {
        // A poisoned lock only means a handler panicked mid-request; the map is still usable.
        self.reports.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Opens the database, sets WAL and full sync, and creates or checks the schema (the report
/// tables are created where missing at every open).
fn open_db(db: &Path) -> Result<Connection, String> {
    let shown = db.display().to_string();
    let schema = Schema {
        version: SCHEMA_VERSION,
        initial: SCHEMA,
        migrations: &[],
        every_open: REPORT_TABLES,
        busy_timeout: BUSY_TIMEOUT,
        foreign_keys: false,
    };
    open_migrated(db, &schema).map_err(|e| match e {
        OpenError::Open(e) | OpenError::Sqlite(e) => format!("orders database {shown}: {e}"),
        OpenError::NewerSchema { found } => {
            format!("orders database {shown}: schema version {found} is newer than this build's {SCHEMA_VERSION}")
        }
        OpenError::MissingVersion => format!("orders database {shown}: the schema version is missing"),
    })
}

/// Every order, and the keys with the orders they answered. A row that does not decode is
/// skipped with a warning naming it.
fn load(conn: &Connection, shown: &str) -> Result<Loaded, String> {
    let sql = |e: rusqlite::Error| format!("orders database {shown}: {e}");
    let mut orders = Vec::new();
    let mut stmt = conn.prepare("SELECT order_id, body FROM orders ORDER BY order_id").map_err(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(sql)?;
    for row in rows {
        let (id, body) = row.map_err(sql)?;
        match serde_json::from_str::<DispatchOrder>(&body) {
            Ok(o) => orders.push(o),
            Err(e) => tracing::warn!("orders database {shown}: order `{id}` skipped: it does not decode: {e}"),
        }
    }
    let mut keys = Vec::new();
    let mut stmt = conn
        .prepare(
            "SELECT k.key, k.request, k.stored_at, o.body FROM idempotency_keys k
             JOIN orders o ON o.order_id = k.order_id ORDER BY k.stored_at",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Millis>(2)?, r.get::<_, String>(3)?))
        })
        .map_err(sql)?;
    for row in rows {
        let (key, request, stored_at, body) = row.map_err(sql)?;
        let decoded = serde_json::from_str::<DispatchRequest>(&request)
            .and_then(|request| Ok((request, serde_json::from_str::<DispatchOrder>(&body)?)));
        match decoded {
            Ok((request, order)) => keys.push(KeptKey { record: OrderRecord { key, request, order }, stored_at }),
            Err(e) => tracing::warn!("orders database {shown}: key `{key}` skipped: it does not decode: {e}"),
        }
    }
    let mut stmt = conn.prepare("SELECT incident_id FROM reported_incidents").map_err(sql)?;
    let reported_ids = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql)?.collect::<Result<_, _>>();
    Ok(Loaded { orders, keys, reported_ids: reported_ids.map_err(sql)? })
}

/// The report keys with the reports and incidents they made.
fn load_reports(conn: &Connection, shown: &str) -> Result<Vec<KeptReport>, String> {
    let sql = |e: rusqlite::Error| format!("orders database {shown}: {e}");
    let mut stmt = conn
        .prepare(
            "SELECT k.key, k.incident_id, r.request, r.body, k.stored_at FROM report_keys k
             JOIN reported_incidents r ON r.incident_id = k.incident_id ORDER BY k.stored_at",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |r| {
            let record = ReportRecord { key: r.get(0)?, incident_id: r.get(1)?, request: r.get(2)?, answer: r.get(3)? };
            Ok(KeptReport { record, stored_at: r.get(4)? })
        })
        .map_err(sql)?;
    rows.collect::<Result<_, _>>().map_err(sql)
}

/// Imports an old JSON-lines orders file into the database, once: the import and its mark go in
/// one transaction, so an import cut short is done again at the next start.
fn import_legacy(conn: &mut Connection, db: &Path, legacy: &Path) -> Result<(), String> {
    let shown_db = db.display().to_string();
    let sql = |e: rusqlite::Error| format!("orders database {shown_db}: {e}");
    let name = std::fs::canonicalize(legacy).unwrap_or_else(|_| legacy.to_owned()).display().to_string();
    let done: Option<i64> =
        conn.query_row("SELECT records FROM imports WHERE path = ?1", [&name], |r| r.get(0)).optional().map_err(sql)?;
    if done.is_some() {
        tracing::debug!("{}: imported into {shown_db} before", legacy.display());
        return Ok(());
    }
    let bytes = std::fs::read(legacy).map_err(|e| format!("{}: cannot read: {e}", legacy.display()))?;
    let (records, skipped) = parse_legacy(&bytes, &legacy.display().to_string());
    let now = twinhall_core::protocol::now_ms();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
    for r in &records {
        let body = serde_json::to_string(&r.order).map_err(|e| format!("{}: {e}", legacy.display()))?;
        let request = serde_json::to_string(&r.request).map_err(|e| format!("{}: {e}", legacy.display()))?;
        tx.execute(
            "INSERT OR IGNORE INTO orders (order_id, body, stored_at) VALUES (?1, ?2, ?3)",
            params![r.order.order_id, body, now],
        )
        .map_err(sql)?;
        // Kept from the import on, for the retention: a client still retrying gets its order.
        tx.execute(
            "INSERT OR IGNORE INTO idempotency_keys (key, request, order_id, stored_at) VALUES (?1, ?2, ?3, ?4)",
            params![r.key, request, r.order.order_id, now],
        )
        .map_err(sql)?;
    }
    tx.execute(
        "INSERT INTO imports (path, records, skipped, imported_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, records.len() as i64, skipped as i64, now],
    )
    .map_err(sql)?;
    tx.commit().map_err(sql)?;
    tracing::info!(
        "{}: imported {} orders from this old orders file into {shown_db} ({skipped} pieces skipped); the file is no longer read",
        legacy.display(),
        records.len()
    );
    Ok(())
}

/// The records of an old JSON-lines orders file. A line that does not parse is skipped with a
/// warning naming `shown` and its byte offset; a whole record glued after a torn one (an old
/// writer appending to a torn last line) is kept.
pub fn parse_legacy(bytes: &[u8], shown: &str) -> (Vec<OrderRecord>, usize) {
    const START: &[u8] = br#"{"key":"#;
    let mut records = Vec::new();
    let mut skipped = 0;
    let mut offset = 0;
    for piece in bytes.split_inclusive(|b| *b == b'\n') {
        let at = offset;
        offset += piece.len();
        let line = piece.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let lead = piece.len() - piece.trim_ascii_start().len();
        let err = match serde_json::from_slice::<OrderRecord>(line) {
            Ok(r) => {
                records.push(r);
                continue;
            }
            Err(e) => e,
        };
        skipped += 1;
        let rescued = (1..line.len())
            .filter(|&i| line[i..].starts_with(START))
            .find_map(|i| serde_json::from_slice::<OrderRecord>(&line[i..]).ok().map(|r| (i, r)));
        match rescued {
            Some((i, r)) => {
                tracing::warn!(
                    "{shown}: byte {}: {i} bytes of a torn record skipped; the whole record after them is kept",
                    at + lead
                );
                records.push(r);
            }
            None if !piece.ends_with(b"\n") => tracing::warn!(
                "{shown}: byte {}: torn last record ({} bytes, no newline) skipped: {err}",
                at + lead,
                line.len()
            ),
            None => tracing::warn!("{shown}: byte {}: record skipped: {err}", at + lead),
        }
    }
    (records, skipped)
}

/// The device and inode of a file, to notice the database being removed or replaced under an
/// open connection (SQLite in WAL mode would go on writing to the unlinked file).
#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_path: &Path) -> Option<(u64, u64)> {
    None
}

/// The writer thread's state: the connection (reopened after a failure), and the rows a failed
/// write may have left, deleted in the next transaction.
struct Writer {
    db: PathBuf,
    conn: Option<(Connection, Option<(u64, u64)>)>,
    /// (key, order id) of writes that failed.
    doubtful: Vec<(String, String)>,
    /// (key, incident id) of reported incidents whose write failed.
    doubtful_reports: Vec<(String, String)>,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Op>) {
        for op in rx {
            match op {
                Op::Store(rec, reply) => {
                    let (record, stored_at) = *rec;
                    let result = self.write(|tx| store_record(tx, &record, stored_at));
                    if result.is_err() {
                        self.doubtful.push((record.key.clone(), record.order.order_id.clone()));
                    }
                    let _ = reply.send(result);
                }
                Op::Report(rec, reply) => {
                    let (record, stored_at) = *rec;
                    let result = self.write(|tx| store_report(tx, &record, stored_at));
                    if result.is_err() {
                        self.doubtful_reports.push((record.key.clone(), record.incident_id.clone()));
                    }
                    let _ = reply.send(result);
                }
                Op::Prune(before) => {
                    let result = self.write(|tx| {
                        tx.execute("DELETE FROM idempotency_keys WHERE stored_at < ?1", [before])?;
                        tx.execute("DELETE FROM report_keys WHERE stored_at < ?1", [before]).map(|_| ())
                    });
                    if let Err(e) = result {
                        tracing::warn!("{e}; expired idempotency keys are dropped at the next try");
                    }
                }
            }
        }
    }

    /// Runs `f` in one immediate transaction after deleting the doubtful rows; on any failure the
    /// connection is dropped (rolling back) and reopened at the next write.
    fn write(&mut self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>) -> Result<(), String> {
        let shown = self.db.display().to_string();
        let doubtful = std::mem::take(&mut self.doubtful);
        let doubtful_reports = std::mem::take(&mut self.doubtful_reports);
        let result = self.connection().and_then(|conn| {
            let sql = |e: rusqlite::Error| format!("orders database {shown}: {e}");
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
            for (key, order_id) in &doubtful {
                tx.execute("DELETE FROM idempotency_keys WHERE key = ?1 AND order_id = ?2", params![key, order_id])
                    .map_err(sql)?;
                tx.execute("DELETE FROM orders WHERE order_id = ?1", [order_id]).map_err(sql)?;
            }
            for (key, incident_id) in &doubtful_reports {
                tx.execute("DELETE FROM report_keys WHERE key = ?1 AND incident_id = ?2", params![key, incident_id])
                    .map_err(sql)?;
                tx.execute("DELETE FROM reported_incidents WHERE incident_id = ?1", [incident_id]).map_err(sql)?;
            }
            f(&tx).map_err(sql)?;
            tx.commit().map_err(sql)
        });
        if result.is_err() {
            self.doubtful = doubtful;
            self.doubtful_reports = doubtful_reports;
            self.conn = None;
        }
        result
    }

    /// The open connection, if its file is still the database's path; else a new one.
    fn connection(&mut self) -> Result<&mut Connection, String> {
        let now = file_id(&self.db);
        if self.conn.as_ref().is_some_and(|(_, id)| *id != now || (now.is_none() && cfg!(unix))) {
            self.conn = None;
            return Err(format!("orders database {}: the file was removed or replaced", self.db.display()));
        }
        if self.conn.is_none() {
            let conn = open_db(&self.db)?;
            tracing::info!("orders database {}: reopened", self.db.display());
            self.conn = Some((conn, file_id(&self.db)));
        }
        match &mut self.conn {
            Some((conn, _)) => Ok(conn),
            None => Err(format!("orders database {}: not open", self.db.display())),
        }
    }
}

/// The order and its key, in the caller's transaction. The key row replaces one of an expired key
/// the memory no longer holds.
fn store_record(tx: &rusqlite::Transaction<'_>, record: &OrderRecord, stored_at: Millis) -> rusqlite::Result<()> {
    let body = serde_json::to_string(&record.order).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    let request =
        serde_json::to_string(&record.request).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    tx.execute(
        "INSERT INTO orders (order_id, body, stored_at) VALUES (?1, ?2, ?3)",
        params![record.order.order_id, body, stored_at],
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO idempotency_keys (key, request, order_id, stored_at) VALUES (?1, ?2, ?3, ?4)",
        params![record.key, request, record.order.order_id, stored_at],
    )?;
    Ok(())
}

/// The reported incident, its report and its key, in the caller's transaction. The key row
/// replaces one of an expired key the memory no longer holds.
fn store_report(tx: &rusqlite::Transaction<'_>, record: &ReportRecord, stored_at: Millis) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO reported_incidents (incident_id, request, body, stored_at) VALUES (?1, ?2, ?3, ?4)",
        params![record.incident_id, record.request, record.answer, stored_at],
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO report_keys (key, incident_id, stored_at) VALUES (?1, ?2, ?3)",
        params![record.key, record.incident_id, stored_at],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(key: &str, id: &str) -> String {
        let r = OrderRecord {
            key: key.into(),
            request: DispatchRequest { incident_id: "I-1".into(), unit_ids: vec!["U-1".into()], note: "说明".into() },
            order: DispatchOrder {
                order_id: id.into(),
                incident_id: "I-1".into(),
                unit_ids: vec!["U-1".into()],
                state: twinhall_core::protocol::OrderState::Accepted,
                created_at: 1,
                updated_at: 1,
            },
        };
        serde_json::to_string(&r).expect("encode")
    }

    #[test]
    fn whole_records_are_kept_and_torn_pieces_skipped() {
        let a = line("k1", "O-000001");
        let b = line("k2", "O-000002");
        // A torn fragment with a record glued on, a broken line, and a tail cut inside `说`.
        let torn = &a[..a.len() / 2];
        let c = line("k3", "O-000003");
        let cut = c.find('说').expect("a multi-byte character") + 1;
        let mut file = format!("{a}\n{torn}{b}\nnot json\n").into_bytes();
        file.extend_from_slice(&c.as_bytes()[..cut]);
        let (records, skipped) = parse_legacy(&file, "old.jsonl");
        let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["k1", "k2"]);
        assert_eq!(skipped, 3);
    }

    #[test]
    fn the_database_and_the_old_file_are_found_from_either_name() {
        let dir = std::env::temp_dir().join(format!("twinhall-orders-resolve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let jsonl = dir.join("o.jsonl");
        let sqlite = dir.join("o.sqlite");
        let _ = std::fs::remove_file(&jsonl);
        assert_eq!(resolve(&jsonl), (sqlite.clone(), None));
        assert_eq!(resolve(&sqlite), (sqlite.clone(), None));
        std::fs::write(&jsonl, "{}\n").expect("write");
        assert_eq!(resolve(&jsonl), (sqlite.clone(), Some(jsonl.clone())));
        assert_eq!(resolve(&sqlite), (sqlite.clone(), Some(jsonl.clone())));
        // An old file under another name is recognised by its content.
        let plain = dir.join("orders");
        std::fs::write(&plain, "{\"key\":1}\n").expect("write");
        assert_eq!(resolve(&plain), (dir.join("orders.sqlite"), Some(plain.clone())));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
