//! Shared by the integration tests: graphs from edge lists, named so that name order is
//! index order.

#![allow(dead_code)]

use corridor_graph::*;

pub fn name(i: usize) -> String {
    format!("n{i:06}")
}

/// A graph of `n` nodes from (u, v, weight) triples; edge `i` gets record `r{i}` repeated
/// `weight` times with distinct suffixes.
pub fn build(n: usize, edges: &[(usize, usize, u32)]) -> Graph {
    build_typed(
        n,
        &edges
            .iter()
            .map(|&(u, v, w)| (u, v, w, EdgeType::Called, 0.0))
            .collect::<Vec<_>>(),
    )
}

pub fn build_typed(n: usize, edges: &[(usize, usize, u32, EdgeType, f64)]) -> Graph {
    let ids: Vec<usize> = (0..edges.len()).collect();
    build_ids(n, edges, &ids)
}

/// As `build_typed`, edge `k`'s records named after `ids[k]`.
pub fn build_ids(n: usize, edges: &[(usize, usize, u32, EdgeType, f64)], ids: &[usize]) -> Graph {
    let mut b = GraphBuilder::new();
    for i in 0..n {
        b.node(&name(i), NodeKind::Person).expect("node");
    }
    for (&i, &(u, v, w, t, amount)) in ids.iter().zip(edges) {
        let names: Vec<String> = (0..w).map(|j| format!("r{i}.{j}")).collect();
        let per = amount / f64::from(w.max(1));
        let recs: Vec<(&str, f64)> = names.iter().map(|s| (s.as_str(), per)).collect();
        let (su, sv) = (b.get(&name(u)).expect("u"), b.get(&name(v)).expect("v"));
        b.add_edge(&EdgeInput {
            source: su,
            target: sv,
            kind: t,
            weight: w,
            interval: Interval::ALL,
            records: &recs,
            amount: 0.0,
        })
        .expect("edge");
    }
    b.build().expect("build")
}
