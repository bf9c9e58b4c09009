//! The overlay materials: icons (shaders://overlay_icon.wgsl), pulsing rings
//! (shaders://pulse_ring.wgsl) and routes (shaders://route_flow.wgsl). All three draw quads of a
//! constant pixel size, built in the vertex shader with the helpers of
//! shaders://overlay_screen.wgsl, from their own vertex attributes; one macro writes their
//! `Material`. Icon and ring meshes are built from [`IconVerts`].

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, MeshVertexAttribute, MeshVertexBufferLayoutRef, PrimitiveTopology};
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{
    AsBindGroup, CompareFunction, RenderPipelineDescriptor, SpecializedMeshPipelineError, VertexFormat,
};
use bevy::shader::ShaderRef;

pub const ATTRIBUTE_CORNER: MeshVertexAttribute =
    MeshVertexAttribute::new("Overlay_Corner", 988_540_101, VertexFormat::Float32x2);
pub const ATTRIBUTE_STYLE: MeshVertexAttribute =
    MeshVertexAttribute::new("Overlay_Style", 988_540_102, VertexFormat::Float32x4);
pub const ATTRIBUTE_MOTION: MeshVertexAttribute =
    MeshVertexAttribute::new("Overlay_Motion", 988_540_103, VertexFormat::Float32x4);
/// Present only on the stand-in mesh of an empty layer (never read by a shader).
pub const ATTRIBUTE_EMPTY: MeshVertexAttribute =
    MeshVertexAttribute::new("Overlay_Empty", 988_540_105, VertexFormat::Float32);
pub const ATTRIBUTE_T0: MeshVertexAttribute =
    MeshVertexAttribute::new("Overlay_T0", 988_540_104, VertexFormat::Float32);

/// How an overlay material meets the city's depth.
#[derive(Clone, Copy)]
enum Depth {
    /// Drawn over everything: an icon behind a tower is still seen.
    Over,
    /// Hidden behind buildings like the ground it lies on (routes).
    Tested,
}

/// The pipeline of every overlay material: quads built in the vertex shader from `attributes`
/// (in shader-location order), both faces, never writing depth.
fn specialize_overlay(
    descriptor: &mut RenderPipelineDescriptor,
    layout: &MeshVertexBufferLayoutRef,
    attributes: &[MeshVertexAttribute],
    depth: Depth,
) -> Result<(), SpecializedMeshPipelineError> {
    let wanted: Vec<_> = attributes.iter().enumerate().map(|(i, a)| a.at_shader_location(i as u32)).collect();
    descriptor.vertex.buffers = vec![layout.0.get_layout(&wanted)?];
    descriptor.primitive.cull_mode = None;
    if let Some(ds) = descriptor.depth_stencil.as_mut() {
        ds.depth_write_enabled = Some(false);
        if let Depth::Over = depth {
            ds.depth_compare = Some(CompareFunction::Always);
        }
    }
    Ok(())
}

/// One overlay material: a `params` uniform, one WGSL file for both stages (which imports
/// shaders://overlay_screen.wgsl), blended, its vertex attributes in order.
macro_rules! overlay_material {
    ($(#[$doc:meta])* $name:ident, $shader:literal, $depth:expr, [$($attr:expr),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
        pub struct $name {
            #[uniform(0)]
            pub params: Vec4,
        }

        impl Material for $name {
            fn vertex_shader() -> ShaderRef {
                $shader.into()
            }
            fn fragment_shader() -> ShaderRef {
                $shader.into()
            }
            fn alpha_mode(&self) -> AlphaMode {
                AlphaMode::Blend
            }
            fn specialize(
                _pipeline: &MaterialPipeline,
                descriptor: &mut RenderPipelineDescriptor,
                layout: &MeshVertexBufferLayoutRef,
                _key: MaterialPipelineKey<Self>,
            ) -> Result<(), SpecializedMeshPipelineError> {
                specialize_overlay(descriptor, layout, &[$($attr),+], $depth)
            }
        }
    };
}

overlay_material!(
    /// Icons: `params.x` is the pixel scale of the wall, `params.w` the height sizes are set for.
    IconMaterial,
    "shaders://overlay_icon.wgsl",
    Depth::Over,
    [Mesh::ATTRIBUTE_POSITION, ATTRIBUTE_CORNER, Mesh::ATTRIBUTE_COLOR, ATTRIBUTE_STYLE, ATTRIBUTE_MOTION, ATTRIBUTE_T0]
);

overlay_material!(
    /// Pulsing rings: `params.x` pixel scale, `params.y` pulses per second.
    RingMaterial,
    "shaders://pulse_ring.wgsl",
    Depth::Over,
    [Mesh::ATTRIBUTE_POSITION, ATTRIBUTE_CORNER, Mesh::ATTRIBUTE_COLOR, ATTRIBUTE_STYLE]
);

overlay_material!(
    /// Flowing routes: `params` = (pixel scale, flow speed m/s, chevron spacing m, height the
    /// sizes are set for).
    RouteMaterial,
    "shaders://route_flow.wgsl",
    Depth::Tested,
    [Mesh::ATTRIBUTE_POSITION, ATTRIBUTE_CORNER, Mesh::ATTRIBUTE_COLOR, ATTRIBUTE_STYLE]
);

/// Icon shapes (see shape_distance in the shader).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Circle = 0,
    Square = 1,
    Diamond = 2,
    Triangle = 3,
    Arrow = 4,
    Hexagon = 5,
    Star = 6,
    Cross = 7,
}

