//! Subflows, expanded at load as Node-RED's `Subflow` class does: every
//! `subflow:<definition id>` instance gets its own copy of the definition's
//! nodes, whose ids are `<instance id>-<id in the definition>` and whose flow
//! (`z`) is the instance, so each instance has its own `flow` context and its
//! own node contexts. Nested instances expand the same way, so a node two
//! levels down is `<outer>-<inner>-<node>`.
//!
//! The instance node itself stays, as a node that passes its input to the
//! nodes the definition's input port is wired to. Wires into the
//! definition's output port `i` become wires to whatever the instance's
//! output `i` is wired to, and wires into the status port go to a
//! `<instance id>:status` node that sets the instance's status from the
//! message. Errors and status of the copies that nothing inside the instance
//! handles are the engine's to pass on to the flow around it
//! ([`crate::engine::Flows`]).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::error::{NodeError, Problem};
use crate::events::Events;
use crate::message::Message;
use crate::model::{parse_flow_value, Kind, NodeConfig};
use crate::node::{Node, Outcome, Outputs};
use crate::registry::{BuildCx, Built, NodeFactory};

/// The type of the node behind a definition's status port.
pub const STATUS_TYPE: &str = "subflow-status";

/// How deep instances may nest; deeper is a definition that contains itself.
pub const MAX_DEPTH: usize = 32;

/// How many nodes a flow may have once its instances are expanded: nested
/// instances multiply (ten instances of a definition holding ten instances
/// of another…), and a deploy must not make the runtime build millions.
pub const MAX_NODES: usize = 100_000;

/// One expanded subflow instance: a flow of its own inside another.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The flow the instance node sits in (a tab or another instance).
    pub parent: String,
    /// The instance node's group in that flow.
    pub group: Option<String>,
    pub name: Option<String>,
    /// `<parent flow path>/<instance id as written>` (`NR_SUBFLOW_PATH`).
    pub path: String,
    /// The definition's `env` list overridden by the instance's, by name.
    pub env: Vec<Value>,
    /// The id credentials are stored under for the instance (its id as
    /// written) and for its definition.
    pub credential_ids: (String, String),
    /// Whether the definition has a status port: then the status of the
    /// nodes inside reaches the parent flow only through it.
    pub status_port: bool,
}

/// The flow with every instance expanded.
pub struct Expanded {
    /// Tabs, groups, config nodes and nodes outside subflow definitions, the
    /// instance nodes, and every instance's copies.
    pub nodes: Vec<NodeConfig>,
    /// Instances by id (the `z` of their copies).
    pub instances: HashMap<String, Instance>,
    /// Each copy's id as written in its definition (`NR_NODE_PATH`).
    pub aliases: HashMap<String, String>,
    /// The instance node in the flow file each node the expansion made
    /// belongs to: those nodes keep running through a deploy that keeps it.
    pub owners: HashMap<String, String>,
    pub problems: Vec<Problem>,
    /// Set once [`MAX_NODES`] is reached (reported once).
    full: bool,
}

/// Whether the runtime builds nodes of `node_type` itself.
pub fn is_builtin(node_type: &str) -> bool {
    node_type == STATUS_TYPE || node_type.starts_with("subflow:")
}

/// The factory of a node the expansion made, if `n` is one.
pub fn factory(n: &NodeConfig) -> Option<NodeFactory> {
    if n.node_type == STATUS_TYPE {
        Some(build_status)
    } else if n.kind() == Kind::SubflowInstance {
        Some(build_instance)
    } else {
        None
    }
}

