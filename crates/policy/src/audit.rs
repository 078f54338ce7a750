//! The audit log: who did what, when, from where and why, hash-chained and signed at
//! checkpoints.
//!
//! Each entry's hash is BLAKE3 over a domain tag, its sequence number, every field
//! (length-prefixed) and the previous entry's hash. Changing any byte of an entry changes its
//! hash; deleting, inserting or reordering entries breaks the sequence or the chain; rewriting
//! the chain from some entry on is caught by any later checkpoint, an ed25519 signature over an
//! entry's sequence number and hash made with a key the store does not hold. Truncating the
//! tail is caught when a checkpoint names an entry that is gone, which is why a checkpoint is
//! taken after every disclosure when a signing key is configured.

use corridor_store::{AuditCheckpoint, AuditRow, POLICY_ROWS_MAX, PolicyDoc, Store};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::Serialize;

use crate::PolicyError;

/// Longest justification, in bytes.
pub const JUSTIFICATION_BYTES_MAX: usize = 4_096;

/// Shortest justification for searches and disclosures, in characters: "x" is not a reason.
pub const JUSTIFICATION_CHARS_MIN: usize = 8;

/// Longest detail (JSON), in bytes.
pub const DETAIL_BYTES_MAX: usize = 256 * 1024;

/// Longest origin ("from where"), in bytes.
pub const ORIGIN_BYTES_MAX: usize = 256;

const ENTRY_DOMAIN: &[u8] = b"corridor audit entry v1";
const CHECKPOINT_DOMAIN: &[u8] = b"corridor audit checkpoint v1";

/// What was done. The first six are the acts data-protection law names; the rest are the
/// exchange's own steps, each of which changes who may see what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Collection,
    Alteration,
    Consultation,
    Disclosure,
    Combination,
    Erasure,
    /// A hit / no-hit search across agencies.
    Search,
    /// A request for disclosure of a hit.
    Request,
    /// The originator's answer to a request.
    Answer,
    /// A grant made or revoked.
    Grant,
    /// An agency or user added or changed.
    Directory,
    /// A login, successful or not, or a token revoked.
    Authentication,
    /// A review: a decision to retain a record past its review date, records listed as due,
    /// or records hidden because their review date passed.
    Review,
    /// A deconfliction run: operations of different agencies working one subject were found
    /// and their owners told.
    Deconfliction,
}

impl Action {
    /// The name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Collection => "collection",
            Action::Alteration => "alteration",
            Action::Consultation => "consultation",
            Action::Disclosure => "disclosure",
            Action::Combination => "combination",
            Action::Erasure => "erasure",
            Action::Search => "search",
            Action::Request => "request",
            Action::Answer => "answer",
            Action::Grant => "grant",
            Action::Directory => "directory",
            Action::Authentication => "authentication",
            Action::Review => "review",
            Action::Deconfliction => "deconfliction",
        }
    }

    /// Acts that must say why.
    pub fn needs_justification(self) -> bool {
        matches!(
            self,
            Action::Consultation
                | Action::Disclosure
                | Action::Search
                | Action::Request
                | Action::Erasure
        )
    }
}

/// An entry to append.
#[derive(Clone, Debug)]
pub struct NewEntry<'a> {
    pub actor: &'a str,
    pub agency: &'a str,
    pub origin: &'a str,
    pub action: Action,
    pub justification: &'a str,
    /// What was touched, who received it, under which conditions.
    pub detail: serde_json::Value,
}

/// The hash an entry must have.
pub fn entry_hash(row: &AuditRow) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(ENTRY_DOMAIN);
    h.update(&row.seq.to_le_bytes());
    for field in [
        row.at.as_bytes(),
        row.actor.as_bytes(),
        row.agency.as_bytes(),
        row.origin.as_bytes(),
        row.action.as_bytes(),
        row.justification.as_bytes(),
        row.detail.as_bytes(),
        &row.prev_hash,
    ] {
        h.update(&(field.len() as u64).to_le_bytes());
        h.update(field);
    }
    *h.finalize().as_bytes()
}

fn checkpoint_message(seq: i64, hash: &[u8]) -> Vec<u8> {
    let mut m = CHECKPOINT_DOMAIN.to_vec();
    m.extend_from_slice(&seq.to_le_bytes());
    m.extend_from_slice(hash);
    m
}

