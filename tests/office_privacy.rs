//! DESIGN.md §1 rule 3: a full dump of the database alone reveals no name.
//! Issues a card to a resident with a distinctive name and birth date and
//! searches the SQLite files (WAL included) and a `pg_dump` for them in
//! several encodings; then erases the resident and checks that even the
//! sealed blobs are gone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::config::DatabaseUrl;
use citycard::office::actor::Role;
use citycard::office::cards::{Attestation, EnrolOutcome, Enrolment};
use citycard_credential::{date, text};
use office_support::*;

const GIVEN: &str = "Xylophonia";
const FAMILY: &str = "Quetzalcoatlova";
const DOB: &str = "1987-06-05";
const PHOTO_MARKER: &str = "QZX-PHOTO-SENTINEL-4711";

fn utf16(s: &str, big_endian: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

/// Everything that must not appear, as (description, bytes).
fn forbidden(qr_text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for word in [GIVEN, FAMILY, PHOTO_MARKER] {
        for form in [
            word.to_owned(),
            word.to_lowercase(),
            word.to_uppercase(),
            format!("{GIVEN} {FAMILY}"),
        ] {
            out.push((format!("text {form:?}"), form.clone().into_bytes()));
            out.push((
                format!("hex of {form:?}"),
                citycard_credential::keys::to_hex(form.as_bytes()).into_bytes(),
            ));
        }
        out.push((format!("UTF-16LE {word:?}"), utf16(word, false)));
        out.push((format!("UTF-16BE {word:?}"), utf16(word, true)));
    }
    for form in [DOB, "19870605", "05.06.1987", "06/05/1987", "1987-6-5"] {
        out.push((format!("date {form:?}"), form.as_bytes().to_vec()));
    }
    // The QR text holds the name in its signed payload: neither the text
    // nor its COSE bytes may be stored unsealed.
    out.push(("QR text".to_owned(), qr_text.as_bytes().to_vec()));
    let cose = text::decode(qr_text).unwrap();
    out.push(("COSE bytes".to_owned(), cose.clone()));
    out.push((
        "COSE bytes in hex".to_owned(),
        citycard_credential::keys::to_hex(&cose).into_bytes(),
    ));
    out
}

/// The birth date as a day count (what the card's CBOR holds), as a whole
/// decimal number.
fn dob_days() -> String {
    date::to_days(date::parse(DOB).unwrap()).to_string()
}

/// Removes PostgreSQL bytea literals (`\x…` hex), in which any short digit
/// string can appear by chance.
fn without_bytea_hex(dump: &str) -> String {
    let mut out = String::with_capacity(dump.len());
    let mut chars = dump.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'x') {
            chars.next();
            while chars.peek().is_some_and(char::is_ascii_hexdigit) {
                chars.next();
            }
            out.push_str("<bytea>");
        } else {
            out.push(c);
        }
    }
    out
}

fn assert_absent(haystack: &[u8], qr_text: &str, where_: &str) {
    for (what, needle) in forbidden(qr_text) {
        assert!(!contains(haystack, &needle), "{what} found in {where_}");
    }
}

