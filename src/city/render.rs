//! Draws the city: ground, water, green areas, roads, railways and extruded buildings, batched
//! per tile and layer. Meshes are rebuilt only when the city or the style changes.

use std::time::Instant;

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use twinhall_core::config::{ColorBy, KIND_COLOURS, Palette, Rgba, StyleMode};
use twinhall_core::extrude::{BuildingColors, Extruder, MeshData, batch_buildings, ribbon};
use twinhall_core::model::RoadClass;

use crate::context::{AppSystems, City, LayerVisibility, Settings};

/// Which city layer a mesh entity draws.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CityLayer {
    Ground,
    Water,
    Green,
    Roads,
    Railways,
    Buildings,
}

/// How the city's layers show.
trait Shows {
    fn visibility(&self, layer: CityLayer) -> Visibility;
    fn shows(&self, layer: CityLayer) -> bool;
}

impl Shows for LayerVisibility {
    fn visibility(&self, layer: CityLayer) -> Visibility {
        if self.shows(layer) { Visibility::Inherited } else { Visibility::Hidden }
    }

    fn shows(&self, layer: CityLayer) -> bool {
        match layer {
            CityLayer::Ground => true,
            CityLayer::Water => self.water,
            CityLayer::Green => self.green,
            CityLayer::Roads => self.roads,
            CityLayer::Railways => self.railways,
            CityLayer::Buildings => self.buildings,
        }
    }
}

/// The active map style: night command hall or day, and what building colours show.
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapStyle {
    pub mode: StyleMode,
    pub color_by: ColorBy,
}

/// What the last rebuild produced, for the status bar and the benchmarks.
#[derive(Resource, Clone, Debug, Default)]
pub struct CityMeshStats {
    pub mesh_entities: usize,
    pub triangles: usize,
    pub buildings_drawn: usize,
    pub buildings_failed: usize,
    pub build_ms: f64,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LayerVisibility>()
        .init_resource::<CityMeshStats>()
        .add_systems(Startup, init_style)
        .add_systems(
            Update,
            (
                rebuild_city_meshes.run_if(
                    resource_exists::<City>.and_then(resource_changed::<City>.or_eager(resource_changed::<MapStyle>)),
                ),
                apply_layer_visibility.run_if(resource_changed::<LayerVisibility>),
            )
                .chain()
                .in_set(AppSystems::City),
        );
}

fn init_style(mut commands: Commands, settings: Res<Settings>) {
    commands.insert_resource(MapStyle { mode: settings.config.style.mode, color_by: settings.config.style.color_by });
}

/// Linear RGBA of a configured sRGB colour, as vertex colours want it.
fn linear(c: Rgba) -> [f32; 4] {
    Color::srgba(c.0[0], c.0[1], c.0[2], c.0[3]).to_linear().to_f32_array()
}

/// A Bevy mesh from core mesh data (render-world only: the CPU copy is freed after upload).
pub fn to_mesh(d: MeshData) -> Mesh {
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, d.positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, d.normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, d.colors)
        .with_inserted_indices(Indices::U32(d.indices))
}

/// Heights of the flat layers above the ground, so they never fight for depth.
const Y_WATER: f32 = 0.2;
const Y_GREEN: f32 = 0.3;
const Y_PATH: f32 = 0.4;
const Y_MINOR: f32 = 0.5;
const Y_MAJOR: f32 = 0.6;
const Y_RAIL: f32 = 0.7;

