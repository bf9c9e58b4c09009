//! Raster base-map tiles: the two tile grids (Web Mercator XYZ/TMS, and the CGCS2000
//! geographic grid Chinese providers use), which tiles cover a view, the zoom for a ground
//! resolution, and tile addresses from URL or folder templates.

use serde::{Deserialize, Serialize};

use crate::frame::LonLat;

/// Web Mercator's latitude limit.
pub const MAX_MERCATOR_LAT: f64 = 85.051_128_779_806_59;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TileGrid {
    /// EPSG:3857 tiles, 2^z x 2^z at zoom z.
    #[default]
    WebMercator,
    /// CGCS2000 (EPSG:4490) lon/lat tiles: 2^z x 2^(z-1) at level z >= 1, each 180/2^(z-1)
    /// degrees square (Tianditu's "c" matrix set).
    Cgcs2000,
}

/// Row numbering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TileScheme {
    /// Row 0 at the top (north).
    #[default]
    Xyz,
    /// Row 0 at the bottom (south).
    Tms,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    /// Row from the top (XYZ numbering); [`TileSource::address`] flips it for TMS.
    pub y: u32,
}

/// Lon/lat box: west, south, east, north.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LonLatBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl TileGrid {
    pub fn min_zoom(self) -> u8 {
        match self {
            Self::WebMercator => 0,
            Self::Cgcs2000 => 1,
        }
    }

    /// Columns and rows at zoom z.
    pub fn size(self, z: u8) -> (u32, u32) {
        match self {
            Self::WebMercator => (1 << z, 1 << z),
            Self::Cgcs2000 => (1 << z, 1 << z.max(1).saturating_sub(1)),
        }
    }

    /// Fractional tile coordinates of a point at zoom z (x east, y down from the top).
    pub fn fractional(self, z: u8, p: LonLat) -> (f64, f64) {
        let (cols, rows) = self.size(z);
        match self {
            Self::WebMercator => {
                let lat = p.lat.clamp(-MAX_MERCATOR_LAT, MAX_MERCATOR_LAT).to_radians();
                let x = (p.lon + 180.0) / 360.0 * f64::from(cols);
                let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * f64::from(rows);
                (x, y)
            }
            Self::Cgcs2000 => {
                let span = 180.0 / f64::from(rows);
                ((p.lon + 180.0) / span, (90.0 - p.lat) / span)
            }
        }
    }

    /// The tile holding a point.
    pub fn tile_at(self, z: u8, p: LonLat) -> TileId {
        let (cols, rows) = self.size(z);
        let (x, y) = self.fractional(z, p);
        TileId { z, x: (x.floor().max(0.0) as u32).min(cols - 1), y: (y.floor().max(0.0) as u32).min(rows - 1) }
    }

    /// Lon/lat of fractional tile coordinates (the inverse of [`Self::fractional`]).
    pub fn lonlat(self, z: u8, x: f64, y: f64) -> LonLat {
        let (cols, rows) = self.size(z);
        match self {
            Self::WebMercator => {
                let lon = x / f64::from(cols) * 360.0 - 180.0;
                let n = std::f64::consts::PI * (1.0 - 2.0 * y / f64::from(rows));
                LonLat::new(lon, n.sinh().atan().to_degrees())
            }
            Self::Cgcs2000 => {
                let span = 180.0 / f64::from(rows);
                LonLat::new(x * span - 180.0, 90.0 - y * span)
            }
        }
    }

    pub fn bounds(self, t: TileId) -> LonLatBox {
        let nw = self.lonlat(t.z, f64::from(t.x), f64::from(t.y));
        let se = self.lonlat(t.z, f64::from(t.x + 1), f64::from(t.y + 1));
        LonLatBox { west: nw.lon, north: nw.lat, east: se.lon, south: se.lat }
    }

    /// Ground metres per pixel of a 256-pixel tile at zoom z and latitude.
    pub fn metres_per_pixel(self, z: u8, lat: f64) -> f64 {
        let equator = 40_075_016.686;
        match self {
            Self::WebMercator => equator * lat.to_radians().cos() / (256.0 * f64::from(1u32 << z)),
            Self::Cgcs2000 => {
                let (_, rows) = self.size(z);
                // Along the meridian: degrees per pixel times metres per degree of latitude.
                180.0 / f64::from(rows) / 256.0 * 111_320.0
            }
        }
    }

    /// The zoom whose pixels are closest to (but not coarser than) `m_per_px` on the ground.
    pub fn zoom_for(self, m_per_px: f64, lat: f64, max_zoom: u8) -> u8 {
        let mut z = self.min_zoom();
        while z < max_zoom && self.metres_per_pixel(z, lat) > m_per_px {
            z += 1;
        }
        z
    }

    /// Tiles covering a lon/lat box at zoom z, nearest to `centre` first, at most `limit`.
    pub fn covering(self, z: u8, b: &LonLatBox, centre: LonLat, limit: usize) -> Vec<TileId> {
        let a = self.tile_at(z, LonLat::new(b.west, b.north));
        let c = self.tile_at(z, LonLat::new(b.east, b.south));
        let (cx, cy) = self.fractional(z, centre);
        let mut tiles: Vec<TileId> =
            (a.y..=c.y).flat_map(|y| (a.x..=c.x).map(move |x| TileId { z, x, y })).take(limit * 4).collect();
        tiles.sort_by(|p, q| {
            let d = |t: &TileId| (f64::from(t.x) + 0.5 - cx).powi(2) + (f64::from(t.y) + 0.5 - cy).powi(2);
            d(p).total_cmp(&d(q))
        });
        tiles.truncate(limit);
        tiles
    }
}

