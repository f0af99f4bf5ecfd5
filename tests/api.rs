//! The JSON API through the real actix stack (`test::init_service`) on
//! SQLite and PostgreSQL, and a smoke test of the real `citycard serve`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use base64::Engine;
use citycard::office::actor::Role;
use citycard::web::desk::DeskConfig;
use citycard::web::state::AppState;
use citycard_credential::{Outcome, RevocationList, TrustList, Verifier, date};
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

/// Sends a request; returns status, headers and body as JSON (or Null).
macro_rules! call {
    ($app:expr, $req:expr) => {{
        let res = test::call_service(&$app, $req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = test::read_body(res).await;
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, headers, value, body)
    }};
}

fn post(uri: &str, token: Option<&str>, body: Value) -> TestRequest {
    let r = TestRequest::post().uri(uri).set_json(body);
    with_token(r, token)
}

fn get(uri: &str, token: Option<&str>) -> TestRequest {
    with_token(TestRequest::get().uri(uri), token)
}

fn with_token(r: TestRequest, token: Option<&str>) -> TestRequest {
    match token {
        Some(t) => r.insert_header(("authorization", format!("Bearer {t}"))),
        None => r,
    }
}

fn png_photo() -> String {
    let img = image::RgbImage::from_fn(300, 400, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    base64::engine::general_purpose::STANDARD.encode(out.into_inner())
}

const BOTH: &str = r#"{"identity_checked": true, "residence_checked": true}"#;

fn attestation() -> Value {
    serde_json::from_str(BOTH).unwrap()
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
fn full_lifecycle_over_http() {
    run(|t| Box::pin(lifecycle(t)));
}

macro_rules! login {
    ($app:expr, $user:expr) => {{
        let user: &str = $user;
        let res = test::call_service(
            &$app,
            post(
                "/api/v1/sessions",
                None,
                json!({"username": user, "password": PASSWORD}),
            )
            .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED, "login of {user}");
        let v: Value = test::read_body_json(res).await;
        assert_eq!(v["token_type"], "Bearer");
        v["token"].as_str().unwrap().to_owned()
    }};
}

async fn lifecycle(t: TestOffice) {
    t.user("clerk", Role::Clerk);
    t.user("super", Role::Supervisor);
    t.user("auditor", Role::Auditor);
    let app = app!(&t);
    let clerk = login!(app, "clerk");
    let sup = login!(app, "super");
    let auditor = login!(app, "auditor");
    let today = date::today_utc();

    // Enrol and issue, with a photo.
    let enrol = json!({
        "given_names": "Zoë Anh", "family_name": "Nguyễn-Müller",
        "date_of_birth": "1990-05-17", "photo": png_photo(),
        "attestation": attestation(),
    });
    let (status, _, card, _) = call!(app, post("/api/v1/cards", Some(&clerk), enrol.clone()));
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let number = card["card_number"].as_str().unwrap().to_owned();
    let qr = card["qr_text"].as_str().unwrap().to_owned();
    assert_eq!(card["duplicate_warning"], false);
    assert!(card["expires"].as_str().unwrap() > today.to_string().as_str());

    // The QR text verifies against the served trust list.
    let (status, _, _, trust_bytes) = call!(app, get("/.well-known/citycard/trust-list", None));
    assert_eq!(status, StatusCode::OK);
    let trust = TrustList::verify(&trust_bytes, &root_key(&t)).unwrap();
    let verifier = Verifier::new(&trust_bytes, &root_key(&t)).unwrap();
    let v = verifier.verify(&qr, today);
    assert_eq!(v.outcome, Outcome::Valid);
    assert_eq!(v.card.unwrap().family_name, "Nguyễn-Müller");

    // Get it by path and by the typed number.
    let (status, _, details, _) = call!(app, get(&format!("/api/v1/cards/{number}"), Some(&clerk)));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(details["resident"]["given_names"], "Zoë Anh");
    assert_eq!(details["card"]["status"], "active");
    assert_eq!(details["has_photo"], true);
    let typed = format!("{} {} {}", &number[..4], &number[4..8], &number[8..]);
    let (status, _, found, _) = call!(
        app,
        get(
            &format!("/api/v1/cards?number={}", typed.replace(' ', "%20")),
            Some(&clerk)
        )
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["card"]["card_number"], number.as_str());
    // A malformed number.
    let (status, _, e, _) = call!(app, get("/api/v1/cards/123456789012", Some(&clerk)));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["code"], "invalid_input");
    assert_eq!(e["error"]["field"], "card_number");

    // The duplicate warning, then the confirmation.
    let (status, _, e, _) = call!(app, post("/api/v1/cards", Some(&clerk), enrol.clone()));
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], "possible_duplicate");
    assert_eq!(e["error"]["cards"][0]["card_number"], number.as_str());
    let mut confirmed = enrol.clone();
    confirmed["confirm_duplicate"] = json!(true);
    confirmed["photo"] = Value::Null;
    let (status, _, dup, _) = call!(app, post("/api/v1/cards", Some(&clerk), confirmed));
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(dup["duplicate_warning"], true);
    let dup_number = dup["card_number"].as_str().unwrap().to_owned();

    // Search by name and date of birth.
    let (status, _, hits, _) = call!(
        app,
        post(
            "/api/v1/residents/search",
            Some(&clerk),
            json!({"given_names": "zoë anh", "family_name": "NGUYỄN-MÜLLER", "date_of_birth": "1990-05-17"})
        )
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hits.as_array().unwrap().len(), 2);

    // Issue 13 #1: a year-only date of birth goes in as `1987`, is on the
    // card as a year and comes back as `1987`.
    let body =
        json!({"family_name": "Yusuf", "date_of_birth": "1987", "attestation": attestation()});
    let (status, _, year_card, _) = call!(app, post("/api/v1/cards", Some(&clerk), body));
    assert_eq!(status, StatusCode::CREATED, "{year_card}");
    let v = verifier.verify(year_card["qr_text"].as_str().unwrap(), today);
    assert_eq!(
        v.card.unwrap().date_of_birth.map(|d| d.iso()).as_deref(),
        Some("1987")
    );
    let year_number = year_card["card_number"].as_str().unwrap();
    let (_, _, details, _) = call!(
        app,
        get(&format!("/api/v1/cards/{year_number}"), Some(&clerk))
    );
    assert_eq!(details["resident"]["date_of_birth"], "1987");
    let body =
        json!({"family_name": "Tesfaye", "date_of_birth": "1987-03", "attestation": attestation()});
    let (status, _, month_card, _) = call!(app, post("/api/v1/cards", Some(&clerk), body));
    assert_eq!(status, StatusCode::CREATED, "{month_card}");
    let month_number = month_card["card_number"].as_str().unwrap();
    let (_, _, details, _) = call!(
        app,
        get(&format!("/api/v1/cards/{month_number}"), Some(&clerk))
    );
    assert_eq!(details["resident"]["date_of_birth"], "1987-03");

    // Print queue, PDF, mark printed.
    let (status, _, queue, _) = call!(app, get("/api/v1/print-queue", Some(&clerk)));
    assert_eq!(status, StatusCode::OK);
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["card"]["card_number"] == number.as_str())
    );
    let (status, headers, _, pdf) = call!(
        app,
        get(
            &format!("/api/v1/cards/{number}/pdf?template=bilingual-photo"),
            Some(&clerk)
        )
    );
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(headers.get("content-type").unwrap(), "application/pdf");
    assert!(pdf.starts_with(b"%PDF"));
    let (status, _, _, sheet) = call!(
        app,
        get(
            &format!("/api/v1/cards/{dup_number}/pdf?template=no-photo&sheet=a4"),
            Some(&clerk)
        )
    );
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&sheet)
    );
    assert!(sheet.starts_with(b"%PDF"));
    let (status, _, e, _) = call!(
        app,
        get(
            &format!("/api/v1/cards/{number}/pdf?template=../etc"),
            Some(&clerk)
        )
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "template");
    let (status, _, _, _) = call!(
        app,
        TestRequest::post()
            .uri(&format!("/api/v1/cards/{number}/printed"))
            .insert_header(("authorization", format!("Bearer {clerk}")))
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, e, _) = call!(
        app,
        get(&format!("/api/v1/cards/{number}/pdf"), Some(&clerk))
    );
    assert_eq!(status, StatusCode::CONFLICT, "{e}");

    // Roles: a clerk cannot revoke or erase or read the audit log.
    let (status, _, e, _) = call!(
        app,
        post(
            &format!("/api/v1/cards/{number}/revoke"),
            Some(&clerk),
            json!({"reason": "lost"})
        )
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(e["error"]["code"], "forbidden");
    let (status, _, _, _) = call!(
        app,
        post(
            &format!("/api/v1/cards/{number}/erase"),
            Some(&clerk),
            json!({})
        )
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _, _) = call!(app, get("/api/v1/audit", Some(&clerk)));
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The supervisor revokes; the served list contains the number.
    let (status, _, e, _) = call!(
        app,
        post(
            &format!("/api/v1/cards/{number}/revoke"),
            Some(&sup),
            json!({"reason": "nonsense"})
        )
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "reason");
    let (status, _, r, _) = call!(
        app,
        post(
            &format!("/api/v1/cards/{number}/revoke"),
            Some(&sup),
            json!({"reason": "stolen"})
        )
    );
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["revocation_list"]["published"], true);
    let (status, _, _, list) = call!(app, get("/.well-known/citycard/revocations", None));
    assert_eq!(status, StatusCode::OK);
    let list = RevocationList::verify(&list, &trust).unwrap();
    assert!(list.contains(number.parse().unwrap()));
    let mut verifier = Verifier::new(&trust_bytes, &root_key(&t)).unwrap();
    let (_, _, _, list_bytes) = call!(app, get("/.well-known/citycard/revocations", None));
    verifier.load_revocations(&list_bytes).unwrap();
    assert_eq!(verifier.verify(&qr, today).outcome, Outcome::Revoked);
    // Revoking twice is a conflict.
    let (status, _, e, _) = call!(
        app,
        post(
            &format!("/api/v1/cards/{number}/revoke"),
            Some(&sup),
            json!({"reason": "lost"})
        )
    );
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], "conflict");

    // Replace the second resident's card, then renew the replacement.
    let (status, _, rep, _) = call!(
        app,
        post(
            &format!("/api/v1/cards/{dup_number}/replace"),
            Some(&clerk),
            json!({"reason": "lost", "attestation": attestation()})
        )
    );
    assert_eq!(status, StatusCode::CREATED, "{rep}");
    assert_eq!(rep["previous_card"], dup_number.as_str());
    let rep_number = rep["card_number"].as_str().unwrap().to_owned();
    let (status, _, e, _) = call!(
        app,
        post(
            &format!("/api/v1/cards/{rep_number}/renew"),
            Some(&clerk),
            json!({"attestation": {"identity_checked": true, "residence_checked": false}})
        )
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "attestation");
    let (status, _, ren, _) = call!(
        app,
        post(
            &format!("/api/v1/cards/{rep_number}/renew"),
            Some(&clerk),
            json!({"attestation": attestation()})
        )
    );
    assert_eq!(status, StatusCode::CREATED, "{ren}");
    let ren_number = ren["card_number"].as_str().unwrap().to_owned();

    // Erase the resident.
    let (status, _, er, _) = call!(
        app,
        post(
            &format!("/api/v1/cards/{ren_number}/erase"),
            Some(&sup),
            json!({})
        )
    );
    assert_eq!(status, StatusCode::OK, "{er}");
    assert_eq!(er["cards"].as_array().unwrap().len(), 3);
    let (status, _, gone, _) = call!(app, get(&format!("/api/v1/cards/{ren_number}"), Some(&sup)));
    assert_eq!(status, StatusCode::OK);
    assert!(gone["resident"].is_null() && gone["qr_text"].is_null());
    assert_eq!(gone["card"]["erased"], true);

    // The auditor reads the audit log, and nothing else.
    let (status, _, log, _) = call!(app, get("/api/v1/audit?limit=500", Some(&auditor)));
    assert_eq!(status, StatusCode::OK);
    let log = log.as_array().unwrap();
    assert!(log.iter().any(|e| e["action"] == "resident_erased"));
    let text = serde_json::to_string(log).unwrap();
    assert!(!text.contains("Müller") && !text.contains("1990-05-17"));
    let (status, headers, _, csv) = call!(
        app,
        get("/api/v1/audit", Some(&auditor)).insert_header(("accept", "text/csv"))
    );
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.starts_with(b"seq,"));
    let (status, _, _, _) = call!(app, get("/api/v1/audit.csv", Some(&auditor)));
    assert_eq!(status, StatusCode::OK);
    for (req, what) in [
        (
            get(&format!("/api/v1/cards/{number}"), Some(&auditor)),
            "view",
        ),
        (
            post("/api/v1/cards", Some(&auditor), enrol.clone()),
            "issue",
        ),
        (get("/api/v1/print-queue", Some(&auditor)), "queue"),
    ] {
        let (status, _, _, _) = call!(app, req);
        assert_eq!(status, StatusCode::FORBIDDEN, "auditor may not {what}");
    }

    // Logout ends the token.
    let (status, _, _, _) = call!(
        app,
        TestRequest::delete()
            .uri("/api/v1/sessions")
            .insert_header(("authorization", format!("Bearer {clerk}")))
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, headers, e, _) = call!(app, get("/api/v1/print-queue", Some(&clerk)));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(e["error"]["code"], "unauthorized");
    assert!(headers.get("www-authenticate").is_some());

    // /healthz checks the database.
    let (status, _, _, body) = call!(app, get("/healthz", None));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), b"ok\n");
}

