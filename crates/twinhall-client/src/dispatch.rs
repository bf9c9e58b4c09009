//! `POST /v1/dispatch` (and any call made once per idempotency key, such as `POST /v1/incidents`):
//! one key for every attempt, so a request whose answer was lost and is sent again is carried out
//! once; a 4xx is final, anything else is retried with backoff.

use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use twinhall_core::protocol::{DispatchOrder, DispatchRequest};
use twinhall_core::redact::redact_url;

use crate::ClientConfig;
use crate::backoff::{Backoff, seed};
use crate::http::{read_body, read_prefix, without_url};
use crate::outbox::SendError;

/// Largest dispatch answer read (an order is a few hundred bytes).
const MAX_ANSWER_BYTES: usize = 1 << 20;
/// Largest part of an error answer read; the rest is left unread.
const MAX_ERROR_BYTES: usize = 64 << 10;

/// A fresh idempotency key: time, process and a counter, unique per dispatch.
pub fn idempotency_key() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("twinhall-{:x}-{:x}-{:x}", t, std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `POST /v1/dispatch` with `key`, retried on transport errors and 5xx answers (the response may
/// have been lost after the backend stored the order; the key makes the retry return it).
pub async fn dispatch(
    http: &reqwest::Client,
    config: &ClientConfig,
    request: &DispatchRequest,
    key: &str,
    attempts: u32,
) -> Result<DispatchOrder, String> {
    send_dispatch(http, config, request, key, attempts).await.map_err(|e| match e {
        SendError::Rejected(reason) => format!("dispatch refused: {reason}"),
        SendError::Unconfirmed(cause) => cause,
    })
}

/// [`dispatch`], telling a refusal (4xx other than 408 and 429: final, with the backend's
/// `{"error": ...}` message) from no answer (transport errors, timeouts, 408, 429, 5xx and
/// unreadable answers, after `attempts` tries with the same key). Answers are read up to a size
/// limit (1 MiB; 64 KiB of an error's text).
pub async fn send_dispatch(
    http: &reqwest::Client,
    config: &ClientConfig,
    request: &DispatchRequest,
    key: &str,
    attempts: u32,
) -> Result<DispatchOrder, SendError> {
    post_once(http, config, "/v1/dispatch", "dispatch", request, key, attempts).await
}

/// POSTs `request` to `path` with `Idempotency-Key: key` up to `attempts` times, as
/// [`send_dispatch`] says; `what` names the call in errors and logs.
pub(crate) async fn post_once<Q: Serialize, A: DeserializeOwned>(
    http: &reqwest::Client,
    config: &ClientConfig,
    path: &str,
    what: &str,
    request: &Q,
    key: &str,
    attempts: u32,
) -> Result<A, SendError> {
    let url = format!("{}{path}", config.base_url);
    let shown = redact_url(&url);
    let mut backoff = Backoff::new(config.backoff_base, config.backoff_cap, config.stable_after, seed());
    let mut last = String::new();
    for attempt in 0..attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(backoff.next_delay()).await;
        }
        let sent = http.post(&url).header("Idempotency-Key", key).json(request).send().await;
        match sent {
            Ok(mut r) if r.status().is_success() => {
                let body = read_body(&mut r, MAX_ANSWER_BYTES, config.io_timeout, |_| {})
                    .await
                    .map_err(|e| e.describe(&format!("{what} answer from"), &shown));
                match body.and_then(|b| serde_json::from_slice(&b).map_err(|e| format!("{what} answer: {e}"))) {
                    Ok(answer) => return Ok(answer),
                    Err(e) => last = e,
                }
            }
            Ok(mut r)
                if r.status().is_client_error()
                    && r.status() != StatusCode::REQUEST_TIMEOUT
                    && r.status() != StatusCode::TOO_MANY_REQUESTS =>
            {
                let status = r.status();
                let text = String::from_utf8_lossy(&read_prefix(&mut r, MAX_ERROR_BYTES, config.io_timeout).await)
                    .into_owned();
                let message = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(|e| e.chars().take(500).collect()))
                    .unwrap_or_else(|| {
                        let text: String = text.chars().take(200).collect();
                        if text.trim().is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {text}") }
                    });
                return Err(SendError::Rejected(message));
            }
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = without_url(&e),
        }
        tracing::warn!("{what} to {shown}: attempt {} failed: {last}", attempt + 1);
    }
    Err(SendError::Unconfirmed(format!("{what} failed after {} attempts: {last}", attempts.max(1))))
}
