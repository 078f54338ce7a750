//! Disruption: which `k` nodes, removed, break a network up most, or cut its money most.
//!
//! **Fragmentation** (Borgatti's key-player measure): for a network of `n` nodes with the set
//! `S` removed, `F(S) = 1 − Σ_i s_i (s_i − 1) / (n (n − 1))` over the components `i` of what is
//! left, of sizes `s_i`; removed nodes count as isolates (they contribute 0), so `n` stays the
//! network's size. `F = 0` for a connected network, 1 when no two nodes are still connected.
//!
//! **Money** `M(S)`: the total amount on Payment edges (as the viewer sees them) inside the
//! one remaining component that carries most; removing a broker who joins payers to
//! collectors leaves each side with only its own payments. This is "the most money any one
//! remaining piece of the network can still move among its members".
//!
//! Both are chosen greedily, one node per round.
//! - Fragmentation: every candidate's exact gain comes from one depth-first pass
//!   (articulation points and the sizes of the pieces each would leave), `O(n + m)` a round,
//!   so no candidate is skipped and no bound is needed.
//! - Money: lazy greedy. A candidate's last computed gain sits in a max-heap; the top is
//!   recomputed (one breadth-first pass) and taken if it still beats the next stale value.
//!   `M` is not submodular, so a stale value is not a proven upper bound: the lazy rule can
//!   miss a candidate whose gain grew, the usual price of this heuristic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::graph::{EdgeType, NodeId};
use crate::view::View;

/// A network larger than this is refused by [`disrupt`] for the money objective: its first
/// round costs one breadth-first pass per node.
pub const MONEY_NODES_MAX: usize = 50_000;
/// Removals asked for at most.
pub const REMOVALS_MAX: usize = 1000;

/// What to disrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    /// Raise fragmentation `F` most.
    Fragmentation,
    /// Lower money `M` most.
    Money,
}

/// One round of the greedy choice.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Removal {
    /// The node removed.
    pub node: NodeId,
    /// Fragmentation after this and the earlier removals.
    pub fragmentation: f64,
    /// Money after this and the earlier removals.
    pub money: f64,
    /// Components of the rest after this and the earlier removals.
    pub components_n: usize,
    /// Largest component after this and the earlier removals.
    pub largest_n: usize,
}

/// The greedy choice and the figures before and after.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Disruption {
    /// Nodes in the network.
    pub nodes_n: usize,
    /// Fragmentation before any removal.
    pub fragmentation_before: f64,
    /// Money before any removal.
    pub money_before: f64,
    /// Components before (1 for a connected network).
    pub components_before: usize,
    /// Largest component before.
    pub largest_before: usize,
    /// The removals, in the order chosen.
    pub removals: Vec<Removal>,
}

/// Errors of [`disrupt`].
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DisruptError {
    /// The network is larger than the objective allows.
    #[error("network of {nodes_n} nodes is over the limit of {limit} for this objective")]
    TooLarge {
        /// Nodes in the network.
        nodes_n: usize,
        /// The limit.
        limit: usize,
    },
    /// `k` over [`REMOVALS_MAX`].
    #[error("k = {0} is over the limit of {REMOVALS_MAX}")]
    TooManyRemovals(usize),
}

/// The network as a small simple graph, indexed `0..n`.
struct Local {
    adj: Vec<Vec<(u32, f64)>>,
}

impl Local {
    fn new(view: &View<'_>, network: &[NodeId]) -> Local {
        let mut index = std::collections::HashMap::new();
        for (i, &v) in network.iter().enumerate() {
            index.insert(v, i as u32);
        }
        let g = view.graph();
        let adj = network
            .iter()
            .map(|&v| {
                let mut out: Vec<(u32, f64)> = Vec::new();
                for (w, e) in view.neighbors(v) {
                    let Some(&j) = index.get(&w) else { continue };
                    let money = if g.edge(e).kind == EdgeType::Paid {
                        view.amount(e)
                    } else {
                        0.0
                    };
                    match out.last_mut() {
                        Some((last, m)) if *last == j => *m += money,
                        _ => out.push((j, money)),
                    }
                }
                out
            })
            .collect();
        Local { adj }
    }

