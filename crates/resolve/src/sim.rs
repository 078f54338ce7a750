//! String similarity on the comparison keys, which are short lower-case ASCII (names, address
//! lines): Jaro–Winkler and a bounded optimal-string-alignment distance over bytes, with no
//! allocation. Results equal `strsim`'s (a property test checks it); longer or non-ASCII input
//! goes to `strsim` itself.

/// Longest key handled on the stack.
const FAST_BYTES_MAX: usize = 64;

/// Jaro–Winkler similarity, as `strsim::jaro_winkler` (prefix boost only above 0.7, prefix up
/// to 4, scaling 0.1).
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || x.len() > FAST_BYTES_MAX || y.len() > FAST_BYTES_MAX {
        return strsim::jaro_winkler(a, b);
    }
    let sim = jaro_bytes(x, y);
    if sim > 0.7 {
        let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// [`jaro_winkler`], or `None` when it is certainly below `floor`: most pairs of different
/// names share too few letters to come near a threshold, and counting shared letters is cheaper
/// than aligning them. The bound takes every shared letter as a match with no transposition and
/// the longest prefix boost.
pub fn jaro_winkler_from(a: &str, b: &str, floor: f64) -> Option<f64> {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || x.is_empty() || y.is_empty() {
        return Some(jaro_winkler(a, b));
    }
    let mut counts = [0u8; 128];
    for &c in x {
        counts[usize::from(c)] = counts[usize::from(c)].saturating_add(1);
    }
    let mut shared = 0usize;
    for &c in y {
        let slot = &mut counts[usize::from(c)];
        if *slot > 0 {
            *slot -= 1;
            shared += 1;
        }
    }
    let bound = if shared == 0 {
        0.0
    } else {
        let s = shared as f64;
        let jaro = (s / x.len() as f64 + s / y.len() as f64 + 1.0) / 3.0;
        if jaro > 0.7 {
            jaro + 0.1 * 4.0 * (1.0 - jaro)
        } else {
            jaro
        }
    };
    if bound < floor {
        None
    } else {
        Some(jaro_winkler(a, b))
    }
}

fn jaro_bytes(a: &[u8], b: &[u8]) -> f64 {
    assert!(a.len() <= FAST_BYTES_MAX && b.len() <= FAST_BYTES_MAX);
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_flags = 0u64;
    let mut b_flags = 0u64;
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for (j, &cb) in b.iter().enumerate().take(hi).skip(lo) {
            if b_flags & (1 << j) == 0 && cb == ca {
                a_flags |= 1 << i;
                b_flags |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        if a_flags & (1 << i) == 0 {
            continue;
        }
        while b_flags & (1 << j) == 0 {
            j += 1;
        }
        if b[j] != ca {
            transpositions += 1;
        }
        j += 1;
    }
    let m = matches as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (matches - transpositions / 2) as f64 / m) / 3.0
}

/// Optimal-string-alignment distance (Damerau–Levenshtein with adjacent transpositions, no
/// substring edited twice), capped: returns `min(distance, cap + 1)`.
pub fn osa_bounded(a: &str, b: &str, cap: usize) -> usize {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if x.len().abs_diff(y.len()) > cap {
        return cap + 1;
    }
    if !a.is_ascii() || !b.is_ascii() || x.len() > FAST_BYTES_MAX || y.len() > FAST_BYTES_MAX {
        return strsim::osa_distance(a, b).min(cap + 1);
    }
    // The bag distance (letters of one not matched in the other) is at most the edit distance,
    // and most pairs of different identifiers are far apart by it alone.
    let mut counts = [0u8; 128];
    for &c in x {
        counts[usize::from(c)] = counts[usize::from(c)].saturating_add(1);
    }
    let shared = y
        .iter()
        .filter(|&&c| {
            let slot = &mut counts[usize::from(c)];
            let hit = *slot > 0;
            *slot = slot.saturating_sub(1);
            hit
        })
        .count();
    if x.len().max(y.len()) - shared > cap {
        return cap + 1;
    }
    let n = y.len();
    let mut prev2 = [0usize; FAST_BYTES_MAX + 1];
    let mut prev = [0usize; FAST_BYTES_MAX + 1];
    let mut cur = [0usize; FAST_BYTES_MAX + 1];
    for (j, p) in prev.iter_mut().enumerate().take(n + 1) {
        *p = j;
    }
    for i in 1..=x.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(x[i - 1] != y[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > cap {
            return cap + 1;
        }
        prev2[..=n].copy_from_slice(&prev[..=n]);
        prev[..=n].copy_from_slice(&cur[..=n]);
    }
    prev[n].min(cap + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert!(
            (jaro_winkler("jovanovic", "jovanovich")
                - strsim::jaro_winkler("jovanovic", "jovanovich"))
            .abs()
                < 1e-12
        );
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("a", ""), 0.0);
        assert_eq!(osa_bounded("ca", "ac", 2), 1);
        assert_eq!(osa_bounded("abc", "abcdef", 2), 3);
    }

    proptest! {
        #[test]
        fn equals_strsim(a in "[a-e ]{0,12}", b in "[a-e ]{0,12}") {
            let fast = jaro_winkler(&a, &b);
            let slow = strsim::jaro_winkler(&a, &b);
            prop_assert!((fast - slow).abs() < 1e-12, "{} vs {}", fast, slow);
            let d = strsim::osa_distance(&a, &b);
            prop_assert_eq!(osa_bounded(&a, &b, 2), d.min(3));
            prop_assert_eq!(osa_bounded(&a, &b, 5), d.min(6));
        }

        #[test]
        fn bounded_jaro_winkler_is_exact_or_below(
            a in "[a-f]{0,10}",
            b in "[a-f]{0,10}",
            floor in 0.0f64..1.0,
        ) {
            let jw = jaro_winkler(&a, &b);
            match jaro_winkler_from(&a, &b, floor) {
                Some(x) => prop_assert_eq!(x, jw),
                None => prop_assert!(jw < floor, "{} >= {}", jw, floor),
            }
        }
    }
}
