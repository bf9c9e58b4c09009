//! The incremental evaluator against the full rescan on random streams of 10,000 changes: every
//! kind of change (readings, moves, cameras going down, incidents reported, moved and removed,
//! entities removed and coming back, areas changing, outdated versions), irregular time steps,
//! and every rule kind; the edges of every evaluation must be equal.

use std::collections::BTreeMap;

use super::*;
use crate::generate::SplitMix64;

const RULES: &str = r#"
[[rule]]
id = "water-high"
name_zh = "水位高"
name_en = "Water high"
severity = 3
suggest = "city_management"
kind = "threshold"
sensor_kind = "water_level"
above = 2.5
clear = 2.0
for_s = 20

[[rule]]
id = "noise-low"
name_zh = "噪声计读数过低"
name_en = "Noise meter reading too low"
severity = 1
suggest = "other"
kind = "threshold"
sensor_kind = "noise"
below = 40

[[rule]]
id = "water-rise"
name_zh = "水位上涨"
name_en = "Water rising"
severity = 2
suggest = "city_management"
kind = "rate"
sensor_kind = "water_level"
rise = 0.8
window_s = 120

[[rule]]
id = "noise-drop"
name_zh = "噪声骤降"
name_en = "Noise dropping"
severity = 1
suggest = "environment"
kind = "rate"
sensor_kind = "noise"
fall = 15
window_s = 45

[[rule]]
id = "sensor-silent"
name_zh = "设备失联"
name_en = "Sensor silent"
severity = 1
suggest = "other"
kind = "stale"
entity = "sensor"
sensor_kind = "water_level"
period_s = 90

[[rule]]
id = "sensor-past-stale-after"
name_zh = "设备过期"
name_en = "Sensor past stale_after"
severity = 1
suggest = "other"
kind = "stale"
entity = "sensor"

[[rule]]
id = "camera-silent"
name_zh = "摄像机失联"
name_en = "Camera silent"
severity = 1
suggest = "other"
kind = "stale"
entity = "camera"
period_s = 120

[[rule]]
id = "enter-g5"
name_zh = "进入网格5"
name_en = "Entering grid 5"
severity = 2
suggest = "public_order"
kind = "geofence"
areas = ["G5", "G10"]
event = "enter"

[[rule]]
id = "enter-zone"
name_zh = "警车进入管控区"
name_en = "Police car entering the zone"
severity = 2
suggest = "public_order"
kind = "geofence"
polygon = POLYGON
event = "enter"
unit_kinds = ["police_car"]

[[rule]]
id = "enter-region"
name_zh = "进入大区"
name_en = "Entering the region"
severity = 1
suggest = "other"
kind = "geofence"
polygon = [[24.0, 59.8], [26.0, 59.8], [26.0, 60.6], [24.0, 60.6]]
event = "enter"
unit_kinds = ["fire_engine"]

[[rule]]
id = "leave-grid"
name_zh = "离开网格"
name_en = "Leaving a grid"
severity = 1
suggest = "other"
kind = "geofence"
area_level = "grid"
event = "leave"
unit_kinds = ["grid_worker", "volunteer"]

[[rule]]
id = "grid-disputes"
name_zh = "网格纠纷多发"
name_en = "Disputes in a grid"
severity = 2
suggest = "dispute"
kind = "geofence_incidents"
area_level = "grid"
category = "dispute"
more_than = 1
window_min = 5

[[rule]]
id = "street-fires"
name_zh = "街道火情"
name_en = "Fires in the street"
severity = 3
suggest = "fire"
kind = "geofence_incidents"
area = "ST"
category = "fire"
more_than = 2
window_min = 3

[[rule]]
id = "fire-cluster"
name_zh = "火情聚集"
name_en = "Fire cluster"
severity = 4
suggest = "fire"
kind = "cluster"
category = "fire"
count = 3
radius_m = 250
window_min = 4

[[rule]]
id = "dispute-cluster"
name_zh = "纠纷聚集"
name_en = "Dispute cluster"
severity = 2
suggest = "dispute"
kind = "cluster"
category = "dispute"
count = 2
radius_m = 150
window_min = 3

