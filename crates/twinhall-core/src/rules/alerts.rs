//! Alerts: what the duty officer sees of the rules. A rule's condition starting to hold for a
//! subject opens an alert keyed `rule id/subject`; while that alert is open (new or
//! acknowledged) the same key starting to hold again updates it (count, last seen) instead of
//! adding another, and the condition ending only marks it inactive. An officer acknowledges it
//! (who, when), then turns it into an incident (the action hub's) or dismisses it with a reason;
//! after that the key is free and its next start is a new alert.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::protocol::{IncidentCategory, Millis};
use crate::rules::config::Rules;

/// A condition starting or ending for one subject of one rule, at one evaluation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edge {
    /// The rule's index in [`Rules::rules`].
    pub rule: usize,
    /// What the rule fired on: a sensor, camera or area id, `unit@fence`, a cluster's name.
    pub subject: String,
    /// Started (true) or ended.
    pub on: bool,
    /// The reading, change, seconds silent, or incident/camera count that fired it (0 when ended).
    pub value: f64,
    /// Where to show it, [lon, lat] (none when ended).
    pub lonlat: Option<[f64; 2]>,
}

/// Who acknowledged an alert, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub by: String,
    pub at: Millis,
}

/// How an alert was closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Resolution {
    /// Turned into an incident handled in the action hub.
    Incident {
        incident_id: String,
        by: String,
        at: Millis,
    },
    Dismissed {
        reason: String,
        by: String,
        at: Millis,
    },
}

/// Where an alert is in its lifecycle: new → acknowledged → incident | dismissed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    New,
    Acknowledged,
    Incident,
    Dismissed,
}

/// One alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Increasing in the book, never reused.
    pub id: u64,
    /// `rule id/subject`: stable across repeats.
    pub key: String,
    pub rule_id: String,
    pub subject: String,
    pub name_zh: String,
    pub name_en: String,
    pub severity: u8,
    /// The plan category the action hub suggests.
    pub suggest: IncidentCategory,
    pub first_seen: Millis,
    pub last_seen: Millis,
    /// How many times the condition started while this alert was open.
    pub count: u32,
    /// Whether the condition holds now.
    pub active: bool,
    /// When the condition last ended, if it has.
    pub cleared_at: Option<Millis>,
    pub value: f64,
    pub lonlat: Option<[f64; 2]>,
    pub acknowledged: Option<Acknowledgement>,
    pub resolution: Option<Resolution>,
}

impl Alert {
    /// When anything last happened to it: seen, cleared, acknowledged or closed.
    pub fn updated_at(&self) -> Millis {
        let closed = match &self.resolution {
            Some(Resolution::Incident { at, .. } | Resolution::Dismissed { at, .. }) => *at,
            None => Millis::MIN,
        };
        let acked = self.acknowledged.as_ref().map_or(Millis::MIN, |a| a.at);
        self.last_seen.max(self.cleared_at.unwrap_or(Millis::MIN)).max(acked).max(closed)
    }

    pub fn stage(&self) -> Stage {
        match (&self.resolution, &self.acknowledged) {
            (Some(Resolution::Incident { .. }), _) => Stage::Incident,
            (Some(Resolution::Dismissed { .. }), _) => Stage::Dismissed,
            (None, Some(_)) => Stage::Acknowledged,
            (None, None) => Stage::New,
        }
    }

    /// New or acknowledged: a repeat of its key updates it.
    pub fn is_open(&self) -> bool {
        self.resolution.is_none()
    }
}

/// What an evaluation did to the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event", content = "id")]
pub enum AlertEvent {
    /// A new alert (a chime, if severe).
    Opened(u64),
    /// An open alert's condition started again.
    Repeated(u64),
    /// An open alert's condition ended.
    Cleared(u64),
}

/// A lifecycle step that is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("no alert {0}")]
    Unknown(u64),
    #[error("alert {id} is {stage:?}; only a new alert can be acknowledged")]
    NotNew { id: u64, stage: Stage },
    #[error("alert {id} is {stage:?}; acknowledge it before turning it into an incident or dismissing it")]
    NotAcknowledged { id: u64, stage: Stage },
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// Every alert, and the open one of each key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertBook {
    alerts: Vec<Alert>,
    open: HashMap<String, usize>,
    next_id: u64,
}

impl AlertBook {
    /// A book holding alerts kept from before (a restart): the open ones take repeats again.
    pub fn from_alerts(mut alerts: Vec<Alert>) -> Self {
        alerts.sort_by_key(|a| a.id);
        let next_id = alerts.last().map_or(1, |a| a.id + 1);
        let open = alerts.iter().enumerate().filter(|(_, a)| a.is_open()).map(|(i, a)| (a.key.clone(), i)).collect();
        Self { alerts, open, next_id }
    }

