//! Issue 11: many sites on one office — two city counters and a partner
//! organisation — on both backends. A partner's clerk enrols a resident
//! who picks the card up at a counter; the counter prints it and hands it
//! over; another counter sees none of it. And the privacy proof: a full
//! database (SQLite files, `pg_dump`) holds neither the partner's name nor
//! any plaintext link between the partner and the cards it enrolled.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::Error;
use citycard::config::DatabaseUrl;
use citycard::office::actor::{Actor, Role};
use citycard::office::cards::{
    Attestation, EnrolOutcome, Enrolment, IssuedCard, PICKUP_LIST_LIMIT, PickupEntry, PickupQuery,
    PickupStep,
};
use citycard::office::sites::SiteKind;
use citycard_credential::CardNumber;
use office_support::*;

const PARTNER: &str = "Anlaufstelle Zyxwvu für Sans-Papiers";
const MITTE: &str = "Bürgerbüro Mitte";
const NORD: &str = "Bürgerbüro Nord";

struct Sites {
    partner: i64,
    mitte: i64,
    nord: i64,
    partner_clerk: Actor,
    mitte_clerk: Actor,
    nord_clerk: Actor,
}

/// The first page of the actor's whole pick-up list.
fn pickup_list(o: &citycard::Office, a: &Actor) -> citycard::Result<Vec<PickupEntry>> {
    o.pickup_page(
        a,
        PickupQuery {
            step: None,
            after: None,
            limit: PICKUP_LIST_LIMIT,
        },
    )
    .map(|p| p.entries)
}

fn at(t: &TestOffice, name: &str, role: Role, site: i64) -> Actor {
    let mut a = t.user(name, role);
    t.office.set_user_site(&t.cli(), name, Some(site)).unwrap();
    a.site = Some(site);
    a
}

fn three_sites(t: &TestOffice) -> Sites {
    let admin = t.cli();
    // The first site was made at the first start, named after the office.
    let first = t.office.sites().unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].kind, SiteKind::Counter);
    let mitte = t.office.rename_site(&admin, first[0].id, MITTE).unwrap().id;
    let nord = t
        .office
        .create_site(&admin, NORD, SiteKind::Counter)
        .unwrap()
        .id;
    let partner = t
        .office
        .create_site(&admin, PARTNER, SiteKind::Partner)
        .unwrap()
        .id;
    Sites {
        partner,
        mitte,
        nord,
        // User names of different lengths: the sealed data must not tell
        // them apart either.
        partner_clerk: at(t, "beratung.zyxwvu.anna", Role::Clerk, partner),
        mitte_clerk: at(t, "mitte1", Role::Clerk, mitte),
        nord_clerk: at(t, "nord1", Role::Clerk, nord),
    }
}

fn enrol(t: &TestOffice, clerk: &Actor, family: &str, pickup: Option<i64>) -> IssuedCard {
    let outcome = t
        .office
        .enrol_and_issue(
            clerk,
            Enrolment {
                given_names: "Amina".to_owned(),
                family_name: family.to_owned(),
                date_of_birth: None,
                photo: Some(photo("SITE-PHOTO")),
                attestation: Attestation::BOTH,
                confirm_duplicate: true,
                pickup_site: pickup,
            },
        )
        .unwrap();
    let EnrolOutcome::Issued(card) = outcome else {
        panic!("expected a card");
    };
    card
}

fn queue_of(t: &TestOffice, actor: &Actor) -> Vec<CardNumber> {
    t.office.print_queue_numbers(actor).unwrap()
}

