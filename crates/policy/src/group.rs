//! Group commit for searches from several threads. A search's answer may leave only once its
//! audit entry is durable, and on a store that syncs every commit that sync is most of a
//! search's time. [`SharedPolicy`] lets searches that arrive while another batch is being
//! committed wait in a queue; whichever thread next takes the policy layer runs every queued
//! search through [`PolicyStore::search_batch`], so they share one commit, and hands each
//! thread its own answer. No answer is returned before the commit that holds its entry.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::{
    Context, PolicyError, PolicyStore, Query, Result, SEARCH_BATCH_MAX, SearchAnswer, SearchCall,
};

/// A search waiting for a batch, and the place its answer is left.
struct Slot {
    ctx: Context,
    query: Query,
    justification: String,
    answer: Mutex<Option<Result<SearchAnswer>>>,
}

/// One policy layer shared by threads, with group commit for searches.
pub struct SharedPolicy {
    policy: Mutex<PolicyStore<'static>>,
    queue: Mutex<Vec<Arc<Slot>>>,
}

/// Locks a mutex; a thread that panicked while holding it leaves data this module only ever
/// replaces whole (a queue, a slot), and the policy layer's own state is reloaded from the
/// store on the next open, so the lock is taken over rather than poisoning every later search.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SharedPolicy {
    /// Shares a policy layer that owns its store ([`PolicyStore::open_owned`]).
    pub fn new(policy: PolicyStore<'static>) -> Self {
        SharedPolicy {
            policy: Mutex::new(policy),
            queue: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` with the policy layer to itself (any act other than a search).
    pub fn with<R>(&self, f: impl FnOnce(&mut PolicyStore<'static>) -> R) -> R {
        f(&mut lock(&self.policy))
    }

    /// A hit / no-hit search ([`PolicyStore::search`]), committed together with whatever other
    /// searches are queued when this thread takes the policy layer.
    pub fn search(
        &self,
        ctx: Context,
        query: Query,
        justification: String,
    ) -> Result<SearchAnswer> {
        let slot = Arc::new(Slot {
            ctx,
            query,
            justification,
            answer: Mutex::new(None),
        });
        lock(&self.queue).push(Arc::clone(&slot));
        let mut policy = lock(&self.policy);
        loop {
            // A batch run by another thread while this one waited may hold this search.
            if let Some(answer) = lock(&slot.answer).take() {
                return answer;
            }
            let batch: Vec<Arc<Slot>> = {
                let mut q = lock(&self.queue);
                let n = q.len().min(SEARCH_BATCH_MAX);
                q.drain(..n).collect()
            };
            if batch.is_empty() {
                // Not in the queue and not answered: cannot happen, as only a batch that
                // answers a slot takes it out of the queue. Fail closed rather than wait.
                return Err(PolicyError::Refused(
                    "the search was lost from the commit queue".into(),
                ));
            }
            let calls: Vec<SearchCall<'_>> = batch
                .iter()
                .map(|s| SearchCall {
                    ctx: &s.ctx,
                    query: &s.query,
                    justification: &s.justification,
                })
                .collect();
            let answers = policy.search_batch(&calls);
            debug_assert_eq!(answers.len(), batch.len());
            for (s, a) in batch.iter().zip(answers) {
                *lock(&s.answer) = Some(a);
            }
        }
    }
}

// Searches come from many threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<SharedPolicy>();
};
