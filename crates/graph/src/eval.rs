//! Agreement between two partitions: adjusted Rand index and normalised mutual information.
//! Both take two label vectors over the same items (labels are arbitrary ids).

use std::collections::HashMap;

/// Pair counts, and each side's label counts.
type Counts = (
    HashMap<(u32, u32), u64>,
    HashMap<u32, u64>,
    HashMap<u32, u64>,
);

fn contingency(a: &[u32], b: &[u32]) -> Counts {
    assert_eq!(a.len(), b.len(), "partitions of different item sets");
    let mut nij = HashMap::new();
    let mut ai = HashMap::new();
    let mut bj = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *nij.entry((x, y)).or_insert(0) += 1;
        *ai.entry(x).or_insert(0) += 1;
        *bj.entry(y).or_insert(0) += 1;
    }
    (nij, ai, bj)
}

fn choose2(x: u64) -> f64 {
    let x = x as f64;
    x * (x - 1.0) / 2.0
}

/// Adjusted Rand index (Hubert and Arabie 1985): 1 for identical partitions, about 0 for
/// independent ones.
pub fn adjusted_rand_index(a: &[u32], b: &[u32]) -> f64 {
    let n = a.len() as u64;
    if n < 2 {
        return 1.0;
    }
    let (nij, ai, bj) = contingency(a, b);
    let index: f64 = nij.values().map(|&x| choose2(x)).sum();
    let sa: f64 = ai.values().map(|&x| choose2(x)).sum();
    let sb: f64 = bj.values().map(|&x| choose2(x)).sum();
    let expected = sa * sb / choose2(n);
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// Normalised mutual information, `I(A; B) / ((H(A) + H(B)) / 2)` (the arithmetic-mean
/// normalisation, scikit-learn's default).
pub fn normalized_mutual_information(a: &[u32], b: &[u32]) -> f64 {
    let n = a.len() as f64;
    if a.is_empty() {
        return 1.0;
    }
    let (nij, ai, bj) = contingency(a, b);
    let entropy = |m: &HashMap<u32, u64>| -> f64 {
        m.values()
            .map(|&x| {
                let p = x as f64 / n;
                -p * p.ln()
            })
            .sum()
    };
    let (ha, hb) = (entropy(&ai), entropy(&bj));
    let mut mi = 0.0;
    for (&(x, y), &c) in &nij {
        let c = c as f64;
        mi += c / n * ((c * n) / (ai[&x] as f64 * bj[&y] as f64)).ln();
    }
    let denom = (ha + hb) / 2.0;
    if denom <= 0.0 {
        return 1.0;
    }
    (mi / denom).clamp(0.0, 1.0)
}
