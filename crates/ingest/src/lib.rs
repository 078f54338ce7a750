//! Ingest: agency files into the record log, losing nothing.
//!
//! Two formats: CSV read through a [mapping](mapping) file, and FollowTheMoney entity JSON lines
//! (what `corridor export` writes). Files stream: memory is bounded by the batch size, not the
//! file size. A parser thread reads and validates rows while the calling thread appends the
//! previous batch, so both cores work.
//!
//! The unit of acceptance is the row: a row whose every record validates is accepted whole; a
//! row with any error is rejected whole, with one line per error in the rejects file (file,
//! line, field, reason). The unit of commit is the batch: whole rows, appended in one
//! transaction. A crash loses at most the batch in flight, and re-running the same file appends
//! only what is missing, because appending a record's current content again is a no-op.

pub mod csvread;
pub mod dates;
pub mod export;
pub mod ledger;
pub mod mapping;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use corridor_model::envelope::GradingFields;
use corridor_model::limits::{
    BATCH_RECORDS_DEFAULT, BATCH_RECORDS_MAX, COLUMNS_MAX, FIELD_BYTES_MAX, ROW_BYTES_MAX,
};
use corridor_model::{Envelope, FieldError, Grading, Model, RawRecord, ValueContext};
use corridor_store::{Batch, Entry, NewVersion, Provenance, SourceInfo, Store};

use crate::csvread::{CsvRows, RowRead};
use crate::mapping::{MappedId, Mapping, PropSource, Resolved};

/// Batches the parser may run ahead of the writer. Two keeps both cores busy; more would only
/// hold more memory.
const CHANNEL_BATCHES_MAX: usize = 2;

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV, read through a mapping file.
    Csv,
    /// FollowTheMoney entity JSON lines, one entity per line.
    Ftm,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ftm => "ftm",
        }
    }
}

/// How to ingest.
#[derive(Debug, Clone)]
pub struct Options {
    /// Records per batch (transaction); clamped to 1..=[`BATCH_RECORDS_MAX`].
    pub batch_records: usize,
    /// Where rejected rows are written; default: `<input>.rejects.csv` beside the input.
    pub rejects_path: Option<PathBuf>,
    /// The submission time for records whose source gives none (RFC 3339).
    pub submitted_at: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch_records: BATCH_RECORDS_DEFAULT,
            rejects_path: None,
            submitted_at: now_rfc3339(),
        }
    }
}

/// What an ingest did. Counts cover the whole file when it finished, or the committed batches
/// when it failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub file: String,
    pub agency: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// Rows with no value at all (trailing separators), skipped without complaint.
    pub rows_empty: u64,
    pub records_appended: u64,
    /// Records whose current version already had this content (a re-run, a resumed ingest).
    pub records_unchanged: u64,
    pub batches: u64,
    /// Rejections by field: how many rows, and the first reason seen.
    pub rejects_by_field: BTreeMap<String, (u64, String)>,
    pub rejects_path: Option<PathBuf>,
}

impl Summary {
    /// The exit status the CLI reports: 0 when every row was accepted, 3 when some were
    /// rejected (and the rest committed).
    pub fn exit_code(&self) -> i32 {
        if self.rows_rejected > 0 { 3 } else { 0 }
    }
}

/// Progress, reported after each committed batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub rows_read: u64,
    pub records_appended: u64,
}

/// Why an ingest stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The command was wrong: a bad mapping, a missing file. Nothing was committed.
    #[error("{0}")]
    Usage(String),
    /// The ingest failed part-way; batches before the failing one are committed (see the
    /// summary), nothing of the failing batch is.
    #[error("{message}")]
    Failed {
        message: String,
        committed: Box<Summary>,
    },
}

/// Ingests one file into `store`. `mapping` is the mapping's text and the name to cite in
/// errors (required for CSV; for FtM lines it supplies the envelope of lines without one).
pub fn ingest_file(
    store: &mut dyn Store,
    path: &Path,
    format: Format,
    mapping: Option<(&str, &str)>,
    options: &Options,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Summary, IngestError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let usage = |m: String| IngestError::Usage(m);
    let bytes_total = std::fs::metadata(path)
        .map_err(|e| usage(format!("{}: {e}", path.display())))?
        .len();
    let file_hash = hash_file(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    let file = File::open(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    let rejects_path = options.rejects_path.clone().unwrap_or_else(|| {
        let mut p = path.as_os_str().to_owned();
        p.push(".rejects.csv");
        PathBuf::from(p)
    });
    let input = Input {
        name: file_name,
        hash: file_hash,
        bytes_total,
        reader: Box::new(file),
    };
    let (mut summary, rejects) = ingest_input(
        store,
        input,
        format,
        mapping,
        options,
        None,
        RejectsTo::File(rejects_path.clone()),
        progress,
    )?;
    summary.rejects_path = Some(rejects_path);
    rejects.finish().map_err(|e| IngestError::Failed {
        message: format!("writing rejects: {e}"),
        committed: Box::new(summary.clone()),
    })?;
    Ok(summary)
}

/// One rejected field of an uploaded file's row, for an answer rather than a rejects file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedField {
    /// The line of the file (1 is a CSV file's header).
    pub line: u64,
    /// The column or property at fault; empty for the whole row.
    pub field: String,
    /// Why.
    pub reason: String,
}

/// What [`ingest_bytes`] did: the summary, and the rejected fields (at most the number asked
/// for; the summary counts every rejected row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BytesReport {
    pub summary: Summary,
    pub rejects: Vec<RejectedField>,
    /// True when more fields were rejected than `rejects` holds.
    pub rejects_truncated: bool,
}

