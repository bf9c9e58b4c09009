//! The search box: ids (including 20-digit camera codes), names, titles, addresses and
//! districts in what the feed sent, or a "lon,lat" to fly to.

use crate::LonLat;
use crate::protocol::EntityKind;
use crate::store::FeedStore;

/// What the search box was given.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// A position: "24.94,60.17" or "24.94 60.17" (longitude first).
    LonLat(LonLat),
    Text(String),
    Empty,
}

pub fn parse(q: &str) -> Query {
    let t = q.trim();
    if t.is_empty() {
        return Query::Empty;
    }
    let parts: Vec<&str> = t.split([',', '，', ' ']).filter(|s| !s.is_empty()).collect();
    if let [a, b] = parts[..]
        && let (Ok(lon), Ok(lat)) = (a.parse::<f64>(), b.parse::<f64>())
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
    {
        return Query::LonLat(LonLat::new(lon, lat));
    }
    Query::Text(t.to_lowercase())
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: EntityKind,
    pub id: String,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    /// 0: the id exactly; 1: id starts with it; 2: name; 3: other text.
    pub rank: u8,
}

fn rank(q: &str, id: &str, name: &str, others: &[&str]) -> Option<u8> {
    let id_l = id.to_lowercase();
    if id_l == q {
        return Some(0);
    }
    if id_l.starts_with(q) {
        return Some(1);
    }
    if name.to_lowercase().contains(q) || id_l.contains(q) {
        return Some(2);
    }
    others.iter().any(|o| o.to_lowercase().contains(q)).then_some(3)
}

/// Entities matching `q` (already lower-cased), best first, at most `limit`.
pub fn search(store: &FeedStore, q: &str, limit: usize) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut add = |kind, id: &str, name: &str, lon, lat, others: &[&str]| {
        if let Some(rank) = rank(q, id, name, others) {
            hits.push(Hit { kind, id: id.to_owned(), name: name.to_owned(), lon, lat, rank });
        }
    };
    for (_, i) in store.incidents.iter() {
        let cat = format!("{:?}", i.category);
        add(EntityKind::Incident, &i.id, &i.title, i.lon, i.lat, &[&i.address, &i.district, &i.description, &cat]);
    }
    for (_, u) in store.units.iter() {
        add(EntityKind::Unit, &u.id, &u.name, u.lon, u.lat, &[]);
    }
    for (_, c) in store.cameras.iter() {
        add(EntityKind::Camera, &c.id, &c.name, c.lon, c.lat, &[]);
    }
    for (_, f) in store.facilities.iter() {
        add(EntityKind::Facility, &f.id, &f.name, f.lon, f.lat, &[]);
    }
    for (_, d) in store.supply_depots.iter() {
        let items: Vec<&str> = d.inventory.iter().map(|l| l.item.as_str()).collect();
        add(EntityKind::SupplyDepot, &d.id, &d.name, d.lon, d.lat, &items);
    }
    for (_, s) in store.sensors.iter() {
        add(EntityKind::Sensor, &s.id, &s.name, s.lon, s.lat, &[&s.kind]);
    }
    for (_, a) in store.areas.iter() {
        let (lon, lat) = ring_centre(&a.ring);
        add(EntityKind::Area, &a.id, &a.name, lon, lat, &[]);
    }
    hits.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.id.cmp(&b.id)));
    hits.truncate(limit);
    hits
}

fn ring_centre(ring: &[[f64; 2]]) -> (f64, f64) {
    let n = ring.len().max(1) as f64;
    (ring.iter().map(|p| p[0]).sum::<f64>() / n, ring.iter().map(|p| p[1]).sum::<f64>() / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lon_lat_and_text_queries() {
        assert_eq!(parse(" 24.94, 60.17 "), Query::LonLat(LonLat::new(24.94, 60.17)));
        assert_eq!(parse("24.94 60.17"), Query::LonLat(LonLat::new(24.94, 60.17)));
        assert_eq!(parse("巡逻警车"), Query::Text("巡逻警车".into()));
        assert_eq!(parse("200, 10"), Query::Text("200, 10".into()), "not a position");
        assert_eq!(parse("   "), Query::Empty);
    }
}
