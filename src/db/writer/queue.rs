//! Handed-over writes ([`Writer::run_handed_over`]): work that owns what
//! it needs (`Send + 'static`) is queued, and one writer at a time, the
//! *leader*, runs the queued work back to back in one transaction,
//! commits once, and tells every writer how its work ended.
//!
//! With [`Writer::run`] every writer takes the writer's mutex for its own
//! work: one hand-over of the mutex (a wake-up of the next thread, on a
//! busy machine a wait for a core) per piece of work, each on the path
//! that every other writer waits behind. Here the hand-over happens once
//! per transaction: the writers whose work the leader runs sleep until it
//! is committed.
//!
//! - A writer queues its work; if no one leads, it leads (the queue is
//!   empty whenever no one leads, so its work is the first).
//! - The leader takes the writer's mutex, runs the queued work, at most
//!   [`MAX_BATCH`] pieces, each as [`Writer::run`] would (the first of a
//!   transaction directly, the others in savepoints), then commits.
//! - It tells each writer its outcome, hands the lead to the writer of the
//!   first piece of work still queued (or, with none, leaves it), and
//!   returns its own outcome.
//! - Work that panics is rolled back with its transaction: its writer gets
//!   [`Error::Integrity`], the others of the transaction `Unavailable`
//!   (nothing of theirs was kept), and the lead goes on.

use super::{MAX_BATCH, Ran, State, Writer, not_committed};
use crate::db::DbConnection;
use crate::error::{Error, Result};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// The queued work and whether a writer leads.
#[derive(Default)]
pub(super) struct Queue {
    waiting: Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    work: VecDeque<Queued>,
    leading: bool,
}

/// A piece of work as queued: on success it has kept its value for its
/// writer ([`Slot::keep`]).
type Work = Box<dyn FnOnce(&mut DbConnection) -> Result<()> + Send>;

/// One piece of queued work and its writer.
struct Queued {
    work: Work,
    writer: Arc<dyn Told>,
}

/// What the leader tells a waiting writer.
trait Told: Send + Sync {
    /// The work ended: `Ok` once its transaction committed.
    fn ended(&self, outcome: Result<()>);
    /// It leads now.
    fn lead(&self);
}

/// A waiting writer's slot: the value its work returned, and then how it
/// ended.
struct Slot<T> {
    state: Mutex<Step<T>>,
    woken: Condvar,
}

enum Step<T> {
    Waiting,
    /// The work returned this value; its transaction has not ended yet.
    Ran(T),
    Lead,
    Ended(Result<T>),
}

impl<T: Send> Told for Slot<T> {
    fn ended(&self, outcome: Result<()>) {
        let mut step = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let value = std::mem::replace(&mut *step, Step::Waiting);
        *step = Step::Ended(match (outcome, value) {
            (Ok(()), Step::Ran(value)) => Ok(value),
            (Ok(()), _) => Err(Error::Integrity("a write ended without its value")),
            (Err(e), _) => Err(e),
        });
        self.woken.notify_all();
    }

    fn lead(&self) {
        let mut step = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*step, Step::Waiting) {
            *step = Step::Lead;
        }
        self.woken.notify_all();
    }
}

impl<T> Slot<T> {
    fn keep(&self, value: T) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = Step::Ran(value);
    }

    /// Waits until the work ended (`Some`) or this writer leads (`None`).
    fn wait(&self) -> Option<Result<T>> {
        let mut step = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match std::mem::replace(&mut *step, Step::Waiting) {
                Step::Ended(result) => return Some(result),
                Step::Lead => return None,
                other => *step = other,
            }
            step = self
                .woken
                .wait(step)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Writer {
    /// Runs `f` in the writer's transaction, possibly on another writer's
    /// thread (see the module documentation), and returns once that has
    /// committed, as [`Writer::run`] does.
    pub(in crate::db) fn run_handed_over<T: Send + 'static>(
        &self,
        connected: &dyn Fn(bool),
        f: impl FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _inside = super::WriteGuard::enter()?;
        let slot = Arc::new(Slot {
            state: Mutex::new(Step::Waiting),
            woken: Condvar::new(),
        });
        let keeper = slot.clone();
        let queued = Queued {
            work: Box::new(move |c| f(c).map(|value| keeper.keep(value))),
            writer: slot.clone(),
        };
        let leads = {
            let mut w = self.queue.lock();
            w.work.push_back(queued);
            !std::mem::replace(&mut w.leading, true)
        };
        if !leads && let Some(result) = slot.wait() {
            return result;
        }
        self.lead(connected);
        slot.wait()
            .unwrap_or(Err(Error::Integrity("a writer led twice")))
    }

    /// Runs one transaction of queued work, then hands the lead on.
    fn lead(&self, connected: &dyn Fn(bool)) {
        self.run_batch(connected);
        let mut w = self.queue.lock();
        match w.work.front() {
            Some(first) => first.writer.lead(),
            None => w.leading = false,
        }
    }

    /// Runs queued work in one transaction, at most [`MAX_BATCH`] pieces,
    /// and tells their writers how it ended.
    fn run_batch(&self, connected: &dyn Fn(bool)) {
        let mut st = self.lock_queued();
        let mut ran: Vec<Arc<dyn Told>> = Vec::new();
        let mut failed = None;
        for _ in 0..MAX_BATCH {
            let Some(next) = self.queue.lock().work.pop_front() else {
                break;
            };
            match self.run_queued(&mut st, connected, next) {
                Ok(Some(writer)) => ran.push(writer),
                Ok(None) => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let outcome = match failed {
            Some(e) => Err(e),
            None if st.open.is_some() => self.commit(&mut st),
            None => Ok(()),
        };
        drop(st);
        for writer in ran {
            writer.ended(match &outcome {
                Ok(()) => Ok(()),
                Err(Error::StorageFull) => Err(not_committed(true)),
                Err(_) => Err(not_committed(false)),
            });
        }
    }

    /// Takes the writer's mutex as a queued writer of [`Writer::run`].
    fn lock_queued(&self) -> std::sync::MutexGuard<'_, State> {
        use std::sync::atomic::Ordering;
        self.queued.fetch_add(1, Ordering::SeqCst);
        let st = self.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);
        st
    }

    /// Runs one piece of queued work in the open transaction (beginning
    /// one if needed). `Ok(Some)`: it went well and waits for the commit;
    /// `Ok(None)`: its writer was told how it failed; `Err`: the
    /// transaction is given up (its writer was told).
    fn run_queued(
        &self,
        st: &mut State,
        connected: &dyn Fn(bool),
        queued: Queued,
    ) -> Result<Option<Arc<dyn Told>>> {
        let Queued { work, writer } = queued;
        if let Err(e) = self.begin(st, connected) {
            writer.ended(Err(e));
            return Ok(None);
        }
        let ran = st
            .run_work(work)
            .unwrap_or(Ran::Broken(Error::Integrity("a write failed unexpectedly")));
        match ran {
            Ran::Done(Ok(())) => {
                if let Some(open) = st.open.as_mut() {
                    open.work += 1;
                }
                Ok(Some(writer))
            }
            Ran::Done(Err(e)) => {
                writer.ended(Err(e));
                Ok(None)
            }
            Ran::RolledBack(e) => {
                st.open = None;
                writer.ended(Err(e));
                Ok(None)
            }
            Ran::Broken(e) => {
                let storage_full = matches!(e, Error::StorageFull);
                self.fail(st, storage_full);
                writer.ended(Err(e));
                Err(not_committed(storage_full))
            }
        }
    }
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
