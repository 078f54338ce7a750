//! Each typology on hand-built ledgers: the pattern is found, its near-misses are not.

use corridor_money::*;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
const T0: i64 = 1_672_531_200;

/// A ledger from (from, to, amount in euros, seconds after T0, channel).
fn ledger(rows: &[(&str, &str, i64, i64, &str)]) -> Ledger {
    let mut b = LedgerBuilder::new();
    for (i, &(from, to, euros, at, channel)) in rows.iter().enumerate() {
        b.push(
            &format!("T{i:04}"),
            T0 + at,
            from,
            to,
            euros * 100,
            channel_code(channel),
        )
        .expect("push");
    }
    b.build().expect("build")
}

fn alerts(l: &Ledger, config: &Config, t: Typology) -> Vec<Alert> {
    scan(l, config, 1)
        .expect("scan")
        .into_iter()
        .filter(|a| a.typology == t)
        .collect()
}

fn names(l: &Ledger, a: &Alert) -> Vec<String> {
    a.accounts
        .iter()
        .map(|&i| l.accounts[i as usize].clone())
        .collect()
}

#[test]
fn fan_in_needs_distinct_senders_within_the_window() {
    let c = Config {
        fan_degree_min: 5,
        fan_window_seconds: 7 * DAY,
        ..Config::default()
    };
    let rows: Vec<(String, i64)> = (0..5).map(|i| (format!("s{i}"), i * DAY)).collect();
    let r: Vec<_> = rows
        .iter()
        .map(|(s, at)| (s.as_str(), "hub", 1_000, *at, "mto"))
        .collect();
    let found = alerts(&ledger(&r), &c, Typology::FanIn);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].transactions.len(), 5);
    assert_eq!(names(&ledger(&r), &found[0])[0], "hub");
    // Spread over more than the window: never five within seven days.
    let spread: Vec<_> = rows
        .iter()
        .map(|(s, at)| (s.as_str(), "hub", 1_000, *at * 2, "mto"))
        .collect();
    assert!(alerts(&ledger(&spread), &c, Typology::FanIn).is_empty());
    // One sender five times is not fan-in.
    let same: Vec<_> = rows
        .iter()
        .map(|(_, at)| ("s0", "hub", 1_000, *at, "mto"))
        .collect();
    assert!(alerts(&ledger(&same), &c, Typology::FanIn).is_empty());
    // Too little money.
    let small: Vec<_> = rows
        .iter()
        .map(|(s, at)| (s.as_str(), "hub", 10, *at, "mto"))
        .collect();
    assert!(alerts(&ledger(&small), &c, Typology::FanIn).is_empty());
}

#[test]
fn fan_out_reports_each_transfer_once() {
    let c = Config::default();
    let rows: Vec<(String, i64)> = (0..8).map(|i| (format!("r{i}"), i * HOUR)).collect();
    let r: Vec<_> = rows
        .iter()
        .map(|(s, at)| ("payer", s.as_str(), 1_000, *at, "cash"))
        .collect();
    let l = ledger(&r);
    let found = alerts(&l, &c, Typology::FanOut);
    let mut txs: Vec<u64> = found.iter().flat_map(|a| a.transactions.clone()).collect();
    let n = txs.len();
    txs.dedup();
    assert_eq!(n, 8, "every transfer reported");
    assert_eq!(txs.len(), 8, "and only once");
}

