//! Incidents the wall reports to the platform (`POST /v1/incidents`): an early-warning alert a
//! duty officer turned into a case. As for dispatch orders, the caller chooses the idempotency
//! key (and keeps it, in its journal, before sending) and every attempt carries it, so a report
//! whose answer was lost and is sent again makes one incident.
//!
//! [`ReportSink`] is where reports go: the feed client and [`HttpSink`](crate::outbox::HttpSink)
//! send them to the backend; the app's embedded simulator can implement it too.

use crossbeam_channel::Receiver;
use twinhall_core::protocol::{Incident, IncidentReport};

use crate::ClientConfig;
use crate::dispatch::post_once;
use crate::outbox::SendError;

/// Where incident reports go. `report` must not block: it returns at once, and the answer
/// arrives on the channel (one message; a channel closed without one counts as no answer): the
/// incident the backend made, [`SendError::Rejected`] for a refusal (final: no incident, the
/// backend's reason, naming the field) or [`SendError::Unconfirmed`] when no answer came (send
/// again with the same key and report).
pub trait ReportSink: Send + Sync {
    fn report(&self, key: &str, report: &IncidentReport) -> Receiver<Result<Incident, SendError>>;
}

/// `POST /v1/incidents` with `key` on every attempt, retried on transport errors, timeouts, 408,
/// 429 and 5xx (the answer may have been lost after the backend stored the incident; the key
/// makes the retry return it), up to `attempts` tries. A 4xx other than 408 and 429 is final.
/// The report's position must be in the feed's CRS (the snapshot's `crs`; see
/// [`crs::from_wgs84`](crate::crs::from_wgs84)); the incident comes back as the backend wrote it.
pub async fn send_report(
    http: &reqwest::Client,
    config: &ClientConfig,
    report: &IncidentReport,
    key: &str,
    attempts: u32,
) -> Result<Incident, SendError> {
    post_once(http, config, "/v1/incidents", "incident report", report, key, attempts).await
}

/// The running feed client reports on its worker's runtime, the same key for every attempt.
impl ReportSink for crate::FeedClient {
    fn report(&self, key: &str, report: &IncidentReport) -> Receiver<Result<Incident, SendError>> {
        self.report_with_key(key.to_owned(), report.clone())
    }
}
