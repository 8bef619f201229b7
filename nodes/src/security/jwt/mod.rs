//! The JWT nodes: Ignite's `jwt` with its `jwt-config`, and
//! node-red-contrib-jwt's `jwt sign` / `jwt verify`; plus the routes
//! `jwt-config` serves (the JWKS endpoint and the editor's token console).
//!
//! Keys are parsed once, when a flow loads (`keys`), tokens are issued and
//! checked by `claims` with `jsonwebtoken` doing the cryptography, and remote
//! key sets are fetched and cached by `jwks`.

pub mod claims;
pub mod config;
pub mod console;
pub mod contrib;
pub mod ignite;
pub mod jwks;
pub mod keys;
pub mod request;
pub mod signer;
pub mod verifier;

use flowgate_runtime::NodeType;

pub use config::JwtConfig;
pub use console::find_config;

/// The node types of this module, for the registry.
pub fn node_types() -> [NodeType; 4] {
    [
        config::node_type(),
        ignite::node_type(),
        contrib::sign_node_type(),
        contrib::verify_node_type(),
    ]
}