#[test]
fn no_name_or_birth_date_in_the_database_files_or_dump() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        let supervisor = t.user("super1", Role::Supervisor);
        let outcome = t
            .office
            .enrol_and_issue(
                &clerk,
                Enrolment {
                    given_names: GIVEN.to_owned(),
                    family_name: FAMILY.to_owned(),
                    date_of_birth: Some(date::parse(DOB).unwrap().into()),
                    photo: Some(photo(PHOTO_MARKER)),
                    attestation: Attestation::BOTH,
                    confirm_duplicate: false,
                    pickup_site: None,
                },
            )
            .unwrap();
        let EnrolOutcome::Issued(card) = outcome else {
            panic!("expected a card");
        };
        // The card really carries the name (so the test looks for the right thing).
        let verifier = citycard_credential::Verifier::new(
            &std::fs::read(t.config.layout().trust_list()).unwrap(),
            &root_key(&t),
        )
        .unwrap();
        let v = verifier.verify(&card.qr_text, date::today_utc());
        assert!(v.outcome.is_valid(), "{:?}", v.outcome);
        let claims = v.card.unwrap();
        assert_eq!(claims.family_name, FAMILY);
        assert_eq!(claims.date_of_birth, date::parse(DOB).ok().map(Into::into));
        // Look at it, search for it, renew it: more rows, more chances to leak.
        let details = t.office.get_card(&clerk, card.card_number).unwrap();
        assert_eq!(details.resident.as_ref().unwrap().family_name, FAMILY);
        let found = t
            .office
            .search_by_name_and_dob(&clerk, GIVEN, FAMILY, date::parse(DOB).ok().map(Into::into))
            .unwrap();
        assert_eq!(found.len(), 1);
        t.office.mark_printed(&clerk, card.card_number).unwrap();
        let renewed = t
            .office
            .renew(&clerk, card.card_number, Default::default())
            .err();
        assert!(renewed.is_some(), "renewing without attestation must fail");
        let renewed = t
            .office
            .renew(
                &clerk,
                card.card_number,
                citycard::office::cards::NewCardRequest {
                    attestation: Attestation::BOTH,
                    photo: Some(photo(PHOTO_MARKER)),
                    pickup_site: None,
                },
            )
            .unwrap();

        let days = dob_days();
        match t.backend {
            Backend::Sqlite => {
                let DatabaseUrl::Sqlite { path } = &t.config.database else {
                    panic!("sqlite expected");
                };
                // Before a checkpoint the new pages are in the -wal file.
                let bytes = sqlite_bytes(path);
                // Positive controls: the search does see what is stored in the clear.
                assert!(contains(&bytes, OFFICE.as_bytes()));
                assert!(contains(&bytes, b"card_renewed"));
                assert_absent(&bytes, &card.qr_text, "the SQLite files");
                assert_absent(&bytes, &renewed.qr_text, "the SQLite files");
                assert!(
                    !contains_number(&bytes, &days),
                    "day count in the SQLite files"
                );
                t.office.db().checkpoint().unwrap();
                let bytes = sqlite_bytes(path);
                assert_absent(&bytes, &card.qr_text, "the checkpointed SQLite file");
                assert!(!contains_number(&bytes, &days));
            }
            Backend::Postgres => {
                let dump = pg_dump(&t.pg.as_ref().unwrap().url);
                assert!(dump.contains("COPY public.cards"), "the dump has the data");
                assert!(dump.contains(OFFICE) && dump.contains("card_renewed"));
                assert_absent(dump.as_bytes(), &card.qr_text, "pg_dump");
                assert_absent(dump.as_bytes(), &renewed.qr_text, "pg_dump");
                let plain = without_bytea_hex(&dump);
                assert!(
                    !contains_number(plain.as_bytes(), &days),
                    "day count in pg_dump"
                );
            }
        }

        // Erase: the sealed blobs themselves disappear.
        let sealed = sealed_blobs(&t);
        assert!(
            sealed.len() >= 3,
            "record, photo and QR texts are stored sealed"
        );
        let erased = t.office.erase(&supervisor, renewed.card_number).unwrap();
        assert_eq!(erased.cards.len(), 2);
        assert!(
            sealed_blobs(&t).is_empty(),
            "no sealed data left after erasure"
        );
        match t.backend {
            Backend::Sqlite => {
                t.office.db().checkpoint().unwrap();
                let DatabaseUrl::Sqlite { path } = &t.config.database else {
                    panic!("sqlite expected");
                };
                let bytes = sqlite_bytes(path);
                for blob in &sealed {
                    // secure_delete overwrites freed content.
                    assert!(
                        !contains(&bytes, &blob[13..]),
                        "a sealed blob survived erasure"
                    );
                }
            }
            Backend::Postgres => {
                let dump = pg_dump(&t.pg.as_ref().unwrap().url);
                for blob in &sealed {
                    let hex = citycard_credential::keys::to_hex(blob);
                    assert!(!dump.contains(&hex), "a sealed blob is still in the dump");
                }
            }
        }
    });
}

