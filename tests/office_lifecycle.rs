//! The card lifecycle through the domain layer, on SQLite and PostgreSQL:
//! enrol and issue (with the duplicate warning), view, search, print,
//! renew, replace, revoke, erase; the published revocation list; roles;
//! bad inputs leaving nothing half-written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::config::{DateOfBirthPolicy, PhotoRetention};
use citycard::office::actor::Role;
use citycard::office::cards::{
    Attestation, CardStatus, EnrolOutcome, Enrolment, IssuedCard, NewCardRequest, PublishStatus,
    ReplaceReason, RevocationReason,
};
use citycard_credential::{CardNumber, ListFormat, Outcome, RevocationList, Verifier, date};
use office_support::*;

fn enrolment(given: &str, family: &str, dob: Option<&str>) -> Enrolment {
    Enrolment {
        given_names: given.to_owned(),
        family_name: family.to_owned(),
        date_of_birth: dob.map(|d| date::parse(d).unwrap().into()),
        photo: Some(photo("photo bytes")),
        attestation: Attestation::BOTH,
        confirm_duplicate: false,
        pickup_site: None,
    }
}

fn issued(outcome: EnrolOutcome) -> IssuedCard {
    match outcome {
        EnrolOutcome::Issued(c) => c,
        EnrolOutcome::PossibleDuplicate(_) => panic!("unexpected duplicate warning"),
    }
}

fn again() -> NewCardRequest {
    NewCardRequest {
        attestation: Attestation::BOTH,
        photo: None,
        pickup_site: None,
    }
}

fn verifier(t: &TestOffice) -> Verifier {
    let mut v = Verifier::new(
        &std::fs::read(t.config.layout().trust_list()).unwrap(),
        &root_key(t),
    )
    .unwrap();
    if let Ok(bytes) = std::fs::read(t.config.layout().revocations()) {
        v.load_revocations(&bytes).unwrap();
    }
    v
}

fn published(t: &TestOffice) -> RevocationList {
    let bytes = std::fs::read(t.config.layout().revocations()).unwrap();
    // The office publishes version 2 (Golomb–Rice, docs/card-format.md §8.2).
    let (_, _, format) = RevocationList::inspect_format(&bytes).unwrap();
    assert_eq!(format, ListFormat::V2);
    RevocationList::verify(&bytes, &t.trust).unwrap()
}

