// Routes of dispatched units: a ribbon of constant pixel width along the road route still ahead,
// with bright chevrons flowing towards the incident, driven by the clock in the view uniform (no
// CPU work per frame). Colour by unit kind, from the vertex.

#import bevy_pbr::mesh_functions::{get_world_from_local, mesh_position_local_to_world}
#import bevy_pbr::mesh_view_bindings::{view, globals}
#import "shaders://overlay_screen.wgsl"::{pixels, offset_clip}

// x: pixel scale (wall scale), y: flow speed in metres per second, z: chevron spacing in metres.
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: vec4<f32>;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    // x: side (-1 or 1), y: metres along the route from its end at the incident (counting down).
    @location(1) corner: vec2<f32>,
    @location(2) color: vec4<f32>,
    // xyz: the segment's direction (world), w: width in px
    @location(3) style: vec4<f32>,
};

struct VertexOutput {
    @builtin(position) clip: vec4<f32>,
    @location(0) along: vec2<f32>,
    @location(1) color: vec4<f32>,
};

@vertex
fn vertex(v: Vertex) -> VertexOutput {
    let model = get_world_from_local(v.instance_index);
    let a = mesh_position_local_to_world(model, vec4<f32>(v.position, 1.0));
    let b = mesh_position_local_to_world(model, vec4<f32>(v.position + v.style.xyz, 1.0));
    let ca = view.clip_from_world * a;
    let cb = view.clip_from_world * b;
    // Screen-space direction of the segment, and its normal.
    let sa = ca.xy / max(ca.w, 1e-4) * view.viewport.zw;
    let sb = cb.xy / max(cb.w, 1e-4) * view.viewport.zw;
    var d = sb - sa;
    if (length(d) < 1e-5) {
        d = vec2<f32>(1.0, 0.0);
    }
    let n = normalize(vec2<f32>(-d.y, d.x));
    let px = pixels(v.style.w, params.x, params.w);
    var out: VertexOutput;
    // The ribbon is px wide: half of it to each side.
    out.clip = offset_clip(ca, n * v.corner.x * px * 0.5);
    out.along = vec2<f32>(v.corner.x, v.corner.y);
    out.color = v.color;
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let spacing = max(params.z, 1.0);
    // Distance to the incident shrinks along the route; chevrons move towards it.
    let s = fract((in.along.y + globals.time * params.y) / spacing);
    // A chevron: its tip leads, its arms trail to the sides.
    let arm = abs(in.along.x) * 0.35;
    let head = 1.0 - smoothstep(0.0, 0.22, abs(s - 0.3 - arm));
    let edge = 1.0 - smoothstep(0.75, 1.0, abs(in.along.x));
    let base = 0.35;
    let a = max(base, head) * edge;
    let rgb = mix(in.color.rgb, vec3<f32>(1.0), head * 0.45);
    return vec4<f32>(rgb, in.color.a * a);
}
