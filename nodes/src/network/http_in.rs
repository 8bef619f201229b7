//! `http in`: an HTTP endpoint that starts a flow. The runtime's server does
//! the routing and decoding (so it happens once, before any node runs); this
//! node type validates the endpoint and registers it.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::BodyMode;
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};

use crate::support::settings::{self, de, Choice, Field, NodeSettings};

crate::choices! {
    /// The method an `http in` node serves. `options` and `all` are read
    /// (older editors wrote them) but, as in Node-RED 5, serve nothing.
    pub enum Method ("method") {
        Get = "get",
        Post = "post",
        Put = "put",
        Delete = "delete",
        Patch = "patch",
        Options = "options",
        All = "all",
    }
}

/// An `http in` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpInSettings {
    #[serde(deserialize_with = "de::text")]
    pub url: String,
    pub method: Method,
    /// Read `multipart/form-data` bodies into fields and `msg.req.files`
    /// (POST only, as in Node-RED).
    #[serde(deserialize_with = "de::flag")]
    pub upload: bool,
    /// Hand the body on as a Buffer, unparsed.
    #[serde(deserialize_with = "de::flag")]
    pub skip_body_parsing: bool,
}

/// The methods the editor offers: those Node-RED 5's `http in` serves.
const SERVED: &[Choice] = &[
    Choice::plain("get"),
    Choice::plain("post"),
    Choice::plain("put"),
    Choice::plain("delete"),
    Choice::plain("patch"),
];

impl NodeSettings for HttpInSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("method", SERVED, "get").label("Method"),
        Field::text("url", "").required().label("URL"),
        Field::name(),
        Field::checkbox("upload", false).label("Accept file uploads"),
        Field::checkbox("skipBodyParsing", false).label("Do not parse request body"),
        Field::text("swaggerDoc", "").hidden(),
    ];
    const LABEL: Option<&'static str> = Some("[{method}] {url}");
}

pub fn node_type() -> NodeType {
    NodeType::runnable("http in", build)
        .category("network")
        .ports(0, 1)
        .color("#e7e7ae")
        .editor(settings::editor_json::<HttpInSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: HttpInSettings = settings::load(config, cx)?;
    let url = s.url.trim();
    if url.is_empty() {
        return Err(config.problem(Some("url"), "missing url"));
    }
    // Node-RED adds the leading slash users often leave out.
    let url = if url.starts_with('/') {
        url.to_owned()
    } else {
        format!("/{url}")
    };
    if let Err(e) = flowgate_runtime::routes::validate(&url) {
        return Err(config.problem(Some("url"), e));
    }
    if matches!(s.method, Method::Options | Method::All) {
        // Node-RED 5 registers no route for these: the node answers nothing.
        tracing::warn!(
            node = %config.id,
            "http in: method \"{}\" serves no requests (as in Node-RED 5): use get, post, put, delete or patch",
            s.method.value()
        );
    } else {
        cx.register_route(s.method.value(), &url, body_mode(&s));
    }
    Ok(Built::new(HttpIn, 1))
}

/// How the endpoint reads bodies. Node-RED captures a raw body before any
/// parser runs, so `skipBodyParsing` wins over `upload`; its multipart
/// parser is on the POST route only.
fn body_mode(s: &HttpInSettings) -> BodyMode {
    if s.skip_body_parsing {
        BodyMode::Raw
    } else if s.upload && s.method == Method::Post {
        BodyMode::Upload
    } else {
        BodyMode::Parsed
    }
}

/// Has no input: messages start from the server.
struct HttpIn;

impl Node for HttpIn {
    fn on_input<'a>(&'a self, _msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Ok(()))
    }
}
