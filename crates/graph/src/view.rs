//! What a viewer may see of the graph, and the filters an analyst adds on top.
//!
//! Every analytic takes a [`View`], never a bare [`Graph`]. A view gives each edge an effective
//! weight (records the viewer may see) and amount; an edge of weight 0 does not exist for the
//! kernels. So a kernel cannot use what the viewer may not see: hiding an edge is, for every
//! result, the same as deleting it (tested in `tests/access.rs`).
//!
//! The policy layer will implement [`Visibility`]; until it exists, callers use [`AllVisible`],
//! [`HiddenEdges`] or [`RecordFilter`].

use std::borrow::Cow;

use rayon::prelude::*;

use crate::graph::{EdgeId, EdgeRef, EdgeTypes, Graph, Interval, NodeId};

/// Who may see what, at the level of records and edges. Implemented by the policy layer.
pub trait Visibility: Sync {
    /// Whether the viewer may see this record (by its id). An edge's weight and amount, as the
    /// viewer sees them, count only its visible records; an edge with none is absent.
    fn record_visible(&self, record: &str) -> bool;

    /// Whether the viewer may see this edge at all (after its records). An edge list that
    /// carries no record ids is governed by this alone.
    fn edge_visible(&self, edge: EdgeRef<'_>) -> bool {
        let _ = edge;
        true
    }
}

/// The viewer sees everything (an administrator, or a test).
pub struct AllVisible;

impl Visibility for AllVisible {
    fn record_visible(&self, _record: &str) -> bool {
        true
    }
}

/// Everything but a set of edges.
pub struct HiddenEdges {
    hidden: Vec<bool>,
}

impl HiddenEdges {
    /// Hides the listed edges of a graph with `edges_n` edges.
    pub fn new(edges_n: usize, hidden: &[EdgeId]) -> HiddenEdges {
        let mut h = vec![false; edges_n];
        for &e in hidden {
            h[e as usize] = true;
        }
        HiddenEdges { hidden: h }
    }
}

impl Visibility for HiddenEdges {
    fn record_visible(&self, _record: &str) -> bool {
        true
    }
    fn edge_visible(&self, edge: EdgeRef<'_>) -> bool {
        !self.hidden.get(edge.id as usize).copied().unwrap_or(false)
    }
}

/// Records chosen by a predicate on their id (e.g. the originator prefix `RS_BP:`).
pub struct RecordFilter<F: Fn(&str) -> bool + Sync>(pub F);

impl<F: Fn(&str) -> bool + Sync> Visibility for RecordFilter<F> {
    fn record_visible(&self, record: &str) -> bool {
        (self.0)(record)
    }
}

/// An analyst's filter: which edge types, which time window, how many records at least.
#[derive(Clone, Copy, Debug)]
pub struct EdgeFilter {
    /// Edge types kept.
    pub types: EdgeTypes,
    /// Edges whose interval overlaps this window are kept.
    pub window: Interval,
    /// Edges with fewer (visible) records than this are dropped: 2 drops single-record edges.
    pub weight_min: u32,
}

impl Default for EdgeFilter {
    fn default() -> Self {
        EdgeFilter {
            types: EdgeTypes::ALL,
            window: Interval::ALL,
            weight_min: 1,
        }
    }
}

/// A graph as one viewer sees it, possibly filtered and restricted to a node set.
#[derive(Clone)]
pub struct View<'g> {
    graph: &'g Graph,
    weight: Cow<'g, [u32]>,
    amount: Cow<'g, [f64]>,
    /// `None`: every node is in the view.
    nodes: Option<Vec<bool>>,
    nodes_n: usize,
}

