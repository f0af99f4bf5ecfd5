//! The clerk UI's forms through the real actix app, on SQLite and on
//! PostgreSQL (when reachable): every field's error at once, dates as
//! clerks type them (and the real reason when one is refused), the search
//! by family name and date of birth, account rules, error pages that keep
//! the menu, Unicode user names (issue 8).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::web;
use citycard::config::{Config, DateOfBirthPolicy};
use citycard::office::actor::Role;
use citycard::web::desk::{DeskConfig, DeskState};
use citycard::web::state::AppState;
use office_support::{Backend, PASSWORD, TestOffice, office_with};
use std::future::Future;
use std::pin::Pin;

const BOUNDARY: &str = "----citycardformsboundary";

type TestFuture = Pin<Box<dyn Future<Output = ()>>>;

fn run_with(tweak: impl Fn(&mut Config), f: impl Fn(TestOffice) -> TestFuture) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(t) = office_with(backend, &tweak) {
            eprintln!("--- on {backend:?}");
            actix_web::rt::System::new().block_on(f(t));
        }
    }
}

fn run(f: impl Fn(TestOffice) -> TestFuture) {
    run_with(|_| {}, f);
}

async fn app(
    t: &TestOffice,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    let state = web::Data::new(AppState::new(t.office.clone()));
    let desk = web::Data::new(
        DeskState::new(DeskConfig {
            trust_list: t.config.layout().trust_list(),
            revocations: t.config.layout().revocations(),
            root_public_key: None,
        })
        .unwrap(),
    );
    test::init_service(citycard::web::app(state, desk)).await
}

async fn body_of<B: MessageBody>(res: ServiceResponse<B>) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

fn location<B>(res: &ServiceResponse<B>) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn try_login<S, B>(app: &S, user: &str, password: &str) -> ServiceResponse<B>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = TestRequest::post()
        .uri("/login")
        .set_form([("username", user), ("password", password), ("next", "")])
        .to_request();
    test::call_service(app, req).await
}

async fn login<S, B>(app: &S, user: &str) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = try_login(app, user, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {user}");
    let cookie = res
        .response()
        .cookies()
        .find(|c| c.name() == "citycard_session")
        .expect("session cookie");
    format!("citycard_session={}", cookie.value())
}

async fn get<S, B>(app: &S, cookie: &str, uri: &str) -> (StatusCode, String)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = TestRequest::get()
        .uri(uri)
        .insert_header((header::COOKIE, cookie.to_owned()))
        .to_request();
    let res = test::call_service(app, req).await;
    let status = res.status();
    (status, body_of(res).await)
}

async fn post_form<S, B>(
    app: &S,
    cookie: &str,
    uri: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = TestRequest::post()
        .uri(uri)
        .insert_header((header::COOKIE, cookie.to_owned()))
        .set_form(form)
        .to_request();
    let res = test::call_service(app, req).await;
    let (status, loc) = (res.status(), location(&res));
    (status, loc, body_of(res).await)
}

async fn post_multipart<S, B>(
    app: &S,
    cookie: &str,
    uri: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let req = TestRequest::post()
        .uri(uri)
        .insert_header((header::COOKIE, cookie.to_owned()))
        .insert_header((
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ))
        .set_payload(body)
        .to_request();
    let res = test::call_service(app, req).await;
    let (status, loc) = (res.status(), location(&res));
    (status, loc, body_of(res).await)
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// The field has its error next to it, linked by `aria-describedby`, and
/// in the summary at the top.
fn assert_field_error(html: &str, field: &str, text: &str) {
    assert!(
        html.contains(&format!("<p class=\"error\" id=\"{field}-error\">{text}")),
        "{field}: {html}"
    );
    assert!(
        html.contains(&format!("{field}-error\" aria-invalid=\"true\"")),
        "{field}: not described by its error"
    );
    assert!(
        html.contains(&format!("<li><a href=\"#{field}\">{text}")),
        "{field}: not in the summary"
    );
}

/// Enrols (German form) and returns (status, card path or page).
async fn enrol<S, B>(
    app: &S,
    cookie: &str,
    given: &str,
    family: &str,
    dob: &str,
) -> (StatusCode, String, String)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (_, html) = get(app, cookie, "/enrol").await;
    post_multipart(
        app,
        cookie,
        "/enrol",
        &[
            ("csrf_token", &csrf_of(&html)),
            ("given_names", given),
            ("family_name", family),
            ("date_of_birth", dob),
            ("attest_identity", "1"),
            ("attest_residence", "1"),
        ],
    )
    .await
}