/// All meshes of the city for one palette, with the layer each belongs to.
pub fn build_city_meshes(
    city: &twinhall_core::CityModel,
    palette: &Palette,
    color_by: ColorBy,
    tile_size_m: f64,
) -> (Vec<(CityLayer, MeshData)>, CityMeshStats) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut ex = Extruder::new();

    let mut water = MeshData::default();
    for w in &city.water {
        ex.flat_polygon(&w.polygon, Y_WATER, linear(palette.water), &mut water);
    }
    out.push((CityLayer::Water, water));
    let mut green = MeshData::default();
    for g in &city.green {
        ex.flat_polygon(&g.polygon, Y_GREEN, linear(palette.green), &mut green);
    }
    out.push((CityLayer::Green, green));

    let mut roads = MeshData::default();
    for r in city.roads.iter().filter(|r| !r.tunnel) {
        let (color, y) = match r.class {
            RoadClass::Motorway | RoadClass::Trunk | RoadClass::Primary | RoadClass::Secondary => {
                (palette.road_major, Y_MAJOR)
            }
            RoadClass::Path | RoadClass::Pedestrian => (palette.path, Y_PATH),
            _ => (palette.road_minor, Y_MINOR),
        };
        ribbon(&r.points, r.class.width_m(), y, linear(color), &mut roads);
    }
    out.push((CityLayer::Roads, roads));
    let mut rails = MeshData::default();
    for r in city.railways.iter().filter(|r| !r.tunnel) {
        ribbon(&r.points, 2.5, Y_RAIL, linear(palette.railway), &mut rails);
    }
    out.push((CityLayer::Railways, rails));

    let colors = BuildingColors {
        base: linear(palette.building_base),
        top: linear(palette.building_top),
        tall: linear(palette.building_tall),
        roof: linear(palette.roof),
        tall_m: palette.tall_m,
        by_kind: (color_by == ColorBy::Type).then(|| KIND_COLOURS.map(linear)),
    };
    let batches = batch_buildings(&city.buildings, &colors, tile_size_m);
    let (drawn, failed) = (batches.drawn, batches.failed);
    out.extend(batches.tiles.into_values().map(|m| (CityLayer::Buildings, m)));
    out.retain(|(_, m)| !m.is_empty());
    let stats = CityMeshStats {
        mesh_entities: out.len(),
        triangles: out.iter().map(|(_, m)| m.triangle_count()).sum(),
        buildings_drawn: drawn,
        buildings_failed: failed,
        build_ms: start.elapsed().as_secs_f64() * 1000.0,
    };
    (out, stats)
}

#[expect(clippy::too_many_arguments, reason = "a system that owns the city's render state")]
fn rebuild_city_meshes(
    mut commands: Commands,
    city: Res<City>,
    style: Res<MapStyle>,
    settings: Res<Settings>,
    layers: Res<LayerVisibility>,
    old: Query<Entity, With<CityLayer>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut stats: ResMut<CityMeshStats>,
) {
    for e in &old {
        commands.entity(e).despawn();
    }
    let palette = match style.mode {
        StyleMode::Night => &settings.config.style.night,
        StyleMode::Day => &settings.config.style.day,
    };
    commands.insert_resource(ClearColor(Color::srgb(palette.sky.0[0], palette.sky.0[1], palette.sky.0[2])));
    commands.insert_resource(GlobalAmbientLight { brightness: palette.ambient, ..default() });

    let flat = materials.add(StandardMaterial { base_color: Color::WHITE, unlit: true, ..default() });

    let model = &city.model;
    let bounds = model.bounds();
    let centre = bounds.center();
    let size = bounds.size();
    let ground_m = (size[0].max(size[1]) * 4.0).max(6000.0) as f32;
    let g = palette.ground.0;
    commands.spawn((
        CityLayer::Ground,
        Visibility::Inherited,
        Mesh3d(meshes.add(Plane3d::default().mesh().size(ground_m, ground_m))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgb(g[0], g[1], g[2]),
            unlit: true,
            ..default()
        })),
        Transform::from_xyz(centre[0] as f32, 0.0, -centre[1] as f32),
    ));

    commands.spawn((
        CityLayer::Ground,
        DirectionalLight { illuminance: palette.sun_lux, shadow_maps_enabled: false, ..default() },
        Transform::from_xyz(-0.4, 1.0, 0.6).looking_at(Vec3::ZERO, Vec3::Y),
    ));

    let (batches, new_stats) = build_city_meshes(model, palette, style.color_by, settings.config.city.tile_size_m);
    for (layer, data) in batches {
        let material = flat.clone();
        commands.spawn((
            layer,
            Mesh3d(meshes.add(to_mesh(data))),
            MeshMaterial3d(material),
            Transform::IDENTITY,
            layers.visibility(layer),
        ));
    }
    info!(
        "city meshes built: {} entities, {} triangles, {} buildings ({} failed) in {:.1} ms",
        new_stats.mesh_entities,
        new_stats.triangles,
        new_stats.buildings_drawn,
        new_stats.buildings_failed,
        new_stats.build_ms
    );
    *stats = new_stats;
}

