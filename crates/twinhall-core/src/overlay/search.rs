//! The search box: ids (including 20-digit camera codes), names, titles, addresses and
//! districts in what the feed sent, or a "lon,lat" to fly to. Text is compared
//! [`normalise`]d, so "消防车002" finds "消防车 002"; a point typed latitude first is read the
//! other way round when only that lands in the city ([`place`]).

use crate::LonLat;
use crate::lang::Lang;
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
    if let Some((lon, lat)) = two_numbers(t)
        && valid(lon, lat)
    {
        return Query::LonLat(LonLat::new(lon, lat));
    }
    Query::Text(t.to_lowercase())
}

/// Two numbers, in the order typed: "24.94,60.17", "24.94 60.17", "24.94，60.17".
fn two_numbers(q: &str) -> Option<(f64, f64)> {
    let parts: Vec<&str> = q.trim().split([',', '，', ' ']).filter(|s| !s.is_empty()).collect();
    match parts[..] {
        [a, b] => Some((a.parse::<f64>().ok()?, b.parse::<f64>().ok()?)),
        _ => None,
    }
}

/// A longitude and a latitude in range (NaN is not).
fn valid(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

/// A point typed in the search box, read against the city on the wall.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub lonlat: LonLat,
    /// Typed latitude first ("60.17,24.94" for Helsinki): read the other way round, because
    /// only that reading lands in the city or is a position at all.
    pub swapped: bool,
    /// Whether the point lands in the city (as `inside` said).
    pub in_city: bool,
}

impl Place {
    /// What to say beside a swapped reading: "已按 纬度,经度 解读" / "read as lat,lon".
    pub fn note(&self, lang: Lang) -> Option<&'static str> {
        self.swapped.then(|| lang.tr("已按 纬度,经度 解读", "read as lat,lon"))
    }
}

/// `q` as a point, read against the city (`inside` says whether a point lands in it): as typed,
/// longitude first, when that lands in the city; else latitude first when that does; else the
/// reading that is a position at all, longitude first. None when `q` is not two numbers or
/// neither reading is a position ("200,100").
pub fn place(q: &str, inside: impl Fn(LonLat) -> bool) -> Option<Place> {
    let (a, b) = two_numbers(q)?;
    let typed = valid(a, b).then(|| LonLat::new(a, b));
    let other = valid(b, a).then(|| LonLat::new(b, a));
    let at = |lonlat: LonLat, swapped: bool, in_city: bool| Some(Place { lonlat, swapped, in_city });
    match (typed, other) {
        (Some(t), _) if inside(t) => at(t, false, true),
        (_, Some(o)) if inside(o) => at(o, true, true),
        (Some(t), _) => at(t, false, false),
        (None, Some(o)) => at(o, true, false),
        (None, None) => None,
    }
}

/// Text as the search compares it: lower case, whitespace beside a CJK character dropped and
/// other runs of whitespace one space, so "消防车 002", "消防车002" and "消防车  002" read alike
/// while "fire station 3" keeps its words apart.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if std::mem::take(&mut space) && !is_cjk(c) && !out.chars().next_back().is_some_and(is_cjk) {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Han, kana, hangul, CJK punctuation and full-width forms: scripts written without spaces
/// between words, where a space before a number is a matter of taste.
fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF
    )
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

/// `q` is [`normalise`]d; so are the id, the name and the other text here.
fn rank(q: &str, id: &str, name: &str, others: &[&str]) -> Option<u8> {
    let id_l = normalise(id);
    if id_l == q {
        return Some(0);
    }
    if id_l.starts_with(q) {
        return Some(1);
    }
    if normalise(name).contains(q) || id_l.contains(q) {
        return Some(2);
    }
    others.iter().any(|o| normalise(o).contains(q)).then_some(3)
}

/// Entities matching `q`, best first, at most `limit`. Case and the spaces beside CJK
/// characters do not count ([`normalise`]): "消防车002" finds "消防车 002".
pub fn search(store: &FeedStore, q: &str, limit: usize) -> Vec<Hit> {
    let q = normalise(q);
    if q.is_empty() {
        return Vec::new();
    }
    let q = q.as_str();
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

    /// Around Helsinki's centre: lon 24.9, lat 60.2.
    fn helsinki(ll: LonLat) -> bool {
        (24.7..=25.2).contains(&ll.lon) && (60.1..=60.3).contains(&ll.lat)
    }

    #[test]
    fn a_point_typed_latitude_first_is_read_the_other_way_round_and_says_so() {
        let p = place("60.17,24.94", helsinki).expect("a point");
        assert_eq!((p.lonlat, p.swapped, p.in_city), (LonLat::new(24.94, 60.17), true, true));
        assert_eq!(p.note(Lang::Zh), Some("已按 纬度,经度 解读"));
        assert_eq!(p.note(Lang::En), Some("read as lat,lon"));
        // As typed when that lands in the city: no note.
        let p = place("24.94，60.17", helsinki).expect("a point");
        assert_eq!((p.lonlat, p.swapped, p.in_city), (LonLat::new(24.94, 60.17), false, true));
        assert_eq!(p.note(Lang::En), None);
        // Neither reading in the city: as typed, said to be outside.
        let p = place("10.5 50.1", helsinki).expect("a point");
        assert_eq!((p.lonlat, p.swapped, p.in_city), (LonLat::new(10.5, 50.1), false, false));
        // Only latitude first is a position at all (Beijing, 39.9 N 116.4 E).
        let p = place("39.9,116.4", |_| false).expect("a point");
        assert_eq!((p.lonlat, p.swapped), (LonLat::new(116.4, 39.9), true));
        assert_eq!(place("200,100", |_| true), None);
        assert_eq!(place("消防车 002", |_| true), None);
        assert_eq!(place("1,2,3", |_| true), None);
        assert_eq!(place("nan,60", |_| true), None);
    }

    #[test]
    fn spaces_beside_cjk_do_not_count() {
        assert_eq!(normalise("消防车 002"), "消防车002");
        assert_eq!(normalise(" 消防车\u{3000}002 "), "消防车002");
        assert_eq!(normalise("视频监控 0001"), normalise("视频监控0001"));
        assert_eq!(normalise("Fire  Station 3"), "fire station 3");
        assert_eq!(normalise("应急物资储备点 02"), "应急物资储备点02");
        assert_ne!(normalise("fire station"), normalise("firestation"), "Latin words stay apart");
    }
}
