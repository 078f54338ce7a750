//! The link graph: nodes with a kind, typed edges with an interval, a weight, an amount and the
//! records behind them, held in compressed sparse row (CSR) form.
//!
//! The graph is a derived value: [`GraphBuilder::build`] is a function of the *set* of nodes and
//! edges it was given, not of their order. Nodes are numbered in order of their names and edges
//! in order of (endpoints, type), so the same input in any order gives the same ids and, from
//! there, the same analytics.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;

use crate::GraphError;

/// A node's index in a [`Graph`], `0..nodes_n`.
pub type NodeId = u32;
/// An edge's index in a [`Graph`], `0..edges_n`.
pub type EdgeId = u32;

/// More nodes than this is an error, not an overflow: ids are `u32`, and the kernels allocate a
/// few words per node.
pub const NODES_MAX: usize = 1 << 28;
/// More (merged) edges than this is an error: each edge appears twice in the adjacency, whose
/// entries are `u32`.
pub const EDGES_MAX: usize = (1 << 31) - 1;

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A resolved subject (or, before resolution, a true person).
    Person,
    /// A phone line (SIM or number).
    Phone,
    /// A vehicle.
    Vehicle,
    /// A vessel.
    Vessel,
    /// A bank, MTO, hawala or crypto account.
    Account,
    /// A company or other organisation.
    Organization,
    /// An address.
    Address,
    /// Not known (an edge list that does not say).
    Unknown,
}

impl NodeKind {
    /// Every kind, in declaration order.
    pub const ALL: [NodeKind; 8] = [
        NodeKind::Person,
        NodeKind::Phone,
        NodeKind::Vehicle,
        NodeKind::Vessel,
        NodeKind::Account,
        NodeKind::Organization,
        NodeKind::Address,
        NodeKind::Unknown,
    ];

    /// The lower-case name used in files and output.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Person => "person",
            NodeKind::Phone => "phone",
            NodeKind::Vehicle => "vehicle",
            NodeKind::Vessel => "vessel",
            NodeKind::Account => "account",
            NodeKind::Organization => "organization",
            NodeKind::Address => "address",
            NodeKind::Unknown => "unknown",
        }
    }

    /// The FollowTheMoney schema of a node of this kind.
    pub fn ftm_schema(self) -> &'static str {
        match self {
            NodeKind::Person => "Person",
            NodeKind::Phone => "Phone",
            NodeKind::Vehicle => "Vehicle",
            NodeKind::Vessel => "Vessel",
            NodeKind::Account => "BankAccount",
            NodeKind::Organization => "Organization",
            NodeKind::Address => "Address",
            NodeKind::Unknown => "LegalEntity",
        }
    }
}

impl FromStr for NodeKind {
    type Err = GraphError;
    fn from_str(s: &str) -> Result<Self, GraphError> {
        NodeKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| GraphError::UnknownName {
                what: "node kind",
                name: s.to_string(),
            })
    }
}

/// What an edge asserts. The link graph is undirected: a Payment's direction stays in its
/// records; the edge says that money moved between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeType {
    /// A person uses a phone, vehicle, vessel or account.
    Uses,
    /// A person or organisation owns an object.
    Owns,
    /// A call between two lines or persons (Communication).
    Called,
    /// A message between two lines or persons (Communication).
    Messaged,
    /// Two persons on the same crossing or leg (Crossing).
    TravelledWith,
    /// Two persons stopped in the same interception (Interception).
    InterceptedTogether,
    /// Money moved between two (Payment).
    Paid,
    /// Known associates (including who reports to whom).
    Associate,
    /// Member of an organisation or network.
    Member,
}

impl EdgeType {
    /// Every type, in declaration order (the order of type bit masks).
    pub const ALL: [EdgeType; 9] = [
        EdgeType::Uses,
        EdgeType::Owns,
        EdgeType::Called,
        EdgeType::Messaged,
        EdgeType::TravelledWith,
        EdgeType::InterceptedTogether,
        EdgeType::Paid,
        EdgeType::Associate,
        EdgeType::Member,
    ];

    /// The snake-case name used in edge lists and output.
    pub fn name(self) -> &'static str {
        match self {
            EdgeType::Uses => "uses",
            EdgeType::Owns => "owns",
            EdgeType::Called => "called",
            EdgeType::Messaged => "messaged",
            EdgeType::TravelledWith => "travelled_with",
            EdgeType::InterceptedTogether => "intercepted_together",
            EdgeType::Paid => "paid",
            EdgeType::Associate => "associate",
            EdgeType::Member => "member",
        }
    }

    /// The type's bit in an [`EdgeTypes`] set.
    pub const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for EdgeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EdgeType {
    type Err = GraphError;
    fn from_str(s: &str) -> Result<Self, GraphError> {
        EdgeType::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| GraphError::UnknownName {
                what: "edge type",
                name: s.to_string(),
            })
    }
}

