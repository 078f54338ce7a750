//! Pairwise quality against known true pairs: precision, recall and F1.

use std::collections::HashSet;

/// Pairwise confusion counts and the measures derived from them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quality {
    /// Predicted pairs that are true pairs.
    pub true_positives: u64,
    /// Predicted pairs that are not.
    pub false_positives: u64,
    /// True pairs not predicted.
    pub false_negatives: u64,
}

impl Quality {
    /// Compares predicted pairs with true pairs. Pairs are unordered; duplicates count once.
    pub fn of(predicted: &[(u32, u32)], truth: &[(u32, u32)]) -> Quality {
        let key = |&(a, b): &(u32, u32)| (u64::from(a.min(b)) << 32) | u64::from(a.max(b));
        let truth: HashSet<u64> = truth.iter().map(key).collect();
        let predicted: HashSet<u64> = predicted.iter().map(key).collect();
        let tp = predicted.intersection(&truth).count() as u64;
        Quality {
            true_positives: tp,
            false_positives: predicted.len() as u64 - tp,
            false_negatives: truth.len() as u64 - tp,
        }
    }

    /// TP / (TP + FP); 1 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        let d = self.true_positives + self.false_positives;
        if d == 0 {
            1.0
        } else {
            self.true_positives as f64 / d as f64
        }
    }

    /// TP / (TP + FN); 1 when there is nothing to find.
    pub fn recall(&self) -> f64 {
        let d = self.true_positives + self.false_negatives;
        if d == 0 {
            1.0
        } else {
            self.true_positives as f64 / d as f64
        }
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Every pair of records that share a cluster (`cluster_of[i]` is record i's cluster).
pub fn cluster_pairs(cluster_of: &[u32]) -> Vec<(u32, u32)> {
    let mut by_cluster: Vec<(u32, u32)> = cluster_of
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as u32))
        .collect();
    by_cluster.sort_unstable();
    let mut out = Vec::new();
    let mut s = 0;
    while s < by_cluster.len() {
        let mut e = s + 1;
        while e < by_cluster.len() && by_cluster[e].0 == by_cluster[s].0 {
            e += 1;
        }
        for x in s..e {
            for y in x + 1..e {
                out.push((by_cluster[x].1, by_cluster[y].1));
            }
        }
        s = e;
    }
    out
}
