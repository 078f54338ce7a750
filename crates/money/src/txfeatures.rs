//! Per-transaction feature rows for a downstream model (the AMLworld papers' setting: one row
//! per transaction, a gradient-boosted classifier on top).
//!
//! Three groups, all computed in canonical order:
//! - the transaction itself: amount, channel, hour of day, day of week;
//! - each end's history *before* the transaction (causal): transactions and money in and out
//!   so far, transactions in and out within the fan window, seconds since the end's previous
//!   transaction, distinct counterparties within the window;
//! - the typology kernels: per typology, whether an alert includes the transaction. An alert is
//!   raised when its pattern completes, so this group looks ahead by at most the typology's
//!   window (`Config`): a detection lag, the same a deployed scanner has.

use std::collections::VecDeque;

use crate::{Config, Ledger, MoneyError, Typology, features};

/// Names of the columns [`transaction_features`] fills, in order.
pub const TX_FEATURE_NAMES: [&str; 22] = [
    "amount_log10",
    "channel",
    "hour",
    "weekday",
    "from_out_count",
    "from_in_count",
    "from_out_amount_log10",
    "from_out_window",
    "from_in_window",
    "from_gap_log10",
    "from_out_counterparties_window",
    "to_in_count",
    "to_out_count",
    "to_in_amount_log10",
    "to_in_window",
    "to_out_window",
    "to_gap_log10",
    "to_in_counterparties_window",
    "alerts_any",
    "alerts_count",
    "alert_typologies",
    "pair_count",
];

/// Feature rows: `values[i]` is the row of the ledger's transaction `i`, aligned with
/// [`TX_FEATURE_NAMES`]; `flags[i]` has bit [`Typology::index`] set when an alert of that
/// typology includes the transaction.
#[derive(Debug, Clone, Default)]
pub struct TxFeatures {
    /// One row per transaction.
    pub values: Vec<[f64; TX_FEATURE_NAMES.len()]>,
    /// Typologies whose alerts include the transaction, as bits.
    pub flags: Vec<u16>,
}

#[derive(Default)]
struct History {
    ins: u64,
    outs: u64,
    in_amount: i64,
    out_amount: i64,
    last_ts: Option<i64>,
    /// (timestamp, counterparty) of recent transactions, each way, oldest first.
    recent_in: VecDeque<(i64, u32)>,
    recent_out: VecDeque<(i64, u32)>,
}

/// Recent transactions kept per account and direction for the window counts: past this the
/// oldest go first (the count saturates, which a tree model reads as "very many").
const RECENT_PER_ACCOUNT_MAX: usize = 4_096;

fn log10p(x: f64) -> f64 {
    (1.0 + x.max(0.0)).log10()
}

fn distinct(recent: &VecDeque<(i64, u32)>) -> usize {
    let mut others: Vec<u32> = recent.iter().map(|&(_, o)| o).collect();
    others.sort_unstable();
    others.dedup();
    others.len()
}

