//! SQLite: the checkpointer, a thread with a connection of its own that
//! writes the WAL back into the database file while the writer goes on
//! writing.
//!
//! A checkpoint waits for the disk twice (`fsync` of the WAL, then of the
//! database file). Run by SQLite's automatic checkpoint at the end of a
//! commit, that wait is on the writer's thread while every other writer
//! waits behind it: under load it was most of the time the writer held
//! its lock (docs/performance.md, "Issuance, fourth round").
//!
//! - The writer nudges the checkpointer every [`NUDGE_EVERY`] commits (the
//!   thread starts at the first nudge). It
//!   runs a passive checkpoint beside the writer: one that takes no lock
//!   the writer needs and waits for nobody. That writes back, and waits
//!   for the disk for, nearly the whole WAL.
//! - The WAL starts again from its beginning (so it stays bounded) only
//!   once every frame of it is written back, and a checkpoint beside a
//!   busy writer is always a few frames behind. So when the WAL holds
//!   [`RESTART_FRAMES`] or more, the checkpointer then takes the writer's
//!   mutex, between two of its transactions, and checkpoints the few
//!   frames left: the writers wait only for those. The next transaction
//!   then writes the WAL from its beginning (unless a reader still reads
//!   from it: then a later round does it).
//! - The writer's own automatic checkpoint is kept, at
//!   [`WRITER_CHECKPOINT_PAGES`], for when the checkpointer falls behind.
//! - A checkpoint asked for by [`crate::db::Db::checkpoint`] (after an
//!   erasure) waits for the checkpointer's round to end, and the other
//!   way round: SQLite refuses a second checkpoint at the same time.
//! - The thread ends when the writer is dropped (its end of the channel
//!   goes). A checkpoint that fails is no one's error: the next round, or
//!   the writer's own checkpoint, tries again.

use super::Writer;
use crate::db::{CheckpointResult, DbConnection, Manager};
use diesel::RunQueryDsl;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{OnceLock, Weak};

/// The writer nudges the checkpointer every this many commits.
pub(super) const NUDGE_EVERY: u64 = 8;
/// The checkpointer finishes the WAL under the writer's mutex once it
/// holds this many frames (of a page each, 4 KiB).
const RESTART_FRAMES: i32 = 1000;
/// The writer's own automatic checkpoint (`PRAGMA wal_autocheckpoint`, in
/// pages): four times SQLite's default, so that it runs only when the
/// checkpointer fell behind.
pub(super) const WRITER_CHECKPOINT_PAGES: u32 = 4000;

/// The writer's end: starts the checkpointer's thread when first nudged
/// (a server that writes little, or a CLI command that writes once, has
/// none), and nudges it.
pub(super) struct Checkpointer {
    /// What the thread needs (`None`: the database needs no checkpoints).
    starts: Option<(Manager, Weak<Writer>)>,
    /// The thread's end of the channel once started (`None` inside: it
    /// could not be started, and the writer's own checkpoints do all the
    /// work).
    nudge: OnceLock<Option<SyncSender<()>>>,
}

impl Checkpointer {
    /// No thread: the database needs no checkpoints (PostgreSQL).
    pub(super) fn none() -> Checkpointer {
        Checkpointer {
            starts: None,
            nudge: OnceLock::new(),
        }
    }

    /// A checkpointer for the writer of the SQLite database that `manager`
    /// opens; its thread starts at the first nudge.
    pub(super) fn new(manager: Manager, writer: Weak<Writer>) -> Checkpointer {
        Checkpointer {
            starts: Some((manager, writer)),
            nudge: OnceLock::new(),
        }
    }

    /// Asks for a checkpoint (at once; one asked for and not begun yet
    /// covers this one too).
    pub(super) fn nudge(&self) {
        let nudge = self.nudge.get_or_init(|| {
            let (manager, writer) = self.starts.clone()?;
            let (nudge, nudged) = sync_channel(1);
            std::thread::Builder::new()
                .name("citycard-checkpoint".to_owned())
                .spawn(move || run(&manager, &writer, &nudged))
                .ok()
                .map(|_| nudge)
        });
        if let Some(nudge) = nudge {
            // Full: a nudge is waiting already. Disconnected: the thread
            // has gone, and the writer's own checkpoints do the work.
            let _: Result<(), TrySendError<()>> = nudge.try_send(());
        }
    }
}

fn run(manager: &Manager, writer: &Weak<Writer>, nudged: &Receiver<()>) {
    use r2d2::ManageConnection;
    let mut conn = None;
    while nudged.recv().is_ok() {
        let Some(writer) = writer.upgrade() else {
            return;
        };
        if conn.is_none() {
            conn = manager.connect().ok();
        }
        let Some(c) = conn.as_mut() else {
            continue;
        };
        let _alone = writer.checkpoints_held();
        let ok = match passive(c) {
            Some(frames) if frames >= RESTART_FRAMES => {
                let st = writer.lock();
                // A transaction left open for the next writer holds the
                // write lock: this round leaves the WAL as it is.
                st.open.is_some() || passive(c).is_some()
            }
            Some(_) => true,
            None => false,
        };
        if !ok {
            // Opened again at the next nudge.
            conn = None;
        }
    }
}

/// A passive checkpoint: the frames the WAL holds, `None` when it failed.
fn passive(c: &mut DbConnection) -> Option<i32> {
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
        .get_result::<CheckpointResult>(c)
        .ok()
        .map(|r| r.log)
}

impl Writer {
    /// Keeps the checkpointer from running while it is held.
    pub(in crate::db) fn checkpoints_held(&self) -> std::sync::MutexGuard<'_, ()> {
        self.checkpointing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
