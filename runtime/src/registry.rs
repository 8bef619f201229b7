//! Node types by their Node-RED `type` string, and the context a node type is
//! given when it turns a node's configuration into a running node.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::app::{Access, NodeRoute, RouteFactory};
use crate::context::{ContextRegistry, Store};
use crate::credentials::{Credentials, History};
use crate::error::Problem;
use crate::events::Events;
use crate::flow_env::NodeEnv;
use crate::listeners::Listens;
use crate::model::NodeConfig;
use crate::node::Node;
use crate::settings::Settings;

/// A running node together with how many output ports it has.
pub struct Built {
    pub node: Box<dyn Node>,
    pub outputs: usize,
    /// Ids of the nodes it sends to by id rather than along its wires
    /// (`link out`): the wiring graph draws them, so a loop closed by a link
    /// is found like any other.
    pub links: Vec<String>,
}

impl Built {
    pub fn new(node: impl Node, outputs: usize) -> Self {
        Built {
            node: Box::new(node),
            outputs,
            links: Vec::new(),
        }
    }

    /// The node also sends to these node ids (see [`Built::links`]).
    pub fn with_links(mut self, ids: Vec<String>) -> Self {
        self.links = ids;
        self
    }
}

/// Shared state a config node (`jwt-config`, `tls-config`) offers the nodes
/// that reference it by id.
pub type ConfigObject = Arc<dyn Any + Send + Sync>;

