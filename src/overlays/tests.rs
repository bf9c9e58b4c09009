//! Headless tests of the overlay layers, clustering, picking and labels.

use std::sync::Arc;

use bevy::asset::AssetEvent;
use twinhall_core::config::CitySource;
use twinhall_core::sim::{SimConfig, Simulation};

use super::icons::{IconLayer, IconMeshes};
use super::*;
use crate::context::{City, FeedRef, OrbitCamera, OverlayLayers, OverlayView, local_of, scene_of};
use crate::feed::FeedData;
use bevy::prelude::*;
use twinhall_core::LonLat;
use twinhall_core::protocol::EntityKind;

fn app() -> (App, Simulation) {
    let city = twinhall_core::generate::generate_city(600, 3, LonLat::new(114.06, 22.54));
    let sim = Simulation::new(
        &city,
        SimConfig { units: 40, cameras: 300, incidents: 30, sensors: 40, ..SimConfig::default() },
    );
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .insert_resource(crate::settings::tests::settings_for(CitySource::Generated(600)))
        .insert_resource(City { model: Arc::new(city), source: CitySource::Generated(600) })
        .init_resource::<FeedData>()
        .init_resource::<crate::camera::GroundCursor>()
        .add_plugins((crate::context::plugin, plugin));
    (app, sim)
}

/// A view from the south-west over the city centre at `distance` metres, 960x540.
fn view_at(distance: f32) -> OverlayView {
    let orbit = OrbitCamera { focus: Vec3::ZERO, distance_m: distance, pitch: 0.8, heading: 0.3 };
    let proj = Mat4::perspective_infinite_reverse_rh(std::f32::consts::FRAC_PI_4, 960.0 / 540.0, 1.0);
    OverlayView {
        clip_from_world: proj * orbit.transform().to_matrix().inverse(),
        size: Vec2::new(960.0, 540.0),
        distance_m: distance,
        focus: [0.0, 0.0],
        px_scale: 1.0,
        text_scale: 1.0,
        origin: Vec2::ZERO,
        viewport_h: 540.0,
    }
}

fn modified(app: &mut App) -> Vec<IconLayer> {
    let events: Vec<AssetId<Mesh>> = app
        .world_mut()
        .resource_mut::<Messages<AssetEvent<Mesh>>>()
        .drain()
        .filter_map(|e| if let AssetEvent::Modified { id } = e { Some(id) } else { None })
        .collect();
    let registry = app.world().resource::<IconMeshes>();
    let mut layers: Vec<IconLayer> =
        registry.meshes.iter().filter(|(_, h)| events.contains(&h.id())).map(|(l, _)| *l).collect();
    layers.sort_by_key(|l| *l as u8);
    layers
}

/// Runs frames until the spread-out work is done.
fn settle(app: &mut App) {
    for _ in 0..12 {
        app.update();
    }
}

fn vertices(app: &App, layer: IconLayer) -> usize {
    let registry = app.world().resource::<IconMeshes>();
    let meshes = app.world().resource::<Assets<Mesh>>();
    meshes.get(&registry.meshes[&layer]).map(Mesh::count_vertices).unwrap_or(0)
}

#[test]
fn layers_build_from_the_store_and_rebuild_only_what_changed() {
    let (mut app, mut sim) = app();
    app.insert_resource(view_at(1200.0));
    app.update();
    app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
    settle(&mut app);
    let data = app.world().resource::<FeedData>();
    let (incidents, cameras, units) = (data.incidents.len(), data.cameras.len(), data.units.len());
    assert_eq!(vertices(&app, IconLayer::Incidents), incidents * 4);
    assert_eq!(vertices(&app, IconLayer::Cameras), cameras * 4, "close enough: one icon per camera");
    assert_eq!(vertices(&app, IconLayer::Units), units * 4);
    // Nothing new: nothing rebuilt. The rings also look again when the wall clock's minute turns
    // (new incidents stop pulsing five minutes on): the frames checked must all fall in one
    // minute, after a frame that saw it; when the minute turned meanwhile, check again.
    let minute = || twinhall_core::protocol::now_ms() / 60_000;
    let rebuilt = loop {
        let at = minute();
        app.update();
        let _ = modified(&mut app);
        app.update();
        app.update();
        let rebuilt = modified(&mut app);
        if minute() == at {
            break rebuilt;
        }
    };
    assert!(rebuilt.is_empty(), "a frame with nothing new rebuilt a layer: {rebuilt:?}");
    // A batch that moves units (and perhaps incidents and sensors) rebuilds those only.
    sim.step(2000);
    let batch = sim.take_batch().expect("units moved");
    let kinds = (!batch.upserts.incidents.is_empty(), !batch.upserts.sensors.is_empty());
    app.world_mut().resource_mut::<FeedData>().apply_batch(batch).expect("in order");
    settle(&mut app);
    let changed = modified(&mut app);
    assert!(changed.contains(&IconLayer::Units));
    assert!(!changed.contains(&IconLayer::Cameras) && !changed.contains(&IconLayer::Facilities));
    assert_eq!(changed.contains(&IconLayer::Incidents), kinds.0);
    assert_eq!(changed.contains(&IconLayer::Sensors), kinds.1);
}

