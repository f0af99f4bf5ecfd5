//! Issue 12 item 1: the print queue a page at a time, on both backends —
//! oldest first (attested, then by number), paging forward and back with
//! cards leaving the queue in between, a site's clerk never sees another
//! site's card (also when paging), the page size is bounded, only the
//! cards shown are recorded, the check on a page agrees with the check of
//! one card, and the JSON API's cursor (`after`, `before`, `limit`,
//! `Link`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use citycard::db::schema::cards;
use citycard::office::actor::{Actor, Role};
use citycard::office::audit::AuditQuery;
use citycard::office::cards::{
    Attestation, EnrolOutcome, Enrolment, QueueFrom, QueuePage, RevocationReason,
};
use citycard::office::sites::SiteKind;
use citycard::web::desk::DeskConfig;
use citycard::web::state::AppState;
use citycard_credential::CardNumber;
use diesel::prelude::*;
use office_support::*;
use serde_json::{Value, json};

fn enrol(t: &TestOffice, clerk: &Actor, family: &str, pickup: Option<i64>) -> CardNumber {
    let outcome = t
        .office
        .enrol_and_issue(
            clerk,
            Enrolment {
                given_names: "Queue".to_owned(),
                family_name: family.to_owned(),
                date_of_birth: None,
                photo: None,
                attestation: Attestation::BOTH,
                confirm_duplicate: true,
                pickup_site: pickup,
            },
        )
        .unwrap();
    let EnrolOutcome::Issued(card) = outcome else {
        panic!("expected a card");
    };
    card.card_number
}

/// Family names `Aa`, `Ab`, …: distinct, and fine for any template.
fn name(i: usize) -> String {
    let a = char::from(b'A' + u8::try_from(i / 26).unwrap());
    let b = char::from(b'a' + u8::try_from(i % 26).unwrap());
    format!("{a}{b}")
}

/// The cards in queue order as the database holds them: by when they
/// were attested, then by number.
fn in_queue_order(t: &TestOffice, numbers: &[CardNumber]) -> Vec<CardNumber> {
    let mut conn = t.office.db().conn().unwrap();
    let mut keyed: Vec<(time::PrimitiveDateTime, i64, CardNumber)> = numbers
        .iter()
        .map(|&n| {
            let i = i64::try_from(n.as_u64()).unwrap();
            let at = match &mut *conn {
                citycard::db::DbConnection::Sqlite(c) => cards::table
                    .find(i)
                    .select(cards::attested_at)
                    .get_result(c)
                    .unwrap(),
                citycard::db::DbConnection::Pg(c) => cards::table
                    .find(i)
                    .select(cards::attested_at)
                    .get_result(c)
                    .unwrap(),
            };
            (at, i, n)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, _, n)| n).collect()
}

/// Gives card `b` the attestation time of card `a` (a tie the number breaks).
fn same_time(t: &TestOffice, a: CardNumber, b: CardNumber) {
    let mut conn = t.office.db().conn().unwrap();
    let (a, b) = (
        i64::try_from(a.as_u64()).unwrap(),
        i64::try_from(b.as_u64()).unwrap(),
    );
    match &mut *conn {
        citycard::db::DbConnection::Sqlite(c) => {
            let at: time::PrimitiveDateTime = cards::table
                .find(a)
                .select(cards::attested_at)
                .get_result(c)
                .unwrap();
            diesel::update(cards::table.find(b))
                .set(cards::attested_at.eq(at))
                .execute(c)
                .unwrap();
        }
        citycard::db::DbConnection::Pg(c) => {
            let at: time::PrimitiveDateTime = cards::table
                .find(a)
                .select(cards::attested_at)
                .get_result(c)
                .unwrap();
            diesel::update(cards::table.find(b))
                .set(cards::attested_at.eq(at))
                .execute(c)
                .unwrap();
        }
    }
}

fn numbers(page: &QueuePage) -> Vec<CardNumber> {
    page.entries.iter().map(|e| e.summary.card_number).collect()
}

fn page(t: &TestOffice, actor: &Actor, from: QueueFrom, limit: usize) -> QueuePage {
    t.office.print_queue_page(actor, from, limit).unwrap()
}

/// The `print_queue_viewed` entries' details, newest first.
fn viewed(t: &TestOffice, auditor: &Actor) -> Vec<String> {
    t.office
        .audit_entries(
            auditor,
            AuditQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "print_queue_viewed")
        .map(|e| e.detail)
        .collect()
}

