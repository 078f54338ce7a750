//! Deconfliction over resolved subjects: an agency's operations name the records they work
//! (their targets), and when two agencies' operations work one resolved subject — the same
//! person or organisation, or a phone, vehicle, vessel or account subject linked to both —
//! each owner is told whom to call, never what the other side holds.
//!
//! The overlap rule (kept simple on purpose, so that it can be stated and checked):
//!
//! - a target reaches its own subject (any kind): two targets in one person subject are
//!   "same subject"; two in one phone subject are "shared phone", and so on;
//! - a target also reaches the keyed subject (phone, vehicle, vessel, account) of every record
//!   of its agency that names it as `holder` or `owner` (Phone.holder, Vehicle.owner,
//!   Vessel.owner, BankAccount.holder), and the phone subject of every Phone record whose
//!   `number` is one of the target's own `phone` values — the same references the link graph
//!   follows.
//!
//! A side is told only when the other side's agency allows it discovery of one of the other
//! operation's records behind the overlap: the decision function, for the told operation's
//! owner, answers Allow or HitOnly for it (a Standing, Discovery, Record or Operation grant),
//! exactly as a search by that owner would. Notices are idempotent: their id is derived from
//! (told operation, other operation, subject).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use corridor_store::{RecordKey, StoredVersion};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    Action, Context, Decision, KIND_NOTICE, Notice, NoticeCause, OPERATION_RECORDS_MAX,
    PolicyError, PolicyStore, Result, Role, audit, check_id, doc, load_all, new_id,
};

/// Policy documents of this kind are operations.
pub(crate) const KIND_OPERATION: &str = "operation";

/// Most operations the exchange keeps (every agency together).
pub const OPERATIONS_MAX: usize = 10_000;

/// Most records one operation targets.
pub const OPERATION_TARGETS_MAX: usize = OPERATION_RECORDS_MAX;

/// Longest operation name or contact, in bytes.
pub const OPERATION_TEXT_BYTES_MAX: usize = 256;

/// Most target records one deconfliction run considers (every operation together): beyond it
/// the run is refused rather than silently partial.
pub const DECONFLICT_TARGETS_MAX: usize = 1_000_000;

/// Most records that name a target (holder, owner, phone number) one run follows.
pub const DECONFLICT_LINKS_MAX: usize = 1_000_000;

/// Most notices one run writes (they go in one audit entry); the rest are written by the
/// next run, which finds them again.
pub const DECONFLICT_NOTICES_MAX: usize = 1_000;

/// The subject kinds that stand for a shared object (a phone, vehicle, vessel or account)
/// rather than a person or organisation.
pub const KEYED_KINDS: [&str; 4] = ["phone", "vehicle", "vessel", "account"];

/// An agency's operation: who owns it, whom a partner calls, and the records it works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Unique across agencies (the id users are assigned to, `kestrel`).
    pub id: String,
    pub agency: String,
    pub name: String,
    /// The user who runs it: a user of `agency`.
    pub owner: String,
    /// Whom a partner calls about it (shown to the other side of an overlap).
    pub contact: String,
    /// Record ids of `agency`'s records the operation works, sorted, distinct.
    pub targets: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// An operation as its agency registers or changes it; targets are set apart.
#[derive(Debug, Clone)]
pub struct NewOperation {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub contact: String,
}

/// What one [`PolicyStore::deconflict`] run found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeconflictReport {
    /// Operations considered.
    pub operations: usize,
    /// Their target records (live ones).
    pub targets: usize,
    /// (operation pair, shared subject) overlaps between different agencies.
    pub overlaps: usize,
    /// Notices written by this run.
    pub notices_written: usize,
    /// Notices that already existed (an earlier run wrote them).
    pub notices_existing: usize,
    /// Sides not told: the other side's agency allows them no discovery.
    pub withheld: usize,
    /// Notices left for the next run (beyond [`DECONFLICT_NOTICES_MAX`]).
    pub pending: usize,
    /// Stored operations that did not load (they take no part).
    pub skipped: usize,
    /// The audit entry of the run.
    pub audit_seq: i64,
}

fn check_text(what: &str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() || t.len() > OPERATION_TEXT_BYTES_MAX || t.chars().any(char::is_control) {
        return Err(PolicyError::Refused(format!(
            "the operation {what} must be 1 to {OPERATION_TEXT_BYTES_MAX} bytes without control \
             characters"
        )));
    }
    Ok(t.to_owned())
}

