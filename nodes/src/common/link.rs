//! `link in`, `link out` and `link call`: virtual wires between flows.
//! `link out` (mode `link`) sends to the `link in` nodes either side names in
//! its `links` list; `link call` sends to a `link in` and waits for a
//! `link out` in `return` mode to hand the message back, remembering the
//! caller on a stack in `msg._linkSource` as Node-RED does.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use crate::support::js;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};

pub fn link_in_type() -> NodeType {
    NodeType::runnable("link in", build_in)
        .category("common")
        .ports(0, 1)
        .color("#ddd")
        .editor(settings::editor_json::<LinkInSettings>())
}

pub fn link_out_type() -> NodeType {
    NodeType::runnable("link out", build_out)
        .category("common")
        .ports(1, 0)
        .color("#ddd")
        .editor(settings::editor_json::<LinkOutSettings>())
}

pub fn link_call_type() -> NodeType {
    NodeType::runnable("link call", build_call)
        .category("common")
        .color("#ddd")
        .editor(settings::editor_json::<LinkCallSettings>())
}

/// The `links` field: the ids of the nodes at the other end.
const LINKS: Field = Field::new("links", Kind::NodeList, Initial::Json("[]"));

/// A `link in` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct LinkInSettings {
    /// The `link out` nodes that send here.
    #[serde(deserialize_with = "ids")]
    pub links: Vec<String>,
}

impl NodeSettings for LinkInSettings {
    const FIELDS: &'static [Field] = &[Field::name(), LINKS.label("Connected link nodes")];
}

crate::choices! {
    /// What a `link out` does with a message.
    pub enum Mode ("mode") {
        /// Send it to the `link in` nodes it names.
        Link = "link",
        /// Hand it back to the `link call` it came from.
        Return = "return",
    }
}

/// A `link out` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct LinkOutSettings {
    pub mode: Mode,
    #[serde(deserialize_with = "ids")]
    pub links: Vec<String>,
}

impl NodeSettings for LinkOutSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("mode", Mode::CHOICES, "link").label("Mode"),
        LINKS.label("Connected link nodes"),
        Field::name(),
    ];
}

crate::choices! {
    /// How a `link call` finds its target.
    pub enum LinkType ("linkType") {
        /// The node in `links`.
        Static = "static",
        /// `msg.target`, by id or name.
        Dynamic = "dynamic",
    } else Static
}

/// A `link call` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct LinkCallSettings {
    #[serde(deserialize_with = "ids")]
    pub links: Vec<String>,
    #[serde(rename = "linkType")]
    pub link_type: LinkType,
    /// Seconds to wait for the return; none or negative is 30.
    #[serde(deserialize_with = "de::number")]
    pub timeout: Option<f64>,
}

impl NodeSettings for LinkCallSettings {
    const FIELDS: &'static [Field] = &[
        LINKS.label("Target"),
        Field::select("linkType", LinkType::CHOICES, "static").label("Link Type"),
        Field::new("timeout", Kind::Number, Initial::Str("30")).label("Timeout (seconds)"),
        Field::name(),
    ];
}

/// Node ids: a list (other entries skipped) or one id as text.
fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(de::list(d)?
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect())
}

/// The `links` of a `link in` elsewhere in the flow (none when unreadable:
/// that node reports its own problem).
fn links_of_link_in(node: &NodeConfig) -> Vec<String> {
    LinkInSettings::read(node)
        .map(|s| s.links)
        .unwrap_or_default()
}

