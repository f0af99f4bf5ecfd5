//! The web layer's one error type, [`AppError`].
//!
//! # Policy
//!
//! - Every error has a stable machine-readable **code** (the JSON API's
//!   contract, and the key the clerk UI translates) and an English
//!   **message** a person can act on. Codes in use:
//!
//!   | code | status | meaning |
//!   |---|---|---|
//!   | `unauthorized` | 401 | no valid session/token, or a wrong user name or password |
//!   | `forbidden` | 403 | the role may not do this; `reason` is `token_permissions` when the API token is limited to permissions without this one |
//!   | `password_change_required` | 403 | a one-time password must be changed first |
//!   | `csrf` | 403 | the form's CSRF token does not match the session |
//!   | `other_site` | 403 | the card or list belongs to another site than the user's (clerks and supervisors work within their site) |
//!   | `site_closed` | 403 | the site is closed: its users can no longer work, and no one can be put there (an admin can reopen it) |
//!   | `not_found` | 404 | no such card, user, route |
//!   | `invalid_input` | 400 | a field breaks a rule; `field` names it |
//!   | `unprintable_character` | 400 | a name has a character that the office's card template cannot print; `field` names the field, `character` the code point (`U+1F600`) |
//!   | `name_too_long` | 400 | a name does not fit its box on the card even on two lines at the smallest size; `field` names it |
//!   | `cannot_print` | 422 | the card cannot be printed (card PDF, reprint, print queue; UI and API alike); `reason` is a printing code: `unprintable_character`, `name_too_long`, `name_rule`, `photo_unusable`, `photo_required`, `qr_too_large`, `card_unavailable` |
//!   | `possible_duplicate` | 409 | a resident with that name and birth date exists; `cards` lists their cards |
//!   | `outside_renewal_window` | 409 | a renewal outside the card's renewal window; `renewal_window` has `opens`, `closes` (ISO dates) and `too_early` (else it closed: a new enrolment is needed) |
//!   | `conflict` | 409 | the record's state does not allow it (already revoked, name taken, …); an account rule adds `reason`: `own_account`, `last_admin`, `last_admin_role` |
//!   | `throttled` | 429 | too many failed logins; `retry_after` seconds (also a `Retry-After` header) |
//!   | `busy` | 503 | every password check the office runs at once is taken (login, password change, new user); `retry_after` seconds (also a `Retry-After` header) |
//!   | `session_required` | 403 | an API token may not do this (make a token, change the password): sign in with a password |
//!   | `payload_too_large` | 413 | the body is over the limit |
//!   | `unsupported_media_type` | 415 | the body is not JSON (API) |
//!   | `unavailable` | 503 | the signing keys are not usable |
//!   | `database_unavailable` | 503 | the database cannot be reached (answered at once while it is known to be down) |
//!   | `storage_full` | 503 | the database's disk is full: nothing can be written (logged as "disk full") |
//!   | `request_timeout` | 408 | the request body did not arrive in time (`[http] body_timeout_seconds`); the connection is closed |
//!   | `internal` | 500 | anything else; the details go to the server log only |
//!
//! - Never a stack trace, a database message, a file path, or personal data
//!   (a name, a date of birth, a password, a token): messages come from the
//!   domain's [`crate::Error`], whose variants carry only the field and the
//!   rule (docs/logging.md). Server faults (5xx) are logged with their code
//!   and domain message, which hold no personal data either.
//! - JSON body: `{"error": {"code": "…", "message": "…", "field": "…"?,
//!   "retry_after": N?, "cards": […]?, "reason": "…"?}}`.
//!
//! # HTML errors (the clerk UI)
//!
//! An `AppError` renders as JSON unless it was marked with
//! [`AppError::html`] (the session extractor [`crate::web::auth::AuthUser`]
//! marks its own errors so). A marked error renders as:
//! - `unauthorized` → `303 See Other` to [`LOGIN_PATH`]`?next=…`;
//! - `password_change_required` → `303` to [`PASSWORD_PATH`];
//! - anything else → a page from the [`HtmlErrorRenderer`] that the UI puts
//!   into the app data, or a minimal built-in page when there is none. The
//!   renderer is applied by the [`html_error_pages`] middleware; wrap the UI
//!   scope (or the whole app) with it.
//!
//! UI handlers that want HTML for domain errors call
//! `state.run(...).await.map_err(AppError::html)?`, or use [`HtmlResult`].

