//! The scanner: per-account windows of recent edges, and one kernel per typology run on each
//! transaction as it arrives. The batch scan is this scanner over a canonical ledger.

use std::collections::{HashMap, VecDeque};

use crate::{Alert, CHANNEL_CASH, Config, Ledger, MoneyError, Tx, Typology};

/// Most transactions buffered with one timestamp before they are scanned together.
pub const SAME_TIMESTAMP_TRANSACTIONS_MAX: usize = 1 << 20;
/// Most accounts one scanner holds (account numbers are `u32`).
pub const ACCOUNTS_MAX: usize = u32::MAX as usize;

/// One end of a transaction, as kept in an account's window.
#[derive(Debug, Clone, Copy)]
struct Edge {
    ts: i64,
    other: u32,
    amount: i64,
    channel: u8,
    /// The transaction's number plus one. Numbers increase in scan order, so "before" is
    /// exact even among equal timestamps, and 0 is before every edge.
    seq: u64,
    /// In a structuring alert already (kept on the receiver's side only).
    reported: bool,
}

// Windows hold tens of millions of edges: their size is their memory and the bytes every
// kernel's walk reads.
const _: () = assert!(std::mem::size_of::<Edge>() == 32);

/// Per-account features for a downstream model: volumes, the busiest windows, near-threshold
/// cash and pass-through counts, and the alerts the account is in, by typology.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AccountFeatures {
    /// Transactions received.
    pub in_count: u64,
    /// Transactions sent.
    pub out_count: u64,
    /// Minor units received.
    pub in_amount: i64,
    /// Minor units sent.
    pub out_amount: i64,
    /// Most transactions in within one fan window.
    pub window_in_max: u32,
    /// Most transactions out within one fan window.
    pub window_out_max: u32,
    /// Incoming amounts in the structuring band under the threshold.
    pub near_threshold: u32,
    /// Transfers matched as rapid pass-through (either end).
    pub pass_through: u32,
    /// Alerts that name the account, indexed by [`Typology::index`].
    pub alerts: [u32; Typology::ALL.len()],
}

#[derive(Debug, Default)]
struct Account {
    ins: VecDeque<Edge>,
    outs: VecDeque<Edge>,
    /// The fan window of `ins` (index 0) and of `outs` (index 1), kept as edges come and go.
    fan: [FanWindow; 2],
    /// Per typology that needs it ([`covered_slot`]), the scan position up to which this
    /// account's edges were reported, so an edge goes into one alert of a kind, not into every
    /// later one whose window holds it.
    covered: [u64; COVERED_SLOTS],
}

/// Typologies that remember per account how far they reported (structuring marks edges).
const COVERED_SLOTS: usize = 4;

/// Where `t` keeps its reported position in [`Account::covered`]: only four typologies
/// need one, and a slot per typology would be half of a quiet account's memory.
fn covered_slot(t: Typology) -> usize {
    let slot = match t {
        Typology::FanIn => 0,
        Typology::FanOut => 1,
        Typology::ScatterGather => 2,
        Typology::GatherScatter => 3,
        other => panic!("{other:?} keeps no reported position"),
    };
    assert!(slot < COVERED_SLOTS);
    slot
}

/// A fast hash for account numbers (a multiply and a fold): numbers are dense and chosen by
/// the ledger's reader, not by an adversary, and the fan window updates one on every push.
#[derive(Default, Clone, Copy)]
struct NumberHasher(u64);

impl std::hash::Hasher for NumberHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // The table indexes by the low bits and checks the top seven: fold the high half in.
        self.0 = h ^ (h >> 32);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Counterparty -> edges with it in a fan window.
type Counts = HashMap<u32, u32, std::hash::BuildHasherDefault<NumberHasher>>;

/// A fan window past this many edges counts its distinct counterparties in a map kept up to
/// date; smaller ones sort a copy when asked, which is cheaper than a map per account.
const FAN_COUNTS_FROM: u32 = 64;
/// A counted window that shrinks under this many edges drops its map (below the start, so a
/// window around the bound does not build and drop a map on every transfer).
const FAN_COUNTS_UNTIL: u32 = 32;

/// The edges at the back of one side of an account within the fan window: how many and, for a
/// large window, their money and how many edges each counterparty has in it. Kept up to date
/// as edges are pushed, expire or are dropped at the per-account bound, so a fan check costs
/// the same on a hub with thousands of counterparties as on a quiet account; a small window
/// is summed and sorted when checked, so a quiet account carries no more than the count.
#[derive(Debug, Default)]
struct FanWindow {
    /// Edges at the back of the side within the window.
    len: u32,
    /// Money and counterparties, once the window has reached [`FAN_COUNTS_FROM`] edges.
    large: Option<Box<LargeWindow>>,
}

/// What a large fan window keeps up to date.
#[derive(Debug, Default, PartialEq)]
struct LargeWindow {
    /// The window's amounts, in cents (wrapping, as a plain sum over the window would).
    amount: i64,
    /// Edges per counterparty.
    counts: Counts,
}

impl FanWindow {
    /// Takes `e` into the window (the newest edge of its side).
    fn add(&mut self, e: &Edge) {
        self.len += 1;
        if let Some(large) = &mut self.large {
            large.amount = large.amount.wrapping_add(e.amount);
            *large.counts.entry(e.other).or_insert(0) += 1;
        }
    }

    /// Lets `e` out of the window (the oldest edge in it).
    fn remove(&mut self, e: &Edge) {
        assert!(self.len > 0, "an edge left an empty fan window");
        self.len -= 1;
        if let Some(large) = &mut self.large {
            large.amount = large.amount.wrapping_sub(e.amount);
            let n = large
                .counts
                .get_mut(&e.other)
                .expect("an edge in the fan window has its counterparty counted");
            *n -= 1;
            if *n == 0 {
                large.counts.remove(&e.other);
            }
            if self.len < FAN_COUNTS_UNTIL {
                self.large = None;
            }
        }
    }

    /// Lets out the edges of `side` older than `lo`, oldest first.
    fn expire(&mut self, side: &VecDeque<Edge>, lo: i64) {
        assert!(
            self.len as usize <= side.len(),
            "the fan window is within its side"
        );
        while self.len > 0 {
            let e = &side[side.len() - self.len as usize];
            if e.ts >= lo {
                break;
            }
            self.remove(e);
        }
    }

