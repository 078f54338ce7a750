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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use corridor_store::{AuditRow, PolicyDoc, Store, StoreError};
use ed25519_dalek::SigningKey;

use crate::{Context, PolicyError, PolicyStore, Query, Result, SEARCH_BATCH_MAX, SearchAnswer};

/// Where a queued entry's outcome is left for the thread waiting on it.
type Outcome = Arc<Mutex<Option<std::result::Result<(), String>>>>;

/// What to do once a queued entry is durable (`Ok`) or its commit failed (`Err`, the reason).
type Notify = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;

/// A notification that leaves the outcome in `slot` for a waiting thread.
fn notify_slot(slot: &Outcome) -> Notify {
    let slot = Arc::clone(slot);
    Box::new(move |done| *lock(&slot) = Some(done))
}

/// The error a reader gets when its entries' commit failed: nothing is disclosed.
fn commit_failed(reason: &str) -> PolicyError {
    PolicyError::Store(StoreError::Conflict(format!(
        "the audit write failed, nothing is disclosed: {reason}"
    )))
}

/// How long an idle [`SharedPolicy::commit_loop`] sleeps before it looks for a close.
const COMMIT_IDLE_WAIT_MS: u64 = 100;

/// Where a deferred read's answer goes.
type Then<R, E> = Box<dyn FnOnce(std::result::Result<R, E>) + Send>;

/// A deferred read's answer and its commit's outcome, whichever arrives first.
enum Meeting<R, E> {
    Neither,
    Answer(std::result::Result<R, E>, Then<R, E>),
    Outcome(std::result::Result<(), String>),
}

/// Hands a deferred read its answer if its entries are durable, or the commit's failure.
fn deliver<R, E: From<PolicyError>>(
    out: std::result::Result<R, E>,
    then: Then<R, E>,
    done: std::result::Result<(), String>,
) {
    match done {
        Ok(()) => then(out),
        Err(reason) => then(Err(E::from(commit_failed(&reason)))),
    }
}