    fn n(&self) -> usize {
        self.adj.len()
    }

    /// Components of the alive nodes: (Σ s(s−1), count, largest, most money in one).
    fn figures(&self, alive: &[bool]) -> (f64, usize, usize, f64) {
        let n = self.n();
        let mut seen = vec![false; n];
        let mut pairs = 0.0;
        let (mut count, mut largest, mut money_max) = (0, 0, 0.0f64);
        let mut stack = Vec::new();
        for s in 0..n {
            if !alive[s] || seen[s] {
                continue;
            }
            seen[s] = true;
            stack.push(s as u32);
            let (mut size, mut money2) = (0usize, 0.0);
            while let Some(v) = stack.pop() {
                size += 1;
                for &(w, m) in &self.adj[v as usize] {
                    if alive[w as usize] {
                        money2 += m; // each edge twice
                        if !seen[w as usize] {
                            seen[w as usize] = true;
                            stack.push(w);
                        }
                    }
                }
            }
            count += 1;
            largest = largest.max(size);
            money_max = money_max.max(money2 / 2.0);
            pairs += (size * (size - 1)) as f64;
        }
        (pairs, count, largest, money_max)
    }

    /// For every alive node, Σ s(s−1) over the components left if it alone were also removed
    /// (`f64::INFINITY` for dead nodes), from one iterative depth-first pass (Tarjan's low
    /// points: a child subtree whose low point does not reach above `v` is cut off by `v`).
    fn pairs_without_each(&self, alive: &[bool]) -> Vec<f64> {
        let n = self.n();
        let mut disc = vec![u32::MAX; n];
        let mut low = vec![0u32; n];
        let mut sub = vec![0usize; n];
        // Σ s(s−1) of the pieces cut off below v, and their total size.
        let mut cut_pairs = vec![0.0; n];
        let mut cut_size = vec![0usize; n];
        let mut out = vec![f64::INFINITY; n];
        let mut time = 0u32;
        let mut comp_nodes: Vec<u32> = Vec::new();
        let mut stack: Vec<(u32, u32, usize)> = Vec::new(); // (node, parent, next link)
        let mut pairs_total = 0.0;
        let mut comp_of: Vec<(usize, f64)> = Vec::new(); // per component: (size, its pairs)
        let mut comp_id = vec![usize::MAX; n];
        for root in 0..n {
            if !alive[root] || disc[root] != u32::MAX {
                continue;
            }
            comp_nodes.clear();
            disc[root] = time;
            low[root] = time;
            time += 1;
            stack.push((root as u32, u32::MAX, 0));
            comp_nodes.push(root as u32);
            while let Some(&mut (v, parent, ref mut next)) = stack.last_mut() {
                let vi = v as usize;
                if *next < self.adj[vi].len() {
                    let (w, _) = self.adj[vi][*next];
                    *next += 1;
                    let wi = w as usize;
                    if !alive[wi] || w == parent {
                        continue;
                    }
                    if disc[wi] == u32::MAX {
                        disc[wi] = time;
                        low[wi] = time;
                        time += 1;
                        comp_nodes.push(w);
                        stack.push((w, v, 0));
                    } else {
                        low[vi] = low[vi].min(disc[wi]);
                    }
                } else {
                    stack.pop();
                    sub[vi] += 1;
                    if let Some(&(p, _, _)) = stack.last() {
                        let pi = p as usize;
                        sub[pi] += sub[vi];
                        low[pi] = low[pi].min(low[vi]);
                        if low[vi] >= disc[pi] {
                            let s = sub[vi] as f64;
                            cut_pairs[pi] += s * (s - 1.0);
                            cut_size[pi] += sub[vi];
                        }
                    }
                }
            }
            let size = comp_nodes.len();
            let cid = comp_of.len();
            comp_of.push((size, (size * (size - 1)) as f64));
            pairs_total += (size * (size - 1)) as f64;
            for &v in &comp_nodes {
                comp_id[v as usize] = cid;
            }
        }
        for v in 0..n {
            if !alive[v] {
                continue;
            }
            let (size, pairs) = comp_of[comp_id[v]];
            let rest = (size - 1 - cut_size[v]) as f64;
            out[v] = pairs_total - pairs + cut_pairs[v] + rest * (rest - 1.0).max(0.0);
        }
        out
    }

