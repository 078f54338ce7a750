//! Ledger files into the store's ledger: one typed row per transaction, the same
//! reject-and-report rules as record ingest (a bad row is rejected whole, one line per error in
//! the rejects file naming file, line, field and reason; good rows are kept) and re-ingest is a
//! no-op because the store keeps one row per (originator, transaction id).
//!
//! The columns are those `corridor synth` writes (`id,timestamp,from_account,to_account,amount,
//! currency,channel`) unless a ledger mapping names others:
//!
//! ```toml
//! [ledger]
//! delimiter = ";"            # default ","
//! decimal_separator = ","    # default "."
//! amount_unit = "major"      # "major" (12.50) or "minor" (1250); default "major"
//! currency = "EUR"           # for files without a currency column
//! channel = "bank"           # for files without a channel column
//!
//! [columns]                  # file column of each field; defaults as above
//! id = "txn_ref"
//! timestamp = "booked_at"
//!
//! [grading]                  # the originator's grading and handling; default TLP:AMBER
//! system = "tlp"
//! tlp = "AMBER"
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use corridor_model::envelope::{GradingFields, check_agency};
use corridor_model::{FieldError, Grading};
use corridor_store::{LEDGER_FIELD_BYTES_MAX, LedgerRow, SourceInfo, Store};

use crate::csvread::{CsvRows, RowRead};
use crate::{IngestError, Rejects, hash_file, read_header};

/// Rows per store call: each is one transaction.
pub const LEDGER_BATCH_ROWS: usize = 50_000;

/// Rows one file may have: far above the `bench` preset's hundred million, a bound on a
/// runaway input, not a working limit.
pub const LEDGER_ROWS_MAX: u64 = 2_000_000_000;

/// A ledger mapping as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    ledger: LedgerSection,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    grading: Option<GradingFields>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerSection {
    delimiter: Option<String>,
    decimal_separator: Option<String>,
    amount_unit: Option<String>,
    currency: Option<String>,
    channel: Option<String>,
}

/// Fields of a row and the column each is read from by default.
const FIELDS: [&str; 7] = [
    "id",
    "timestamp",
    "from_account",
    "to_account",
    "amount",
    "currency",
    "channel",
];

/// A ledger mapping, checked.
#[derive(Debug, Clone)]
pub struct LedgerMapping {
    delimiter: u8,
    decimal_comma: bool,
    amount_minor: bool,
    currency: Option<String>,
    channel: Option<String>,
    /// Column name of each of [`FIELDS`] (`None`: a constant from the `[ledger]` section).
    columns: [Option<String>; 7],
    grading: Grading,
    text: String,
}

