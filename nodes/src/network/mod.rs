//! Node-RED's "network" palette: HTTP endpoints and requests.

pub mod http_in;
pub mod http_request;
pub mod http_response;
pub mod mqtt;
pub mod sockets;
