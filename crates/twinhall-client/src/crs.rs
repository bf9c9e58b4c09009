//! Positions arrive in the CRS the snapshot declares; the app works in WGS 84. CGCS2000
//! (EPSG:4490) differs from WGS 84 by centimetres and is taken as is; GCJ-02 is converted back.

use twinhall_core::LonLat;
use twinhall_core::gcj02::{gcj02_to_wgs84, wgs84_to_gcj02};
use twinhall_core::protocol::{Entities, Snapshot};

/// Converts the snapshot's positions to WGS 84 (its `crs` stays as declared, for the batches).
pub fn normalize_snapshot(s: &mut Snapshot) -> Result<(), String> {
    normalize_entities(&mut s.entities, &s.crs)
}

/// Converts positions given in `crs` to WGS 84 in place.
pub fn normalize_entities(e: &mut Entities, crs: &str) -> Result<(), String> {
    match crs.trim().to_ascii_uppercase().as_str() {
        "" | "EPSG:4326" | "WGS84" | "EPSG:4490" | "CGCS2000" => Ok(()),
        "GCJ-02" | "GCJ02" => {
            let fix = |lon: &mut f64, lat: &mut f64| {
                let p = gcj02_to_wgs84(LonLat::new(*lon, *lat));
                (*lon, *lat) = (p.lon, p.lat);
            };
            e.incidents.iter_mut().for_each(|x| fix(&mut x.lon, &mut x.lat));
            e.cameras.iter_mut().for_each(|x| fix(&mut x.lon, &mut x.lat));
            e.facilities.iter_mut().for_each(|x| fix(&mut x.lon, &mut x.lat));
            e.supply_depots.iter_mut().for_each(|x| fix(&mut x.lon, &mut x.lat));
            e.sensors.iter_mut().for_each(|x| fix(&mut x.lon, &mut x.lat));
            for u in &mut e.units {
                fix(&mut u.lon, &mut u.lat);
                u.route.iter_mut().for_each(|[lon, lat]| fix(lon, lat));
            }
            for a in &mut e.areas {
                a.ring.iter_mut().for_each(|[lon, lat]| fix(lon, lat));
            }
            Ok(())
        }
        other => Err(format!("the snapshot's crs `{other}` is not supported (EPSG:4326, EPSG:4490 or GCJ-02)")),
    }
}

/// A WGS 84 position in `crs` (the snapshot's), for what the app sends back, such as an incident
/// report's `lon`, `lat`: the inverse of [`normalize_entities`].
pub fn from_wgs84(p: LonLat, crs: &str) -> Result<LonLat, String> {
    match crs.trim().to_ascii_uppercase().as_str() {
        "" | "EPSG:4326" | "WGS84" | "EPSG:4490" | "CGCS2000" => Ok(p),
        "GCJ-02" | "GCJ02" => Ok(wgs84_to_gcj02(p)),
        other => Err(format!("the snapshot's crs `{other}` is not supported (EPSG:4326, EPSG:4490 or GCJ-02)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use twinhall_core::protocol::Camera;

    #[test]
    fn gcj02_positions_come_back_to_wgs84_and_unknown_crs_is_refused() {
        let wgs = LonLat::new(114.06, 22.54);
        let g = wgs84_to_gcj02(wgs);
        let mut e = Entities::default();
        e.cameras.push(Camera {
            id: "44030500001310000001".into(),
            version: 1,
            updated_at: 0,
            stale_after: None,
            name: "c".into(),
            lon: g.lon,
            lat: g.lat,
            height_m: 6.0,
            heading_deg: 0.0,
            fov_deg: 60.0,
            range_m: 80.0,
            online: true,
            snapshot_url: String::new(),
            stream_url: String::new(),
        });
        normalize_entities(&mut e, "GCJ-02").expect("supported");
        let c = &e.cameras[0];
        assert!((c.lon - wgs.lon).abs() < 1e-6 && (c.lat - wgs.lat).abs() < 1e-6);
        let err = normalize_entities(&mut e, "EPSG:3857").expect_err("not a lon/lat CRS");
        assert!(err.contains("EPSG:3857"));
    }

    #[test]
    fn a_position_sent_back_goes_into_the_feeds_crs_and_round_trips() {
        let wgs = LonLat::new(114.06, 22.54);
        assert_eq!(from_wgs84(wgs, "EPSG:4326"), Ok(wgs));
        assert_eq!(from_wgs84(wgs, "EPSG:4490"), Ok(wgs));
        let g = from_wgs84(wgs, "gcj-02").expect("supported");
        // GCJ-02 moves Shenzhen by some 500 m.
        assert!((g.lon - wgs.lon).abs() > 1e-3, "{g:?}");
        let back = gcj02_to_wgs84(g);
        assert!((back.lon - wgs.lon).abs() < 1e-6 && (back.lat - wgs.lat).abs() < 1e-6, "{back:?}");
        assert!(from_wgs84(wgs, "EPSG:3857").expect_err("not a lon/lat CRS").contains("EPSG:3857"));
    }
}
