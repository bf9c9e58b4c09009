//! The incident history from a backend on a real loopback socket: pages decoded and joined, and a
//! refusal, an oversized body, a page that does not move on and a body that is not a history
//! each an error naming the URL without its secrets. (Against the real `twinhall-feed` server:
//! crates/twinhall-client/tests/feed_history.rs.)

mod support;

use std::time::Duration;

use support::{respond, serve};
use twinhall_client::history::MAX_HISTORY_BYTES;
use twinhall_client::{ClientConfig, FeedClient, fetch_history};

fn incident(n: u64) -> String {
    format!(
        r#"{{"id":"H-{n:07}","category":"dispute","severity":2,"lon":24.9,"lat":60.2,"grid_id":"A4-{g}","district":"区 1","reported_at":{n},"closed_at":{c}}}"#,
        g = n % 7,
        c = n + 50
    )
}

/// Incidents reported at 1..=`count` ms, served `page` at a time as the protocol says.
fn history_backend(count: u64, page: u64) -> support::Backend {
    serve(move |req, s| {
        let query = req.target.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let param = |name: &str| {
            query.split('&').find_map(|p| p.strip_prefix(name).and_then(|v| v.strip_prefix('=')))?.parse::<u64>().ok()
        };
        let since = param("since").unwrap_or(0).max(1);
        let limit = param("limit").unwrap_or(10).min(page);
        let end = (since + limit).min(count + 1);
        let incidents: Vec<String> = (since..end).map(incident).collect();
        let truncated = end <= count;
        let until = if truncated { end } else { count + 1 };
        let body = format!(
            r#"{{"since":{since},"until":{until},"incidents":[{}],"truncated":{truncated}}}"#,
            incidents.join(",")
        );
        respond(s, "200 OK", "application/json", body.as_bytes());
    })
}

#[test]
fn pages_are_decoded_and_joined() {
    let backend = history_backend(2_500, 1_000);
    let config = ClientConfig::new(&backend.base, "");
    let page = fetch_history(&config, 0, 10).expect("a page");
    assert_eq!((page.since, page.until, page.truncated, page.incidents.len()), (1, 11, true, 10));
    assert_eq!(page.incidents[3].id, "H-0000004");
    assert_eq!(page.incidents[3].closed_at, Some(54));
    let client = FeedClient::spawn(config).expect("client");
    let all = client.fetch_history(0, usize::MAX).recv_timeout(Duration::from_secs(20)).expect("answer");
    let all = all.expect("every page");
    assert_eq!((all.since, all.until, all.truncated, all.incidents.len()), (1, 2_501, false, 2_500));
    assert!(all.incidents.windows(2).all(|w| w[1].reported_at == w[0].reported_at + 1), "joined without a gap");
    let some = client.fetch_history(100, 1_500).recv_timeout(Duration::from_secs(20)).expect("answer");
    let some = some.expect("pages");
    assert_eq!((some.incidents.len(), some.truncated, some.until), (1_500, true, 1_600));
}

#[test]
fn refusals_and_broken_bodies_are_errors_naming_the_url_without_secrets() {
    let refused = serve(|_, s| {
        respond(s, "400 Bad Request", "application/json", br#"{"error":"since: `x` is not a whole number"}"#)
    });
    let base = refused.base.replace("http://", "http://feeder:pa55@");
    let err = fetch_history(&ClientConfig::new(base, "t0ken"), 5, 10).expect_err("400");
    assert!(err.contains("HTTP 400") && err.contains("since: `x` is not a whole number"), "{err}");
    assert!(err.contains("/v1/incidents/history?since=5&limit=10"), "{err}");
    assert!(!err.contains("pa55") && !err.contains("t0ken"), "{err}");

    let huge = serve(|_, s| {
        use std::io::Write;
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            MAX_HISTORY_BYTES + 1
        );
    });
    let err = fetch_history(&ClientConfig::new(&huge.base, ""), 0, 10).expect_err("too large");
    assert!(err.contains("over the limit of 67108864 bytes") && err.contains("/v1/incidents/history"), "{err}");

    let html = serve(|_, s| respond(s, "200 OK", "text/html", b"<html>502 Bad Gateway</html>"));
    let err = fetch_history(&ClientConfig::new(&html.base, ""), 0, 10).expect_err("not JSON");
    assert!(err.contains("not an incident history"), "{err}");

    // A backend that says more follow but never moves on is an error, not a loop.
    let stuck = serve(|_, s| {
        respond(s, "200 OK", "application/json", br#"{"since":7,"until":7,"incidents":[],"truncated":true}"#)
    });
    let client = FeedClient::spawn(ClientConfig::new(&stuck.base, "")).expect("client");
    let err = client.fetch_history(7, 100).recv_timeout(Duration::from_secs(20)).expect("answer").expect_err("stuck");
    assert!(err.contains("does not move on"), "{err}");

    let gone = ClientConfig::new("http://127.0.0.1:9", "");
    let err = fetch_history(&gone, 0, 1).expect_err("nothing listens");
    assert!(err.starts_with("GET http://127.0.0.1:9/v1/incidents/history"), "{err}");
}
