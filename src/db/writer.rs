//! The writer: a connection of its own, outside the pool, that runs
//! writing transactions with group commit. On SQLite it runs every writing
//! transaction of this server ([`super::Db::write`]); on PostgreSQL only
//! the handed-over ones ([`super::Db::write_handed_over`], the
//! enrolments), and every other write is [`one_transaction`] on a pooled
//! connection.
//!
//! - Writers queue on a mutex. The one that holds it runs its work in the
//!   writer's open transaction (begun with `BEGIN IMMEDIATE`): the first work of a
//!   transaction directly, any later one in a savepoint. Work that fails
//!   rolls back to its savepoint (the first: the whole transaction) and
//!   leaves the others' work as it was.
//! - Then it commits, unless another writer is queued behind it and the
//!   transaction holds fewer than [`MAX_BATCH`] pieces of work: then it
//!   leaves the transaction open for the next one, and waits until the
//!   transaction it joined has ended. So under load one commit (one
//!   append of the pages it changed to the WAL) serves many writes; with one writer at a time each write
//!   commits at once, as a plain transaction would.
//! - Nobody's work is answered before its commit: a writer whose work went
//!   well returns only after the transaction committed, and with an error
//!   when it did not (`StorageFull` when the disk is full, otherwise
//!   `Unavailable`: nothing of it was written, so the request can be sent
//!   again).
//! - Work that panics ends the transaction (the connection is closed,
//!   which rolls it back), wakes the writers waiting for it with an error,
//!   and the panic goes on.
//! - A writing transaction that opens another on the same thread would
//!   wait for itself for ever: it is refused ([`WriteGuard`]).
//! - Work that owns what it needs can be handed over instead
//!   ([`queue`]): the writer that leads runs it, with others, in one
//!   transaction, and the mutex changes hands once per transaction
//!   instead of once per piece of work.
//! - SQLite: a checkpoint thread writes the WAL back beside the writer
//!   ([`checkpointer`]), so that the writer seldom waits for the disk.

mod checkpointer;
pub(crate) mod epoch;
mod queue;

use super::{DbConnection, Manager, SQLITE_WAL_TRUNCATE_AT, meta};
use crate::config::DatabaseUrl;
use crate::error::{Error, Result};
use diesel::connection::SimpleConnection;
use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// At most this many pieces of work share one transaction: a bound on
/// how long the first of them waits for its commit.
pub const MAX_BATCH: usize = 32;
/// SQLite: how often (in commits) the writer looks at the WAL's size.
const SQLITE_WAL_CHECK_EVERY: u64 = 256;
/// The writer's SQLite page cache, in KiB (SQLite's default is 2 MiB; the
/// writer touches the indexes of every table that issuance fills).
const SQLITE_WRITER_CACHE_KIB: u32 = 32 * 1024;

/// The writing connection and its queue.
pub(super) struct Writer {
    manager: Manager,
    state: Mutex<State>,
    /// Writers that asked for the mutex and do not hold it yet.
    queued: AtomicUsize,
    /// Transactions committed (SQLite: the WAL's size is looked at every
    /// [`SQLITE_WAL_CHECK_EVERY`] of them).
    commits: AtomicU64,
    /// SQLite: the `-wal` file.
    wal: Option<PathBuf>,
    /// Work handed over to whichever writer leads ([`queue`]).
    queue: queue::Queue,
    /// SQLite: writes the WAL back beside the writer ([`checkpointer`]).
    checkpointer: checkpointer::Checkpointer,
    /// Held by whoever checkpoints the database apart from the writer's
    /// own automatic checkpoint (which gives way by itself).
    checkpointing: Mutex<()>,
}

#[derive(Default)]
struct State {
    /// Opened when first needed, and again after it was closed.
    conn: Option<DbConnection>,
    /// The transaction open now.
    open: Option<Open>,
}

struct Open {
    /// Pieces of work run in it.
    work: usize,
    /// Its epoch now ([`epoch`]).
    epoch: u64,
    /// How it ended, for the writers waiting for it.
    ended: Arc<Ended>,
}

