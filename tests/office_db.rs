//! The database layer: both backends have the same schema, mistyped URLs
//! are errors, the keys must belong to the database, and the audit chain
//! detects tampering (also through `citycard audit verify`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::Office;
use citycard::config::{Config, DatabaseUrl};
use citycard::db::{Db, schema_shape};
use citycard::office::actor::Role;
use citycard::office::cards::{Attestation, EnrolOutcome, Enrolment};
use office_support::*;

#[test]
fn schemas_of_both_backends_match() {
    let sqlite = office_with(Backend::Sqlite, |_| {}).unwrap();
    let sqlite_shape = schema_shape(sqlite.office.db()).unwrap();
    assert!(sqlite_shape.len() > 40, "{sqlite_shape:?}");
    // No column for what DESIGN.md §1 forbids.
    for col in &sqlite_shape {
        for word in [
            "document",
            "passport",
            "nationality",
            "citizenship",
            "visa",
            "migration",
            "permit",
        ] {
            assert!(!col.column.contains(word), "{}.{}", col.table, col.column);
        }
        assert!(!col.kind.starts_with('['), "unmapped type {col:?}");
    }
    let Some(pg) = office_with(Backend::Postgres, |_| {}) else {
        return;
    };
    let pg_shape = schema_shape(pg.office.db()).unwrap();
    let only_sqlite: Vec<_> = sqlite_shape
        .iter()
        .filter(|c| !pg_shape.contains(c))
        .collect();
    let only_pg: Vec<_> = pg_shape
        .iter()
        .filter(|c| !sqlite_shape.contains(c))
        .collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "the schemas differ:\n only in SQLite: {only_sqlite:#?}\n only in PostgreSQL: {only_pg:#?}"
    );
}

#[test]
fn a_mistyped_sqlite_url_is_an_error_not_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(dir.path());
    config.database = DatabaseUrl::Sqlite {
        path: dir.path().join("no-such-dir/citycard.sqlite"),
    };
    let e = Db::open(&config).unwrap_err();
    assert_eq!(e.code(), "config");
    assert!(!dir.path().join("no-such-dir").exists());
    assert!(DatabaseUrl::parse("mysql://localhost/x").is_err());
    // Opening twice runs the migrations once.
    let config = Config::with_data_dir(dir.path());
    Db::open(&config).unwrap();
    Db::open(&config).unwrap();
}

#[test]
fn the_keys_must_belong_to_the_database() {
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    let config = t.config.clone();
    drop(t.office);
    // A lost data key is not silently replaced.
    let saved = std::fs::read(config.layout().data_key()).unwrap();
    std::fs::remove_file(config.layout().data_key()).unwrap();
    let e = Office::open(&config).unwrap_err();
    assert!(e.to_string().contains("data.key is missing"), "{e}");
    assert!(!config.layout().data_key().exists());
    // Another key is refused.
    std::fs::write(config.layout().data_key(), format!("{}\n", "ab".repeat(32))).unwrap();
    let e = Office::open(&config).unwrap_err();
    assert!(e.to_string().contains("data.key is not the key"), "{e}");
    std::fs::write(config.layout().data_key(), saved).unwrap();
    Office::open(&config).unwrap();
}