#[test]
fn a_partner_enrols_a_counter_prints_and_hands_over() {
    on_both(|t| {
        let s = three_sites(&t);
        // A partner organisation is offered only to its own clerks.
        let offered = |a: &Actor| -> Vec<i64> {
            t.office
                .pickup_sites(a)
                .unwrap()
                .iter()
                .map(|x| x.id)
                .collect()
        };
        assert!(offered(&s.partner_clerk).contains(&s.partner));
        assert!(!offered(&s.mitte_clerk).contains(&s.partner));
        let refused = t.office.enrol_and_issue(
            &s.nord_clerk,
            Enrolment {
                family_name: "Doe".to_owned(),
                attestation: Attestation::BOTH,
                pickup_site: Some(s.partner),
                ..Default::default()
            },
        );
        assert!(matches!(
            refused,
            Err(Error::Invalid {
                field: "pickup_site",
                ..
            })
        ));

        let card = enrol(&t, &s.partner_clerk, "Haddad", Some(s.mitte));
        let n = card.card_number;
        // On Mitte's print queue only.
        assert_eq!(queue_of(&t, &s.mitte_clerk), [n]);
        assert!(queue_of(&t, &s.nord_clerk).is_empty());
        assert!(queue_of(&t, &s.partner_clerk).is_empty());
        // City-wide print staff see every site's queue.
        let central = t.user("zentral", Role::Clerk);
        assert_eq!(queue_of(&t, &central), [n]);
        // Another site can neither print it nor mark it.
        assert!(matches!(
            t.office.mark_printed(&s.nord_clerk, n),
            Err(Error::OtherSite)
        ));
        // Who enrolled it is not named to the counter: a partner organisation.
        let seen = t.office.get_card(&s.mitte_clerk, n).unwrap();
        assert_eq!(seen.attestation.site, None);
        assert_eq!(seen.attestation.attested_by, None);
        let own = t.office.get_card(&s.partner_clerk, n).unwrap();
        assert_eq!(own.attestation.site.as_deref(), Some(PARTNER));
        assert_eq!(
            own.attestation.attested_by.as_deref(),
            Some("beratung.zyxwvu.anna")
        );

        // Printed at its pick-up site: ready there at once.
        t.office.mark_printed(&s.mitte_clerk, n).unwrap();
        let list = pickup_list(&t.office, &s.mitte_clerk).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].step, PickupStep::Ready);
        assert_eq!(list[0].family_name, "Haddad");
        assert!(pickup_list(&t.office, &s.nord_clerk).unwrap().is_empty());
        assert!(matches!(
            t.office.hand_over(&s.nord_clerk, n, true),
            Err(Error::OtherSite)
        ));
        assert!(matches!(
            t.office.hand_over(&s.mitte_clerk, n, false),
            Err(Error::Invalid {
                field: "compared",
                ..
            })
        ));
        t.office.hand_over(&s.mitte_clerk, n, true).unwrap();
        assert!(pickup_list(&t.office, &s.mitte_clerk).unwrap().is_empty());
        // The photo went at hand-over.
        assert!(t.office.photo(&s.mitte_clerk, n).unwrap().is_none());

        // Printed while the resident waits at the counter: handed over at
        // once, never on the list (so never revoked as not collected).
        let waiting = enrol(&t, &s.mitte_clerk, "Jovanovic", None).card_number;
        assert!(matches!(
            t.office.mark_printed_handed_over(&central, waiting, true),
            Err(Error::OtherSite)
        ));
        t.office
            .mark_printed_handed_over(&s.mitte_clerk, waiting, true)
            .unwrap();
        assert!(pickup_list(&t.office, &s.mitte_clerk).unwrap().is_empty());
        assert!(t.office.photo(&s.mitte_clerk, waiting).unwrap().is_none());

        // Printed centrally: printed → sent → ready.
        let second = enrol(&t, &s.nord_clerk, "Okafor", None).card_number;
        t.office.mark_printed(&central, second).unwrap();
        assert!(matches!(
            t.office.mark_sent(&s.nord_clerk, second),
            Err(Error::OtherSite)
        ));
        t.office.mark_sent(&central, second).unwrap();
        let list = pickup_list(&t.office, &s.nord_clerk).unwrap();
        assert_eq!(list[0].step, PickupStep::Sent);
        // A site with cards on their way cannot be closed.
        assert!(t.office.set_site_closed(&t.cli(), s.nord, true).is_err());
        t.office.mark_received(&s.nord_clerk, second).unwrap();
        t.office.hand_over(&s.nord_clerk, second, true).unwrap();
        t.office.set_site_closed(&t.cli(), s.nord, true).unwrap();
        assert!(matches!(
            pickup_list(&t.office, &s.nord_clerk),
            Err(Error::SiteClosed)
        ));

        // Figures: counts only; the partner's small count hidden.
        let figures = t.office.site_figures(&t.cli(), 12).unwrap();
        let of = |id: i64| figures.iter().find(|f| f.site.id == id).unwrap();
        assert_eq!(of(s.partner).total.enrolled.label(), "< 5");
        assert_eq!(of(s.mitte).total.handed_over.label(), "2");
        assert_eq!(of(s.mitte).total.printed.label(), "2");
        assert_eq!(of(s.nord).total.enrolled.label(), "1");
        assert!(
            t.office.site_figures(&s.mitte_clerk, 12).is_err(),
            "figures are for admins"
        );
    });
}

