//! The JSON API under `/api/v1`.
//!
//! - Authentication: `Authorization: Bearer <token>`, with a session token
//!   from `POST /api/v1/sessions` (throttled like the login form, ends
//!   after the idle timeout) or an API token from `POST /api/v1/tokens`
//!   (stored hashed; revoked by id).
//! - Every handler checks the role first ([`ApiUser::require`]); the
//!   domain checks it again.
//! - Errors: `{"error": {"code", "message", "field"?, …}}` with the codes
//!   of [`crate::web::error`].
//! - Bodies: JSON, at most 64 KiB, or 8 MiB on the routes that take a
//!   photo (base64); over the limit: `413 payload_too_large`.
//! - Card numbers are 12 digits (spaces and hyphens accepted in paths and
//!   queries); answers give them as 12 digits without spaces.
//! - Site ids are strings of decimal digits (random 63-bit numbers, beyond
//!   JavaScript's exact integers).
//! - The document: `GET /api/v1/openapi.json` (OpenAPI 3.1, utoipa).

pub mod audit;
pub mod cards;
pub mod json;
pub mod openapi;
pub mod pickup;
pub mod printing;
pub mod sessions;
pub mod sites;

use self::audit::{audit, audit_csv, deletion_schedule};
use self::cards::{enrol, erase, find_card, get_card, renew, replace, revoke, search};
use self::pickup::{destroyed, handed_over, pickup_list, received, sent};
use self::printing::{pdf, print_queue, printed};
use self::sessions::{
    change_password, create_session, create_token, delete_session, list_tokens, revoke_token,
};
use self::sites::{
    close_site, create_site, figures, list_sites, pickup_sites, rename_site, reopen_site,
    set_user_site,
};
use super::error::{AppError, json_error};
use actix_web::web;

/// Most bytes of a JSON body without a photo.
pub const JSON_LIMIT: usize = 64 * 1024;
/// Most bytes of a JSON body with a photo (base64 of at most 5 MB).
pub const JSON_PHOTO_LIMIT: usize = 8 * 1024 * 1024;

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |e, _| json_error(e, limit).into())
}

/// Registers the API routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(json_config(JSON_LIMIT))
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/sessions", web::post().to(create_session))
            .route("/sessions", web::delete().to(delete_session))
            .route("/password", web::post().to(change_password))
            .route("/tokens", web::post().to(create_token))
            .route("/tokens", web::get().to(list_tokens))
            .route("/tokens/{id}", web::delete().to(revoke_token))
            .service(
                web::resource("/cards")
                    .app_data(json_config(JSON_PHOTO_LIMIT))
                    .route(web::post().to(enrol))
                    .route(web::get().to(find_card)),
            )
            .route("/cards/{number}", web::get().to(get_card))
            .route("/cards/{number}/revoke", web::post().to(revoke))
            .service(
                web::resource("/cards/{number}/replace")
                    .app_data(json_config(JSON_PHOTO_LIMIT))
                    .route(web::post().to(replace)),
            )
            .service(
                web::resource("/cards/{number}/renew")
                    .app_data(json_config(JSON_PHOTO_LIMIT))
                    .route(web::post().to(renew)),
            )
            .route("/cards/{number}/erase", web::post().to(erase))
            .route("/cards/{number}/pdf", web::get().to(pdf))
            .route("/cards/{number}/printed", web::post().to(printed))
            .route("/print-queue", web::get().to(print_queue))
            .route("/cards/{number}/sent", web::post().to(sent))
            .route("/cards/{number}/received", web::post().to(received))
            .route("/cards/{number}/handed-over", web::post().to(handed_over))
            .route("/cards/{number}/destroyed", web::post().to(destroyed))
            .route("/pickup", web::get().to(pickup_list))
            .route("/sites", web::get().to(list_sites))
            .route("/sites", web::post().to(create_site))
            // Before `/sites/{id}`: `pickup` is no id.
            .route("/sites/pickup", web::get().to(pickup_sites))
            .route("/sites/{id}", web::patch().to(rename_site))
            .route("/sites/{id}", web::post().to(rename_site))
            .route("/sites/{id}/close", web::post().to(close_site))
            .route("/sites/{id}/reopen", web::post().to(reopen_site))
            .route("/users/{username}/site", web::put().to(set_user_site))
            .route("/figures", web::get().to(figures))
            .route("/residents/search", web::post().to(search))
            .route("/audit", web::get().to(audit))
            .route("/audit.csv", web::get().to(audit_csv))
            .route("/deletion-schedule", web::get().to(deletion_schedule))
            .default_service(web::to(|| async {
                actix_web::ResponseError::error_response(&AppError::not_found("API route"))
            })),
    );
}