impl<'g> View<'g> {
    /// The whole graph.
    pub fn full(graph: &'g Graph) -> View<'g> {
        View {
            graph,
            weight: Cow::Borrowed(graph.weights()),
            amount: Cow::Borrowed(graph.amounts()),
            nodes: None,
            nodes_n: graph.nodes_n(),
        }
    }

    /// The graph as a viewer may see it.
    pub fn for_viewer(graph: &'g Graph, viewer: &dyn Visibility) -> View<'g> {
        let (weight, amount): (Vec<u32>, Vec<f64>) = (0..graph.edges_n() as EdgeId)
            .into_par_iter()
            .map(|e| {
                let edge = graph.edge(e);
                let recs = graph.edge_records(e);
                let (mut w, mut a) = (edge.weight, edge.amount);
                if !recs.is_empty() {
                    w = 0;
                    a = 0.0;
                    for &(r, amt) in recs {
                        if viewer.record_visible(graph.record_name(r)) {
                            w += 1;
                            a += amt;
                        }
                    }
                }
                if w == 0 || !viewer.edge_visible(edge) {
                    (0, 0.0)
                } else {
                    (w, a)
                }
            })
            .unzip();
        View {
            graph,
            weight: Cow::Owned(weight),
            amount: Cow::Owned(amount),
            nodes: None,
            nodes_n: graph.nodes_n(),
        }
    }

    /// This view with an analyst's filter applied on top.
    pub fn filtered(&self, f: &EdgeFilter) -> View<'g> {
        let g = self.graph;
        let weight: Vec<u32> = (0..g.edges_n())
            .into_par_iter()
            .map(|e| {
                let w = self.weight[e];
                let edge = g.edge(e as EdgeId);
                if w < f.weight_min.max(1)
                    || !f.types.contains(edge.kind)
                    || !edge.interval.overlaps(f.window)
                {
                    0
                } else {
                    w
                }
            })
            .collect();
        View {
            graph: g,
            weight: Cow::Owned(weight),
            amount: self.amount.clone(),
            nodes: self.nodes.clone(),
            nodes_n: self.nodes_n,
        }
    }

    /// This view restricted to a node set (the induced subgraph); other nodes are absent.
    pub fn induced(&self, nodes: &[NodeId]) -> View<'g> {
        let mut mask = vec![false; self.graph.nodes_n()];
        for &v in nodes {
            if self.contains(v) {
                mask[v as usize] = true;
            }
        }
        let nodes_n = mask.iter().filter(|&&b| b).count();
        View {
            graph: self.graph,
            weight: self.weight.clone(),
            amount: self.amount.clone(),
            nodes: Some(mask),
            nodes_n,
        }
    }

    /// The underlying graph (for names and kinds; its edges must be read through the view).
    pub fn graph(&self) -> &'g Graph {
        self.graph
    }

    /// Node ids range over `0..id_bound()`; not all of them need be in the view.
    pub fn id_bound(&self) -> usize {
        self.graph.nodes_n()
    }

    /// Number of nodes in the view.
    pub fn nodes_n(&self) -> usize {
        self.nodes_n
    }

    /// Whether node `v` is in the view.
    #[inline]
    pub fn contains(&self, v: NodeId) -> bool {
        match &self.nodes {
            None => true,
            Some(m) => m[v as usize],
        }
    }

    /// The nodes in the view, in id order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.graph.nodes_n() as NodeId).filter(|&v| self.contains(v))
    }

    /// Edge `e`'s weight as seen (0: absent).
    #[inline]
    pub fn weight(&self, e: EdgeId) -> u32 {
        self.weight[e as usize]
    }

    /// Edge `e`'s amount as seen.
    #[inline]
    pub fn amount(&self, e: EdgeId) -> f64 {
        self.amount[e as usize]
    }

    /// Whether edge `e` is in the view (visible, kept by filters, both ends in the view).
    #[inline]
    pub fn has_edge(&self, e: EdgeId) -> bool {
        if self.weight[e as usize] == 0 {
            return false;
        }
        if self.nodes.is_none() {
            return true;
        }
        let edge = self.graph.edge(e);
        self.contains(edge.source) && self.contains(edge.target)
    }

    /// The edges of `v` in the view: (neighbour, edge), ordered by neighbour then edge. Empty
    /// for a node not in the view.
    #[inline]
    pub fn neighbors(&self, v: NodeId) -> impl Iterator<Item = (NodeId, EdgeId)> + '_ {
        let inside = self.contains(v);
        let (ws, es) = self.graph.adjacency(v);
        let (ws, es) = if inside {
            (ws, es)
        } else {
            (&ws[..0], &es[..0])
        };
        ws.iter()
            .zip(es.iter())
            .filter(move |&(&w, &e)| self.weight[e as usize] > 0 && self.contains(w))
            .map(|(&w, &e)| (w, e))
    }

    /// The edges in the view, in id order.
    pub fn edges(&self) -> impl Iterator<Item = EdgeId> + '_ {
        (0..self.graph.edges_n() as EdgeId).filter(|&e| self.has_edge(e))
    }

    /// Weighted degree of each node (sum of visible weights; 0 outside the view).
    pub fn strengths(&self) -> Vec<f64> {
        (0..self.graph.nodes_n() as NodeId)
            .into_par_iter()
            .map(|v| {
                self.neighbors(v)
                    .map(|(_, e)| f64::from(self.weight(e)))
                    .sum()
            })
            .collect()
    }
}