/// Ingests a file held in memory (an upload), exactly as [`ingest_file`] ingests one on disk,
/// with the rejects returned instead of written to a file. When `originator` is given, every
/// record must be that agency's own: a CSV mapping naming another agency is a usage error
/// (nothing read), and a JSON line whose envelope names another originator is rejected.
#[allow(clippy::too_many_arguments)]
pub fn ingest_bytes(
    store: &mut dyn Store,
    name: &str,
    data: &[u8],
    format: Format,
    mapping: Option<(&str, &str)>,
    options: &Options,
    originator: Option<&str>,
    rejects_max: usize,
) -> Result<BytesReport, IngestError> {
    let input = Input {
        name: name.to_owned(),
        hash: blake3::hash(data).to_hex().to_string(),
        bytes_total: data.len() as u64,
        reader: Box::new(data),
    };
    let (summary, rejects) = ingest_input(
        store,
        input,
        format,
        mapping,
        options,
        originator,
        RejectsTo::Memory(rejects_max),
        &mut |_| {},
    )?;
    let (rejects, rejects_truncated) = rejects.into_memory();
    Ok(BytesReport {
        summary,
        rejects,
        rejects_truncated,
    })
}

/// A file to ingest, from disk or memory.
struct Input<'a> {
    name: String,
    hash: String,
    bytes_total: u64,
    reader: Box<dyn Read + Send + 'a>,
}

/// Where rejected rows go.
enum RejectsTo {
    File(PathBuf),
    /// Kept in memory, at most this many fields.
    Memory(usize),
}

