//! The store's ledger (typed transaction rows, `ledger_tx`) as one viewer may see it.
//!
//! A ledger row carries its originator and grading/handling like a record's envelope, so it is
//! decided by the same [`decide`] as a record: as a `Payment` (the FollowTheMoney schema of a
//! transfer, so that a standing agreement covering payments covers the originator's ledger
//! rows) whose id is `ledger:<transaction id>` (so that a grant naming a record never covers a
//! ledger row that happens to share its id). Everything that decides fails closed: an unknown
//! user, a role that does not read records, an originator not in the directory, a restricted
//! handling without a grant naming the recipient: the row is not visible.
//!
//! Derivation (scanning the whole ledger for alerts) needs every row; [`LedgerFacts`] hands
//! them over for that only. What a viewer is shown is decided per row
//! ([`PolicyStore::ledger_view`], decisions only) and every answer that shows rows is audited
//! first, naming them ([`PolicyStore::screen_ledger`]).

use std::collections::{HashMap, HashSet};

use corridor_model::Grading;
use corridor_store::LedgerRow;
use serde_json::json;

use crate::audit::{self, Action};
use crate::decide::{Decision, RecordMeta, decide};
use crate::{Context, PolicyError, PolicyStore, Result};

/// Most ledger rows one derivation reads: a bound on the server's memory.
pub const LEDGER_ROWS_MAX: usize = 20_000_000;

/// The schema a ledger row is decided as.
pub const LEDGER_SCHEMA: &str = "Payment";

/// The prefix of a ledger row's name (`ledger:ORIGINATOR/TX`), which sets it apart from a
/// record's name (`ORIGINATOR/ID`).
pub const LEDGER_NAME_PREFIX: &str = "ledger:";

/// The name a ledger row has in answers and in the audit log.
pub fn ledger_name(originator: &str, tx_id: &str) -> String {
    format!("{LEDGER_NAME_PREFIX}{originator}/{tx_id}")
}

/// One ledger row as the money kernels need it (derivation only).
#[derive(Clone, Debug)]
pub struct LedgerFact {
    /// `ledger:ORIGINATOR/TX`.
    pub name: String,
    pub ts_seconds: i64,
    pub from_account: String,
    pub to_account: String,
    pub amount_minor: i64,
    pub currency: String,
    pub channel: String,
}

/// Every ledger row, and the metadata decisions need, private to this crate.
pub struct LedgerFacts {
    /// Rows in the store's canonical order.
    pub rows: Vec<LedgerFact>,
    /// The ledger's length when read (rows are append-only: a longer ledger is a newer one).
    rows_stored: u64,
    /// name → (originator, grading).
    metas: HashMap<String, (String, Grading)>,
}

impl LedgerFacts {
    /// Rows the store held when these were read.
    pub fn rows_stored(&self) -> u64 {
        self.rows_stored
    }
}

/// The ledger rows one viewer may read, by name: decisions only, nothing disclosed.
pub struct LedgerView {
    readable: HashSet<String>,
}

impl LedgerView {
    /// True when the viewer may read the row named.
    pub fn visible(&self, name: &str) -> bool {
        self.readable.contains(name)
    }
    /// Rows the viewer may read.
    pub fn len(&self) -> usize {
        self.readable.len()
    }
    /// True when the viewer may read no row.
    pub fn is_empty(&self) -> bool {
        self.readable.is_empty()
    }
}

