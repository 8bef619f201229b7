//! Node-RED's "parser" palette: converting between text formats and values.

pub mod csv;
pub mod json;
pub mod yaml;
