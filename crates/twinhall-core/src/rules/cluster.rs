//! Cluster rules: at least N incidents of one category within R metres, reported within the
//! window. An incident with N or more (itself included) within R of it is a *core*; cores closer
//! than R to each other form one cluster, and the cluster's incidents are its cores and every
//! incident within R of one of them.
//!
//! A cluster keeps its name (the alert's subject) while it grows, shrinks or loses its first
//! incident to the window: each cluster found takes over the name most of its cores carried
//! before, and a cluster with no name yet is named after its oldest core. Incremental upkeep
//! keeps a grid of the window's incidents with their neighbour counts, and after a change looks
//! again only at the cores within 2R of what changed: any cluster that changed has a core there.
//!
//! An incident counts from its report time until the window has passed, even once archived or
//! removed from the feed: the rule is about what happened, not about what is still open.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::frame::distance;
use crate::protocol::Millis;
use crate::rules::config::Cluster;
use crate::rules::fence::in_window;
use crate::rules::timers::{Timer, Timers};

/// A core of a cluster found now: report time, incident id, the name it carried before.
pub(crate) type Core<'a> = (Millis, &'a str, Option<&'a str>);

/// Names the clusters found now. Each cluster's cores are sorted by (time, id). `live` holds the
/// names of clusters not among these (they keep theirs).
///
/// A name goes to the cluster holding most of the cores that carried it (ties: the one holding
/// the oldest such core); a cluster given several keeps the one most of its cores carried (ties:
/// the one its oldest core carried). Clusters left without a name, oldest first, are named after
/// their oldest core, with `~2`, `~3`... when that name is taken.
pub(crate) fn assign_names(found: &[Vec<Core<'_>>], live: &HashSet<String>) -> Vec<String> {
    // A cluster holding a name: (cluster, cores carrying the name, oldest such core).
    type Holding<'a> = (usize, usize, (Millis, &'a str));
    let mut holders: BTreeMap<&str, Vec<Holding<'_>>> = BTreeMap::new();
    for (c, cores) in found.iter().enumerate() {
        let mut seen: BTreeMap<&str, (usize, (Millis, &str))> = BTreeMap::new();
        for &(t, id, old) in cores {
            if let Some(name) = old {
                let e = seen.entry(name).or_insert((0, (t, id)));
                e.0 += 1;
            }
        }
        for (name, (n, oldest)) in seen {
            holders.entry(name).or_default().push((c, n, oldest));
        }
    }
    let better = |a: &Holding<'_>, b: &Holding<'_>| a.1 > b.1 || (a.1 == b.1 && a.2 < b.2);
    // Each cluster's best claim: (cores carrying it, oldest such core, name).
    type Claim<'a> = (usize, (Millis, &'a str), &'a str);
    let mut best_claim: Vec<Option<Claim<'_>>> = vec![None; found.len()];
    for (name, hs) in &holders {
        let mut winner = hs[0];
        for h in &hs[1..] {
            if better(h, &winner) {
                winner = *h;
            }
        }
        let (c, n, oldest) = winner;
        let claim = (n, oldest, *name);
        let replace = match best_claim[c] {
            None => true,
            Some((bn, bo, _)) => n > bn || (n == bn && oldest < bo),
        };
        if replace {
            best_claim[c] = Some(claim);
        }
    }
    let mut names: Vec<Option<String>> = best_claim.iter().map(|b| b.map(|(_, _, name)| name.to_string())).collect();
    let mut taken: HashSet<String> = names.iter().flatten().cloned().collect();
    let mut unnamed: Vec<usize> = (0..found.len()).filter(|&c| names[c].is_none() && !found[c].is_empty()).collect();
    unnamed.sort_by(|&a, &b| (found[a][0].0, found[a][0].1).cmp(&(found[b][0].0, found[b][0].1)));
    for c in unnamed {
        let base = found[c][0].1;
        let mut name = base.to_string();
        let mut k = 2;
        while live.contains(&name) || taken.contains(&name) {
            name = format!("{base}~{k}");
            k += 1;
        }
        taken.insert(name.clone());
        names[c] = Some(name);
    }
    names.into_iter().map(Option::unwrap_or_default).collect()
}

/// What an alert shows of a cluster: how many incidents, and where ([lon, lat], mean of cores).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Shown {
    pub incidents: usize,
    pub lonlat: [f64; 2],
}

#[derive(Clone, Debug)]
struct Member {
    p: [f64; 2],
    lonlat: [f64; 2],
    t: Millis,
    /// Incidents within the radius, itself included.
    near: u32,
    name: Option<u32>,
    timer: Timer,
}

