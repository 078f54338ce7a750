//! The streaming scan of a ledger CSV: one thread parses, one or two others each run a
//! [`Scanner`] for a share of the typologies over the same batches, and one more merges their
//! alerts back into canonical order and hands them out as they are raised. Memory is the
//! scanners' per-account windows, the account names and the ids of the transactions still
//! inside the longest window — never the whole ledger.
//!
//! The file must be in canonical order, by (timestamp, transaction id): the order a
//! [`crate::Ledger`] sorts rows into, and the order `corridor synth` writes. Rows are then
//! numbered in file order, which is canonical order, so the alerts are those of the batch
//! [`crate::scan`] over the same file (tested). A row out of that order is an error naming its
//! line, not something sorted quietly: sorting needs the whole file in memory, which is what
//! this path exists to avoid.

use std::collections::{HashMap, VecDeque};
use std::io::BufRead;
use std::sync::{Arc, mpsc};

use crate::ledger::read_ledger_rows;
use crate::{Alert, Config, MoneyError, Scanner, Tx, Typology};

/// Transactions the parser hands the scanner at a time.
pub const BATCH_TRANSACTIONS: usize = 65_536;
/// Batches parsed ahead of the scanner at most: bounds the memory between the threads.
pub const BATCHES_AHEAD_MAX: usize = 4;
/// Most distinct accounts a streamed ledger may name.
pub const STREAM_ACCOUNTS_MAX: usize = u32::MAX as usize - 1;
/// Most scanner threads a stream spreads its typologies over.
pub const SCAN_THREADS_MAX: usize = 2;

/// The typologies of each scanner thread when there are two: settlement, which reads both
/// sides of an account over the longest window and was half of one scanner's time, and the
/// rest, whose windows are a third as long, so its scanner keeps a third of the edges.
const STREAM_GROUPS: [&[Typology]; SCAN_THREADS_MAX] = [
    &[Typology::HawalaSettlement],
    &[
        Typology::Cycle,
        Typology::ScatterGather,
        Typology::PassThrough,
        Typology::FanIn,
        Typology::GatherScatter,
        Typology::FanOut,
        Typology::Structuring,
    ],
];

/// An alert as the stream hands it out: typology, account names (the one it is about first,
/// the others sorted by name), transaction ids (in canonical order), window and score.
/// Names are borrowed from the stream's tables: copy what outlives the call.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NamedAlert<'a> {
    /// The typology.
    pub typology: Typology,
    /// Account names, the one the alert is about first, the others sorted.
    pub accounts: Vec<&'a str>,
    /// Transaction ids as the file writes them, in the file's (canonical) order.
    pub transactions: Vec<&'a str>,
    /// First and last timestamps of the transactions, in seconds.
    pub window: (i64, i64),
    /// 1 at the configured threshold, more for a stronger pattern.
    pub score: f64,
}

/// What a streamed scan went through.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StreamStats {
    /// Transactions scanned.
    pub transactions: u64,
    /// Distinct accounts.
    pub accounts: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Most transaction ids held at once (those of the batches that reach into the longest
    /// window).
    pub ids_held_max: u64,
}

/// A fast hash for account names (FxHash's multiply-rotate over eight bytes at a time, then a
/// finaliser):
/// names come from the ledger's owner, not from an adversary picking collisions, and SipHash
/// was a tenth of the streamed scan's time.
#[derive(Default, Clone, Copy)]
struct NameHasher(u64);

impl std::hash::Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    /// MurmurHash3's finaliser: the multiply only carries upwards, and names that differ in
    /// their last digits would otherwise share the low bits the table indexes by.
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

type Hashing = std::hash::BuildHasherDefault<NameHasher>;

/// Longest name held inside its key by [`Numbers`].
const SHORT_NAME_BYTES: usize = 15;

