//! Incidents: arrivals in the categories a Chinese city sees, reports (a knob for demos, and the
//! wall's `POST /v1/incidents`), and the lifecycle from report to archive.

use super::{Simulation, ring_has};
use crate::frame::LonLat;
use crate::protocol::{
    AreaLevel, Incident, IncidentCategory, IncidentReport, IncidentStatus, ReportChannel, ReportError, StageTime,
    UnitStatus,
};

/// How far outside the city's box a reported position may lie, metres.
pub const CITY_MARGIN_M: f64 = 1000.0;

/// What a new incident says; the simulation takes the next id and adds what it knows of the place
/// (address, district, grid).
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentDraft {
    pub category: IncidentCategory,
    /// 1 to 4 (clamped).
    pub severity: u8,
    /// Where; `None` for a random road node.
    pub at: Option<LonLat>,
    pub title: String,
    pub description: String,
    pub channel: ReportChannel,
}

const CATEGORIES: [(IncidentCategory, &str); 8] = [
    (IncidentCategory::Dispute, "邻里纠纷"),
    (IncidentCategory::PublicOrder, "治安警情"),
    (IncidentCategory::Fire, "火情"),
    (IncidentCategory::Traffic, "交通事故"),
    (IncidentCategory::CityManagement, "占道经营"),
    (IncidentCategory::Environment, "噪声扰民"),
    (IncidentCategory::PublicHealth, "公共卫生事件"),
    (IncidentCategory::WorkSafety, "安全隐患"),
];

/// An accepted incident nobody dispatches to is taken on by the grid's own staff after this.
pub const LOCAL_HANDLING_MS: i64 = 30 * 60_000;

/// One incident in this many is sent back from review to handling once (its number modulo this
/// is [`SENT_BACK_REMAINDER`]): the cases not closed on first handling that efficiency
/// supervision counts.
pub const SENT_BACK_EVERY: u64 = 10;
const SENT_BACK_REMAINDER: u64 = 7;

/// Whether review sends this incident back to handling: chosen by its number, so the random
/// stream (and with it every other outcome of a seed) stays as it was, and once only.
fn review_sends_back(inc: &Incident) -> bool {
    let chosen = inc
        .id
        .strip_prefix("I-")
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(|n| n % SENT_BACK_EVERY == SENT_BACK_REMAINDER);
    chosen && inc.stages.iter().filter(|s| s.status == IncidentStatus::Handling).count() < 2
}

impl Simulation {
    pub(super) fn new_incident(&mut self) {
        // Grid, category and a place on a road from the rate model; a city without grids with roads
        // takes a random category at a random road node.
        let (category, at) = match self.arrivals.place() {
            Some((_, category, at)) => (category, Some(self.city_frame.to_lonlat(at))),
            None => (CATEGORIES[(self.rng.next_u64() % CATEGORIES.len() as u64) as usize].0, None),
        };
        let severity = 1 + (self.rng.next_u64() % 4) as u8;
        self.report_incident(category, severity, at);
    }

    /// Reports a new incident now (a knob for demos and tests): at `at`, or at a random road
    /// node. It enters the lifecycle like any other and goes out with the next batch.
    pub fn report_incident(&mut self, category: IncidentCategory, severity: u8, at: Option<LonLat>) -> Incident {
        let title = CATEGORIES.iter().find(|(c, _)| *c == category).map(|(_, t)| *t).unwrap_or("其他事件");
        let channels = [
            ReportChannel::Hotline,
            ReportChannel::Police110,
            ReportChannel::GridWorker,
            ReportChannel::VideoAnalytics,
            ReportChannel::Sensor,
            ReportChannel::CitizenApp,
        ];
        let channel = channels[(self.rng.next_u64() % channels.len() as u64) as usize];
        let draft = IncidentDraft { category, severity, at, title: title.into(), description: String::new(), channel };
        let incident = self.prepare_incident(draft);
        self.apply_incident(incident.clone());
        incident
    }

