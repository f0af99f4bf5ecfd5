//! The database layer: both backends have the same schema, mistyped URLs
//! are errors, the keys must belong to the database, and the audit chain
//! detects tampering (also through `citycard audit verify`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::Office;
use citycard::config::{Config, DatabaseUrl};
use citycard::db::{Db, schema_shape};
use citycard::issuance::{Attestation, EnrolOutcome, Enrolment};
use citycard::office::actor::Role;
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
        let report = citycard::audit::verify(t.office.db()).unwrap();
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
        let report = citycard::audit::verify(t.office.db()).unwrap();
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
        let report = citycard::audit::verify(t.office.db()).unwrap();
        assert_eq!(report.first_broken.unwrap().seq, 2);
        // Cutting off the end (the head row still remembers it).
        let t2 = office_with(t.backend, |_| {}).unwrap();
        t2.user("clerk", Role::Clerk);
        t2.user("clerk2", Role::Clerk);
        t2.sql(drop_triggers);
        t2.sql("DELETE FROM audit_log WHERE id = 2");
        let report = citycard::audit::verify(t2.office.db()).unwrap();
        let broken = report.first_broken.unwrap();
        assert_eq!(broken.seq, 2);
        assert!(broken.problem.contains("head"), "{}", broken.problem);
    });
}
