//! The message engine: a validated, immutable deployment and the dispatch loop
//! that carries messages along its wires.
//!
//! Each message tree (one HTTP request, one inject) is dispatched by one task
//! with a FIFO queue, so a slow node on one request never blocks another and
//! the hot path takes no lock. Fan-out follows Node-RED: the first receiver
//! gets the original message, the others deep copies; one receiver, no copy.

use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};

use futures::FutureExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use http::{HeaderMap, HeaderValue, StatusCode};
use parking_lot::Mutex;
use serde_json::{json, Map, Value};

use crate::error::{NodeError, Problem};
use crate::events::Events;
use crate::exchange::{Exchange, Reply};
use crate::graph::FlowGraph;
use crate::listeners::{link_completers, CatchScope, CatchSpec};
use crate::loop_guard::YIELD_EVERY;
use crate::message::Message;
use crate::model::NodeConfig;
use crate::node::{Dest, HandleSlot, Node, NodeHandle, Outcome, Outputs};
use crate::registry::ConfigObject;
use crate::routes::RouteTable;
use crate::settings::Settings;

/// How many times one message may fail at the same node before the engine
/// stops re-delivering it to `catch` nodes: Node-RED gives up when the count
/// reaches 10 (its error-loop guard).
pub(crate) const MAX_CATCH_COUNT: u64 = 10;

/// One node of a deployment.
pub struct RunNode {
    pub id: String,
    pub node_type: String,
    pub name: String,
    /// Report `name` even when empty (see [`NodeType::reports_empty_name`]).
    ///
    /// [`NodeType::reports_empty_name`]: crate::registry::NodeType
    pub(crate) empty_name_reported: bool,
    pub tab: Option<String>,
    pub group: Option<String>,
    /// Shared so an unchanged node can carry over to the next deployment.
    pub(crate) imp: Arc<dyn Node>,
    /// Where the node's [`NodeHandle`] delivers; carried over with `imp`.
    pub(crate) slot: Arc<HandleSlot>,
    /// Taken over running from the previous deployment: not started again.
    pub(crate) carried: bool,
    /// Per output port, the indexes of the nodes wired to it.
    pub(crate) ports: Vec<Vec<usize>>,
    pub(crate) catch: Option<CatchSpec>,
    /// Set on `status` nodes: whose status they receive.
    pub(crate) status: Option<CatchScope>,
    /// Set on `complete` nodes: the ids whose finished messages they receive.
    pub(crate) complete: Option<Vec<String>>,
    /// The `complete` nodes watching this node, in flow order; empty for
    /// nearly every node, which then pays nothing for the feature.
    pub(crate) completers: Box<[usize]>,
    /// Counts the messages this node handles, under its type (`/metrics`).
    pub(crate) handled: Arc<crate::metrics::Tally>,
}

impl RunNode {
    /// `{id, type, name}`: how `catch`, `status` and `complete` nodes are
    /// told which node a message comes from. Node-RED leaves `name` out for
    /// unnamed nodes, except the types that copy it themselves.
    pub(crate) fn source(&self) -> Map<String, Value> {
        let mut source = Map::new();
        source.insert("id".into(), Value::String(self.id.clone()));
        source.insert("type".into(), Value::String(self.node_type.clone()));
        if !self.name.is_empty() || self.empty_name_reported {
            source.insert("name".into(), Value::String(self.name.clone()));
        }
        source
    }
}

