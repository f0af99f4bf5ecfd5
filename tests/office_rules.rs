//! Issue 13, items 2 and 3, through the domain on SQLite and PostgreSQL:
//! validity by age band with a caretaker for minors, the minimum age, and
//! the renewal window (refused outside it, offered on the card page inside
//! it, never on a card the office withdrew). Time moves by the office's
//! test clock (`Config::clock`), never by sleeping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::Office;
use citycard::config::Config;
use citycard::error::{Error, Rule};
use citycard::office::actor::Role;
use citycard::office::cards::{
    Attestation, EnrolOutcome, Enrolment, IssuedCard, NewCardRequest, ReplaceReason,
    RevocationReason,
};
use citycard_credential::{BirthDate, Date, date};
use office_support::*;

fn today() -> Date {
    date::today_utc()
}

/// The same day `years` ago (29 February → 28 February).
fn years_ago(years: i32) -> Date {
    let t = today();
    t.replace_year(t.year() - years)
        .or_else(|_| {
            t.replace_day(28)
                .and_then(|d| d.replace_year(d.year() - years))
        })
        .unwrap()
}

fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

fn enrolment(dob: Date, attestation: Attestation) -> Enrolment {
    Enrolment {
        given_names: "Mira".to_owned(),
        family_name: "Beispiel".to_owned(),
        date_of_birth: Some(BirthDate::Day(dob)),
        photo: Some(photo("photo bytes")),
        attestation,
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

fn again(attestation: Attestation) -> NewCardRequest {
    NewCardRequest {
        attestation,
        photo: None,
        pickup_site: None,
    }
}

/// The same office (database, keys) with its clock moved `days` ahead.
fn later(t: &TestOffice, days: i64) -> Office {
    let mut config: Config = t.config.clone();
    config.clock.offset_days = i32::try_from(days).unwrap();
    Office::open(&config).unwrap()
}

/// The last valid day of a card issued today for `years`.
fn valid_until(years: i32) -> Date {
    let t = today();
    t.replace_year(t.year() + years)
        .or_else(|_| {
            t.replace_day(28)
                .and_then(|d| d.replace_year(d.year() + years))
        })
        .unwrap()
        .previous_day()
        .unwrap()
}

#[test]
fn a_twelve_year_old_gets_two_years_with_a_caretaker_attested() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        let dob = years_ago(12);
        let e = t
            .office
            .enrol_and_issue(&clerk, enrolment(dob, Attestation::BOTH))
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::AttestationMissing(citycard::error::Attested::Caretaker)
            ),
            "{e:?}"
        );
        assert_eq!(e.code(), "attestation_required");
        assert!(!e.to_string().contains("Mira"), "{e}");
        let (residents, cards, _) = citycard::office::count_rows(t.office.db()).unwrap();
        assert_eq!((residents, cards), (0, 0), "nothing half-written");

        let card = issued(
            t.office
                .enrol_and_issue(&clerk, enrolment(dob, Attestation::WITH_CARETAKER))
                .unwrap(),
        );
        assert_eq!(card.expires, valid_until(2));
        let d = t.office.get_card(&clerk, card.card_number).unwrap();
        assert!(d.attestation.caretaker_present);
        assert_eq!(d.summary.expires, valid_until(2));
    });
}

#[test]
fn a_year_only_birth_date_counts_the_youngest_possible_age() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        // Born in the year 14 years ago: maybe on its 31 December, so
        // still 13 (unless today is 31 December): a minor's card.
        let year = today().year() - 14;
        let minor =
            today() < Date::from_calendar_date(today().year(), time::Month::December, 31).unwrap();
        let e = Enrolment {
            date_of_birth: Some(BirthDate::Year(year)),
            ..enrolment(today(), Attestation::WITH_CARETAKER)
        };
        let card = issued(t.office.enrol_and_issue(&clerk, e).unwrap());
        assert_eq!(card.expires, valid_until(if minor { 2 } else { 5 }));
        // Without the caretaker: refused, as for a 13-year-old.
        if minor {
            let e = Enrolment {
                family_name: "Jahr".to_owned(),
                date_of_birth: Some(BirthDate::Year(year)),
                ..enrolment(today(), Attestation::BOTH)
            };
            assert_eq!(
                t.office.enrol_and_issue(&clerk, e).unwrap_err().code(),
                "attestation_required"
            );
        }
    });
}

#[test]
fn an_adult_gets_five_years_and_no_caretaker_is_recorded() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        // 14 today: no longer a minor (the band's limit is "under 14").
        let card = issued(
            t.office
                .enrol_and_issue(
                    &clerk,
                    enrolment(years_ago(14), Attestation::WITH_CARETAKER),
                )
                .unwrap(),
        );
        assert_eq!(card.expires, valid_until(5));
        let d = t.office.get_card(&clerk, card.card_number).unwrap();
        assert!(
            !d.attestation.caretaker_present,
            "a caretaker is recorded only where one is needed"
        );
    });
}

#[test]
fn below_the_minimum_age_enrolment_is_refused_with_a_field_error() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        // Ten tomorrow: one day short of the minimum age.
        let tomorrow = today() + days(1);
        let young = tomorrow
            .replace_year(tomorrow.year() - 10)
            .unwrap_or(tomorrow - days(3653));
        let e = t
            .office
            .enrol_and_issue(&clerk, enrolment(young, Attestation::WITH_CARETAKER))
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Invalid {
                    field: "date_of_birth",
                    rule: Rule::TooYoung,
                    ..
                }
            ),
            "{e:?} (born {young}, today {})",
            today()
        );
        let card = issued(
            t.office
                .enrol_and_issue(
                    &clerk,
                    enrolment(years_ago(10), Attestation::WITH_CARETAKER),
                )
                .unwrap(),
        );
        assert_eq!(card.expires, valid_until(2));
    });
}

