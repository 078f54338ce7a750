//! Sharing under the originator's control: principals, grants, the one decision function, the
//! hash-chained audit log, hit / no-hit discovery and disclosure requests.
//!
//! [`PolicyStore`] is the only way this crate hands records to a principal. It wraps a
//! [`Store`], and every read goes `decide` → audit → disclose: a [`ReadCapability`] (which only
//! this crate can construct) is minted when [`decide`] allows, the disclosure is written to the
//! audit log, and only then is the record fetched and returned with its conditions. If the
//! audit write fails, nothing is disclosed.
//!
//! ```
//! use corridor_policy::{Agency, PolicyStore, Role, User};
//! let mut store = corridor_store::SqliteStore::open_in_memory().unwrap();
//! let mut policy = PolicyStore::open(&mut store).unwrap();
//! policy.register_agency("localhost", Agency {
//!     code: "RS_BP".into(), country: "rs".into(), name: "Border Police".into(),
//!     contact: "desk@example.rs".into(),
//! }, 0).unwrap();
//! assert!(policy.directory().agency("RS_BP").is_some());
//! ```

pub mod audit;
mod auth;
pub mod collect;
mod decide;
mod deconflict;
mod discovery;
pub mod explain;
mod grant;
mod group;
pub mod ledger;
mod principal;
pub mod review;
pub mod serve;

use std::collections::BTreeMap;

use corridor_model::{Envelope, Record};
use corridor_store::{PolicyDoc, RecordKey, Store, StoreError, StoredVersion};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use crate::audit::{Action, Broken, VerifyReport};
pub use crate::auth::{PASSWORD_BYTES_MAX, PASSWORD_CHARS_MIN, TOKEN_SECONDS_MAX, TokenInfo};
pub use crate::decide::{
    Decision, DenyReason, RecordMeta, decide, decide_reviewed, handling_conditions,
};
pub use crate::deconflict::{
    DECONFLICT_LINKS_MAX, DECONFLICT_NOTICES_MAX, DECONFLICT_TARGETS_MAX, DeconflictReport,
    KEYED_KINDS, NewOperation, OPERATION_TARGETS_MAX, OPERATION_TEXT_BYTES_MAX, OPERATIONS_MAX,
    Operation,
};
pub use crate::discovery::{Band, QUERY_FIELD_BYTES_MAX, Query, SEARCH_CANDIDATES_MAX};
pub use crate::grant::{
    EuCeiling, GRANT_CONDITIONS_BYTES_MAX, Grant, HandlingCeiling, OPERATION_RECORDS_MAX, Scope,
    TlpCeiling, is_restricted,
};
pub use crate::group::SharedPolicy;
pub use crate::principal::{Agency, Directory, ID_BYTES_MAX, Principal, Role, User, check_id};
pub use crate::review::{DueRecord, RetainDecision, Retention, ReviewState, SweepReport};

/// Why a policy operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The act is not allowed, or its input is invalid; nothing was done.
    #[error("refused: {0}")]
    Refused(String),
    #[error("stored policy data is corrupt: {0}")]
    Corrupt(String),
}

/// Result of policy operations.
pub type Result<T, E = PolicyError> = std::result::Result<T, E>;

/// Longest grant from an approved request, in seconds (a year).
pub const REQUEST_GRANT_SECONDS_MAX: i64 = 366 * 86_400;

/// Who is acting, from where, and when (Unix seconds).
#[derive(Clone, Debug)]
pub struct Context {
    pub user: String,
    /// Host, terminal or address the act came from, for the audit log.
    pub origin: String,
    pub now: i64,
}

/// Permission to read one record, for one user, with conditions. Only this crate constructs
/// it (the seal field is private), and only from an [`Decision::Allow`].
#[derive(Debug)]
pub struct ReadCapability {
    key: RecordKey,
    user: String,
    conditions: Vec<String>,
    _seal: (),
}

impl ReadCapability {
    /// The record the capability is for.
    pub fn key(&self) -> &RecordKey {
        &self.key
    }
    /// The user it was issued to.
    pub fn user(&self) -> &str {
        &self.user
    }
}

/// A record disclosed to a principal, with the conditions that travel with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    record: Record,
    envelope: Envelope,
    conditions: Vec<String>,
    audit_seq: i64,
}

impl Disclosure {
    pub fn record(&self) -> &Record {
        &self.record
    }
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }
    /// The grant's conditions and the record's own handling conditions.
    pub fn conditions(&self) -> &[String] {
        &self.conditions
    }
    /// The audit entry that records this disclosure.
    pub fn audit_seq(&self) -> i64 {
        self.audit_seq
    }
}

/// A hit without content: which agency holds something, how it is graded and whom to ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// Opaque reference to quote in a request.
    pub hit_ref: String,
    pub agency: String,
    pub agency_name: String,
    pub contact: String,
    /// Matching records.
    pub records: usize,
    /// The strongest band among them.
    pub band: Band,
    /// Their gradings, in the originator's code system, distinct.
    pub gradings: Vec<String>,
}

/// What a search returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SearchAnswer {
    /// Records the searcher may read (through [`PolicyStore::read`]), with their band.
    #[serde(serialize_with = "keys_as_text")]
    pub readable: Vec<(RecordKey, Band)>,
    /// Hits at agencies that allow discovery but not disclosure.
    pub hits: Vec<Hit>,
    /// The audit entry of the search.
    pub audit_seq: i64,
}

fn keys_as_text<S: serde::Serializer>(
    keys: &[(RecordKey, Band)],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(keys.iter().map(|(k, b)| (k.to_string(), b)))
}

/// Most searches [`PolicyStore::search_batch`] takes at once.
pub const SEARCH_BATCH_MAX: usize = 256;

/// One search of a [`PolicyStore::search_batch`].
#[derive(Clone, Copy, Debug)]
pub struct SearchCall<'a> {
    pub ctx: &'a Context,
    pub query: &'a Query,
    pub justification: &'a str,
}

/// A search decided but not yet audited: its answer, and what its audit entry will say.
struct PreparedSearch {
    answer: SearchAnswer,
    agency: String,
    detail: serde_json::Value,
    docs: Vec<PolicyDoc>,
}

impl PreparedSearch {
    fn entry<'a>(&'a self, ctx: &'a Context, justification: &'a str) -> audit::NewEntry<'a> {
        audit::NewEntry {
            actor: &ctx.user,
            agency: &self.agency,
            origin: &ctx.origin,
            action: Action::Search,
            justification,
            detail: self.detail.clone(),
        }
    }
}