use crate::error::Error as DomainError;
use crate::output::PrintError;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Where an unauthenticated HTML request is sent.
pub const LOGIN_PATH: &str = "/login";
/// Where a user with a one-time password is sent.
pub const PASSWORD_PATH: &str = "/account/password";

/// Result of a handler.
pub type AppResult<T> = Result<T, AppError>;
/// Result of a UI handler (same type; the name documents the intent that
/// its errors are `.html()`).
pub type HtmlResult<T> = Result<T, AppError>;

/// The one error type of the web layer. See the module docs for the codes.
/// (Boxed, so that `Result<T, AppError>` stays small.)
#[derive(Debug, Clone)]
pub struct AppError(Box<ErrorInner>);

#[derive(Debug, Clone)]
struct ErrorInner {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<&'static str>,
    rule: Option<&'static str>,
    retry_after: Option<u64>,
    extra: Option<(&'static str, serde_json::Value)>,
    html: bool,
    next: Option<String>,
}

impl AppError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError(Box::new(ErrorInner {
            status,
            code,
            message: message.into(),
            field: None,
            rule: None,
            retry_after: None,
            extra: None,
            html: false,
            next: None,
        }))
    }

    /// `401 unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "not signed in, or the session has ended",
        )
    }

    /// `403 forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// `404 not_found`.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }

    /// `400 invalid_input` for a field.
    pub fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("{field}: {problem}"),
        );
        e.0.field = Some(field);
        e
    }

    /// The rule a field breaks ([`crate::error::Rule::code`]), for an
    /// error made with [`AppError::invalid`].
    pub fn with_rule(mut self, rule: crate::error::Rule) -> Self {
        self.0.rule = Some(rule.code());
        self
    }

    /// `400 invalid_input` for a body that could not be read at all.
    pub fn bad_body(problem: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", problem)
    }

    /// `413 payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {} KiB", limit / 1024),
        )
    }

    /// `408 request_timeout`: the body did not arrive in time.
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request body did not arrive in time",
        )
    }

    /// `500 internal` (log the cause yourself; it is not shown).
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; the server log has the details",
        )
    }

    /// `503 unavailable`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// Adds one extra JSON member to the error object (e.g. `cards`). It must
    /// hold no personal data.
    pub fn with_extra(mut self, key: &'static str, value: serde_json::Value) -> Self {
        self.0.extra = Some((key, value));
        self
    }

    /// Renders this error as HTML (redirects for `unauthorized` and
    /// `password_change_required`, else an error page). For UI handlers.
    pub fn html(mut self) -> Self {
        self.0.html = true;
        self
    }

    /// For an HTML `unauthorized`: the path to come back to after login
    /// (only a local path is kept).
    pub fn with_next(mut self, path: &str) -> Self {
        if let Some(path) = super::redirect::safe_next(path) {
            self.0.next = Some(path.to_owned());
        }
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }
    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.0.code
    }
    /// The message (English; no personal data).
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// The field the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        self.0.field
    }
    /// The rule the field breaks ([`crate::error::Rule::code`], or for
    /// `attestation` which check: `identity`, `residence`), if known.
    pub fn rule(&self) -> Option<&'static str> {
        self.0.rule
    }
    /// The extra JSON member, if any (e.g. `character`).
    pub fn extra(&self) -> Option<(&'static str, &serde_json::Value)> {
        self.0.extra.as_ref().map(|(k, v)| (*k, v))
    }
    /// The machine-readable reason of a `conflict` that an account rule
    /// refused (`own_account`, `last_admin`, `last_admin_role`).
    pub fn reason(&self) -> Option<&str> {
        match &self.0.extra {
            Some(("reason", serde_json::Value::String(r))) => Some(r),
            _ => None,
        }
    }
    /// Seconds until a throttle ends, if throttled.
    pub fn retry_after(&self) -> Option<u64> {
        self.0.retry_after
    }
    /// Whether the error renders as HTML.
    pub fn is_html(&self) -> bool {
        self.0.html
    }

    fn json_body(&self) -> serde_json::Value {
        let mut obj = serde_json::Map::new();
        obj.insert("code".into(), self.0.code.into());
        obj.insert("message".into(), self.0.message.clone().into());
        if let Some(f) = self.0.field {
            obj.insert("field".into(), f.into());
        }
        if let Some(r) = self.0.rule {
            obj.insert("rule".into(), r.into());
        }
        if let Some(s) = self.0.retry_after {
            obj.insert("retry_after".into(), s.into());
        }
        if let Some((k, v)) = &self.0.extra {
            obj.insert((*k).into(), v.clone());
        }
        serde_json::json!({ "error": obj })
    }

    fn redirect(location: &str) -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location.to_owned()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()
    }

    /// The built-in HTML page (used when the UI registered no renderer).
    pub fn default_html_page(&self) -> HttpResponse {
        let body = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>{status}</title></head><body><h1>{status}</h1><p>{msg}</p>\
             <p><a href=\"/\">Back</a></p></body></html>\n",
            status = escape_html(&self.0.status.to_string()),
            msg = escape_html(&self.0.message),
        );
        HttpResponse::build(self.0.status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.code, self.0.message)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if self.0.html {
            match self.0.code {
                "unauthorized" => {
                    let location = match &self.0.next {
                        Some(next) => format!("{LOGIN_PATH}?next={}", encode_query(next)),
                        None => LOGIN_PATH.to_owned(),
                    };
                    return Self::redirect(&location);
                }
                "password_change_required" => return Self::redirect(PASSWORD_PATH),
                // The page itself is made by `html_error_pages` (it has the
                // request and the app data); this is the fallback.
                _ => return self.default_html_page(),
            }
        }
        let mut res = HttpResponse::build(self.0.status);
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(s) = self.0.retry_after {
            res.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        if self.0.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.json(self.json_body())
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        use DomainError as E;
        let message = e.to_string();
        match &e {
            E::Forbidden { .. } => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            E::TokenForbidden { .. } => Self::new(StatusCode::FORBIDDEN, "forbidden", message)
                .with_extra("reason", "token_permissions".into()),
            E::PasswordChangeRequired => {
                Self::new(StatusCode::FORBIDDEN, "password_change_required", message)
            }
            E::Csrf => Self::new(StatusCode::FORBIDDEN, "csrf", message),
            // Neither message names the site: a site's name and kind are
            // sealed (issue 11).
            E::OtherSite => Self::new(
                StatusCode::FORBIDDEN,
                "other_site",
                "this card or list belongs to another site: clerks and supervisors work \
                 only with the cards enrolled or picked up at their own site",
            ),
            E::SiteClosed => Self::new(
                StatusCode::FORBIDDEN,
                "site_closed",
                "the site is closed: no work is done there any more (an administrator can \
                 reopen it)",
            ),
            E::Invalid {
                field,
                rule,
                code_point,
            } => {
                let mut err = Self::new(StatusCode::BAD_REQUEST, "invalid_input", message);
                err.0.field = Some(field);
                err.0.rule = Some(rule.code());
                if let Some(c) = code_point {
                    err.0.extra = Some(("character", format!("U+{c:04X}").into()));
                }
                err
            }
            E::Unprintable { field, character } => {
                let mut err = Self::new(StatusCode::BAD_REQUEST, e.code(), message);
                err.0.field = Some(field);
                if let Some(c) = character {
                    err.0.extra = Some(("character", format!("U+{:04X}", u32::from(*c)).into()));
                }
                err
            }
            E::AttestationMissing(which) => {
                let mut err = Self::new(StatusCode::BAD_REQUEST, "invalid_input", message);
                err.0.field = Some("attestation");
                err.0.rule = Some(which.code());
                err
            }
            E::CardNumber(rule) => {
                let mut err = Self::new(StatusCode::BAD_REQUEST, "invalid_input", message);
                err.0.field = Some("card_number");
                err.0.rule = Some(rule.code());
                err
            }
            E::OutsideRenewalWindow {
                opens,
                closes,
                too_early,
            } => Self::new(StatusCode::CONFLICT, "outside_renewal_window", message).with_extra(
                "renewal_window",
                serde_json::json!({
                    "opens": citycard_credential::date::format(*opens),
                    "closes": citycard_credential::date::format(*closes),
                    "too_early": too_early,
                }),
            ),
            E::NotFound(_) => Self::new(StatusCode::NOT_FOUND, "not_found", message),
            E::InvalidState(_) | E::Conflict(_) => {
                Self::new(StatusCode::CONFLICT, "conflict", message)
            }
            E::AccountRule(rule) => Self::new(StatusCode::CONFLICT, "conflict", message)
                .with_extra("reason", rule.code().into()),
            E::BadCredentials => Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message),
            E::Unauthenticated => Self::unauthorized(),
            E::Throttled { retry_after_secs } => {
                let mut err = Self::new(StatusCode::TOO_MANY_REQUESTS, "throttled", message);
                err.0.retry_after = Some(*retry_after_secs);
                err
            }
            E::Busy { retry_after_secs } => {
                // Not logged: it is the bound working, and a flood of it
                // would flood the log.
                let mut err = Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message);
                err.0.retry_after = Some(*retry_after_secs);
                err
            }
            E::SessionRequired => Self::new(StatusCode::FORBIDDEN, "session_required", message),
            E::Unavailable(_) => {
                log_server_error(&e);
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the database is unavailable; try again shortly",
                )
            }
            E::StorageFull => {
                log_server_error(&e);
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_full",
                    "the office's disk is full: nothing can be saved until an administrator \
                     frees space; try again later",
                )
            }
            E::Keys(_) | E::Signing(_) => {
                log_server_error(&e);
                Self::unavailable(
                    "the office cannot sign cards at the moment; the server log has the details",
                )
            }
            _ => {
                log_server_error(&e);
                Self::internal()
            }
        }
    }
}

