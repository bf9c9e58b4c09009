//! The windows' cameras, spawned once at start: the one window's, or with `--wall` the wall's
//! (rendering to the wall's window, its own egui pass) and the console's mirror beside it, or on a
//! follower its tile's. The wall spawns them because it decides which windows there are.

use bevy::camera::{PerspectiveProjection, Projection, RenderTarget};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::prelude::*;
use bevy::window::WindowRef;

use crate::context::{
    City, HomeView, MapPass, MirrorView, OperatorCamera, OrbitCamera, Settings, WallCamera, fit_distance_m,
};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_camera);
}

fn spawn_camera(
    mut commands: Commands,
    settings: Res<Settings>,
    city: Res<City>,
    primary: Query<Entity, With<bevy::window::PrimaryWindow>>,
) -> Result {
    let bounds = city.model.bounds();
    let c = bounds.center();
    let cam = &settings.config.camera;
    let mut orbit = OrbitCamera {
        focus: Vec3::new(c[0] as f32, 0.0, -c[1] as f32),
        distance_m: if cam.distance_m > 0.0 { cam.distance_m } else { fit_distance_m(bounds.size()) },
        pitch: cam.pitch_deg.to_radians(),
        heading: cam.heading_deg.to_radians(),
    };
    orbit.clamp();
    let view = (
        Camera3d::default(),
        // A map shows its palette and tiles as configured: no filmic tonemapping.
        Tonemapping::None,
        Projection::Perspective(PerspectiveProjection { near: 1.0, far: 400_000.0, ..default() }),
        orbit.transform(),
    );
    if settings.config.wall.follows() {
        // A follower of a wall of several machines: its one window is its tile, drawn as the
        // wall's (its own egui pass, no input, no panels); the leader moves its camera.
        let window = primary.single()?;
        let wall = super::adopt(window, &settings.config.wall)?;
        commands.spawn((
            view,
            orbit,
            HomeView(orbit),
            WallCamera,
            bevy_egui::EguiSchedule::new(MapPass),
            super::no_input(),
        ));
        commands.insert_resource(wall);
    } else if settings.config.wall.enabled {
        let wall = super::open(&mut commands, &settings.config.wall)?;
        // The wall's camera comes first and draws its overlays on its own egui context; the
        // console's is the primary one, on purpose, so the panels go there.
        commands.spawn((
            view.clone(),
            orbit,
            HomeView(orbit),
            WallCamera,
            RenderTarget::Window(WindowRef::Entity(wall.window)),
            bevy_egui::EguiSchedule::new(MapPass),
            super::no_input(),
        ));
        commands.spawn((view, MirrorView, OperatorCamera, bevy_egui::PrimaryEguiContext));
        commands.insert_resource(wall);
    } else {
        commands.spawn((view, orbit, HomeView(orbit), OperatorCamera, bevy_egui::PrimaryEguiContext));
    }
    Ok(())
}
