//! The wiring of a flow as a petgraph graph: one vertex per running node, one
//! edge per wire (and per `link out` → `link in` virtual wire), weighted by
//! the output port it leaves from.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// The graph of a deployment. Vertex weights are indexes into the
/// deployment's node table, edge weights are output port numbers.
pub type FlowGraph = DiGraph<usize, usize>;

/// Build the graph from each node's per-port target lists and the targets it
/// sends to by id (`link out`'s `link in` nodes, drawn as leaving port 0), so
/// a loop closed by a link is a loop of the graph too.
pub fn build(ports: &[Vec<Vec<usize>>], links: &[Vec<usize>]) -> FlowGraph {
    let edges: usize = ports.iter().flatten().map(Vec::len).sum::<usize>()
        + links.iter().map(Vec::len).sum::<usize>();
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
    for (from, targets) in links.iter().enumerate() {
        for &to in targets {
            g.add_edge(NodeIndex::new(from), NodeIndex::new(to), 0);
        }
    }
    g
}

/// Every loop in the graph: its strongly connected components that can carry
/// a message back to where it was, as the node indexes in them (sorted), in
/// a stable order. A node wired to itself is a loop of one.
pub fn loops(g: &FlowGraph) -> Vec<Vec<usize>> {
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
    fn finds_loops_and_self_loops() {
        // 0 -> 1 -> 2 -> 0, 3 -> 3, 4 -> 0
        let ports = vec![
            vec![vec![1]],
            vec![vec![2]],
            vec![vec![0]],
            vec![vec![3]],
            vec![vec![0]],
        ];
        let g = build(&ports, &vec![Vec::new(); 5]);
        assert_eq!(loops(&g), vec![vec![0, 1, 2], vec![3]]);
    }

    #[test]
    fn a_dag_has_no_loops() {
        let ports = vec![vec![vec![1, 2]], vec![vec![2]], vec![]];
        assert!(loops(&build(&ports, &[vec![], vec![], vec![]])).is_empty());
    }

    #[test]
    fn a_link_closes_a_loop() {
        // 0 (link in) -> 1 -> 2 (link out) ~> 0
        let ports = vec![vec![vec![1]], vec![vec![2]], vec![]];
        let links = vec![vec![], vec![], vec![0]];
        assert_eq!(loops(&build(&ports, &links)), vec![vec![0, 1, 2]]);
    }
}