#[test]
fn full_lifecycle() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        let supervisor = t.user("supervisor", Role::Supervisor);
        let auditor = t.user("auditor", Role::Auditor);
        let today = date::today_utc();

        // Enrol and issue.
        let first = issued(
            t.office
                .enrol_and_issue(
                    &clerk,
                    enrolment("Anna Maria", "Muster", Some("1990-02-03")),
                )
                .unwrap(),
        );
        assert_eq!(first.issued, today);
        assert!(first.expires > today);
        let v = verifier(&t).verify(&first.qr_text, today);
        assert_eq!(v.outcome, Outcome::Valid);
        let claims = v.card.unwrap();
        assert_eq!(claims.card_number, first.card_number);
        assert_eq!(claims.given_names, "Anna Maria");
        assert_eq!(claims.issuer, ISSUER);
        assert_eq!(claims.expires, first.expires);
        assert_eq!(v.office.as_deref(), Some(OFFICE));

        // Same name and birth date (other case and spacing): a warning,
        // nothing written but the audit entry of the lookup.
        let before = counts(&t);
        let dup = t
            .office
            .enrol_and_issue(
                &clerk,
                enrolment("anna  maria", "MUSTER", Some("1990-02-03")),
            )
            .unwrap();
        match dup {
            EnrolOutcome::PossibleDuplicate(cards) => {
                assert_eq!(cards.len(), 1);
                assert_eq!(cards[0].card_number, first.card_number);
            }
            EnrolOutcome::Issued(_) => panic!("the duplicate was not noticed"),
        }
        assert_eq!(counts(&t), (before.0, before.1, before.2 + 1));
        // Confirmed: a second resident.
        let mut e = enrolment("Anna Maria", "Muster", Some("1990-02-03"));
        e.confirm_duplicate = true;
        let twin = issued(t.office.enrol_and_issue(&clerk, e).unwrap());
        assert!(twin.duplicate_confirmed);
        assert_ne!(twin.card_number, first.card_number);
        // Another birth date is no duplicate.
        let other = issued(
            t.office
                .enrol_and_issue(
                    &clerk,
                    enrolment("Anna Maria", "Muster", Some("1991-02-03")),
                )
                .unwrap(),
        );

        // Search by number (typed with spaces) and by name and birth date.
        let d = t
            .office
            .find_card(&clerk, &first.card_number.to_string())
            .unwrap();
        assert_eq!(d.summary.status, CardStatus::Active);
        assert_eq!(d.resident.as_ref().unwrap().family_name, "Muster");
        assert_eq!(d.qr_text.as_deref(), Some(first.qr_text.as_str()));
        assert!(d.has_photo);
        assert_eq!(d.attestation.attested_by.as_deref(), Some("clerk"));
        assert!(d.attestation.identity_checked && d.attestation.residence_checked);
        let err = t.office.find_card(&clerk, "0123 4567 8907").unwrap_err();
        assert_eq!(err.code(), "invalid_card_number");
        let hits = t
            .office
            .search_by_name_and_dob(
                &clerk,
                "ANNA MARIA",
                "muster",
                date::parse("1990-02-03").ok().map(Into::into),
            )
            .unwrap();
        let mut numbers: Vec<CardNumber> = hits.iter().map(|h| h.card_number).collect();
        numbers.sort();
        let mut expected = vec![first.card_number, twin.card_number];
        expected.sort();
        assert_eq!(numbers, expected);
        // With a date of birth, given names only narrow the search: one of
        // them is enough, another name finds nothing.
        assert_eq!(
            t.office
                .search_by_name_and_dob(
                    &clerk,
                    "Anna",
                    "Muster",
                    date::parse("1990-02-03").ok().map(Into::into)
                )
                .unwrap()
                .len(),
            2
        );
        assert!(
            t.office
                .search_by_name_and_dob(
                    &clerk,
                    "Berta",
                    "Muster",
                    date::parse("1990-02-03").ok().map(Into::into)
                )
                .unwrap()
                .is_empty()
        );

        // Print queue, printing, photo deletion after printing.
        let queue = t.office.print_queue(&clerk).unwrap();
        assert_eq!(queue.len(), 3);
        assert!(
            queue
                .iter()
                .any(|q| q.summary.card_number == first.card_number && q.family_name == "Muster")
        );
        let p = t
            .office
            .print_card(&clerk, first.card_number, Ok::<_, citycard::Error>)
            .unwrap();
        assert_eq!(p.qr_text, first.qr_text);
        assert!(p.photo.is_some());
        t.office.mark_printed(&clerk, first.card_number).unwrap();
        assert_eq!(t.office.print_queue(&clerk).unwrap().len(), 2);
        assert!(t.office.photo(&clerk, first.card_number).unwrap().is_none());
        assert_eq!(
            t.office
                .print_card(&clerk, first.card_number, Ok::<_, citycard::Error>)
                .unwrap_err()
                .code(),
            "invalid_state"
        );
        assert_eq!(
            t.office
                .mark_printed(&clerk, first.card_number)
                .unwrap_err()
                .code(),
            "invalid_state"
        );
        assert_eq!(
            t.office
                .reprint(&clerk, first.card_number, Ok::<_, citycard::Error>)
                .unwrap_err()
                .code(),
            "forbidden"
        );
        // A reprint whose PDF could not be made is not audited: only what
        // happened is.
        let reprints = |t: &office_support::TestOffice| {
            t.office
                .audit_entries(
                    &auditor,
                    citycard::office::audit::AuditQuery {
                        limit: Some(500),
                        ..Default::default()
                    },
                )
                .unwrap()
                .iter()
                .filter(|e| e.action == "card_reprinted")
                .count()
        };
        let failed: Result<(), citycard::Error> =
            t.office.reprint(&supervisor, first.card_number, |_| {
                Err(citycard::Error::Template("the printer refused".into()))
            });
        assert!(failed.is_err());
        assert_eq!(reprints(&t), 0);
        let reprint = t
            .office
            .reprint(&supervisor, first.card_number, Ok::<_, citycard::Error>)
            .unwrap();
        assert!(reprint.photo.is_none());
        assert_eq!(reprints(&t), 1);

        // Renew: a new card, the old one revoked as renewed and published.
        let renewed = t.office.renew(&clerk, first.card_number, again()).unwrap();
        assert_eq!(renewed.previous_card, Some(first.card_number));
        assert!(matches!(
            renewed.revocation_list,
            Some(PublishStatus::Published { revoked: 1 })
        ));
        let old = t.office.get_card(&clerk, first.card_number).unwrap();
        assert_eq!(
            old.summary.status,
            CardStatus::Revoked(RevocationReason::Renewed)
        );
        assert!(published(&t).contains(first.card_number));
        assert_eq!(
            verifier(&t).verify(&first.qr_text, today).outcome,
            Outcome::Revoked
        );
        assert_eq!(
            verifier(&t).verify(&renewed.qr_text, today).outcome,
            Outcome::Valid
        );
        // The old card cannot be renewed twice.
        assert_eq!(
            t.office
                .renew(&clerk, first.card_number, again())
                .unwrap_err()
                .code(),
            "invalid_state"
        );

        // Replace (lost), with a new photo.
        let replaced = t
            .office
            .replace(
                &clerk,
                renewed.card_number,
                ReplaceReason::Lost,
                NewCardRequest {
                    attestation: Attestation::BOTH,
                    photo: Some(photo("new photo")),
                    pickup_site: None,
                },
            )
            .unwrap();
        let d = t.office.get_card(&clerk, renewed.card_number).unwrap();
        assert_eq!(
            d.summary.status,
            CardStatus::Revoked(RevocationReason::Lost)
        );
        let d = t.office.get_card(&clerk, replaced.card_number).unwrap();
        assert_eq!(d.resident_cards.len(), 3);
        assert!(d.has_photo);
        assert_eq!(d.resident.as_ref().unwrap().given_names, "Anna Maria");

        // Revoke (supervisor only), then a replacement of the lost card is
        // still possible; a withdrawn card is not replaceable by a clerk.
        assert_eq!(
            t.office
                .revoke(&clerk, other.card_number, RevocationReason::Stolen)
                .unwrap_err()
                .code(),
            "forbidden"
        );
        let r = t
            .office
            .revoke(&supervisor, other.card_number, RevocationReason::Stolen)
            .unwrap();
        assert_eq!(r.revocation_list, PublishStatus::Published { revoked: 3 });
        assert_eq!(
            t.office
                .revoke(&supervisor, other.card_number, RevocationReason::Lost)
                .unwrap_err()
                .code(),
            "invalid_state"
        );
        assert_eq!(
            t.office
                .revoke(&supervisor, twin.card_number, RevocationReason::Renewed)
                .unwrap_err()
                .code(),
            "invalid_input"
        );
        let other2 = t
            .office
            .replace(&clerk, other.card_number, ReplaceReason::Stolen, again())
            .unwrap();
        t.office
            .revoke(&supervisor, twin.card_number, RevocationReason::Withdrawn)
            .unwrap();
        assert_eq!(
            t.office
                .replace(&clerk, twin.card_number, ReplaceReason::Lost, again())
                .unwrap_err()
                .code(),
            "invalid_state"
        );
        assert!(published(&t).contains(twin.card_number));

        // Erase: every card of the resident revoked, personal data gone.
        let erased = t.office.erase(&supervisor, replaced.card_number).unwrap();
        assert_eq!(erased.cards.len(), 3);
        let d = t.office.get_card(&clerk, first.card_number).unwrap();
        assert!(d.resident.is_none() && d.qr_text.is_none() && !d.has_photo);
        assert!(d.summary.erased);
        let d = t.office.get_card(&clerk, replaced.card_number).unwrap();
        assert_eq!(
            d.summary.status,
            CardStatus::Revoked(RevocationReason::Erased)
        );
        assert!(published(&t).contains(replaced.card_number));
        assert_eq!(
            t.office
                .erase(&supervisor, replaced.card_number)
                .unwrap_err()
                .code(),
            "invalid_state"
        );
        assert_eq!(
            t.office
                .renew(&clerk, replaced.card_number, again())
                .unwrap_err()
                .code(),
            "invalid_state"
        );
        assert_eq!(
            t.office
                .print_card(&clerk, replaced.card_number, Ok::<_, citycard::Error>)
                .unwrap_err()
                .code(),
            "invalid_state"
        );
        // The erased resident is no longer found by name; the twin still is.
        let hits = t
            .office
            .search_by_name_and_dob(
                &clerk,
                "Anna Maria",
                "Muster",
                date::parse("1990-02-03").ok().map(Into::into),
            )
            .unwrap();
        assert_eq!(
            hits.iter().map(|h| h.card_number).collect::<Vec<_>>(),
            vec![twin.card_number]
        );
        // The other resident's new card is untouched.
        assert_eq!(
            verifier(&t).verify(&other2.qr_text, today).outcome,
            Outcome::Valid
        );

        // The audit log: intact, non-personal, complete.
        let report = t.office.verify_audit(&auditor).unwrap();
        assert!(report.first_broken.is_none(), "{report}");
        let entries = t
            .office
            .audit_entries(
                &auditor,
                citycard::office::audit::AuditQuery {
                    limit: Some(500),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(report.entries, entries.len() as u64);
        for e in &entries {
            // The actor as an auditor reads it is `user@site:ID`, where ID
            // is the site's random 63-bit id: its digits may hold "1990"
            // by chance (about once in 600 offices), so only the user
            // name is looked at.
            let who = e.actor.split("@site:").next().unwrap_or(&e.actor);
            for word in ["Anna", "Muster", "1990"] {
                assert!(
                    !e.detail.contains(word) && !who.contains(word),
                    "{} {}: {word}",
                    e.action,
                    e.detail
                );
            }
        }
        let actions: Vec<&str> = entries.iter().rev().map(|e| e.action.as_str()).collect();
        for needed in [
            "user_created",
            "card_issued",
            "card_viewed",
            "searched_by_name",
            "duplicates_shown",
            "print_queue_viewed",
            "card_pdf_made",
            "card_printed",
            "card_reprinted",
            "card_renewed",
            "card_replaced",
            "card_revoked",
            "resident_erased",
        ] {
            assert!(
                actions.contains(&needed),
                "{needed} missing from {actions:?}"
            );
        }
        let erase_entry = entries
            .iter()
            .find(|e| e.action == "resident_erased")
            .unwrap();
        assert_eq!(erase_entry.actor, "supervisor");
        assert_eq!(erase_entry.office, OFFICE);
        assert_eq!(
            erase_entry.card_number,
            Some(replaced.card_number.as_u64() as i64)
        );
        let mut csv = Vec::new();
        let n = t.office.export_audit_csv(&auditor, &mut csv).unwrap();
        assert_eq!(n, report.entries);
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.starts_with(citycard::office::audit::CSV_HEADER));
        assert_eq!(csv.lines().count() as u64, n + 1);
    });
}

