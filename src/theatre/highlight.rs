//! A step's highlights: its queries (open fire incidents, the five worst grids ...) resolved on
//! the store, again once a second while the store changes, and drawn on the twin in the theme's
//! accent: a ring at each entity, areas outlined and the worst ones tagged with rank and score.

use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::heartbeat::Scope;
use twinhall_core::protocol::IncidentStatus;
use twinhall_core::theatre::{Colour, Query as SceneQuery};

use super::player::Theatre;
use crate::context::{City, OrbitCamera, ViewRect, local_of, scene_of};
use crate::feed::FeedData;

/// Height of the rings and outlines above the ground.
const Y: f32 = 6.0;
/// Most areas tagged.
const TAGGED: usize = 5;

/// A highlighted point entity.
#[derive(Clone, Debug, PartialEq)]
pub struct Spot {
    pub local: [f64; 2],
    pub severity: u8,
}

/// A highlighted area, ranked.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedArea {
    pub id: String,
    pub name: String,
    pub score: f32,
    pub ring: Vec<[f64; 2]>,
}

/// What the current step draws out.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct Highlights {
    pub spots: Vec<Spot>,
    pub areas: Vec<RankedArea>,
    pub accent: Option<Colour>,
}

impl Highlights {
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    pub fn is_empty(&self) -> bool {
        self.spots.is_empty() && self.areas.is_empty()
    }

    /// South-west and north-east corners of everything highlighted, local metres.
    pub fn extent(&self) -> Option<([f64; 2], [f64; 2])> {
        let points = self.spots.iter().map(|s| s.local).chain(self.areas.iter().flat_map(|a| a.ring.iter().copied()));
        points.fold(None, |acc, p| {
            Some(match acc {
                None => (p, p),
                Some((lo, hi)) => ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])]),
            })
        })
    }
}

/// The queries' entities in the store now.
pub fn resolve(queries: &[SceneQuery], data: &FeedData, city: &City) -> Highlights {
    let mut h = Highlights::default();
    let at = |lon: f64, lat: f64| local_of(city, lon, lat);
    for q in queries {
        match q {
            SceneQuery::Incidents(iq) => {
                let mut v: Vec<_> = data
                    .incidents
                    .iter()
                    .map(|(_, i)| i)
                    .filter(|i| {
                        (iq.categories.is_empty() || iq.categories.contains(&i.category))
                            && i.severity >= iq.min_severity
                            && if iq.statuses.is_empty() {
                                i.status < IncidentStatus::Feedback
                            } else {
                                iq.statuses.contains(&i.status)
                            }
                    })
                    .collect();
                v.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.reported_at.cmp(&a.reported_at)));
                h.spots.extend(
                    v.into_iter().take(iq.limit).map(|i| Spot { local: at(i.lon, i.lat), severity: i.severity }),
                );
            }
            SceneQuery::WorstAreas(aq) => {
                let ranked = twinhall_core::heartbeat::rank(data, Scope::Level(aq.level), aq.aspect);
                h.areas.extend(
                    ranked
                        .into_iter()
                        .filter_map(|r| data.areas.get(&r.id).filter(|a| a.ring.len() >= 3).map(|a| (r, a)))
                        .take(aq.count)
                        .map(|(r, a)| RankedArea {
                            id: r.id,
                            name: r.name,
                            score: r.score,
                            ring: a.ring.iter().map(|p| at(p[0], p[1])).collect(),
                        }),
                );
            }
            SceneQuery::AlarmingSensors => h.spots.extend(
                data.sensors
                    .iter()
                    .filter(|(_, s)| s.alarm)
                    .map(|(_, s)| Spot { local: at(s.lon, s.lat), severity: 3 }),
            ),
            SceneQuery::OfflineCameras => h.spots.extend(
                data.cameras
                    .iter()
                    .filter(|(_, c)| !c.online)
                    .map(|(_, c)| Spot { local: at(c.lon, c.lat), severity: 1 }),
            ),
            SceneQuery::Units(uq) => h.spots.extend(
                data.units
                    .iter()
                    .map(|(_, u)| u)
                    .filter(|u| {
                        (uq.kinds.is_empty() || uq.kinds.contains(&u.kind))
                            && (uq.statuses.is_empty() || uq.statuses.contains(&u.status))
                    })
                    .take(uq.limit)
                    .map(|u| Spot { local: at(u.lon, u.lat), severity: 1 }),
            ),
            SceneQuery::Facilities(fq) => h.spots.extend(
                data.facilities
                    .iter()
                    .map(|(_, f)| f)
                    .filter(|f| fq.kinds.is_empty() || fq.kinds.contains(&f.kind))
                    .take(fq.limit)
                    .map(|f| Spot { local: at(f.lon, f.lat), severity: 2 }),
            ),
        }
    }
    h
}