/// The one mapping of a printing error, for the clerk UI and the API alike:
/// the card's own problem is `422 cannot_print` with the printing code as
/// `reason` ([`PrintError::code`]: `unprintable_character`,
/// `name_too_long`, `name_rule`, `photo_unusable`, `photo_required`,
/// `qr_too_large`, `card_unavailable`); a fault of the office (its
/// template, fonts or disk) is logged and answered `500 internal`.
impl From<&PrintError> for AppError {
    fn from(e: &PrintError) -> Self {
        if e.is_card_problem() {
            // These name the field, the rule or the code point: no personal data.
            Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "cannot_print",
                e.to_string(),
            )
            .with_extra("reason", e.code().into())
        } else {
            eprintln!("error: printing: code={} {e}", e.code());
            Self::internal()
        }
    }
}

impl From<PrintError> for AppError {
    fn from(e: PrintError) -> Self {
        Self::from(&e)
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        eprintln!("error: a blocking task was cancelled (the thread pool is shutting down)");
        Self::internal()
    }
}

/// Server faults go to stderr with their code; domain messages hold no
/// personal data (file paths of keys may appear: the log is the operator's).
fn log_server_error(e: &DomainError) {
    eprintln!("error: code={} {e}", e.code());
}

/// Makes the HTML error page. The UI registers one as app data:
/// `App::new().app_data(web::Data::new(HtmlErrorRenderer::new(|req, err| …)))`.
#[derive(Clone)]
pub struct HtmlErrorRenderer(Arc<RenderFn>);