fn apply_layer_visibility(visible: Res<LayerVisibility>, mut layers: Query<(&CityLayer, &mut Visibility)>) {
    for (layer, mut vis) in &mut layers {
        vis.set_if_neq(visible.visibility(*layer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::ConfigOrigin;
    use std::sync::Arc;
    use twinhall_core::config::{CitySource, Config};

    fn app_with_city(source: CitySource) -> App {
        let config = Config::default();
        let model = crate::city::load_source(&source, &config.city).expect("city loads");
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default()))
            .init_asset::<Mesh>()
            .init_asset::<StandardMaterial>()
            .insert_resource(Settings {
                config,
                config_origin: ConfigOrigin::BuiltIn,
                city_source: source.clone(),
                screenshot: None,
                brief: None,
            })
            .insert_resource(City { model: Arc::new(model), source })
            .add_plugins(plugin);
        app
    }

    fn layer_entities(app: &mut App) -> Vec<Entity> {
        let mut q = app.world_mut().query_filtered::<Entity, With<CityLayer>>();
        let mut v: Vec<Entity> = q.iter(app.world()).collect();
        v.sort();
        v
    }

    #[test]
    fn meshes_are_batched_and_rebuilt_only_when_the_style_changes() {
        let mut app = app_with_city(CitySource::Generated(2000));
        app.update();
        let stats = app.world().resource::<CityMeshStats>().clone();
        assert_eq!(stats.buildings_drawn, 2000);
        assert_eq!(stats.buildings_failed, 0);
        assert!(stats.mesh_entities * 20 <= 2000, "{} mesh entities for 2000 buildings", stats.mesh_entities);
        let first = layer_entities(&mut app);
        assert!(!first.is_empty());

        app.update();
        app.update();
        assert_eq!(layer_entities(&mut app), first, "nothing changed, nothing may be rebuilt");

        app.world_mut().resource_mut::<MapStyle>().mode = StyleMode::Day;
        app.update();
        let second = layer_entities(&mut app);
        assert_eq!(second.len(), first.len());
        assert!(second.iter().all(|e| !first.contains(e)), "a style change rebuilds the meshes");
        let sky = Palette::day().sky.0;
        let clear = app.world().resource::<ClearColor>().0.to_srgba();
        assert!((clear.red - sky[0]).abs() < 1e-3 && (clear.blue - sky[2]).abs() < 1e-3);
    }

    #[test]
    fn hiding_a_layer_hides_its_meshes_and_survives_a_rebuild() {
        let mut app = app_with_city(CitySource::EmbeddedHelsinki);
        app.update();
        app.world_mut().resource_mut::<LayerVisibility>().buildings = false;
        app.update();
        app.world_mut().resource_mut::<MapStyle>().mode = StyleMode::Day;
        app.update();
        let mut q = app.world_mut().query::<(&CityLayer, &Visibility)>();
        let mut buildings = 0;
        for (layer, vis) in q.iter(app.world()) {
            if *layer == CityLayer::Buildings {
                buildings += 1;
                assert_eq!(*vis, Visibility::Hidden);
            } else {
                assert_ne!(*vis, Visibility::Hidden);
            }
        }
        assert!(buildings > 0);
    }
}
