//! "How is A connected to B, through what, since when": shortest paths, k shortest paths,
//! ego networks and degree by edge type. Apply type and time filters with
//! [`crate::View::filtered`] first; the kernels here count hops.

use std::collections::{BTreeSet, HashSet};

use crate::graph::{Day, EdgeId, EdgeType, NodeId};
use crate::view::View;

/// Paths returned by [`k_shortest_paths`] at most.
pub const PATHS_MAX: usize = 1000;

/// A path between two nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    /// The nodes, from the first to the last.
    pub nodes: Vec<NodeId>,
    /// For each hop, every edge of the view between its two nodes (a hop may be both a call
    /// and a payment).
    pub hops: Vec<Vec<EdgeId>>,
    /// The day since which every hop has been recorded: the latest of the hops' first days.
    pub since: Day,
}

impl Path {
    /// Hops.
    pub fn len(&self) -> usize {
        self.nodes.len().saturating_sub(1)
    }

    /// Whether the path is a single node.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn hop_edges(view: &View<'_>, a: NodeId, b: NodeId) -> Vec<EdgeId> {
    view.neighbors(a)
        .filter(|&(w, _)| w == b)
        .map(|(_, e)| e)
        .collect()
}

fn make_path(view: &View<'_>, nodes: Vec<NodeId>) -> Path {
    let g = view.graph();
    let hops: Vec<Vec<EdgeId>> = nodes
        .windows(2)
        .map(|w| hop_edges(view, w[0], w[1]))
        .collect();
    let since = hops
        .iter()
        .map(|es| {
            es.iter()
                .map(|&e| g.edge(e).interval.from)
                .min()
                .unwrap_or(Day::MIN)
        })
        .max()
        .unwrap_or(Day::MIN);
    Path { nodes, hops, since }
}

/// Breadth-first search from `s` to `t` avoiding banned nodes and banned links; the path found
/// takes, at each node, the lowest-numbered neighbour first, so it is deterministic.
fn bfs_path(
    view: &View<'_>,
    s: NodeId,
    t: NodeId,
    banned_nodes: &HashSet<NodeId>,
    banned_links: &HashSet<(NodeId, NodeId)>,
) -> Option<Vec<NodeId>> {
    if !view.contains(s) || !view.contains(t) || banned_nodes.contains(&s) {
        return None;
    }
    let mut parent: std::collections::HashMap<NodeId, NodeId> = Default::default();
    parent.insert(s, s);
    let mut queue = std::collections::VecDeque::from([s]);
    while let Some(v) = queue.pop_front() {
        if v == t {
            let mut path = vec![t];
            let mut x = t;
            while x != s {
                x = parent[&x];
                path.push(x);
            }
            path.reverse();
            return Some(path);
        }
        for (w, _) in view.neighbors(v) {
            if parent.contains_key(&w) || banned_nodes.contains(&w) {
                continue;
            }
            if banned_links.contains(&(v, w)) {
                continue;
            }
            parent.insert(w, v);
            queue.push_back(w);
        }
    }
    None
}

/// A shortest path (fewest hops) from `a` to `b`, if they are connected in the view.
pub fn shortest_path(view: &View<'_>, a: NodeId, b: NodeId) -> Option<Path> {
    bfs_path(view, a, b, &HashSet::new(), &HashSet::new()).map(|p| make_path(view, p))
}

/// Hop distances from `s` to every node (`u32::MAX`: unreachable or outside the view).
pub fn hop_distances(view: &View<'_>, s: NodeId) -> Vec<u32> {
    let mut dist = vec![u32::MAX; view.id_bound()];
    if !view.contains(s) {
        return dist;
    }
    dist[s as usize] = 0;
    let mut queue = std::collections::VecDeque::from([s]);
    while let Some(v) = queue.pop_front() {
        for (w, _) in view.neighbors(v) {
            if dist[w as usize] == u32::MAX {
                dist[w as usize] = dist[v as usize] + 1;
                queue.push_back(w);
            }
        }
    }
    dist
}

