//! Who is asking: session cookies (clerk UI), bearer tokens (JSON API),
//! roles, CSRF, and the client address for login throttling.
//!
//! # For UI handlers
//!
//! ```ignore
//! // Any signed-in user (also one with a one-time password: the password
//! // page needs that). Without a valid session: 303 to /login?next=<path>.
//! async fn page(state: web::Data<AppState>, user: AuthUser) -> HtmlResult<HttpResponse> {
//!     user.require(Permission::IssueCards)?;          // 403 page, or 303 to the password page
//!     let token = user.csrf_token();                   // put into every form as `csrf_token`
//!     …
//! }
//! async fn post(user: AuthUser, form: web::Form<MyForm>) -> HtmlResult<HttpResponse> {
//!     user.check_csrf(&form.csrf_token)?;              // FIRST, on every state-changing form
//!     …
//! }
//! // POST /login:
//! check_same_origin(&req)?;
//! let session = login(&state, &username, password, client).await.map_err(AppError::html)?;
//! HttpResponse::SeeOther().cookie(session_cookie(&state, &session)) …
//! // POST /logout (after check_csrf):
//! logout(&state, &user).await?; HttpResponse::SeeOther().cookie(removal_cookie(&state)) …
//! ```
//!
//! # For API handlers
//!
//! [`ApiUser`] reads `Authorization: Bearer <token>` (a session token from
//! `POST /api/v1/sessions` or an API token). Errors are JSON. API requests
//! need no CSRF token: a browser never adds the header by itself.
//!
//! # Cookie
//!
//! [`SESSION_COOKIE`]: `HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure`
//! under TLS, no `Max-Age` (it ends with the browser); the server ends the
//! session after the configured idle time and lifetime anyway. Only the
//! token's hash is stored.
//!
//! # Client address
//!
//! [`ClientAddr`]: the peer's address; when the peer is one of the
//! configured `trusted_proxies`, the right-most address of
//! `X-Forwarded-For` that is not itself a trusted proxy.

use super::error::AppError;
use super::state::AppState;
use crate::config::IpNet;
use crate::office::accounts::{Authenticated, NewSession};
use crate::office::actor::{Actor, Permission, Role};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "citycard_session";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| {
            eprintln!("error: AppState is not registered in the app");
            AppError::internal()
        })
}

/// A user signed in with the session cookie (clerk UI). Its errors render
/// as HTML: no session → `303` to `/login?next=<path>`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    auth: Authenticated,
    token: String,
}

impl AuthUser {
    /// Who.
    pub fn actor(&self) -> &Actor {
        &self.auth.actor
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.auth.actor.role
    }

    /// The session's CSRF token: put it into every form as [`CSRF_FIELD`].
    pub fn csrf_token(&self) -> &str {
        self.auth.csrf_token.as_deref().unwrap_or_default()
    }

    /// Checks a submitted form's CSRF token (constant time). Call it first
    /// in every handler of a state-changing form.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        self.auth
            .check_csrf(submitted)
            .map_err(|e| AppError::from(e).html())
    }

    /// Refuses (HTML) unless the role has the permission and no password
    /// change is pending.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        require(self.actor(), p).map_err(AppError::html)
    }

    /// Refuses (HTML) unless the role is one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), AppError> {
        require_role(self.actor(), roles).map_err(AppError::html)
    }

    /// The session token (to end the session).
    fn token(&self) -> &str {
        &self.token
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let next = match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let state = state_of(req);
        let req = req.clone();
        Box::pin(async move {
            let login = || AppError::unauthorized().html().with_next(&next);
            let state = state.map_err(AppError::html)?;
            let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) else {
                return Err(login());
            };
            let t = token.clone();
            match state
                .run(move |office| office.authenticate_session(&t))
                .await
            {
                Ok(auth) => {
                    let user = AuthUser { auth, token };
                    // The UI's error pages keep the header, menu and
                    // "sign out" of the signed-in user (errors::error_page).
                    req.extensions_mut().insert(user.clone());
                    Ok(user)
                }
                Err(e) if e.code() == "unauthorized" => Err(login()),
                Err(e) => Err(e.html()),
            }
        })
    }
}

