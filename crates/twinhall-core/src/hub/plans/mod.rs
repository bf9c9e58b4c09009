//! Plans (预案) and the assignment of units to competing incidents.
//!
//! A plan says, for one incident category and a range of severities, which units to send and which
//! supplies to bring (`config/plans.toml`). [`assign`] fills the plans of several open incidents at
//! once so that no unit goes to two of them: more severe incidents are served first, and within one
//! severity the units go where the total road travel time is least. [`recommend`] fills one plan
//! alone, and [`supply_check`] sets the supplies within reach against what the plan asks for.
//!
//! One file per concern: `model` (what a plan is), `file` (reading and checking the plans
//! file), `assign` (filling plans with units), `matching` (the min-cost matching it uses),
//! `explain` (the sentences that say why), `supplies` (what the depots hold against a plan).

mod assign;
mod explain;
mod file;
mod matching;
mod model;
mod supplies;

pub use assign::{Assignment, Candidate, Demand, assign, recommend};
pub use file::PlansError;
pub use model::{DEFAULT_PLANS, Plan, Plans, SEVERITIES, SupplyNeed, UnitNeed};
pub use supplies::{Shortfall, supply_check};

#[cfg(test)]
mod tests;