#[test]
fn roles_are_enforced_in_the_domain() {
    on_both(|t| {
        let admin = t.user("admin2", Role::Admin);
        let clerk = t.user("clerk", Role::Clerk);
        let supervisor = t.user("supervisor", Role::Supervisor);
        let auditor = t.user("auditor", Role::Auditor);
        let card = issued(
            t.office
                .enrol_and_issue(&clerk, enrolment("Jo", "Roe", Some("1980-01-01")))
                .unwrap(),
        );
        let before = counts(&t);
        let n = card.card_number;
        for actor in [&admin, &auditor] {
            let forbidden = [
                t.office
                    .enrol_and_issue(actor, enrolment("A", "B", None))
                    .map(|_| ()),
                t.office.get_card(actor, n).map(|_| ()),
                t.office.renew(actor, n, again()).map(|_| ()),
                t.office
                    .search_by_name_and_dob(actor, "Jo", "Roe", None)
                    .map(|_| ()),
                t.office.print_queue(actor).map(|_| ()),
                t.office.mark_printed(actor, n),
                t.office
                    .revoke(actor, n, RevocationReason::Lost)
                    .map(|_| ()),
                t.office.erase(actor, n).map(|_| ()),
            ];
            for (i, r) in forbidden.into_iter().enumerate() {
                assert_eq!(r.unwrap_err().code(), "forbidden", "{:?} #{i}", actor.role);
            }
        }
        for actor in [&clerk, &supervisor, &admin] {
            assert_eq!(
                t.office
                    .audit_entries(actor, Default::default())
                    .unwrap_err()
                    .code(),
                "forbidden"
            );
            let mut sink = Vec::new();
            assert_eq!(
                t.office
                    .export_audit_csv(actor, &mut sink)
                    .unwrap_err()
                    .code(),
                "forbidden"
            );
        }
        for actor in [&clerk, &supervisor, &auditor] {
            assert_eq!(
                t.office
                    .create_user(actor, "x", Role::Admin, &secret(PASSWORD), false)
                    .unwrap_err()
                    .code(),
                "forbidden"
            );
            assert_eq!(t.office.list_users(actor).unwrap_err().code(), "forbidden");
            assert_eq!(
                t.office
                    .set_user_disabled(actor, "clerk", true)
                    .unwrap_err()
                    .code(),
                "forbidden"
            );
        }
        assert_eq!(
            t.office
                .revoke(&clerk, n, RevocationReason::Lost)
                .unwrap_err()
                .code(),
            "forbidden"
        );
        assert_eq!(t.office.erase(&clerk, n).unwrap_err().code(), "forbidden");
        assert_eq!(counts(&t), before, "refused operations wrote nothing");
        // A user with a one-time password may do nothing else.
        let mut pending = clerk.clone();
        pending.must_change_password = true;
        assert_eq!(
            t.office.get_card(&pending, n).unwrap_err().code(),
            "password_change_required"
        );
    });
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        let before = counts(&t);
        let tomorrow = date::today_utc().next_day().unwrap();
        let cases: Vec<(Enrolment, &str, &str)> = vec![
            (
                Enrolment {
                    attestation: Attestation {
                        identity_checked: true,
                        residence_checked: false,
                        caretaker_present: false,
                    },
                    ..enrolment("A", "B", None)
                },
                "attestation_required",
                "residence",
            ),
            (
                Enrolment {
                    attestation: Attestation::default(),
                    ..enrolment("A", "B", None)
                },
                "attestation_required",
                "identity",
            ),
            (enrolment("A", "", None), "invalid_input", "family_name"),
            (enrolment("A", "   ", None), "invalid_input", "family_name"),
            (
                enrolment(&"x".repeat(500), "B", None),
                "invalid_input",
                "given_names",
            ),
            (
                enrolment("A", &"ü".repeat(65), None),
                "invalid_input",
                "family_name",
            ),
            (
                enrolment("A\u{0}", "B", None),
                "invalid_input",
                "given_names",
            ),
            (enrolment("A", "B\u{202E}", None), "invalid_input", "U+202E"),
            (enrolment("A", "B\nC", None), "invalid_input", "family_name"),
            (
                Enrolment {
                    date_of_birth: Some(tomorrow.into()),
                    ..enrolment("A", "B", None)
                },
                "invalid_input",
                "future",
            ),
            (
                Enrolment {
                    date_of_birth: Some(time::macros::date!(1899 - 12 - 31).into()),
                    ..enrolment("A", "B", None)
                },
                "invalid_input",
                "date_of_birth",
            ),
            (
                Enrolment {
                    photo: Some(b"GIF89a not a jpeg".to_vec()),
                    ..enrolment("A", "B", None)
                },
                "invalid_input",
                "photo",
            ),
            (
                Enrolment {
                    photo: Some(photo(&"x".repeat(5 * 1024 * 1024))),
                    ..enrolment("A", "B", None)
                },
                "invalid_input",
                "5 MB",
            ),
        ];
        for (e, code, mentions) in cases {
            let err = t.office.enrol_and_issue(&clerk, e).unwrap_err();
            assert_eq!(err.code(), code, "{err}");
            let msg = err.to_string();
            assert!(msg.contains(mentions), "{msg} should mention {mentions}");
            assert!(
                !msg.contains("xxxx") && !msg.contains("üü"),
                "{msg} echoes the input"
            );
        }
        assert_eq!(counts(&t), before);
        // Unknown and malformed card numbers.
        let unknown = CardNumber::random(&mut rand_core::OsRng);
        assert_eq!(
            t.office.get_card(&clerk, unknown).unwrap_err().code(),
            "not_found"
        );
        for typed in [
            "",
            "12345",
            "0123 4567 8907",
            "0123-4567-89O6",
            "1234567890123",
        ] {
            assert_eq!(
                t.office.find_card(&clerk, typed).unwrap_err().code(),
                "invalid_card_number",
                "{typed}"
            );
        }
        assert_eq!(
            t.office.renew(&clerk, unknown, again()).unwrap_err().code(),
            "not_found"
        );
        assert_eq!(counts(&t), before);
    });
}