/// The `count=N` of the newest `print_queue_viewed` entry.
fn last_viewed_count(t: &TestOffice, auditor: &Actor) -> String {
    viewed(t, auditor).into_iter().next().unwrap_or_default()
}

/// A real JPEG of `w` × `h` pixels.
fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

#[test]
fn pages_forward_and_back_while_cards_leave() {
    on_both(|t| {
        let clerk = t.user("clerk", Role::Clerk);
        let supervisor = t.user("super", Role::Supervisor);
        let auditor = t.user("aud", Role::Auditor);
        let enrolled: Vec<CardNumber> =
            (0..11).map(|i| enrol(&t, &clerk, &name(i), None)).collect();
        // Two cards attested at the same time: their numbers order them.
        same_time(&t, enrolled[3], enrolled[4]);
        same_time(&t, enrolled[3], enrolled[5]);
        let order = in_queue_order(&t, &enrolled);
        assert_eq!(t.office.print_queue_numbers(&clerk).unwrap(), order);

        // Forward, four at a time.
        let p1 = page(&t, &clerk, QueueFrom::Start, 4);
        assert_eq!(numbers(&p1), order[0..4]);
        assert!(!p1.more_before && p1.more_after);
        assert_eq!(last_viewed_count(&t, &auditor), "count=4");
        let p2 = page(&t, &clerk, QueueFrom::After(order[3]), 4);
        assert_eq!(numbers(&p2), order[4..8]);
        assert!(p2.more_before && p2.more_after);
        let p3 = page(&t, &clerk, QueueFrom::After(order[7]), 4);
        assert_eq!(numbers(&p3), order[8..11]);
        assert!(p3.more_before && !p3.more_after);
        assert_eq!(last_viewed_count(&t, &auditor), "count=3");
        // And back.
        let back = page(&t, &clerk, QueueFrom::Before(order[8]), 4);
        assert_eq!(numbers(&back), order[4..8]);
        assert!(back.more_before && back.more_after);
        // Back past the start: the first page, full.
        let first = page(&t, &clerk, QueueFrom::Before(order[2]), 4);
        assert_eq!(numbers(&first), order[0..4]);
        assert!(!first.more_before && first.more_after);
        // The page shown again from its first card.
        let again = page(&t, &clerk, QueueFrom::At(order[4]), 4);
        assert_eq!(numbers(&again), order[4..8]);

        // Cards leave while the clerk pages: the last card of page 1 (the
        // cursor) is printed, the first of page 2 revoked.
        t.office.mark_printed(&clerk, order[3]).unwrap();
        t.office
            .revoke(&supervisor, order[4], RevocationReason::IssuedInError)
            .unwrap();
        let p2 = page(&t, &clerk, QueueFrom::After(order[3]), 4);
        assert_eq!(numbers(&p2), order[5..9]);
        assert!(p2.more_before && p2.more_after);
        let back = page(&t, &clerk, QueueFrom::Before(order[5]), 4);
        assert_eq!(
            numbers(&back),
            [order[0], order[1], order[2], order[5]],
            "the first page, full, without them"
        );
        assert!(!back.more_before);
        // The page shown again from a card that left: from the next one.
        let again = page(&t, &clerk, QueueFrom::At(order[4]), 4);
        assert_eq!(numbers(&again), order[5..9]);
        // Every card after the cursor leaves: an empty page that knows
        // cards come before it.
        for &n in &order[8..11] {
            t.office.mark_printed(&clerk, n).unwrap();
        }
        let past = page(&t, &clerk, QueueFrom::After(order[7]), 4);
        assert!(past.entries.is_empty() && past.more_before && !past.more_after);
        let recorded = viewed(&t, &auditor);
        let _ = page(&t, &clerk, QueueFrom::After(order[10]), 4);
        assert_eq!(
            viewed(&t, &auditor),
            recorded,
            "an empty page is not recorded"
        );

        // Bounds: at least one card a page; a card number of no card is
        // refused; auditors may not look.
        assert_eq!(page(&t, &clerk, QueueFrom::Start, 0).entries.len(), 1);
        assert_eq!(
            page(&t, &clerk, QueueFrom::Start, 1_000_000).entries.len(),
            6
        );
        let mut unknown = order[0].as_u64() + 1;
        while order.iter().any(|n| n.as_u64() == unknown) || CardNumber::from_u64(unknown).is_err()
        {
            unknown += 1;
        }
        let err = t
            .office
            .print_queue_page(
                &clerk,
                QueueFrom::After(CardNumber::from_u64(unknown).unwrap()),
                4,
            )
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(
            t.office
                .print_queue_page(&auditor, QueueFrom::Start, 4)
                .is_err()
        );
    });
}