/// Builds a runnable node from its configuration.
pub type NodeFactory = fn(&NodeConfig, &mut BuildCx<'_>) -> Result<Built, Problem>;

/// Builds a config node's shared state from its configuration.
pub type ConfigFactory = fn(&NodeConfig, &mut BuildCx<'_>) -> Result<ConfigObject, Problem>;

/// What the registry knows how to build for a type.
#[derive(Clone, Copy)]
pub enum NodeKind {
    Runnable(NodeFactory),
    Config(ConfigFactory),
}

/// One node type: how to build it, and what the editor's palette shows.
#[derive(Clone)]
pub struct NodeType {
    /// Node-RED's `type` string, e.g. `"http in"`.
    pub name: &'static str,
    pub kind: NodeKind,
    /// Palette category (`common`, `function`, `network`, `security`, `config`…).
    pub category: &'static str,
    /// Input ports: 0 or 1.
    pub inputs: u8,
    /// Default number of outputs.
    pub outputs: u8,
    /// Palette colour.
    pub color: &'static str,
    /// Editor field definitions and defaults, as a JSON document (see the
    /// editor's forms module for the shape).
    pub editor: &'static str,
    /// Set on types whose nodes the engine delivers errors, status or
    /// completions to (`catch`, `status`, `complete`), beside their wires.
    pub listens: Option<Listens>,
    /// HTTP routes the type serves itself (the JWKS document, the inject
    /// button, the token console); the runtime's router mounts them.
    pub routes: Vec<NodeRoute>,
    /// What the node does, its inputs and outputs, in a few lines of plain
    /// text: the editor shows it with the node's form, `docs/nodes.md`
    /// in its reference.
    pub help: &'static str,
    /// The node reports its `name` to `catch`, `status` and `complete` nodes
    /// even when it is empty, as Node-RED's function, template, delay and
    /// debug nodes do (they copy `n.name` themselves).
    pub reports_empty_name: bool,
}

impl NodeType {
    /// A runnable node type with one input and `outputs` outputs.
    pub fn runnable(name: &'static str, factory: NodeFactory) -> Self {
        NodeType {
            name,
            kind: NodeKind::Runnable(factory),
            category: "common",
            inputs: 1,
            outputs: 1,
            color: "#a6bbcf",
            editor: "{}",
            listens: None,
            routes: Vec::new(),
            help: "",
            reports_empty_name: false,
        }
    }

    /// A config node type.
    pub fn config(name: &'static str, factory: ConfigFactory) -> Self {
        NodeType {
            name,
            kind: NodeKind::Config(factory),
            category: "config",
            inputs: 0,
            outputs: 0,
            color: "#dddddd",
            editor: "{}",
            listens: None,
            routes: Vec::new(),
            help: "",
            reports_empty_name: false,
        }
    }

    pub fn category(mut self, c: &'static str) -> Self {
        self.category = c;
        self
    }
    pub fn ports(mut self, inputs: u8, outputs: u8) -> Self {
        self.inputs = inputs;
        self.outputs = outputs;
        self
    }
    pub fn color(mut self, c: &'static str) -> Self {
        self.color = c;
        self
    }
    pub fn editor(mut self, json: &'static str) -> Self {
        self.editor = json;
        self
    }
    pub fn help(mut self, text: &'static str) -> Self {
        self.help = text;
        self
    }
    pub fn reports_empty_name(mut self) -> Self {
        self.reports_empty_name = true;
        self
    }

    /// The engine delivers `what` (errors, status or completions of the
    /// nodes in each node's `scope`) to this type's nodes.
    pub fn listens(mut self, what: Listens) -> Self {
        self.listens = Some(what);
        self
    }

    /// Serve `path` (axum syntax: `/a/{param}`, `/a/{*rest}`) to anyone with
    /// the handler `route` builds, e.g. `|rt| get(handler).with_state(rt)`.
    /// A flow's `http in` endpoint for the same method and path answers
    /// instead, unless a node claims the path in that deployment
    /// ([`BuildCx::claim_route`]), which makes such an endpoint a load error.
    pub fn public_route(self, path: &'static str, route: RouteFactory) -> Self {
        self.route(Access::Public, path, route)
    }

    /// Serve `path` (relative to the admin root) behind the admin API's
    /// authentication, Origin check and body limit; absent with `--no-admin`.
    /// A path without parameters is reserved: no flow may serve it or below
    /// it while the admin API sits at `/`.
    pub fn admin_route(self, path: &'static str, route: RouteFactory) -> Self {
        self.route(Access::Admin, path, route)
    }

    fn route(mut self, access: Access, path: &'static str, route: RouteFactory) -> Self {
        self.routes.push(NodeRoute {
            access,
            path,
            handler: route,
        });
        self
    }
}

/// The node types a runtime can run, by type string.
#[derive(Clone, Default)]
pub struct Registry {
    types: HashMap<&'static str, NodeType>,
    /// The credential fields each type declares (the keys of its editor
    /// definition's `"credentials"`), read once at registration.
    credential_fields: HashMap<&'static str, Vec<String>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a node type.
    pub fn register(&mut self, t: NodeType) -> &mut Self {
        let fields = serde_json::from_str::<Value>(t.editor)
            .ok()
            .and_then(|v| {
                v.get("credentials")
                    .and_then(Value::as_object)
                    .map(|c| c.keys().cloned().collect())
            })
            .unwrap_or_default();
        self.credential_fields.insert(t.name, fields);
        self.types.insert(t.name, t);
        self
    }

    /// The fields node type `name` declares as credentials: Node-RED keeps
    /// them in the credentials file, never in the flows.
    pub fn credential_fields(&self, name: &str) -> &[String] {
        self.credential_fields
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn get(&self, name: &str) -> Option<&NodeType> {
        self.types.get(name)
    }

    /// Every registered type, sorted by category then name (palette order).
    pub fn types(&self) -> Vec<&NodeType> {
        let mut v: Vec<_> = self.types.values().collect();
        v.sort_by(|a, b| (a.category, a.name).cmp(&(b.category, b.name)));
        v
    }
}

/// An HTTP endpoint an `http in` node asks the server to route to it.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    /// Lower-case method, or `"all"`.
    pub method: String,
    /// Express-style path with `:param` segments.
    pub path: String,
    /// How the endpoint reads request bodies.
    pub body: crate::request::BodyMode,
}

/// Everything a node type may use while building a node: its tab's context,
/// credentials, config nodes built so far, and a place to report problems.
pub struct BuildCx<'a> {
    pub settings: &'a Arc<Settings>,
    pub events: &'a Events,
    pub(crate) contexts: &'a ContextRegistry,
    pub(crate) credentials: &'a mut Credentials,
    pub(crate) history: &'a parking_lot::RwLock<History>,
    pub(crate) configs: &'a HashMap<String, (String, ConfigObject)>,
    pub(crate) config_types: &'a HashMap<String, String>,
    /// What the node sees of the environment (its scopes and `NR_*` names).
    pub(crate) env: NodeEnv,
    pub(crate) problems: Vec<Problem>,
    pub(crate) route: Option<RouteSpec>,
    /// Paths a config node answers on itself (see [`BuildCx::claim_route`]).
    pub(crate) claimed_routes: Vec<RouteSpec>,
    pub(crate) credentials_changed: bool,
    pub(crate) node_id: String,
    pub(crate) tab: Option<String>,
    /// The whole flow being loaded, as given.
    pub(crate) flow: &'a [NodeConfig],
}

impl<'a> BuildCx<'a> {
    /// The context for building node `node` of flow `flow`.
    pub(crate) fn for_node(
        env: &'a crate::loader::LoadEnv,
        credentials: &'a mut Credentials,
        configs: &'a HashMap<String, (String, ConfigObject)>,
        config_types: &'a HashMap<String, String>,
        node_env: NodeEnv,
        node: &NodeConfig,
        flow: &'a [NodeConfig],
    ) -> Self {
        BuildCx {
            settings: &env.settings,
            events: &env.events,
            contexts: &env.contexts,
            credentials,
            history: &env.history,
            configs,
            config_types,
            env: node_env,
            problems: Vec::new(),
            route: None,
            claimed_routes: Vec::new(),
            credentials_changed: false,
            node_id: node.id.clone(),
            tab: node.z.clone(),
            flow,
        }
    }
}

impl BuildCx<'_> {
    /// Report a problem without giving up on the node (so every field's
    /// problems are listed together).
    pub fn report(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// The config node named by `field`, which must be of `expected_type`.
    pub fn config<T: Any + Send + Sync>(
        &self,
        node: &NodeConfig,
        field: &str,
        expected_type: &str,
    ) -> Result<Arc<T>, Problem> {
        let id = match node.raw.get(field) {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(node.problem(
                    Some(field),
                    format!("no {expected_type} config node selected"),
                ))
            }
            Some(_) => {
                return Err(node.problem(
                    Some(field),
                    format!("must be the id of a {expected_type} config node"),
                ))
            }
        };
        match self.config_types.get(id.as_str()) {
            None => {
                return Err(node.problem(
                    Some(field),
                    format!("refers to config node {id}, which is not in the flow"),
                ))
            }
            Some(t) if t != expected_type => {
                return Err(node.problem(
                    Some(field),
                    format!("refers to node {id} of type {t}, expected {expected_type}"),
                ))
            }
            _ => {}
        }
        let Some((_, obj)) = self.configs.get(id.as_str()) else {
            return Err(node.problem(
                Some(field),
                format!("config node {id} is invalid (see its own error)"),
            ));
        };
        obj.clone()
            .downcast::<T>()
            .map_err(|_| node.problem(Some(field), format!("config node {id} has the wrong type")))
    }

    /// The stored credentials of the node being built.
    pub fn credentials(&self) -> Option<&Map<String, Value>> {
        self.credentials.get(&self.node_id)
    }

    /// One credential of the node being built, as a string.
    pub fn credential(&self, key: &str) -> Option<String> {
        self.credentials()
            .and_then(|c| c.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// Whether the node being built may be given a newly generated `key`
    /// credential: not when it held one before (see [`History`]); the error
    /// says where it was seen and what to do.
    pub fn may_generate(&self, key: &str) -> Result<(), String> {
        match self.history.read().held(&self.node_id, key) {
            None => Ok(()),
            Some(origin) => Err(format!(
                "has no {key} credential but held one before (in {origin}); refusing to \
                 generate a new one, which would make everything signed with the old one \
                 fail to verify: restore the credentials file (or its backup) or set the \
                 {key} explicitly"
            )),
        }
    }

    /// Store a credential the node type generated (a new secret), unless
    /// [`may_generate`](Self::may_generate) refuses; the credentials file is
    /// rewritten once the whole flow has loaded.
    pub fn set_credential(&mut self, key: &str, value: Value) -> Result<(), String> {
        self.may_generate(key)?;
        self.credentials.set(&self.node_id, key, value);
        self.credentials_changed = true;
        Ok(())
    }

    /// Ask the server to route requests for `method` + `path` to this node.
    pub fn register_route(&mut self, method: &str, path: &str, body: crate::request::BodyMode) {
        self.route = Some(RouteSpec {
            method: method.to_ascii_lowercase(),
            path: path.to_owned(),
            body,
        });
    }

    /// Declare that a built-in route answers `method` + `path` because of
    /// this (config) node: the JWKS endpoint of a `jwt-config` that publishes
    /// keys. An `http in` node a request for it would reach is a load error
    /// naming both nodes, so a flow cannot silently take the path over.
    pub fn claim_route(&mut self, method: &str, path: &str) {
        self.claimed_routes.push(RouteSpec {
            method: method.to_ascii_lowercase(),
            path: path.to_owned(),
            body: crate::request::BodyMode::Parsed,
        });
    }

    /// An environment variable as this node sees it (Node-RED's
    /// `getSetting`: its own `NR_NODE_*` names, its groups', subflow
    /// instances' and tab's `env` lists and `NR_*` names, the `global-config`
    /// variables, then the process environment less the variables hidden
    /// from flows, [`crate::env`]), as text.
    pub fn env(&self, name: &str) -> Option<String> {
        self.env.get_string(name)
    }

    /// [`env`](Self::env) with the variable's type kept (a `num` variable is
    /// a number); `None` is `undefined`.
    pub fn setting(&self, name: &str) -> Option<Value> {
        self.env.get(name)
    }

    /// Everything the node sees of the environment (for `env.get` in scripts).
    pub fn node_env(&self) -> NodeEnv {
        self.env.clone()
    }

    /// The node's own context store (`context` in a function).
    pub fn node_context(&self) -> Arc<Store> {
        self.contexts
            .node(&self.node_id, self.tab.as_deref().unwrap_or(""))
    }

    /// The node's tab's context store (`flow`).
    pub fn flow_context(&self) -> Arc<Store> {
        self.contexts.flow(self.tab.as_deref().unwrap_or(""))
    }

    /// The runtime-wide context store (`global`).
    pub fn global_context(&self) -> Arc<Store> {
        self.contexts.global()
    }

    /// Id of the node being built.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Every node of the flow being loaded (tabs, groups and disabled nodes
    /// included), for node types that relate to other nodes: `link out` finds
    /// the `link in` nodes that name it, `status` drops the nodes it is wired to.
    pub fn flow_nodes(&self) -> &[NodeConfig] {
        self.flow
    }

    /// The tab the node being built is on.
    pub fn tab(&self) -> Option<&str> {
        self.tab.as_deref()
    }
}