#[test]
fn date_of_birth_policy_and_photo_retention() {
    // Required: no card without a birth date.
    let t = office_with(Backend::Sqlite, |c| {
        c.date_of_birth = DateOfBirthPolicy::Required;
        c.photo_retention = PhotoRetention::Days(30);
    })
    .unwrap();
    let clerk = t.user("clerk", Role::Clerk);
    let err = t
        .office
        .enrol_and_issue(&clerk, enrolment("A", "B", None))
        .unwrap_err();
    assert!(
        err.to_string().contains("date_of_birth: is required"),
        "{err}"
    );
    let card = issued(
        t.office
            .enrol_and_issue(&clerk, enrolment("A", "B", Some("2000-01-01")))
            .unwrap(),
    );
    // Retention of 30 days: the photo survives printing…
    t.office.mark_printed(&clerk, card.card_number).unwrap();
    assert!(t.office.photo(&clerk, card.card_number).unwrap().is_some());
    assert_eq!(t.office.purge_photos().unwrap(), 0);
    // …until its time has come.
    t.sql("UPDATE residents SET photo_delete_after = '2000-01-01 00:00:00'");
    assert_eq!(t.office.purge_photos().unwrap(), 1);
    assert!(t.office.photo(&clerk, card.card_number).unwrap().is_none());

    // None: no birth date is taken, and none is on the card.
    let t = office_with(Backend::Sqlite, |c| {
        c.date_of_birth = DateOfBirthPolicy::None
    })
    .unwrap();
    let clerk = t.user("clerk", Role::Clerk);
    let err = t
        .office
        .enrol_and_issue(&clerk, enrolment("A", "B", Some("2000-01-01")))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let card = issued(
        t.office
            .enrol_and_issue(&clerk, enrolment("A", "B", None))
            .unwrap(),
    );
    let v = verifier(&t).verify(&card.qr_text, date::today_utc());
    assert_eq!(v.card.unwrap().date_of_birth, None);
}

