//! The audit log and the policy documents, as the store keeps them. The store only keeps them:
//! what an entry's hash covers, what a grant means and who may see what are decided by the
//! policy layer (`corridor-policy`), which is the only writer.

use crate::{Result, StoreError};

/// Most audit entries, checkpoints or policy documents one read returns.
pub const POLICY_ROWS_MAX: usize = 10_000;

/// Largest policy document body, in bytes.
pub const POLICY_DOC_BYTES_MAX: usize = 1 << 20;

/// One audit entry as stored. `hash` commits to every other field and to `prev_hash`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// 1 for the first entry, then one more than the entry before.
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The user who acted.
    pub actor: String,
    /// The user's agency.
    pub agency: String,
    /// From where (host, terminal, address).
    pub origin: String,
    /// What kind of act (`consultation`, `disclosure`, …).
    pub action: String,
    /// Why, in the user's words (mandatory for searches and disclosures).
    pub justification: String,
    /// What was touched and who received it (JSON).
    pub detail: String,
    /// The previous entry's hash (32 zero bytes for the first).
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    pub hash: Vec<u8>,
}

/// A signed checkpoint: the signer vouches for the chain up to entry `seq`, whose hash is `hash`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCheckpoint {
    pub seq: i64,
    pub hash: Vec<u8>,
    /// The ed25519 public key that signed (32 bytes).
    pub public_key: Vec<u8>,
    /// The ed25519 signature (64 bytes).
    pub signature: Vec<u8>,
    pub signed_at: String,
}

/// A policy document: an agency, a user, a grant, a hit or a request, as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDoc {
    /// `agency`, `user`, `grant`, `hit`, `request`, …
    pub kind: String,
    pub id: String,
    pub body: String,
}

pub(crate) fn check_docs(docs: &[PolicyDoc]) -> Result<()> {
    if docs.len() > POLICY_ROWS_MAX {
        return Err(StoreError::Invalid(format!(
            "{} policy documents in one write, the limit is {POLICY_ROWS_MAX}",
            docs.len()
        )));
    }
    for d in docs {
        if d.body.len() > POLICY_DOC_BYTES_MAX {
            return Err(StoreError::Invalid(format!(
                "policy document {}/{} has {} bytes, the limit is {POLICY_DOC_BYTES_MAX}",
                d.kind,
                d.id,
                d.body.len()
            )));
        }
    }
    Ok(())
}

pub(crate) fn check_batch(writes: &[(AuditRow, Vec<PolicyDoc>)]) -> Result<()> {
    if writes.len() > POLICY_ROWS_MAX {
        return Err(StoreError::Invalid(format!(
            "{} audit entries in one write, the limit is {POLICY_ROWS_MAX}",
            writes.len()
        )));
    }
    let docs: usize = writes.iter().map(|(_, d)| d.len()).sum();
    if docs > POLICY_ROWS_MAX {
        return Err(StoreError::Invalid(format!(
            "{docs} policy documents in one write, the limit is {POLICY_ROWS_MAX}"
        )));
    }
    for (_, d) in writes {
        check_docs(d)?;
    }
    Ok(())
}

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log
    (seq, at, actor, agency, origin, action, justification, detail, prev_hash, hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

pub(crate) const AUDIT_COLUMNS: &str =
    "seq, at, actor, agency, origin, action, justification, detail, prev_hash, hash";

pub(crate) const UPSERT_DOC: &str = "INSERT INTO policy_docs (kind, id, body, updated_at)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at";

pub(crate) const INSERT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints
    (seq, hash, public_key, signature, signed_at) VALUES ($1, $2, $3, $4, $5)";

pub(crate) const CHECKPOINTS: &str = "SELECT seq, hash, public_key, signature, signed_at
    FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2";

pub(crate) const DOCS: &str = "SELECT kind, id, body FROM policy_docs
    WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3";

pub(crate) const DOC: &str = "SELECT kind, id, body FROM policy_docs WHERE kind = $1 AND id = $2";

pub(crate) fn audit_entries_sql() -> String {
    format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
}

pub(crate) fn audit_tail_sql() -> String {
    format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1")
}

/// Positions of every version of ($1 originator, $2 record id): the chain from the head back.
pub(crate) const ERASE_POSITIONS: &str = "WITH RECURSIVE chain (pos, depth) AS (
       SELECT pos, 0 FROM record_heads WHERE originator = $1 AND record_id = $2
       UNION ALL
       SELECT l.prev_pos, c.depth + 1 FROM record_log l JOIN chain c ON l.pos = c.pos
       WHERE l.prev_pos IS NOT NULL AND c.depth < 1000000)
     SELECT pos FROM chain ORDER BY pos";

pub(crate) const INSERT_ERASURE: &str = "INSERT INTO erasures
    (originator, record_id, through_pos, versions, audit_seq, erased_at)
    VALUES ($1, $2, $3, $4, $5, $6)";

pub(crate) const DELETE_VERSION: &str = "DELETE FROM record_log WHERE pos = $1";

pub(crate) const DELETE_HEAD: &str =
    "DELETE FROM record_heads WHERE originator = $1 AND record_id = $2";

/// Subjects are derived: an erased record leaves its subject, and links through it go.
pub(crate) const DELETE_ERASED_MEMBER: &str =
    "DELETE FROM subject_members WHERE originator = $1 AND record_id = $2";

pub(crate) const UNLINK_ERASED_MEMBER: &str = "UPDATE subject_members
    SET via_originator = NULL, via_record_id = NULL, weight = NULL
    WHERE via_originator = $1 AND via_record_id = $2";

pub(crate) const ERASURES: &str = "SELECT originator, record_id, through_pos, versions, audit_seq,
    erased_at FROM erasures WHERE audit_seq > $1 ORDER BY audit_seq LIMIT $2";

/// A recorded erasure: which record, how many versions, and the audit entry that records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Erasure {
    pub record: crate::RecordKey,
    /// Versions at or below this log position were erased.
    pub through_pos: i64,
    pub versions: u64,
    pub audit_seq: i64,
    pub erased_at: String,
}