    /// Builds the incident a draft makes, taking its id and nothing else: a backend writes it to
    /// disk between this and [`apply_incident`](Self::apply_incident), so an incident it could
    /// not store never appears. An id taken and never applied is skipped.
    pub fn prepare_incident(&mut self, draft: IncidentDraft) -> Incident {
        let p = match draft.at {
            Some(p) => p,
            None => {
                let node = (self.rng.next_u64() % self.graph.node_count().max(1) as u64) as u32;
                let pos = if self.graph.node_count() > 0 { self.graph.node(node) } else { [0.0, 0.0] };
                self.city_frame.to_lonlat(pos)
            }
        };
        let id = format!("I-{:06}", self.next_incident);
        self.next_incident += 1;
        let area_of = |level: AreaLevel| self.areas.iter().filter(|a| a.level == level).find(|a| ring_has(&a.ring, p));
        let grid_area = area_of(AreaLevel::Grid);
        let grid = grid_area.map(|a| a.id.clone()).unwrap_or_default();
        // The district above the grid (an exclave's grids lie outside its district's outline),
        // else the district whose outline holds the point.
        let mut above = grid_area;
        while let Some(a) = above.filter(|a| a.level != AreaLevel::District) {
            above = a.parent_id.as_deref().and_then(|id| self.areas.iter().find(|x| x.id == id));
        }
        let district = above.or_else(|| area_of(AreaLevel::District)).map(|a| a.name.clone()).unwrap_or_default();
        let local = self.city_frame.to_local(p);
        let address = self
            .streets
            .within(local, 150.0)
            .first()
            .and_then(|(i, _)| self.street_names.get(*i as usize))
            .map(|name| format!("{name} 附近"))
            .unwrap_or_default();
        Incident {
            id,
            version: 1,
            updated_at: self.now_ms,
            stale_after: None,
            category: draft.category,
            severity: draft.severity.clamp(1, 4),
            status: IncidentStatus::Reported,
            channel: draft.channel,
            title: draft.title,
            description: draft.description,
            lon: p.lon,
            lat: p.lat,
            address,
            district,
            grid_id: grid,
            reported_at: self.now_ms,
            assigned_units: Vec::new(),
            stages: vec![StageTime { status: IncidentStatus::Reported, at: self.now_ms }],
        }
    }

    /// Puts an incident from [`prepare_incident`](Self::prepare_incident) into the lifecycle, as
    /// it is: it goes out with the next batch.
    pub fn apply_incident(&mut self, incident: Incident) {
        self.record_history(&incident);
        self.changed.incidents.push(incident.clone());
        self.incidents.insert(incident.id.clone(), (incident, self.now_ms));
    }

    /// Checks a report from the wall ([`IncidentReport::check`], and a position in the city) and
    /// builds the incident it makes, channel `early_warning`, taking only its id (see
    /// [`prepare_incident`](Self::prepare_incident)).
    pub fn prepare_report(&mut self, report: &IncidentReport) -> Result<Incident, ReportError> {
        report.check()?;
        let at = LonLat::new(report.lon, report.lat);
        self.check_in_city(at)?;
        Ok(self.prepare_incident(IncidentDraft {
            category: report.category,
            severity: report.severity,
            at: Some(at),
            title: report.title.clone(),
            description: report.description.clone(),
            channel: ReportChannel::EarlyWarning,
        }))
    }

    /// [`prepare_report`](Self::prepare_report) then [`apply_incident`](Self::apply_incident):
    /// for a feed with nothing to store in between (the app's embedded one).
    pub fn report(&mut self, report: &IncidentReport) -> Result<Incident, ReportError> {
        let incident = self.prepare_report(report)?;
        self.apply_incident(incident.clone());
        Ok(incident)
    }

    /// Notes an incident id given before a restart, so that it is never given again.
    pub fn restore_incident_id(&mut self, id: &str) {
        if let Some(n) = id.strip_prefix("I-").and_then(|n| n.parse::<u64>().ok()) {
            self.next_incident = self.next_incident.max(n.saturating_add(1));
        }
    }

