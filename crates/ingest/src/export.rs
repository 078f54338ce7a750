//! `corridor export --format ftm`: every current record as one FollowTheMoney entity per line.
//!
//! The FtM fields are `id`, `schema` and `properties`; the envelope travels under `corridor`,
//! which FtM tools ignore and `corridor ingest` reads back, so export → ingest round-trips:
//! re-ingesting an export into the store it came from appends nothing.

use std::collections::BTreeMap;
use std::io::Write;

use corridor_model::Envelope;
use corridor_store::Store;
use serde::Serialize;

#[derive(Serialize)]
struct FtmLine<'a> {
    id: &'a str,
    schema: &'a str,
    properties: &'a BTreeMap<String, Vec<String>>,
    corridor: &'a Envelope,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading the store: {0}")]
    Store(#[from] corridor_store::StoreError),
    #[error("writing: {0}")]
    Write(#[from] std::io::Error),
    #[error("encoding: {0}")]
    Json(#[from] serde_json::Error),
}

/// Writes every live record in (originator, id) order; returns how many.
pub fn ftm(store: &mut dyn Store, out: &mut dyn Write) -> Result<u64, ExportError> {
    let mut n = 0u64;
    corridor_store::for_each_live(store, |v| -> Result<(), ExportError> {
        serde_json::to_writer(
            &mut *out,
            &FtmLine {
                id: &v.record.id,
                schema: &v.record.schema,
                properties: &v.record.properties,
                corridor: &v.envelope,
            },
        )?;
        out.write_all(b"\n")?;
        n += 1;
        Ok(())
    })?;
    Ok(n)
}
