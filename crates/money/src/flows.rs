//! Where money went: transfers followed hop by hop out of a set of accounts, in time order.

use std::collections::HashMap;

use crate::ledger::Ledger;

/// One transfer on a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowStep {
    /// The hop it is on: 1 for a transfer out of a start account.
    pub hop: usize,
    /// Its ledger row.
    pub tx: usize,
}

/// Each account's outgoing rows, in canonical (time) order: the index [`walk_indexed`] walks.
/// Built once per ledger by a caller that walks often (the API keeps it with its ledger).
pub fn outgoing_index(l: &Ledger) -> Vec<Vec<u32>> {
    let mut outgoing: Vec<Vec<u32>> = vec![Vec::new(); l.accounts.len()];
    for i in 0..l.len() {
        // Rows are in canonical (time) order, so each list is too.
        outgoing[l.from[i] as usize].push(i as u32);
    }
    outgoing
}

/// Transfers out of `start`, then out of their receivers, up to `hops` hops; a transfer out of
/// an account counts only from the time the first transfer reached it (money cannot leave
/// before it arrived; the start accounts count from the beginning). `keep` decides which rows
/// may be followed at all (a minimum amount, or what a viewer may read). Stops after
/// `steps_max` transfers and then says so (`true`).
pub fn walk_flows(
    l: &Ledger,
    start: &[u32],
    hops: usize,
    steps_max: usize,
    keep: impl Fn(usize) -> bool,
) -> (Vec<FlowStep>, bool) {
    walk_indexed(l, &outgoing_index(l), start, hops, steps_max, keep)
}

/// [`walk_flows`] over an index from [`outgoing_index`] built beforehand.
pub fn walk_indexed(
    l: &Ledger,
    outgoing: &[Vec<u32>],
    start: &[u32],
    hops: usize,
    steps_max: usize,
    keep: impl Fn(usize) -> bool,
) -> (Vec<FlowStep>, bool) {
    assert_eq!(
        outgoing.len(),
        l.accounts.len(),
        "an index of another ledger"
    );
    let mut reached: HashMap<u32, i64> = start.iter().map(|&a| (a, i64::MIN)).collect();
    let mut frontier: Vec<(u32, i64)> = start.iter().map(|&a| (a, i64::MIN)).collect();
    let mut steps = Vec::new();
    for hop in 1..=hops {
        let mut next = Vec::new();
        for &(account, since) in &frontier {
            let out = &outgoing[account as usize];
            let first = out.partition_point(|&t| l.ts[t as usize] < since);
            for &t in &out[first..] {
                let t = t as usize;
                if !keep(t) {
                    continue;
                }
                if steps.len() >= steps_max {
                    return (steps, true);
                }
                steps.push(FlowStep { hop, tx: t });
                let to = l.to[t];
                if let std::collections::hash_map::Entry::Vacant(e) = reached.entry(to) {
                    e.insert(l.ts[t]);
                    next.push((to, l.ts[t]));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    (steps, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerBuilder;

    /// A ledger of six accounts with fan-outs, cycles and equal timestamps; `kept` rows only
    /// when given.
    fn ledger(kept: Option<&dyn Fn(usize) -> bool>) -> Ledger {
        let mut b = LedgerBuilder::new();
        let accounts = ["A", "B", "C", "D", "E", "F"];
        let mut x: u64 = 12_345;
        for i in 0..300 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let from = accounts[(x >> 33) as usize % accounts.len()];
            let to = accounts[(x >> 17) as usize % accounts.len()];
            let ts = 1_700_000_000 + ((x >> 40) % 50) as i64 * 3_600;
            if kept.is_none_or(|k| k(i)) {
                b.push(
                    &format!("t{i:03}"),
                    ts,
                    from,
                    to,
                    100 + i as i64,
                    crate::CHANNEL_OTHER,
                )
                .unwrap();
            }
        }
        b.build().unwrap()
    }

    /// Following only the rows `keep` allows is walking the ledger that holds only those rows;
    /// every step leaves its account no earlier than money first reached it, one hop after
    /// that; and a budget cuts the same walk short.
    #[test]
    fn walks_follow_time_and_the_filter() {
        let full = ledger(None);
        let index = outgoing_index(&full);
        let id = |l: &Ledger, t: usize| l.ids[t].clone();
        let mut walked = 0;
        for modulus in [1usize, 2, 3] {
            let row_of = |t: usize| -> usize { full.ids[t][1..].parse().unwrap() };
            let keep = |t: usize| row_of(t).is_multiple_of(modulus);
            let sub = ledger(Some(&|i: usize| i.is_multiple_of(modulus)));
            for name in ["A", "B", "C", "D", "E", "F"] {
                let (Some(start), Some(sub_start)) = (
                    full.accounts.iter().position(|a| a == name),
                    sub.accounts.iter().position(|a| a == name),
                ) else {
                    continue;
                };
                for hops in 1..=4 {
                    let (steps, cut) =
                        walk_indexed(&full, &index, &[start as u32], hops, 10_000, keep);
                    let (want, _) = walk_flows(&sub, &[sub_start as u32], hops, 10_000, |_| true);
                    assert!(!cut);
                    let got: Vec<(usize, String)> =
                        steps.iter().map(|s| (s.hop, id(&full, s.tx))).collect();
                    let want: Vec<(usize, String)> =
                        want.iter().map(|s| (s.hop, id(&sub, s.tx))).collect();
                    assert_eq!(
                        got, want,
                        "start {name}, hops {hops}, every {modulus}th row"
                    );
                    // Time and hops: an account is left from the first arrival on.
                    let mut reached: HashMap<u32, (usize, i64)> =
                        HashMap::from([(start as u32, (0, i64::MIN))]);
                    for s in &steps {
                        let from = full.from[s.tx];
                        let (hop, since) = reached[&from];
                        assert_eq!(s.hop, hop + 1);
                        assert!(full.ts[s.tx] >= since);
                        reached
                            .entry(full.to[s.tx])
                            .or_insert((s.hop, full.ts[s.tx]));
                    }
                    for max in [1, 7] {
                        let (short, cut) =
                            walk_indexed(&full, &index, &[start as u32], hops, max, keep);
                        assert_eq!(short[..], steps[..steps.len().min(max)]);
                        assert_eq!(cut, steps.len() > max);
                    }
                    walked += 1;
                }
            }
        }
        assert!(walked >= 60, "{walked}");
    }
}
