//! Drill-down over the store's areas, macro to meso to micro: an area's children, the
//! breadcrumbs from the city to an area, and the areas of a level (or the children of one) ranked
//! worst first, on the overall index or on one aspect.

use crate::overlay::index_level;
use crate::protocol::{Area, AreaLevel, IndexAspect, WarningLevel};
use crate::store::FeedStore;

/// One area in a ranking, with the figure it was ranked on.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedArea {
    pub id: String,
    pub name: String,
    pub level: AreaLevel,
    /// The overall index or the aspect's score, 0 to 100.
    pub score: f32,
    /// Its four-colour level.
    pub warning: WarningLevel,
}

/// One step of the way from the city down to an area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crumb {
    pub id: String,
    pub name: String,
    pub level: AreaLevel,
}

/// Which areas a ranking takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every area of a level (every district, every grid ...).
    Level(AreaLevel),
    /// The children of an area.
    Children(&'a str),
}

/// An area's figure: the overall index, or one aspect's score with the level it carries. `None`
/// when the area does not carry that aspect.
pub fn score_of(area: &Area, aspect: Option<IndexAspect>) -> Option<(f32, WarningLevel)> {
    match aspect {
        None => Some((area.governance_index, index_level(area.governance_index))),
        Some(aspect) => area.aspects.iter().find(|s| s.aspect == aspect).map(|s| (s.score, s.level)),
    }
}

/// The areas whose parent is `parent_id`, by id.
pub fn children<'a>(store: &'a FeedStore, parent_id: &str) -> Vec<&'a Area> {
    let mut kids: Vec<&Area> =
        store.areas.iter().map(|(_, a)| a).filter(|a| a.parent_id.as_deref() == Some(parent_id)).collect();
    kids.sort_by(|a, b| a.id.cmp(&b.id));
    kids
}

/// The way from the top (the city) down to `area_id`, the area itself last; empty for an area
/// the store does not hold. A parent the store does not hold, or a parent loop, ends the way up
/// there.
pub fn breadcrumbs(store: &FeedStore, area_id: &str) -> Vec<Crumb> {
    let mut way: Vec<Crumb> = Vec::new();
    let mut next = store.areas.get(area_id);
    while let Some(a) = next {
        if way.iter().any(|c| c.id == a.id) {
            break;
        }
        way.push(Crumb { id: a.id.clone(), name: a.name.clone(), level: a.level });
        next = a.parent_id.as_deref().and_then(|p| store.areas.get(p));
    }
    way.reverse();
    way
}

/// The areas of `scope` ranked worst first on `aspect` (the overall index when `None`); ties by
/// id. Areas that do not carry the aspect are left out.
pub fn rank(store: &FeedStore, scope: Scope<'_>, aspect: Option<IndexAspect>) -> Vec<RankedArea> {
    let mut ranked: Vec<RankedArea> = store
        .areas
        .iter()
        .map(|(_, a)| a)
        .filter(|a| match scope {
            Scope::Level(level) => a.level == level,
            Scope::Children(parent) => a.parent_id.as_deref() == Some(parent),
        })
        .filter_map(|a| {
            let (score, warning) = score_of(a, aspect)?;
            Some(RankedArea { id: a.id.clone(), name: a.name.clone(), level: a.level, score, warning })
        })
        .collect();
    ranked.sort_by(|a, b| a.score.total_cmp(&b.score).then_with(|| a.id.cmp(&b.id)));
    ranked
}

