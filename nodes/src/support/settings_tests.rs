//! Every node type's editor definition against its settings struct: the
//! defaults the editor writes read without a problem, every field the node
//! reads is one the editor shows or writes, every option the editor offers
//! is one the node accepts, and `GET /nodes` serves the generated definition.

use flowgate_runtime::model::parse_flow_value;
use serde_json::{json, Map, Value};

use super::*;

/// A node of type `type` with these properties.
fn node(node_type: &str, props: Map<String, Value>) -> NodeConfig {
    let mut raw = props;
    raw.insert("id".into(), json!("n1"));
    raw.insert("type".into(), json!(node_type));
    raw.insert("wires".into(), json!([]));
    parse_flow_value(Value::Array(vec![Value::Object(raw)]))
        .expect("node parses")
        .nodes
        .remove(0)
}

/// The checks for one settings type; `Err` says what disagrees.
fn check<S: NodeSettings>(node_type: &str) -> Result<(), String> {
    let registry = crate::registry();
    let registered = registry.get(node_type).ok_or("not registered")?;
    if registered.editor != editor_json::<S>() {
        return Err("the registry's editor definition is not the generated one".into());
    }
    let defaults = defaults::<S>();
    let read = S::read(&node(node_type, defaults.clone()))
        .map_err(|p| format!("the editor's defaults do not read: {p:?}"))?;
    let empty = S::read(&node(node_type, Map::new()))
        .map_err(|p| format!("a node without settings does not read: {p:?}"))?;
    for s in [&read, &empty] {
        let Value::Object(fields) = serde_json::to_value(s).expect("settings serialize") else {
            return Err("settings do not serialize to an object".into());
        };
        for name in fields.keys() {
            if !S::FIELDS.iter().any(|f| f.name == name) {
                return Err(format!("the node reads `{name}`, which the editor lacks"));
            }
        }
    }
    for f in S::FIELDS {
        let Kind::Select(choices) = f.kind else {
            continue;
        };
        for c in choices {
            let mut props = defaults.clone();
            props.insert(f.name.into(), json!(c.value));
            S::read(&node(node_type, props)).map_err(|p| {
                format!("the editor offers {}={:?}, refused: {p:?}", f.name, c.value)
            })?;
        }
    }
    Ok(())
}