[[rule]]
id = "cameras-down"
name_zh = "网格视频离线"
name_en = "Cameras down in a grid"
severity = 2
suggest = "public_order"
kind = "cameras_offline"
count = 2
share = 0.3
"#;

/// A random city life, one evaluation per frame, each entity changed at most once a frame.
struct World {
    rng: SplitMix64,
    now: Millis,
    versions: BTreeMap<String, u64>,
    sensors: Vec<(String, String, f64, bool)>,
    cameras: Vec<([f64; 2], bool, bool)>,
    units: Vec<([f64; 2], UnitKind, bool)>,
    incidents: Vec<(IncidentCategory, [f64; 2], Millis, bool)>,
    grid_versions: Vec<Option<u64>>,
}

const HOT: [[f64; 2]; 3] = [[300.0, 300.0], [1200.0, 800.0], [1700.0, 1600.0]];

impl World {
    fn new(seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let sensors = (0..40)
            .map(|i| {
                let kind = if i % 2 == 0 { "water_level" } else { "noise" };
                let normal = if i % 2 == 0 { 1.5 } else { 55.0 };
                (format!("S{i}"), kind.to_string(), normal, true)
            })
            .collect();
        let cameras = (0..24).map(|_| ([rng.range(0.0, 2000.0), rng.range(0.0, 2000.0)], true, true)).collect();
        let kinds = [UnitKind::PoliceCar, UnitKind::FireEngine, UnitKind::GridWorker, UnitKind::Volunteer];
        let units = (0..30).map(|i| ([rng.range(0.0, 2000.0), rng.range(0.0, 2000.0)], kinds[i % 4], true)).collect();
        Self {
            rng,
            now: T0,
            versions: BTreeMap::new(),
            sensors,
            cameras,
            units,
            incidents: Vec::new(),
            grid_versions: vec![None; 16],
        }
    }

    fn version(&mut self, key: &str) -> u64 {
        let v = self.versions.entry(key.to_string()).or_insert(0);
        *v += 1;
        *v
    }

    fn grid(&mut self, i: usize) -> Area {
        let v = self.grid_versions[i].map_or(1, |v| v + 1);
        self.grid_versions[i] = Some(v);
        // A grid that changes gets a little smaller or larger.
        let size = if v == 1 { 500.0 } else { self.rng.range(420.0, 560.0) };
        square(&format!("G{i}"), AreaLevel::Grid, (i % 4) as f64 * 500.0, (i / 4) as f64 * 500.0, size, v)
    }

    /// The first frame: every area, sensor, camera and unit.
    fn start(&mut self) -> Entities {
        let mut e = Entities::default();
        for i in 0..16 {
            let g = self.grid(i);
            e.areas.push(g);
        }
        e.areas.push(square("ST", AreaLevel::Street, 0.0, 0.0, 1000.0, 1));
        for i in 0..self.sensors.len() {
            let s = self.sensor(i);
            e.sensors.push(s);
        }
        for i in 0..self.cameras.len() {
            let c = self.camera(i);
            e.cameras.push(c);
        }
        for i in 0..self.units.len() {
            let u = self.unit(i);
            e.units.push(u);
        }
        e
    }

    fn sensor(&mut self, i: usize) -> Sensor {
        let (id, kind, value, _) = self.sensors[i].clone();
        let v = self.version(&id);
        let mut s = sensor(&id, &kind, value, self.now - self.rng.range(0.0, 2000.0) as Millis, v);
        if i.is_multiple_of(5) {
            s.stale_after = Some(s.updated_at + 60_000);
        }
        s
    }

    fn camera(&mut self, i: usize) -> Camera {
        let (p, online, _) = self.cameras[i];
        let id = format!("C{i}");
        let v = self.version(&id);
        camera(&id, p[0], p[1], online, self.now, v)
    }

    fn unit(&mut self, i: usize) -> Unit {
        let (p, kind, _) = self.units[i];
        let id = format!("U{i}");
        let v = self.version(&id);
        unit(&id, kind, p[0], p[1], self.now, v)
    }