impl LedgerMapping {
    /// The mapping of files in the format `corridor synth` writes, graded TLP:AMBER.
    pub fn default_format() -> LedgerMapping {
        // The empty mapping has every default, and its grading is a valid one.
        LedgerMapping::parse("", "(default)").unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// Reads a mapping's text; `name` is cited in errors.
    pub fn parse(text: &str, name: &str) -> Result<LedgerMapping, String> {
        let file: MappingFile = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        let one_byte = |what: &str, v: &Option<String>, default: u8| -> Result<u8, String> {
            match v.as_deref() {
                None => Ok(default),
                Some(s) if s.len() == 1 => Ok(s.as_bytes()[0]),
                Some(s) => Err(format!("{name}: {what} must be one character, not {s:?}")),
            }
        };
        let delimiter = one_byte("delimiter", &file.ledger.delimiter, b',')?;
        let decimal = one_byte("decimal_separator", &file.ledger.decimal_separator, b'.')?;
        if decimal != b'.' && decimal != b',' {
            return Err(format!("{name}: decimal_separator must be '.' or ','"));
        }
        let amount_minor = match file.ledger.amount_unit.as_deref() {
            None | Some("major") => false,
            Some("minor") => true,
            Some(other) => {
                return Err(format!(
                    "{name}: amount_unit must be \"major\" or \"minor\", not {other:?}"
                ));
            }
        };
        for key in file.columns.keys() {
            if !FIELDS.contains(&key.as_str()) {
                return Err(format!(
                    "{name}: [columns] {key:?} is not a ledger field ({})",
                    FIELDS.join(", ")
                ));
            }
        }
        let currency = match &file.ledger.currency {
            Some(c) => Some(
                corridor_text::currency(c)
                    .ok_or_else(|| format!("{name}: currency {c:?} is not ISO 4217"))?
                    .to_owned(),
            ),
            None => None,
        };
        let channel = file.ledger.channel.as_ref().map(|c| c.to_lowercase());
        let columns = FIELDS.map(|f| {
            let constant = match f {
                "currency" => currency.is_some(),
                "channel" => channel.is_some(),
                _ => false,
            };
            match file.columns.get(f) {
                Some(c) => Some(c.clone()),
                None if constant => None,
                None => Some(f.to_owned()),
            }
        });
        let fields = file.grading.unwrap_or(GradingFields {
            system: "tlp".into(),
            tlp: Some("AMBER".into()),
            ..GradingFields::default()
        });
        let grading = Grading::from_fields(&fields)
            .map_err(|e| format!("{name}: [grading] {}: {}", e.field, e.reason))?;
        Ok(LedgerMapping {
            delimiter,
            decimal_comma: decimal == b',',
            amount_minor,
            currency,
            channel,
            columns,
            grading,
            text: text.to_owned(),
        })
    }
}

/// How to ingest a ledger file.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// The agency the rows come from.
    pub origin: String,
    /// Where rejected rows are written; default: `<input>.rejects.csv` beside the input.
    pub rejects_path: Option<PathBuf>,
    /// Rows per transaction; clamped to 1..=[`corridor_store::LEDGER_BATCH_MAX`].
    pub batch_rows: usize,
}

/// What a ledger ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerSummary {
    /// The file's name.
    pub file: String,
    /// The originator.
    pub origin: String,
    /// Data rows read (the header not counted).
    pub rows_read: u64,
    /// Rows written.
    pub rows_appended: u64,
    /// Rows already stored with the same content.
    pub rows_unchanged: u64,
    /// Rows rejected: unreadable, or another row stored under their id.
    pub rows_rejected: u64,
    /// Rejections by field: how many rows, and the first reason seen.
    pub rejects_by_field: BTreeMap<String, (u64, String)>,
    /// Where the rejects were written.
    pub rejects_path: Option<PathBuf>,
}

impl LedgerSummary {
    /// 0 when every row was kept, 3 when some were rejected (the rest committed).
    pub fn exit_code(&self) -> i32 {
        if self.rows_rejected > 0 { 3 } else { 0 }
    }

    fn reject(&mut self, rejects: &mut Rejects, file: &str, line: u64, errors: &[FieldError]) {
        self.rows_rejected += 1;
        for e in errors {
            let entry = self
                .rejects_by_field
                .entry(e.field.clone())
                .or_insert((0, e.reason.clone()));
            entry.0 += 1;
        }
        // A failed write of the rejects file is reported when it is finished.
        let _ = rejects.write(file, line, errors);
    }
}

