//! The ledger as columns, numbered in canonical order, and its CSV form.
//!
//! [`LedgerBuilder`] takes rows in any order and [`LedgerBuilder::build`] sorts them by
//! (timestamp, transaction id) and numbers accounts by name, so the columns (and every kernel
//! over them) are a function of the set of rows, never of the order they were read in. Reading
//! from a caller's reader is here; opening files is the caller's.

use std::collections::HashMap;
use std::io::BufRead;

use crate::MoneyError;

/// Channel codes of [`Ledger::channel`], by their names in the ledger file.
pub const CHANNELS: [&str; 5] = ["cash", "bank", "mto", "hawala", "crypto"];
/// Channel code of a channel name not in [`CHANNELS`].
pub const CHANNEL_OTHER: u8 = u8::MAX;
/// Channel code of cash.
pub const CHANNEL_CASH: u8 = 0;

/// The longest line the CSV reader accepts, in bytes: longer is an error for the file.
pub const LINE_BYTES_MAX: usize = 4096;
/// Most transactions one ledger holds (transaction numbers are `u32`).
pub const TRANSACTIONS_MAX: usize = u32::MAX as usize;

/// The code of a channel name (case-insensitive), [`CHANNEL_OTHER`] when unknown.
pub fn channel_code(name: &str) -> u8 {
    CHANNELS
        .iter()
        .position(|c| c.eq_ignore_ascii_case(name))
        .map_or(CHANNEL_OTHER, |i| i as u8)
}

/// The name of a channel code.
pub fn channel_name(code: u8) -> &'static str {
    CHANNELS.get(usize::from(code)).copied().unwrap_or("other")
}

/// Transactions as columns (struct of arrays), row `i` in canonical order: by timestamp, then
/// transaction id. Amounts are in minor units, timestamps in seconds since 1970-01-01 UTC.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    /// Transaction ids as the source wrote them.
    pub ids: Vec<String>,
    /// Seconds since 1970-01-01 UTC.
    pub ts: Vec<i64>,
    /// Senders' account numbers: indexes into [`Ledger::accounts`].
    pub from: Vec<u32>,
    /// Receivers' account numbers.
    pub to: Vec<u32>,
    /// Minor units (cents).
    pub amount: Vec<i64>,
    /// Channel codes ([`CHANNELS`], or [`CHANNEL_OTHER`]).
    pub channel: Vec<u8>,
    /// Account names by number, sorted.
    pub accounts: Vec<String>,
}

impl Ledger {
    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True when the ledger holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The number of the account named `name`, if the ledger has it.
    pub fn account(&self, name: &str) -> Option<u32> {
        self.accounts
            .binary_search_by(|a| a.as_str().cmp(name))
            .ok()
            .map(|i| i as u32)
    }

    /// Row `i` as a kernel transaction (its number is the row).
    pub fn tx(&self, i: usize) -> crate::Tx {
        crate::Tx {
            id: i as u64,
            ts: self.ts[i],
            from: self.from[i],
            to: self.to[i],
            amount: self.amount[i],
            channel: self.channel[i],
        }
    }
}

/// Rows in any order, turned into a canonical [`Ledger`] by [`LedgerBuilder::build`].
#[derive(Debug, Default)]
pub struct LedgerBuilder {
    ids: Vec<String>,
    ts: Vec<i64>,
    from: Vec<u32>,
    to: Vec<u32>,
    amount: Vec<i64>,
    channel: Vec<u8>,
    names: Vec<String>,
    numbers: HashMap<String, u32>,
}

impl LedgerBuilder {
    /// An empty builder.
    pub fn new() -> LedgerBuilder {
        LedgerBuilder::default()
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.numbers.get(name) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.numbers.insert(name.to_owned(), n);
        n
    }

    /// Adds one transaction.
    pub fn push(
        &mut self,
        id: &str,
        ts: i64,
        from: &str,
        to: &str,
        amount: i64,
        channel: u8,
    ) -> Result<(), MoneyError> {
        if self.ts.len() >= TRANSACTIONS_MAX {
            return Err(MoneyError::Limit {
                what: "transactions",
                max: TRANSACTIONS_MAX,
            });
        }
        let f = self.intern(from);
        let t = self.intern(to);
        self.ids.push(id.to_owned());
        self.ts.push(ts);
        self.from.push(f);
        self.to.push(t);
        self.amount.push(amount);
        self.channel.push(channel);
        Ok(())
    }

