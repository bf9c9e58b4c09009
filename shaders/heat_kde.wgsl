// The defence hub's heat map: a kernel density estimate of incidents on the ground. The CPU
// counts incidents into a coarse grid of cells (a float texture, rebuilt only when the incidents,
// the window or the category change); each fragment sums a Gaussian kernel of bandwidth h over
// the cells around it, centred on each cell's centre, so the surface is smooth at any zoom and
// costs at most 13x13 texture reads a pixel. The density, in incidents per km², is mapped to the
// colour scale the legend shows: transparent below 35% of the maximum (only where incidents
// gather stands out), then blue, yellow, orange
// and red at the maximum.

#import bevy_pbr::forward_io::VertexOutput

// x, y: the scene x and z of the grid's first corner; z: cell size (m); w: bandwidth h (m).
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> grid: vec4<f32>;
// x: density at the top of the scale (per km²); y: opacity; z: radius in cells; w: unused.
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> scale: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var counts: texture_2d<f32>;

const PI: f32 = 3.14159265;

fn ramp(t: f32) -> vec3<f32> {
    let blue = vec3<f32>(0.15, 0.45, 1.0);
    let yellow = vec3<f32>(1.0, 0.9, 0.15);
    let orange = vec3<f32>(1.0, 0.5, 0.05);
    let red = vec3<f32>(0.95, 0.1, 0.1);
    if (t < 0.33) {
        return mix(blue, yellow, t / 0.33);
    }
    if (t < 0.66) {
        return mix(yellow, orange, (t - 0.33) / 0.33);
    }
    return mix(orange, red, (t - 0.66) / 0.34);
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let p = in.world_position.xz;
    let cell = grid.z;
    let h = grid.w;
    let size = vec2<i32>(textureDimensions(counts));
    let at = vec2<i32>(floor((p - grid.xy) / cell));
    let r = i32(scale.z);
    let inv = 1.0 / (2.0 * h * h);
    var d = 0.0;
    for (var dy = -r; dy <= r; dy = dy + 1) {
        for (var dx = -r; dx <= r; dx = dx + 1) {
            let q = at + vec2<i32>(dx, dy);
            if (q.x < 0 || q.y < 0 || q.x >= size.x || q.y >= size.y) {
                continue;
            }
            let n = textureLoad(counts, q, 0).r;
            if (n <= 0.0) {
                continue;
            }
            let centre = grid.xy + (vec2<f32>(q) + 0.5) * cell;
            let v = p - centre;
            d = d + n * exp(-dot(v, v) * inv);
        }
    }
    // Per square metre, then per km².
    let density = d * inv / PI * 1.0e6;
    let t = clamp(density / max(scale.x, 1.0e-6), 0.0, 1.0);
    if (t < 0.35) {
        discard;
    }
    let alpha = scale.y * smoothstep(0.35, 0.7, t) * (0.4 + 0.6 * t);
    return vec4<f32>(ramp(t), alpha);
}
