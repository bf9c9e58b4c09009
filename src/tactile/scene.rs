//! Open alerts on the twin: a violet diamond at each alert's place, and pulsing violet rings
//! around those whose condition holds now (the ring shader animates them on the GPU; the meshes
//! are rebuilt only when the alerts change). Violet keeps them apart from incidents, whose
//! colours are the severity scale.

use bevy::camera::visibility::NoFrustumCulling;
use bevy::prelude::*;

use twinhall_core::overlay::thin::{Urgency, most_urgent};

use super::Tactile;
use crate::context::{City, linear, local_of, scene_of};
use crate::overlays::{Icon, IconMeshes, IconVerts, Shape};

/// The two meshes of the alert marks.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertMarks {
    Icons,
    Rings,
}

/// Alerts that pulse at most (the most severe, then the newest).
pub const MAX_PULSES: usize = 24;

/// Height of the marks above the ground (they draw over everything; this only places them).
const MARK_Y: f32 = 8.0;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, build_marks.in_set(crate::context::AppSystems::Draw));
}

/// Violet, deeper and more opaque with severity.
pub fn alert_rgb(severity: u8) -> [f32; 3] {
    match severity {
        0 | 1 => [0.72, 0.62, 1.0],
        2 => [0.7, 0.45, 1.0],
        3 => [0.78, 0.3, 1.0],
        _ => [0.95, 0.2, 0.95],
    }
}

/// The marks' vertices for the open alerts: (icons, rings).
pub fn alert_verts(tactile: &Tactile, city: &City) -> (IconVerts, IconVerts) {
    let mut icons = IconVerts::default();
    let mut rings = IconVerts::default();
    // Hundreds of pulsing rings read as none: the most severe, then the newest, active alerts
    // pulse; every open alert keeps its diamond.
    let mut active: Vec<(Urgency, u64)> = tactile
        .book
        .all()
        .iter()
        .filter(|a| a.is_open() && a.active)
        .map(|a| (Urgency { severity: a.severity, reported_at: a.last_seen }, a.id))
        .collect();
    most_urgent(&mut active, MAX_PULSES);
    let pulsing: std::collections::HashSet<u64> = active.into_iter().map(|a| a.1).collect();
    for a in tactile.book.all().iter().filter(|a| a.is_open()) {
        let Some([lon, lat]) = a.lonlat else { continue };
        let p = scene_of(local_of(city, lon, lat), MARK_Y);
        let [r, g, b] = alert_rgb(a.severity);
        let alpha = if a.active { 1.0 } else { 0.55 };
        let mut icon = Icon::at(p, linear(r, g, b, alpha), 13.0 + 2.0 * f32::from(a.severity), Shape::Diamond);
        icon.outline = 0.6;
        icons.push(&icon);
        if a.active && pulsing.contains(&a.id) {
            let mut ring = Icon::at(p, linear(r, g, b, 0.95), 56.0 + 8.0 * f32::from(a.severity), Shape::Circle);
            // The ring shader reads this as the phase: neighbours do not pulse in step.
            ring.heading = (a.id % 5) as f32 / 5.0;
            rings.push(&ring);
        }
    }
    (icons, rings)
}

/// Rebuilds the marks when the alerts change (the engine marks `Tactile` changed only then).
fn build_marks(
    mut commands: Commands,
    tactile: Option<Res<Tactile>>,
    city: Res<City>,
    registry: Option<Res<IconMeshes>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    marks: Query<(&AlertMarks, &Mesh3d)>,
) {
    let (Some(tactile), Some(registry), Some(mut meshes)) = (tactile, registry, meshes) else { return };
    if !tactile.is_changed() && !marks.is_empty() {
        return;
    }
    let (icons, rings) = alert_verts(&tactile, &city);
    let (icon_mesh, ring_mesh) = (icons.into_mesh(false), rings.into_mesh(true));
    if marks.is_empty() {
        // Spawned once; later only their meshes are replaced.
        commands.spawn((
            AlertMarks::Icons,
            Mesh3d(meshes.add(icon_mesh)),
            MeshMaterial3d(registry.icon.clone()),
            Transform::default(),
            NoFrustumCulling,
        ));
        commands.spawn((
            AlertMarks::Rings,
            Mesh3d(meshes.add(ring_mesh)),
            MeshMaterial3d(registry.ring.clone()),
            Transform::default(),
            NoFrustumCulling,
        ));
        return;
    }
    let (mut icon_mesh, mut ring_mesh) = (Some(icon_mesh), Some(ring_mesh));
    for (mark, mesh) in &marks {
        let m = match mark {
            AlertMarks::Icons => icon_mesh.take(),
            AlertMarks::Rings => ring_mesh.take(),
        };
        if let Some(m) = m {
            let _ = meshes.insert(mesh.id(), m);
        }
    }
}
