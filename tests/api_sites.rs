//! Sites, pick-up and the per-site figures through the JSON API (issue 11),
//! on SQLite and PostgreSQL: one server with three sites (two city
//! counters, one partner organisation); a partner clerk enrols a resident
//! who picks the card up at a counter, the counter prints and hands it
//! over; a clerk of another site is refused; the figures hide a partner's
//! small counts; a closed site's users are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use citycard::office::actor::Role;
use citycard::web::desk::DeskConfig;
use citycard::web::state::AppState;
use office_support::*;
use serde_json::{Value, json};

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

/// Sends a request; returns status and body as JSON (or Null).
macro_rules! call {
    ($app:expr, $req:expr) => {{
        let res = test::call_service(&$app, $req.to_request()).await;
        let status = res.status();
        let body = test::read_body(res).await;
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, value)
    }};
}

macro_rules! login {
    ($app:expr, $user:expr) => {{
        let user: &str = $user;
        let (status, v) = call!(
            $app,
            post(
                "/api/v1/sessions",
                None,
                json!({"username": user, "password": PASSWORD})
            )
        );
        assert_eq!(status, StatusCode::CREATED, "login of {user}: {v}");
        v["token"].as_str().unwrap().to_owned()
    }};
}

fn post(uri: &str, token: Option<&str>, body: Value) -> TestRequest {
    with_token(TestRequest::post().uri(uri).set_json(body), token)
}

fn post_empty(uri: &str, token: &str) -> TestRequest {
    with_token(TestRequest::post().uri(uri), Some(token))
}

fn put(uri: &str, token: &str, body: Value) -> TestRequest {
    with_token(TestRequest::put().uri(uri).set_json(body), Some(token))
}

fn patch(uri: &str, token: &str, body: Value) -> TestRequest {
    with_token(TestRequest::patch().uri(uri).set_json(body), Some(token))
}

fn get(uri: &str, token: &str) -> TestRequest {
    with_token(TestRequest::get().uri(uri), Some(token))
}

fn with_token(r: TestRequest, token: Option<&str>) -> TestRequest {
    match token {
        Some(t) => r.insert_header(("authorization", format!("Bearer {t}"))),
        None => r,
    }
}

fn enrolment(family_name: &str, pickup_site: Option<&str>) -> Value {
    let mut body = json!({
        "given_names": "Amina", "family_name": family_name, "date_of_birth": "1991-04-02",
        "attestation": {"identity_checked": true, "residence_checked": true},
    });
    if let Some(site) = pickup_site {
        body["pickup_site"] = json!(site);
    }
    body
}

/// The card numbers of a list (print queue or pick-up list).
fn numbers(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["card"]["card_number"].as_str().unwrap().to_owned())
        .collect()
}

fn run(f: impl Fn(TestOffice) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(t) = office_with(backend, |_| {}) {
            eprintln!("--- on {backend:?}");
            actix_web::rt::System::new().block_on(f(t));
        }
    }
}

#[test]
fn three_sites_partner_enrols_counter_hands_over() {
    run(|t| Box::pin(three_sites(t)));
}

