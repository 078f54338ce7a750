//! Streaming and batch give the same alerts; the order of transactions with equal timestamps,
//! the order rows are read in and the number of threads change nothing.

use corridor_money::*;
use proptest::prelude::*;

/// Thresholds low enough that small random ledgers set every kernel off.
fn eager() -> Config {
    Config {
        fan_degree_min: 2,
        fan_amount_min: 0,
        structuring_threshold: 1_000,
        structuring_count_min: 2,
        structuring_cash_only: false,
        scatter_branches_min: 2,
        shape_amount_ratio_min: 0.5,
        cycle_amount_ratio_min: 0.5,
        pass_through_ratio_min: 0.5,
        pattern_amount_min: 0,
        settlement_amount_min: 0,
        settlement_match_ratio_min: 0.3,
        fan_window_seconds: 50,
        structuring_window_seconds: 50,
        cycle_window_seconds: 60,
        shape_window_seconds: 40,
        pass_through_seconds: 20,
        settlement_window_seconds: 80,
        edges_per_account_max: 6,
        ..Config::default()
    }
}

/// Rows: (from, to, amount, timestamp, channel), few accounts, few timestamps, few amounts.
fn rows() -> impl Strategy<Value = Vec<(u8, u8, i64, i64, u8)>> {
    prop::collection::vec(
        (
            0u8..6,
            0u8..6,
            prop::sample::select(vec![500i64, 600, 900, 950, 1_000]),
            0i64..40,
            0u8..2,
        ),
        0..60,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(f, t, a, ts, c)| (f, t, a, ts * 5, c))
            .collect()
    })
}

fn build(rows: &[(u8, u8, i64, i64, u8)], order: &[usize]) -> Ledger {
    let mut b = LedgerBuilder::new();
    for &i in order {
        let (f, t, a, ts, c) = rows[i];
        b.push(
            &format!("T{i:03}"),
            ts,
            &format!("acc{f}"),
            &format!("acc{t}"),
            a,
            c,
        )
        .expect("push");
    }
    b.build().expect("build")
}

/// Alerts with transactions and accounts by name, so that ledgers built in other orders
/// compare.
/// An alert by names: typology, accounts, transaction ids, window.
type Named = (Typology, Vec<String>, Vec<String>, (i64, i64));

fn named(l: &Ledger, alerts: &[Alert]) -> Vec<Named> {
    let mut v: Vec<_> = alerts
        .iter()
        .map(|a| {
            let mut txs: Vec<String> = a
                .transactions
                .iter()
                .map(|&t| l.ids[t as usize].clone())
                .collect();
            txs.sort();
            (
                a.typology,
                a.accounts
                    .iter()
                    .map(|&x| l.accounts[x as usize].clone())
                    .collect(),
                txs,
                a.window,
            )
        })
        .collect();
    v.sort();
    v
}

/// Streams the ledger's rows in `order` (which must keep time order), taking alerts as they
/// come.
fn stream(l: &Ledger, config: &Config, order: &[usize]) -> Vec<Alert> {
    let mut s = Scanner::new(config).expect("scanner");
    let mut out = Vec::new();
    for &row in order {
        s.push(l.tx(row)).expect("push");
        out.extend(s.take_alerts());
    }
    out.extend(s.finish().expect("finishes").0);
    out
}

/// As [`stream`], but handing the scanner `chunk` rows at a time with [`Scanner::push_all`].
fn stream_chunks(l: &Ledger, config: &Config, order: &[usize], chunk: usize) -> Vec<Alert> {
    let mut s = Scanner::new(config).expect("scanner");
    let mut out = Vec::new();
    for rows in order.chunks(chunk) {
        let txs: Vec<Tx> = rows.iter().map(|&row| l.tx(row)).collect();
        s.push_all(&txs).expect("push_all");
        out.extend(s.take_alerts());
    }
    out.extend(s.finish().expect("finishes").0);
    out
}

