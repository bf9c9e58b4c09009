//! Test helpers: `xvfb-run` for the rendering tests, and a real HTTP tile server on loopback
//! that draws its own tiles. Each test binary uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command};
use std::time::Instant;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// `xvfb-run` on the PATH: the rendering tests draw with the real binary on a virtual display.
/// `.ci/setup` installs it, so a machine without it fails the test rather than passing it unrun.
pub fn xvfb_run() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|path| path.to_str()?.split(':').map(|d| Path::new(d).join("xvfb-run")).find(|p| p.is_file()))
        .expect("xvfb-run is not installed: run `bash .ci/setup` (Debian package xvfb) to render these tests")
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// The port a wall started with `--control 127.0.0.1:0` bound, read from its log (`dir/log_name`)
/// within `secs`: a port found free by [`free_port`] and let go may be taken by another test
/// before the wall binds it.
pub fn control_port(dir: &Path, log_name: &str, secs: u64) -> u16 {
    const SAID: &str = "control API listening on http://127.0.0.1:";
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let log = std::fs::read_to_string(dir.join(log_name)).unwrap_or_default();
        let port = log.lines().find_map(|l| {
            let rest = &l[l.find(SAID)? + SAID.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u16>().ok().filter(|p| *p != 0)
        });
        if let Some(port) = port {
            return port;
        }
        if Instant::now() > deadline {
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!("{log_name}: no `{SAID}…` within {secs} s; the log ends:\n{}", tail.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A running app, killed with its Xvfb (its whole process group) when dropped.
pub struct Wall(pub Child);

impl Drop for Wall {
    fn drop(&mut self) {
        // xvfb-run leads its own process group: end the wall and the X server with it.
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.wait();
    }
}

/// The control API of a running wall, as a tablet or a script calls it.
pub struct Api {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    pub fn new(port: u16, token: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(90)).build().expect("client");
        Self { rt, http, base: format!("http://127.0.0.1:{port}"), token: token.to_owned() }
    }

    pub fn send(&self, method: &str, path: &str, body: Option<&str>, token: Option<&str>) -> (u16, Vec<u8>) {
        let url = format!("{}{path}", self.base);
        let mut req = if method == "GET" { self.http.get(url) } else { self.http.post(url) };
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_owned());
        }
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        self.rt.block_on(async {
            match req.send().await {
                Ok(r) => (r.status().as_u16(), r.bytes().await.map(|b| b.to_vec()).unwrap_or_default()),
                Err(_) => (0, Vec::new()),
            }
        })
    }

    pub fn json(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let (s, b) = self.send(method, path, body, Some(&self.token.clone()));
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    pub fn screenshot(&self) -> image::RgbImage {
        let (s, png) = self.send("GET", "/v1/screenshot.png", None, Some(&self.token));
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&png));
        image::load_from_memory_with_format(&png, image::ImageFormat::Png).expect("a PNG").to_rgb8()
    }

    /// Polls `what` until it gives something, or fails naming it.
    pub fn wait<T>(&self, what: &str, secs: u64, dir: &Path, f: impl FnMut(&Self) -> Option<T>) -> T {
        self.wait_log(what, secs, dir, "wall.log", f)
    }

    /// [`Api::wait`], with the log of the app to show (a file in `dir`) named.
    pub fn wait_log<T>(
        &self,
        what: &str,
        secs: u64,
        dir: &Path,
        log_name: &str,
        mut f: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(t) = f(self) {
                return t;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join(log_name)).unwrap_or_default();
                let tail: String =
                    log.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
                panic!("{what}: not within {secs} s; the wall's log ends:\n{tail}");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// The reference backend (in this process) for `sim` on a port of its own, with `token` and a
/// batch every `tick`; lives as long as the runtime. Returns the runtime and the base URL.
pub fn backend(
    sim: twinhall_core::sim::SimConfig,
    token: &str,
    tick: Duration,
    dir: &Path,
) -> (tokio::runtime::Runtime, String) {
    let city = twinhall_core::load::load_source(
        &twinhall_core::config::CitySource::parse("embedded:helsinki").expect("source"),
        &twinhall_core::config::CityConfig::default(),
    )
    .expect("the demo city");
    let sim = twinhall_core::sim::Simulation::new(&city, sim);
    let config = twinhall_feed::ServerConfig {
        token: token.into(),
        tick,
        history: 100,
        orders_path: dir.join("orders.jsonl"),
        record: None,
    };
    let shared = twinhall_feed::shared(twinhall_feed::Source::Sim(Box::new(sim)), config).expect("state");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    rt.spawn(twinhall_feed::serve(listener, shared));
    (rt, url)
}

/// A PNG tile of one colour.
pub fn png(rgb: [u8; 3], size: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(size, size, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode png");
    out.into_inner()
}

/// Serves `/{z}/{x}/{y}.png` as solid `colour` tiles; y == 13 answers 404, x == 13 answers
/// bytes that are not an image. Stops when dropped.
pub struct TileServer {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

impl TileServer {
    pub fn start(colour: [u8; 3]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (requests.clone(), stop.clone());
        let tile = png(colour, 256);
        let accept = thread::spawn(move || {
            // Bounded: the server lives at most two minutes even if a test forgets it.
            for _ in 0..(120_000 / 5) {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                match listener.accept() {
                    Ok((stream, _)) => {
                        r.fetch_add(1, Ordering::SeqCst);
                        let tile = tile.clone();
                        thread::spawn(move || serve(stream, &tile));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self { port, requests, stop, accept: Some(accept) }
    }

    pub fn template(&self) -> String {
        format!("http://127.0.0.1:{}/{{z}}/{{x}}/{{y}}.png?tk=secret-token-123", self.port)
    }
}

impl Drop for TileServer {
    fn drop(&mut self) {
        // Gone once dropped: the accepting thread has ended and closed the listener (a fixed
        // wait let a descheduled thread accept one more request after the test said it was gone).
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(mut stream: TcpStream, tile: &[u8]) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h == "\r\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let parts: Vec<u32> = path
        .split('?')
        .next()
        .unwrap_or("")
        .trim_end_matches(".png")
        .split('/')
        .filter_map(|p| p.parse().ok())
        .collect();
    let (status, body): (&str, Vec<u8>) = match parts.as_slice() {
        [_, _, 13] => ("404 Not Found", b"no such tile".to_vec()),
        [_, 13, _] => ("200 OK", b"this is not a png".to_vec()),
        [_, _, _] => ("200 OK", tile.to_vec()),
        _ => ("400 Bad Request", Vec::new()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}
