//! The clerk web UI: server-rendered pages (askama templates in
//! `templates/ui/`), German and English (`i18n/`), no JavaScript.
//!
//! - Every page checks the role on the server (`AuthUser::require`), and the
//!   domain checks it again.
//! - Every state-changing form carries the session's CSRF token, checked
//!   first in its handler; every form post (the login form too, which has
//!   no session yet) must come from this site (`auth::same_origin_forms`:
//!   Fetch Metadata, else `Origin`).
//! - No personal data in URLs: the search by name is a POST; card numbers
//!   (pseudonymous) appear in paths.
//! - Errors about a field are shown next to the field (`aria-describedby`)
//!   and in a summary at the top; other errors get an error page
//!   ([`errors::error_page`]).

mod admin;
mod cards;
mod dashboard;
mod errors;
pub mod i18n;
mod printing;
mod session;
mod sites;
mod svg;
mod templates;
mod upload;
mod view;

use crate::web::error::{HtmlErrorRenderer, html_error_pages};
use actix_web::http::header;
use actix_web::{HttpResponse, Resource, web};

/// The style sheet (no inline styles: the CSP allows only `'self'`).
const STYLE: &str = include_str!("style.css");

/// Most bytes of a URL-encoded form.
const FORM_LIMIT: usize = 64 * 1024;

/// A resource whose HTML errors are rendered by the UI, with the UI's
/// form limits.
fn page(path: &str) -> Resource {
    web::resource(path).app_data(web::FormConfig::default().limit(FORM_LIMIT).error_handler(
        |_, _| {
            crate::web::error::AppError::bad_body("the form could not be read")
                .html()
                .into()
        },
    ))
}

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLE)
}

/// Registers the UI's routes and its HTML error pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(HtmlErrorRenderer::new(errors::error_page)));
    let routes = [
        page("/ui/style.css").route(web::get().to(style)),
        page("/login")
            .route(web::get().to(session::login_form))
            .route(web::post().to(session::login)),
        page("/logout").route(web::post().to(session::logout)),
        page("/account/password")
            .route(web::get().to(session::password_form))
            .route(web::post().to(session::change_password)),
        page("/").route(web::get().to(dashboard::dashboard)),
        page("/enrol")
            .route(web::get().to(cards::enrol_form))
            .route(web::post().to(cards::enrol)),
        page("/search").route(web::get().to(cards::search_form)),
        page("/search/number").route(web::post().to(cards::search_number)),
        page("/search/name").route(web::post().to(cards::search_name)),
        page("/cards/{number}").route(web::get().to(cards::card)),
        page("/cards/{number}/pdf").route(web::get().to(printing::pdf)),
        page("/cards/{number}/reprint").route(web::post().to(printing::reprint)),
        page("/cards/{number}/printed")
            .route(web::get().to(printing::mark_printed_form))
            .route(web::post().to(printing::mark_printed)),
        page("/cards/{number}/renew")
            .route(web::get().to(cards::renew_form))
            .route(web::post().to(cards::renew)),
        page("/cards/{number}/replace")
            .route(web::get().to(cards::replace_form))
            .route(web::post().to(cards::replace)),
        page("/cards/{number}/revoke")
            .route(web::get().to(cards::revoke_form))
            .route(web::post().to(cards::revoke)),
        page("/cards/{number}/erase")
            .route(web::get().to(cards::erase_form))
            .route(web::post().to(cards::erase)),
        page("/print-queue").route(web::get().to(printing::queue)),
        page("/pickup").route(web::get().to(printing::pickup)),
        page("/pickup/{number}/hand-over")
            .route(web::get().to(printing::hand_over_form))
            .route(web::post().to(printing::hand_over)),
        page("/pickup/{number}/{step}").route(web::post().to(printing::pickup_step)),
        page("/sites")
            .route(web::get().to(sites::sites))
            .route(web::post().to(sites::create_site)),
        page("/sites/{id}/rename").route(web::post().to(sites::rename_site)),
        page("/sites/{id}/close").route(web::post().to(sites::close_site)),
        page("/sites/{id}/reopen").route(web::post().to(sites::reopen_site)),
        page("/users/{name}/site").route(web::post().to(sites::set_user_site)),
        page("/figures").route(web::get().to(sites::figures)),
        page("/print-queue/pdf").route(web::get().to(printing::queue_pdf)),
        page("/print-queue/printed").route(web::post().to(printing::queue_printed)),
        page("/users")
            .route(web::get().to(admin::users))
            .route(web::post().to(admin::create_user)),
        page("/users/{name}/disable").route(web::post().to(admin::disable_user)),
        page("/users/{name}/enable").route(web::post().to(admin::enable_user)),
        page("/users/{name}/password")
            .route(web::get().to(admin::reset_form))
            .route(web::post().to(admin::reset_password)),
        page("/audit").route(web::get().to(admin::audit)),
        page("/audit.csv").route(web::get().to(admin::audit_csv)),
        page("/audit/checkpoint")
            .route(web::get().to(admin::audit_checkpoint))
            .route(web::post().to(admin::verify_checkpoint)),
        page("/keys").route(web::get().to(admin::keys)),
    ];
    for r in routes {
        cfg.service(
            r.wrap(actix_web::middleware::from_fn(
                crate::web::auth::same_origin_forms,
            ))
            .wrap(html_error_pages()),
        );
    }
}
