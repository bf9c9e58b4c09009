//! `--feed URL`: the twinhall-client worker (its own thread, tokio runtime and reqwest/rustls)
//! follows the backend and hands decoded messages to the app.

use bevy::prelude::*;
use twinhall_client::{ClientConfig, FeedClient, LinkState};

use super::{FeedLink, FeedStatus};
use crate::context::Settings;
use crate::settings::redact_url;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, start_client);
}

fn start_client(mut commands: Commands, settings: Res<Settings>, mut status: ResMut<FeedStatus>) {
    let feed = &settings.config.feed;
    // A follower of a wall of several machines takes its feed from the leader.
    if feed.url.is_empty() || settings.config.wall.follows() {
        return;
    }
    let mut config = ClientConfig::new(feed.url.clone(), feed.token.clone()).with_limits(feed);
    if !feed.ca_file.is_empty() {
        match std::fs::read(&feed.ca_file) {
            Ok(pem) => config.ca_pem = Some(pem),
            Err(e) => {
                let cause = format!("feed.ca_file {}: {e}", feed.ca_file);
                error!("{cause}");
                status.state = LinkState::Error { cause, retry_in_ms: 0 };
                return;
            }
        }
    }
    match FeedClient::spawn(config) {
        Ok(client) => {
            info!("feed: following {}", redact_url(&feed.url));
            commands.insert_resource(FeedLink {
                events: client.events().clone(),
                client: Some(std::sync::Arc::new(client)),
            });
        }
        Err(e) => {
            error!("feed {}: {e}", redact_url(&feed.url));
            status.state = LinkState::Error { cause: e, retry_in_ms: 0 };
        }
    }
}