#[test]
fn a_site_pages_through_its_own_cards_only() {
    on_both(|t| {
        let admin = t.cli();
        let first = t.office.sites().unwrap()[0].id;
        let nord = t
            .office
            .create_site(&admin, "Nord", SiteKind::Counter)
            .unwrap()
            .id;
        let city = t.user("city", Role::Clerk);
        let nord_clerk = {
            let mut a = t.user("nord", Role::Clerk);
            t.office.set_user_site(&admin, "nord", Some(nord)).unwrap();
            a.site = Some(nord);
            a
        };
        let first_clerk = {
            let mut a = t.user("first", Role::Clerk);
            t.office
                .set_user_site(&admin, "first", Some(first))
                .unwrap();
            a.site = Some(first);
            a
        };
        // Interleaved: every third card is picked up at Nord.
        let mut at_nord = Vec::new();
        let mut all = Vec::new();
        for i in 0..12 {
            let site = if i % 3 == 0 { nord } else { first };
            let n = enrol(&t, &city, &name(i), Some(site));
            if site == nord {
                at_nord.push(n);
            }
            all.push(n);
        }
        let at_nord = in_queue_order(&t, &at_nord);
        let all = in_queue_order(&t, &all);
        // Nord's clerk, two at a time: Nord's cards, in order, nothing else.
        let mut seen = Vec::new();
        let mut from = QueueFrom::Start;
        loop {
            let p = page(&t, &nord_clerk, from, 2);
            assert!(p.entries.len() <= 2);
            seen.extend(numbers(&p));
            match (p.more_after, seen.last()) {
                (true, Some(&last)) => from = QueueFrom::After(last),
                _ => break,
            }
        }
        assert_eq!(seen, at_nord);
        // Back from the last: Nord's cards before it, never another site's.
        let back = page(&t, &nord_clerk, QueueFrom::Before(at_nord[3]), 2);
        assert_eq!(numbers(&back), at_nord[1..3]);
        // A cursor of another site's card places the page, shows nothing of it.
        let other = *all.iter().find(|n| !at_nord.contains(n)).unwrap();
        let p = page(&t, &nord_clerk, QueueFrom::After(other), 10);
        assert!(numbers(&p).iter().all(|n| at_nord.contains(n)));
        assert!(!numbers(&p).contains(&other));
        // The first site's clerk sees the rest; city-wide staff all.
        let rest: Vec<CardNumber> = all
            .iter()
            .copied()
            .filter(|n| !at_nord.contains(n))
            .collect();
        assert_eq!(numbers(&page(&t, &first_clerk, QueueFrom::Start, 50)), rest);
        assert_eq!(numbers(&page(&t, &city, QueueFrom::Start, 50)), all);
    });
}

