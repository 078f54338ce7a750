//! Which entries of a batch become log rows, with which version numbers. Shared by both
//! backends so that they cannot disagree on what "nothing new" means.

use std::collections::HashMap;

use corridor_model::{ContentHash, Grading};

use crate::{Batch, Entry, Result, StoreError};

/// A record's current version as the head index holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// Log position of the head version; [`IN_BATCH`] for a version planned in this batch.
    pub pos: i64,
    pub version: i64,
    pub hash: ContentHash,
    pub tombstone: bool,
}

/// Marks a head that is itself part of the batch being planned (its position is not known yet).
pub(crate) const IN_BATCH: i64 = -1;

/// An entry to append, with its version number and the head it supersedes.
pub(crate) struct Planned<'a> {
    pub entry: &'a Entry,
    pub version: i64,
    pub prev: Option<Head>,
}

/// Decides what to append. `lookup` reads a head from the store; heads changed earlier in the
/// same batch are tracked here, so a record sent twice in one batch is handled like one sent in
/// two batches.
pub(crate) fn plan<'a>(
    batch: &'a Batch,
    mut lookup: impl FnMut(&str, &str) -> Result<Option<Head>>,
) -> Result<(Vec<Planned<'a>>, u64)> {
    let mut touched: HashMap<(&'a str, &'a str), Head> = HashMap::new();
    let mut planned = Vec::with_capacity(batch.entries.len());
    let mut unchanged = 0u64;
    for entry in &batch.entries {
        let key = entry.key();
        let head = match touched.get(&key) {
            Some(h) => Some(*h),
            None => lookup(key.0, key.1)?,
        };
        let hash = entry.hash();
        let skip = match (entry, head) {
            (Entry::Version(_), Some(h)) => !h.tombstone && h.hash == hash,
            (Entry::Version(_), None) => false,
            (Entry::Tombstone(_), Some(h)) => h.tombstone,
            (Entry::Tombstone(_), None) => {
                return Err(StoreError::UnknownRecord {
                    originator: key.0.to_owned(),
                    record_id: key.1.to_owned(),
                });
            }
        };
        if skip {
            unchanged += 1;
            continue;
        }
        let version = head.map_or(1, |h| h.version + 1);
        touched.insert(
            key,
            Head {
                pos: IN_BATCH,
                version,
                hash,
                tombstone: matches!(entry, Entry::Tombstone(_)),
            },
        );
        planned.push(Planned {
            entry,
            version,
            prev: head,
        });
    }
    Ok((planned, unchanged))
}

/// The column values of one log row, in [`crate::SELECT_COLUMNS`] order (less pos, version and
/// batch id, which the backend assigns).
pub(crate) struct Row<'a> {
    pub originator: &'a str,
    pub record_id: &'a str,
    pub schema: &'a str,
    pub tombstone: bool,
    pub properties: &'a str,
    pub hash: ContentHash,
    pub contributor: &'a str,
    pub submitted_at: &'a str,
    pub source_ref: &'a str,
    pub review_by: &'a str,
    pub grading: &'a Grading,
    pub note: Option<&'a str>,
    pub source_line: Option<i64>,
    pub source_cells: Option<&'a str>,
}

impl<'a> Row<'a> {
    pub(crate) fn of(entry: &'a Entry) -> Row<'a> {
        match entry {
            Entry::Version(v) => Row {
                originator: &v.envelope.originator,
                record_id: &v.record.id,
                schema: &v.record.schema,
                tombstone: false,
                properties: v.properties_json(),
                hash: v.hash,
                contributor: &v.envelope.contributor,
                submitted_at: &v.envelope.submitted_at,
                source_ref: &v.envelope.source_ref,
                review_by: &v.envelope.review_by,
                grading: &v.envelope.grading,
                note: None,
                source_line: v.provenance.line.and_then(|l| i64::try_from(l).ok()),
                source_cells: v.provenance.cells.as_deref(),
            },
            Entry::Tombstone(t) => Row {
                originator: &t.envelope.originator,
                record_id: &t.record_id,
                schema: &t.schema,
                tombstone: true,
                properties: "{}",
                hash: entry.hash(),
                contributor: &t.envelope.contributor,
                submitted_at: &t.envelope.submitted_at,
                source_ref: &t.envelope.source_ref,
                review_by: &t.envelope.review_by,
                grading: &t.envelope.grading,
                note: Some(&t.reason),
                source_line: None,
                source_cells: None,
            },
        }
    }
}

/// Encodes gradings as stored, once per distinct grading in a batch: a file's rows mostly share
/// one grading, and this keeps the single writer thread from re-encoding it per record.
#[derive(Default)]
pub(crate) struct GradingCache {
    encoded: HashMap<Grading, String>,
}

impl GradingCache {
    pub(crate) fn json(&mut self, grading: &Grading) -> &str {
        if !self.encoded.contains_key(grading) {
            let json = serde_json::to_string(grading).unwrap_or_else(|_| "{}".into());
            self.encoded.insert(grading.clone(), json);
        }
        self.encoded.get(grading).map_or("{}", String::as_str)
    }
}