/// A validated deployment: nodes, wires, routes and the source it came from.
pub struct Flows {
    pub(crate) nodes: Vec<RunNode>,
    pub(crate) by_id: HashMap<String, usize>,
    /// The wiring as a graph (petgraph). The loader finds cycles in it; it
    /// stays with the deployment so analyses of the running wiring
    /// (reachability, loops) use this one graph rather than rebuilding it
    /// from the port lists, which remain the dispatch loop's fast path.
    pub(crate) graph: FlowGraph,
    pub(crate) routes: RouteTable,
    /// `catch` node indexes by tab.
    pub(crate) catchers: HashMap<Option<String>, Vec<usize>>,
    /// `status` node indexes by tab.
    pub(crate) status_nodes: HashMap<Option<String>, Vec<usize>>,
    /// Each group's parent group (groups nest).
    pub(crate) groups: HashMap<String, Option<String>>,
    /// Subflow instances by id (the flow of their nodes), and whether their
    /// definition has a status port.
    pub(crate) subflows: HashMap<String, bool>,
    /// The bus node status arrives on (routed to `status` nodes).
    pub(crate) events: Option<Events>,
    status_listener: Mutex<Option<tokio::task::AbortHandle>>,
    /// Config nodes' shared state by id: (type, object).
    pub(crate) configs: HashMap<String, (String, ConfigObject)>,
    /// The wiring's loops (strongly connected components), as sorted node
    /// indexes: what a message that spins too long is said to loop through.
    pub(crate) loops: Vec<Vec<usize>>,
    /// What loaded but deserves a look (wires to nodes not in the flow).
    pub(crate) warnings: Vec<Problem>,
    /// The flow as deployed, exactly as given (for `GET /flows`).
    pub source: Vec<NodeConfig>,
    /// Revision of `source`.
    pub rev: String,
    pub settings: Arc<Settings>,
    running: AtomicBool,
}

