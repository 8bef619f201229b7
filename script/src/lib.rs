//! flowgate's script machinery: what runs a Node-RED `function` node's
//! bodies.
//!
//! Bodies are Rhai when the node says `"lang": "rhai"`; otherwise they are
//! JavaScript (as Node-RED and Ignite export them), translated to Rhai at
//! load ([`translate`]) and run against a JavaScript library implemented on
//! Rhai ([`jslib`]). Every body is compiled once ([`compile`]) into an AST
//! run by the one shared engine under a time, operation and memory budget
//! ([`sandbox`], [`memory`]); a JavaScript body that only builds data skips
//! the engine ([`fastpath`]). A [`function::Function`] runs one node's
//! bodies with Node-RED's function API ([`api`], [`timers`]), converting
//! messages to script values and back ([`convert`], [`lazy`]).
//!
//! The node type itself (settings, registry entry) lives in the nodes
//! crate; this crate depends only on the runtime's message, context and
//! event types. [`jsvalue`] and [`jsregex`] hold JavaScript's value and
//! regular-expression rules on JSON values, for the other nodes that follow
//! them (switch, change, template).

pub mod api;
pub mod compile;
pub mod convert;
pub mod direct;
pub mod fastpath;
pub mod function;
pub mod jslib;
pub mod jsregex;
pub mod jsvalue;
pub mod lazy;
pub mod libs;
pub mod memory;
pub mod msg_use;
pub mod sandbox;
pub mod timers;
pub mod translate;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use compile::{Body, BodyError, Script, SourceSpan};
pub use convert::Mode;
pub use function::{Function, FunctionSpec, StandaloneConfig};