#[test]
fn renewal_is_refused_outside_the_window_and_allowed_inside_it() {
    // Cards valid for 1 year, so that the moved clock stays inside the test
    // key's signing window (730 days).
    on_both_with(
        |c| {
            default_renewal_window(c);
            c.card_validity_years = 1;
        },
        |t| {
            let clerk = t.user("clerk1", Role::Clerk);
            let card = issued(
                t.office
                    .enrol_and_issue(&clerk, enrolment(years_ago(30), Attestation::BOTH))
                    .unwrap(),
            );
            let expires = card.expires;
            // Today: far too early.
            let e = t
                .office
                .renew(&clerk, card.card_number, again(Attestation::BOTH))
                .unwrap_err();
            assert_eq!(e.code(), "outside_renewal_window");
            let Error::OutsideRenewalWindow {
                opens,
                closes,
                too_early,
            } = e
            else {
                panic!("{e:?}");
            };
            assert!(too_early);
            assert_eq!(opens, expires - days(60));
            assert_eq!(closes, expires + days(180));
            // The page does not offer it, replacement stays possible.
            let actions = t
                .office
                .get_card(&clerk, card.card_number)
                .unwrap()
                .actions(Role::Clerk);
            assert!(!actions.renew && !actions.renewal_due && actions.replace);

            // 61 days before expiry: one day too early still.
            let to = |d: Date| (d - today()).whole_days();
            let early = later(&t, to(expires - days(61)));
            assert!(
                early
                    .renew(&clerk, card.card_number, again(Attestation::BOTH))
                    .is_err()
            );
            // 60 days before: open, and the card page says so.
            let open = later(&t, to(expires - days(60)));
            let actions = open
                .get_card(&clerk, card.card_number)
                .unwrap()
                .actions(Role::Clerk);
            assert!(actions.renew && actions.renewal_due);
            let renewed = open
                .renew(&clerk, card.card_number, again(Attestation::BOTH))
                .unwrap();
            assert_eq!(renewed.previous_card, Some(card.card_number));

            // Another resident, 181 days after expiry: closed for good.
            let other = issued(
                t.office
                    .enrol_and_issue(
                        &clerk,
                        Enrolment {
                            family_name: "Anders".to_owned(),
                            ..enrolment(years_ago(40), Attestation::BOTH)
                        },
                    )
                    .unwrap(),
            );
            let late = later(&t, to(other.expires + days(181)));
            let e = late
                .renew(&clerk, other.card_number, again(Attestation::BOTH))
                .unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::OutsideRenewalWindow {
                        too_early: false,
                        ..
                    }
                ),
                "{e:?}"
            );
            assert!(e.to_string().contains("new enrolment"), "{e}");
            // 180 days after: the last day.
            let last = later(&t, to(other.expires + days(180)));
            last.renew(&clerk, other.card_number, again(Attestation::BOTH))
                .unwrap();
        },
    );
}

#[test]
fn renewal_uses_the_age_band_of_the_day_of_renewal() {
    on_both_with(
        |c| {
            default_renewal_window(c);
            c.card_validity_years = 3;
            c.ages.minor_validity_years = 1;
        },
        |t| {
            let clerk = t.user("clerk1", Role::Clerk);
            // 13 and a half: a minor's card for one year.
            let dob = years_ago(14) + days(183);
            let card = issued(
                t.office
                    .enrol_and_issue(&clerk, enrolment(dob, Attestation::WITH_CARETAKER))
                    .unwrap(),
            );
            assert_eq!(card.expires, valid_until(1));
            // Renewed 30 days before expiry: 14 by then, an adult's 3 years,
            // and no caretaker needed.
            let at = (card.expires - days(30) - today()).whole_days();
            let office = later(&t, at);
            let renewed = office
                .renew(&clerk, card.card_number, again(Attestation::BOTH))
                .unwrap();
            let then = office.today();
            let three = then
                .replace_year(then.year() + 3)
                .unwrap_or(then)
                .previous_day()
                .unwrap();
            assert_eq!(renewed.expires, three);
        },
    );
}

#[test]
fn a_withdrawn_card_offers_neither_renewal_nor_replacement() {
    on_both(|t| {
        let clerk = t.user("clerk1", Role::Clerk);
        let supervisor = t.user("super1", Role::Supervisor);
        let card = issued(
            t.office
                .enrol_and_issue(&clerk, enrolment(years_ago(30), Attestation::BOTH))
                .unwrap(),
        );
        t.office
            .revoke(&supervisor, card.card_number, RevocationReason::Withdrawn)
            .unwrap();
        let d = t.office.get_card(&supervisor, card.card_number).unwrap();
        for role in [Role::Clerk, Role::Supervisor] {
            let a = d.actions(role);
            assert!(!a.renew && !a.replace && !a.renewal_due, "{role:?}: {a:?}");
        }
        // And the domain agrees.
        assert_eq!(
            t.office
                .replace(
                    &clerk,
                    card.card_number,
                    ReplaceReason::Lost,
                    again(Attestation::BOTH)
                )
                .unwrap_err()
                .code(),
            "invalid_state"
        );
    });
}
