//! Clustering: pairs above the threshold join clusters, strongest pairs first, honouring
//! analysts' judgements. A must-link joins two records whatever their score; a cannot-link keeps
//! them apart: a pair whose joining would put a cannot-link inside one cluster is left out, so a
//! cluster that would hold a contradiction is split at its weakest links.
//!
//! A pair joins two clusters only when the clusters are densely linked: at least
//! [`LINKAGE_SHARE_NUM`]/[`LINKAGE_SHARE_DEN`] of the record pairs between them must be pairs
//! above the threshold. Connected components alone would chain different people through one
//! record that resembles both (a common name, a shared phone) into one giant cluster.

use std::collections::HashMap;

use crate::Error;

/// Numerator of the share of record pairs between two clusters that must be links for a pair to
/// join them.
pub const LINKAGE_SHARE_NUM: u64 = 1;
/// Denominator of that share.
pub const LINKAGE_SHARE_DEN: u64 = 2;

/// A pair kept for clustering: record indices (canonical order) and match weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edge {
    /// Left record.
    pub l: u32,
    /// Right record.
    pub r: u32,
    /// Match weight (log2 odds).
    pub weight: f64,
}

/// What clustering did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterStats {
    /// Pairs that joined two clusters.
    pub edges_joined: u64,
    /// Pairs left out because joining would break a cannot-link.
    pub edges_cut: u64,
    /// Pairs left out because their clusters were too loosely linked to join.
    pub edges_loose: u64,
    /// Clusters (including single records).
    pub clusters: u64,
}

struct Forest {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// Per root: records of the cluster that have a cannot-link, with their partners.
    forbidden: Vec<Vec<(u32, u32)>>,
    /// Per root: links (pairs above the threshold) to each other root.
    links: Vec<HashMap<u32, u32>>,
}

impl Forest {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// True when joining the clusters of roots `a` and `b` would put a cannot-link inside one.
    fn conflict(&mut self, a: u32, b: u32) -> bool {
        let (small, other) = if self.forbidden[a as usize].len() <= self.forbidden[b as usize].len()
        {
            (a, b)
        } else {
            (b, a)
        };
        let list = std::mem::take(&mut self.forbidden[small as usize]);
        let hit = list.iter().any(|&(_, partner)| self.find(partner) == other);
        self.forbidden[small as usize] = list;
        hit
    }