/// One cluster rule's incidents and named clusters.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    members: HashMap<u32, Member>,
    grid: HashMap<(i32, i32), Vec<u32>>,
    /// Positions (old and new) that changed since the last naming.
    touched: Vec<[f64; 2]>,
    /// Names that lost a core since the last naming.
    dropped: Vec<u32>,
    names: Vec<String>,
    name_ids: HashMap<String, u32>,
    /// Cores carrying each name; a name with none is a cluster that ended.
    cores: Vec<u32>,
    shown: Vec<Option<Shown>>,
}

impl State {
    fn key(rule: &Cluster, p: [f64; 2]) -> (i32, i32) {
        ((p[0] / rule.radius_m).floor() as i32, (p[1] / rule.radius_m).floor() as i32)
    }

    /// Members within `radius` of `p`.
    fn near(&self, rule: &Cluster, p: [f64; 2], radius: f64, out: &mut Vec<u32>) {
        out.clear();
        let r = (radius / rule.radius_m).ceil() as i32;
        let (cx, cy) = Self::key(rule, p);
        for x in cx - r..=cx + r {
            for y in cy - r..=cy + r {
                let Some(ids) = self.grid.get(&(x, y)) else { continue };
                out.extend(ids.iter().copied().filter(|i| distance(self.members[i].p, p) <= radius));
            }
        }
    }

    fn drop_name(&mut self, m: u32) {
        if let Some(name) = self.members.get_mut(&m).and_then(|m| m.name.take()) {
            self.cores[name as usize] -= 1;
            self.dropped.push(name);
        }
    }

    fn unlink(&mut self, rule: &Cluster, i: u32) {
        let p = self.members[&i].p;
        if let Some(cell) = self.grid.get_mut(&Self::key(rule, p)) {
            cell.retain(|&x| x != i);
        }
        let mut near = Vec::new();
        self.near(rule, p, rule.radius_m, &mut near);
        for q in near {
            if let Some(m) = self.members.get_mut(&q) {
                m.near -= 1;
            }
        }
        self.touched.push(p);
    }

    fn link(&mut self, rule: &Cluster, i: u32, p: [f64; 2]) {
        let mut near = Vec::new();
        self.near(rule, p, rule.radius_m, &mut near);
        for &q in &near {
            if let Some(m) = self.members.get_mut(&q) {
                m.near += 1;
            }
        }
        self.grid.entry(Self::key(rule, p)).or_default().push(i);
        if let Some(m) = self.members.get_mut(&i) {
            m.p = p;
            m.near = near.len() as u32 + 1;
        }
        self.touched.push(p);
    }

    fn remove(&mut self, rule: &Cluster, i: u32) {
        if !self.members.contains_key(&i) {
            return;
        }
        self.drop_name(i);
        self.unlink(rule, i);
        self.members.remove(&i);
    }

    /// An incident's latest report; `matches` says whether its category is the rule's.
    #[expect(clippy::too_many_arguments, reason = "one incident's fields, passed apart to avoid a copy")]
    pub fn incident(
        &mut self,
        rule: &Cluster,
        r: u32,
        i: u32,
        matches: bool,
        t: Millis,
        p: [f64; 2],
        lonlat: [f64; 2],
        timers: &mut Timers,
    ) {
        if !(matches && p[0].is_finite() && p[1].is_finite()) {
            self.remove(rule, i);
            return;
        }
        match self.members.get_mut(&i) {
            Some(m) => {
                m.lonlat = lonlat;
                let (retimed, moved) = (m.t != t, m.p != p);
                m.t = t;
                if retimed {
                    self.touched.push(p);
                }
                if moved {
                    self.unlink(rule, i);
                    self.link(rule, i, p);
                }
            }
            None => {
                self.members.insert(i, Member { p, lonlat, t, near: 0, name: None, timer: Timer::default() });
                self.link(rule, i, p);
            }
        }
        if let Some(m) = self.members.get_mut(&i) {
            timers.schedule(&mut m.timer, t.saturating_add(rule.window_ms), r, u64::from(i));
        }
    }

    /// A popped deadline: the incident leaves if its window has passed.
    pub fn on_timer(&mut self, rule: &Cluster, r: u32, i: u32, due: Millis, now: Millis, timers: &mut Timers) {
        let Some(m) = self.members.get_mut(&i) else { return };
        if !m.timer.take(due) {
            return;
        }
        if in_window(m.t, rule.window_ms, now) {
            timers.schedule(&mut m.timer, m.t.saturating_add(rule.window_ms), r, u64::from(i));
        } else {
            self.remove(rule, i);
        }
    }

