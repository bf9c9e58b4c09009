//! The video tiles window: the drones over the focused incident and the cameras that see it,
//! stills refreshed every two seconds, sized to fit the console's map.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use crossbeam_channel::Receiver;
use twinhall_core::aerial::{AerialScene, AerialShot, aerial_jpeg};
use twinhall_core::protocol::{UnitStatus, now_ms};

use super::super::FocusAnalysis;
use crate::context::{City, ConsoleFree, Settings, Tone};
use crate::feed::{FeedData, FeedLink};
use crate::overlays::{request_image, request_still, text};

/// How often the video tiles refresh while an incident is focused.
const TILE_REFRESH: Duration = Duration::from_secs(2);
/// Most video tiles shown.
const MAX_TILES: usize = 6;

/// Stills of the cameras that see the focused incident.
#[derive(Resource, Default)]
pub(super) struct VideoTiles {
    tiles: HashMap<String, Tile>,
}

/// What a video tile shows: a camera that sees the incident, or a drone hovering over it.
struct TileSource {
    id: String,
    caption: String,
    drone: bool,
}

/// Starts loading a drone's aerial still: from the backend, or drawn in-process from the city
/// for the embedded feed (the scene built once, on the first drone).
fn request_aerial(
    id: &str,
    data: &FeedData,
    city: &City,
    link: Option<&FeedLink>,
    scene: &mut Option<Arc<AerialScene>>,
) -> Option<Receiver<Result<egui::ColorImage, String>>> {
    let drone = data.units.get(id)?;
    let path = Some(drone.snapshot_url.clone())
        .filter(|u| u.starts_with('/'))
        .unwrap_or_else(|| format!("/v1/units/{id}/snapshot.jpg"));
    let draw = if link.and_then(|l| l.client.as_ref()).is_some() {
        None
    } else {
        let scene = scene.get_or_insert_with(|| Arc::new(AerialScene::new(&city.model))).clone();
        let shot = AerialShot::of(
            drone,
            &city.model.frame,
            data.incidents.iter().map(|(_, i)| i),
            data.units.iter().map(|(_, u)| u),
        );
        Some((scene, shot))
    };
    request_image(&path, link, move || match draw {
        Some((scene, shot)) => aerial_jpeg(&scene, &shot, now_ms()),
        None => Err("no backend and no city to draw from".into()),
    })
}

#[derive(Default)]
struct Tile {
    texture: Option<egui::TextureHandle>,
    pending: Option<Receiver<Result<egui::ColorImage, String>>>,
    requested: Option<Instant>,
    error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn video_window(
    mut contexts: EguiContexts,
    settings: Res<Settings>,
    data: Res<FeedData>,
    link: Option<Res<FeedLink>>,
    analysis: Res<FocusAnalysis>,
    view: Res<ConsoleFree>,
    mut tiles: ResMut<VideoTiles>,
    city: Res<City>,
    mut aerial: Local<Option<Arc<AerialScene>>>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let lang = settings.lang();
    // Drones over the scene first (their view is the widest), then the cameras that see it.
    let Some(focused) = analysis.incident_id.as_deref() else {
        tiles.tiles.clear();
        return Ok(());
    };
    let mut sources: Vec<TileSource> = data
        .units
        .iter()
        .map(|(_, u)| u)
        .filter(|u| u.kind.flies() && u.incident_id.as_deref() == Some(focused) && u.status == UnitStatus::OnScene)
        .map(|u| TileSource {
            id: u.id.clone(),
            caption: format!("{} · {:.0} m", text::unit_name(u.kind, &u.name, lang), u.altitude_m.unwrap_or(0.0)),
            drone: true,
        })
        .collect();
    sources.sort_by(|a, b| a.id.cmp(&b.id));
    sources.extend(analysis.surroundings.cameras_visible.iter().filter(|c| c.online).map(|c| TileSource {
        id: c.id.clone(),
        caption: format!("{} · {:.0} m", text::camera_name(&c.name, lang), c.distance_m),
        drone: false,
    }));
    // Tiles sized to the free part of the console's map: three across where they fit at a
    // readable size, else two or one, smaller, and as many rows as half its height holds.
    let fit = TileFit::of(view.0);
    sources.truncate(MAX_TILES.min(fit.count()));
    if sources.is_empty() {
        tiles.tiles.clear();
        return Ok(());
    }
    tiles.tiles.retain(|id, _| sources.iter().any(|c| &c.id == id));
    for c in &sources {
        let tile = tiles.tiles.entry(c.id.clone()).or_default();
        if let Some(rx) = &tile.pending
            && let Ok(result) = rx.try_recv()
        {
            match result {
                Ok(img) => {
                    // Updated in place: the tile keeps its texture id while it refreshes.
                    match &mut tile.texture {
                        Some(t) => t.set(img, egui::TextureOptions::LINEAR),
                        None => {
                            tile.texture =
                                Some(ctx.load_texture(format!("tile-{}", c.id), img, egui::TextureOptions::LINEAR))
                        }
                    }
                    tile.error = None;
                }
                Err(e) => {
                    if tile.error.is_none() {
                        warn!("camera {}: still not loaded: {e}", c.id);
                    }
                    tile.error = Some(e);
                }
            }
            tile.pending = None;
        }
        if tile.pending.is_none() && tile.requested.is_none_or(|t| t.elapsed() >= TILE_REFRESH) {
            tile.requested = Some(Instant::now());
            tile.pending = if c.drone {
                request_aerial(&c.id, &data, &city, link.as_deref(), &mut aerial)
            } else {
                request_still(&c.id, &data, link.as_deref())
            };
        }
    }
    egui::Window::new(lang.tr("现场视频", "Scene cameras"))
        .id("hub_video".into())
        .pivot(egui::Align2::RIGHT_BOTTOM)
        .default_pos(egui::pos2(view.0.right() - 12.0, view.0.bottom() - 12.0))
        .constrain_to(view.0)
        .max_width(fit.width())
        .collapsible(true)
        .resizable(false)
        .show(&ctx, |ui| {
            let size = egui::vec2(fit.tile_w, fit.tile_w * 2.0 / 3.0);
            egui::Grid::new("hub_tiles").num_columns(fit.cols).spacing([4.0, 4.0]).show(ui, |ui| {
                for (k, c) in sources.iter().enumerate() {
                    ui.vertical(|ui| {
                        match tiles.tiles.get(&c.id).and_then(|t| t.texture.as_ref()) {
                            Some(t) => {
                                ui.add(egui::Image::new(t).fit_to_exact_size(size));
                            }
                            None => {
                                ui.add_sized(size, egui::Spinner::new());
                            }
                        }
                        if c.drone {
                            ui.small(egui::RichText::new(format!("✈ {}", c.caption)).color(Tone::Accent.of(ui)));
                        } else {
                            ui.small(&c.caption);
                        }
                    });
                    if k % fit.cols == fit.cols - 1 {
                        ui.end_row();
                    }
                }
            });
        });
    Ok(())
}

/// How the video tiles fit a free rectangle of the console.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TileFit {
    cols: usize,
    rows: usize,
    /// A tile's width, points (its height is two thirds of it).
    tile_w: f32,
}

