//! Keyed resolution: records sharing a key are one subject, unless an analyst said otherwise.

use std::collections::HashMap;

use corridor_resolve::Judgement;

struct Forest {
    parent: Vec<u32>,
    /// Per root: the records its cluster must never share a cluster with.
    forbidden: Vec<Vec<u32>>,
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

    /// Joins the clusters of `a` and `b` unless a cannot-link forbids it; the smaller root
    /// stays root, so a cluster's root is its first record.
    fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        let clash = |forest: &mut Forest, from: u32, to: u32| {
            let partners = forest.forbidden[from as usize].clone();
            partners.into_iter().any(|p| forest.find(p) == to)
        };
        if clash(self, ra, rb) || clash(self, rb, ra) {
            return false;
        }
        let (root, child) = (ra.min(rb), ra.max(rb));
        self.parent[child as usize] = root;
        let moved = std::mem::take(&mut self.forbidden[child as usize]);
        self.forbidden[root as usize].extend(moved);
        true
    }
}

/// Per record, the first record of its subject. Must-links join first; then records sharing
/// a key value (in any of the kind's keys) join, key by key, in record order; a join that would put a cannot-link pair in
/// one subject is skipped (the number was recycled, the plate was cloned).
pub fn cluster_by_keys(key_values: &[Vec<u64>], keys: usize, judgements: &[Judgement]) -> Vec<u32> {
    let n = key_values.first().map_or(0, Vec::len);
    assert_eq!(key_values.len(), keys);
    let mut forest = Forest {
        parent: (0..n as u32).collect(),
        forbidden: vec![Vec::new(); n],
    };
    for j in judgements.iter().filter(|j| !j.same) {
        forest.forbidden[j.l as usize].push(j.r);
        forest.forbidden[j.r as usize].push(j.l);
    }
    for j in judgements.iter().filter(|j| j.same) {
        forest.union(j.l, j.r);
    }
    // One map for every key: key hashes carry their type, so equal values of one type meet
    // across the kind's keys.
    let mut first_of: HashMap<u64, u32> = HashMap::new();
    for column in key_values {
        for (i, &k) in column.iter().enumerate() {
            if k == 0 {
                continue;
            }
            let first = *first_of.entry(k).or_insert(i as u32);
            if first != i as u32 {
                forest.union(first, i as u32);
            }
        }
    }
    (0..n as u32).map(|i| forest.find(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_keys_join_and_judgements_win() {
        // Records 0, 1, 2 share a number; 3 shares a second key with 2; 4 stands alone.
        let numbers = vec![7, 7, 7, 0, 9];
        let imos = vec![0, 0, 5, 5, 0];
        let keys = vec![numbers, imos];
        assert_eq!(cluster_by_keys(&keys, 2, &[]), [0, 0, 0, 0, 4]);
        let apart = [Judgement {
            l: 1,
            r: 3,
            same: false,
        }];
        let c = cluster_by_keys(&keys, 2, &apart);
        assert_ne!(c[1], c[3], "a cannot-link holds");
        let together = [Judgement {
            l: 0,
            r: 4,
            same: true,
        }];
        assert_eq!(cluster_by_keys(&keys, 2, &together), [0, 0, 0, 0, 0]);
    }
}
