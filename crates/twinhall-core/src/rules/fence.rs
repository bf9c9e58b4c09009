//! Fences: the polygons geofence, area-incident and offline-camera rules watch, resolved from the
//! file's polygons and the feed's areas, in local metres, with a grid over their bounding boxes
//! so that "which fences hold this point" looks at a few candidates instead of every fence.
//!
//! A fence keeps its number for as long as the evaluator lives (keyed by rule and label), so that
//! per-unit and per-fence state survives an area's geometry changing or going away and coming back.

use std::collections::{BTreeMap, HashMap};

use crate::frame::LocalFrame;
use crate::protocol::{Area, AreaLevel, EntityHeader, EntityKind, Millis, Removal};
use crate::rules::config::{Fence, Rule, RuleKind};
use crate::{LonLat, model};

/// An area as the rules need it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AreaShape {
    pub version: u64,
    pub level: AreaLevel,
    pub ring: Vec<[f64; 2]>,
}

/// The feed's areas, by id (sorted, so that fences of a level come in one order everywhere).
#[derive(Clone, Debug, Default)]
pub(crate) struct Areas {
    pub by_id: BTreeMap<String, AreaShape>,
}

impl Areas {
    /// Applies upserts (only newer versions unless `force`) and removals; true if anything changed.
    pub fn apply(&mut self, upserts: &[Area], removals: &[Removal], force: bool) -> bool {
        let mut changed = false;
        for a in upserts {
            if !force && self.by_id.get(&a.id).is_some_and(|held| held.version >= a.version()) {
                continue;
            }
            let shape = AreaShape { version: a.version, level: a.level, ring: a.ring.clone() };
            if self.by_id.get(&a.id) != Some(&shape) {
                changed = true;
            }
            self.by_id.insert(a.id.clone(), shape);
        }
        for r in removals.iter().filter(|r| r.kind == EntityKind::Area) {
            changed |= self.by_id.remove(&r.id).is_some();
        }
        changed
    }
}

/// One fence: a rule's polygon, labelled by area id (or `polygon`).
#[derive(Clone, Debug)]
pub(crate) struct FenceShape {
    pub rule: u32,
    pub label: String,
    /// Local metres; `None` while the area is not in the feed.
    pub ring: Option<Vec<[f64; 2]>>,
    /// Mean of the ring's [lon, lat] vertices, for placing an alert.
    pub centre: Option<[f64; 2]>,
    bbox: [f64; 4],
}

impl FenceShape {
    pub fn contains(&self, p: [f64; 2]) -> bool {
        let b = self.bbox;
        self.ring
            .as_ref()
            .is_some_and(|r| p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3] && model::ring_contains(r, p))
    }
}

/// The fences of some rules, with a grid over their bounding boxes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fences {
    pub shapes: Vec<FenceShape>,
    by_key: HashMap<(u32, String), u32>,
    cell_m: f64,
    grid: HashMap<(i32, i32), Vec<u32>>,
    /// Fences spanning too many cells to list in each: looked at for every point.
    big: Vec<u32>,
}

/// The [lon, lat] rings a fence spec stands for now, with their labels.
fn rings<'a>(fence: &'a Fence, areas: &'a Areas) -> Vec<(String, Option<&'a [[f64; 2]]>)> {
    let area = |id: &String| (id.clone(), areas.by_id.get(id).map(|a| a.ring.as_slice()));
    match fence {
        Fence::Area(id) => vec![area(id)],
        Fence::Areas(ids) => ids.iter().map(area).collect(),
        Fence::Level(level) => areas
            .by_id
            .iter()
            .filter(|(_, a)| a.level == *level)
            .map(|(id, a)| (id.clone(), Some(a.ring.as_slice())))
            .collect(),
        Fence::Polygon(ring) => vec![("polygon".to_string(), Some(ring.as_slice()))],
    }
}

