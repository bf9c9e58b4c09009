//! `POST /v1/dispatch`: checked against the limits, then made at most once per idempotency key.
//!
//! The order is built without touching the simulation, written and committed to the orders
//! database by its writer thread (holding no lock the ticker or other calls need), and only then
//! carried out; a write that fails answers 500 and changes nothing, so the client's retry with
//! the same key makes the order once. Orders are made one at a time (their ids come from the
//! simulation's counter), behind a gate only dispatches wait on; a known key answers without it.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use twinhall_core::protocol::{DispatchOrder, DispatchRequest};

use crate::limits::{self, MAX_BODY_BYTES};
use crate::orders::OrderRecord;
use crate::{IDEMPOTENT_REPLAYED, Inner, Shared, Source, error};

/// The handler.
pub(crate) async fn dispatch(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let key = match limits::check_key(headers.get("idempotency-key")) {
        Ok(k) => k,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let body = match read_request_body(&shared, body, "a dispatch").await {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let request: DispatchRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("body: {e}")),
    };
    if let Err(e) = limits::check_request(&request) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, e);
    }
    if let Some(answer) = known_key(&shared.lock(), &key, &request) {
        return answer;
    }
    // Run to the end even if the client goes away: an order written must also be applied.
    match tokio::spawn(make_order(shared, key, request)).await {
        Ok(answer) => answer,
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("the dispatch task failed: {e}")),
    }
}

/// Reads a request body of at most [`MAX_BODY_BYTES`]: `413` when larger (`what` names the call
/// in the message), `408` when it does not arrive within the header-read timeout (a body sent a
/// byte at a time holds a connection), `400` when it breaks off.
pub(crate) async fn read_request_body(shared: &Shared, body: Body, what: &str) -> Result<Bytes, Response> {
    let read = tokio::time::timeout(shared.limits.header_read_timeout, axum::body::to_bytes(body, MAX_BODY_BYTES));
    match read.await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) if is_too_large(&e) => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is over {MAX_BODY_BYTES} bytes, the most {what} may send"),
        )),
        Ok(Err(e)) => Err(error(StatusCode::BAD_REQUEST, format!("body: {e}"))),
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body did not arrive within {} s", shared.limits.header_read_timeout.as_secs_f32()),
        )),
    }
}

fn is_too_large(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// The answer for a key already used: the first answer again, or 422 for another body.
fn known_key(inner: &Inner, key: &str, request: &DispatchRequest) -> Option<Response> {
    let kept = inner.keys.get(key)?;
    Some(if kept.record.request == *request {
        replayed(kept.record.order.clone())
    } else {
        error(StatusCode::UNPROCESSABLE_ENTITY, "this Idempotency-Key was used with another body")
    })
}

fn replayed(order: DispatchOrder) -> Response {
    let mut res = (StatusCode::CREATED, Json(order)).into_response();
    res.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    res
}

async fn make_order(shared: Arc<Shared>, key: String, request: DispatchRequest) -> Response {
    let _one_at_a_time = shared.dispatch_gate.lock().await;
    let order = {
        let inner = shared.lock();
        // The same key may have been made while this one waited at the gate.
        if let Some(answer) = known_key(&inner, &key, &request) {
            return answer;
        }
        let Source::Sim(sim) = &inner.sim else {
            return error(StatusCode::CONFLICT, "this backend replays a recording and takes no dispatch orders");
        };
        match sim.prepare_dispatch(&request) {
            Ok(o) => o,
            Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        }
    };
    let record = OrderRecord { key, request, order };
    let stored_at = twinhall_core::protocol::now_ms();
    // Durable before applied and answered: the order is on disk before a unit moves.
    if let Err(e) = shared.orders.store(record.clone(), stored_at).await {
        tracing::error!("order {} not made: {e}", record.order.order_id);
        return error(StatusCode::INTERNAL_SERVER_ERROR, "the order could not be stored; nothing was done");
    }
    let mut inner = shared.lock();
    if let Source::Sim(sim) = &mut inner.sim {
        sim.apply_dispatch(&record.order);
    }
    let order = record.order.clone();
    inner.keys.insert(record.key.clone(), crate::orders::KeptKey { record, stored_at });
    (StatusCode::CREATED, Json(order)).into_response()
}