/// Appends an entry after the current tail and writes `docs` with it in one transaction. An
/// error means nothing was written, so the act it records must not happen.
pub fn append(
    store: &mut dyn Store,
    entry: &NewEntry<'_>,
    docs: &[PolicyDoc],
    now: i64,
) -> Result<AuditRow, PolicyError> {
    let row = next_row(store, entry, now)?;
    store.write_policy(&row, docs)?;
    Ok(row)
}

/// The entry that would follow the current tail, checked and hashed but not written: for acts
/// whose own write must carry the entry in the same transaction (an erasure).
pub fn next_row(
    store: &mut dyn Store,
    entry: &NewEntry<'_>,
    now: i64,
) -> Result<AuditRow, PolicyError> {
    let tail = store.audit_tail()?;
    row_after(
        tail.as_ref().map(|t| (t.seq, t.hash.as_slice())),
        entry,
        now,
    )
}

/// The entry that follows `prev` (its sequence number and hash; `None` for the first entry),
/// checked and hashed: entries of a group commit are chained in memory, then written together.
pub fn row_after(
    prev: Option<(i64, &[u8])>,
    entry: &NewEntry<'_>,
    now: i64,
) -> Result<AuditRow, PolicyError> {
    let justification = entry.justification.trim();
    if entry.action.needs_justification() && justification.chars().count() < JUSTIFICATION_CHARS_MIN
    {
        return Err(PolicyError::Refused(format!(
            "a {} needs a justification of at least {JUSTIFICATION_CHARS_MIN} characters",
            entry.action.as_str()
        )));
    }
    if justification.len() > JUSTIFICATION_BYTES_MAX {
        return Err(PolicyError::Refused(format!(
            "the justification has {} bytes, the limit is {JUSTIFICATION_BYTES_MAX}",
            justification.len()
        )));
    }
    if entry.origin.len() > ORIGIN_BYTES_MAX {
        return Err(PolicyError::Refused(format!(
            "the origin has {} bytes, the limit is {ORIGIN_BYTES_MAX}",
            entry.origin.len()
        )));
    }
    let detail = entry.detail.to_string();
    if detail.len() > DETAIL_BYTES_MAX {
        return Err(PolicyError::Refused(format!(
            "the audit detail has {} bytes, the limit is {DETAIL_BYTES_MAX}",
            detail.len()
        )));
    }
    let (seq, prev_hash) = match prev {
        Some((seq, hash)) => (seq + 1, hash.to_vec()),
        None => (1, vec![0; 32]),
    };
    let mut row = AuditRow {
        seq,
        at: corridor_store::format_unix_seconds(now),
        actor: entry.actor.to_owned(),
        agency: entry.agency.to_owned(),
        origin: entry.origin.to_owned(),
        action: entry.action.as_str().to_owned(),
        justification: justification.to_owned(),
        detail,
        prev_hash,
        hash: Vec::new(),
    };
    row.hash = entry_hash(&row).to_vec();
    Ok(row)
}

/// Signs the current tail of the log. `None` when the log is empty.
pub fn checkpoint(
    store: &mut dyn Store,
    key: &SigningKey,
    now: i64,
) -> Result<Option<AuditCheckpoint>, PolicyError> {
    let Some(tail) = store.audit_tail()? else {
        return Ok(None);
    };
    let signature = key.sign(&checkpoint_message(tail.seq, &tail.hash));
    let c = AuditCheckpoint {
        seq: tail.seq,
        hash: tail.hash,
        public_key: key.verifying_key().to_bytes().to_vec(),
        signature: signature.to_bytes().to_vec(),
        signed_at: corridor_store::format_unix_seconds(now),
    };
    let latest = store
        .audit_checkpoints(tail.seq - 1, 1)?
        .into_iter()
        .any(|x| x.seq == tail.seq);
    if !latest {
        store.add_audit_checkpoint(&c)?;
    }
    Ok(Some(c))
}

/// The first entry found wrong, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The sequence number where the log stops being trustworthy.
    pub seq: i64,
    pub reason: String,
}

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// Checkpoints whose signature and entry were checked.
    pub checkpoints: u64,
    /// The last entry's sequence number and hash (hex), when there is one.
    pub tail: Option<(i64, String)>,
    /// `None` when the whole log is intact.
    pub broken: Option<Broken>,
}