/// One icon.
#[derive(Clone, Copy, Debug)]
pub struct Icon {
    pub pos: Vec3,
    pub color: [f32; 4],
    pub size_px: f32,
    pub shape: Shape,
    /// Compass radians, for arrows.
    pub heading: f32,
    /// Rim brightness: 0 dark, 1 white (the selection).
    pub outline: f32,
    /// Velocity east/north and eased offset east/north, for moving units.
    pub motion: [f32; 4],
    pub t0: f32,
}

impl Icon {
    pub fn at(pos: Vec3, color: [f32; 4], size_px: f32, shape: Shape) -> Self {
        Self { pos, color, size_px, shape, heading: 0.0, outline: 0.05, motion: [0.0; 4], t0: 0.0 }
    }
}

/// Whether a mesh is the stand-in of an empty layer (or has no vertices).
pub fn is_empty_layer(m: &Mesh) -> bool {
    m.count_vertices() == 0 || m.attribute(ATTRIBUTE_EMPTY).is_some()
}

/// Vertex arrays for a batch of icons: four vertices and six indices each.
#[derive(Default, Debug)]
pub struct IconVerts {
    pos: Vec<[f32; 3]>,
    corner: Vec<[f32; 2]>,
    color: Vec<[f32; 4]>,
    style: Vec<[f32; 4]>,
    motion: Vec<[f32; 4]>,
    t0: Vec<f32>,
    idx: Vec<u32>,
    /// Only the stand-in of an empty layer.
    empty: bool,
}

const CORNERS: [[f32; 2]; 4] = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]];

impl IconVerts {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            pos: Vec::with_capacity(n * 4),
            corner: Vec::with_capacity(n * 4),
            color: Vec::with_capacity(n * 4),
            style: Vec::with_capacity(n * 4),
            motion: Vec::with_capacity(n * 4),
            t0: Vec::with_capacity(n * 4),
            idx: Vec::with_capacity(n * 6),
            empty: false,
        }
    }

    pub fn len(&self) -> usize {
        self.pos.len() / 4
    }

    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    pub fn push(&mut self, i: &Icon) {
        let base = self.pos.len() as u32;
        let p = i.pos.to_array();
        let style = [i.size_px, i.shape as u32 as f32, i.heading, i.outline];
        for c in CORNERS {
            self.pos.push(p);
            self.corner.push(c);
            self.color.push(i.color);
            self.style.push(style);
            self.motion.push(i.motion);
            self.t0.push(i.t0);
        }
        self.idx.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }

    /// The mesh for the icon material; with `rings`, the attributes the ring material reads.
    pub fn into_mesh(mut self, rings: bool) -> Mesh {
        // The renderer's allocator wants at least one vertex: an invisible icon stands in.
        if self.pos.is_empty() {
            self.push(&Icon::at(Vec3::ZERO, [0.0; 4], 0.0, Shape::Circle));
            self.empty = true;
        }
        let mut m = Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default());
        m.insert_attribute(Mesh::ATTRIBUTE_POSITION, self.pos);
        m.insert_attribute(ATTRIBUTE_CORNER, self.corner);
        m.insert_attribute(Mesh::ATTRIBUTE_COLOR, self.color);
        m.insert_attribute(ATTRIBUTE_STYLE, self.style);
        if !rings {
            m.insert_attribute(ATTRIBUTE_MOTION, self.motion);
            m.insert_attribute(ATTRIBUTE_T0, self.t0);
        }
        m.insert_indices(Indices::U32(self.idx));
        if self.empty {
            m.insert_attribute(ATTRIBUTE_EMPTY, vec![1.0f32; 4]);
        }
        m
    }
}

pub(super) fn plugin(app: &mut App) {
    // Headless apps (tests, benchmarks) have no renderer: the assets are enough there.
    if app.is_plugin_added::<bevy::render::RenderPlugin>() {
        app.add_plugins((MaterialPlugin::<IconMaterial>::default(), MaterialPlugin::<RingMaterial>::default()));
    } else {
        app.init_asset::<IconMaterial>().init_asset::<RingMaterial>();
    }
}