/// Whether the node with `id` runs (exists, enabled, on an enabled tab).
fn runs(cx: &BuildCx<'_>, id: &str) -> Option<&'static str> {
    let nodes = cx.flow_nodes();
    let n = nodes.iter().find(|n| n.id == id)?;
    if n.disabled {
        return None;
    }
    if let Some(z) = &n.z {
        if nodes.iter().any(|t| {
            t.id == *z
                && t.kind() == flowgate_runtime::model::Kind::Tab
                && (t.disabled || t.flag("disabled"))
        }) {
            return None;
        }
    }
    match n.node_type.as_str() {
        "link in" => Some("link in"),
        _ => Some("other"),
    }
}

fn build_in(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    settings::load::<LinkInSettings>(config, cx)?;
    Ok(Built::new(LinkIn, 1))
}

struct LinkIn;

impl Node for LinkIn {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

fn build_out(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: LinkOutSettings = settings::load(config, cx)?;
    if s.mode == Mode::Return {
        return Ok(Built::new(LinkReturn, 0));
    }
    // Targets: this node's list, plus every link in that lists this node
    // (Node-RED accepts the link recorded on either end).
    let mut targets = s.links;
    for n in cx.flow_nodes() {
        if n.node_type == "link in"
            && links_of_link_in(n).contains(&config.id)
            && !targets.contains(&n.id)
        {
            targets.push(n.id.clone());
        }
    }
    targets.retain(|t| runs(cx, t).is_some());
    Ok(Built::new(
        LinkOut {
            targets: targets.clone(),
        },
        0,
    )
    .with_links(targets))
}

/// `link out` in `link` mode.
struct LinkOut {
    targets: Vec<String>,
}

impl Node for LinkOut {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        // The first target gets the original, the others copies (fan-out).
        if let Some((first, rest)) = self.targets.split_first() {
            let copies: Vec<Message> = rest.iter().map(|_| msg.clone()).collect();
            out.send_to_node(first.clone(), msg);
            for (t, m) in rest.iter().zip(copies) {
                out.send_to_node(t.clone(), m);
            }
        }
        Outcome::Ready(Ok(()))
    }
}

/// Calls waiting for their return, by call id: the `link call` node and the
/// timer that fails the call.
static PENDING_CALLS: LazyLock<Mutex<HashMap<String, tokio::task::AbortHandle>>> =
    LazyLock::new(Default::default);

/// `link out` in `return` mode.
struct LinkReturn;

impl Node for LinkReturn {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let entry = match msg.body.get_mut("_linkSource") {
            Some(Value::Array(stack)) => stack.pop(),
            _ => None,
        };
        let Some(event) = entry else {
            tracing::warn!("link out: Missing return node information");
            return Outcome::Ready(Ok(()));
        };
        if matches!(msg.body.get("_linkSource"), Some(Value::Array(s)) if s.is_empty()) {
            msg.body.shift_remove("_linkSource");
        }
        let (Some(call_id), Some(node)) = (
            event.get("id").and_then(Value::as_str),
            event.get("node").and_then(Value::as_str),
        ) else {
            tracing::warn!("link out: Missing return node information");
            return Outcome::Ready(Ok(()));
        };
        if let Some(timer) = PENDING_CALLS.lock().remove(call_id) {
            timer.abort();
        }
        out.send_from(node.to_owned(), 0, msg);
        Outcome::Ready(Ok(()))
    }
}

fn build_call(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: LinkCallSettings = settings::load(config, cx)?;
    let dynamic = s.link_type == LinkType::Dynamic;
    let timeout_secs = s
        .timeout
        .filter(|t| t.is_finite() && *t >= 0.0)
        .unwrap_or(30.0);
    // Link-in names and ids a dynamic call may use: (id, name, tab).
    let link_ins: Vec<(String, String, Option<String>)> = cx
        .flow_nodes()
        .iter()
        .filter(|n| n.node_type == "link in" && runs(cx, &n.id).is_some())
        .map(|n| (n.id.clone(), n.name.clone(), n.z.clone()))
        .collect();
    let target = if dynamic {
        None
    } else {
        let Some(t) = s.links.into_iter().next() else {
            return Err(config.problem(Some("links"), "no link in node selected"));
        };
        match runs(cx, &t) {
            Some("link in") => Some(t),
            Some(_) => {
                return Err(config.problem(Some("links"), format!("node {t} is not a link in node")))
            }
            None => {
                return Err(config.problem(
                    Some("links"),
                    format!("target link in node {t} is not in the flow or disabled"),
                ))
            }
        }
    };
    Ok(Built::new(
        LinkCall {
            id: config.id.clone(),
            tab: config.z.clone(),
            target,
            link_ins,
            timeout: Duration::from_secs_f64(timeout_secs),
            handle: Mutex::new(None),
            calls: Arc::new(Mutex::new(Vec::new())),
        },
        1,
    ))
}

