#![warn(missing_docs)]
//! Following the money: typology kernels over a ledger's time windows, with no I/O.
//!
//! A [`Scanner`] takes transactions in time order and keeps, per account, only the edges of the
//! last [`Config::horizon_seconds`] (at most [`Config::edges_per_account_max`] each way), so
//! memory per account is bounded whatever the ledger's length. The batch scan ([`scan`]) is
//! the same scanner run over a canonical [`Ledger`]; with several threads each thread runs the
//! scanner for some of the typologies, which changes nothing because typologies share no state.
//!
//! Determinism: transactions with equal timestamps are buffered and taken in increasing
//! [`Tx::id`], so the alerts never depend on their arrival order (property-tested), and
//! [`scan`] and a [`Scanner`] fed the same ledger give the same alerts (property-tested).
//!
//! | typology | what is flagged |
//! |---|---|
//! | [`Typology::FanIn`], [`Typology::FanOut`] | many distinct counterparties and enough money within a window |
//! | [`Typology::ScatterGather`] | a source paying several intermediaries that each pass a similar amount on to one target |
//! | [`Typology::GatherScatter`] | a hub receiving similar amounts from several sources and paying them out to several targets, those being a fair share ([`Config::gather_share_min`]) of its traffic |
//! | [`Typology::Cycle`] | a temporal cycle of up to [`Config::cycle_length_max`] transfers, each passed on within [`Config::cycle_hop_seconds`] for a little less than the one before (a fee per hop) |
//! | [`Typology::Structuring`] | several cash amounts just under a reporting threshold into one account |
//! | [`Typology::PassThrough`] | money in and out of an account within hours, with a similar amount |
//! | [`Typology::HawalaSettlement`] | a transfer between two brokers that mirrors what the receiving broker paid out for money the sending broker took in |
//!
//! ```
//! use corridor_money::*;
//! let mut b = LedgerBuilder::new();
//! for (i, (from, to)) in [("a", "b"), ("b", "c"), ("c", "a")].into_iter().enumerate() {
//!     b.push(&format!("T{i}"), 1_000 + i as i64 * 3_600, from, to, 5_000_000 - i as i64 * 10_000, 1)?;
//! }
//! let ledger = b.build()?;
//! let alerts = scan(&ledger, &Config::default(), 1)?;
//! assert!(alerts.iter().any(|a| a.typology == Typology::Cycle));
//! # Ok::<(), MoneyError>(())
//! ```

pub mod eval;
pub mod flows;
pub mod ledger;
pub mod scan;
pub mod stream;
pub mod txfeatures;

pub use eval::{Score, TYPOLOGY_TRUTH, Truth, evaluate, read_truth};
pub use flows::{FlowStep, outgoing_index, walk_flows, walk_indexed};
pub use ledger::{
    CHANNEL_CASH, CHANNEL_OTHER, CHANNELS, Ledger, LedgerBuilder, channel_code, channel_name,
    parse_amount, parse_timestamp, read_ledger,
};
pub use scan::{AccountFeatures, Scanner, features, scan};
pub use stream::{NamedAlert, RowSink, StreamStats, scan_rows, scan_stream};
pub use txfeatures::{TX_FEATURE_NAMES, TxFeatures, transaction_features};