#[test]
fn maintenance_resigns_the_revocation_list() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        let supervisor = t.user("supervisor", Role::Supervisor);
        let card = issued(
            t.office
                .enrol_and_issue(&clerk, enrolment("A", "B", None))
                .unwrap(),
        );
        t.office
            .revoke(&supervisor, card.card_number, RevocationReason::Damaged)
            .unwrap();
        std::fs::remove_file(t.config.layout().revocations()).unwrap();
        let m = t.office.maintenance().unwrap();
        assert_eq!(m.revocations.revoked, 1);
        let list = published(&t);
        assert!(list.contains(card.card_number));
        assert_eq!(list.issuer, ISSUER);
        let text = std::fs::read_to_string(t.config.layout().revoked_numbers()).unwrap();
        assert!(text.contains(&card.card_number.digits()));
        let status = t.office.key_status().unwrap();
        assert_eq!(status.issuer, ISSUER);
        assert_eq!(status.office, OFFICE);
    });
}

#[test]
fn concurrent_issuing_keeps_the_audit_chain_linear() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        std::thread::scope(|s| {
            for i in 0..4 {
                let office = t.office.clone();
                let clerk = clerk.clone();
                s.spawn(move || {
                    for j in 0..5 {
                        let e = enrolment(&format!("P{i}"), &format!("Q{j}"), None);
                        issued(office.enrol_and_issue(&clerk, e).unwrap());
                    }
                });
            }
        });
        let report = citycard::office::audit::verify(t.office.db()).unwrap();
        assert!(report.first_broken.is_none(), "{report}");
        let (residents, cards, _) = counts(&t);
        assert_eq!((residents, cards), (20, 20));
    });
}

