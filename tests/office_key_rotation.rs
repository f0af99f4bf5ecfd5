//! Finding 9 (SECURITY.md): `citycard keys rotate-data-key` seals every
//! resident record, photo and QR text again under new keys, makes the
//! keyed tags again, swaps the key check value, and retires the old keys;
//! interrupted, it resumes. On SQLite and PostgreSQL, and through the real
//! binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::Office;
use citycard::office::actor::{Actor, Role};
use citycard::office::cards::{Attestation, EnrolOutcome, Enrolment, NewCardRequest};
use citycard::office::key_rotation::{RotationOptions, rotate_data_keys};
use citycard::vault::{Purpose, Vault};
use citycard_credential::{CardNumber, date};
use office_support::*;

/// Enrols a resident and returns the card number.
fn enrol(
    t: &TestOffice,
    clerk: &Actor,
    given: &str,
    family: &str,
    dob: Option<&str>,
) -> CardNumber {
    let outcome = t
        .office
        .enrol_and_issue(
            clerk,
            Enrolment {
                given_names: given.to_owned(),
                family_name: family.to_owned(),
                date_of_birth: dob.map(|d| date::parse(d).unwrap().into()),
                photo: Some(photo(&format!("photo of {family}"))),
                attestation: Attestation::BOTH,
                confirm_duplicate: false,
                pickup_site: None,
            },
        )
        .unwrap();
    match outcome {
        EnrolOutcome::Issued(c) => c.card_number,
        EnrolOutcome::PossibleDuplicate(_) => panic!("unexpected duplicate"),
    }
}

/// The key files' contents.
fn key_files(t: &TestOffice) -> (String, String) {
    let l = t.config.layout();
    (
        std::fs::read_to_string(l.data_key()).unwrap(),
        std::fs::read_to_string(l.dedup_key()).unwrap(),
    )
}

fn vault_of(keys: &(String, String)) -> Vault {
    let hex = |s: &str| -> [u8; 32] {
        let s = s.trim();
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    };
    Vault::from_keys(&hex(&keys.0), &hex(&keys.1)).unwrap()
}

/// A sealed blob: (purpose, row, bytes).
type Blob = (Purpose, i64, Vec<u8>);

/// Every sealed blob in the database with what it is: (purpose, row, blob),
/// and every stored duplicate-check tag.
fn sealed(t: &TestOffice) -> (Vec<Blob>, Vec<Vec<u8>>) {
    use citycard::db::schema::{cards, residents};
    use diesel::prelude::*;
    let mut conn = t.office.db().conn().unwrap();
    type Row = (i64, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);
    let rows: Vec<Row> = residents::table
        .select((
            residents::id,
            residents::sealed_record,
            residents::sealed_photo,
            residents::dedup_hmac,
        ))
        .load(&mut *conn)
        .unwrap();
    let mut out = Vec::new();
    let mut tags = Vec::new();
    for (id, record, photo, tag) in rows {
        out.extend(record.map(|b| (Purpose::ResidentRecord, id, b)));
        out.extend(photo.map(|b| (Purpose::ResidentPhoto, id, b)));
        tags.extend(tag);
    }
    let qrs: Vec<(i64, Option<Vec<u8>>)> = cards::table
        .select((cards::card_number, cards::sealed_qr))
        .load(&mut *conn)
        .unwrap();
    out.extend(
        qrs.into_iter()
            .filter_map(|(n, q)| q.map(|q| (Purpose::CardQr, n, q))),
    );
    (out, tags)
}

/// Everything the office shows of these cards, read through a freshly
/// opened office (so with the key files on disk now).
fn check_readable(t: &TestOffice, cards: &[(CardNumber, &str)]) -> Office {
    let office = Office::open(&t.config).unwrap();
    let clerk = Actor {
        user_id: 0,
        username: "clerk".to_owned(),
        role: Role::Clerk,
        office: office.office_name().to_owned(),
        must_change_password: false,
        api_token: None,
        site: None,
    };
    for (n, family) in cards {
        let d = office.get_card(&clerk, *n).unwrap();
        assert_eq!(d.resident.as_ref().unwrap().family_name, *family);
        assert!(d.qr_text.unwrap().starts_with("CC1"));
        let photo = office.photo(&clerk, *n).unwrap().unwrap();
        assert_eq!(photo, office_support::photo(&format!("photo of {family}")));
    }
    office
}