#[allow(clippy::too_many_arguments)]
fn ingest_input(
    store: &mut dyn Store,
    input: Input<'_>,
    format: Format,
    mapping: Option<(&str, &str)>,
    options: &Options,
    originator: Option<&str>,
    rejects_to: RejectsTo,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(Summary, Rejects), IngestError> {
    let model = Model::builtin();
    let Input {
        name: file_name,
        hash: file_hash,
        bytes_total,
        reader: input,
    } = input;
    let usage = |m: String| IngestError::Usage(m);
    let mut summary = Summary {
        file: file_name.clone(),
        ..Summary::default()
    };
    let failed = |summary: &Summary, message: String| IngestError::Failed {
        message,
        committed: Box::new(summary.clone()),
    };
    let (reader, header, parsed_mapping): (Source<'_>, Option<Vec<String>>, Option<Mapping>) =
        match format {
            Format::Csv => {
                let (text, name) = mapping.ok_or_else(|| {
                    usage(format!(
                        "{file_name}: a CSV file needs a mapping (--mapping)"
                    ))
                })?;
                let delimiter = mapping::delimiter_of(text)
                    .map_err(|e| usage(format!("mapping {name}: {e}")))?;
                let mut rows = CsvRows::new(input, delimiter);
                // Nothing is written before the header is read: a bad one is the input's fault.
                let header = read_header(&mut rows)
                    .map_err(|e| usage(format!("{file_name}: line 1: header: {e}")))?;
                let m = mapping::parse(text, Some(&header), model)
                    .map_err(|e| usage(format!("mapping {name}: {e}")))?;
                (Source::Csv(Box::new(rows)), Some(header), Some(m))
            }
            Format::Ftm => {
                let m = mapping
                    .map(|(text, name)| {
                        mapping::parse(text, None, model)
                            .map_err(|e| usage(format!("mapping {name}: {e}")))
                    })
                    .transpose()?;
                (
                    Source::Ftm(BufReader::with_capacity(256 * 1024, input)),
                    None,
                    m,
                )
            }
        };
    if let (Some(o), Some(m)) = (originator, parsed_mapping.as_ref())
        && m.agency != o
    {
        return Err(usage(format!(
            "mapping: agency '{}' is not the uploader's agency '{o}'; records are ingested \
             only for the uploader's own agency",
            m.agency
        )));
    }
    summary.agency = parsed_mapping
        .as_ref()
        .map(|m| m.agency.clone())
        .or_else(|| originator.map(str::to_owned))
        .unwrap_or_default();
    let source_id = store
        .register_source(&SourceInfo {
            name: file_name.clone(),
            file_hash,
            format: format.as_str().into(),
            mapping_hash: mapping
                .map(|(text, _)| blake3::hash(text.as_bytes()).to_hex().to_string())
                .unwrap_or_default(),
            header: header.clone(),
            mapping: parsed_mapping.as_ref().map(|m| m.text.clone()),
        })
        .map_err(|e| {
            failed(
                &summary,
                format!("{file_name}: registering the source: {e}"),
            )
        })?;
    // Rows up to this line were committed by an earlier run of the same file and mapping (one
    // that was killed, or that finished): they are read and checked again, but not appended.
    let resume_after = store.committed_through(source_id).map_err(|e| {
        failed(
            &summary,
            format!("{file_name}: reading the source's progress: {e}"),
        )
    })?;
    let mut rejects = match rejects_to {
        RejectsTo::File(path) => {
            Rejects::create(&path).map_err(|e| usage(format!("{}: {e}", path.display())))?
        }
        RejectsTo::Memory(max) => Rejects::Memory {
            fields: Vec::new(),
            max,
            truncated: false,
        },
    };

    let batch_records = options.batch_records.clamp(1, BATCH_RECORDS_MAX);
    let parser = RowParser {
        model,
        mapping: parsed_mapping.as_ref(),
        header: header.as_deref(),
        file_name: &file_name,
        submitted_at: &options.submitted_at,
        originator,
        review_by_of: Default::default(),
        submitted_memo: Default::default(),
        grading_memo: Default::default(),
    };
    let (tx, rx) = sync_channel::<Result<Chunk, String>>(CHANNEL_BATCHES_MAX);
    std::thread::scope(|scope| {
        let handle = scope.spawn(move || parse_all(reader, &parser, batch_records, tx));
        let result = write_all(
            store,
            (source_id, resume_after),
            rx,
            &mut rejects,
            &mut summary,
            bytes_total,
            progress,
        );
        // The parser stops when the channel closes; joining it cannot block on a full channel.
        drop(handle.join());
        result.map_err(|m| failed(&summary, format!("{file_name}: {m}")))
    })?;
    Ok((summary, rejects))
}

/// The file being read, by format.
enum Source<'a> {
    Csv(Box<CsvRows<Box<dyn Read + Send + 'a>>>),
    Ftm(BufReader<Box<dyn Read + Send + 'a>>),
}

fn read_header<R: Read>(rows: &mut CsvRows<R>) -> Result<Vec<String>, String> {
    match rows.next_row().map_err(|e| e.to_string())? {
        None => Err("the file is empty".into()),
        Some(RowRead::TooLong { .. }) => Err(format!("over {ROW_BYTES_MAX} bytes")),
        Some(RowRead::TooManyColumns { .. }) => Err(format!("over {COLUMNS_MAX} columns")),
        Some(RowRead::Row { .. }) => {
            let mut names = Vec::with_capacity(rows.len());
            for i in 0..rows.len() {
                let name = std::str::from_utf8(rows.field(i))
                    .map_err(|_| format!("column {} is not valid UTF-8", i + 1))?
                    .trim()
                    .to_owned();
                if name.is_empty() {
                    return Err(format!("column {} has no name", i + 1));
                }
                if names.contains(&name) {
                    return Err(format!("column '{name}' appears twice"));
                }
                names.push(name);
            }
            Ok(names)
        }
    }
}

/// One row's fate.
enum RowOutcome {
    Accepted {
        line: u64,
        versions: Vec<NewVersion>,
    },
    Rejected {
        line: u64,
        errors: Vec<FieldError>,
    },
    Empty,
}

/// Whole rows, together holding about one batch of records.
struct Chunk {
    rows: Vec<RowOutcome>,
    bytes_read: u64,
}

fn parse_all(
    mut source: Source<'_>,
    parser: &RowParser<'_>,
    batch_records: usize,
    tx: SyncSender<Result<Chunk, String>>,
) {
    let mut rows = Vec::new();
    let mut records = 0usize;
    let mut line_buf = Vec::new();
    let mut ftm_line = 0u64;
    let mut ftm_bytes = 0u64;
    loop {
        let next = match &mut source {
            Source::Csv(csv) => match csv.next_row() {
                Ok(None) => None,
                Ok(Some(read)) => Some(parser.csv_row(csv, read)),
                Err(e) => {
                    let _ = tx.send(Err(format!("reading: {e}")));
                    return;
                }
            },
            Source::Ftm(reader) => match read_line_bounded(reader, &mut line_buf, ROW_BYTES_MAX) {
                Ok(None) => None,
                Ok(Some((too_long, n))) => {
                    ftm_line += 1;
                    ftm_bytes += n as u64;
                    Some(parser.ftm_line(ftm_line, &line_buf, too_long))
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("reading: {e}")));
                    return;
                }
            },
        };
        let done = next.is_none();
        if let Some(outcome) = next {
            if let RowOutcome::Accepted { versions, .. } = &outcome {
                records += versions.len();
            }
            rows.push(outcome);
        }
        if (done && !rows.is_empty()) || records >= batch_records {
            let bytes_read = match &source {
                Source::Csv(csv) => csv.bytes_consumed(),
                Source::Ftm(_) => ftm_bytes,
            };
            let chunk = Chunk {
                rows: std::mem::take(&mut rows),
                bytes_read,
            };
            records = 0;
            if tx.send(Ok(chunk)).is_err() {
                return; // The writer failed and stopped listening.
            }
        }
        if done {
            return;
        }
    }
}

fn write_all(
    store: &mut dyn Store,
    (source_id, resume_after): (i64, u64),
    rx: Receiver<Result<Chunk, String>>,
    rejects: &mut Rejects,
    summary: &mut Summary,
    bytes_total: u64,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(), String> {
    for chunk in rx {
        let chunk = chunk?;
        let mut batch = Batch {
            source_id: Some(source_id),
            ..Batch::default()
        };
        let (mut read, mut accepted, mut empty) = (0u64, 0u64, 0u64);
        let mut rejected = Vec::new();
        for row in chunk.rows {
            match row {
                RowOutcome::Accepted { line, versions } if line <= resume_after => {
                    summary.records_unchanged += versions.len() as u64;
                    accepted += 1;
                    read += 1;
                }
                RowOutcome::Accepted { line, versions } => {
                    batch.first_line.get_or_insert(line);
                    batch.last_line = Some(line);
                    batch
                        .entries
                        .extend(versions.into_iter().map(Entry::Version));
                    accepted += 1;
                    read += 1;
                }
                RowOutcome::Rejected { line, errors } => {
                    rejected.push((line, errors));
                    read += 1;
                }
                RowOutcome::Empty => empty += 1,
            }
        }
        if !batch.entries.is_empty() {
            let out = store.append_batch(&batch).map_err(|e| {
                format!(
                    "appending lines {:?}..{:?}: {e}",
                    batch.first_line, batch.last_line
                )
            })?;
            summary.records_appended += out.appended;
            summary.records_unchanged += out.unchanged;
            summary.batches += 1;
        }
        // Rejects are written once their batch is settled, so the file never names a row from a
        // batch that did not commit as the only thing wrong with it.
        for (line, errors) in &rejected {
            rejects
                .write(&summary.file, *line, errors)
                .map_err(|e| format!("writing rejects: {e}"))?;
            summary.rows_rejected += 1;
            let mut seen: Vec<&String> = Vec::new();
            for e in errors {
                if seen.contains(&&e.field) {
                    continue;
                }
                seen.push(&e.field);
                let key = if e.field.is_empty() {
                    "(row)".to_owned()
                } else {
                    e.field.clone()
                };
                let entry = summary
                    .rejects_by_field
                    .entry(key)
                    .or_insert_with(|| (0, e.reason.clone()));
                entry.0 += 1;
            }
        }
        rejects
            .flush()
            .map_err(|e| format!("writing rejects: {e}"))?;
        summary.rows_read += read;
        summary.rows_accepted += accepted;
        summary.rows_empty += empty;
        progress(&Progress {
            bytes_read: chunk.bytes_read,
            bytes_total,
            rows_read: summary.rows_read,
            records_appended: summary.records_appended,
        });
    }
    Ok(())
}

/// Reads one line (without its `\n`, and without a trailing `\r`) into `buf`, never holding
/// more than `max` bytes: a longer line is consumed and reported as too long. Returns the
/// bytes consumed, or `None` at the end of input.
fn read_line_bounded(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<(bool, usize)>> {
    buf.clear();
    let mut too_long = false;
    let mut consumed = 0usize;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok((consumed > 0).then_some((too_long, consumed)));
        }
        let (take, end) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (avail.len(), false),
        };
        if !too_long {
            if buf.len() + take > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&avail[..take]);
            }
        }
        let n = take + usize::from(end);
        r.consume(n);
        consumed += n;
        if end {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some((too_long, consumed)));
        }
    }
}

