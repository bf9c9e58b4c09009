//! Opening an SQLite database the way every store of the project does (the dispatch journal
//! here, the reference backend's orders): WAL, full sync, a busy timeout, and a
//! `schema_version` table checked and migrated in one immediate transaction. A database of a
//! newer schema than the build's is refused; a new one gets the first schema and every
//! migration.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

/// A database's schema, as one build writes it.
pub struct Schema<'a> {
    /// The version this build writes (1 and up).
    pub version: i64,
    /// The tables of version 1, `schema_version` among them.
    pub initial: &'a str,
    /// The steps since version 1: `migrations[0]` takes a database from version 1 to 2, and so
    /// on; as many as `version - 1`.
    pub migrations: &'a [&'a str],
    /// Run at every open once the version is settled, in the same transaction: tables added
    /// without a version of their own (`CREATE TABLE IF NOT EXISTS`); may be empty.
    pub every_open: &'a str,
    /// How long a statement waits for another process's lock.
    pub busy_timeout: Duration,
    /// Turn foreign keys on for the connection.
    pub foreign_keys: bool,
}

/// Why a database could not be opened; the caller names the file.
#[derive(Debug)]
pub enum OpenError {
    /// The file could not be opened at all.
    Open(rusqlite::Error),
    /// A statement failed (a file that is not SQLite fails at the first one).
    Sqlite(rusqlite::Error),
    /// The database is of a newer schema than this build writes.
    NewerSchema { found: i64 },
    /// The `schema_version` table is there but empty.
    MissingVersion,
}

/// Opens (creating if needed) the database at `path` and brings it to `schema`.
pub fn open_migrated(path: &Path, schema: &Schema<'_>) -> Result<Connection, OpenError> {
    let mut conn = Connection::open(path).map_err(OpenError::Open)?;
    migrate(&mut conn, schema)?;
    Ok(conn)
}

/// Sets up an open connection (busy timeout, WAL, full sync, foreign keys if asked) and brings
/// its database to `schema`: creates it when new, migrates an older one, refuses a newer one.
pub fn migrate(conn: &mut Connection, schema: &Schema<'_>) -> Result<(), OpenError> {
    let sql = OpenError::Sqlite;
    // Another process (the duty officer's CLI, another backend) may hold the lock for a moment.
    conn.busy_timeout(schema.busy_timeout).map_err(sql)?;
    // The first statement that reads the file: a file that is not SQLite fails here.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(sql)?;
    // What was written is on disk when its commit returns, WAL or not.
    conn.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
    if schema.foreign_keys {
        conn.pragma_update(None, "foreign_keys", "ON").map_err(sql)?;
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
    let has_version: bool = tx
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n > 0)
        .map_err(sql)?;
    if has_version {
        let found: Option<i64> =
            tx.query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0)).map_err(sql)?;
        match found {
            Some(v) if v > schema.version => return Err(OpenError::NewerSchema { found: v }),
            Some(v) if v < schema.version => {
                // An older database: add what came since, in order, in this transaction.
                for step in &schema.migrations[(v.max(1) - 1) as usize..] {
                    tx.execute_batch(step).map_err(sql)?;
                }
                tx.execute("UPDATE schema_version SET version = ?1", [schema.version]).map_err(sql)?;
            }
            Some(_) => {}
            None => return Err(OpenError::MissingVersion),
        }
    } else {
        tx.execute_batch(schema.initial).map_err(sql)?;
        for step in schema.migrations {
            tx.execute_batch(step).map_err(sql)?;
        }
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [schema.version]).map_err(sql)?;
    }
    if !schema.every_open.is_empty() {
        tx.execute_batch(schema.every_open).map_err(sql)?;
    }
    tx.commit().map_err(sql)
}
