//! The action hub's GPU-free logic (行动中枢): what surrounds an incident (cameras that can see
//! it, facilities, supplies, population, sensors), units ranked by road travel time, plans
//! (预案) and the assignment of units to competing incidents, and the dispatch journal that keeps
//! every order exactly once across restarts. The app's `hub` plugin only adapts these to the ECS.

pub mod journal;
pub mod plans;
pub mod rank;
pub mod sight;
pub mod surroundings;
