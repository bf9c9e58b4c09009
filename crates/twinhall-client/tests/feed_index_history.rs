//! The governance index's history on the real `twinhall-feed` binary over loopback: the made-up
//! past scored hour by hour, consistent with the snapshot's areas and `GET /v1/index`, served in
//! pages that join, `since`, bad values answered 400 naming them, the token; and twinhall-client
//! paging it to the end against the same server.

mod real_backend;

use std::time::Duration;

use real_backend::{client, start, temp};
use serde_json::Value;
use twinhall_client::{ClientConfig, FeedClient, fetch_index_history, fetch_index_history_page, http_client};
use twinhall_core::overlay::index_level;
use twinhall_core::protocol::{AreaLevel, GovernanceIndex, IndexHistory, Snapshot};

const TOKEN: &str = "index-s3cret";
const HOUR_MS: i64 = 3_600_000;

async fn get(c: &reqwest::Client, base: &str, path: &str) -> (u16, Value) {
    let r = c.get(format!("{base}{path}")).bearer_auth(TOKEN).send().await.expect("answer");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON"))
}

async fn page(c: &reqwest::Client, base: &str, query: &str) -> IndexHistory {
    let (status, body) = get(c, base, &format!("/v1/index/history?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    serde_json::from_value(body).expect("an index history")
}

#[tokio::test]
async fn the_index_history_is_served_in_pages_that_join_and_bad_values_are_refused() {
    let dir = temp("index-history");
    let orders = dir.join("orders.sqlite");
    let server = start(
        "127.0.0.1:0",
        &[
            "--city",
            "generated:300",
            "--units",
            "4",
            "--incidents",
            "6",
            "--incident-rate",
            "2",
            "--history-days",
            "28",
            "--token",
            TOKEN,
            "--orders",
            orders.to_str().expect("utf8"),
        ],
    );
    let c = client();
    let base = server.base.clone();
    let r = c.get(format!("{base}/v1/index/history")).send().await.expect("answer");
    assert_eq!(r.status(), 401, "the token is needed as for every call");

    let (_, now) = get(&c, &base, "/v1/index").await;
    let now: GovernanceIndex = serde_json::from_value(now).expect("an index");
    let snap: Snapshot = serde_json::from_value(get(&c, &base, "/v1/snapshot").await.1).expect("snapshot");

    // No limit: a page of at most 500; 27 days of hourly samples (the first day of the made-up
    // past is the first window) and one a minute since the start do not fit.
    let first = page(&c, &base, "").await;
    assert_eq!((first.samples.len(), first.truncated), (500, true));
    let mut all = first.samples.clone();
    let mut since = first.until;
    let mut pages = 1;
    loop {
        let next = page(&c, &base, &format!("since={since}&limit=100000")).await;
        assert!(next.samples.len() <= 500);
        pages += 1;
        all.extend(next.samples);
        if !next.truncated {
            break;
        }
        assert!(next.until > since, "pages move on");
        since = next.until;
    }
    assert_eq!(pages, 2);
    assert!(all.len() > 27 * 24, "{} samples", all.len());
    let hourly = &all[..27 * 24];
    assert!(hourly.windows(2).all(|w| w[1].updated_at - w[0].updated_at == HOUR_MS), "one an hour");
    assert!(all.windows(2).all(|w| w[0].updated_at < w[1].updated_at), "oldest first, no repeat");
    assert_eq!(first.since, all[0].updated_at, "since is raised to the oldest sample");
    assert!(all.contains(&now), "the index served now is a sample of the history");
    assert!(all.contains(snap.index.as_ref().expect("an index")), "and the snapshot's");
    for s in &all {
        assert_eq!(s.aspects.len(), 6);
        assert!(s.aspects.iter().all(|a| a.level == index_level(a.score) && (0.0..=100.0).contains(&a.score)));
        let mean = s.aspects.iter().map(|a| a.score).sum::<f32>() / 6.0;
        assert!((s.overall - mean).abs() <= 0.051, "{} against {mean}", s.overall);
    }
    let overall: Vec<f32> = hourly.iter().map(|s| s.overall).collect();
    assert!(overall.iter().any(|o| *o != overall[0]), "the past is scored from its incidents, not flat");
    // The city area of the snapshot carries the same figures as the report.
    let city = snap.entities.areas.iter().find(|a| a.level == AreaLevel::City).expect("a city area");
    let index = snap.index.clone().expect("an index");
    assert_eq!((&city.aspects, city.governance_index), (&index.aspects, index.overall));

    // `since` at a sample starts there; a millisecond later, at the next.
    let at = all[50].updated_at;
    assert_eq!(page(&c, &base, &format!("since={at}&limit=3")).await.samples[..], all[50..53]);
    assert_eq!(page(&c, &base, &format!("since={}&limit=3", at + 1)).await.samples[..], all[51..54]);
    let small = page(&c, &base, "since=0&limit=7").await;
    assert_eq!((small.samples.len(), small.truncated, small.until), (7, true, all[7].updated_at));

    for (query, names) in [
        ("since=yesterday", ["since", "yesterday"]),
        ("limit=0", ["limit", "`0`"]),
        ("since=1&limit=lots", ["limit", "lots"]),
    ] {
        let (status, body) = get(&c, &base, &format!("/v1/index/history?{query}")).await;
        let message = body["error"].as_str().unwrap_or_default().to_owned();
        assert_eq!(status, 400, "{query}: {body}");
        assert!(names.iter().all(|n| message.contains(n)), "{query}: {message}");
    }

    // The client pages to the end (the server serves 500 a page, the client asks for more).
    let config = ClientConfig::new(base.clone(), TOKEN);
    let http = http_client(&config).expect("http");
    let fetched = fetch_index_history(&http, &config, 0).await.expect("index history");
    assert!(!fetched.truncated && fetched.samples.len() >= all.len());
    assert_eq!(fetched.samples[..all.len()], all[..], "the pages read above, and any sample since");
    let one = fetch_index_history_page(&http, &config, at, 2).await.expect("a page");
    assert_eq!(one.samples[..], all[50..52]);
    assert!(one.truncated);
    let feed = FeedClient::spawn(config.clone()).expect("client");
    let from_worker =
        feed.fetch_index_history(at).recv_timeout(Duration::from_secs(30)).expect("an answer").expect("history");
    assert_eq!(from_worker.samples[..all.len() - 50], all[50..]);
    let wrong = ClientConfig::new(base.replace("http://", "http://user:pw@"), "wrong-token");
    let err = fetch_index_history(&http_client(&wrong).expect("http"), &wrong, 0).await.expect_err("401");
    assert!(err.contains("401") && err.contains("/v1/index/history"), "{err}");
    assert!(!err.contains("pw@") && !err.contains("wrong-token") && !err.contains(TOKEN), "{err}");
}

/// The backend process of [`real_backend::feed_command`] (this binary run again).
#[test]
#[ignore = "run by real_backend::feed_command as the backend's process"]
fn serve_feed() {
    real_backend::serve_feed();
}
