//! The supplies a plan asks for against what the depots within reach hold.

use serde::{Deserialize, Serialize};

use super::SupplyNeed;

/// One supply a plan asks for against what is within reach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    pub item: String,
    pub need: f64,
    pub have: f64,
    pub unit: String,
}

impl Shortfall {
    /// Whether there is less than the plan asks for.
    pub fn is_short(&self) -> bool {
        self.have < self.need
    }
}

/// Supplies within reach against the plan: `have` = quantity of the same item and unit; every need
/// listed (have may be >= need). Lines with a quantity that is not a positive number are left out.
pub fn supply_check(needs: &[SupplyNeed], have: &[(String, f64, String)]) -> Vec<Shortfall> {
    needs
        .iter()
        .map(|n| {
            let (item, unit) = (n.item.trim(), n.unit.trim());
            let have = have
                .iter()
                .filter(|(i, q, u)| i.trim() == item && u.trim() == unit && q.is_finite() && *q > 0.0)
                .map(|(_, q, _)| q)
                .sum();
            Shortfall { item: n.item.clone(), need: n.quantity, have, unit: n.unit.clone() }
        })
        .collect()
}
