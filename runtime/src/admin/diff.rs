//! Which nodes a `nodes` or `flows` deploy restarts, following Node-RED's
//! `diffConfigs` (runtime/lib/flows/util.js): a node is *changed* when any
//! property other than its position and wires differs, when its credentials
//! changed, when a node it references by id (a config node, its group)
//! changed, or when its group or its tab's `env` changed. A `nodes` deploy
//! restarts changed and added nodes; a `flows` deploy also restarts rewired
//! nodes and everything wired to any modified node ("linked"). Every other
//! node keeps running: the same instance, timers and in-memory state.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::deploy::DeployKind;
use crate::model::Kind;

/// The ids of the nodes in `new` that keep running (not restarted) when
/// deploying `new` over `old` with `kind`. Empty for a full deploy.
/// `credentials_changed` lists the nodes whose stored credentials change.
pub fn nodes_to_keep(
    kind: DeployKind,
    old: &[&Map<String, Value>],
    new: &[&Map<String, Value>],
    credentials_changed: &HashSet<String>,
) -> HashSet<String> {
    let restart = match kind {
        DeployKind::Nodes | DeployKind::Flows => restart_set(kind, old, new, credentials_changed),
        DeployKind::Full | DeployKind::Reload => return HashSet::new(),
    };
    let Some(restart) = restart else {
        return HashSet::new();
    };
    new.iter()
        .filter_map(|n| id_of(n))
        .filter(|id| !restart.contains(*id))
        .map(str::to_owned)
        .collect()
}

fn id_of(n: &Map<String, Value>) -> Option<&str> {
    n.get("id").and_then(Value::as_str)
}

fn str_field<'a>(n: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    n.get(key).and_then(Value::as_str)
}

/// Node-RED's `diffNodes`: a material change ignores position and wires
/// (and, for groups, their size, style and member list).
fn differs(old: &Map<String, Value>, new: &Map<String, Value>) -> bool {
    let group = Kind::of_json(new) == Kind::Group;
    let relevant = |k: &str| {
        let position = matches!(k, "x" | "y" | "wires" | "credentials");
        let group_layout = group && matches!(k, "nodes" | "style" | "w" | "h");
        !position && !group_layout
    };
    let old_keys = old.keys().filter(|k| relevant(k)).count();
    let new_keys = new.keys().filter(|k| relevant(k)).count();
    old_keys != new_keys
        || new
            .iter()
            .filter(|(k, _)| relevant(k))
            .any(|(k, v)| old.get(k) != Some(v))
}

fn wires(n: &Map<String, Value>) -> impl Iterator<Item = &str> {
    n.get("wires")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
}

fn disabled(n: &Map<String, Value>) -> bool {
    matches!(n.get("d"), Some(Value::Bool(true)))
}

fn tab_disabled(n: &Map<String, Value>) -> bool {
    matches!(n.get("disabled"), Some(Value::Bool(true)))
}

