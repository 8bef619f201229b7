//! The order in which Node-RED starts nodes, which is the order its `http
//! in` nodes register their Express routes, and so which of two overlapping
//! routes answers.
//!
//! Node-RED keeps tabs, and each tab's nodes, as JavaScript object
//! properties keyed by id, filled in the flow file's order, and starts them
//! with `for…in`: tab by tab, each tab's nodes in turn. JavaScript lists an
//! object's integer-like keys first, ascending, then the others in insertion
//! order; ids such as `"1"` and `"2"` (hand-written flows) therefore come
//! before generated ones wherever they sit in the file.

use std::collections::HashMap;

use crate::model::NodeConfig;

/// Where one key sits in JavaScript's own-property order: array indices
/// (canonical decimal numbers below 2³²−1) by value, then the rest by
/// insertion position.
fn js_rank(key: &str, position: usize) -> (u8, u64) {
    let canonical = !key.is_empty()
        && key.bytes().all(|b| b.is_ascii_digit())
        && (key == "0" || !key.starts_with('0'));
    match key.parse::<u64>() {
        Ok(v) if canonical && v < u64::from(u32::MAX) => (0, v),
        _ => (1, position as u64),
    }
}

/// The indices of `keys` (in insertion order) in the order JavaScript lists
/// them as an object's properties.
pub fn js_key_order<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let mut ranked: Vec<((u8, u64), usize)> =
        keys.enumerate().map(|(i, k)| (js_rank(k, i), i)).collect();
    ranked.sort();
    ranked.into_iter().map(|(_, i)| i).collect()
}

/// Node-RED's start order over a flow file's nodes.
pub struct StartOrder<'a> {
    tabs: HashMap<&'a str, (u8, u64)>,
    positions: HashMap<&'a str, usize>,
}

impl<'a> StartOrder<'a> {
    /// The order for the nodes of one flow file, given in file order.
    pub fn of(nodes: &'a [NodeConfig]) -> StartOrder<'a> {
        let mut tabs = HashMap::new();
        for (i, n) in nodes.iter().filter(|n| n.node_type == "tab").enumerate() {
            tabs.entry(n.id.as_str())
                .or_insert_with(|| js_rank(&n.id, i));
        }
        let mut positions = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            positions.entry(n.id.as_str()).or_insert(i);
        }
        StartOrder { tabs, positions }
    }

    /// A key that sorts nodes in start order: their tab's place, then their
    /// own place among the tab's nodes; nodes outside any tab come last.
    pub fn key(&self, node: &NodeConfig) -> ((u8, u64), (u8, u64)) {
        let position = self
            .positions
            .get(node.id.as_str())
            .copied()
            .unwrap_or(usize::MAX);
        let tab = node
            .z
            .as_deref()
            .and_then(|z| self.tabs.get(z))
            .copied()
            .unwrap_or((2, 0));
        (tab, js_rank(&node.id, position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_first_then_insertion_order() {
        let keys = ["b", "10", "a", "2", "01", "4294967295", "0"];
        let order: Vec<&str> = js_key_order(keys.iter().copied())
            .into_iter()
            .map(|i| keys[i])
            .collect();
        assert_eq!(order, ["0", "2", "10", "b", "a", "01", "4294967295"]);
    }
}
