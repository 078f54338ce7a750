//! `POST /api/v1/ingest`: an agency's user uploads a file of the agency's own records.
//!
//! The body is JSON with the file's text (not multipart): the files Corridor ingests are text
//! (UTF-8 CSV or JSON lines), a JSON body keeps the one error body and one schema that the
//! OpenAPI description and the fuzzer cover fully, and it needs no multipart parser. The cost
//! is that a file must be valid UTF-8 as a whole (the CLI reports bad bytes per field) and that
//! JSON escaping counts against the route's body limit ([`crate::INGEST_BODY_BYTES_MAX`]).
//!
//! The answer is the CLI's report: counts, and the rejected fields naming line, field and
//! reason. Everything goes through [`corridor_policy::PolicyStore::collect`], which audits the
//! collection first and binds every record to the uploader's agency.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use corridor_ingest::Format;
use corridor_policy::collect::{COLLECT_NAME_BYTES_MAX, CollectError, Upload};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{AppJson, Authed, check_justification};
use crate::error::ApiError;

/// Longest mapping text, in bytes.
pub const MAPPING_BYTES_MAX: usize = corridor_model::limits::MAPPING_BYTES_MAX;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestBody {
    /// The file's name (cited in the report and the store's sources).
    #[schema(min_length = 1, max_length = 256)]
    pub name: String,
    /// `csv` (with `mapping`) or `ftm` (FollowTheMoney JSON lines).
    pub format: String,
    /// The mapping file's text (TOML), as for `corridor ingest --mapping`; its `agency` must be
    /// the caller's. Required for CSV; for JSON lines it supplies the envelope of lines
    /// without one.
    #[serde(default)]
    pub mapping: Option<String>,
    /// The file's text.
    pub data: String,
    /// Why these records are collected (at least 8 characters; audited).
    #[schema(min_length = 8, max_length = 4096)]
    pub justification: String,
}

#[derive(Serialize, ToSchema)]
pub struct RejectOut {
    /// The file's line (a CSV file's header is line 1).
    pub line: u64,
    /// The column or property at fault; empty for the whole row.
    pub field: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct IngestOut {
    pub file: String,
    /// The originator of every record: the caller's agency.
    pub agency: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// Rows with no value at all, skipped.
    pub rows_empty: u64,
    pub records_appended: u64,
    /// Records already stored with this content (a file sent again).
    pub records_unchanged: u64,
    /// Transactions committed.
    pub batches: u64,
    /// Rejected fields, in file order (at most 1,000; the counts cover every row).
    pub rejects: Vec<RejectOut>,
    /// True when more fields were rejected than `rejects` lists.
    pub rejects_truncated: bool,
}

/// Uploads a file of the caller's agency's records (analysts and supervisors): every record's
/// originator is the caller's agency, with the grading and handling the mapping (or each JSON
/// line's envelope) gives. Rows are accepted or rejected whole; accepted rows are committed in
/// batches; the same file sent again appends nothing already stored.
#[utoipa::path(post, path = "/api/v1/ingest", security(("bearer" = [])),
    request_body = IngestBody,
    responses((status = 200, body = IngestOut), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody)))]
pub async fn ingest(
    State(state): State<AppState>,
    who: Authed,
    AppJson(body): AppJson<IngestBody>,
) -> Result<Json<IngestOut>, ApiError> {
    check_justification(&body.justification)?;
    let format = match body.format.as_str() {
        "csv" => Format::Csv,
        "ftm" => Format::Ftm,
        _ => return Err(ApiError::bad_request("format: 'csv' or 'ftm'")),
    };
    if body.name.is_empty()
        || body.name.len() > COLLECT_NAME_BYTES_MAX
        || body.name.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(format!(
            "name: 1 to {COLLECT_NAME_BYTES_MAX} bytes, no control characters"
        )));
    }
    if body
        .mapping
        .as_ref()
        .is_some_and(|m| m.len() > MAPPING_BYTES_MAX)
    {
        return Err(ApiError::bad_request(format!(
            "mapping: at most {MAPPING_BYTES_MAX} bytes"
        )));
    }
    if format == Format::Csv && body.mapping.is_none() {
        return Err(ApiError::bad_request("mapping: a CSV file needs a mapping"));
    }
    state
        .with_as(who, move |p, _, ctx| {
            let upload = Upload {
                name: &body.name,
                data: body.data.as_bytes(),
                format,
                mapping: body.mapping.as_deref(),
            };
            let r = p
                .collect(&ctx, &upload, &body.justification)
                .map_err(|e| match e {
                    CollectError::Policy(e) => ApiError::from(e),
                    CollectError::Usage(m) => ApiError::bad_request(m),
                    CollectError::Failed { message, committed } => {
                        // The store's message may name tables or paths: logged, not sent.
                        tracing::error!(error = %message, "ingest failed part-way");
                        ApiError::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "internal",
                            format!(
                                "the ingest stopped after {} rows were committed; send the file \
                                 again to resume",
                                committed.rows_accepted
                            ),
                        )
                    }
                })?;
            let s = r.summary;
            Ok(Json(IngestOut {
                file: s.file,
                agency: s.agency,
                rows_read: s.rows_read,
                rows_accepted: s.rows_accepted,
                rows_rejected: s.rows_rejected,
                rows_empty: s.rows_empty,
                records_appended: s.records_appended,
                records_unchanged: s.records_unchanged,
                batches: s.batches,
                rejects: r
                    .rejects
                    .into_iter()
                    .map(|f| RejectOut {
                        line: f.line,
                        field: f.field,
                        reason: f.reason,
                    })
                    .collect(),
                rejects_truncated: r.rejects_truncated,
            }))
        })
        .await
}
