//! Flow file → validated [`Flows`]: every problem is collected and reported
//! together, and nothing starts unless there are none.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use crate::context::ContextRegistry;
use crate::credentials::{Credentials, History};
use crate::engine::{CatchScope, CatchSpec, Flows, RunNode};
use crate::envsubst;
use crate::error::{LoadError, Problem};
use crate::events::Events;
use crate::graph;
use crate::model::{FlowFile, NodeConfig};
use crate::node::HandleSlot;
use crate::registry::{BuildCx, ConfigObject, NodeKind, Registry, RouteSpec};
use crate::routes::{RouteInput, RouteTable};
use crate::settings::Settings;

/// What every load needs from the runtime around it.
#[derive(Clone)]
pub struct LoadEnv {
    pub registry: Arc<Registry>,
    pub settings: Arc<Settings>,
    pub contexts: Arc<ContextRegistry>,
    pub events: Events,
    /// Credentials nodes held before (see [`History`]).
    pub history: Arc<parking_lot::RwLock<History>>,
}

/// A successfully loaded deployment and its (possibly updated) credentials.
pub struct Loaded {
    pub flows: Arc<Flows>,
    pub credentials: Credentials,
    /// True when node types generated credentials that must be saved.
    pub credentials_changed: bool,
}

/// Types the runtime itself understands without a registry entry.
const CATCH: &str = "catch";
/// `status` nodes are built by their node type, but the engine routes node
/// status to them, so the loader records their scope.
const STATUS: &str = "status";

/// Running nodes a `nodes`/`flows` deploy keeps: their instances (and config
/// nodes' shared state) move to the new deployment instead of being built
/// anew, so their timers and in-memory state survive the deploy.
#[derive(Clone, Copy)]
pub struct Reuse<'a> {
    /// The deployment being replaced.
    pub previous: &'a Flows,
    /// Ids of the nodes to carry over (unchanged ones).
    pub keep: &'a HashSet<String>,
}

impl Reuse<'_> {
    fn node(
        &self,
        id: &str,
        node_type: &str,
    ) -> Option<(Arc<dyn crate::node::Node>, Arc<HandleSlot>)> {
        if !self.keep.contains(id) {
            return None;
        }
        let n = &self.previous.nodes[self.previous.index_of(id)?];
        (n.node_type == node_type).then(|| (n.imp.clone(), n.slot.clone()))
    }

    fn config(&self, id: &str, node_type: &str) -> Option<ConfigObject> {
        if !self.keep.contains(id) {
            return None;
        }
        match self.previous.configs.get(id) {
            Some((t, obj)) if t == node_type => Some(obj.clone()),
            _ => None,
        }
    }
}

/// Validate and build a flow. Nothing is started; call [`Flows::start`].
pub fn load(file: FlowFile, env: &LoadEnv, credentials: Credentials) -> Result<Loaded, LoadError> {
    load_reusing(file, env, credentials, None)
}