async fn three_sites(t: TestOffice) {
    t.user("admin", Role::Admin);
    for clerk in ["partner.clerk", "nord.clerk", "mitte.clerk", "central"] {
        t.user(clerk, Role::Clerk);
    }
    let app = app!(&t);
    let admin = login!(app, "admin");

    // The first site exists from the start (a city counter named after
    // the office); the admin adds a second counter and a partner.
    let (status, sites) = call!(app, get("/api/v1/sites", &admin));
    assert_eq!(status, StatusCode::OK, "{sites}");
    assert_eq!(sites.as_array().unwrap().len(), 1, "{sites}");
    assert_eq!(sites[0]["kind"], "counter");
    let mitte = sites[0]["id"].as_str().unwrap().to_owned();
    assert!(
        mitte.parse::<i64>().unwrap() > 0,
        "ids are strings of digits"
    );
    let (status, nord) = call!(
        app,
        post(
            "/api/v1/sites",
            Some(&admin),
            json!({"name": "Bürgerbüro Nord", "kind": "counter"})
        )
    );
    assert_eq!(status, StatusCode::CREATED, "{nord}");
    assert_eq!(nord["closed"], false);
    let nord = nord["id"].as_str().unwrap().to_owned();
    let (status, partner) = call!(
        app,
        post(
            "/api/v1/sites",
            Some(&admin),
            json!({"name": "Beratungsstelle Sans-Papiers", "kind": "partner"})
        )
    );
    assert_eq!(status, StatusCode::CREATED, "{partner}");
    let partner = partner["id"].as_str().unwrap().to_owned();
    // Bad kinds and names, a taken name.
    let (status, e) = call!(
        app,
        post(
            "/api/v1/sites",
            Some(&admin),
            json!({"name": "X", "kind": "embassy"})
        )
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "kind");
    let (status, e) = call!(
        app,
        post(
            "/api/v1/sites",
            Some(&admin),
            json!({"name": "bürgerbüro nord", "kind": "pop_up"})
        )
    );
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert!(
        !e.to_string().contains("Nord"),
        "no site name in an error: {e}"
    );
    // Rename (PATCH, and POST does the same).
    let (status, renamed) = call!(
        app,
        patch(
            &format!("/api/v1/sites/{nord}"),
            &admin,
            json!({"name": "Bürgerbüro Nord-Ost"})
        )
    );
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "Bürgerbüro Nord-Ost");
    assert_eq!(renamed["kind"], "counter");
    let (status, _) = call!(
        app,
        post(
            &format!("/api/v1/sites/{nord}"),
            Some(&admin),
            json!({"name": "Bürgerbüro Nord"})
        )
    );
    assert_eq!(status, StatusCode::OK);
    let (status, e) = call!(
        app,
        patch("/api/v1/sites/123", &admin, json!({"name": "Y"}))
    );
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");

    // Users at their sites; admins stay city-wide.
    for (user, site) in [
        ("partner.clerk", &partner),
        ("nord.clerk", &nord),
        ("mitte.clerk", &mitte),
    ] {
        let (status, v) = call!(
            app,
            put(
                &format!("/api/v1/users/{user}/site"),
                &admin,
                json!({"site": site})
            )
        );
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["site"], site.as_str());
    }
    let (status, e) = call!(
        app,
        put("/api/v1/users/admin/site", &admin, json!({"site": nord}))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "site");
    let (status, v) = call!(
        app,
        put("/api/v1/users/central/site", &admin, json!({"site": null}))
    );
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["site"], Value::Null);

    let partner_clerk = login!(app, "partner.clerk");
    let nord_clerk = login!(app, "nord.clerk");
    let mitte_clerk = login!(app, "mitte.clerk");
    let central = login!(app, "central");

    // Only admins manage sites and users.
    let (status, e) = call!(
        app,
        post(
            "/api/v1/sites",
            Some(&nord_clerk),
            json!({"name": "Z", "kind": "counter"})
        )
    );
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let (status, _) = call!(
        app,
        put(
            "/api/v1/users/nord.clerk/site",
            &nord_clerk,
            json!({"site": null})
        )
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Any signed-in user lists the sites.
    let (status, all) = call!(app, get("/api/v1/sites", &nord_clerk));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 3);

    // Pick-up sites: a partner offers itself and the counters; a counter
    // offers no partner.
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, offered) = call!(app, get("/api/v1/sites/pickup", &partner_clerk));
    assert_eq!(status, StatusCode::OK, "{offered}");
    let offered = ids(&offered);
    for site in [&partner, &nord, &mitte] {
        assert!(offered.contains(site), "{offered:?}");
    }
    let (_, offered) = call!(app, get("/api/v1/sites/pickup", &nord_clerk));
    let offered = ids(&offered);
    assert!(!offered.contains(&partner), "{offered:?}");
    assert!(offered.contains(&mitte));

    // The partner clerk enrols two residents who pick up at the counter
    // Nord, and one who picks up at the partner itself; Nord's clerk
    // enrols one of their own.
    let mut at_nord = Vec::new();
    for name in ["Haddad", "Okafor"] {
        let (status, card) = call!(
            app,
            post(
                "/api/v1/cards",
                Some(&partner_clerk),
                enrolment(name, Some(&nord))
            )
        );
        assert_eq!(status, StatusCode::CREATED, "{card}");
        at_nord.push(card["card_number"].as_str().unwrap().to_owned());
    }
    let (status, card) = call!(
        app,
        post(
            "/api/v1/cards",
            Some(&partner_clerk),
            enrolment("Rahimi", None)
        )
    );
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let at_partner = card["card_number"].as_str().unwrap().to_owned();
    let (status, card) = call!(
        app,
        post("/api/v1/cards", Some(&nord_clerk), enrolment("Berg", None))
    );
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let nords_own = card["card_number"].as_str().unwrap().to_owned();
    // Nord's clerk cannot send a resident to the partner.
    let (status, e) = call!(
        app,
        post(
            "/api/v1/cards",
            Some(&nord_clerk),
            enrolment("Lindqvist", Some(&partner))
        )
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "pickup_site");

    // Print queues are the pick-up site's.
    let (status, queue) = call!(app, get("/api/v1/print-queue", &nord_clerk));
    assert_eq!(status, StatusCode::OK, "{queue}");
    let queue = numbers(&queue);
    for n in at_nord.iter().chain([&nords_own]) {
        assert!(queue.contains(n), "{queue:?}");
    }
    assert!(!queue.contains(&at_partner));
    let (_, queue) = call!(app, get("/api/v1/print-queue", &partner_clerk));
    assert_eq!(numbers(&queue), vec![at_partner.clone()]);
    let (_, queue) = call!(app, get("/api/v1/print-queue", &mitte_clerk));
    assert!(numbers(&queue).is_empty(), "{queue}");

    // A clerk of another site may not print Nord's card.
    let first = &at_nord[0];
    let (status, e) = call!(
        app,
        post_empty(&format!("/api/v1/cards/{first}/printed"), &mitte_clerk)
    );
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "other_site");
    assert!(!e.to_string().contains("Nord"), "{e}");

    // Nord prints the first card: ready there at once.
    let (status, _) = call!(app, get(&format!("/api/v1/cards/{first}/pdf"), &nord_clerk));
    assert_eq!(status, StatusCode::OK);
    let (status, e) = call!(
        app,
        post_empty(&format!("/api/v1/cards/{first}/printed"), &nord_clerk)
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, list) = call!(app, get("/api/v1/pickup", &nord_clerk));
    assert_eq!(status, StatusCode::OK, "{list}");
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["card"]["card_number"] == first.as_str())
        .unwrap_or_else(|| panic!("{list}"))
        .clone();
    assert_eq!(entry["step"], "ready");
    assert_eq!(entry["pickup_site"], nord.as_str());
    assert_eq!(entry["family_name"], "Haddad");
    assert!(entry["since"].as_str().unwrap().ends_with('Z'));
    // The other sites do not see it.
    let (_, list) = call!(app, get("/api/v1/pickup", &mitte_clerk));
    assert!(numbers(&list).is_empty(), "{list}");
    let (_, list) = call!(app, get("/api/v1/pickup", &partner_clerk));
    assert!(numbers(&list).is_empty(), "{list}");

    // Hand-over: the comparison must be confirmed; only at Nord.
    let handed_over = format!("/api/v1/cards/{first}/handed-over");
    let (status, e) = call!(
        app,
        post(&handed_over, Some(&nord_clerk), json!({"compared": false}))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "compared");
    let (status, e) = call!(
        app,
        post(&handed_over, Some(&mitte_clerk), json!({"compared": true}))
    );
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "other_site");
    let (status, e) = call!(
        app,
        post(&handed_over, Some(&nord_clerk), json!({"compared": true}))
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, e) = call!(
        app,
        post(&handed_over, Some(&nord_clerk), json!({"compared": true}))
    );
    assert_eq!(status, StatusCode::CONFLICT, "twice: {e}");
    let (_, list) = call!(app, get("/api/v1/pickup", &nord_clerk));
    assert!(!numbers(&list).contains(first), "{list}");

    // The second card is printed centrally: printed → sent → received at
    // Nord → ready.
    let second = &at_nord[1];
    let (status, _) = call!(app, get(&format!("/api/v1/cards/{second}/pdf"), &central));
    assert_eq!(status, StatusCode::OK);
    let (status, e) = call!(
        app,
        post_empty(&format!("/api/v1/cards/{second}/printed"), &central)
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (_, list) = call!(app, get("/api/v1/pickup", &central));
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["card"]["card_number"] == second.as_str())
        .unwrap_or_else(|| panic!("{list}"))
        .clone();
    assert_eq!(entry["step"], "printed");
    // A site's clerk does not send: city-wide staff do.
    let (status, e) = call!(
        app,
        post_empty(&format!("/api/v1/cards/{second}/sent"), &nord_clerk)
    );
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "other_site");
    let (status, e) = call!(
        app,
        post_empty(&format!("/api/v1/cards/{second}/sent"), &central)
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, e) = call!(
        app,
        post_empty(&format!("/api/v1/cards/{second}/received"), &mitte_clerk)
    );
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "other_site");
    let (status, e) = call!(
        app,
        post_empty(&format!("/api/v1/cards/{second}/received"), &nord_clerk)
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (_, list) = call!(app, get("/api/v1/pickup", &nord_clerk));
    let steps: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["card"]["card_number"].as_str().unwrap().to_owned(),
                e["step"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(steps, vec![(second.clone(), "ready".to_owned())]);
    // Destroyed only after not collected.
    let (status, e) = call!(
        app,
        post_empty(&format!("/api/v1/cards/{second}/destroyed"), &nord_clerk)
    );
    assert_eq!(status, StatusCode::CONFLICT, "{e}");

    // The partner prints and hands over its own pick-up.
    let (status, _) = call!(
        app,
        get(&format!("/api/v1/cards/{at_partner}/pdf"), &partner_clerk)
    );
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call!(
        app,
        post_empty(
            &format!("/api/v1/cards/{at_partner}/printed"),
            &partner_clerk
        )
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, e) = call!(
        app,
        post(
            &format!("/api/v1/cards/{at_partner}/handed-over"),
            Some(&partner_clerk),
            json!({"compared": true})
        )
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");

    // Figures (admins): the partner's small counts are hidden.
    let (status, e) = call!(app, get("/api/v1/figures", &nord_clerk));
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let (status, e) = call!(app, get("/api/v1/figures?months=0", &admin));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "months");
    let (status, figures) = call!(app, get("/api/v1/figures?months=3", &admin));
    assert_eq!(status, StatusCode::OK, "{figures}");
    assert_eq!(figures["months"], 3);
    let of = |id: &str| -> Value {
        figures["sites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("{figures}"))
            .clone()
    };
    let p = of(&partner);
    assert_eq!(p["kind"], "partner");
    assert_eq!(p["name"], "Beratungsstelle Sans-Papiers");
    assert_eq!(
        p["totals"]["enrolled"],
        json!({"value": null, "label": "< 5"})
    );
    assert_eq!(p["totals"]["handed_over"]["label"], "< 5");
    assert_eq!(
        p["totals"]["not_collected"],
        json!({"value": 0, "label": "0"})
    );
    assert_eq!(p["months"][0]["enrolled"]["label"], "< 5");
    assert!(p["months"][0]["month"].as_str().unwrap().len() == 7);
    let n = of(&nord);
    assert_eq!(n["totals"]["enrolled"], json!({"value": 1, "label": "1"}));
    assert_eq!(n["totals"]["printed"]["value"], 2);
    assert_eq!(n["totals"]["handed_over"]["value"], 1);
    assert_eq!(n["waiting_now"], json!({"value": 1, "label": "1"}));
    // Counts only: no card number, no resident's name.
    let text = figures.to_string();
    for secret in at_nord.iter().chain([&at_partner, &nords_own]) {
        assert!(!text.contains(secret.as_str()));
    }
    assert!(!text.contains("Haddad"));

    // A site with cards waiting cannot close; the partner can.
    let (status, e) = call!(
        app,
        post_empty(&format!("/api/v1/sites/{nord}/close"), &admin)
    );
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    let (status, closed) = call!(
        app,
        post_empty(&format!("/api/v1/sites/{partner}/close"), &admin)
    );
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["closed"], true);
    // Its user is refused: with the session they had, and at login.
    let (status, e) = call!(app, get("/api/v1/print-queue", &partner_clerk));
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "site_closed");
    assert!(!e.to_string().contains("Sans-Papiers"), "{e}");
    let (status, e) = call!(
        app,
        post(
            "/api/v1/sessions",
            None,
            json!({"username": "partner.clerk", "password": PASSWORD})
        )
    );
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "site_closed");
    // No one is put at a closed site; it is not offered for pick-up.
    let (status, e) = call!(
        app,
        put(
            "/api/v1/users/mitte.clerk/site",
            &admin,
            json!({"site": partner})
        )
    );
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "site_closed");
    let (_, offered) = call!(app, get("/api/v1/sites/pickup", &central));
    assert!(!ids(&offered).contains(&partner));
    // Reopened, its clerk works again.
    let (status, reopened) = call!(
        app,
        post_empty(&format!("/api/v1/sites/{partner}/reopen"), &admin)
    );
    assert_eq!(status, StatusCode::OK, "{reopened}");
    assert_eq!(reopened["closed"], false);
    let partner_clerk = login!(app, "partner.clerk");
    let (status, _) = call!(app, get("/api/v1/print-queue", &partner_clerk));
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn openapi_document_lists_the_site_routes() {
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    actix_web::rt::System::new().block_on(async move {
        let app = app!(&t);
        let res = test::call_service(
            &app,
            TestRequest::get().uri("/api/v1/openapi.json").to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let doc: Value = test::read_body_json(res).await;
        let paths = doc["paths"].as_object().unwrap();
        for (p, method) in [
            ("/api/v1/sites", "get"),
            ("/api/v1/sites", "post"),
            ("/api/v1/sites/pickup", "get"),
            ("/api/v1/sites/{id}", "patch"),
            ("/api/v1/sites/{id}", "post"),
            ("/api/v1/sites/{id}/close", "post"),
            ("/api/v1/sites/{id}/reopen", "post"),
            ("/api/v1/users/{username}/site", "put"),
            ("/api/v1/pickup", "get"),
            ("/api/v1/cards/{number}/sent", "post"),
            ("/api/v1/cards/{number}/received", "post"),
            ("/api/v1/cards/{number}/handed-over", "post"),
            ("/api/v1/cards/{number}/destroyed", "post"),
            ("/api/v1/figures", "get"),
        ] {
            assert!(paths[p][method].is_object(), "{method} {p} missing");
        }
        let schemas = &doc["components"]["schemas"];
        for s in [
            "SiteJson",
            "NewSiteRequest",
            "RenameSiteRequest",
            "UserSiteRequest",
            "PickupEntryJson",
            "HandOverRequest",
            "FiguresJson",
            "SiteFiguresJson",
            "CountJson",
        ] {
            assert!(schemas[s].is_object(), "schema {s} missing");
        }
        // Ids are strings.
        assert_eq!(schemas["SiteJson"]["properties"]["id"]["type"], "string");
    });
}

#[test]
fn cards_not_collected_are_revoked_and_destroyed() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(t) = office_with(backend, |c| c.pickup.collect_within_days = 30) else {
            continue;
        };
        eprintln!("--- on {backend:?}");
        actix_web::rt::System::new().block_on(not_collected(t));
    }
}