/// What [`PolicyStore::read`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Disclosed(Disclosure),
    /// The originator allows discovery only: no content.
    HitOnly {
        agency: String,
        contact: String,
        grading: String,
    },
    /// No access, or no such record: the two are not told apart.
    Denied,
}

/// A stored hit: what a request refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HitDoc {
    id: String,
    searcher: String,
    searcher_agency: String,
    originator: String,
    record_ids: Vec<String>,
    at: i64,
}

/// Where a request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", deny_unknown_fields)]
pub enum RequestStatus {
    Pending,
    Approved { grant_ids: Vec<String> },
    Refused { reason: String },
}

/// A request for disclosure of a hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureRequest {
    pub id: String,
    pub hit_ref: String,
    pub requester: String,
    pub requester_agency: String,
    /// The originator, who alone answers.
    pub originator: String,
    /// The records of the hit (kept from the requester, who sees only the hit).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    record_ids: Vec<String>,
    pub justification: String,
    pub at: i64,
    pub status: RequestStatus,
    /// Pending longer than the originator's `request_remind_hours` when it was listed (set by
    /// [`PolicyStore::requests`]; never stored).
    #[serde(skip)]
    pub overdue: bool,
}

/// The originator's answer to a request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Disclose to the requester, under these conditions, until `expires_at` (Unix seconds).
    Approve {
        conditions: String,
        expires_at: i64,
    },
    /// Disclose only some of the hit's records (by id, each one of the request's), under
    /// these conditions, until `expires_at`.
    Partial {
        record_ids: Vec<String>,
        conditions: String,
        expires_at: i64,
    },
    Refuse {
        reason: String,
    },
}

/// A new grant, as its grantor describes it. The grantor is always the acting user's agency.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub recipient: String,
    pub named_users: Vec<String>,
    pub scope: Scope,
    pub conditions: String,
    pub expires_at: i64,
}

const KIND_AGENCY: &str = "agency";
const KIND_USER: &str = "user";
const KIND_GRANT: &str = "grant";
const KIND_HIT: &str = "hit";
const KIND_REQUEST: &str = "request";
const KIND_NOTICE: &str = "notice";

/// A deconfliction notice: an operation's search met another agency's records. Both agencies
/// see it; the holding agency learns who searched and for which operations, the searching
/// agency only whom to call (it learns nothing of the records it could not see).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub id: String,
    pub searching_agency: String,
    pub searcher: String,
    /// The searcher's operations.
    pub operations: Vec<String>,
    pub holding_agency: String,
    /// The holding agency's records that matched (cleared for the searching agency).
    #[serde(default)]
    pub record_ids: Vec<String>,
    pub at: i64,
    /// Why the notice was written: a search (the fields above as named), or a deconfliction
    /// run, where `searching_agency`, `searcher` and `operations` are the side told (its
    /// agency, its operation's owner, its operation) and `holding_agency` the other side.
    #[serde(default)]
    pub cause: NoticeCause,
    /// Deconfliction: the resolved subject both operations work (an opaque id, `P-0000042`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject_id: String,
    /// Deconfliction: how they overlap (`same subject`, `shared phone`, `shared vehicle`, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub overlap: String,
    /// Deconfliction: whom to call, the other operation's contact.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact: String,
}

/// Why a [`Notice`] was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeCause {
    /// A search for an operation met another agency's records.
    #[default]
    Search,
    /// Two agencies' operations work one resolved subject ([`PolicyStore::deconflict`]).
    Deconfliction,
    /// A disclosure request has waited for the agency's answer longer than its
    /// `request_remind_hours` (a reminder for its supervisors; made when notices are listed,
    /// never stored: it goes away with the answer). `id` is the request's, `searching_agency`
    /// and `searcher` the requester, `holding_agency` the agency that must answer.
    RequestWaiting,
}

/// The policy layer over a store: the only path from the store to a principal.
pub struct PolicyStore<'s> {
    store: StoreHandle<'s>,
    directory: Directory,
    grants: Vec<Grant>,
    /// Stored documents that failed to load: they grant nothing (fail closed).
    skipped: Vec<String>,
    signer: Option<SigningKey>,
    index: Option<discovery::Index>,
    /// The newest erasure's audit entry the discovery index reflects: an erasure can leave the
    /// log position unchanged, so the position alone does not say the index is current.
    index_erasure_seq: i64,
    /// Agencies' retention rules and decisions to retain.
    reviews: review::Reviews,
    /// Set while a [`SharedPolicy::read`] runs: audit entries are chained here in memory and
    /// committed by the caller, in a group with other threads' entries, before any answer
    /// leaves. `None`: every entry is written, and synced, as it is made.
    deferred: Option<Deferred>,
}

/// Audit entries chained in memory but not yet written (see [`SharedPolicy::read`]).
#[derive(Default)]
pub(crate) struct Deferred {
    /// The chain's end: the last entry decided, written or not (sequence number, hash);
    /// `None` for an empty log.
    pub(crate) tail: Option<(i64, Vec<u8>)>,
    /// The entries and the policy documents written with each, in chain order.
    pub(crate) rows: Vec<(corridor_store::AuditRow, Vec<PolicyDoc>)>,
    /// A disclosure asked for a signed checkpoint (at this time) once its entry is durable.
    pub(crate) checkpoint_at: Option<i64>,
}

/// The store a [`PolicyStore`] guards: lent by a caller (the CLI, tests) or owned outright (a
/// long-lived server, which keeps one policy layer for its whole life so that the directory,
/// grants and discovery index are loaded once).
enum StoreHandle<'s> {
    Borrowed(&'s mut dyn Store),
    Owned(Box<dyn Store + 's>),
}

impl<'s> std::ops::Deref for StoreHandle<'s> {
    type Target = dyn Store + 's;
    fn deref(&self) -> &Self::Target {
        match self {
            StoreHandle::Borrowed(s) => &**s,
            StoreHandle::Owned(s) => s.as_ref(),
        }
    }
}

impl<'s> std::ops::DerefMut for StoreHandle<'s> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            StoreHandle::Borrowed(s) => &mut **s,
            StoreHandle::Owned(s) => s.as_mut(),
        }
    }
}

// A server keeps its one policy layer behind a lock shared across threads; that needs `Send`.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<PolicyStore<'static>>();
};

