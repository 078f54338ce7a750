//! The link graph and its analytics.
//!
//! [`GraphBuilder`] turns nodes (subjects and the objects they use) and edge assertions (one per
//! record) into a [`Graph`]: typed edges, each with its interval, its weight (the number of
//! records that assert it), the money it moved and the ids of its records, laid out in CSR
//! form. The graph is derived state: deterministic from its input, and rebuilt rather than
//! updated.
//!
//! Every analytic is a kernel with no I/O that reads the graph through a [`View`]: what one
//! viewer may see ([`Visibility`], implemented by the policy layer), with an analyst's filters
//! on top ([`EdgeFilter`]: edge types, time window, records at least).
//!
//! | kernel | module |
//! |---|---|
//! | connected components, networks | [`components`] |
//! | weighted PageRank | [`pagerank`] |
//! | betweenness, exact or sampled with an (ε, δ) bound | [`betweenness`] |
//! | Leiden communities, modularity | [`leiden`] |
//! | who runs it: money per contact | [`organisers`] |
//! | shortest and k shortest paths, ego networks, degree by type | [`paths`] |
//! | disruption (fragmentation, money) | [`disrupt`] |
//! | force-directed positions for a link chart | [`layout`] |
//! | partition agreement (ARI, NMI) | [`eval`] |
//!
//! ```
//! use corridor_graph::*;
//! let mut b = GraphBuilder::new();
//! let a = b.node("a", NodeKind::Person)?;
//! let p = b.node("p", NodeKind::Phone)?;
//! b.add_edge(&EdgeInput { source: a, target: p, kind: EdgeType::Uses, weight: 1,
//!     interval: Interval::ALL, records: &[("RS_BP:1", 0.0)], amount: 0.0 })?;
//! let g = b.build()?;
//! let ranks = pagerank(&View::full(&g), &PageRankConfig::default());
//! assert!((ranks.score.iter().sum::<f64>() - 1.0).abs() < 1e-9);
//! # Ok::<(), GraphError>(())
//! ```

pub mod betweenness;
pub mod components;
pub mod disrupt;
pub mod eval;
pub mod graph;
pub mod layout;
pub mod leiden;
pub mod organisers;
pub mod pagerank;
pub mod paths;
pub mod rng;
pub mod view;

pub use betweenness::{Betweenness, BetweennessMode, betweenness, sample_size};
pub use components::{Components, NETWORK_EDGE_WEIGHT_MIN, components, networks};
pub use disrupt::{Disruption, Objective, disrupt};
pub use graph::{
    Day, EdgeId, EdgeInput, EdgeRef, EdgeType, EdgeTypes, Graph, GraphBuilder, Interval, NodeId,
    NodeKind,
};
pub use layout::{LayoutConfig, force_layout};
pub use leiden::{Communities, LeidenConfig, NETWORK_TYPE_FACTORS, Weighting, leiden, modularity};
pub use organisers::{CONTACT_TYPES, OrganiserRank, organiser_rank};
pub use pagerank::{PageRank, PageRankConfig, pagerank};
pub use paths::{Ego, Path, ego, k_shortest_paths, shortest_path};
pub use view::{AllVisible, EdgeFilter, HiddenEdges, RecordFilter, View, Visibility};

/// Errors building a graph.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GraphError {
    /// A name that is not one of the known ones.
    #[error("unknown {what} {name:?}")]
    UnknownName {
        /// What kind of name.
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// A node id not in the builder.
    #[error("no node {0}")]
    NoSuchNode(NodeId),
    /// Over a size limit.
    #[error("more {what} than the limit of {limit}")]
    TooLarge {
        /// What.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}
