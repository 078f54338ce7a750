//! Which entries of a batch become log rows, with which version numbers. Shared by both
//! backends so that they cannot disagree on what "nothing new" means.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use corridor_model::{ContentHash, Grading};

use crate::{Batch, Entry, Result, StoreError};

/// A record's current version as the head index holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// Log position of the head version.
    pub pos: i64,
    pub version: i64,
    pub hash: ContentHash,
    pub tombstone: bool,
}

/// An entry to append: its version number, its log position, and the position of the version
/// it supersedes.
pub(crate) struct Planned<'a> {
    pub entry: &'a Entry,
    pub version: i64,
    pub pos: i64,
    pub prev_pos: Option<i64>,
}

/// What a batch appends.
pub(crate) struct Plan<'a> {
    pub rows: Vec<Planned<'a>>,
    /// Entries skipped because they equal the record's current version.
    pub unchanged: u64,
    /// Indexes into `rows` of each record's newest planned version: the head index rows.
    pub newest: Vec<usize>,
}

impl Plan<'_> {
    /// What appending this plan as batch `batch_id`, from position `first_pos`, did.
    pub(crate) fn outcome(&self, batch_id: i64, first_pos: i64) -> crate::BatchOutcome {
        crate::BatchOutcome {
            batch_id,
            appended: self.rows.len() as u64,
            unchanged: self.unchanged,
            log_position: first_pos - 1 + self.rows.len() as i64,
        }
    }
}

/// Decides what to append, giving positions from `first_pos` on. `lookup` reads a head from
/// the store; heads changed earlier in the same batch are tracked here, so a record sent twice
/// in one batch is handled like one sent in two batches. The caller holds the append lock, so
/// `first_pos` (one past the log's end) and the heads cannot change under it.
pub(crate) fn plan<'a>(
    batch: &'a Batch,
    first_pos: i64,
    mut lookup: impl FnMut(&str, &str) -> Result<Option<Head>>,
) -> Result<Plan<'a>> {
    // Heads as this batch leaves them, and which planned row made each.
    let mut touched: FastMap<(&'a str, &'a str), (Head, Option<usize>)> = FastMap::default();
    let mut rows: Vec<Planned<'a>> = Vec::with_capacity(batch.entries.len());
    let mut unchanged = 0u64;
    for entry in &batch.entries {
        let key = entry.key();
        let head = match touched.get(&key) {
            Some((h, _)) => Some(*h),
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
        let pos = first_pos + rows.len() as i64;
        let version = head.map_or(1, |h| h.version + 1);
        touched.insert(
            key,
            (
                Head {
                    pos,
                    version,
                    hash,
                    tombstone: matches!(entry, Entry::Tombstone(_)),
                },
                Some(rows.len()),
            ),
        );
        rows.push(Planned {
            entry,
            version,
            pos,
            prev_pos: head.map(|h| h.pos),
        });
    }
    let mut newest: Vec<usize> = touched.into_values().filter_map(|(_, i)| i).collect();
    newest.sort_unstable();
    Ok(Plan {
        rows,
        unchanged,
        newest,
    })
}

/// The column values of one log row, in [`crate::sql::SELECT_COLUMNS`] order (less pos, version and
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
    last: Option<(Grading, String)>,
    encoded: HashMap<Grading, String>,
}

impl GradingCache {
    pub(crate) fn json(&mut self, grading: &Grading) -> &str {
        // Consecutive records nearly always share a grading: compare before hashing.
        if self.last.as_ref().is_some_and(|(g, _)| g == grading) {
            return self.last.as_ref().map_or("{}", |(_, json)| json.as_str());
        }
        let json = match self.encoded.get(grading) {
            Some(json) => json.clone(),
            None => {
                let json = serde_json::to_string(grading).unwrap_or_else(|_| "{}".into());
                self.encoded.insert(grading.clone(), json.clone());
                json
            }
        };
        self.last = Some((grading.clone(), json));
        self.last.as_ref().map_or("{}", |(_, json)| json.as_str())
    }
}

/// A hash map with the FxHash function (rustc's): record keys inside one batch come from the
/// batch itself, not from an adversary choosing collisions, and SipHash showed in profiles.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// FxHash: multiply-rotate over machine words.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
