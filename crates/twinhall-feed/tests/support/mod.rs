//! What the hardening tests share: the real `twinhall-feed` binary started on port 0 with its log
//! kept, temporary directories, and a look into its orders database through SQLite.

#![allow(dead_code, reason = "each test file uses a part")]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub child: Child,
    pub base: String,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// `host:port` of the server.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    /// Stops the server (SIGKILL) and returns everything it logged.
    pub fn logs(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real binary with `args` (plus a small generated city unless `args` names one) and
/// reads the address it bound from its first stdout line.
pub fn start(listen: &str, args: &[&str]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_twinhall-feed"));
    cmd.args(["--listen", listen]);
    if !args.contains(&"--city") {
        cmd.args(["--city", "generated:300", "--units", "8", "--incidents", "12", "--incident-rate", "0"]);
    }
    let mut child = cmd
        .args(args)
        .env("RUST_LOG", "info")
        .env_remove("TWINHALL_FEED_TOKEN")
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
    let mut server = Server { child, base: String::new(), stderr: Some(stderr) };
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read the address line");
    let Some(base) = line.trim().strip_prefix("listening on ") else {
        let logs = server.logs();
        panic!("unexpected first line {line:?}; the server logged:\n{logs}");
    };
    server.base = base.to_owned();
    server
}

/// Runs the binary to its end (for a start that must fail); returns the exit code and stderr.
pub fn run_to_end(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_twinhall-feed"))
        .args(["--listen", "127.0.0.1:0", "--city", "generated:100"])
        .args(args)
        .output()
        .expect("the binary runs");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

pub fn temp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hardening-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// `SELECT count(*)` of a query over the orders database, read by this process.
pub fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the orders database opens");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(20)).build().expect("client")
}

/// Raises this process's soft open-files limit to its hard limit (the servers it starts inherit
/// it); returns the limit in force.
pub fn raise_open_files() -> u64 {
    twinhall_feed::net::raise_open_files_limit().expect("getrlimit")
}

/// The resident memory of a process, in KiB, from /proc.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}
