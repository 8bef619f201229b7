//! What decides a node's environment and whether it runs: tabs (their `env`,
//! label and disabled state), groups (their `env`, nested), subflow
//! instances (their `env` over their definition's) and the `global-config`
//! node, read once per load into one [`EnvChain`] per flow and group.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::credentials::Credentials;
use crate::error::Problem;
use crate::flow_env::{self, EnvChain, LevelKind, NodeEnv};
use crate::model::{Kind, NodeConfig};
use crate::subflow::Instance;

/// The type of the node holding Node-RED 4's global environment variables.
pub const GLOBAL_CONFIG: &str = "global-config";

/// The scopes of one (expanded) flow.
pub struct Scopes<'a> {
    /// Each tab's, instance's and group's chain, by id.
    chains: HashMap<String, EnvChain>,
    /// Outside any tab: the `global-config` variables.
    global: EnvChain,
    disabled_tabs: HashSet<&'a str>,
    instances: &'a HashMap<String, Instance>,
    aliases: &'a HashMap<String, String>,
}

impl<'a> Scopes<'a> {
    /// The disabled tabs of `nodes` (before expansion: instances on them do
    /// not expand).
    pub fn disabled_tabs(nodes: &[NodeConfig]) -> HashSet<String> {
        nodes
            .iter()
            .filter(|n| n.kind() == Kind::Tab && (n.disabled || n.flag("disabled")))
            .map(|n| n.id.clone())
            .collect()
    }

    /// Read the scopes of the expanded `nodes`, reporting `env` entries that
    /// cannot be evaluated on the node that holds them.
    pub fn read(
        nodes: &'a [NodeConfig],
        instances: &'a HashMap<String, Instance>,
        aliases: &'a HashMap<String, String>,
        credentials: &Credentials,
        problems: &mut Vec<Problem>,
    ) -> Self {
        let mut global = EnvChain::default();
        for n in nodes.iter().filter(|n| n.node_type == GLOBAL_CONFIG) {
            global = evaluate(&global, LevelKind::Global, n, credentials, problems);
        }
        let by_id: HashMap<&str, &NodeConfig> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        let mut scopes = Scopes {
            chains: HashMap::new(),
            global,
            disabled_tabs: nodes
                .iter()
                .filter(|n| n.kind() == Kind::Tab && (n.disabled || n.flag("disabled")))
                .map(|n| n.id.as_str())
                .collect(),
            instances,
            aliases,
        };
        let mut reader = Reader {
            by_id,
            credentials,
            problems,
        };
        let ids: Vec<&str> = nodes
            .iter()
            .flat_map(|n| n.z.as_deref().into_iter().chain(n.group.as_deref()))
            .collect();
        for id in ids {
            reader.chain(&mut scopes, id, 0);
        }
        scopes
    }

    /// Whether node `n` runs: not disabled, nor on a disabled tab.
    pub fn runs(&self, n: &NodeConfig) -> bool {
        !n.disabled
            && !n
                .z
                .as_deref()
                .is_some_and(|z| self.disabled_tabs.contains(z))
    }

    /// What node `n` sees of the environment.
    pub fn node_env(&self, n: &NodeConfig) -> NodeEnv {
        let chain = n
            .group
            .as_deref()
            .or(n.z.as_deref())
            .and_then(|id| self.chains.get(id))
            .unwrap_or(&self.global)
            .clone();
        let alias = self.aliases.get(&n.id).unwrap_or(&n.id);
        let path = match n.z.as_deref() {
            Some(z) => match self.instances.get(z) {
                Some(i) => format!("{}/{alias}", i.path),
                None => format!("{z}/{alias}"),
            },
            None => alias.clone(),
        };
        NodeEnv {
            chain,
            id: n.id.clone(),
            name: n.raw.get("name").and_then(Value::as_str).map(str::to_owned),
            path,
        }
    }
}

/// Builds the chains, each once, outer scopes first.
struct Reader<'n, 'p> {
    by_id: HashMap<&'n str, &'n NodeConfig>,
    credentials: &'p Credentials,
    problems: &'p mut Vec<Problem>,
}

impl Reader<'_, '_> {
    /// The chain of flow or group `id`, built on demand. `depth` bounds a
    /// group that (wrongly) contains itself.
    fn chain(&mut self, scopes: &mut Scopes<'_>, id: &str, depth: usize) -> EnvChain {
        if let Some(c) = scopes.chains.get(id) {
            return c.clone();
        }
        if depth > 64 {
            return scopes.global.clone();
        }
        let chain = if let Some(inst) = scopes.instances.get(id) {
            let outer = inst.group.as_deref().unwrap_or(&inst.parent).to_owned();
            let parent = self.chain(scopes, &outer, depth + 1);
            let kind = LevelKind::Subflow {
                id: id.to_owned(),
                name: inst.name.clone(),
                path: inst.path.clone(),
            };
            // The instance's stored value of a `cred` variable, else the
            // definition's.
            let (own, template) = &inst.credential_ids;
            let mut creds = self.credentials.get(template).cloned().unwrap_or_default();
            creds.extend(self.credentials.get(own).cloned().unwrap_or_default());
            let (chain, errors) = flow_env::evaluate(&parent, kind, &inst.env, Some(&creds));
            if let Some(n) = self.by_id.get(id) {
                self.problems.extend(
                    errors
                        .into_iter()
                        .map(|e| n.problem(Some("env"), e.to_string())),
                );
            }
            chain
        } else {
            match self.by_id.get(id).copied() {
                Some(g) if g.kind() == Kind::Group => {
                    let outer = g.group.as_deref().or(g.z.as_deref()).map(str::to_owned);
                    let parent = match outer {
                        Some(o) => self.chain(scopes, &o, depth + 1),
                        None => scopes.global.clone(),
                    };
                    let kind = LevelKind::Group {
                        id: id.to_owned(),
                        name: g.raw.get("name").and_then(Value::as_str).map(str::to_owned),
                    };
                    evaluate(&parent, kind, g, self.credentials, self.problems)
                }
                tab => {
                    let kind = LevelKind::Tab {
                        id: id.to_owned(),
                        label: tab.and_then(|t| t.str("label")).map(str::to_owned),
                    };
                    match tab {
                        Some(t) => {
                            evaluate(&scopes.global, kind, t, self.credentials, self.problems)
                        }
                        None => scopes.global.child(flow_env::Level {
                            kind,
                            vars: Vec::new(),
                        }),
                    }
                }
            }
        };
        scopes.chains.insert(id.to_owned(), chain.clone());
        chain
    }
}

/// The scope `holder`'s `env` list makes inside `parent`.
fn evaluate(
    parent: &EnvChain,
    kind: LevelKind,
    holder: &NodeConfig,
    credentials: &Credentials,
    problems: &mut Vec<Problem>,
) -> EnvChain {
    let entries = holder
        .raw
        .get("env")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let (chain, errors) = flow_env::evaluate(parent, kind, entries, credentials.get(&holder.id));
    problems.extend(
        errors
            .into_iter()
            .map(|e| holder.problem(Some("env"), e.to_string())),
    );
    chain
}