/// Every sealed blob in the database.
fn sealed_blobs(t: &TestOffice) -> Vec<Vec<u8>> {
    use citycard::db::schema::{cards, residents};
    use diesel::prelude::*;
    let mut conn = t.office.db().conn().unwrap();
    let mut out: Vec<Vec<u8>> = Vec::new();
    type Blobs = (Option<Vec<u8>>, Option<Vec<u8>>);
    let rows: Vec<Blobs> = residents::table
        .select((residents::sealed_record, residents::sealed_photo))
        .load(&mut *conn)
        .unwrap();
    for (a, b) in rows {
        out.extend(a);
        out.extend(b);
    }
    let qrs: Vec<Option<Vec<u8>>> = cards::table
        .select(cards::sealed_qr)
        .load(&mut *conn)
        .unwrap();
    out.extend(qrs.into_iter().flatten());
    out
}

/// The same office (database, keys) with its clock moved `days` ahead:
/// the deletion schedule's test clock (never sleeping).
fn later(t: &TestOffice, days: i64) -> citycard::Office {
    let mut config = t.config.clone();
    config.clock.offset_days = i32::try_from(days).unwrap();
    citycard::Office::open(&config).unwrap()
}

/// How many residents still have sealed personal data.
fn sealed_residents(t: &TestOffice) -> i64 {
    use citycard::db::schema::residents;
    use diesel::prelude::*;
    let mut conn = t.office.db().conn().unwrap();
    residents::table
        .filter(residents::sealed_record.is_not_null())
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

/// Issue 13 item 4: the deletion schedule erases what is due, on both
/// backends, with audit entries that carry the reason code and no personal
/// data; the sealed data is gone from the database files and the dump.
#[test]
fn the_deletion_schedule_erases_what_is_due_and_nothing_else() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        let supervisor = t.user("super1", Role::Supervisor);
        let enrol = |family: &str| {
            let outcome = t
                .office
                .enrol_and_issue(
                    &clerk,
                    Enrolment {
                        given_names: GIVEN.to_owned(),
                        family_name: family.to_owned(),
                        date_of_birth: Some(date::parse(DOB).unwrap().into()),
                        photo: Some(photo(PHOTO_MARKER)),
                        attestation: Attestation::BOTH,
                        confirm_duplicate: true,
                        pickup_site: None,
                    },
                )
                .unwrap();
            let EnrolOutcome::Issued(card) = outcome else {
                panic!("expected a card");
            };
            card
        };
        // Kept: a printed card valid for 5 years.
        let kept = enrol("Bleibtreu");
        t.office.mark_printed(&clerk, kept.card_number).unwrap();
        // Revoked today (withdrawn): erased 24 months later.
        let revoked = enrol("Widerruf");
        t.office.mark_printed(&clerk, revoked.card_number).unwrap();
        t.office
            .revoke(
                &supervisor,
                revoked.card_number,
                citycard::office::cards::RevocationReason::Withdrawn,
            )
            .unwrap();
        // Never printed: erased after 90 days.
        let unprinted = enrol(FAMILY);
        assert_eq!(sealed_residents(&t), 3);
        let sealed = sealed_blobs(&t);
        assert!(sealed.len() >= 6, "records, photos and QR texts are sealed");

        // Today nothing is due, and the dashboard's count agrees.
        let m = t.office.maintenance().unwrap();
        assert_eq!((m.erased.cards_ended, m.erased.never_printed), (0, 0));
        let due = t.office.deletion_due(&supervisor).unwrap();
        assert_eq!((due.cards_ended, due.never_printed), (0, 0));
        // 61 days on, the unprinted enrolment falls due within 30 days.
        let due = later(&t, 61).deletion_due(&supervisor).unwrap();
        assert_eq!((due.cards_ended, due.never_printed), (0, 1));
        assert_eq!(later(&t, 61).maintenance().unwrap().erased.never_printed, 0);

        // 91 days on: the never-printed enrolment goes, nothing else.
        let m = later(&t, 91).maintenance().unwrap();
        assert_eq!((m.erased.cards_ended, m.erased.never_printed), (0, 1));
        assert_eq!(sealed_residents(&t), 2);
        let d = t
            .office
            .get_card(&supervisor, unprinted.card_number)
            .unwrap();
        assert!(d.resident.is_none() && d.qr_text.is_none() && !d.has_photo);
        // The revocation list names the erased (still valid) card.
        assert!(
            matches!(
                d.summary.status,
                citycard::office::cards::CardStatus::Revoked(
                    citycard::office::cards::RevocationReason::Erased
                )
            ),
            "{:?}",
            d.summary.status
        );

        // 24 months and a day after the revocation: the revoked resident goes.
        let m = later(&t, 2 * 366 + 1).maintenance().unwrap();
        assert_eq!((m.erased.cards_ended, m.erased.never_printed), (1, 0));
        assert!(
            t.office
                .get_card(&supervisor, revoked.card_number)
                .unwrap()
                .resident
                .is_none()
        );
        assert!(
            t.office
                .get_card(&supervisor, kept.card_number)
                .unwrap()
                .resident
                .is_some(),
            "a valid card keeps its resident"
        );
        // Running again erases nothing more.
        assert_eq!(
            later(&t, 2 * 366 + 1)
                .maintenance()
                .unwrap()
                .erased
                .cards_ended,
            0
        );

        // The card valid for 5 years: kept until 24 months after it expired.
        let expired_days = (kept.expires - date::today_utc()).whole_days();
        let m = later(&t, expired_days + 700).maintenance().unwrap();
        assert_eq!(m.erased.cards_ended, 0, "not yet 24 months after expiry");
        let m = later(&t, expired_days + 2 * 366).maintenance().unwrap();
        assert_eq!(m.erased.cards_ended, 1);
        assert_eq!(sealed_residents(&t), 0);
        assert!(sealed_blobs(&t).is_empty(), "no sealed data left");

        // Audited: one resident_erased entry per scheduled erasure, by the
        // schedule, with the reason code; no name, no birth date.
        let mut csv = Vec::new();
        citycard::office::audit::write_csv(t.office.db(), &mut csv, &|a: &str| a.to_owned())
            .unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let scheduled: Vec<&str> = csv
            .lines()
            .filter(|l| l.contains("resident_erased") && l.contains("reason=retention_expired"))
            .collect();
        assert_eq!(scheduled.len(), 3, "{csv}");
        assert!(scheduled.iter().all(|l| l.contains("deletion-schedule")));
        assert!(scheduled.iter().any(|l| l.contains("rule=never_printed")));
        assert_eq!(
            scheduled
                .iter()
                .filter(|l| l.contains("rule=cards_ended"))
                .count(),
            2
        );
        assert!(!csv.contains(GIVEN) && !csv.contains(FAMILY) && !csv.contains(DOB));
        assert!(
            citycard::office::audit::verify(t.office.db())
                .unwrap()
                .first_broken
                .is_none()
        );

        // The erased data is gone from the files and the dump, too.
        match t.backend {
            Backend::Sqlite => {
                t.office.db().checkpoint().unwrap();
                let DatabaseUrl::Sqlite { path } = &t.config.database else {
                    panic!("sqlite expected");
                };
                let bytes = sqlite_bytes(path);
                assert_absent(&bytes, &unprinted.qr_text, "the SQLite files");
                assert_absent(&bytes, &kept.qr_text, "the SQLite files");
                for blob in &sealed {
                    // secure_delete overwrites what the schedule freed.
                    assert!(!contains(&bytes, &blob[13..]), "a sealed blob survived");
                }
            }
            Backend::Postgres => {
                let dump = pg_dump(&t.pg.as_ref().unwrap().url);
                assert_absent(dump.as_bytes(), &unprinted.qr_text, "pg_dump");
                for blob in &sealed {
                    let hex = citycard_credential::keys::to_hex(blob);
                    assert!(!dump.contains(&hex), "a sealed blob is still in the dump");
                }
                assert!(dump.contains("retention_expired"));
            }
        }
    });
}

