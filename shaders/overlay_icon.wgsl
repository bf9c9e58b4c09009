// Overlay icons: screen-space quads anchored at world points, a constant size in pixels (times
// the wall scale) whatever the distance, drawn over the city. Units move on the GPU between
// reports: along their reported velocity for up to 4 s, easing from where they were drawn to the
// new report, so the CPU touches their vertices only when a report arrives
// (twinhall_core::overlay::motion is the CPU copy of these sums).

#import bevy_pbr::mesh_functions::{get_world_from_local, mesh_position_local_to_world}
#import bevy_pbr::mesh_view_bindings::{view, globals}
#import "shaders://overlay_screen.wgsl"::{pixels, offset_clip}

// x: pixel scale (wall scale), y: highlight pulse speed.
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: vec4<f32>;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    @location(1) corner: vec2<f32>,
    @location(2) color: vec4<f32>,
    // size in px, shape, heading (radians, clockwise from north), outline brightness
    @location(3) style: vec4<f32>,
    // velocity east, north (m/s); offset east, north (m) eased out after a report
    @location(4) motion: vec4<f32>,
    @location(5) t0: f32,
};

struct VertexOutput {
    @builtin(position) clip: vec4<f32>,
    @location(0) uv: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) shape: f32,
    @location(3) outline: f32,
};

@vertex
fn vertex(v: Vertex) -> VertexOutput {
    var dt_raw = globals.time - v.t0;
    // globals.time wraps every hour.
    if (dt_raw < -1800.0) {
        dt_raw = dt_raw + 3600.0;
    }
    let dt = clamp(dt_raw, 0.0, 4.0);
    let ease = 1.0 - smoothstep(0.0, 0.8, dt_raw);
    let east = v.motion.x * dt + v.motion.z * ease;
    let north = v.motion.y * dt + v.motion.w * ease;
    let local = v.position + vec3<f32>(east, 0.0, -north);
    let world = mesh_position_local_to_world(get_world_from_local(v.instance_index), vec4<f32>(local, 1.0));
    let clip = view.clip_from_world * world;
    var corner = v.corner;
    if (v.style.y > 3.5 && v.style.y < 4.5) {
        // Arrows point along the heading as it appears on screen.
        let h = v.style.z;
        let ahead = view.clip_from_world * (world + vec4<f32>(sin(h), 0.0, -cos(h), 0.0) * 10.0);
        let a = (ahead.xy / ahead.w - clip.xy / clip.w) * view.viewport.zw;
        let d = a / max(length(a), 1e-4);
        corner = vec2<f32>(v.corner.x * d.y + v.corner.y * d.x, -v.corner.x * d.x + v.corner.y * d.y);
    }
    let px = pixels(v.style.x, params.x, params.w);
    var out: VertexOutput;
    out.clip = offset_clip(clip, corner * px);
    out.uv = v.corner;
    out.color = v.color;
    out.shape = v.style.y;
    out.outline = v.style.w;
    return out;
}

fn sd_polygon(p: vec2<f32>, n: f32, r: f32) -> f32 {
    // Regular n-gon, one vertex up.
    let an = 3.14159265 / n;
    var a = atan2(p.x, p.y);
    a = a - floor(a / (2.0 * an)) * 2.0 * an - an;
    let q = length(p) * vec2<f32>(cos(a), abs(sin(a)));
    return q.x - r * cos(an);
}

fn sd_star(p: vec2<f32>, r: f32) -> f32 {
    let an = 3.14159265 / 5.0;
    var a = atan2(p.x, p.y);
    a = a - floor(a / (2.0 * an)) * 2.0 * an - an;
    let q = length(p) * vec2<f32>(cos(a), abs(sin(a)));
    let k = vec2<f32>(cos(an), sin(an)) * r;
    let inner = r * 0.45;
    let e = k - vec2<f32>(inner, 0.0);
    let t = clamp(dot(q - vec2<f32>(inner, 0.0), e) / dot(e, e), 0.0, 1.0);
    let d = length(q - vec2<f32>(inner, 0.0) - e * t);
    let s = (q.x - inner) * e.y - q.y * e.x;
    return select(d, -d, s < 0.0);
}

// Signed distance of shape `s` at `p` (corner coordinates, -1..1); negative inside.
fn shape_distance(s: f32, p: vec2<f32>) -> f32 {
    let i = i32(s + 0.5);
    switch i {
        case 0: { return length(p) - 0.8; }                               // circle
        case 1: { let q = abs(p) - vec2<f32>(0.62); return length(max(q, vec2<f32>(0.0))) + min(max(q.x, q.y), 0.0) - 0.12; } // rounded square
        case 2: { return (abs(p.x) + abs(p.y)) * 0.7071 - 0.62; }          // diamond
        case 3: { return sd_polygon(p * vec2<f32>(1.0, -1.0) + vec2<f32>(0.0, 0.15), 3.0, 0.55); } // triangle
        case 4: { // arrow
            let q = vec2<f32>(abs(p.x), p.y);
            let tip = dot(q - vec2<f32>(0.0, 0.9), normalize(vec2<f32>(0.9, 0.55)));
            let back = -p.y - 0.55 + q.x * 0.6;
            return max(tip, back);
        }
        case 5: { return sd_polygon(p, 6.0, 0.72); }                        // hexagon
        case 6: { return sd_star(p, 0.9); }                                  // star
        case 7: { let q = abs(p); return min(max(q.x - 0.28, q.y - 0.8), max(q.x - 0.8, q.y - 0.28)); } // cross
        default: { return length(p) - 0.8; }
    }
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let d = shape_distance(in.shape, in.uv);
    let aa = fwidth(d) + 1e-4;
    let inside = 1.0 - smoothstep(-aa, aa, d);
    if (inside <= 0.001) {
        discard;
    }
    // A dark rim keeps bright icons legible on bright roads.
    let rim = smoothstep(-0.16 - aa, -0.16 + aa, d);
    let rim_colour = vec3<f32>(in.outline);
    let rgb = mix(in.color.rgb, rim_colour, rim);
    return vec4<f32>(rgb, in.color.a * inside);
}