#[test]
fn zoomed_out_cameras_cluster_with_counts() {
    let (mut app, sim) = app();
    app.insert_resource(view_at(9000.0));
    app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
    settle(&mut app);
    let clusters = app.world().resource::<icons::CameraClusters>();
    let total: usize = clusters.clusters.iter().map(|c| c.count).sum();
    assert_eq!(total, 300);
    assert!(clusters.clusters.len() < 300 / 3, "{} clusters", clusters.clusters.len());
    assert_eq!(vertices(&app, IconLayer::Cameras), clusters.clusters.len() * 4);
    // Zooming in and out again regroups from the same positions.
    app.insert_resource(view_at(1000.0));
    settle(&mut app);
    assert_eq!(vertices(&app, IconLayer::Cameras), 300 * 4);
    app.insert_resource(view_at(9000.0));
    settle(&mut app);
    let n = app.world().resource::<icons::CameraClusters>().clusters.len();
    assert!(n > 0 && n < 100);
    assert_eq!(vertices(&app, IconLayer::Cameras), n * 4);
}

#[test]
fn a_batch_every_frame_starves_no_layer() {
    // A slow renderer (1 frame a second under Xvfb) applies a batch on every frame.
    let (mut app, mut sim) = app();
    app.insert_resource(view_at(1000.0));
    app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
    for _ in 0..16 {
        sim.step(1000);
        if let Some(b) = sim.take_batch() {
            app.world_mut().resource_mut::<FeedData>().apply_batch(b).expect("in order");
        }
        app.update();
    }
    assert_eq!(vertices(&app, IconLayer::Cameras), 300 * 4);
    assert_eq!(vertices(&app, IconLayer::Units), 40 * 4);
    let depots = app.world().resource::<FeedData>().supply_depots.len();
    assert!(depots > 0);
    assert_eq!(vertices(&app, IconLayer::Depots), depots * 4);
}

#[test]
fn zooming_out_after_the_data_arrived_clusters_too() {
    let (mut app, sim) = app();
    app.insert_resource(view_at(1000.0));
    app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
    settle(&mut app);
    app.insert_resource(view_at(9000.0));
    settle(&mut app);
    let total: usize = app.world().resource::<icons::CameraClusters>().clusters.iter().map(|c| c.count).sum();
    assert_eq!(total, 300);
}

#[test]
fn picking_finds_the_icon_under_the_cursor_and_right_click_lists_covering_cameras() {
    let (mut app, sim) = app();
    app.insert_resource(view_at(1500.0));
    app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
    settle(&mut app);
    let world = app.world();
    let (data, city, view) = (world.resource::<FeedData>(), world.resource::<City>(), world.resource::<OverlayView>());
    let (layers, spatial) = (world.resource::<OverlayLayers>(), world.resource::<Spatial>());
    let motions = world.resource::<units::UnitMotions>();
    // The incident whose icon is nearest the middle of the screen.
    let centre = Vec2::new(480.0, 270.0);
    let (id, screen, ground) = data
        .incidents
        .iter()
        .filter_map(|(_, i)| {
            let g = local_of(city, i.lon, i.lat);
            view.to_screen(scene_of(g, icons::ICON_Y + 4.0)).map(|s| (i.id.clone(), s, g))
        })
        .min_by(|a, b| a.1.distance(centre).total_cmp(&b.1.distance(centre)))
        .expect("an incident on screen");
    let hit =
        pick::pick_at(screen + Vec2::new(3.0, -2.0), ground, data, city, view, layers, spatial, motions, false, 0.0);
    assert_eq!(hit, Some(FeedRef { kind: EntityKind::Incident, id }));
    let nothing =
        pick::pick_at(Vec2::new(-500.0, -500.0), ground, data, city, view, layers, spatial, motions, false, 0.0);
    assert_eq!(nothing, None);
    // A point 20 m in front of a camera: that camera is among those that see it.
    let (_, cam) = data.cameras.iter().find(|(_, c)| c.range_m > 30.0).expect("a camera");
    let o = local_of(city, cam.lon, cam.lat);
    let h = f64::from(cam.heading_deg).to_radians();
    let p = [o[0] + 20.0 * h.sin(), o[1] + 20.0 * h.cos()];
    let seen = pick::cameras_covering(data, spatial, p, city);
    assert!(seen.iter().any(|(cid, d)| *cid == cam.id && (*d - 20.0).abs() < 0.5), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1), "nearest first");
}