    /// Most money in one component if `v` were also removed.
    fn money_without(&self, alive: &mut [bool], v: usize) -> f64 {
        alive[v] = false;
        let m = self.figures(alive).3;
        alive[v] = true;
        m
    }
}

#[derive(PartialEq)]
struct Cand(f64, u32);
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cand {
    fn cmp(&self, o: &Self) -> Ordering {
        // Larger gain first, then smaller node index.
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

/// Chooses `k` nodes of `network` (a node set, e.g. one of [`crate::networks`]) to remove,
/// greedily for `objective`, and reports both measures before and after each removal.
pub fn disrupt(
    view: &View<'_>,
    network: &[NodeId],
    k: usize,
    objective: Objective,
) -> Result<Disruption, DisruptError> {
    if k > REMOVALS_MAX {
        return Err(DisruptError::TooManyRemovals(k));
    }
    let mut network: Vec<NodeId> = network
        .iter()
        .copied()
        .filter(|&v| view.contains(v))
        .collect();
    network.sort_unstable();
    network.dedup();
    let n = network.len();
    if objective == Objective::Money && n > MONEY_NODES_MAX {
        return Err(DisruptError::TooLarge {
            nodes_n: n,
            limit: MONEY_NODES_MAX,
        });
    }
    let local = Local::new(view, &network);
    let denom = if n > 1 { (n * (n - 1)) as f64 } else { 1.0 };
    let mut alive = vec![true; n];
    let (pairs0, comps0, largest0, money0) = local.figures(&alive);
    let mut result = Disruption {
        nodes_n: n,
        fragmentation_before: 1.0 - pairs0 / denom,
        money_before: money0,
        components_before: comps0,
        largest_before: largest0,
        removals: Vec::new(),
    };
    let mut heap: BinaryHeap<Cand> = BinaryHeap::new();
    if objective == Objective::Money {
        for v in 0..n {
            let gain = money0 - local.money_without(&mut alive, v);
            heap.push(Cand(gain, v as u32));
        }
    }
    let mut money_now = money0;
    for _ in 0..k.min(n) {
        let pick = match objective {
            Objective::Fragmentation => {
                let after = local.pairs_without_each(&alive);
                // Fewest remaining pairs; ties to the smaller index.
                (0..n)
                    .filter(|&v| alive[v])
                    .min_by(|&a, &b| after[a].total_cmp(&after[b]).then(a.cmp(&b)))
            }
            Objective::Money => loop {
                let Some(Cand(_, v)) = heap.pop() else {
                    break None;
                };
                let vi = v as usize;
                if !alive[vi] {
                    continue;
                }
                let gain = money_now - local.money_without(&mut alive, vi);
                match heap.peek() {
                    Some(next) if Cand(gain, v) < *next => heap.push(Cand(gain, v)),
                    _ => break Some(vi),
                }
            },
        };
        let Some(v) = pick else { break };
        alive[v] = false;
        let (pairs, comps, largest, money) = local.figures(&alive);
        money_now = money;
        result.removals.push(Removal {
            node: network[v],
            fragmentation: 1.0 - pairs / denom,
            money,
            components_n: comps,
            largest_n: largest,
        });
    }
    Ok(result)
}
