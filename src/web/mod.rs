//! The HTTP server of the issuing office: the JSON API (`/api/v1`), the
//! clerk UI (the `ui` module), the desk verifier page (`/verify/`), the
//! published lists (`/.well-known/citycard/…`) and `/healthz`.
//!
//! Everything comes in through values — an [`Office`] (which holds the
//! [`crate::config::Config`]) and a [`desk::DeskConfig`]; there are no
//! globals.
//!
//! Building blocks for handlers (stable API):
//! - [`state::AppState`] (`web::Data<AppState>`): `office()`, `config()`,
//!   and `run(|office| …)` for blocking office calls on the blocking pool;
//! - [`auth`]: `AuthUser` (session cookie, HTML errors), `ApiUser`
//!   (bearer), `require`/`require_role`, CSRF (`AuthUser::csrf_token`,
//!   `AuthUser::check_csrf`), `login`/`logout`/`session_cookie`/
//!   `removal_cookie`, `ClientAddr`, `check_same_origin`;
//! - [`error`]: `AppError` with stable codes (JSON, or HTML with
//!   `.html()`), `HtmlErrorRenderer` + `html_error_pages()`.
//!
//! The UI module, when present, exports `pub fn configure(cfg: &mut
//! web::ServiceConfig)`; [`app`] mounts it after the API, the desk page and
//! the lists, wrapped in [`error::html_error_pages`].
//!
//! Requests are logged as method, path (card numbers masked, no query
//! string), status and duration — never a body, a query or a header.

pub mod api;
pub mod auth;
pub mod body_timeout;
pub mod desk;
pub mod error;
pub mod export;
pub mod forms;
pub mod redirect;
pub mod state;
pub mod ui;

use crate::office::Office;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, Result};
use error::AppError;
use state::AppState;
use std::time::{Duration, Instant};

/// The content security policy of the office's own pages: only the site's
/// own files, no inline code, forms only to this site, no framing.
pub const OFFICE_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// How often [`Office::maintenance`] runs (re-signs the revocation list,
/// deletes photos past their retention, purges ended sessions).
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Headers on every response: no MIME sniffing, no referrers to other
/// sites (`same-origin`: browsers then send this site's `Origin` on its own
/// forms, which [`auth::check_same_origin`] needs), no framing.
/// The CSP is set per area by [`app`] (the desk page needs the camera).
pub fn default_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", desk::CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Permissions-Policy",
            "camera=(self), microphone=(), geolocation=()",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

/// `/healthz`: checks the database; answers `ok` or 503 with the reason
/// (`database unavailable`, `storage full`). No personal data.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    use crate::db::health::Status;
    let unhealthy = |body: &'static str| {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    };
    match state.office().db().health() {
        Status::Ok => {}
        Status::Unreachable => return unhealthy("database unavailable\n"),
        Status::StorageFull => {
            return unhealthy("storage full: the last write failed because the disk is full\n");
        }
    }
    let ok = state
        .run(|office| {
            office.db().read(|c| {
                use diesel::prelude::*;
                crate::db::schema::office_meta::table
                    .count()
                    .get_result::<i64>(c)?;
                Ok(())
            })
        })
        .await;
    match ok {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("ok\n"),
        Err(e) if e.code() == "storage_full" => {
            unhealthy("storage full: the last write failed because the disk is full\n")
        }
        Err(_) => unhealthy("database unavailable\n"),
    }
}

/// `/.well-known/citycard/revocations` on an office server: the list
/// stored in the database (the same on every server instance), or the file
/// while none was signed yet.
async fn revocations(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    desk: web::Data<desk::DeskState>,
) -> HttpResponse {
    match state.run(|office| office.published_revocations()).await {
        Ok(Some(bytes)) => desk::list_response(&req, bytes),
        Ok(None) => desk::revocations(req, desk).await,
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("database unavailable\n"),
    }
}

/// `/healthz` without an office (desk-only servers and tests).
async fn healthz_static() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("ok\n")
}

/// Registers the routes of a desk-only server (no office): the desk page,
/// the lists and `/healthz`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz_static))
        .configure(desk::configure);
}

