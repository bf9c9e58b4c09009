//! GCJ-02, the obfuscated datum of Chinese web maps, which PROJ does not carry. Forward is the
//! published closed form; the inverse iterates the forward until it agrees to 1e-10 degrees
//! (about 0.01 mm). Outside China both are the identity, as the providers do.

use crate::frame::LonLat;

const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;

/// Whether GCJ-02 shifts this point (the providers' rough box around China).
pub fn in_china(p: LonLat) -> bool {
    (72.004..=137.8347).contains(&p.lon) && (0.8293..=55.8271).contains(&p.lat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 to GCJ-02.
pub fn wgs84_to_gcj02(p: LonLat) -> LonLat {
    if !in_china(p) {
        return p;
    }
    use std::f64::consts::PI;
    let (x, y) = (p.lon - 105.0, p.lat - 35.0);
    let rad_lat = p.lat / 180.0 * PI;
    let magic = 1.0 - EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat = offset_lat(x, y) * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let d_lon = offset_lon(x, y) * 180.0 / (A / sqrt_magic * rad_lat.cos() * PI);
    LonLat::new(p.lon + d_lon, p.lat + d_lat)
}

/// GCJ-02 to WGS84, by fixed-point iteration on the forward transform.
pub fn gcj02_to_wgs84(g: LonLat) -> LonLat {
    if !in_china(g) {
        return g;
    }
    let mut w = g;
    for _ in 0..30 {
        let f = wgs84_to_gcj02(w);
        let (dx, dy) = (f.lon - g.lon, f.lat - g.lat);
        w = LonLat::new(w.lon - dx, w.lat - dy);
        if dx.abs() < 1e-10 && dy.abs() < 1e-10 {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (WGS84 lat, lon, GCJ-02 lat, lon): the sample pairs published with the eviltransform
    /// library's tests (Shanghai, Shenzhen).
    const PAIRS: [(f64, f64, f64, f64); 2] = [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    ];

    #[test]
    fn forward_matches_published_pairs() {
        for (wlat, wlon, glat, glon) in PAIRS {
            let g = wgs84_to_gcj02(LonLat::new(wlon, wlat));
            assert!((g.lat - glat).abs() < 1e-8 && (g.lon - glon).abs() < 1e-8, "{g:?} vs ({glon}, {glat})");
        }
    }

    #[test]
    fn inverse_round_trips_under_a_millimetre() {
        for (wlat, wlon, _, _) in PAIRS {
            let w = LonLat::new(wlon, wlat);
            let back = gcj02_to_wgs84(wgs84_to_gcj02(w));
            // 1e-8 degrees is about 1 mm.
            assert!((back.lat - w.lat).abs() < 1e-8 && (back.lon - w.lon).abs() < 1e-8);
        }
    }

    #[test]
    fn outside_china_is_untouched() {
        let helsinki = LonLat::new(24.94, 60.17);
        assert_eq!(wgs84_to_gcj02(helsinki), helsinki);
        assert_eq!(gcj02_to_wgs84(helsinki), helsinki);
    }
}