#[test]
fn wrong_password_then_lockout() {
    run(|t| {
        Box::pin(async move {
            t.user("clerk", Role::Clerk);
            let app = app!(&t);
            let max = t.config.login.account_max_failures;
            for _ in 0..max {
                let (status, _, e, _) = call!(
                    app,
                    post(
                        "/api/v1/sessions",
                        None,
                        json!({"username": "clerk", "password": "wrong password!"})
                    )
                    .peer_addr("192.0.2.10:4000".parse().unwrap())
                );
                assert_eq!(status, StatusCode::UNAUTHORIZED);
                assert_eq!(e["error"]["code"], "unauthorized");
                assert!(!e.to_string().contains("wrong password!"));
            }
            // Locked: even the right password is refused now.
            let (status, headers, e, _) = call!(
                app,
                post(
                    "/api/v1/sessions",
                    None,
                    json!({"username": "clerk", "password": PASSWORD})
                )
                .peer_addr("192.0.2.11:4000".parse().unwrap())
            );
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(e["error"]["code"], "throttled");
            assert!(e["error"]["retry_after"].as_u64().unwrap() > 0);
            assert!(headers.get("retry-after").is_some());
        })
    });
}

#[test]
fn bad_bodies_get_clear_json_errors() {
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    actix_web::rt::System::new().block_on(async move {
        t.user("clerk", Role::Clerk);
        let app = app!(&t);
        let clerk = login!(app, "clerk");
        // Malformed JSON.
        let (status, _, e, _) = call!(
            app,
            TestRequest::post()
                .uri("/api/v1/sessions")
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"username\": ")
        );
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(e["error"]["code"], "invalid_input");
        // Unknown fields (no document type, ever).
        let (status, _, e, _) = call!(
            app,
            post(
                "/api/v1/cards",
                Some(&clerk),
                json!({"family_name": "X", "document_number": "123", "attestation": attestation()})
            )
        );
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(e["error"]["code"], "invalid_input");
        // Too large: 64 KiB without a photo, 8 MiB with one.
        let big = "x".repeat(100 * 1024);
        let (status, _, e, _) = call!(
            app,
            post("/api/v1/sessions", None, json!({"username": big, "password": "x"}))
        );
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(e["error"]["code"], "payload_too_large");
        let huge = "A".repeat(9 * 1024 * 1024);
        let (status, _, e, _) = call!(
            app,
            post(
                "/api/v1/cards",
                Some(&clerk),
                json!({"family_name": "X", "photo": huge, "attestation": attestation()})
            )
        );
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(e["error"]["code"], "payload_too_large");
        // A photo that is not an image; a birth date in the future; an empty name.
        for (body, field) in [
            (json!({"family_name": "X", "photo": "aGVsbG8=", "attestation": attestation()}), "photo"),
            (json!({"family_name": "X", "date_of_birth": "2999-01-01", "attestation": attestation()}), "date_of_birth"),
            (json!({"family_name": "X", "date_of_birth": "1.2.1990", "attestation": attestation()}), "date_of_birth"),
            (json!({"family_name": "X", "date_of_birth": "1987-13", "attestation": attestation()}), "date_of_birth"),
            (json!({"family_name": "X", "date_of_birth": "03.1987", "attestation": attestation()}), "date_of_birth"),
            (json!({"family_name": "X", "date_of_birth": "1899", "attestation": attestation()}), "date_of_birth"),
            (json!({"family_name": "", "attestation": attestation()}), "family_name"),
        ] {
            let (status, _, e, _) = call!(app, post("/api/v1/cards", Some(&clerk), body));
            assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
            assert_eq!(e["error"]["code"], "invalid_input");
            assert_eq!(e["error"]["field"], field, "{e}");
        }
        // A decompression bomb (issue 10 finding 4): refused from its
        // header with the rule, nothing decoded.
        let bomb = base64::engine::general_purpose::STANDARD.encode(png_bomb(8000, 8000));
        let body = json!({"family_name": "X", "photo": bomb, "attestation": attestation()});
        let (status, _, e, _) = call!(app, post("/api/v1/cards", Some(&clerk), body));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["error"]["field"], "photo", "{e}");
        assert_eq!(e["error"]["rule"], "too_many_pixels", "{e}");
        // A name the office's card template cannot print: refused before a
        // card is signed, naming the field and the character (the same
        // check as the clerk UI's).
        let body = json!({"given_names": "Anna 🙂", "family_name": "X", "attestation": attestation()});
        let (status, _, e, _) = call!(app, post("/api/v1/cards", Some(&clerk), body));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["error"]["code"], "unprintable_character", "{e}");
        assert_eq!(e["error"]["field"], "given_names", "{e}");
        assert_eq!(e["error"]["character"], "U+1F642", "{e}");
        assert!(!e.to_string().contains("Anna"), "{e}");
        assert_eq!(counts(&t).1, 0, "nothing was written");
        // No token; an unknown route.
        let (status, _, e, _) = call!(app, get("/api/v1/print-queue", None));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(e["error"]["code"], "unauthorized");
        let (status, _, e, _) = call!(app, get("/api/v1/nope", Some(&clerk)));
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(e["error"]["code"], "not_found");
    });
}

