//! The flow file as users export it from Node-RED, Ignite or our editor.

use serde_json::{Map, Value};

use crate::error::Problem;

/// What a flow entry is. Node-RED tells them apart by `type` alone except
/// for config nodes, which it knows by their missing position; this is the
/// one place flowgate decides it, for the loader and the admin API alike.
///
/// Recognised in this order:
/// - `type: "tab"`: a tab (a flow); nodes name it in `z`.
/// - `type: "group"`: a group box; members name it in `g`.
/// - `type: "subflow"`: a subflow definition; its nodes name it in `z`.
/// - `type: "comment"`: a note on the canvas.
/// - any other type, when the node has neither `wires` nor `x`: a config
///   node (`jwt-config`, `tls-config`…), global or with a `z`, even `z: ""`.
///   Nothing can be wired into it.
/// - a type starting `subflow:` (`subflow:<definition id>`): an instance of
///   a subflow definition.
/// - anything else: an ordinary node.
///
/// A flow need not contain a tab node at all (Ignite exports and
/// hand-written files name tabs only in `z`); the kind of a node never
/// depends on the other nodes in the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tab,
    Group,
    Subflow,
    Comment,
    Config,
    SubflowInstance,
    Node,
}

impl Kind {
    /// The kind of a node object as it appears in a flow file or an admin
    /// request body (a missing or non-string `type` counts as `""`).
    pub fn of_json(node: &Map<String, Value>) -> Kind {
        let node_type = node.get("type").and_then(Value::as_str).unwrap_or("");
        match node_type {
            "tab" => Kind::Tab,
            "group" => Kind::Group,
            "subflow" => Kind::Subflow,
            "comment" => Kind::Comment,
            _ if !node.contains_key("wires") && !node.contains_key("x") => Kind::Config,
            t if t.starts_with("subflow:") => Kind::SubflowInstance,
            _ => Kind::Node,
        }
    }

    /// The kind of a JSON value; anything but an object is an ordinary node.
    pub fn of_value(node: &Value) -> Kind {
        node.as_object().map_or(Kind::Node, Kind::of_json)
    }

    /// Layout only, never run: tabs, groups, comments, subflow definitions.
    pub fn is_layout(self) -> bool {
        matches!(
            self,
            Kind::Tab | Kind::Group | Kind::Comment | Kind::Subflow
        )
    }

    /// What a node's `z` may name: a tab or a subflow definition.
    pub fn is_container(self) -> bool {
        matches!(self, Kind::Tab | Kind::Subflow)
    }
}

/// A parsed flow file: the nodes in file order and the revision, when the file
/// was in the `{"rev", "flows"}` form.
#[derive(Debug, Clone, Default)]
pub struct FlowFile {
    pub rev: Option<String>,
    pub nodes: Vec<NodeConfig>,
}

/// One node of a flow file.
///
/// The common fields are parsed out for the loader; `raw` keeps the whole
/// object exactly as given, unknown fields included, so a flow round-trips
/// through the runtime unchanged.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub id: String,
    pub node_type: String,
    /// The tab (`z`) the node sits on; `None` or empty for global config nodes.
    pub z: Option<String>,
    pub name: String,
    /// One list of target node ids per output port.
    pub wires: Vec<Vec<String>>,
    /// `d: true`: the node is not started and wires into it are dropped.
    pub disabled: bool,
    /// The group (`g`) the node belongs to.
    pub group: Option<String>,
    /// What the node is, decided once when the file is parsed.
    kind: Kind,
    /// The node object as it appeared in the file.
    pub raw: Map<String, Value>,
}

