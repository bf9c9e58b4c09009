//! `POST /v1/incidents`: the wall reports an incident (an early-warning alert a duty officer
//! turned into a case), checked against the limits, then made at most once per idempotency key.
//!
//! As for dispatch: the incident is built under the simulation's lock taking only its id, written
//! and committed to the orders database by its writer thread (holding no lock the ticker or the
//! other calls need), and only then put into the simulation and answered; a write that fails
//! answers 500 and nothing appears, so the client's retry with the same key makes it once.
//! Reports are made one at a time behind a gate of their own; a known key answers without it,
//! with the bytes of the first answer.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use twinhall_core::protocol::IncidentReport;

use crate::dispatch::read_request_body;
use crate::orders::ReportRecord;
use crate::{IDEMPOTENT_REPLAYED, Shared, Source, error, limits};

/// The handler.
pub(crate) async fn report(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let key = match limits::check_key(headers.get("idempotency-key")) {
        Ok(k) => k,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let body = match read_request_body(&shared, body, "an incident report").await {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let report = match decode(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    if let Err(e) = report.check() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string());
    }
    // Compared as written from the parsed report: the same body however spaced or ordered.
    let request = match serde_json::to_string(&report) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("the report could not be encoded: {e}")),
    };
    if let Some(answer) = known_key(&shared, &key, &request) {
        return answer;
    }
    // Run to the end even if the client goes away: an incident written must also be applied.
    match tokio::spawn(make_incident(shared, key, report, request)).await {
        Ok(answer) => answer,
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("the report task failed: {e}")),
    }
}

/// The report in `body`; an error names the field a wrong value is in (`body: severity: invalid
/// value: integer `300`, expected u8 ...`), or the missing one.
fn decode(body: &[u8]) -> Result<IncidentReport, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let report: IncidentReport = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." { format!("body: {inner}") } else { format!("body: {path}: {inner}") }
    })?;
    de.end().map_err(|e| format!("body: {e}"))?;
    Ok(report)
}

/// The answer for a key already used: the first answer again, or 422 for another body.
fn known_key(shared: &Shared, key: &str, request: &str) -> Option<Response> {
    let kept = shared.orders.report_for(key)?;
    Some(if kept.request == request {
        created(kept.answer, true)
    } else {
        error(StatusCode::UNPROCESSABLE_ENTITY, "this Idempotency-Key was used with another body")
    })
}

/// `201` with the incident's JSON as first written.
fn created(json: String, replayed: bool) -> Response {
    let mut res = (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], json).into_response();
    if replayed {
        res.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    res
}

async fn make_incident(shared: Arc<Shared>, key: String, report: IncidentReport, request: String) -> Response {
    let _one_at_a_time = shared.orders.report_turn().await;
    // The same key may have been made while this one waited for its turn.
    if let Some(answer) = known_key(&shared, &key, &request) {
        return answer;
    }
    let incident = {
        let mut inner = shared.lock();
        let Source::Sim(sim) = &mut inner.sim else {
            return error(StatusCode::CONFLICT, "this backend replays a recording and takes no incident reports");
        };
        match sim.prepare_report(&report) {
            Ok(i) => i,
            Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        }
    };
    let answer = match serde_json::to_string(&incident) {
        Ok(a) => a,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("the incident could not be encoded: {e}")),
    };
    let record = ReportRecord { key, incident_id: incident.id.clone(), request, answer: answer.clone() };
    // Durable before applied and answered: the incident is on disk before anyone sees it.
    if let Err(e) = shared.orders.store_report(record, twinhall_core::protocol::now_ms()).await {
        tracing::error!("incident {} not made: {e}", incident.id);
        return error(StatusCode::INTERNAL_SERVER_ERROR, "the incident could not be stored; nothing was done");
    }
    let source = report.source.as_ref().map(|s| format!(" from alert {} (rule {})", s.alert_id, s.rule_id));
    tracing::info!(
        "incident {} reported by {}{}: {}",
        incident.id,
        report.reported_by,
        source.unwrap_or_default(),
        incident.title
    );
    let mut inner = shared.lock();
    if let Source::Sim(sim) = &mut inner.sim {
        sim.apply_incident(incident);
    }
    drop(inner);
    created(answer, false)
}