type RenderFn = dyn Fn(&HttpRequest, &AppError) -> HttpResponse + Send + Sync;

impl HtmlErrorRenderer {
    /// A renderer from a function. It must not fail and must escape the
    /// message.
    pub fn new(
        render: impl Fn(&HttpRequest, &AppError) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        HtmlErrorRenderer(Arc::new(render))
    }
}

impl fmt::Debug for HtmlErrorRenderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HtmlErrorRenderer")
    }
}

/// Middleware that replaces the built-in HTML error page of an
/// [`AppError::html`] error by the page of the registered
/// [`HtmlErrorRenderer`] (redirects are left alone). Wrap the UI's scope
/// with it.
pub fn html_error_pages<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let page = res
            .response()
            .error()
            .and_then(|e| e.as_error::<AppError>())
            .filter(|e| e.is_html())
            .and_then(|e| {
                res.request()
                    .app_data::<web::Data<HtmlErrorRenderer>>()
                    .map(|r| (r.0)(res.request(), e))
            });
        match page {
            Some(page) => {
                let (req, _) = res.into_parts();
                Ok(ErrorHandlerResponse::Response(
                    ServiceResponse::new(req, page).map_into_right_body(),
                ))
            }
            None => Ok(ErrorHandlerResponse::Response(res.map_into_left_body())),
        }
    })
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path for a query value.
fn encode_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The JSON error for bodies actix could not parse: too large (413), not
/// JSON (415), or malformed (400). Used by the API's `JsonConfig`.
pub fn json_error(err: actix_web::error::JsonPayloadError, limit: usize) -> AppError {
    use actix_web::error::JsonPayloadError as J;
    match err {
        J::OverflowKnownLength { .. } | J::Overflow { .. } => AppError::payload_too_large(limit),
        J::ContentType => AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be JSON (Content-Type: application/json)",
        ),
        J::Deserialize(e) => {
            // serde_json's message names the field and the position, never
            // the offending value for our types (strings are not quoted).
            let what = match e.classify() {
                serde_json::error::Category::Data => "the JSON does not match the expected fields",
                _ => "the body is not valid JSON",
            };
            AppError::bad_body(format!("{what} (line {}, column {})", e.line(), e.column()))
        }
        _ => AppError::bad_body("the body could not be read"),
    }
}

