//! The dispatch journal (派单日志): an embedded SQLite database on the command wall's disk that
//! holds every dispatch order from the moment it is decided, before it is sent, with the
//! idempotency key it is sent under, the incident timeline the hub shows, and the tactile
//! hub's alerts (so a restart loses none).
//!
//! An order is never lost and never doubled: it is written here as `pending` (one transaction,
//! `synchronous=FULL`, so it is on disk when the call returns) before the first request leaves,
//! and every later attempt, after a timeout or a restart, sends the same key with the same body,
//! which the backend answers with the order it already made. The database runs in WAL mode and
//! carries a schema version table so a later build can migrate it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::protocol::{DispatchRequest, Millis};
use crate::rules::Alert;
use crate::sqlite::{OpenError, Schema};

/// The schema this build writes; [`Journal::open`] refuses a database of a newer one.
pub const SCHEMA_VERSION: i64 = 2;

/// What each version adds to the one before (index 0 takes version 1 to 2).
const MIGRATIONS: [&str; 1] = [ALERTS_SCHEMA];

/// Version 2: the tactile hub's alerts, one row each, the alert as JSON.
const ALERTS_SCHEMA: &str = "
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY NOT NULL,
    key         TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX alerts_by_key ON alerts (key, id);
";

/// Where an order stands, as far as this side knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Written, not yet answered.
    Pending,
    /// The backend made the order (`order_id` says which).
    Accepted,
    /// The backend refused it (`reason` says why); final.
    Rejected,
    /// Sent, but no answer came in time (or only errors): it is sent again with the same key.
    Unconfirmed,
}

impl OrderStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Accepted, Self::Rejected, Self::Unconfirmed];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Unconfirmed => "unconfirmed",
        }
    }

    /// The status [`as_str`](Self::as_str) names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether the backend has answered for good (accepted or rejected).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Accepted | Self::Rejected)
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One order as the journal holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalOrder {
    /// The idempotency key every attempt is sent with.
    pub key: String,
    pub request: DispatchRequest,
    pub status: OrderStatus,
    /// The backend's order id, once accepted.
    pub order_id: Option<String>,
    /// Why it was rejected, or the last error while unconfirmed.
    pub reason: Option<String>,
    /// Requests sent so far.
    pub attempts: u32,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One line of an incident's timeline, in both languages of the wall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    pub incident_id: String,
    pub at: Millis,
    /// `reported`, `status`, `recommendation`, `order_sent`, `answer`, `arrival` or `note`.
    pub kind: String,
    pub text_zh: String,
    pub text_en: String,
}

/// What went wrong; every message names the database file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("dispatch journal {path}: cannot open: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("dispatch journal {path}: {source}")]
    Sqlite { path: String, source: rusqlite::Error },
    #[error("dispatch journal {path}: schema version {found} is newer than this build's {SCHEMA_VERSION}")]
    NewerSchema { path: String, found: i64 },
    #[error("dispatch journal {path}: key `{key}` is already used with another order")]
    KeyReused { path: String, key: String },
    #[error("dispatch journal {path}: no order with key `{key}`")]
    UnknownKey { path: String, key: String },
    #[error("dispatch journal {path}: {what}")]
    Corrupt { path: String, what: String },
}

/// The journal. Cheap calls on one connection behind a lock, so it may be shared between
/// threads (and kept in an ECS resource).
pub struct Journal {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// The path as messages show it (`:memory:` for an in-memory journal).
    shown: String,
}

const SCHEMA: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE orders (
    key         TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL,
    request     TEXT NOT NULL,
    status      TEXT NOT NULL,
    order_id    TEXT,
    reason      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX orders_by_incident ON orders (incident_id, created_at);
CREATE INDEX orders_by_status ON orders (status, created_at);
CREATE TABLE timeline (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    text_zh     TEXT NOT NULL,
    text_en     TEXT NOT NULL
);
CREATE INDEX timeline_by_incident ON timeline (incident_id, at, id);
";

/// The journal's schema: version 1's tables, the migrations since, foreign keys on; another
/// process (the duty officer's CLI) may hold the lock for a moment.
const JOURNAL_SCHEMA: Schema<'static> = Schema {
    version: SCHEMA_VERSION,
    initial: SCHEMA,
    migrations: &MIGRATIONS,
    every_open: "",
    busy_timeout: Duration::from_secs(5),
    foreign_keys: true,
};