impl State {
    /// Runs one piece of work in the open transaction, in its epoch: the
    /// first work of a transaction directly (when it fails, the whole
    /// transaction is rolled back), a later one in a savepoint. When the
    /// savepoint was rolled back, the transaction's epoch is renewed (what
    /// the work wrote may have been remembered). A panic is returned, not
    /// raised.
    fn run_work<T>(
        &mut self,
        f: impl FnOnce(&mut DbConnection) -> Result<T>,
    ) -> std::thread::Result<Ran<T>> {
        let first = self.open.as_ref().is_some_and(|open| open.work == 0);
        let in_epoch = self.open.as_ref().map_or(0, |open| open.epoch);
        let Some(conn) = self.conn.as_mut() else {
            return Ok(Ran::Broken(Error::Integrity(
                "the writer has no connection",
            )));
        };
        let ran = catch_unwind(AssertUnwindSafe(|| {
            epoch::within(in_epoch, || {
                if first {
                    alone(conn, f)
                } else {
                    in_savepoint(conn, f)
                }
            })
        }));
        if let Ok(Ran::Done(Err(_))) = &ran
            && let Some(open) = self.open.as_mut()
        {
            open.epoch = epoch::fresh();
        }
        ran
    }
}

/// How a transaction ended, told to the writers that wait for it (each
/// transaction has its own: waking them takes nothing from the writer's
/// mutex, which the next transaction's writers need).
#[derive(Default)]
struct Ended {
    /// `None` while open; `Some(None)` committed; `Some(Some(storage_full))`
    /// not committed.
    how: Mutex<Option<Option<bool>>>,
    told: Condvar,
}

impl Ended {
    fn tell(&self, how: Option<bool>) {
        *self.how.lock().unwrap_or_else(PoisonError::into_inner) = Some(how);
        self.told.notify_all();
    }

    fn wait(&self) -> Option<bool> {
        let mut how = self.how.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(how) = *how {
                return how;
            }
            how = self.told.wait(how).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// How one piece of work ended inside the transaction.
enum Ran<T> {
    /// Its savepoint was released (`Ok`) or rolled back (`Err`).
    Done(Result<T>),
    /// The transaction itself is unusable.
    Broken(Error),
    /// It was the transaction's first work, it failed, and the
    /// transaction was rolled back.
    RolledBack(Error),
}

impl Writer {
    /// The writer of the database that `manager` opens (it connects when
    /// first needed), and on SQLite its checkpointer.
    pub(super) fn start(manager: Manager) -> Arc<Writer> {
        let wal = match &manager.url {
            DatabaseUrl::Sqlite { path } => {
                let mut wal = path.clone().into_os_string();
                wal.push("-wal");
                Some(PathBuf::from(wal))
            }
            DatabaseUrl::Postgres { .. } => None,
        };
        Arc::new_cyclic(|me| Writer {
            checkpointer: match wal {
                Some(_) => checkpointer::Checkpointer::new(manager.clone(), me.clone()),
                None => checkpointer::Checkpointer::none(),
            },
            manager,
            state: Mutex::new(State::default()),
            queued: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
            wal,
            queue: queue::Queue::default(),
            checkpointing: Mutex::new(()),
        })
    }

    /// Runs `f` in the writer's transaction and returns once that has
    /// committed (see the module documentation). `connected` is told
    /// whether a connection could be opened.
    pub(super) fn run<T>(
        &self,
        connected: &dyn Fn(bool),
        f: impl FnOnce(&mut DbConnection) -> Result<T>,
    ) -> Result<T> {
        let _inside = WriteGuard::enter()?;
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut st = self.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);
        self.begin(&mut st, connected)?;
        let ran = match st.run_work(f) {
            Ok(ran) => ran,
            Err(panic) => {
                self.fail(&mut st, false);
                drop(st);
                resume_unwind(panic)
            }
        };
        let result = match ran {
            Ran::Broken(e) => {
                self.fail(&mut st, matches!(e, Error::StorageFull));
                return Err(e);
            }
            Ran::Done(result) => result,
            Ran::RolledBack(e) => {
                // Nobody else's work was in it, and nobody waits for it.
                st.open = None;
                return Err(e);
            }
        };
        let Some(open) = st.open.as_mut() else {
            return Err(Error::Integrity("the writer's transaction ended early"));
        };
        open.work += 1;
        if self.queued.load(Ordering::SeqCst) == 0 || open.work >= MAX_BATCH {
            let committed = self.commit(&mut st);
            return result.and_then(|value| committed.map(|()| value));
        }
        // Another writer is queued: it goes on in this transaction, and
        // it or one after it commits.
        let value = result?;
        let ended = open.ended.clone();
        drop(st);
        match ended.wait() {
            None => Ok(value),
            Some(storage_full) => Err(not_committed(storage_full)),
        }
    }

    /// Transactions committed so far.
    pub(super) fn committed(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| self.recover(p))
    }