/// The `n` grids with the lowest overall index, worst first.
pub fn worst_grids(store: &FeedStore, n: usize) -> Vec<RankedArea> {
    let mut ranked = rank(store, Scope::Level(AreaLevel::Grid), None);
    ranked.truncate(n);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{AspectScore, Entities, Snapshot};

    fn area(id: &str, level: AreaLevel, parent: Option<&str>, index: f32, security: Option<f32>) -> Area {
        Area {
            id: id.into(),
            version: 1,
            updated_at: 0,
            stale_after: None,
            level,
            name: format!("name {id}"),
            parent_id: parent.map(Into::into),
            ring: vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]],
            population: 100,
            governance_index: index,
            aspects: security
                .map(|score| AspectScore { aspect: IndexAspect::PublicSecurity, score, level: index_level(score) })
                .into_iter()
                .collect(),
        }
    }

    fn store(areas: Vec<Area>) -> FeedStore {
        let mut store = FeedStore::default();
        store.apply_snapshot(Snapshot {
            protocol: crate::protocol::PROTOCOL.into(),
            epoch: 1,
            seq: 1,
            crs: "EPSG:4326".into(),
            generated_at: 0,
            entities: Entities { areas, ..Default::default() },
            index: None,
        });
        store
    }

    fn small() -> FeedStore {
        use AreaLevel::*;
        store(vec![
            area("C", City, None, 80.0, Some(80.0)),
            area("D1", District, Some("C"), 70.0, Some(90.0)),
            area("D2", District, Some("C"), 88.0, Some(60.0)),
            area("G1", Grid, Some("D1"), 64.0, Some(95.0)),
            area("G2", Grid, Some("D1"), 76.0, None),
            area("G3", Grid, Some("D2"), 64.0, Some(50.0)),
            area("G4", Grid, Some("D2"), 99.0, Some(70.0)),
            // A loop and a lost parent.
            area("L1", Grid, Some("L2"), 50.0, None),
            area("L2", Grid, Some("L1"), 51.0, None),
            area("X", Grid, Some("nowhere"), 90.0, None),
        ])
    }

    fn ids(r: &[RankedArea]) -> Vec<&str> {
        r.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn children_and_breadcrumbs_walk_the_tree() {
        let s = small();
        let kids: Vec<&str> = children(&s, "D2").iter().map(|a| a.id.as_str()).collect();
        assert_eq!(kids, ["G3", "G4"]);
        assert!(children(&s, "G1").is_empty() && children(&s, "none").is_empty());
        let way: Vec<(String, AreaLevel)> = breadcrumbs(&s, "G3").into_iter().map(|c| (c.id, c.level)).collect();
        assert_eq!(
            way,
            [("C".into(), AreaLevel::City), ("D2".into(), AreaLevel::District), ("G3".into(), AreaLevel::Grid)]
        );
        assert_eq!(breadcrumbs(&s, "C").len(), 1);
        assert!(breadcrumbs(&s, "none").is_empty());
        assert_eq!(ids_of(&breadcrumbs(&s, "X")), ["X"], "a lost parent ends the way");
        assert_eq!(ids_of(&breadcrumbs(&s, "L1")), ["L2", "L1"], "a loop ends where it closes");
    }

    fn ids_of(c: &[Crumb]) -> Vec<&str> {
        c.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn rankings_are_worst_first_on_the_index_or_an_aspect() {
        let s = small();
        let districts = rank(&s, Scope::Level(AreaLevel::District), None);
        assert_eq!(ids(&districts), ["D1", "D2"]);
        assert_eq!((districts[0].score, districts[0].warning), (70.0, WarningLevel::Orange));
        assert_eq!(districts[0].name, "name D1");
        let security = rank(&s, Scope::Level(AreaLevel::District), Some(IndexAspect::PublicSecurity));
        assert_eq!(ids(&security), ["D2", "D1"], "clicking an aspect ranks on it");
        assert_eq!(security[0].warning, WarningLevel::Red);
        // Ties by id; an area without the aspect is left out of its ranking.
        assert_eq!(ids(&rank(&s, Scope::Children("D1"), None)), ["G1", "G2"]);
        assert_eq!(ids(&rank(&s, Scope::Children("D1"), Some(IndexAspect::PublicSecurity))), ["G1"]);
        assert!(rank(&s, Scope::Children("D1"), Some(IndexAspect::RuleOfLaw)).is_empty());
        assert_eq!(ids(&worst_grids(&s, 4)), ["L1", "L2", "G1", "G3"]);
        assert_eq!(worst_grids(&s, 100).len(), 7);
    }

    #[test]
    fn the_simulated_city_drills_down_five_levels() {
        let c = crate::generate::generate_city(900, 5, crate::LonLat::new(114.06, 22.54));
        let mut sim = crate::sim::Simulation::new(&c, crate::sim::SimConfig { incidents: 30, ..Default::default() });
        for _ in 0..3 {
            sim.step(60_000);
        }
        let mut s = FeedStore::default();
        s.apply_snapshot(sim.snapshot());
        let city = rank(&s, Scope::Level(AreaLevel::City), None);
        assert_eq!(city.len(), 1);
        assert_eq!(city[0].score, sim.index().overall, "the city's figure is the report's");
        let mut at = city[0].id.clone();
        for level in [AreaLevel::District, AreaLevel::Street, AreaLevel::Community, AreaLevel::Grid] {
            let kids = rank(&s, Scope::Children(&at), Some(IndexAspect::SocialGovernance));
            assert!(!kids.is_empty() && kids.iter().all(|k| k.level == level), "{level:?}");
            assert!(kids.windows(2).all(|w| w[0].score <= w[1].score));
            assert_eq!(kids.len(), children(&s, &at).len());
            at = kids[0].id.clone();
        }
        let way = breadcrumbs(&s, &at);
        assert_eq!(way.len(), 5);
        assert_eq!((way[0].level, way[4].id.as_str()), (AreaLevel::City, at.as_str()));
        let worst = worst_grids(&s, 10);
        assert_eq!(worst.len(), 10);
        let all = rank(&s, Scope::Level(AreaLevel::Grid), None);
        assert_eq!(worst[..], all[..10]);
        assert!(all.last().is_some_and(|best| best.score > worst[0].score));
    }
}
