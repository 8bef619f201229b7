//! End-to-end tests of the `flowgate` binary over loopback HTTP, one module
//! per area: the HTTP core and limits, the admin API, the JWT nodes and their
//! attack list, the function node, deploys and the files they write, the
//! example flows, secrets, and the engine served in-process. Run one area
//! with `cargo test --test e2e jwt_attacks::`.

#[path = "../common/mod.rs"]
mod common;

mod admin_api;
mod admin_hardening;
mod cluster;
mod cluster_harness;
mod context_stores;
mod core_http;
mod core_loader;
mod deploy_files;
mod engine_inprocess;
mod example_flows;
mod exec_node;
mod express_routes;
mod flow_env;
mod function_check;
mod function_node;
mod http_limits;
mod jsonata;
mod jwt_attacks;
mod jwt_es512;
mod jwt_hardening;
mod jwt_nodes;
mod library_examples;
mod loops;
mod mqtt;
mod node_types;
mod nodered_fixtures;
mod packaging;
mod persist_faults;
mod probes;
mod query_decoding;
mod secrets;
mod sequence_nodes;
mod smoke;
mod storage_nodes;
mod subflows;
mod tcp_udp;
mod websocket;
