//! Flow file → validated [`Flows`]: every problem is collected and reported
//! together, and nothing starts unless there are none.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use crate::context::ContextRegistry;
use crate::credentials::{Credentials, History};
use crate::engine::{Flows, RunNode};
use crate::envsubst;
use crate::error::{LoadError, Problem};
use crate::events::Events;
use crate::flow_env::EnvChain;
use crate::graph::{self, FlowGraph};
use crate::listeners::Listening;
use crate::model::{FlowFile, Kind, NodeConfig};
use crate::node::HandleSlot;
use crate::registry::{BuildCx, ConfigFactory, ConfigObject, NodeKind, Registry, RouteSpec};
use crate::routes::{RouteInput, RouteTable};
use crate::scopes::{Scopes, GLOBAL_CONFIG};
use crate::settings::Settings;
use crate::subflow;

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
    /// Whether node `id` carries over: it is kept, or the expansion made it
    /// for an instance node that is kept.
    fn keeps(&self, id: &str, owners: &HashMap<String, String>) -> bool {
        self.keep.contains(id) || owners.get(id).is_some_and(|o| self.keep.contains(o))
    }

    fn node(
        &self,
        id: &str,
        node_type: &str,
        owners: &HashMap<String, String>,
    ) -> Option<(Arc<dyn crate::node::Node>, Arc<HandleSlot>)> {
        if !self.keeps(id, owners) {
            return None;
        }
        let n = &self.previous.nodes[self.previous.index_of(id)?];
        (n.node_type == node_type).then(|| (n.imp.clone(), n.slot.clone()))
    }

    fn config(
        &self,
        id: &str,
        node_type: &str,
        owners: &HashMap<String, String>,
    ) -> Option<ConfigObject> {
        if !self.keeps(id, owners) {
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
///
/// The passes run in order, each adding its problems to one list, so a
/// broken flow is reported whole and in a stable order; nothing is built
/// into a deployment unless the list stays empty.
pub fn load_reusing(
    file: FlowFile,
    env: &LoadEnv,
    credentials: Credentials,
    reuse: Option<Reuse<'_>>,
) -> Result<Loaded, LoadError> {
    let disabled_tabs = Scopes::disabled_tabs(&file.nodes);
    let expanded = subflow::expand(&file.nodes, |n| {
        !n.disabled && !n.z.as_ref().is_some_and(|z| disabled_tabs.contains(z))
    });
    let mut pass = Passes {
        env,
        nodes: &file.nodes,
        reuse,
        owners: &expanded.owners,
        credentials,
        credentials_changed: false,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    pass.check_ids();
    pass.nodes = &expanded.nodes;
    pass.problems.extend(expanded.problems.iter().cloned());
    let scopes = Scopes::read(
        &expanded.nodes,
        &expanded.instances,
        &expanded.aliases,
        &pass.credentials,
        &mut pass.problems,
    );
    for (id, instance) in &expanded.instances {
        env.contexts.subflow(id, &instance.parent);
    }
    pass.check_types();
    let configs = pass.build_configs(&scopes);
    let mut runnables = pass.build_runnables(&scopes, &configs);
    pass.resolve_wires(&mut runnables);
    let routes = pass.build_routes(&runnables, &configs.claimed);
    let (graph, loops) = build_graph(&runnables);
    let Passes {
        problems,
        warnings,
        credentials,
        credentials_changed,
        ..
    } = pass;
    if !problems.is_empty() {
        return Err(LoadError::Invalid(problems));
    }
    if !env.settings.validate_only {
        for w in &warnings {
            tracing::warn!("{w}");
        }
    }
    let run_nodes = runnables.nodes;
    let rev = file.rev.clone().unwrap_or_else(|| revision(&file.nodes));
    let groups = group_parents(&expanded.nodes);
    let mut flows = Flows::new(
        run_nodes,
        graph,
        routes,
        configs.objects,
        file.nodes,
        rev,
        env.settings.clone(),
    );
    flows.groups = groups;
    flows.subflows = expanded
        .instances
        .iter()
        .map(|(id, i)| (id.clone(), i.status_port))
        .collect();
    flows.events = Some(env.events.clone());
    flows.loops = loops;
    flows.warnings = warnings;
    Ok(Loaded {
        flows: Arc::new(flows),
        credentials,
        credentials_changed,
    })
}

/// The state the load passes share: what they read, and the problems and
/// credentials they accumulate.
struct Passes<'a> {
    env: &'a LoadEnv,
    nodes: &'a [NodeConfig],
    reuse: Option<Reuse<'a>>,
    /// The instance node each node a subflow expansion made belongs to.
    owners: &'a HashMap<String, String>,
    credentials: Credentials,
    credentials_changed: bool,
    problems: Vec<Problem>,
    /// What loads but deserves a look (`flowgate check --strict` refuses it).
    warnings: Vec<Problem>,
}

/// The config nodes: every one's type by id (built or not, so references
/// to a broken one say so), the shared state of those that built, and the
/// routes they claim.
struct Configs<'a> {
    types: HashMap<String, String>,
    objects: HashMap<String, (String, ConfigObject)>,
    claimed: Vec<(&'a NodeConfig, RouteSpec)>,
}

/// The runnable nodes that built, in flow order, with their configuration,
/// output count, the ids they send to by id and `http in` route, index for
/// index.
struct Runnables<'a> {
    nodes: Vec<RunNode>,
    configs: Vec<&'a NodeConfig>,
    outputs: Vec<usize>,
    links: Vec<Vec<String>>,
    routes: Vec<(usize, RouteSpec)>,
}

/// What building one node left besides the node: the route it registered
/// and the routes it claimed.
struct BuildOutput<T> {
    built: T,
    route: Option<RouteSpec>,
    claimed: Vec<RouteSpec>,
}

impl<'a> Passes<'a> {
    /// Ids must be unique.
    fn check_ids(&mut self) {
        let nodes = self.nodes;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            if let Some(&first) = seen.get(n.id.as_str()) {
                self.problems.push(n.problem(
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
    }

    /// Every node must be of a known type.
    fn check_types(&mut self) {
        for n in self.nodes.iter().filter(|n| !n.is_layout()) {
            let builtin = subflow::is_builtin(&n.node_type) || n.node_type == GLOBAL_CONFIG;
            if !builtin && self.env.registry.get(&n.node_type).is_none() {
                self.problems.push(n.problem(
                    Some("type"),
                    format!("unknown node type \"{}\"", n.node_type),
                ));
            }
        }
    }

    /// Build node `n` with `factory`, collecting its problems; `Some` only
    /// when it built without any.
    fn build<T>(
        &mut self,
        n: &NodeConfig,
        scopes: &Scopes<'_>,
        configs: &HashMap<String, (String, ConfigObject)>,
        config_types: &HashMap<String, String>,
        factory: fn(&NodeConfig, &mut BuildCx<'_>) -> Result<T, Problem>,
    ) -> Option<BuildOutput<T>> {
        let node_env = scopes.node_env(n);
        let resolved = resolve(n, &node_env.chain);
        let mut cx = BuildCx::for_node(
            self.env,
            &mut self.credentials,
            configs,
            config_types,
            node_env,
            n,
            self.nodes,
        );
        let result = factory(&resolved, &mut cx);
        self.credentials_changed |= cx.credentials_changed;
        let had_problems = !cx.problems.is_empty();
        self.problems.append(&mut cx.problems);
        match result {
            Ok(built) if !had_problems => Some(BuildOutput {
                built,
                route: cx.route.take(),
                claimed: std::mem::take(&mut cx.claimed_routes),
            }),
            Ok(_) => None,
            Err(p) => {
                self.problems.push(p);
                None
            }
        }
    }

    /// Config nodes first, so the nodes that reference them can resolve them.
    fn build_configs(&mut self, scopes: &Scopes<'_>) -> Configs<'a> {
        let nodes = self.nodes;
        let registry = &self.env.registry;
        let factories: Vec<(&'a NodeConfig, ConfigFactory)> = nodes
            .iter()
            .filter_map(|n| match registry.get(&n.node_type).map(|t| t.kind) {
                Some(NodeKind::Config(f)) => Some((n, f)),
                _ => None,
            })
            .collect();
        let factories = dependency_order(factories);
        let mut configs = Configs {
            types: factories
                .iter()
                .map(|(n, _)| (n.id.clone(), n.node_type.clone()))
                .collect(),
            objects: HashMap::new(),
            claimed: Vec::new(),
        };
        for (n, factory) in factories {
            let Some(out) = self.build(n, scopes, &configs.objects, &configs.types, factory) else {
                continue;
            };
            configs
                .claimed
                .extend(out.claimed.into_iter().map(|r| (n, r)));
            let obj = self
                .reuse
                .and_then(|r| r.config(&n.id, &n.node_type, self.owners))
                .unwrap_or(out.built);
            configs
                .objects
                .insert(n.id.clone(), (n.node_type.clone(), obj));
        }
        configs
    }

    /// The runnable nodes that run (not disabled), each built by its type,
    /// or carried over running from the deployment being replaced.
    fn build_runnables(&mut self, scopes: &Scopes<'_>, configs: &Configs<'_>) -> Runnables<'a> {
        let nodes = self.nodes;
        let registry = &self.env.registry;
        let mut out = Runnables {
            nodes: Vec::new(),
            configs: Vec::new(),
            outputs: Vec::new(),
            links: Vec::new(),
            routes: Vec::new(),
        };
        for n in nodes.iter().filter(|n| !n.is_layout() && scopes.runs(n)) {
            let node_type = registry.get(&n.node_type);
            let factory = match node_type.map(|t| t.kind) {
                Some(NodeKind::Runnable(factory)) => factory,
                Some(NodeKind::Config(_)) => continue,
                None => match subflow::factory(n) {
                    Some(factory) => factory,
                    None => continue,
                },
            };
            let Some(b) = self.build(n, scopes, &configs.objects, &configs.types, factory) else {
                continue;
            };
            let index = out.nodes.len();
            if let Some(r) = b.route {
                out.routes.push((index, r));
            }
            out.outputs.push(b.built.outputs);
            out.links.push(b.built.links);
            out.configs.push(n);
            let (imp, slot, carried) = match self
                .reuse
                .and_then(|r| r.node(&n.id, &n.node_type, self.owners))
            {
                Some((imp, slot)) => (imp, slot, true),
                None => (
                    Arc::from(b.built.node),
                    Arc::new(HandleSlot::default()),
                    false,
                ),
            };
            let listening = node_type
                .and_then(|t| t.listens)
                .map(|kind| Listening::of(kind, n));
            let (mut catch, mut status, mut complete) = (None, None, None);
            match listening {
                Some(Listening::Errors(spec)) => catch = Some(spec),
                Some(Listening::Status(scope)) => status = Some(scope),
                Some(Listening::Complete(ids)) => complete = Some(ids),
                None => {}
            }
            out.nodes.push(RunNode {
                id: n.id.clone(),
                node_type: n.node_type.clone(),
                name: n.name.clone(),
                empty_name_reported: node_type.is_some_and(|t| t.reports_empty_name)
                    && n.raw.get("name").is_some_and(Value::is_string),
                tab: n.z.clone(),
                group: n.group.clone(),
                imp,
                slot,
                carried,
                ports: Vec::new(),
                catch,
                status,
                complete,
                completers: Box::default(),
                handled: crate::metrics::messages_of(&n.node_type),
            });
        }
        out
    }

    /// Wires become node indexes; wires into disabled nodes (or ones that
    /// failed to build and are reported on their own) are dropped, and so
    /// are wires to nodes the flow does not have, with a warning naming both
    /// (Node-RED ignores them).
    fn resolve_wires(&mut self, built: &mut Runnables<'_>) {
        let index_of: HashMap<&str, usize> = built
            .configs
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect();
        let by_id: HashMap<&str, &NodeConfig> =
            self.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        for (i, n) in built.configs.iter().enumerate() {
            let outputs = built.outputs[i];
            if n.wires.len() > outputs {
                self.problems.push(n.problem(
                    Some("wires"),
                    format!(
                        "has {} wire lists but only {} output{}",
                        n.wires.len(),
                        outputs,
                        if outputs == 1 { "" } else { "s" }
                    ),
                ));
            }
            let mut ports = Vec::with_capacity(n.wires.len());
            for targets in &n.wires {
                let mut port = Vec::with_capacity(targets.len());
                for t in targets {
                    match (index_of.get(t.as_str()), by_id.get(t.as_str())) {
                        (Some(&ti), _) => port.push(ti),
                        (None, None) => self.warnings.push(n.problem(
                            Some("wires"),
                            format!(
                                "wired to node {t}, which is not in the flow; the wire is ignored"
                            ),
                        )),
                        (None, Some(target))
                            if target.kind() == Kind::Config || target.is_layout() =>
                        {
                            self.problems.push(n.problem(
                                Some("wires"),
                                format!(
                                    "wired to {} node {t}, which has no input",
                                    target.node_type
                                ),
                            ))
                        }
                        (None, Some(_)) => {}
                    }
                }
                port.shrink_to_fit();
                ports.push(port);
            }
            built.nodes[i].ports = ports;
        }
    }

    /// The `http in` endpoints as a route table. None may shadow a reserved
    /// (admin) path, nor a route a config node claims.
    fn build_routes(
        &mut self,
        built: &Runnables<'_>,
        claimed: &[(&NodeConfig, RouteSpec)],
    ) -> RouteTable {
        for (i, r) in &built.routes {
            if let Some(prefix) = reserved_collision(&r.path, &self.env.settings.reserved_paths) {
                self.problems.push(built.configs[*i].problem(
                    Some("url"),
                    format!(
                        "url \"{}\" collides with flowgate's admin route {prefix} \
                         (choose another url, or move the admin API with --admin-root)",
                        r.path
                    ),
                ));
            }
        }
        // Registered in Node-RED's start order: the first of two
        // overlapping routes answers.
        let order = crate::routes::order::StartOrder::of(self.nodes);
        let mut registered: Vec<&(usize, RouteSpec)> = built.routes.iter().collect();
        registered.sort_by_key(|(i, _)| order.key(built.configs[*i]));
        let inputs: Vec<RouteInput<'_>> = registered
            .into_iter()
            .map(|(i, r)| {
                let n = built.configs[*i];
                RouteInput {
                    node: *i,
                    node_problem: Box::new(move |m: &str| n.problem(Some("url"), m)),
                    node_id: &n.id,
                    method: &r.method,
                    path: &r.path,
                    body: r.body,
                }
            })
            .collect();
        let table = match RouteTable::build(inputs) {
            Ok(t) => t,
            Err(mut p) => {
                self.problems.append(&mut p);
                RouteTable::default()
            }
        };
        for (config, claim) in claimed {
            if let Some(problem) = claim_collision(&table, config, claim, &built.configs) {
                self.problems.push(problem);
            }
        }
        table
    }
}

/// The wiring graph, links included, and the loops in it. Loops run as in
/// Node-RED; the engine names a loop's nodes when a message spins in it too
/// long, and `flowgate check` lists them.
fn build_graph(built: &Runnables<'_>) -> (FlowGraph, Vec<Vec<usize>>) {
    let index_of: HashMap<&str, usize> = built
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let ports: Vec<Vec<Vec<usize>>> = built.nodes.iter().map(|n| n.ports.clone()).collect();
    let links: Vec<Vec<usize>> = built
        .links
        .iter()
        .map(|ids| {
            ids.iter()
                .filter_map(|id| index_of.get(id.as_str()).copied())
                .collect()
        })
        .collect();
    let g = graph::build(&ports, &links);
    let loops = graph::loops(&g);
    (g, loops)
}

/// Each group's parent group, for the catch/status distance rule.
fn group_parents(nodes: &[NodeConfig]) -> HashMap<String, Option<String>> {
    nodes
        .iter()
        .filter(|n| n.kind() == Kind::Group)
        .map(|n| (n.id.clone(), n.group.clone()))
        .collect()
}

/// A node's configuration with `${ENV}` references resolved.
fn resolve(n: &NodeConfig, chain: &EnvChain) -> NodeConfig {
    let mut resolved = n.clone();
    envsubst::substitute_node(&mut resolved.raw, chain);
    resolved.name = resolved
        .raw
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    resolved
}

/// The revision of a flow: SHA-256 of its compact JSON, as Node-RED computes
/// it, so equal flows have equal revs.
pub fn revision(nodes: &[NodeConfig]) -> String {
    use sha2::Digest;
    let text = serde_json::to_vec(&crate::model::to_json_array(nodes)).expect("serialize");
    hex::encode(sha2::Sha256::digest(&text))
}

/// The reserved prefix an `http in` path falls under, if any. Paths compare
/// the way routes match (case-insensitive, trailing slash ignored), by the
/// plain text before their first parameter or pattern; a path starting with
/// one shadows nothing, since built-in routes win.
fn reserved_collision<'a>(path: &str, reserved: &'a [String]) -> Option<&'a str> {
    let key = crate::routes::express::literal_prefix(path);
    reserved
        .iter()
        .find(|prefix| crate::app::is_under(&key, prefix))
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

/// Config nodes in an order where one that names another by id (an
/// `mqtt-broker`'s `tls-config`) is built after it and can resolve it;
/// nodes in a cycle of names keep their flow order at the end.
fn dependency_order(nodes: Vec<(&NodeConfig, ConfigFactory)>) -> Vec<(&NodeConfig, ConfigFactory)> {
    let ids: HashSet<&str> = nodes.iter().map(|(n, _)| n.id.as_str()).collect();
    let mut placed = HashSet::new();
    let mut out = Vec::with_capacity(nodes.len());
    let mut rest = nodes;
    while !rest.is_empty() {
        let (ready, waiting): (Vec<_>, Vec<_>) = rest.into_iter().partition(|(n, _)| {
            n.raw
                .values()
                .filter_map(Value::as_str)
                .all(|s| s == n.id || !ids.contains(s) || placed.contains(s))
        });
        if ready.is_empty() {
            out.extend(waiting);
            break;
        }
        placed.extend(ready.iter().map(|(n, _)| n.id.as_str()));
        out.extend(ready);
        rest = waiting;
    }
    out
}
