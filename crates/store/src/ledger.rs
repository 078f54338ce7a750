//! The ledger as the store keeps it: typed transaction rows, append-only, one per (originator,
//! transaction id), read back in the canonical order of the money kernels (timestamp, then
//! transaction id).
//!
//! Re-sending a row an originator already sent is a no-op; a different row under an id already
//! stored is refused (reported back, nothing written for it), because a ledger row is a fact
//! about a transfer, not a record that is corrected by a new version.

use corridor_model::Grading;

use crate::{Result, StoreError};

/// Most rows one [`crate::Store::append_ledger`] call takes.
pub const LEDGER_BATCH_MAX: usize = 100_000;

/// Most rows one [`crate::Store::scan_ledger`] call returns.
pub const LEDGER_SCAN_MAX: usize = 100_000;

/// Rows per INSERT statement: fewer statements, while 14 × 256 parameters stay below both
/// backends' limits.
pub(crate) const LEDGER_ROWS_PER_STATEMENT: usize = 256;

/// Longest id, account or channel, in bytes.
pub const LEDGER_FIELD_BYTES_MAX: usize = 256;

/// One transaction as an originator sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    /// The agency that sent the row.
    pub originator: String,
    /// The transaction's id at the source.
    pub tx_id: String,
    /// Seconds since 1970-01-01 UTC.
    pub ts_seconds: i64,
    /// The paying account as the source writes it.
    pub from_account: String,
    /// The receiving account.
    pub to_account: String,
    /// Minor units (cents); positive.
    pub amount_minor: i64,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// `cash`, `bank`, `mto`, `hawala`, `crypto` or what the source calls it (lower case).
    pub channel: String,
    /// Grading and handling in the originator's own code system.
    pub handling: Grading,
    /// The source line the row came from.
    pub source_line: Option<u64>,
}

impl LedgerRow {
    /// The content hash: BLAKE3 over every field but the source line, length-prefixed, so the
    /// same row from another file (or read again) is recognised as already stored.
    pub fn content_hash(&self) -> [u8; 32] {
        let mut buf = Vec::with_capacity(256);
        let mut field = |bytes: &[u8]| {
            buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            buf.extend_from_slice(bytes);
        };
        field(b"corridor-ledger-v1");
        field(self.originator.as_bytes());
        field(self.tx_id.as_bytes());
        field(&self.ts_seconds.to_le_bytes());
        field(self.from_account.as_bytes());
        field(self.to_account.as_bytes());
        field(&self.amount_minor.to_le_bytes());
        field(self.currency.as_bytes());
        field(self.channel.as_bytes());
        field(self.handling_json().as_bytes());
        *blake3::hash(&buf).as_bytes()
    }

    /// The handling as stored (JSON of the grading's fields).
    pub fn handling_json(&self) -> String {
        // A struct of strings always serialises.
        serde_json::to_string(&self.handling).unwrap_or_default()
    }

    /// Where the row sits in the canonical order.
    pub fn key(&self) -> LedgerKey {
        LedgerKey {
            ts_seconds: self.ts_seconds,
            tx_id: self.tx_id.clone(),
            originator: self.originator.clone(),
        }
    }

    /// Checks what the store promises about every row: fields present and bounded, a positive
    /// amount, a three-letter currency. Ingest checks the same before a row gets here.
    pub fn check(&self) -> std::result::Result<(), (&'static str, String)> {
        for (name, v) in [
            ("originator", &self.originator),
            ("tx_id", &self.tx_id),
            ("from_account", &self.from_account),
            ("to_account", &self.to_account),
            ("channel", &self.channel),
        ] {
            if v.is_empty() {
                return Err((name, "empty".into()));
            }
            if v.len() > LEDGER_FIELD_BYTES_MAX {
                return Err((name, format!("over {LEDGER_FIELD_BYTES_MAX} bytes")));
            }
        }
        if self.amount_minor <= 0 {
            return Err(("amount", format!("{} is not positive", self.amount_minor)));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(("currency", format!("'{}' is not ISO 4217", self.currency)));
        }
        Ok(())
    }
}

/// A position in the canonical order: (timestamp, transaction id, originator).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LedgerKey {
    /// Seconds since 1970-01-01 UTC.
    pub ts_seconds: i64,
    /// The transaction's id.
    pub tx_id: String,
    /// Its originator.
    pub originator: String,
}