/// The highlights' gizmo.
#[derive(Component)]
struct HighlightGizmo;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Highlights>()
        .add_systems(Update, (refresh_highlights, draw_highlights).chain().in_set(crate::context::AppSystems::Draw))
        .add_systems(crate::context::MapPass, tag_areas);
}

/// Re-resolves the step's queries once a second while the store changes.
fn refresh_highlights(
    time: Res<Time<Real>>,
    theatre: Res<Theatre>,
    data: Res<FeedData>,
    city: Res<City>,
    mut highlights: ResMut<Highlights>,
    mut last: Local<f64>,
) {
    let Some(p) = &theatre.playing else { return };
    let now = time.elapsed_secs_f64();
    if p.entered.is_none() || !data.is_changed() || now - *last < 1.0 {
        return;
    }
    *last = now;
    let mut h = resolve(&p.current().highlight, &data, &city);
    h.accent = Some(p.briefing.theme.accent);
    highlights.set_if_neq(h);
}

fn colour(c: Option<Colour>) -> Color {
    let [r, g, b] = c.map_or([0x2f, 0x80, 0xed], |c| c.0);
    Color::srgb_u8(r, g, b)
}

fn draw_highlights(
    mut commands: Commands,
    highlights: Res<Highlights>,
    assets: Option<ResMut<Assets<GizmoAsset>>>,
    existing: Query<Entity, With<HighlightGizmo>>,
) {
    if !highlights.is_changed() {
        return;
    }
    let Some(mut assets) = assets else { return };
    for e in &existing {
        commands.entity(e).despawn();
    }
    if highlights.is_empty() {
        return;
    }
    let accent = colour(highlights.accent);
    let mut g = GizmoAsset::default();
    let iso = |p: [f64; 2]| Isometry3d::new(scene_of(p, Y), Quat::from_rotation_x(std::f32::consts::FRAC_PI_2));
    for s in &highlights.spots {
        let r = 30.0 + 10.0 * f32::from(s.severity.min(4));
        g.circle(iso(s.local), r, accent);
        g.circle(iso(s.local), r * 0.6, accent.with_alpha(0.7));
    }
    for (rank, a) in highlights.areas.iter().enumerate() {
        let c = if rank == 0 { Color::WHITE } else { accent };
        for (p, q) in a.ring.iter().zip(a.ring.iter().cycle().skip(1)) {
            g.line(scene_of(*p, Y), scene_of(*q, Y), c);
        }
    }
    commands.spawn((
        HighlightGizmo,
        Gizmo { handle: assets.add(g), line_config: GizmoLineConfig { width: 4.0, ..default() }, depth_bias: -0.6 },
    ));
}

/// Tags the ranked areas on the view: "#1 网格 12 · 61.8".
fn tag_areas(
    mut map: crate::context::MapUi,
    highlights: Res<Highlights>,
    theatre: Res<Theatre>,
    view_rect: Res<ViewRect>,
    cameras: Query<(&Camera, &GlobalTransform), With<OrbitCamera>>,
) -> Result {
    if theatre.playing.is_none() || highlights.areas.is_empty() {
        return Ok(());
    }
    let Ok((camera, at)) = cameras.single() else { return Ok(()) };
    let ctx = map.ctx()?;
    let zoom = ctx.zoom_factor();
    let painter =
        ctx.layer_painter(egui::LayerId::new(egui::Order::Middle, "theatre_tags".into())).with_clip_rect(view_rect.0);
    let [r, g, b] = highlights.accent.map_or([0x2f, 0x80, 0xed], |c| c.0);
    let accent = egui::Color32::from_rgb(r, g, b);
    for (rank, a) in highlights.areas.iter().take(TAGGED).enumerate() {
        let n = a.ring.len() as f64;
        let c = [a.ring.iter().map(|p| p[0]).sum::<f64>() / n, a.ring.iter().map(|p| p[1]).sum::<f64>() / n];
        let Ok(p) = camera.world_to_viewport(at, scene_of(c, Y)) else { continue };
        let text = format!("#{} {} · {:.1}", rank + 1, a.name, a.score);
        let galley = painter.layout_no_wrap(text, egui::FontId::proportional(16.0), egui::Color32::WHITE);
        let rect = egui::Rect::from_center_size(egui::pos2(p.x, p.y) / zoom, galley.size() + egui::vec2(12.0, 6.0));
        painter.rect_filled(rect, 4.0, egui::Color32::from_rgba_unmultiplied(10, 20, 40, 225));
        painter.rect_stroke(rect, 4.0, egui::Stroke::new(2.0, accent), egui::StrokeKind::Outside);
        painter.galley(rect.min + egui::vec2(6.0, 3.0), galley, egui::Color32::WHITE);
    }
    Ok(())
}