    /// The canonical ledger: rows by (timestamp, id), accounts numbered by name. Two rows with
    /// one id are an error, because the order of equal timestamps would then be undefined.
    pub fn build(self) -> Result<Ledger, MoneyError> {
        let mut order: Vec<u32> = (0..self.ts.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            (self.ts[a], &self.ids[a]).cmp(&(self.ts[b], &self.ids[b]))
        });
        for w in order.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            if self.ids[a] == self.ids[b] {
                return Err(MoneyError::DuplicateId(self.ids[a].clone()));
            }
        }
        let mut by_name: Vec<u32> = (0..self.names.len() as u32).collect();
        by_name.sort_unstable_by(|&a, &b| self.names[a as usize].cmp(&self.names[b as usize]));
        let mut renumber = vec![0u32; self.names.len()];
        for (new, &old) in by_name.iter().enumerate() {
            renumber[old as usize] = new as u32;
        }
        let mut names = self.names;
        let accounts: Vec<String> = by_name
            .iter()
            .map(|&old| std::mem::take(&mut names[old as usize]))
            .collect();
        let mut ids = self.ids;
        let pick = |col: &[i64]| order.iter().map(|&i| col[i as usize]).collect::<Vec<_>>();
        Ok(Ledger {
            ids: order
                .iter()
                .map(|&i| std::mem::take(&mut ids[i as usize]))
                .collect(),
            ts: pick(&self.ts),
            amount: pick(&self.amount),
            from: order
                .iter()
                .map(|&i| renumber[self.from[i as usize] as usize])
                .collect(),
            to: order
                .iter()
                .map(|&i| renumber[self.to[i as usize] as usize])
                .collect(),
            channel: order.iter().map(|&i| self.channel[i as usize]).collect(),
            accounts,
        })
    }
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian), after Howard Hinnant's
/// `days_from_civil`.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since 1970-01-01 UTC of `2023-01-05T14:03:00Z` (the `Z`, or a space for the `T`,
/// optional), of a bare date, or of a plain integer of seconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut dp = date.split('-');
    let num = |p: Option<&str>, len: usize| -> Option<i64> {
        let p = p?;
        if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (y, m, d) = (num(dp.next(), 4)?, num(dp.next(), 2)?, num(dp.next(), 2)?);
    if dp.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = 0;
    if let Some(time) = time {
        let mut tp = time.split(':');
        let (h, mi, se) = (num(tp.next(), 2)?, num(tp.next(), 2)?, num(tp.next(), 2)?);
        if tp.next().is_some() || h > 23 || mi > 59 || se > 60 {
            return None;
        }
        secs = h * 3600 + mi * 60 + se;
    }
    Some(days_from_civil(y, m, d) * 86_400 + secs)
}

/// Minor units of a decimal amount with at most two decimals (`1234.5` is 123450).
pub fn parse_amount(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut cents: i64 = frac.parse().unwrap_or(0);
    if frac.len() == 1 {
        cents *= 10;
    }
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

/// Column positions of a CSV header, found by name.
fn columns<const N: usize>(
    header: &str,
    names: [&str; N],
    source: &str,
) -> Result<[usize; N], MoneyError> {
    let cells: Vec<&str> = header
        .trim_end_matches(['\r', '\n'])
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(str::trim)
        .collect();
    let mut out = [0; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = cells
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .ok_or_else(|| MoneyError::Parse {
                source_name: source.to_owned(),
                line: 1,
                field: name.to_owned(),
                reason: "column missing from the header".to_owned(),
            })?;
    }
    Ok(out)
}

/// Reads lines of a CSV with a header, unquoted fields (the scenario's ledger and truth files),
/// calling `row` with the line number and the cells.
pub(crate) fn read_csv<const N: usize>(
    mut reader: impl BufRead,
    source: &str,
    names: [&str; N],
    mut row: impl FnMut(usize, [&str; N]) -> Result<(), MoneyError>,
) -> Result<(), MoneyError> {
    let io = |e: std::io::Error| MoneyError::Io {
        source_name: source.to_owned(),
        reason: e.to_string(),
    };
    let mut line = String::new();
    if reader.read_line(&mut line).map_err(io)? == 0 {
        return Err(MoneyError::Parse {
            source_name: source.to_owned(),
            line: 1,
            field: "header".to_owned(),
            reason: "the file is empty".to_owned(),
        });
    }
    let cols = columns(&line, names, source)?;
    let last_col = cols.iter().copied().max().unwrap_or(0);
    let mut number = 1;
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(io)? == 0 {
            return Ok(());
        }
        number += 1;
        let text = line.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            continue;
        }
        let err = |field: &str, reason: &str| MoneyError::Parse {
            source_name: source.to_owned(),
            line: number,
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        if text.len() > LINE_BYTES_MAX {
            return Err(err("line", "longer than LINE_BYTES_MAX"));
        }
        if text.contains('"') {
            return Err(err("line", "quoted fields are not supported"));
        }
        // The wanted cells, picked as the line is split: no list of every cell per line.
        let mut out = [""; N];
        let mut found = [false; N];
        for (i, cell) in text.split(',').take(last_col + 1).enumerate() {
            for (slot, &c) in cols.iter().enumerate() {
                if c == i {
                    out[slot] = cell;
                    found[slot] = true;
                }
            }
        }
        if let Some(missing) = found.iter().position(|&f| !f) {
            return Err(err(names[missing], "missing cell"));
        }
        row(number, out)?;
    }
}

