// Pulsing rings around new and urgent incidents (and the selection): screen-space quads, a
// constant size in pixels, with rings expanding from the centre and fading, driven by the clock
// in the view uniform so that no CPU work happens per frame.

#import bevy_pbr::mesh_functions::{get_world_from_local, mesh_position_local_to_world}
#import bevy_pbr::mesh_view_bindings::{view, globals}
#import "shaders://overlay_screen.wgsl"::{pixels, offset_clip}

// x: pixel scale (wall scale), y: pulses per second.
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: vec4<f32>;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    @location(1) corner: vec2<f32>,
    @location(2) color: vec4<f32>,
    // size in px, unused, phase offset (0..1), unused
    @location(3) style: vec4<f32>,
};

struct VertexOutput {
    @builtin(position) clip: vec4<f32>,
    @location(0) uv: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) phase: f32,
};

@vertex
fn vertex(v: Vertex) -> VertexOutput {
    let world = mesh_position_local_to_world(get_world_from_local(v.instance_index), vec4<f32>(v.position, 1.0));
    let clip = view.clip_from_world * world;
    let px = pixels(v.style.x, params.x, params.w);
    var out: VertexOutput;
    out.clip = offset_clip(clip, v.corner * px);
    out.uv = v.corner;
    out.color = v.color;
    out.phase = v.style.z;
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let r = length(in.uv);
    if (r > 1.0) {
        discard;
    }
    var a = 0.0;
    // Two rings a half period apart, each growing from 0.25 to 1 and fading out.
    for (var k = 0; k < 2; k = k + 1) {
        let t = fract(globals.time * params.y + in.phase + f32(k) * 0.5);
        let radius = mix(0.25, 0.95, t);
        let width = 0.09;
        let ring = 1.0 - smoothstep(0.0, width, abs(r - radius));
        a = max(a, ring * (1.0 - t));
    }
    if (a <= 0.01) {
        discard;
    }
    return vec4<f32>(in.color.rgb, in.color.a * a);
}