struct LinkCall {
    id: String,
    tab: Option<String>,
    target: Option<String>,
    link_ins: Vec<(String, String, Option<String>)>,
    timeout: Duration,
    handle: Mutex<Option<NodeHandle>>,
    /// Call ids this node started, so `stop` can cancel their timers.
    calls: Arc<Mutex<Vec<String>>>,
}

impl LinkCall {
    /// The `link in` for a message: the fixed target, or `msg.target` by id
    /// or name (this tab's first, then a unique one anywhere).
    fn target_of(&self, msg: &Message) -> Result<String, String> {
        if let Some(t) = &self.target {
            return Ok(t.clone());
        }
        let wanted = match msg.body.get("target") {
            None | Some(Value::Null) => String::new(),
            Some(v) => js::to_js_string(Some(v)),
        };
        if let Some((id, ..)) = self.link_ins.iter().find(|(id, ..)| *id == wanted) {
            return Ok(id.clone());
        }
        if !wanted.is_empty() {
            let named: Vec<_> = self
                .link_ins
                .iter()
                .filter(|(id, name, _)| (if name.is_empty() { id } else { name }) == &wanted)
                .collect();
            let here: Vec<_> = named.iter().filter(|(_, _, z)| *z == self.tab).collect();
            if here.len() == 1 {
                return Ok(here[0].0.clone());
            }
            match named.len() {
                1 => return Ok(named[0].0.clone()),
                n if n > 1 => return Err(format!("Multiple link-in nodes named '{wanted}' found")),
                _ => {}
            }
        }
        Err(format!("target link-in node '{wanted}' not found"))
    }
}