#[test]
fn audit_chain_detects_tampering() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        for i in 0..3 {
            let e = Enrolment {
                given_names: format!("G{i}"),
                family_name: "F".to_owned(),
                attestation: Attestation::BOTH,
                ..Default::default()
            };
            assert!(matches!(
                t.office.enrol_and_issue(&clerk, e).unwrap(),
                EnrolOutcome::Issued(_)
            ));
        }
        let report = citycard::office::audit::verify(t.office.db()).unwrap();
        assert_eq!(report.entries, 4);
        assert!(report.first_broken.is_none());

        // The database refuses changes to the log…
        let mut conn = t.office.db().conn().unwrap();
        use diesel::connection::SimpleConnection;
        let refused = match &mut *conn {
            citycard::db::DbConnection::Sqlite(c) => {
                c.batch_execute("UPDATE audit_log SET detail = 'x' WHERE id = 2")
            }
            citycard::db::DbConnection::Pg(c) => {
                c.batch_execute("UPDATE audit_log SET detail = 'x' WHERE id = 2")
            }
        };
        assert!(refused.is_err(), "the audit log must be append-only");
        drop(conn);

        // …and whoever gets past that is caught by the chain.
        let drop_triggers = match t.backend {
            Backend::Sqlite => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            }
            Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
        };
        t.sql(drop_triggers);
        t.sql("UPDATE audit_log SET detail = 'new_resident=0' WHERE id = 3");
        let report = citycard::office::audit::verify(t.office.db()).unwrap();
        let broken = report.first_broken.clone().unwrap();
        assert_eq!(broken.seq, 3, "{report}");
        assert!(report.to_string().contains("entry 3"), "{report}");
        if t.backend == Backend::Sqlite {
            // The CLI names it too, with exit status 1.
            let out = assert_cmd::Command::cargo_bin("citycard")
                .unwrap()
                .env("CITYCARD_DATA_DIR", t.data_dir())
                .args(["audit", "verify"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1));
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("BROKEN at entry 3"), "{stdout}");
        }
        // Deleting an entry in the middle.
        t.sql("UPDATE audit_log SET detail = (SELECT detail FROM audit_log WHERE id = 4) WHERE id = 3");
        t.sql("DELETE FROM audit_log WHERE id = 2");
        let report = citycard::office::audit::verify(t.office.db()).unwrap();
        assert_eq!(report.first_broken.unwrap().seq, 2);
        // Cutting off the end (the head row still remembers it).
        let t2 = office_with(t.backend, |_| {}).unwrap();
        t2.user("clerk", Role::Clerk);
        t2.user("clerk2", Role::Clerk);
        t2.sql(drop_triggers);
        t2.sql("DELETE FROM audit_log WHERE id = 2");
        let report = citycard::office::audit::verify(t2.office.db()).unwrap();
        let broken = report.first_broken.unwrap();
        assert_eq!(broken.seq, 2);
        assert!(broken.problem.contains("head"), "{}", broken.problem);
    });
}

/// Some entries: users and cards.
fn some_entries(t: &TestOffice) {
    let clerk = t.user("clerk", Role::Clerk);
    t.user("auditor", Role::Auditor);
    for i in 0..3 {
        let e = Enrolment {
            given_names: format!("G{i}"),
            family_name: "F".to_owned(),
            attestation: Attestation::BOTH,
            ..Default::default()
        };
        assert!(matches!(
            t.office.enrol_and_issue(&clerk, e).unwrap(),
            EnrolOutcome::Issued(_)
        ));
    }
}

/// SECURITY.md finding 7, the attack of the report: with write access to
/// the database, drop the triggers, delete an entry, recompute the plain
/// SHA-256 chain and the head as the office used to. Without `audit.key`
/// the rewrite is detected (it passed as "intact" before the chain had a
/// key).
#[test]
fn audit_chain_rewritten_without_the_key_is_detected() {
    on_both(|t| {
        some_entries(&t);
        let report = citycard::office::audit::verify(t.office.db()).unwrap();
        assert!(report.first_broken.is_none(), "{report}");
        assert_eq!(report.entries, 5);
        let n = report.entries as i64;

        rewrite_audit_chain(t.office.db(), Some(2), None);
        let report = citycard::office::audit::verify(t.office.db()).unwrap();
        let broken = report
            .first_broken
            .clone()
            .unwrap_or_else(|| panic!("the rewrite passed: {report}"));
        assert_eq!(broken.seq, 1, "{report}");
        assert!(report.to_string().contains("BROKEN"), "{report}");
        // The log is one entry shorter and every hash "fits": only the key
        // tells.
        let (head, _) = citycard::db::audit::head(&mut t.office.db().conn().unwrap()).unwrap();
        assert_eq!(head, n - 1);
        // So does an office opened afresh on the same files.
        let again = citycard::Office::open(&t.config).unwrap();
        let report = citycard::office::audit::verify(again.db()).unwrap();
        assert!(report.first_broken.is_some(), "{report}");
    });
}

