//! Incidents: arrivals in the categories a Chinese city sees, reports (a knob for demos), and
//! the lifecycle from report to archive.

use super::{Simulation, ring_has};
use crate::frame::LonLat;
use crate::protocol::{AreaLevel, Incident, IncidentCategory, IncidentStatus, ReportChannel, UnitStatus};

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

impl Simulation {
    pub(super) fn new_incident(&mut self) {
        let (category, _) = CATEGORIES[(self.rng.next_u64() % CATEGORIES.len() as u64) as usize];
        let severity = 1 + (self.rng.next_u64() % 4) as u8;
        self.report_incident(category, severity, None);
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
        let p = match at {
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
        let grid = area_of(AreaLevel::Grid).map(|a| a.id.clone()).unwrap_or_default();
        let district = area_of(AreaLevel::District).map(|a| a.name.clone()).unwrap_or_default();
        let local = self.city_frame.to_local(p);
        let address = self
            .streets
            .within(local, 150.0)
            .first()
            .and_then(|(i, _)| self.street_names.get(*i as usize))
            .map(|name| format!("{name} 附近"))
            .unwrap_or_default();
        let incident = Incident {
            id: id.clone(),
            version: 1,
            updated_at: self.now_ms,
            stale_after: None,
            category,
            severity: severity.clamp(1, 4),
            status: IncidentStatus::Reported,
            channel,
            title: title.into(),
            description: String::new(),
            lon: p.lon,
            lat: p.lat,
            address,
            district,
            grid_id: grid,
            reported_at: self.now_ms,
            assigned_units: Vec::new(),
        };
        self.changed.incidents.push(incident.clone());
        self.incidents.insert(id, (incident.clone(), self.now_ms));
        incident
    }

    /// Moves incidents on: accepted after a minute, handled once their units arrive, then
    /// feedback, review and archive; archived incidents leave after ten minutes.
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
                IncidentStatus::Assigned if on_scene.contains(id) => Some(IncidentStatus::Handling),
                IncidentStatus::Handling if waited > 300_000 => Some(IncidentStatus::Feedback),
                IncidentStatus::Feedback if waited > 60_000 => Some(IncidentStatus::Review),
                IncidentStatus::Review if waited > 60_000 => Some(IncidentStatus::Archived),
                IncidentStatus::Archived if waited > 600_000 => {
                    gone.push(id.clone());
                    None
                }
                _ => None,
            };
            if let Some(s) = next {
                inc.status = s;
                inc.version += 1;
                inc.updated_at = now;
                *since = now;
                self.changed.incidents.push(inc.clone());
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
