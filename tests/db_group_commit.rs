//! Writing transactions (src/db/writer.rs), on both backends. On SQLite,
//! group commit: writes queued behind one another share a transaction,
//! each in a savepoint; a failing write loses only its own rows; a
//! panicking one fails the others of its transaction with an error
//! instead of leaving them waiting; and nobody is answered before the
//! commit. The same for writes handed over to the writer that leads
//! (`Db::write_handed_over`), which run on another writer's thread: on
//! both backends. On PostgreSQL every other write is a transaction of its
//! own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::db::{Db, DbConnection};
use diesel::RunQueryDsl;
use office_support::*;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

/// One piece of work for the writer.
type Work = Box<dyn FnOnce(&mut DbConnection) -> citycard::Result<()> + Send>;

fn insert(c: &mut DbConnection, n: i64) -> citycard::Result<()> {
    diesel::sql_query(format!("INSERT INTO scratch (n) VALUES ({n})")).execute(c)?;
    Ok(())
}

/// The office's database with an empty `scratch` table, and the
/// transactions it committed so far.
fn scratch(t: &TestOffice) -> (Db, u64) {
    t.sql("CREATE TABLE scratch (n BIGINT PRIMARY KEY)");
    let db = t.office.db().clone();
    let before = db.transactions_committed();
    (db, before)
}

fn rows(db: &Db) -> Vec<i64> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut v: Vec<i64> = db
        .read(|c| {
            Ok(diesel::sql_query("SELECT n FROM scratch")
                .load::<Row>(c)?
                .into_iter()
                .map(|r| r.n)
                .collect())
        })
        .unwrap();
    v.sort_unstable();
    v
}

/// Writes n = 2 to 9, each inserting n × 10 and then n × 10 + 1; write
/// `refused` fails with an error after its first row, write `panics`
/// panics there.
fn tens(refused: i64, panics: Option<i64>) -> Vec<Work> {
    (2..=9)
        .map(|n| -> Work {
            Box::new(move |c| {
                insert(c, n * 10)?;
                if n == refused {
                    return Err(citycard::Error::InvalidState("refused on purpose"));
                }
                if Some(n) == panics {
                    panic!("a bug in a handed-over write");
                }
                insert(c, n * 10 + 1)
            })
        })
        .collect()
}

/// How the queued writes are sent.
#[derive(Clone, Copy, Debug)]
enum Sent {
    /// `Db::write`: each runs its own work.
    Plain,
    /// `Db::write_handed_over`: the leading writer runs it.
    HandedOver,
}

/// Runs `first` on the writer and, while it holds it, starts `others`
/// (one thread each) so that they queue behind it. Returns every result in
/// order (`first` first); a panic is `None`.
fn queued_behind(
    db: &Db,
    first: impl FnOnce(&mut DbConnection) -> citycard::Result<()> + Send + 'static,
    others: Vec<Work>,
) -> Vec<Option<citycard::Result<()>>> {
    queued_behind_as(db, first, others, Sent::Plain)
}

fn queued_behind_as(
    db: &Db,
    first: impl FnOnce(&mut DbConnection) -> citycard::Result<()> + Send + 'static,
    others: Vec<Work>,
    sent: Sent,
) -> Vec<Option<citycard::Result<()>>> {
    let started = Arc::new(Barrier::new(2));
    let first = {
        let (db, started) = (db.clone(), started.clone());
        thread::spawn(move || {
            let work = move |c: &mut DbConnection| {
                started.wait();
                // Long enough for every other thread to queue.
                thread::sleep(Duration::from_millis(300));
                first(c)
            };
            match sent {
                Sent::Plain => db.write(work),
                Sent::HandedOver => db.write_handed_over(work),
            }
        })
    };
    started.wait();
    let others: Vec<_> = others
        .into_iter()
        .map(|f| {
            let db = db.clone();
            thread::spawn(move || match sent {
                Sent::Plain => db.write(f),
                Sent::HandedOver => db.write_handed_over(f),
            })
        })
        .collect();
    std::iter::once(first)
        .chain(others)
        .map(|h| h.join().ok())
        .collect()
}