    /// The city's box in lon/lat (its city-level areas), widened by [`CITY_MARGIN_M`]:
    /// `[min_lon, min_lat, max_lon, max_lat]`; `None` for a city with no extent.
    pub fn city_box(&self) -> Option<[f64; 4]> {
        let mut points =
            self.areas.iter().filter(|a| a.level == AreaLevel::City).flat_map(|a| a.ring.iter()).peekable();
        points.peek()?;
        let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for [lon, lat] in points {
            b = [b[0].min(*lon), b[1].min(*lat), b[2].max(*lon), b[3].max(*lat)];
        }
        let dlat = CITY_MARGIN_M / 111_320.0;
        let dlon = dlat / ((b[1] + b[3]) * 0.5).to_radians().cos().max(0.01);
        Some([b[0] - dlon, b[1] - dlat, b[2] + dlon, b[3] + dlat])
    }

    /// Refuses a position outside [`city_box`](Self::city_box), naming `lon` or `lat`; a city with
    /// no extent takes any position.
    fn check_in_city(&self, at: LonLat) -> Result<(), ReportError> {
        let Some([w, s, e, n]) = self.city_box() else { return Ok(()) };
        let margin = CITY_MARGIN_M / 1000.0;
        if !(w..=e).contains(&at.lon) {
            let problem = format!("{} is outside the city ({w:.5} to {e:.5}, {margin} km around it included)", at.lon);
            return Err(ReportError::new("lon", problem));
        }
        if !(s..=n).contains(&at.lat) {
            let problem = format!("{} is outside the city ({s:.5} to {n:.5}, {margin} km around it included)", at.lat);
            return Err(ReportError::new("lat", problem));
        }
        Ok(())
    }