impl Fences {
    /// Resolves the fences of the rules `wanted` picks against the areas, keeping the numbers of
    /// fences seen before; fences whose area is gone keep their number with no ring.
    pub fn rebuild(&mut self, rules: &[Rule], wanted: impl Fn(&RuleKind) -> bool, areas: &Areas, frame: &LocalFrame) {
        for s in &mut self.shapes {
            s.ring = None;
            s.centre = None;
        }
        for (r, rule) in rules.iter().enumerate() {
            if !wanted(&rule.kind) {
                continue;
            }
            let Some(fence) = rule.kind.fence() else { continue };
            for (label, ring) in rings(fence, areas) {
                let key = (r as u32, label);
                let id = match self.by_key.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = self.shapes.len() as u32;
                        self.shapes.push(FenceShape {
                            rule: r as u32,
                            label: key.1.clone(),
                            ring: None,
                            centre: None,
                            bbox: [0.0; 4],
                        });
                        self.by_key.insert(key, id);
                        id
                    }
                };
                let Some(ring) = ring.filter(|r| r.len() >= 3) else { continue };
                let metres: Vec<[f64; 2]> = ring.iter().map(|p| frame.to_local(LonLat::new(p[0], p[1]))).collect();
                let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
                for p in &metres {
                    bbox = [bbox[0].min(p[0]), bbox[1].min(p[1]), bbox[2].max(p[0]), bbox[3].max(p[1])];
                }
                let n = ring.len() as f64;
                let centre = [ring.iter().map(|p| p[0]).sum::<f64>() / n, ring.iter().map(|p| p[1]).sum::<f64>() / n];
                let shape = &mut self.shapes[id as usize];
                shape.ring = Some(metres);
                shape.centre = Some(centre);
                shape.bbox = bbox;
            }
        }
        self.index();
    }

    /// Grid cells about the median fence size, so a fence spans a few cells and a cell holds few.
    fn index(&mut self) {
        self.grid.clear();
        self.big.clear();
        let mut sizes: Vec<f64> = self
            .shapes
            .iter()
            .filter(|s| s.ring.is_some())
            .map(|s| (s.bbox[2] - s.bbox[0]).max(s.bbox[3] - s.bbox[1]))
            .collect();
        sizes.sort_by(f64::total_cmp);
        self.cell_m = sizes.get(sizes.len() / 2).copied().unwrap_or(500.0).clamp(50.0, 5_000.0);
        for (id, s) in self.shapes.iter().enumerate() {
            if s.ring.is_none() {
                continue;
            }
            let (x0, y0) = self.key([s.bbox[0], s.bbox[1]]);
            let (x1, y1) = self.key([s.bbox[2], s.bbox[3]]);
            // A fence far larger than the others (a district among blocks, or a mistaken
            // continent-sized polygon) is looked at for every point instead of filling cells.
            if (i64::from(x1) - i64::from(x0) + 1) * (i64::from(y1) - i64::from(y0) + 1) > 4096 {
                self.big.push(id as u32);
                continue;
            }
            for x in x0..=x1 {
                for y in y0..=y1 {
                    self.grid.entry((x, y)).or_default().push(id as u32);
                }
            }
        }
    }

    fn key(&self, p: [f64; 2]) -> (i32, i32) {
        ((p[0] / self.cell_m).floor() as i32, (p[1] / self.cell_m).floor() as i32)
    }

    /// Fences holding `p` for which `keep` says yes, in increasing number, into `out`.
    pub fn query(&self, p: [f64; 2], keep: impl Fn(&FenceShape) -> bool, out: &mut Vec<u32>) {
        out.clear();
        if !(p[0].is_finite() && p[1].is_finite()) {
            return;
        }
        let cell = self.grid.get(&self.key(p)).map(Vec::as_slice).unwrap_or_default();
        out.extend(cell.iter().chain(&self.big).copied().filter(|&f| {
            let s = &self.shapes[f as usize];
            keep(s) && s.contains(p)
        }));
        out.sort_unstable();
    }
}

/// Whether `t` (a report time) is still inside a window of `window_ms` at `now`.
pub(crate) fn in_window(t: Millis, window_ms: Millis, now: Millis) -> bool {
    t.saturating_add(window_ms) > now
}