/// Computes the rows for every transaction of `ledger`. The kernels run with `threads`
/// threads (the rows do not depend on it).
pub fn transaction_features(
    ledger: &Ledger,
    config: &Config,
    threads: usize,
) -> Result<TxFeatures, MoneyError> {
    let (alerts, _) = features(ledger, config, &Typology::ALL, threads)?;
    let n = ledger.len();
    let mut flags = vec![0u16; n];
    let mut alert_count = vec![0u16; n];
    for a in &alerts {
        for &t in &a.transactions {
            let t = t as usize;
            if t < n {
                flags[t] |= 1 << a.typology.index();
                alert_count[t] = alert_count[t].saturating_add(1);
            }
        }
    }
    let window = config.fan_window_seconds;
    let mut hist: Vec<History> = (0..ledger.accounts.len())
        .map(|_| History::default())
        .collect();
    let mut pairs: std::collections::HashMap<(u32, u32), u32> = Default::default();
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        let (ts, from, to) = (ledger.ts[i], ledger.from[i], ledger.to[i]);
        let amount = ledger.amount[i];
        let lo = ts - window;
        for h in [from, to] {
            let h = &mut hist[h as usize];
            while h.recent_in.front().is_some_and(|&(t, _)| t < lo) {
                h.recent_in.pop_front();
            }
            while h.recent_out.front().is_some_and(|&(t, _)| t < lo) {
                h.recent_out.pop_front();
            }
        }
        let pair = pairs.entry((from, to)).or_insert(0);
        let pair_before = *pair;
        *pair = pair.saturating_add(1);
        let f = &hist[from as usize];
        let t = &hist[to as usize];
        let gap = |h: &History| h.last_ts.map_or(-1.0, |p| log10p((ts - p) as f64));
        let day = ts.div_euclid(86_400);
        let row = [
            log10p(amount as f64 / 100.0),
            f64::from(ledger.channel[i]),
            (ts.rem_euclid(86_400) / 3_600) as f64,
            // 1970-01-01 was a Thursday: 0 is Monday.
            ((day + 3).rem_euclid(7)) as f64,
            f.outs as f64,
            f.ins as f64,
            log10p(f.out_amount as f64 / 100.0),
            f.recent_out.len() as f64,
            f.recent_in.len() as f64,
            gap(f),
            distinct(&f.recent_out) as f64,
            t.ins as f64,
            t.outs as f64,
            log10p(t.in_amount as f64 / 100.0),
            t.recent_in.len() as f64,
            t.recent_out.len() as f64,
            gap(t),
            distinct(&t.recent_in) as f64,
            f64::from(u8::from(flags[i] != 0)),
            f64::from(alert_count[i]),
            f64::from(flags[i]),
            f64::from(pair_before),
        ];
        values.push(row);
        let f = &mut hist[from as usize];
        f.outs += 1;
        f.out_amount = f.out_amount.saturating_add(amount);
        f.last_ts = Some(ts);
        f.recent_out.push_back((ts, to));
        if f.recent_out.len() > RECENT_PER_ACCOUNT_MAX {
            f.recent_out.pop_front();
        }
        let t = &mut hist[to as usize];
        t.ins += 1;
        t.in_amount = t.in_amount.saturating_add(amount);
        t.last_ts = Some(ts);
        t.recent_in.push_back((ts, from));
        if t.recent_in.len() > RECENT_PER_ACCOUNT_MAX {
            t.recent_in.pop_front();
        }
    }
    debug_assert_eq!(values.len(), n);
    Ok(TxFeatures { values, flags })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LedgerBuilder;

    #[test]
    fn history_is_causal_and_flags_follow_alerts() {
        let mut b = LedgerBuilder::new();
        for (i, (from, to)) in [("a", "b"), ("b", "c"), ("c", "a"), ("a", "b")]
            .into_iter()
            .enumerate()
        {
            b.push(
                &format!("T{i}"),
                1_000 + i as i64 * 3_600,
                from,
                to,
                // A fee taken at each hop, as cycles need.
                5_000_000 - i as i64 * 10_000,
                1,
            )
            .expect("push");
        }
        let l = b.build().expect("build");
        let f = transaction_features(&l, &Config::default(), 1).expect("features");
        assert_eq!(f.values.len(), 4);
        let col = |name: &str| TX_FEATURE_NAMES.iter().position(|n| *n == name).unwrap();
        // The first transaction has no history; the fourth sees a's first payment and the pair.
        assert_eq!(f.values[0][col("from_out_count")], 0.0);
        assert_eq!(f.values[0][col("from_gap_log10")], -1.0);
        assert_eq!(f.values[3][col("from_out_count")], 1.0);
        assert_eq!(f.values[3][col("from_in_count")], 1.0);
        assert_eq!(f.values[3][col("pair_count")], 1.0);
        // The cycle a → b → c → a is flagged on its three transfers.
        let cycle = 1u16 << Typology::Cycle.index();
        assert!(
            f.flags[..3].iter().all(|&x| x & cycle != 0),
            "{:?}",
            f.flags
        );
        assert_eq!(f.values[0][col("alerts_any")], 1.0);
    }
}