/// A database from before the chain had a key: the office makes
/// `audit.key` at its next start and keys the chain from a recorded entry
/// on (no manual step); the entries before stay checked by their plain
/// chain, which the keyed entries anchor. Rewriting the old part, or the
/// whole chain, is then detected; so is removing the database's record of
/// the key.
#[test]
fn existing_logs_are_keyed_from_the_next_start_on() {
    on_both(|t| {
        some_entries(&t);
        // Make it an old database: plain chain, no key record, no key file.
        rewrite_audit_chain(t.office.db(), None, None);
        t.sql("DELETE FROM office_meta WHERE name = 'audit_key_check'");
        std::fs::remove_file(t.config.layout().audit_key()).unwrap();
        let office = citycard::Office::open(&t.config).unwrap();
        let report = citycard::office::audit::verify(office.db()).unwrap();
        assert!(report.first_broken.is_none(), "{report}");
        assert_eq!(report.keyed_from, Some(6), "{report}");
        assert_eq!(report.entries, 6);
        assert!(report.to_string().contains("from entry 6"), "{report}");
        let key_file = std::fs::read_to_string(t.config.layout().audit_key()).unwrap();
        assert!(key_file.ends_with("keyed-from 6\n"), "{key_file}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(t.config.layout().audit_key())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let last = citycard::db::audit::batch_from(&mut office.db().conn().unwrap(), 6, 1).unwrap();
        assert_eq!(last[0].action, "audit_key_created");
        assert_eq!(last[0].detail, "keyed_from=6");
        // Opening again changes nothing.
        let office = citycard::Office::open(&t.config).unwrap();
        office
            .create_user(&t.cli(), "late", Role::Clerk, &secret(PASSWORD), false)
            .unwrap();
        let report = citycard::office::audit::verify(office.db()).unwrap();
        assert!(report.first_broken.is_none(), "{report}");
        assert_eq!(report.entries, 7);

        // Rewriting the part before the key (entry 2 deleted): caught by
        // the first keyed entry.
        rewrite_audit_chain(office.db(), Some(2), None);
        let report = citycard::office::audit::verify(office.db()).unwrap();
        assert!(report.first_broken.is_some(), "{report}");
        // Cutting off the whole keyed part and rewriting the rest.
        rewrite_audit_chain(office.db(), Some(2), Some(5));
        let report = citycard::office::audit::verify(office.db()).unwrap();
        assert!(report.first_broken.is_some(), "{report}");

        // Removing the database's record of the key does not pass the chain
        // off as unkeyed: the office refuses to start.
        t.sql("DELETE FROM office_meta WHERE name = 'audit_key_check'");
        let err = citycard::Office::open(&t.config).unwrap_err();
        assert_eq!(err.code(), "keys");
        assert!(err.to_string().contains("no record"), "{err}");
    });
}

/// An exported checkpoint catches what the key alone cannot: the newest
/// entries cut off and the head moved back with them.
#[test]
fn audit_checkpoint_catches_a_cut_off_tail() {
    on_both(|t| {
        some_entries(&t);
        let auditor = citycard::office::actor::Actor {
            username: "auditor".to_owned(),
            role: Role::Auditor,
            ..citycard::office::actor::Actor::command_line(OFFICE)
        };
        let checkpoint = t.office.audit_checkpoint(&auditor).unwrap();
        assert_eq!(checkpoint.seq, 6);
        let text = checkpoint.to_text();
        let parsed = citycard::office::audit::Checkpoint::parse(&text).unwrap();
        let report = t.office.verify_audit_checkpoint(&auditor, &parsed).unwrap();
        assert!(report.first_broken.is_none(), "{report}");
        assert_eq!(report.checkpoint, Some(6));
        // A changed checkpoint file is refused.
        let forged =
            citycard::office::audit::Checkpoint::parse(&text.replace("entry: 6", "entry: 5"))
                .unwrap();
        assert_eq!(
            t.office
                .verify_audit_checkpoint(&auditor, &forged)
                .unwrap_err()
                .code(),
            "keys"
        );

        truncate_audit_chain(&t, 4);
        let report = citycard::office::audit::verify(t.office.db()).unwrap();
        assert!(
            report.first_broken.is_none(),
            "without the checkpoint a cut-off tail looks whole: {report}"
        );
        let report = t.office.verify_audit_checkpoint(&auditor, &parsed).unwrap();
        let broken = report.first_broken.clone().unwrap();
        assert_eq!(broken.seq, 5, "{report}");
        assert!(broken.problem.contains("checkpoint"), "{report}");
    });
}

/// A writing transaction opened inside another one on SQLite (one writer
/// connection behind a mutex) is refused at once, never a wait for ever.
#[test]
fn a_nested_write_is_refused_not_a_deadlock() {
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    let db = t.office.db();
    let nested = db.write(|_| db.write(|_| Ok(())));
    assert!(
        matches!(nested, Err(citycard::Error::Integrity(_))),
        "{nested:?}"
    );
    // The writer is free again afterwards.
    db.write(|_| Ok(())).unwrap();
}

/// `citycard serve` warns when PostgreSQL's autovacuum is off
/// (docs/operations.md): the check reads the server's own setting.
#[test]
fn autovacuum_is_read_from_the_server() {
    on_both(|t| {
        let off = citycard::db::health::autovacuum_off(t.office.db()).unwrap();
        if t.backend == Backend::Sqlite {
            assert!(!off);
            return;
        }
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            autovacuum: String,
        }
        let mut conn = t.office.db().conn().unwrap();
        let citycard::db::DbConnection::Pg(pg) = &mut *conn else {
            panic!("not PostgreSQL");
        };
        let s: Setting =
            diesel::RunQueryDsl::get_result(diesel::sql_query("SHOW autovacuum"), pg).unwrap();
        assert_eq!(off, s.autovacuum == "off");
    });
}

