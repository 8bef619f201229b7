//! flowgate's runtime: everything that turns an exported Node-RED flow into a
//! running service, independent of any particular node type.
//!
//! The pipeline follows Vector's topology model: a flow file is parsed into a
//! [`model::FlowFile`], node types from a [`registry::Registry`] turn each node's
//! configuration into a running [`node::Node`], [`graph`] checks the wiring, and
//! [`engine::Flows`] is the validated, immutable result that messages run through.
//! The [`service::Runtime`] swaps whole `Flows` atomically, so a deploy never
//! half-applies; [`app`] builds the one HTTP router in front of it (admin
//! API, the routes node types declare, the flows' endpoints).

pub mod admin;
pub mod app;
pub mod cluster;
pub mod context;
pub mod credential_fields;
pub mod credentials;
pub mod engine;
pub mod env;
pub mod envsubst;
pub mod error;
pub mod error_body;
pub mod events;
pub mod exchange;
pub mod files;
pub mod flow_env;
pub mod graph;
pub mod http;
pub mod js_json;
pub mod js_value;
pub mod listeners;
pub mod loader;
mod loop_guard;
pub mod message;
pub mod metrics;
pub mod model;
pub mod node;
pub mod registry;
pub mod request;
pub mod routes;
pub mod scopes;
pub mod server;
pub mod service;
pub mod settings;
pub mod subflow;

pub use engine::Flows;
pub use error::{LoadError, NodeError, Problem};
pub use message::Message;
pub use node::{Node, Outcome, Outputs};
pub use registry::{NodeFactory, NodeType, Registry};
