//! Chooses the tiles the camera sees, asks the fetcher for them when the view changes, and turns
//! arrived tiles into textured ground meshes under a per-frame budget. Tiles of the previous
//! zoom stay until the new ones have arrived, so the ground never flashes empty.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::asset::RenderAssetUsages;
use bevy::camera::Projection;
use bevy::image::{Image, ImageSampler};
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use twinhall_core::LocalFrame;
use twinhall_core::LonLat;
use twinhall_core::tiles::{LonLatBox, TileGrid, TileId, TileSource};

use super::fetch::{TileFetcher, TileOutcome};
use crate::camera::ground_hit;
use crate::context::{AppSystems, City, OrbitCamera, Settings};
use crate::settings::redact_url;

/// Height of the tiles above the ground plane, under water, green and roads.
const Y_TILES: f32 = 0.1;
/// Tiles of an older zoom sit a little lower so the new zoom covers them.
const Y_OLD_TILES: f32 = 0.05;
/// Grid steps per tile side, so Mercator tiles bend with the local frame.
const STEPS: u32 = 8;
/// Per-frame budget for turning arrived tiles into meshes.
const FRAME_BUDGET: Duration = Duration::from_millis(4);

/// Counters for the status bar and tests.
#[derive(Clone, Debug, Default)]
pub struct BasemapStats {
    pub loaded: usize,
    pub from_cache: usize,
    pub failed: usize,
    pub last_error: Option<String>,
    /// The tile worker has stopped: no more tiles will load.
    pub worker_gone: bool,
}

/// The base map's state; present only when a source is configured.
#[derive(Resource)]
pub struct Basemap {
    fetcher: TileFetcher,
    grid: TileGrid,
    max_zoom: u8,
    max_tiles: usize,
    /// Tiles drawn now, by id.
    drawn: HashMap<TileId, Entity>,
    pending: HashSet<TileId>,
    /// Tiles that failed, not asked for again until the view changes zoom.
    failed: HashSet<TileId>,
    wanted: Vec<TileId>,
    logged: HashSet<String>,
    pub stats: BasemapStats,
}

impl Basemap {
    /// Whether every tile asked for has come (or failed), and some were asked for: what a
    /// screenshot waits for.
    pub fn settled(&self) -> bool {
        self.stats.worker_gone || (self.pending.is_empty() && !(self.drawn.is_empty() && self.failed.is_empty()))
    }
}

/// Marks a tile mesh.
#[derive(Component, Debug, Clone, Copy)]
pub struct BasemapTile(pub TileId);

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, start_basemap).add_systems(
        Update,
        (choose_tiles, receive_tiles).chain().run_if(resource_exists::<Basemap>).in_set(AppSystems::City),
    );
}

fn start_basemap(mut commands: Commands, settings: Res<Settings>) {
    let cfg = &settings.config.basemap;
    if cfg.url.is_empty() {
        return;
    }
    let source = TileSource { template: cfg.url.clone(), scheme: cfg.scheme, grid: cfg.grid };
    let cache = if cfg.cache_dir.is_empty() {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/twinhall/tiles"))
    } else {
        Some(PathBuf::from(&cfg.cache_dir))
    };
    match TileFetcher::spawn(source, cache, 6) {
        Ok(fetcher) => {
            info!("base map: {} ({:?} grid, {:?} rows)", redact_url(&cfg.url), cfg.grid, cfg.scheme);
            commands.insert_resource(Basemap {
                fetcher,
                grid: cfg.grid,
                max_zoom: cfg.max_zoom,
                max_tiles: cfg.max_tiles,
                drawn: HashMap::new(),
                pending: HashSet::new(),
                failed: HashSet::new(),
                wanted: Vec::new(),
                logged: HashSet::new(),
                stats: BasemapStats::default(),
            });
        }
        Err(e) => error!("base map off: {e}"),
    }
}