/// A caller of the JSON API with `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct ApiUser {
    auth: Authenticated,
    token: SecretString,
}

impl ApiUser {
    /// Who.
    pub fn actor(&self) -> &Actor {
        &self.auth.actor
    }

    /// Refuses unless the role has the permission.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        require(self.actor(), p)
    }

    /// Refuses unless the role is one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), AppError> {
        require_role(self.actor(), roles)
    }

    /// The bearer token as sent.
    pub fn token(&self) -> &SecretString {
        &self.token
    }
}

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = state_of(req);
        Box::pin(async move {
            let state = state?;
            let token = token.ok_or_else(AppError::unauthorized)?;
            // A token checked less than a second ago needs no database
            // read, and so no trip to the blocking pool (accounts::auth_cache).
            if let Some(auth) = state.office().remembered_bearer(token.expose_secret()) {
                return Ok(ApiUser { auth, token });
            }
            let t = token.clone();
            let auth = state
                .run(move |office| office.authenticate_bearer(t.expose_secret()))
                .await?;
            Ok(ApiUser { auth, token })
        })
    }
}

/// The token of an `Authorization: Bearer …` header, if well-formed.
pub fn bearer_token(req: &HttpRequest) -> Option<SecretString> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 128)
        .then(|| SecretString::from(token.to_owned()))
}

/// Refuses unless the actor's role has the permission (and no password
/// change is pending). JSON error; UI code adds `.html()`.
pub fn require(actor: &Actor, p: Permission) -> Result<(), AppError> {
    actor.require(p).map_err(AppError::from)
}

/// Refuses unless the actor's role is one of `roles` (and no password
/// change is pending). An API token limited to some permissions never
/// passes a check by role alone: use [`require`] with the permission.
pub fn require_role(actor: &Actor, roles: &[Role]) -> Result<(), AppError> {
    if actor.must_change_password {
        return Err(crate::Error::PasswordChangeRequired.into());
    }
    if actor
        .api_token
        .as_ref()
        .is_some_and(|t| t.permissions.is_some())
    {
        return Err(crate::Error::TokenForbidden { action: "do this" }.into());
    }
    if roles.contains(&actor.role) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "a user with the role {} may not do this",
            actor.role
        )))
    }
}

/// Logs in with the office's throttling (per account and per client
/// address). Errors: `unauthorized` (wrong name or password; says not
/// which), `throttled` (with `retry_after`), `invalid_input`.
pub async fn login(
    state: &AppState,
    username: &str,
    password: SecretString,
    client: ClientAddr,
) -> Result<NewSession, AppError> {
    let username = username.to_owned();
    state
        .run(move |office| office.login(&username, &password, client.0))
        .await
}

/// Ends the user's session.
pub async fn logout(state: &AppState, user: &AuthUser) -> Result<(), AppError> {
    let token = user.token().to_owned();
    state
        .run(move |office| office.logout(&token))
        .await
        .map_err(AppError::html)
}

/// The cookie that carries a new session.
pub fn session_cookie(state: &AppState, session: &NewSession) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, session.token.expose_secret().to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.secure_cookies())
        .finish()
}

/// The cookie that removes the session cookie (logout).
pub fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.secure_cookies())
        .finish();
    c.make_removal();
    c
}

/// Refuses a browser's form POST that another site started (login CSRF
/// and a second line behind the CSRF token on every other form).
///
/// What a browser sends decides (`docs/office.md`, "Which form posts are
/// accepted"):
/// 1. `Sec-Fetch-Site` (Fetch Metadata, sent by current Chromium, Firefox
///    and Safari): `same-origin` and `none` (typed by the user) pass;
///    `same-site` and `cross-site` are refused.
/// 2. Without it, an `Origin` other than `null` must name this site's
///    `Host`. `Origin: null` (a sandboxed or opaque origin) is refused: under
///    our `Referrer-Policy: same-origin` a browser sends the real origin on
///    its own forms.
/// 3. Without either, a `Referer` must name this site.
/// 4. A request with none of these headers passes: it does not come from a
///    browser, and it still needs a session and a CSRF token.
pub fn check_same_origin(req: &HttpRequest) -> Result<(), AppError> {
    if same_origin_verdict(req) {
        Ok(())
    } else {
        Err(AppError::from(crate::Error::Csrf).html())
    }
}