/// Expand every subflow instance of `nodes` that runs (`runs` says which
/// instance nodes do: not disabled, nor on a disabled tab).
pub fn expand(nodes: &[NodeConfig], runs: impl Fn(&NodeConfig) -> bool) -> Expanded {
    let defs: HashMap<&str, &NodeConfig> = nodes
        .iter()
        .filter(|n| n.kind() == Kind::Subflow)
        .map(|n| (n.id.as_str(), n))
        .collect();
    let mut members: HashMap<&str, Vec<&NodeConfig>> = HashMap::new();
    for n in nodes {
        if let Some(z) = n.z.as_deref().filter(|z| defs.contains_key(z)) {
            members.entry(z).or_default().push(n);
        }
    }
    let mut out = Expanded {
        nodes: Vec::with_capacity(nodes.len()),
        instances: HashMap::new(),
        aliases: HashMap::new(),
        owners: HashMap::new(),
        problems: Vec::new(),
        full: false,
    };
    let cx = Defs { defs, members };
    for n in nodes {
        let in_def = n.z.as_deref().is_some_and(|z| cx.defs.contains_key(z));
        if n.kind() == Kind::Subflow || in_def {
            continue;
        }
        if n.kind() == Kind::SubflowInstance {
            if runs(n) {
                let path = n.z.clone().unwrap_or_default();
                let mut stack = Vec::new();
                cx.instance(n, &n.id, &path, &mut stack, &mut out);
            }
            continue;
        }
        out.nodes.push(n.clone());
    }
    out
}

/// The definitions and the nodes in each.
struct Defs<'a> {
    defs: HashMap<&'a str, &'a NodeConfig>,
    members: HashMap<&'a str, Vec<&'a NodeConfig>>,
}

impl Defs<'_> {
    /// Expand instance `inst` (its id, `z`, `g` and wires already those of
    /// the flow it is in), whose id as written is `alias`.
    fn instance(
        &self,
        inst: &NodeConfig,
        alias: &str,
        parent_path: &str,
        stack: &mut Vec<(String, String)>,
        out: &mut Expanded,
    ) {
        let def_id = inst.node_type.trim_start_matches("subflow:");
        let Some(def) = self.defs.get(def_id) else {
            out.problems.push(inst.problem(
                Some("type"),
                format!(
                    "unknown node type \"{}\": no subflow {def_id} in the flow",
                    inst.node_type
                ),
            ));
            return;
        };
        if stack.len() >= MAX_DEPTH || stack.iter().any(|(d, _)| d == def_id) {
            out.problems.push(inst.problem(
                Some("type"),
                format!("subflow {def_id} contains an instance of itself"),
            ));
            return;
        }
        let path = format!("{parent_path}/{alias}");
        let members = self.members.get(def_id).map(Vec::as_slice).unwrap_or(&[]);
        if out.full {
            return;
        }
        if out.nodes.len() + members.len() > MAX_NODES {
            out.full = true;
            out.problems.push(inst.problem(
                Some("type"),
                format!("expanding the subflow instances makes more than {MAX_NODES} nodes"),
            ));
            return;
        }
        let map: HashMap<&str, String> = members
            .iter()
            .map(|m| (m.id.as_str(), format!("{}-{}", inst.id, m.id)))
            .collect();
        let mut copies: Vec<Map<String, Value>> =
            members.iter().map(|m| copy(m, &inst.id, &map)).collect();
        let index: HashMap<String, usize> = copies
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((c.get("id")?.as_str()?.to_owned(), i)))
            .collect();
        let mut entry: Vec<String> = ports(def, "in")
            .first()
            .map(|p| {
                p.iter()
                    .filter_map(|(id, _)| map.get(id.as_str()).cloned())
                    .collect()
            })
            .unwrap_or_default();
        // Output `i` of the definition: wires from the nodes inside (or from
        // the input port itself) to whatever the instance's output `i` feeds.
        for (i, sources) in ports(def, "out").iter().enumerate() {
            let targets = inst.wires.get(i).cloned().unwrap_or_default();
            for (id, port) in sources {
                if id == def_id {
                    entry.extend(targets.iter().cloned());
                } else if let Some(&c) = map.get(id.as_str()).and_then(|m| index.get(m)) {
                    add_wires(&mut copies[c], *port, &targets);
                }
            }
        }
        let status_id = format!("{}:status", inst.id);
        let status = ports(def, "status");
        if let Some(sources) = status.first() {
            for (id, port) in sources {
                if id == def_id {
                    entry.push(status_id.clone());
                } else if let Some(&c) = map.get(id.as_str()).and_then(|m| index.get(m)) {
                    add_wires(&mut copies[c], *port, std::slice::from_ref(&status_id));
                }
            }
            out.owners.insert(status_id.clone(), top(stack, inst));
            out.nodes.extend(node(json!({
                "id": status_id, "type": STATUS_TYPE, "z": inst.id, "wires": [],
                "instance": inst.id,
            })));
        }
        if !stack.is_empty() {
            out.owners.insert(inst.id.clone(), top(stack, inst));
        }
        let mut proxy = inst.raw.clone();
        proxy.insert("wires".into(), json!([entry]));
        out.nodes.extend(node(Value::Object(proxy)));
        out.instances.insert(
            inst.id.clone(),
            Instance {
                parent: inst.z.clone().unwrap_or_default(),
                group: inst.group.clone(),
                name: inst
                    .raw
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                path: path.clone(),
                env: merged_env(def, inst),
                credential_ids: (alias.to_owned(), def_id.to_owned()),
                status_port: !status.is_empty(),
            },
        );
        stack.push((def_id.to_owned(), top(stack, inst)));
        for (member, copy) in members.iter().zip(copies) {
            let Some(copy) = node(Value::Object(copy)) else {
                continue;
            };
            if copy.kind() == Kind::SubflowInstance {
                if !copy.disabled {
                    self.instance(&copy, &member.id, &path, stack, out);
                }
                continue;
            }
            out.aliases.insert(copy.id.clone(), member.id.clone());
            out.owners.insert(copy.id.clone(), top(stack, inst));
            out.nodes.push(copy);
        }
        stack.pop();
    }
}