/// [`load`], carrying the nodes `reuse` names over from the running
/// deployment. Every node is still built and validated.
pub fn load_reusing(
    file: FlowFile,
    env: &LoadEnv,
    mut credentials: Credentials,
    reuse: Option<Reuse<'_>>,
) -> Result<Loaded, LoadError> {
    let mut problems = Vec::new();
    let nodes = &file.nodes;

    // Ids must be unique.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if let Some(&first) = seen.get(n.id.as_str()) {
            problems.push(n.problem(
                Some("id"),
                format!(
                    "duplicate id: entry {} of the flow ({}) has the same id",
                    first + 1,
                    nodes[first].node_type
                ),
            ));
        } else {
            seen.insert(&n.id, i);
        }
    }

    // Tabs: disabled state and env lists.
    let mut tab_env: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    let mut disabled_tabs: HashSet<&str> = HashSet::new();
    for n in nodes
        .iter()
        .filter(|n| n.node_type == "tab" || n.node_type == "group")
    {
        if n.node_type == "tab" && (n.disabled || n.flag("disabled")) {
            disabled_tabs.insert(&n.id);
        }
        if let Some(Value::Array(list)) = n.raw.get("env") {
            let vars = list
                .iter()
                .filter_map(|e| {
                    let name = e.get("name")?.as_str()?.to_owned();
                    let value = match e.get("value")? {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    Some((name, value))
                })
                .collect();
            tab_env.insert(&n.id, vars);
        }
    }
    let env_of = |n: &NodeConfig| -> Vec<(String, String)> {
        let mut vars = Vec::new();
        if let Some(tab) = n.z.as_deref().and_then(|z| tab_env.get(z)) {
            vars.extend(tab.iter().cloned());
        }
        if let Some(group) = n.group.as_deref().and_then(|g| tab_env.get(g)) {
            vars.extend(group.iter().cloned());
        }
        vars
    };
    let runs =
        |n: &NodeConfig| !n.disabled && !n.z.as_deref().is_some_and(|z| disabled_tabs.contains(z));

    // Types: every node must be of a known type.
    for n in nodes.iter().filter(|n| !n.is_layout()) {
        if n.node_type != CATCH && env.registry.get(&n.node_type).is_none() {
            problems.push(n.problem(
                Some("type"),
                format!("unknown node type \"{}\"", n.node_type),
            ));
        }
    }

    // Config nodes first, so the nodes that reference them can resolve them.
    let config_types: HashMap<String, String> = nodes
        .iter()
        .filter(|n| {
            matches!(
                env.registry.get(&n.node_type).map(|t| t.kind),
                Some(NodeKind::Config(_))
            )
        })
        .map(|n| (n.id.clone(), n.node_type.clone()))
        .collect();
    let mut configs: HashMap<String, (String, ConfigObject)> = HashMap::new();
    let mut claimed: Vec<(&NodeConfig, RouteSpec)> = Vec::new();
    let mut credentials_changed = false;
    for n in nodes.iter() {
        let Some(NodeKind::Config(factory)) = env.registry.get(&n.node_type).map(|t| t.kind) else {
            continue;
        };
        let vars = env_of(n);
        let resolved = resolve(n, &vars);
        let empty = HashMap::new();
        let mut cx =
            BuildCx::for_node(env, &mut credentials, &empty, &config_types, vars, n, nodes);
        let result = factory(&resolved, &mut cx);
        credentials_changed |= cx.credentials_changed;
        let had_problems = !cx.problems.is_empty();
        problems.append(&mut cx.problems);
        match result {
            Ok(obj) if !had_problems => {
                claimed.extend(cx.claimed_routes.drain(..).map(|r| (n, r)));
                let obj = reuse
                    .and_then(|r| r.config(&n.id, &n.node_type))
                    .unwrap_or(obj);
                configs.insert(n.id.clone(), (n.node_type.clone(), obj));
            }
            Ok(_) => {}
            Err(p) => problems.push(p),
        }
    }

    // Runnable nodes.
    let mut run_nodes: Vec<RunNode> = Vec::new();
    let mut outputs_of: Vec<usize> = Vec::new();
    let mut wires_of: Vec<&NodeConfig> = Vec::new();
    let mut routes: Vec<(usize, RouteSpec)> = Vec::new();
    for n in nodes.iter() {
        if n.is_layout() || !runs(n) {
            continue;
        }
        let kind = if n.node_type == CATCH {
            None
        } else {
            match env.registry.get(&n.node_type).map(|t| t.kind) {
                Some(NodeKind::Runnable(f)) => Some(f),
                _ => continue,
            }
        };
        let vars = env_of(n);
        let resolved = resolve(n, &vars);
        let mut cx = BuildCx::for_node(
            env,
            &mut credentials,
            &configs,
            &config_types,
            vars,
            n,
            nodes,
        );
        let (built, catch) = match kind {
            Some(factory) => (factory(&resolved, &mut cx), None),
            None => (
                Ok(crate::registry::Built::new(PassThrough, 1)),
                Some(catch_spec(n)),
            ),
        };
        credentials_changed |= cx.credentials_changed;
        let had_problems = !cx.problems.is_empty();
        problems.append(&mut cx.problems);
        let route = cx.route.take();
        match built {
            Ok(b) if !had_problems => {
                let index = run_nodes.len();
                if let Some(r) = route {
                    routes.push((index, r));
                }
                outputs_of.push(b.outputs);
                wires_of.push(n);
                let carried = match kind {
                    Some(_) => reuse.and_then(|r| r.node(&n.id, &n.node_type)),
                    None => None,
                };
                let (imp, slot, carried) = match carried {
                    Some((imp, slot)) => (imp, slot, true),
                    None => (Arc::from(b.node), Arc::new(HandleSlot::default()), false),
                };
                run_nodes.push(RunNode {
                    id: n.id.clone(),
                    node_type: n.node_type.clone(),
                    name: n.name.clone(),
                    tab: n.z.clone(),
                    group: n.group.clone(),
                    imp,
                    slot,
                    carried,
                    ports: Vec::new(),
                    catch,
                    status: (n.node_type == STATUS).then(|| status_scope(n)),
                });
            }
            Ok(_) => {}
            Err(p) => problems.push(p),
        }
    }

    // Wires.
    let index_of: HashMap<&str, usize> = wires_of
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let by_id: HashMap<&str, &NodeConfig> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    for (i, n) in wires_of.iter().enumerate() {
        if n.wires.len() > outputs_of[i] {
            problems.push(n.problem(
                Some("wires"),
                format!(
                    "has {} wire lists but only {} output{}",
                    n.wires.len(),
                    outputs_of[i],
                    if outputs_of[i] == 1 { "" } else { "s" }
                ),
            ));
        }
        let mut ports = Vec::with_capacity(n.wires.len());
        for targets in &n.wires {
            let mut port = Vec::with_capacity(targets.len());
            for t in targets {
                match (index_of.get(t.as_str()), by_id.get(t.as_str())) {
                    (Some(&ti), _) => port.push(ti),
                    (None, None) => problems.push(n.problem(
                        Some("wires"),
                        format!("wired to node {t}, which is not in the flow"),
                    )),
                    (None, Some(target)) if target.is_config || target.is_layout() => problems
                        .push(n.problem(
                            Some("wires"),
                            format!("wired to {} node {t}, which has no input", target.node_type),
                        )),
                    // Disabled targets (or ones that failed to build and are
                    // reported on their own): the wire is dropped.
                    (None, Some(_)) => {}
                }
            }
            port.shrink_to_fit();
            ports.push(port);
        }
        run_nodes[i].ports = ports;
    }

    // Routes: none may shadow a built-in (admin API) route.
    for (i, r) in &routes {
        if let Some(prefix) = reserved_collision(&r.path, &env.settings.reserved_paths) {
            problems.push(wires_of[*i].problem(
                Some("url"),
                format!(
                    "url \"{}\" collides with flowgate's admin route {prefix} \
                     (choose another url, or move the admin API with --admin-root)",
                    r.path
                ),
            ));
        }
    }
    let route_inputs: Vec<RouteInput<'_>> = routes
        .iter()
        .map(|(i, r)| {
            let n = wires_of[*i];
            RouteInput {
                node: *i,
                node_problem: Box::new(move |m: &str| n.problem(Some("url"), m)),
                node_id: &n.id,
                method: &r.method,
                path: &r.path,
            }
        })
        .collect();
    let route_table = match RouteTable::build(route_inputs) {
        Ok(t) => t,
        Err(mut p) => {
            problems.append(&mut p);
            RouteTable::default()
        }
    };

    // Routes config nodes answer themselves: no flow may shadow them either.
    for (config, claim) in &claimed {
        if let Some(problem) = claim_collision(&route_table, config, claim, &wires_of) {
            problems.push(problem);
        }
    }

    // Graph and cycles.
    let port_lists: Vec<Vec<Vec<usize>>> = run_nodes.iter().map(|n| n.ports.clone()).collect();
    let g = graph::build(&port_lists);
    for cycle in graph::cycles(&g) {
        let ids: Vec<&str> = cycle.iter().map(|&i| run_nodes[i].id.as_str()).collect();
        let first = wires_of[cycle[0]];
        problems.push(first.problem(
            Some("wires"),
            format!("wiring forms a cycle through nodes {}", ids.join(", ")),
        ));
    }

    if !problems.is_empty() {
        return Err(LoadError::Invalid(problems));
    }
    let rev = file.rev.clone().unwrap_or_else(|| revision(&file.nodes));
    // Group nesting, for the catch/status distance rule.
    let groups = file
        .nodes
        .iter()
        .filter(|n| n.node_type == "group")
        .map(|n| (n.id.clone(), n.group.clone()))
        .collect();
    let mut flows = Flows::new(
        run_nodes,
        g,
        route_table,
        configs,
        file.nodes,
        rev,
        env.settings.clone(),
    );
    flows.groups = groups;
    flows.events = Some(env.events.clone());
    Ok(Loaded {
        flows: Arc::new(flows),
        credentials,
        credentials_changed,
    })
}