/// The nodes to restart, or `None` when everything must restart (a
/// `global-config` node changed, as in Node-RED).
fn restart_set(
    kind: DeployKind,
    old: &[&Map<String, Value>],
    new: &[&Map<String, Value>],
    credentials_changed: &HashSet<String>,
) -> Option<HashSet<String>> {
    let old_by_id: HashMap<&str, &Map<String, Value>> =
        old.iter().filter_map(|n| Some((id_of(n)?, *n))).collect();
    let new_by_id: HashMap<&str, &Map<String, Value>> =
        new.iter().filter_map(|n| Some((id_of(n)?, *n))).collect();
    let is_tab = |m: &HashMap<&str, &Map<String, Value>>, id: &str| {
        m.get(id).is_some_and(|n| Kind::of_json(n) == Kind::Tab)
    };

    let mut added: HashSet<&str> = HashSet::new();
    let mut removed: HashSet<&str> = HashSet::new();
    let mut changed: HashSet<&str> = HashSet::new();
    let mut rewired: HashSet<&str> = HashSet::new();
    // Tabs whose nodes all restart: removed/added/disabled/enabled, or env changed.
    let mut whole_tabs: HashSet<&str> = HashSet::new();

    for (id, n) in &old_by_id {
        if Kind::of_json(n) != Kind::Tab {
            continue;
        }
        match new_by_id.get(id) {
            None => {
                removed.insert(id);
            }
            Some(nn) => {
                if tab_disabled(n) != tab_disabled(nn) {
                    whole_tabs.insert(id);
                    if tab_disabled(n) {
                        added.insert(id);
                    } else {
                        removed.insert(id);
                    }
                }
                if n.get("env") != nn.get("env") {
                    whole_tabs.insert(id);
                }
            }
        }
    }

    let mut global_config_changed = false;
    for (id, n) in &old_by_id {
        if Kind::of_json(n) == Kind::Tab {
            continue;
        }
        let z = str_field(n, "z").unwrap_or("");
        let Some(nn) = new_by_id.get(id) else {
            removed.insert(id);
            if is_tab(&new_by_id, z) && !removed.contains(z) {
                changed.insert(new_by_id.get_key_value(z).map(|(k, _)| *k).unwrap_or(z));
            }
            continue;
        };
        if removed.contains(z) {
            removed.insert(id);
            continue;
        }
        if added.contains(z) {
            added.insert(id);
            continue;
        }
        if !disabled(n) && disabled(nn) {
            removed.insert(id);
        }
        if differs(n, nn) || credentials_changed.contains(*id) {
            changed.insert(id);
            if new_by_id.contains_key(z) {
                changed.insert(new_by_id.get_key_value(z).map(|(k, _)| *k).unwrap_or(z));
            }
            if str_field(nn, "type") == Some("global-config") {
                global_config_changed = true;
            }
        }
        if !wires(n).eq(wires(nn)) {
            rewired.insert(id);
            if new_by_id.contains_key(z) {
                changed.insert(new_by_id.get_key_value(z).map(|(k, _)| *k).unwrap_or(z));
            }
        }
    }
    if global_config_changed {
        return None;
    }

    for (id, n) in &new_by_id {
        if !old_by_id.contains_key(id) {
            added.insert(id);
            let z = str_field(n, "z").unwrap_or("");
            if let Some((k, _)) = new_by_id.get_key_value(z) {
                changed.insert(k);
            }
        }
    }

    // Anything referring by id to a changed or removed node (a config node,
    // usually) has changed too; repeat until nothing more is marked.
    loop {
        let mut more = Vec::new();
        for (id, n) in &new_by_id {
            if changed.contains(id) {
                continue;
            }
            let refers = n.iter().any(|(k, v)| {
                if matches!(k.as_str(), "z" | "id" | "wires") {
                    return false;
                }
                let Some(mut target) = v.as_str() else {
                    return false;
                };
                // An instance refers to its subflow definition by type: a
                // change in the definition is a change of every instance.
                if k == "type" {
                    target = target.strip_prefix("subflow:").unwrap_or("");
                }
                if k == "g" {
                    // A group that changed does not restart its members
                    // unless their membership changed.
                    let same_group = old_by_id
                        .get(id)
                        .is_some_and(|o| str_field(o, "g") == Some(target));
                    if same_group && changed.contains(target) && !removed.contains(target) {
                        return false;
                    }
                }
                changed.contains(target) || removed.contains(target)
            });
            if refers {
                more.push(*id);
            }
        }
        if more.is_empty() {
            break;
        }
        for id in more {
            changed.insert(id);
            if let Some(z) = new_by_id.get(id).and_then(|n| str_field(n, "z")) {
                if let Some((k, _)) = new_by_id.get_key_value(z) {
                    changed.insert(k);
                }
            }
        }
    }

    // A changed group restarts its members, and nested groups theirs.
    loop {
        let mut more = Vec::new();
        for (id, n) in &new_by_id {
            if Kind::of_json(n) != Kind::Group {
                continue;
            }
            let parent_changed = str_field(n, "g").is_some_and(|g| changed.contains(g));
            if parent_changed && !changed.contains(id) {
                more.push(*id);
            }
            if changed.contains(id) || parent_changed {
                for member in n
                    .get("nodes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if let Some((k, _)) = new_by_id.get_key_value(member) {
                        if !changed.contains(k) {
                            more.push(k);
                        }
                    }
                }
            }
        }
        if more.is_empty() {
            break;
        }
        changed.extend(more);
    }

    let mut restart: HashSet<&str> = changed.iter().chain(added.iter()).copied().collect();
    for (id, n) in &new_by_id {
        if str_field(n, "z").is_some_and(|z| whole_tabs.contains(z)) {
            restart.insert(id);
        }
    }

    if kind == DeployKind::Flows {
        restart.extend(rewired.iter().copied());
        // Everything wired (either way, before or after) to a modified node.
        let mut links: HashMap<&str, Vec<&str>> = HashMap::new();
        for n in old.iter().chain(new.iter()) {
            let Some(id) = id_of(n) else { continue };
            for t in wires(n) {
                links.entry(id).or_default().push(t);
                links.entry(t).or_default().push(id);
            }
        }
        let mut stack: Vec<&str> = added
            .iter()
            .chain(changed.iter())
            .chain(removed.iter())
            .chain(rewired.iter())
            .copied()
            .collect();
        let mut visited: HashSet<&str> = HashSet::new();
        while let Some(id) = stack.pop() {
            if !visited.insert(id) {
                continue;
            }
            if let Some(next) = links.get(id) {
                for t in next {
                    restart.insert(t);
                    stack.push(t);
                }
            }
        }
    }
    Some(restart.into_iter().map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn maps(v: Value) -> Vec<Map<String, Value>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_object().unwrap().clone())
            .collect()
    }

    fn keep(kind: DeployKind, old: &Value, new: &Value, creds: &[&str]) -> Vec<String> {
        let old = maps(old.clone());
        let new = maps(new.clone());
        let old: Vec<_> = old.iter().collect();
        let new: Vec<_> = new.iter().collect();
        let creds = creds.iter().map(|s| s.to_string()).collect();
        let mut k: Vec<_> = nodes_to_keep(kind, &old, &new, &creds)
            .into_iter()
            .collect();
        k.sort();
        k
    }

    fn base() -> Value {
        json!([
            {"id": "t1", "type": "tab"},
            {"id": "a", "type": "inject", "z": "t1", "x": 1, "y": 1, "wires": [["b"]]},
            {"id": "b", "type": "function", "z": "t1", "x": 2, "y": 1, "func": "1", "cfg": "c", "wires": [[]]},
            {"id": "d", "type": "inject", "z": "t1", "x": 1, "y": 2, "wires": [["e"]]},
            {"id": "e", "type": "debug", "z": "t1", "x": 2, "y": 2, "wires": []},
            {"id": "c", "type": "jwt-config", "z": ""}
        ])
    }

    #[test]
    fn full_keeps_nothing() {
        assert!(keep(DeployKind::Full, &base(), &base(), &[]).is_empty());
    }

    #[test]
    fn moving_a_node_restarts_nothing() {
        let mut new = base();
        new[1]["x"] = json!(500);
        assert_eq!(
            keep(DeployKind::Nodes, &base(), &new, &[]),
            vec!["a", "b", "c", "d", "e", "t1"]
        );
    }

    #[test]
    fn nodes_restarts_only_the_changed_node() {
        let mut new = base();
        new[2]["func"] = json!("2");
        assert_eq!(
            keep(DeployKind::Nodes, &base(), &new, &[]),
            vec!["a", "c", "d", "e"]
        );
    }

    #[test]
    fn flows_restarts_everything_wired_to_it() {
        let mut new = base();
        new[2]["func"] = json!("2");
        assert_eq!(
            keep(DeployKind::Flows, &base(), &new, &[]),
            vec!["c", "d", "e"]
        );
    }

    #[test]
    fn config_change_restarts_its_users() {
        let mut new = base();
        new[5]["alg"] = json!("RS256");
        assert_eq!(
            keep(DeployKind::Nodes, &base(), &new, &[]),
            vec!["a", "d", "e"]
        );
        assert_eq!(
            keep(DeployKind::Nodes, &base(), &base(), &["c"]),
            vec!["a", "d", "e"]
        );
    }

    #[test]
    fn tab_env_change_restarts_the_tab() {
        let mut new = base();
        new[0]["env"] = json!([{"name": "X", "value": "1", "type": "str"}]);
        assert_eq!(keep(DeployKind::Nodes, &base(), &new, &[]), vec!["c", "t1"]);
    }

    #[test]
    fn global_config_change_restarts_everything() {
        let mut old = base();
        old.as_array_mut()
            .unwrap()
            .push(json!({"id": "g", "type": "global-config", "env": []}));
        let mut new = old.clone();
        new[6]["env"] = json!([{"name": "A", "value": "1"}]);
        assert!(keep(DeployKind::Nodes, &old, &new, &[]).is_empty());
    }

    /// A change inside a subflow definition is a change of every instance of
    /// it, and of the instances of definitions that contain one.
    #[test]
    fn a_definition_change_restarts_every_instance() {
        let flow = |func: &str| {
            json!([
                {"id": "t1", "type": "tab"},
                {"id": "s", "type": "subflow", "name": "s", "in": [], "out": []},
                {"id": "f", "type": "function", "z": "s", "x": 1, "y": 1, "func": func, "wires": [[]]},
                {"id": "o", "type": "subflow", "name": "o", "in": [], "out": []},
                {"id": "oi", "type": "subflow:s", "z": "o", "x": 1, "y": 1, "wires": [[]]},
                {"id": "i1", "type": "subflow:s", "z": "t1", "x": 1, "y": 1, "wires": [[]]},
                {"id": "i2", "type": "subflow:o", "z": "t1", "x": 1, "y": 2, "wires": [[]]},
                {"id": "n", "type": "debug", "z": "t1", "x": 1, "y": 3, "wires": []}
            ])
        };
        assert_eq!(
            keep(DeployKind::Nodes, &flow("1"), &flow("2"), &[]),
            vec!["n"]
        );
    }
}