    /// The window's edges, the back of `side`.
    fn edges<'s>(&self, side: &'s VecDeque<Edge>) -> std::collections::vec_deque::Iter<'s, Edge> {
        side.range(side.len() - self.len as usize..)
    }

    /// Starts keeping money and counterparties once the window is large, from its edges.
    fn count_if_large(&mut self, side: &VecDeque<Edge>) {
        if self.large.is_some() || self.len < FAN_COUNTS_FROM {
            return;
        }
        let mut large = LargeWindow::default();
        for e in self.edges(side) {
            large.amount = large.amount.wrapping_add(e.amount);
            *large.counts.entry(e.other).or_insert(0) += 1;
        }
        self.large = Some(Box::new(large));
    }
}

/// How many transactions ahead [`Scanner::push_all`] asks for the edges of a transaction's
/// accounts. It asks for the accounts themselves twice as far ahead, so that they are in cache
/// when their edges are located. About as many transactions as are scanned while one fetch
/// from memory is outstanding.
const PREFETCH_AHEAD: usize = 8;

/// Asks the processor to start loading the cache lines of `value` (up to two), without
/// waiting for them: a hint that changes nothing but timing.
#[inline(always)]
fn prefetch_lines<T>(value: &T) {
    let p: *const u8 = (value as *const T).cast();
    prefetch_address(p);
    if std::mem::size_of::<T>() > 64 {
        prefetch_address(p.wrapping_add(64));
    }
}

/// Asks for the cache line that holds the start of `value`.
#[inline(always)]
fn prefetch<T>(value: &T) {
    prefetch_address((value as *const T).cast());
}