/// A set of edge types, as a bit mask over [`EdgeType::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeTypes(pub u16);

impl EdgeTypes {
    /// Every type.
    pub const ALL: EdgeTypes = EdgeTypes((1 << EdgeType::ALL.len()) - 1);

    /// The set holding exactly `types`.
    pub fn of(types: &[EdgeType]) -> EdgeTypes {
        EdgeTypes(types.iter().fold(0, |m, t| m | t.bit()))
    }

    /// Whether `t` is in the set.
    pub fn contains(self, t: EdgeType) -> bool {
        self.0 & t.bit() != 0
    }
}

/// A civil day: days since 1970-01-01 (negative before). Edge intervals are in whole days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The earliest representable day; an edge with no known start starts here.
    pub const MIN: Day = Day(i32::MIN);
    /// The latest representable day; an edge with no known end ends here.
    pub const MAX: Day = Day(i32::MAX);

    /// The day of a proleptic Gregorian date, or `None` if it is not a real date.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        i32::try_from(corridor_text::calendar::days_from_civil(
            i64::from(year),
            month,
            day,
        ))
        .ok()
        .map(Day)
    }

    /// Reads `YYYY-MM-DD`, or the date part of an ISO 8601 timestamp (`YYYY-MM-DDThh:mm:ss…`).
    pub fn parse(s: &str) -> Option<Day> {
        let s = s.trim();
        let date = s.get(..10)?;
        if s.len() > 10 && !matches!(s.as_bytes()[10], b'T' | b' ') {
            return None;
        }
        let b = date.as_bytes();
        if b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: i32 = date[..4].parse().ok()?;
        let month: u32 = date[5..7].parse().ok()?;
        let day: u32 = date[8..10].parse().ok()?;
        Day::from_ymd(year, month, day)
    }

    /// The date as (year, month, day).
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = corridor_text::calendar::civil_from_days(i64::from(self.0));
        (y as i32, m, d)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Day::MIN || *self == Day::MAX {
            return Ok(());
        }
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A closed interval of days. `Day::MIN`/`Day::MAX` stand for "not known".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// The first day.
    pub from: Day,
    /// The last day.
    pub to: Day,
}

impl Interval {
    /// The interval that covers all time.
    pub const ALL: Interval = Interval {
        from: Day::MIN,
        to: Day::MAX,
    };

    /// Whether the two intervals share a day.
    pub fn overlaps(self, other: Interval) -> bool {
        self.from <= other.to && other.from <= self.to
    }

    /// The smallest interval covering both.
    pub fn hull(self, other: Interval) -> Interval {
        Interval {
            from: self.from.min(other.from),
            to: self.to.max(other.to),
        }
    }
}

/// One assertion of an edge, as given to [`GraphBuilder::add_edge`].
#[derive(Clone, Debug)]
pub struct EdgeInput<'a> {
    /// One end.
    pub source: NodeId,
    /// The other end.
    pub target: NodeId,
    /// What the edge asserts.
    pub kind: EdgeType,
    /// How many records assert it, when `records` is empty (an edge list without record ids);
    /// otherwise the number of records is the weight.
    pub weight: u32,
    /// When.
    pub interval: Interval,
    /// The records that assert it, each with the amount it moved (0 unless Payment).
    pub records: &'a [(&'a str, f64)],
    /// Amount moved, when `records` is empty.
    pub amount: f64,
}

#[derive(Clone, Copy)]
struct RawEdge {
    lo: NodeId,
    hi: NodeId,
    kind: EdgeType,
    weight: u32,
    interval: Interval,
    amount: f64,
    records_start: u32,
    records_len: u32,
}

/// Collects nodes and edge assertions; [`GraphBuilder::build`] merges them into a [`Graph`].
#[derive(Default)]
pub struct GraphBuilder {
    names: Vec<String>,
    kinds: Vec<NodeKind>,
    index: HashMap<String, NodeId>,
    raw: Vec<RawEdge>,
    record_names: Vec<String>,
    record_index: HashMap<String, u32>,
    /// (record name index, amount) per assertion, in `raw` order.
    record_pool: Vec<(u32, f64)>,
    self_loops_n: usize,
}