/// Where tiles come from: an http(s) URL template or a local folder template, with `{z}`,
/// `{x}`, `{y}` placeholders.
#[derive(Clone, Debug, PartialEq)]
pub struct TileSource {
    pub template: String,
    pub scheme: TileScheme,
    pub grid: TileGrid,
}

impl TileSource {
    pub fn is_http(&self) -> bool {
        self.template.starts_with("http://") || self.template.starts_with("https://")
    }

    /// The URL or path of a tile.
    pub fn address(&self, t: TileId) -> String {
        let (_, rows) = self.grid.size(t.z);
        let y = match self.scheme {
            TileScheme::Xyz => t.y,
            TileScheme::Tms => rows - 1 - t.y,
        };
        self.template.replace("{z}", &t.z.to_string()).replace("{x}", &t.x.to_string()).replace("{y}", &y.to_string())
    }

    /// Checks the template names all three placeholders.
    pub fn validate(template: &str) -> Result<(), String> {
        for p in ["{z}", "{x}", "{y}"] {
            if !template.contains(p) {
                return Err(format!("the template must contain {p}"));
            }
        }
        Ok(())
    }

    /// A folder name for this source's cache: a hash of the template, so two sources never mix.
    pub fn cache_key(&self) -> String {
        // FNV-1a: stable across runs and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.template.bytes().chain([self.scheme as u8, self.grid as u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_mercator_tiles_match_the_slippy_map_formula() {
        // Helsinki cathedral at z=14: x = floor((24.9522+180)/360 * 2^14) = 9327,
        // y = floor((1 - asinh(tan(lat))/pi)/2 * 2^14) = 4742 for lat 60.1704.
        let t = TileGrid::WebMercator.tile_at(14, LonLat::new(24.9522, 60.1704));
        assert_eq!((t.x, t.y), (9327, 4742));
        let b = TileGrid::WebMercator.bounds(t);
        assert!(b.west <= 24.9522 && 24.9522 < b.east && b.south <= 60.1704 && 60.1704 < b.north);
        assert_eq!(TileGrid::WebMercator.tile_at(0, LonLat::new(0.0, 0.0)), TileId { z: 0, x: 0, y: 0 });
    }

    #[test]
    fn cgcs2000_grid_is_two_by_one_at_level_one() {
        let g = TileGrid::Cgcs2000;
        assert_eq!(g.size(1), (2, 1));
        let t = g.tile_at(1, LonLat::new(114.0, 22.5));
        assert_eq!((t.x, t.y), (1, 0));
        let b = g.bounds(TileId { z: 3, x: 6, y: 1 });
        assert_eq!((b.west, b.east, b.north, b.south), (90.0, 135.0, 45.0, 0.0));
    }

    #[test]
    fn fractional_and_lonlat_are_inverse() {
        for g in [TileGrid::WebMercator, TileGrid::Cgcs2000] {
            let p = LonLat::new(114.0579, 22.5431);
            let (x, y) = g.fractional(15, p);
            let q = g.lonlat(15, x, y);
            assert!((q.lon - p.lon).abs() < 1e-9 && (q.lat - p.lat).abs() < 1e-9);
        }
    }

    #[test]
    fn zoom_follows_ground_resolution() {
        let g = TileGrid::WebMercator;
        let z = g.zoom_for(1.0, 60.0, 19);
        assert!(g.metres_per_pixel(z, 60.0) <= 1.0 && g.metres_per_pixel(z - 1, 60.0) > 1.0);
        assert_eq!(g.zoom_for(0.001, 60.0, 18), 18);
    }

    #[test]
    fn covering_is_nearest_first_and_limited() {
        let g = TileGrid::WebMercator;
        let b = LonLatBox { west: 24.93, south: 60.16, east: 24.96, north: 60.18 };
        let centre = LonLat::new(24.945, 60.17);
        let tiles = g.covering(16, &b, centre, 8);
        assert_eq!(tiles.len(), 8);
        assert_eq!(tiles[0], g.tile_at(16, centre));
    }

    #[test]
    fn tms_rows_flip() {
        let s = TileSource {
            template: "http://h/{z}/{x}/{y}.png".into(),
            scheme: TileScheme::Tms,
            grid: TileGrid::WebMercator,
        };
        assert_eq!(s.address(TileId { z: 2, x: 1, y: 0 }), "http://h/2/1/3.png");
        assert!(TileSource::validate("http://h/{z}/{x}.png").is_err());
    }
}
