//! Units on the move and dispatch orders: patrols along the road graph, orders checked then
//! applied (so a backend can store an order in between), order state from the units.

use super::{DRONE_ALTITUDE_M, DispatchError, Mover, Simulation};
use crate::frame::LonLat;
use crate::protocol::{DispatchOrder, DispatchRequest, IncidentStatus, OrderState, UnitStatus};

impl Simulation {
    pub(super) fn move_units(&mut self, dt_s: f64) {
        let now = self.now_ms;
        for i in 0..self.movers.len() {
            let needs_route = self.movers[i].route.len() < 2 && self.movers[i].unit.status == UnitStatus::Patrolling;
            if needs_route && self.graph.node_count() > 1 {
                let from = self.movers[i].route[0];
                let target = self.graph.node((self.rng.next_u64() % self.graph.node_count() as u64) as u32);
                if let Some(r) = self.graph.route(from, target) {
                    let mut route = vec![from];
                    route.extend(r.points);
                    self.movers[i].route = route;
                }
            }
            let m = &mut self.movers[i];
            let moving = m.route.len() >= 2;
            let speed = if moving { m.base_speed_mps } else { 0.0 };
            let mut left = f64::from(speed) * dt_s;
            while left > 0.0 && m.route.len() >= 2 {
                let (a, b) = (m.route[0], m.route[1]);
                let d = crate::frame::distance(a, b);
                if d <= left {
                    left -= d;
                    m.route.remove(0);
                } else {
                    let t = left / d;
                    m.route[0] = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
                    left = 0.0;
                }
            }
            if m.route.len() >= 2 {
                let (a, b) = (m.route[0], m.route[1]);
                m.unit.heading_deg = (b[0] - a[0]).atan2(b[1] - a[1]).to_degrees().rem_euclid(360.0) as f32;
            }
            let arrived = m.route.len() < 2;
            if arrived && m.unit.status == UnitStatus::EnRoute {
                m.unit.status = UnitStatus::OnScene;
            }
            if m.unit.kind.flies() {
                if arrived && m.unit.status == UnitStatus::Returning {
                    m.unit.status = UnitStatus::Available;
                }
                // Cruising height while out, hovering over the scene, landed at base.
                let out = matches!(m.unit.status, UnitStatus::EnRoute | UnitStatus::OnScene | UnitStatus::Returning);
                m.unit.altitude_m = Some(if out { DRONE_ALTITUDE_M } else { 0.0 });
            }
            let p = self.city_frame.to_lonlat(m.route[0]);
            m.unit.lon = p.lon;
            m.unit.lat = p.lat;
            m.unit.speed_mps = if arrived { 0.0 } else { speed };
            m.unit.route = if m.unit.status == UnitStatus::EnRoute {
                m.route.iter().map(|q| self.city_frame.to_lonlat(*q)).map(|q| [q.lon, q.lat]).collect()
            } else {
                Vec::new()
            };
            m.unit.version += 1;
            m.unit.updated_at = now;
            m.unit.stale_after = Some(now + 10_000);
            self.changed.units.push(m.unit.clone());
        }
    }

    /// Sends units to an incident: each routes along the roads, the incident moves to 分拨.
    /// [`prepare_dispatch`](Self::prepare_dispatch) then [`apply_dispatch`](Self::apply_dispatch).
    pub fn dispatch(&mut self, req: &DispatchRequest) -> Result<DispatchOrder, DispatchError> {
        let order = self.prepare_dispatch(req)?;
        self.apply_dispatch(&order);
        Ok(order)
    }

    /// Checks a dispatch and builds the order it would make, changing nothing: a backend writes
    /// the order to disk between this and [`apply_dispatch`](Self::apply_dispatch), so an order
    /// it could not store never moves a unit.
    pub fn prepare_dispatch(&self, req: &DispatchRequest) -> Result<DispatchOrder, DispatchError> {
        if req.unit_ids.is_empty() {
            return Err(DispatchError::NoUnits);
        }
        let Some((incident, _)) = self.incidents.get(&req.incident_id) else {
            return Err(DispatchError::UnknownIncident(req.incident_id.clone()));
        };
        if incident.status == IncidentStatus::Archived {
            return Err(DispatchError::Archived(req.incident_id.clone()));
        }
        for u in &req.unit_ids {
            if !self.movers.iter().any(|m| &m.unit.id == u) {
                return Err(DispatchError::UnknownUnit(u.clone()));
            }
        }
        Ok(DispatchOrder {
            order_id: format!("O-{:06}", self.next_order),
            incident_id: req.incident_id.clone(),
            unit_ids: req.unit_ids.clone(),
            state: OrderState::Accepted,
            created_at: self.now_ms,
            updated_at: self.now_ms,
        })
    }

