//! The heartbeat hub's logic (心跳中枢): the governance index drilled down from the city to its
//! grids (`drill`).

pub mod drill;

pub use drill::{Crumb, RankedArea, Scope, breadcrumbs, children, rank, score_of, worst_grids};
