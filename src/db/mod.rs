//! The database: one diesel [`DbConnection`] over SQLite and PostgreSQL, an
//! r2d2 pool, the embedded migrations, and transactions that keep the audit
//! chain linear.
//!
//! - The backend is chosen by the URL scheme ([`DatabaseUrl`]); the pool's
//!   manager opens exactly that backend, never "whichever accepts the URL".
//! - SQLite connections get WAL, foreign keys, a busy timeout and
//!   `secure_delete` (erased data is overwritten in the file, not just
//!   unlinked); an erasure checkpoints the WAL at once ([`Db::checkpoint`]).
//!   The database file is made with mode 0600 before SQLite opens it, so
//!   its `-wal` and `-shm` files get 0600 too.
//! - Every function here blocks. The web layer runs them in
//!   `actix_web::web::block`; the CLI and tests call them directly.
//! - Every writing transaction goes through [`Db::write`]. On SQLite one
//!   connection of its own (the *writer*, outside the pool) runs them one
//!   after the other, queued on a mutex, with group commit: under load
//!   several writes share one transaction, each in a savepoint, and one
//!   commit ([`writer`]); an enrolment hands its work over instead
//!   ([`Db::write_handed_over`]), and a checkpoint thread writes the WAL
//!   back beside the writer. On PostgreSQL each write is a transaction of its
//!   own on a pooled connection, and the database runs them side by side;
//!   only the enrolments are handed over to a writer connection of their
//!   own, which runs them in batches, one transaction and one commit each
//!   (every enrolment appends to the one audit chain, so they wait for one
//!   another anyway; docs/performance.md, "Issuance"). On SQLite the
//!   transaction begins with `BEGIN IMMEDIATE`: the write lock is taken up
//!   front, so a transaction never fails half-way when upgrading a read
//!   lock, and waiting writers sleep on the mutex (woken at once when it is
//!   free) instead of polling in SQLite's busy handler. The busy handler is
//!   left for other processes (the CLI). One writer also keeps its page
//!   cache across transactions: SQLite drops a connection's cache whenever
//!   another connection has committed.
//!   Appending to the audit log locks the head row on both backends (on
//!   PostgreSQL a row lock, taken as late as possible in the transaction),
//!   so the chain stays a single line even with several servers on one
//!   database.
//! - A row is looked up by a unique key with `get_result`, never
//!   `first()` (clippy refuses it: clippy.toml): diesel sends `LIMIT ?`,
//!   and SQLite's planner reads a bound limit, so the statement is
//!   prepared again at every execution.
//! - The SQLite WAL is kept bounded: see [`SQLITE_JOURNAL_SIZE_LIMIT`] and
//!   [`SQLITE_WAL_TRUNCATE_AT`].

pub mod audit;
pub mod cards;
pub mod counts;
pub mod health;
pub mod meta;
pub mod print_queue;
pub mod published;
pub mod residents;
pub mod schema;
pub mod sessions;
pub mod sites;
pub mod throttle;
pub mod tokens;
pub mod users;
mod writer;

pub(crate) use writer::epoch::Remembered;

use crate::audit_key::AuditKey;
use crate::config::{Config, DatabaseUrl};
use crate::error::{Error, Result};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use time::{OffsetDateTime, PrimitiveDateTime};

/// The migrations of each backend, compiled into the binary.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// See [`SQLITE_MIGRATIONS`].
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgresql");

/// How long a SQLite connection waits for a lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 15_000;
/// SQLite: after a checkpoint has written the whole WAL back and the WAL
/// starts again from its beginning, the file is cut down to this size
/// (`PRAGMA journal_size_limit`); without a limit it keeps the size of its
/// largest burst for ever.
pub const SQLITE_JOURNAL_SIZE_LIMIT: u64 = 16 * 1024 * 1024;
/// SQLite: when the WAL has grown past this size all the same (readers
/// kept every automatic checkpoint from finishing, so the log could not
/// start again), the writer runs `PRAGMA wal_checkpoint(TRUNCATE)` after
/// its next commit. Checked every 256 commits (a `stat` of the file).
pub const SQLITE_WAL_TRUNCATE_AT: u64 = 64 * 1024 * 1024;
/// How long to wait for a pooled connection when no setting says
/// (`db_connect_timeout_seconds`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The PostgreSQL advisory lock held while migrating (any constant).
const MIGRATION_LOCK: i64 = 0x6369_7479_6361_7264; // "citycard"

