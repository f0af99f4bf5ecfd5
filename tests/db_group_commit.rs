//! Writing transactions (src/db/writer.rs), on both backends. On SQLite,
//! group commit: writes queued behind one another share a transaction,
//! each in a savepoint; a failing write loses only its own rows; a
//! panicking one fails the others of its transaction with an error
//! instead of leaving them waiting; and nobody is answered before the
//! commit. On PostgreSQL every write is a transaction of its own.
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

/// Runs `first` on the writer and, while it holds it, starts `others`
/// (one thread each) so that they queue behind it. Returns every result in
/// order (`first` first); a panic is `None`.
fn queued_behind(
    db: &Db,
    first: impl FnOnce(&mut DbConnection) -> citycard::Result<()> + Send + 'static,
    others: Vec<Work>,
) -> Vec<Option<citycard::Result<()>>> {
    let started = Arc::new(Barrier::new(2));
    let first = {
        let (db, started) = (db.clone(), started.clone());
        thread::spawn(move || {
            db.write(move |c| {
                started.wait();
                // Long enough for every other thread to queue.
                thread::sleep(Duration::from_millis(300));
                first(c)
            })
        })
    };
    started.wait();
    let others: Vec<_> = others
        .into_iter()
        .map(|f| {
            let db = db.clone();
            thread::spawn(move || db.write(f))
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
        t.sql("CREATE TABLE scratch (n BIGINT PRIMARY KEY)");
        let db = t.office.db().clone();
        let before = db.transactions_committed();
        let mut others: Vec<Work> = Vec::new();
        for n in 2..=9 {
            others.push(Box::new(move |c| {
                insert(c, n * 10)?;
                if n == 5 {
                    // Its own row goes; the others' stay.
                    return Err(citycard::Error::InvalidState("refused on purpose"));
                }
                insert(c, n * 10 + 1)
            }));
        }
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
        t.sql("CREATE TABLE scratch (n BIGINT PRIMARY KEY)");
        let db = t.office.db().clone();
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
        t.sql("CREATE TABLE scratch (n BIGINT PRIMARY KEY)");
        let db = t.office.db().clone();
        let before = db.transactions_committed();
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