/// A node's configuration with `${ENV}` references resolved.
fn resolve(n: &NodeConfig, vars: &[(String, String)]) -> NodeConfig {
    let mut resolved = n.clone();
    envsubst::substitute_node(&mut resolved.raw, &envsubst::ScopedEnv { vars });
    resolved.name = resolved
        .raw
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    resolved
}

fn catch_spec(n: &NodeConfig) -> CatchSpec {
    CatchSpec {
        scope: scope_of(n),
        uncaught: n.flag("uncaught"),
    }
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

/// A `catch` node only forwards what the engine hands it.
struct PassThrough;

impl crate::node::Node for PassThrough {
    fn on_input<'a>(
        &'a self,
        msg: crate::message::Message,
        out: &'a mut crate::node::Outputs,
    ) -> crate::node::Outcome<'a> {
        out.send(0, msg);
        crate::node::Outcome::Ready(Ok(()))
    }
}

/// The revision of a flow: SHA-256 of its compact JSON, as Node-RED computes
/// it, so equal flows have equal revs.
pub fn revision(nodes: &[NodeConfig]) -> String {
    use sha2::Digest;
    let text = serde_json::to_vec(&crate::model::to_json_array(nodes)).expect("serialize");
    hex::encode(sha2::Sha256::digest(&text))
}