#[test]
fn rotation_seals_everything_again_and_the_old_keys_open_nothing() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        let supervisor = t.user("super", Role::Supervisor);
        let a = enrol(&t, &clerk, "Anna", "Adler", Some("1980-01-02"));
        let b = enrol(&t, &clerk, "Bo", "Berg", None);
        let gone = enrol(&t, &clerk, "Cem", "Çelik", Some("1990-03-04"));
        let b2 = t
            .office
            .renew(
                &clerk,
                b,
                NewCardRequest {
                    attestation: Attestation::BOTH,
                    photo: None,
                    pickup_site: None,
                },
            )
            .unwrap()
            .card_number;
        t.office.erase(&supervisor, gone).unwrap();
        let old_keys = key_files(&t);
        let old = vault_of(&old_keys);
        let (before, tags_before) = sealed(&t);
        // Record + photo of two residents, QR texts of three cards.
        assert_eq!(before.len(), 7);
        for (purpose, id, blob) in &before {
            old.unseal(*purpose, *id, blob).unwrap();
        }

        let report = rotate_data_keys(&t.config, RotationOptions::default()).unwrap();
        assert!(report.finished && !report.resumed, "{report:?}");
        assert_eq!(
            (
                report.counts.records,
                report.counts.photos,
                report.counts.qr_texts
            ),
            (2, 2, 3)
        );

        // New key files, no leftovers.
        let new_keys = key_files(&t);
        assert_ne!(new_keys.0, old_keys.0);
        assert_ne!(new_keys.1, old_keys.1);
        let layout = t.config.layout();
        assert!(!layout.data_key_new().exists() && !layout.dedup_key_new().exists());
        // The old keys open nothing; the new ones open everything.
        let new = vault_of(&new_keys);
        let (after, tags_after) = sealed(&t);
        assert_eq!(after.len(), before.len());
        for (purpose, id, blob) in &after {
            assert!(
                old.unseal(*purpose, *id, blob).is_err(),
                "{purpose:?} opens with the old key"
            );
            new.unseal(*purpose, *id, blob).unwrap();
        }
        assert_eq!(tags_after.len(), tags_before.len());
        for tag in &tags_after {
            assert!(
                !tags_before.contains(tag),
                "a dedup tag under the old key is left"
            );
        }

        // The server that was running refuses to seal with the old keys.
        let refused = t
            .office
            .enrol_and_issue(
                &clerk,
                Enrolment {
                    given_names: "Dana".to_owned(),
                    family_name: "Dorn".to_owned(),
                    date_of_birth: None,
                    photo: None,
                    attestation: Attestation::BOTH,
                    confirm_duplicate: false,
                    pickup_site: None,
                },
            )
            .unwrap_err();
        assert_eq!(refused.code(), "keys", "{refused}");

        // A restarted office reads everything, finds duplicates and searches.
        let office = check_readable(&t, &[(a, "Adler"), (b2, "Berg")]);
        let dup = office
            .enrol_and_issue(
                &clerk,
                Enrolment {
                    given_names: "ANNA".to_owned(),
                    family_name: "adler".to_owned(),
                    date_of_birth: date::parse("1980-01-02").ok().map(Into::into),
                    photo: None,
                    attestation: Attestation::BOTH,
                    confirm_duplicate: false,
                    pickup_site: None,
                },
            )
            .unwrap();
        assert!(
            matches!(dup, EnrolOutcome::PossibleDuplicate(_)),
            "duplicate check under the new key"
        );
        let found = office
            .search_by_name_and_dob(
                &clerk,
                "",
                "ADLER",
                date::parse("1980-01-02").ok().map(Into::into),
            )
            .unwrap();
        assert_eq!(found.len(), 1, "search index under the new key");
        // What is sealed from now on does not open with the old keys either.
        let fresh = office
            .enrol_and_issue(
                &clerk,
                Enrolment {
                    given_names: "Eva".to_owned(),
                    family_name: "Ernst".to_owned(),
                    date_of_birth: None,
                    photo: Some(photo("photo of Ernst")),
                    attestation: Attestation::BOTH,
                    confirm_duplicate: false,
                    pickup_site: None,
                },
            )
            .unwrap();
        assert!(matches!(fresh, EnrolOutcome::Issued(_)));
        let (now, _) = sealed(&t);
        assert_eq!(now.len(), after.len() + 3);
        for (purpose, id, blob) in &now {
            assert!(
                old.unseal(*purpose, *id, blob).is_err(),
                "{purpose:?} opens with the old key"
            );
            new.unseal(*purpose, *id, blob).unwrap();
        }
        // Audited, with counts only.
        let auditor = t.user("auditor", Role::Auditor);
        let entry = office
            .audit_entries(&auditor, Default::default())
            .unwrap()
            .into_iter()
            .find(|e| e.action == "data_keys_rotated")
            .expect("an audit entry");
        assert_eq!(entry.detail, "records=2 photos=2 qr_texts=3");
        assert_eq!(entry.actor, "cli");
        drop(office);

        // The old key files no longer fit the database: the office refuses.
        let l = t.config.layout();
        std::fs::write(l.data_key(), &old_keys.0).unwrap();
        let err = Office::open(&t.config).unwrap_err();
        assert_eq!(err.code(), "keys", "{err}");
        std::fs::write(l.data_key(), &new_keys.0).unwrap();
    });
}