#[test]
fn structuring_under_the_threshold() {
    let c = Config::default();
    let deposits = [14_500, 13_900, 14_800];
    let r: Vec<_> = deposits
        .iter()
        .enumerate()
        .map(|(i, &e)| ("cash-x", "iban-x", e, i as i64 * 2 * DAY, "cash"))
        .collect();
    let found = alerts(&ledger(&r), &c, Typology::Structuring);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].transactions.len(), 3);
    // Over the threshold is reported anyway, so it is not structuring.
    let over: Vec<_> = r
        .iter()
        .map(|&(f, t, _, at, ch)| (f, t, 15_000, at, ch))
        .collect();
    assert!(alerts(&ledger(&over), &c, Typology::Structuring).is_empty());
    // Two deposits are not several; bank transfers are not cash.
    assert!(alerts(&ledger(&r[..2]), &c, Typology::Structuring).is_empty());
    let bank: Vec<_> = r
        .iter()
        .map(|&(f, t, e, at, _)| (f, t, e, at, "bank"))
        .collect();
    assert!(alerts(&ledger(&bank), &c, Typology::Structuring).is_empty());
    // The threshold is configuration: under a EUR 10,000 threshold these are over it.
    let ten = Config {
        structuring_threshold: 1_000_000,
        ..Config::default()
    };
    assert!(alerts(&ledger(&r), &ten, Typology::Structuring).is_empty());
}

#[test]
fn structuring_by_two_depositors_into_one_account() {
    // Interleaved: the first depositor's alert must not hide the second's older deposits.
    let rows = [
        ("cash-a", "iban", 14_000, 0, "cash"),
        ("cash-b", "iban", 14_100, HOUR, "cash"),
        ("cash-a", "iban", 14_200, DAY, "cash"),
        ("cash-b", "iban", 14_300, DAY + HOUR, "cash"),
        ("cash-a", "iban", 14_400, 2 * DAY, "cash"),
        ("cash-b", "iban", 14_500, 2 * DAY + HOUR, "cash"),
    ];
    let found = alerts(&ledger(&rows), &Config::default(), Typology::Structuring);
    assert_eq!(found.len(), 2);
    let mut txs: Vec<u64> = found.iter().flat_map(|a| a.transactions.clone()).collect();
    txs.sort();
    assert_eq!(txs, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn temporal_cycles_up_to_k() {
    let c = Config::default();
    let ring = [
        ("a", "b", 40_000, 0, "bank"),
        ("b", "c", 39_850, DAY, "bank"),
        ("c", "d", 39_700, 2 * DAY, "bank"),
        ("d", "a", 39_550, 3 * DAY, "bank"),
    ];
    let l = ledger(&ring);
    let found = alerts(&l, &c, Typology::Cycle);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].transactions.len(), 4);
    // Not temporal: c pays d before b pays c.
    let shuffled = [
        ("a", "b", 40_000, 0, "bank"),
        ("c", "d", 39_700, DAY, "bank"),
        ("b", "c", 39_850, 2 * DAY, "bank"),
        ("d", "a", 39_550, 3 * DAY, "bank"),
    ];
    assert!(alerts(&ledger(&shuffled), &c, Typology::Cycle).is_empty());
    // Longer than k.
    let short = Config {
        cycle_length_max: 3,
        ..Config::default()
    };
    assert!(alerts(&l, &short, Typology::Cycle).is_empty());
    // Amounts that do not carry through.
    let mut uneven = ring;
    uneven[2].2 = 9_000;
    assert!(alerts(&ledger(&uneven), &c, Typology::Cycle).is_empty());
    // Slower than the window.
    let slow: Vec<_> = ring
        .iter()
        .map(|&(f, t, e, at, ch)| (f, t, e, at * 15, ch))
        .collect();
    assert!(alerts(&ledger(&slow), &c, Typology::Cycle).is_empty());
    // Within the window, but one hop waits three days: trade, not money being layered.
    let mut waits = ring;
    waits[3].3 = 5 * DAY;
    assert!(alerts(&ledger(&waits), &c, Typology::Cycle).is_empty());
    // The money comes back whole (a refund, a supplier repaid): no fee, no laundering cycle.
    let refund = [
        ("a", "b", 40_000, 0, "bank"),
        ("b", "a", 40_000, DAY, "bank"),
    ];
    assert!(alerts(&ledger(&refund), &c, Typology::Cycle).is_empty());
    // Growing on the way round is no fee either.
    let mut grows = ring;
    grows[2].2 = 39_900;
    assert!(alerts(&ledger(&grows), &c, Typology::Cycle).is_empty());
    // Two transfers with a fee, the next day, are a cycle.
    let back = [
        ("a", "b", 40_000, 0, "bank"),
        ("b", "a", 39_850, DAY, "bank"),
    ];
    assert_eq!(alerts(&ledger(&back), &c, Typology::Cycle).len(), 1);
}

