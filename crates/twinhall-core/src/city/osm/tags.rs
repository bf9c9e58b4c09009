//! What OSM tags mean to the city: which features are buildings, water or green, how tall a
//! building is. One place for these rules, whatever file format the tags came from.

use crate::model::BuildingKind;

/// An element's tags in file order.
pub(super) type Tags = Vec<(String, String)>;

pub(super) fn tag<'a>(tags: &'a Tags, key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum AreaClass {
    Water,
    Green,
}

pub(super) fn area_class(tags: &Tags) -> Option<AreaClass> {
    let natural = tag(tags, "natural");
    let landuse = tag(tags, "landuse");
    let leisure = tag(tags, "leisure");
    if natural == Some("water")
        || matches!(tag(tags, "waterway"), Some("riverbank") | Some("dock"))
        || matches!(landuse, Some("reservoir") | Some("basin") | Some("pond"))
    {
        return Some(AreaClass::Water);
    }
    if matches!(leisure, Some("park") | Some("garden") | Some("playground") | Some("pitch"))
        || matches!(
            landuse,
            Some("grass")
                | Some("forest")
                | Some("meadow")
                | Some("recreation_ground")
                | Some("village_green")
                | Some("cemetery")
                | Some("flowerbed")
        )
        || matches!(natural, Some("wood") | Some("scrub") | Some("grassland") | Some("heath"))
    {
        return Some(AreaClass::Green);
    }
    None
}

pub(super) fn is_building(tags: &Tags) -> bool {
    tag(tags, "building").is_some_and(|v| v != "no")
}

pub(super) fn is_tunnel(tags: &Tags) -> bool {
    matches!(tag(tags, "tunnel"), Some("yes") | Some("culvert"))
}

/// Relations the import reads: multipolygons, building relations and administrative
/// boundaries; the rest (routes, other boundaries, turn restrictions) are skipped when the file
/// is read.
pub(super) fn is_area_relation(tags: &Tags) -> bool {
    matches!(tag(tags, "type"), Some("multipolygon") | Some("building")) || is_admin_boundary(tags)
}

/// `boundary=administrative` on a boundary or multipolygon relation.
pub(super) fn is_admin_boundary(tags: &Tags) -> bool {
    tag(tags, "boundary") == Some("administrative")
        && matches!(tag(tags, "type"), Some("boundary") | Some("multipolygon"))
}

/// Parses OSM length values such as `12`, `12.5 m`, `40 ft`.
pub fn parse_length_m(value: &str) -> Option<f32> {
    let v = value.trim();
    let (num, factor) = if let Some(s) = v.strip_suffix("ft") {
        (s, 0.3048)
    } else if let Some(s) = v.strip_suffix('\'') {
        (s, 0.3048)
    } else if let Some(s) = v.strip_suffix('m') {
        (s, 1.0)
    } else {
        (v, 1.0)
    };
    num.trim().replace(',', ".").parse::<f32>().ok().filter(|x| x.is_finite()).map(|x| x * factor)
}

/// Heights of a building from its tags: `(height, min_height)` and repairs made.
pub(super) fn building_heights(
    tags: &Tags,
    kind: BuildingKind,
    level_h: f32,
    repaired: &mut Vec<&'static str>,
) -> (f32, f32) {
    let parse = |key: &str, repaired: &mut Vec<&'static str>| -> Option<f32> {
        let v = tag(tags, key)?;
        match parse_length_m(v) {
            Some(x) => Some(x),
            None => {
                repaired.push("unparsable_height_tag");
                None
            }
        }
    };
    let levels = parse("building:levels", repaired).map(|l| l * level_h);
    let mut height = parse("height", repaired).or(levels).unwrap_or_else(|| kind.default_height_m());
    if !(0.5..=1000.0).contains(&height) {
        repaired.push("absurd_height");
        height = kind.default_height_m();
    }
    let min_levels = parse("building:min_level", repaired).map(|l| l * level_h);
    let mut min_height = parse("min_height", repaired).or(min_levels).unwrap_or(0.0);
    if !(0.0..height).contains(&min_height) {
        repaired.push("min_height_not_below_height");
        min_height = 0.0;
    }
    (height, min_height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_parse() {
        assert_eq!(parse_length_m("12"), Some(12.0));
        assert_eq!(parse_length_m("12.5 m"), Some(12.5));
        assert_eq!(parse_length_m("3,5"), Some(3.5));
        assert!((parse_length_m("10 ft").unwrap_or(0.0) - 3.048).abs() < 1e-4);
        assert_eq!(parse_length_m("tall"), None);
    }

    #[test]
    fn heights_prefer_height_then_levels_then_default() {
        let t = |pairs: &[(&str, &str)]| -> Tags {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let mut rep = Vec::new();
        let k = BuildingKind::Other;
        assert_eq!(building_heights(&t(&[("height", "30")]), k, 3.0, &mut rep), (30.0, 0.0));
        assert_eq!(building_heights(&t(&[("building:levels", "5")]), k, 3.0, &mut rep), (15.0, 0.0));
        assert_eq!(building_heights(&t(&[]), k, 3.0, &mut rep), (12.0, 0.0));
        assert!(rep.is_empty());
        assert_eq!(building_heights(&t(&[("height", "99999")]), k, 3.0, &mut rep), (12.0, 0.0));
        assert_eq!(rep, vec!["absurd_height"]);
        let (h, m) = building_heights(&t(&[("height", "20"), ("building:min_level", "2")]), k, 3.0, &mut rep);
        assert_eq!((h, m), (20.0, 6.0));
    }
}
