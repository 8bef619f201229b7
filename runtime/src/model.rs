//! The flow file as users export it from Node-RED, Ignite or our editor.

use serde_json::{Map, Value};

use crate::error::Problem;

/// Node types that describe layout only and never run.
pub const LAYOUT_TYPES: &[&str] = &["tab", "group", "comment", "subflow"];

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
    /// Whether the node has `wires` or a position: config nodes have neither.
    pub is_config: bool,
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

    /// Whether the node carries logic (not a tab, group, comment or subflow).
    pub fn is_layout(&self) -> bool {
        LAYOUT_TYPES.contains(&self.node_type.as_str())
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
            match obj.remove("flows") {
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
    let is_config = !raw.contains_key("wires") && !raw.contains_key("x");
    Ok(NodeConfig {
        id,
        node_type,
        z,
        name,
        wires,
        disabled,
        group,
        is_config,
        raw,
    })
}

/// The flow as a JSON array, exactly as loaded (for `GET /flows` and saving).
pub fn to_json_array(nodes: &[NodeConfig]) -> Value {
    Value::Array(nodes.iter().map(|n| Value::Object(n.raw.clone())).collect())
}