/// Cards not collected in time are revoked, their photos deleted, and they
/// land on the site's list to destroy.
#[test]
fn cards_not_collected_are_revoked_and_listed_to_destroy() {
    on_both(|t| {
        let s = three_sites(&t);
        let n = enrol(&t, &s.mitte_clerk, "Novak", None).card_number;
        t.office.mark_printed(&s.mitte_clerk, n).unwrap();
        assert_eq!(t.office.expire_uncollected().unwrap(), 0);
        let mut config = t.config.clone();
        config.clock.offset_days = 91;
        let later = citycard::Office::open(&config).unwrap();
        assert_eq!(later.expire_uncollected().unwrap(), 1);
        let list = pickup_list(&later, &s.mitte_clerk).unwrap();
        assert_eq!(list[0].step, PickupStep::NotCollected);
        assert!(later.photo(&s.mitte_clerk, n).unwrap().is_none());
        let card = later.get_card(&s.mitte_clerk, n).unwrap();
        assert_eq!(card.summary.status.as_str(), "revoked");
        later.mark_destroyed(&s.mitte_clerk, n).unwrap();
        assert!(pickup_list(&later, &s.mitte_clerk).unwrap().is_empty());
    });
}

/// The pick-up list a page at a time (issue 12): every card once, oldest
/// first, the counts of the whole list, a place that outlives its card,
/// and the same list from an office that has opened no route yet.
#[test]
fn pickup_list_is_paged() {
    on_both(|t| {
        let s = three_sites(&t);
        let mut mine = Vec::new();
        let families = [
            "Aho", "Berg", "Costa", "Dahl", "Eriksen", "Fontaine", "Greco",
        ];
        for (i, family) in families.into_iter().enumerate() {
            let n = enrol(&t, &s.mitte_clerk, family, None).card_number;
            t.office.mark_printed(&s.mitte_clerk, n).unwrap();
            mine.push(n);
            if i == 3 {
                // Another site's card among them is not on Mitte's list.
                let other = enrol(&t, &s.nord_clerk, "Anderswo", None).card_number;
                t.office.mark_printed(&s.nord_clerk, other).unwrap();
            }
        }
        let q = |after| PickupQuery {
            step: Some(PickupStep::Ready),
            after,
            limit: 3,
        };
        let first = t.office.pickup_page(&s.mitte_clerk, q(None)).unwrap();
        assert_eq!(first.count(PickupStep::Ready), 7);
        assert_eq!(first.entries.len(), 3);
        assert!(first.next.is_some());
        // A fresh office (no route opened yet) shows the same page.
        let fresh = citycard::Office::open(&t.config).unwrap();
        let again = fresh.pickup_page(&s.mitte_clerk, q(None)).unwrap();
        let numbers = |p: &[PickupEntry]| -> Vec<CardNumber> {
            p.iter().map(|e| e.summary.card_number).collect()
        };
        assert_eq!(numbers(&again.entries), numbers(&first.entries));
        // The page's last card moves on: the next page still starts after it.
        t.office
            .hand_over(&s.mitte_clerk, first.entries[2].summary.card_number, true)
            .unwrap();
        let second = t.office.pickup_page(&s.mitte_clerk, q(first.next)).unwrap();
        assert_eq!(second.count(PickupStep::Ready), 6);
        let third = t
            .office
            .pickup_page(&s.mitte_clerk, q(second.next))
            .unwrap();
        assert_eq!(third.next, None);
        let pages = [first.entries, second.entries, third.entries].concat();
        let mut seen = numbers(&pages);
        assert!(
            pages
                .windows(2)
                .all(|w| (w[0].since, w[0].summary.card_number)
                    < (w[1].since, w[1].summary.card_number)),
            "oldest first, each card once"
        );
        seen.sort();
        mine.sort();
        assert_eq!(seen, mine);
        // The first page of every step: the oldest of each, and the counts.
        let overview = t.office.pickup_overview(&s.mitte_clerk, 2).unwrap();
        assert_eq!(overview.entries.len(), 2);
        assert_eq!(overview.count(PickupStep::Ready), 6);
        assert_eq!(overview.count(PickupStep::Sent), 0);
        assert_eq!(overview.next, None);
        // A step that is not on a site clerk's list shows nothing of it.
        let printed = t
            .office
            .pickup_page(
                &s.mitte_clerk,
                PickupQuery {
                    step: Some(PickupStep::Printed),
                    after: None,
                    limit: 3,
                },
            )
            .unwrap();
        assert!(printed.entries.is_empty());
    });
}

