//! flowgate's node types, one module per Node-RED `type`, grouped as
//! Node-RED's palette groups them, each behind the runtime's
//! [`flowgate_runtime::Node`] trait; [`support`] holds what they share.
//! [`registry`] maps the type strings found in exported flows to these
//! modules.

pub mod common;
pub mod function;
pub mod network;
pub mod parsers;
pub mod security;
pub mod sequence;
pub mod storage;
pub mod support;

#[cfg(test)]
pub(crate) mod testkit;

use flowgate_runtime::Registry;

/// Every node type flowgate ships, by its Node-RED type string.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(function::function_node::node_type());
    r.register(network::http_in::node_type());
    r.register(network::http_response::node_type());
    r.register(common::junction::node_type());
    r.register(common::inject::node_type());
    r.register(function::change::node_type());
    r.register(function::switch::node_type());
    r.register(function::range::node_type());
    r.register(function::rbe::node_type());
    r.register(function::trigger::node_type());
    r.register(function::exec::node_type());
    r.register(common::debug::node_type());
    r.register(parsers::json::node_type());
    r.register(parsers::csv::node_type());
    r.register(parsers::yaml::node_type());
    r.register(parsers::xml::node_type());
    r.register(parsers::html::node_type());
    r.register(function::template::node_type());
    r.register(network::http_request::node_type());
    r.register(function::delay::node_type());
    r.register(common::link::link_in_type());
    r.register(common::link::link_out_type());
    r.register(common::link::link_call_type());
    r.register(common::catch::node_type());
    r.register(common::status::node_type());
    r.register(common::complete::node_type());
    r.register(common::comment::node_type());
    r.register(sequence::split::node_type());
    r.register(sequence::join::node_type());
    r.register(sequence::sort::node_type());
    r.register(sequence::batch::node_type());
    r.register(storage::file::node_type());
    r.register(storage::file_in::node_type());
    r.register(storage::watch::node_type());
    network::sockets::register(&mut r);
    network::mqtt::register(&mut r);
    for t in security::jwt::node_types() {
        r.register(t);
    }
    r
}
