//! What every page shares: the language, the signed-in user's menu, the
//! CSRF token, a notice after a redirect, field errors; rendering a
//! template into a response. (Error texts and pages: [`super::errors`],
//! which imports this module and the templates; nothing here imports them.)

use super::i18n::{LANG_COOKIE, Lang};
use crate::office::actor::{Permission, Role};
use crate::web::auth::AuthUser;
use crate::web::error::AppError;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

/// Notices a page may show after a redirect (`?msg=key`). Only these keys
/// are accepted, so a URL cannot put arbitrary text on the page.
const NOTICES: &[&str] = &[
    "enrol.issued",
    "enrol.issued_duplicate",
    "card.marked_printed",
    "renew.done",
    "replace.done",
    "revoke.done",
    "revoke.list_failed",
    "queue.marked",
    "pickup.sent_done",
    "pickup.received_done",
    "pickup.handed_over_done",
    "pickup.destroyed_done",
    "sites.created",
    "sites.renamed",
    "sites.closed_done",
    "sites.reopened_done",
    "users.site_done",
    "users.created",
    "users.disabled_done",
    "users.enabled_done",
    "users.reset_done",
    "password.changed",
    "login.signed_out",
    "login.expired",
];

/// One entry of the main menu.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Where it leads.
    pub href: &'static str,
    /// Its label (translated).
    pub label: &'static str,
    /// It is the current page.
    pub current: bool,
}

/// The part of every page that the layout (`base.html`) needs.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page's language.
    pub lang: Lang,
    /// The `<title>` and `<h1>`.
    pub title: String,
    /// "Signed in as …", when signed in.
    pub signed_in: Option<String>,
    /// The main menu (empty when not signed in or a password change is due).
    pub nav: Vec<NavItem>,
    /// The session's CSRF token (empty when not signed in).
    pub csrf: String,
    /// The current path, for the language toggle.
    pub path: String,
    /// A success notice (translated).
    pub notice: Option<String>,
    /// The office runs on development keys: the layout shows a banner.
    pub dev_keys: bool,
    /// The office's caretaker age (`minors.caretaker_under`), for the
    /// attestation's hint.
    pub caretaker_under: u8,
    /// Set the language cookie on the response (`?lang=` was given).
    set_lang_cookie: bool,
}

impl Page {
    /// A page for a visitor who is not signed in.
    pub fn anonymous(req: &HttpRequest, title_key: &str) -> Page {
        let (lang, set_lang_cookie) = lang_of(req);
        let state = req.app_data::<actix_web::web::Data<crate::web::state::AppState>>();
        Page {
            lang,
            title: lang.t(title_key).to_owned(),
            signed_in: None,
            nav: Vec::new(),
            csrf: String::new(),
            path: req.path().to_owned(),
            notice: notice_of(req, lang),
            dev_keys: state.is_some_and(|s| s.development_keys()),
            caretaker_under: state.map_or(14, |s| s.config().ages.caretaker_under),
            set_lang_cookie,
        }
    }

    /// A page for a signed-in user.
    pub fn new(req: &HttpRequest, user: &AuthUser, title_key: &str) -> Page {
        let mut page = Page::anonymous(req, title_key);
        let lang = page.lang;
        let actor = user.actor();
        page.signed_in = Some(lang.tf(
            "app.signed_in_as",
            &[
                ("user", &actor.username),
                ("role", role_label(lang, actor.role)),
            ],
        ));
        page.csrf = user.csrf_token().to_owned();
        if !actor.must_change_password {
            page.nav = nav_for(lang, actor.role, req.path());
        }
        page
    }

    /// Replaces the title (for titles with values: `{number}`).
    pub fn with_title(mut self, title: String) -> Self {
        self.title = title;
        self
    }

    /// A translated string.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The caretaker checkbox's hint, with the office's caretaker age.
    pub fn caretaker_hint(&self) -> String {
        self.lang.tf(
            "enrol.attest_caretaker_hint",
            &[("age", &self.caretaker_under.to_string())],
        )
    }