/// The top-level instance node of the instance `inst` being expanded inside
/// the definitions on `stack`.
fn top(stack: &[(String, String)], inst: &NodeConfig) -> String {
    stack
        .first()
        .map_or_else(|| inst.id.clone(), |(_, top)| top.clone())
}

/// A node built from JSON the expansion wrote (always well-formed).
fn node(value: Value) -> Option<NodeConfig> {
    parse_flow_value(Value::Array(vec![value]))
        .ok()
        .and_then(|f| f.nodes.into_iter().next())
}

/// Node-RED's `createNodeInSubflow` and `remapSubflowNodes`: a definition's
/// node copied into instance `instance`, with its wires, and every property
/// naming another node of the definition, pointed at that node's copy. The
/// `scope` of `catch`, `status` and `complete` nodes, and the `links` of
/// link nodes, are remapped id by id.
fn copy(m: &NodeConfig, instance: &str, map: &HashMap<&str, String>) -> Map<String, Value> {
    let mut raw = m.raw.clone();
    raw.insert("id".into(), Value::String(map[m.id.as_str()].clone()));
    raw.insert("z".into(), Value::String(instance.to_owned()));
    let wires: Vec<Value> = m
        .wires
        .iter()
        .map(|port| {
            Value::Array(
                port.iter()
                    .filter_map(|t| map.get(t.as_str()).cloned().map(Value::String))
                    .collect(),
            )
        })
        .collect();
    if raw.contains_key("wires") {
        raw.insert("wires".into(), Value::Array(wires));
    }
    let scoped = matches!(m.node_type.as_str(), "catch" | "status" | "complete");
    for (key, value) in raw.iter_mut() {
        if matches!(key.as_str(), "id" | "z" | "wires") {
            continue;
        }
        match value {
            Value::Array(ids) if scoped && key == "scope" => {
                for id in ids.iter_mut() {
                    let mapped = id.as_str().and_then(|s| map.get(s)).cloned();
                    *id = Value::String(mapped.unwrap_or_default());
                }
            }
            // Link nodes inside a definition name each other by the
            // definition's ids; Node-RED finds the instance's copies through
            // their aliases, flowgate by renaming (ids outside stay).
            Value::Array(ids) if key == "links" => {
                for id in ids.iter_mut() {
                    if let Some(mapped) = id.as_str().and_then(|s| map.get(s)) {
                        *id = Value::String(mapped.clone());
                    }
                }
            }
            Value::String(s) => {
                if let Some(mapped) = map.get(s.as_str()) {
                    *s = mapped.clone();
                }
            }
            _ => {}
        }
    }
    raw
}