/// The audit entries with `action`, newest first.
fn entries_with(
    t: &TestOffice,
    auditor: &citycard::office::actor::Actor,
    action: &str,
) -> Vec<citycard::office::audit::AuditEntry> {
    t.office
        .audit_entries(
            auditor,
            citycard::office::audit::AuditQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

/// SECURITY.md finding 6: every read that hands out residents' data leaves
/// an audit entry (action, user, office, count; never the data): the print
/// queue, a resident's photo, and the enrolment that answers "cards with
/// this name and birth date exist" (a lookup by name, like the search).
#[test]
fn reads_of_personal_data_are_audited() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        let auditor = t.user("audit1", Role::Auditor);
        let enrolment = |confirm| Enrolment {
            given_names: GIVEN.to_owned(),
            family_name: FAMILY.to_owned(),
            date_of_birth: Some(date::parse(DOB).unwrap().into()),
            photo: Some(photo(PHOTO_MARKER)),
            attestation: Attestation::BOTH,
            confirm_duplicate: confirm,
            pickup_site: None,
        };
        let EnrolOutcome::Issued(card) =
            t.office.enrol_and_issue(&clerk, enrolment(false)).unwrap()
        else {
            panic!("expected a card");
        };
        // The same name and birth date again: the answer names the card.
        let EnrolOutcome::PossibleDuplicate(dups) =
            t.office.enrol_and_issue(&clerk, enrolment(false)).unwrap()
        else {
            panic!("expected the duplicate warning");
        };
        assert_eq!(dups[0].card_number, card.card_number);
        let shown = entries_with(&t, &auditor, "duplicates_shown");
        assert_eq!(shown.len(), 1, "the duplicate lookup is not audited");
        assert_eq!(shown[0].actor, "clerk1");
        assert_eq!(shown[0].office, OFFICE);
        assert_eq!(shown[0].detail, "results=1");
        assert_eq!(shown[0].card_number, None);

        // The print queue with its names.
        let queue = t.office.print_queue(&clerk).unwrap();
        assert_eq!(queue.len(), 1);
        let listed = entries_with(&t, &auditor, "print_queue_viewed");
        assert_eq!(listed.len(), 1, "the print queue is not audited");
        assert_eq!(listed[0].actor, "clerk1");
        assert_eq!(listed[0].detail, "count=1");

        // The photo.
        assert!(t.office.photo(&clerk, card.card_number).unwrap().is_some());
        let photos = entries_with(&t, &auditor, "photo_viewed");
        assert_eq!(photos.len(), 1, "showing the photo is not audited");
        assert_eq!(
            photos[0].card_number,
            Some(card.card_number.as_u64() as i64)
        );

        // None of it holds the data itself.
        let all = t
            .office
            .audit_entries(&auditor, Default::default())
            .unwrap();
        for e in &all {
            for word in [GIVEN, FAMILY, DOB, "1987"] {
                assert!(!e.detail.contains(word), "{e:?}");
            }
        }
        assert!(
            t.office
                .verify_audit(&auditor)
                .unwrap()
                .first_broken
                .is_none()
        );
    });
}

