//! The link between the machines of one wall: a leader and its followers over TCP, one
//! [`SyncMessage`] per length-delimited frame (tokio-util's codec), JSON inside.
//!
//! - [`SyncServer`] (the leader) listens, checks each follower's token, and queues what the
//!   app hands it: a first message for one follower (its snapshot), then everything for all.
//!   A follower that falls [`QUEUE`] messages behind is dropped; it reconnects and starts from a
//!   new snapshot, so nothing it shows is missing a batch.
//! - [`SyncClient`] (a follower) connects, says hello, and hands the feed's snapshots and
//!   batches on as [`ClientEvent`]s (the same channel a backend link fills) and the leader's
//!   frames to the app. It reconnects by itself, every [`RETRY`], for as long as the app runs.
//!
//! The token is compared in constant time and never logged.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender, bounded};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

pub use bytes::Bytes as Message;
use twinhall_core::wall::{SyncFrame, SyncMessage};

use crate::{ClientEvent, LinkState};

/// Messages queued for one follower before it counts as fallen behind.
pub const QUEUE: usize = 1024;
/// A follower waits this long before it tries the leader again.
pub const RETRY: Duration = Duration::from_millis(500);
/// Largest message either side accepts (a snapshot of a large city).
pub const MAX_MESSAGE: usize = 512 << 20;
/// A follower must say hello within this.
const HELLO_WITHIN: Duration = Duration::from_secs(5);

fn codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder().max_frame_length(MAX_MESSAGE).new_codec()
}

/// One message as it goes on the wire (encode once, send to every follower).
pub fn encode(msg: &SyncMessage) -> Bytes {
    Bytes::from(serde_json::to_vec(msg).unwrap_or_default())
}

/// Equal strings, compared without an early exit.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

struct Follower {
    tx: mpsc::Sender<Bytes>,
    /// Gets broadcasts once the app has sent it its first message.
    active: bool,
    peer: SocketAddr,
}

/// The leader's end: listens for followers on its own thread.
pub struct SyncServer {
    followers: Arc<Mutex<HashMap<u64, Follower>>>,
    joined: Receiver<(u64, String)>,
    local: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl SyncServer {
    /// Binds `addr` now (so a taken port is said at once) and serves on a thread of its own.
    pub fn start(addr: SocketAddr, token: String) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let local = std_listener.local_addr()?;
        let followers: Arc<Mutex<HashMap<u64, Follower>>> = Arc::default();
        let (joined_tx, joined) = bounded(64);
        let stop = Arc::new(AtomicBool::new(false));
        let (f, s) = (followers.clone(), stop.clone());
        std::thread::Builder::new().name("wall-lead".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!("wall.lead: no runtime for the followers' link: {e}");
                    return;
                }
            };
            rt.block_on(async move {
                let listener = match TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!("wall.lead: cannot listen on {local}: {e}");
                        return;
                    }
                };
                let next = AtomicU64::new(1);
                while !s.load(Ordering::Relaxed) {
                    let accepted = tokio::time::timeout(Duration::from_millis(250), listener.accept()).await;
                    let Ok(Ok((stream, peer))) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(serve(stream, peer, id, token.clone(), f.clone(), joined_tx.clone()));
                }
            });
        })?;
        tracing::info!("wall: leading; followers connect to {local}");
        Ok(Self { followers, joined, local, stop })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Followers that joined since the last call: their id and tile. Each waits for
    /// [`SyncServer::send_first`] before it gets broadcasts.
    pub fn joined(&self) -> Vec<(u64, String)> {
        self.joined.try_iter().collect()
    }

    /// Followers connected (joined or waiting for their first message).
    pub fn followers(&self) -> usize {
        self.followers.lock().map_or(0, |f| f.len())
    }

    /// The first messages for one follower (its snapshot, the history, or nothing yet); from
    /// then on it gets every broadcast.
    pub fn send_first(&self, id: u64, first: impl IntoIterator<Item = Bytes>) {
        let Ok(mut map) = self.followers.lock() else { return };
        let Some(f) = map.get_mut(&id) else { return };
        f.active = true;
        for b in first {
            if f.tx.try_send(b).is_err() {
                map.remove(&id);
                return;
            }
        }
    }

    /// One message for every joined follower. One that has [`QUEUE`] messages waiting is
    /// dropped (it rejoins from a new snapshot); returns how many got it.
    pub fn broadcast(&self, msg: &Bytes) -> usize {
        let Ok(mut map) = self.followers.lock() else { return 0 };
        let mut behind = Vec::new();
        let mut sent = 0;
        for (id, f) in map.iter().filter(|(_, f)| f.active) {
            match f.tx.try_send(msg.clone()) {
                Ok(()) => sent += 1,
                Err(_) => behind.push(*id),
            }
        }
        for id in behind {
            if let Some(f) = map.remove(&id) {
                tracing::warn!("wall: follower {} fell {QUEUE} messages behind; it will rejoin", f.peer);
            }
        }
        sent
    }
}