fn field_error(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// Reads one row into a ledger row, or every error it has.
struct RowReader<'a> {
    mapping: &'a LedgerMapping,
    /// Column index of each of [`FIELDS`], `None` for a constant.
    index: [Option<usize>; 7],
    origin: &'a str,
    /// The last currency looked up and its code: files rarely change currency.
    currency_memo: std::cell::RefCell<(String, Option<&'static str>)>,
}

impl RowReader<'_> {
    fn read(&self, rows: &CsvRows<File>, line: u64) -> Result<LedgerRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut cell = |i: usize| -> Option<String> {
            let col = self.index[i]?;
            if col >= rows.len() {
                errors.push(field_error(FIELDS[i], "missing (the row is short)"));
                return None;
            }
            match std::str::from_utf8(rows.field(col)) {
                Ok(s) => Some(s.trim().to_owned()),
                Err(_) => {
                    errors.push(field_error(FIELDS[i], "not valid UTF-8"));
                    None
                }
            }
        };
        let cells: Vec<Option<String>> = (0..FIELDS.len()).map(&mut cell).collect();
        let text = |i: usize, errors: &mut Vec<FieldError>| -> String {
            let v = cells[i].clone().unwrap_or_default();
            if v.is_empty() && self.index[i].is_some() {
                errors.push(field_error(FIELDS[i], "empty"));
            } else if v.len() > LEDGER_FIELD_BYTES_MAX {
                errors.push(field_error(
                    FIELDS[i],
                    format!("over {LEDGER_FIELD_BYTES_MAX} bytes"),
                ));
            }
            v
        };
        let tx_id = text(0, &mut errors);
        let from_account = text(2, &mut errors);
        let to_account = text(3, &mut errors);
        let ts_seconds = match &cells[1] {
            Some(s) => corridor_money::parse_timestamp(s).unwrap_or_else(|| {
                errors.push(field_error(
                    "timestamp",
                    format!("{s:?} is not a timestamp (2023-01-05T14:03:00Z, a date, or seconds)"),
                ));
                0
            }),
            None => 0,
        };
        let amount_minor = match &cells[4] {
            Some(s) => {
                let normal = if self.mapping.decimal_comma {
                    s.replace('.', "").replace(',', ".")
                } else {
                    s.replace(',', "")
                };
                let parsed = if self.mapping.amount_minor {
                    normal.parse::<i64>().ok()
                } else {
                    corridor_money::parse_amount(&normal)
                };
                match parsed {
                    Some(a) if a > 0 => a,
                    _ => {
                        errors.push(field_error(
                            "amount",
                            format!("{s:?} is not a positive amount with at most two decimals"),
                        ));
                        0
                    }
                }
            }
            None => 0,
        };
        let currency = match (&self.mapping.currency, &cells[5]) {
            (Some(c), _) => c.clone(),
            (None, Some(s)) => {
                let mut memo = self.currency_memo.borrow_mut();
                if memo.0 != *s {
                    *memo = (s.clone(), corridor_text::currency(s));
                }
                match memo.1 {
                    Some(code) => code.to_owned(),
                    None => {
                        errors.push(field_error(
                            "currency",
                            format!("{s:?} is not an ISO 4217 code"),
                        ));
                        String::new()
                    }
                }
            }
            (None, None) => String::new(),
        };
        let channel = match (&self.mapping.channel, &cells[6]) {
            (Some(c), _) => c.clone(),
            (None, Some(_)) => text(6, &mut errors).to_lowercase(),
            (None, None) => String::new(),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let row = LedgerRow {
            originator: self.origin.to_owned(),
            tx_id,
            ts_seconds,
            from_account,
            to_account,
            amount_minor,
            currency,
            channel,
            handling: self.mapping.grading.clone(),
            source_line: Some(line),
        };
        // The store checks the same; a row it would refuse is rejected here, not the batch.
        row.check().map_err(|(f, r)| vec![field_error(f, r)])?;
        Ok(row)
    }
}