    fn union(&mut self, a: u32, b: u32) {
        let (big, small) = if self.size[a as usize] >= self.size[b as usize] {
            (a, b)
        } else {
            (b, a)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        let moved = std::mem::take(&mut self.forbidden[small as usize]);
        self.forbidden[big as usize].extend(moved);
        let moved = std::mem::take(&mut self.links[small as usize]);
        self.links[big as usize].remove(&small);
        for (other, count) in moved {
            if other == big {
                continue;
            }
            let theirs = &mut self.links[other as usize];
            theirs.remove(&small);
            *theirs.entry(big).or_insert(0) += count;
            *self.links[big as usize].entry(other).or_insert(0) += count;
        }
    }

    /// True when at least the linkage share of the record pairs between the clusters of roots
    /// `a` and `b` are links.
    fn dense(&self, a: u32, b: u32) -> bool {
        let links = u64::from(self.links[a as usize].get(&b).copied().unwrap_or(0));
        let pairs = u64::from(self.size[a as usize]) * u64::from(self.size[b as usize]);
        links * LINKAGE_SHARE_DEN >= pairs * LINKAGE_SHARE_NUM
    }
}

/// Clusters `n` records. `edges` are the distinct pairs at or above the threshold (any order:
/// they are sorted here by weight, strongest first, ties by record indices, so the result
/// depends only on the set of edges). Returns, per record, the smallest record index of its
/// cluster: with records in canonical order that is a cluster id stable across re-runs and input
/// orders.
pub fn cluster(
    n: usize,
    edges: &mut [Edge],
    must_link: &[(u32, u32)],
    cannot_link: &[(u32, u32)],
) -> Result<(Vec<u32>, ClusterStats), Error> {
    let mut forest = Forest {
        parent: (0..n as u32).collect(),
        size: vec![1; n],
        forbidden: vec![Vec::new(); n],
        links: vec![HashMap::new(); n],
    };
    for e in edges.iter() {
        assert!((e.l as usize) < n && (e.r as usize) < n);
        if e.l != e.r {
            *forest.links[e.l as usize].entry(e.r).or_insert(0) += 1;
            *forest.links[e.r as usize].entry(e.l).or_insert(0) += 1;
        }
    }
    for &(a, b) in cannot_link {
        assert!((a as usize) < n && (b as usize) < n);
        if a == b {
            return Err(Error::Judgement(
                "a record cannot be judged different from itself".to_string(),
            ));
        }
        forest.forbidden[a as usize].push((a, b));
        forest.forbidden[b as usize].push((b, a));
    }
    let mut stats = ClusterStats::default();
    let mut must: Vec<(u32, u32)> = must_link
        .iter()
        .map(|&(a, b)| (a.min(b), a.max(b)))
        .collect();
    must.sort_unstable();
    for (a, b) in must {
        let (ra, rb) = (forest.find(a), forest.find(b));
        if ra == rb {
            continue;
        }
        if forest.conflict(ra, rb) {
            return Err(Error::Judgement(format!(
                "the must-link judgements joining records {a} and {b} contradict a cannot-link"
            )));
        }
        forest.union(ra, rb);
    }
    edges.sort_unstable_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then(x.l.cmp(&y.l))
            .then(x.r.cmp(&y.r))
    });
    for e in edges.iter() {
        let (ra, rb) = (forest.find(e.l), forest.find(e.r));
        if ra == rb {
            continue;
        }
        if forest.conflict(ra, rb) {
            stats.edges_cut += 1;
            continue;
        }
        if !forest.dense(ra, rb) {
            stats.edges_loose += 1;
            continue;
        }
        forest.union(ra, rb);
        stats.edges_joined += 1;
    }
    let mut smallest = vec![u32::MAX; n];
    for i in 0..n as u32 {
        let root = forest.find(i) as usize;
        smallest[root] = smallest[root].min(i);
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n as u32 {
        let root = forest.find(i) as usize;
        out.push(smallest[root]);
        if smallest[root] == i {
            stats.clusters += 1;
        }
    }
    for &(a, b) in cannot_link {
        assert_ne!(out[a as usize], out[b as usize], "cannot-link broken");
    }
    Ok((out, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(l: u32, r: u32, weight: f64) -> Edge {
        Edge { l, r, weight }
    }

    #[test]
    fn components_with_smallest_member_as_id() {
        let mut edges = vec![e(3, 4, 10.0), e(0, 2, 5.0), e(2, 1, 7.0)];
        let (c, stats) = cluster(5, &mut edges, &[], &[]).unwrap();
        assert_eq!(c, vec![0, 0, 0, 3, 3]);
        assert_eq!(stats.clusters, 2);
    }

    #[test]
    fn a_chain_through_one_record_does_not_join_dense_clusters() {
        // {0, 1, 2} and {3, 4, 5} fully linked; 2-3 alone would chain them.
        let mut edges = vec![
            e(0, 1, 20.0),
            e(0, 2, 20.0),
            e(1, 2, 20.0),
            e(3, 4, 20.0),
            e(3, 5, 20.0),
            e(4, 5, 20.0),
            e(2, 3, 5.0),
        ];
        let (c, stats) = cluster(6, &mut edges, &[], &[]).unwrap();
        assert_eq!(c, vec![0, 0, 0, 3, 3, 3]);
        assert_eq!(stats.edges_loose, 1);
    }

    #[test]
    fn cannot_link_cuts_the_weakest_path() {
        // 0-1 strong, 1-2 weak, 2-3 strong; 0 and 3 judged different: the weak edge goes.
        let mut edges = vec![e(0, 1, 20.0), e(1, 2, 3.0), e(2, 3, 20.0)];
        let (c, stats) = cluster(4, &mut edges, &[], &[(0, 3)]).unwrap();
        assert_eq!(c, vec![0, 0, 2, 2]);
        assert_eq!(stats.edges_cut, 1);
    }

    #[test]
    fn must_link_joins_and_contradiction_is_an_error() {
        let (c, _) = cluster(3, &mut [], &[(0, 2)], &[]).unwrap();
        assert_eq!(c, vec![0, 1, 0]);
        assert!(cluster(3, &mut [], &[(0, 1), (1, 2)], &[(0, 2)]).is_err());
    }
}
