//! The backend's limits, in one place: what a dispatch request may hold (the protocol states
//! these, docs/feed-protocol.md), how long idempotency keys are kept, and what a connection may
//! cost (timeouts and a cap, so slow or idle sockets cannot starve the wall's streams).

use std::time::Duration;

use twinhall_core::protocol::DispatchRequest;

/// The longest `Idempotency-Key`, in bytes.
pub const MAX_KEY_BYTES: usize = 200;
/// The most units one dispatch may send.
pub const MAX_UNITS: usize = 64;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// The largest request body, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Limits the server runs with; [`Default`] gives the documented defaults.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Idempotency keys older than this are dropped (a retry after it makes a new order).
    pub key_retention: Duration,
    /// A request's head (and a dispatch's body) must arrive within this from when the server
    /// starts waiting for it; a kept-alive connection that sends nothing for this long is closed.
    pub header_read_timeout: Duration,
    /// A connection that moves no byte either way for this long is closed (a stalled upload, a
    /// client that stopped reading its stream).
    pub idle_timeout: Duration,
    /// Connections served at once; one more is answered `503` and closed.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            key_retention: Duration::from_secs(24 * 3600),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
        }
    }
}

/// Why an `Idempotency-Key` header is refused, if it is.
pub fn check_key(key: Option<&axum::http::HeaderValue>) -> Result<String, String> {
    let Some(value) = key else {
        return Err("an Idempotency-Key header is required".into());
    };
    if value.len() > MAX_KEY_BYTES {
        return Err(format!("the Idempotency-Key is {} bytes; at most {MAX_KEY_BYTES} are allowed", value.len()));
    }
    let key = value.to_str().map_err(|_| "the Idempotency-Key must be visible ASCII".to_owned())?;
    if key.trim().is_empty() {
        return Err("the Idempotency-Key is empty".into());
    }
    Ok(key.to_owned())
}

/// Why a dispatch request is refused before the simulation sees it, if it is.
pub fn check_request(r: &DispatchRequest) -> Result<(), String> {
    if r.unit_ids.len() > MAX_UNITS {
        return Err(format!("{} unit_ids; at most {MAX_UNITS} per dispatch", r.unit_ids.len()));
    }
    let mut seen = std::collections::HashSet::with_capacity(r.unit_ids.len());
    if let Some(twice) = r.unit_ids.iter().find(|u| !seen.insert(u.as_str())) {
        return Err(format!("unit_ids lists `{twice}` more than once"));
    }
    let chars = r.note.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(format!("the note is {chars} characters; at most {MAX_NOTE_CHARS} are allowed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn req(units: &[&str], note: &str) -> DispatchRequest {
        DispatchRequest {
            incident_id: "I-1".into(),
            unit_ids: units.iter().map(|u| (*u).to_owned()).collect(),
            note: note.into(),
        }
    }

    #[test]
    fn keys_are_bounded_and_ascii() {
        assert!(check_key(None).is_err());
        let at_limit = "k".repeat(MAX_KEY_BYTES);
        assert_eq!(check_key(Some(&HeaderValue::from_str(&at_limit).expect("value"))), Ok(at_limit.clone()));
        let over = format!("{at_limit}k");
        let e = check_key(Some(&HeaderValue::from_str(&over).expect("value"))).expect_err("too long");
        assert!(e.contains("201 bytes") && e.contains("200"), "{e}");
        let bytes = HeaderValue::from_bytes("键".as_bytes()).expect("value");
        assert!(check_key(Some(&bytes)).expect_err("not ASCII").contains("ASCII"));
    }

    #[test]
    fn units_notes_and_repeats_are_bounded() {
        let many: Vec<String> = (0..=MAX_UNITS).map(|i| format!("U-{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(check_request(&req(&many, "")).expect_err("too many").contains("65 unit_ids"));
        assert!(check_request(&req(&many[..MAX_UNITS], "")).is_ok());
        assert!(check_request(&req(&["U-1", "U-2", "U-1"], "")).expect_err("repeat").contains("`U-1`"));
        // Characters, not bytes: 2000 Chinese characters are 6000 bytes and allowed.
        assert!(check_request(&req(&["U-1"], &"字".repeat(MAX_NOTE_CHARS))).is_ok());
        let e = check_request(&req(&["U-1"], &"字".repeat(MAX_NOTE_CHARS + 1))).expect_err("long note");
        assert!(e.contains("2001 characters"), "{e}");
    }
}