/// Runs `$body` with `$conn` bound to the backend's own connection. A
/// query run on the [`DbConnection`] itself is wrapped by diesel's
/// `MultiConnection`, whose statement cache is keyed by the query's SQL,
/// so the SQL is written out again for every execution (some 20,000
/// instructions a query); on the backend's connection the key is the
/// query's type. For the queries every request runs (docs/performance.md,
/// "Issuance").
macro_rules! on_backend {
    ($c:expr, |$conn:ident| $body:expr) => {
        match $c {
            $crate::db::DbConnection::Sqlite($conn) => $body,
            $crate::db::DbConnection::Pg($conn) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Makes a statement written as a `QueryFragment` with fixed SQL (a
/// struct with one lifetime) a statement diesel prepares once per
/// connection: a static query id, and `execute`. For the statements every
/// issuance runs that diesel's query builder would prepare anew at each
/// execution (an `UPDATE`, an upsert; docs/performance.md "Issuance").
macro_rules! fixed_sql_statement {
    ($name:ident $(<const $n:ident: usize>)?) => {
        impl$(<const $n: usize>)? diesel::query_builder::QueryId for $name<'_ $(, $n)?> {
            type QueryId = $name<'static $(, $n)?>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }
        impl<C $(, const $n: usize)?> diesel::query_dsl::RunQueryDsl<C> for $name<'_ $(, $n)?> {}
    };
}
pub(crate) use fixed_sql_statement;

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// SQLite (bundled).
    Sqlite(diesel::SqliteConnection),
    /// PostgreSQL (libpq).
    Pg(diesel::PgConnection),
}

/// Which backend a [`Db`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The r2d2 manager: opens the backend the URL names, and sets up SQLite.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<DbConnection, Self::Error> {
        match &self.url {
            DatabaseUrl::Sqlite { path } => {
                let path = path.to_str().ok_or_else(|| {
                    diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                        "the SQLite path is not valid UTF-8".to_owned(),
                    ))
                })?;
                let mut conn = diesel::SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                     PRAGMA journal_mode = WAL;
                     PRAGMA journal_size_limit = {SQLITE_JOURNAL_SIZE_LIMIT};
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA secure_delete = ON;"
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres { url } => diesel::PgConnection::establish(url)
                .map(DbConnection::Pg)
                .map_err(diesel::r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> std::result::Result<(), Self::Error> {
        use diesel::r2d2::R2D2Connection;
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

/// A pooled connection.
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// The database handle: a connection pool. Cheap to clone; blocking.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    /// The audit chain's key (`audit.key`), set once when the office opens;
    /// [`Db::write`] puts it in scope for `office::audit::append`.
    audit_key: Arc<OnceLock<Arc<AuditKey>>>,
    health: std::sync::Arc<health::Health>,
    connect_timeout: Duration,
    /// The connection that writes with group commit (see the module
    /// documentation and [`writer`]): on SQLite every write, on
    /// PostgreSQL the handed-over ones.
    writer: Arc<writer::Writer>,
    /// PostgreSQL: writing transactions committed on pooled connections.
    pooled_commits: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    /// Opens the configured database: checks and creates the directories
    /// ([`Config::prepare_dirs`]), connects, and runs pending migrations.
    pub fn open(config: &Config) -> Result<Db> {
        config.prepare_dirs()?;
        Self::connect_with(
            &config.database,
            config.db_pool_size,
            config.db_connect_timeout,
        )
    }

    /// Connects to a database and runs pending migrations.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Db> {
        Self::connect_with(url, pool_size, DEFAULT_CONNECT_TIMEOUT)
    }

    /// Connects with a timeout for getting a connection
    /// (`db_connect_timeout_seconds`) and runs pending migrations.
    pub fn connect_with(
        url: &DatabaseUrl,
        pool_size: u32,
        connect_timeout: Duration,
    ) -> Result<Db> {
        let backend = match url {
            DatabaseUrl::Sqlite { .. } => Backend::Sqlite,
            DatabaseUrl::Postgres { .. } => Backend::Postgres,
        };
        if let DatabaseUrl::Sqlite { path } = url {
            // Mode 0600 for the file, and so for its -wal and -shm files.
            crate::private_files::prepare_private_file(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        }
        let health = std::sync::Arc::new(health::Health::default());
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(connect_timeout)
            .error_handler(Box::new(health::NoteConnectError(health.clone())))
            .build(Manager { url: url.clone() })
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        let writer = writer::Writer::start(Manager { url: url.clone() });
        let db = Db {
            pool,
            backend,
            audit_key: Arc::new(OnceLock::new()),
            health,
            connect_timeout,
            writer,
            pooled_commits: Arc::default(),
        };
        db.migrate()?;
        Ok(db)
    }

    /// How many writing transactions this handle has committed (each may
    /// hold several writes: see [`writer`]).
    pub fn transactions_committed(&self) -> u64 {
        self.writer.committed()
            + self
                .pooled_commits
                .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What is known to be wrong with the database (for `/healthz`).
    pub fn health(&self) -> health::Status {
        self.health.status()
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Sets the audit chain's key (once; later calls change nothing and
    /// say whether the key was the one already set).
    pub fn set_audit_key(&self, key: Arc<AuditKey>) -> bool {
        let set = self.audit_key.get_or_init(|| key.clone());
        Arc::ptr_eq(set, &key)
    }

    /// The audit chain's key, once the office has loaded it.
    pub fn audit_key(&self) -> Option<Arc<AuditKey>> {
        self.audit_key.get().cloned()
    }

    /// A connection from the pool. While the database is known to be
    /// unreachable this fails at once (see [`health`]).
    pub fn conn(&self) -> Result<PooledConnection> {
        if !self.health.admit(self.connect_timeout) {
            return Err(Error::Unavailable(
                "it could not be reached a moment ago".to_owned(),
            ));
        }
        let asked = std::time::Instant::now();
        match self.pool.get() {
            Ok(conn) => {
                self.health.connected();
                Ok(conn)
            }
            Err(e) => {
                self.health.no_connection(asked);
                Err(Error::Unavailable(e.to_string()))
            }
        }
    }

    /// Notes a full disk in [`health`] (and a write that worked).
    fn track<T>(&self, result: Result<T>, writing: bool) -> Result<T> {
        match &result {
            Err(Error::StorageFull) => self.health.storage_full(),
            Ok(_) if writing => self.health.wrote(),
            _ => {}
        }
        result
    }

    /// Runs the embedded migrations that have not run yet.
    fn migrate(&self) -> Result<()> {
        let mut conn = self.conn()?;
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| Error::Migration(e.to_string());
        match &mut *conn {
            DbConnection::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map_err(failed)?;
            }
            DbConnection::Pg(c) => {
                // Several servers may start at once on one database.
                c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
                let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
                c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
                result.map_err(failed)?;
            }
        }
        Ok(())
    }

    /// Runs `f` in a writing transaction (on SQLite on the writer
    /// connection, see [`writer`]): its error rolls back all it wrote; it
    /// returns once what it wrote is committed.
    pub fn write<T>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T>) -> Result<T> {
        self.writing(|connected| match self.backend {
            Backend::Sqlite => self.writer.run(connected, f),
            Backend::Postgres => {
                let mut pooled = self.conn()?;
                writer::one_transaction(&mut pooled, f).inspect(|_| {
                    self.pooled_commits
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                })
            }
        })
    }

    /// [`Db::write`] for work that owns what it needs: it is handed to
    /// the writer that leads, which runs the queued work of several
    /// writers back to back in one transaction on the writer's connection
    /// (`writer::queue`), instead of each writer taking the writer's mutex
    /// in turn (SQLite) or a pooled connection and a commit of its own
    /// (PostgreSQL). The same outcome, and the same transaction rules, as
    /// `write`.
    pub fn write_handed_over<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.writing(|connected| self.writer.run_handed_over(connected, f))
    }

    /// What every write goes through: refused at once while the database
    /// is known to be unreachable; run with the audit key in scope; its
    /// outcome noted in [`health`]. `run` is told whether a connection
    /// could be opened.
    fn writing<T>(&self, run: impl FnOnce(&dyn Fn(bool)) -> Result<T>) -> Result<T> {
        if !self.health.admit(self.connect_timeout) {
            return Err(Error::Unavailable(
                "it could not be reached a moment ago".to_owned(),
            ));
        }
        let connected = |ok: bool| {
            if ok {
                self.health.connected();
            } else {
                self.health.connect_failed();
            }
        };
        let result = crate::audit_key::with_scope(self.audit_key(), || run(&connected));
        self.track(result, true)
    }

    /// Runs `f` in a transaction that only reads (a consistent snapshot).
    pub fn read<T>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T>) -> Result<T> {
        let mut pooled = self.conn()?;
        let conn: &mut DbConnection = &mut pooled;
        let mut full = false;
        // Not the epoch of a write this read runs inside of: what that
        // write remembered is about its own connection
        // (`writer::epoch::Remembered`).
        let result = writer::epoch::within(0, || {
            conn.transaction(|c| {
                let result = f(c);
                full = matches!(result, Err(Error::StorageFull));
                result
            })
        });
        self.track(keep_storage_full(result, full), false)
    }

    /// SQLite writes the WAL back into the main file and truncates it to
    /// zero bytes, so that pages holding erased data (old versions of them
    /// stay in the WAL until then) are gone from both files. Whether it
    /// completed: `false` when readers kept it from finishing (the next
    /// checkpoint retries). Does nothing on PostgreSQL (`true`).
    pub fn checkpoint(&self) -> Result<bool> {
        // Not beside the checkpointer's own (SQLite refuses a second
        // checkpoint at once with an error).
        let _alone = self.writer.checkpoints_held();
        let mut conn = self.conn()?;
        if let DbConnection::Sqlite(c) = &mut *conn {
            let r: CheckpointResult =
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result(c)?;
            return Ok(r.busy == 0);
        }
        Ok(true)
    }

    /// PostgreSQL: a plain `VACUUM` of the tables that hold sealed personal
    /// data, so the space of erased rows (and their TOAST rows) is marked
    /// free and reused soon (docs/operations.md says what it does not do).
    /// Does nothing on SQLite (`secure_delete` and [`Db::checkpoint`]).
    pub fn vacuum_personal_tables(&self) -> Result<()> {
        let mut conn = self.conn()?;
        if let DbConnection::Pg(c) = &mut *conn {
            c.batch_execute("VACUUM residents, cards")?;
        }
        Ok(())
    }
}

/// The row `PRAGMA wal_checkpoint` answers with.
#[derive(QueryableByName)]
struct CheckpointResult {
    /// 1 when the checkpoint could not complete (readers or writers).
    #[diesel(sql_type = diesel::sql_types::Integer)]
    busy: i32,
    /// Frames in the WAL (`-1` when it is not in WAL mode).
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// SQLite ends a transaction itself when the disk is full, so diesel's
/// rollback then fails ("no transaction is active") and returns that
/// error instead of the statement's: keep the disk-full one.
fn keep_storage_full<T>(result: Result<T>, full: bool) -> Result<T> {
    match result {
        Err(_) if full => Err(Error::StorageFull),
        other => other,
    }
}

/// Takes the writers' lock: a no-op update of the audit head row (held
/// until the transaction ends).
pub(crate) fn lock_for_writing(conn: &mut DbConnection) -> Result<()> {
    use schema::audit_head::dsl as h;
    let n = diesel::update(h::audit_head.filter(h::id.eq(1)))
        .set(h::seq.eq(h::seq))
        .execute(conn)?;
    if n != 1 {
        return Err(Error::Integrity("the audit head row is missing"));
    }
    Ok(())
}

/// For tests: counts residents, cards and audit entries.
pub fn count_rows(c: &mut DbConnection) -> Result<(i64, i64, i64)> {
    use schema::{audit_log, cards, residents};
    Ok((
        residents::table.count().get_result(c)?,
        cards::table.count().get_result(c)?,
        audit_log::table.count().get_result(c)?,
    ))
}

/// The current time in UTC, to the second (what every timestamp column holds).
pub fn now() -> PrimitiveDateTime {
    let t = OffsetDateTime::now_utc();
    let t = t.replace_nanosecond(0).unwrap_or(t);
    PrimitiveDateTime::new(t.date(), t.time())
}

/// `t` plus `d` (saturating at the largest time).
pub fn later(t: PrimitiveDateTime, d: Duration) -> PrimitiveDateTime {
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    t.checked_add(time::Duration::seconds(secs))
        .unwrap_or(PrimitiveDateTime::MAX)
}

/// `t` minus `d` (saturating at the smallest time).
pub fn earlier(t: PrimitiveDateTime, d: Duration) -> PrimitiveDateTime {
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    t.checked_sub(time::Duration::seconds(secs))
        .unwrap_or(PrimitiveDateTime::MIN)
}

/// One column as the schema test compares it across backends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnShape {
    /// Table name.
    pub table: String,
    /// Column name.
    pub column: String,
    /// `int`, `text`, `bytes`, `bool`, `date` or `timestamp` (or the raw
    /// type name in brackets when it is none of those).
    pub kind: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
}

#[derive(QueryableByName)]
struct SqliteTable {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "type")]
    type_name: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    notnull: i32,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    is_nullable: String,
}

