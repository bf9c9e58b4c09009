//! glTF/GLB models placed by config at a lon/lat/altitude with heading and scale. A missing
//! file is reported by name and skipped; the rest of the city is unaffected.

use bevy::gltf::GltfAssetLabel;
use bevy::prelude::*;
use bevy::world_serialization::WorldAssetRoot;
use twinhall_core::LonLat;
use twinhall_core::config::ModelConfig;

use crate::context::{City, Settings};

/// A placed model, by its config name.
#[derive(Component, Debug, Clone)]
pub struct PlacedModel {
    pub name: String,
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, place_models);
}

/// The transform of a model in the scene.
pub fn model_transform(city: &City, m: &ModelConfig) -> Transform {
    let p = city.model.frame.to_local(LonLat::new(m.lon, m.lat));
    Transform::from_xyz(p[0] as f32, m.altitude_m, -p[1] as f32)
        .with_rotation(Quat::from_rotation_y(-m.heading_deg.to_radians()))
        .with_scale(Vec3::splat(m.scale))
}

fn place_models(mut commands: Commands, settings: Res<Settings>, city: Res<City>, assets: Option<Res<AssetServer>>) {
    let Some(assets) = assets else {
        return;
    };
    let root = crate::paths::project_root().join("assets");
    for m in &settings.config.models {
        if !root.join(&m.path).is_file() {
            warn!("model `{}` skipped: {} does not exist", m.name, root.join(&m.path).display());
            continue;
        }
        commands.spawn((
            PlacedModel { name: m.name.clone() },
            WorldAssetRoot(assets.load(GltfAssetLabel::Scene(0).from_asset(m.path.clone()))),
            model_transform(&city, m),
        ));
    }
}