/// Account numbers by name. A name of up to [`SHORT_NAME_BYTES`] (nearly every account
/// number) is its own key, padded, with its length last: a lookup then compares the key in
/// the table instead of following a pointer to the name, which, over millions of accounts,
/// was a cache miss on every row.
#[derive(Default)]
struct Numbers {
    short: HashMap<[u8; SHORT_NAME_BYTES + 1], u32, Hashing>,
    long: HashMap<Box<str>, u32, Hashing>,
}

impl Numbers {
    fn short_key(name: &str) -> Option<[u8; SHORT_NAME_BYTES + 1]> {
        let bytes = name.as_bytes();
        if bytes.len() > SHORT_NAME_BYTES {
            return None;
        }
        let mut key = [0; SHORT_NAME_BYTES + 1];
        key[..bytes.len()].copy_from_slice(bytes);
        key[SHORT_NAME_BYTES] = bytes.len() as u8;
        Some(key)
    }

    fn get(&self, name: &str) -> Option<u32> {
        match Numbers::short_key(name) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(name).copied(),
        }
    }

    fn insert(&mut self, name: &str, number: u32) {
        match Numbers::short_key(name) {
            Some(key) => self.short.insert(key, number),
            None => self.long.insert(name.into(), number),
        };
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }
}

/// The ids of a batch's rows, end to end in one string: one allocation a batch rather than
/// one a row.
#[derive(Default)]
struct Ids {
    text: String,
    /// Where each id ends in `text`.
    ends: Vec<usize>,
}

impl Ids {
    fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// One parsed batch: transactions numbered by row, their ids, and account names first seen in
/// the batch (in number order, continuing the names already sent).
struct Batch {
    txs: Vec<Tx>,
    ids: Ids,
    new_names: Vec<Box<str>>,
}

/// A batch as the merger gets it: the transactions (shared with the scanners, for their
/// timestamps), their ids and the new names.
struct Named {
    txs: Arc<Vec<Tx>>,
    ids: Ids,
    new_names: Vec<Box<str>>,
}

/// Ids the merger holds: a batch's, from its first row, until its last timestamp is past the
/// longest window.
struct HeldIds {
    first_row: u64,
    last_ts: i64,
    ids: Ids,
}

/// Takes rows in canonical order, numbers their accounts and hands them to the scanner thread
/// in batches. Given to the producer of [`scan_rows`].
pub struct RowSink<'a> {
    source: &'a str,
    numbers: Numbers,
    batch: Batch,
    row: u64,
    last: Option<(i64, String)>,
    /// To each scanner thread.
    scanners: Vec<mpsc::SyncSender<Arc<Vec<Tx>>>>,
    /// To the merger.
    merger: mpsc::SyncSender<Named>,
}

