//! The map's view: the camera's view as everything drawn over the map needs it (projection,
//! size, distance, focus), computed from this frame's camera in [`AppSystems::View`]; the parts of
//! the windows the map shows; the UI scale for a height; the local-metres/scene helpers.

use bevy::camera::CameraProjection;
use bevy::prelude::*;
use twinhall_core::LonLat;

use bevy_egui::egui;

use super::camera::{OperatorCamera, OrbitCamera};
use super::city::City;
use super::schedule::AppSystems;
use super::wall::{TileView, Wall};

/// The part of the window the 3D view shows (inside the panels), in egui points; the overlays
/// clip their labels to it.
#[derive(Resource, Debug, Clone, Copy)]
pub struct ViewRect(pub egui::Rect);

impl Default for ViewRect {
    fn default() -> Self {
        Self(egui::Rect::EVERYTHING)
    }
}

/// The part of the operator's window inside the panels (the one window's map, or with a wall
/// the console's small map), in its egui points: the console's own cards and windows go there.
#[derive(Resource, Debug, Clone, Copy)]
pub struct ConsoleRect(pub egui::Rect);

impl Default for ConsoleRect {
    fn default() -> Self {
        Self(egui::Rect::EVERYTHING)
    }
}

/// Text scale for a window height: 1.0 up to 1080 px, growing on taller walls.
pub fn ui_scale_for_height(height_px: f32) -> f32 {
    (height_px / 1080.0).clamp(1.0, 4.0)
}

/// The part of [`ConsoleRect`] that no console window holds (left of the layers window's
/// column): where the console's cards and floating windows go.
#[derive(Resource, Debug, Clone, Copy)]
pub struct ConsoleFree(pub egui::Rect);

impl Default for ConsoleFree {
    fn default() -> Self {
        Self(egui::Rect::EVERYTHING)
    }
}

/// An egui rectangle as the one layout's (`twinhall_core::layout`), and back.
pub fn layout_rect(r: egui::Rect) -> twinhall_core::layout::Rect {
    twinhall_core::layout::Rect::new(r.min.x, r.min.y, r.max.x, r.max.y)
}

pub fn egui_rect(r: twinhall_core::layout::Rect) -> egui::Rect {
    egui::Rect::from_min_max(egui::pos2(r.min[0], r.min[1]), egui::pos2(r.max[0], r.max[1]))
}

/// Where what is drawn over the map lays out (a briefing's cards, the HUD), in the map's egui
/// points: on a wall its view (on a tile of several machines, the whole canvas), on one window
/// the part of the view that no console window holds.
pub fn layout_area(
    viewport: egui::Rect,
    view: &ViewRect,
    free: &ConsoleFree,
    on_wall: bool,
    tiled: bool,
) -> egui::Rect {
    if tiled {
        return view.0;
    }
    let r = view.0.intersect(viewport);
    if on_wall { r } else { r.intersect(free.0) }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ViewRect>()
        .init_resource::<ConsoleRect>()
        .init_resource::<ConsoleFree>()
        .init_resource::<OverlayView>()
        .init_resource::<PickView>()
        .add_systems(Update, update_view.in_set(AppSystems::View));
}

/// The camera's view as the overlays need it: updated when the camera or window changes.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct OverlayView {
    pub clip_from_world: Mat4,
    /// Viewport size in logical pixels.
    pub size: Vec2,
    pub distance_m: f32,
    /// Ground point looked at, local metres.
    pub focus: [f64; 2],
    /// Icon scale for the wall (1 up to 1080 px tall, more on taller walls, times the wall
    /// preset's icon scale).
    pub px_scale: f32,
    /// Label text scale: the height's scale times the wall preset's text scale.
    pub text_scale: f32,
    /// Where the window shows the view from: its top-left corner on the view (a tile's corner
    /// on the canvas of a wall of several machines; zero otherwise). `size` is the whole view's.
    pub origin: Vec2,
    /// Height of the picture the camera renders itself, logical px (a tile's, or `size.y`).
    pub viewport_h: f32,
}