async fn not_collected(t: TestOffice) {
    t.user("admin", Role::Admin);
    t.user("nord.clerk", Role::Clerk);
    t.user("mitte.clerk", Role::Clerk);
    let app = app!(&t);
    let admin = login!(app, "admin");
    let (_, sites) = call!(app, get("/api/v1/sites", &admin));
    let mitte = sites[0]["id"].as_str().unwrap().to_owned();
    let (_, nord) = call!(
        app,
        post(
            "/api/v1/sites",
            Some(&admin),
            json!({"name": "Nord", "kind": "counter"})
        )
    );
    let nord = nord["id"].as_str().unwrap().to_owned();
    for (user, site) in [("nord.clerk", &nord), ("mitte.clerk", &mitte)] {
        let (status, _) = call!(
            app,
            put(
                &format!("/api/v1/users/{user}/site"),
                &admin,
                json!({"site": site})
            )
        );
        assert_eq!(status, StatusCode::OK);
    }
    let nord_clerk = login!(app, "nord.clerk");
    let mitte_clerk = login!(app, "mitte.clerk");
    let (status, card) = call!(
        app,
        post("/api/v1/cards", Some(&nord_clerk), enrolment("Berg", None))
    );
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let number = card["card_number"].as_str().unwrap().to_owned();
    let (status, _) = call!(
        app,
        get(&format!("/api/v1/cards/{number}/pdf"), &nord_clerk)
    );
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call!(
        app,
        post_empty(&format!("/api/v1/cards/{number}/printed"), &nord_clerk)
    );
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Not yet due; 31 days later the daily maintenance revokes it.
    assert_eq!(t.office.maintenance().unwrap().not_collected, 0);
    let mut later = t.config.clone();
    later.clock.offset_days = 31;
    let m = citycard::Office::open(&later)
        .unwrap()
        .maintenance()
        .unwrap();
    assert_eq!(m.not_collected, 1);

    let (_, list) = call!(app, get("/api/v1/pickup", &nord_clerk));
    assert_eq!(list[0]["card"]["card_number"], number.as_str(), "{list}");
    assert_eq!(list[0]["step"], "not_collected");
    assert_eq!(list[0]["card"]["status"], "revoked");
    assert_eq!(list[0]["card"]["revocation_reason"], "not_collected");
    let destroyed = format!("/api/v1/cards/{number}/destroyed");
    let (status, e) = call!(app, post_empty(&destroyed, &mitte_clerk));
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "other_site");
    let (status, e) = call!(app, post_empty(&destroyed, &nord_clerk));
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (_, list) = call!(app, get("/api/v1/pickup", &nord_clerk));
    assert!(numbers(&list).is_empty(), "{list}");
    let (status, figures) = call!(app, get("/api/v1/figures", &admin));
    assert_eq!(status, StatusCode::OK);
    let n = figures["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == nord.as_str())
        .unwrap()
        .clone();
    assert_eq!(n["totals"]["not_collected"]["value"], 1, "{figures}");
    assert_eq!(n["waiting_now"]["value"], 0);
}
