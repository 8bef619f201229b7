//! flowgate's node types, one module per Node-RED `type`, each behind the
//! runtime's [`flowgate_runtime::Node`] trait. [`registry`] maps the type
//! strings found in exported flows to these modules.

pub mod catch;
pub mod change;
pub mod comment;
pub mod debug;
pub mod delay;
pub mod function;
pub mod http_in;
pub mod http_request;
pub mod http_response;
pub mod inject;
pub mod json;
pub mod junction;
pub mod jwt;
pub mod link;
pub mod msgpath;
pub mod mustache;
pub mod settings;
pub mod status;
pub mod switch;
pub mod template;
pub mod typed_value;
pub mod util;

/// JavaScript's value and regular-expression rules on JSON values, shared
/// with the script crate (the switch, change and template nodes follow them).
pub use flowgate_script::{jsregex, jsvalue as js};

#[cfg(test)]
mod catch_tests;
#[cfg(test)]
pub(crate) mod testkit;

use flowgate_runtime::Registry;

/// Every node type flowgate ships, by its Node-RED type string.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(function::node_type());
    r.register(http_in::node_type());
    r.register(http_response::node_type());
    r.register(junction::node_type());
    r.register(inject::node_type());
    r.register(change::node_type());
    r.register(switch::node_type());
    r.register(debug::node_type());
    r.register(json::node_type());
    r.register(template::node_type());
    r.register(http_request::node_type());
    r.register(delay::node_type());
    r.register(link::link_in_type());
    r.register(link::link_out_type());
    r.register(link::link_call_type());
    r.register(catch::node_type());
    r.register(status::node_type());
    r.register(comment::node_type());
    for t in jwt::node_types() {
        r.register(t);
    }
    r
}
