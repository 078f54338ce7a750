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
    let mut outgoing: Vec<Vec<u32>> = vec![Vec::new(); l.accounts.len()];
    for i in 0..l.len() {
        // Rows are in canonical (time) order, so each list is too.
        if keep(i) {
            outgoing[l.from[i] as usize].push(i as u32);
        }
    }
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