/// Append `targets` to output `port` of a copied node.
fn add_wires(raw: &mut Map<String, Value>, port: usize, targets: &[String]) {
    let wires = raw.entry("wires").or_insert_with(|| json!([]));
    if !wires.is_array() {
        *wires = json!([]);
    }
    let ports = wires.as_array_mut().expect("array");
    while ports.len() <= port {
        ports.push(json!([]));
    }
    if let Some(list) = ports[port].as_array_mut() {
        list.extend(targets.iter().cloned().map(Value::String));
    }
}

/// A definition's ports (`in`, `out`, or `status` as a one-port list): per
/// port, the `(node id, output)` pairs wired to it.
fn ports(def: &NodeConfig, key: &str) -> Vec<Vec<(String, usize)>> {
    let wires_of = |p: &Value| -> Vec<(String, usize)> {
        p.get("wires")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|w| {
                let id = w.get("id")?.as_str()?.to_owned();
                let port = w.get("port").and_then(Value::as_u64).unwrap_or(0) as usize;
                Some((id, port))
            })
            .collect()
    };
    match def.raw.get(key) {
        Some(Value::Array(list)) => list.iter().map(wires_of).collect(),
        Some(p @ Value::Object(_)) => vec![wires_of(p)],
        _ => Vec::new(),
    }
}

