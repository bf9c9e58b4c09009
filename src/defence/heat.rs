//! The heat map of incidents (shaders://heat_kde.wgsl): a plane over the city whose fragment
//! shader sums a Gaussian kernel over a coarse grid of incident counts. The counts (and the top
//! of the colour scale, the highest density at a cell centre by the same kernel) are rebuilt on
//! the CPU only when the points, the window or the category change.

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, Extent3d, TextureDimension, TextureFormat};
use bevy::shader::ShaderRef;

use super::Defence;
use crate::context::{City, DefenceView};

/// Most cells a side of the count grid.
const MAX_CELLS: f64 = 256.0;
/// Kernel radius in bandwidths: beyond 2.5 h the kernel is under 5% of its peak.
const REACH: f64 = 2.5;
/// Most cells the shader reads each way (13x13 reads a pixel at most).
const MAX_RADIUS_CELLS: f64 = 6.0;
/// The plane's height above the ground, metres.
const PLANE_Y: f32 = 0.6;

/// The heat map's material.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct HeatMaterial {
    /// Grid corner (scene x, z), cell size, bandwidth.
    #[uniform(0)]
    pub grid: Vec4,
    /// Top of the scale (per km²), opacity, radius in cells.
    #[uniform(1)]
    pub scale: Vec4,
    #[texture(2, sample_type = "float", filterable = false)]
    pub counts: Handle<Image>,
}

impl Material for HeatMaterial {
    fn fragment_shader() -> ShaderRef {
        "shaders://heat_kde.wgsl".into()
    }
    fn alpha_mode(&self) -> AlphaMode {
        AlphaMode::Blend
    }
}

/// The heat map's plane.
#[derive(Component)]
pub struct HeatPlane;

/// Incidents counted into cells of a grid in scene x/z.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatGrid {
    /// Scene x and z of the first corner.
    pub origin: [f64; 2],
    pub cell_m: f64,
    pub cols: usize,
    pub rows: usize,
    /// Row-major (z rows, x columns).
    pub counts: Vec<f32>,
    pub bandwidth_m: f64,
}

impl HeatGrid {
    /// A grid over `min`..`max` (scene x/z, metres) for a kernel of bandwidth `h`: cells small
    /// enough to follow the kernel, few enough for a texture, and at least 0.42 h so that the
    /// shader's reach stays within [`MAX_RADIUS_CELLS`].
    pub fn new(min: [f64; 2], max: [f64; 2], h: f64) -> Self {
        let pad = REACH * h;
        let (w, d) = ((max[0] - min[0]).max(1.0) + 2.0 * pad, (max[1] - min[1]).max(1.0) + 2.0 * pad);
        let cell = (w.max(d) / MAX_CELLS).max(REACH * h / MAX_RADIUS_CELLS);
        let cols = (w / cell).ceil().max(1.0) as usize;
        let rows = (d / cell).ceil().max(1.0) as usize;
        Self {
            origin: [min[0] - pad, min[1] - pad],
            cell_m: cell,
            cols,
            rows,
            counts: vec![0.0; cols * rows],
            bandwidth_m: h,
        }
    }

    /// Counts a point at scene x/z; one outside the grid is left out (false).
    pub fn add(&mut self, x: f64, z: f64) -> bool {
        let (i, j) = (((x - self.origin[0]) / self.cell_m).floor(), ((z - self.origin[1]) / self.cell_m).floor());
        if !(i >= 0.0 && j >= 0.0 && (i as usize) < self.cols && (j as usize) < self.rows) {
            return false;
        }
        self.counts[j as usize * self.cols + i as usize] += 1.0;
        true
    }

    /// Cells the kernel reaches each way.
    pub fn radius_cells(&self) -> i64 {
        (REACH * self.bandwidth_m / self.cell_m).ceil().min(MAX_RADIUS_CELLS) as i64
    }

    /// The density (incidents per km²) at scene x/z, as the shader computes it.
    pub fn density_at(&self, x: f64, z: f64) -> f64 {
        let r = self.radius_cells();
        let at =
            [((x - self.origin[0]) / self.cell_m).floor() as i64, ((z - self.origin[1]) / self.cell_m).floor() as i64];
        let inv = 1.0 / (2.0 * self.bandwidth_m * self.bandwidth_m);
        let mut d = 0.0;
        for dy in -r..=r {
            for dx in -r..=r {
                let (i, j) = (at[0] + dx, at[1] + dy);
                if i < 0 || j < 0 || i >= self.cols as i64 || j >= self.rows as i64 {
                    continue;
                }
                let n = f64::from(self.counts[j as usize * self.cols + i as usize]);
                if n > 0.0 {
                    let c = [
                        self.origin[0] + (i as f64 + 0.5) * self.cell_m,
                        self.origin[1] + (j as f64 + 0.5) * self.cell_m,
                    ];
                    let v = [x - c[0], z - c[1]];
                    d += n * (-(v[0] * v[0] + v[1] * v[1]) * inv).exp();
                }
            }
        }
        d * inv / std::f64::consts::PI * 1.0e6
    }

