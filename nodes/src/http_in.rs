//! `http in`: an HTTP endpoint that starts a flow. The runtime's server does
//! the routing and decoding (so it happens once, before any node runs); this
//! node type validates the endpoint and registers it.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};

/// Methods an `http in` node may serve (Node-RED's list, plus `all`).
const METHODS: &[&str] = &["get", "post", "put", "delete", "patch", "options", "all"];

pub fn node_type() -> NodeType {
    NodeType::runnable("http in", build)
        .category("network")
        .ports(0, 1)
        .color("#e7e7ae")
        .editor(
            r#"{"defaults":{"name":"","url":"","method":"get","upload":false,"swaggerDoc":""},
                "fields":[{"name":"method","type":"select","options":["get","post","put","delete","patch","all"]},
                          {"name":"url","type":"text","required":true},
                          {"name":"name","type":"text"}],
                "label":"[{method}] {url}"}"#,
        )
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let url = match config.str("url") {
        Some(u) if !u.trim().is_empty() => u.trim(),
        _ => return Err(config.problem(Some("url"), "missing url")),
    };
    // Node-RED adds the leading slash users often leave out.
    let url = if url.starts_with('/') {
        url.to_owned()
    } else {
        format!("/{url}")
    };
    let method = config.str("method").unwrap_or("get").to_ascii_lowercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(config.problem(
            Some("method"),
            format!(
                "invalid method \"{method}\" (expected one of {})",
                METHODS.join(", ")
            ),
        ));
    }
    if let Err(e) = flowgate_runtime::routes::normalize(&url) {
        return Err(config.problem(Some("url"), e));
    }
    cx.register_route(&method, &url);
    Ok(Built::new(HttpIn, 1))
}

/// Has no input: messages start from the server.
struct HttpIn;

impl Node for HttpIn {
    fn on_input<'a>(&'a self, _msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Ok(()))
    }
}