/// A path for the request log: card numbers (segments of mostly digits)
/// are masked, and the query string is never included.
pub fn loggable_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let digits = seg.bytes().filter(u8::is_ascii_digit).count();
            if digits >= 6 { "{n}" } else { seg }
        })
        .collect::<Vec<_>>()
        .join("/")
        .chars()
        .take(200)
        .collect()
}

/// The whole application for an office: API, UI, desk page, lists,
/// `/healthz`, security headers and the request log.
pub fn app(
    state: web::Data<AppState>,
    desk: web::Data<desk::DeskState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let tls = state.secure_cookies();
    let body_timeout = state.config().http.body;
    App::new()
        .app_data(state)
        .app_data(desk)
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| AppError::bad_body(format!("bad path: {e}")).into()),
        )
        .app_data(
            web::QueryConfig::default()
                .error_handler(|_, _| AppError::bad_body("bad query parameters").into()),
        )
        .route("/healthz", web::get().to(healthz))
        .route(
            "/.well-known/citycard/revocations",
            desk::get_or_head().to(revocations),
        )
        .configure(api::configure)
        .configure(desk::configure)
        .configure(ui::configure)
        .default_service(web::to(|| async {
            AppError::not_found("page").error_response_boxed()
        }))
        .wrap_fn(move |mut req, srv| {
            body_timeout::with_deadline(&mut req, body_timeout);
            srv.call(req)
        })
        .wrap(default_headers())
        .wrap_fn(move |req, srv| {
            let started = Instant::now();
            let method = req.method().clone();
            let path = loggable_path(req.path());
            let desk_page = req.path().starts_with("/verify");
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                let headers = res.headers_mut();
                if !desk_page {
                    headers.insert(
                        header::CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static(OFFICE_CONTENT_SECURITY_POLICY),
                    );
                }
                if tls {
                    headers.insert(
                        header::STRICT_TRANSPORT_SECURITY,
                        HeaderValue::from_static("max-age=31536000"),
                    );
                }
                eprintln!(
                    "request: {method} {path} {} {}ms",
                    res.status().as_u16(),
                    started.elapsed().as_millis()
                );
                Ok(res)
            }
        })
}

trait BoxedError {
    fn error_response_boxed(self) -> HttpResponse;
}

impl BoxedError for AppError {
    fn error_response_boxed(self) -> HttpResponse {
        actix_web::ResponseError::error_response(&self)
    }
}