/// The reserved prefix an `http in` path falls under, if any. Paths compare
/// the way routes match (case-insensitive, trailing slash ignored); a path
/// starting with a `:param` shadows nothing, since built-in routes win.
fn reserved_collision<'a>(path: &str, reserved: &'a [String]) -> Option<&'a str> {
    let (key, _) = crate::routes::normalize(path).ok()?;
    reserved
        .iter()
        .find(|prefix| {
            let prefix = prefix.trim_end_matches('/');
            if prefix.is_empty() {
                return true;
            }
            key == prefix
                || key
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .map(String::as_str)
}

/// The problem when a request for a route `config` claims would reach an
/// `http in` node instead, reported on that node and naming both.
fn claim_collision(
    table: &RouteTable,
    config: &NodeConfig,
    claim: &RouteSpec,
    nodes: &[&NodeConfig],
) -> Option<Problem> {
    let crate::routes::Lookup::Found { endpoint, .. } = table.lookup(&claim.method, &claim.path)
    else {
        return None;
    };
    let node = nodes[endpoint.node];
    Some(node.problem(
        Some("url"),
        format!(
            "{} {} is served by {} node {}{}; http in node {} may not take it over \
             (choose another url, or stop {} from serving it)",
            claim.method.to_ascii_uppercase(),
            claim.path,
            config.node_type,
            config.id,
            if config.name.is_empty() {
                String::new()
            } else {
                format!(" \"{}\"", config.name)
            },
            node.id,
            config.id
        ),
    ))
}

/// Collect problems from a failed parse into a load error.
pub fn invalid(problems: Vec<Problem>) -> LoadError {
    LoadError::Invalid(problems)
}