#[test]
fn an_interrupted_rotation_resumes_and_finishes() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        let families = ["Adler", "Berg", "Dorn", "Eich", "Fink"];
        let cards: Vec<(CardNumber, &str)> = families
            .iter()
            .map(|f| (enrol(&t, &clerk, "X", f, Some("1970-05-06")), *f))
            .collect();
        let first_keys = key_files(&t);
        let slice = RotationOptions {
            batch_size: 2,
            max_batches: Some(2),
        };
        let r = rotate_data_keys(&t.config, slice).unwrap();
        assert!(!r.finished && !r.resumed, "{r:?}");
        assert_eq!(r.counts.records, 4, "two batches of two residents");
        // Half-way: the old keys are still in place, the office refuses to
        // start, and the running one refuses to seal.
        assert_eq!(key_files(&t), first_keys);
        let err = Office::open(&t.config).unwrap_err();
        assert!(err.to_string().contains("rotate-data-key"), "{err}");
        let refused = t
            .office
            .enrol_and_issue(
                &clerk,
                Enrolment {
                    given_names: "Y".to_owned(),
                    family_name: "Gans".to_owned(),
                    date_of_birth: None,
                    photo: Some(photo("photo of Gans")),
                    attestation: Attestation::BOTH,
                    confirm_duplicate: false,
                    pickup_site: None,
                },
            )
            .unwrap_err();
        assert_eq!(refused.code(), "keys", "{refused}");
        // Another slice, then the rest.
        let r = rotate_data_keys(
            &t.config,
            RotationOptions {
                max_batches: Some(1),
                ..slice
            },
        )
        .unwrap();
        assert!(!r.finished && r.resumed, "{r:?}");
        let r = rotate_data_keys(&t.config, RotationOptions::default()).unwrap();
        assert!(r.finished && r.resumed, "{r:?}");
        assert_eq!(
            (r.counts.records, r.counts.photos, r.counts.qr_texts),
            (5, 5, 5)
        );
        let second_keys = key_files(&t);
        assert_ne!(second_keys, first_keys);
        drop(check_readable(&t, &cards));

        // A crash after the last transaction but before the key files were
        // renamed: the old files in place, the new ones beside them.
        let r = rotate_data_keys(&t.config, RotationOptions::default()).unwrap();
        assert!(r.finished && !r.resumed);
        let third_keys = key_files(&t);
        let l = t.config.layout();
        std::fs::write(l.data_key_new(), &third_keys.0).unwrap();
        std::fs::write(l.dedup_key_new(), &third_keys.1).unwrap();
        std::fs::write(l.data_key(), &second_keys.0).unwrap();
        std::fs::write(l.dedup_key(), &second_keys.1).unwrap();
        let err = Office::open(&t.config).unwrap_err();
        assert!(err.to_string().contains("rotate-data-key"), "{err}");
        let r = rotate_data_keys(&t.config, RotationOptions::default()).unwrap();
        assert!(r.finished && r.resumed, "{r:?}");
        assert_eq!(key_files(&t), third_keys);
        assert!(!l.data_key_new().exists());
        drop(check_readable(&t, &cards));
    });
}