/// The ledger as a CSV in canonical order, streamed through `scan_stream` on `threads`
/// scanner threads: alerts as (typology, account names, transaction ids, window, score).
fn stream_csv(l: &Ledger, config: &Config, threads: usize) -> Vec<Named> {
    let mut text = String::from("id,timestamp,from_account,to_account,amount,channel\n");
    for row in 0..l.len() {
        let tx = l.tx(row);
        text.push_str(&format!(
            "{},{},{},{},{}.{:02},{}\n",
            l.ids[row],
            tx.ts,
            l.accounts[tx.from as usize],
            l.accounts[tx.to as usize],
            tx.amount / 100,
            tx.amount % 100,
            channel_name(tx.channel)
        ));
    }
    let mut out = Vec::new();
    scan_stream(
        text.as_bytes(),
        "t.csv",
        config,
        &Typology::ALL,
        threads,
        |a| {
            let mut accounts: Vec<String> = a.accounts.iter().map(|s| s.to_string()).collect();
            accounts[1..].sort();
            let mut txs: Vec<String> = a.transactions.iter().map(|s| s.to_string()).collect();
            txs.sort();
            out.push((a.typology, accounts, txs, a.window));
            Ok(())
        },
    )
    .expect("streams");
    // As `named` has them; the order itself is checked against the batch's elsewhere.
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_csv_stream_equals_batch_on_any_thread_split(rows in rows()) {
        let config = eager();
        let identity: Vec<usize> = (0..rows.len()).collect();
        let l = build(&rows, &identity);
        let batch = named(&l, &scan(&l, &config, 1).expect("scan"));
        for threads in 1..=stream::SCAN_THREADS_MAX {
            let streamed = stream_csv(&l, &config, threads);
            prop_assert_eq!(&batch, &streamed, "{} scanner threads", threads);
        }
    }

    #[test]
    fn streaming_equals_batch_whatever_the_order_of_ties(
        rows in rows(),
        seed in any::<u64>(),
        chunk in 1usize..9,
    ) {
        let config = eager();
        let identity: Vec<usize> = (0..rows.len()).collect();
        let l = build(&rows, &identity);
        let batch = scan(&l, &config, 1).expect("scan");
        // Rows in time order, equal timestamps shuffled by the seed.
        let mut order: Vec<usize> = (0..l.len()).collect();
        let key = |i: usize| (l.ts[i], (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        order.sort_by_key(|&i| key(i));
        let streamed = stream(&l, &config, &order);
        prop_assert_eq!(named(&l, &batch), named(&l, &streamed));
        // Runs of any length, cut anywhere (within a timestamp too), scan the same.
        let chunked = stream_chunks(&l, &config, &order, chunk);
        prop_assert_eq!(named(&l, &batch), named(&l, &chunked), "runs of {}", chunk);
        let two = scan(&l, &config, 2).expect("scan");
        prop_assert_eq!(&batch, &two);
    }

    #[test]
    fn input_order_changes_nothing(rows in rows(), seed in any::<u64>()) {
        let config = eager();
        let identity: Vec<usize> = (0..rows.len()).collect();
        let mut shuffled = identity.clone();
        shuffled.sort_by_key(|&i| (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let a = build(&rows, &identity);
        let b = build(&rows, &shuffled);
        prop_assert_eq!(&a, &b);
        let alerts_a = scan(&a, &config, 1).expect("scan");
        let alerts_b = scan(&b, &config, 1).expect("scan");
        prop_assert_eq!(named(&a, &alerts_a), named(&b, &alerts_b));
    }
}

#[test]
fn eager_config_sets_kernels_off() {
    // The property tests are only worth something if random ledgers raise alerts of most kinds.
    let mut seen = std::collections::BTreeSet::new();
    let mut rows = Vec::new();
    for i in 0..400u32 {
        let x = i.wrapping_mul(2_654_435_761);
        rows.push((
            (x % 6) as u8,
            ((x >> 8) % 6) as u8,
            [500, 600, 900, 950, 1_000][((x >> 16) % 5) as usize],
            i64::from(i / 3),
            ((x >> 20) % 2) as u8,
        ));
    }
    let order: Vec<usize> = (0..rows.len()).collect();
    let l = build(&rows, &order);
    for a in scan(&l, &eager(), 1).expect("scan") {
        seen.insert(a.typology);
    }
    assert!(seen.len() >= 6, "{seen:?}");
}
