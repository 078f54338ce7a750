//! Collection: an agency's user puts a file of the agency's own records into the store.
//!
//! The uploader's agency is the originator of every record (a mapping naming another agency
//! is refused before anything is read; a JSON line naming another originator is rejected), so
//! no user can put words in another agency's mouth. Analysts and supervisors collect; auditors,
//! administrators and investigators (who work the operations they are assigned, not the
//! agency's intake) do not.
//!
//! Audit first: the `collection` entry naming the file (name, BLAKE3 hash, bytes, format) is
//! appended before the first batch is written, and a failed audit write stops the ingest with
//! nothing appended. The batches follow, each whole rows in one transaction, exactly as
//! `corridor ingest` writes them; a failure part-way leaves the committed batches (counted in
//! the error) and nothing of the failing one. The same file sent again is recognised by its
//! hash and appends nothing already stored.

use corridor_ingest::{BytesReport, Format, IngestError, Options};
use serde_json::json;

use crate::audit::{self, Action};
use crate::{Context, PolicyError, PolicyStore, Result, Role};

/// Largest file one collection takes, in bytes.
pub const COLLECT_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Most rejected fields one collection answer lists (the counts cover every row).
pub const COLLECT_REJECTS_MAX: usize = 1_000;

/// Longest file name, in bytes.
pub const COLLECT_NAME_BYTES_MAX: usize = 256;

/// A file to collect.
pub struct Upload<'a> {
    /// The file's name, as the uploader calls it (cited in rejects and the sources table).
    pub name: &'a str,
    /// The file's bytes.
    pub data: &'a [u8],
    /// CSV (with `mapping`) or FtM JSON lines.
    pub format: Format,
    /// The mapping's text (required for CSV; for JSON lines it supplies the envelope of lines
    /// without one).
    pub mapping: Option<&'a str>,
}

/// Why a collection failed.
#[derive(Debug)]
pub enum CollectError {
    /// The policy layer refused (role, agency) or the audit write failed.
    Policy(PolicyError),
    /// The upload is wrong (no mapping for CSV, a bad mapping, another agency's mapping):
    /// nothing was written but the audit entry.
    Usage(String),
    /// The ingest stopped part-way: the batches counted in `committed` are stored.
    Failed {
        message: String,
        committed: Box<corridor_ingest::Summary>,
    },
}

impl From<PolicyError> for CollectError {
    fn from(e: PolicyError) -> Self {
        CollectError::Policy(e)
    }
}

impl PolicyStore<'_> {
    /// Collects an uploaded file of `ctx.user`'s agency's records: the collection is audited
    /// first, then the records are appended batch by batch and the per-row report returned.
    pub fn collect(
        &mut self,
        ctx: &Context,
        upload: &Upload<'_>,
        justification: &str,
    ) -> std::result::Result<BytesReport, CollectError> {
        let agency = self.collector(ctx)?;
        if upload.data.len() > COLLECT_BYTES_MAX {
            return Err(CollectError::Usage(format!(
                "the file has {} bytes; at most {COLLECT_BYTES_MAX}",
                upload.data.len()
            )));
        }
        if upload.name.is_empty()
            || upload.name.len() > COLLECT_NAME_BYTES_MAX
            || upload.name.chars().any(char::is_control)
        {
            return Err(CollectError::Usage(format!(
                "file name: 1 to {COLLECT_NAME_BYTES_MAX} bytes, no control characters"
            )));
        }
        if upload.format == Format::Csv && upload.mapping.is_none() {
            return Err(CollectError::Usage("a CSV file needs a mapping".into()));
        }
        // A mapping that does not parse, or names another agency, is refused before the audit
        // entry: nothing is collected. (Its columns are checked against the file's header
        // later, by the ingest.)
        if let Some(text) = upload.mapping {
            let named = corridor_ingest::mapping::agency_of(text)
                .map_err(|e| CollectError::Usage(format!("mapping: {e}")))?;
            if named != agency {
                return Err(CollectError::Usage(format!(
                    "mapping: agency '{named}' is not the uploader's agency '{agency}'; records \
                     are ingested only for the uploader's own agency"
                )));
            }
        }
        let file_hash = blake3::hash(upload.data).to_hex().to_string();
        self.audit_act(
            &audit::NewEntry {
                actor: &ctx.user,
                agency: &agency,
                origin: &ctx.origin,
                action: Action::Collection,
                justification,
                detail: json!({
                    "file": upload.name,
                    "file_hash": file_hash,
                    "bytes": upload.data.len(),
                    "format": match upload.format { Format::Csv => "csv", Format::Ftm => "ftm" },
                    "mapping_hash": upload
                        .mapping
                        .map(|m| blake3::hash(m.as_bytes()).to_hex().to_string()),
                }),
            },
            &[],
            ctx.now,
        )?;
        let options = Options {
            submitted_at: corridor_store::format_unix_seconds(ctx.now),
            ..Options::default()
        };
        let report = corridor_ingest::ingest_bytes(
            &mut *self.store,
            upload.name,
            upload.data,
            upload.format,
            upload.mapping.map(|m| (m, "(uploaded mapping)")),
            &options,
            Some(&agency),
            COLLECT_REJECTS_MAX,
        )
        .map_err(|e| match e {
            IngestError::Usage(m) => CollectError::Usage(m),
            IngestError::Failed { message, committed } => {
                CollectError::Failed { message, committed }
            }
        })?;
        debug_assert!(report.rejects.len() <= COLLECT_REJECTS_MAX);
        debug_assert!(report.summary.agency == agency || report.summary.rows_accepted == 0);
        Ok(report)
    }

    /// The agency `ctx.user` collects for: analysts and supervisors only.
    fn collector(&self, ctx: &Context) -> Result<String> {
        let p = self.principal(&ctx.user)?;
        if !(p.has(Role::Analyst) || p.has(Role::Supervisor)) {
            return Err(PolicyError::Refused(
                "only an analyst or a supervisor of the agency collects records".into(),
            ));
        }
        Ok(p.agency.code.clone())
    }
}
