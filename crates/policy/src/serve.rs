//! What a long-lived server needs of the policy layer: decisions over a batch of records with one
//! audit entry per answer, subjects shown member by member, the link graph over ids only, the
//! grants an agency is party to, judgements, and the audit log for auditors.
//!
//! Every function here either returns no record content (ids, counts, decisions) or returns
//! content only for records [`decide`] allows, after the audit entry naming them is written.

use std::collections::{BTreeMap, HashMap};

use corridor_model::{Grading, Record};
use corridor_store::{AuditRow, NewJudgement, RecordKey, Store, StoredVersion, SubjectMember};
use serde_json::json;

use crate::audit::{self, Action};
use crate::decide::{Decision, RecordMeta, decide};
use crate::{Access, Context, Disclosure, Grant, PolicyError, PolicyStore, Result, Role};

/// Most records one screening or batch read decides (and names in its audit entry).
pub const SCREEN_KEYS_MAX: usize = 5_000;

/// Most subjects one caption lookup covers.
pub const CAPTION_SUBJECTS_MAX: usize = 2_000;

/// Most audit entries one page returns.
pub const AUDIT_PAGE_MAX: usize = 1_000;

/// Longest judgement reason, in bytes.
pub const JUDGEMENT_REASON_BYTES_MAX: usize = 2_048;

/// What a viewer may learn of one record, without its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// The viewer may read it.
    Readable,
    /// Only that the originator holds it.
    HitOnly,
    /// Nothing: not even that it exists.
    Hidden,
}

/// The metadata every decision needs (originator, id, schema, grading) of every live record,
/// read once and kept by the caller; its content is private to this crate, so it cannot leak.
pub struct RecordCatalog {
    position: i64,
    metas: HashMap<RecordKey, (String, Grading)>,
}

impl RecordCatalog {
    /// The log position the catalog reflects.
    pub fn position(&self) -> i64 {
        self.position
    }
    /// Live records catalogued.
    pub fn len(&self) -> usize {
        self.metas.len()
    }
    /// True when no record is catalogued.
    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }
}

/// The decisions of one screening, aligned with the keys given, and the audit entry.
#[derive(Clone, Debug)]
pub struct Screen {
    pub seen: Vec<Seen>,
    pub audit_seq: i64,
}

/// A subject as one viewer may see it: readable members with their content, and hit-only
/// members counted per originator. Members the viewer may not even discover are left out.
#[derive(Clone, Debug)]
pub struct SubjectView {
    pub subject_id: String,
    pub kind: String,
    /// Readable members, in key order, each with the link that joined it.
    pub members: Vec<(SubjectMember, Disclosure)>,
    /// Hit-only members per originator.
    pub withheld: BTreeMap<String, usize>,
    pub audit_seq: i64,
}

/// The records one viewer may read, by name (`ORIGINATOR/ID`, as the link graph names them):
/// the policy layer's [`corridor_graph::Visibility`], so that every graph analytic sees only
/// what the viewer may see. Built from decisions alone: nothing is disclosed by building it.
pub struct ViewerRecords {
    readable: std::collections::HashSet<String>,
}

impl ViewerRecords {
    /// Records the viewer may read.
    pub fn len(&self) -> usize {
        self.readable.len()
    }
    /// True when the viewer may read nothing.
    pub fn is_empty(&self) -> bool {
        self.readable.is_empty()
    }
}

impl corridor_graph::Visibility for ViewerRecords {
    fn record_visible(&self, record: &str) -> bool {
        self.readable.contains(record)
    }
}

/// One payment as the money kernels need it, for derivation only: what a viewer is shown of
/// alerts built from these must be screened by the payment's record.
#[derive(Clone, Debug)]
pub struct PaymentFact {
    pub record: RecordKey,
    /// `date` or `startDate` as recorded.
    pub date: String,
    /// The payer's account (its subject id when resolved, else `ORIGINATOR/ID`), else the payer.
    pub from: String,
    /// The beneficiary's account, else the beneficiary.
    pub to: String,
    /// As recorded (a decimal in the currency's units).
    pub amount: String,
    pub currency: String,
}

/// A readable crossing or interception: where and when a subject was recorded.
#[derive(Clone, Debug)]
pub struct Movement {
    pub record: RecordKey,
    /// The person's subject id, else `ORIGINATOR/ID` of the person record.
    pub subject: String,
    /// `crossing` or `interception`.
    pub kind: String,
    pub place: String,
    pub date: String,
}