/// The definition's `env` entries, each replaced by the instance's entry of
/// the same name (which keeps the definition's `ui`), then the instance's
/// other entries. A `cred` entry's value is only ever the stored one (the
/// instance's, else the definition's), as in Node-RED: its `value` is
/// dropped.
fn merged_env(def: &NodeConfig, inst: &NodeConfig) -> Vec<Value> {
    let list = |n: &NodeConfig| {
        n.raw
            .get("env")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let name = |e: &Value| e.get("name").and_then(Value::as_str).map(str::to_owned);
    let mut env = list(def);
    for e in list(inst) {
        match env.iter_mut().find(|d| name(d) == name(&e)) {
            Some(d) => *d = e,
            None => env.push(e),
        }
    }
    for e in env
        .iter_mut()
        .filter(|e| e.get("type").and_then(Value::as_str) == Some("cred"))
    {
        if let Some(o) = e.as_object_mut() {
            o.shift_remove("value");
        }
    }
    env
}

/// The instance node: its input goes to the nodes inside.
struct InstanceNode;

impl Node for InstanceNode {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

fn build_instance(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(InstanceNode, 1))
}

/// The node behind the status port: a message sets the instance's status
/// (Node-RED's `subflow-status` input handler).
struct StatusNode {
    instance: String,
    events: Events,
}

impl Node for StatusNode {
    fn on_input<'a>(&'a self, msg: Message, _: &'a mut Outputs) -> Outcome<'a> {
        if let Some(status) = status_of(&msg.body) {
            self.events
                .publish(format!("status/{}", self.instance), Value::Object(status));
        }
        Outcome::Ready(Ok::<(), NodeError>(()))
    }
}

fn build_status(n: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let instance = n.str("instance").unwrap_or_default().to_owned();
    Ok(Built::new(
        StatusNode {
            instance,
            events: cx.events.clone(),
        },
        0,
    ))
}

/// The status a message on the status port sets: a string payload is the
/// text, an object payload with `text`, `fill` or `shape` (or empty) the
/// status; another payload is shown as text; without a payload,
/// `msg.status`.
fn status_of(msg: &Map<String, Value>) -> Option<Map<String, Value>> {
    match msg.get("payload") {
        Some(Value::String(s)) => Some(Map::from_iter([("text".into(), Value::String(s.clone()))])),
        Some(Value::Object(o))
            if o.is_empty() || ["text", "fill", "shape"].iter().any(|k| o.contains_key(*k)) =>
        {
            Some(o.clone())
        }
        Some(other) => {
            let mut text = other.to_string();
            if text.chars().count() > 32 {
                text = text.chars().take(32).collect::<String>() + "...";
            }
            Some(Map::from_iter([("text".into(), Value::String(text))]))
        }
        None => match msg.get("status") {
            Some(Value::Object(o)) => Some(o.clone()),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse_flow_value;

    #[test]
    fn instances_get_their_own_copies_and_nested_ones_expand() {
        let flow = json!([
            {"id": "t", "type": "tab"},
            {"id": "inner", "type": "subflow", "in": [{"wires": [{"id": "f"}]}],
             "out": [{"wires": [{"id": "f", "port": 0}]}]},
            {"id": "f", "type": "function", "z": "inner", "x": 1, "wires": [[]]},
            {"id": "outer", "type": "subflow", "in": [{"wires": [{"id": "i2"}]}],
             "out": [{"wires": [{"id": "i2", "port": 0}]}, {"wires": [{"id": "outer", "port": 0}]}],
             "status": {"wires": [{"id": "i2", "port": 0}]}},
            {"id": "i2", "type": "subflow:inner", "z": "outer", "x": 1, "wires": [[]]},
            {"id": "a", "type": "subflow:outer", "z": "t", "x": 1, "wires": [["r"], ["s"]]},
            {"id": "r", "type": "http response", "z": "t", "x": 1, "wires": []},
            {"id": "s", "type": "http response", "z": "t", "x": 1, "wires": []},
        ]);
        let file = parse_flow_value(flow).unwrap();
        let x = expand(&file.nodes, |_| true);
        assert!(x.problems.is_empty(), "{:?}", x.problems);
        let by_id = |id: &str| x.nodes.iter().find(|n| n.id == id).unwrap();
        assert_eq!(by_id("a").wires, vec![vec!["a-i2".to_string(), "s".into()]]);
        assert_eq!(by_id("a-i2").wires, vec![vec!["a-i2-f".to_string()]]);
        assert_eq!(
            by_id("a-i2-f").wires,
            vec![vec!["r".to_string(), "a:status".into()]]
        );
        assert_eq!(by_id("a-i2-f").z.as_deref(), Some("a-i2"));
        assert_eq!(x.instances["a-i2"].path, "t/a/i2");
        assert_eq!(x.aliases["a-i2-f"], "f");
        assert!(x.nodes.iter().all(|n| n.id != "f" && n.id != "i2"));
    }

    #[test]
    fn a_definition_containing_itself_is_a_problem() {
        let flow = json!([
            {"id": "s", "type": "subflow", "in": [], "out": []},
            {"id": "i", "type": "subflow:s", "z": "s", "x": 1, "wires": []},
            {"id": "top", "type": "subflow:s", "z": "t", "x": 1, "wires": []},
            {"id": "u", "type": "subflow:missing", "z": "t", "x": 1, "wires": []},
        ]);
        let file = parse_flow_value(flow).unwrap();
        let x = expand(&file.nodes, |_| true);
        assert_eq!(x.problems.len(), 2, "{:?}", x.problems);
    }

    #[test]
    fn expansion_stops_at_the_node_limit() {
        let mut flow = vec![
            json!({"id": "b", "type": "subflow", "in": [], "out": []}),
            json!({"id": "a", "type": "subflow", "in": [], "out": []}),
        ];
        for i in 0..1000 {
            flow.push(
                json!({"id": format!("n{i}"), "type": "debug", "z": "b", "x": 1, "wires": []}),
            );
        }
        for i in 0..10 {
            flow.push(
                json!({"id": format!("ib{i}"), "type": "subflow:b", "z": "a", "x": 1, "wires": []}),
            );
        }
        for i in 0..11 {
            flow.push(
                json!({"id": format!("ia{i}"), "type": "subflow:a", "z": "t", "x": 1, "wires": []}),
            );
        }
        let file = parse_flow_value(Value::Array(flow)).unwrap();
        let x = expand(&file.nodes, |_| true);
        assert_eq!(x.problems.len(), 1, "{:?}", x.problems);
        assert!(x.nodes.len() <= MAX_NODES);
    }

    #[test]
    fn status_port_messages() {
        let m = |v: Value| status_of(v.as_object().unwrap()).map(Value::Object);
        assert_eq!(m(json!({"payload": "hi"})), Some(json!({"text": "hi"})));
        assert_eq!(
            m(json!({"payload": {"fill": "red"}})),
            Some(json!({"fill": "red"}))
        );
        assert_eq!(m(json!({"payload": 5})), Some(json!({"text": "5"})));
        assert_eq!(
            m(json!({"status": {"text": "x"}})),
            Some(json!({"text": "x"}))
        );
    }
}
