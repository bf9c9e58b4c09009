//! The incident history on the real `twinhall-feed` binary over loopback: the made-up past served
//! in pages that join, the page cap, bad values answered 400 naming them, the token, live
//! incidents and an injected hot spot from `--hotspot`; bad flags exit 2 naming flag and value;
//! and twinhall-client's history fetches against the same server.

mod real_backend;

use std::collections::HashSet;
use std::time::Duration;

use real_backend::{client, run_to_end, start, temp};
use serde_json::Value;
use twinhall_client::{ClientConfig, FeedClient, fetch_history, fetch_history_pages};
use twinhall_core::protocol::{AreaLevel, IncidentHistory, Snapshot};

const TOKEN: &str = "hist-s3cret";

async fn get(c: &reqwest::Client, base: &str, path: &str) -> (u16, Value) {
    let r = c.get(format!("{base}{path}")).bearer_auth(TOKEN).send().await.expect("answer");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_past_is_served_in_pages_that_join_and_bad_values_are_refused() {
    let dir = temp("history");
    let orders = dir.join("orders.sqlite");
    // 2 a minute for 28 days: about 80,640 incidents, more than one page of 50,000.
    let server = start(
        "127.0.0.1:0",
        &[
            "--city",
            "generated:300",
            "--units",
            "4",
            "--incidents",
            "0",
            "--incident-rate",
            "2",
            "--token",
            TOKEN,
            "--orders",
            orders.to_str().expect("utf8"),
        ],
    );
    let c = client();
    let base = server.base.clone();
    let r = c.get(format!("{base}/v1/incidents/history")).send().await.expect("answer");
    assert_eq!(r.status(), 401, "the token is needed as for every call");

    let (status, first) = get(&c, &base, "/v1/incidents/history?since=0&limit=1000000").await;
    assert_eq!(status, 200);
    let first: IncidentHistory = serde_json::from_value(first).expect("an incident history");
    assert_eq!(first.incidents.len(), 50_000, "a page holds at most 50,000, whatever is asked");
    assert!(first.truncated && first.until > first.since);
    let now = twinhall_core::protocol::now_ms();
    let days = (now - first.since) as f64 / 86_400_000.0;
    assert!((days - 28.0).abs() < 0.01, "the past starts 28 days back: {days}");
    let (status, rest) = get(&c, &base, &format!("/v1/incidents/history?since={}&limit=50000", first.until)).await;
    assert_eq!(status, 200);
    let rest: IncidentHistory = serde_json::from_value(rest).expect("an incident history");
    assert!(!rest.truncated);
    let all: Vec<_> = first.incidents.iter().chain(&rest.incidents).collect();
    let n = all.len() as f64;
    assert!((n - 80_640.0).abs() < 1_500.0, "{n} incidents in 28 days at 2 a minute");
    assert!(all.windows(2).all(|w| w[0].reported_at <= w[1].reported_at), "oldest first");
    assert_eq!(all.iter().map(|i| i.id.as_str()).collect::<HashSet<_>>().len(), all.len(), "no repeat");
    // Every grid id is a grid of the snapshot.
    let snap: Snapshot = serde_json::from_value(get(&c, &base, "/v1/snapshot").await.1).expect("snapshot");
    let grids: HashSet<String> =
        snap.entities.areas.into_iter().filter(|a| a.level == AreaLevel::Grid).map(|a| a.id).collect();
    assert!(all.iter().all(|i| grids.contains(&i.grid_id) && !i.district.is_empty()));
    // No since: the same as since=0; limit defaults to 10,000.
    let (_, plain) = get(&c, &base, "/v1/incidents/history").await;
    let plain: IncidentHistory = serde_json::from_value(plain).expect("an incident history");
    assert_eq!((plain.since, plain.incidents.len()), (first.since, 10_000));
    assert_eq!(plain.incidents[..], first.incidents[..10_000]);

    for (query, names) in [
        ("since=yesterday", ["since", "yesterday"]),
        ("limit=0", ["limit", "`0`"]),
        ("limit=-5", ["limit", "-5"]),
        ("since=1&limit=lots", ["limit", "lots"]),
    ] {
        let (status, body) = get(&c, &base, &format!("/v1/incidents/history?{query}")).await;
        let message = body["error"].as_str().unwrap_or_default().to_owned();
        assert_eq!(status, 400, "{query}: {body}");
        assert!(names.iter().all(|n| message.contains(n)), "{query}: {message}");
    }

    // The client: a blocking page from a plain thread, then every page joined on the client's
    // worker; the token never shows in an error.
    let config = ClientConfig::new(base.clone(), TOKEN);
    let page = std::thread::spawn({
        let config = config.clone();
        move || fetch_history(&config, 0, 500)
    })
    .join()
    .expect("thread")
    .expect("a page");
    assert_eq!(page.incidents[..], first.incidents[..500]);
    assert!(fetch_history(&config, 0, 1).is_err(), "refused on an async runtime");
    let feed = FeedClient::spawn(config.clone()).expect("client");
    let joined =
        feed.fetch_history(0, usize::MAX).recv_timeout(Duration::from_secs(60)).expect("an answer").expect("history");
    // The past as read above, then what the simulation reported since.
    assert!(!joined.truncated && joined.incidents.len() >= all.len());
    assert_eq!(joined.incidents[..all.len()], all.into_iter().cloned().collect::<Vec<_>>()[..]);
    let capped = fetch_history_pages(&twinhall_client::http_client(&config).expect("http"), &config, 0, 60_000)
        .await
        .expect("history");
    assert_eq!((capped.incidents.len(), capped.truncated), (60_000, true));
    let wrong = ClientConfig::new(base.replace("http://", "http://user:pw@"), "wrong-token");
    let err = fetch_history_pages(&twinhall_client::http_client(&wrong).expect("http"), &wrong, 0, 10)
        .await
        .expect_err("401");
    assert!(err.contains("401") && err.contains("/v1/incidents/history"), "{err}");
    assert!(!err.contains("pw@") && !err.contains("wrong-token") && !err.contains(TOKEN), "{err}");
}

#[tokio::test]
async fn live_incidents_follow_an_injected_hot_spot() {
    let dir = temp("hotspot");
    let orders = dir.join("orders.sqlite");
    // 120 a minute, a tick of 100 ms (simulated time runs as the clock does): two incidents a
    // second, times the daily rhythm, and grid A4-135 a thousand times busier than it was.
    let server = start(
        "127.0.0.1:0",
        &[
            "--city",
            "generated:300",
            "--units",
            "4",
            "--incidents",
            "0",
            "--incident-rate",
            "120",
            "--tick-ms",
            "100",
            "--history-days",
            "0",
            "--hotspot",
            "A4-135:all:1000",
            "--token",
            TOKEN,
            "--orders",
            orders.to_str().expect("utf8"),
        ],
    );
    let c = client();
    let (_, start_page) = get(&c, &server.base, "/v1/incidents/history").await;
    let start_page: IncidentHistory = serde_json::from_value(start_page).expect("history");
    let since = start_page.since;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (_, page) = get(&c, &server.base, &format!("/v1/incidents/history?since={since}")).await;
    let page: IncidentHistory = serde_json::from_value(page).expect("history");
    assert!(page.incidents.len() >= 5, "{} incidents in 6 s at 2 a second", page.incidents.len());
    assert!(page.incidents.iter().all(|i| i.id.starts_with("I-") && i.reported_at >= since));
    // A grid draws 1/256 of the city's incidents on average (a few per cent at most); with the
    // hot spot A4-135 draws several times the rest of the city.
    let hot = page.incidents.iter().filter(|i| i.grid_id == "A4-135").count();
    assert!(hot * 10 > page.incidents.len() * 3, "{hot} of {} at the hot spot", page.incidents.len());
}

#[test]
fn bad_history_and_hotspot_flags_exit_2_naming_them() {
    for (args, names) in [
        (vec!["--hotspot", "A4-1:fire:abc"], vec!["--hotspot", "A4-1:fire:abc", "factor `abc`"]),
        (vec!["--hotspot", "A4-1:blaze"], vec!["--hotspot", "A4-1:blaze", "`blaze`"]),
        (vec!["--hotspot", "A4-9999:fire:2"], vec!["--hotspot", "A4-9999", "A4-0 to A4-255"]),
        (vec!["--history-days", "99"], vec!["--history-days", "99"]),
    ] {
        let (code, stderr) = run_to_end(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(names.iter().all(|n| stderr.contains(n)), "{args:?}: {stderr}");
    }
}

/// The backend process of [`real_backend::feed_command`] (this binary run again).
#[test]
#[ignore = "run by real_backend::feed_command as the backend's process"]
fn serve_feed() {
    real_backend::serve_feed();
}
