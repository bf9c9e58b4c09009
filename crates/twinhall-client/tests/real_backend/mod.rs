//! The real `twinhall-feed` backend for the client's tests against it: its command line
//! (`twinhall_feed::cli`, a dev-dependency) run in a process of its own on port 0 with its log
//! kept, temporary directories, and a look into its orders database through SQLite.
//!
//! A test of another crate gets no `CARGO_BIN_EXE_twinhall-feed`, so the process is this test
//! binary run again with only its `serve_feed` test (each test file that starts a backend has
//! one, calling [`serve_feed`]), which runs the backend's command line with the arguments given
//! after `--` and exits with its code. Its stdout begins with the test runner's own lines;
//! [`first_line`] skips them.

#![allow(dead_code, reason = "each test file uses a part")]

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};

/// Set in the environment of a test binary run again to be the backend.
const SERVE_ENV: &str = "TWINHALL_TEST_SERVE_FEED";

/// `twinhall-feed` as a command: add its arguments with `.args(...)` as for the binary.
pub fn feed_command() -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args(["serve_feed", "--exact", "--ignored", "--nocapture", "--test-threads=1", "--quiet", "--"])
        .env(SERVE_ENV, "1");
    cmd
}

/// The body of a test file's `serve_feed` test: in a process [`feed_command`] started, runs the
/// backend's command line and exits with its code; anywhere else it returns at once.
pub fn serve_feed() {
    if std::env::var_os(SERVE_ENV).is_none() {
        return;
    }
    let args: Vec<OsString> = std::env::args_os().collect();
    let rest = args.iter().position(|a| a == "--").map_or(&[][..], |i| &args[i + 1..]);
    let code =
        twinhall_feed::cli::main_from(std::iter::once(OsString::from("twinhall-feed")).chain(rest.iter().cloned()));
    std::process::exit(if code == ExitCode::SUCCESS {
        0
    } else if code == ExitCode::from(2) {
        2
    } else {
        1
    });
}

/// The backend's first line on stdout (with the bound address), past the test runner's lines
/// ("running 1 test" and blank ones); `None` if stdout ends first.
pub fn first_line(stdout: ChildStdout) -> Option<String> {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with("running ") {
            return Some(line);
        }
    }
}

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

/// Starts the backend with `args` (plus a small generated city unless `args` names one) and
/// reads the address it bound from its first stdout line.
pub fn start(listen: &str, args: &[&str]) -> Server {
    let mut cmd = feed_command();
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
    let line = first_line(stdout).expect("read the address line");
    let Some(base) = line.trim().strip_prefix("listening on ") else {
        let logs = server.logs();
        panic!("unexpected first line {line:?}; the server logged:\n{logs}");
    };
    server.base = base.to_owned();
    server
}

/// Runs the backend to its end (for a start that must fail); returns the exit code and stderr.
pub fn run_to_end(args: &[&str]) -> (Option<i32>, String) {
    let out = feed_command()
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
