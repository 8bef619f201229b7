//! The wiring of a flow as a petgraph graph: one vertex per running node, one
//! edge per wire, weighted by the output port it leaves from.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// The graph of a deployment. Vertex weights are indexes into the
/// deployment's node table, edge weights are output port numbers.
pub type FlowGraph = DiGraph<usize, usize>;

/// Build the graph from each node's per-port target lists.
pub fn build(ports: &[Vec<Vec<usize>>]) -> FlowGraph {
    let edges: usize = ports.iter().flatten().map(Vec::len).sum();
    let mut g = FlowGraph::with_capacity(ports.len(), edges);
    for i in 0..ports.len() {
        g.add_node(i);
    }
    for (from, node_ports) in ports.iter().enumerate() {
        for (port, targets) in node_ports.iter().enumerate() {
            for &to in targets {
                g.add_edge(NodeIndex::new(from), NodeIndex::new(to), port);
            }
        }
    }
    g
}

/// Every cycle in the graph, as the node indexes on it (sorted), so the loader
/// can name them all. A node wired to itself is a cycle of one.
pub fn cycles(g: &FlowGraph) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = tarjan_scc(g)
        .into_iter()
        .filter(|scc| scc.len() > 1 || g.contains_edge(scc[0], scc[0]))
        .map(|scc| {
            let mut v: Vec<usize> = scc.into_iter().map(|n| g[n]).collect();
            v.sort_unstable();
            v
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles_and_self_loops() {
        // 0 -> 1 -> 2 -> 0, 3 -> 3, 4 -> 0
        let ports = vec![
            vec![vec![1]],
            vec![vec![2]],
            vec![vec![0]],
            vec![vec![3]],
            vec![vec![0]],
        ];
        let g = build(&ports);
        assert_eq!(cycles(&g), vec![vec![0, 1, 2], vec![3]]);
    }

    #[test]
    fn a_dag_has_no_cycles() {
        let ports = vec![vec![vec![1, 2]], vec![vec![2]], vec![]];
        assert!(cycles(&build(&ports)).is_empty());
    }
}
