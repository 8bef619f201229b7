//! Nodes the engine delivers to beside their wires: `catch` nodes receive
//! the errors, `status` nodes the status changes, `complete` nodes the
//! finished messages, of the nodes in their scope. A node type says which it is with [`NodeType::listens`]; the
//! loader reads the scope from each such node's configuration.
//!
//! [`NodeType::listens`]: crate::registry::NodeType::listens

use std::collections::{HashMap, VecDeque};

use serde_json::{json, Value};

use crate::engine::{Flows, RunNode};
use crate::message::Message;
use crate::model::NodeConfig;

/// What the engine delivers to a node type's nodes besides their wired input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listens {
    /// Errors raised by the nodes in its scope (`catch`; fields `scope`,
    /// `uncaught`), as `msg.error`.
    Errors,
    /// Status changes of the nodes in its scope (`status`; field `scope`),
    /// as `msg.status`.
    Status,
    /// Messages the nodes in its scope (`complete`; field `scope`, a list of
    /// ids) finished handling without an error, with `msg.complete`.
    Complete,
}

/// Which errors a `catch` node (or which statuses a `status` node) receives.
#[derive(Debug, Clone)]
pub enum CatchScope {
    /// Every node on its tab.
    Tab,
    /// Nodes in its own group (and groups nested in it); a node outside any
    /// group behaves as `Tab`, as in Node-RED.
    Group(Option<String>),
    /// These node ids.
    Nodes(Vec<String>),
}

/// A `catch` node's routing rule.
#[derive(Debug, Clone)]
pub struct CatchSpec {
    pub scope: CatchScope,
    /// Only errors no other `catch` node handled.
    pub uncaught: bool,
}

/// What one running node listens to, read from its configuration.
pub(crate) enum Listening {
    Errors(CatchSpec),
    Status(CatchScope),
    /// The ids a `complete` node watches.
    Complete(Vec<String>),
}

impl Listening {
    /// The rule for node `n` of a type that listens to `kind`.
    pub(crate) fn of(kind: Listens, n: &NodeConfig) -> Self {
        match kind {
            Listens::Errors => Listening::Errors(CatchSpec {
                scope: scope_of(n),
                uncaught: n.flag("uncaught"),
            }),
            Listens::Status => Listening::Status(status_scope(n)),
            Listens::Complete => Listening::Complete(complete_scope(n)),
        }
    }
}

/// A `complete` node's scope: only a list of ids (no list, or anything else,
/// watches nothing). Node-RED removes the nodes it is wired to directly with
/// a loop that skips the entry after each one it removes; the same ids are
/// kept here so a flow behaves as it does there.
fn complete_scope(n: &NodeConfig) -> Vec<String> {
    let CatchScope::Nodes(mut ids) = scope_of(n) else {
        return Vec::new();
    };
    let wired = |id: &String| n.wires.iter().flatten().any(|w| w == id);
    let mut i = 0;
    while i < ids.len() {
        if wired(&ids[i]) {
            ids.remove(i);
        }
        i += 1;
    }
    ids
}

/// A `status` node's scope. Like Node-RED, nodes it is wired to directly are
/// left out, so a status node cannot feed itself through a simple loop.
fn status_scope(n: &NodeConfig) -> CatchScope {
    match scope_of(n) {
        CatchScope::Nodes(mut ids) => {
            ids.retain(|id| !n.wires.iter().flatten().any(|w| w == id));
            CatchScope::Nodes(ids)
        }
        other => other,
    }
}

/// `scope`: `null` (whole tab), `"group"`, or a list of node ids.
fn scope_of(n: &NodeConfig) -> CatchScope {
    match n.raw.get("scope") {
        Some(Value::Array(ids)) => CatchScope::Nodes(
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        Some(Value::String(s)) if s == "group" => CatchScope::Group(n.group.clone()),
        _ => CatchScope::Tab,
    }
}

impl Flows {
    /// Hand a message node `index` finished handling to the `complete` nodes
    /// watching it, each its own copy with `msg.complete = {source: {id,
    /// type, name}}` (Node-RED's `Flow.handleComplete`).
    pub(crate) fn complete(
        &self,
        index: usize,
        msg: Message,
        queue: &mut VecDeque<(usize, Message)>,
    ) {
        let node = &self.nodes[index];
        let tag = json!({ "source": Value::Object(node.source()) });
        let (last, rest) = node.completers.split_last().expect("watched node");
        for &c in rest {
            let mut m = msg.clone();
            m.body.insert("complete".into(), tag.clone());
            queue.push_back((c, m));
        }
        let mut m = msg;
        m.body.insert("complete".into(), tag);
        queue.push_back((*last, m));
    }
}

/// Point every node at the `complete` nodes of its tab that watch it, in
/// flow order (Node-RED keeps one map per flow, so a scope naming a node on
/// another tab never fires).
pub(crate) fn link_completers(nodes: &mut [RunNode], by_id: &HashMap<String, usize>) {
    let mut lists: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (c, n) in nodes.iter().enumerate() {
        for id in n.complete.iter().flatten() {
            if let Some(&i) = by_id.get(id) {
                if nodes[i].tab == n.tab {
                    lists[i].push(c);
                }
            }
        }
    }
    for (n, list) in nodes.iter_mut().zip(lists) {
        if !list.is_empty() {
            n.completers = list.into_boxed_slice();
        }
    }
}