/// The privacy proof of issue 11: neither the SQLite files nor `pg_dump`
/// hold the partner's name, the sealed site data and routes are of one
/// length, the cards a partner enrolled look like any other in every
/// plaintext column, and no audit entry names who acted. An auditor with
/// the key reads who acted and where.
#[test]
fn a_database_dump_links_no_card_to_the_partner() {
    on_both(|t| {
        use citycard::db::schema::{audit_log, cards, sites};
        use diesel::prelude::*;
        let s = three_sites(&t);
        let partner_cards: Vec<i64> = (0..3)
            .map(|i| {
                let pickup = if i == 0 { None } else { Some(s.mitte) };
                let c = enrol(&t, &s.partner_clerk, &format!("Partnerfall{i}"), pickup);
                citycard::db::cards::to_i64(c.card_number)
            })
            .collect();
        let counter_cards: Vec<i64> = (0..3)
            .map(|i| {
                let c = enrol(&t, &s.nord_clerk, &format!("Zaehlerfall{i}"), None);
                citycard::db::cards::to_i64(c.card_number)
            })
            .collect();

        let mut conn = t.office.db().conn().unwrap();
        // Every plaintext column of a partner's card is one a counter's
        // card has too (numbers, dates and times aside).
        type Plain = (
            i64,
            String,
            String,
            String,
            bool,
            bool,
            Option<String>,
            usize,
        );
        type Stored = (
            i64,
            String,
            String,
            String,
            bool,
            bool,
            Option<String>,
            Option<Vec<u8>>,
        );
        let rows: Vec<Stored> = cards::table
            .select((
                cards::card_number,
                cards::status,
                cards::office,
                cards::attested_by,
                cards::identity_checked,
                cards::residence_checked,
                cards::pickup_state,
                cards::sealed_route,
            ))
            .load(&mut *conn)
            .unwrap();
        let plain: Vec<Plain> = rows
            .into_iter()
            .map(|(n, a, b, c, d, e, f, route)| (n, a, b, c, d, e, f, route.unwrap().len()))
            .collect();
        let shape = |n: i64| {
            let r = plain.iter().find(|r| r.0 == n).unwrap();
            (
                r.1.clone(),
                r.2.clone(),
                r.3.clone(),
                r.4,
                r.5,
                r.6.clone(),
                r.7,
            )
        };
        for p in &partner_cards {
            assert_eq!(
                shape(*p),
                shape(counter_cards[0]),
                "a partner's card stands out"
            );
            assert_eq!(shape(*p).2, "", "no plaintext clerk name on new cards");
        }
        // Sealed sites are of one length, whatever the name.
        let lens: Vec<usize> = sites::table
            .select(sites::sealed)
            .load::<Vec<u8>>(&mut *conn)
            .unwrap()
            .iter()
            .map(Vec::len)
            .collect();
        assert!(lens.windows(2).all(|w| w[0] == w[1]), "{lens:?}");
        // No audit entry names who acted: every actor is sealed, of one
        // length; no entry about a card names a site.
        let entries: Vec<(Option<i64>, String, String)> = audit_log::table
            .select((audit_log::card_number, audit_log::actor, audit_log::detail))
            .load(&mut *conn)
            .unwrap();
        let first_len = entries[0].1.len();
        for (card, actor, detail) in &entries {
            assert!(actor.starts_with("sealed:"), "{actor}");
            assert_eq!(actor.len(), first_len);
            if card.is_some() {
                assert!(!detail.contains("site"), "{detail}");
                assert!(!detail.contains(&s.partner.to_string()), "{detail}");
            }
        }
        drop(conn);
        // An auditor with the key reads who acted and at which site.
        let auditor = Actor {
            role: Role::Auditor,
            ..t.cli()
        };
        let readable = t
            .office
            .audit_entries(&auditor, Default::default())
            .unwrap();
        let partner_who = format!("beratung.zyxwvu.anna@site:{}", s.partner);
        assert_eq!(
            readable
                .iter()
                .filter(|e| e.action == "card_issued" && e.actor == partner_who)
                .count(),
            3
        );

        // The files: neither the partner's name (UTF-8, UTF-16) nor the
        // partner clerk's name next to a card.
        let needles: Vec<Vec<u8>> = vec![
            PARTNER.as_bytes().to_vec(),
            b"Zyxwvu".to_vec(),
            PARTNER
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes())
                .collect(),
        ];
        let haystack = match t.backend {
            Backend::Sqlite => {
                let DatabaseUrl::Sqlite { path } = &t.config.database else {
                    panic!("sqlite expected");
                };
                let bytes = sqlite_bytes(path);
                // Positive control: plaintext of the database is found.
                assert!(contains(&bytes, b"card_issued"));
                bytes
            }
            Backend::Postgres => {
                let dump = pg_dump(&t.pg.as_ref().unwrap().url);
                assert!(dump.contains("COPY public.sites"), "the dump has the sites");
                assert!(dump.contains("card_issued"));
                dump.into_bytes()
            }
        };
        for needle in &needles {
            assert!(
                !contains(&haystack, needle),
                "the partner's name is in the database: {}",
                String::from_utf8_lossy(needle)
            );
        }
        // The clerk's name is stored once, in `users`, and appears in no
        // card or audit row (checked above); in the files it occurs only
        // as often as the users table holds it.
        let _ = s.partner;
    });
}