impl NodeConfig {
    /// A string field, or `None` when absent or not a string.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.raw.get(key).and_then(Value::as_str)
    }

    /// A field read the forgiving way Node-RED's editor writes them: `"true"`,
    /// `true`, `"1"` and `1` are all true.
    pub fn flag(&self, key: &str) -> bool {
        match self.raw.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true" || s == "1",
            Some(Value::Number(n)) => n.as_f64().is_some_and(|v| v != 0.0),
            _ => false,
        }
    }

    /// A numeric field given as a number or a numeric string (`"86400"`).
    pub fn number(&self, key: &str) -> Option<f64> {
        match self.raw.get(key) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// What the node is (see [`Kind`]).
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether the node carries no logic (a tab, group, comment or subflow).
    pub fn is_layout(&self) -> bool {
        self.kind.is_layout()
    }

    /// A problem on this node.
    pub fn problem(&self, field: Option<&str>, message: impl Into<String>) -> Problem {
        Problem {
            node: self.id.clone(),
            node_type: self.node_type.clone(),
            name: self.name.clone(),
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// Parse a flow file's text: either a JSON array of nodes or
/// `{"rev": "...", "flows": [...]}`. Every malformed node is reported.
pub fn parse_flow_text(text: &str) -> Result<FlowFile, Vec<Problem>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem::file(format!(
            "invalid JSON at line {} column {}: {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        ))]
    })?;
    parse_flow_value(value)
}

fn strip_position(msg: &str) -> &str {
    msg.split(" at line ").next().unwrap_or(msg)
}

/// Parse an already-decoded flow document (both export forms).
pub fn parse_flow_value(value: Value) -> Result<FlowFile, Vec<Problem>> {
    let (rev, list) = match value {
        Value::Array(list) => (None, list),
        Value::Object(mut obj) => {
            let rev = obj.get("rev").and_then(Value::as_str).map(str::to_owned);
            match obj.shift_remove("flows") {
                Some(Value::Array(list)) => (rev, list),
                _ => {
                    return Err(vec![Problem::file(
                    "a flow file must be a JSON array of nodes or an object with a \"flows\" array",
                )])
                }
            }
        }
        _ => {
            return Err(vec![Problem::file(
                "a flow file must be a JSON array of nodes or an object with a \"flows\" array",
            )])
        }
    };
    let mut problems = Vec::new();
    let mut nodes = Vec::with_capacity(list.len());
    for (index, item) in list.into_iter().enumerate() {
        match parse_node(index, item) {
            Ok(node) => nodes.push(node),
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(FlowFile { rev, nodes })
    } else {
        Err(problems)
    }
}

fn parse_node(index: usize, item: Value) -> Result<NodeConfig, Problem> {
    let Value::Object(raw) = item else {
        return Err(Problem::file(format!(
            "flow entry {index} is not a JSON object"
        )));
    };
    let id = match raw.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(Problem::file(format!(
                "flow entry {index} has no string \"id\""
            )))
        }
    };
    let node_type = match raw.get("type") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(Problem {
                node: id,
                node_type: String::new(),
                name: String::new(),
                field: Some("type".into()),
                message: "missing string \"type\"".into(),
            })
        }
    };
    let name = raw
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let problem = |field: &str, message: &str| Problem {
        node: id.clone(),
        node_type: node_type.clone(),
        name: name.clone(),
        field: Some(field.into()),
        message: message.into(),
    };
    let wires = match raw.get("wires") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ports)) => {
            let mut wires = Vec::with_capacity(ports.len());
            for port in ports {
                match port {
                    Value::Array(targets) => {
                        let mut ids = Vec::with_capacity(targets.len());
                        for t in targets {
                            match t {
                                Value::String(s) => ids.push(s.clone()),
                                _ => {
                                    return Err(problem(
                                        "wires",
                                        "wire targets must be node id strings",
                                    ))
                                }
                            }
                        }
                        wires.push(ids);
                    }
                    // Very old exports wrote a single port's targets flat.
                    Value::String(s) => wires.push(vec![s.clone()]),
                    _ => {
                        return Err(problem(
                            "wires",
                            "wires must be an array with one array of node ids per output",
                        ))
                    }
                }
            }
            wires
        }
        Some(_) => {
            return Err(problem(
                "wires",
                "wires must be an array with one array of node ids per output",
            ))
        }
    };
    let z = raw
        .get("z")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let group = raw
        .get("g")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let disabled = matches!(raw.get("d"), Some(Value::Bool(true)));
    let kind = Kind::of_json(&raw);
    Ok(NodeConfig {
        id,
        node_type,
        z,
        name,
        wires,
        disabled,
        group,
        kind,
        raw,
    })
}