/// One parsed ledger row: (line, id, timestamp, from, to, amount in cents, channel code).
pub(crate) type RowFn<'a> =
    dyn FnMut(usize, &str, i64, &str, &str, i64, u8) -> Result<(), MoneyError> + 'a;

/// Reads the rows of a ledger file (`id,timestamp,from_account,to_account,amount,…,channel`,
/// columns found by name), each checked and parsed, into `row`: the one reader behind
/// [`read_ledger`] and the streaming scan. `source` names the file in errors.
pub(crate) fn read_ledger_rows(
    reader: impl BufRead,
    source: &str,
    row: &mut RowFn<'_>,
) -> Result<(), MoneyError> {
    read_csv(
        reader,
        source,
        [
            "id",
            "timestamp",
            "from_account",
            "to_account",
            "amount",
            "channel",
        ],
        |line, [id, ts, from, to, amount, channel]| {
            let err = |field: &str, reason: &str| MoneyError::Parse {
                source_name: source.to_owned(),
                line,
                field: field.to_owned(),
                reason: reason.to_owned(),
            };
            let ts = parse_timestamp(ts).ok_or_else(|| err("timestamp", "not a timestamp"))?;
            let amount = parse_amount(amount)
                .ok_or_else(|| err("amount", "not an amount with at most two decimals"))?;
            if id.is_empty() {
                return Err(err("id", "empty"));
            }
            if from.is_empty() || to.is_empty() {
                return Err(err("from_account", "empty account"));
            }
            row(line, id, ts, from, to, amount, channel_code(channel))
        },
    )
}

/// Reads a ledger file (`id,timestamp,from_account,to_account,amount,…,channel`, columns
/// found by name). `source` names the file in errors.
pub fn read_ledger(reader: impl BufRead, source: &str) -> Result<Ledger, MoneyError> {
    let mut b = LedgerBuilder::new();
    read_ledger_rows(
        reader,
        source,
        &mut |_, id, ts, from, to, amount, channel| b.push(id, ts, from, to, amount, channel),
    )?;
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_amounts() {
        assert_eq!(parse_timestamp("1970-01-02T00:00:01Z"), Some(86_401));
        assert_eq!(parse_timestamp("2023-01-01"), Some(1_672_531_200));
        assert_eq!(parse_timestamp("2023-01-01 00:00:00"), Some(1_672_531_200));
        assert_eq!(parse_timestamp("42"), Some(42));
        assert_eq!(parse_timestamp("2023-13-01"), None);
        assert_eq!(parse_amount("12.5"), Some(1250));
        assert_eq!(parse_amount("12"), Some(1200));
        assert_eq!(parse_amount("0.07"), Some(7));
        assert_eq!(parse_amount("1.234"), None);
        assert_eq!(parse_amount("-3"), None);
    }

    #[test]
    fn canonical_whatever_the_input_order() {
        let text = "id,timestamp,from_account,to_account,amount,currency,channel\n\
                    T2,2023-01-01T00:00:00Z,b,a,1.00,EUR,bank\n\
                    T1,2023-01-01T00:00:00Z,a,c,2.00,EUR,cash\n\
                    T0,2023-01-02T00:00:00Z,c,a,3.00,EUR,wire\n";
        let l = read_ledger(text.as_bytes(), "t.csv").expect("reads");
        assert_eq!(l.ids, ["T1", "T2", "T0"]);
        assert_eq!(l.accounts, ["a", "b", "c"]);
        assert_eq!(l.from, [0, 1, 2]);
        assert_eq!(l.channel, [CHANNEL_CASH, 1, CHANNEL_OTHER]);
        let bad = "id,timestamp,from_account,to_account,amount,channel\nT1,x,a,b,1,cash\n";
        let e = read_ledger(bad.as_bytes(), "t.csv").expect_err("bad timestamp");
        assert_eq!(
            e.to_string(),
            "t.csv line 2, field timestamp: not a timestamp"
        );
    }
}