    /// After a panic while the mutex was held (outside the work, which is
    /// caught): the transaction, if one is open, is given up.
    fn recover<'a>(
        &self,
        poisoned: std::sync::PoisonError<MutexGuard<'a, State>>,
    ) -> MutexGuard<'a, State> {
        self.state.clear_poison();
        let mut st = poisoned.into_inner();
        self.fail(&mut st, false);
        st
    }

    /// Begins a transaction (and opens the connection) when none is open.
    /// A connection kept from before that cannot begin one (the server
    /// closed it: PostgreSQL restarted, the database was dropped) is
    /// replaced once, so that the failure is told as a connection that
    /// could not be opened.
    fn begin(&self, st: &mut State, connected: &dyn Fn(bool)) -> Result<()> {
        if st.open.is_some() {
            return Ok(());
        }
        let kept = st.conn.is_some();
        let began = begin_write(self.connection(st, connected)?);
        if let Err(e) = began {
            st.conn = None;
            if !kept {
                return Err(e.into());
            }
            if let Err(e) = begin_write(self.connection(st, connected)?) {
                st.conn = None;
                return Err(e.into());
            }
        }
        st.open = Some(Open {
            work: 0,
            epoch: epoch::fresh(),
            ended: Arc::default(),
        });
        Ok(())
    }

    /// The writer's connection, opened when there is none.
    fn connection<'a>(
        &self,
        st: &'a mut State,
        connected: &dyn Fn(bool),
    ) -> Result<&'a mut DbConnection> {
        let conn = match &mut st.conn {
            Some(conn) => conn,
            empty => {
                use r2d2::ManageConnection;
                let mut conn = self.manager.connect().map_err(|e| {
                    connected(false);
                    Error::Unavailable(e.to_string())
                })?;
                if let DbConnection::Sqlite(c) = &mut conn {
                    c.batch_execute(&format!("PRAGMA cache_size = -{SQLITE_WRITER_CACHE_KIB}"))?;
                    c.batch_execute(&format!(
                        "PRAGMA wal_autocheckpoint = {}",
                        checkpointer::WRITER_CHECKPOINT_PAGES
                    ))?;
                }
                empty.insert(conn)
            }
        };
        connected(true);
        Ok(conn)
    }

    /// Commits the open transaction and wakes the writers waiting for it.
    fn commit(&self, st: &mut State) -> Result<()> {
        let (Some(open), Some(conn)) = (st.open.take(), st.conn.as_mut()) else {
            return Err(Error::Integrity("the writer's transaction ended early"));
        };
        type M = <DbConnection as Connection>::TransactionManager;
        let committed = M::commit_transaction(conn).map_err(Error::from);
        match &committed {
            Ok(()) => {
                let commits = self.commits.fetch_add(1, Ordering::Relaxed);
                if (commits + 1).is_multiple_of(checkpointer::NUDGE_EVERY) {
                    self.checkpointer.nudge();
                }
                if commits.is_multiple_of(SQLITE_WAL_CHECK_EVERY) {
                    self.bound_wal(conn);
                }
            }
            Err(e) => {
                // Closing the connection rolls back whatever is left.
                st.conn = None;
                open.ended.tell(Some(matches!(e, Error::StorageFull)));
                return committed;
            }
        }
        open.ended.tell(None);
        committed
    }

    /// Gives up the open transaction and wakes the writers waiting for it,
    /// with an error. The connection is kept (with its page cache, and
    /// its settings) when the transaction could be rolled back, or had
    /// already been ended by SQLite (a full disk); otherwise it is closed,
    /// which rolls back what is left.
    fn fail(&self, st: &mut State, storage_full: bool) {
        if st.conn.as_mut().is_some_and(|conn| !roll_back(conn)) {
            st.conn = None;
        }
        if let Some(open) = st.open.take() {
            open.ended.tell(Some(storage_full));
        }
    }

    /// SQLite: when the WAL has grown past [`SQLITE_WAL_TRUNCATE_AT`]
    /// (readers kept every automatic checkpoint from finishing), writes it
    /// back and truncates it. Not an error for anyone: the transactions are
    /// committed, and a checkpoint that readers kept from finishing is
    /// tried again later.
    fn bound_wal(&self, conn: &mut DbConnection) {
        if let Some(wal) = &self.wal
            && std::fs::metadata(wal).is_ok_and(|m| m.len() > SQLITE_WAL_TRUNCATE_AT)
        {
            let _ = conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
    }
}