/// Serialises to JSON or answers 500.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_errors_map_to_stable_codes() {
        let e: AppError = DomainError::invalid("family_name", crate::error::Rule::Required).into();
        assert_eq!((e.status().as_u16(), e.code()), (400, "invalid_input"));
        assert_eq!(e.field(), Some("family_name"));
        let e: AppError = DomainError::Throttled {
            retry_after_secs: 90,
        }
        .into();
        assert_eq!((e.status().as_u16(), e.code()), (429, "throttled"));
        assert_eq!(e.retry_after(), Some(90));
        let e: AppError = DomainError::BadCredentials.into();
        assert_eq!(e.code(), "unauthorized");
        let e: AppError = DomainError::OtherSite.into();
        assert_eq!((e.status().as_u16(), e.code()), (403, "other_site"));
        let e: AppError = DomainError::SiteClosed.into();
        assert_eq!((e.status().as_u16(), e.code()), (403, "site_closed"));
        let e: AppError = DomainError::StorageFull.into();
        assert_eq!((e.status().as_u16(), e.code()), (503, "storage_full"));
        let e: AppError = DomainError::Unavailable("down".into()).into();
        assert_eq!(
            (e.status().as_u16(), e.code()),
            (503, "database_unavailable")
        );
        let e: AppError = DomainError::Integrity("x").into();
        assert_eq!((e.status().as_u16(), e.code()), (500, "internal"));
        assert!(!e.message().contains('x'));
    }

    #[test]
    fn html_unauthorized_redirects_to_login() {
        let res = AppError::unauthorized()
            .html()
            .with_next("/cards/1?x")
            .error_response();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some("/login?next=/cards/1%3Fx")
        );
        let res = AppError::unauthorized()
            .html()
            .with_next("//evil.example")
            .error_response();
        assert_eq!(
            res.headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some("/login")
        );
    }
}
