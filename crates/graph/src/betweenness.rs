//! Betweenness centrality (Brandes 2001), exact or from a sample of sources.
//!
//! Paths are counted in hops: the link graph's weights say how often a link was recorded, not
//! how long it is, so they do not make a path shorter. Parallel edges (two types between the
//! same pair) count as one link: a path is a sequence of nodes.
//!
//! **Sampling and its error bound.** With `k` sources drawn uniformly without replacement, each
//! source `s` gives every node `v` a dependency `δ_s(v) ∈ [0, n − 2]`. The estimate
//! `b̂(v) = (n / k) Σ_s δ_s(v) / ((n − 1)(n − 2))` is unbiased for the normalised betweenness
//! `b(v)`, and `b̂(v)(n − 1)/n` is a mean of `k` values in `[0, 1]`. Hoeffding's inequality
//! (which holds for sampling without replacement) and a union bound over the `n` nodes give:
//! if `k ≥ ln(2n / δ) / (2 ε'²)` with `ε' = ε (n − 1) / n`, then with probability at least
//! `1 − δ` every node's estimate is within `ε` of its normalised betweenness at once.
//! [`sample_size`] computes that `k`; when `k ≥ n` the kernel is exact.

use rayon::prelude::*;

use crate::graph::NodeId;
use crate::rng::Rng;
use crate::view::{Links, View};

/// How to compute betweenness.
#[derive(Clone, Copy, Debug)]
pub enum BetweennessMode {
    /// Every node a source.
    Exact,
    /// `sources` sources, drawn with `seed`.
    Sampled {
        /// Number of sources (clamped to the view's nodes; all of them means exact).
        sources: usize,
        /// Seed of the draw.
        seed: u64,
    },
}

/// Betweenness's result.
#[derive(Clone, Debug)]
pub struct Betweenness {
    /// Pairs `{s, t}` whose shortest paths pass through each node, weighted by the share of
    /// those paths through it (networkx's `normalized=False` figure); an estimate if sampled.
    pub raw: Vec<f64>,
    /// `raw` over the number of pairs not involving the node, `(n − 1)(n − 2) / 2`.
    pub normalized: Vec<f64>,
    /// Sources used.
    pub sources_n: usize,
    /// Whether every node was a source.
    pub exact: bool,
}

/// Sources needed for every node's normalised estimate to be within `epsilon` of the truth
/// with probability at least `1 − delta`, on a view of `nodes_n` nodes (see the module docs).
pub fn sample_size(epsilon: f64, delta: f64, nodes_n: usize) -> usize {
    assert!(
        epsilon > 0.0 && delta > 0.0 && delta < 1.0,
        "need ε > 0 and 0 < δ < 1"
    );
    if nodes_n < 3 {
        return nodes_n;
    }
    let n = nodes_n as f64;
    let eps = epsilon * (n - 1.0) / n;
    let k = ((2.0 * n / delta).ln() / (2.0 * eps * eps)).ceil();
    (k as usize).min(nodes_n)
}

/// The additive error bound (on normalised betweenness) that `sources` sources give with
/// probability `1 − delta`: the inverse of [`sample_size`].
pub fn error_bound(sources: usize, delta: f64, nodes_n: usize) -> f64 {
    if sources >= nodes_n || nodes_n < 3 {
        return 0.0;
    }
    let n = nodes_n as f64;
    ((2.0 * n / delta).ln() / (2.0 * sources as f64)).sqrt() * n / (n - 1.0)
}

/// Per-node state of one source's pass, kept together so that looking at a neighbour touches
/// one cache line rather than three arrays.
#[derive(Clone, Copy)]
struct Slot {
    sigma: f64,
    delta: f64,
    dist: i32,
}

const UNSEEN: Slot = Slot {
    sigma: 0.0,
    delta: 0.0,
    dist: -1,
};