#[test]
fn scatter_gather_through_intermediaries() {
    let c = Config::default();
    let mut rows = Vec::new();
    for m in ["m1", "m2", "m3"] {
        rows.push(("src", m, 20_000, 0, "bank"));
        rows.push((m, "dst", 19_600, 2 * DAY, "bank"));
    }
    let found = alerts(&ledger(&rows), &c, Typology::ScatterGather);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].transactions.len(), 6);
    // Two branches are not enough; different targets are not a gather.
    assert!(alerts(&ledger(&rows[..4]), &c, Typology::ScatterGather).is_empty());
    let mut apart = rows.clone();
    apart[5].1 = "other";
    assert!(alerts(&ledger(&apart), &c, Typology::ScatterGather).is_empty());
}

#[test]
fn gather_scatter_through_a_hub() {
    let c = Config::default();
    let rows = [
        ("s1", "hub", 20_000, 0, "bank"),
        ("s2", "hub", 20_000, HOUR, "bank"),
        ("hub", "t1", 20_000, DAY, "bank"),
        ("hub", "t2", 20_000, 2 * DAY, "bank"),
    ];
    let found = alerts(&ledger(&rows), &c, Typology::GatherScatter);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].transactions.len(), 4);
    // Out before in is not gather-scatter; dissimilar amounts neither.
    let early = [
        ("hub", "t1", 20_000, 0, "bank"),
        ("hub", "t2", 20_000, HOUR, "bank"),
        ("s1", "hub", 20_000, DAY, "bank"),
        ("s2", "hub", 20_000, 2 * DAY, "bank"),
    ];
    assert!(alerts(&ledger(&early), &c, Typology::GatherScatter).is_empty());
    let mut uneven = rows;
    uneven[3].2 = 7_000;
    assert!(alerts(&ledger(&uneven), &c, Typology::GatherScatter).is_empty());
    // The same four transfers in a busy account (a broker taking in and paying out other
    // customers' money all week) carry too small a share of its money to be its purpose.
    let mut busy: Vec<(String, String, i64, i64)> = rows
        .iter()
        .map(|&(f, t, e, at, _)| (f.to_owned(), t.to_owned(), e, at))
        .collect();
    for i in 0..20 {
        busy.push((format!("c{i}"), "hub".to_owned(), 11_000, i * 1_000));
        busy.push(("hub".to_owned(), format!("p{i}"), 13_000, i * 1_000 + 500));
    }
    let busy: Vec<_> = busy
        .iter()
        .map(|(f, t, e, at)| (f.as_str(), t.as_str(), *e, *at, "bank"))
        .collect();
    assert!(alerts(&ledger(&busy), &c, Typology::GatherScatter).is_empty());
    // A few of them leave the scheme the larger share: found again.
    let few: Vec<_> = busy[..4].iter().chain(&busy[4..8]).copied().collect();
    assert_eq!(alerts(&ledger(&few), &c, Typology::GatherScatter).len(), 1);
}

#[test]
fn pass_through_within_hours() {
    let c = Config::default();
    let rows = [
        ("w0", "hop", 9_000, 0, "crypto"),
        ("hop", "w1", 8_950, 3 * HOUR, "crypto"),
    ];
    let found = alerts(&ledger(&rows), &c, Typology::PassThrough);
    assert_eq!(found.len(), 1);
    let l = ledger(&rows);
    assert_eq!(names(&l, &found[0])[0], "hop");
    let late = [rows[0], ("hop", "w1", 8_950, 3 * DAY, "crypto")];
    assert!(alerts(&ledger(&late), &c, Typology::PassThrough).is_empty());
    let less = [rows[0], ("hop", "w1", 4_000, 3 * HOUR, "crypto")];
    assert!(alerts(&ledger(&less), &c, Typology::PassThrough).is_empty());
}