impl Flows {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        mut nodes: Vec<RunNode>,
        graph: FlowGraph,
        routes: RouteTable,
        configs: HashMap<String, (String, ConfigObject)>,
        source: Vec<NodeConfig>,
        rev: String,
        settings: Arc<Settings>,
    ) -> Self {
        let by_id: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        link_completers(&mut nodes, &by_id);
        let mut catchers: HashMap<Option<String>, Vec<usize>> = HashMap::new();
        let mut status_nodes: HashMap<Option<String>, Vec<usize>> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            if n.catch.is_some() {
                catchers.entry(n.tab.clone()).or_default().push(i);
            }
            if n.status.is_some() {
                status_nodes.entry(n.tab.clone()).or_default().push(i);
            }
        }
        Flows {
            nodes,
            by_id,
            graph,
            routes,
            catchers,
            status_nodes,
            groups: HashMap::new(),
            subflows: HashMap::new(),
            events: None,
            status_listener: Mutex::new(None),
            configs,
            loops: Vec::new(),
            warnings: Vec::new(),
            source,
            rev,
            settings,
            running: AtomicBool::new(false),
        }
    }

    /// The wiring's loops, each as the ids of its nodes in flow order.
    pub fn loops(&self) -> Vec<Vec<&str>> {
        self.loops
            .iter()
            .map(|l| l.iter().map(|&i| self.nodes[i].id.as_str()).collect())
            .collect()
    }

    /// What loaded but deserves a look: wires to nodes not in the flow,
    /// dropped at load (`flowgate check` lists them).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// An empty deployment (no flows yet).
    pub fn empty(settings: Arc<Settings>) -> Self {
        Flows::new(
            Vec::new(),
            FlowGraph::default(),
            RouteTable::default(),
            HashMap::new(),
            Vec::new(),
            crate::loader::revision(&[]),
            settings,
        )
    }

    /// The wiring graph: vertex weights are node indexes, edge weights
    /// output ports.
    pub fn graph(&self) -> &FlowGraph {
        &self.graph
    }

    /// The `http in` endpoints.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// Config nodes of one type with their shared state, e.g. every
    /// `jwt-config` (the JWKS endpoint publishes their public keys).
    pub fn configs_of_type<'a>(
        &'a self,
        node_type: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a ConfigObject)> + 'a {
        self.configs
            .iter()
            .filter(move |(_, (t, _))| t == node_type)
            .map(|(id, (_, obj))| (id.as_str(), obj))
    }

    /// A config node's shared state by id.
    pub fn config(&self, id: &str) -> Option<&ConfigObject> {
        self.configs.get(id).map(|(_, o)| o)
    }

    /// Number of running nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Index of a running node by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Id of a running node by index.
    pub fn node_id(&self, index: usize) -> &str {
        &self.nodes[index].id
    }

    /// Whether `start` has run and `stop` has not.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Start every node (timers, `initialize` scripts). Nodes carried over
    /// running from the previous deployment are not started again; their
    /// handles are re-pointed here.
    pub fn start(self: &Arc<Self>) {
        if self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        // Listening first: a node's start may report a status at once, or
        // from another worker before the other nodes have started (a
        // network connection coming up).
        self.start_status_listener();
        for (index, n) in self.nodes.iter().enumerate() {
            n.slot.bind(Arc::downgrade(self), index);
            if !n.carried {
                n.imp.start(NodeHandle {
                    slot: n.slot.clone(),
                });
            }
        }
    }

    /// Route node status published on the event bus (`status/<id>`) to the
    /// `status` nodes whose scope covers the node, while this deployment runs.
    fn start_status_listener(self: &Arc<Self>) {
        if self.status_nodes.is_empty() {
            return;
        }
        let (Some(events), Ok(rt)) = (&self.events, tokio::runtime::Handle::try_current()) else {
            return;
        };
        let mut rx = events.subscribe();
        let weak = Arc::downgrade(self);
        let task = rt.spawn(async move {
            loop {
                let event = match rx.recv().await {
                    Ok(e) => e,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                };
                let Some(id) = event.topic.strip_prefix("status/") else {
                    continue;
                };
                let Some(flows) = weak.upgrade() else { break };
                if !flows.is_running() {
                    break;
                }
                flows.route_status(id, &event.data);
            }
        });
        *self.status_listener.lock() = Some(task.abort_handle());
    }

    /// Deliver `msg.status = {fill, shape, text, source}` to every `status`
    /// node whose scope covers node `id` (Node-RED's `Flow.handleStatus`).
    /// A status nothing in a subflow instance receives goes on to the flow
    /// around it as the instance's, unless the definition has a status port
    /// (Node-RED's `Subflow.handleStatus`).
    fn route_status(self: &Arc<Self>, id: &str, status: &Value) {
        let Some(&index) = self.by_id.get(id) else {
            return;
        };
        let node = &self.nodes[index];
        let mut reporting = index;
        let targets = loop {
            let targets = match self.status_nodes.get(&self.nodes[reporting].tab) {
                Some(candidates) => self.scoped(reporting, candidates, |c| {
                    self.nodes[c].status.as_ref().expect("status node")
                }),
                None => Vec::new(),
            };
            if !targets.is_empty() {
                break targets;
            }
            match self.instance_around(reporting) {
                Some((instance, false)) => reporting = instance,
                _ => return,
            }
        };
        for target in targets {
            let mut st = match status {
                Value::Object(m) => m.clone(),
                _ => Map::new(),
            };
            if let Some(text) = st.get_mut("text") {
                if !text.is_string() {
                    *text = Value::String(match &*text {
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => "null".into(),
                        other => other.to_string(),
                    });
                }
            }
            st.insert("source".into(), Value::Object(node.source()));
            let mut msg = Message::new();
            msg.body.insert("status".into(), Value::Object(st));
            let flows = self.clone();
            tokio::spawn(async move { flows.deliver(target, msg).await });
        }
    }

    /// Stop every node (cancel timers, run `finalize`).
    pub fn stop(&self) {
        if !self.running.swap(false, Ordering::AcqRel) {
            return;
        }
        if let Some(listener) = self.status_listener.lock().take() {
            listener.abort();
        }
        for n in &self.nodes {
            n.imp.stop();
        }
    }

    /// Stop the nodes of this (outgoing) deployment that `next` does not
    /// carry over running: what a deploy does once `next` is live.
    pub fn stop_replaced_by(&self, next: &Flows) {
        if !self.running.swap(false, Ordering::AcqRel) {
            return;
        }
        let carried: std::collections::HashSet<*const ()> = next
            .nodes
            .iter()
            .filter(|n| n.carried)
            .map(|n| Arc::as_ptr(&n.imp) as *const ())
            .collect();
        for n in &self.nodes {
            if !carried.contains(&(Arc::as_ptr(&n.imp) as *const ())) {
                n.imp.stop();
            }
        }
    }

    /// Ids of the running nodes this deployment took over from the previous
    /// one instead of starting anew (empty after a full deploy).
    pub fn carried_ids(&self) -> impl Iterator<Item = &str> {
        self.nodes
            .iter()
            .filter(|n| n.carried)
            .map(|n| n.id.as_str())
    }

    /// Whether a node wired to `from`'s output `port` may read `msg.req`
    /// (see [`crate::node::Node::reads_request`]).
    pub fn port_reads_request(&self, from: usize, port: usize) -> bool {
        self.nodes[from]
            .ports
            .get(port)
            .is_some_and(|targets| targets.iter().any(|&t| self.nodes[t].imp.reads_request()))
    }

    /// Deliver `msg` to node `index`'s input and run the message tree to the end.
    pub async fn deliver(self: &Arc<Self>, index: usize, msg: Message) {
        let mut queue = VecDeque::with_capacity(4);
        queue.push_back((index, msg));
        self.run(queue).await;
    }

    /// Send `msg` on node `from`'s output `port` (as if it had sent it) and run
    /// the message tree to the end. This is how `http in` and `inject` start.
    pub async fn emit(self: &Arc<Self>, from: usize, port: usize, msg: Message) {
        let mut queue = VecDeque::with_capacity(4);
        self.route_one(from, Dest::Port(port), msg, &mut queue);
        self.run(queue).await;
    }

    /// Send `msg` on node `from`'s output `port`, then report it finished to
    /// the `complete` nodes watching `from`: a held message let go.
    pub async fn release(self: &Arc<Self>, from: usize, port: usize, msg: Message) {
        let mut queue = VecDeque::with_capacity(4);
        let done = (!self.nodes[from].completers.is_empty()).then(|| msg.clone());
        self.route_one(from, Dest::Port(port), msg, &mut queue);
        if let Some(m) = done {
            self.complete(from, m, &mut queue);
        }
        self.run(queue).await;
    }

    /// Route a buffer of sends made by node `from` outside `on_input`.
    pub async fn route_outputs(self: &Arc<Self>, from: usize, mut out: Outputs) {
        let mut queue = VecDeque::with_capacity(out.items.len().max(4));
        for (dest, msg) in out.items.drain(..) {
            self.route_one(from, dest, msg, &mut queue);
        }
        self.run(queue).await;
    }

    /// Handle an error a node raised outside `on_input`.
    pub async fn raise(self: &Arc<Self>, index: usize, err: NodeError) {
        let mut queue = VecDeque::new();
        self.handle_error(index, err, None, &mut queue);
        self.run(queue).await;
    }

    async fn run(&self, mut queue: VecDeque<(usize, Message)>) {
        let mut out = Outputs::default();
        let mut hops: u64 = 0;
        let mut trips: u64 = 0;
        while let Some((index, mut msg)) = queue.pop_front() {
            hops += 1;
            if hops.is_multiple_of(YIELD_EVERY) {
                tokio::task::yield_now().await;
            }
            if hops > self.settings.max_hops {
                trips += 1;
                hops = 0;
                match self.hop_limit(index, msg, trips, &mut queue) {
                    ControlFlow::Continue(()) => continue,
                    ControlFlow::Break(()) => return,
                }
            }
            let node = &self.nodes[index];
            node.handled.increment();
            if msg.request_owed() && node.imp.reads_request() {
                msg.settle_request();
            }
            let exchange = msg.exchange().cloned();
            let input = (!node.completers.is_empty()).then(|| msg.clone());
            // A panicking node fails only the message it was handling: the
            // panic becomes that message's error and the runtime keeps serving.
            let result = match catch_unwind(AssertUnwindSafe(|| node.imp.on_input(msg, &mut out))) {
                Ok(Outcome::Ready(r)) => r,
                Ok(Outcome::Pending(fut)) => match AssertUnwindSafe(fut).catch_unwind().await {
                    Ok(r) => r,
                    Err(panic) => Err(panic_error(panic)),
                },
                Err(panic) => Err(panic_error(panic)),
            };
            // What a `complete` node gets: the message as the node sent it
            // on (the object Node-RED's node passes to `done`), or as it came
            // in when the node sent nothing.
            let held = std::mem::take(&mut out.held);
            let done = match (&result, input) {
                (Ok(()), Some(input)) if !held => Some(match out.items.first() {
                    Some((_, sent)) => sent.clone(),
                    None => input,
                }),
                _ => None,
            };
            let mut raised = std::mem::take(&mut out.errors).into_iter().peekable();
            for (sent, (dest, m)) in out.items.drain(..).enumerate() {
                while let Some((_, err)) = raised.next_if(|(before, _)| *before <= sent) {
                    self.handle_error(index, err, exchange.clone(), &mut queue);
                }
                self.route_one(index, dest, m, &mut queue);
            }
            for (_, err) in raised {
                self.handle_error(index, err, exchange.clone(), &mut queue);
            }
            match result {
                Err(err) => self.handle_error(index, err, exchange, &mut queue),
                Ok(()) => {
                    if let Some(m) = done {
                        self.complete(index, m, &mut queue);
                    }
                }
            }
        }
    }

    fn route_one(
        &self,
        from: usize,
        dest: Dest,
        msg: Message,
        queue: &mut VecDeque<(usize, Message)>,
    ) {
        match dest {
            Dest::Port(port) => {
                let Some(targets) = self.nodes[from].ports.get(port) else {
                    return;
                };
                match targets.as_slice() {
                    [] => {}
                    [only] => queue.push_back((*only, msg)),
                    [first, rest @ ..] => {
                        for &t in rest {
                            queue.push_back((t, msg.clone()));
                        }
                        // The original goes first, as in Node-RED.
                        let at = queue.len() - rest.len();
                        queue.insert(at, (*first, msg));
                    }
                }
            }
            Dest::Node(id) => match self.by_id.get(&id) {
                Some(&t) => queue.push_back((t, msg)),
                None => {
                    tracing::warn!(node = %self.nodes[from].id, target = %id, "send to unknown node dropped")
                }
            },
            Dest::Output { node, port } => match self.by_id.get(&node) {
                Some(&t) => self.route_one(t, Dest::Port(port), msg, queue),
                None => {
                    tracing::warn!(node = %self.nodes[from].id, target = %node, "send from unknown node dropped")
                }
            },
        }
    }

    pub(crate) fn handle_error(
        &self,
        index: usize,
        err: NodeError,
        exchange: Option<Arc<Exchange>>,
        queue: &mut VecDeque<(usize, Message)>,
    ) {
        let node = &self.nodes[index];
        tracing::warn!(node = %node.id, r#type = %node.node_type, name = %node.name, "{}", err.message);
        crate::metrics::node_error(&node.node_type);
        let mut msg = match err.msg {
            Some(m) => *m,
            None => {
                let mut m = Message::new();
                m.set_exchange(exchange.clone());
                m
            }
        };
        if msg.exchange().is_none() {
            msg.set_exchange(exchange);
        }
        let count = match msg.body.get("error") {
            Some(Value::Object(e))
                if e.get("source")
                    .and_then(|s| s.get("id"))
                    .and_then(Value::as_str)
                    == Some(node.id.as_str()) =>
            {
                e.get("source")
                    .and_then(|s| s.get("count"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    + 1
            }
            _ => 1,
        };
        if count >= MAX_CATCH_COUNT {
            tracing::error!(node = %node.id, "message exceeded the maximum number of catches");
            answer_error(&msg, &node.id, &err.message, err.http.as_ref());
            return;
        }
        let catchers = self.catchers_reaching(index);
        if catchers.is_empty() {
            answer_error(&msg, &node.id, &err.message, err.http.as_ref());
            return;
        }
        if let Some(previous) = msg.body.get("error").cloned() {
            // Node-RED keeps an earlier error beside the new one.
            msg.body.insert("_error".into(), previous);
        }
        let mut source = node.source();
        source.insert("count".into(), Value::from(count));
        msg.body.insert(
            "error".into(),
            json!({ "message": err.message, "source": Value::Object(source) }),
        );
        if let Some(hint) = &err.http {
            msg.body
                .entry("statusCode")
                .or_insert_with(|| Value::from(hint.status));
        }
        let (last, rest) = catchers.split_last().expect("non-empty");
        for &c in rest {
            self.route_one(c, Dest::Port(0), msg.clone(), queue);
        }
        self.route_one(*last, Dest::Port(0), msg, queue);
    }

    /// The subflow instance node whose flow node `index` is in, and whether
    /// its definition has a status port.
    fn instance_around(&self, index: usize) -> Option<(usize, bool)> {
        let tab = self.nodes[index].tab.as_ref()?;
        let status_port = *self.subflows.get(tab)?;
        Some((*self.by_id.get(tab)?, status_port))
    }

    /// The `catch` nodes an error of node `index` reaches: those of its own
    /// flow, or when none there catches it and that flow is a subflow
    /// instance, those the instance node's own error would reach (Node-RED's
    /// `Subflow.handleError`); the error still names node `index`.
    fn catchers_reaching(&self, index: usize) -> Vec<usize> {
        let mut reporting = index;
        loop {
            let catchers = self.catchers_for(reporting);
            if !catchers.is_empty() {
                return catchers;
            }
            match self.instance_around(reporting) {
                Some((instance, _)) => reporting = instance,
                None => return catchers,
            }
        }
    }

    /// The `catch` nodes that receive an error from node `index`, in Node-RED's
    /// order (nearest group first, then flow order). An `uncaught` catch node
    /// only receives errors no catch node before it handled.
    fn catchers_for(&self, index: usize) -> Vec<usize> {
        let node = &self.nodes[index];
        let Some(candidates) = self.catchers.get(&node.tab) else {
            return Vec::new();
        };
        let scoped = self.scoped(index, candidates, |c| {
            &self.nodes[c].catch.as_ref().expect("catch node").scope
        });
        let mut out = Vec::with_capacity(scoped.len());
        let mut handled_by_uncaught = false;
        for c in scoped {
            let uncaught = self.nodes[c].catch.as_ref().is_some_and(|s| s.uncaught);
            if uncaught && !handled_by_uncaught {
                if !out.is_empty() {
                    continue;
                }
                handled_by_uncaught = true;
            }
            out.push(c);
        }
        out
    }

    /// The nodes among `candidates` (catch or status nodes of one tab) whose
    /// scope covers node `index`, nearest group first (Node-RED's distance
    /// rule), otherwise in flow order.
    fn scoped<'s>(
        &'s self,
        index: usize,
        candidates: &[usize],
        scope_of: impl Fn(usize) -> &'s CatchScope,
    ) -> Vec<usize> {
        let node = &self.nodes[index];
        let mut found: Vec<(usize, usize)> = Vec::with_capacity(candidates.len());
        for &c in candidates {
            let scope = scope_of(c);
            let own_group = &self.nodes[c].group;
            let group_scoped = matches!(scope, CatchScope::Group(_));
            if own_group.is_some() && group_scoped && node.group.is_none() {
                continue;
            }
            if let CatchScope::Nodes(ids) = scope {
                if !ids.contains(&node.id) {
                    continue;
                }
            }
            let mut distance = 0;
            if let Some(g) = &node.group {
                let mut containing = Some(g);
                while let Some(cg) = containing {
                    if Some(cg) == own_group.as_ref() {
                        break;
                    }
                    distance += 1;
                    containing = self.groups.get(cg).and_then(|p| p.as_ref());
                }
                if containing.is_none() && own_group.is_some() && group_scoped {
                    continue;
                }
            }
            found.push((distance, c));
        }
        found.sort_by_key(|&(d, _)| d);
        found.into_iter().map(|(_, c)| c).collect()
    }
}

/// A node panic as a node error.
fn panic_error(panic: Box<dyn std::any::Any + Send>) -> NodeError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    NodeError::new(format!("node panicked: {what}"))
}

/// Answer the HTTP request behind `msg` (if any, and not yet answered) for an
/// error nothing caught: the node's hint (401 for a bad token) or 500, once
/// the flow is done with the request and nothing else answered it.
pub(crate) fn answer_error(
    msg: &Message,
    node_id: &str,
    message: &str,
    hint: Option<&crate::error::HttpErrorHint>,
) {
    let Some(ex) = msg.exchange() else { return };
    if ex.is_answered() {
        return;
    }
    let status = hint
        .and_then(|h| StatusCode::from_u16(h.status).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        crate::error_body::json_content_type(),
    );
    if let Some(h) = hint {
        for (k, v) in &h.headers {
            if let (Ok(k), Ok(v)) = (
                http::HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                headers.insert(k, v);
            }
        }
    }
    ex.answer_at_end(Reply {
        status,
        headers,
        body: crate::error_body::node_error(node_id, message),
    });
}
