//! The WebSocket, TCP and UDP node types (each palette family in its own
//! directory beside this file), registered together.

#[path = "tcp/mod.rs"]
pub mod tcp;
#[path = "udp/mod.rs"]
pub mod udp;
#[path = "websocket/mod.rs"]
pub mod websocket;

/// Add every WebSocket, TCP and UDP node type to the registry.
pub fn register(r: &mut flowgate_runtime::Registry) {
    let types = websocket::node_types()
        .into_iter()
        .chain(tcp::node_types())
        .chain(udp::node_types());
    for t in types {
        r.register(t);
    }
}