/// A row refused by [`crate::Store::append_ledger`]: its index in the call and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerConflict {
    /// Index into the rows given.
    pub index: usize,
    /// What is wrong.
    pub reason: String,
}

/// What appending ledger rows did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerAppend {
    /// Rows written.
    pub appended: u64,
    /// Rows already stored with the same content (a re-sent file).
    pub unchanged: u64,
    /// Rows refused: another row is stored under the same (originator, transaction id).
    pub conflicts: Vec<LedgerConflict>,
}

/// Checks a batch before anything is written.
pub(crate) fn check_rows(rows: &[LedgerRow]) -> Result<()> {
    if rows.len() > LEDGER_BATCH_MAX {
        return Err(StoreError::BatchTooLarge {
            entries: rows.len(),
            limit: LEDGER_BATCH_MAX,
        });
    }
    for r in rows {
        r.check().map_err(|(field, reason)| {
            StoreError::Invalid(format!(
                "ledger row {}/{}: {field}: {reason}",
                r.originator, r.tx_id
            ))
        })?;
    }
    Ok(())
}

/// Columns inserted, in order.
const INSERT_COLUMNS: &str = "originator, tx_id, ts_seconds, from_account, to_account, \
    amount_minor, currency, channel, handling, content_hash, source_id, source_line, ingested_at";

/// Parameters per inserted row.
pub(crate) const INSERT_PARAMS: usize = 13;

/// An INSERT of `rows` rows that skips rows whose (originator, tx_id) is stored and returns the
/// ids of the rows it wrote. `$n` placeholders, first appearing in order, for both backends.
pub(crate) fn insert_sql(rows: usize) -> String {
    let mut values = Vec::with_capacity(rows);
    for r in 0..rows {
        let p: Vec<String> = (1..=INSERT_PARAMS)
            .map(|c| format!("${}", r * INSERT_PARAMS + c))
            .collect();
        values.push(format!("({})", p.join(", ")));
    }
    format!(
        "INSERT INTO ledger_tx ({INSERT_COLUMNS}) VALUES {} \
         ON CONFLICT (originator, tx_id) DO NOTHING RETURNING originator, tx_id",
        values.join(", ")
    )
}

/// The stored content hash of ($1 originator, $2 tx_id).
pub(crate) const STORED_HASH: &str =
    "SELECT content_hash FROM ledger_tx WHERE originator = $1 AND tx_id = $2";

/// Columns a scan reads, in the order [`row_of`] takes them.
const SELECT_COLUMNS: &str = "originator, tx_id, ts_seconds, from_account, to_account, \
    amount_minor, currency, channel, handling, source_line";

/// Up to $4 rows after ($1 ts, $2 tx_id, $3 originator) in canonical order.
pub(crate) fn scan_sql() -> String {
    format!(
        "SELECT {SELECT_COLUMNS} FROM ledger_tx \
         WHERE (ts_seconds, tx_id, originator) > ($1, $2, $3) \
         ORDER BY ts_seconds, tx_id, originator LIMIT $4"
    )
}

/// Rows in the ledger.
pub(crate) const COUNT: &str = "SELECT COUNT(*) FROM ledger_tx";

/// The cursor a scan starts after: before every row when `None`.
pub(crate) fn cursor(after: Option<&LedgerKey>) -> (i64, &str, &str) {
    match after {
        Some(k) => (k.ts_seconds, k.tx_id.as_str(), k.originator.as_str()),
        None => (i64::MIN, "", ""),
    }
}

/// The row of a scan's columns.
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_of(
    originator: String,
    tx_id: String,
    ts_seconds: i64,
    from_account: String,
    to_account: String,
    amount_minor: i64,
    currency: String,
    channel: String,
    handling: String,
    source_line: Option<i64>,
) -> Result<LedgerRow> {
    let handling: Grading = serde_json::from_str(&handling).map_err(|e| {
        StoreError::Corrupt(format!("ledger row {originator}/{tx_id}: handling: {e}"))
    })?;
    Ok(LedgerRow {
        originator,
        tx_id,
        ts_seconds,
        from_account,
        to_account,
        amount_minor,
        currency,
        channel,
        handling,
        source_line: source_line.and_then(|l| u64::try_from(l).ok()),
    })
}

/// The reason given for a row whose id is stored with other content.
pub(crate) fn conflict_reason(row: &LedgerRow) -> String {
    format!(
        "transaction {} of {} is already stored with other content; the ledger is append-only",
        row.tx_id, row.originator
    )
}