/// Maps a backend's type name to the common vocabulary.
fn kind_of(type_name: &str) -> String {
    let t = type_name.trim().to_ascii_lowercase();
    match t.as_str() {
        "integer" | "bigint" | "int" | "int4" | "int8" | "smallint" => "int",
        "text" | "character varying" | "varchar" => "text",
        "blob" | "bytea" => "bytes",
        "boolean" | "bool" => "bool",
        "date" => "date",
        "timestamp" | "timestamp without time zone" => "timestamp",
        _ => return format!("[{t}]"),
    }
    .to_owned()
}

/// The tables and columns of the connected database in the common
/// vocabulary, sorted; diesel's own bookkeeping table is left out.
pub fn schema_shape(db: &Db) -> Result<Vec<ColumnShape>> {
    let mut conn = db.conn()?;
    let mut out = Vec::new();
    match &mut *conn {
        DbConnection::Sqlite(c) => {
            let tables: Vec<SqliteTable> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
            )
            .load(c)?;
            for t in tables {
                if !t
                    .name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                {
                    return Err(Error::Integrity("unexpected table name"));
                }
                let cols: Vec<SqliteColumn> =
                    diesel::sql_query(format!("PRAGMA table_info(\"{}\")", t.name)).load(c)?;
                for col in cols {
                    out.push(ColumnShape {
                        table: t.name.clone(),
                        column: col.name,
                        kind: kind_of(&col.type_name),
                        nullable: col.notnull == 0,
                    });
                }
            }
        }
        DbConnection::Pg(c) => {
            let cols: Vec<PgColumn> = diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                 data_type::text AS data_type, is_nullable::text AS is_nullable \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name <> '__diesel_schema_migrations'",
            )
            .load(c)?;
            for col in cols {
                out.push(ColumnShape {
                    table: col.table_name,
                    column: col.column_name,
                    kind: kind_of(&col.data_type),
                    nullable: col.is_nullable == "YES",
                });
            }
        }
    }
    out.sort();
    Ok(out)
}
