//! The feed: protocol v1 types, the store every consumer keeps, and the stills a backend draws
//! (camera street views, drones' aerial views).

pub mod aerial;
pub mod protocol;
pub mod snapshot_jpeg;
pub mod store;