/// The lon/lat box of the ground the camera sees (rays above the horizon are cut at a few
/// times the focus distance), its centre, and the ground metres per screen pixel at the focus.
pub fn view_lonlat_box(
    frame: &LocalFrame,
    camera: &Camera,
    transform: &GlobalTransform,
    orbit: &OrbitCamera,
    fov: f32,
) -> Option<(LonLatBox, LonLat, f64)> {
    let size = camera.logical_viewport_size()?;
    let reach = orbit.distance_m * 3.0;
    let mut b = twinhall_core::model::Bounds::EMPTY;
    for corner in [Vec2::ZERO, Vec2::new(size.x, 0.0), size, Vec2::new(0.0, size.y), size * 0.5] {
        let ray = camera.viewport_to_world(transform, corner).ok()?;
        let p = match ground_hit(ray.origin, *ray.direction) {
            Some(p) if p.distance(orbit.focus) <= reach => p,
            _ => {
                let mut flat = Vec3::new(ray.direction.x, 0.0, ray.direction.z);
                if flat.length_squared() < 1e-6 {
                    flat = Vec3::X;
                }
                orbit.focus + flat.normalize() * reach
            }
        };
        b.extend([f64::from(p.x), -f64::from(p.z)]);
    }
    let corners = [b.min, [b.max[0], b.min[1]], b.max, [b.min[0], b.max[1]]].map(|c| frame.to_lonlat(c));
    let lon = corners.iter().map(|c| c.lon);
    let lat = corners.iter().map(|c| c.lat);
    let bx = LonLatBox {
        west: lon.clone().fold(f64::INFINITY, f64::min),
        east: lon.fold(f64::NEG_INFINITY, f64::max),
        south: lat.clone().fold(f64::INFINITY, f64::min),
        north: lat.fold(f64::NEG_INFINITY, f64::max),
    };
    let centre = frame.to_lonlat([f64::from(orbit.focus.x), -f64::from(orbit.focus.z)]);
    let m_per_px = 2.0 * f64::from(orbit.distance_m) * f64::from((fov * 0.5).tan()) / f64::from(size.y.max(1.0));
    Some((bx, centre, m_per_px))
}

fn choose_tiles(
    mut basemap: ResMut<Basemap>,
    city: Res<City>,
    cams: Query<(&Camera, &GlobalTransform, &OrbitCamera, &Projection, Ref<GlobalTransform>)>,
    mut commands: Commands,
    mut tiles: Query<(&BasemapTile, &mut Transform)>,
) {
    let Ok((camera, transform, orbit, projection, changed)) = cams.single() else {
        return;
    };
    // Work on change: a moved camera, or tiles still missing from the last choice.
    let incomplete = basemap.wanted.iter().any(|t| !basemap.drawn.contains_key(t) && !basemap.failed.contains(t));
    if !changed.is_changed() && !incomplete {
        return;
    }
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => std::f32::consts::FRAC_PI_4,
    };
    let Some((bx, centre, m_per_px)) = view_lonlat_box(&city.model.frame, camera, transform, orbit, fov) else {
        return;
    };
    let z = basemap.grid.zoom_for(m_per_px, centre.lat, basemap.max_zoom);
    let wanted = basemap.grid.covering(z, &bx, centre, basemap.max_tiles);
    let b = &mut *basemap;
    if b.wanted.first().map(|t| t.z) != Some(z) {
        b.failed.clear();
    }
    for t in &wanted {
        if !b.drawn.contains_key(t) && !b.pending.contains(t) && !b.failed.contains(t) && b.fetcher.request(*t) {
            b.pending.insert(*t);
        }
    }
    b.wanted = wanted;
    let wanted: HashSet<TileId> = b.wanted.iter().copied().collect();
    let complete = wanted.iter().all(|t| b.drawn.contains_key(t) || b.failed.contains(t));
    b.drawn.retain(|id, entity| {
        let keep = wanted.contains(id) || (!complete && id.z != z);
        if !keep {
            commands.entity(*entity).despawn();
        }
        keep
    });
    for (tile, mut t) in &mut tiles {
        let y = if tile.0.z == z { 0.0 } else { Y_OLD_TILES - Y_TILES };
        if t.translation.y != y {
            t.translation.y = y;
        }
    }
}