fn load_all(store: &mut dyn Store, kind: &str) -> Result<Vec<PolicyDoc>> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let page = store.policy_docs(kind, &after, corridor_store::POLICY_ROWS_MAX)?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        out.extend(page);
    }
    Ok(out)
}

fn doc<T: Serialize>(kind: &str, id: &str, body: &T) -> Result<PolicyDoc> {
    Ok(PolicyDoc {
        kind: kind.into(),
        id: id.into(),
        body: serde_json::to_string(body)
            .map_err(|e| PolicyError::Corrupt(format!("{kind} {id}: {e}")))?,
    })
}

/// A new document id: the prefix, then the time (seconds) and a hash of what the document is
/// about and where the audit chain stood.
///
/// The time comes first, in fixed-width hex, so that ids sort by when they were made: a hit
/// and a notice are written with every hit-only search, and ids that all land at the end of
/// the documents' index touch a few pages there, where hashed ids touched a random page of a
/// large index each (read in, dirtied, written to the log) on every commit.
fn new_id(prefix: &str, parts: &[&str], now: i64, seq_hint: i64) -> String {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.update(&now.to_le_bytes());
    h.update(&seq_hint.to_le_bytes());
    let at = now.clamp(0, i64::from(u32::MAX));
    format!(
        "{prefix}-{at:08x}{}",
        &audit::hex(h.finalize().as_bytes())[..16]
    )
}

impl<'s> PolicyStore<'s> {
    /// Loads agencies, users and grants from the store. A document that does not parse or
    /// check is skipped (and listed in [`PolicyStore::skipped`]): it then grants nothing.
    pub fn open(store: &'s mut dyn Store) -> Result<Self> {
        Self::open_handle(StoreHandle::Borrowed(store))
    }

    fn open_handle(mut handle: StoreHandle<'s>) -> Result<Self> {
        let store: &mut dyn Store = &mut *handle;
        // One audit commit per act: a large page cache only slows each commit down.
        store.prefer_small_commits()?;
        let mut directory = Directory::new();
        let mut skipped = Vec::new();
        for d in load_all(store, KIND_AGENCY)? {
            match serde_json::from_str::<Agency>(&d.body) {
                Ok(a) if a.code == d.id => {
                    if let Err(e) = directory.add_agency(a) {
                        skipped.push(format!("agency {}: {e}", d.id));
                    }
                }
                Ok(_) => skipped.push(format!("agency {}: id differs from code", d.id)),
                Err(e) => skipped.push(format!("agency {}: {e}", d.id)),
            }
        }
        for d in load_all(store, KIND_USER)? {
            match serde_json::from_str::<User>(&d.body) {
                Ok(u) if u.id == d.id => {
                    if let Err(e) = directory.add_user(u) {
                        skipped.push(format!("user {}: {e}", d.id));
                    }
                }
                Ok(_) => skipped.push(format!("user {}: id differs", d.id)),
                Err(e) => skipped.push(format!("user {}: {e}", d.id)),
            }
        }
        let mut grants = Vec::new();
        for d in load_all(store, KIND_GRANT)? {
            match serde_json::from_str::<Grant>(&d.body) {
                Ok(g) if g.id == d.id => grants.push(g),
                Ok(_) => skipped.push(format!("grant {}: id differs", d.id)),
                Err(e) => skipped.push(format!("grant {}: {e}", d.id)),
            }
        }
        let mut reviews = review::Reviews::default();
        for d in load_all(store, review::KIND_RETENTION)? {
            match serde_json::from_str::<Retention>(&d.body) {
                Ok(r) if r.agency == d.id => {
                    reviews.rules.insert(r.agency.clone(), r);
                }
                Ok(_) => skipped.push(format!("retention {}: id differs", d.id)),
                Err(e) => skipped.push(format!("retention {}: {e}", d.id)),
            }
        }
        for d in load_all(store, review::KIND_RETAIN)? {
            match serde_json::from_str::<RetainDecision>(&d.body) {
                Ok(r) if format!("{}/{}", r.originator, r.record_id) == d.id => {
                    reviews
                        .retained
                        .insert((r.originator.clone(), r.record_id.clone()), r);
                }
                Ok(_) => skipped.push(format!("retain {}: id differs", d.id)),
                Err(e) => skipped.push(format!("retain {}: {e}", d.id)),
            }
        }
        Ok(PolicyStore {
            store: handle,
            directory,
            grants,
            skipped,
            signer: None,
            index: None,
            index_erasure_seq: 0,
            reviews,
            deferred: None,
        })
    }