/// What opening the journal failed with, naming the file.
fn open_error(e: OpenError, shown: &str) -> JournalError {
    let path = shown.to_owned();
    match e {
        OpenError::Open(source) => JournalError::Open { path, source },
        OpenError::Sqlite(source) => JournalError::Sqlite { path, source },
        OpenError::NewerSchema { found } => JournalError::NewerSchema { path, found },
        OpenError::MissingVersion => JournalError::Corrupt { path, what: "the schema version is missing".into() },
    }
}

const ORDER_COLUMNS: &str = "key, request, status, order_id, reason, attempts, created_at, updated_at";

impl Journal {
    /// Opens (creating if needed) the journal at `path`. A file that is not a journal, or one of
    /// a newer schema, is an error naming the file.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let shown = path.display().to_string();
        let conn = crate::sqlite::open_migrated(path, &JOURNAL_SCHEMA).map_err(|e| open_error(e, &shown))?;
        Ok(Self { conn: Mutex::new(conn), path: Some(path.to_owned()), shown })
    }

    /// A journal that lives only as long as this value (tests, and a wall run without a disk).
    pub fn open_in_memory() -> Result<Self, JournalError> {
        let shown = ":memory:".to_owned();
        let mut conn =
            Connection::open_in_memory().map_err(|source| JournalError::Open { path: shown.clone(), source })?;
        crate::sqlite::migrate(&mut conn, &JOURNAL_SCHEMA).map_err(|e| open_error(e, &shown))?;
        Ok(Self { conn: Mutex::new(conn), path: None, shown })
    }

    /// The database file; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic elsewhere while holding the lock leaves SQLite consistent (a transaction not
        // committed is rolled back when dropped).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sql(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Sqlite { path: self.shown.clone(), source }
    }

    fn corrupt(&self, what: String) -> JournalError {
        JournalError::Corrupt { path: self.shown.clone(), what }
    }

    /// Writes a new order as pending; on return it is on disk. The same key with the same body
    /// again changes nothing; with another body it is [`JournalError::KeyReused`].
    pub fn record_pending(&self, key: &str, request: &DispatchRequest, now: Millis) -> Result<(), JournalError> {
        let body = serde_json::to_string(request).map_err(|e| self.corrupt(format!("order `{key}`: {e}")))?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.sql(e))?;
        let existing: Option<String> = tx
            .query_row("SELECT request FROM orders WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))?;
        if let Some(existing) = existing {
            let same = serde_json::from_str::<DispatchRequest>(&existing).is_ok_and(|r| r == *request);
            return if same {
                Ok(())
            } else {
                Err(JournalError::KeyReused { path: self.shown.clone(), key: key.to_owned() })
            };
        }
        tx.execute(
            "INSERT INTO orders (key, incident_id, request, status, attempts, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)",
            params![key, request.incident_id, body, OrderStatus::Pending.as_str(), now],
        )
        .map_err(|e| self.sql(e))?;
        tx.commit().map_err(|e| self.sql(e))
    }

    /// Records what became of an order (with the backend's order id, or the reason).
    pub fn set_status(
        &self,
        key: &str,
        status: OrderStatus,
        order_id: Option<&str>,
        reason: Option<&str>,
        now: Millis,
    ) -> Result<(), JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.sql(e))?;
        let n = tx
            .execute(
                "UPDATE orders SET status = ?2, order_id = coalesce(?3, order_id), reason = ?4, updated_at = ?5
                 WHERE key = ?1",
                params![key, status.as_str(), order_id, reason, now],
            )
            .map_err(|e| self.sql(e))?;
        if n == 0 {
            return Err(JournalError::UnknownKey { path: self.shown.clone(), key: key.to_owned() });
        }
        tx.commit().map_err(|e| self.sql(e))
    }

    /// Counts one more request sent for the order; returns the count.
    pub fn bump_attempts(&self, key: &str, now: Millis) -> Result<u32, JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.sql(e))?;
        let n = tx
            .execute("UPDATE orders SET attempts = attempts + 1, updated_at = ?2 WHERE key = ?1", params![key, now])
            .map_err(|e| self.sql(e))?;
        if n == 0 {
            return Err(JournalError::UnknownKey { path: self.shown.clone(), key: key.to_owned() });
        }
        let attempts: u32 =
            tx.query_row("SELECT attempts FROM orders WHERE key = ?1", [key], |r| r.get(0)).map_err(|e| self.sql(e))?;
        tx.commit().map_err(|e| self.sql(e))?;
        Ok(attempts)
    }

    /// The order written under `key`, if any.
    pub fn order(&self, key: &str) -> Result<Option<JournalOrder>, JournalError> {
        let rows = self.query_orders(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE key = ?1"), &[&key])?;
        Ok(rows.into_iter().next())
    }

    /// What must be sent (again): pending and unconfirmed orders, oldest first.
    pub fn resendable(&self) -> Result<Vec<JournalOrder>, JournalError> {
        self.query_orders(
            &format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE status IN ('pending', 'unconfirmed')
                 ORDER BY created_at, rowid"
            ),
            &[],
        )
    }

    /// Every order (of one incident when given), oldest first.
    pub fn orders(&self, incident_id: Option<&str>) -> Result<Vec<JournalOrder>, JournalError> {
        match incident_id {
            Some(id) => self.query_orders(
                &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE incident_id = ?1 ORDER BY created_at, rowid"),
                &[&id],
            ),
            None => self.query_orders(&format!("SELECT {ORDER_COLUMNS} FROM orders ORDER BY created_at, rowid"), &[]),
        }
    }

    fn query_orders(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<JournalOrder>, JournalError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(sql).map_err(|e| self.sql(e))?;
        let raw = stmt.query_map(args, RawOrder::from_row).map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for r in raw {
            out.push(self.decode(r.map_err(|e| self.sql(e))?)?);
        }
        Ok(out)
    }

    fn decode(&self, r: RawOrder) -> Result<JournalOrder, JournalError> {
        let request = serde_json::from_str(&r.request)
            .map_err(|e| self.corrupt(format!("order `{}`: the stored request does not parse: {e}", r.key)))?;
        let status = OrderStatus::parse(&r.status)
            .ok_or_else(|| self.corrupt(format!("order `{}`: unknown status `{}`", r.key, r.status)))?;
        Ok(JournalOrder {
            key: r.key,
            request,
            status,
            order_id: r.order_id,
            reason: r.reason,
            attempts: r.attempts,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    /// Adds a line to an incident's timeline.
    pub fn add_event(&self, e: &TimelineEntry) -> Result<(), JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.sql(e))?;
        tx.execute(
            "INSERT INTO timeline (incident_id, at, kind, text_zh, text_en) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![e.incident_id, e.at, e.kind, e.text_zh, e.text_en],
        )
        .map_err(|e| self.sql(e))?;
        tx.commit().map_err(|e| self.sql(e))
    }

    /// An incident's timeline by time (lines of the same time in the order they were added).
    pub fn timeline(&self, incident_id: &str) -> Result<Vec<TimelineEntry>, JournalError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT incident_id, at, kind, text_zh, text_en FROM timeline WHERE incident_id = ?1 ORDER BY at, id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([incident_id], |r| {
                Ok(TimelineEntry {
                    incident_id: r.get(0)?,
                    at: r.get(1)?,
                    kind: r.get(2)?,
                    text_zh: r.get(3)?,
                    text_en: r.get(4)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.sql(e))
    }
}

impl Journal {
    /// Writes alerts as they are now (new ones added, known ones replaced), in one transaction;
    /// on return they are on disk.
    pub fn save_alerts<'a>(&self, alerts: impl IntoIterator<Item = &'a Alert>) -> Result<usize, JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.sql(e))?;
        let mut n = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO alerts (id, key, body, updated_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET key = excluded.key, body = excluded.body,
                     updated_at = excluded.updated_at",
                )
                .map_err(|e| self.sql(e))?;
            for a in alerts {
                let body = serde_json::to_string(a).map_err(|e| self.corrupt(format!("alert {}: {e}", a.id)))?;
                let id = i64::try_from(a.id).map_err(|_| self.corrupt(format!("alert id {} too large", a.id)))?;
                let at = a.updated_at();
                stmt.execute(params![id, a.key, body, at]).map_err(|e| self.sql(e))?;
                n += 1;
            }
        }
        tx.commit().map_err(|e| self.sql(e))?;
        Ok(n)
    }

    /// Every alert kept, by id. A row that does not decode is an error naming it.
    pub fn alerts(&self) -> Result<Vec<Alert>, JournalError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT id, body FROM alerts ORDER BY id").map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.sql(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))?;
        rows.into_iter()
            .map(|(id, body)| serde_json::from_str(&body).map_err(|e| self.corrupt(format!("alert {id}: {e}"))))
            .collect()
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.shown).finish_non_exhaustive()
    }
}