/// An entry decided but not yet written.
struct Queued {
    row: AuditRow,
    docs: Vec<PolicyDoc>,
    /// Whom to tell; set on the last entry of each read's group only, so that a group split
    /// over two commits is answered after the second.
    outcome: Option<Notify>,
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
    /// Signalled when entries are queued, for [`SharedPolicy::commit_loop`].
    queued: Condvar,
    /// Set by [`SharedPolicy::close_commits`]: the commit loop ends once the queue is empty.
    closing: AtomicBool,
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
            queued: Condvar::new(),
            closing: AtomicBool::new(false),
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
        let (out, queued) = self.decide(f, notify_slot(&outcome))?;
        if queued {
            self.wait_durable(&outcome)?;
        }
        out
    }

    /// [`SharedPolicy::read`] without waiting: `f` is decided on this thread, and `then` gets
    /// its result once its audit entries are durable (or an error if their commit failed),
    /// on whichever thread commits them: run [`SharedPolicy::commit_loop`] on a thread of its
    /// own. `then` runs at once, here, when `f` audited nothing.
    pub fn read_then<R, E>(
        &self,
        f: impl FnOnce(&mut PolicyStore<'static>) -> std::result::Result<R, E>,
        then: impl FnOnce(std::result::Result<R, E>) + Send + 'static,
    ) where
        R: Send + 'static,
        E: From<PolicyError> + Send + 'static,
    {
        let meeting: Arc<Mutex<Meeting<R, E>>> = Arc::new(Mutex::new(Meeting::Neither));
        let notify: Notify = {
            let meeting = Arc::clone(&meeting);
            Box::new(move |done| {
                let mut m = lock(&meeting);
                match std::mem::replace(&mut *m, Meeting::Neither) {
                    Meeting::Answer(out, then) => {
                        drop(m);
                        deliver(out, then, done);
                    }
                    _ => *m = Meeting::Outcome(done),
                }
            })
        };
        let then: Then<R, E> = Box::new(then);
        match self.decide(f, notify) {
            Err(e) => then(Err(E::from(e))),
            Ok((out, false)) => then(out),
            Ok((out, true)) => {
                // The commit may have come first: whichever of the two arrives second
                // delivers, so the answer leaves exactly once, and only when durable.
                let mut m = lock(&meeting);
                match std::mem::replace(&mut *m, Meeting::Neither) {
                    Meeting::Outcome(done) => {
                        drop(m);
                        deliver(out, then, done);
                    }
                    _ => *m = Meeting::Answer(out, then),
                }
            }
        }
    }

    /// Decides `f` under the policy lock and queues its audit entries, `notify` on the last
    /// one. Returns `f`'s result and whether anything was queued (if not, `notify` is dropped
    /// unused).
    fn decide<R, E>(
        &self,
        f: impl FnOnce(&mut PolicyStore<'static>) -> std::result::Result<R, E>,
        notify: Notify,
    ) -> Result<(std::result::Result<R, E>, bool)> {
        let mut policy = lock(&self.policy);
        let mut queue = lock(&self.queue);
        if queue.tail.is_none() {
            queue.tail = policy.audit_tail_link()?;
        }
        policy.begin_deferred(queue.tail.clone());
        // The queue stays locked while `f` runs: whoever commits meanwhile must not read the
        // tail `f` is chaining on. Commits take it only to drain entries.
        let out = f(&mut policy);
        let made = policy.end_deferred();
        let n = made.rows.len();
        if n == 0 {
            return Ok((out, false));
        }
        queue.tail = made.tail;
        let mut notify = Some(notify);
        for (i, (row, docs)) in made.rows.into_iter().enumerate() {
            let last = i + 1 == n;
            queue.entries.push(Queued {
                row,
                docs,
                outcome: if last { notify.take() } else { None },
                checkpoint_at: made.checkpoint_at.filter(|_| last),
            });
        }
        drop(queue);
        self.queued.notify_one();
        Ok((out, true))
    }

    /// Commits queued entries as they come, until [`SharedPolicy::close_commits`] is called
    /// and the queue is empty. Run it on a thread of its own beside [`SharedPolicy::read_then`].
    pub fn commit_loop(&self) {
        loop {
            {
                let mut queue = lock(&self.queue);
                while queue.entries.is_empty() {
                    if self.closing.load(Ordering::Acquire) {
                        return;
                    }
                    // The timeout only bounds how long a missed wake-up could delay a close.
                    queue = self
                        .queued
                        .wait_timeout(queue, std::time::Duration::from_millis(COMMIT_IDLE_WAIT_MS))
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .0;
                }
            }
            let mut writer = lock(&self.writer);
            while self.commit_queued(writer.as_mut()) {}
        }
    }

    /// Ends [`SharedPolicy::commit_loop`] once everything queued is committed.
    pub fn close_commits(&self) {
        self.closing.store(true, Ordering::Release);
        let _queue = lock(&self.queue);
        self.queued.notify_all();
    }

    /// Waits until `outcome` is set, committing queued entries meanwhile (whoever holds the
    /// writer commits for everyone queued).
    fn wait_durable(&self, outcome: &Outcome) -> Result<()> {
        let mut writer = lock(&self.writer);
        loop {
            if let Some(done) = lock(outcome).take() {
                return done.map_err(|e| commit_failed(&e));
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
    /// together with those of the searches decided while the previous commit was syncing: a
    /// [`SharedPolicy::read`] of one search.
    pub fn search(
        &self,
        ctx: Context,
        query: Query,
        justification: String,
    ) -> Result<SearchAnswer> {
        self.read(|p| p.search(&ctx, &query, &justification))
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
                    o(Ok(()));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                // Entries queued since were chained on the failed ones: they fail too, and
                // the chain's end is read afresh from the store.
                let later: Vec<Notify> = {
                    let mut queue = lock(&self.queue);
                    queue.tail = None;
                    queue.entries.drain(..).filter_map(|q| q.outcome).collect()
                };
                for o in outcomes.into_iter().chain(later) {
                    o(Err(msg.clone()));
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