#[test]
fn openapi_document_lists_the_routes() {
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    actix_web::rt::System::new().block_on(async move {
        let app = app!(&t);
        let (status, _, doc, _) = call!(app, get("/api/v1/openapi.json", None));
        assert_eq!(status, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        // The partial forms of a date of birth are documented (issue 13).
        let enrol = doc.to_string();
        assert!(enrol.contains("YYYY-MM"), "date_of_birth forms");
        for p in [
            "/api/v1/sessions",
            "/api/v1/cards",
            "/api/v1/cards/{number}",
            "/api/v1/cards/{number}/revoke",
            "/api/v1/cards/{number}/replace",
            "/api/v1/cards/{number}/renew",
            "/api/v1/cards/{number}/erase",
            "/api/v1/cards/{number}/pdf",
            "/api/v1/cards/{number}/printed",
            "/api/v1/print-queue",
            "/api/v1/residents/search",
            "/api/v1/audit",
            "/api/v1/audit.csv",
        ] {
            assert!(paths.contains_key(p), "{p} missing");
        }
        assert!(doc["components"]["schemas"]["EnrolRequest"].is_object());
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    });
}

#[test]
fn session_cookie_and_html_auth() {
    use citycard::web::auth::{self, AuthUser, ClientAddr};
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    actix_web::rt::System::new().block_on(async move {
        t.user("clerk", Role::Clerk);
        let state = web::Data::new(AppState::new(t.office.clone()).with_secure_cookies(true));
        let app = test::init_service(
            actix_web::App::new()
                .app_data(state)
                .route(
                    "/login",
                    web::post().to(
                        |state: web::Data<AppState>, client: ClientAddr| async move {
                            let s = auth::login(&state, "clerk", secret(PASSWORD), client).await?;
                            Ok::<_, citycard::web::error::AppError>(
                                actix_web::HttpResponse::SeeOther()
                                    .cookie(auth::session_cookie(&state, &s))
                                    .finish(),
                            )
                        },
                    ),
                )
                .route(
                    "/page",
                    web::get().to(|user: AuthUser| async move {
                        user.check_csrf("wrong")?;
                        Ok::<_, citycard::web::error::AppError>(
                            actix_web::HttpResponse::Ok().finish(),
                        )
                    }),
                ),
        )
        .await;
        let res = test::call_service(&app, TestRequest::post().uri("/login").to_request()).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let cookie = res
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(cookie.starts_with("citycard_session=ccs_"), "{cookie}");
        for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(cookie.contains(attr), "{attr} missing in {cookie}");
        }
        // Without a session: to the login page.
        let res = test::call_service(&app, TestRequest::get().uri("/page?x=1").to_request()).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers().get("location").unwrap(),
            "/login?next=/page%3Fx%3D1"
        );
        // With it, a wrong CSRF token is refused.
        let value = cookie
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_owned();
        let res = test::call_service(
            &app,
            TestRequest::get()
                .uri("/page")
                .cookie(actix_web::cookie::Cookie::new("citycard_session", value))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    });
}