/// SECURITY.md finding 6: a card's PDF and a PDF of several cards are
/// recorded once made (the same domain calls serve the UI, the API and
/// `citycard print --queue`); one that failed showed nothing and is not.
#[test]
fn printing_pdfs_is_audited() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        let auditor = t.user("audit1", Role::Auditor);
        let mut numbers = Vec::new();
        for given in ["Ana", "Bea"] {
            let EnrolOutcome::Issued(card) = t
                .office
                .enrol_and_issue(
                    &clerk,
                    Enrolment {
                        given_names: given.to_owned(),
                        family_name: FAMILY.to_owned(),
                        attestation: Attestation::BOTH,
                        ..Default::default()
                    },
                )
                .unwrap()
            else {
                panic!("expected a card");
            };
            numbers.push(card.card_number);
        }
        let failed: Result<(), citycard::Error> = t.office.print_card(&clerk, numbers[0], |_| {
            Err(citycard::Error::Template("the printer refused".into()))
        });
        assert!(failed.is_err());
        assert!(entries_with(&t, &auditor, "card_pdf_made").is_empty());
        let card = t
            .office
            .print_card(&clerk, numbers[0], Ok::<_, citycard::Error>)
            .unwrap();
        assert_eq!(card.family_name, FAMILY);
        let made = entries_with(&t, &auditor, "card_pdf_made");
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].card_number, Some(numbers[0].as_u64() as i64));
        assert_eq!(made[0].detail, "photo=0");

        let names = t
            .office
            .print_cards(&clerk, &numbers, |cards| {
                let names = cards
                    .map(|(_, c)| c.map(|c| c.given_names))
                    .collect::<Vec<_>>();
                let n = names.len();
                Ok::<_, citycard::Error>((names, n))
            })
            .unwrap();
        assert_eq!(names.len(), 2);
        // A batch whose PDF holds no card showed nobody: not recorded.
        t.office
            .print_cards(&clerk, &numbers, |cards| {
                Ok::<_, citycard::Error>((cards.count(), 0))
            })
            .unwrap();
        let batches = entries_with(&t, &auditor, "batch_pdf_made");
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].detail, "count=2");
        assert_eq!(batches[0].actor, "clerk1");
        // The printability check and the numbers of the queue show no data
        // and are not recorded.
        let before = counts(&t);
        let _ = t.office.print_check(&clerk, numbers[0]);
        assert_eq!(t.office.print_queue_numbers(&clerk).unwrap().len(), 2);
        assert_eq!(counts(&t), before);
    });
}