/// The flow as a JSON array, exactly as loaded (for `GET /flows` and saving).
pub fn to_json_array(nodes: &[NodeConfig]) -> Value {
    Value::Array(nodes.iter().map(|n| Value::Object(n.raw.clone())).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn kinds(flow: Value) -> Vec<(String, Kind)> {
        let file = parse_flow_value(flow.clone()).expect("flow parses");
        let raw = flow.as_array().expect("an array").clone();
        // The raw-JSON view the admin API uses agrees with the parsed one.
        for (node, value) in file.nodes.iter().zip(&raw) {
            assert_eq!(node.kind(), Kind::of_value(value), "{}", node.id);
        }
        file.nodes
            .iter()
            .map(|n| (n.id.clone(), n.kind()))
            .collect()
    }

    #[test]
    fn types_name_tabs_groups_subflows_and_comments() {
        let flow = json!([
            {"id": "t", "type": "tab", "label": "Flow 1"},
            {"id": "g", "type": "group", "z": "t", "nodes": ["n"]},
            {"id": "s", "type": "subflow", "name": "sub", "in": [], "out": []},
            {"id": "c", "type": "comment", "z": "t", "x": 1, "y": 1, "wires": []},
            {"id": "i", "type": "subflow:s", "z": "t", "x": 1, "y": 2, "wires": [[]]},
            {"id": "n", "type": "inject", "z": "t", "g": "g", "x": 1, "y": 3, "wires": [["i"]]},
        ]);
        let expected = [
            ("t", Kind::Tab),
            ("g", Kind::Group),
            ("s", Kind::Subflow),
            ("c", Kind::Comment),
            ("i", Kind::SubflowInstance),
            ("n", Kind::Node),
        ];
        let got = kinds(flow);
        assert_eq!(got.len(), expected.len());
        for ((id, kind), (want_id, want)) in got.iter().zip(expected) {
            assert_eq!((id.as_str(), *kind), (want_id, want));
        }
    }

    /// An Ignite export: no tab node at all, nodes naming their tab only in
    /// `z`, and the config node global with `z: ""`.
    #[test]
    fn a_flow_without_a_tab_node_and_a_config_node_with_empty_z() {
        let flow = json!([
            {"id": "in", "type": "http in", "z": "99f3", "url": "/t", "method": "get",
             "x": 100, "y": 60, "wires": [["jwt"]]},
            {"id": "jwt", "type": "jwt", "z": "99f3", "config": "cfg",
             "x": 300, "y": 60, "wires": [["out"]]},
            {"id": "out", "type": "http response", "z": "99f3", "x": 500, "y": 60, "wires": []},
            {"id": "cfg", "type": "jwt-config", "z": "", "algorithm": "HS256"},
        ]);
        let got = kinds(flow.clone());
        let by_id = |id: &str| got.iter().find(|(i, _)| i == id).map(|(_, k)| *k);
        assert_eq!(by_id("in"), Some(Kind::Node));
        assert_eq!(by_id("jwt"), Some(Kind::Node));
        assert_eq!(by_id("out"), Some(Kind::Node));
        assert_eq!(by_id("cfg"), Some(Kind::Config));
        let file = parse_flow_value(flow).expect("flow parses");
        assert_eq!(file.nodes[3].z, None, "z: \"\" is no tab");
    }

    /// A config node is known by having neither `wires` nor `x`; either one
    /// makes it a node that can be wired to, and its `type` or `z` does not
    /// matter.
    #[test]
    fn config_nodes_have_neither_wires_nor_a_position() {
        let flow = json!([
            {"id": "a", "type": "tls-config", "z": "t"},
            {"id": "b", "type": "debug", "z": "t", "wires": []},
            {"id": "c", "type": "debug", "z": "t", "x": 5},
            {"id": "d", "type": "subflow:s"},
            {"id": "e", "type": "tab", "x": 1, "wires": []},
        ]);
        let got: Vec<Kind> = kinds(flow).into_iter().map(|(_, k)| k).collect();
        assert_eq!(
            got,
            [
                Kind::Config,
                Kind::Node,
                Kind::Node,
                Kind::Config,
                Kind::Tab
            ]
        );
    }

    #[test]
    fn raw_nodes_without_a_string_type() {
        assert_eq!(Kind::of_value(&json!("tab")), Kind::Node);
        assert_eq!(Kind::of_value(&json!({"id": "x", "x": 1})), Kind::Node);
        assert_eq!(Kind::of_value(&json!({"id": "x", "type": 7})), Kind::Config);
    }

    #[test]
    fn layout_and_containers() {
        let layout = [Kind::Tab, Kind::Group, Kind::Comment, Kind::Subflow];
        let all = [
            layout.as_slice(),
            &[Kind::Config, Kind::SubflowInstance, Kind::Node],
        ]
        .concat();
        for kind in all {
            assert_eq!(kind.is_layout(), layout.contains(&kind), "{kind:?}");
            let container = matches!(kind, Kind::Tab | Kind::Subflow);
            assert_eq!(kind.is_container(), container, "{kind:?}");
        }
    }
}