/// Checks the whole chain and every checkpoint. With `trusted`, a checkpoint signed by any
/// other key is a break (whoever can write the store could otherwise sign a rewritten chain
/// with a key of their own); without it, signatures are checked against the key stored
/// beside them, which catches accidents but not a determined forger.
pub fn verify(
    store: &mut dyn Store,
    trusted: Option<&VerifyingKey>,
) -> Result<VerifyReport, PolicyError> {
    let mut checkpoints = Vec::new();
    let mut after = 0;
    loop {
        let page = store.audit_checkpoints(after, POLICY_ROWS_MAX)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        checkpoints.extend(page);
    }
    let mut report = VerifyReport {
        entries: 0,
        checkpoints: 0,
        tail: None,
        broken: None,
    };
    let mut bad: Option<Broken> = None;
    fn note_in(bad: &mut Option<Broken>, seq: i64, reason: String) {
        if bad.as_ref().is_none_or(|b| seq < b.seq) {
            *bad = Some(Broken { seq, reason });
        }
    }
    // Signatures first: a checkpoint that does not verify vouches for nothing.
    let mut vouched = std::collections::BTreeMap::new();
    for c in &checkpoints {
        match check_signature(c, trusted) {
            Ok(()) => {
                vouched.insert(c.seq, c.hash.clone());
            }
            Err(reason) => note_in(&mut bad, c.seq, reason),
        }
    }
    let mut prev_hash = vec![0u8; 32];
    let mut expected = 1i64;
    let mut after = 0;
    'pages: loop {
        let page = store.audit_entries(after, POLICY_ROWS_MAX)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in page {
            report.entries += 1;
            if row.seq != expected {
                note_in(
                    &mut bad,
                    expected.min(row.seq),
                    format!(
                        "entry {expected} was expected but entry {} follows: entries were \
                         deleted, inserted or reordered",
                        row.seq
                    ),
                );
                break 'pages;
            }
            if row.prev_hash != prev_hash {
                note_in(
                    &mut bad,
                    row.seq,
                    "its link to the previous entry is wrong: an entry before it was changed, \
                     removed or moved"
                        .into(),
                );
                break 'pages;
            }
            if entry_hash(&row).as_slice() != row.hash {
                note_in(
                    &mut bad,
                    row.seq,
                    "its content does not match its hash: the entry was edited".into(),
                );
                break 'pages;
            }
            if let Some(h) = vouched.get(&row.seq) {
                report.checkpoints += 1;
                if *h != row.hash {
                    note_in(
                        &mut bad,
                        row.seq,
                        "it differs from the signed checkpoint: the chain was rewritten from \
                         here or earlier"
                            .into(),
                    );
                    break 'pages;
                }
            }
            prev_hash = row.hash.clone();
            report.tail = Some((row.seq, hex(&row.hash)));
            expected += 1;
        }
    }
    let end = expected - 1;
    if let Some((&seq, _)) = vouched.range(end + 1..).next()
        && bad.is_none()
    {
        note_in(
            &mut bad,
            end + 1,
            format!(
                "the log ends at entry {end} but a signed checkpoint covers entry {seq}: the \
                 tail was truncated"
            ),
        );
    }
    report.broken = bad;
    Ok(report)
}

fn check_signature(c: &AuditCheckpoint, trusted: Option<&VerifyingKey>) -> Result<(), String> {
    let key_bytes: [u8; 32] = c
        .public_key
        .as_slice()
        .try_into()
        .map_err(|_| format!("checkpoint at entry {}: public key is not 32 bytes", c.seq))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|e| format!("checkpoint at entry {}: bad public key: {e}", c.seq))?;
    if let Some(t) = trusted
        && t.as_bytes() != key.as_bytes()
    {
        return Err(format!(
            "checkpoint at entry {} is signed by key {}, not the trusted key",
            c.seq,
            hex(key.as_bytes())
        ));
    }
    let sig_bytes: [u8; 64] = c
        .signature
        .as_slice()
        .try_into()
        .map_err(|_| format!("checkpoint at entry {}: signature is not 64 bytes", c.seq))?;
    key.verify(
        &checkpoint_message(c.seq, &c.hash),
        &Signature::from_bytes(&sig_bytes),
    )
    .map_err(|_| {
        format!(
            "checkpoint at entry {}: the signature does not verify",
            c.seq
        )
    })
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a 32-byte key written as 64 hex digits.
pub fn parse_key_hex(text: &str) -> Result<[u8; 32], PolicyError> {
    let t = text.trim();
    let bad = || PolicyError::Refused("a key must be 64 hexadecimal digits".into());
    if t.len() != 64 || !t.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}
