//! `GET /v1/incidents/history?since=MS&limit=N`: the incidents of the past the defence hub's
//! baselines are counted from, and `GET /v1/index/history?since=MS&limit=N`: the governance
//! index reports behind the heartbeat hub's trend lines; fetched as stills are (a size cap,
//! errors that name the URL without its secrets), a page at a time or paged to the end.

use twinhall_core::protocol::{IncidentHistory, IndexHistory, Millis};
use twinhall_core::redact::redact_url;

use crate::ClientConfig;
use crate::http::{read_body, read_prefix, without_url};

/// Largest history page accepted: a full page of the reference backend (50,000 incidents) is
/// about 10 MB.
pub const MAX_HISTORY_BYTES: usize = 64 << 20;
/// Incidents asked for per page when paging ([`fetch_history_pages`]); the backend may serve
/// fewer (the reference backend serves at most 50,000).
pub const HISTORY_PAGE: usize = 50_000;

/// One page of history: incidents reported from `since_ms` on, at most `limit`. The error names
/// the URL (secrets removed) and says what went wrong: the backend's own reason for a refusal, a
/// body over [`MAX_HISTORY_BYTES`], or one that is not an incident history.
pub async fn fetch_history_page(
    http: &reqwest::Client,
    config: &ClientConfig,
    since_ms: Millis,
    limit: usize,
) -> Result<IncidentHistory, String> {
    fetch_page(http, config, since_ms, limit).await
}

/// Every incident reported from `since_ms` on, page after page ([`HISTORY_PAGE`] each), joined
/// into one history; stops at `max_incidents` (then `truncated` is set and `until` says where
/// to go on from). A page that does not move on is an error rather than a loop.
pub async fn fetch_history_pages(
    http: &reqwest::Client,
    config: &ClientConfig,
    since_ms: Millis,
    max_incidents: usize,
) -> Result<IncidentHistory, String> {
    fetch_pages(http, config, since_ms, max_incidents).await
}

/// One page of the governance index's history: the reports from `since_ms` on, at most `limit`;
/// errors as for [`fetch_history_page`].
pub async fn fetch_index_history_page(
    http: &reqwest::Client,
    config: &ClientConfig,
    since_ms: Millis,
    limit: usize,
) -> Result<IndexHistory, String> {
    fetch_page(http, config, since_ms, limit).await
}

/// Every governance index report the backend keeps from `since_ms` on, page after page
/// ([`HISTORY_PAGE`] each), joined; a page that does not move on is an error rather than a loop.
pub async fn fetch_index_history(
    http: &reqwest::Client,
    config: &ClientConfig,
    since_ms: Millis,
) -> Result<IndexHistory, String> {
    fetch_pages(http, config, since_ms, usize::MAX).await
}

/// A history the backend serves in pages: `{since, until, <items>, truncated}`.
trait Paged: serde::de::DeserializeOwned + Default {
    /// The call's path.
    const PATH: &str;
    /// What a body that does not read is not.
    const WHAT: &str;
    fn until(&self) -> Millis;
    fn truncated(&self) -> bool;
    fn len(&self) -> usize;
    /// Appends the next page.
    fn join(&mut self, next: Self);
}

impl Paged for IncidentHistory {
    const PATH: &str = "/v1/incidents/history";
    const WHAT: &str = "an incident history";
    fn until(&self) -> Millis {
        self.until
    }
    fn truncated(&self) -> bool {
        self.truncated
    }
    fn len(&self) -> usize {
        self.incidents.len()
    }
    fn join(&mut self, next: Self) {
        self.incidents.extend(next.incidents);
        (self.until, self.truncated) = (next.until, next.truncated);
    }
}

impl Paged for IndexHistory {
    const PATH: &str = "/v1/index/history";
    const WHAT: &str = "an index history";
    fn until(&self) -> Millis {
        self.until
    }
    fn truncated(&self) -> bool {
        self.truncated
    }
    fn len(&self) -> usize {
        self.samples.len()
    }
    fn join(&mut self, next: Self) {
        self.samples.extend(next.samples);
        (self.until, self.truncated) = (next.until, next.truncated);
    }
}

async fn fetch_page<P: Paged>(
    http: &reqwest::Client,
    config: &ClientConfig,
    since_ms: Millis,
    limit: usize,
) -> Result<P, String> {
    let url = format!("{}{}?since={since_ms}&limit={limit}", config.base_url, P::PATH);
    let shown = redact_url(&url);
    let mut r = http.get(&url).send().await.map_err(|e| format!("GET {shown}: {}", without_url(&e)))?;
    if !r.status().is_success() {
        let status = r.status();
        let body = read_prefix(&mut r, 1024, config.io_timeout).await;
        let reason = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        return Err(format!("GET {shown}: HTTP {status}{reason}"));
    }
    let body =
        read_body(&mut r, MAX_HISTORY_BYTES, config.io_timeout, |_| {}).await.map_err(|e| e.describe("GET", &shown))?;
    serde_json::from_slice(&body).map_err(|e| format!("GET {shown}: not {}: {e}", P::WHAT))
}

async fn fetch_pages<P: Paged>(
    http: &reqwest::Client,
    config: &ClientConfig,
    since_ms: Millis,
    max_items: usize,
) -> Result<P, String> {
    let mut all: Option<P> = None;
    let mut since = since_ms;
    loop {
        let held = all.as_ref().map_or(0, P::len);
        let want = max_items.saturating_sub(held).clamp(1, HISTORY_PAGE);
        let page: P = fetch_page(http, config, since, want).await?;
        if page.truncated() && page.until() <= since {
            return Err(format!(
                "GET {}: the history page from {since} says more follow but does not move on (until {})",
                redact_url(&format!("{}{}", config.base_url, P::PATH)),
                page.until()
            ));
        }
        since = page.until();
        let more = page.truncated();
        match &mut all {
            None => all = Some(page),
            Some(a) => a.join(page),
        }
        if !more || all.as_ref().map_or(0, P::len) >= max_items {
            break;
        }
    }
    Ok(all.unwrap_or_default())
}

/// [`fetch_history_page`] from a plain thread: builds the HTTP client (the token, the CA) and a
/// runtime of its own, and blocks until the answer. Called from async code it refuses (blocking
/// there would stall the runtime): use [`fetch_history_page`] or
/// [`FeedClient::fetch_history`](crate::FeedClient::fetch_history) there.
pub fn fetch_history(config: &ClientConfig, since_ms: Millis, limit: usize) -> Result<IncidentHistory, String> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err("fetch_history blocks: call it off the async runtime (fetch_history_page is async)".into());
    }
    let http = crate::http_client(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("history fetch runtime: {e}"))?;
    runtime.block_on(fetch_history_page(&http, config, since_ms, limit))
}