/// The real binary on a free port with a fresh data directory.
#[test]
fn serve_binary_smoke() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_citycard"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .env_remove("CITYCARD_DATABASE_URL")
        .env_remove("CITYCARD_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let fetch = |path: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).ok()?;
        Some(String::from_utf8_lossy(&out).into_owned())
    };
    let mut health = None;
    for _ in 0..300 {
        if let Some(r) = fetch("/healthz") {
            health = Some(r);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let health = health.expect("the server did not come up");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("ok\n"));
    let verify = fetch("/verify/").unwrap();
    assert!(verify.starts_with("HTTP/1.1 200"), "{verify}");
    let trust = fetch("/.well-known/citycard/trust-list").unwrap();
    assert!(trust.starts_with("HTTP/1.1 200"));
    // SIGTERM: a graceful stop.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{log}");
    assert!(log.contains("DEVELOPMENT KEYS"), "{log}");
    assert!(log.contains("one-time password"), "{log}");
    assert!(dir.path().join("citycard-data/citycard.sqlite").exists());
    assert!(dir.path().join("citycard-data/keys/office.key").exists());
}

/// Two server instances on one database (each with its own data
/// directory): a revocation through one is served by the other.
#[test]
fn every_instance_serves_the_stored_revocation_list() {
    run(|t| {
        Box::pin(async move {
            let dir = tempfile::tempdir().unwrap();
            let mut config = t.config.clone();
            config.data_dir = dir.path().to_owned();
            std::fs::copy(t.config.layout().trust_list(), config.layout().trust_list()).unwrap();
            std::fs::copy(t.config.layout().trust_list(), config.layout().trust_list()).unwrap();
            let other = citycard::office::Office::open(&config).unwrap();
            let desk = DeskConfig {
                trust_list: t.config.layout().trust_list(),
                revocations: config.layout().revocations(),
                root_public_key: Some(t.config.layout().root_public_key()),
            };
            let state = web::Data::new(AppState::new(other));
            let desk = web::Data::new(citycard::web::desk::DeskState::new(desk).unwrap());
            let app = test::init_service(citycard::web::app(state, desk)).await;

            let clerk = t.user("clerk", citycard::office::actor::Role::Clerk);
            let supervisor = t.user("supervisor", citycard::office::actor::Role::Supervisor);
            let enrolment = citycard::office::cards::Enrolment {
                given_names: "A".to_owned(),
                family_name: "B".to_owned(),
                date_of_birth: None,
                photo: Some(photo("photo")),
                attestation: citycard::office::cards::Attestation::BOTH,
                confirm_duplicate: false,
                pickup_site: None,
            };
            let card = match t.office.enrol_and_issue(&clerk, enrolment).unwrap() {
                citycard::office::cards::EnrolOutcome::Issued(c) => c,
                citycard::office::cards::EnrolOutcome::PossibleDuplicate(_) => panic!("duplicate"),
            };
            t.office
                .revoke(
                    &supervisor,
                    card.card_number,
                    citycard::office::cards::RevocationReason::Stolen,
                )
                .unwrap();
            assert!(!config.layout().revocations().exists());
            let (status, headers, _, body) =
                call!(app, get("/.well-known/citycard/revocations", None));
            assert_eq!(status, StatusCode::OK);
            assert!(headers.get("etag").is_some());
            let list = RevocationList::verify(&body, &t.trust).unwrap();
            assert!(list.contains(card.card_number));
        })
    });
}