    /// A date of birth, at its precision (see [`Lang::birth_date`]).
    pub fn birth_date(&self, d: &citycard_credential::BirthDate) -> String {
        self.lang.birth_date(*d)
    }

    /// The language code for `<html lang>`.
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The language toggle: (code, label, is the current one, href).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool, String)> {
        Lang::ALL
            .into_iter()
            .map(|l| {
                (
                    l.code(),
                    self.t(&format!("app.lang_{}", l.code())),
                    l == self.lang,
                    format!("{}?lang={}", self.path, l.code()),
                )
            })
            .collect()
    }
}

/// The translated name of a role.
pub fn role_label(lang: Lang, role: Role) -> &'static str {
    lang.t(&format!("role.{}", role.as_str()))
}

fn nav_for(lang: Lang, role: Role, path: &str) -> Vec<NavItem> {
    let items: [(&'static str, &str, bool); 10] = [
        ("/", "nav.dashboard", true),
        ("/enrol", "nav.enrol", role.allows(Permission::IssueCards)),
        (
            "/search",
            "nav.search",
            role.allows(Permission::SearchCards),
        ),
        (
            "/print-queue",
            "nav.queue",
            role.allows(Permission::PrintCards),
        ),
        (
            "/pickup",
            "nav.pickup",
            role.allows(Permission::HandOverCards),
        ),
        ("/users", "nav.users", role.allows(Permission::ManageUsers)),
        ("/sites", "nav.sites", role.allows(Permission::ManageSites)),
        (
            "/figures",
            "nav.figures",
            role.allows(Permission::ReadFigures),
        ),
        ("/audit", "nav.audit", role.allows(Permission::ReadAudit)),
        ("/keys", "nav.keys", role.allows(Permission::ManageKeys)),
    ];
    items
        .into_iter()
        .filter(|(_, _, allowed)| *allowed)
        .map(|(href, key, _)| NavItem {
            href,
            label: lang.t(key),
            current: path == href,
        })
        .collect()
}

/// The language: `?lang=` (remembered in a cookie), the cookie, then
/// `Accept-Language`. The flag says whether to set the cookie.
fn lang_of(req: &HttpRequest) -> (Lang, bool) {
    if let Some(l) = query_value(req, "lang").and_then(|v| Lang::parse(&v)) {
        return (l, true);
    }
    if let Some(l) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return (l, false);
    }
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    (Lang::from_accept_language(accept), false)
}

fn notice_of(req: &HttpRequest, lang: Lang) -> Option<String> {
    let key = query_value(req, "msg")?;
    let key = NOTICES.iter().find(|k| **k == key)?;
    let count = query_value(req, "count")
        .filter(|c| c.len() <= 6 && c.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_default();
    Some(lang.tf(key, &[("count", &count)]))
}

/// A value of the query string (`application/x-www-form-urlencoded`).
pub fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    url_decode_pairs(req.query_string())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn url_decode_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `+` and `%XX`; a malformed escape is kept as it is.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(v)) => {
                out.push(v);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A redirect after a POST (`303 See Other`).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Renders a template with status 200.
pub fn render<T: Template>(page: &Page, tmpl: &T) -> Result<HttpResponse, AppError> {
    render_status(page, tmpl, StatusCode::OK)
}

/// Renders a template with a status (e.g. 400 for a form with errors).
pub fn render_status<T: Template>(
    page: &Page,
    tmpl: &T,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let body = tmpl.render().map_err(|e| {
        eprintln!("error: a UI template failed to render: {e}");
        AppError::internal().html()
    })?;
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if page.set_lang_cookie {
        res.cookie(lang_cookie(page.lang));
    }
    Ok(res.body(body))
}

fn lang_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .same_site(SameSite::Strict)
        .http_only(true)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// The field errors of a form: field name → message (translated).
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// No errors.
    pub fn new() -> Self {
        FieldErrors(Vec::new())
    }

    /// Adds an error for a field (the first one per field counts).
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    /// The error of a field.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether the field has an error.
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All, in the order added (for the summary at the top of the form).
    pub fn all(&self) -> &[(&'static str, String)] {
        &self.0
    }
}
