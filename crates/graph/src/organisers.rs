//! Who runs it: persons ranked by the money they handle per person they are seen with.
//!
//! `score(v) = money(v) / (1 + contacts(v))`, where `money` is the amount on `v`'s Payment edges
//! (paid and received) and `contacts` is the number of distinct others `v` is recorded calling,
//! messaging, travelling with or being stopped with.
//!
//! Why this and not a centrality: the people who run a smuggling network, and the collectors
//! who hold its money, keep away from the street. Organisers speak to a few coordinators and
//! take money through companies and couriers; collectors take in hundreds of payments and pay
//! drivers without calling anyone. Every other role that handles money is exposed: a cell
//! leader calls dozens of drivers, a driver travels with hundreds of migrants, a hawala broker
//! talks to every client whose money passes through him. Centralities reward that exposure
//! (PageRank, degree and betweenness put leaders and brokers first), and so does a walk
//! following the money: brokers pass nearly all of it on, but every walk passes through
//! them. Dividing by contacts keeps the money and discounts the exposure.
//!
//! Only persons (and nodes of unknown kind, as in an edge list without kinds) are scored:
//! phones, accounts, vehicles and companies do not run anything, however much money they
//! carry. Everything is read through the [`View`], so a hidden edge is a deleted edge.

use rayon::prelude::*;

use crate::graph::{EdgeType, EdgeTypes, NodeId, NodeKind};
use crate::view::View;

/// The edge types that record two people in contact: they spoke, wrote, travelled together or
/// were stopped together.
pub const CONTACT_TYPES: EdgeTypes = EdgeTypes(
    EdgeType::Called.bit()
        | EdgeType::Messaged.bit()
        | EdgeType::TravelledWith.bit()
        | EdgeType::InterceptedTogether.bit(),
);

/// The ranking and what it is made of, per node id (0 outside the view).
#[derive(Clone, Debug, PartialEq)]
pub struct OrganiserRank {
    /// `money / (1 + contacts)` for persons and nodes of unknown kind; 0 for other kinds.
    pub score: Vec<f64>,
    /// Amount on the node's visible Payment edges, in and out.
    pub money: Vec<f64>,
    /// Distinct neighbours over visible contact edges ([`CONTACT_TYPES`]).
    pub contacts: Vec<u32>,
}

/// Ranks every node of the view (see the module docs). Nodes are independent, so they are
/// scored in parallel; the result does not depend on the number of threads.
pub fn organiser_rank(view: &View<'_>) -> OrganiserRank {
    let g = view.graph();
    let per_node: Vec<(f64, u32, f64)> = (0..view.id_bound() as NodeId)
        .into_par_iter()
        .with_min_len(1024)
        .map(|v| {
            let mut money = 0.0;
            let mut contacts = 0u32;
            let mut last = NodeId::MAX;
            // Neighbours come in order, so a neighbour met over several edges is adjacent.
            for (w, e) in view.neighbors(v) {
                let kind = g.edge(e).kind;
                if kind == EdgeType::Paid {
                    money += view.amount(e);
                }
                if CONTACT_TYPES.contains(kind) && w != last {
                    contacts += 1;
                    last = w;
                }
            }
            let scored = matches!(g.kind(v), NodeKind::Person | NodeKind::Unknown);
            let score = if scored && view.contains(v) {
                money / (1.0 + f64::from(contacts))
            } else {
                0.0
            };
            (score, contacts, money)
        })
        .collect();
    OrganiserRank {
        score: per_node.iter().map(|x| x.0).collect(),
        contacts: per_node.iter().map(|x| x.1).collect(),
        money: per_node.iter().map(|x| x.2).collect(),
    }
}