impl GraphBuilder {
    /// An empty builder.
    pub fn new() -> GraphBuilder {
        GraphBuilder::default()
    }

    /// The node named `name`, added with `kind` if new. A node first seen with
    /// [`NodeKind::Unknown`] takes the first known kind given later.
    pub fn node(&mut self, name: &str, kind: NodeKind) -> Result<NodeId, GraphError> {
        if let Some(&id) = self.index.get(name) {
            let k = &mut self.kinds[id as usize];
            if *k == NodeKind::Unknown {
                *k = kind;
            }
            return Ok(id);
        }
        if self.names.len() >= NODES_MAX {
            return Err(GraphError::TooLarge {
                what: "nodes",
                limit: NODES_MAX,
            });
        }
        let id = self.names.len() as NodeId;
        self.names.push(name.to_string());
        self.kinds.push(kind);
        self.index.insert(name.to_string(), id);
        Ok(id)
    }

    /// The node named `name`, if added.
    pub fn get(&self, name: &str) -> Option<NodeId> {
        self.index.get(name).copied()
    }

    /// Nodes added so far.
    pub fn nodes_n(&self) -> usize {
        self.names.len()
    }

    /// Adds one assertion of an edge. Assertions of the same (endpoints, type) merge in
    /// [`GraphBuilder::build`]: weights and amounts add up, intervals join, records concatenate.
    /// A self-loop is counted and dropped: no analytic here uses one.
    pub fn add_edge(&mut self, e: &EdgeInput<'_>) -> Result<(), GraphError> {
        let n = self.names.len() as NodeId;
        if e.source >= n || e.target >= n {
            return Err(GraphError::NoSuchNode(e.source.max(e.target)));
        }
        if e.source == e.target {
            self.self_loops_n += 1;
            return Ok(());
        }
        if self.raw.len() >= EDGES_MAX {
            return Err(GraphError::TooLarge {
                what: "edge assertions",
                limit: EDGES_MAX,
            });
        }
        let records_start = self.record_pool.len() as u32;
        let mut amount = e.amount;
        if !e.records.is_empty() {
            amount = 0.0;
            for &(r, a) in e.records {
                let ri = match self.record_index.get(r) {
                    Some(&i) => i,
                    None => {
                        let i = self.record_names.len() as u32;
                        self.record_names.push(r.to_string());
                        self.record_index.insert(r.to_string(), i);
                        i
                    }
                };
                self.record_pool.push((ri, a));
                amount += a;
            }
        }
        let weight = if e.records.is_empty() {
            e.weight
        } else {
            e.records.len() as u32
        };
        self.raw.push(RawEdge {
            lo: e.source.min(e.target),
            hi: e.source.max(e.target),
            kind: e.kind,
            weight,
            interval: e.interval,
            amount,
            records_start,
            records_len: e.records.len() as u32,
        });
        Ok(())
    }

