//! `GET /v1/incidents/history?since=MS&limit=N`: the incidents of the past, for the defence hub's
//! baselines (the simulation keeps every incident it reports, and makes the past up at start);
//! `GET /v1/index/history?since=MS&limit=N`: the governance index reports of the past, for the
//! heartbeat hub's trend lines (the same query, the same limits).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use twinhall_core::protocol::Millis;

use crate::{Shared, error};

/// Incidents a page holds when the call names no `limit`.
pub const HISTORY_DEFAULT_LIMIT: usize = 10_000;
/// The most incidents a page holds, whatever `limit` asks (about 200 bytes each in JSON).
pub const HISTORY_MAX_LIMIT: usize = 50_000;

/// Index reports a page holds, whatever `limit` asks, and when the call names none (about 450
/// bytes each in JSON; the reference backend keeps about 2,300).
pub const INDEX_HISTORY_MAX_LIMIT: usize = 500;

/// What the query asks: `since` (default 0: everything held), `limit` (default
/// [`HISTORY_DEFAULT_LIMIT`], at most [`HISTORY_MAX_LIMIT`] served). Other parameters are
/// ignored; a bad value is an error naming the parameter and the value.
pub fn parse_history_query(query: Option<&str>) -> Result<(Millis, usize), String> {
    parse_query(query, HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT)
}

/// As [`parse_history_query`], for `/v1/index/history`: `limit` at most (and by default)
/// [`INDEX_HISTORY_MAX_LIMIT`].
pub fn parse_index_history_query(query: Option<&str>) -> Result<(Millis, usize), String> {
    parse_query(query, INDEX_HISTORY_MAX_LIMIT, INDEX_HISTORY_MAX_LIMIT)
}

fn parse_query(query: Option<&str>, default_limit: usize, max_limit: usize) -> Result<(Millis, usize), String> {
    let (mut since, mut limit) = (0, default_limit);
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let shown: String = value.chars().take(40).collect();
        match name {
            "since" => {
                since = value
                    .parse::<Millis>()
                    .map_err(|_| format!("since: `{shown}` is not a whole number of milliseconds since 1970"))?;
            }
            "limit" => {
                limit = value.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    format!("limit: `{shown}` is not a whole number from 1 (at most {max_limit} are served)")
                })?;
            }
            _ => {}
        }
    }
    Ok((since, limit.min(max_limit)))
}

/// The history page, JSON encoded off the async workers (a full page is about 10 MB).
pub(crate) async fn incident_history(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let (since, limit) = match parse_history_query(query.as_deref()) {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let Some(page) = shared.lock().sim.history(since, limit) else {
        return error(StatusCode::NOT_FOUND, "this backend replays a recording and keeps no incident history");
    };
    match tokio::task::spawn_blocking(move || serde_json::to_vec(&page)).await {
        Ok(Ok(body)) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("history encoding: {e}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("history task: {e}")),
    }
}

/// The governance index reports kept, a page as for the incidents, at most
/// [`INDEX_HISTORY_MAX_LIMIT`] of them.
pub(crate) async fn index_history(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let (since, limit) = match parse_index_history_query(query.as_deref()) {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let Some(page) = shared.lock().sim.index_history(since, limit) else {
        return error(StatusCode::NOT_FOUND, "this backend replays a recording and keeps no index history");
    };
    match tokio::task::spawn_blocking(move || serde_json::to_vec(&page)).await {
        Ok(Ok(body)) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("index history encoding: {e}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("index history task: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_has_defaults_a_cap_and_clear_errors() {
        assert_eq!(parse_history_query(None), Ok((0, HISTORY_DEFAULT_LIMIT)));
        assert_eq!(parse_history_query(Some("since=1764300000000&limit=5")), Ok((1_764_300_000_000, 5)));
        assert_eq!(parse_history_query(Some("limit=999999999&x=y&")), Ok((0, HISTORY_MAX_LIMIT)));
        assert_eq!(parse_history_query(Some("since=-5")), Ok((-5, HISTORY_DEFAULT_LIMIT)));
        let e = parse_history_query(Some("since=yesterday")).expect_err("bad since");
        assert_eq!(e, "since: `yesterday` is not a whole number of milliseconds since 1970");
        for bad in ["limit=0", "limit=-1", "limit=ten", "limit="] {
            let e = parse_history_query(Some(bad)).expect_err(bad);
            assert!(e.starts_with("limit: `") && e.contains("at most 50000"), "{e}");
        }
    }

    /// `--hotspot` reads its value with `InjectedHotspot::parse`.
    #[test]
    fn hotspot_specs_read_or_say_what_is_wrong() {
        use twinhall_core::protocol::IncidentCategory;
        use twinhall_core::sim::InjectedHotspot;
        let h = |s: &str| InjectedHotspot::parse(s).map(|h| (h.grid_id, h.category, h.factor));
        assert_eq!(h("A4-37"), Ok(("A4-37".into(), None, 8.0)));
        assert_eq!(h("A4-37:dispute"), Ok(("A4-37".into(), Some(IncidentCategory::Dispute), 8.0)));
        assert_eq!(h("A4-37:public_order:2.5"), Ok(("A4-37".into(), Some(IncidentCategory::PublicOrder), 2.5)));
        assert_eq!(h("A4-37:all:20"), Ok(("A4-37".into(), None, 20.0)));
        assert_eq!(h("A4-37::3"), Ok(("A4-37".into(), None, 3.0)));
        assert!(h("").expect_err("no grid").contains("no grid id"));
        assert!(h("A4-1:blaze").expect_err("category").contains("`blaze` is none of all, dispute"));
        for bad in ["A4-1:fire:0", "A4-1:fire:-2", "A4-1:fire:x", "A4-1:fire:NaN", "A4-1:fire:1e9"] {
            assert!(h(bad).expect_err(bad).starts_with("factor `"), "{bad}");
        }
        assert!(h("A4-1:fire:2:9").expect_err("extra").contains("`9` after the factor"));
    }

    #[test]
    fn the_index_query_has_its_own_cap() {
        assert_eq!(parse_index_history_query(None), Ok((0, INDEX_HISTORY_MAX_LIMIT)));
        assert_eq!(parse_index_history_query(Some("since=7&limit=20")), Ok((7, 20)));
        assert_eq!(parse_index_history_query(Some("limit=100000")), Ok((0, INDEX_HISTORY_MAX_LIMIT)));
        let e = parse_index_history_query(Some("limit=0")).expect_err("limit 0");
        assert!(e.starts_with("limit: `0`") && e.contains("at most 500"), "{e}");
    }
}
