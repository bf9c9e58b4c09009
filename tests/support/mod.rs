//! Test helpers: `xvfb-run` for the rendering tests, and a real HTTP tile server on loopback
//! that draws its own tiles. Each test binary uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
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
        thread::spawn(move || {
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
        Self { port, requests, stop }
    }

    pub fn template(&self) -> String {
        format!("http://127.0.0.1:{}/{{z}}/{{x}}/{{y}}.png?tk=secret-token-123", self.port)
    }
}

impl Drop for TileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(20));
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
