//! The HTTP side: the reqwest client (rustls, the bearer token as a sensitive header), bodies read
//! under a size limit, error texts without URLs, and a warning when the token would travel in
//! clear.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use twinhall_core::redact::redact_url;

use crate::ClientConfig;

/// Builds the reqwest client with rustls (ring) and the configured extra roots. Warns once when
/// the token would be sent over plain http to another machine ([`warn_if_token_in_clear`]).
pub fn http_client(config: &ClientConfig) -> Result<reqwest::Client, String> {
    // Installing twice is harmless: the first provider stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = HeaderMap::new();
    if !config.token.is_empty() {
        let mut v = HeaderValue::from_str(&format!("Bearer {}", config.token))
            .map_err(|_| "feed.token: not a valid HTTP header value".to_owned())?;
        v.set_sensitive(true);
        headers.insert(AUTHORIZATION, v);
        warn_if_token_in_clear(&config.base_url, &config.token);
    }
    let mut builder = reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(config.io_timeout)
        .read_timeout(config.io_timeout.max(config.stale_after * 2))
        .user_agent(concat!("twinhall/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = &config.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| format!("CA certificates: {e}"))?;
        if certs.is_empty() {
            return Err("CA certificates: no certificate in the PEM".into());
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| format!("HTTP client: {e}"))
}

/// The host a bearer token would reach unencrypted: `Some(host)` when `token` is set, `base_url`
/// is plain `http://` and its host is not this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn token_in_clear(base_url: &str, token: &str) -> Option<String> {
    if token.is_empty() {
        return None;
    }
    let (scheme, rest) = base_url.trim().split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    }
    .to_ascii_lowercase();
    let loopback =
        host == "localhost" || host.ends_with(".localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    (!loopback).then_some(host)
}

/// Warns, once per host in this process, that the token goes to `base_url` unencrypted (anyone on
/// the path can read and reuse it). Returns whether it does, warned now or before.
pub fn warn_if_token_in_clear(base_url: &str, token: &str) -> bool {
    static WARNED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let Some(host) = token_in_clear(base_url, token) else { return false };
    let first = WARNED.lock().map(|mut w| w.get_or_insert_with(HashSet::new).insert(host)).unwrap_or(true);
    if first {
        tracing::warn!(
            "feed {}: the bearer token is sent over plain http to another machine, readable on the way; \
             use https:// (feed.ca_file for a private CA)",
            redact_url(base_url)
        );
    }
    true
}

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Larger than `max` bytes: `declared` by its Content-Length, or found while reading.
    TooLarge { max: usize, declared: Option<u64> },
    /// No piece within the timeout.
    Silent,
    /// The connection broke: the cause, without the URL.
    Broken(String),
}

impl BodyError {
    /// The error for the body of `what` at `shown` (a URL already redacted).
    pub(crate) fn describe(&self, what: &str, shown: &str) -> String {
        match self {
            Self::TooLarge { max, declared: Some(n) } => {
                format!("{what} {shown}: refused: {n} bytes declared, over the limit of {max} bytes")
            }
            Self::TooLarge { max, declared: None } => {
                format!("{what} {shown}: refused: more than the limit of {max} bytes")
            }
            Self::Silent => format!("{what} {shown}: the backend stopped sending"),
            Self::Broken(e) => format!("{what} {shown}: cut off: {e}"),
        }
    }
}

/// Why the next piece of a body did not come.
#[derive(Debug)]
pub(crate) enum ChunkError {
    /// Not within the timeout.
    Silent,
    /// The connection broke: the cause, without the URL.
    Broken(String),
}

impl From<ChunkError> for BodyError {
    fn from(e: ChunkError) -> Self {
        match e {
            ChunkError::Silent => Self::Silent,
            ChunkError::Broken(cause) => Self::Broken(cause),
        }
    }
}