    /// Applies an evaluation's edges at `now`.
    pub fn apply(&mut self, rules: &Rules, edges: &[Edge], now: Millis) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        for e in edges {
            let Some(rule) = rules.rules.get(e.rule) else { continue };
            let key = format!("{}/{}", rule.id, e.subject);
            match (self.open.get(&key).copied(), e.on) {
                (Some(i), true) => {
                    let a = &mut self.alerts[i];
                    // Still active (kept from before a restart, its condition found again): the
                    // same occurrence, not another.
                    if !a.active {
                        a.count += 1;
                    }
                    a.last_seen = now;
                    a.active = true;
                    a.value = e.value;
                    a.lonlat = e.lonlat;
                    events.push(AlertEvent::Repeated(a.id));
                }
                (Some(i), false) => {
                    let a = &mut self.alerts[i];
                    if a.active {
                        a.active = false;
                        a.cleared_at = Some(now);
                        events.push(AlertEvent::Cleared(a.id));
                    }
                }
                (None, true) => {
                    let id = self.next_id.max(1);
                    self.next_id = id + 1;
                    self.open.insert(key.clone(), self.alerts.len());
                    self.alerts.push(Alert {
                        id,
                        key,
                        rule_id: rule.id.clone(),
                        subject: e.subject.clone(),
                        name_zh: rule.name_zh.clone(),
                        name_en: rule.name_en.clone(),
                        severity: rule.severity,
                        suggest: rule.suggest,
                        first_seen: now,
                        last_seen: now,
                        count: 1,
                        active: true,
                        cleared_at: None,
                        value: e.value,
                        lonlat: e.lonlat,
                        acknowledged: None,
                        resolution: None,
                    });
                    events.push(AlertEvent::Opened(id));
                }
                // The condition of a closed alert ended: nothing is open to update.
                (None, false) => {}
            }
        }
        events
    }

    /// Clears at `now` the open alerts still marked active whose condition is not among
    /// `holding` (the evaluator's keys). A book kept from before a restart needs this once its
    /// evaluator has seen the feed: an evaluator that starts afresh reports only conditions that
    /// hold, so one that ended while the app was down would otherwise stay active for ever.
    pub fn settle(&mut self, holding: &HashSet<String>, now: Millis) -> Vec<AlertEvent> {
        let mut cleared = Vec::new();
        for &i in self.open.values() {
            let a = &mut self.alerts[i];
            if a.active && !holding.contains(&a.key) {
                a.active = false;
                a.cleared_at = Some(now);
                cleared.push(a.id);
            }
        }
        cleared.sort_unstable();
        cleared.into_iter().map(AlertEvent::Cleared).collect()
    }

    fn index(&self, id: u64) -> Result<usize, AlertError> {
        self.alerts.binary_search_by_key(&id, |a| a.id).map_err(|_| AlertError::Unknown(id))
    }

    pub fn get(&self, id: u64) -> Option<&Alert> {
        self.index(id).ok().map(|i| &self.alerts[i])
    }

    /// The open alert of a key.
    pub fn open_for(&self, key: &str) -> Option<&Alert> {
        self.open.get(key).map(|&i| &self.alerts[i])
    }

    /// Every alert, oldest first.
    pub fn all(&self) -> &[Alert] {
        &self.alerts
    }

    /// Open alerts as the panel lists them: most severe first, those whose condition still holds
    /// before those whose condition ended, then oldest first.
    pub fn open_by_severity(&self) -> Vec<&Alert> {
        let mut open: Vec<&Alert> = self.open.values().map(|&i| &self.alerts[i]).collect();
        open.sort_by(|a, b| {
            (b.severity.cmp(&a.severity))
                .then(b.active.cmp(&a.active))
                .then(a.first_seen.cmp(&b.first_seen))
                .then(a.id.cmp(&b.id))
        });
        open
    }

    pub fn acknowledge(&mut self, id: u64, by: &str, at: Millis) -> Result<&Alert, AlertError> {
        let i = self.index(id)?;
        let by = nonempty(by, "who")?;
        let a = &mut self.alerts[i];
        if a.stage() != Stage::New {
            return Err(AlertError::NotNew { id, stage: a.stage() });
        }
        a.acknowledged = Some(Acknowledgement { by, at });
        Ok(&self.alerts[i])
    }

    fn resolve(&mut self, id: u64, resolution: Resolution) -> Result<&Alert, AlertError> {
        let i = self.index(id)?;
        let a = &mut self.alerts[i];
        if a.stage() != Stage::Acknowledged {
            return Err(AlertError::NotAcknowledged { id, stage: a.stage() });
        }
        a.resolution = Some(resolution);
        let key = a.key.clone();
        self.open.remove(&key);
        Ok(&self.alerts[i])
    }

    /// Records that the alert became this incident (after acknowledgement).
    pub fn to_incident(&mut self, id: u64, incident_id: &str, by: &str, at: Millis) -> Result<&Alert, AlertError> {
        let incident_id = nonempty(incident_id, "incident id")?;
        let by = nonempty(by, "who")?;
        self.resolve(id, Resolution::Incident { incident_id, by, at })
    }

    /// Dismisses the alert with a reason (after acknowledgement).
    pub fn dismiss(&mut self, id: u64, reason: &str, by: &str, at: Millis) -> Result<&Alert, AlertError> {
        let reason = nonempty(reason, "reason")?;
        let by = nonempty(by, "who")?;
        self.resolve(id, Resolution::Dismissed { reason, by, at })
    }
}

fn nonempty(s: &str, what: &'static str) -> Result<String, AlertError> {
    let s = s.trim();
    if s.is_empty() { Err(AlertError::Empty(what)) } else { Ok(s.to_string()) }
}
