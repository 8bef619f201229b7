//! Node-RED's "parser" palette: converting between text formats and values.

pub mod csv;
pub mod html;
pub mod json;
pub mod xml;
pub mod yaml;