/// A row before its JSON and status are decoded.
struct RawOrder {
    key: String,
    request: String,
    status: String,
    order_id: Option<String>,
    reason: Option<String>,
    attempts: u32,
    created_at: Millis,
    updated_at: Millis,
}

impl RawOrder {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            key: r.get(0)?,
            request: r.get(1)?,
            status: r.get(2)?,
            order_id: r.get(3)?,
            reason: r.get(4)?,
            attempts: r.get(5)?,
            created_at: r.get(6)?,
            updated_at: r.get(7)?,
        })
    }
}

/// A fresh idempotency key, unique across processes and restarts: the wall-clock time, the
/// process id, a random number drawn once per process and a counter, e.g.
/// `th-1764300000000-4242-9f3a2b1c07d4e5f6-0`. ASCII only, so it fits an HTTP header.
pub fn new_key() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static NONCE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let nonce = *NONCE.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        // The standard library seeds this hasher from the OS's random source.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        h.write_u32(std::process::id());
        h.finish()
    });
    format!(
        "th-{}-{}-{nonce:016x}-{}",
        crate::protocol::now_ms(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of its own under the system's temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            static N: AtomicU64 = AtomicU64::new(0);
            let dir = std::env::temp_dir().join(format!(
                "twinhall-journal-{name}-{}-{}-{}",
                std::process::id(),
                crate::protocol::now_ms(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("temp dir");
            Self(dir)
        }

        fn join(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn request(incident: &str, units: &[&str]) -> DispatchRequest {
        DispatchRequest {
            incident_id: incident.into(),
            unit_ids: units.iter().map(|u| (*u).to_owned()).collect(),
            note: "带好灭火器 / bring extinguishers".into(),
        }
    }

    fn event(incident: &str, at: Millis, kind: &str, text: &str) -> TimelineEntry {
        TimelineEntry {
            incident_id: incident.into(),
            at,
            kind: kind.into(),
            text_zh: format!("{text}（中文）"),
            text_en: text.into(),
        }
    }

    #[test]
    fn status_names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("done"), None);
        assert!(OrderStatus::Accepted.is_final() && !OrderStatus::Unconfirmed.is_final());
    }

    #[test]
    fn orders_and_timeline_round_trip() {
        let j = Journal::open_in_memory().expect("open");
        assert_eq!(j.path(), None);
        let r = request("I-000001", &["U-00001", "U-00002"]);
        j.record_pending("k1", &r, 1_000).expect("pending");
        let o = j.order("k1").expect("read").expect("there");
        assert_eq!(o.request, r);
        assert_eq!((o.status, o.attempts, o.created_at, o.updated_at), (OrderStatus::Pending, 0, 1_000, 1_000));
        assert_eq!((o.order_id.as_deref(), o.reason.as_deref()), (None, None));
        assert_eq!(j.bump_attempts("k1", 1_001).expect("bump"), 1);
        assert_eq!(j.bump_attempts("k1", 1_002).expect("bump"), 2);
        j.set_status("k1", OrderStatus::Unconfirmed, None, Some("timed out"), 11_000).expect("status");
        j.set_status("k1", OrderStatus::Accepted, Some("O-000007"), None, 12_000).expect("status");
        let o = j.order("k1").expect("read").expect("there");
        assert_eq!(o.status, OrderStatus::Accepted);
        assert_eq!(o.order_id.as_deref(), Some("O-000007"));
        assert_eq!(o.reason, None);
        assert_eq!((o.attempts, o.created_at, o.updated_at), (2, 1_000, 12_000));
        assert!(j.order("nope").expect("read").is_none());
        assert!(matches!(
            j.set_status("nope", OrderStatus::Accepted, None, None, 0),
            Err(JournalError::UnknownKey { .. })
        ));
        assert!(matches!(j.bump_attempts("nope", 0), Err(JournalError::UnknownKey { .. })));

        j.record_pending("k2", &request("I-000002", &["U-00003"]), 900).expect("pending");
        assert_eq!(j.orders(None).expect("all").iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["k2", "k1"]);
        assert_eq!(j.orders(Some("I-000001")).expect("one incident").len(), 1);
        assert!(j.orders(Some("I-404")).expect("none").is_empty());

        j.add_event(&event("I-000001", 3_000, "order_sent", "sent")).expect("event");
        j.add_event(&event("I-000001", 1_000, "reported", "reported")).expect("event");
        j.add_event(&event("I-000001", 3_000, "answer", "accepted")).expect("event");
        j.add_event(&event("I-000002", 2_000, "note", "other")).expect("event");
        let t = j.timeline("I-000001").expect("timeline");
        assert_eq!(t.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["reported", "order_sent", "answer"]);
        assert_eq!(t[0], event("I-000001", 1_000, "reported", "reported"));
        assert!(j.timeline("I-404").expect("empty").is_empty());
    }

    #[test]
    fn reopening_keeps_everything() {
        let dir = TempDir::new("reopen");
        let path = dir.join("journal.sqlite");
        let r = request("I-000003", &["U-00004"]);
        {
            let j = Journal::open(&path).expect("open");
            assert_eq!(j.path(), Some(path.as_path()));
            j.record_pending("a", &r, 10).expect("pending");
            j.bump_attempts("a", 11).expect("bump");
            j.record_pending("b", &r, 20).expect("pending");
            j.set_status("b", OrderStatus::Rejected, None, Some("incident `I-000003` is archived"), 21).expect("set");
            j.add_event(&event("I-000003", 12, "order_sent", "sent")).expect("event");
        }
        let j = Journal::open(&path).expect("reopen");
        let a = j.order("a").expect("read").expect("a kept");
        assert_eq!((a.status, a.attempts, a.request.clone()), (OrderStatus::Pending, 1, r.clone()));
        let b = j.order("b").expect("read").expect("b kept");
        assert_eq!(b.status, OrderStatus::Rejected);
        assert_eq!(b.reason.as_deref(), Some("incident `I-000003` is archived"));
        assert_eq!(j.timeline("I-000003").expect("timeline").len(), 1);
        // Opening creates nothing twice.
        drop(j);
        let j = Journal::open(&path).expect("third open");
        assert_eq!(j.orders(None).expect("all").len(), 2);
    }

    #[test]
    fn resendable_is_pending_and_unconfirmed_oldest_first() {
        let j = Journal::open_in_memory().expect("open");
        let r = request("I-000004", &["U-00001"]);
        for (key, at) in [("late", 300), ("early", 100), ("middle", 200), ("done", 50), ("refused", 60)] {
            j.record_pending(key, &r, at).expect("pending");
        }
        j.set_status("middle", OrderStatus::Unconfirmed, None, Some("timed out"), 400).expect("set");
        j.set_status("done", OrderStatus::Accepted, Some("O-1"), None, 400).expect("set");
        j.set_status("refused", OrderStatus::Rejected, None, Some("no"), 400).expect("set");
        let keys: Vec<String> = j.resendable().expect("resendable").into_iter().map(|o| o.key).collect();
        assert_eq!(keys, ["early", "middle", "late"]);
    }

    #[test]
    fn a_key_is_refused_with_another_body_and_accepted_again_with_the_same() {
        let j = Journal::open_in_memory().expect("open");
        let r = request("I-000005", &["U-00001"]);
        j.record_pending("k", &r, 1).expect("pending");
        j.set_status("k", OrderStatus::Accepted, Some("O-9"), None, 2).expect("set");
        // The same body again changes nothing (the status stays accepted).
        j.record_pending("k", &r, 3).expect("same body");
        assert_eq!(j.order("k").expect("read").expect("there").status, OrderStatus::Accepted);
        let other = request("I-000005", &["U-00002"]);
        let err = j.record_pending("k", &other, 4).expect_err("another body");
        assert!(matches!(err, JournalError::KeyReused { .. }), "{err}");
        assert!(err.to_string().contains(":memory:"), "{err}");
        assert_eq!(j.order("k").expect("read").expect("there").request, r);
    }

    #[test]
    fn a_file_that_is_not_a_journal_is_an_error_naming_it() {
        let dir = TempDir::new("corrupt");
        let path = dir.join("orders.sqlite");
        std::fs::write(&path, vec![0x5a_u8; 8192]).expect("write junk");
        let err = Journal::open(&path).expect_err("junk is not a database");
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");

        // A journal of a newer schema is refused too, naming the file.
        let newer = dir.join("newer.sqlite");
        Journal::open(&newer).expect("create");
        let conn = Connection::open(&newer).expect("raw");
        conn.execute("UPDATE schema_version SET version = ?1", [SCHEMA_VERSION + 1]).expect("bump");
        drop(conn);
        let err = Journal::open(&newer).expect_err("newer schema");
        assert!(matches!(err, JournalError::NewerSchema { .. }), "{err}");
        assert!(err.to_string().contains(&newer.display().to_string()), "{err}");

        // A path that cannot be a file (its parent is a file).
        let err = Journal::open(&path.join("sub.sqlite")).expect_err("parent is a file");
        assert!(err.to_string().contains("sub.sqlite"), "{err}");
    }

    #[test]
    fn keys_are_unique_and_header_safe() {
        let keys: std::collections::HashSet<String> = (0..1000).map(|_| new_key()).collect();
        assert_eq!(keys.len(), 1000);
        for k in keys.iter().take(5) {
            assert!(k.starts_with("th-") && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{k}");
        }
    }

    #[test]
    fn the_journal_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Journal>();
    }

    /// The tactile hub's alerts kept in the journal (the journal depends on the rules, not they on
    /// it): the same book and rules as the rules' own tests of alerts.
    mod alerts {
        use std::path::Path;

        use super::*;
        use crate::protocol::Millis;
        use crate::rules::{Alert, AlertBook, AlertEvent, Edge, Rules, Stage};

        const T0: Millis = 1_764_300_000_000;

        fn rules(text: &str) -> Rules {
            match Rules::parse(text, Path::new("test.toml")) {
                Ok(r) => r,
                Err(e) => panic!("rules should parse: {e}"),
            }
        }

        fn edge(rule: usize, subject: &str, on: bool) -> Edge {
            Edge {
                rule,
                subject: subject.into(),
                on,
                value: if on { 3.0 } else { 0.0 },
                lonlat: on.then_some([24.9, 60.1]),
            }
        }

        fn two_rules() -> Rules {
            rules(
                r#"
[[rule]]
id = "low"
name_zh = "低"
name_en = "Low"
severity = 1
suggest = "other"
kind = "stale"
entity = "camera"

[[rule]]
id = "high"
name_zh = "高"
name_en = "High"
severity = 4
suggest = "fire"
kind = "stale"
entity = "sensor"
"#,
            )
        }

        #[test]
        fn alerts_kept_in_the_journal_survive_a_restart_with_their_lifecycle() {
            let dir = std::env::temp_dir().join(format!("twinhall-alerts-journal-{}-{}", std::process::id(), T0));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join("journal.sqlite");
            let rules = two_rules();
            let mut book = AlertBook::default();
            {
                let journal = Journal::open(&path).expect("open");
                book.apply(&rules, &[edge(0, "C1", true), edge(1, "S1", true), edge(1, "S2", true)], T0);
                journal.save_alerts(book.all()).expect("save new");
                book.acknowledge(1, "值班员 王", T0 + 5).expect("ack");
                book.to_incident(1, "I-000042", "值班员 王", T0 + 6).expect("incident");
                book.acknowledge(2, "李", T0 + 7).expect("ack");
                book.dismiss(2, "设备检修 maintenance", "李", T0 + 8).expect("dismiss");
                book.apply(&rules, &[edge(1, "S2", false), edge(1, "S2", true)], T0 + 9);
                // Only what changed needs writing; writing all again is the same.
                journal.save_alerts(book.all()).expect("save changed");
            }
            let journal = Journal::open(&path).expect("reopen");
            let kept = journal.alerts().expect("read");
            assert_eq!(kept, book.all().to_vec(), "every alert back as it was");
            assert_eq!(
                kept.iter().map(Alert::stage).collect::<Vec<_>>(),
                [Stage::Incident, Stage::Dismissed, Stage::New]
            );
            let mut restored = AlertBook::from_alerts(kept);
            // The open alert's key still updates it; the closed ones' keys start new alerts.
            assert_eq!(restored.apply(&rules, &[edge(1, "S2", true)], T0 + 20), vec![AlertEvent::Repeated(3)]);
            assert_eq!(restored.apply(&rules, &[edge(0, "C1", true)], T0 + 21), vec![AlertEvent::Opened(4)]);

            // A journal of schema version 1 (before alerts) is migrated in place, its orders kept.
            let old = dir.join("v1.sqlite");
            {
                let conn = rusqlite::Connection::open(&old).expect("raw");
                conn.execute_batch(
                "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
             CREATE TABLE orders (key TEXT PRIMARY KEY NOT NULL, incident_id TEXT NOT NULL, request TEXT NOT NULL,
               status TEXT NOT NULL, order_id TEXT, reason TEXT, attempts INTEGER NOT NULL DEFAULT 0,
               created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
             CREATE TABLE timeline (id INTEGER PRIMARY KEY AUTOINCREMENT, incident_id TEXT NOT NULL, at INTEGER NOT NULL,
               kind TEXT NOT NULL, text_zh TEXT NOT NULL, text_en TEXT NOT NULL);
             INSERT INTO timeline (incident_id, at, kind, text_zh, text_en) VALUES ('I-1', 5, 'note', '旧', 'old');",
            )
            .expect("v1 schema");
            }
            let migrated = Journal::open(&old).expect("migrates");
            assert_eq!(migrated.timeline("I-1").expect("timeline").len(), 1, "old lines kept");
            assert!(migrated.alerts().expect("alerts table").is_empty());
            migrated.save_alerts(book.all()).expect("save into migrated");
            drop(migrated);
            let version: i64 = rusqlite::Connection::open(&old)
                .expect("raw")
                .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
                .expect("version");
            assert_eq!(version, crate::hub::journal::SCHEMA_VERSION);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
