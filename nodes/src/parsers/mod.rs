//! Node-RED's "parser" palette: converting between text formats and values.

pub mod json;
pub mod xml;