/// `secure_cookies = true` without `[tls]` (TLS terminated by a proxy):
/// the session cookie is `Secure`; by default (`auto`, no TLS) it is not.
#[test]
fn secure_cookies_setting_behind_a_proxy() {
    use citycard::config::SecureCookies;
    use citycard::web::auth::{self, ClientAddr};
    for (setting, secure) in [(SecureCookies::Always, true), (SecureCookies::Auto, false)] {
        let t = office_with(Backend::Sqlite, |c| c.secure_cookies = setting).unwrap();
        assert!(t.config.tls.is_none());
        actix_web::rt::System::new().block_on(async move {
            t.user("clerk", Role::Clerk);
            let state = web::Data::new(AppState::new(t.office.clone()));
            assert_eq!(state.secure_cookies(), secure);
            let app = test::init_service(actix_web::App::new().app_data(state).route(
                "/login",
                web::post().to(
                    |state: web::Data<AppState>, client: ClientAddr| async move {
                        let s = auth::login(&state, "clerk", secret(PASSWORD), client).await?;
                        Ok::<_, citycard::web::error::AppError>(
                            actix_web::HttpResponse::SeeOther()
                                .cookie(auth::session_cookie(&state, &s))
                                .finish(),
                        )
                    },
                ),
            ))
            .await;
            let res =
                test::call_service(&app, TestRequest::post().uri("/login").to_request()).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            let cookie = res
                .headers()
                .get("set-cookie")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            assert!(cookie.starts_with("citycard_session="), "{cookie}");
            assert_eq!(
                cookie.split(';').any(|a| a.trim() == "Secure"),
                secure,
                "{cookie}"
            );
        });
    }
}