#[test]
fn queued_writes_share_a_commit_and_fail_alone() {
    on_both(|t| {
        let (db, before) = scratch(&t);
        // Write 5 is refused: its own row goes; the others' stay.
        let others = tens(5, None);
        let results = queued_behind(&db, |c| insert(c, 10), others);
        for (i, r) in results.iter().enumerate() {
            let r = r.as_ref().expect("no panic");
            if i == 4 {
                assert!(matches!(r, Err(citycard::Error::InvalidState(_))), "{r:?}");
            } else {
                assert!(r.is_ok(), "write {i}: {r:?}");
            }
        }
        assert_eq!(
            rows(&db),
            vec![10, 20, 21, 30, 31, 40, 41, 60, 61, 70, 71, 80, 81, 90, 91]
        );
        // SQLite: nine writes queued behind one another share commits
        // (the first commits alone only if nobody queued in time).
        // PostgreSQL: a transaction each, side by side.
        let commits = db.transactions_committed() - before;
        match t.backend {
            Backend::Sqlite => assert!(commits <= 3, "{commits} commits for 9 queued writes"),
            Backend::Postgres => assert_eq!(commits, 8, "the refused write commits nothing"),
        }
    });
}

#[test]
fn a_panicking_write_fails_its_transaction_not_the_server() {
    on_both(|t| {
        let (db, _) = scratch(&t);
        let others: Vec<Work> = vec![
            Box::new(|c| insert(c, 2)),
            Box::new(|c| {
                insert(c, 3)?;
                panic!("a bug in a write");
            }),
        ];
        let results = queued_behind(&db, |c| insert(c, 1), others);
        assert!(results[2].is_none(), "the panic reaches its own thread");
        let kept = rows(&db);
        if t.backend == Backend::Postgres {
            // A transaction each: only the panicking one's row is gone.
            assert!(matches!(results[0], Some(Ok(()))), "{:?}", results[0]);
            assert!(matches!(results[1], Some(Ok(()))), "{:?}", results[1]);
            assert_eq!(kept, vec![1, 2]);
        } else {
            // The first write waited for a transaction that a later write
            // ended by panicking: it is told, with an error that says
            // nothing was kept, and is not left waiting.
            assert!(
                matches!(results[0], Some(Err(citycard::Error::Unavailable(_)))),
                "{:?}",
                results[0]
            );
            // The write that ran in between either shared the first one's
            // fate or ran after the panic in a transaction of its own.
            match &results[1] {
                Some(Ok(())) => assert_eq!(kept, vec![2]),
                Some(Err(citycard::Error::Unavailable(_))) => {
                    assert_eq!(kept, Vec::<i64>::new());
                }
                other => panic!("{other:?}"),
            }
        }
        // The writer works afterwards.
        db.write(|c| insert(c, 4)).unwrap();
        assert!(rows(&db).contains(&4));
    });
}

#[test]
fn a_write_alone_commits_at_once() {
    on_both(|t| {
        let (db, before) = scratch(&t);
        for n in 1..=3 {
            db.write(|c| insert(c, n)).unwrap();
            // Seen by another connection as soon as the write returned.
            assert!(rows(&db).contains(&n));
        }
        assert_eq!(db.transactions_committed() - before, 3);
        // An error rolls back what the write did; nothing is committed.
        let err = db.write(|c| {
            insert(c, 9)?;
            Err::<(), _>(citycard::Error::InvalidState("no"))
        });
        assert!(err.is_err());
        assert_eq!(rows(&db), vec![1, 2, 3]);
    });
}