    /// Like [`PolicyStore::open`], but the policy layer owns the store: for a server that keeps
    /// one policy layer (behind a lock) for its whole life. Nothing else can reach the store.
    pub fn open_owned(store: Box<dyn Store>) -> Result<PolicyStore<'static>> {
        PolicyStore::open_handle(StoreHandle::Owned(store))
    }

    /// Signs a checkpoint of the audit log after every disclosure and every grant.
    pub fn with_signer(mut self, key: SigningKey) -> Self {
        self.signer = Some(key);
        self
    }

    /// The agencies and users.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Every grant, in force or not.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// Stored documents that were not loaded, and why.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    fn checkpoint(&mut self, now: i64) -> Result<()> {
        if let Some(d) = &mut self.deferred {
            // Signed once the entries it covers are durable (by the group commit).
            if self.signer.is_some() {
                d.checkpoint_at = Some(now);
            }
            return Ok(());
        }
        if let Some(key) = &self.signer {
            audit::checkpoint(&mut *self.store, key, now)?;
        }
        Ok(())
    }

    /// Audits a read: the entry is written now or, inside [`SharedPolicy::read`], chained in
    /// memory for the group commit that must finish before the answer leaves.
    fn audit_read(
        &mut self,
        entry: &audit::NewEntry<'_>,
        docs: &[PolicyDoc],
        now: i64,
    ) -> Result<corridor_store::AuditRow> {
        let Some(d) = &mut self.deferred else {
            return audit::append(&mut *self.store, entry, docs, now);
        };
        let row = audit::row_after(d.tail.as_ref().map(|(s, h)| (*s, h.as_slice())), entry, now)?;
        d.tail = Some((row.seq, row.hash.clone()));
        d.rows.push((row.clone(), docs.to_vec()));
        Ok(row)
    }

    /// Audits an act that changes what the policy layer holds (a grant, a request, a user…):
    /// written and synced now, never deferred, because the in-memory state it changes must not
    /// be seen by other threads before the store holds it. Refused inside
    /// [`SharedPolicy::read`] (fail closed: the caller chose the wrong path).
    fn audit_act(
        &mut self,
        entry: &audit::NewEntry<'_>,
        docs: &[PolicyDoc],
        now: i64,
    ) -> Result<corridor_store::AuditRow> {
        self.refuse_deferred()?;
        audit::append(&mut *self.store, entry, docs, now)
    }

    /// Errs inside [`SharedPolicy::read`], for acts that must commit on their own.
    fn refuse_deferred(&self) -> Result<()> {
        if self.deferred.is_some() {
            return Err(PolicyError::Refused(
                "this act changes policy state and must be committed on its own, not inside a \
                 group-committed read"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Starts deferring read audits, chained after `tail` (see [`SharedPolicy::read`]).
    pub(crate) fn begin_deferred(&mut self, tail: Option<(i64, Vec<u8>)>) {
        debug_assert!(self.deferred.is_none(), "deferred reads do not nest");
        self.deferred = Some(Deferred {
            tail,
            ..Deferred::default()
        });
    }

    /// Stops deferring and hands over the entries made meanwhile.
    pub(crate) fn end_deferred(&mut self) -> Deferred {
        self.deferred.take().unwrap_or_default()
    }

    /// The signing key, for checkpoints made after a group commit.
    pub(crate) fn signer(&self) -> Option<&SigningKey> {
        self.signer.as_ref()
    }

    fn principal(&self, user: &str) -> Result<Principal<'_>> {
        self.directory
            .principal(user)
            .ok_or_else(|| PolicyError::Refused(format!("user '{user}' is unknown or suspended")))
    }

    /// Adds or replaces an agency (the administrator's path, audited as `system`).
    pub fn register_agency(&mut self, origin: &str, agency: Agency, now: i64) -> Result<()> {
        let mut next = self.directory.clone();
        next.add_agency(agency.clone())
            .map_err(PolicyError::Refused)?;
        let d = doc(KIND_AGENCY, &agency.code, &agency)?;
        self.audit_act(
            &audit::NewEntry {
                actor: "system",
                agency: &agency.code,
                origin,
                action: Action::Directory,
                justification: "",
                detail: json!({"agency": agency}),
            },
            &[d],
            now,
        )?;
        self.directory = next;
        Ok(())
    }

    /// Adds or replaces a user (the administrator's path, audited as `system`).
    pub fn register_user(&mut self, origin: &str, user: User, now: i64) -> Result<()> {
        let mut next = self.directory.clone();
        next.add_user(user.clone()).map_err(PolicyError::Refused)?;
        let d = doc(KIND_USER, &user.id, &user)?;
        self.audit_act(
            &audit::NewEntry {
                actor: "system",
                agency: &user.agency,
                origin,
                action: Action::Directory,
                justification: "",
                detail: json!({"user": user}),
            },
            &[d],
            now,
        )?;
        self.directory = next;
        Ok(())
    }

    /// Decides what `user` may learn of a stored version.
    fn decide_version(&self, user: &str, v: &StoredVersion, now: i64) -> Decision {
        let meta = RecordMeta {
            originator: &v.envelope.originator,
            record_id: &v.record.id,
            schema: &v.record.schema,
            grading: &v.envelope.grading,
        };
        let past_review = self.reviews.hidden(
            meta.originator,
            meta.record_id,
            &v.envelope.review_by,
            review::day_of(now),
        );
        decide_reviewed(
            self.directory.principal(user),
            self.directory.agency(meta.originator).is_some(),
            &meta,
            past_review,
            &self.grants,
            now,
        )
    }

    fn authorize(&self, user: &str, v: &StoredVersion, now: i64) -> Option<ReadCapability> {
        match self.decide_version(user, v, now) {
            Decision::Allow { conditions } => Some(ReadCapability {
                key: RecordKey::new(&v.envelope.originator, &v.record.id),
                user: user.to_owned(),
                conditions,
                _seal: (),
            }),
            _ => None,
        }
    }

    /// Reads a record's current version for `ctx.user`. A disclosure is written to the audit
    /// log (with recipients and conditions) before the record is returned; if that write
    /// fails, the error is returned and nothing is disclosed.
    pub fn read(&mut self, ctx: &Context, key: &RecordKey, justification: &str) -> Result<Access> {
        let p = self.principal(&ctx.user)?;
        let agency = p.agency.code.clone();
        let head = self
            .store
            .head(&key.originator, &key.record_id)?
            .filter(|v| !v.tombstone);
        let Some(v) = head else {
            self.audit_denied(ctx, &agency, key, justification)?;
            return Ok(Access::Denied);
        };
        if let Some(cap) = self.authorize(&ctx.user, &v, ctx.now) {
            return self
                .disclose(ctx, &agency, cap, v, justification)
                .map(Access::Disclosed);
        }
        match self.decide_version(&ctx.user, &v, ctx.now) {
            Decision::HitOnly => {
                let a = self.directory.agency(&v.envelope.originator);
                let contact = a.map(|a| a.contact.clone()).unwrap_or_default();
                self.audit_read(
                    &audit::NewEntry {
                        actor: &ctx.user,
                        agency: &agency,
                        origin: &ctx.origin,
                        action: Action::Consultation,
                        justification,
                        detail: json!({"record": key.to_string(), "outcome": "hit_only"}),
                    },
                    &[],
                    ctx.now,
                )?;
                Ok(Access::HitOnly {
                    agency: v.envelope.originator.clone(),
                    contact,
                    grading: v.envelope.grading.to_string(),
                })
            }
            _ => {
                self.audit_denied(ctx, &agency, key, justification)?;
                Ok(Access::Denied)
            }
        }
    }

    fn audit_denied(
        &mut self,
        ctx: &Context,
        agency: &str,
        key: &RecordKey,
        justification: &str,
    ) -> Result<()> {
        self.audit_read(
            &audit::NewEntry {
                actor: &ctx.user,
                agency,
                origin: &ctx.origin,
                action: Action::Consultation,
                justification,
                detail: json!({"record": key.to_string(), "outcome": "denied"}),
            },
            &[],
            ctx.now,
        )?;
        Ok(())
    }

    /// The only place a record leaves for a principal: it takes the capability, audits, then
    /// hands over the version it was decided on.
    fn disclose(
        &mut self,
        ctx: &Context,
        agency: &str,
        cap: ReadCapability,
        v: StoredVersion,
        justification: &str,
    ) -> Result<Disclosure> {
        let own = agency == cap.key.originator;
        let row = self.audit_read(
            &audit::NewEntry {
                actor: &ctx.user,
                agency,
                origin: &ctx.origin,
                action: if own {
                    Action::Consultation
                } else {
                    Action::Disclosure
                },
                justification,
                detail: json!({
                    "record": cap.key.to_string(),
                    "version": v.version,
                    "recipients": {"agency": agency, "users": [cap.user]},
                    "conditions": cap.conditions,
                }),
            },
            &[],
            ctx.now,
        )?;
        if !own {
            self.checkpoint(ctx.now)?;
        }
        Ok(Disclosure {
            record: v.record,
            envelope: v.envelope,
            conditions: cap.conditions,
            audit_seq: row.seq,
        })
    }

    /// Grants a partner access to the acting user's agency's records. Only a supervisor of the
    /// originator grants; a record of another originator is refused (the third-party rule).
    pub fn grant(&mut self, ctx: &Context, records: &[RecordKey], new: NewGrant) -> Result<Grant> {
        let p = self.principal(&ctx.user)?;
        if !p.has(Role::Supervisor) {
            return Err(PolicyError::Refused(
                "only a supervisor of the originating agency grants".into(),
            ));
        }
        let grantor = p.agency.code.clone();
        if let Some(k) = records.iter().find(|k| k.originator != grantor) {
            return Err(PolicyError::Refused(format!(
                "{k} was not originated by {grantor}: only its originator can share it"
            )));
        }
        if let Scope::Record { record_id } = &new.scope
            && !records.iter().any(|k| &k.record_id == record_id)
        {
            return Err(PolicyError::Refused(format!(
                "a record grant must name the record ({grantor}/{record_id}) among the records"
            )));
        }
        if let Scope::Operation { record_ids, .. } = &new.scope
            && record_ids.len() > OPERATION_RECORDS_MAX
        {
            return Err(PolicyError::Refused(format!(
                "an operation grant names at most {OPERATION_RECORDS_MAX} records"
            )));
        }
        if self.directory.agency(&new.recipient).is_none() {
            return Err(PolicyError::Refused(format!(
                "recipient agency '{}' is unknown",
                new.recipient
            )));
        }
        if new.recipient == grantor {
            return Err(PolicyError::Refused(
                "an agency does not grant to itself".into(),
            ));
        }
        if new.conditions.len() > GRANT_CONDITIONS_BYTES_MAX {
            return Err(PolicyError::Refused(format!(
                "conditions are limited to {GRANT_CONDITIONS_BYTES_MAX} bytes"
            )));
        }
        if new.expires_at <= ctx.now {
            return Err(PolicyError::Refused(
                "the grant would already have expired".into(),
            ));
        }
        let id = new_id(
            "G",
            &[&grantor, &new.recipient, &ctx.user],
            ctx.now,
            self.grants.len() as i64,
        );
        let g = Grant {
            id,
            grantor,
            granted_by: ctx.user.clone(),
            recipient: new.recipient,
            named_users: new.named_users,
            scope: new.scope,
            conditions: new.conditions,
            granted_at: ctx.now,
            expires_at: new.expires_at,
            revoked: false,
        };
        self.write_grants(ctx, std::slice::from_ref(&g), &[], json!({"grant": g}), "")?;
        Ok(g)
    }

    /// Revokes a grant; only a supervisor of the grantor may.
    pub fn revoke(&mut self, ctx: &Context, grant_id: &str) -> Result<()> {
        let p = self.principal(&ctx.user)?;
        let Some(g) = self.grants.iter().find(|g| g.id == grant_id) else {
            return Err(PolicyError::Refused(format!("no grant '{grant_id}'")));
        };
        if !p.has(Role::Supervisor) || p.agency.code != g.grantor {
            return Err(PolicyError::Refused(
                "only a supervisor of the granting agency revokes".into(),
            ));
        }
        let mut g = g.clone();
        g.revoked = true;
        self.write_grants(
            ctx,
            std::slice::from_ref(&g),
            &[],
            json!({"revoked": g.id}),
            "",
        )
    }

    fn write_grants(
        &mut self,
        ctx: &Context,
        grants: &[Grant],
        extra: &[PolicyDoc],
        detail: serde_json::Value,
        justification: &str,
    ) -> Result<()> {
        let agency = self.principal(&ctx.user)?.agency.code.clone();
        let mut docs = extra.to_vec();
        for g in grants {
            docs.push(doc(KIND_GRANT, &g.id, g)?);
        }
        self.audit_act(
            &audit::NewEntry {
                actor: &ctx.user,
                agency: &agency,
                origin: &ctx.origin,
                action: if extra.is_empty() {
                    Action::Grant
                } else {
                    Action::Answer
                },
                justification,
                detail,
            },
            &docs,
            ctx.now,
        )?;
        for g in grants {
            match self.grants.iter_mut().find(|x| x.id == g.id) {
                Some(x) => *x = g.clone(),
                None => self.grants.push(g.clone()),
            }
        }
        self.checkpoint(ctx.now)
    }

    fn refresh_index(&mut self) -> Result<()> {
        let position = self.store.log_position()?;
        let erased = self.store.erasures(self.index_erasure_seq, 1)?;
        if let Some(e) = erased.last() {
            // Erased since the index was built (here or by another process): rebuild, and
            // remember the newest erasure from a full read of what is recorded.
            self.index = None;
            let mut after = e.audit_seq;
            loop {
                let page = self
                    .store
                    .erasures(after, corridor_store::POLICY_ROWS_MAX)?;
                let Some(last) = page.last() else { break };
                after = last.audit_seq;
            }
            self.index_erasure_seq = after;
        }
        if self.index.as_ref().is_some_and(|i| i.position == position) {
            return Ok(());
        }
        let mut index = discovery::Index::new(position);
        corridor_store::for_each_live(&mut *self.store, |v| -> Result<()> {
            index.add(&v);
            Ok(())
        })?;
        self.index = Some(index);
        Ok(())
    }

    /// The resolved subject (its opaque id, `P-0000042`) of each record, `None` where a record
    /// is in none: for showing which readable records of a search answer are one person.
    /// Subject ids carry nothing of any agency's records (see the subject invariants), so they
    /// may be shown to whoever may see the keys. At most [`SEARCH_CANDIDATES_MAX`] keys.
    pub fn subject_ids(&mut self, keys: &[RecordKey]) -> Result<Vec<Option<String>>> {
        if keys.len() > SEARCH_CANDIDATES_MAX {
            return Err(PolicyError::Refused(format!(
                "at most {SEARCH_CANDIDATES_MAX} records at once"
            )));
        }
        keys.iter()
            .map(|k| Ok(self.store.subject_of(k)?.map(|m| m.subject_id)))
            .collect()
    }

    /// Live records the discovery index holds (after [`PolicyStore::search`] built it).
    pub fn indexed_records(&self) -> usize {
        self.index.as_ref().map_or(0, discovery::Index::len)
    }

    /// Hit / no-hit search. Records the user may read are listed by key; records whose
    /// originator allows discovery only are summed up per agency (count, band, gradings, whom
    /// to ask), never with content; everything else is left out. The search, its justification
    /// and the hits are audited before the answer is returned.
    pub fn search(
        &mut self,
        ctx: &Context,
        query: &Query,
        justification: &str,
    ) -> Result<SearchAnswer> {
        self.refresh_index()?;
        if self.deferred.is_some() {
            let tail = self.deferred.as_ref().and_then(|d| d.tail.clone());
            let p = self.prepare_search(ctx, query, tail.as_ref().map_or(0, |t| t.0))?;
            let row = self.audit_read(&p.entry(ctx, justification), &p.docs, ctx.now)?;
            return Ok(SearchAnswer {
                audit_seq: row.seq,
                ..p.answer
            });
        }
        let tail = self.store.audit_tail()?;
        let prev = tail.as_ref().map(|t| (t.seq, t.hash.as_slice()));
        let p = self.prepare_search(ctx, query, prev.map_or(0, |t| t.0))?;
        let row = audit::row_after(prev, &p.entry(ctx, justification), ctx.now)?;
        self.store.write_policy(&row, &p.docs)?;
        Ok(SearchAnswer {
            audit_seq: row.seq,
            ..p.answer
        })
    }

    /// Several searches with one audit commit (group commit): each search is decided and its
    /// audit entry chained in memory, then every entry is written in one transaction, and only
    /// after that commit is any answer returned. If the write fails, every search of the batch
    /// fails and nothing is disclosed. A search refused on its own (no justification, a query
    /// too broad) fails alone and takes no place in the chain. At most
    /// [`SEARCH_BATCH_MAX`] searches.
    pub fn search_batch(&mut self, calls: &[SearchCall<'_>]) -> Vec<Result<SearchAnswer>> {
        if calls.len() > SEARCH_BATCH_MAX {
            return calls
                .iter()
                .map(|_| {
                    Err(PolicyError::Refused(format!(
                        "at most {SEARCH_BATCH_MAX} searches in one batch"
                    )))
                })
                .collect();
        }
        if let Err(e) = self.refuse_deferred().and_then(|()| self.refresh_index()) {
            let msg = e.to_string();
            return calls
                .iter()
                .map(|_| Err(PolicyError::Store(StoreError::Conflict(msg.clone()))))
                .collect();
        }
        let mut prev = match self.store.audit_tail() {
            Ok(t) => t.map(|t| (t.seq, t.hash)),
            Err(e) => {
                let msg = e.to_string();
                return calls
                    .iter()
                    .map(|_| Err(PolicyError::Store(StoreError::Conflict(msg.clone()))))
                    .collect();
            }
        };
        let mut out: Vec<Result<SearchAnswer>> = Vec::with_capacity(calls.len());
        let mut writes = Vec::new();
        for c in calls {
            let seq = prev.as_ref().map_or(0, |t| t.0);
            let prepared = self.prepare_search(c.ctx, c.query, seq).and_then(|p| {
                let row = audit::row_after(
                    prev.as_ref().map(|(s, h)| (*s, h.as_slice())),
                    &p.entry(c.ctx, c.justification),
                    c.ctx.now,
                )?;
                Ok((p, row))
            });
            match prepared {
                Ok((p, row)) => {
                    prev = Some((row.seq, row.hash.clone()));
                    out.push(Ok(SearchAnswer {
                        audit_seq: row.seq,
                        ..p.answer
                    }));
                    writes.push((row, p.docs));
                }
                Err(e) => out.push(Err(e)),
            }
        }
        if let Err(e) = self.store.write_policy_batch(&writes) {
            let msg = format!("the audit write failed, nothing is disclosed: {e}");
            return out
                .into_iter()
                .map(|r| r.and_then(|_| Err(PolicyError::Store(StoreError::Conflict(msg.clone())))))
                .collect();
        }
        out
    }

    /// The audit log's last entry (sequence number and hash), as stored.
    pub(crate) fn audit_tail_link(&mut self) -> Result<Option<(i64, Vec<u8>)>> {
        Ok(self.store.audit_tail()?.map(|t| (t.seq, t.hash)))
    }

    fn prepare_search(
        &mut self,
        ctx: &Context,
        query: &Query,
        tail_seq: i64,
    ) -> Result<PreparedSearch> {
        let agency = {
            let p = self.principal(&ctx.user)?;
            if !p.reads_records() {
                return Err(PolicyError::Refused("no role of this user searches".into()));
            }
            p.agency.code.clone()
        };
        let Some(index) = &self.index else {
            return Err(PolicyError::Refused(
                "the discovery index is not built".into(),
            ));
        };
        let found = index.search(query).map_err(PolicyError::Refused)?;
        let mut readable = Vec::new();
        let mut by_agency: BTreeMap<String, (Vec<String>, Band, Vec<String>)> = BTreeMap::new();
        let today = review::day_of(ctx.now);
        for (key, schema, grading, review_by, band) in found {
            let meta = RecordMeta {
                originator: &key.originator,
                record_id: &key.record_id,
                schema,
                grading,
            };
            let past_review =
                self.reviews
                    .hidden(&key.originator, &key.record_id, review_by, today);
            let d = decide_reviewed(
                self.directory.principal(&ctx.user),
                self.directory.agency(&key.originator).is_some(),
                &meta,
                past_review,
                &self.grants,
                ctx.now,
            );
            match d {
                Decision::Allow { .. } => readable.push((key.clone(), band)),
                Decision::HitOnly => {
                    let e = by_agency
                        .entry(key.originator.clone())
                        .or_insert_with(|| (Vec::new(), band, Vec::new()));
                    e.0.push(key.record_id.clone());
                    e.1 = e.1.max(band);
                    let g = grading.to_string();
                    if !e.2.contains(&g) {
                        e.2.push(g);
                    }
                }
                Decision::Deny(_) => {}
            }
        }
        readable.sort();
        let tail = tail_seq;
        let mut hits = Vec::new();
        let mut docs = Vec::new();
        for (originator, (record_ids, band, gradings)) in by_agency {
            let id = new_id("H", &[&ctx.user, &originator], ctx.now, tail);
            let a = self.directory.agency(&originator);
            docs.push(doc(
                KIND_HIT,
                &id,
                &HitDoc {
                    id: id.clone(),
                    searcher: ctx.user.clone(),
                    searcher_agency: agency.clone(),
                    originator: originator.clone(),
                    record_ids: record_ids.clone(),
                    at: ctx.now,
                },
            )?);
            hits.push(Hit {
                hit_ref: id,
                agency: originator.clone(),
                agency_name: a.map(|a| a.name.clone()).unwrap_or_default(),
                contact: a.map(|a| a.contact.clone()).unwrap_or_default(),
                records: record_ids.len(),
                band,
                gradings,
            });
        }
        // Deconfliction: a search made for an operation that meets another agency's records
        // tells both agencies, so that two operations on one target learn of each other.
        let operations = self
            .directory
            .principal(&ctx.user)
            .map(|p| p.user.operations.clone())
            .unwrap_or_default();
        let mut notices = Vec::new();
        if !operations.is_empty() {
            let mut touched: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for (k, _) in &readable {
                if k.originator != agency {
                    touched
                        .entry(&k.originator)
                        .or_default()
                        .push(k.record_id.clone());
                }
            }
            for h in &hits {
                if let Some(d) = docs.iter().find(|d| d.id == h.hit_ref)
                    && let Ok(hd) = serde_json::from_str::<HitDoc>(&d.body)
                {
                    touched.entry(&h.agency).or_default().extend(hd.record_ids);
                }
            }
            for (other, record_ids) in touched {
                let id = new_id("N", &[&ctx.user, other], ctx.now, tail);
                let n = Notice {
                    id: id.clone(),
                    searching_agency: agency.clone(),
                    searcher: ctx.user.clone(),
                    operations: operations.clone(),
                    holding_agency: other.to_owned(),
                    record_ids,
                    at: ctx.now,
                    cause: NoticeCause::Search,
                    subject_id: String::new(),
                    overlap: String::new(),
                    contact: String::new(),
                };
                notices.push(id.clone());
                docs.push(doc(KIND_NOTICE, &id, &n)?);
            }
        }
        let detail = json!({
            "query": query,
            "readable": readable.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>(),
            "hits": hits.iter().map(|h| json!({"hit": h.hit_ref, "agency": h.agency, "records": h.records})).collect::<Vec<_>>(),
            "notices": notices,
        });
        Ok(PreparedSearch {
            answer: SearchAnswer {
                readable,
                hits,
                audit_seq: 0,
            },
            agency,
            detail,
            docs,
        })
    }

    /// Asks the originator of a hit to disclose it. Only the user who searched may ask.
    pub fn request(
        &mut self,
        ctx: &Context,
        hit_ref: &str,
        justification: &str,
    ) -> Result<DisclosureRequest> {
        let agency = self.principal(&ctx.user)?.agency.code.clone();
        check_id("hit reference", hit_ref).map_err(PolicyError::Refused)?;
        let hit: HitDoc = match self.store.policy_doc(KIND_HIT, hit_ref)? {
            Some(d) => serde_json::from_str(&d.body)
                .map_err(|e| PolicyError::Corrupt(format!("hit {hit_ref}: {e}")))?,
            None => return Err(PolicyError::Refused(format!("no hit '{hit_ref}'"))),
        };
        if hit.searcher != ctx.user {
            return Err(PolicyError::Refused(
                "only the user who searched may ask for this hit".into(),
            ));
        }
        let id = new_id("R", &[&ctx.user, hit_ref], ctx.now, 0);
        let r = DisclosureRequest {
            id: id.clone(),
            hit_ref: hit_ref.to_owned(),
            requester: ctx.user.clone(),
            requester_agency: agency.clone(),
            originator: hit.originator,
            record_ids: hit.record_ids,
            justification: justification.trim().to_owned(),
            at: ctx.now,
            status: RequestStatus::Pending,
            overdue: false,
        };
        self.audit_act(
            &audit::NewEntry {
                actor: &ctx.user,
                agency: &agency,
                origin: &ctx.origin,
                action: Action::Request,
                justification,
                detail: json!({"request": id, "hit": hit_ref, "originator": r.originator}),
            },
            &[doc(KIND_REQUEST, &id, &r)?],
            ctx.now,
        )?;
        Ok(r)
    }

    /// Notices for the acting user's agency: search notices as searcher or holder, deconfliction
    /// notices as the side told.
    pub fn notices(&mut self, ctx: &Context) -> Result<Vec<Notice>> {
        let p = self.principal(&ctx.user)?;
        if !p.reads_records() {
            return Err(PolicyError::Refused(
                "no role of this user reads notices".into(),
            ));
        }
        let agency = p.agency.code.clone();
        let supervisor = p.has(Role::Supervisor);
        let mut out = Vec::new();
        for d in load_all(&mut *self.store, KIND_NOTICE)? {
            let Ok(mut n) = serde_json::from_str::<Notice>(&d.body) else {
                continue;
            };
            if n.cause == NoticeCause::Deconfliction {
                // Only the side told: the other side may not discover the told one.
                if n.searching_agency == agency {
                    out.push(n);
                }
            } else if n.holding_agency == agency {
                out.push(n);
            } else if n.searching_agency == agency {
                n.record_ids.clear();
                out.push(n);
            }
        }
        if supervisor {
            for r in self.waiting_requests(&agency, ctx.now)? {
                let contact = self
                    .directory
                    .agency(&r.requester_agency)
                    .map(|a| a.contact.clone())
                    .unwrap_or_default();
                out.push(Notice {
                    id: r.id,
                    searching_agency: r.requester_agency,
                    searcher: r.requester,
                    operations: Vec::new(),
                    holding_agency: r.originator,
                    record_ids: r.record_ids,
                    at: r.at,
                    cause: NoticeCause::RequestWaiting,
                    subject_id: String::new(),
                    overlap: format!("request waiting {} h", (ctx.now - r.at) / 3_600),
                    contact,
                });
            }
        }
        Ok(out)
    }

    /// Requests to `agency` still pending after its `request_remind_hours`, oldest first.
    fn waiting_requests(&mut self, agency: &str, now: i64) -> Result<Vec<DisclosureRequest>> {
        let wait_s = i64::from(self.reviews.rules(agency).request_remind_hours) * 3_600;
        let mut out: Vec<DisclosureRequest> = load_all(&mut *self.store, KIND_REQUEST)?
            .into_iter()
            .filter_map(|d| serde_json::from_str::<DisclosureRequest>(&d.body).ok())
            .filter(|r| {
                r.originator == agency && r.status == RequestStatus::Pending && now - r.at >= wait_s
            })
            .collect();
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Requests addressed to the acting user's agency (to answer) or made by the user.
    pub fn requests(&mut self, ctx: &Context) -> Result<Vec<DisclosureRequest>> {
        let p = self.principal(&ctx.user)?;
        let (user, agency) = (p.user.id.clone(), p.agency.code.clone());
        let supervisor = p.has(Role::Supervisor);
        let mut out = Vec::new();
        for d in load_all(&mut *self.store, KIND_REQUEST)? {
            let Ok(mut r) = serde_json::from_str::<DisclosureRequest>(&d.body) else {
                continue;
            };
            let wait_s = i64::from(self.reviews.rules(&r.originator).request_remind_hours) * 3_600;
            r.overdue = r.status == RequestStatus::Pending && ctx.now - r.at >= wait_s;
            if supervisor && r.originator == agency {
                out.push(r);
            } else if r.requester == user {
                r.record_ids.clear();
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The originator's answer to a request. Approval creates a grant per record, to the
    /// requester by name, with the conditions; both the answer and the grants are written with
    /// their audit entry in one transaction.
    pub fn answer(
        &mut self,
        ctx: &Context,
        request_id: &str,
        answer: Answer,
    ) -> Result<DisclosureRequest> {
        let p = self.principal(&ctx.user)?;
        let agency = p.agency.code.clone();
        let supervisor = p.has(Role::Supervisor);
        let mut r: DisclosureRequest = match self.store.policy_doc(KIND_REQUEST, request_id)? {
            Some(d) => serde_json::from_str(&d.body)
                .map_err(|e| PolicyError::Corrupt(format!("request {request_id}: {e}")))?,
            None => return Err(PolicyError::Refused(format!("no request '{request_id}'"))),
        };
        if !supervisor || r.originator != agency {
            return Err(PolicyError::Refused(
                "only a supervisor of the originating agency answers a request".into(),
            ));
        }
        if r.status != RequestStatus::Pending {
            return Err(PolicyError::Refused(
                "the request was answered already".into(),
            ));
        }
        let (answer, partial) = match answer {
            Answer::Partial {
                record_ids,
                conditions,
                expires_at,
            } => {
                if record_ids.is_empty() {
                    return Err(PolicyError::Refused(
                        "a partial approval names at least one record (or refuse)".into(),
                    ));
                }
                if let Some(x) = record_ids.iter().find(|x| !r.record_ids.contains(x)) {
                    return Err(PolicyError::Refused(format!(
                        "record '{x}' is not one of request {}'s records",
                        r.id
                    )));
                }
                r.record_ids.retain(|x| record_ids.contains(x));
                (
                    Answer::Approve {
                        conditions,
                        expires_at,
                    },
                    true,
                )
            }
            other => (other, false),
        };
        match answer {
            Answer::Partial { .. } => unreachable!("turned into an approval above"),
            Answer::Approve {
                conditions,
                expires_at,
            } => {
                if expires_at <= ctx.now || expires_at - ctx.now > REQUEST_GRANT_SECONDS_MAX {
                    return Err(PolicyError::Refused(format!(
                        "a disclosure grant runs for 1 second to {REQUEST_GRANT_SECONDS_MAX} seconds"
                    )));
                }
                if conditions.len() > GRANT_CONDITIONS_BYTES_MAX {
                    return Err(PolicyError::Refused(format!(
                        "conditions are limited to {GRANT_CONDITIONS_BYTES_MAX} bytes"
                    )));
                }
                let grants: Vec<Grant> = r
                    .record_ids
                    .iter()
                    .enumerate()
                    .map(|(i, rid)| Grant {
                        id: new_id("G", &[&agency, &r.id, rid], ctx.now, i as i64),
                        grantor: agency.clone(),
                        granted_by: ctx.user.clone(),
                        recipient: r.requester_agency.clone(),
                        named_users: vec![r.requester.clone()],
                        scope: Scope::Record {
                            record_id: rid.clone(),
                        },
                        conditions: conditions.clone(),
                        granted_at: ctx.now,
                        expires_at,
                        revoked: false,
                    })
                    .collect();
                r.status = RequestStatus::Approved {
                    grant_ids: grants.iter().map(|g| g.id.clone()).collect(),
                };
                let d = doc(KIND_REQUEST, &r.id, &r)?;
                let detail = json!({
                    "request": r.id, "answer": if partial { "partially approved" } else { "approved" }, "recipients": {"agency": r.requester_agency, "users": [r.requester]},
                    "grants": grants.iter().map(|g| &g.id).collect::<Vec<_>>(), "conditions": conditions,
                });
                self.write_grants(ctx, &grants, &[d], detail, "")?;
            }
            Answer::Refuse { reason } => {
                r.status = RequestStatus::Refused {
                    reason: reason.clone(),
                };
                let d = doc(KIND_REQUEST, &r.id, &r)?;
                self.audit_act(
                    &audit::NewEntry {
                        actor: &ctx.user,
                        agency: &agency,
                        origin: &ctx.origin,
                        action: Action::Answer,
                        justification: &reason,
                        detail: json!({"request": r.id, "answer": "refused"}),
                    },
                    &[d],
                    ctx.now,
                )?;
            }
        }
        Ok(r)
    }

    /// Checks the audit log (see [`audit::verify`]).
    pub fn verify_audit(
        &mut self,
        trusted: Option<&ed25519_dalek::VerifyingKey>,
    ) -> Result<VerifyReport> {
        audit::verify(&mut *self.store, trusted)
    }
}
