//! What the office knows about its database beyond one query (issue 10
//! findings 10 and 13):
//!
//! - **Unreachable** (a circuit breaker): when a request got no connection
//!   within the timeout and the pool's attempts to open one failed
//!   meanwhile, the database is marked down (a pool that is merely busy,
//!   or one failed attempt among good ones, does not count). While it is down, [`super::Db::conn`]
//!   answers [`crate::Error::Unavailable`] at once instead of letting every
//!   request wait for the pool's timeout; one request every
//!   [`RETRY_INTERVAL`] is let through to try again, and the first
//!   connection that works closes the circuit.
//! - **Disk full**: a write that failed because the disk (or the database's
//!   size limit) is full is remembered until a write succeeds, or for
//!   [`STORAGE_FULL_REPORTED_FOR`] when nothing is written, so that
//!   `/healthz` reports it (a load balancer that takes the server out of
//!   rotation sends it no write that could clear the mark).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often one request may try the database again while it is down.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(2);

/// How long `/healthz` reports a full disk after the last failed write
/// when no write has succeeded since.
pub const STORAGE_FULL_REPORTED_FOR: Duration = Duration::from_secs(60);

/// The shared state; one per [`super::Db`] (its clones share it).
#[derive(Debug, Default)]
pub struct Health {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Set while the database is unreachable: when the next try is allowed.
    retry_at: Option<Instant>,
    /// When a write last failed for a full disk (cleared by a write).
    storage_full_at: Option<Instant>,
    /// When the pool last failed to open a connection.
    connect_error_at: Option<Instant>,
}

/// What `/healthz` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing known to be wrong.
    Ok,
    /// The database could not be reached a moment ago.
    Unreachable,
    /// The last write failed because the disk is full.
    StorageFull,
}

impl Health {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two timestamps: a panic elsewhere cannot leave it
        // inconsistent, so a poisoned lock is used as it is.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a request may ask the pool for a connection now: yes while
    /// the database is up; while it is down, only the one request that
    /// takes the next retry (the others are answered at once).
    pub fn admit(&self, connect_timeout: Duration) -> bool {
        let mut s = self.state();
        match s.retry_at {
            None => true,
            Some(at) if Instant::now() >= at => {
                // This request tries; the next try comes after its wait.
                s.retry_at = Some(Instant::now() + connect_timeout + RETRY_INTERVAL);
                true
            }
            Some(_) => false,
        }
    }

    /// The pool could not open a connection (it may try again).
    pub fn connect_error(&self) {
        self.state().connect_error_at = Some(Instant::now());
    }

    /// A request asked for a connection at `asked` and got none: when the
    /// pool's attempts failed meanwhile, the database is down.
    pub fn no_connection(&self, asked: Instant) {
        let failed = self.state().connect_error_at.is_some_and(|at| at >= asked);
        if failed {
            self.connect_failed();
        }
    }

    /// The database is down.
    pub fn connect_failed(&self) {
        let mut s = self.state();
        let next = Instant::now() + RETRY_INTERVAL;
        if s.retry_at.is_none_or(|at| at < next) {
            s.retry_at = Some(next);
        }
    }

    /// A connection was handed out: the database is up.
    pub fn connected(&self) {
        self.state().retry_at = None;
    }

    /// A write failed because the disk is full.
    pub fn storage_full(&self) {
        self.state().storage_full_at = Some(Instant::now());
    }

    /// A write succeeded.
    pub fn wrote(&self) {
        self.state().storage_full_at = None;
    }

    /// What is known to be wrong, if anything.
    pub fn status(&self) -> Status {
        let s = self.state();
        if s.retry_at.is_some() {
            Status::Unreachable
        } else if s
            .storage_full_at
            .is_some_and(|at| at.elapsed() < STORAGE_FULL_REPORTED_FOR)
        {
            Status::StorageFull
        } else {
            Status::Ok
        }
    }
}

/// The pool's error handler: notes every failed attempt to open a
/// connection (see [`Health::no_connection`]).
#[derive(Debug)]
pub(super) struct NoteConnectError(pub(super) std::sync::Arc<Health>);

impl<E: std::fmt::Display> r2d2::HandleError<E> for NoteConnectError {
    fn handle_error(&self, error: E) {
        self.0.connect_error();
        eprintln!("error: code=database_unavailable could not connect to the database: {error}");
    }
}

/// PostgreSQL: whether autovacuum is off for this server. Without it the
/// planner keeps the statistics of the office's first minutes (tables of
/// a few rows), plans the duplicate check at each enrolment as a read of
/// every resident, and enrolment slows as the office grows
/// (docs/operations.md "SQLite or PostgreSQL"). `false` on SQLite.
pub fn autovacuum_off(db: &super::Db) -> crate::error::Result<bool> {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        autovacuum: String,
    }
    use diesel::RunQueryDsl;
    db.read(|c| match c {
        super::DbConnection::Pg(pg) => {
            let s: Setting = diesel::sql_query("SHOW autovacuum").get_result(pg)?;
            Ok(s.autovacuum != "on")
        }
        super::DbConnection::Sqlite(_) => Ok(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_circuit_lets_one_request_try_while_down() {
        let h = Health::default();
        assert!(h.admit(Duration::from_secs(5)));
        h.connect_failed();
        assert_eq!(h.status(), Status::Unreachable);
        assert!(!h.admit(Duration::from_secs(5)));
        h.connected();
        assert_eq!(h.status(), Status::Ok);
        assert!(h.admit(Duration::from_secs(5)));
    }

    #[test]
    fn only_a_request_left_without_connection_by_failed_attempts_opens_it() {
        let h = Health::default();
        h.connect_error();
        assert_eq!(h.status(), Status::Ok, "one failed attempt");
        let asked = Instant::now();
        h.no_connection(asked);
        assert_eq!(h.status(), Status::Ok, "busy: no attempt failed meanwhile");
        h.connect_error();
        h.no_connection(asked);
        assert_eq!(h.status(), Status::Unreachable);
    }

    #[test]
    fn a_full_disk_is_reported_until_a_write_succeeds() {
        let h = Health::default();
        h.storage_full();
        assert_eq!(h.status(), Status::StorageFull);
        h.wrote();
        assert_eq!(h.status(), Status::Ok);
    }
}