/// Most movement records one map answer reads.
pub const MOVEMENTS_MAX: usize = 5_000;

/// Most payments one derivation reads.
pub const PAYMENTS_MAX: usize = 2_000_000;

/// A short human label of a record: its name, number, plate or account, else schema and id.
pub fn caption(record: &Record) -> String {
    for prop in [
        "name",
        "number",
        "registrationNumber",
        "iban",
        "accountNumber",
        "imoNumber",
        "title",
        "summary",
    ] {
        if let Some(v) = record.properties.get(prop).and_then(|v| v.first()) {
            return v.clone();
        }
    }
    let first = record.properties.get("firstName").and_then(|v| v.first());
    let last = record.properties.get("lastName").and_then(|v| v.first());
    match (first, last) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(x), None) | (None, Some(x)) => x.clone(),
        (None, None) => format!("{} {}", record.schema, record.id),
    }
}

impl PolicyStore<'_> {
    /// The record catalog: one pass over the live records. Rebuild it when
    /// [`PolicyStore::catalog_current`] says the log moved.
    pub fn catalog(&mut self) -> Result<RecordCatalog> {
        let position = self.store.log_position()?;
        let mut metas = HashMap::new();
        corridor_store::for_each_live(&mut *self.store, |v| -> Result<()> {
            metas.insert(
                RecordKey::new(&v.envelope.originator, &v.record.id),
                (v.record.schema, v.envelope.grading),
            );
            Ok(())
        })?;
        Ok(RecordCatalog { position, metas })
    }

    /// The catalogued records `ctx.user` may read, as a graph visibility. Decisions only, no
    /// content and so no audit entry: what an answer then shows is screened and audited.
    pub fn viewer_records(&self, ctx: &Context, catalog: &RecordCatalog) -> Result<ViewerRecords> {
        self.reader(ctx)?;
        let readable = catalog
            .metas
            .iter()
            .filter(|(k, (schema, g))| {
                self.decide_meta(&ctx.user, k, schema, g, ctx.now) == Seen::Readable
            })
            .map(|(k, _)| k.to_string())
            .collect();
        Ok(ViewerRecords { readable })
    }

    /// Whether `ctx.user` may read each record named (`ORIGINATOR/ID`, as the link graph names
    /// them): decisions only, no content and no audit entry, for the few records of one answer.
    pub fn readable_names(
        &self,
        ctx: &Context,
        catalog: &RecordCatalog,
        names: &[&str],
    ) -> Result<Vec<bool>> {
        self.reader(ctx)?;
        Ok(names
            .iter()
            .map(|n| {
                let Some((o, r)) = n.split_once('/') else {
                    return false;
                };
                let k = RecordKey::new(o, r);
                catalog.metas.get(&k).is_some_and(|(schema, g)| {
                    self.decide_meta(&ctx.user, &k, schema, g, ctx.now) == Seen::Readable
                })
            })
            .collect())
    }

    /// True while the log has not moved since `catalog` was built.
    pub fn catalog_current(&mut self, catalog: &RecordCatalog) -> Result<bool> {
        Ok(self.store.log_position()? == catalog.position)
    }

    fn reader(&self, ctx: &Context) -> Result<String> {
        let p = self.principal(&ctx.user)?;
        if !p.reads_records() {
            return Err(PolicyError::Refused(
                "no role of this user reads records".into(),
            ));
        }
        Ok(p.agency.code.clone())
    }

    fn decide_meta(
        &self,
        user: &str,
        key: &RecordKey,
        schema: &str,
        g: &Grading,
        now: i64,
    ) -> Seen {
        let meta = RecordMeta {
            originator: &key.originator,
            record_id: &key.record_id,
            schema,
            grading: g,
        };
        match decide(
            self.directory.principal(user),
            self.directory.agency(&key.originator).is_some(),
            &meta,
            &self.grants,
            now,
        ) {
            Decision::Allow { .. } => Seen::Readable,
            Decision::HitOnly => Seen::HitOnly,
            Decision::Deny(_) => Seen::Hidden,
        }
    }

    /// Decides, for `ctx.user`, every key (a record missing from the catalog is hidden) and
    /// writes one audit entry naming the readable records and counting the hit-only ones, for
    /// an answer built from derived data (a graph, a list of networks) that shows something of
    /// those records. Nothing is returned if the audit write fails.
    pub fn screen(
        &mut self,
        ctx: &Context,
        catalog: &RecordCatalog,
        keys: &[RecordKey],
        justification: &str,
        what: &str,
    ) -> Result<Screen> {
        let agency = self.reader(ctx)?;
        if keys.len() > SCREEN_KEYS_MAX {
            return Err(PolicyError::Refused(format!(
                "an answer covers at most {SCREEN_KEYS_MAX} records; narrow it"
            )));
        }
        let seen: Vec<Seen> = keys
            .iter()
            .map(|k| match catalog.metas.get(k) {
                Some((schema, g)) => self.decide_meta(&ctx.user, k, schema, g, ctx.now),
                None => Seen::Hidden,
            })
            .collect();
        let audit_seq = self.audit_batch(ctx, &agency, keys, &seen, justification, what)?;
        Ok(Screen { seen, audit_seq })
    }

    fn audit_batch(
        &mut self,
        ctx: &Context,
        agency: &str,
        keys: &[RecordKey],
        seen: &[Seen],
        justification: &str,
        what: &str,
    ) -> Result<i64> {
        let mut readable: Vec<String> = Vec::new();
        let mut hit_only = 0usize;
        let mut foreign = false;
        for (k, s) in keys.iter().zip(seen) {
            match s {
                Seen::Readable => {
                    foreign |= k.originator != agency;
                    readable.push(k.to_string());
                }
                Seen::HitOnly => hit_only += 1,
                Seen::Hidden => {}
            }
        }
        readable.sort();
        readable.dedup();
        let row = self.audit_read(
            &audit::NewEntry {
                actor: &ctx.user,
                agency,
                origin: &ctx.origin,
                action: if foreign {
                    Action::Disclosure
                } else {
                    Action::Consultation
                },
                justification,
                detail: json!({
                    "answer": what,
                    "records": readable,
                    "recipients": {"agency": agency, "users": [ctx.user]},
                    "hit_only": hit_only,
                }),
            },
            &[],
            ctx.now,
        )?;
        if foreign {
            self.checkpoint(ctx.now)?;
        }
        Ok(row.seq)
    }

    /// Reads many records for one answer: each is decided on its current version, and one
    /// audit entry names every disclosed record before any content is returned.
    pub fn read_many(
        &mut self,
        ctx: &Context,
        keys: &[RecordKey],
        justification: &str,
        what: &str,
    ) -> Result<Vec<Access>> {
        let agency = self.reader(ctx)?;
        if keys.len() > SCREEN_KEYS_MAX {
            return Err(PolicyError::Refused(format!(
                "an answer covers at most {SCREEN_KEYS_MAX} records; narrow it"
            )));
        }
        let mut heads: Vec<Option<StoredVersion>> = Vec::with_capacity(keys.len());
        for k in keys {
            heads.push(
                self.store
                    .head(&k.originator, &k.record_id)?
                    .filter(|v| !v.tombstone),
            );
        }
        let mut decisions = Vec::with_capacity(keys.len());
        let mut seen = Vec::with_capacity(keys.len());
        for (k, h) in keys.iter().zip(&heads) {
            let d = match h {
                Some(v) => self.decide_version(&ctx.user, v, ctx.now),
                None => Decision::Deny(crate::DenyReason::NoGrant),
            };
            debug_assert!(
                h.as_ref()
                    .is_none_or(|v| v.envelope.originator == k.originator)
            );
            seen.push(match &d {
                Decision::Allow { .. } => Seen::Readable,
                Decision::HitOnly => Seen::HitOnly,
                Decision::Deny(_) => Seen::Hidden,
            });
            decisions.push(d);
        }
        let seq = self.audit_batch(ctx, &agency, keys, &seen, justification, what)?;
        let mut out = Vec::with_capacity(keys.len());
        for (h, d) in heads.into_iter().zip(decisions) {
            out.push(match (h, d) {
                (Some(v), Decision::Allow { conditions }) => Access::Disclosed(Disclosure {
                    record: v.record,
                    envelope: v.envelope,
                    conditions,
                    audit_seq: seq,
                }),
                (Some(v), Decision::HitOnly) => {
                    let a = self.directory.agency(&v.envelope.originator);
                    Access::HitOnly {
                        agency: v.envelope.originator.clone(),
                        contact: a.map(|a| a.contact.clone()).unwrap_or_default(),
                        grading: v.envelope.grading.to_string(),
                    }
                }
                _ => Access::Denied,
            });
        }
        Ok(out)
    }

    /// A subject as `ctx.user` may see it; `None` when the subject does not exist or the user
    /// may read none of its members (the two are not told apart).
    pub fn subject(
        &mut self,
        ctx: &Context,
        subject_id: &str,
        justification: &str,
    ) -> Result<Option<SubjectView>> {
        self.reader(ctx)?;
        crate::check_id("subject id", subject_id).map_err(PolicyError::Refused)?;
        let mut members = self.store.subject_members(subject_id)?;
        members.truncate(SCREEN_KEYS_MAX);
        let Some(kind) = members.first().map(|m| m.kind.clone()) else {
            return Ok(None);
        };
        // Decide first without content, so that a subject the user may not read at all leaves
        // only a denied consultation in the log.
        let keys: Vec<RecordKey> = members.iter().map(|m| m.record.clone()).collect();
        let access = self.read_many(ctx, &keys, justification, &format!("subject {subject_id}"))?;
        let mut view = SubjectView {
            subject_id: subject_id.to_owned(),
            kind,
            members: Vec::new(),
            withheld: BTreeMap::new(),
            audit_seq: 0,
        };
        for (m, a) in members.into_iter().zip(access) {
            match a {
                Access::Disclosed(d) => {
                    view.audit_seq = d.audit_seq;
                    view.members.push((m, d));
                }
                Access::HitOnly { agency, .. } => *view.withheld.entry(agency).or_default() += 1,
                Access::Denied => {}
            }
        }
        if view.members.is_empty() {
            return Ok(None);
        }
        Ok(Some(view))
    }

    /// The subject ids (and kinds) of records, aligned with `keys`. Ids are opaque (they carry
    /// nothing of any record), so this is no disclosure; callers pass keys already screened.
    pub fn subjects_of(&mut self, keys: &[RecordKey]) -> Result<Vec<Option<(String, String)>>> {
        if keys.len() > SCREEN_KEYS_MAX {
            return Err(PolicyError::Refused(format!(
                "at most {SCREEN_KEYS_MAX} records per lookup"
            )));
        }
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.store.subject_of(k)?.map(|m| (m.subject_id, m.kind)));
        }
        Ok(out)
    }

    /// The member keys of subjects, without content, for screening.
    pub fn member_keys(&mut self, subject_id: &str) -> Result<Vec<RecordKey>> {
        crate::check_id("subject id", subject_id).map_err(PolicyError::Refused)?;
        Ok(self
            .store
            .subject_members(subject_id)?
            .into_iter()
            .map(|m| m.record)
            .collect())
    }

    /// A caption per subject from its first member (in key order) `ctx.user` may read; subjects
    /// with none are left out. One audit entry names the records whose captions were shown.
    pub fn subject_captions(
        &mut self,
        ctx: &Context,
        catalog: &RecordCatalog,
        subject_ids: &[String],
        justification: &str,
    ) -> Result<BTreeMap<String, String>> {
        let agency = self.reader(ctx)?;
        if subject_ids.len() > CAPTION_SUBJECTS_MAX {
            return Err(PolicyError::Refused(format!(
                "at most {CAPTION_SUBJECTS_MAX} subjects per answer"
            )));
        }
        let mut chosen: Vec<(String, StoredVersion)> = Vec::new();
        for s in subject_ids {
            for k in self.member_keys(s)? {
                let Some((schema, g)) = catalog.metas.get(&k) else {
                    continue;
                };
                if self.decide_meta(&ctx.user, &k, schema, g, ctx.now) != Seen::Readable {
                    continue;
                }
                if let Some(v) = self
                    .store
                    .head(&k.originator, &k.record_id)?
                    .filter(|v| !v.tombstone)
                    && self.decide_version(&ctx.user, &v, ctx.now).is_allow()
                {
                    chosen.push((s.clone(), v));
                    break;
                }
            }
        }
        let keys: Vec<RecordKey> = chosen
            .iter()
            .map(|(_, v)| RecordKey::new(&v.envelope.originator, &v.record.id))
            .collect();
        let seen = vec![Seen::Readable; keys.len()];
        self.audit_batch(ctx, &agency, &keys, &seen, justification, "captions")?;
        Ok(chosen
            .into_iter()
            .map(|(s, v)| (s, caption(&v.record)))
            .collect())
    }

    /// The link graph over the stored subjects: node names are subject ids (or record keys and
    /// phone numbers where nothing was resolved), edges carry record ids only. What a viewer is
    /// shown of it must be screened ([`PolicyStore::screen`]).
    pub fn link_graph(&mut self) -> Result<corridor_graph::Graph> {
        corridor_subjects::links::link_graph(&mut *self.store)
            .map(|(g, _)| g)
            .map_err(|e| PolicyError::Refused(format!("building the link graph: {e}")))
    }

    /// Every live payment with both ends known, for the money kernels (derivation only: ids
    /// and amounts leave the server only for payments a viewer may read).
    pub fn payment_facts(&mut self) -> Result<Vec<PaymentFact>> {
        let mut raw: Vec<(RecordKey, BTreeMap<String, Vec<String>>)> = Vec::new();
        corridor_store::for_each_live(&mut *self.store, |v| -> Result<()> {
            if v.record.schema == "Payment" && raw.len() < PAYMENTS_MAX {
                raw.push((
                    RecordKey::new(&v.envelope.originator, &v.record.id),
                    v.record.properties,
                ));
            }
            Ok(())
        })?;
        let mut out = Vec::with_capacity(raw.len());
        for (key, props) in raw {
            let first = |k: &str| props.get(k).and_then(|v| v.first()).cloned();
            let mut end = |acc: &str, party: &str| -> Result<Option<String>> {
                let Some(r) = first(acc).or_else(|| first(party)) else {
                    return Ok(None);
                };
                let k = RecordKey::new(&key.originator, &r);
                Ok(Some(match self.store.subject_of(&k)? {
                    Some(m) => m.subject_id,
                    None => k.to_string(),
                }))
            };
            let (Some(from), Some(to)) = (
                end("payerAccount", "payer")?,
                end("beneficiaryAccount", "beneficiary")?,
            ) else {
                continue;
            };
            let (Some(date), Some(amount)) = (
                first("date").or_else(|| first("startDate")),
                first("amount"),
            ) else {
                continue;
            };
            out.push(PaymentFact {
                currency: first("currency").unwrap_or_default(),
                record: key,
                date,
                from,
                to,
                amount,
            });
        }
        Ok(out)
    }

    /// The crossings and interceptions `ctx.user` may read (at most [`MOVEMENTS_MAX`], in key
    /// order), with the persons they record; `keep` chooses by subject. One audit entry names
    /// the records used.
    pub fn movements(
        &mut self,
        ctx: &Context,
        catalog: &RecordCatalog,
        keep: &dyn Fn(&str) -> bool,
        justification: &str,
    ) -> Result<Vec<Movement>> {
        let agency = self.reader(ctx)?;
        let mut keys: Vec<&RecordKey> = catalog
            .metas
            .iter()
            .filter(|(_, (schema, _))| schema == "Crossing" || schema == "Interception")
            .filter(|(k, (schema, g))| {
                self.decide_meta(&ctx.user, k, schema, g, ctx.now) == Seen::Readable
            })
            .map(|(k, _)| k)
            .collect();
        keys.sort();
        keys.truncate(MOVEMENTS_MAX);
        let mut out = Vec::new();
        let mut used: Vec<RecordKey> = Vec::new();
        for k in keys {
            let Some(v) = self
                .store
                .head(&k.originator, &k.record_id)?
                .filter(|v| !v.tombstone)
            else {
                continue;
            };
            if !self.decide_version(&ctx.user, &v, ctx.now).is_allow() {
                continue;
            }
            let first = |p: &str| v.record.properties.get(p).and_then(|x| x.first()).cloned();
            let (Some(place), Some(date)) =
                (first("place"), first("date").or_else(|| first("startDate")))
            else {
                continue;
            };
            let mut took = false;
            for role in ["person", "driver"] {
                for r in v.record.properties.get(role).into_iter().flatten() {
                    let pk = RecordKey::new(&k.originator, r);
                    let subject = match self.store.subject_of(&pk)? {
                        Some(m) => m.subject_id,
                        None => pk.to_string(),
                    };
                    if !keep(&subject) {
                        continue;
                    }
                    took = true;
                    out.push(Movement {
                        record: k.clone(),
                        subject,
                        kind: v.record.schema.to_lowercase(),
                        place: place.clone(),
                        date: date.clone(),
                    });
                }
            }
            if took {
                used.push(k.clone());
            }
        }
        let seen = vec![Seen::Readable; used.len()];
        self.audit_batch(ctx, &agency, &used, &seen, justification, "map")?;
        Ok(out)
    }

    /// The grants `ctx.user`'s agency gives or receives.
    pub fn grants_of(&self, ctx: &Context) -> Result<Vec<Grant>> {
        let p = self.principal(&ctx.user)?;
        let a = &p.agency.code;
        Ok(self
            .grants
            .iter()
            .filter(|g| &g.grantor == a || &g.recipient == a)
            .cloned()
            .collect())
    }

    /// Records an analyst's judgement on two records the analyst may both read; the judgement
    /// is audited first.
    pub fn judge(
        &mut self,
        ctx: &Context,
        a: &RecordKey,
        b: &RecordKey,
        same: bool,
        reason: &str,
    ) -> Result<i64> {
        let agency = self.reader(ctx)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > JUDGEMENT_REASON_BYTES_MAX {
            return Err(PolicyError::Refused(format!(
                "a judgement's reason has 1 to {JUDGEMENT_REASON_BYTES_MAX} bytes"
            )));
        }
        if a == b {
            return Err(PolicyError::Refused(
                "a judgement names two different records".into(),
            ));
        }
        for k in [a, b] {
            let readable = match self
                .store
                .head(&k.originator, &k.record_id)?
                .filter(|v| !v.tombstone)
            {
                Some(v) => self.decide_version(&ctx.user, &v, ctx.now).is_allow(),
                None => false,
            };
            if !readable {
                return Err(PolicyError::Refused(format!(
                    "no readable record {k}: judge only records you may read"
                )));
            }
        }
        self.audit_act(&audit::NewEntry {
                actor: &ctx.user,
                agency: &agency,
                origin: &ctx.origin,
                action: Action::Combination,
                justification: reason,
                detail: json!({"judgement": {"a": a.to_string(), "b": b.to_string(), "same": same}}),
            },
            &[],
            ctx.now,
        )?;
        Ok(self.store.add_judgement(&NewJudgement {
            a: a.clone(),
            b: b.clone(),
            same,
            analyst: ctx.user.clone(),
            reason: reason.to_owned(),
        })?)
    }

    fn auditor(&self, ctx: &Context) -> Result<()> {
        let p = self.principal(&ctx.user)?;
        if !p.has(Role::Auditor) {
            return Err(PolicyError::Refused(
                "only an auditor reads the audit log".into(),
            ));
        }
        Ok(())
    }

    /// A page of the audit log, for an auditor.
    pub fn audit_page(&mut self, ctx: &Context, after: i64, limit: usize) -> Result<Vec<AuditRow>> {
        self.auditor(ctx)?;
        let limit = limit.clamp(1, AUDIT_PAGE_MAX);
        Ok(self.store.audit_entries(after.max(0), limit)?)
    }

    /// Checks the audit chain, for an auditor.
    pub fn verify_audit_as(
        &mut self,
        ctx: &Context,
        trusted: Option<&ed25519_dalek::VerifyingKey>,
    ) -> Result<crate::VerifyReport> {
        self.auditor(ctx)?;
        audit::verify(&mut *self.store, trusted)
    }

    /// Revokes the token a user logged in with (logout).
    pub fn logout(&mut self, ctx: &Context, token: &str) -> Result<()> {
        let id = audit::hex(blake3::hash(token.as_bytes()).as_bytes())[..32].to_owned();
        self.revoke_token(ctx, &id)
    }

    /// Builds the discovery index now (a server does it before it listens, so that the first
    /// search does not pay for it); returns the records indexed.
    pub fn warm_up(&mut self) -> Result<usize> {
        self.refresh_index()?;
        Ok(self.indexed_records())
    }

    /// The store's backend name (`sqlite`, `postgres`), for health answers.
    pub fn backend(&self) -> &'static str {
        let s: &dyn Store = &*self.store;
        s.backend()
    }
}

impl Decision {
    /// True for [`Decision::Allow`].
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }
}