/// Loads a rustls server configuration from PEM files.
fn tls_config(tls: &crate::config::TlsConfig) -> Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .with_context(|| format!("could not read the TLS certificate {}", tls.cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("the TLS certificate {} is not PEM", tls.cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{} holds no certificate", tls.cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .with_context(|| format!("could not read the TLS key {}", tls.key.display()))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not fit together")
}

/// Runs [`Office::maintenance`] once on the blocking pool and logs what it
/// did (counts only).
pub async fn run_maintenance(state: &AppState) {
    match state.run(|office| office.maintenance()).await {
        Ok(m) => eprintln!(
            "maintenance: revocation list {} ({} numbers, next update {}), \
             {} photo(s) deleted, {} session row(s) purged, \
             {} resident(s) erased by the deletion schedule ({} ended, {} never printed), \
             {} card(s) not collected revoked, erased data scrubbed: {}",
            if m.revocations.signed {
                "re-signed"
            } else {
                "current"
            },
            m.revocations.revoked,
            m.revocations.next_update,
            m.photos_deleted,
            m.sessions_purged,
            m.erased.cards_ended + m.erased.never_printed,
            m.erased.cards_ended,
            m.erased.never_printed,
            m.not_collected,
            if m.scrubbed { "yes" } else { "not yet" }
        ),
        Err(e) => eprintln!("maintenance failed: {}: {}", e.code(), e.message()),
    }
}

/// Checks the whole audit chain on the blocking pool (after the start and
/// daily) and logs the outcome: the entries' count, or the first broken
/// entry's number and a fixed reason. The audit page then checks only the
/// entries written since (`office::audit::verified`).
pub async fn check_audit_chain(state: &AppState) {
    let started = std::time::Instant::now();
    match state.run(|office| office.check_audit_chain()).await {
        Ok(r) if r.first_broken.is_none() => eprintln!(
            "audit check: {r} (the whole chain, {:.1} s)",
            started.elapsed().as_secs_f64()
        ),
        Ok(r) => eprintln!("WARNING: audit check: {r}"),
        Err(e) => eprintln!("audit check failed: {}: {}", e.code(), e.message()),
    }
}

/// Runs the office's server until SIGINT or SIGTERM (actix stops
/// gracefully: it stops accepting, lets running requests finish, then
/// returns). Runs maintenance once before listening and then daily.
pub async fn serve(office: Office, desk: desk::DeskConfig) -> Result<()> {
    let config = office.config().clone();
    let state = web::Data::new(AppState::new(office));
    let desk = web::Data::new(desk::DeskState::new(desk)?);
    eprintln!(
        "Desks pin the root key fingerprint {}",
        desk.root_fingerprint()
    );
    run_maintenance(&state).await;
    let timer_state = state.clone();
    actix_web::rt::spawn(async move {
        // The whole audit chain, while the server already answers.
        check_audit_chain(&timer_state).await;
        let mut interval = actix_web::rt::time::interval(MAINTENANCE_INTERVAL);
        interval.tick().await; // the first tick is immediate: done above
        loop {
            interval.tick().await;
            run_maintenance(&timer_state).await;
            check_audit_chain(&timer_state).await;
        }
    });
    let app_state = state.clone();
    let server = with_timeouts(
        HttpServer::new(move || app(app_state.clone(), desk.clone())),
        &config.http,
    )
    .shutdown_timeout(30);
    let (server, scheme) = match &config.tls {
        Some(tls) => (
            server
                .bind_rustls_0_23(&config.bind, tls_config(tls)?)
                .with_context(|| format!("could not listen on {}", config.bind))?,
            "https",
        ),
        None => (
            server
                .bind(&config.bind)
                .with_context(|| format!("could not listen on {}", config.bind))?,
            "http",
        ),
    };
    for addr in server.addrs() {
        eprintln!(
            "Listening on {scheme}://{addr}/ — clerks: {scheme}://{addr}/ — desk page: {scheme}://{addr}/verify/"
        );
    }
    server
        .run()
        .await
        .context("the server stopped with an error")?;
    eprintln!("Stopped.");
    Ok(())
}

/// Sets the client timeouts of `[http]` (issue 10 finding 13): the
/// request head, keep-alive and closing; the body has its own deadline
/// in [`app`] ([`body_timeout`]).
pub fn with_timeouts<F, I, S, B>(
    server: HttpServer<F, I, S, B>,
    timeouts: &crate::config::HttpTimeouts,
) -> HttpServer<F, I, S, B>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: actix_service::IntoServiceFactory<S, actix_http::Request>,
    S: ServiceFactory<actix_http::Request, Config = actix_web::dev::AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<actix_http::Response<B>> + 'static,
    B: MessageBody + 'static,
{
    server
        .client_request_timeout(timeouts.head)
        .client_disconnect_timeout(timeouts.disconnect)
        .keep_alive(timeouts.keep_alive)
}

/// Runs a desk-only server (no office database): the desk page and lists.
pub async fn serve_desk(bind: &str, desk: desk::DeskConfig) -> Result<()> {
    let desk = web::Data::new(desk::DeskState::new(desk)?);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(desk.clone())
            .wrap(default_headers())
            .configure(configure)
    })
    .bind(bind)
    .with_context(|| format!("could not listen on {bind}"))?;
    server
        .run()
        .await
        .context("the server stopped with an error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_masked_in_the_log() {
        assert_eq!(
            loggable_path("/api/v1/cards/0123-4567-8906/revoke"),
            "/api/v1/cards/{n}/revoke"
        );
        assert_eq!(loggable_path("/cards/012345678906"), "/cards/{n}");
        assert_eq!(loggable_path("/healthz"), "/healthz");
    }
}