/// Every node type, with its check.
fn all() -> Vec<(&'static str, Result<(), String>)> {
    vec![
        (
            "http in",
            check::<crate::network::http_in::HttpInSettings>("http in"),
        ),
        (
            "range",
            check::<crate::function::range::RangeSettings>("range"),
        ),
        ("rbe", check::<crate::function::rbe::RbeSettings>("rbe")),
        (
            "trigger",
            check::<crate::function::trigger::TriggerSettings>("trigger"),
        ),
        ("exec", check::<crate::function::exec::ExecSettings>("exec")),
        ("csv", check::<crate::parsers::csv::CsvSettings>("csv")),
        ("yaml", check::<crate::parsers::yaml::YamlSettings>("yaml")),
        ("xml", check::<crate::parsers::xml::XmlSettings>("xml")),
        ("html", check::<crate::parsers::html::HtmlSettings>("html")),
        (
            "split",
            check::<crate::sequence::split::SplitSettings>("split"),
        ),
        ("join", check::<crate::sequence::join::JoinSettings>("join")),
        ("sort", check::<crate::sequence::sort::SortSettings>("sort")),
        (
            "batch",
            check::<crate::sequence::batch::BatchSettings>("batch"),
        ),
        ("file", check::<crate::storage::file::FileSettings>("file")),
        (
            "file in",
            check::<crate::storage::file_in::FileInSettings>("file in"),
        ),
        (
            "watch",
            check::<crate::storage::watch::WatchSettings>("watch"),
        ),
        (
            "function",
            check::<crate::function::function_node::FunctionSettings>("function"),
        ),
        (
            "http response",
            check::<crate::network::http_response::HttpResponseSettings>("http response"),
        ),
        (
            "comment",
            check::<crate::common::comment::CommentSettings>("comment"),
        ),
        (
            "junction",
            check::<crate::common::junction::JunctionSettings>("junction"),
        ),
        (
            "status",
            check::<crate::common::status::StatusSettings>("status"),
        ),
        (
            "catch",
            check::<crate::common::catch::CatchSettings>("catch"),
        ),
        (
            "complete",
            check::<crate::common::complete::CompleteSettings>("complete"),
        ),
        (
            "delay",
            check::<crate::function::delay::DelaySettings>("delay"),
        ),
        (
            "debug",
            check::<crate::common::debug::DebugSettings>("debug"),
        ),
        (
            "http request",
            check::<crate::network::http_request::HttpRequestSettings>("http request"),
        ),
        (
            "mqtt-broker",
            check::<crate::network::mqtt::broker::BrokerSettings>("mqtt-broker"),
        ),
        (
            "mqtt in",
            check::<crate::network::mqtt::mqtt_in::MqttInSettings>("mqtt in"),
        ),
        (
            "mqtt out",
            check::<crate::network::mqtt::mqtt_out::MqttOutSettings>("mqtt out"),
        ),
        (
            "tls-config",
            check::<crate::network::mqtt::tls::TlsSettings>("tls-config"),
        ),
        (
            "jwt-config",
            check::<crate::security::jwt::config::JwtConfigSettings>("jwt-config"),
        ),
        (
            "jwt",
            check::<crate::security::jwt::ignite::JwtSettings>("jwt"),
        ),
        (
            "jwt sign",
            check::<crate::security::jwt::contrib::JwtSignSettings>("jwt sign"),
        ),
        (
            "jwt verify",
            check::<crate::security::jwt::contrib::JwtVerifySettings>("jwt verify"),
        ),
        (
            "inject",
            check::<crate::common::inject::InjectSettings>("inject"),
        ),
        (
            "change",
            check::<crate::function::change::ChangeSettings>("change"),
        ),
        (
            "switch",
            check::<crate::function::switch::SwitchSettings>("switch"),
        ),
        ("json", check::<crate::parsers::json::JsonSettings>("json")),
        (
            "template",
            check::<crate::function::template::TemplateSettings>("template"),
        ),
        (
            "link in",
            check::<crate::common::link::LinkInSettings>("link in"),
        ),
        (
            "link out",
            check::<crate::common::link::LinkOutSettings>("link out"),
        ),
        (
            "link call",
            check::<crate::common::link::LinkCallSettings>("link call"),
        ),
        (
            "websocket-listener",
            check::<crate::network::sockets::websocket::listener::ListenerSettings>(
                "websocket-listener",
            ),
        ),
        (
            "websocket-client",
            check::<crate::network::sockets::websocket::client::ClientSettings>("websocket-client"),
        ),
        (
            "websocket in",
            check::<crate::network::sockets::websocket::ws_in::WsInSettings>("websocket in"),
        ),
        (
            "websocket out",
            check::<crate::network::sockets::websocket::ws_out::WsOutSettings>("websocket out"),
        ),
        (
            "tcp in",
            check::<crate::network::sockets::tcp::tcp_in::TcpInSettings>("tcp in"),
        ),
        (
            "tcp out",
            check::<crate::network::sockets::tcp::tcp_out::TcpOutSettings>("tcp out"),
        ),
        (
            "tcp request",
            check::<crate::network::sockets::tcp::tcp_request::TcpRequestSettings>("tcp request"),
        ),
        (
            "udp in",
            check::<crate::network::sockets::udp::udp_in::UdpInSettings>("udp in"),
        ),
        (
            "udp out",
            check::<crate::network::sockets::udp::udp_out::UdpOutSettings>("udp out"),
        ),
    ]
}