/// SECURITY.md finding 6 over HTTP: the print queue, a card's PDF and the
/// enrolment that answers 409 with the cards of the same name and birth
/// date each leave an audit entry (user, office, count; never the data),
/// and the CSV names each action in the reader's language.
#[test]
fn reads_of_personal_data_are_audited_over_http() {
    run(|t| Box::pin(reads_are_audited(t)));
}

async fn reads_are_audited(t: TestOffice) {
    t.user("clerk", Role::Clerk);
    t.user("auditor", Role::Auditor);
    let app = app!(&t);
    let clerk = login!(app, "clerk");
    let auditor = login!(app, "auditor");
    let enrol = json!({
        "given_names": "Zoë Anh", "family_name": "Nguyễn-Müller",
        "date_of_birth": "1990-05-17", "photo": png_photo(),
        "attestation": attestation(),
    });
    let (status, _, card, _) = call!(app, post("/api/v1/cards", Some(&clerk), enrol.clone()));
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let number = card["card_number"].as_str().unwrap().to_owned();
    // The same name and birth date: 409 with the card numbers.
    let (status, _, dup, _) = call!(app, post("/api/v1/cards", Some(&clerk), enrol.clone()));
    assert_eq!(status, StatusCode::CONFLICT, "{dup}");
    assert!(dup.to_string().contains(&number), "{dup}");
    let (status, _, _, _) = call!(app, get("/api/v1/print-queue", Some(&clerk)));
    assert_eq!(status, StatusCode::OK);
    let (status, _, _, pdf) = call!(
        app,
        get(&format!("/api/v1/cards/{number}/pdf"), Some(&clerk))
    );
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));

    let (status, _, log, _) = call!(app, get("/api/v1/audit?limit=500", Some(&auditor)));
    assert_eq!(status, StatusCode::OK);
    let entry = |action: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action} entry in {log}"))
            .clone()
    };
    let shown = entry("duplicates_shown");
    assert_eq!(shown["actor"], "clerk");
    assert_eq!(shown["detail"], "results=1");
    let queue = entry("print_queue_viewed");
    assert_eq!(queue["actor"], "clerk");
    assert_eq!(queue["detail"], "count=1");
    let made = entry("card_pdf_made");
    assert_eq!(made["actor"], "clerk");
    assert_eq!(made["card_number"], number.as_str());
    assert_eq!(made["detail"], "photo=1");
    for word in ["Zoë", "Nguy", "1990"] {
        assert!(!log.to_string().contains(word), "{word} in the log");
    }
    let (status, _, _, csv) = call!(
        app,
        get("/api/v1/audit.csv", Some(&auditor)).insert_header(("accept-language", "en"))
    );
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv.to_vec()).unwrap();
    assert!(
        csv.starts_with(citycard::office::audit::CSV_HEADER),
        "{csv}"
    );
    assert!(
        csv.contains(",\"Card PDF made (name, birth date, photo)\"\n"),
        "{csv}"
    );
    let (_, _, _, csv) = call!(
        app,
        get("/api/v1/audit.csv", Some(&auditor)).insert_header(("accept-language", "de"))
    );
    assert!(
        String::from_utf8_lossy(&csv).contains(",Druckwarteschlange mit Namen angezeigt"),
        "{}",
        String::from_utf8_lossy(&csv)
    );
}