/// PostgreSQL: runs `f` in a transaction of its own on a pooled
/// connection (begun with [`super::meta::pg_begin_write`]): committed when
/// it succeeds, rolled back when it fails.
pub(super) fn one_transaction<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    type M = <DbConnection as Connection>::TransactionManager;
    let _inside = WriteGuard::enter()?;
    begin_write(conn)?;
    match epoch::within(epoch::fresh(), || alone(conn, f)) {
        Ran::Done(Ok(value)) => {
            M::commit_transaction(conn)?;
            Ok(value)
        }
        Ran::Done(Err(e)) | Ran::RolledBack(e) | Ran::Broken(e) => Err(e),
    }
}

/// Begins a writing transaction: on SQLite `BEGIN IMMEDIATE` (the write
/// lock at once), on PostgreSQL [`super::meta::pg_begin_write`] (`BEGIN`
/// and the shared lock that orders sealing against a key rotation, in one
/// round trip).
fn begin_write(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        DbConnection::Pg(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, &meta::pg_begin_write())
        }
    }
}

/// Rolls back whatever transaction the connection is in; whether it is
/// out of any transaction and fit for the next one afterwards.
fn roll_back(conn: &mut DbConnection) -> bool {
    use diesel::r2d2::R2D2Connection;
    type M = <DbConnection as Connection>::TransactionManager;
    for _ in 0..8 {
        match M::transaction_manager_status_mut(conn).transaction_depth() {
            Ok(None) => return !conn.is_broken(),
            Ok(Some(_)) => {
                if M::rollback_transaction(conn).is_err() {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    false
}

/// Runs `f` as the first work of the open transaction: its error rolls
/// the transaction back.
fn alone<T>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> Result<T>) -> Ran<T> {
    type M = <DbConnection as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => Ran::Done(Ok(value)),
        Err(e) => match M::rollback_transaction(conn) {
            Ok(()) => Ran::RolledBack(e),
            // As in `in_savepoint`: SQLite may have ended it already.
            Err(_) if matches!(e, Error::StorageFull) => Ran::Broken(e),
            Err(rollback) => Ran::Broken(rollback.into()),
        },
    }
}

/// Runs `f` in a savepoint of the open transaction.
fn in_savepoint<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Ran<T> {
    type M = <DbConnection as Connection>::TransactionManager;
    if let Err(e) = M::begin_transaction(conn) {
        return Ran::Broken(e.into());
    }
    match f(conn) {
        Ok(value) => match M::commit_transaction(conn) {
            Ok(()) => Ran::Done(Ok(value)),
            Err(e) => Ran::Broken(e.into()),
        },
        // SQLite ends the whole transaction itself when the disk is full
        // (and on a few other faults), so the rollback to the savepoint
        // then fails: the transaction is gone, and the work's own error
        // says why when it is the full disk.
        Err(e) => match M::rollback_transaction(conn) {
            Ok(()) => Ran::Done(Err(e)),
            Err(_) if matches!(e, Error::StorageFull) => Ran::Broken(e),
            Err(rollback) => Ran::Broken(rollback.into()),
        },
    }
}

/// The error of a writer whose work went well in a transaction that did
/// not commit.
fn not_committed(storage_full: bool) -> Error {
    if storage_full {
        Error::StorageFull
    } else {
        Error::Unavailable("the write could not be committed; nothing of it was kept".to_owned())
    }
}

thread_local! {
    static IN_WRITE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks this thread as inside a writing transaction while it lives.
pub(super) struct WriteGuard;

impl WriteGuard {
    fn enter() -> Result<WriteGuard> {
        if IN_WRITE.with(|w| w.replace(true)) {
            return Err(Error::Integrity(
                "a writing transaction was started inside another one",
            ));
        }
        Ok(WriteGuard)
    }
}

impl Drop for WriteGuard {
    fn drop(&mut self) {
        IN_WRITE.with(|w| w.set(false));
    }
}