    fn name_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.name_ids.insert(name.to_string(), id);
        self.cores.push(0);
        self.shown.push(None);
        id
    }

    /// Finds the clusters again around what changed; returns the names whose cluster began,
    /// ended or changed. `ids` gives incident ids by number.
    pub fn rename(&mut self, rule: &Cluster, ids: &[String]) -> Vec<u32> {
        if self.touched.is_empty() {
            return Vec::new();
        }
        let touched = std::mem::take(&mut self.touched);
        let is_core = |m: &Member| m.near >= rule.count;
        let mut near = Vec::new();
        // Incidents that stopped being cores lose their name.
        for &p in &touched {
            self.near(rule, p, rule.radius_m, &mut near);
            for &q in &near {
                let m = &self.members[&q];
                if m.name.is_some() && !is_core(m) {
                    self.drop_name(q);
                }
            }
        }
        // Every cluster that changed has a core within 2R of a change.
        let mut seeds: Vec<u32> = Vec::new();
        for &p in &touched {
            self.near(rule, p, 2.0 * rule.radius_m, &mut near);
            seeds.extend(near.iter().copied().filter(|q| is_core(&self.members[q])));
        }
        seeds.sort_unstable();
        seeds.dedup();
        let mut seen: HashSet<u32> = HashSet::new();
        let mut clusters: Vec<Vec<u32>> = Vec::new();
        for s in seeds {
            if !seen.insert(s) {
                continue;
            }
            let mut cores = vec![s];
            let mut k = 0;
            while k < cores.len() {
                let p = self.members[&cores[k]].p;
                self.near(rule, p, rule.radius_m, &mut near);
                for &q in &near {
                    if is_core(&self.members[&q]) && seen.insert(q) {
                        cores.push(q);
                    }
                }
                k += 1;
            }
            let key = |i: &u32| (self.members[i].t, ids.get(*i as usize).map(String::as_str).unwrap_or(""));
            cores.sort_by(|a, b| key(a).cmp(&key(b)));
            clusters.push(cores);
        }
        // Their cores give up their names, to be handed out again.
        let mut old: HashMap<u32, u32> = HashMap::new();
        for &c in clusters.iter().flatten() {
            if let Some(name) = self.members[&c].name {
                old.insert(c, name);
                self.drop_name(c);
            }
        }
        let mut dirty = std::mem::take(&mut self.dropped);
        let live: HashSet<String> =
            self.cores.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, _)| self.names[i].clone()).collect();
        let found: Vec<Vec<Core<'_>>> = clusters
            .iter()
            .map(|cores| {
                cores
                    .iter()
                    .map(|c| {
                        let id = ids.get(*c as usize).map(String::as_str).unwrap_or("");
                        (self.members[c].t, id, old.get(c).map(|n| self.names[*n as usize].as_str()))
                    })
                    .collect()
            })
            .collect();
        let given = assign_names(&found, &live);
        for (cores, name) in clusters.iter().zip(given) {
            let id = self.name_id(&name);
            let shown = self.show(rule, cores);
            for &c in cores {
                if let Some(m) = self.members.get_mut(&c) {
                    m.name = Some(id);
                }
            }
            self.cores[id as usize] += cores.len() as u32;
            self.shown[id as usize] = Some(shown);
            dirty.push(id);
        }
        dirty.sort_unstable();
        dirty.dedup();
        dirty
    }

    fn show(&self, rule: &Cluster, cores: &[u32]) -> Shown {
        let mut all: HashSet<u32> = cores.iter().copied().collect();
        let mut near = Vec::new();
        for c in cores {
            self.near(rule, self.members[c].p, rule.radius_m, &mut near);
            all.extend(near.iter().copied());
        }
        shown(cores.iter().map(|c| self.members[c].lonlat), all.len())
    }

    /// The cluster under this name, if it is alive.
    pub fn holds(&self, name: u32) -> Option<Shown> {
        let i = name as usize;
        if self.cores.get(i).copied().unwrap_or(0) == 0 {
            return None;
        }
        self.shown.get(i).copied().flatten()
    }

    pub fn name(&self, name: u32) -> &str {
        self.names.get(name as usize).map(String::as_str).unwrap_or("")
    }
}

/// What an alert shows, from the cores' [lon, lat] in (time, id) order and the incident count.
pub(crate) fn shown(cores: impl Iterator<Item = [f64; 2]>, incidents: usize) -> Shown {
    let (mut lon, mut lat, mut n) = (0.0, 0.0, 0.0);
    for p in cores {
        lon += p[0];
        lat += p[1];
        n += 1.0;
    }
    Shown { incidents, lonlat: if n > 0.0 { [lon / n, lat / n] } else { [0.0, 0.0] } }
}
