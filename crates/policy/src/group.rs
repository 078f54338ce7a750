//! Group commit for searches from several threads. A search's answer may leave only once its
//! audit entry is durable, and on a store that syncs every commit that sync is most of a
//! search's time. [`SharedPolicy`] splits a search in two:
//!
//! 1. *Decide*, under the policy lock: the search is answered from the discovery index and its
//!    audit entry is chained in memory after the last entry decided (written or not), then
//!    queued. Nothing leaves yet.
//! 2. *Commit*, under the writer lock, on a second store handle: whichever thread holds it
//!    writes every queued entry in one transaction (`Store::write_policy_batch`), so the
//!    entries decided while the previous commit was syncing share the next one, and marks each
//!    of them durable or failed.
//!
//! A thread returns its answer only once its own entry is marked durable. If a commit fails,
//! its entries and every entry queued after them (chained on them) fail, nothing of those
//! searches is disclosed, and the chain is read afresh from the store.
//!
//! [`SharedPolicy::read`] does the same for any read (records, subjects, graphs, screened
//! answers): the reads' audit entries are chained in memory while the policy lock is held and
//! committed in a group afterwards. Acts that change policy state (grants, requests, users,
//! tokens, erasures) refuse to run inside it and go through [`SharedPolicy::with`], which
//! writes and syncs them on the spot, after everything queued before them.

use std::sync::{Arc, Mutex, MutexGuard};

use corridor_store::{AuditRow, PolicyDoc, Store, StoreError};
use ed25519_dalek::SigningKey;

use crate::{Context, PolicyError, PolicyStore, Query, Result, SEARCH_BATCH_MAX, SearchAnswer};

/// Where a queued entry's outcome is left for the thread waiting on it.
type Outcome = Arc<Mutex<Option<std::result::Result<(), String>>>>;

/// An entry decided but not yet written.
struct Queued {
    row: AuditRow,
    docs: Vec<PolicyDoc>,
    /// Where to tell the waiting thread; set on the last entry of each thread's group only,
    /// so that a group split over two commits is answered after the second.
    outcome: Option<Outcome>,
    /// Sign a checkpoint (at this time) once this entry is durable.
    checkpoint_at: Option<i64>,
}

/// Entries decided but not yet written, in chain order, and the chain's end in memory.
#[derive(Default)]
struct Queue {
    /// The last entry decided (sequence number, hash); `None`: read it from the store.
    tail: Option<(i64, Vec<u8>)>,
    entries: Vec<Queued>,
}

/// One policy layer shared by threads, with group commit for searches and reads.
pub struct SharedPolicy {
    policy: Mutex<PolicyStore<'static>>,
    queue: Mutex<Queue>,
    writer: Mutex<Box<dyn Store>>,
    /// The policy layer's signing key, for checkpoints after a group commit.
    signer: Option<SigningKey>,
}