/// Errors of reading a ledger or scanning one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    /// A cell that could not be read.
    #[error("{source_name} line {line}, field {field}: {reason}")]
    Parse {
        /// The file or stream, as the caller named it.
        source_name: String,
        /// Line number, 1 for the header.
        line: usize,
        /// The column.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A read that failed.
    #[error("{source_name}: {reason}")]
    Io {
        /// The file or stream, as the caller named it.
        source_name: String,
        /// The system's message.
        reason: String,
    },
    /// Two transactions with one id.
    #[error("transaction id {0} appears twice")]
    DuplicateId(String),
    /// A transaction older than one already scanned.
    #[error("transaction {id} at {ts} arrived after time {now}: a stream must be in time order")]
    OutOfOrder {
        /// The late transaction's number.
        id: u64,
        /// Its timestamp.
        ts: i64,
        /// The latest timestamp already pushed.
        now: i64,
    },
    /// A transaction whose number cannot order the scan: numbers must be unique, and above
    /// those of every earlier timestamp ([`Tx::id`]).
    #[error("transaction number {id} at {ts}: {reason}")]
    Numbering {
        /// The transaction's number.
        id: u64,
        /// Its timestamp.
        ts: i64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A named limit was reached.
    #[error("more {what} than the limit of {max}")]
    Limit {
        /// What was counted.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// A configuration value out of range.
    #[error("configuration: {0}")]
    Config(String),
}

/// One transaction as the kernels see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tx {
    /// The transaction's number: its place in the scan. Numbers are unique and follow time
    /// (each above the numbers of every earlier timestamp); among equal timestamps
    /// transactions are taken in increasing number, so numbers must not depend on arrival
    /// order. [`Ledger`] numbers rows by (timestamp, id), and the stream numbers rows of a
    /// file in that order.
    pub id: u64,
    /// Seconds since 1970-01-01 UTC.
    pub ts: i64,
    /// Sender's account number.
    pub from: u32,
    /// Receiver's account number.
    pub to: u32,
    /// Minor units (cents).
    pub amount: i64,
    /// Channel code ([`CHANNELS`]).
    pub channel: u8,
}

/// The typologies the kernels flag.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Typology {
    /// Many senders into one account.
    FanIn,
    /// One account paying many.
    FanOut,
    /// Source, several intermediaries, one target.
    ScatterGather,
    /// Several sources, one hub, several targets.
    GatherScatter,
    /// Money coming back to where it started.
    Cycle,
    /// Cash just under a reporting threshold, repeatedly.
    Structuring,
    /// In and out again within hours.
    PassThrough,
    /// A transfer between brokers mirroring what one paid out for the other.
    HawalaSettlement,
}

impl Typology {
    /// Every typology, in the order of their codes.
    pub const ALL: [Typology; 8] = [
        Typology::FanIn,
        Typology::FanOut,
        Typology::ScatterGather,
        Typology::GatherScatter,
        Typology::Cycle,
        Typology::Structuring,
        Typology::PassThrough,
        Typology::HawalaSettlement,
    ];

    /// The typology's name, as alerts print it.
    pub fn name(self) -> &'static str {
        match self {
            Typology::FanIn => "FAN_IN",
            Typology::FanOut => "FAN_OUT",
            Typology::ScatterGather => "SCATTER_GATHER",
            Typology::GatherScatter => "GATHER_SCATTER",
            Typology::Cycle => "CYCLE",
            Typology::Structuring => "STRUCTURING",
            Typology::PassThrough => "PASS_THROUGH",
            Typology::HawalaSettlement => "HAWALA_SETTLEMENT",
        }
    }

    /// The typology named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Typology> {
        Typology::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// Position in [`Typology::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One alert: which typology, which accounts (the one it is about first, the others sorted),
/// which transactions (sorted), the window they span and a score (1 at the configured
/// threshold, more for a stronger pattern).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Alert {
    /// The typology.
    pub typology: Typology,
    /// Account numbers: the one the alert is about first, the others sorted.
    pub accounts: Vec<u32>,
    /// Transaction numbers ([`Tx::id`]), sorted.
    pub transactions: Vec<u64>,
    /// First and last timestamps of the transactions, in seconds.
    pub window: (i64, i64),
    /// 1 at the configured threshold, more for a stronger pattern.
    pub score: f64,
}