    /// Merges the assertions and lays the graph out in CSR form.
    pub fn build(self) -> Result<Graph, GraphError> {
        let GraphBuilder {
            names,
            kinds,
            raw,
            record_names,
            record_pool,
            self_loops_n,
            ..
        } = self;
        let nodes_n = names.len();

        // Number nodes by name, so ids do not depend on the order nodes were first seen.
        let mut order: Vec<NodeId> = (0..nodes_n as NodeId).collect();
        order.par_sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        let mut new_id = vec![0 as NodeId; nodes_n];
        for (new, &old) in order.iter().enumerate() {
            new_id[old as usize] = new as NodeId;
        }
        let mut names_sorted = Vec::with_capacity(nodes_n);
        let mut kinds_sorted = Vec::with_capacity(nodes_n);
        let mut names = names.into_iter().map(Some).collect::<Vec<_>>();
        for &old in &order {
            names_sorted.push(names[old as usize].take().unwrap_or_default());
            kinds_sorted.push(kinds[old as usize]);
        }

        let mut raw = raw;
        raw.par_iter_mut().for_each(|r| {
            let (a, b) = (new_id[r.lo as usize], new_id[r.hi as usize]);
            r.lo = a.min(b);
            r.hi = a.max(b);
        });
        // Stable on ties, so records concatenate in the order they were given within one
        // (endpoints, type); then records are sorted by name below anyway.
        raw.par_sort_by_key(|r| (r.lo, r.hi, r.kind));

        let mut edges = Edges::default();
        let mut i = 0;
        while i < raw.len() {
            let first = raw[i];
            let mut weight = 0u64;
            let mut amount = 0.0;
            let mut interval = first.interval;
            let records_start = edges.records.len();
            let mut j = i;
            while j < raw.len()
                && raw[j].lo == first.lo
                && raw[j].hi == first.hi
                && raw[j].kind == first.kind
            {
                let r = raw[j];
                weight += u64::from(r.weight);
                amount += r.amount;
                interval = interval.hull(r.interval);
                let s = r.records_start as usize;
                edges
                    .records
                    .extend_from_slice(&record_pool[s..s + r.records_len as usize]);
                j += 1;
            }
            let recs = &mut edges.records[records_start..];
            recs.sort_by(|a, b| record_names[a.0 as usize].cmp(&record_names[b.0 as usize]));
            if !recs.is_empty() {
                // The amount is the sum of the records', in record order: exactly what a
                // viewer who sees every record computes, whatever order they came in.
                amount = recs.iter().map(|r| r.1).sum();
            }
            edges.source.push(first.lo);
            edges.target.push(first.hi);
            edges.kind.push(first.kind);
            edges.weight.push(weight.min(u64::from(u32::MAX)) as u32);
            edges.amount.push(amount);
            edges.interval.push(interval);
            edges.records_offset.push(records_start);
            i = j;
        }
        edges.records_offset.push(edges.records.len());
        let edges_n = edges.source.len();
        if edges_n > EDGES_MAX {
            return Err(GraphError::TooLarge {
                what: "edges",
                limit: EDGES_MAX,
            });
        }

        // CSR: every edge in both endpoints' lists, each list ordered by (neighbour, edge).
        let mut degree = vec![0usize; nodes_n + 1];
        for e in 0..edges_n {
            degree[edges.source[e] as usize] += 1;
            degree[edges.target[e] as usize] += 1;
        }
        let mut offsets = Vec::with_capacity(nodes_n + 1);
        let mut acc = 0usize;
        for d in &degree[..nodes_n] {
            offsets.push(acc);
            acc += d;
        }
        offsets.push(acc);
        let mut fill = offsets.clone();
        let mut adj_node = vec![0 as NodeId; acc];
        let mut adj_edge = vec![0 as EdgeId; acc];
        for e in 0..edges_n {
            let (s, t) = (edges.source[e], edges.target[e]);
            for (from, to) in [(s, t), (t, s)] {
                let p = fill[from as usize];
                adj_node[p] = to;
                adj_edge[p] = e as EdgeId;
                fill[from as usize] += 1;
            }
        }
        // Edges are sorted by (lo, hi, type): each list is already ordered by neighbour for
        // neighbours above the node, and by edge id within a neighbour; one sort makes it total.
        let mut pairs: Vec<(NodeId, EdgeId)> = Vec::new();
        for v in 0..nodes_n {
            let (a, b) = (offsets[v], offsets[v + 1]);
            let sorted = adj_node[a..b].windows(2).all(|w| w[0] <= w[1]);
            if !sorted {
                pairs.clear();
                pairs.extend(
                    adj_node[a..b]
                        .iter()
                        .copied()
                        .zip(adj_edge[a..b].iter().copied()),
                );
                pairs.sort_unstable();
                for (k, &(w, e)) in pairs.iter().enumerate() {
                    adj_node[a + k] = w;
                    adj_edge[a + k] = e;
                }
            }
        }
        let graph = Graph {
            names: names_sorted,
            kinds: kinds_sorted,
            edges,
            offsets,
            adj_node,
            adj_edge,
            record_names,
            self_loops_dropped_n: self_loops_n,
        };
        debug_assert!(graph.check().is_ok());
        Ok(graph)
    }
}

#[derive(Default)]
struct Edges {
    source: Vec<NodeId>,
    target: Vec<NodeId>,
    kind: Vec<EdgeType>,
    weight: Vec<u32>,
    amount: Vec<f64>,
    interval: Vec<Interval>,
    records_offset: Vec<usize>,
    records: Vec<(u32, f64)>,
}

/// The link graph. Immutable once built; analytics read it through a [`crate::View`].
pub struct Graph {
    names: Vec<String>,
    kinds: Vec<NodeKind>,
    edges: Edges,
    offsets: Vec<usize>,
    adj_node: Vec<NodeId>,
    adj_edge: Vec<EdgeId>,
    record_names: Vec<String>,
    self_loops_dropped_n: usize,
}