impl PolicyStore<'_> {
    /// The store's ledger rows, for derivation (the money kernels); what a viewer is shown of
    /// anything built from them must be decided by [`PolicyStore::ledger_view`] and audited by
    /// [`PolicyStore::screen_ledger`].
    pub fn ledger_facts(&mut self) -> Result<LedgerFacts> {
        let rows_stored = self.store.ledger_len()?;
        let mut rows = Vec::new();
        let mut metas = HashMap::new();
        corridor_store::for_each_ledger(&mut *self.store, |r: LedgerRow| -> Result<()> {
            if rows.len() >= LEDGER_ROWS_MAX {
                return Err(PolicyError::Refused(format!(
                    "the store's ledger has more than {LEDGER_ROWS_MAX} rows"
                )));
            }
            let name = ledger_name(&r.originator, &r.tx_id);
            metas.insert(name.clone(), (r.originator, r.handling));
            rows.push(LedgerFact {
                name,
                ts_seconds: r.ts_seconds,
                from_account: r.from_account,
                to_account: r.to_account,
                amount_minor: r.amount_minor,
                currency: r.currency,
                channel: r.channel,
            });
            Ok(())
        })?;
        debug_assert_eq!(metas.len(), rows.len(), "(originator, tx id) is unique");
        Ok(LedgerFacts {
            rows,
            rows_stored,
            metas,
        })
    }

    /// True while the store's ledger has as many rows as when `facts` were read.
    pub fn ledger_current(&mut self, facts: &LedgerFacts) -> Result<bool> {
        Ok(self.store.ledger_len()? == facts.rows_stored)
    }

    /// The rows `ctx.user` may read. Decisions only, no content and so no audit entry.
    pub fn ledger_view(&self, ctx: &Context, facts: &LedgerFacts) -> Result<LedgerView> {
        self.reader_agency(ctx)?;
        let readable = facts
            .metas
            .iter()
            .filter(|(name, (originator, grading))| {
                self.decide_ledger(&ctx.user, name, originator, grading, ctx.now)
            })
            .map(|(name, _)| name.clone())
            .collect();
        Ok(LedgerView { readable })
    }

    /// Writes one audit entry naming the ledger rows an answer shows (a disclosure when a row
    /// is another agency's), before the answer leaves. Every row named must be readable by
    /// `ctx.user` now: a row that is not (or is unknown) refuses the whole answer.
    pub fn screen_ledger(
        &mut self,
        ctx: &Context,
        facts: &LedgerFacts,
        names: &[String],
        justification: &str,
        what: &str,
    ) -> Result<i64> {
        let agency = self.reader_agency(ctx)?;
        if names.len() > crate::serve::SCREEN_KEYS_MAX {
            return Err(PolicyError::Refused(format!(
                "an answer covers at most {} ledger rows; narrow it",
                crate::serve::SCREEN_KEYS_MAX
            )));
        }
        let mut foreign = false;
        for n in names {
            let readable = facts.metas.get(n).is_some_and(|(originator, grading)| {
                foreign |= *originator != agency;
                self.decide_ledger(&ctx.user, n, originator, grading, ctx.now)
            });
            if !readable {
                return Err(PolicyError::Refused(format!(
                    "no readable ledger row '{n}'"
                )));
            }
        }
        let mut named: Vec<&String> = names.iter().collect();
        named.sort();
        named.dedup();
        let row = self.audit_read(
            &audit::NewEntry {
                actor: &ctx.user,
                agency: &agency,
                origin: &ctx.origin,
                action: if foreign {
                    Action::Disclosure
                } else {
                    Action::Consultation
                },
                justification,
                detail: json!({
                    "answer": what,
                    "ledger": named,
                    "recipients": {"agency": agency, "users": [ctx.user]},
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

    fn reader_agency(&self, ctx: &Context) -> Result<String> {
        let p = self.principal(&ctx.user)?;
        if !p.reads_records() {
            return Err(PolicyError::Refused(
                "no role of this user reads records".into(),
            ));
        }
        Ok(p.agency.code.clone())
    }

    fn decide_ledger(
        &self,
        user: &str,
        name: &str,
        originator: &str,
        grading: &Grading,
        now: i64,
    ) -> bool {
        let Some(tx_id) = name
            .strip_prefix(LEDGER_NAME_PREFIX)
            .and_then(|rest| rest.strip_prefix(originator))
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            return false;
        };
        let record_id = format!("{LEDGER_NAME_PREFIX}{tx_id}");
        let meta = RecordMeta {
            originator,
            record_id: &record_id,
            schema: LEDGER_SCHEMA,
            grading,
        };
        matches!(
            decide(
                self.directory.principal(user),
                self.directory.agency(originator).is_some(),
                &meta,
                &self.grants,
                now,
            ),
            Decision::Allow { .. }
        )
    }
}

impl PolicyStore<'_> {
    /// The ledger's account numbers mapped to account subjects and holders through the
    /// `BankAccount` records that carry them, for derivation: subject ids are opaque, and
    /// what a viewer is shown of an account's subject and holders must be decided on the
    /// records behind it ([`corridor_subjects::accounts::AccountInfo::records`]).
    pub fn account_index(&mut self) -> Result<corridor_subjects::accounts::AccountIndex> {
        corridor_subjects::accounts::account_index(&mut *self.store).map_err(|e| match e {
            corridor_subjects::Error::Store(e) => PolicyError::Store(e),
            // A limit or a stored subject that does not read back: the server's fault, not
            // the caller's (never a refusal, which a client would take for a decision).
            other => PolicyError::Corrupt(format!("indexing the ledger's accounts: {other}")),
        })
    }
}