/// The view's links as a plain CSR: each node's distinct neighbours in the view (parallel
/// edges merged), no weights. Traversal kernels (betweenness) run over this instead of the view
/// so that their inner loop is a slice scan with no visibility test.
pub struct Links {
    /// `offsets[v]..offsets[v + 1]` indexes `targets` for node `v`.
    pub offsets: Vec<usize>,
    /// Neighbours, ascending within each node.
    pub targets: Vec<NodeId>,
    /// Each link's weight: the visible records of the edges it merges (exact in f32 below
    /// 2^24 records).
    pub weights: Vec<f32>,
}

impl Links {
    /// The links of `view`, in its node ids.
    pub fn of(view: &View<'_>) -> Links {
        let identity: Vec<NodeId> = (0..view.id_bound() as NodeId).collect();
        Links::build(view, &identity, &identity)
    }

    /// The links of `view` with nodes renumbered in breadth-first order, and `order` (new id →
    /// view id). Neighbours then have nearby ids, so a traversal's per-node state stays in
    /// cache far more often than with ids in name order.
    pub fn of_bfs_order(view: &View<'_>) -> (Links, Vec<NodeId>) {
        let n = view.id_bound();
        let mut rank = vec![NodeId::MAX; n];
        let mut order: Vec<NodeId> = Vec::with_capacity(n);
        for s in 0..n as NodeId {
            if rank[s as usize] != NodeId::MAX {
                continue;
            }
            rank[s as usize] = order.len() as NodeId;
            order.push(s);
            let mut head = order.len() - 1;
            while head < order.len() {
                let v = order[head];
                head += 1;
                for (w, _) in view.neighbors(v) {
                    if rank[w as usize] == NodeId::MAX {
                        rank[w as usize] = order.len() as NodeId;
                        order.push(w);
                    }
                }
            }
        }
        debug_assert_eq!(order.len(), n);
        (Links::build(view, &order, &rank), order)
    }

    fn build(view: &View<'_>, order: &[NodeId], rank: &[NodeId]) -> Links {
        let lists: Vec<Vec<(NodeId, f32)>> = order
            .par_iter()
            .with_min_len(4096)
            .map(|&v| {
                let mut out: Vec<(NodeId, f32)> = view
                    .neighbors(v)
                    .map(|(w, e)| (rank[w as usize], view.weight(e) as f32))
                    .collect();
                out.sort_unstable_by_key(|&(w, _)| w);
                out.dedup_by(|b, a| {
                    // Parallel edges: one link carrying both weights.
                    if a.0 == b.0 {
                        a.1 += b.1;
                        true
                    } else {
                        false
                    }
                });
                out
            })
            .collect();
        let mut offsets = Vec::with_capacity(order.len() + 1);
        let mut acc = 0;
        offsets.push(0);
        for l in &lists {
            acc += l.len();
            offsets.push(acc);
        }
        let mut targets = Vec::with_capacity(acc);
        let mut weights = Vec::with_capacity(acc);
        for l in lists {
            for (w, x) in l {
                targets.push(w);
                weights.push(x);
            }
        }
        Links {
            offsets,
            targets,
            weights,
        }
    }

    /// Node `v`'s neighbours.
    #[inline]
    pub fn of_node(&self, v: NodeId) -> &[NodeId] {
        &self.targets[self.offsets[v as usize]..self.offsets[v as usize + 1]]
    }

    /// Node `v`'s neighbours and link weights.
    #[inline]
    pub fn weighted(&self, v: NodeId) -> (&[NodeId], &[f32]) {
        let r = self.offsets[v as usize]..self.offsets[v as usize + 1];
        (&self.targets[r.clone()], &self.weights[r])
    }
}
