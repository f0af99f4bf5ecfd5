//! The HTTP server: for now the desk verifier page and the published lists
//! (issue 5); the issuing office (issue 3) will add its own modules here.
//!
//! Everything the server needs comes in through [`ServerConfig`]; there are
//! no globals.

pub mod data_dir;
pub mod desk;

use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, Result};

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub bind: String,
    /// The desk page and the lists.
    pub desk: desk::DeskConfig,
}

/// Headers on every response: a strict CSP and no leaks through referrers or
/// MIME sniffing. Only the page's own files are allowed, and no inline code.
pub fn default_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", desk::CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Permissions-Policy",
            "camera=(self), microphone=(), geolocation=()",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body("ok\n")
}

/// Registers every route of the server.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .configure(desk::configure);
}

/// Runs the server until SIGINT or SIGTERM (actix stops gracefully: it stops
/// accepting, lets running requests finish, then returns).
pub async fn serve(config: ServerConfig) -> Result<()> {
    let desk = web::Data::new(desk::DeskState::new(config.desk.clone())?);
    eprintln!(
        "Desks pin the root key fingerprint {}",
        desk.root_fingerprint()
    );
    let server = HttpServer::new(move || {
        App::new()
            .app_data(desk.clone())
            .wrap(default_headers())
            .configure(configure)
    })
    .bind(&config.bind)
    .with_context(|| format!("could not listen on {}", config.bind))?;
    for addr in server.addrs() {
        eprintln!("Listening on http://{addr}/ — desk page: http://{addr}/verify/");
    }
    server
        .run()
        .await
        .context("the server stopped with an error")
}