/// `true` when [`check_same_origin`] lets the request pass.
fn same_origin_verdict(req: &HttpRequest) -> bool {
    let headers = req.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return matches!(site.trim(), "same-origin" | "none");
    }
    let host = req.connection_info().host().to_ascii_lowercase();
    let names_this_site = |url: &str| {
        url.split_once("://")
            .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default())
            .is_some_and(|h| h.eq_ignore_ascii_case(&host))
    };
    if let Some(origin) = text("origin") {
        return origin.trim() != "null" && names_this_site(origin.trim());
    }
    match text("referer") {
        Some(referer) => names_this_site(referer.trim()),
        None => true,
    }
}

/// Middleware for the clerk UI: every request other than `GET`/`HEAD`
/// passes [`check_same_origin`] before its handler runs.
pub async fn same_origin_forms(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::http::Method;
    if !matches!(*req.method(), Method::GET | Method::HEAD)
        && let Err(e) = check_same_origin(req.request())
    {
        // A response (not an `Err`), so that the UI's error pages render it.
        return Ok(req.error_response(e));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The client's address, for login throttling (`None` when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequest for ClientAddr {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.trusted_proxies().to_vec())
            .unwrap_or_default();
        std::future::ready(Ok(ClientAddr(client_addr(req, &trusted))))
    }
}

/// The client address: the peer, or, when the peer is a trusted proxy, the
/// right-most `X-Forwarded-For` entry that is not a trusted proxy.
pub fn client_addr(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| parse_forwarded_ip(s.trim()))
        .collect();
    for ip in forwarded.into_iter().rev() {
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:5678`.
fn parse_forwarded_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted = vec![IpNet::parse("10.0.0.0/8").unwrap()];
        let req = TestRequest::default()
            .peer_addr("192.0.2.7:1234".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.9"))
            .to_http_request();
        assert_eq!(client_addr(&req, &trusted), "192.0.2.7".parse().ok());
        let req = TestRequest::default()
            .peer_addr("10.1.2.3:1234".parse().unwrap())
            .insert_header(("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.9.9.9"))
            .to_http_request();
        assert_eq!(client_addr(&req, &trusted), "203.0.113.9".parse().ok());
        let req = TestRequest::default()
            .peer_addr("10.1.2.3:1234".parse().unwrap())
            .to_http_request();
        assert_eq!(client_addr(&req, &trusted), "10.1.2.3".parse().ok());
    }

    #[test]
    fn form_posts_from_this_site_only() {
        let verdict = |headers: &[(&str, &str)]| {
            let mut req = TestRequest::post()
                .uri("/login")
                .insert_header(("host", "office.example:8080"));
            for (k, v) in headers {
                req = req.insert_header((*k, *v));
            }
            same_origin_verdict(&req.to_http_request())
        };
        // Chromium under Referrer-Policy: no-referrer (the bug of issue 8).
        assert!(verdict(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "null")
        ]));
        assert!(verdict(&[("sec-fetch-site", "none")]));
        assert!(!verdict(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "null")
        ]));
        assert!(!verdict(&[("sec-fetch-site", "same-site")]));
        // Older browsers: Origin, then Referer.
        assert!(verdict(&[("origin", "http://office.example:8080")]));
        assert!(!verdict(&[("origin", "http://evil.example")]));
        assert!(!verdict(&[("origin", "http://office.example:8081")]));
        assert!(!verdict(&[("origin", "null")]));
        assert!(verdict(&[("referer", "http://office.example:8080/enrol")]));
        assert!(!verdict(&[(
            "referer",
            "http://evil.example/office.example:8080"
        )]));
        // Not a browser.
        assert!(verdict(&[]));
    }

    #[test]
    fn bearer_header() {
        let req = TestRequest::default()
            .insert_header(("authorization", "Bearer cca_abc"))
            .to_http_request();
        assert_eq!(
            bearer_token(&req).map(|t| t.expose_secret().to_owned()),
            Some("cca_abc".to_owned())
        );
        let req = TestRequest::default()
            .insert_header(("authorization", "Basic xyz"))
            .to_http_request();
        assert!(bearer_token(&req).is_none());
    }
}