/// The property through which a record of a keyed schema names its holder or owner.
fn reference_property(schema: &str) -> Option<&'static str> {
    match schema {
        "Phone" | "BankAccount" => Some("holder"),
        "Vehicle" | "Vessel" => Some("owner"),
        _ => None,
    }
}

/// One operation's reach into one subject: the operation's target records behind it.
type Reach = BTreeMap<usize, BTreeSet<RecordKey>>;

impl PolicyStore<'_> {
    fn load_operation(&mut self, id: &str) -> Result<Option<Operation>> {
        match self.store.policy_doc(KIND_OPERATION, id)? {
            Some(d) => serde_json::from_str(&d.body)
                .map(Some)
                .map_err(|e| PolicyError::Corrupt(format!("operation {id}: {e}"))),
            None => Ok(None),
        }
    }

    /// Checks that `ctx.user` may change `op` (a supervisor or administrator of its agency, or
    /// its owner) and returns the user's agency.
    fn may_change_operation(&self, ctx: &Context, op: Option<&Operation>) -> Result<String> {
        let p = self.principal(&ctx.user)?;
        let agency = p.agency.code.clone();
        let manager = p.has(Role::Supervisor) || p.has(Role::Admin);
        let allowed = match op {
            None => manager,
            Some(op) => op.agency == agency && (manager || op.owner == ctx.user),
        };
        if !allowed {
            return Err(PolicyError::Refused(
                "only a supervisor or administrator of the operation's agency, or its owner, \
                 changes an operation (and only a supervisor or administrator registers one)"
                    .into(),
            ));
        }
        Ok(agency)
    }

    fn write_operation(&mut self, ctx: &Context, op: &Operation, what: &str) -> Result<()> {
        self.audit_act(
            &audit::NewEntry {
                actor: &ctx.user,
                agency: &op.agency,
                origin: &ctx.origin,
                action: Action::Directory,
                justification: "",
                detail: json!({
                    "operation": op.id, "change": what, "owner": op.owner,
                    "targets": op.targets.len(),
                }),
            },
            &[doc(KIND_OPERATION, &op.id, op)?],
            ctx.now,
        )?;
        Ok(())
    }

    /// Registers an operation of the acting user's agency, or changes its name, owner and
    /// contact (its targets stay). A supervisor or administrator registers; they or the owner
    /// change it. The owner must be an active user of the agency. Audited.
    pub fn register_operation(&mut self, ctx: &Context, new: NewOperation) -> Result<Operation> {
        check_id("operation id", &new.id).map_err(PolicyError::Refused)?;
        let existing = self.load_operation(&new.id)?;
        let agency = self.may_change_operation(ctx, existing.as_ref())?;
        let name = check_text("name", &new.name)?;
        let contact = check_text("contact", &new.contact)?;
        match self.directory.principal(&new.owner) {
            Some(o) if o.agency.code == agency => {}
            _ => {
                return Err(PolicyError::Refused(format!(
                    "owner '{}' is not an active user of {agency}",
                    new.owner
                )));
            }
        }
        let op = match existing {
            Some(old) => Operation {
                name,
                owner: new.owner,
                contact,
                updated_at: ctx.now,
                ..old
            },
            None => {
                if load_all(&mut *self.store, KIND_OPERATION)?.len() >= OPERATIONS_MAX {
                    return Err(PolicyError::Refused(format!(
                        "the exchange keeps at most {OPERATIONS_MAX} operations"
                    )));
                }
                Operation {
                    id: new.id,
                    agency,
                    name,
                    owner: new.owner,
                    contact,
                    targets: Vec::new(),
                    created_at: ctx.now,
                    updated_at: ctx.now,
                }
            }
        };
        self.write_operation(ctx, &op, "registered")?;
        Ok(op)
    }

    /// Adds and removes target records of an operation. Every added record must be a live
    /// record of the operation's own agency: an operation never names another agency's
    /// records. Audited.
    pub fn operation_targets(
        &mut self,
        ctx: &Context,
        id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<Operation> {
        check_id("operation id", id).map_err(PolicyError::Refused)?;
        if add.len() + remove.len() > OPERATION_TARGETS_MAX {
            return Err(PolicyError::Refused(format!(
                "at most {OPERATION_TARGETS_MAX} targets change at once"
            )));
        }
        let Some(mut op) = self.load_operation(id)? else {
            return Err(PolicyError::Refused(format!("no operation '{id}'")));
        };
        self.may_change_operation(ctx, Some(&op))?;
        let mut targets: BTreeSet<String> = op.targets.iter().cloned().collect();
        for rid in add {
            check_id("record id", rid).map_err(PolicyError::Refused)?;
            let live = self
                .store
                .head(&op.agency, rid)?
                .is_some_and(|v| !v.tombstone);
            if !live {
                return Err(PolicyError::Refused(format!(
                    "{}/{rid} is not a live record of {}: an operation targets its own \
                     agency's records",
                    op.agency, op.agency
                )));
            }
            targets.insert(rid.clone());
        }
        for rid in remove {
            targets.remove(rid);
        }
        if targets.len() > OPERATION_TARGETS_MAX {
            return Err(PolicyError::Refused(format!(
                "an operation targets at most {OPERATION_TARGETS_MAX} records"
            )));
        }
        op.targets = targets.into_iter().collect();
        op.updated_at = ctx.now;
        self.write_operation(ctx, &op, "targets")?;
        Ok(op)
    }

    /// The operations of the acting user's agency (never another agency's).
    pub fn operations(&mut self, ctx: &Context) -> Result<Vec<Operation>> {
        let agency = self.principal(&ctx.user)?.agency.code.clone();
        let mut out = Vec::new();
        for d in load_all(&mut *self.store, KIND_OPERATION)? {
            if let Ok(op) = serde_json::from_str::<Operation>(&d.body)
                && op.agency == agency
                && op.id == d.id
            {
                out.push(op);
            }
        }
        Ok(out)
    }

    /// Finds operations of different agencies that work one resolved subject and tells each
    /// owner whose agency may discover the other side (see the module documentation for the
    /// rule). Reads every live record once, to follow holder, owner and phone references.
    /// Writes the new notices with one audit entry (actor `system`); a re-run writes nothing
    /// new. Without any operation it reads and writes nothing (`audit_seq` 0).
    pub fn deconflict(&mut self, origin: &str, now: i64) -> Result<DeconflictReport> {
        let mut report = DeconflictReport::default();
        let mut ops = Vec::new();
        for d in load_all(&mut *self.store, KIND_OPERATION)? {
            match serde_json::from_str::<Operation>(&d.body) {
                Ok(op) if op.id == d.id && self.directory.agency(&op.agency).is_some() => {
                    ops.push(op)
                }
                _ => report.skipped += 1,
            }
        }
        if ops.len() > OPERATIONS_MAX {
            return Err(PolicyError::Refused(format!(
                "{} operations stored, the limit is {OPERATIONS_MAX}",
                ops.len()
            )));
        }
        report.operations = ops.len();
        if ops.is_empty() {
            // Nothing to compare and nobody to tell: a store without operations (most runs
            // after `corridor resolve`) gets no audit entry for it.
            return Ok(report);
        }
        let total: usize = ops.iter().map(|o| o.targets.len()).sum();
        if total > DECONFLICT_TARGETS_MAX {
            return Err(PolicyError::Refused(format!(
                "the operations target {total} records, the limit is {DECONFLICT_TARGETS_MAX}"
            )));
        }

        // Which operations work each record, and which phone numbers the targets carry.
        let mut targets: HashMap<RecordKey, Vec<usize>> = HashMap::new();
        let mut numbers: HashMap<String, Vec<RecordKey>> = HashMap::new();
        // Subject id → (kind, operations reaching it with the targets behind that).
        let mut subjects: BTreeMap<String, (String, Reach)> = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            for rid in &op.targets {
                let key = RecordKey::new(&op.agency, rid);
                let Some(v) = self.store.head(&op.agency, rid)?.filter(|v| !v.tombstone) else {
                    continue;
                };
                report.targets += 1;
                if v.record.schema == "Person" {
                    for n in v.record.properties.get("phone").into_iter().flatten() {
                        let e = numbers.entry(n.clone()).or_default();
                        if !e.contains(&key) {
                            e.push(key.clone());
                        }
                    }
                }
                if let Some(m) = self.store.subject_of(&key)? {
                    let e = subjects
                        .entry(m.subject_id)
                        .or_insert_with(|| (m.kind, Reach::new()));
                    e.1.entry(i).or_default().insert(key.clone());
                }
                targets.entry(key).or_default().push(i);
            }
        }

        // Records that name a target (holder, owner) or carry a target's phone number: their
        // keyed subjects are reached by the target. Collected during the scan, resolved after
        // it (the scan holds the store).
        let mut links: Vec<(RecordKey, RecordKey)> = Vec::new();
        let mut too_many = false;
        corridor_store::for_each_live(&mut *self.store, |v: StoredVersion| -> Result<()> {
            let schema = v.record.schema.as_str();
            let Some(prop) = reference_property(schema) else {
                return Ok(());
            };
            let this = RecordKey::new(&v.envelope.originator, &v.record.id);
            let mut push = |target: RecordKey| {
                if links.len() >= DECONFLICT_LINKS_MAX {
                    too_many = true;
                } else {
                    links.push((this.clone(), target));
                }
            };
            for named in v.record.properties.get(prop).into_iter().flatten() {
                let t = RecordKey::new(&v.envelope.originator, named);
                if targets.contains_key(&t) {
                    push(t);
                }
            }
            if schema == "Phone" {
                for n in v.record.properties.get("number").into_iter().flatten() {
                    for t in numbers.get(n).into_iter().flatten() {
                        push(t.clone());
                    }
                }
            }
            Ok(())
        })?;
        if too_many {
            return Err(PolicyError::Refused(format!(
                "more than {DECONFLICT_LINKS_MAX} records name a target"
            )));
        }
        for (linked, target) in links {
            let Some(m) = self.store.subject_of(&linked)? else {
                continue;
            };
            if !KEYED_KINDS.contains(&m.kind.as_str()) {
                continue;
            }
            let e = subjects
                .entry(m.subject_id)
                .or_insert_with(|| (m.kind, Reach::new()));
            for &i in targets.get(&target).into_iter().flatten() {
                e.1.entry(i).or_default().insert(target.clone());
            }
        }

        // Every pair of operations of different agencies on one subject: a notice to each side
        // the other side's agency allows discovery.
        let mut docs = Vec::new();
        let mut written = Vec::new();
        for (subject_id, (kind, reach)) in &subjects {
            let overlap = if KEYED_KINDS.contains(&kind.as_str()) {
                format!("shared {kind}")
            } else {
                "same subject".to_owned()
            };
            let reaching: Vec<usize> = reach.keys().copied().collect();
            for (a, &i) in reaching.iter().enumerate() {
                for &j in &reaching[a + 1..] {
                    if ops[i].agency == ops[j].agency {
                        continue;
                    }
                    report.overlaps += 1;
                    for (told, other) in [(i, j), (j, i)] {
                        let behind = reach.get(&other).map(|s| s.iter().cloned().collect());
                        if !self.discoverable(&ops[told].owner, behind.unwrap_or_default(), now)? {
                            report.withheld += 1;
                            continue;
                        }
                        let id = new_id("D", &[&ops[told].id, &ops[other].id, subject_id], 0, 0);
                        if self.store.policy_doc(KIND_NOTICE, &id)?.is_some() {
                            report.notices_existing += 1;
                            continue;
                        }
                        if docs.len() >= DECONFLICT_NOTICES_MAX {
                            report.pending += 1;
                            continue;
                        }
                        let n = Notice {
                            id: id.clone(),
                            searching_agency: ops[told].agency.clone(),
                            searcher: ops[told].owner.clone(),
                            operations: vec![ops[told].id.clone()],
                            holding_agency: ops[other].agency.clone(),
                            record_ids: Vec::new(),
                            at: now,
                            cause: NoticeCause::Deconfliction,
                            subject_id: subject_id.clone(),
                            overlap: overlap.clone(),
                            contact: ops[other].contact.clone(),
                        };
                        docs.push(doc(KIND_NOTICE, &id, &n)?);
                        written.push(json!({
                            "notice": id, "told": ops[told].agency, "operation": ops[told].id,
                            "subject": subject_id, "overlap": overlap,
                        }));
                    }
                }
            }
        }
        report.notices_written = docs.len();
        let row = self.audit_act(
            &audit::NewEntry {
                actor: "system",
                agency: "",
                origin,
                action: Action::Deconfliction,
                justification: "",
                detail: json!({
                    "operations": report.operations, "targets": report.targets,
                    "overlaps": report.overlaps, "withheld": report.withheld,
                    "pending": report.pending, "notices": written,
                }),
            },
            &docs,
            now,
        )?;
        report.audit_seq = row.seq;
        Ok(report)
    }

    /// True when `owner` may learn of at least one of `records` (they would see it, or a hit
    /// for it, in a search): the discovery rule of deconfliction.
    fn discoverable(&mut self, owner: &str, records: Vec<RecordKey>, now: i64) -> Result<bool> {
        for k in records {
            let Some(v) = self
                .store
                .head(&k.originator, &k.record_id)?
                .filter(|v| !v.tombstone)
            else {
                continue;
            };
            match self.decide_version(owner, &v, now) {
                Decision::Allow { .. } | Decision::HitOnly => return Ok(true),
                Decision::Deny(_) => {}
            }
        }
        Ok(false)
    }
}
