//! JSON Web Tokens: Ignite's `jwt` / `jwt-config` and node-red-contrib-jwt's
//! `jwt sign` / `jwt verify`.

pub mod jwt;