#[test]
fn the_page_check_agrees_with_the_card_check() {
    on_both_with(
        |c| c.card_template = "bilingual-photo".into(),
        |t| {
            let clerk = t.user("clerk", Role::Clerk);
            let with_photo = |family: &str, photo: Vec<u8>| {
                let outcome = t
                    .office
                    .enrol_and_issue(
                        &clerk,
                        Enrolment {
                            given_names: "Check".to_owned(),
                            family_name: family.to_owned(),
                            date_of_birth: None,
                            photo: Some(photo),
                            attestation: Attestation::BOTH,
                            confirm_duplicate: true,
                            pickup_site: None,
                        },
                    )
                    .unwrap();
                let EnrolOutcome::Issued(card) = outcome else {
                    panic!("expected a card");
                };
                card.card_number
            };
            let good = with_photo("Gut", jpeg(400, 500));
            // A JPEG header with nothing behind it: enrolment takes it (it
            // checks the file type), printing cannot.
            let broken = with_photo("Kaputt", vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]);
            let plain = enrol(&t, &clerk, "Ohne", None);
            let p = t
                .office
                .print_queue_page_checked(&clerk, QueueFrom::Start, 50)
                .unwrap();
            assert_eq!(p.entries.len(), 3);
            assert_eq!(p.checks.len(), 3);
            for (e, check) in p.entries.iter().zip(&p.checks) {
                let one = t.office.print_check(&clerk, e.summary.card_number);
                assert_eq!(
                    check.as_ref().map_err(|e| e.code()),
                    one.as_ref().map_err(|e| e.code())
                );
                let n = e.summary.card_number;
                if n == good {
                    assert_eq!(check.as_ref().ok(), Some(&true));
                } else if n == broken {
                    assert_eq!(check.as_ref().map_err(|e| e.code()), Err("photo_unusable"));
                } else {
                    assert_eq!(n, plain);
                    assert_eq!(check.as_ref().ok(), Some(&false));
                }
            }
            // Seen again (the passed cards remembered): the same answers.
            let again = t
                .office
                .print_queue_page_checked(&clerk, QueueFrom::Start, 50)
                .unwrap();
            let codes = |p: &QueuePage| -> Vec<Result<bool, &'static str>> {
                p.checks
                    .iter()
                    .map(|c| c.as_ref().copied().map_err(|e| e.code()))
                    .collect()
            };
            assert_eq!(codes(&again), codes(&p));
            // What the page offers, the batch prints; the broken photo is
            // left out and named.
            let printer = t.office.printer().unwrap();
            let batch = t
                .office
                .print_cards(&clerk, &[good, broken, plain], |cards| {
                    let cards = cards.map(|(n, c)| {
                        (
                            n,
                            c.map_err(|e| citycard::output::PrintError::Unavailable(e.to_string())),
                        )
                    });
                    let b = printer
                        .batch(cards, citycard::output::Layout::CardPrinter)
                        .map_err(|e| citycard::Error::Template(e.to_string()))?;
                    let printed = b.printed.len();
                    Ok::<_, citycard::Error>((b, printed))
                })
                .unwrap();
            assert_eq!(batch.printed, vec![good, plain]);
            assert_eq!(batch.skipped.len(), 1);
            assert_eq!(batch.skipped[0].number, broken);
        },
    );
}

// ---------------------------------------------------------------- the API

macro_rules! app {
    ($t:expr) => {{
        let t: &TestOffice = $t;
        t.office.publish_revocations().unwrap();
        let root_pub = t.config.layout().root_public_key();
        let desk = DeskConfig {
            trust_list: t.config.layout().trust_list(),
            revocations: t.config.layout().revocations(),
            root_public_key: root_pub.exists().then_some(root_pub),
        };
        let state = web::Data::new(AppState::new(t.office.clone()));
        let desk = web::Data::new(citycard::web::desk::DeskState::new(desk).unwrap());
        test::init_service(citycard::web::app(state, desk)).await
    }};
}

macro_rules! call {
    ($app:expr, $uri:expr, $token:expr) => {{
        let uri: &str = &$uri;
        let req = TestRequest::get()
            .uri(uri)
            .insert_header(("authorization", format!("Bearer {}", $token)))
            .to_request();
        let res = test::call_service(&$app, req).await;
        let status = res.status();
        let link = res
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = test::read_body(res).await;
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, value, link)
    }};
}