#[inline(always)]
fn prefetch_address(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and writes nothing, whatever the address; it is the one
    // way to ask for memory without waiting for it on stable Rust.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Asks for the edges that upkeep and the kernels read first on the sides `keep` says are
/// kept: each side's oldest (which the horizon may let out), the oldest of its fan window
/// (which the window may let out) and its newest (where the kernels start).
fn prefetch_sides(a: &Account, keep: [bool; 2]) {
    let sides = [(&a.ins, &a.fan[0]), (&a.outs, &a.fan[1])];
    for ((side, fan), kept) in sides.into_iter().zip(keep) {
        if !kept || side.is_empty() {
            continue;
        }
        prefetch(&side[0]);
        prefetch(&side[side.len() - 1]);
        if let Some(e) = side.get(side.len() - fan.len as usize) {
            prefetch(e);
        }
    }
}

/// How many accounts ahead a sweep asks for their edges.
const SWEEP_AHEAD: usize = 16;

/// Transactions between two steps of the sweep of the accounts' windows.
const SWEEP_STEP_TRANSACTIONS: u64 = 1 << 16;
/// Steps a sweep of every account takes: each sweeps this share of the accounts, so every
/// account is swept once per 4M transactions (64 steps of 64Ki) whatever their number. An idle
/// account's expired edges outlive the horizon by at most that; sweeping every account each
/// 1M transactions was about a tenth of the scanner's time over 8M accounts.
const SWEEP_STEPS: usize = 64;

/// Whether two amounts are within `ratio` of each other (smaller / larger).
fn similar(a: i64, b: i64, ratio: f64) -> bool {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    hi > 0 && lo as f64 >= ratio * hi as f64
}

/// The streaming scanner. Feed transactions in time order with [`Scanner::push`]; take alerts
/// as they come with [`Scanner::take_alerts`] (alerts of a timestamp are emitted once a later
/// timestamp arrives, or at [`Scanner::finish`]).
#[derive(Debug)]
pub struct Scanner {
    config: Config,
    enabled: [bool; Typology::ALL.len()],
    /// Whether the enabled kernels (or the features) read each account's in-edges (index 0)
    /// and out-edges (index 1): a side no kernel reads is not kept, which halves the windows
    /// of a scanner for in-edge typologies only.
    keep: [bool; 2],
    /// Whether the fan windows are kept (for the fan kernels or the features).
    fans: bool,
    /// The longest window the enabled kernels read: a scanner for typologies with short
    /// windows keeps short sides.
    horizon_seconds: i64,
    features: bool,
    accounts: Vec<Account>,
    /// Features by account number, kept only when asked for.
    account_features: Vec<AccountFeatures>,
    now: Option<i64>,
    /// Transactions admitted and not yet scanned, in time order.
    pending: Vec<Tx>,
    /// Of those, how many have the latest timestamp.
    same_timestamp: usize,
    /// The largest number admitted, and the largest of those with a timestamp before `now`:
    /// numbers order the scan, so each must be above every earlier timestamp's.
    number_max: Option<u64>,
    number_floor: Option<u64>,
    /// Transactions scanned, for the sweeps.
    scanned: u64,
    /// The account the next sweep step starts at.
    sweep_next: usize,
    alerts: Vec<Alert>,
    scratch: Vec<u32>,
    /// The settlement kernel's filter of payout amounts, kept between calls.
    amount_filter: Vec<u64>,
}

impl Scanner {
    /// A scanner for every typology, keeping features.
    pub fn new(config: &Config) -> Result<Scanner, MoneyError> {
        Scanner::with_typologies(config, &Typology::ALL, true)
    }

    /// A scanner for some typologies, with or without per-account features.
    pub fn with_typologies(
        config: &Config,
        typologies: &[Typology],
        features: bool,
    ) -> Result<Scanner, MoneyError> {
        config.check()?;
        let mut enabled = [false; Typology::ALL.len()];
        for t in typologies {
            enabled[t.index()] = true;
        }
        let reads = |kernels: &[Typology]| features || kernels.iter().any(|t| enabled[t.index()]);
        use Typology::*;
        let keep = [
            reads(&[
                FanIn,
                Structuring,
                PassThrough,
                Cycle,
                ScatterGather,
                GatherScatter,
                HawalaSettlement,
            ]),
            reads(&[
                FanOut,
                PassThrough,
                ScatterGather,
                GatherScatter,
                HawalaSettlement,
            ]),
        ];
        let fans = features || enabled[FanIn.index()] || enabled[FanOut.index()];
        let on = |t: Typology| enabled[t.index()];
        let windows = [
            (fans, config.fan_window_seconds),
            (on(Structuring), config.structuring_window_seconds),
            (on(Cycle), config.cycle_window_seconds),
            (
                on(ScatterGather) || on(GatherScatter),
                config.shape_window_seconds,
            ),
            (on(PassThrough), config.pass_through_seconds),
            (on(HawalaSettlement), config.settlement_window_seconds),
        ];
        let horizon_seconds = windows
            .into_iter()
            .filter(|&(read, _)| read)
            .map(|(_, seconds)| seconds)
            .max()
            .unwrap_or(0);
        assert!(horizon_seconds <= config.horizon_seconds());
        Ok(Scanner {
            config: config.clone(),
            enabled,
            keep,
            fans,
            horizon_seconds,
            features,
            accounts: Vec::new(),
            account_features: Vec::new(),
            now: None,
            pending: Vec::new(),
            same_timestamp: 0,
            number_max: None,
            number_floor: None,
            scanned: 0,
            sweep_next: 0,
            alerts: Vec::new(),
            scratch: Vec::new(),
            amount_filter: Vec::new(),
        })
    }

    /// Adds one transaction. Its timestamp must not be before the last one pushed.
    pub fn push(&mut self, tx: Tx) -> Result<(), MoneyError> {
        if self.now.is_some_and(|now| tx.ts > now) {
            self.flush()?;
        }
        self.admit(tx)
    }

    /// Adds transactions in time order, as [`Scanner::push`] one by one would, and scans all
    /// but the last timestamp's (a later push may add to it). Scanning a run rather than one
    /// transaction at a time lets the accounts of the next transactions be fetched from
    /// memory while this one is scanned: with millions of accounts, waiting for them was most
    /// of the windows' upkeep.
    pub fn push_all(&mut self, txs: &[Tx]) -> Result<(), MoneyError> {
        for &tx in txs {
            self.admit(tx)?;
        }
        let Some(last) = self.pending.last().map(|t| t.ts) else {
            return Ok(());
        };
        let cut = self.pending.partition_point(|t| t.ts < last);
        if cut > 0 {
            let mut run = std::mem::take(&mut self.pending);
            let scanned = self.process_run(&mut run[..cut]);
            run.drain(..cut);
            self.pending = run;
            scanned?;
        }
        Ok(())
    }

    /// Checks `tx` and buffers it, for [`Scanner::flush`] or [`Scanner::push_all`] to scan.
    fn admit(&mut self, tx: Tx) -> Result<(), MoneyError> {
        match self.now {
            Some(now) if tx.ts < now => {
                return Err(MoneyError::OutOfOrder {
                    id: tx.id,
                    ts: tx.ts,
                    now,
                });
            }
            Some(now) if tx.ts == now => {}
            _ => {
                self.same_timestamp = 0;
                self.number_floor = self.number_max;
            }
        }
        let numbering = |reason| MoneyError::Numbering {
            id: tx.id,
            ts: tx.ts,
            reason,
        };
        if self.number_floor.is_some_and(|floor| tx.id <= floor) {
            return Err(numbering(
                "not above the numbers of earlier timestamps: numbers must follow time",
            ));
        }
        if tx.id == u64::MAX {
            return Err(numbering("the largest number is reserved"));
        }
        if self.same_timestamp >= SAME_TIMESTAMP_TRANSACTIONS_MAX {
            return Err(MoneyError::Limit {
                what: "transactions with one timestamp",
                max: SAME_TIMESTAMP_TRANSACTIONS_MAX,
            });
        }
        let top = tx.from.max(tx.to) as usize;
        if top >= ACCOUNTS_MAX {
            return Err(MoneyError::Limit {
                what: "accounts",
                max: ACCOUNTS_MAX,
            });
        }
        if top >= self.accounts.len() {
            self.accounts.resize_with(top + 1, Account::default);
            if self.features {
                self.account_features
                    .resize_with(top + 1, AccountFeatures::default);
            }
        }
        self.now = Some(tx.ts);
        self.number_max = self.number_max.max(Some(tx.id));
        self.same_timestamp += 1;
        self.pending.push(tx);
        Ok(())
    }

    /// Scans the buffered transactions.
    fn flush(&mut self) -> Result<(), MoneyError> {
        let mut run = std::mem::take(&mut self.pending);
        let scanned = self.process_run(&mut run);
        run.clear();
        self.pending = run;
        scanned
    }

    /// Scans `run` (in time order) by timestamp, then number, each transaction with the
    /// accounts of those [`PREFETCH_AHEAD`] further on already asked for.
    fn process_run(&mut self, run: &mut [Tx]) -> Result<(), MoneyError> {
        if !run.is_sorted_by_key(|t| (t.ts, t.id)) {
            run.sort_unstable_by_key(|t| (t.ts, t.id));
        }
        // Admission kept numbers above earlier timestamps'; within one, they must differ.
        if let Some(w) = run.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(MoneyError::Numbering {
                id: w[1].id,
                ts: w[1].ts,
                reason: "used twice",
            });
        }
        for i in 0..run.len() {
            if let Some(t) = run.get(i + 2 * PREFETCH_AHEAD) {
                for account in [t.from, t.to] {
                    prefetch_lines(&self.accounts[account as usize]);
                }
            }
            if let Some(t) = run.get(i + PREFETCH_AHEAD) {
                self.prefetch_edges(t);
            }
            self.process(&run[i]);
        }
        Ok(())
    }

    /// Asks for the edges the scan of `tx` reads first.
    fn prefetch_edges(&self, tx: &Tx) {
        for account in [tx.from, tx.to] {
            prefetch_sides(&self.accounts[account as usize], self.keep);
        }
    }

    /// Alerts emitted so far (and forgets them, so a long stream holds none).
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.alerts)
    }

    /// Scans what is buffered and returns the alerts not yet taken, in canonical order, and
    /// the features by account number (empty without features).
    pub fn finish(mut self) -> Result<(Vec<Alert>, Vec<AccountFeatures>), MoneyError> {
        self.flush()?;
        let mut alerts = std::mem::take(&mut self.alerts);
        sort_alerts(&mut alerts);
        let features = if self.features {
            self.account_features
        } else {
            Vec::new()
        };
        Ok((alerts, features))
    }

    fn on(&self, t: Typology) -> bool {
        self.enabled[t.index()]
    }

    /// Sweeps every account ([`Scanner::sweep_accounts`]).
    #[cfg(test)]
    fn sweep(&mut self, oldest: i64, fan_lo: i64) {
        self.sweep_accounts(0..self.accounts.len(), oldest, fan_lo);
    }

    /// Sweeps the next [`SWEEP_STEPS`]th of the accounts, from where the last step stopped.
    fn sweep_step(&mut self, oldest: i64, fan_lo: i64) {
        let total = self.accounts.len();
        if total == 0 {
            return;
        }
        let start = self.sweep_next.min(total);
        let end = total.min(start + total / SWEEP_STEPS + 1);
        self.sweep_accounts(start..end, oldest, fan_lo);
        self.sweep_next = if end == total { 0 } else { end };
    }

    /// Drops the edges of `range`'s accounts older than the horizon and frees emptied
    /// windows: an account seen once and never again would otherwise hold its edges for the
    /// whole scan. Changes no alert, since every kernel looks back no further than the
    /// horizon.
    fn sweep_accounts(&mut self, range: std::ops::Range<usize>, oldest: i64, fan_lo: i64) {
        for n in range.clone() {
            // Accounts are read in order, which the processor fetches ahead by itself; the
            // edges they point to are all over memory.
            if let Some(ahead) = self
                .accounts
                .get(n + SWEEP_AHEAD)
                .filter(|_| n + SWEEP_AHEAD < range.end)
            {
                prefetch_sides(ahead, self.keep);
            }
            let a = &mut self.accounts[n];
            for (side, fan) in [&mut a.ins, &mut a.outs].into_iter().zip(&mut a.fan) {
                // The fan window first: what the horizon drops is older than the window.
                fan.expire(side, fan_lo);
                while side.front().is_some_and(|e| e.ts < oldest) {
                    side.pop_front();
                }
                assert!(
                    fan.len as usize <= side.len(),
                    "the fan window is within its side"
                );
                if side.is_empty() && side.capacity() > 0 {
                    *side = VecDeque::new();
                }
            }
        }
    }

    fn process(&mut self, tx: &Tx) {
        let seq = tx.id + 1;
        self.scanned += 1;
        let oldest = tx.ts.saturating_sub(self.horizon_seconds);
        let fan_lo = tx.ts.saturating_sub(self.config.fan_window_seconds);
        if self.scanned.is_multiple_of(SWEEP_STEP_TRANSACTIONS) {
            self.sweep_step(oldest, fan_lo);
        }
        let cap = self.config.edges_per_account_max;
        let edge = |other| Edge {
            ts: tx.ts,
            other,
            amount: tx.amount,
            channel: tx.channel,
            seq,
            reported: false,
        };
        for (account, incoming) in [(tx.from, false), (tx.to, true)] {
            if !self.keep[usize::from(!incoming)] {
                continue;
            }
            let counted = self.on(if incoming {
                Typology::FanIn
            } else {
                Typology::FanOut
            });
            let a = &mut self.accounts[account as usize];
            let (side, fan) = if incoming {
                (&mut a.ins, &mut a.fan[0])
            } else {
                (&mut a.outs, &mut a.fan[1])
            };
            fan.expire(side, fan_lo);
            // A scanner that keeps fan windows has a horizon at least as long, so these are
            // out of the window already.
            while side.front().is_some_and(|e| e.ts < oldest) {
                side.pop_front();
            }
            let e = edge(if incoming { tx.from } else { tx.to });
            side.push_back(e);
            if self.fans {
                fan.add(&e);
            }
            if side.len() > cap {
                let dropped = side.pop_front().expect("a side over its bound has edges");
                if fan.len as usize > side.len() {
                    fan.remove(&dropped);
                }
            }
            if counted {
                fan.count_if_large(side);
            }
            assert!(
                fan.len as usize <= side.len(),
                "the fan window is within its side"
            );
        }
        if self.features {
            self.update_features(tx);
        }
        if self.on(Typology::FanIn) {
            self.fan(tx, true);
        }
        if self.on(Typology::FanOut) {
            self.fan(tx, false);
        }
        if self.on(Typology::Structuring) {
            self.structuring(tx);
        }
        if self.on(Typology::PassThrough) {
            self.pass_through(tx, seq);
        }
        if self.on(Typology::Cycle) {
            self.cycle(tx, seq);
        }
        if self.on(Typology::ScatterGather) {
            self.scatter_gather(tx, seq);
        }
        if self.on(Typology::GatherScatter) {
            self.gather_scatter(tx, seq);
        }
        if self.on(Typology::HawalaSettlement) {
            self.settlement(tx, seq);
        }
    }

    fn in_band(&self, e: &Edge) -> bool {
        let c = &self.config;
        e.amount < c.structuring_threshold
            && e.amount as f64 >= c.structuring_threshold as f64 * c.structuring_floor_ratio
            && (!c.structuring_cash_only || e.channel == CHANNEL_CASH)
    }

    // Kernels are not inlined, so a profile shows the cost of each.
    #[inline(never)]
    fn update_features(&mut self, tx: &Tx) {
        let near = {
            let e = self.accounts[tx.to as usize].ins.back().copied();
            e.is_some_and(|e| self.in_band(&e))
        };
        let n = self.accounts[tx.to as usize].fan[0].len;
        let f = &mut self.account_features[tx.to as usize];
        f.in_count += 1;
        f.in_amount = f.in_amount.saturating_add(tx.amount);
        f.window_in_max = f.window_in_max.max(n);
        f.near_threshold += u32::from(near);
        let n = self.accounts[tx.from as usize].fan[1].len;
        let f = &mut self.account_features[tx.from as usize];
        f.out_count += 1;
        f.out_amount = f.out_amount.saturating_add(tx.amount);
        f.window_out_max = f.window_out_max.max(n);
    }

    /// Emits an alert over `edges` (as (account it is about, edge)), marking them covered.
    #[inline(never)]
    fn emit(
        &mut self,
        typology: Typology,
        about: u32,
        mut accounts: Vec<u32>,
        mut edges: Vec<Edge>,
        score: f64,
    ) {
        if edges.is_empty() {
            return;
        }
        accounts.sort_unstable();
        accounts.dedup();
        accounts.retain(|&a| a != about);
        accounts.insert(0, about);
        edges.sort_unstable_by_key(|e| e.seq);
        edges.dedup_by_key(|e| e.seq);
        let window = (
            edges.iter().map(|e| e.ts).min().unwrap_or(0),
            edges.iter().map(|e| e.ts).max().unwrap_or(0),
        );
        if self.features {
            for &a in &accounts {
                self.account_features[a as usize].alerts[typology.index()] += 1;
            }
        }
        self.alerts.push(Alert {
            typology,
            accounts,
            transactions: edges.iter().map(|e| e.seq - 1).collect(),
            window,
            score,
        });
    }

    /// Fan-in at the receiver (or fan-out at the sender): distinct counterparties and money
    /// within the window.
    #[inline(never)]
    fn fan(&mut self, tx: &Tx, incoming: bool) {
        let typology = if incoming {
            Typology::FanIn
        } else {
            Typology::FanOut
        };
        let c = &self.config;
        let hub = if incoming { tx.to } else { tx.from };
        let a = &self.accounts[hub as usize];
        let (side, fan) = if incoming {
            (&a.ins, &a.fan[0])
        } else {
            (&a.outs, &a.fan[1])
        };
        let n = fan.len as usize;
        if n < c.fan_degree_min {
            return;
        }
        let (total, degree) = match &fan.large {
            Some(large) => (large.amount, large.counts.len()),
            None => {
                self.scratch.clear();
                self.scratch.extend(fan.edges(side).map(|e| e.other));
                self.scratch.sort_unstable();
                self.scratch.dedup();
                let total = fan.edges(side).fold(0i64, |t, e| t.wrapping_add(e.amount));
                (total, self.scratch.len())
            }
        };
        if degree < c.fan_degree_min || total < c.fan_amount_min {
            return;
        }
        // Edges are in scan order, so the ones not yet reported are at the back.
        let covered = a.covered[covered_slot(typology)];
        let fresh = side
            .range(side.len() - n..)
            .rev()
            .take_while(|e| e.seq > covered)
            .count();
        let edges: Vec<Edge> = side.range(side.len() - fresh..).copied().collect();
        // The alert names the accounts of the transactions it carries: a hub above the
        // threshold raises an alert on every new transfer, and listing the window's hundreds
        // of counterparties in each was most of a large ledger's scan. The score still counts
        // them all.
        let others: Vec<u32> = edges.iter().map(|e| e.other).collect();
        let score = degree as f64 / c.fan_degree_min as f64;
        self.accounts[hub as usize].covered[covered_slot(typology)] = tx.id + 1;
        self.emit(typology, hub, others, edges, score);
    }

    /// Several cash amounts just under the threshold into one account within the window.
    #[inline(never)]
    fn structuring(&mut self, tx: &Tx) {
        let c = &self.config;
        let a = &self.accounts[tx.to as usize];
        let Some(last) = a.ins.back() else { return };
        if !self.in_band(last) {
            return;
        }
        let lo = tx.ts - c.structuring_window_seconds;
        let sender = last.other;
        let by_sender = c.structuring_by_sender;
        let band: Vec<Edge> = a
            .ins
            .iter()
            .rev()
            .take_while(|e| e.ts >= lo)
            .filter(|e| self.in_band(e) && (!by_sender || e.other == sender))
            .copied()
            .collect();
        if band.len() < c.structuring_count_min {
            return;
        }
        let score = band.len() as f64 / c.structuring_count_min as f64;
        let senders = band.iter().map(|e| e.other).collect();
        // Marked on the edge, not by a position per account: counted per depositor, one
        // depositor's alert must not hide another's older deposits into the same account.
        let edges: Vec<Edge> = band.into_iter().filter(|e| !e.reported).collect();
        let lo_seq = edges.iter().map(|e| e.seq).min().unwrap_or(u64::MAX);
        for e in self.accounts[tx.to as usize].ins.iter_mut().rev() {
            if e.seq < lo_seq {
                break;
            }
            if edges.iter().any(|x| x.seq == e.seq) {
                e.reported = true;
            }
        }
        self.emit(Typology::Structuring, tx.to, senders, edges, score);
    }

    /// The best-matching opposite transfer of the same account within the pass-through time:
    /// most similar amount, then the latest.
    #[inline(never)]
    fn pass_through(&mut self, tx: &Tx, seq: u64) {
        let c = &self.config;
        if tx.amount < c.pass_through_amount_min || tx.from == tx.to {
            return;
        }
        let lo = tx.ts - c.pass_through_seconds;
        let ratio_min = c.pass_through_ratio_min;
        let this = Edge {
            ts: tx.ts,
            other: 0,
            amount: tx.amount,
            channel: tx.channel,
            seq,
            reported: false,
        };
        // As the out of the sender, then as the in of the receiver.
        for (account, incoming) in [(tx.from, true), (tx.to, false)] {
            let a = &self.accounts[account as usize];
            let side = if incoming { &a.ins } else { &a.outs };
            let best = side
                .iter()
                .rev()
                .take_while(|e| e.ts >= lo)
                .filter(|e| e.seq < seq && similar(e.amount, tx.amount, ratio_min))
                .map(|e| {
                    let (lo, hi) = (e.amount.min(tx.amount), e.amount.max(tx.amount));
                    (lo as f64 / hi as f64, e.seq, *e)
                })
                .max_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            if let Some((ratio, _, e)) = best {
                let other = if incoming { tx.to } else { tx.from };
                if self.features {
                    self.account_features[account as usize].pass_through += 1;
                }
                self.emit(
                    Typology::PassThrough,
                    account,
                    vec![e.other, other],
                    vec![e, this],
                    ratio / ratio_min,
                );
            }
        }
    }

    /// A temporal cycle closed by this transfer: a path from its receiver back to its sender
    /// of strictly earlier transfers within the window, each passed on within the hop time for
    /// a little less than it came in with (a fee per hop).
    #[inline(never)]
    fn cycle(&mut self, tx: &Tx, seq: u64) {
        let c = &self.config;
        if tx.amount < c.pattern_amount_min || tx.from == tx.to {
            return;
        }
        struct Search<'a> {
            accounts: &'a [Account],
            target: u32,
            lo: i64,
            hop: i64,
            ratio: f64,
            length_max: usize,
            steps: usize,
            path: Vec<Edge>,
            nodes: Vec<u32>,
        }
        // Walks in-edges backwards from `node`, whose transfer `seq` at `ts` passed on `amount`;
        // `depth` transfers are already on the cycle.
        fn walk(s: &mut Search, node: u32, seq: u64, ts: i64, amount: i64, depth: usize) -> bool {
            let accounts = s.accounts;
            let oldest = s.lo.max(ts.saturating_sub(s.hop));
            for e in accounts[node as usize].ins.iter().rev() {
                if e.ts < oldest {
                    break;
                }
                // What came in carried more than what went on: the hop's fee.
                if e.seq >= seq || e.amount <= amount || !similar(e.amount, amount, s.ratio) {
                    continue;
                }
                if s.steps == 0 {
                    return false;
                }
                s.steps -= 1;
                if e.other == s.target {
                    s.path.push(*e);
                    return true;
                }
                if depth + 1 < s.length_max && !s.nodes.contains(&e.other) {
                    s.path.push(*e);
                    s.nodes.push(e.other);
                    if walk(s, e.other, e.seq, e.ts, e.amount, depth + 1) {
                        return true;
                    }
                    s.path.pop();
                    s.nodes.pop();
                }
            }
            false
        }
        let mut s = Search {
            accounts: &self.accounts,
            target: tx.to,
            lo: tx.ts - c.cycle_window_seconds,
            hop: c.cycle_hop_seconds,
            ratio: c.cycle_amount_ratio_min,
            length_max: c.cycle_length_max,
            steps: c.search_steps_max,
            path: Vec::new(),
            nodes: vec![tx.from, tx.to],
        };
        if walk(&mut s, tx.from, seq, tx.ts, tx.amount, 1) {
            let mut edges = s.path;
            let length = edges.len() + 1;
            edges.push(Edge {
                ts: tx.ts,
                other: tx.to,
                amount: tx.amount,
                channel: tx.channel,
                seq,
                reported: false,
            });
            let nodes = s.nodes;
            self.emit(Typology::Cycle, tx.from, nodes, edges, length as f64 / 2.0);
        }
    }

    /// Scatter-gather closed by this transfer into its target: the intermediary got a similar
    /// amount from a source that also paid other intermediaries, each of which passed a
    /// similar amount on to the same target.
    #[inline(never)]
    fn scatter_gather(&mut self, tx: &Tx, seq: u64) {
        let c = &self.config;
        if tx.amount < c.pattern_amount_min || tx.from == tx.to {
            return;
        }
        let (middle, target) = (tx.from, tx.to);
        let lo = tx.ts - c.shape_window_seconds;
        let covered = self.accounts[target as usize].covered[covered_slot(Typology::ScatterGather)];
        let mut steps = c.search_steps_max;
        let accounts = &self.accounts;
        let mut found: Option<(u32, Vec<(Edge, Edge)>)> = None;
        'sources: for e1 in accounts[middle as usize].ins.iter().rev() {
            if e1.ts < lo {
                break;
            }
            let source = e1.other;
            if e1.seq >= seq
                || source == target
                || !similar(e1.amount, tx.amount, c.shape_amount_ratio_min)
            {
                continue;
            }
            let mut branches: Vec<(Edge, Edge)> = Vec::new();
            for f1 in accounts[source as usize].outs.iter().rev() {
                if f1.ts < lo {
                    break;
                }
                let m = f1.other;
                if f1.seq > seq || m == target || m == source {
                    continue;
                }
                if branches.iter().any(|(b, _)| b.other == m) {
                    continue;
                }
                for f2 in accounts[m as usize].outs.iter().rev() {
                    if steps == 0 {
                        break 'sources;
                    }
                    steps -= 1;
                    if f2.seq <= f1.seq {
                        break;
                    }
                    if f2.seq <= seq
                        && f2.other == target
                        && similar(f1.amount, f2.amount, c.shape_amount_ratio_min)
                    {
                        branches.push((*f1, *f2));
                        break;
                    }
                }
            }
            if branches.len() >= c.scatter_branches_min {
                found = Some((source, branches));
                break;
            }
        }
        let Some((source, branches)) = found else {
            return;
        };
        let score = branches.len() as f64 / c.scatter_branches_min as f64;
        let mut accounts: Vec<u32> = branches.iter().map(|(b, _)| b.other).collect();
        accounts.push(source);
        let edges: Vec<Edge> = branches
            .into_iter()
            .filter(|(_, f2)| f2.seq > covered)
            .flat_map(|(f1, f2)| [f1, f2])
            .collect();
        self.accounts[target as usize].covered[covered_slot(Typology::ScatterGather)] = seq;
        self.emit(Typology::ScatterGather, target, accounts, edges, score);
    }

    /// Gather-scatter at the sender of this transfer: similar amounts in from several sources,
    /// then out to several targets, within the window, and those a fair share of the hub's
    /// traffic in the window.
    #[inline(never)]
    fn gather_scatter(&mut self, tx: &Tx, seq: u64) {
        let c = &self.config;
        if tx.amount < c.pattern_amount_min || tx.from == tx.to {
            return;
        }
        let hub = tx.from;
        let lo = tx.ts - c.shape_window_seconds;
        let a = &self.accounts[hub as usize];
        let ins: Vec<Edge> = a
            .ins
            .iter()
            .rev()
            .take_while(|e| e.ts >= lo)
            .filter(|e| similar(e.amount, tx.amount, c.shape_amount_ratio_min))
            .copied()
            .collect();
        let distinct = |edges: &[Edge]| {
            let mut v: Vec<u32> = edges.iter().map(|e| e.other).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let sources = distinct(&ins);
        if sources.len() < c.gather_sources_min {
            return;
        }
        // Shares of money, not of transfers: a front business's many small cash takings say
        // little about what passes through it, a broker's hundreds of customer payments do.
        let in_money: i64 = a
            .ins
            .iter()
            .rev()
            .take_while(|e| e.ts >= lo)
            .map(|e| e.amount)
            .sum();
        let gathered: i64 = ins.iter().map(|e| e.amount).sum();
        if (gathered as f64) < c.gather_share_min * in_money as f64 {
            return;
        }
        let first = ins.iter().map(|e| e.seq).min().unwrap_or(seq);
        let outs: Vec<Edge> = a
            .outs
            .iter()
            .rev()
            .take_while(|e| e.ts >= lo && e.seq > first)
            .filter(|e| similar(e.amount, tx.amount, c.shape_amount_ratio_min))
            .copied()
            .collect();
        let targets = distinct(&outs);
        if targets.len() < c.gather_targets_min {
            return;
        }
        let out_money: i64 = a
            .outs
            .iter()
            .rev()
            .take_while(|e| e.ts >= lo && e.seq > first)
            .map(|e| e.amount)
            .sum();
        let scattered: i64 = outs.iter().map(|e| e.amount).sum();
        if (scattered as f64) < c.gather_share_min * out_money as f64 {
            return;
        }
        let covered = a.covered[covered_slot(Typology::GatherScatter)];
        let score = sources.len().min(targets.len()) as f64
            / c.gather_sources_min.min(c.gather_targets_min) as f64;
        let edges: Vec<Edge> = ins
            .into_iter()
            .chain(outs)
            .filter(|e| e.seq > covered)
            .collect();
        let mut accounts = sources;
        accounts.extend(targets);
        self.accounts[hub as usize].covered[covered_slot(Typology::GatherScatter)] = seq;
        self.emit(Typology::GatherScatter, hub, accounts, edges, score);
    }

    /// Mirrored settlement: this transfer from broker A to broker B is about what B paid out,
    /// since A last settled with B, in amounts A had taken in before each payout.
    #[inline(never)]
    fn settlement(&mut self, tx: &Tx, seq: u64) {
        let c = &self.config;
        if tx.amount < c.settlement_amount_min || tx.from == tx.to {
            return;
        }
        let (a, b) = (tx.from, tx.to);
        let lo = tx.ts - c.settlement_window_seconds;
        let accounts = &self.accounts;
        // B's payouts in the window, newest first (sides are in scan order, so the window is
        // at the back). They are gathered before A's last settlement with B is looked for,
        // which can only cut them: most transfers, to accounts that pay out little, stop here.
        let mut payouts: Vec<&Edge> = accounts[b as usize]
            .outs
            .iter()
            .rev()
            .take_while(|p| p.ts >= lo)
            .filter(|p| p.seq < seq && p.other != a)
            .collect();
        // Each payout matches one intake at most, and an empty match covers nothing.
        let payouts_min = c.settlement_payouts_min.max(1);
        // The mirrored payouts are some of these: if all of them together cannot cover enough
        // of the settlement, no match can.
        let can_cover = |payouts: &[&Edge]| {
            let most: i64 = payouts.iter().map(|p| p.amount.max(0)).sum();
            most as f64 / tx.amount as f64 >= c.settlement_match_ratio_min
        };
        if payouts.len() < payouts_min || !can_cover(&payouts) {
            return;
        }
        // A's last transfer to B before this one cuts the payouts: B's walk stops at the
        // oldest payout, since an earlier settlement cuts none of them.
        let oldest_payout = payouts.last().map_or(0, |p| p.seq);
        let last = accounts[b as usize]
            .ins
            .iter()
            .rev()
            .take_while(|e| e.seq >= oldest_payout)
            .find(|e| e.other == a && e.seq < seq)
            .map_or(0, |e| e.seq);
        payouts.truncate(payouts.partition_point(|p| p.seq > last));
        if payouts.len() < payouts_min || !can_cover(&payouts) {
            return;
        }
        payouts.reverse();
        // A's intake of the payouts' amounts. A broker's intake over the window runs to
        // thousands of transfers, nearly all of other amounts: a bit per amount hash turns
        // most away in one probe; what passes is matched exactly below.
        let bits = (payouts.len() * 16).next_power_of_two().max(64);
        let shift = 64 - bits.trailing_zeros();
        let slot =
            |amount: i64| ((amount as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize;
        let filter = &mut self.amount_filter;
        filter.clear();
        filter.resize(bits / 64, 0);
        for p in &payouts {
            let i = slot(p.amount);
            filter[i / 64] |= 1 << (i % 64);
        }
        let mut intake: Vec<(i64, u64, Edge)> = accounts[a as usize]
            .ins
            .iter()
            .rev()
            .take_while(|e| e.ts >= lo)
            .filter(|e| {
                let i = slot(e.amount);
                e.seq < seq && filter[i / 64] & (1 << (i % 64)) != 0
            })
            .map(|e| (e.amount, e.seq, *e))
            .collect();
        if intake.is_empty() {
            return;
        }
        intake.sort_unstable_by_key(|&(amount, seq, _)| (amount, seq));
        let mut matched: Vec<Edge> = Vec::new();
        let mut sum = 0i64;
        for p in payouts {
            // Each intake mirrors one payout at most: the earliest unused one of that amount.
            let i = intake.partition_point(|&(amount, _, _)| amount < p.amount);
            if let Some(slot) = intake[i..]
                .iter_mut()
                .take_while(|(amount, _, _)| *amount == p.amount)
                .find(|(_, s, _)| *s != 0 && *s < p.seq)
            {
                sum += p.amount;
                matched.push(*p);
                matched.push(slot.2);
                slot.1 = 0;
            }
        }
        if matched.len() / 2 < c.settlement_payouts_min {
            return;
        }
        let cover = sum as f64 / tx.amount as f64;
        if cover < c.settlement_match_ratio_min || cover > c.settlement_cover_max {
            return;
        }
        let score = cover.min(1.0 / cover);
        let mut others: Vec<u32> = matched.iter().map(|e| e.other).collect();
        others.push(b);
        matched.push(Edge {
            ts: tx.ts,
            other: b,
            amount: tx.amount,
            channel: tx.channel,
            seq,
            reported: false,
        });
        self.emit(
            Typology::HawalaSettlement,
            a,
            others,
            matched,
            score / c.settlement_match_ratio_min,
        );
    }
}

/// Alerts in canonical order: by end of window, typology, then transactions.
fn sort_alerts(alerts: &mut [Alert]) {
    alerts.sort_by(|x, y| {
        (x.window.1, x.typology, &x.transactions, &x.accounts).cmp(&(
            y.window.1,
            y.typology,
            &y.transactions,
            &y.accounts,
        ))
    });
}

/// A scanner's result: alerts, and features by account number.
type Scanned = (Vec<Alert>, Vec<AccountFeatures>);

/// Transactions the batch scan hands its scanners at a time.
const RUN_TRANSACTIONS: usize = 4_096;

/// Typologies in the order of their cost, for spreading them over threads.
const COST_ORDER: [Typology; 8] = [
    Typology::Cycle,
    Typology::ScatterGather,
    Typology::PassThrough,
    Typology::FanIn,
    Typology::GatherScatter,
    Typology::HawalaSettlement,
    Typology::FanOut,
    Typology::Structuring,
];

/// Runs scanners for `typologies` over the ledger on `threads` threads, each with a share of
/// the typologies; the first also keeps features if asked.
fn run(
    ledger: &Ledger,
    config: &Config,
    typologies: &[Typology],
    threads: usize,
    features: bool,
) -> Result<Scanned, MoneyError> {
    let threads = threads.clamp(1, typologies.len().max(1));
    let mut groups: Vec<Vec<Typology>> = vec![Vec::new(); threads];
    for (i, t) in COST_ORDER
        .iter()
        .filter(|t| typologies.contains(t))
        .enumerate()
    {
        groups[i % threads].push(*t);
    }
    let one = |(i, group): (usize, &Vec<Typology>)| {
        let mut s = Scanner::with_typologies(config, group, features && i == 0)?;
        let mut run = Vec::with_capacity(RUN_TRANSACTIONS);
        for start in (0..ledger.len()).step_by(RUN_TRANSACTIONS) {
            let end = (start + RUN_TRANSACTIONS).min(ledger.len());
            run.clear();
            run.extend((start..end).map(|row| ledger.tx(row)));
            s.push_all(&run)?;
        }
        s.finish()
    };
    let results: Vec<Result<Scanned, MoneyError>> = if threads == 1 {
        groups.iter().enumerate().map(one).collect()
    } else {
        use rayon::prelude::*;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| MoneyError::Config(format!("thread pool: {e}")))?;
        pool.install(|| groups.par_iter().enumerate().map(one).collect())
    };
    let mut alerts = Vec::new();
    let mut feats = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        let (a, f) = r?;
        alerts.extend(a);
        if i == 0 {
            feats = f;
        }
    }
    sort_alerts(&mut alerts);
    if features {
        feats.resize_with(ledger.accounts.len(), AccountFeatures::default);
        for f in &mut feats {
            f.alerts = Default::default();
        }
        for a in &alerts {
            for &acc in &a.accounts {
                feats[acc as usize].alerts[a.typology.index()] += 1;
            }
        }
    }
    Ok((alerts, feats))
}