#[test]
fn empty_forms_report_every_field_at_once() {
    run_with(
        |c| c.date_of_birth = DateOfBirthPolicy::Required,
        |t| Box::pin(empty_forms_report_every_field_at_once_on(t)),
    );
}

async fn empty_forms_report_every_field_at_once_on(t: TestOffice) {
    t.user("clerk1", Role::Clerk);
    t.user("admin1", Role::Admin);
    let app = app(&t).await;
    let clerk = login(&app, "clerk1").await;
    let (_, html) = get(&app, &clerk, "/enrol").await;
    let (status, _, html) =
        post_multipart(&app, &clerk, "/enrol", &[("csrf_token", &csrf_of(&html))]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_field_error(&html, "family_name", "Geben Sie den Familiennamen ein");
    assert_field_error(
        &html,
        "date_of_birth",
        "Geben Sie das Geburtsdatum ein: Die Karten dieser Ausgabestelle zeigen es.",
    );
    assert_field_error(&html, "attest_identity", "Bestätigen Sie");
    assert_field_error(&html, "attest_residence", "Bestätigen Sie");
    // In the order of the form.
    let at = |f: &str| html.find(&format!("<li><a href=\"#{f}\">")).unwrap();
    assert!(at("family_name") < at("date_of_birth"));
    assert!(at("date_of_birth") < at("attest_identity"));

    let admin = login(&app, "admin1").await;
    let (_, html) = get(&app, &admin, "/users").await;
    let (status, _, html) =
        post_form(&app, &admin, "/users", &[("csrf_token", &csrf_of(&html))]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_field_error(&html, "username", "Der Benutzername besteht aus");
    assert_field_error(&html, "role", "Wählen Sie eine Rolle.");
    assert_field_error(
        &html,
        "password",
        "Das Passwort braucht mindestens 10 Zeichen",
    );
}

#[test]
fn dates_as_clerks_type_them_and_real_reasons() {
    run(|t| Box::pin(dates_as_clerks_type_them_and_real_reasons_on(t)));
}

async fn dates_as_clerks_type_them_and_real_reasons_on(t: TestOffice) {
    t.user("clerk1", Role::Clerk);
    let app = app(&t).await;
    let clerk = login(&app, "clerk1").await;
    for (typed, reason) in [
        (
            "2023-02-30",
            "Diesen Tag gibt es nicht: Der Monat hat in diesem Jahr nur 28 Tage.",
        ),
        (
            "30.2.2024",
            "Diesen Tag gibt es nicht: Der Monat hat in diesem Jahr nur 29 Tage.",
        ),
        ("1850-01-01", "Das Datum liegt vor 1900"),
        ("01.01.2999", "Das Datum liegt in der Zukunft"),
        ("14.03.88", "Schreiben Sie das Jahr vierstellig"),
        ("14/03/1988", "Schreiben Sie das Datum als TT.MM.JJJJ"),
    ] {
        let (status, _, html) = enrol(&app, &clerk, "Dora", "Datum", typed).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{typed}");
        assert_field_error(&html, "date_of_birth", reason);
        // What was typed stays in the field.
        assert!(html.contains(&format!("value=\"{typed}\"")), "{typed}");
    }
    for (i, typed) in ["14.03.1988", "14.3.1988", "1988-03-14"].iter().enumerate() {
        let (status, loc, html) = enrol(&app, &clerk, &format!("Dora{i}"), "Datum", typed).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{typed}: {html}");
        let card = loc.split('?').next().unwrap().to_owned();
        let (_, html) = get(&app, &clerk, &card).await;
        assert!(html.contains("<dd>14.03.1988</dd>"), "{html}");
        // Valid until: DD.MM.YYYY as on the card, never ISO in German.
        let until = html.split("Gültig bis</dt><dd>").nth(1).unwrap();
        let until = &until[..10];
        assert!(
            until.as_bytes()[2] == b'.' && until.as_bytes()[5] == b'.',
            "{until}"
        );
        let (_, html) = get(&app, &clerk, &format!("{card}?lang=en")).await;
        assert!(html.contains("<dd>1988-03-14</dd>"), "{html}");
    }
}

#[test]
fn search_by_family_name_and_birth_date() {
    run(|t| Box::pin(search_by_family_name_and_birth_date_on(t)));
}

async fn search_by_family_name_and_birth_date_on(t: TestOffice) {
    t.user("clerk1", Role::Clerk);
    let app = app(&t).await;
    let clerk = login(&app, "clerk1").await;
    let (status, loc, _) = enrol(&app, &clerk, "Zoë Anh", "Nguyễn-Müller", "14.03.1988").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let card = loc.split('?').next().unwrap().to_owned();
    let (status, _, _) = enrol(&app, &clerk, "Other", "Nguyễn-Müller", "15.03.1988").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, form) = get(&app, &clerk, "/search").await;
    let csrf = csrf_of(&form);
    assert!(
        form.contains("Familienname und Geburtsdatum genügen"),
        "{form}"
    );
    let search = |given: &'static str, family: &'static str, dob: &'static str| {
        let csrf = csrf.clone();
        let app = &app;
        let clerk = &clerk;
        async move {
            let (status, _, html) = post_form(
                app,
                clerk,
                "/search/name",
                &[
                    ("csrf_token", &csrf),
                    ("given_names", given),
                    ("family_name", family),
                    ("date_of_birth", dob),
                ],
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{html}");
            html
        }
    };
    let link = format!("href=\"{card}\"");
    // Family name and date of birth alone; case, accents and hyphens do not
    // matter; a given name narrows the search.
    for (given, family, dob) in [
        ("", "Nguyễn-Müller", "14.03.1988"),
        ("", "nguyen muller", "1988-03-14"),
        ("anh", "NGUYEN-MULLER", "14.3.1988"),
        ("Zoe", "Nguyen Müller", "14.03.1988"),
        ("Zoë Anh", "Nguyễn-Müller", "14.03.1988"),
    ] {
        let html = search(given, family, dob).await;
        assert!(html.contains(&link), "{given} {family} {dob}: {html}");
        assert_eq!(html.matches("<tr><td><a href=\"/cards/").count(), 1);
    }
    for (given, family, dob) in [
        ("Bea", "Nguyễn-Müller", "14.03.1988"),
        ("", "Nguyen Mueller", "14.03.1988"),
        ("", "Nguyễn-Müller", "13.03.1988"),
    ] {
        let html = search(given, family, dob).await;
        assert!(!html.contains(&link), "{given} {family} {dob}");
        assert!(html.contains("wurde keine Karte gefunden"), "{html}");
    }

    // Residents enrolled before the index existed are indexed at start.
    t.sql("UPDATE residents SET search_hmac = NULL");
    let html = search("", "Nguyen-Muller", "14.03.1988").await;
    assert!(!html.contains(&link));
    assert_eq!(t.office.index_for_search().unwrap(), 2);
    assert_eq!(t.office.index_for_search().unwrap(), 0);
    let html = search("", "Nguyen-Muller", "14.03.1988").await;
    assert!(html.contains(&link), "{html}");
}

#[test]
fn search_without_dates_of_birth_needs_the_full_name() {
    run_with(
        |c| c.date_of_birth = DateOfBirthPolicy::None,
        |t| Box::pin(search_without_dates_of_birth_needs_the_full_name_on(t)),
    );
}

async fn search_without_dates_of_birth_needs_the_full_name_on(t: TestOffice) {
    t.user("clerk1", Role::Clerk);
    let app = app(&t).await;
    let clerk = login(&app, "clerk1").await;
    let (status, loc, _) = enrol(&app, &clerk, "Ana", "Ohnedatum", "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let card = loc.split('?').next().unwrap().to_owned();
    let (_, form) = get(&app, &clerk, "/search").await;
    assert!(
        form.contains("Schreiben Sie Vornamen und Familiennamen vollständig"),
        "{form}"
    );
    let csrf = csrf_of(&form);
    for (given, found) in [("ana", true), ("", false)] {
        let (status, _, html) = post_form(
            &app,
            &clerk,
            "/search/name",
            &[
                ("csrf_token", &csrf),
                ("given_names", given),
                ("family_name", "OHNEDATUM"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(html.contains(&format!("href=\"{card}\"")), found, "{given}");
    }
}

#[test]
fn own_account_and_error_pages_keep_the_menu() {
    run(|t| Box::pin(own_account_and_error_pages_keep_the_menu_on(t)));
}

async fn own_account_and_error_pages_keep_the_menu_on(t: TestOffice) {
    t.user("admin1", Role::Admin);
    t.user("clerk1", Role::Clerk);
    let app = app(&t).await;
    let admin = login(&app, "admin1").await;
    let (_, html) = get(&app, &admin, "/users").await;
    // Disabling is a destructive secondary action, never the primary style.
    assert!(
        html.contains("<button type=\"submit\" class=\"secondary danger\">admin1 sperren"),
        "{html}"
    );
    let (status, _, html) = post_form(
        &app,
        &admin,
        "/users/admin1/disable",
        &[("csrf_token", &csrf_of(&html))],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains(
            "<p class=\"alert\" role=\"alert\">Sie können Ihr eigenes Konto nicht sperren."
        ),
        "{html}"
    );
    assert!(!html.contains("Zustand der Karte"), "{html}");
    assert!(html.contains("class=\"main-nav\""), "{html}");
    assert!(html.contains("Abmelden"));
    // Still signed in and enabled.
    let (status, _) = get(&app, &admin, "/users").await;
    assert_eq!(status, StatusCode::OK);

    // Error pages of a signed-in user keep the header, menu and sign-out.
    let clerk = login(&app, "clerk1").await;
    for (uri, status, text) in [
        (
            "/users",
            StatusCode::FORBIDDEN,
            "Ihre Rolle darf das nicht.",
        ),
        (
            "/cards/123456789012",
            StatusCode::NOT_FOUND,
            "Nicht gefunden",
        ),
    ] {
        let (s, html) = get(&app, &clerk, uri).await;
        assert_eq!(s, status, "{uri}");
        assert!(html.contains(text), "{uri}: {html}");
        assert!(html.contains("class=\"main-nav\""), "{uri}: {html}");
        assert!(html.contains("action=\"/logout\""), "{uri}");
        assert!(html.contains("Angemeldet als clerk1"), "{uri}");
    }
}

#[test]
fn unicode_user_names() {
    run(|t| Box::pin(unicode_user_names_on(t)));
}

async fn unicode_user_names_on(t: TestOffice) {
    t.user("admin1", Role::Admin);
    let app = app(&t).await;
    let admin = login(&app, "admin1").await;
    let (_, html) = get(&app, &admin, "/users").await;
    let csrf = csrf_of(&html);
    let (status, loc, html) = post_form(
        &app,
        &admin,
        "/users",
        &[
            ("csrf_token", &csrf),
            ("username", "Jörg.Weiß"),
            ("role", "clerk"),
            ("password", "einmal-passwort-1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(loc, "/users?msg=users.created");
    let (_, html) = get(&app, &admin, "/users").await;
    assert!(html.contains("<td>jörg.weiß"), "{html}");
    // Sign in with another case and the decomposed Unicode form.
    let res = try_login(&app, "JO\u{308}RG.WEIß", "einmal-passwort-1").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/account/password");
    // The path as a browser sends it (percent-encoded UTF-8).
    let (status, loc, _) = post_form(
        &app,
        &admin,
        "/users/j%C3%B6rg.wei%C3%9F/disable",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/users?msg=users.disabled_done");
    // Invisible and look-alike characters are refused.
    for bad in ["jörg\u{200B}", "\u{0430}dmin", "an na"] {
        let (status, _, html) = post_form(
            &app,
            &admin,
            "/users",
            &[
                ("csrf_token", &csrf),
                ("username", bad),
                ("role", "clerk"),
                ("password", "einmal-passwort-1"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_field_error(&html, "username", "Der Benutzername besteht aus");
    }
}