/// An API token of a user made with [`PASSWORD`].
macro_rules! token {
    ($app:expr, $username:expr) => {{
        let res = test::call_service(
            &$app,
            TestRequest::post()
                .uri("/api/v1/sessions")
                .set_json(json!({"username": $username, "password": PASSWORD}))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: Value = test::read_body_json(res).await;
        v["token"].as_str().unwrap().to_owned()
    }};
}

fn listed(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|q| q["card"]["card_number"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_api_pages_with_a_cursor() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(t) = office_with(backend, |_| {}) else {
            continue;
        };
        eprintln!("--- on {backend:?}");
        actix_web::rt::System::new().block_on(async {
            let clerk = t.user("clerk", Role::Clerk);
            let enrolled: Vec<CardNumber> =
                (0..7).map(|i| enrol(&t, &clerk, &name(i), None)).collect();
            let in_order = in_queue_order(&t, &enrolled);
            let order: Vec<String> = in_order.iter().map(|n| n.digits()).collect();
            let app = app!(&t);
            let token = token!(app, "clerk");

            // The whole queue at the default limit.
            let (status, all, link) = call!(app, "/api/v1/print-queue", token);
            assert_eq!(status, StatusCode::OK, "{all}");
            assert_eq!(listed(&all), order);
            assert!(link.is_empty(), "{link}");
            // Three at a time, with the Link header's cursor.
            let (_, p1, link) = call!(app, "/api/v1/print-queue?limit=3", token);
            assert_eq!(listed(&p1), order[0..3]);
            let next = format!(
                "</api/v1/print-queue?after={}&limit=3>; rel=\"next\"",
                order[2]
            );
            assert_eq!(link, next);
            let uri = format!("/api/v1/print-queue?after={}&limit=3", order[2]);
            let (_, p2, link) = call!(app, uri, token);
            assert_eq!(listed(&p2), order[3..6]);
            assert!(
                link.contains("rel=\"next\"") && link.contains("rel=\"prev\""),
                "{link}"
            );
            // The cursor card is printed meanwhile: the same page follows it.
            t.office.mark_printed(&clerk, in_order[2]).unwrap();
            let uri = format!("/api/v1/print-queue?after={}&limit=3", order[2]);
            let (_, again, _) = call!(app, uri, token);
            assert_eq!(listed(&again), order[3..6]);
            let uri = format!("/api/v1/print-queue?before={}&limit=3", order[6]);
            let (_, back, _) = call!(app, uri, token);
            assert_eq!(listed(&back), [&order[3..6]].concat());
            // The number may be given with its spaces (as printed).
            let uri = format!(
                "/api/v1/print-queue?after={}&limit=2",
                in_order[3].to_string().replace(' ', "%20")
            );
            let (status, p, _) = call!(app, uri, token);
            assert_eq!(status, StatusCode::OK, "{p}");
            assert_eq!(listed(&p), order[4..6]);
            // Bounds and bad cursors.
            let (_, one, _) = call!(app, "/api/v1/print-queue?limit=0", token);
            assert_eq!(listed(&one).len(), 1);
            let (status, _, _) = call!(app, "/api/v1/print-queue?limit=100000", token);
            assert_eq!(status, StatusCode::OK);
            for bad in [
                "/api/v1/print-queue?after=12".to_owned(),
                format!("/api/v1/print-queue?after={}&before={}", order[0], order[1]),
                "/api/v1/print-queue?page=2".to_owned(),
            ] {
                let (status, e, _) = call!(app, bad, token);
                assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
            }
        });
    }
}

/// The pick-up list's API a page at a time (issue 12): the `Link` header's
/// place, followed to the end, gives every card once; a bad step or place
/// is `400`.
#[test]
fn the_pickup_api_pages_with_its_link() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(t) = office_with(backend, |_| {}) else {
            continue;
        };
        eprintln!("--- on {backend:?}");
        actix_web::rt::System::new().block_on(async {
            // City-wide staff print centrally: the cards are to send.
            let clerk = t.user("clerk", Role::Clerk);
            let mut printed: Vec<String> = (0..5)
                .map(|i| {
                    let n = enrol(&t, &clerk, &name(i), None);
                    t.office.mark_printed(&clerk, n).unwrap();
                    n.digits()
                })
                .collect();
            let app = app!(&t);
            let token = token!(app, "clerk");

            let (status, all, link) = call!(app, "/api/v1/pickup", token);
            assert_eq!(status, StatusCode::OK, "{all}");
            assert_eq!(listed(&all).len(), 5);
            assert!(link.is_empty(), "{link}");
            let mut seen = Vec::new();
            let mut uri = "/api/v1/pickup?limit=2&step=printed".to_owned();
            for pages in 1.. {
                let (status, page, link) = call!(app, uri, token);
                assert_eq!(status, StatusCode::OK, "{page}");
                seen.extend(listed(&page));
                if link.is_empty() {
                    assert_eq!(pages, 3);
                    break;
                }
                let next = link
                    .strip_prefix('<')
                    .and_then(|l| l.strip_suffix(">; rel=\"next\""))
                    .unwrap_or_else(|| panic!("{link}"));
                assert!(next.contains("&step=printed"), "{next}");
                uri = next.to_owned();
            }
            assert_eq!(seen, listed(&all), "the pages, in the list's order");
            seen.sort();
            printed.sort();
            assert_eq!(seen, printed);
            for bad in [
                "/api/v1/pickup?step=queued",
                "/api/v1/pickup?step=nonsense",
                "/api/v1/pickup?after=12",
                "/api/v1/pickup?page=2",
            ] {
                let (status, e, _) = call!(app, bad, token);
                assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
            }
        });
    }
}
