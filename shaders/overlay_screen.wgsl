// What every overlay shader shares (icons, pulsing rings, routes): sizes in pixels on the view
// they are drawn in, and quads offset in screen space from a clip-space anchor. Imported as
// `#import "shaders://overlay_screen.wgsl"::{pixels, offset_clip}`.

#import bevy_pbr::mesh_view_bindings::view

// A size of `size_px` at the wall's pixel scale `scale`, in this view's pixels. `set_for`: the
// height of the view the sizes are set for (the wall's; 0 for "this one"); another view of the
// same scene (the console's small map) draws them in proportion to its own height.
fn pixels(size_px: f32, scale: f32, set_for: f32) -> f32 {
    let fit = select(1.0, view.viewport.w / set_for, set_for > 0.0);
    return size_px * scale * fit;
}

// `clip` moved by `offset_px` pixels on screen (y up), at its own depth.
fn offset_clip(clip: vec4<f32>, offset_px: vec2<f32>) -> vec4<f32> {
    return vec4<f32>(clip.xy + offset_px * 2.0 / view.viewport.zw * clip.w, clip.z, clip.w);
}
