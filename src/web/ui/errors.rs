//! Errors in the clerk's language: a domain error about a field next to
//! the field (translated from its field and rule codes, never from its
//! English text), and the HTML error pages.

use super::i18n::Lang;
use super::templates::ErrorPage;
use super::view::{Page, render_status};
use crate::web::auth::AuthUser;
use crate::web::error::AppError;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

/// Maps a domain error about a form field to (field, translated message).
/// `None` for errors that are not about a field.
pub fn field_error(lang: Lang, e: &AppError) -> Option<(&'static str, String)> {
    let field = e.field()?;
    // By codes only (field and rule), never by the English message: the
    // catalog's `field.<field>_<rule>`, else `field.<field>`.
    if field == "attestation" {
        let which = match e.rule() {
            Some("identity") => "attest_identity",
            Some("caretaker") => "attest_caretaker",
            _ => "attest_residence",
        };
        return Some((which, lang.t(&format!("field.{which}")).to_owned()));
    }
    if let Some(rule) = e.rule() {
        let key = format!("field.{field}_{rule}");
        if lang.has(&key) {
            return Some((field, lang.t(&key).to_owned()));
        }
    }
    let key = format!("field.{field}");
    lang.has(&key).then(|| (field, lang.t(&key).to_owned()))
}

/// The HTML error page for an [`AppError`] marked `.html()` (registered
/// as the backbone's `HtmlErrorRenderer`).
pub fn error_page(req: &HttpRequest, err: &AppError) -> HttpResponse {
    // A signed-in user keeps the header, the menu and "sign out".
    let user = req.extensions().get::<AuthUser>().cloned();
    let page = match &user {
        Some(user) => Page::new(req, user, "error.title"),
        None => Page::anonymous(req, "error.title"),
    };
    let lang = page.lang;
    let (title, message) = match err.code() {
        "forbidden" | "password_change_required" => (
            "error.forbidden_title",
            lang.t("error.forbidden").to_owned(),
        ),
        "csrf" => ("error.title", lang.t("error.csrf").to_owned()),
        "other_site" => (
            "error.forbidden_title",
            lang.t("error.other_site").to_owned(),
        ),
        "site_closed" => (
            "error.forbidden_title",
            lang.t("error.site_closed").to_owned(),
        ),
        "not_found" => (
            "error.not_found_title",
            lang.t("error.not_found").to_owned(),
        ),
        "conflict" if err.reason().is_some() => (
            "error.title",
            lang.t(match err.reason() {
                Some("own_account") => "users.self_disable",
                Some("last_admin_role") => "users.last_admin_role",
                _ => "users.last_admin",
            })
            .to_owned(),
        ),
        "conflict" => (
            "error.title",
            if lang == Lang::En {
                lang.tf("error.invalid_state", &[("detail", err.message())])
            } else {
                lang.tf("error.invalid_state", &[("detail", "")])
                    .trim_end_matches([':', ' ', '.'])
                    .to_owned()
                    + "."
            },
        ),
        "throttled" => {
            let minutes = err
                .retry_after()
                .unwrap_or(60)
                .div_ceil(60)
                .max(1)
                .to_string();
            (
                "error.title",
                lang.tf("login.throttled", &[("minutes", &minutes)]),
            )
        }
        "busy" => ("error.title", lang.t("error.busy").to_owned()),
        "payload_too_large" => ("error.title", lang.t("error.too_large").to_owned()),
        "invalid_input" => ("error.title", lang.t("error.bad_request").to_owned()),
        "outside_renewal_window" => ("error.title", renewal_window_text(lang, err)),
        "unavailable" => ("error.title", lang.t("error.keys").to_owned()),
        "database_unavailable" => ("error.title", lang.t("error.database").to_owned()),
        "storage_full" => ("error.title", lang.t("error.storage_full").to_owned()),
        "request_timeout" => ("error.title", lang.t("error.request_timeout").to_owned()),
        _ => ("error.title", lang.t("error.internal").to_owned()),
    };
    let page = page.with_title(lang.t(title).to_owned());
    let tmpl = ErrorPage {
        page: &page,
        message,
    };
    match render_status(&page, &tmpl, err.status()) {
        Ok(mut res) => {
            if let Some(secs) = err.retry_after()
                && let Ok(value) = header::HeaderValue::from_str(&secs.to_string())
            {
                res.headers_mut().insert(header::RETRY_AFTER, value);
            }
            res
        }
        Err(_) => err.default_html_page(),
    }
}

/// Why a renewal was refused, with the window's dates, in the clerk's
/// language (from the error's `renewal_window`, never its English text).
fn renewal_window_text(lang: Lang, err: &AppError) -> String {
    let window = err.extra().map(|(_, v)| v);
    let date = |key: &str| {
        window
            .and_then(|w| w.get(key))
            .and_then(|d| d.as_str())
            .and_then(|d| citycard_credential::date::parse(d).ok())
            .map(|d| lang.date(d))
            .unwrap_or_default()
    };
    let too_early = window
        .and_then(|w| w.get("too_early"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    if too_early {
        lang.tf(
            "error.renewal_not_yet",
            &[("opens", &date("opens")), ("closes", &date("closes"))],
        )
    } else {
        lang.tf("error.renewal_closed", &[("closed", &date("closes"))])
    }
}

/// The enrolment form's error for a name the card cannot print (codes
/// `unprintable_character`, `name_too_long`), in the clerk's language.
pub fn unprintable_field_error(lang: Lang, e: &AppError) -> Option<(&'static str, String)> {
    let field = e.field()?;
    let msg = match e.code() {
        "unprintable_character" => {
            let shown = e
                .extra()
                .and_then(|(_, v)| v.as_str())
                .and_then(|u| u.strip_prefix("U+"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32)
                .map(|c| format!("U+{:04X} {c}", u32::from(c)))?;
            lang.tf("print.field_unprintable_character", &[("char", &shown)])
        }
        "name_too_long" => lang.t("print.field_name_too_long").to_owned(),
        _ => return None,
    };
    Some((field, msg))
}