impl Drop for SyncServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One follower's connection: hello and token, then its queue onto the wire until either end
/// goes.
async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    token: String,
    followers: Arc<Mutex<HashMap<u64, Follower>>>,
    joined: Sender<(u64, String)>,
) {
    let (read, write) = stream.into_split();
    let mut reader = FramedRead::new(read, codec());
    let hello = match tokio::time::timeout(HELLO_WITHIN, reader.next()).await {
        Ok(Some(Ok(b))) => serde_json::from_slice::<SyncMessage>(&b).ok(),
        _ => None,
    };
    let tile = match hello {
        Some(SyncMessage::Hello { token: t, tile }) if same_secret(&t, &token) => tile,
        Some(SyncMessage::Hello { .. }) => {
            tracing::warn!("wall: refused a follower from {peer}: wrong sync token");
            return;
        }
        _ => {
            tracing::warn!("wall: refused a connection from {peer}: no hello within {HELLO_WITHIN:?}");
            return;
        }
    };
    let (tx, mut rx) = mpsc::channel::<Bytes>(QUEUE);
    if let Ok(mut map) = followers.lock() {
        map.insert(id, Follower { tx, active: false, peer });
    }
    tracing::info!("wall: follower for tile {tile} joined from {peer}");
    if joined.try_send((id, tile.clone())).is_err() {
        // The app has not looked for a while; it will find this one on its next look.
        let _ = joined.send_timeout((id, tile.clone()), Duration::from_secs(1));
    }
    let mut writer = FramedWrite::new(write, codec());
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                if writer.send(msg).await.is_err() {
                    break;
                }
            }
            // A follower sends nothing after its hello: anything here is its end closing.
            r = reader.next() => {
                if !matches!(r, Some(Ok(_))) {
                    break;
                }
            }
        }
    }
    if let Ok(mut map) = followers.lock() {
        map.remove(&id);
    }
    tracing::info!("wall: follower for tile {tile} from {peer} left");
}

/// What a follower's link hands the app besides the feed.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowEvent {
    /// Connected and greeted.
    Joined,
    /// The leader's frame.
    Frame(Box<SyncFrame>),
    /// The leader's incident history.
    History(Box<twinhall_core::protocol::IncidentHistory>),
    /// The leader's index history.
    IndexHistory(Box<twinhall_core::protocol::IndexHistory>),
    /// The link went; it is being tried again.
    Lost(String),
}

/// A follower's end: connects to the leader on its own thread, and again whenever it goes.
pub struct SyncClient {
    pub events: Receiver<FollowEvent>,
    stop: Arc<AtomicBool>,
    /// Messages received, all kinds.
    pub received: Arc<AtomicUsize>,
}

