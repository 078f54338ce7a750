//! Weighted PageRank on the undirected link graph.
//!
//! Each undirected edge is a pair of opposite links; a walker at `u` follows an edge with
//! probability proportional to its (visible) weight, and with probability `1 − damping` (or
//! always, from a node with no edge) jumps to a uniformly chosen node of the view. The result
//! is the walk's stationary distribution over the view's nodes (it sums to 1), the definition
//! networkx's `pagerank` uses.

use rayon::prelude::*;

use crate::graph::NodeId;
use crate::view::{Links, View};

/// PageRank's settings.
#[derive(Clone, Copy, Debug)]
pub struct PageRankConfig {
    /// Probability of following an edge rather than jumping (0.85 in the literature).
    pub damping: f64,
    /// Stop when the L1 change of an iteration falls below `nodes_n × tolerance_per_node`.
    pub tolerance_per_node: f64,
    /// Stop after this many iterations even if not converged.
    pub iterations_max: u32,
}

impl Default for PageRankConfig {
    fn default() -> Self {
        PageRankConfig {
            damping: 0.85,
            tolerance_per_node: 1e-10,
            iterations_max: 200,
        }
    }
}

/// PageRank's result.
#[derive(Clone, Debug)]
pub struct PageRank {
    /// Score of each node id (0 outside the view).
    pub score: Vec<f64>,
    /// Iterations run.
    pub iterations: u32,
    /// Whether the tolerance was reached.
    pub converged: bool,
}

/// Power iteration, pulled per node (each node sums its neighbours' shares), so the nodes of
/// one iteration are independent and split across threads without locks. It runs over the
/// view's links renumbered in breadth-first order, so that the shares a node pulls are mostly
/// near each other in memory.
pub fn pagerank(view: &View<'_>, cfg: &PageRankConfig) -> PageRank {
    assert!(
        (0.0..1.0).contains(&cfg.damping),
        "damping must be in [0, 1)"
    );
    let n_ids = view.id_bound();
    let n = view.nodes_n();
    if n == 0 {
        return PageRank {
            score: vec![0.0; n_ids],
            iterations: 0,
            converged: true,
        };
    }
    let nf = n as f64;
    let (links, order) = Links::of_bfs_order(view);
    let inside: Vec<bool> = order.iter().map(|&v| view.contains(v)).collect();
    let strength: Vec<f64> = (0..n_ids as NodeId)
        .into_par_iter()
        .map(|i| links.weighted(i).1.iter().map(|&w| f64::from(w)).sum())
        .collect();
    let mut x: Vec<f64> = inside
        .iter()
        .map(|&b| if b { 1.0 / nf } else { 0.0 })
        .collect();
    let mut share = vec![0.0; n_ids];
    let mut next = vec![0.0; n_ids];
    let d = cfg.damping;
    let mut iterations = 0;
    let mut converged = false;
    while iterations < cfg.iterations_max {
        iterations += 1;
        share
            .par_iter_mut()
            .zip(x.par_iter().zip(strength.par_iter()))
            .for_each(|(s, (&xv, &k))| *s = if k > 0.0 { xv / k } else { 0.0 });
        let dangling: f64 = (0..n_ids)
            .into_par_iter()
            .filter(|&i| inside[i] && strength[i] == 0.0)
            .map(|i| x[i])
            .sum();
        let base = (1.0 - d) / nf + d * dangling / nf;
        next.par_iter_mut()
            .enumerate()
            .with_min_len(1024)
            .for_each(|(i, out)| {
                if !inside[i] {
                    *out = 0.0;
                    return;
                }
                let (ts, ws) = links.weighted(i as NodeId);
                let pulled: f64 = ts
                    .iter()
                    .zip(ws)
                    .map(|(&u, &w)| share[u as usize] * f64::from(w))
                    .sum();
                *out = base + d * pulled;
            });
        let change: f64 = next
            .par_iter()
            .zip(x.par_iter())
            .map(|(a, b)| (a - b).abs())
            .sum();
        std::mem::swap(&mut x, &mut next);
        if change < nf * cfg.tolerance_per_node {
            converged = true;
            break;
        }
    }
    let mut score = vec![0.0; n_ids];
    for (i, &v) in order.iter().enumerate() {
        score[v as usize] = x[i];
    }
    PageRank {
        score,
        iterations,
        converged,
    }
}
