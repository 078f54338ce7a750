//! Connected components and networks.

use crate::graph::NodeId;
use crate::view::{EdgeFilter, View};

/// Label of a node outside the view.
pub const NO_COMPONENT: u32 = u32::MAX;

/// A partition of the view's nodes into connected components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Components {
    /// Component of each node id (`NO_COMPONENT` outside the view). Components are numbered
    /// by size, largest first, ties by smallest member id: the numbering is deterministic.
    pub label: Vec<u32>,
    /// Size of each component.
    pub sizes: Vec<usize>,
}

impl Components {
    /// Members of each component, each list in id order.
    pub fn members(&self) -> Vec<Vec<NodeId>> {
        let mut m = vec![Vec::new(); self.sizes.len()];
        for (v, &c) in self.label.iter().enumerate() {
            if c != NO_COMPONENT {
                m[c as usize].push(v as NodeId);
            }
        }
        m
    }
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

/// Connected components of the view (union–find with path halving over the visible edges).
pub fn components(view: &View<'_>) -> Components {
    let n = view.id_bound();
    let g = view.graph();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    for e in view.edges() {
        let edge = g.edge(e);
        let (a, b) = (
            find(&mut parent, edge.source),
            find(&mut parent, edge.target),
        );
        if a != b {
            // The smaller id becomes the root, so roots are each component's smallest member.
            let (lo, hi) = (a.min(b), a.max(b));
            parent[hi as usize] = lo;
        }
    }
    let mut root_size = vec![0usize; n];
    for v in 0..n as u32 {
        if view.contains(v) {
            let r = find(&mut parent, v);
            root_size[r as usize] += 1;
        }
    }
    let mut roots: Vec<u32> = (0..n as u32)
        .filter(|&r| root_size[r as usize] > 0)
        .collect();
    roots.sort_by_key(|&r| (std::cmp::Reverse(root_size[r as usize]), r));
    let mut root_label = vec![NO_COMPONENT; n];
    for (i, &r) in roots.iter().enumerate() {
        root_label[r as usize] = i as u32;
    }
    let label: Vec<u32> = (0..n as u32)
        .map(|v| {
            if view.contains(v) {
                root_label[parent[v as usize] as usize]
            } else {
                NO_COMPONENT
            }
        })
        .collect();
    let sizes = roots.iter().map(|&r| root_size[r as usize]).collect();
    debug_assert!(
        label
            .iter()
            .all(|&c| c == NO_COMPONENT || (c as usize) < roots.len())
    );
    Components { label, sizes }
}

/// Records an edge needs, by default, to hold a network together: 2 drops the single-record
/// edges (one sighting, one call), which chain unrelated groups into one component.
pub const NETWORK_EDGE_WEIGHT_MIN: u32 = 2;

/// Networks: the components that remain after dropping edges with fewer than `weight_min`
/// records. Singletons stay as components of size 1.
pub fn networks(view: &View<'_>, weight_min: u32) -> Components {
    let strong = view.filtered(&EdgeFilter {
        weight_min,
        ..EdgeFilter::default()
    });
    components(&strong)
}