/// One edge, borrowed from a [`Graph`].
#[derive(Clone, Copy, Debug)]
pub struct EdgeRef<'g> {
    /// Its id.
    pub id: EdgeId,
    /// The end with the smaller node id.
    pub source: NodeId,
    /// The end with the larger node id.
    pub target: NodeId,
    /// What it asserts.
    pub kind: EdgeType,
    /// How many records assert it.
    pub weight: u32,
    /// Money moved: the sum of its records' amounts (of the assertions' amounts when it has
    /// no records).
    pub amount: f64,
    /// First to last day asserted.
    pub interval: Interval,
    graph: &'g Graph,
}

impl<'g> EdgeRef<'g> {
    /// The records behind the edge: (record id, amount), ordered by record id.
    pub fn records(&self) -> impl ExactSizeIterator<Item = (&'g str, f64)> + 'g {
        let g = self.graph;
        let (a, b) = (
            g.edges.records_offset[self.id as usize],
            g.edges.records_offset[self.id as usize + 1],
        );
        g.edges.records[a..b]
            .iter()
            .map(move |&(r, amt)| (g.record_names[r as usize].as_str(), amt))
    }
}

impl Graph {
    /// Number of nodes.
    pub fn nodes_n(&self) -> usize {
        self.names.len()
    }

    /// Number of (merged) edges.
    pub fn edges_n(&self) -> usize {
        self.edges.source.len()
    }

    /// Self-loop assertions dropped while building.
    pub fn self_loops_dropped_n(&self) -> usize {
        self.self_loops_dropped_n
    }

    /// A node's name.
    pub fn name(&self, v: NodeId) -> &str {
        &self.names[v as usize]
    }

    /// A node's kind.
    pub fn kind(&self, v: NodeId) -> NodeKind {
        self.kinds[v as usize]
    }

    /// The node with this name (binary search: nodes are numbered in name order).
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.names
            .binary_search_by(|n| n.as_str().cmp(name))
            .ok()
            .map(|i| i as NodeId)
    }

    /// One edge.
    pub fn edge(&self, e: EdgeId) -> EdgeRef<'_> {
        let i = e as usize;
        EdgeRef {
            id: e,
            source: self.edges.source[i],
            target: self.edges.target[i],
            kind: self.edges.kind[i],
            weight: self.edges.weight[i],
            amount: self.edges.amount[i],
            interval: self.edges.interval[i],
            graph: self,
        }
    }

    /// Every edge's record count, indexed by edge id.
    pub fn weights(&self) -> &[u32] {
        &self.edges.weight
    }

    /// Every edge's amount, indexed by edge id.
    pub fn amounts(&self) -> &[f64] {
        &self.edges.amount
    }

    /// The records behind edge `e`, as (index into [`Graph::record_name`], amount).
    pub fn edge_records(&self, e: EdgeId) -> &[(u32, f64)] {
        let (a, b) = (
            self.edges.records_offset[e as usize],
            self.edges.records_offset[e as usize + 1],
        );
        &self.edges.records[a..b]
    }

    /// The name of a record by its index.
    pub fn record_name(&self, r: u32) -> &str {
        &self.record_names[r as usize]
    }

    /// Node `v`'s adjacency: (neighbour, edge), ordered by neighbour then edge. Parallel edges
    /// (other types between the same two nodes) are adjacent entries.
    pub fn adjacency(&self, v: NodeId) -> (&[NodeId], &[EdgeId]) {
        let (a, b) = (self.offsets[v as usize], self.offsets[v as usize + 1]);
        (&self.adj_node[a..b], &self.adj_edge[a..b])
    }

    /// Checks the CSR invariants: offsets grow, every edge is in both lists, lists are ordered.
    pub fn check(&self) -> Result<(), String> {
        let n = self.nodes_n();
        if self.offsets.len() != n + 1 || self.offsets[n] != 2 * self.edges_n() {
            return Err("offsets do not cover the adjacency".into());
        }
        for v in 0..n as NodeId {
            let (ws, es) = self.adjacency(v);
            for k in 0..ws.len() {
                let e = self.edge(es[k]);
                let other = if e.source == v { e.target } else { e.source };
                if (e.source != v && e.target != v) || other != ws[k] {
                    return Err(format!("node {v}: adjacency entry {k} is not its edge"));
                }
                if k > 0 && (ws[k - 1], es[k - 1]) >= (ws[k], es[k]) {
                    return Err(format!("node {v}: adjacency out of order"));
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Graph")
            .field("nodes_n", &self.nodes_n())
            .field("edges_n", &self.edges_n())
            .finish()
    }
}