    /// The highest density at a cell centre: the top of the colour scale. The kernel at cell
    /// centres is separable, so the whole grid costs two passes of 2r + 1 taps a cell (the
    /// highest may be at an empty cell between busy ones, so every cell is looked at).
    pub fn max_density(&self) -> f64 {
        let r = self.radius_cells();
        let inv = 1.0 / (2.0 * self.bandwidth_m * self.bandwidth_m);
        let w: Vec<f64> = (-r..=r).map(|k| (-((k as f64 * self.cell_m).powi(2)) * inv).exp()).collect();
        let (cols, rows) = (self.cols as i64, self.rows as i64);
        // Along x, then along z.
        let mut along_x = vec![0.0f64; self.counts.len()];
        for j in 0..rows {
            for i in 0..cols {
                let mut sum = 0.0;
                for (k, wk) in (-r..=r).zip(&w) {
                    let x = i + k;
                    if (0..cols).contains(&x) {
                        sum += f64::from(self.counts[(j * cols + x) as usize]) * wk;
                    }
                }
                along_x[(j * cols + i) as usize] = sum;
            }
        }
        let mut best = 0.0f64;
        for j in 0..rows {
            for i in 0..cols {
                let mut sum = 0.0;
                for (k, wk) in (-r..=r).zip(&w) {
                    let z = j + k;
                    if (0..rows).contains(&z) {
                        sum += along_x[(z * cols + i) as usize] * wk;
                    }
                }
                best = best.max(sum);
            }
        }
        best * inv / std::f64::consts::PI * 1.0e6
    }

    fn image(&self) -> Image {
        let bytes: Vec<u8> = self.counts.iter().flat_map(|c| c.to_le_bytes()).collect();
        Image::new(
            Extent3d { width: self.cols as u32, height: self.rows as u32, depth_or_array_layers: 1 },
            TextureDimension::D2,
            bytes,
            TextureFormat::R32Float,
            RenderAssetUsages::RENDER_WORLD | RenderAssetUsages::MAIN_WORLD,
        )
    }
}

pub(super) fn plugin(app: &mut App) {
    if app.is_plugin_added::<bevy::render::RenderPlugin>() {
        app.add_plugins(MaterialPlugin::<HeatMaterial>::default());
    } else {
        app.init_asset::<HeatMaterial>();
    }
    app.add_systems(Update, build_heat.in_set(crate::context::AppSystems::Draw));
}

/// The heat grid of the points in the view's window and category.
pub fn heat_grid(defence: &Defence, view: &DefenceView, city: &City) -> HeatGrid {
    let b = city.model.bounds();
    let (min, max) = if b.min[0].is_finite() { (b.min, b.max) } else { ([-1000.0, -1000.0], [1000.0, 1000.0]) };
    // Scene z is minus north.
    let mut grid = HeatGrid::new([min[0], -max[1]], [max[0], -min[1]], view.bandwidth_m);
    for p in defence.points_in_view(view) {
        grid.add(p.local[0], -p.local[1]);
    }
    grid
}