/// Ingests one ledger file into `store`'s ledger as `options.origin`'s rows.
pub fn ingest_ledger(
    store: &mut dyn Store,
    path: &Path,
    mapping: &LedgerMapping,
    options: &LedgerOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<LedgerSummary, IngestError> {
    let usage = IngestError::Usage;
    check_agency(&options.origin).map_err(|e| usage(format!("--origin: {e}")))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut summary = LedgerSummary {
        file: file_name.clone(),
        origin: options.origin.clone(),
        ..LedgerSummary::default()
    };
    let failed = |summary: &LedgerSummary, message: String| IngestError::Failed {
        message,
        committed: Box::new(crate::Summary {
            file: summary.file.clone(),
            agency: summary.origin.clone(),
            rows_read: summary.rows_read,
            rows_accepted: summary.rows_appended + summary.rows_unchanged,
            rows_rejected: summary.rows_rejected,
            records_appended: summary.rows_appended,
            records_unchanged: summary.rows_unchanged,
            ..crate::Summary::default()
        }),
    };
    let file_hash = hash_file(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    let file = File::open(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    let mut rows = CsvRows::new(file, mapping.delimiter);
    let header =
        read_header(&mut rows).map_err(|e| usage(format!("{file_name}: line 1: header: {e}")))?;
    let mut index = [None; 7];
    for (i, column) in mapping.columns.iter().enumerate() {
        if let Some(column) = column {
            let at = header.iter().position(|h| h == column).ok_or_else(|| {
                usage(format!(
                    "{file_name}: no column {column:?} for the ledger's {} (columns: {})",
                    FIELDS[i],
                    header.join(", ")
                ))
            })?;
            index[i] = Some(at);
        }
    }
    let source_id = store
        .register_source(&SourceInfo {
            name: file_name.clone(),
            file_hash,
            format: "ledger".into(),
            mapping_hash: blake3::hash(mapping.text.as_bytes()).to_hex().to_string(),
            header: Some(header.clone()),
            mapping: Some(mapping.text.clone()),
        })
        .map_err(|e| {
            failed(
                &summary,
                format!("{file_name}: registering the source: {e}"),
            )
        })?;
    let rejects_path = options.rejects_path.clone().unwrap_or_else(|| {
        let mut p = path.as_os_str().to_owned();
        p.push(".rejects.csv");
        PathBuf::from(p)
    });
    let mut rejects = Rejects::create(&rejects_path)
        .map_err(|e| usage(format!("{}: {e}", rejects_path.display())))?;
    summary.rejects_path = Some(rejects_path);
    let reader = RowReader {
        mapping,
        index,
        origin: &options.origin,
        currency_memo: Default::default(),
    };
    let batch_rows = options
        .batch_rows
        .clamp(1, corridor_store::LEDGER_BATCH_MAX);
    let mut batch: Vec<LedgerRow> = Vec::with_capacity(batch_rows);
    let mut flush = |batch: &mut Vec<LedgerRow>,
                     summary: &mut LedgerSummary,
                     rejects: &mut Rejects|
     -> Result<(), IngestError> {
        if batch.is_empty() {
            return Ok(());
        }
        let out = store.append_ledger(Some(source_id), batch).map_err(|e| {
            failed(
                summary,
                format!(
                    "{file_name}: appending lines {:?}..{:?}: {e}",
                    batch.first().and_then(|r| r.source_line),
                    batch.last().and_then(|r| r.source_line)
                ),
            )
        })?;
        summary.rows_appended += out.appended;
        summary.rows_unchanged += out.unchanged;
        for c in &out.conflicts {
            let line = batch[c.index].source_line.unwrap_or(0);
            summary.reject(rejects, &file_name, line, &[field_error("id", &c.reason)]);
        }
        batch.clear();
        progress(summary.rows_read);
        Ok(())
    };
    loop {
        let read = rows
            .next_row()
            .map_err(|e| failed(&summary, format!("{file_name}: reading: {e}")))?;
        let Some(read) = read else { break };
        if summary.rows_read >= LEDGER_ROWS_MAX {
            return Err(failed(
                &summary,
                format!("{file_name}: more than {LEDGER_ROWS_MAX} rows"),
            ));
        }
        match read {
            RowRead::Row { line } => {
                if rows.is_empty() || (0..rows.len()).all(|i| rows.field(i).is_empty()) {
                    continue;
                }
                summary.rows_read += 1;
                match reader.read(&rows, line) {
                    Ok(row) => batch.push(row),
                    Err(errors) => summary.reject(&mut rejects, &file_name, line, &errors),
                }
            }
            RowRead::TooLong { line } => {
                summary.rows_read += 1;
                let e = field_error("", "the row is too long");
                summary.reject(&mut rejects, &file_name, line, &[e]);
            }
            RowRead::TooManyColumns { line } => {
                summary.rows_read += 1;
                let e = field_error("", "the row has too many columns");
                summary.reject(&mut rejects, &file_name, line, &[e]);
            }
        }
        if batch.len() >= batch_rows {
            flush(&mut batch, &mut summary, &mut rejects)?;
        }
    }
    flush(&mut batch, &mut summary, &mut rejects)?;
    rejects
        .finish()
        .map_err(|e| failed(&summary, format!("writing rejects: {e}")))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_are_checked() {
        let m = LedgerMapping::default_format();
        assert_eq!(m.delimiter, b',');
        assert_eq!(m.columns[0].as_deref(), Some("id"));
        assert_eq!(m.grading.to_string(), "TLP:AMBER");
        let constant = LedgerMapping::parse("[ledger]\ncurrency = \"eur\"\n", "m").expect("ok");
        assert_eq!(constant.currency.as_deref(), Some("EUR"));
        assert_eq!(
            constant.columns[5], None,
            "a constant currency needs no column"
        );
        for (text, want) in [
            ("[ledger]\ncurrency = \"XYZ\"\n", "not ISO 4217"),
            ("[ledger]\namount_unit = \"cents\"\n", "amount_unit"),
            ("[ledger]\ndecimal_separator = \";\"\n", "decimal_separator"),
            ("[columns]\npayer = \"x\"\n", "not a ledger field"),
            (
                "[grading]\nsystem = \"tlp\"\ntlp = \"WHITE\"\n",
                "[grading]",
            ),
            ("[ledger]\nbank = \"x\"\n", "unknown field"),
        ] {
            let e = LedgerMapping::parse(text, "m.toml").expect_err(text);
            assert!(e.contains(want) && e.starts_with("m.toml"), "{text}: {e}");
        }
    }

    #[test]
    fn rows_are_read_and_rejected_by_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("l.csv");
        std::fs::write(
            &path,
            "id,timestamp,from_account,to_account,amount,currency,channel\n\
             T1,2023-01-01T10:00:00Z,a,b,12.50,eur,Hawala\n\
             T2,2023-01-01,a,b,1.234,EUR,bank\n\
             ,,,,,,\n\
             T3,2023-01-02,a,,5,USD,bank\n",
        )
        .expect("write");
        let mut store = corridor_store::SqliteStore::open_in_memory().expect("store");
        let options = LedgerOptions {
            origin: "RS_FIU".into(),
            rejects_path: None,
            batch_rows: 2,
        };
        let m = LedgerMapping::default_format();
        let s = ingest_ledger(&mut store, &path, &m, &options, &mut |_| {}).expect("ingest");
        assert_eq!((s.rows_read, s.rows_appended, s.rows_rejected), (3, 1, 2));
        assert_eq!(s.exit_code(), 3);
        assert_eq!(
            s.rejects_by_field.keys().collect::<Vec<_>>(),
            ["amount", "to_account"]
        );
        let rows = store.scan_ledger(None, 10).expect("scan");
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                rows[0].amount_minor,
                rows[0].currency.as_str(),
                rows[0].channel.as_str()
            ),
            (1_250, "EUR", "hawala")
        );
        let rejects =
            std::fs::read_to_string(dir.path().join("l.csv.rejects.csv")).expect("rejects");
        assert!(rejects.contains("l.csv,3,amount,"), "{rejects}");
        assert!(rejects.contains("l.csv,5,to_account,empty"), "{rejects}");
        // Again: nothing new, the same rows rejected.
        let again = ingest_ledger(&mut store, &path, &m, &options, &mut |_| {}).expect("ingest");
        assert_eq!((again.rows_appended, again.rows_unchanged), (0, 1));
        let bad = LedgerOptions {
            origin: "rs fiu".into(),
            ..options
        };
        assert!(matches!(
            ingest_ledger(&mut store, &path, &m, &bad, &mut |_| {}),
            Err(IngestError::Usage(_))
        ));
    }
}