/// A database from before sites (users, an unprinted card, no site): the
/// next start makes one city counter named after the office, puts every
/// clerk and supervisor there (admins and auditors stay city-wide), puts
/// the unprinted card on its print queue, and records the move. No manual
/// step.
#[test]
fn a_single_office_database_moves_to_one_site_at_the_next_start() {
    on_both(|t| {
        let clerk = t.user("alt.clerk", Role::Clerk);
        t.user("alt.auditor", Role::Auditor);
        let card = enrol(&t, &clerk, "Altbestand", None).card_number;
        // Back to the shape before sites: no site, no route, no step.
        t.sql(
            "UPDATE users SET site_id = NULL;
             UPDATE cards SET sealed_route = NULL, pickup_state = 'queued', attested_by = 'alt.clerk';
             DELETE FROM site_figures;
             DELETE FROM sites;
             DELETE FROM office_meta WHERE name = 'default_site';",
        );
        let reopened = citycard::Office::open(&t.config).unwrap();
        let sites = reopened.sites().unwrap();
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].name, reopened.office_name());
        assert_eq!(sites[0].kind, SiteKind::Counter);
        let users = reopened.list_users(&t.cli()).unwrap();
        let site_of = |name: &str| users.iter().find(|u| u.username == name).unwrap().site;
        assert_eq!(site_of("alt.clerk"), Some(sites[0].id));
        assert_eq!(site_of("alt.auditor"), None);
        // The clerk, now at that site, finds the old card on the queue and
        // sees who attested it.
        let mut at_site = clerk.clone();
        at_site.site = Some(sites[0].id);
        assert_eq!(reopened.print_queue_numbers(&at_site).unwrap(), [card]);
        let details = reopened.get_card(&at_site, card).unwrap();
        assert_eq!(
            details.attestation.attested_by.as_deref(),
            Some("alt.clerk")
        );
        let auditor = Actor {
            role: Role::Auditor,
            ..t.cli()
        };
        let moved = reopened
            .audit_entries(&auditor, Default::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "site_created" && e.detail.contains("first_site=1"))
            .count();
        assert_eq!(moved, 1, "the move is recorded once");
    });
}