/// A second server instance on the same database: its own data directory,
/// the same keys.
fn second_instance(t: &TestOffice) -> (citycard::office::Office, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = t.config.clone();
    config.data_dir = dir.path().to_owned();
    std::fs::copy(t.config.layout().trust_list(), config.layout().trust_list()).unwrap();
    (citycard::office::Office::open(&config).unwrap(), dir)
}

#[test]
fn instances_on_one_database_publish_one_revocation_list() {
    on_both(|t| {
        let (other, other_dir) = second_instance(&t);
        let clerk = t.user("clerk", Role::Clerk);
        let supervisor = t.user("supervisor", Role::Supervisor);
        let card = issued(
            t.office
                .enrol_and_issue(&clerk, enrolment("A", "B", None))
                .unwrap(),
        );
        t.office
            .revoke(&supervisor, card.card_number, RevocationReason::Lost)
            .unwrap();
        // The other instance never signed anything: it serves the stored list.
        let bytes = other.published_revocations().unwrap().unwrap();
        let list = RevocationList::verify(&bytes, &t.trust).unwrap();
        assert!(list.contains(card.card_number));
        assert_eq!(
            bytes,
            std::fs::read(t.config.layout().revocations()).unwrap()
        );
        // Its maintenance keeps the current list (no new signature) and
        // writes it into its own data directory.
        let m = other.maintenance().unwrap();
        assert!(!m.revocations.signed);
        assert_eq!(m.revocations.revoked, 1);
        assert_eq!(
            std::fs::read(other_dir.path().join("revocations.cose")).unwrap(),
            bytes
        );
        // A list whose content is out of date is re-signed by maintenance.
        t.sql("UPDATE published_lists SET content_hash = bytes");
        let m = t.office.maintenance().unwrap();
        assert!(m.revocations.signed);
        assert_eq!(m.revocations.revoked, 1);
        // So is one older than 20 hours.
        t.sql("UPDATE published_lists SET issued_at = '2000-01-01 00:00:00'");
        assert!(other.maintenance().unwrap().revocations.signed);
        assert!(!t.office.maintenance().unwrap().revocations.signed);
        drop(other);
    });
}