/// Thresholds and windows of every typology, and the state's bounds. Amounts in minor units,
/// times in seconds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Fan-in and fan-out: the window, distinct counterparties at least, money at least.
    pub fan_window_seconds: i64,
    /// Fan: distinct counterparties at least within the window.
    pub fan_degree_min: usize,
    /// Fan: money at least within the window, in cents.
    pub fan_amount_min: i64,
    /// Structuring: the reporting threshold (Serbia's cash threshold, EUR 15,000, by default),
    /// the band under it that counts (amounts at least `threshold × structuring_floor_ratio`),
    /// deposits at least, the window, and whether only cash counts.
    pub structuring_threshold: i64,
    /// Structuring: the band's floor as a share of the threshold.
    pub structuring_floor_ratio: f64,
    /// Structuring: deposits in the band at least.
    pub structuring_count_min: usize,
    /// Structuring: the window.
    pub structuring_window_seconds: i64,
    /// Structuring: only cash deposits count.
    pub structuring_cash_only: bool,
    /// Count deposits per depositor (one person going back to the counter), not per receiving
    /// account; off, deposits by several smurfs into one account count together.
    pub structuring_by_sender: bool,
    /// Temporal cycles: at most this many transfers, all within the window, each amount at
    /// least `cycle_amount_ratio_min` of the one before and less than it, each within
    /// `cycle_hop_seconds` of the one before, and at least `pattern_amount_min`.
    pub cycle_length_max: usize,
    /// Cycles: the window all transfers fall in.
    pub cycle_window_seconds: i64,
    /// Cycles: how similar consecutive amounts must be (smaller / larger). Each transfer on a
    /// cycle must also carry less than the one before it: layering pays a fee at each hop, and
    /// money that comes back whole (a refund, a reversal, a company repaying a supplier the
    /// same sum) is not a laundering cycle.
    pub cycle_amount_ratio_min: f64,
    /// Cycles: the longest time between one transfer of the cycle and the next. Money being
    /// layered is passed on within days; a company paying an old counterparty back weeks later
    /// is trade.
    pub cycle_hop_seconds: i64,
    /// Scatter-gather and gather-scatter: the window, branches at least (intermediaries, or
    /// sources and targets of the hub), and how similar amounts must be.
    pub shape_window_seconds: i64,
    /// Scatter-gather: intermediaries at least.
    pub scatter_branches_min: usize,
    /// Gather-scatter: distinct sources at least.
    pub gather_sources_min: usize,
    /// Gather-scatter: distinct targets at least.
    pub gather_targets_min: usize,
    /// Gather-scatter: the gathered transfers carry at least this share of the money the hub
    /// received within the window, and the scattered ones of the money it paid out. A hub of
    /// layering is a conduit the scheme dominates; a broker or a busy business that takes in
    /// and pays out hundreds of similar customer payments a week always has a few that look
    /// gathered and scattered.
    pub gather_share_min: f64,
    /// Shapes: how similar amounts must be (smaller / larger).
    pub shape_amount_ratio_min: f64,
    /// Rapid pass-through: in and out within this time, out at least this share of in.
    pub pass_through_seconds: i64,
    /// Pass-through: how similar in and out must be (smaller / larger).
    pub pass_through_ratio_min: f64,
    /// Pass-through: the smallest amount looked at, in cents.
    pub pass_through_amount_min: i64,
    /// The smallest amount the shape and cycle kernels look at.
    pub pattern_amount_min: i64,
    /// Hawala settlement: how far back the receiving broker's payouts and the sending broker's
    /// intake are looked at, the smallest settlement, and how much of it the mirrored payouts
    /// must cover (at least `match_ratio_min` and at most `cover_max` times the settlement:
    /// amounts of other brokers' customers collide with the sender's intake, so the sum runs
    /// over).
    pub settlement_window_seconds: i64,
    /// Settlement: the smallest settlement looked at, in cents.
    pub settlement_amount_min: i64,
    /// Settlement: mirrored payouts cover at least this share of it.
    pub settlement_match_ratio_min: f64,
    /// Settlement: mirrored payouts cover at most this many times it.
    pub settlement_cover_max: f64,
    /// Mirrored payouts at least: settlement nets several; one is a pass-through.
    pub settlement_payouts_min: usize,
    /// Edges kept per account and direction: the oldest go first past this bound.
    pub edges_per_account_max: usize,
    /// Edges a cycle or shape search may visit per transaction.
    pub search_steps_max: usize,
}