/// Locks a mutex. A thread that panicked while holding one leaves either the policy layer
/// (whose state is reloaded from the store when opened again) or a queue whose entries are
/// only ever taken whole; taking the lock over fails no invariant, while poisoning would fail
/// every later search.
fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SharedPolicy {
    /// Shares a policy layer that owns its store ([`PolicyStore::open_owned`]); `writer` is a
    /// second handle onto the same store, used only to write searches' audit entries.
    pub fn new(policy: PolicyStore<'static>, mut writer: Box<dyn Store>) -> Result<Self> {
        writer.prefer_small_commits()?;
        let signer = policy.signer().cloned();
        Ok(SharedPolicy {
            policy: Mutex::new(policy),
            queue: Mutex::new(Queue::default()),
            writer: Mutex::new(writer),
            signer,
        })
    }

    /// Runs a read `f` (anything that only audits: searches, reads of records and subjects,
    /// screened answers) with its audit entries group-committed: they are chained in memory
    /// under the policy lock, then written with other threads' entries, and `f`'s result is
    /// returned only once they are durable. If that commit fails, the result is dropped and
    /// an error returned: nothing is disclosed. An act that changes policy state fails inside
    /// `f` (use [`SharedPolicy::with`]).
    pub fn read<R, E>(
        &self,
        f: impl FnOnce(&mut PolicyStore<'static>) -> std::result::Result<R, E>,
    ) -> std::result::Result<R, E>
    where
        E: From<PolicyError>,
    {
        let outcome: Outcome = Arc::new(Mutex::new(None));
        let out = {
            let mut policy = lock(&self.policy);
            let mut queue = lock(&self.queue);
            if queue.tail.is_none() {
                queue.tail = policy.audit_tail_link()?;
            }
            policy.begin_deferred(queue.tail.clone());
            // The queue stays locked while `f` runs: whoever commits meanwhile must not read
            // the tail `f` is chaining on. Commits take it only to drain entries.
            let out = f(&mut policy);
            let made = policy.end_deferred();
            let n = made.rows.len();
            if n == 0 {
                return out;
            }
            queue.tail = made.tail;
            for (i, (row, docs)) in made.rows.into_iter().enumerate() {
                let last = i + 1 == n;
                queue.entries.push(Queued {
                    row,
                    docs,
                    outcome: last.then(|| Arc::clone(&outcome)),
                    checkpoint_at: made.checkpoint_at.filter(|_| last),
                });
            }
            out
        };
        self.wait_durable(&outcome)?;
        out
    }

    /// Waits until `outcome` is set, committing queued entries meanwhile (whoever holds the
    /// writer commits for everyone queued).
    fn wait_durable(&self, outcome: &Outcome) -> Result<()> {
        let mut writer = lock(&self.writer);
        loop {
            if let Some(done) = lock(outcome).take() {
                return done.map_err(|e| {
                    PolicyError::Store(StoreError::Conflict(format!(
                        "the audit write failed, nothing is disclosed: {e}"
                    )))
                });
            }
            if !self.commit_queued(writer.as_mut()) {
                // Not answered and nothing queued: only a commit takes an entry out of the
                // queue, and it answers every entry it takes. Fail closed rather than wait.
                return Err(PolicyError::Refused(
                    "the audit entry was lost from the commit queue".into(),
                ));
            }
        }
    }

    /// Runs `f` with the policy layer to itself (any act other than a search). Queued search
    /// entries are written first, so `f`'s own audit entries follow them in the chain.
    pub fn with<R>(&self, f: impl FnOnce(&mut PolicyStore<'static>) -> R) -> R {
        let mut policy = lock(&self.policy);
        let mut writer = lock(&self.writer);
        while self.commit_queued(writer.as_mut()) {}
        let out = f(&mut policy);
        // `f` may have appended entries: the chain's end is read afresh.
        lock(&self.queue).tail = None;
        drop(writer);
        out
    }

    /// A hit / no-hit search ([`PolicyStore::search`]), whose audit entry is committed
    /// together with those of the searches decided while the previous commit was syncing.
    pub fn search(
        &self,
        ctx: Context,
        query: Query,
        justification: String,
    ) -> Result<SearchAnswer> {
        let outcome: Outcome = Arc::new(Mutex::new(None));
        let answer = {
            let mut policy = lock(&self.policy);
            let mut queue = lock(&self.queue);
            if queue.tail.is_none() {
                queue.tail = policy.audit_tail_link()?;
            }
            let prev = queue.tail.as_ref().map(|(s, h)| (*s, h.as_slice()));
            let (answer, row, docs) =
                policy.search_unwritten(&ctx, &query, &justification, prev)?;
            queue.tail = Some((row.seq, row.hash.clone()));
            queue.entries.push(Queued {
                row,
                docs,
                outcome: Some(Arc::clone(&outcome)),
                checkpoint_at: None,
            });
            answer
        };
        self.wait_durable(&outcome)?;
        Ok(answer)
    }

    /// Writes up to [`SEARCH_BATCH_MAX`] queued entries in one transaction and marks each
    /// durable or failed. False when nothing was queued.
    fn commit_queued(&self, writer: &mut dyn Store) -> bool {
        let batch: Vec<Queued> = {
            let mut queue = lock(&self.queue);
            let n = queue.entries.len().min(SEARCH_BATCH_MAX);
            queue.entries.drain(..n).collect()
        };
        if batch.is_empty() {
            return false;
        }
        let checkpoint_at = batch.iter().filter_map(|q| q.checkpoint_at).max();
        let mut outcomes = Vec::new();
        let mut writes = Vec::with_capacity(batch.len());
        for q in batch {
            outcomes.extend(q.outcome);
            writes.push((q.row, q.docs));
        }
        let written = writer
            .write_policy_batch(&writes)
            .map_err(PolicyError::from);
        let signed = written.and_then(|()| match (&self.signer, checkpoint_at) {
            (Some(key), Some(now)) => crate::audit::checkpoint(writer, key, now).map(|_| ()),
            _ => Ok(()),
        });
        match signed {
            Ok(()) => {
                for o in outcomes {
                    *lock(&o) = Some(Ok(()));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                // Entries queued since were chained on the failed ones: they fail too, and
                // the chain's end is read afresh from the store.
                let later: Vec<Outcome> = {
                    let mut queue = lock(&self.queue);
                    queue.tail = None;
                    queue.entries.drain(..).filter_map(|q| q.outcome).collect()
                };
                for o in outcomes.into_iter().chain(later) {
                    *lock(&o) = Some(Err(msg.clone()));
                }
            }
        }
        true
    }
}

// Searches come from many threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<SharedPolicy>();
};