/// Finding 9 (SECURITY.md): after an erasure the sealed record, photo and
/// QR text are gone from the SQLite file *and* its WAL at once, without
/// waiting for a checkpoint (old versions of the pages stayed in the -wal
/// file until the next one).
#[test]
fn erased_blobs_leave_the_sqlite_file_and_its_wal_at_once() {
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    let clerk = t.user("clerk1", Role::Clerk);
    let supervisor = t.user("super1", Role::Supervisor);
    // A photo larger than a page, so it also sits in overflow pages.
    let mut big_photo = photo(PHOTO_MARKER);
    big_photo.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let EnrolOutcome::Issued(card) = t
        .office
        .enrol_and_issue(
            &clerk,
            Enrolment {
                given_names: GIVEN.to_owned(),
                family_name: FAMILY.to_owned(),
                date_of_birth: Some(date::parse(DOB).unwrap().into()),
                photo: Some(big_photo),
                attestation: Attestation::BOTH,
                confirm_duplicate: false,
                pickup_site: None,
            },
        )
        .unwrap()
    else {
        panic!("expected a card");
    };
    let DatabaseUrl::Sqlite { path } = &t.config.database else {
        panic!("sqlite expected");
    };
    let sealed = sealed_blobs(&t);
    assert_eq!(sealed.len(), 3, "record, photo and QR text");
    // Positive control: before the erasure the files hold the blobs.
    let before = sqlite_bytes(path);
    for blob in &sealed {
        assert!(
            contains(&before, &blob[13..45]),
            "the test looks for the right bytes"
        );
    }
    t.office.erase(&supervisor, card.card_number).unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let main = std::fs::read(path).unwrap();
    let wal = std::fs::read(std::path::PathBuf::from(wal)).unwrap_or_default();
    for blob in &sealed {
        // Any 32 bytes of the ciphertext (after version and nonce).
        for chunk in blob[13..].chunks_exact(32) {
            assert!(
                !contains(&main, chunk),
                "an erased blob is in the SQLite file"
            );
            assert!(!contains(&wal, chunk), "an erased blob is in the -wal file");
        }
    }
}

/// Finding 9: the daily maintenance scrubs on both backends (SQLite: a WAL
/// checkpoint; PostgreSQL: `VACUUM residents, cards`).
#[test]
fn maintenance_scrubs_erased_data_on_both_backends() {
    on_both(|t| {
        let maintenance = t.office.maintenance().unwrap();
        assert!(maintenance.scrubbed, "{maintenance:?}");
    });
}