/// Seconds in a day, for the defaults.
const DAY_SECONDS: i64 = 86_400;

impl Default for Config {
    fn default() -> Config {
        Config {
            fan_window_seconds: 14 * DAY_SECONDS,
            fan_degree_min: 4,
            fan_amount_min: 300_000,
            structuring_threshold: 1_500_000,
            structuring_floor_ratio: 0.5,
            structuring_count_min: 3,
            structuring_window_seconds: 30 * DAY_SECONDS,
            structuring_cash_only: true,
            structuring_by_sender: true,
            cycle_length_max: 5,
            cycle_window_seconds: 30 * DAY_SECONDS,
            cycle_amount_ratio_min: 0.9,
            cycle_hop_seconds: 2 * DAY_SECONDS,
            shape_window_seconds: 7 * DAY_SECONDS,
            scatter_branches_min: 3,
            gather_sources_min: 2,
            gather_targets_min: 2,
            gather_share_min: 0.25,
            shape_amount_ratio_min: 0.95,
            pass_through_seconds: 2 * DAY_SECONDS,
            pass_through_ratio_min: 0.99,
            pass_through_amount_min: 50_000,
            pattern_amount_min: 500_000,
            settlement_window_seconds: 90 * DAY_SECONDS,
            settlement_amount_min: 100_000,
            settlement_match_ratio_min: 0.8,
            settlement_cover_max: 5.0,
            settlement_payouts_min: 2,
            edges_per_account_max: 16_384,
            search_steps_max: 20_000,
        }
    }
}

impl Config {
    /// The longest window any kernel looks back: edges older than this are dropped.
    pub fn horizon_seconds(&self) -> i64 {
        [
            self.fan_window_seconds,
            self.structuring_window_seconds,
            self.cycle_window_seconds,
            self.shape_window_seconds,
            self.pass_through_seconds,
            self.settlement_window_seconds,
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }

    /// Checks ranges: windows not negative, ratios in (0, 1], bounds at least one.
    pub fn check(&self) -> Result<(), MoneyError> {
        let bad = |what: &str| Err(MoneyError::Config(what.to_owned()));
        if self.horizon_seconds() < 0
            || [
                self.fan_window_seconds,
                self.structuring_window_seconds,
                self.cycle_window_seconds,
                self.cycle_hop_seconds,
                self.shape_window_seconds,
                self.pass_through_seconds,
                self.settlement_window_seconds,
            ]
            .iter()
            .any(|&w| w < 0)
        {
            return bad("windows must not be negative");
        }
        for (name, r) in [
            ("structuring_floor_ratio", self.structuring_floor_ratio),
            ("cycle_amount_ratio_min", self.cycle_amount_ratio_min),
            ("shape_amount_ratio_min", self.shape_amount_ratio_min),
            ("gather_share_min", self.gather_share_min),
            ("pass_through_ratio_min", self.pass_through_ratio_min),
            (
                "settlement_match_ratio_min",
                self.settlement_match_ratio_min,
            ),
        ] {
            if !(r > 0.0 && r <= 1.0) {
                return bad(&format!("{name} must be in (0, 1], not {r}"));
            }
        }
        if self.settlement_cover_max.is_nan() || self.settlement_cover_max < 1.0 {
            return bad("settlement_cover_max must be at least 1");
        }
        if self.edges_per_account_max == 0 || self.search_steps_max == 0 {
            return bad("edges_per_account_max and search_steps_max must be at least 1");
        }
        // A fan window counts its edges in a `u32`.
        if self.edges_per_account_max > u32::MAX as usize {
            return bad("edges_per_account_max must be at most 2^32 - 1");
        }
        if self.cycle_length_max < 2 {
            return bad("cycle_length_max must be at least 2");
        }
        Ok(())
    }
}