/// Turns rows into validated record versions. Shared, read-only, by the parser thread.
struct RowParser<'a> {
    model: &'a Model,
    mapping: Option<&'a Mapping>,
    header: Option<&'a [String]>,
    file_name: &'a str,
    submitted_at: &'a str,
    /// The agency every record must be of (an upload), if any.
    originator: Option<&'a str>,
    /// The last (submission time, review date) computed: rows of a file mostly share one.
    review_by_of: std::cell::RefCell<(String, String)>,
    /// The last submission time read: (as written, as ISO).
    submitted_memo: std::cell::RefCell<(String, String)>,
    /// The last grading read: (its codes as written, the grading).
    grading_memo: std::cell::RefCell<Option<(Vec<String>, Grading)>>,
}

impl RowParser<'_> {
    fn csv_row<R: Read>(&self, csv: &CsvRows<R>, read: RowRead) -> RowOutcome {
        let (line, limit_error) = match read {
            RowRead::Row { line } => (line, None),
            RowRead::TooLong { line } => (line, Some(format!("row is over {ROW_BYTES_MAX} bytes"))),
            RowRead::TooManyColumns { line } => {
                (line, Some(format!("row has over {COLUMNS_MAX} columns")))
            }
        };
        if let Some(reason) = limit_error {
            return RowOutcome::Rejected {
                line,
                errors: vec![FieldError::new("", reason)],
            };
        }
        let header = self.header.unwrap_or_default();
        let mut cells = Vec::with_capacity(csv.len());
        let mut errors = Vec::new();
        for i in 0..csv.len() {
            let column = header.get(i).map_or("", String::as_str);
            let raw = csv.field(i);
            if raw.len() > FIELD_BYTES_MAX {
                errors.push(FieldError::new(
                    column,
                    format!(
                        "field has {} bytes, the limit is {FIELD_BYTES_MAX}",
                        raw.len()
                    ),
                ));
                cells.push("");
                continue;
            }
            match std::str::from_utf8(raw) {
                Ok(s) => cells.push(s),
                Err(e) => {
                    errors.push(FieldError::new(
                        column,
                        format!(
                            "not valid UTF-8 (byte {} of the field)",
                            e.valid_up_to() + 1
                        ),
                    ));
                    cells.push("");
                }
            }
        }
        if cells.iter().all(|c| c.trim().is_empty()) && errors.is_empty() {
            return RowOutcome::Empty;
        }
        if csv.len() != header.len() {
            return RowOutcome::Rejected {
                line,
                errors: vec![FieldError::new(
                    "",
                    format!(
                        "row has {} columns, the header has {}",
                        csv.len(),
                        header.len()
                    ),
                )],
            };
        }
        if !errors.is_empty() {
            return RowOutcome::Rejected { line, errors };
        }
        match self.map_row(&cells, line) {
            Ok(versions) => RowOutcome::Accepted { line, versions },
            Err(errors) => RowOutcome::Rejected { line, errors },
        }
    }

    fn resolve<'c>(&self, r: &'c Resolved, cells: &[&'c str]) -> &'c str {
        match r {
            Resolved::Literal(v) => v.as_str(),
            Resolved::Column { index, .. } => cells.get(*index).copied().unwrap_or("").trim(),
        }
    }

    fn field_of(r: &Resolved, envelope_field: &str) -> String {
        match r {
            Resolved::Column { name, .. } => name.clone(),
            Resolved::Literal(_) => envelope_field.to_owned(),
        }
    }

    fn envelope(
        &self,
        m: &Mapping,
        cells: &[&str],
        line: u64,
    ) -> Result<Envelope, Vec<FieldError>> {
        let mut errors = Vec::new();
        let date = |r: &Resolved, what: &str, errors: &mut Vec<FieldError>| -> Option<String> {
            let v = self.resolve(r, cells);
            match dates::parse_date(v, &m.date_formats) {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(FieldError::new(
                        Self::field_of(r, what),
                        format!("{what}: {e}"),
                    ));
                    None
                }
            }
        };
        let submitted_at = match &m.submitted_at {
            Some(r) => {
                // Rows of a file mostly share their submission time: read it once.
                let raw = self.resolve(r, cells);
                let mut memo = self.submitted_memo.borrow_mut();
                if memo.0 != raw || memo.1.is_empty() {
                    let read = date(r, "submitted_at", &mut errors).unwrap_or_default();
                    *memo = (raw.to_owned(), read);
                }
                memo.1.clone()
            }
            None => self.submitted_at.to_owned(),
        };
        let review_by = match (&m.review_by, m.review_after_days) {
            (Some(r), _) => date(r, "review_by", &mut errors).unwrap_or_default(),
            (None, Some(days)) => {
                let mut last = self.review_by_of.borrow_mut();
                if last.0 != submitted_at {
                    *last = (
                        submitted_at.clone(),
                        add_days(&submitted_at, days).unwrap_or_default(),
                    );
                }
                last.1.clone()
            }
            (None, None) => String::new(),
        };
        let source_ref = match &m.source_ref {
            Some(r) => self.resolve(r, cells).to_owned(),
            None => format!("{}:{line}", self.file_name),
        };
        let codes: Vec<&str> = m
            .grading
            .iter()
            .map(|(_, r)| self.resolve(r, cells))
            .collect();
        let remembered = self
            .grading_memo
            .borrow()
            .as_ref()
            .filter(|(seen, _)| seen.iter().map(String::as_str).eq(codes.iter().copied()))
            .map(|(_, g)| g.clone());
        let mut fields = GradingFields {
            system: m.grading_system.clone(),
            ..GradingFields::default()
        };
        for ((name, _), v) in m.grading.iter().zip(&codes) {
            if !v.is_empty() && remembered.is_none() {
                mapping::set_grading_field(&mut fields, name, (*v).to_owned());
            }
        }
        let parsed = match remembered {
            Some(g) => Ok(g),
            None => Grading::from_fields(&fields).inspect(|g| {
                *self.grading_memo.borrow_mut() =
                    Some((codes.iter().map(|c| (*c).to_owned()).collect(), g.clone()));
            }),
        };
        let grading = match parsed {
            Ok(g) => Some(g),
            Err(e) => {
                // Name the column the faulty code came from, or the grading field if the
                // mapping gave it literally (or not at all).
                let column = m
                    .grading
                    .iter()
                    .find(|(name, _)| *name == e.field)
                    .map_or(format!("grading.{}", e.field), |(name, r)| {
                        Self::field_of(r, &format!("grading.{name}"))
                    });
                errors.push(FieldError::new(column, format!("grading: {e}")));
                None
            }
        };
        let Some(grading) = grading else {
            return Err(errors);
        };
        let envelope = Envelope {
            originator: m.agency.clone(),
            contributor: self.resolve(&m.contributor, cells).to_owned(),
            submitted_at,
            source_ref,
            review_by,
            grading,
        };
        if errors.is_empty()
            && let Err((field, reason)) = envelope.validate()
        {
            let column = match field {
                "contributor" => Self::field_of(&m.contributor, field),
                "source_ref" => m
                    .source_ref
                    .as_ref()
                    .map_or(field.to_owned(), |r| Self::field_of(r, field)),
                _ => field.to_owned(),
            };
            errors.push(FieldError::new(column, format!("{field}: {reason}")));
        }
        if errors.is_empty() {
            Ok(envelope)
        } else {
            Err(errors)
        }
    }

    fn map_row(&self, cells: &[&str], line: u64) -> Result<Vec<NewVersion>, Vec<FieldError>> {
        let Some(m) = self.mapping else {
            return Err(vec![FieldError::new("", "no mapping")]);
        };
        let mut errors = Vec::new();
        let envelope = match self.envelope(m, cells, line) {
            Ok(e) => Some(e),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        };
        // First every entity's id, so that references between them resolve.
        let mut ids: Vec<Option<String>> = Vec::with_capacity(m.entities.len());
        for e in &m.entities {
            let has_data = e.properties.iter().any(|p| {
                p.sources.iter().any(|s| match s {
                    PropSource::Column { index, .. } => !cells[*index].trim().is_empty(),
                    _ => false,
                })
            });
            let id = match &e.id {
                MappedId::Column { index, name } => {
                    let v = cells[*index].trim();
                    if v.is_empty() {
                        if has_data {
                            errors.push(FieldError::new(
                                name.as_str(),
                                format!("{}: the id column is empty", e.key),
                            ));
                        }
                        None
                    } else {
                        Some(format!("{}{v}", e.prefix))
                    }
                }
                MappedId::Keys(cols) => {
                    let values: Vec<&str> = cols.iter().map(|(i, _)| cells[*i].trim()).collect();
                    if values.iter().all(|v| v.is_empty()) {
                        if has_data {
                            let names: Vec<&str> = cols.iter().map(|(_, n)| n.as_str()).collect();
                            errors.push(FieldError::new(
                                names.join("|"),
                                format!("{}: every id key column is empty", e.key),
                            ));
                        }
                        None
                    } else {
                        let mut h = blake3::Hasher::new();
                        // Agency, schema and prefix, not the entity's key in the mapping: two
                        // entities of one schema keyed alike (a payer's and a beneficiary's
                        // account, both by IBAN) must get the same id for the same values.
                        let head = [m.agency.as_str(), e.schema.as_str(), e.prefix.as_str()];
                        for part in head.iter().chain(&values) {
                            h.update(&(part.len() as u64).to_le_bytes());
                            h.update(part.as_bytes());
                        }
                        let hex = h.finalize().to_hex();
                        Some(format!("{}{}", e.prefix, &hex.as_str()[..24]))
                    }
                }
            };
            ids.push(if has_data { id } else { None });
        }
        let cells_json = serde_json::to_string(cells).unwrap_or_default();
        let mut versions = Vec::with_capacity(m.entities.len());
        for (e, id) in m.entities.iter().zip(&ids) {
            let Some(id) = id else { continue };
            let mut raw = RawRecord::new(id.clone(), e.schema.clone());
            let mut columns_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for p in &e.properties {
                for s in &p.sources {
                    let value = match s {
                        PropSource::Column { index, name } => {
                            columns_of.entry(&p.name).or_default().push(name);
                            cells[*index]
                        }
                        PropSource::Literal(v) => v.as_str(),
                        PropSource::Entity(i) => match &ids[*i] {
                            Some(target) => target.as_str(),
                            None => continue,
                        },
                    };
                    let parts: Vec<&str> = match &p.split {
                        Some(sep) => value.split(sep.as_str()).collect(),
                        None => vec![value],
                    };
                    for part in parts {
                        let part = part.trim();
                        if part.is_empty() {
                            continue;
                        }
                        if p.ty == corridor_model::PropType::Date {
                            match dates::parse_date(part, &m.date_formats) {
                                Ok(iso) => raw.properties.push((p.name.clone(), iso)),
                                Err(reason) => errors.push(FieldError::new(
                                    column_names(&columns_of, &p.name),
                                    format!("{}.{}: {reason}", e.schema, p.name),
                                )),
                            }
                        } else {
                            raw.properties.push((p.name.clone(), part.to_owned()));
                        }
                    }
                }
            }
            match self.model.validate(&raw, &m.context) {
                Ok(record) => {
                    if let Some(env) = &envelope {
                        versions.push(NewVersion::new(
                            record,
                            env.clone(),
                            Provenance {
                                line: Some(line),
                                cells: Some(cells_json.clone()),
                            },
                        ));
                    }
                }
                Err(errs) => {
                    for err in errs {
                        let field = if columns_of.contains_key(err.field.as_str()) {
                            column_names(&columns_of, &err.field)
                        } else {
                            err.field.clone()
                        };
                        let reason = if err.field.is_empty() {
                            format!("{}: {}", e.schema, err.reason)
                        } else {
                            format!("{}.{}: {}", e.schema, err.field, err.reason)
                        };
                        errors.push(FieldError::new(field, reason));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if versions.is_empty() {
            return Err(vec![FieldError::new("", "the row maps to no record")]);
        }
        Ok(versions)
    }

    fn ftm_line(&self, line: u64, bytes: &[u8], too_long: bool) -> RowOutcome {
        let reject = |field: &str, reason: String| RowOutcome::Rejected {
            line,
            errors: vec![FieldError::new(field, reason)],
        };
        if too_long {
            return reject("", format!("line is over {ROW_BYTES_MAX} bytes"));
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                return reject(
                    "",
                    format!("not valid UTF-8 (byte {})", e.valid_up_to() + 1),
                );
            }
        };
        if text.trim().is_empty() {
            return RowOutcome::Empty;
        }
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return reject("", format!("not JSON: {e}")),
        };
        let Some(obj) = value.as_object() else {
            return reject("", "not a JSON object".into());
        };
        let mut errors = Vec::new();
        let text_of = |key: &str, errors: &mut Vec<FieldError>| -> String {
            match obj.get(key).and_then(|v| v.as_str()) {
                Some(s) => s.to_owned(),
                None => {
                    errors.push(FieldError::new(key, "missing or not a string"));
                    String::new()
                }
            }
        };
        let id = text_of("id", &mut errors);
        let schema = text_of("schema", &mut errors);
        let mut raw = RawRecord::new(id, schema);
        match obj.get("properties") {
            Some(serde_json::Value::Object(props)) => {
                for (name, values) in props {
                    match values.as_array() {
                        Some(list) => {
                            for v in list {
                                match v.as_str() {
                                    Some(s) => raw.properties.push((name.clone(), s.to_owned())),
                                    None => errors.push(FieldError::new(
                                        format!("properties.{name}"),
                                        "values must be strings",
                                    )),
                                }
                            }
                        }
                        None => errors.push(FieldError::new(
                            format!("properties.{name}"),
                            "must be a list of strings",
                        )),
                    }
                }
            }
            Some(_) => errors.push(FieldError::new("properties", "must be an object")),
            None => {}
        }
        let envelope = match (obj.get("corridor"), self.mapping) {
            (Some(env), _) => match serde_json::from_value::<Envelope>(env.clone()) {
                Ok(e) => match e.validate() {
                    Ok(()) if self.originator.is_some_and(|o| o != e.originator) => {
                        errors.push(FieldError::new(
                            "corridor.originator",
                            format!(
                                "'{}' is not the uploader's agency; records are ingested only \
                                 for the uploader's own agency",
                                e.originator
                            ),
                        ));
                        None
                    }
                    Ok(()) => Some(e),
                    Err((field, reason)) => {
                        errors.push(FieldError::new(format!("corridor.{field}"), reason));
                        None
                    }
                },
                Err(e) => {
                    errors.push(FieldError::new("corridor", e.to_string()));
                    None
                }
            },
            (None, Some(m)) => match self.envelope(m, &[], line) {
                Ok(e) => Some(e),
                Err(mut e) => {
                    errors.append(&mut e);
                    None
                }
            },
            (None, None) => {
                errors.push(FieldError::new(
                    "corridor",
                    "the line has no envelope and no mapping supplies one",
                ));
                None
            }
        };
        let ctx = self
            .mapping
            .map_or_else(ValueContext::default, |m| m.context.clone());
        let record = match self.model.validate(&raw, &ctx) {
            Ok(r) => Some(r),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        };
        match (record, envelope) {
            (Some(record), Some(envelope)) if errors.is_empty() => RowOutcome::Accepted {
                line,
                versions: vec![NewVersion::new(
                    record,
                    envelope,
                    Provenance {
                        line: Some(line),
                        cells: Some(serde_json::to_string(&[text]).unwrap_or_default()),
                    },
                )],
            },
            _ => RowOutcome::Rejected { line, errors },
        }
    }
}

fn column_names(columns_of: &BTreeMap<&str, Vec<&str>>, property: &str) -> String {
    columns_of
        .get(property)
        .map(|c| {
            let mut c = c.clone();
            c.dedup();
            c.join("|")
        })
        .unwrap_or_else(|| property.to_owned())
}

/// The rejects file: CSV of file, line, field, reason. Cells that a spreadsheet would run as a
/// formula are neutralised, because this file is meant to be opened by people fixing sources.
/// For an upload the rejects are kept in memory instead, bounded.
enum Rejects {
    File(Box<csv::Writer<File>>),
    Memory {
        fields: Vec<RejectedField>,
        max: usize,
        truncated: bool,
    },
}

impl Rejects {
    fn create(path: &Path) -> io::Result<Rejects> {
        let mut out = csv::Writer::from_writer(File::create(path)?);
        out.write_record(["file", "line", "field", "reason"])?;
        Ok(Rejects::File(Box::new(out)))
    }

    fn write(&mut self, file: &str, line: u64, errors: &[FieldError]) -> io::Result<()> {
        match self {
            Rejects::File(out) => {
                let line = line.to_string();
                for e in errors {
                    out.write_record([
                        corridor_text::csv_safe(file).as_ref(),
                        &line,
                        corridor_text::csv_safe(&e.field).as_ref(),
                        corridor_text::csv_safe(&e.reason).as_ref(),
                    ])?;
                }
            }
            Rejects::Memory {
                fields,
                max,
                truncated,
            } => {
                for e in errors {
                    if fields.len() >= *max {
                        *truncated = true;
                        break;
                    }
                    fields.push(RejectedField {
                        line,
                        field: e.field.clone(),
                        reason: e.reason.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Rejects::File(out) => out.flush(),
            Rejects::Memory { .. } => Ok(()),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Rejects::File(mut out) => {
                out.flush()?;
                out.get_ref().sync_all()
            }
            Rejects::Memory { .. } => Ok(()),
        }
    }

    fn into_memory(self) -> (Vec<RejectedField>, bool) {
        match self {
            Rejects::Memory {
                fields, truncated, ..
            } => (fields, truncated),
            Rejects::File(_) => (Vec::new(), false),
        }
    }
}

fn hash_file(path: &Path) -> io::Result<String> {
    let mut h = blake3::Hasher::new();
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_hex().to_string())
}

/// `date` (YYYY-MM-DD…) plus `days`, as YYYY-MM-DD; `None` if `date` has no full date.
pub fn add_days(date: &str, days: u32) -> Option<String> {
    let y: i64 = date.get(0..4)?.parse().ok()?;
    let m: u32 = date
        .get(5..7)?
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))?;
    let d: u32 = date.get(8..10)?.parse().ok()?;
    let days_since_epoch = corridor_text::calendar::days_from_civil(y, m, d) + i64::from(days);
    let formatted = corridor_store::format_unix_seconds(days_since_epoch * 86_400);
    Some(formatted[..10].to_owned())
}

pub use corridor_store::now_rfc3339;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_days_crosses_months_and_leap_years() {
        assert_eq!(add_days("2024-02-28T10:00:00Z", 1).unwrap(), "2024-02-29");
        assert_eq!(add_days("2023-12-31", 1).unwrap(), "2024-01-01");
        assert_eq!(add_days("2024-03-01", 1095).unwrap(), "2027-03-01");
        assert_eq!(add_days("2024", 1), None);
    }

    #[test]
    fn bounded_lines() {
        let mut r = io::Cursor::new(b"abc\r\nxxxxxxxxxx\nlast".to_vec());
        let mut buf = Vec::new();
        assert_eq!(
            read_line_bounded(&mut r, &mut buf, 5).unwrap(),
            Some((false, 5))
        );
        assert_eq!(buf, b"abc");
        assert_eq!(
            read_line_bounded(&mut r, &mut buf, 5).unwrap(),
            Some((true, 11))
        );
        assert_eq!(
            read_line_bounded(&mut r, &mut buf, 5).unwrap(),
            Some((false, 4))
        );
        assert_eq!(buf, b"last");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 5).unwrap(), None);
    }
}
