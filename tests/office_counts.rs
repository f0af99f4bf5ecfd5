//! Issue 12 item 1: the dashboard's counts are SQL `COUNT`s over partial
//! indexes (src/db/counts.rs). They must say exactly what the lists say:
//! the print queue's numbers, and the ids the deletion schedule would
//! erase, at many points of the schedule's clock, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::db::residents::{DueBecause, due_for_erasure};
use citycard::office::actor::Role;
use citycard::office::cards::{
    Attestation, EnrolOutcome, Enrolment, IssuedCard, NewCardRequest, ReplaceReason,
    RevocationReason,
};
use citycard::office::maintenance::{DUE_WITHIN_DAYS, retention_cutoffs};
use citycard_credential::date;
use office_support::*;

/// What the deletion schedule would list for each rule (ids loaded, no cap).
fn listed(o: &citycard::Office) -> (usize, usize) {
    let cfg = o.config();
    let cut = retention_cutoffs(
        &cfg.retention,
        cfg.renewal.days_after,
        o.now() + time::Duration::days(DUE_WITHIN_DAYS),
    );
    o.db()
        .read(|c| {
            Ok((
                due_for_erasure(c, DueBecause::CardsEnded, cut, None, i64::MAX)?.len(),
                due_for_erasure(c, DueBecause::NeverPrinted, cut, None, i64::MAX)?.len(),
            ))
        })
        .unwrap()
}

fn later(t: &TestOffice, days: i64) -> citycard::Office {
    let mut config = t.config.clone();
    config.clock.offset_days = i32::try_from(days).unwrap();
    citycard::Office::open(&config).unwrap()
}

#[test]
fn dashboard_counts_match_the_lists() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        let supervisor = t.user("super1", Role::Supervisor);
        let enrol = |family: &str| -> IssuedCard {
            let outcome = t
                .office
                .enrol_and_issue(
                    &clerk,
                    Enrolment {
                        given_names: "Anna".to_owned(),
                        family_name: family.to_owned(),
                        date_of_birth: Some(date::parse("1980-02-03").unwrap().into()),
                        photo: None,
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
        let revoke = |card: &IssuedCard, reason| {
            t.office
                .revoke(&supervisor, card.card_number, reason)
                .unwrap();
        };
        // Printed and valid; printed and revoked; waiting to be printed
        // (twice); never printed and revoked; erased; ...
        let kept = enrol("Bleibtreu");
        t.office.mark_printed(&clerk, kept.card_number).unwrap();
        let withdrawn = enrol("Widerruf");
        t.office
            .mark_printed(&clerk, withdrawn.card_number)
            .unwrap();
        revoke(&withdrawn, RevocationReason::Withdrawn);
        enrol("Warteschlange");
        enrol("Zweite");
        let in_error = enrol("Irrtum");
        revoke(&in_error, RevocationReason::IssuedInError);
        let erased = enrol("Geloescht");
        t.office.erase(&supervisor, erased.card_number).unwrap();
        // Residents with two cards (the counts check each candidate's
        // other cards): a lost card replaced and the new one printed; a
        // stolen card whose replacement waits to be printed.
        let again = || NewCardRequest {
            attestation: Attestation::BOTH,
            photo: None,
            pickup_site: None,
        };
        let lost = enrol("Verloren");
        t.office.mark_printed(&clerk, lost.card_number).unwrap();
        let found_again = t
            .office
            .replace(&clerk, lost.card_number, ReplaceReason::Lost, again())
            .unwrap();
        t.office
            .mark_printed(&clerk, found_again.card_number)
            .unwrap();
        let stolen = enrol("Gestohlen");
        t.office.mark_printed(&clerk, stolen.card_number).unwrap();
        t.office
            .replace(&clerk, stolen.card_number, ReplaceReason::Stolen, again())
            .unwrap();

        let numbers = t.office.print_queue_numbers(&clerk).unwrap();
        assert_eq!(numbers.len(), 3);
        assert_eq!(t.office.print_queue_count(&clerk).unwrap(), 3);
        assert!(
            t.office
                .print_queue_count(&t.user("aud", Role::Auditor))
                .is_err()
        );

        let expired_days = (kept.expires - date::today_utc()).whole_days();
        let mut seen_due = (0, 0);
        for days in [
            0,
            40,
            61,
            91,
            700,
            2 * 366 + 1,
            expired_days - 10,
            expired_days + 700,
            expired_days + 2 * 366,
        ] {
            let o = later(&t, days);
            let due = o.deletion_due(&supervisor).unwrap();
            let counted = (due.cards_ended, due.never_printed);
            assert_eq!(counted, listed(&o), "{days} days on");
            seen_due.0 += counted.0;
            seen_due.1 += counted.1;
        }
        assert!(seen_due.0 > 0 && seen_due.1 > 0, "{seen_due:?}");
    });
}