/// A tile's ground mesh: a STEPS x STEPS grid whose corners follow the tile grid into the
/// local frame, with texture coordinates (0,0) at the tile's north-west corner.
pub fn tile_mesh(frame: &LocalFrame, grid: TileGrid, id: TileId) -> Mesh {
    let n = STEPS;
    let mut positions = Vec::with_capacity(((n + 1) * (n + 1)) as usize);
    let mut uvs = Vec::with_capacity(positions.capacity());
    for j in 0..=n {
        for i in 0..=n {
            let (u, v) = (i as f32 / n as f32, j as f32 / n as f32);
            let ll = grid.lonlat(id.z, f64::from(id.x) + f64::from(u), f64::from(id.y) + f64::from(v));
            let p = frame.to_local(ll);
            positions.push([p[0] as f32, Y_TILES, -p[1] as f32]);
            uvs.push([u, v]);
        }
    }
    let mut indices = Vec::with_capacity((n * n * 6) as usize);
    for j in 0..n {
        for i in 0..n {
            let a = j * (n + 1) + i;
            let (b, c, d) = (a + 1, a + n + 2, a + n + 1);
            // Counter-clockwise seen from above: i runs east, j runs south.
            indices.extend_from_slice(&[a, c, b, a, d, c]);
        }
    }
    let normals = vec![[0.0, 1.0, 0.0]; positions.len()];
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, uvs)
        .with_inserted_indices(Indices::U32(indices))
}

fn receive_tiles(
    mut commands: Commands,
    mut basemap: ResMut<Basemap>,
    city: Res<City>,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let start = Instant::now();
    let b = &mut *basemap;
    while start.elapsed() < FRAME_BUDGET {
        let Some(outcome) = b.fetcher.try_recv() else { break };
        match outcome {
            TileOutcome::Loaded { id, width, height, rgba, from_cache } => {
                b.pending.remove(&id);
                b.stats.loaded += 1;
                b.stats.from_cache += usize::from(from_cache);
                if !b.wanted.contains(&id) || b.drawn.contains_key(&id) {
                    continue;
                }
                let mut image = Image::new(
                    Extent3d { width, height, depth_or_array_layers: 1 },
                    TextureDimension::D2,
                    rgba,
                    TextureFormat::Rgba8UnormSrgb,
                    RenderAssetUsages::RENDER_WORLD,
                );
                image.sampler = ImageSampler::linear();
                let material = materials.add(StandardMaterial {
                    base_color_texture: Some(images.add(image)),
                    unlit: true,
                    ..default()
                });
                let entity = commands
                    .spawn((
                        BasemapTile(id),
                        Mesh3d(meshes.add(tile_mesh(&city.model.frame, b.grid, id))),
                        MeshMaterial3d(material),
                        Transform::IDENTITY,
                        Visibility::Inherited,
                    ))
                    .id();
                b.drawn.insert(id, entity);
            }
            TileOutcome::Failed { id, reason } => {
                b.pending.remove(&id);
                b.failed.insert(id);
                b.stats.failed += 1;
                // One line per distinct cause, not one per tile.
                let cause = reason.split(": ").skip(1).collect::<Vec<_>>().join(": ");
                if b.logged.insert(cause.clone()) {
                    warn!("base map tile {}/{}/{} failed: {reason}", id.z, id.x, id.y);
                }
                b.stats.last_error = Some(reason);
            }
        }
    }
    // A dead worker would otherwise look like a full queue: tiles asked for and never coming.
    if b.fetcher.worker_gone() && !b.stats.worker_gone {
        b.stats.worker_gone = true;
        error!("base map: the tile worker has stopped; no more tiles will load until the app restarts");
        b.stats.last_error = Some("the tile worker has stopped".into());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use twinhall_core::config::CitySource;

    use super::*;

    #[test]
    fn a_stopped_tile_worker_shows_in_the_stats_and_is_not_taken_for_a_full_queue() {
        let city = twinhall_core::generate::generate_city(50, 1, LonLat::new(114.06, 22.54));
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default()))
            .init_asset::<Image>()
            .init_asset::<Mesh>()
            .init_asset::<StandardMaterial>()
            .insert_resource(City { model: Arc::new(city), source: CitySource::Generated(50) })
            .insert_resource(Basemap {
                fetcher: TileFetcher::with_stopped_worker(),
                grid: TileGrid::WebMercator,
                max_zoom: 18,
                max_tiles: 64,
                drawn: HashMap::new(),
                pending: HashSet::new(),
                failed: HashSet::new(),
                wanted: Vec::new(),
                logged: HashSet::new(),
                stats: BasemapStats::default(),
            })
            .add_systems(Update, receive_tiles);
        app.update();
        let stats = app.world().resource::<Basemap>().stats.clone();
        assert!(stats.worker_gone, "{stats:?}");
        assert_eq!(stats.last_error.as_deref(), Some("the tile worker has stopped"));
        assert!(!app.world().resource::<Basemap>().fetcher.request(TileId { z: 1, x: 0, y: 0 }));
        app.update();
        assert!(app.world().resource::<Basemap>().stats.worker_gone);
    }
}