/// SECURITY.md finding 3: when every password check is taken, a login is
/// answered at once with `503 busy` and `Retry-After` (no attempt used).
#[test]
fn busy_logins_answer_503_with_retry_after() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(t) = office_with(backend, |c| c.password_check_memory_mib = 19) else {
            continue;
        };
        actix_web::rt::System::new().block_on(async move {
            t.user("clerk", Role::Clerk);
            let app = app!(&t);
            let held = t.office.password_checks().try_permit().unwrap();
            let (status, headers, e, _) = call!(
                app,
                post(
                    "/api/v1/sessions",
                    None,
                    json!({"username": "clerk", "password": PASSWORD})
                )
            );
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(e["error"]["code"], "busy");
            assert!(e["error"]["retry_after"].as_u64().unwrap() > 0);
            assert!(headers.get("retry-after").is_some());
            drop(held);
            let _session = login!(app, "clerk");
        });
    }
}

/// Issue 12 item 4: a bearer token checked less than a second ago is
/// believed without a database read (`office::accounts::auth_cache`), but
/// a revoked token, a logged-out session and a disabled user are refused
/// at once by the next request, not a second later.
#[test]
fn remembered_tokens_end_at_once() {
    run(|t| {
        Box::pin(async move {
            t.user("clerk", Role::Clerk);
            let admin = t.user("boss", Role::Admin);
            let app = app!(&t);
            let session = login!(app, "clerk");
            let (status, _, made, _) = call!(
                app,
                post("/api/v1/tokens", Some(&session), json!({"label": "desk"}))
            );
            assert_eq!(status, StatusCode::CREATED, "{made}");
            let token = made["token"].as_str().unwrap().to_owned();
            let id = made["id"].as_i64().unwrap();
            for _ in 0..2 {
                let (status, _, _, _) = call!(app, get("/api/v1/print-queue", Some(&token)));
                assert_eq!(status, StatusCode::OK);
            }
            let (status, _, _, _) = call!(
                app,
                TestRequest::delete()
                    .uri(&format!("/api/v1/tokens/{id}"))
                    .insert_header(("authorization", format!("Bearer {session}")))
            );
            assert!(status.is_success(), "{status}");
            let (status, _, e, _) = call!(app, get("/api/v1/print-queue", Some(&token)));
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{e}");
            // A session token used as a bearer token, then its logout.
            let (status, _, _, _) = call!(app, get("/api/v1/print-queue", Some(&session)));
            assert_eq!(status, StatusCode::OK);
            let (status, _, _, _) = call!(
                app,
                TestRequest::delete()
                    .uri("/api/v1/sessions")
                    .insert_header(("authorization", format!("Bearer {session}")))
            );
            assert!(status.is_success(), "{status}");
            let (status, _, _, _) = call!(app, get("/api/v1/print-queue", Some(&session)));
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            // A user disabled by an admin.
            let session = login!(app, "clerk");
            let (status, _, _, _) = call!(app, get("/api/v1/print-queue", Some(&session)));
            assert_eq!(status, StatusCode::OK);
            t.office.set_user_disabled(&admin, "clerk", true).unwrap();
            let (status, _, _, _) = call!(app, get("/api/v1/print-queue", Some(&session)));
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        })
    });
}