#[test]
fn mirrored_hawala_settlement() {
    let c = Config::default();
    // Broker A takes deposits, broker B pays them out, then A settles the sum with B.
    let rows = [
        ("payer1", "A", 2_300, 0, "hawala"),
        ("payer2", "A", 1_750, HOUR, "hawala"),
        ("payer1", "A", 69, 0, "hawala"),
        ("B", "coll1", 2_300, 5 * DAY, "cash"),
        ("B", "coll2", 1_750, 6 * DAY, "cash"),
        ("B", "else", 400, 6 * DAY, "cash"),
        ("A", "B", 4_050, 20 * DAY, "bank"),
    ];
    let l = ledger(&rows);
    let found = alerts(&l, &c, Typology::HawalaSettlement);
    assert_eq!(found.len(), 1);
    assert_eq!(names(&l, &found[0])[0], "A");
    assert_eq!(found[0].transactions.len(), 5);
    // A transfer that mirrors nothing.
    let mut off = rows;
    off[6].2 = 12_000;
    assert!(alerts(&ledger(&off), &c, Typology::HawalaSettlement).is_empty());
    // Payouts before the deposits mirror nothing either.
    let before = [
        ("B", "coll1", 2_300, 0, "cash"),
        ("B", "coll2", 1_750, HOUR, "cash"),
        ("payer1", "A", 2_300, DAY, "hawala"),
        ("payer2", "A", 1_750, DAY, "hawala"),
        ("A", "B", 4_050, 20 * DAY, "bank"),
    ];
    assert!(alerts(&ledger(&before), &c, Typology::HawalaSettlement).is_empty());
}

#[test]
fn features_count_flows_and_alerts() {
    let rows = [
        ("cash-x", "iban-x", 14_500, 0, "cash"),
        ("cash-x", "iban-x", 14_000, DAY, "cash"),
        ("cash-x", "iban-x", 14_200, 2 * DAY, "cash"),
    ];
    let l = ledger(&rows);
    let (_, f) = features(&l, &Config::default(), &Typology::ALL, 2).expect("features");
    let x = l.account("iban-x").expect("account") as usize;
    assert_eq!(f[x].in_count, 3);
    assert_eq!(f[x].in_amount, 4_270_000);
    assert_eq!(f[x].near_threshold, 3);
    assert_eq!(f[x].alerts[Typology::Structuring.index()], 1);
}

/// A transfer of one cent from account 0 to account 1, numbered `id`, at `ts`.
fn tx(id: u64, ts: i64) -> Tx {
    Tx {
        id,
        ts,
        from: 0,
        to: 1,
        amount: 1,
        channel: 0,
    }
}

#[test]
fn a_stream_out_of_time_order_is_an_error() {
    let mut s = Scanner::new(&Config::default()).expect("scanner");
    s.push(tx(0, 10)).expect("first");
    assert!(matches!(
        s.push(tx(1, 9)),
        Err(MoneyError::OutOfOrder { .. })
    ));
}

#[test]
fn numbers_must_follow_time_and_differ() {
    // Within one timestamp any order will do; a later timestamp needs higher numbers.
    let mut s = Scanner::new(&Config::default()).expect("scanner");
    s.push(tx(5, 10)).expect("first");
    s.push(tx(3, 10)).expect("same timestamp, lower number");
    let e = s
        .push(tx(4, 11))
        .expect_err("below an earlier timestamp's number");
    assert!(
        matches!(e, MoneyError::Numbering { id: 4, ts: 11, .. }),
        "{e}"
    );
    // A number used twice in one timestamp is found when the timestamp is scanned.
    let mut s = Scanner::new(&Config::default()).expect("scanner");
    s.push_all(&[tx(1, 10), tx(2, 10), tx(1, 10)])
        .expect("admitted");
    let e = s.push_all(&[tx(3, 11)]).expect_err("a number used twice");
    assert_eq!(e.to_string(), "transaction number 1 at 10: used twice");
}