#[test]
fn labels_never_overlap_and_put_incidents_first() {
    let (mut app, sim) = app();
    app.insert_resource(view_at(1200.0));
    app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
    settle(&mut app);
    let layout = app.world().resource::<LabelLayout>().clone();
    assert!(layout.labels.len() >= 10, "{} labels", layout.labels.len());
    for (i, a) in layout.labels.iter().enumerate() {
        for b in &layout.labels[i + 1..] {
            let apart =
                a.rect[2] <= b.rect[0] || b.rect[2] <= a.rect[0] || a.rect[3] <= b.rect[1] || b.rect[3] <= a.rect[1];
            assert!(apart, "{} overlaps {}", a.text, b.text);
        }
    }
    let incidents_on_screen = layout.labels.iter().filter(|l| l.kind == EntityKind::Incident).count();
    assert!(incidents_on_screen > 0);
}

/// A view like [`view_at`] over another point (local metres).
fn view_over(distance: f32, focus: [f64; 2]) -> OverlayView {
    let centre = Vec3::new(focus[0] as f32, 0.0, -focus[1] as f32);
    let orbit = OrbitCamera { focus: centre, distance_m: distance, pitch: 0.8, heading: 0.3 };
    let proj = Mat4::perspective_infinite_reverse_rh(std::f32::consts::FRAC_PI_4, 960.0 / 540.0, 1.0);
    OverlayView {
        clip_from_world: proj * orbit.transform().to_matrix().inverse(),
        size: Vec2::new(960.0, 540.0),
        distance_m: distance,
        focus,
        px_scale: 1.0,
        text_scale: 1.0,
        origin: Vec2::ZERO,
        viewport_h: 540.0,
    }
}

/// The cone apexes drawn (local metres).
fn cone_apexes(app: &mut App) -> Vec<[f64; 2]> {
    let mut q = app.world_mut().query_filtered::<&Mesh3d, With<cones::ConeLayer>>();
    let handle = q.single(app.world()).expect("the cone layer").0.clone();
    let meshes = app.world().resource::<Assets<Mesh>>();
    let Some(bevy::mesh::VertexAttributeValues::Float32x3(p)) =
        meshes.get(&handle).and_then(|m| m.attribute(Mesh::ATTRIBUTE_POSITION))
    else {
        return Vec::new();
    };
    p.iter().step_by(cones::SEGMENTS + 2).map(|a| [f64::from(a[0]), -f64::from(a[2])]).collect()
}

#[test]
fn a_crowded_city_gets_cones_near_the_focus_and_rings_for_the_most_urgent_only() {
    let city = twinhall_core::generate::generate_city(600, 3, LonLat::new(114.06, 22.54));
    let sim = Simulation::new(
        &city,
        SimConfig { units: 40, cameras: 6000, incidents: 600, sensors: 0, ..SimConfig::default() },
    );
    let (mut app, _) = app();
    app.insert_resource(view_at(1200.0));
    app.world_mut().resource_mut::<FeedData>().apply_snapshot(sim.snapshot());
    settle(&mut app);
    let apexes = cone_apexes(&mut app);
    assert_eq!(apexes.len(), cones::CONE_BUDGET, "6,000 cameras, {} cones", cones::CONE_BUDGET);
    // They are the nearest: none of the cameras left out is nearer the focus than the farthest kept.
    let city = app.world().resource::<City>().clone();
    let d = |p: [f64; 2], f: [f64; 2]| (p[0] - f[0]).hypot(p[1] - f[1]);
    let farthest = apexes.iter().map(|p| d(*p, [0.0, 0.0])).fold(0.0, f64::max);
    let all: Vec<[f64; 2]> =
        app.world().resource::<FeedData>().cameras.iter().map(|(_, c)| local_of(&city, c.lon, c.lat)).collect();
    let nearer = all.iter().filter(|p| d(**p, [0.0, 0.0]) < farthest - 0.01).count();
    assert!(nearer <= cones::CONE_BUDGET, "{nearer} cameras nearer than the farthest cone");
    // Rings: at most the budget (no sensors, nothing selected), though far more are urgent.
    let rings = vertices(&app, IconLayer::Rings) / 4;
    assert_eq!(rings, icons::MAX_RINGS, "{rings} rings");
    // Move the view across the city: the cones follow the focus.
    let away = [all.iter().map(|p| p[0]).fold(f64::MIN, f64::max) * 0.8, 0.0];
    app.insert_resource(view_over(1200.0, away));
    settle(&mut app);
    let moved = cone_apexes(&mut app);
    assert_eq!(moved.len(), cones::CONE_BUDGET);
    let mean = |v: &[[f64; 2]]| v.iter().map(|p| p[0]).sum::<f64>() / v.len() as f64;
    assert!(
        mean(&moved) > mean(&apexes) + 100.0,
        "the cones moved with the view: {} -> {}",
        mean(&apexes),
        mean(&moved)
    );
}