/// SECURITY.md finding 5 over HTTP: a token cannot make tokens (403
/// `session_required`); a lifetime over the maximum is a field error; a
/// limited token is refused what it does not allow; the OpenAPI document
/// says so.
#[test]
fn api_tokens_over_http() {
    run(|t| {
        Box::pin(async move {
            t.user("clerk", Role::Clerk);
            let app = app!(&t);
            let session = login!(app, "clerk");
            let (status, _, e, _) = call!(
                app,
                post(
                    "/api/v1/tokens",
                    Some(&session),
                    json!({"label": "forever", "valid_for_days": 4_000_000})
                )
            );
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(e["error"]["field"], "valid_for_days");
            assert_eq!(e["error"]["rule"], "too_long");
            let (status, _, made, _) = call!(
                app,
                post(
                    "/api/v1/tokens",
                    Some(&session),
                    json!({"label": "lookup", "permissions": ["cards.read"]})
                )
            );
            assert_eq!(status, StatusCode::CREATED, "{made}");
            let token = made["token"].as_str().unwrap().to_owned();
            // A token cannot mint another.
            let (status, _, e, _) = call!(
                app,
                post("/api/v1/tokens", Some(&token), json!({"label": "minted"}))
            );
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(e["error"]["code"], "session_required");
            // Limited: may not print, though the clerk's role may.
            let (status, _, e, _) = call!(app, get("/api/v1/print-queue", Some(&token)));
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(e["error"]["code"], "forbidden");
            assert_eq!(e["error"]["reason"], "token_permissions");
            let (status, _, _, _) = call!(app, get("/api/v1/print-queue", Some(&session)));
            assert_eq!(status, StatusCode::OK);
            // A permission outside the role.
            let (status, _, e, _) = call!(
                app,
                post(
                    "/api/v1/tokens",
                    Some(&session),
                    json!({"label": "x", "permissions": ["users.manage"]})
                )
            );
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(e["error"]["field"], "permissions");
            // The listing shows the end and the limit.
            let (status, _, list, _) = call!(app, get("/api/v1/tokens", Some(&session)));
            assert_eq!(status, StatusCode::OK);
            assert_eq!(list[0]["permissions"], json!(["cards.read"]));
            assert!(list[0]["expires_at"].is_string());
            let (_, _, doc, _) = call!(app, get("/api/v1/openapi.json", None));
            let req = &doc["components"]["schemas"]["TokenRequest"]["properties"];
            assert!(req["permissions"].is_object(), "{req}");
            let responses = &doc["paths"]["/api/v1/tokens"]["post"]["responses"];
            assert!(responses["403"].is_object(), "{responses}");
            let responses = &doc["paths"]["/api/v1/sessions"]["post"]["responses"];
            assert!(responses["503"].is_object(), "{responses}");
        })
    });
}
