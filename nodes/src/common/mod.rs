//! Node-RED's "common" palette: starting flows, watching them and wiring
//! them together.

pub mod catch;
#[cfg(test)]
mod catch_tests;
pub mod comment;
pub mod complete;
pub mod debug;
pub mod inject;
pub mod junction;
pub mod link;
pub mod status;
