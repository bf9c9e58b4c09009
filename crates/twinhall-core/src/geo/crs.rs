//! Coordinate reference systems of input layers: EPSG codes through PROJ (EPSG:4326, EPSG:4490
//! CGCS2000, EPSG:3857, CGCS2000 Gauss-Krüger zones such as EPSG:4547, ...) plus GCJ-02, which
//! PROJ lacks. Everything converts to WGS84 lon/lat, which the local frame then projects.

use crate::frame::LonLat;
use crate::gcj02;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Crs {
    /// EPSG:4326, lon/lat.
    Wgs84,
    /// GCJ-02 lon/lat (Chinese web maps).
    Gcj02,
    /// Any other EPSG code, through PROJ.
    Epsg(u32),
}

impl Crs {
    /// Parses `EPSG:4326`, `epsg:4547`, `GCJ-02`, `gcj02`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_uppercase().replace(['-', '_'], "");
        if t == "GCJ02" {
            return Ok(Self::Gcj02);
        }
        let code = t
            .strip_prefix("EPSG:")
            .and_then(|c| c.parse::<u32>().ok())
            .ok_or_else(|| format!("`{s}` is not a CRS; write EPSG:<code> or GCJ-02"))?;
        Ok(if code == 4326 { Self::Wgs84 } else { Self::Epsg(code) })
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Wgs84 => write!(f, "EPSG:4326"),
            Self::Gcj02 => write!(f, "GCJ-02"),
            Self::Epsg(c) => write!(f, "EPSG:{c}"),
        }
    }
}

/// Converts coordinates of one CRS to WGS84 lon/lat.
pub struct ToWgs84 {
    crs: Crs,
    proj: Option<proj::Proj>,
}

impl ToWgs84 {
    pub fn new(crs: &Crs) -> Result<Self, String> {
        let proj = match crs {
            Crs::Wgs84 | Crs::Gcj02 => None,
            Crs::Epsg(code) => Some(
                proj::Proj::new_known_crs(&format!("EPSG:{code}"), "EPSG:4326", None)
                    .map_err(|e| format!("PROJ does not know EPSG:{code}: {e}"))?,
            ),
        };
        Ok(Self { crs: crs.clone(), proj })
    }

    pub fn crs(&self) -> &Crs {
        &self.crs
    }

    /// `(x, y)` in the source CRS's visual order (easting/longitude first) to WGS84.
    pub fn convert(&self, x: f64, y: f64) -> Option<LonLat> {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        let p = match (&self.crs, &self.proj) {
            (Crs::Wgs84, _) => LonLat::new(x, y),
            (Crs::Gcj02, _) => gcj02::gcj02_to_wgs84(LonLat::new(x, y)),
            (Crs::Epsg(_), Some(proj)) => {
                let (lon, lat): (f64, f64) = proj.convert((x, y)).ok()?;
                LonLat::new(lon, lat)
            }
            (Crs::Epsg(_), None) => return None,
        };
        p.is_valid().then_some(p)
    }
}

/// Converts WGS84 lon/lat to another CRS (for exports and tests).
pub fn from_wgs84(crs: &Crs, p: LonLat) -> Result<[f64; 2], String> {
    match crs {
        Crs::Wgs84 => Ok([p.lon, p.lat]),
        Crs::Gcj02 => {
            let g = gcj02::wgs84_to_gcj02(p);
            Ok([g.lon, g.lat])
        }
        Crs::Epsg(code) => {
            let proj = proj::Proj::new_known_crs("EPSG:4326", &format!("EPSG:{code}"), None)
                .map_err(|e| format!("PROJ does not know EPSG:{code}: {e}"))?;
            let (x, y): (f64, f64) = proj.convert((p.lon, p.lat)).map_err(|e| e.to_string())?;
            Ok([x, y])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes() {
        assert_eq!(Crs::parse("EPSG:4326"), Ok(Crs::Wgs84));
        assert_eq!(Crs::parse("epsg:4547"), Ok(Crs::Epsg(4547)));
        assert_eq!(Crs::parse("GCJ-02"), Ok(Crs::Gcj02));
        assert!(Crs::parse("WGS84").is_err());
    }

    /// Reference values from PROJ 9.1.1's own `cs2cs -d 4` (see the session note for the calls).
    #[test]
    fn projected_crs_agree_with_cs2cs() {
        // EPSG:4547, CGCS2000 3-degree Gauss-Krüger CM 114E: Shenzhen.
        let to = ToWgs84::new(&Crs::Epsg(4547)).expect("PROJ knows EPSG:4547");
        let p = to.convert(505955.8462, 2493941.2457).expect("converts");
        assert!((p.lon - 114.0579).abs() < 1e-8 && (p.lat - 22.5431).abs() < 1e-8, "{p:?}");
        let xy = from_wgs84(&Crs::Epsg(4547), LonLat::new(114.0579, 22.5431)).expect("forward");
        assert!((xy[0] - 505955.8462).abs() < 0.001 && (xy[1] - 2493941.2457).abs() < 0.001, "{xy:?}");
        // EPSG:3857, Web Mercator: Helsinki.
        let xy = from_wgs84(&Crs::Epsg(3857), LonLat::new(24.9443, 60.1716)).expect("forward");
        assert!((xy[0] - 2776786.7742).abs() < 0.001 && (xy[1] - 8438042.2338).abs() < 0.001, "{xy:?}");
        // EPSG:4490 (CGCS2000 geographic) is WGS84 to well under a metre.
        let to = ToWgs84::new(&Crs::Epsg(4490)).expect("PROJ knows EPSG:4490");
        let p = to.convert(114.0579, 22.5431).expect("converts");
        assert!((p.lon - 114.0579).abs() < 1e-6 && (p.lat - 22.5431).abs() < 1e-6);
        // EPSG:4548, CGCS2000 3-degree Gauss-Krüger CM 117E: Beijing.
        let xy = from_wgs84(&Crs::Epsg(4548), LonLat::new(116.3975, 39.9087)).expect("forward");
        assert!((xy[0] - 448481.5746).abs() < 0.001 && (xy[1] - 4419565.4353).abs() < 0.001, "{xy:?}");
    }

    #[test]
    fn unknown_codes_are_errors() {
        assert!(ToWgs84::new(&Crs::Epsg(999_999)).is_err());
    }
}
