//! The backend feed: the link to it (the twinhall-client worker for `--feed URL`, or the
//! embedded simulated city), the store of what it reported, and its first view on the twin.
//!
//! Both sources send the same [`ClientEvent`]s through a bounded channel; one system applies them
//! once per frame under a time budget.

mod embedded;
mod markers;
mod remote;
mod source;
mod store;

pub use embedded::EmbeddedDispatch;
pub use markers::{FeedMarker, MarkerAssets, MarkerIndex, unit_colour, update_markers};
pub use source::{FeedSource, Fetch, HistoryRelay, LoadedHistories, RelaySenders};
pub use store::{FeedApplied, FeedData, FeedForward, FeedTap};
pub use twinhall_client::{ClientEvent, LinkState};

use std::time::{Duration, Instant};

use bevy::prelude::*;
use crossbeam_channel::Receiver;
use twinhall_core::config::Lang;

use crate::context::Settings;
use crate::settings::redact_url;

/// Where the feed's events come from; the client (if any) lives as long as this resource.
#[derive(Resource)]
pub struct FeedLink {
    pub events: Receiver<ClientEvent>,
    pub client: Option<std::sync::Arc<twinhall_client::FeedClient>>,
}

/// The feed's state as the status bar and the wall banner show it.
#[derive(Resource, Clone, Debug)]
pub struct FeedStatus {
    pub state: LinkState,
    /// What the feed is: the backend's URL (redacted) or the embedded simulator.
    pub target: String,
    pub embedded: bool,
    /// When the last snapshot or batch arrived.
    pub last_data: Option<Instant>,
    /// Messages and stream lines skipped as malformed, so far.
    pub malformed: u64,
    /// Snapshots, stream events and stills refused for their size, so far.
    pub refused: u64,
    /// Why no data will ever come, when that is known (shown instead of the link state).
    pub no_source: Option<NoSource>,
}

/// Why a feed will send nothing, so the wall says so rather than "connecting" forever.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoSource {
    /// The embedded simulator needs roads to place units on; this city has none.
    CityWithoutRoads { city: String },
}

impl NoSource {
    /// The reason in words.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            NoSource::CityWithoutRoads { city } => format!(
                "{}：{city} {}",
                lang.tr("无实时数据", "no live data"),
                lang.tr("没有道路，内置模拟无法运行", "has no roads, so the embedded simulator cannot run")
            ),
        }
    }
}

impl FeedStatus {
    pub fn is_live(&self) -> bool {
        self.state.is_live()
    }

    /// Seconds since the last data, if any came.
    pub fn data_age(&self) -> Option<Duration> {
        self.last_data.map(|t| t.elapsed())
    }

    /// The state in words.
    pub fn state_text(&self, lang: Lang) -> String {
        if let Some(reason) = &self.no_source {
            return reason.text(lang);
        }
        match &self.state {
            LinkState::Connecting => lang.tr("连接中", "connecting").to_owned(),
            LinkState::Syncing => lang.tr("同步中", "syncing").to_owned(),
            LinkState::Live => lang.tr("实时", "live").to_owned(),
            LinkState::Stale { .. } => lang.tr("数据停滞", "stale").to_owned(),
            LinkState::Resyncing { reason } => format!("{}（{reason}）", lang.tr("重新同步", "resyncing")),
            LinkState::Unauthorized => lang.tr("未授权（令牌被拒绝）", "unauthorized (token refused)").to_owned(),
            LinkState::Error { cause, retry_in_ms } => format!(
                "{} {cause}，{:.0} {}",
                lang.tr("错误", "error"),
                (*retry_in_ms as f64 / 1000.0).ceil(),
                lang.tr("秒后重试", "s to retry")
            ),
        }
    }

    /// One line for the status bar.
    pub fn describe(&self, lang: Lang) -> String {
        let mut line = format!("{} · {}", self.target, self.state_text(lang));
        if self.malformed > 0 {
            line.push_str(&format!(" · {} {}", self.malformed, lang.tr("条异常消息已跳过", "malformed skipped")));
        }
        if self.refused > 0 {
            line.push_str(&format!(" · {} {}", self.refused, lang.tr("项超限数据已拒收", "refused as oversize")));
        }
        line
    }