impl RowSink<'_> {
    /// Adds one row; `line` names it in errors (the file's line, or the row's position).
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        line: usize,
        id: &str,
        ts: i64,
        from: &str,
        to: &str,
        amount: i64,
        channel: u8,
    ) -> Result<(), MoneyError> {
        let source = self.source;
        let err = |field: &str, reason: String| MoneyError::Parse {
            source_name: source.to_owned(),
            line,
            field: field.to_owned(),
            reason,
        };
        if id.is_empty() {
            return Err(err("id", "empty".to_owned()));
        }
        if from.is_empty() || to.is_empty() {
            return Err(err("from_account", "empty account".to_owned()));
        }
        match &mut self.last {
            Some((last_ts, last_id)) => {
                if (ts, id) <= (*last_ts, last_id.as_str()) {
                    return Err(err(
                        "timestamp",
                        format!(
                            "transaction {id} is not after {last_id}: streaming needs the \
                             ledger sorted by timestamp, then id, each id once (scan it \
                             without --stream)"
                        ),
                    ));
                }
                *last_ts = ts;
                last_id.clear();
                last_id.push_str(id);
            }
            None => self.last = Some((ts, id.to_owned())),
        }
        let from = self.number(from)?;
        let to = self.number(to)?;
        self.batch.txs.push(Tx {
            id: self.row,
            ts,
            from,
            to,
            amount,
            channel,
        });
        self.batch.ids.push(id);
        self.row += 1;
        if self.batch.txs.len() >= BATCH_TRANSACTIONS {
            self.send_batch()?;
        }
        Ok(())
    }

    fn number(&mut self, name: &str) -> Result<u32, MoneyError> {
        if let Some(n) = self.numbers.get(name) {
            return Ok(n);
        }
        if self.numbers.len() >= STREAM_ACCOUNTS_MAX {
            return Err(MoneyError::Limit {
                what: "accounts",
                max: STREAM_ACCOUNTS_MAX,
            });
        }
        let n = self.numbers.len() as u32;
        self.numbers.insert(name, n);
        self.batch.new_names.push(name.into());
        Ok(n)
    }

    fn send_batch(&mut self) -> Result<(), MoneyError> {
        let full = std::mem::replace(&mut self.batch, Batch::new());
        // A thread that hung up failed, and its own error is the one returned.
        let stopped = |_| MoneyError::Io {
            source_name: self.source.to_owned(),
            reason: "the scanner stopped".to_owned(),
        };
        let txs = Arc::new(full.txs);
        // The scanners first: the merger waits for their alerts on each batch it gets.
        for scanner in &self.scanners {
            scanner.send(Arc::clone(&txs)).map_err(stopped)?;
        }
        self.merger
            .send(Named {
                txs,
                ids: full.ids,
                new_names: full.new_names,
            })
            .map_err(|_| MoneyError::Io {
                source_name: self.source.to_owned(),
                reason: "the scanner stopped".to_owned(),
            })
    }
}

impl Batch {
    fn new() -> Batch {
        Batch {
            txs: Vec::with_capacity(BATCH_TRANSACTIONS),
            ids: Ids {
                text: String::new(),
                ends: Vec::with_capacity(BATCH_TRANSACTIONS),
            },
            new_names: Vec::new(),
        }
    }
}

/// Scans rows in canonical order (by timestamp, then id) for `typologies`: `produce` pushes
/// them into the [`RowSink`] on this thread while scanner threads, each with a share of the
/// typologies, scan the same rows, and a merging thread calls `on_alert` with each alert as
/// it is raised, in canonical order (by end of window, typology, then transactions),
/// whatever the split. `scan_threads` is 1 or 2 ([`SCAN_THREADS_MAX`]); the alerts do not
/// depend on it. `source` names the rows in errors.
pub fn scan_rows(
    produce: impl FnOnce(&mut RowSink) -> Result<(), MoneyError>,
    source: &str,
    config: &Config,
    typologies: &[Typology],
    scan_threads: usize,
    on_alert: impl FnMut(&NamedAlert) -> Result<(), MoneyError> + Send,
) -> Result<StreamStats, MoneyError> {
    if !(1..=SCAN_THREADS_MAX).contains(&scan_threads) {
        return Err(MoneyError::Config(format!(
            "scan threads must be 1 to {SCAN_THREADS_MAX}, not {scan_threads}"
        )));
    }
    assert!(
        Typology::ALL
            .iter()
            .all(|t| STREAM_GROUPS.iter().filter(|g| g.contains(t)).count() == 1),
        "each typology is scanned by one thread"
    );
    let mut groups: Vec<Vec<Typology>> = if scan_threads == 1 {
        vec![typologies.to_vec()]
    } else {
        STREAM_GROUPS
            .iter()
            .map(|g| {
                g.iter()
                    .filter(|t| typologies.contains(t))
                    .copied()
                    .collect()
            })
            .collect()
    };
    groups.retain(|g: &Vec<Typology>| !g.is_empty());
    if groups.is_empty() {
        // No typology: still read the rows, so their errors are reported.
        groups.push(Vec::new());
    }
    let mut scanners = Vec::with_capacity(groups.len());
    for group in &groups {
        scanners.push(Scanner::with_typologies(config, group, false)?);
    }
    let horizon_seconds = config.horizon_seconds();
    std::thread::scope(|scope| {
        let mut to_scanners = Vec::with_capacity(scanners.len());
        let mut from_scanners = Vec::with_capacity(scanners.len());
        let mut scanning = Vec::with_capacity(scanners.len());
        for scanner in scanners {
            let (send_txs, receive_txs) = mpsc::sync_channel(BATCHES_AHEAD_MAX);
            let (send_alerts, receive_alerts) = mpsc::sync_channel(BATCHES_AHEAD_MAX);
            to_scanners.push(send_txs);
            from_scanners.push(receive_alerts);
            scanning.push(scope.spawn(move || scan_batches(scanner, receive_txs, send_alerts)));
        }
        let (send_named, receive_named) = mpsc::sync_channel(BATCHES_AHEAD_MAX);
        let merging = scope
            .spawn(move || merge_alerts(horizon_seconds, receive_named, from_scanners, on_alert));
        let mut sink = RowSink {
            source,
            numbers: Numbers::default(),
            batch: Batch::new(),
            row: 0,
            last: None,
            scanners: to_scanners,
            merger: send_named,
        };
        let produced = produce(&mut sink).and_then(|()| {
            if sink.batch.txs.is_empty() {
                Ok(())
            } else {
                sink.send_batch()
            }
        });
        let accounts = sink.numbers.len() as u64;
        // Hang up, so the scanners and the merger finish.
        drop(sink);
        let panicked = |what: &str| MoneyError::Config(format!("the {what} thread panicked"));
        let mut scanned = Ok(());
        for handle in scanning {
            let r = handle.join().map_err(|_| panicked("scanner"))?;
            if scanned.is_ok() {
                scanned = r;
            }
        }
        let merged = merging.join().map_err(|_| panicked("merging"))?;
        // A scanner's own failure explains the merger's and the producer's "stopped"; the
        // merger's (a failed `on_alert`) explains the producer's.
        scanned?;
        let mut stats = merged?;
        produced?;
        stats.accounts = accounts;
        Ok(stats)
    })
}