impl TileFit {
    /// Largest tile, smallest readable one, and what a window adds around its grid.
    const MAX_W: f32 = 144.0;
    const MIN_W: f32 = 80.0;
    const FRAME: f32 = 20.0;
    /// A caption under each tile, and the window's title bar.
    const CAPTION: f32 = 22.0;
    const TITLE: f32 = 36.0;

    fn of(free: egui::Rect) -> Self {
        let w = (free.width() - 24.0).max(0.0);
        let cols = (1..=3).rev().find(|c| (w - Self::FRAME) / *c as f32 - 4.0 >= Self::MIN_W).unwrap_or(1);
        let tile_w = ((w - Self::FRAME) / cols as f32 - 4.0).clamp(Self::MIN_W.min(w.max(1.0)), Self::MAX_W);
        let row_h = tile_w * 2.0 / 3.0 + Self::CAPTION + 4.0;
        let rows = (((free.height() * 0.5) - Self::TITLE) / row_h).floor().max(1.0) as usize;
        Self { cols, rows, tile_w }
    }

    fn count(&self) -> usize {
        self.cols * self.rows
    }

    /// The window's width for a full row.
    fn width(&self) -> f32 {
        self.cols as f32 * (self.tile_w + 4.0) + Self::FRAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_fit_the_free_part_of_the_console() {
        // 1920x1080 beside the side panel and the layers window: three across, full size.
        let wide = TileFit::of(egui::Rect::from_min_max(egui::pos2(408.0, 0.0), egui::pos2(1580.0, 1040.0)));
        assert_eq!((wide.cols, wide.tile_w), (3, TileFit::MAX_W));
        assert!(wide.count() >= MAX_TILES);
        // 960x540: 230 points left of the layers window: two across, smaller, two rows.
        let free = egui::Rect::from_min_max(egui::pos2(408.0, 0.0), egui::pos2(637.0, 520.0));
        let small = TileFit::of(free);
        assert_eq!(small.cols, 2, "{small:?}");
        assert!(small.width() <= free.width(), "{small:?} in {free:?}");
        let rows_h = small.rows as f32 * (small.tile_w * 2.0 / 3.0 + TileFit::CAPTION + 4.0) + TileFit::TITLE;
        assert!(rows_h <= free.height() * 0.5 + 1.0, "{small:?}");
        assert!(small.count() >= 2);
    }
}
