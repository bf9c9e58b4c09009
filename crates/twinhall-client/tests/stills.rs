//! Camera stills from a hostile backend on a real loopback socket: an 11000 × 11000 PNG (a small
//! file that decodes to gigabytes) and a 50 MiB body are refused, with an error that names the
//! URL (secrets removed) and the sizes, and the process's peak memory barely moves.

mod support;

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use support::{peak_rss_bytes, respond, serve};
use twinhall_client::{ClientConfig, ClientStats, FeedClient};

/// Memory is measured per process: these tests run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// A valid 11000 × 11000 8-bit grey PNG, all black: about 120 kB on the wire, 121 MB as grey
/// pixels and 484 MB as the RGBA the wall draws. Written row by row, never whole in memory.
fn huge_png() -> &'static [u8] {
    static PNG: OnceLock<Vec<u8>> = OnceLock::new();
    PNG.get_or_init(|| {
        let side = 11_000u32;
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("header");
        let mut stream = writer.stream_writer().expect("stream");
        let row = vec![0u8; side as usize];
        for _ in 0..side {
            stream.write_all(&row).expect("row");
        }
        stream.finish().expect("finish");
        writer.finish().expect("end");
        out
    })
}

fn client(base: &str) -> FeedClient {
    FeedClient::spawn(ClientConfig::new(base, "")).expect("client")
}

#[test]
fn an_11000_square_png_is_refused_from_its_header_without_allocating_its_pixels() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let png = huge_png();
    assert!(png.len() < 2 << 20, "the hostile file is small: {} bytes", png.len());
    let backend = serve(move |_, s| respond(s, "200 OK", "image/png", png));
    let client = client(&backend.base);
    let before = peak_rss_bytes();
    let result = client
        .fetch_still("/v1/cameras/C1/snapshot.jpg?token=s3cret")
        .recv_timeout(Duration::from_secs(20))
        .expect("an answer");
    let grown = peak_rss_bytes().saturating_sub(before);
    let err = result.expect_err("refused");
    println!("{err}; peak memory grew {} kB", grown / 1024);
    assert!(err.contains("11000x11000") && err.contains("16000000"), "{err}");
    assert!(err.contains("/v1/cameras/C1/snapshot.jpg?token=***") && !err.contains("s3cret"), "{err}");
    assert_eq!(ClientStats::get(&client.stats().refused_stills), 1);
    assert!(grown < 32 << 20, "peak memory grew {grown} bytes");
}

#[test]
fn a_50_mib_body_is_refused_whether_declared_or_not() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let backend = serve(|req, s| {
        let declared = req.target.contains("declared");
        let head = if declared {
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                50 << 20
            )
        } else {
            "HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\nconnection: close\r\n\r\n".to_owned()
        };
        let _ = s.write_all(head.as_bytes());
        let piece = vec![0xAB; 64 << 10];
        for _ in 0..800 {
            if s.write_all(&piece).is_err() {
                return;
            }
        }
    });
    let mut config = ClientConfig::new(&backend.base, "");
    config.max_still_bytes = 2 << 20;
    let client = FeedClient::spawn(config).expect("client");
    let before = peak_rss_bytes();
    let declared = client.fetch("/declared.jpg?sig=abc").recv_timeout(Duration::from_secs(20)).expect("answer");
    let err = declared.expect_err("refused by its Content-Length");
    assert!(err.contains("52428800 bytes declared") && err.contains("limit of 2097152"), "{err}");
    assert!(err.contains("sig=***") && !err.contains("abc"), "{err}");
    let streamed = client.fetch("/endless.jpg").recv_timeout(Duration::from_secs(20)).expect("answer");
    let err = streamed.expect_err("refused once past the limit");
    assert!(err.contains("/endless.jpg") && err.contains("more than the limit of 2097152"), "{err}");
    let grown = peak_rss_bytes().saturating_sub(before);
    println!("peak memory grew {} kB for two 50 MiB bodies", grown / 1024);
    assert!(grown < 24 << 20, "peak memory grew {grown} bytes");
    assert_eq!(ClientStats::get(&client.stats().refused_stills), 2);
}