/// The real binary: a slice, the office refusing to start, the rest.
#[test]
fn rotate_data_key_command() {
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    let clerk = t.user("clerk", Role::Clerk);
    let cards: Vec<(CardNumber, &str)> = ["Quetzalcoatlova", "Xylophonia"]
        .iter()
        .map(|f| (enrol(&t, &clerk, "Z", f, Some("1987-06-05")), *f))
        .collect();
    let config = t.dir.path().join("citycard.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"{}\"\n", t.data_dir().display()),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_citycard"));
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("CITYCARD_") {
                cmd.env_remove(k);
            }
        }
        let out = cmd
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        for (_, family) in &cards {
            assert!(!stderr.contains(family), "{stderr}");
        }
        (out.status.code(), stderr)
    };
    let (code, stderr) = run(&[
        "keys",
        "rotate-data-key",
        "--batch-size",
        "1",
        "--max-batches",
        "1",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("unfinished"), "{stderr}");
    let (code, stderr) = run(&["admin", "list-users"]);
    assert_eq!(
        code,
        Some(2),
        "the office does not start half-way: {stderr}"
    );
    assert!(stderr.contains("rotate-data-key"), "{stderr}");
    let (code, stderr) = run(&["keys", "rotate-data-key"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("2 records, 2 photos and 2 QR texts"),
        "{stderr}"
    );
    let (code, stderr) = run(&["admin", "list-users"]);
    assert_eq!(code, Some(0), "{stderr}");
    drop(check_readable(&t, &cards));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(t.config.layout().data_key())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// Sets a card's sealed QR text as stored (to break one and mend it).
fn set_sealed_qr(t: &TestOffice, card: CardNumber, blob: Vec<u8>) -> Vec<u8> {
    use citycard::db::schema::cards;
    use diesel::prelude::*;
    let mut conn = t.office.db().conn().unwrap();
    let number = i64::try_from(card.as_u64()).unwrap();
    let old: Option<Vec<u8>> = cards::table
        .find(number)
        .select(cards::sealed_qr)
        .get_result(&mut *conn)
        .unwrap();
    diesel::update(cards::table.find(number))
        .set(cards::sealed_qr.eq(Some(blob)))
        .execute(&mut *conn)
        .unwrap();
    old.unwrap()
}

/// A batch that fails half-way (a blob no key opens) changes nothing of its
/// own: the rotation stays under way, and once the blob is mended the next
/// run finishes.
#[test]
fn a_failed_batch_is_rolled_back_and_the_next_run_finishes() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        let cards: Vec<(CardNumber, &str)> = ["Adler", "Berg", "Dorn"]
            .iter()
            .map(|f| (enrol(&t, &clerk, "X", f, None), *f))
            .collect();
        let good = set_sealed_qr(&t, cards[1].0, vec![1, 2, 3]);
        let err = rotate_data_keys(&t.config, RotationOptions::default()).unwrap_err();
        assert_eq!(err.code(), "unseal_failed", "{err}");
        let err = Office::open(&t.config).unwrap_err();
        assert!(err.to_string().contains("rotate-data-key"), "{err}");
        // The failed batch left no card sealed under the new key.
        let new_keys = {
            let l = t.config.layout();
            (
                std::fs::read_to_string(l.data_key_new()).unwrap(),
                std::fs::read_to_string(l.dedup_key_new()).unwrap(),
            )
        };
        let new = vault_of(&new_keys);
        let (blobs, _) = sealed(&t);
        for (purpose, id, blob) in &blobs {
            if *purpose == Purpose::CardQr {
                assert!(new.unseal(*purpose, *id, blob).is_err());
            }
        }
        set_sealed_qr(&t, cards[1].0, good);
        let r = rotate_data_keys(&t.config, RotationOptions::default()).unwrap();
        assert!(r.finished && r.resumed, "{r:?}");
        assert_eq!(r.counts.qr_texts, 3);
        assert_eq!(key_files(&t), new_keys);
        drop(check_readable(&t, &cards));
    });
}

/// Two rotations at once are refused: one machine (a lock on a file in the
/// key directory) or two hosts on one PostgreSQL database (an advisory
/// lock); nothing is changed.
#[test]
fn a_second_rotation_at_the_same_time_is_refused() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        enrol(&t, &clerk, "X", "Adler", None);
        let keys = key_files(&t);
        #[cfg(unix)]
        {
            let lock = std::fs::File::create(t.config.layout().rotation_lock()).unwrap();
            rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).unwrap();
            let err = rotate_data_keys(&t.config, RotationOptions::default()).unwrap_err();
            assert!(err.to_string().contains("another key rotation"), "{err}");
            drop(lock);
        }
        if let Some(pg) = &t.pg {
            use diesel::Connection;
            use diesel::connection::SimpleConnection;
            let mut other = diesel::PgConnection::establish(&pg.url).unwrap();
            // The rotation's lock ("rotation"), held as another host would.
            other
                .batch_execute("SELECT pg_advisory_lock(8245937404652384110)")
                .unwrap();
            let err = rotate_data_keys(&t.config, RotationOptions::default()).unwrap_err();
            assert!(err.to_string().contains("another key rotation"), "{err}");
            drop(other);
        }
        assert_eq!(key_files(&t), keys);
        assert!(!t.config.layout().data_key_new().exists());
        let r = rotate_data_keys(&t.config, RotationOptions::default()).unwrap();
        assert!(r.finished);
    });
}