/// A scanner thread: batches in, the alerts each batch let out (those of the timestamps it
/// closed) to the merger, then the rest at the end.
fn scan_batches(
    mut scanner: Scanner,
    receive: mpsc::Receiver<Arc<Vec<Tx>>>,
    send: mpsc::SyncSender<Vec<Alert>>,
) -> Result<(), MoneyError> {
    for txs in receive.iter() {
        scanner.push_all(&txs)?;
        if send.send(scanner.take_alerts()).is_err() {
            // The merger stopped: its error is the one returned.
            return Ok(());
        }
    }
    let (alerts, _) = scanner.finish()?;
    // As above, a merger that hung up reports why.
    send.send(alerts).ok();
    Ok(())
}

/// The merging thread: per batch, the ids and names, then each scanner's alerts for it, put
/// in canonical order and handed out; ids held only within the horizon.
fn merge_alerts(
    horizon_seconds: i64,
    receive: mpsc::Receiver<Named>,
    scanners: Vec<mpsc::Receiver<Vec<Alert>>>,
    mut on_alert: impl FnMut(&NamedAlert) -> Result<(), MoneyError>,
) -> Result<StreamStats, MoneyError> {
    let mut stats = StreamStats::default();
    let mut names: Vec<Box<str>> = Vec::new();
    // Ids of the batches that reach into the longest window, oldest first.
    let mut held: VecDeque<HeldIds> = VecDeque::new();
    let mut next_row: u64 = 0;
    let stopped = |_| MoneyError::Io {
        source_name: "the streamed scan".to_owned(),
        // A scanner hung up: it failed, and its own error is the one returned.
        reason: "a scanner stopped".to_owned(),
    };
    let mut emit = |mut alerts: Vec<Alert>,
                    names: &[Box<str>],
                    held: &VecDeque<HeldIds>,
                    stats: &mut StreamStats|
     -> Result<(), MoneyError> {
        // The batch scan's order: rows are numbered in canonical order here as there, and
        // accounts, numbered by name there, compare by name (the one the alert is about,
        // then the others sorted). Every scanner has closed the same timestamps after the
        // same batch, and alerts of one timestamp all end at it, so sorting what the
        // scanners let out of each batch together orders them overall.
        let by_name = |a: &Alert| -> Vec<&str> {
            let mut v: Vec<&str> = a.accounts.iter().map(|&n| &*names[n as usize]).collect();
            v[1..].sort_unstable();
            v
        };
        alerts.sort_by(|x, y| {
            (x.window.1, x.typology, &x.transactions)
                .cmp(&(y.window.1, y.typology, &y.transactions))
                .then_with(|| by_name(x).cmp(&by_name(y)))
        });
        for a in &alerts {
            let mut transactions = Vec::with_capacity(a.transactions.len());
            for &row in &a.transactions {
                // Every transaction of an alert is within the horizon of its last one, and
                // ids are dropped only past the horizon of the latest row.
                let batch = held.partition_point(|b| b.first_row <= row);
                assert!(batch > 0, "alert names a transaction already dropped");
                let b = &held[batch - 1];
                transactions.push(b.ids.get((row - b.first_row) as usize));
            }
            on_alert(&NamedAlert {
                typology: a.typology,
                accounts: by_name(a),
                transactions,
                window: a.window,
                score: a.score,
            })?;
        }
        stats.alerts += alerts.len() as u64;
        Ok(())
    };
    for batch in receive.iter() {
        names.extend(batch.new_names);
        assert_eq!(batch.txs.len(), batch.ids.len(), "one id per transaction");
        // The sink sends only batches with rows, and each scanner answers each batch.
        let now = batch.txs.last().expect("a batch has rows").ts;
        held.push_back(HeldIds {
            first_row: next_row,
            last_ts: now,
            ids: batch.ids,
        });
        next_row += batch.txs.len() as u64;
        stats.transactions = next_row;
        let ids_held = next_row - held.front().map_or(next_row, |b| b.first_row);
        stats.ids_held_max = stats.ids_held_max.max(ids_held);
        let mut alerts = Vec::new();
        for scanner in &scanners {
            alerts.extend(scanner.recv().map_err(stopped)?);
        }
        emit(alerts, &names, &held, &mut stats)?;
        // Alerts still to come end at the latest timestamp or later, and reach back at most
        // the horizon from there.
        let oldest = now.saturating_sub(horizon_seconds);
        while held.front().is_some_and(|b| b.last_ts < oldest) {
            held.pop_front();
        }
    }
    let mut alerts = Vec::new();
    for scanner in &scanners {
        alerts.extend(scanner.recv().map_err(stopped)?);
    }
    emit(alerts, &names, &held, &mut stats)?;
    Ok(stats)
}