    /// Moves incidents on: accepted after a minute, handled once their units arrive (or by the
    /// grid's staff [`LOCAL_HANDLING_MS`] after acceptance when none were sent), then
    /// feedback, review (which sends one case in [`SENT_BACK_EVERY`] back to handling once) and
    /// archive; archived incidents leave after ten minutes. Each move is noted in `stages`.
    pub(super) fn advance_incidents(&mut self) {
        let now = self.now_ms;
        let on_scene: std::collections::HashSet<String> = self
            .movers
            .iter()
            .filter(|m| m.unit.status == UnitStatus::OnScene)
            .filter_map(|m| m.unit.incident_id.clone())
            .collect();
        let mut gone = Vec::new();
        for (id, (inc, since)) in self.incidents.iter_mut() {
            let waited = now - *since;
            let next = match inc.status {
                IncidentStatus::Reported if waited > 60_000 => Some(IncidentStatus::Accepted),
                // Not dispatched from the wall: the grid's own staff take it on after a while.
                IncidentStatus::Accepted if waited > LOCAL_HANDLING_MS => Some(IncidentStatus::Handling),
                IncidentStatus::Assigned if on_scene.contains(id) => Some(IncidentStatus::Handling),
                IncidentStatus::Handling if waited > 300_000 => Some(IncidentStatus::Feedback),
                IncidentStatus::Feedback if waited > 60_000 => Some(IncidentStatus::Review),
                IncidentStatus::Review if waited > 60_000 && review_sends_back(inc) => Some(IncidentStatus::Handling),
                IncidentStatus::Review if waited > 60_000 => Some(IncidentStatus::Archived),
                IncidentStatus::Archived if waited > 600_000 => {
                    gone.push(id.clone());
                    None
                }
                _ => None,
            };
            if let Some(s) = next {
                inc.status = s;
                inc.stages.push(StageTime { status: s, at: now });
                inc.version += 1;
                inc.updated_at = now;
                *since = now;
                self.changed.incidents.push(inc.clone());
                if s == IncidentStatus::Archived {
                    self.history.close(id, inc.reported_at, now);
                }
                if s == IncidentStatus::Feedback {
                    for m in self.movers.iter_mut().filter(|m| m.unit.incident_id.as_deref() == Some(id)) {
                        m.unit.incident_id = None;
                        if m.unit.kind.flies() {
                            // Back to base, straight.
                            m.route = vec![m.route[0], m.home];
                            m.unit.status = UnitStatus::Returning;
                        } else {
                            m.unit.status = UnitStatus::Patrolling;
                        }
                    }
                }
            }
        }
        for id in gone {
            self.incidents.remove(&id);
            self.removed.push(crate::protocol::Removal { kind: crate::protocol::EntityKind::Incident, id });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ReportSource;
    use crate::sim::SimConfig;

    fn sim(incidents_per_minute: f64) -> Simulation {
        let city = crate::generate::generate_city(900, 5, LonLat::new(114.06, 22.54));
        Simulation::new(&city, SimConfig { incidents_per_minute, units: 4, ..Default::default() })
    }

    fn report(lon: f64, lat: f64) -> IncidentReport {
        IncidentReport {
            category: IncidentCategory::Environment,
            severity: 3,
            lon,
            lat,
            title: "水位超警戒".into(),
            description: "S-00007 水位 2.9 m".into(),
            source: Some(ReportSource { alert_id: "17".into(), rule_id: "water-level-high".into() }),
            reported_by: "值班员 王".into(),
        }
    }

    #[test]
    fn a_prepared_report_takes_only_its_id_until_applied_and_then_goes_out_in_the_next_batch() {
        // Many arrivals a second: the ticker makes incidents between prepare and apply.
        let mut sim = sim(600.0);
        sim.step(1000);
        let _ = sim.take_batch();
        let before = sim.snapshot().entities.incidents;
        let incident = sim.prepare_report(&report(114.06, 22.545)).expect("in the city");
        assert_eq!((incident.status, incident.channel), (IncidentStatus::Reported, ReportChannel::EarlyWarning));
        assert_eq!((incident.title.as_str(), incident.severity), ("水位超警戒", 3));
        assert!(!incident.grid_id.is_empty() && !incident.district.is_empty(), "{incident:?}");
        assert_eq!(sim.snapshot().entities.incidents, before, "preparing made no incident");
        assert!(sim.take_batch().is_none());
        sim.step(1000);
        let arrived = sim.take_batch().expect("a batch").upserts.incidents;
        assert!(!arrived.is_empty(), "incidents arrived between prepare and apply");
        assert!(arrived.iter().all(|i| i.id != incident.id), "the prepared id is not given to another");
        sim.apply_incident(incident.clone());
        let batch = sim.take_batch().expect("the applied incident's batch");
        assert_eq!(batch.upserts.incidents, std::slice::from_ref(&incident));
        let held = sim.snapshot().entities.incidents.into_iter().find(|i| i.id == incident.id);
        assert_eq!(held.as_ref(), Some(&incident));
        // It goes through the lifecycle like any other.
        for _ in 0..61 {
            sim.step(1000);
        }
        let later = sim.snapshot().entities.incidents.into_iter().find(|i| i.id == incident.id).expect("kept");
        assert_eq!(later.status, IncidentStatus::Accepted);
    }

    #[test]
    fn a_report_outside_the_city_or_out_of_its_limits_makes_nothing() {
        let mut sim = sim(0.0);
        let [w, s, e, n] = sim.city_box().expect("the generated city has a box");
        let mid = ((w + e) / 2.0, (s + n) / 2.0);
        let before = sim.snapshot();
        let err = sim.prepare_report(&report(e + 0.001, mid.1)).expect_err("east of the city");
        assert_eq!(err.field, "lon");
        assert!(err.to_string().contains("outside the city") && err.to_string().contains("1 km"), "{err}");
        assert_eq!(sim.prepare_report(&report(mid.0, s - 0.001)).expect_err("south").field, "lat");
        let bad = IncidentReport { severity: 9, ..report(mid.0, mid.1) };
        assert_eq!(sim.prepare_report(&bad).expect_err("severity").field, "severity");
        assert_eq!(sim.snapshot(), before);
        // Within the margin is taken: 0.003° of longitude is some 280 m here, the margin 0.0097°.
        let near = sim.report(&report(e - 0.003, n - 0.003)).expect("within 1 km of the city's edge");
        assert_eq!(near.id, "I-000001");
    }

    #[test]
    fn ids_given_before_a_restart_are_not_given_again() {
        let mut sim = sim(0.0);
        sim.restore_incident_id("I-000041");
        sim.restore_incident_id("I-000007");
        sim.restore_incident_id("not an incident id");
        let made = sim.report_incident(IncidentCategory::Fire, 4, None);
        assert_eq!(made.id, "I-000042");
        assert_ne!(made.channel, ReportChannel::EarlyWarning, "the demo knob keeps its channels");
    }
}