#[test]
fn every_node_types_editor_definition_agrees_with_its_settings() {
    let failures: Vec<String> = all()
        .into_iter()
        .filter_map(|(t, r)| r.err().map(|e| format!("{t}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_node_type_has_typed_settings() {
    let checked: Vec<&str> = all().into_iter().map(|(t, _)| t).collect();
    let missing: Vec<&str> = crate::registry()
        .types()
        .into_iter()
        .map(|t| t.name)
        .filter(|t| !checked.contains(t))
        .collect();
    assert!(missing.is_empty(), "no settings check for {missing:?}");
}

#[test]
fn http_in_offers_the_methods_node_red_serves() {
    let editor: Value =
        serde_json::from_str(editor_json::<crate::network::http_in::HttpInSettings>()).unwrap();
    let method = editor["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "method")
        .unwrap();
    assert_eq!(
        method["options"],
        json!(["get", "post", "put", "delete", "patch"])
    );
}

#[test]
fn every_bad_field_is_a_problem_naming_node_and_field() {
    let n = node(
        "http in",
        json!({"url": ["/a"], "method": "fetch", "upload": {}})
            .as_object()
            .unwrap()
            .clone(),
    );
    let problems = crate::network::http_in::HttpInSettings::read(&n).unwrap_err();
    let named: Vec<(&str, Option<&str>)> = problems
        .iter()
        .map(|p| (p.node.as_str(), p.field.as_deref()))
        .collect();
    assert_eq!(
        named,
        [
            ("n1", Some("method")),
            ("n1", Some("url")),
            ("n1", Some("upload"))
        ]
    );
    assert_eq!(
        problems[0].message,
        "invalid method \"fetch\" (expected one of \"get\", \"post\", \"put\", \"delete\", \"patch\", \"options\", \"all\")"
    );
}

#[test]
fn node_red_spellings_read() {
    let n = node(
        "http in",
        json!({"url": 17, "method": "POST"})
            .as_object()
            .unwrap()
            .clone(),
    );
    let s = crate::network::http_in::HttpInSettings::read(&n).unwrap();
    assert_eq!(s.url, "17");
    assert_eq!(s.method, crate::network::http_in::Method::Post);
    let n = node(
        "delay",
        json!({"timeout": "2.5", "drop": "true", "allowrate": 1, "outputs": "2"})
            .as_object()
            .unwrap()
            .clone(),
    );
    let s = crate::function::delay::DelaySettings::read(&n).unwrap();
    assert_eq!((s.timeout, s.outputs), (Some(2.5), Some(2.0)));
    assert!(s.drop && s.allowrate);
    let n = node(
        "http response",
        json!({"statusCode": "201", "headers": null})
            .as_object()
            .unwrap()
            .clone(),
    );
    let s = crate::network::http_response::HttpResponseSettings::read(&n).unwrap();
    assert_eq!(s.status_code.map(|c| c.as_u16()), Some(201));
    assert!(s.headers.is_empty());
}

#[test]
fn rbe_is_filter_in_the_palette_as_in_node_red() {
    let editor: Value =
        serde_json::from_str(editor_json::<crate::function::rbe::RbeSettings>()).unwrap();
    assert_eq!(editor["paletteLabel"], json!("filter"));
    let editor: Value =
        serde_json::from_str(editor_json::<crate::function::range::RangeSettings>()).unwrap();
    assert!(editor.get("paletteLabel").is_none(), "{editor}");
}

/// The editor labels each field with its definition's label; without one it
/// falls back to the property name ("Generatejwt"), which no Node-RED form
/// shows.
#[test]
fn every_editor_field_of_every_node_type_has_a_label() {
    let mut unlabelled = Vec::new();
    for t in crate::registry().types() {
        let editor: Value = serde_json::from_str(t.editor).expect("editor definition is JSON");
        for f in editor["fields"].as_array().into_iter().flatten() {
            let label = f["label"].as_str().map(str::trim).unwrap_or("");
            if label.is_empty() {
                unlabelled.push(format!("{}.{}", t.name, f["name"].as_str().unwrap_or("?")));
            }
        }
    }
    assert!(
        unlabelled.is_empty(),
        "fields without a label: {unlabelled:?}"
    );
}
