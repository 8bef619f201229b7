//! flowgate's node types, one module per Node-RED `type`, each behind the
//! runtime's [`flowgate_runtime::Node`] trait. [`registry`] maps the type
//! strings found in exported flows to these modules.

pub mod http_in;
pub mod http_response;
pub mod junction;
pub mod jwt;
pub mod util;

use flowgate_runtime::Registry;

/// Every node type flowgate ships, by its Node-RED type string.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(http_in::node_type());
    r.register(http_response::node_type());
    r.register(junction::node_type());
    for t in jwt::node_types() {
        r.register(t);
    }
    r
}