/// The batch scan: every typology's alerts on the whole ledger, in canonical order, on
/// `threads` threads (the result does not depend on it).
pub fn scan(ledger: &Ledger, config: &Config, threads: usize) -> Result<Vec<Alert>, MoneyError> {
    Ok(run(ledger, config, &Typology::ALL, threads, false)?.0)
}

/// The batch scan of some typologies, with per-account features (by account number).
pub fn features(
    ledger: &Ledger,
    config: &Config,
    typologies: &[Typology],
    threads: usize,
) -> Result<(Vec<Alert>, Vec<AccountFeatures>), MoneyError> {
    run(ledger, config, typologies, threads, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every side's fan window, recomputed from its edges: the edges within the window of
    /// `now`, their money and, where a map is kept, their counterparties.
    fn check_fan_windows(s: &Scanner, now: i64) {
        let lo = now.saturating_sub(s.config.fan_window_seconds);
        for (n, a) in s.accounts.iter().enumerate() {
            for (side, fan) in [&a.ins, &a.outs].into_iter().zip(&a.fan) {
                // A side is brought up to date when pushed to (or swept): its window holds
                // the edges within the window of its last edge, and what it let out is out of
                // the window of `now`; for the sides pushed to last the two are one.
                let last_lo = side
                    .back()
                    .map_or(lo, |e| e.ts.saturating_sub(s.config.fan_window_seconds));
                let split = side.len() - fan.len as usize;
                let held: Vec<&Edge> = side.range(split..).collect();
                assert!(
                    held.iter().all(|e| e.ts >= last_lo),
                    "account {n}: an expired edge in the window"
                );
                assert!(
                    side.range(..split).all(|e| e.ts < lo),
                    "account {n}: an edge of the window left out"
                );
                if let Some(large) = &fan.large {
                    let mut naive = LargeWindow::default();
                    for e in &held {
                        naive.amount = naive.amount.wrapping_add(e.amount);
                        *naive.counts.entry(e.other).or_insert(0) += 1;
                    }
                    assert_eq!(**large, naive, "account {n}: money and counterparties");
                }
            }
        }
    }

    /// Two hubs with hundreds of transfers from a few dozen accounts, over several windows, and
    /// a small per-account bound: windows grow past the counting bound, shrink under it,
    /// lose edges at the bound and in sweeps.
    fn busy_hub() -> impl Strategy<Value = Vec<(u32, u32, i64, i64)>> {
        prop::collection::vec((0u32..40, 0u32..2, 1i64..1_000, 0i64..4), 1..800)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn fan_windows_match_their_edges(rows in busy_hub(), cap in 50usize..300) {
            let config = Config {
                fan_window_seconds: 400,
                edges_per_account_max: cap,
                ..Config::default()
            };
            let mut s = Scanner::with_typologies(&config, &[Typology::FanIn, Typology::FanOut], true)
                .expect("config");
            let mut ts = 0;
            for (i, &(other, hub, amount, step)) in rows.iter().enumerate() {
                ts += step;
                // Transfers into one of two hubs (40 and 41), and a few back out.
                let (from, to) = if i % 7 == 0 { (40 + hub, other) } else { (other, 40 + hub) };
                s.push(Tx { id: i as u64, ts, from, to, amount, channel: 0 }).expect("pushes");
                s.flush().expect("scans");
                check_fan_windows(&s, ts);
                if i % 97 == 0 {
                    s.sweep(ts - s.horizon_seconds, ts - config.fan_window_seconds);
                    check_fan_windows(&s, ts);
                }
            }
        }
    }
}