/// Scans a ledger CSV (`id,timestamp,from_account,to_account,amount,…,channel`, columns found
/// by name) in canonical order: [`scan_rows`] over its lines. `source` names the file in
/// errors.
pub fn scan_stream(
    reader: impl BufRead,
    source: &str,
    config: &Config,
    typologies: &[Typology],
    scan_threads: usize,
    on_alert: impl FnMut(&NamedAlert) -> Result<(), MoneyError> + Send,
) -> Result<StreamStats, MoneyError> {
    let produce = |sink: &mut RowSink| {
        read_ledger_rows(
            reader,
            source,
            &mut |line, id, ts, from, to, amount, channel| {
                sink.push(line, id, ts, from, to, amount, channel)
            },
        )
    };
    scan_rows(produce, source, config, typologies, scan_threads, on_alert)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_ledger, scan};

    /// A small ledger in canonical order with a cycle, a fan-in and a pass-through.
    fn ledger_text() -> String {
        let mut s = String::from("id,timestamp,from_account,to_account,amount,currency,channel\n");
        let mut n = 0;
        let mut row = |s: &mut String, ts: i64, from: &str, to: &str, cents: i64, ch: &str| {
            n += 1;
            s.push_str(&format!(
                "T{n:06},{ts},{from},{to},{}.{:02},EUR,{ch}\n",
                cents / 100,
                cents % 100
            ));
        };
        for (i, (from, to)) in [("a", "b"), ("b", "c"), ("c", "a")].into_iter().enumerate() {
            row(
                &mut s,
                1_000 + i as i64 * 3_600,
                from,
                to,
                5_000_000 - i as i64 * 10_000,
                "bank",
            );
        }
        for i in 0..6 {
            row(
                &mut s,
                20_000 + i * 60,
                &format!("s{i}"),
                "hub",
                90_000,
                "cash",
            );
        }
        // Equal timestamps: order among them is by id.
        row(&mut s, 30_000, "x", "y", 2_000_000, "bank");
        row(&mut s, 30_000, "y", "z", 1_990_000, "bank");
        row(&mut s, 40_000, "y", "w", 1_995_000, "bank");
        s
    }

    #[test]
    fn the_stream_raises_the_batch_alerts() {
        let text = ledger_text();
        let config = Config::default();
        let ledger = read_ledger(text.as_bytes(), "t.csv").expect("reads");
        let batch = scan(&ledger, &config, 1).expect("scans");
        assert!(batch.len() >= 3, "the ledger raises alerts: {batch:?}");
        // (typology, accounts, transactions, window, score), owned.
        type Owned = (Typology, Vec<String>, Vec<String>, (i64, i64), f64);
        let names: Vec<Owned> = batch
            .iter()
            .map(|a| {
                (
                    a.typology,
                    a.accounts
                        .iter()
                        .map(|&n| ledger.accounts[n as usize].clone())
                        .collect(),
                    a.transactions
                        .iter()
                        .map(|&t| ledger.ids[t as usize].clone())
                        .collect(),
                    a.window,
                    a.score,
                )
            })
            .collect();
        for threads in 1..=SCAN_THREADS_MAX {
            let mut streamed: Vec<Owned> = Vec::new();
            let stats = scan_stream(
                text.as_bytes(),
                "t.csv",
                &config,
                &Typology::ALL,
                threads,
                |a| {
                    streamed.push((
                        a.typology,
                        a.accounts.iter().map(|s| s.to_string()).collect(),
                        a.transactions.iter().map(|s| s.to_string()).collect(),
                        a.window,
                        a.score,
                    ));
                    Ok(())
                },
            )
            .expect("streams");
            assert_eq!(stats.transactions, ledger.len() as u64);
            assert_eq!(stats.accounts, ledger.accounts.len() as u64);
            assert_eq!(stats.alerts, batch.len() as u64);
            assert_eq!(streamed, names, "{threads} scanner threads");
        }
    }

    #[test]
    fn numbers_tell_short_and_long_names_apart() {
        let names = [
            "a",
            "a\0",
            "",
            "fifteen-bytes-x",
            "sixteen-bytes-xy",
            "sixteen-bytes-xz",
            "an account name well past the short form",
        ];
        let mut numbers = Numbers::default();
        for (n, name) in names.iter().enumerate() {
            assert_eq!(numbers.get(name), None, "{name:?}");
            numbers.insert(name, n as u32);
        }
        assert_eq!(numbers.len(), names.len());
        for (n, name) in names.iter().enumerate() {
            assert_eq!(numbers.get(name), Some(n as u32), "{name:?}");
        }
    }

    #[test]
    fn a_row_out_of_order_is_an_error_naming_its_line() {
        let text = "id,timestamp,from_account,to_account,amount,channel\n\
                    T2,2023-01-02,a,b,1.00,bank\n\
                    T1,2023-01-01,b,c,1.00,bank\n";
        let e = scan_stream(
            text.as_bytes(),
            "t.csv",
            &Config::default(),
            &Typology::ALL,
            2,
            |_| Ok(()),
        )
        .expect_err("out of order");
        assert!(
            e.to_string().starts_with("t.csv line 3, field timestamp:"),
            "{e}"
        );
    }
}