    fn incident(&mut self, i: usize) -> Incident {
        let (category, p, t, _) = self.incidents[i];
        let id = format!("I{i:04}");
        let v = self.version(&id);
        incident(&id, category, p[0], p[1], t, v)
    }

    fn near_hot_spot(&mut self) -> [f64; 2] {
        let h = HOT[(self.rng.next_u64() % 3) as usize];
        [h[0] + self.rng.range(-300.0, 300.0), h[1] + self.rng.range(-300.0, 300.0)]
    }

    fn pick(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n.max(1) as u64) as usize
    }

    /// One frame's changes (up to `budget`) and the time it is evaluated at.
    fn frame(&mut self, budget: usize) -> (Entities, Vec<Removal>, usize) {
        let step = match self.rng.unit() {
            u if u < 0.6 => self.rng.range(100.0, 3000.0),
            u if u < 0.95 => self.rng.range(3000.0, 20_000.0),
            _ => self.rng.range(60_000.0, 200_000.0),
        };
        self.now += step as Millis;
        let mut e = Entities::default();
        let mut removals = Vec::new();
        let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
        let n = 1 + self.pick(budget.min(20));
        let mut made = 0;
        while made < n {
            let roll = self.rng.unit();
            if roll < 0.35 {
                let i = self.pick(self.sensors.len());
                if !used.insert(format!("s{i}")) {
                    continue;
                }
                let (_, kind, value, live) = self.sensors[i].clone();
                if !live || self.rng.unit() < 0.01 {
                    // Removed, or coming back.
                    self.sensors[i].3 = !live;
                    if live {
                        removals.push(removal(EntityKind::Sensor, &self.sensors[i].0));
                        made += 1;
                        continue;
                    }
                }
                let (lo, hi, normal) = if kind == "water_level" { (0.5, 3.5, 1.5) } else { (30.0, 80.0, 55.0) };
                let next = match self.rng.unit() {
                    u if u < 0.1 => self.rng.range(lo, hi),
                    u if u < 0.2 => normal,
                    _ => (value + self.rng.range(-0.15, 0.15) * (hi - lo)).clamp(lo, hi),
                };
                self.sensors[i].2 = next;
                if self.rng.unit() < 0.03 && live {
                    // An outdated version: both evaluators must ignore it.
                    let mut s = self.sensor(i);
                    s.version = s.version.saturating_sub(2);
                    s.reading = hi * 3.0;
                    e.sensors.push(s);
                } else {
                    let s = self.sensor(i);
                    e.sensors.push(s);
                }
            } else if roll < 0.55 {
                let i = self.pick(self.units.len());
                if !used.insert(format!("u{i}")) {
                    continue;
                }
                let (p, _, live) = self.units[i];
                if self.rng.unit() < 0.01 {
                    self.units[i].2 = !live;
                    if live {
                        removals.push(removal(EntityKind::Unit, &format!("U{i}")));
                        made += 1;
                        continue;
                    }
                }
                self.units[i].0 = if self.rng.unit() < 0.05 {
                    [self.rng.range(-200.0, 2200.0), self.rng.range(-200.0, 2200.0)]
                } else {
                    [p[0] + self.rng.range(-250.0, 250.0), p[1] + self.rng.range(-250.0, 250.0)]
                };
                if self.rng.unit() < 0.01 {
                    self.units[i].1 =
                        if self.units[i].1 == UnitKind::PoliceCar { UnitKind::Volunteer } else { UnitKind::PoliceCar };
                }
                let u = self.unit(i);
                e.units.push(u);
            } else if roll < 0.7 {
                let i = self.pick(self.cameras.len());
                if !used.insert(format!("c{i}")) {
                    continue;
                }
                let (p, online, live) = self.cameras[i];
                if self.rng.unit() < 0.02 {
                    self.cameras[i].2 = !live;
                    if live {
                        removals.push(removal(EntityKind::Camera, &format!("C{i}")));
                        made += 1;
                        continue;
                    }
                }
                if self.rng.unit() < 0.5 {
                    self.cameras[i].1 = !online;
                }
                if self.rng.unit() < 0.1 {
                    self.cameras[i].0 = [p[0] + self.rng.range(-400.0, 400.0), p[1] + self.rng.range(-400.0, 400.0)];
                }
                let c = self.camera(i);
                e.cameras.push(c);
            } else if roll < 0.88 || self.incidents.is_empty() {
                let categories = [IncidentCategory::Fire, IncidentCategory::Dispute, IncidentCategory::Traffic];
                let category = categories[self.pick(3)];
                let p = self.near_hot_spot();
                let t = self.now - self.rng.range(0.0, 30_000.0) as Millis;
                self.incidents.push((category, p, t, true));
                let i = self.incidents.len() - 1;
                used.insert(format!("i{i}"));
                let inc = self.incident(i);
                e.incidents.push(inc);
            } else if roll < 0.99 {
                let i = self.incidents.len() - 1 - self.pick(self.incidents.len().min(30));
                if !used.insert(format!("i{i}")) {
                    continue;
                }
                match self.pick(4) {
                    0 => self.incidents[i].1 = self.near_hot_spot(),
                    1 => self.incidents[i].0 = IncidentCategory::Fire,
                    2 => self.incidents[i].2 += self.rng.range(-60_000.0, 60_000.0) as Millis,
                    _ => {
                        if self.incidents[i].3 {
                            self.incidents[i].3 = false;
                            removals.push(removal(EntityKind::Incident, &format!("I{i:04}")));
                            made += 1;
                            continue;
                        }
                        self.incidents[i].3 = true;
                    }
                }
                let inc = self.incident(i);
                e.incidents.push(inc);
            } else {
                let i = self.pick(16);
                if !used.insert(format!("g{i}")) {
                    continue;
                }
                if self.grid_versions[i].is_some() && self.rng.unit() < 0.4 {
                    self.grid_versions[i] = None;
                    removals.push(removal(EntityKind::Area, &format!("G{i}")));
                } else {
                    let g = self.grid(i);
                    e.areas.push(g);
                }
            }
            made += 1;
        }
        (e, removals, made)
    }
}