impl Node for LinkCall {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let target = match self.target_of(&msg) {
            Ok(t) => t,
            Err(e) => return Outcome::Ready(Err(NodeError::new(e).with_msg(msg))),
        };
        let call_id = uuid::Uuid::new_v4().simple().to_string()[..28].to_owned();
        let original = msg.clone();
        let stack = msg
            .body
            .entry("_linkSource")
            .or_insert_with(|| Value::Array(Vec::new()));
        if !stack.is_array() {
            *stack = Value::Array(Vec::new());
        }
        if let Value::Array(s) = stack {
            s.push(json!({"id": call_id, "node": self.id}));
        }
        if let (Some(handle), Ok(rt)) = (
            self.handle.lock().clone(),
            tokio::runtime::Handle::try_current(),
        ) {
            let timeout = self.timeout;
            let id = call_id.clone();
            let calls = self.calls.clone();
            let timer = rt.spawn(async move {
                tokio::time::sleep(timeout).await;
                if PENDING_CALLS.lock().remove(&id).is_some() {
                    calls.lock().retain(|c| *c != id);
                    handle.error(NodeError::new("timeout").with_msg(original));
                }
            });
            PENDING_CALLS
                .lock()
                .insert(call_id.clone(), timer.abort_handle());
            let mut calls = self.calls.lock();
            calls.retain(|c| PENDING_CALLS.lock().contains_key(c));
            calls.push(call_id);
        }
        out.send_to_node(target, msg);
        Outcome::Ready(Ok(()))
    }

    fn start(&self, handle: NodeHandle) {
        *self.handle.lock() = Some(handle);
    }

    fn stop(&self) {
        let mut pending = PENDING_CALLS.lock();
        for id in self.calls.lock().drain(..) {
            if let Some(t) = pending.remove(&id) {
                t.abort();
            }
        }
        self.handle.lock().take();
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{self, Sink};
    use serde_json::json;
    use std::time::Duration;

    #[tokio::test]
    async fn link_out_reaches_link_ins_named_on_either_end_across_tabs() {
        let rt = testkit::start(json!([
            {"id": "lo", "type": "link out", "z": "a", "mode": "link", "links": ["li1"], "wires": []},
            {"id": "li1", "type": "link in", "z": "b", "links": ["lo"], "wires": [["li1-out"]]},
            {"id": "li2", "type": "link in", "z": "c", "links": ["lo"], "wires": [["li2-out"]]},
            {"id": "li1-out", "type": "test sink", "z": "b", "wires": []},
            {"id": "li2-out", "type": "test sink", "z": "c", "wires": []}
        ]));
        let mut s1 = Sink::new("li1-out");
        let mut s2 = Sink::new("li2-out");
        testkit::inject(&rt, "lo", json!({"payload": 1})).await;
        assert_eq!(s1.next().await.body["payload"], json!(1));
        assert_eq!(s2.next().await.body["payload"], json!(1));
    }

    #[tokio::test]
    async fn link_call_returns_to_the_caller() {
        let rt = testkit::start(json!([
            {"id": "call", "type": "link call", "z": "a", "links": ["sub"], "timeout": "5", "wires": [["call-out"]]},
            {"id": "sub", "type": "link in", "z": "b", "name": "double", "wires": [["ret"]]},
            {"id": "ret", "type": "link out", "z": "b", "mode": "return", "wires": []},
            {"id": "call-out", "type": "test sink", "z": "a", "wires": []},
            {"id": "dyn", "type": "link call", "z": "a", "linkType": "dynamic", "links": [], "wires": [["dyn-out"]]},
            {"id": "dyn-out", "type": "test sink", "z": "a", "wires": []},
            {"id": "dyn-catch", "type": "catch", "z": "a", "scope": ["dyn"], "wires": [["dyn-err"]]},
            {"id": "dyn-err", "type": "test sink", "z": "a", "wires": []}
        ]));
        let mut out = Sink::new("call-out");
        testkit::inject(&rt, "call", json!({"payload": 2})).await;
        let m = out.next().await;
        assert_eq!(m.body["payload"], json!(2));
        assert!(
            !m.body.contains_key("_linkSource"),
            "the stack is removed when empty"
        );
        let mut dyn_out = Sink::new("dyn-out");
        let mut dyn_err = Sink::new("dyn-err");
        testkit::inject(&rt, "dyn", json!({"payload": 3, "target": "double"})).await;
        assert_eq!(dyn_out.next().await.body["payload"], json!(3));
        testkit::inject(&rt, "dyn", json!({"payload": 4, "target": "nope"})).await;
        assert_eq!(
            dyn_err.next().await.body["error"]["message"],
            json!("target link-in node 'nope' not found")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn link_call_times_out_with_a_catchable_error() {
        let rt = testkit::start(json!([
            {"id": "tcall", "type": "link call", "z": "a", "links": ["tsub"], "timeout": "2", "wires": [[]]},
            {"id": "tsub", "type": "link in", "z": "a", "wires": [[]]},
            {"id": "tcatch", "type": "catch", "z": "a", "scope": null, "wires": [["tcatch-out"]]},
            {"id": "tcatch-out", "type": "test sink", "z": "a", "wires": []}
        ]));
        let mut caught = Sink::new("tcatch-out");
        let start = tokio::time::Instant::now();
        testkit::inject(&rt, "tcall", json!({"payload": 1})).await;
        let m = caught.next().await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(m.body["error"]["message"], json!("timeout"));
        assert_eq!(m.body["error"]["source"]["id"], json!("tcall"));
        assert_eq!(m.body["payload"], json!(1));
    }
}
