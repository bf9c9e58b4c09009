//! Where things are: the local metric frame, input coordinate systems (PROJ, GCJ-02), ring
//! geometry and the base map's tile grids.

pub mod crs;
pub mod frame;
pub mod gcj02;
pub mod ring;
pub mod tiles;