fn polygon() -> String {
    let ring = [at(600.0, 600.0), at(1100.0, 600.0), at(1150.0, 1100.0), at(700.0, 1200.0), at(550.0, 900.0)];
    let points: Vec<String> = ring.iter().map(|p| format!("[{}, {}]", p[0], p[1])).collect();
    format!("[{}]", points.join(", "))
}

#[test]
fn incremental_equals_the_full_rescan_on_random_streams_of_ten_thousand_changes() {
    for seed in [1, 2] {
        let mut rig = Rig::new(&RULES.replace("POLYGON", &polygon()));
        let mut world = World::new(seed);
        let start = world.start();
        rig.step(start, Vec::new(), world.now);
        let mut changes = 0;
        let mut frames = 0;
        let mut fired: BTreeMap<(String, bool), usize> = BTreeMap::new();
        while changes < 10_000 {
            let (upserts, removals, n) = world.frame(10_000 - changes);
            changes += n;
            frames += 1;
            let step = rig.step(upserts, removals, world.now);
            for e in &step.edges {
                *fired.entry((rig.rules.rules[e.rule].id.clone(), e.on)).or_default() += 1;
            }
        }
        for rule in &rig.rules.rules {
            for on in [true, false] {
                let n = fired.get(&(rule.id.clone(), on)).copied().unwrap_or(0);
                assert!(
                    n > 0,
                    "seed {seed}: rule {} never {} in the stream: {fired:?}",
                    rule.id,
                    if on { "started" } else { "ended" }
                );
            }
        }
        assert!(rig.book.all().iter().any(|a| a.count > 1), "some alerts repeated");
        eprintln!(
            "seed {seed}: {changes} changes in {frames} frames over {} s; edges by rule and start/end: {fired:?}",
            (world.now - T0) / 1000
        );
    }
}
