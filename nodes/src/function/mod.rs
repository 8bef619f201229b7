//! Node-RED's "function" palette: nodes that compute on, route, reshape and
//! pace messages.

pub mod change;
pub mod delay;
pub mod exec;
mod function_check;
pub mod function_node;
pub mod range;
pub mod rbe;
pub mod switch;
#[cfg(test)]
mod switch_tests;
pub mod template;
pub mod trigger;