/// The audit page's check (issue 12): the whole chain at first, then only
/// the entries written since; an entry changed where the last check ended
/// makes it check the whole chain again, and one changed before that is
/// found by the next whole check.
#[test]
fn the_audit_page_checks_only_what_is_new() {
    on_both(|t| {
        let auditor = t.user("auditor", Role::Auditor);
        let clerk = t.user("clerk", Role::Clerk);
        let enrol = |family: &str| {
            let e = Enrolment {
                given_names: "Gina".to_owned(),
                family_name: family.to_owned(),
                attestation: Attestation::BOTH,
                ..Default::default()
            };
            assert!(matches!(
                t.office.enrol_and_issue(&clerk, e).unwrap(),
                EnrolOutcome::Issued(_)
            ));
        };
        enrol("Amrein");
        let first = t.office.verify_audit_since_last(&auditor).unwrap();
        assert!(first.first_broken.is_none(), "{first}");
        assert_eq!(first.earlier, None, "the first view checks the whole chain");
        let whole_at = first.last.clone().unwrap();
        enrol("Bachmann");
        enrol("Conti");
        let second = t.office.verify_audit_since_last(&auditor).unwrap();
        assert!(second.first_broken.is_none(), "{second}");
        let earlier = second.earlier.clone().expect("only the new entries");
        assert_eq!((earlier.seq, earlier.hash.clone()), whole_at);
        assert_eq!(
            second.entries,
            citycard::office::audit::verify(t.office.db())
                .unwrap()
                .entries
        );
        assert!(second.last.as_ref().unwrap().0 > whole_at.0);

        let drop_triggers = match t.backend {
            Backend::Sqlite => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            }
            Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
        };
        t.sql(drop_triggers);
        // An entry before the last check's end: not seen by the page…
        t.sql("UPDATE audit_log SET detail = detail || 'x' WHERE id = 2");
        let page = t.office.verify_audit_since_last(&auditor).unwrap();
        assert!(page.first_broken.is_none(), "{page}");
        assert!(page.earlier.is_some());
        // …but by the whole check, which the page then remembers as broken.
        let whole = t.office.verify_audit(&auditor).unwrap();
        assert_eq!(
            whole.first_broken.as_ref().map(|b| b.seq),
            Some(2),
            "{whole}"
        );
        let again = t.office.verify_audit_since_last(&auditor).unwrap();
        assert_eq!(again.earlier, None, "a broken chain is checked whole");
        assert_eq!(again.first_broken.map(|b| b.seq), Some(2));
        // Changing the entry where the last check ended: checked whole.
        t.sql("UPDATE audit_log SET detail = substr(detail, 1, length(detail) - 1) WHERE id = 2");
        let mended = t.office.verify_audit(&auditor).unwrap();
        assert!(mended.first_broken.is_none(), "{mended}");
        let end = mended.last.unwrap().0;
        t.sql(&format!(
            "UPDATE audit_log SET detail = detail || 'y' WHERE id = {end}"
        ));
        let page = t.office.verify_audit_since_last(&auditor).unwrap();
        assert_eq!(page.earlier, None);
        assert_eq!(page.first_broken.map(|b| b.seq), Some(end));

        // The server's own whole check (after its start, daily) counts
        // as the last whole check for the page.
        let fresh = citycard::Office::open(&t.config).unwrap();
        t.sql(&format!(
            "UPDATE audit_log SET detail = substr(detail, 1, length(detail) - 1) WHERE id = {end}"
        ));
        assert!(fresh.check_audit_chain().unwrap().first_broken.is_none());
        let page = fresh.verify_audit_since_last(&auditor).unwrap();
        assert!(page.earlier.is_some(), "{page}");
    });
}