    /// Carries out an order from [`prepare_dispatch`](Self::prepare_dispatch), with no step in
    /// between: its units route to the incident, the incident moves to 分拨 (a case not yet
    /// accepted is accepted by its dispatch: its 流转记录 notes 受理 then 分拨 at the same
    /// moment, one stage at a time, so the wait for the dispatch counts as 上报→受理), the order
    /// is kept.
    pub fn apply_dispatch(&mut self, order: &DispatchOrder) {
        let now = self.now_ms;
        let target = match self.incidents.get_mut(&order.incident_id) {
            Some((incident, since)) => {
                if incident.status < IncidentStatus::Assigned {
                    if incident.status < IncidentStatus::Accepted {
                        incident.stages.push(crate::protocol::StageTime { status: IncidentStatus::Accepted, at: now });
                    }
                    incident.status = IncidentStatus::Assigned;
                    incident.stages.push(crate::protocol::StageTime { status: IncidentStatus::Assigned, at: now });
                    *since = now;
                }
                incident.assigned_units.extend(order.unit_ids.iter().cloned());
                incident.version += 1;
                incident.updated_at = now;
                self.changed.incidents.push(incident.clone());
                Some(self.city_frame.to_local(LonLat::new(incident.lon, incident.lat)))
            }
            None => None,
        };
        if let Some(target) = target {
            for m in self.movers.iter_mut().filter(|m| order.unit_ids.contains(&m.unit.id)) {
                let from = m.route[0];
                let mut route = vec![from];
                // Drones fly straight; the others follow the roads.
                if !m.unit.kind.flies()
                    && let Some(r) = self.graph.route(from, target)
                {
                    route.extend(r.points);
                }
                route.push(target);
                m.route = route;
                m.unit.status = UnitStatus::EnRoute;
                m.unit.incident_id = Some(order.incident_id.clone());
            }
        }
        self.restore_order(order.clone());
    }

    /// Puts back an order kept from before a restart.
    pub fn restore_order(&mut self, order: DispatchOrder) {
        if let Some(n) = order.order_id.strip_prefix("O-").and_then(|n| n.parse::<u64>().ok()) {
            self.next_order = self.next_order.max(n + 1);
        }
        self.orders.insert(order.order_id.clone(), order);
    }

    /// An order with its state brought up to date from its units.
    pub fn order(&self, id: &str) -> Option<DispatchOrder> {
        let mut o = self.orders.get(id)?.clone();
        let units: Vec<&Mover> = self.movers.iter().filter(|m| o.unit_ids.contains(&m.unit.id)).collect();
        let archived = self.incidents.get(&o.incident_id).is_none_or(|(i, _)| i.status >= IncidentStatus::Feedback);
        o.state = if archived {
            OrderState::Completed
        } else if units.iter().all(|m| m.unit.status == UnitStatus::OnScene) {
            OrderState::Arrived
        } else {
            OrderState::EnRoute
        };
        Some(o)
    }

    /// Every order, by id, with its current state.
    pub fn orders(&self) -> Vec<DispatchOrder> {
        self.orders.keys().filter_map(|id| self.order(id)).collect()
    }

    /// Units ranked by road travel time to a point, fastest first (seconds; unreachable last).
    pub fn rank_units(&self, lonlat: LonLat) -> Vec<(String, f32)> {
        let times = self.graph.times_to(self.city_frame.to_local(lonlat));
        let mut ranked: Vec<(String, f32)> = self
            .movers
            .iter()
            .map(|m| {
                if m.unit.kind.flies() {
                    let d = crate::frame::distance(m.route[0], self.city_frame.to_local(lonlat));
                    return (m.unit.id.clone(), (d / f64::from(m.base_speed_mps)) as f32);
                }
                let t = self.graph.nearest_node(m.route[0]).map(|n| times[n as usize]).unwrap_or(f32::INFINITY);
                // Walkers are slower than the road speeds the graph uses.
                let factor = (12.0 / m.base_speed_mps).max(1.0);
                (m.unit.id.clone(), t * factor)
            })
            .collect();
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
        ranked
    }
}