/// The `k` shortest loopless paths from `a` to `b`, shortest first (Yen 1971). Paths of equal
/// length come in order of their node sequences, so the answer is deterministic.
pub fn k_shortest_paths(view: &View<'_>, a: NodeId, b: NodeId, k: usize) -> Vec<Path> {
    let k = k.min(PATHS_MAX);
    let mut found: Vec<Vec<NodeId>> = Vec::new();
    let Some(first) = bfs_path(view, a, b, &HashSet::new(), &HashSet::new()) else {
        return Vec::new();
    };
    found.push(first);
    let mut candidates: BTreeSet<(usize, Vec<NodeId>)> = BTreeSet::new();
    while found.len() < k {
        let last = found.last().cloned().unwrap_or_default();
        for i in 0..last.len().saturating_sub(1) {
            let spur = last[i];
            let root = &last[..=i];
            let mut banned_links = HashSet::new();
            for p in &found {
                if p.len() > i && p[..=i] == *root {
                    banned_links.insert((p[i], p[i + 1]));
                }
            }
            let banned_nodes: HashSet<NodeId> = root[..i].iter().copied().collect();
            if let Some(spur_path) = bfs_path(view, spur, b, &banned_nodes, &banned_links) {
                let mut total = root[..i].to_vec();
                total.extend(spur_path);
                if !found.contains(&total) {
                    candidates.insert((total.len(), total));
                }
            }
        }
        match candidates.pop_first() {
            Some((_, p)) => found.push(p),
            None => break,
        }
    }
    found.into_iter().map(|p| make_path(view, p)).collect()
}

/// An ego network: the nodes within some hops of a centre, and the view's edges among them.
#[derive(Clone, Debug)]
pub struct Ego {
    /// (node, hops from the centre), in order of hops then id.
    pub nodes: Vec<(NodeId, u32)>,
    /// Edges of the view with both ends in `nodes`, in id order.
    pub edges: Vec<EdgeId>,
}

/// The nodes within `hops` of `centre` and the edges among them (restrict the time window
/// with [`View::filtered`] first).
pub fn ego(view: &View<'_>, centre: NodeId, hops: u32) -> Ego {
    let mut dist: std::collections::HashMap<NodeId, u32> = Default::default();
    if !view.contains(centre) {
        return Ego {
            nodes: Vec::new(),
            edges: Vec::new(),
        };
    }
    dist.insert(centre, 0);
    let mut frontier = vec![centre];
    for h in 1..=hops {
        let mut next = Vec::new();
        for &v in &frontier {
            for (w, _) in view.neighbors(v) {
                if let std::collections::hash_map::Entry::Vacant(e) = dist.entry(w) {
                    e.insert(h);
                    next.push(w);
                }
            }
        }
        frontier = next;
    }
    let mut nodes: Vec<(NodeId, u32)> = dist.into_iter().collect();
    nodes.sort_by_key(|&(v, d)| (d, v));
    let inside: HashSet<NodeId> = nodes.iter().map(|&(v, _)| v).collect();
    let mut edges: Vec<EdgeId> = nodes
        .iter()
        .flat_map(|&(v, _)| {
            view.neighbors(v)
                .filter(|(w, _)| inside.contains(w))
                .map(|(_, e)| e)
        })
        .collect();
    edges.sort_unstable();
    edges.dedup();
    Ego { nodes, edges }
}

/// Each node's number of distinct edges of each type in the view, indexed by `EdgeType as usize`.
pub fn degree_by_type(view: &View<'_>) -> Vec<[u32; EdgeType::ALL.len()]> {
    let g = view.graph();
    (0..view.id_bound() as NodeId)
        .map(|v| {
            let mut d = [0u32; EdgeType::ALL.len()];
            for (_, e) in view.neighbors(v) {
                d[g.edge(e).kind as usize] += 1;
            }
            d
        })
        .collect()
}
