//! Camera stills and other images for the windows: fetched from the backend (or drawn in-process
//! for the embedded feed), size-checked and decoded off the main thread.

use bevy_egui::egui;
use crossbeam_channel::Receiver;
use twinhall_core::protocol::now_ms;

use crate::feed::{FeedData, FeedLink};

/// Starts loading a camera's still: from the backend, or drawn in-process for the embedded feed.
pub fn request_still(
    id: &str,
    data: &FeedData,
    link: Option<&FeedLink>,
) -> Option<Receiver<Result<egui::ColorImage, String>>> {
    let camera = data.cameras.get(id)?.clone();
    let path = Some(camera.snapshot_url.clone())
        .filter(|u| u.starts_with('/'))
        .unwrap_or_else(|| format!("/v1/cameras/{id}/snapshot.jpg"));
    request_image(&path, link, move || {
        twinhall_core::snapshot_jpeg::camera_jpeg(&camera, now_ms()).map_err(|e| e.to_string())
    })
}

/// Fetches an image from the backend at `path` (or, with the embedded feed, draws it with
/// `draw` on a thread of its own); either way its size is checked from the header and it is
/// decoded off the main thread, never past the client's pixel limit.
pub fn request_image(
    path: &str,
    link: Option<&FeedLink>,
    draw: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
) -> Option<Receiver<Result<egui::ColorImage, String>>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let stills: Receiver<Result<twinhall_client::still::Still, String>> = match link.and_then(|l| l.client.as_ref()) {
        Some(client) => client.fetch_still(path),
        None => {
            let (btx, brx) = crossbeam_channel::bounded(1);
            std::thread::Builder::new()
                .name("twinhall-draw-still".into())
                .spawn(move || {
                    let still = draw().and_then(|bytes| {
                        twinhall_client::still::decode_still(&bytes, twinhall_client::DEFAULT_MAX_STILL_PIXELS)
                            .map_err(|e| e.to_string())
                    });
                    let _ = btx.send(still);
                })
                .ok()?;
            brx
        }
    };
    // Waiting for the answer happens off the main thread too.
    std::thread::Builder::new()
        .name("twinhall-camera-still".into())
        .spawn(move || {
            let result = stills
                .recv_timeout(std::time::Duration::from_secs(20))
                .map_err(|_| "no answer in 20 s".to_owned())
                .and_then(|r| r)
                .map(|still| {
                    egui::ColorImage::from_rgba_unmultiplied([still.width as usize, still.height as usize], &still.rgba)
                });
            let _ = tx.send(result);
        })
        .ok()?;
    Some(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use twinhall_core::LonLat;
    use twinhall_core::sim::{SimConfig, Simulation};

    #[test]
    fn a_camera_still_is_drawn_and_decoded_off_the_main_thread_for_the_embedded_feed() {
        let city = twinhall_core::generate::generate_city(200, 2, LonLat::new(114.06, 22.54));
        let sim = Simulation::new(&city, SimConfig { cameras: 3, ..SimConfig::default() });
        let mut data = FeedData::default();
        data.apply_snapshot(sim.snapshot());
        let id = data.cameras.iter().next().map(|(_, c)| c.id.clone()).expect("a camera");
        let rx = request_still(&id, &data, None).expect("requested");
        let img = rx.recv_timeout(std::time::Duration::from_secs(20)).expect("an answer").expect("an image");
        assert_eq!(img.size, [640, 360]);
        assert!(request_still("no-such-camera", &data, None).is_none());
    }
}