fn born(given: &str, family: &str, dob: &str) -> Enrolment {
    Enrolment {
        date_of_birth: Some(citycard_credential::BirthDate::parse_iso(dob).unwrap()),
        ..enrolment(given, family, None)
    }
}

/// Issue 13 #1: a year-only and a month-and-year date of birth are stored
/// sealed, signed on the card as what they are (never a made-up day), found
/// by the search, and the duplicate check treats a partial date as possibly
/// the same birthday as any day inside it (docs/office.md).
#[test]
fn partial_dates_of_birth() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        let today = date::today_utc();
        let year = issued(
            t.office
                .enrol_and_issue(&clerk, born("Amina", "Yusuf", "1987"))
                .unwrap(),
        );
        let v = verifier(&t).verify(&year.qr_text, today);
        assert_eq!(v.outcome, Outcome::Valid);
        let card = v.card.unwrap();
        assert_eq!(
            card.date_of_birth,
            citycard_credential::BirthDate::year(1987)
        );
        assert_eq!(card.date_of_birth.map(|d| d.iso()).as_deref(), Some("1987"));
        // The card page's data: the sealed record holds the year only.
        let d = t.office.get_card(&clerk, year.card_number).unwrap();
        assert_eq!(
            d.resident.unwrap().date_of_birth,
            citycard_credential::BirthDate::year(1987)
        );
        // The search finds it with the same partial date, not with a day.
        let found = t
            .office
            .search_by_name_and_dob(
                &clerk,
                "",
                "yusuf",
                citycard_credential::BirthDate::year(1987),
            )
            .unwrap();
        assert_eq!(found.len(), 1);

        // Possible duplicates: a day in 1987, March 1987, 1987 itself.
        for dob in ["1987-03-14", "1987-03", "1987"] {
            match t
                .office
                .enrol_and_issue(&clerk, born("Amina", "Yusuf", dob))
                .unwrap()
            {
                EnrolOutcome::PossibleDuplicate(cards) => {
                    assert_eq!(cards.len(), 1, "{dob}");
                    assert_eq!(cards[0].card_number, year.card_number, "{dob}");
                }
                EnrolOutcome::Issued(_) => panic!("{dob}: no duplicate warning"),
            }
        }
        // Not duplicates: another year, another name.
        issued(
            t.office
                .enrol_and_issue(&clerk, born("Amina", "Yusuf", "1988-01"))
                .unwrap(),
        );
        // A month and year: found again by a day in that month, not by a day
        // in another month of the same year.
        let march = issued(
            t.office
                .enrol_and_issue(&clerk, born("Dawit", "Tesfaye", "1990-03"))
                .unwrap(),
        );
        let v = verifier(&t).verify(&march.qr_text, today);
        assert_eq!(
            v.card.unwrap().date_of_birth,
            citycard_credential::BirthDate::month(1990, 3)
        );
        assert!(matches!(
            t.office
                .enrol_and_issue(&clerk, born("Dawit", "Tesfaye", "1990-03-31"))
                .unwrap(),
            EnrolOutcome::PossibleDuplicate(_)
        ));
        issued(
            t.office
                .enrol_and_issue(&clerk, born("Dawit", "Tesfaye", "1990-04-01"))
                .unwrap(),
        );
        // A partial date wholly in the future is refused; this year is not.
        let next_year = citycard_credential::BirthDate::year(today.year() + 1);
        let err = t
            .office
            .enrol_and_issue(
                &clerk,
                Enrolment {
                    date_of_birth: next_year,
                    ..enrolment("Noor", "Haddad", None)
                },
            )
            .unwrap_err();
        assert!(err.to_string().contains("date_of_birth"), "{err}");
        // This year is not in the future: it is refused only because a
        // baby is below the minimum age (issue 13, `minors.minimum_age`).
        let err = t
            .office
            .enrol_and_issue(
                &clerk,
                Enrolment {
                    date_of_birth: citycard_credential::BirthDate::year(today.year()),
                    ..enrolment("Noor", "Haddad", None)
                },
            )
            .unwrap_err();
        assert_eq!(err.rule(), Some(citycard::error::Rule::TooYoung), "{err}");
    });
}