impl SyncClient {
    /// Follows `leader` (`host:port`); the feed goes to `feed` as a backend's would.
    pub fn start(leader: String, token: String, tile: String, feed: Sender<ClientEvent>) -> Self {
        let (tx, events) = bounded(256);
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicUsize::new(0));
        let (s, r) = (stop.clone(), received.clone());
        let spawned = std::thread::Builder::new().name("wall-follow".into()).spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                tracing::error!("wall.leader: no runtime for the leader's link");
                return;
            };
            rt.block_on(follow(leader, token, tile, feed, tx, s, r));
        });
        if let Err(e) = spawned {
            tracing::error!("wall.leader: cannot start the leader's link: {e}");
        }
        Self { events, stop, received }
    }
}

impl Drop for SyncClient {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Hands `ev` on, waiting while the app's queue is full; false once the app is gone.
fn hand_on<T>(tx: &Sender<T>, mut ev: T, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        match tx.send_timeout(ev, Duration::from_millis(200)) {
            Ok(()) => return true,
            Err(crossbeam_channel::SendTimeoutError::Timeout(back)) => ev = back,
            Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => return false,
        }
    }
}

async fn follow(
    leader: String,
    token: String,
    tile: String,
    feed: Sender<ClientEvent>,
    events: Sender<FollowEvent>,
    stop: Arc<AtomicBool>,
    received: Arc<AtomicUsize>,
) {
    // Each cause is said once, not at every retry.
    let mut said = String::new();
    while !stop.load(Ordering::Relaxed) {
        let why = match session(&leader, &token, &tile, &feed, &events, &stop, &received).await {
            Ok(()) => return,
            Err(why) => why,
        };
        if why != said {
            tracing::warn!("wall.leader: {leader}: {why}; trying again every {} ms", RETRY.as_millis());
            said = why.clone();
        }
        let retry_in_ms = RETRY.as_millis() as u64;
        let state = ClientEvent::State(LinkState::Error { cause: format!("{leader}: {why}"), retry_in_ms });
        if !hand_on(&feed, state, &stop) || !hand_on(&events, FollowEvent::Lost(why), &stop) {
            return;
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// One connection to the leader, until it goes (`Err` says why) or the app does (`Ok`).
async fn session(
    leader: &str,
    token: &str,
    tile: &str,
    feed: &Sender<ClientEvent>,
    events: &Sender<FollowEvent>,
    stop: &AtomicBool,
    received: &AtomicUsize,
) -> Result<(), String> {
    let stream = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(leader))
        .await
        .map_err(|_| "no answer within 2 s".to_owned())?
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let mut writer = FramedWrite::new(write, codec());
    let hello = SyncMessage::Hello { token: token.to_owned(), tile: tile.to_owned() };
    writer.send(encode(&hello)).await.map_err(|e| e.to_string())?;
    let mut reader = FramedRead::new(read, codec());
    tracing::info!("wall.leader: following {leader} as tile {tile}");
    if !hand_on(events, FollowEvent::Joined, stop) {
        return Ok(());
    }
    let mut said_live = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let next = tokio::time::timeout(Duration::from_millis(250), reader.next()).await;
        let bytes = match next {
            Err(_) => continue,
            Ok(None) => return Err("the leader closed the link".into()),
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(Some(Ok(b))) => b,
        };
        received.fetch_add(1, Ordering::Relaxed);
        let msg = match serde_json::from_slice::<SyncMessage>(&bytes) {
            Ok(m) => m,
            Err(e) => return Err(format!("a message that is not the wall's protocol ({e})")),
        };
        let ok = match msg {
            SyncMessage::Snapshot(s) => {
                let live = !said_live && hand_on(feed, ClientEvent::State(LinkState::Live), stop);
                said_live |= live;
                hand_on(feed, ClientEvent::Snapshot(s), stop)
            }
            SyncMessage::Batch(b) => hand_on(feed, ClientEvent::Batch(b), stop),
            SyncMessage::Frame(f) => hand_on(events, FollowEvent::Frame(f), stop),
            SyncMessage::History(h) => hand_on(events, FollowEvent::History(h), stop),
            SyncMessage::IndexHistory(h) => hand_on(events, FollowEvent::IndexHistory(h), stop),
            SyncMessage::Hello { .. } => true,
        };
        if !ok {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use twinhall_core::theatre::Layers;

    fn frame(n: u64) -> SyncMessage {
        SyncMessage::Frame(Box::new(SyncFrame {
            frame: n,
            sent_ms: 0,
            clock_s: 1.5,
            camera: [1.0, 0.0, -2.0, 500.0, 0.8, 0.1],
            selected: None,
            focused: None,
            theatre: Some(("public_safety".into(), 2)),
            layers: Layers::default(),
            view: Default::default(),
            feed_seq: n,
            labels: None,
            alerts: None,
        }))
    }

    fn wait<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(t) = f() {
                return t;
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_follower_joins_gets_its_first_message_then_every_frame_and_rejoins() {
        let server = SyncServer::start("127.0.0.1:0".parse().expect("addr"), "s3cret".into()).expect("binds");
        let addr = server.local_addr().to_string();
        let (feed_tx, feed) = bounded(64);
        let client = SyncClient::start(addr.clone(), "s3cret".into(), "1,0".into(), feed_tx);
        let (id, tile) = wait("the follower to join", || server.joined().pop());
        assert_eq!(tile, "1,0");
        // Nothing is broadcast to a follower before its first message.
        assert_eq!(server.broadcast(&encode(&frame(1))), 0);
        let snapshot = twinhall_core::store::FeedStore::default().to_snapshot(0);
        server.send_first(id, Some(encode(&SyncMessage::Snapshot(Box::new(snapshot)))));
        for n in 2..=4 {
            assert_eq!(server.broadcast(&encode(&frame(n))), 1);
        }
        let frames: Vec<u64> = wait("three frames", || {
            let got: Vec<u64> = client
                .events
                .try_iter()
                .filter_map(|e| if let FollowEvent::Frame(f) = e { Some(f.frame) } else { None })
                .collect();
            (!got.is_empty()).then_some(got)
        });
        let mut frames = frames;
        while frames.len() < 3 {
            frames.extend(client.events.recv_timeout(Duration::from_secs(5)).ok().and_then(|e| match e {
                FollowEvent::Frame(f) => Some(f.frame),
                _ => None,
            }));
        }
        assert_eq!(frames, vec![2, 3, 4], "in order, none lost");
        let first: Vec<ClientEvent> = feed.try_iter().collect();
        assert!(
            matches!(first.as_slice(), [ClientEvent::State(LinkState::Live), ClientEvent::Snapshot(_)]),
            "{first:?}"
        );

        // The leader goes; the follower says so and comes back by itself to a new leader.
        drop(server);
        let server = wait("the old leader's port to free", || {
            SyncServer::start(addr.parse().expect("addr"), "s3cret".into()).ok()
        });
        wait("the follower to say the link went", || {
            client.events.try_iter().any(|e| matches!(e, FollowEvent::Lost(_))).then_some(())
        });
        let (id, _) = wait("the follower to rejoin", || server.joined().pop());
        server.send_first(id, None);
        assert_eq!(server.broadcast(&encode(&frame(9))), 1);
        wait("the frame after rejoining", || {
            client.events.try_iter().any(|e| matches!(e, FollowEvent::Frame(f) if f.frame == 9)).then_some(())
        });
    }

    #[test]
    fn a_follower_with_the_wrong_token_is_refused() {
        let server = SyncServer::start("127.0.0.1:0".parse().expect("addr"), "right".into()).expect("binds");
        let (feed_tx, _feed) = bounded(8);
        let client = SyncClient::start(server.local_addr().to_string(), "wrong".into(), "0,0".into(), feed_tx);
        // It connects and greets, and the leader closes on it: it never joins.
        wait("the link to be refused", || {
            client.events.try_iter().any(|e| matches!(e, FollowEvent::Lost(_))).then_some(())
        });
        assert!(server.joined().is_empty());
        assert_eq!(server.followers(), 0);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd") && !same_secret("abc", "ab") && !same_secret("", "a"));
    }
}