#[test]
fn handed_over_writes_share_a_commit_and_fail_alone() {
    on_both(|t| {
        let (db, before) = scratch(&t);
        let others = tens(4, Some(6));
        let results = queued_behind_as(&db, |c| insert(c, 10), others, Sent::HandedOver);
        // The refused write: its own error, its own rows gone.
        assert!(
            matches!(results[3], Some(Err(citycard::Error::InvalidState(_)))),
            "{:?}",
            results[3]
        );
        let kept = rows(&db);
        // The panic, on whichever thread led, is its writer's error (never
        // a lost answer), and the transaction it was in is given up: its
        // writers are told that nothing of theirs was kept.
        assert!(
            matches!(results[5], Some(Err(citycard::Error::Integrity(_)))),
            "{:?}",
            results[5]
        );
        // The transaction given up was one commit fewer.
        assert!(db.transactions_committed() - before <= 2);
        // The first write (n = 1) wrote only 10.
        let mut expected = Vec::new();
        for (i, r) in results.iter().enumerate() {
            let n = i as i64 + 1;
            match r {
                Some(Ok(())) if n == 1 => expected.push(10),
                Some(Ok(())) => expected.extend([n * 10, n * 10 + 1]),
                Some(Err(citycard::Error::Unavailable(_))) => {}
                _ if n == 4 || n == 6 => {}
                other => panic!("write {n}: {other:?}"),
            }
        }
        expected.sort_unstable();
        assert_eq!(kept, expected, "{results:?}");
        // The writer works afterwards, handed over or not.
        db.write_handed_over(|c| insert(c, 100)).unwrap();
        db.write(|c| insert(c, 101)).unwrap();
        assert!(rows(&db).ends_with(&[100, 101]));
    });
}

#[test]
fn many_handed_over_writes_all_commit() {
    on_both(|t| {
        let (db, before) = scratch(&t);
        // More than one transaction holds (writer::MAX_BATCH is 32): the
        // lead is handed on, and nobody is left waiting.
        let others: Vec<Work> = (2..=80)
            .map(|n| -> Work { Box::new(move |c| insert(c, n)) })
            .collect();
        let results = queued_behind_as(&db, |c| insert(c, 1), others, Sent::HandedOver);
        assert!(
            results.iter().all(|r| matches!(r, Some(Ok(())))),
            "{results:?}"
        );
        assert_eq!(rows(&db), (1..=80).collect::<Vec<_>>());
        // The first transaction holds the first write and those queued
        // while it ran; the rest are in as few as writer::MAX_BATCH allows.
        let commits = db.transactions_committed() - before;
        assert!(commits <= 4, "{commits} commits for 80 queued writes");
    });
}

#[test]
fn appends_after_a_rolled_back_append_keep_the_chain() {
    // Work in one batch reads the audit head once and takes the head that
    // the batch's last append left (db::writer::epoch). An append whose
    // work then fails is rolled back with its savepoint, and the next
    // append must chain onto the head before it, not onto the rolled-back
    // entry.
    on_both(|t| {
        let (db, _) = scratch(&t);
        let append = |c: &mut DbConnection, n: i64| {
            citycard::office::audit::append(
                c,
                "test",
                "Office",
                citycard::office::audit::AuditAction::DuplicatesShown,
                None,
                &format!("results={n}"),
            )
            .map(|_| ())
        };
        let others: Vec<Work> = (2..=12)
            .map(|n| -> Work {
                Box::new(move |c| {
                    append(c, n)?;
                    append(c, n)?;
                    match n % 4 {
                        0 => Err(citycard::Error::InvalidState("refused after appending")),
                        _ => insert(c, n),
                    }
                })
            })
            .collect();
        let results = queued_behind_as(
            &db,
            move |c| {
                append(c, 1)?;
                insert(c, 1)
            },
            others,
            Sent::HandedOver,
        );
        for (i, r) in results.iter().enumerate() {
            let n = i as i64 + 1;
            match r {
                Some(Err(citycard::Error::InvalidState(_))) if n % 4 == 0 => {}
                Some(Ok(())) if n % 4 != 0 => {}
                other => panic!("write {n}: {other:?}"),
            }
        }
        // A plain write after the batch appends onto the same chain.
        db.write(|c| append(c, 99)).unwrap();
        let report = citycard::office::audit::verify(&db).unwrap();
        assert_eq!(report.first_broken, None, "{report:?}");
        // The office's own entries, then 1 + 2 × 8 kept and the last one.
        assert!(report.entries >= 18, "{report:?}");
        assert_eq!(rows(&db), vec![1, 2, 3, 5, 6, 7, 9, 10, 11]);
    });
}