/// Issue 12, item 2: revoking R cards in a burst must not sign R lists. The
/// first revocation signs at once; the rest are signed together once
/// `revocation_publish_seconds` is up (outside the write lock).
#[test]
fn revocations_in_a_burst_are_signed_together() {
    on_both_with(
        |c| c.revocation_publish_interval = std::time::Duration::from_secs(5),
        |t| {
            let clerk = t.user("clerk", Role::Clerk);
            let supervisor = t.user("supervisor", Role::Supervisor);
            let cards: Vec<CardNumber> = (0..6)
                .map(|i| {
                    issued(
                        t.office
                            .enrol_and_issue(
                                &clerk,
                                enrolment("Burst", &format!("Card{}", "x".repeat(i + 1)), None),
                            )
                            .unwrap(),
                    )
                    .card_number
                })
                .collect();
            let before = t.office.revocation_lists_signed();
            let first = t
                .office
                .revoke(&supervisor, cards[0], RevocationReason::Lost)
                .unwrap();
            assert!(
                matches!(
                    first.revocation_list,
                    PublishStatus::Published { revoked: 1 }
                ),
                "{:?}",
                first.revocation_list
            );
            for n in &cards[1..] {
                let r = t
                    .office
                    .revoke(&supervisor, *n, RevocationReason::Lost)
                    .unwrap();
                assert!(
                    matches!(r.revocation_list, PublishStatus::Scheduled { within } if within <= std::time::Duration::from_secs(5)),
                    "{:?}",
                    r.revocation_list
                );
            }
            // Five revocations, no list signed for them yet.
            assert_eq!(t.office.revocation_lists_signed() - before, 1);
            assert!(t.office.revocation_list_pending());
            assert!(!published(&t).contains(cards[5]));
            // One list takes all five, once the interval is up.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while t.office.revocation_list_pending()
                || t.office.revocation_lists_signed() - before < 2
            {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the scheduled list was not signed"
                );
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let list = published(&t);
            assert!(cards.iter().all(|n| list.contains(*n)));
            assert_eq!(t.office.revocation_lists_signed() - before, 2);
        },
    );
}

/// Lists are built outside the write lock, so two instances may build at
/// once: the one whose numbers were read later stands.
#[test]
fn a_list_read_earlier_does_not_replace_one_read_later() {
    on_both(|t| {
        let (other, _other_dir) = second_instance(&t);
        let clerk = t.user("clerk", Role::Clerk);
        let supervisor = t.user("supervisor", Role::Supervisor);
        let card = issued(
            t.office
                .enrol_and_issue(&clerk, enrolment("A", "B", None))
                .unwrap(),
        );
        t.office
            .revoke(&supervisor, card.card_number, RevocationReason::Lost)
            .unwrap();
        let stored = std::fs::read(t.config.layout().revocations()).unwrap();
        // As if another instance had stored a list read after this one's read.
        t.sql("UPDATE published_lists SET issued_at = '2100-01-01 00:00:00'");
        let p = other.publish_revocations().unwrap();
        assert!(!p.signed, "the newer stored list stands");
        assert_eq!(other.published_revocations().unwrap().unwrap(), stored);
        drop(other);
    });
}