struct Scratch {
    slot: Vec<Slot>,
    order: Vec<NodeId>,
    acc: Vec<f64>,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            slot: vec![UNSEEN; n],
            order: Vec::new(),
            acc: vec![0.0; n],
        }
    }

    /// One source's shortest-path DAG (breadth first) and dependencies, added to `acc`. The
    /// successors are found again by scanning adjacency on the way back (`dist` one more),
    /// which saves storing predecessor lists.
    fn source(&mut self, links: &Links, s: NodeId) {
        let Scratch { slot, order, acc } = self;
        order.clear();
        slot[s as usize] = Slot {
            sigma: 1.0,
            delta: 0.0,
            dist: 0,
        };
        order.push(s);
        let mut head = 0;
        while head < order.len() {
            let v = order[head];
            head += 1;
            let Slot {
                sigma: sv,
                dist: dv,
                ..
            } = slot[v as usize];
            for &w in links.of_node(v) {
                let x = &mut slot[w as usize];
                if x.dist < 0 {
                    x.dist = dv + 1;
                    x.sigma = sv;
                    order.push(w);
                } else if x.dist == dv + 1 {
                    x.sigma += sv;
                }
            }
        }
        for &w in order.iter().rev() {
            let wi = w as usize;
            let dw = slot[wi].dist;
            // Pull from successors: δ(w) = σ(w) Σ (1 + δ(x)) / σ(x) over x one hop further.
            let mut sum = 0.0;
            for &x in links.of_node(w) {
                let sx = &slot[x as usize];
                if sx.dist == dw + 1 {
                    sum += (1.0 + sx.delta) / sx.sigma;
                }
            }
            let d = slot[wi].sigma * sum;
            slot[wi].delta = d;
            if w != s {
                acc[wi] += d;
            }
        }
        for &w in order.iter() {
            slot[w as usize] = UNSEEN;
        }
    }
}

/// Betweenness of every node of the view. Sources are split across threads, each with its own
/// scratch arrays; their sums are added in a fixed order, so the result does not depend on
/// the thread count beyond floating-point rounding of that sum.
pub fn betweenness(view: &View<'_>, mode: BetweennessMode) -> Betweenness {
    let n_ids = view.id_bound();
    let nodes: Vec<NodeId> = view.nodes().collect();
    let n = nodes.len();
    let sources: Vec<NodeId> = match mode {
        BetweennessMode::Sampled { sources, seed } if sources < n => {
            let mut pool = nodes.clone();
            let mut rng = Rng::new(seed, "betweenness sources");
            // Partial Fisher–Yates: the first `sources` entries are a uniform sample.
            for i in 0..sources {
                let j = i + rng.below(n - i);
                pool.swap(i, j);
            }
            pool.truncate(sources);
            pool.sort_unstable();
            pool
        }
        _ => nodes.clone(),
    };
    let exact = sources.len() == n;
    let (links, order) = Links::of_bfs_order(view);
    let mut rank = vec![0 as NodeId; n_ids];
    for (new, &old) in order.iter().enumerate() {
        rank[old as usize] = new as NodeId;
    }
    let sources: Vec<NodeId> = sources.iter().map(|&s| rank[s as usize]).collect();
    // Fixed-size chunks, summed in chunk order: deterministic for a given input.
    let chunk = (sources.len() / (4 * rayon::current_num_threads()).max(1)).clamp(1, 4096);
    let partials: Vec<Vec<f64>> = sources
        .par_chunks(chunk)
        .map(|ss| {
            let mut scratch = Scratch::new(n_ids);
            for &s in ss {
                scratch.source(&links, s);
            }
            scratch.acc
        })
        .collect();
    let mut total_new = vec![0.0; n_ids];
    for p in &partials {
        total_new.iter_mut().zip(p).for_each(|(t, x)| *t += x);
    }
    let mut total = vec![0.0; n_ids];
    for (new, &old) in order.iter().enumerate() {
        total[old as usize] = total_new[new];
    }
    // Each unordered pair was counted from both ends (when both are sources): halve; scale a
    // sample up to all n sources.
    let scale = 0.5
        * if exact {
            1.0
        } else {
            n as f64 / sources.len().max(1) as f64
        };
    let raw: Vec<f64> = total.iter().map(|t| t * scale).collect();
    let pairs = if n > 2 {
        ((n - 1) * (n - 2)) as f64 / 2.0
    } else {
        1.0
    };
    let normalized = raw.iter().map(|r| r / pairs).collect();
    Betweenness {
        raw,
        normalized,
        sources_n: sources.len(),
        exact,
    }
}