/// Rebuilds the heat map when the points or the view change; hides it when off.
#[allow(clippy::too_many_arguments)]
fn build_heat(
    mut commands: Commands,
    defence: Option<Res<Defence>>,
    view: Res<DefenceView>,
    city: Res<City>,
    images: Option<ResMut<Assets<Image>>>,
    materials: Option<ResMut<Assets<HeatMaterial>>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    mut plane: Query<(Entity, &MeshMaterial3d<HeatMaterial>, &mut Visibility), With<HeatPlane>>,
) {
    let (Some(defence), Some(mut images), Some(mut materials), Some(mut meshes)) = (defence, images, materials, meshes)
    else {
        return;
    };
    if !defence.is_changed() && !view.is_changed() && !plane.is_empty() {
        return;
    }
    if !view.heat {
        for (_, _, mut vis) in &mut plane {
            vis.set_if_neq(Visibility::Hidden);
        }
        return;
    }
    let grid = heat_grid(&defence, &view, &city);
    let top = grid.max_density();
    let corner = Vec4::new(grid.origin[0] as f32, grid.origin[1] as f32, grid.cell_m as f32, grid.bandwidth_m as f32);
    let scale = Vec4::new(top.max(1e-3) as f32, 0.7, grid.radius_cells() as f32, 0.0);
    let (w, d) = (grid.cols as f64 * grid.cell_m, grid.rows as f64 * grid.cell_m);
    let centre = Vec3::new((grid.origin[0] + w / 2.0) as f32, PLANE_Y, (grid.origin[1] + d / 2.0) as f32);
    let image = images.add(grid.image());
    let material = HeatMaterial { grid: corner, scale, counts: image };
    commands.insert_resource(HeatLegend { top_per_km2: top, points: grid.counts.iter().sum::<f32>() as usize });
    if let Some((e, handle, mut vis)) = plane.iter_mut().next() {
        if let Some(mut m) = materials.get_mut(&handle.0) {
            *m = material;
        }
        vis.set_if_neq(Visibility::Visible);
        commands.entity(e).insert((
            Mesh3d(meshes.add(Plane3d::default().mesh().size(w as f32, d as f32))),
            Transform::from_translation(centre),
        ));
    } else {
        commands.spawn((
            HeatPlane,
            Mesh3d(meshes.add(Plane3d::default().mesh().size(w as f32, d as f32))),
            MeshMaterial3d(materials.add(material)),
            Transform::from_translation(centre),
            Visibility::Visible,
        ));
    }
}

/// What the legend shows of the heat map: the top of its scale and the incidents in it.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq)]
pub struct HeatLegend {
    pub top_per_km2: f64,
    pub points: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_incident_gives_the_kernel_peak_and_fades_with_distance() {
        let h = 200.0;
        let mut g = HeatGrid::new([0.0, 0.0], [2000.0, 2000.0], h);
        assert!(g.radius_cells() <= 6 && g.cols <= 256);
        // At a cell centre, so the peak is exact.
        let c = [g.origin[0] + 10.5 * g.cell_m, g.origin[1] + 10.5 * g.cell_m];
        assert!(g.add(c[0], c[1]));
        let peak = 1.0e6 / (2.0 * std::f64::consts::PI * h * h);
        assert!((g.density_at(c[0], c[1]) - peak).abs() < 1e-9 * peak, "{} vs {peak}", g.density_at(c[0], c[1]));
        assert!((g.max_density() - peak).abs() < 1e-9 * peak);
        // Two incidents two cells apart: the highest density is at the empty cell between them.
        let mut two = HeatGrid::new([0.0, 0.0], [2000.0, 2000.0], h);
        let at = |i: f64| two.origin[0] + (i + 0.5) * two.cell_m;
        let (a, b, mid, z) = (at(10.0), at(12.0), at(11.0), at(10.0));
        assert!(two.add(a, z) && two.add(b, z));
        let top = two.max_density();
        assert!((top - two.density_at(mid, z)).abs() < 1e-9 * top, "{top} vs {}", two.density_at(mid, z));
        assert!(top > two.density_at(a, z));
        let at_h = g.density_at(c[0] + h, c[1]);
        assert!((at_h / peak - (-0.5f64).exp()).abs() < 1e-9, "one bandwidth away: {}", at_h / peak);
        assert_eq!(g.density_at(c[0] + 5000.0, c[1]), 0.0);
        assert!(!g.add(-1.0e6, 0.0), "outside the grid is left out");
    }

    #[test]
    fn the_density_integrates_to_the_incident_count() {
        let mut g = HeatGrid::new([0.0, 0.0], [3000.0, 3000.0], 250.0);
        for k in 0..7 {
            g.add(800.0 + 150.0 * k as f64, 1200.0 + 90.0 * k as f64);
        }
        // Riemann sum on a 20 m lattice over the grid, per km² times km².
        let step = 20.0;
        let mut total = 0.0;
        let mut z = g.origin[1];
        while z < g.origin[1] + g.rows as f64 * g.cell_m {
            let mut x = g.origin[0];
            while x < g.origin[0] + g.cols as f64 * g.cell_m {
                total += g.density_at(x, z) * step * step / 1.0e6;
                x += step;
            }
            z += step;
        }
        // The kernel is cut at the shader's reach (about 2.5 bandwidths): a little is lost.
        assert!((6.3..=7.05).contains(&total), "{total}");
    }
}
