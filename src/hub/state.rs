//! The hub's state: the plans in force and what the hub shows and the leader chose.

use std::sync::Arc;

use bevy::prelude::*;
use twinhall_core::config::HubConfig;
use twinhall_core::hub::plans::Plans;
use twinhall_core::protocol::{IncidentCategory, IncidentStatus};

use crate::context::Settings;

/// The plans (预案) in force.
#[derive(Resource, Clone, Debug)]
pub struct HubPlans(pub Arc<Plans>);

/// What the hub shows and the leader chose.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct HubState {
    /// The incident in focus.
    pub focused: Option<String>,
    /// Radius of the surroundings, metres.
    pub radius_m: f64,
    /// Incident list filters.
    pub category: Option<IncidentCategory>,
    pub status: Option<IncidentStatus>,
    pub district: Option<String>,
    /// The units the leader put in the order instead of the recommendation, per incident.
    pub chosen: Option<(String, Vec<String>)>,
    /// The blocked camera under the pointer in the panel: its blocking building is highlighted.
    pub hovered_blocked: Option<String>,
}

impl HubState {
    pub(super) fn new(config: &HubConfig) -> Self {
        Self {
            focused: None,
            radius_m: config.radius_m,
            category: None,
            status: None,
            district: None,
            chosen: None,
            hovered_blocked: None,
        }
    }
}

/// Loads the plans the config names (or the built-in ones); the error names file, line and field.
pub fn load_plans(config: &HubConfig) -> Result<Plans, String> {
    if config.plans.is_empty() {
        Plans::parse(twinhall_core::hub::plans::DEFAULT_PLANS, std::path::Path::new("config/plans.toml"))
            .map_err(|e| e.to_string())
    } else {
        Plans::load(std::path::Path::new(&config.plans)).map_err(|e| e.to_string())
    }
}

pub(super) fn init_state(mut commands: Commands, settings: Res<Settings>, plans: Option<Res<HubPlans>>) {
    commands.insert_resource(HubState::new(&settings.config.hub));
    if plans.is_none() {
        // The binary loads (and checks) the plans before any window opens; tools and tests that
        // do not get the built-in ones.
        match load_plans(&settings.config.hub) {
            Ok(p) => commands.insert_resource(HubPlans(Arc::new(p))),
            Err(e) => {
                error!("hub: plans not loaded: {e}");
                commands.insert_resource(HubPlans(Arc::new(Plans { plans: Vec::new() })));
            }
        }
    }
}