/// Reads the next piece of a body, or fails when none comes within `timeout`.
pub(crate) async fn chunk(r: &mut reqwest::Response, timeout: Duration) -> Result<Option<bytes::Bytes>, ChunkError> {
    match tokio::time::timeout(timeout, r.chunk()).await {
        Err(_) => Err(ChunkError::Silent),
        Ok(Err(e)) => Err(ChunkError::Broken(without_url(&e))),
        Ok(Ok(c)) => Ok(c),
    }
}

/// Reads a whole body of at most `max` bytes, each piece within `timeout`. A body that declares
/// more is refused before any of it is read; one that sends more is dropped once past `max`, so
/// it never holds more than `max` plus one piece. `counted` sees every piece's size.
pub(crate) async fn read_body(
    r: &mut reqwest::Response,
    max: usize,
    timeout: Duration,
    mut counted: impl FnMut(usize),
) -> Result<Vec<u8>, BodyError> {
    if let Some(n) = r.content_length().filter(|&n| n > max as u64) {
        return Err(BodyError::TooLarge { max, declared: Some(n) });
    }
    let mut body = Vec::with_capacity(r.content_length().unwrap_or(0) as usize);
    while let Some(c) = chunk(r, timeout).await? {
        counted(c.len());
        if body.len() + c.len() > max {
            return Err(BodyError::TooLarge { max, declared: None });
        }
        body.extend_from_slice(&c);
    }
    Ok(body)
}

/// The first `max` bytes of a body (an error's explanation), the rest left unread; whatever
/// arrived before a timeout or break.
pub(crate) async fn read_prefix(r: &mut reqwest::Response, max: usize, timeout: Duration) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < max {
        match chunk(r, timeout).await {
            Ok(Some(c)) => body.extend_from_slice(&c[..c.len().min(max - body.len())]),
            _ => break,
        }
    }
    body
}

/// A reqwest error's text without its URL (the caller names the URL, redacted): what went wrong,
/// then the chain of causes below it.
pub(crate) fn without_url(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "response body broken"
    } else if e.is_request() {
        "request failed"
    } else {
        "HTTP error"
    }
    .to_owned();
    // The innermost cause says what happened ("Connection refused"); the layers above repeat it.
    let mut inner = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        inner = Some(s.to_string());
        source = s.source();
    }
    if let Some(inner) = inner {
        text.push_str(": ");
        text.push_str(&inner);
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn a_token_in_clear_is_found_only_for_plain_http_to_another_machine() {
        let t = "s3cret";
        assert_eq!(token_in_clear("http://10.0.0.5:8600", t).as_deref(), Some("10.0.0.5"));
        assert_eq!(token_in_clear("HTTP://Feed.Example/v1", t).as_deref(), Some("feed.example"));
        assert_eq!(token_in_clear("http://u:p@[2001:db8::1]:80/", t).as_deref(), Some("2001:db8::1"));
        for safe in [
            "https://feed.example",
            "http://127.0.0.1:8600",
            "http://127.1.2.3",
            "http://localhost:8600/",
            "http://wall.localhost",
            "http://[::1]:8600",
        ] {
            assert_eq!(token_in_clear(safe, t), None, "{safe}");
        }
        assert_eq!(token_in_clear("http://10.0.0.5", ""), None, "no token, nothing to leak");
    }

    /// Collects what tracing writes on this thread.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_client_warns_once_when_its_token_would_travel_in_clear_and_never_shows_the_token() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let flagged = tracing::subscriber::with_default(subscriber, || {
            let mut config = ClientConfig::new("http://feeder:pw@192.0.2.7:8600/?token=urltok", "hunter2-token");
            http_client(&config).expect("client");
            http_client(&config).expect("client again");
            let again = warn_if_token_in_clear(&config.base_url, &config.token);
            config.base_url = "https://192.0.2.7:8600".into();
            http_client(&config).expect("https client");
            again
        });
        assert!(flagged, "the risk is reported every time it is asked");
        let log = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf8");
        assert_eq!(log.matches("plain http").count(), 1, "warned once: {log}");
        assert!(log.contains("192.0.2.7"), "{log}");
        for secret in ["hunter2-token", "urltok", "pw@"] {
            assert!(!log.contains(secret), "{secret} in {log}");
        }
    }
}