    /// The wall banner when the feed is not live: the state and how old the data on screen is.
    pub fn banner(&self, lang: Lang) -> Option<String> {
        if self.is_live() {
            return None;
        }
        let age = match self.data_age() {
            Some(a) => {
                format!("{} {} {}", lang.tr("画面数据为", "data on screen is"), a.as_secs(), lang.tr("秒前", "s old"))
            }
            None => lang.tr("尚无数据", "no data yet").to_owned(),
        };
        Some(format!("{} {} · {}", lang.tr("数据链路", "Feed"), self.state_text(lang), age))
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LoadedHistories>().add_systems(PreStartup, init_feed_status).add_plugins((
        store::plugin,
        embedded::plugin,
        remote::plugin,
    ));
}

/// The overlays draw the feed in the app; the simple markers remain for tools, tests and the
/// feed benchmark (in place against despawn-and-respawn).
///
/// The store, its ingest and the markers without a source: for tools and benchmarks that insert
/// their own [`FeedLink`] and [`FeedStatus`]. `markers: false` leaves the marker system out.
pub fn headless_plugin(app: &mut App, markers: bool) {
    app.add_plugins(store::plugin);
    if markers {
        app.add_plugins(markers::plugin);
    }
}

fn init_feed_status(mut commands: Commands, settings: Res<Settings>) {
    let lang = settings.lang();
    let embedded = settings.config.feed.url.is_empty();
    let target = if embedded {
        lang.tr("内置模拟城市", "embedded simulator").to_owned()
    } else {
        redact_url(&settings.config.feed.url)
    };
    commands.insert_resource(FeedStatus {
        state: LinkState::Connecting,
        target,
        embedded,
        last_data: None,
        malformed: 0,
        refused: 0,
        no_source: None,
    });
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::context::City;
    use std::time::{Duration, Instant};

    use bevy::prelude::*;
    use twinhall_core::config::CitySource;
    use twinhall_core::sim::{SimConfig, Simulation};

    use super::*;

    fn app(url: &str, city: &twinhall_core::CityModel) -> App {
        let mut settings = crate::settings::tests::settings_for(CitySource::Generated(400));
        settings.config.feed.url = url.to_owned();
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default()))
            .init_asset::<Mesh>()
            .init_asset::<StandardMaterial>()
            .insert_resource(settings)
            .insert_resource(City { model: Arc::new(city.clone()), source: CitySource::Generated(400) })
            .add_plugins((plugin, markers::plugin));
        app
    }

    fn run_until(app: &mut App, what: &str, timeout: Duration, ok: impl Fn(&World) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            app.update();
            if ok(app.world()) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn marker_of(app: &mut App, id: &str) -> Option<(Entity, Vec3)> {
        let mut q = app.world_mut().query::<(Entity, &FeedMarker, &Transform)>();
        q.iter(app.world()).find(|(_, m, _)| m.0 == id).map(|(e, _, t)| (e, t.translation))
    }

    #[test]
    fn the_embedded_feed_fills_the_store_and_moves_markers_in_place() {
        let city = twinhall_core::generate::generate_city(400, 2, twinhall_core::LonLat::new(114.06, 22.54));
        let mut app = app("", &city);
        run_until(&mut app, "the snapshot", Duration::from_secs(10), |w| w.resource::<FeedData>().synced);
        app.update();
        let data = app.world().resource::<FeedData>();
        let expected = data.units.len() + data.incidents.len() + data.cameras.len();
        assert_eq!(data.units.len(), SimConfig::default().units);
        assert!(app.world().resource::<FeedStatus>().is_live());
        let mut q = app.world_mut().query::<&FeedMarker>();
        assert_eq!(q.iter(app.world()).count(), expected, "a marker per unit, incident and camera");
        let (entity, before) = marker_of(&mut app, "U-00001").expect("unit 1 has a marker");
        let seq = app.world().resource::<FeedData>().seq;
        run_until(&mut app, "the next batch", Duration::from_secs(10), |w| w.resource::<FeedData>().seq > seq + 1);
        app.update();
        let (again, after) = marker_of(&mut app, "U-00001").expect("still there");
        assert_eq!(entity, again, "updated in place, not respawned");
        assert_ne!(before, after, "the patrolling unit moved");
    }

    #[test]
    fn a_city_without_roads_says_so_in_the_status_instead_of_connecting_forever() {
        let mut city = twinhall_core::generate::generate_city(400, 2, twinhall_core::LonLat::new(114.06, 22.54));
        city.roads.clear();
        let mut app = app("", &city);
        for _ in 0..3 {
            app.update();
        }
        assert!(app.world().get_resource::<FeedLink>().is_none(), "no simulator was started");
        let status = app.world().resource::<FeedStatus>();
        assert_eq!(status.no_source, Some(NoSource::CityWithoutRoads { city: city.name.clone() }));
        assert!(!status.is_live());
        for (lang, words, connecting) in [(Lang::En, "has no roads", "connecting"), (Lang::Zh, "没有道路", "连接中")]
        {
            let line = status.describe(lang);
            assert!(line.contains(words) && line.contains(&city.name), "{line}");
            assert!(!line.contains(connecting), "{line}");
            let banner = status.banner(lang).expect("a banner: nothing live");
            assert!(banner.contains(words), "{banner}");
        }
    }

    #[test]
    fn a_remote_backend_feeds_the_app_and_its_loss_shows_in_the_status_and_banner() {
        let city = twinhall_core::generate::generate_city(400, 2, twinhall_core::LonLat::new(114.06, 22.54));
        let sim = Simulation::new(&city, SimConfig { units: 9, ..SimConfig::default() });
        let dir = std::env::temp_dir().join(format!("twinhall-feed-app-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let config = twinhall_feed::ServerConfig {
            token: String::new(),
            tick: Duration::from_millis(200),
            history: 100,
            orders_path: dir.join("orders.jsonl"),
            record: None,
        };
        let shared = twinhall_feed::shared(twinhall_feed::Source::Sim(Box::new(sim)), config).expect("state");
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        let addr = listener.local_addr().expect("addr");
        runtime.spawn(twinhall_feed::serve(listener, shared));

        let mut app = app(&format!("http://{addr}"), &city);
        run_until(&mut app, "live", Duration::from_secs(15), |w| {
            w.resource::<FeedStatus>().is_live() && w.resource::<FeedData>().synced
        });
        assert_eq!(app.world().resource::<FeedData>().units.len(), 9);
        let status = app.world().resource::<FeedStatus>();
        assert!(status.banner(Lang::Zh).is_none(), "no banner while live");
        assert!(status.describe(Lang::Zh).contains(&format!("http://{addr}")));

        // The backend goes away: the wall says so, with the age of what it shows.
        runtime.shutdown_background();
        run_until(&mut app, "not live", Duration::from_secs(10), |w| !w.resource::<FeedStatus>().is_live());
        let banner = app.world().resource::<FeedStatus>().banner(Lang::Zh).expect("a banner");
        assert!(banner.contains("画面数据为"), "{banner}");
        assert_eq!(app.world().resource::<FeedData>().units.len(), 9, "the last picture stays, marked as old");
    }
}