/// The operator's view, for pointing at icons: the one window's, or with a wall the console's
/// map (the same camera pose, another size).
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct PickView(pub OverlayView);

impl Default for OverlayView {
    fn default() -> Self {
        Self {
            clip_from_world: Mat4::IDENTITY,
            size: Vec2::ZERO,
            distance_m: 1000.0,
            focus: [0.0, 0.0],
            px_scale: 1.0,
            text_scale: 1.0,
            origin: Vec2::ZERO,
            viewport_h: 0.0,
        }
    }
}

impl OverlayView {
    /// Position on the view (logical px, origin top left; on a wall of several machines, on the
    /// whole canvas: [`OverlayView::origin`] shifts it to this tile) of a scene point, if in
    /// front of the camera.
    pub fn to_screen(&self, p: Vec3) -> Option<Vec2> {
        let c = self.clip_from_world * p.extend(1.0);
        if c.w <= 1e-3 {
            return None;
        }
        let ndc = c.truncate() / c.w;
        if ndc.x.abs() > 1.2 || ndc.y.abs() > 1.2 {
            return None;
        }
        Some(Vec2::new((ndc.x + 1.0) * 0.5 * self.size.x, (1.0 - ndc.y) * 0.5 * self.size.y))
    }

    /// Ground metres a pixel spans at the focus.
    pub fn metres_per_px(&self) -> f64 {
        let fov = std::f32::consts::FRAC_PI_4;
        f64::from(2.0 * self.distance_m * (fov / 2.0).tan() / self.size.y.max(1.0))
    }
}

/// Local metres of a lon/lat, and its scene position at a height.
pub fn local_of(city: &City, lon: f64, lat: f64) -> [f64; 2] {
    city.model.frame.to_local(LonLat::new(lon, lat))
}

pub fn scene_of(local: [f64; 2], y: f32) -> Vec3 {
    Vec3::new(local[0] as f32, y, -local[1] as f32)
}

/// The overlay view a camera gives, scaled by these (icon, text) factors. A tile of a wall of
/// several machines gives the whole canvas's view (its projection, size and scale), with the
/// tile's corner as the origin.
fn view_of(
    camera: &Camera,
    projection: &Projection,
    transform: &Transform,
    orbit: &OrbitCamera,
    scale: (f32, f32),
    tile: Option<&TileView>,
) -> Option<OverlayView> {
    let own = camera.logical_viewport_size()?;
    let (size, origin, clip_from_view, physical_h) = match (tile, projection) {
        (Some(t), Projection::Perspective(p)) if camera.sub_camera_view.is_some() => {
            let mut whole = p.clone();
            whole.aspect_ratio = t.canvas.x / t.canvas.y.max(1.0);
            let scale_factor = camera.target_scaling_factor().unwrap_or(1.0);
            (t.canvas, t.origin, whole.get_clip_from_view(), t.canvas.y * scale_factor)
        }
        _ => (own, Vec2::ZERO, camera.clip_from_view(), camera.physical_viewport_size()?.y as f32),
    };
    let height = ui_scale_for_height(physical_h);
    Some(OverlayView {
        clip_from_world: clip_from_view * transform.to_matrix().inverse(),
        size,
        distance_m: orbit.distance_m,
        focus: [f64::from(orbit.focus.x), -f64::from(orbit.focus.z)],
        px_scale: height * scale.0,
        text_scale: height * scale.1,
        origin,
        viewport_h: own.y,
    })
}

type ViewCameras<'w, 's> = Query<
    'w,
    's,
    (Ref<'static, Camera>, &'static Projection, Ref<'static, Transform>, Has<OrbitCamera>, Has<OperatorCamera>),
>;

/// The overlays' view from the orbit camera (the wall's, with its preset), and the operator's
/// for picking, when a camera, its projection or the preset changed.
pub fn update_view(
    cams: ViewCameras,
    orbit: Query<&OrbitCamera>,
    wall: Option<Res<Wall>>,
    tile: Option<Res<TileView>>,
    mut view: ResMut<OverlayView>,
    mut pick: ResMut<PickView>,
) {
    let Ok(orbit) = orbit.single() else { return };
    let wall_changed = wall.as_ref().is_some_and(|w| w.is_changed()) || tile.as_ref().is_some_and(|t| t.is_changed());
    let tile = tile.as_deref();
    let preset = wall.as_ref().map_or((1.0, 1.0), |w| (w.preset.icon_scale, w.preset.text_scale));
    if !wall_changed && !cams.iter().any(|(c, _, t, ..)| c.is_changed() || t.is_changed()) {
        return;
    }
    let mut operator = None;
    for (camera, projection, transform, is_orbit, is_operator) in &cams {
        if is_orbit && let Some(next) = view_of(&camera, projection, &transform, orbit, preset, tile) {
            view.set_if_neq(next);
        }
        if is_operator {
            operator = view_of(&camera, projection, &transform, orbit, preset, None);
        }
    }
    if let Some(mut next) = operator {
        // Icons are sized for the wall's height and drawn on the operator's view in proportion
        // to its own (the shaders' `fit`): the pick radius follows them.
        if view.size.y > 0.0 {
            next.px_scale = view.px_scale * next.size.y / view.viewport_h.max(1.0);
        }
        pick.set_if_neq(PickView(next));
    }
}

#[cfg(test)]
mod tests {
    use bevy::camera::RenderTargetInfo;

    use super::*;

    /// Moves the orbit camera 100 m east each frame, in the camera's set, as input, a flight, a
    /// tour or a wall's leader do; its `Transform` follows at once.
    fn walk_east(mut cams: Query<(&mut OrbitCamera, &mut Transform)>) {
        for (mut o, mut t) in &mut cams {
            o.focus.x += 100.0;
            *t = o.transform();
        }
    }

    #[test]
    fn the_map_view_is_this_frames_camera_not_the_last_ones() {
        let mut app = App::new();
        // No transform propagation here: a view computed from `GlobalTransform` (propagated
        // only in `PostUpdate`, after the frame's work) would trail, or here never move.
        app.add_plugins(MinimalPlugins)
            .add_plugins(super::super::plugin)
            .add_systems(Update, walk_east.in_set(AppSystems::Camera));
        let mut camera = Camera::default();
        camera.computed.target_info = Some(RenderTargetInfo { physical_size: UVec2::new(960, 540), scale_factor: 1.0 });
        camera.computed.clip_from_view =
            Mat4::perspective_infinite_reverse_rh(std::f32::consts::FRAC_PI_4, 960.0 / 540.0, 1.0);
        let orbit = OrbitCamera { focus: Vec3::ZERO, distance_m: 1500.0, pitch: 0.8, heading: 0.3 };
        app.world_mut().spawn((
            camera,
            Projection::default(),
            orbit,
            orbit.transform(),
            GlobalTransform::from(orbit.transform()),
            OperatorCamera,
        ));
        for frame in 1..=3 {
            app.update();
            let o = *app.world_mut().query::<&OrbitCamera>().single(app.world()).expect("the camera");
            assert_eq!(o.focus.x, 100.0 * frame as f32);
            let clip = app.world_mut().query::<&Camera>().single(app.world()).expect("one").clip_from_view();
            let want = clip * o.transform().to_matrix().inverse();
            let view = app.world().resource::<OverlayView>();
            assert_eq!(view.focus, [f64::from(o.focus.x), -f64::from(o.focus.z)], "frame {frame}");
            assert!(view.clip_from_world.abs_diff_eq(want, 1e-5), "frame {frame}: the view trails the camera");
            // The focus projects to the middle of the view this frame.
            let at = view.to_screen(o.focus).expect("in front");
            assert!((at - Vec2::new(480.0, 270.0)).length() < 1.0, "frame {frame}: the focus is drawn at {at}");
            let pick = app.world().resource::<PickView>();
            assert!(pick.0.clip_from_world.abs_diff_eq(want, 1e-5), "frame {frame}: picking trails the camera");
        }
    }
}
