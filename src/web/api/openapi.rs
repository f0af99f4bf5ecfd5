//! The OpenAPI 3.1 document of the JSON API, generated with utoipa from the
//! handlers in the modules of [`super`] and the types in [`super::json`]
//! (which do not import it back); served at `/api/v1/openapi.json`.

use super::{audit, cards, json, printing, sessions};
use actix_web::HttpResponse;
use actix_web::http::header;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API's document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "City Card issuing office API",
        description = "Enrol residents and issue, renew, replace, revoke and erase City Cards. \
            Authenticate with POST /api/v1/sessions, then send Authorization: Bearer <token>. \
            For a program, make an API token with POST /api/v1/tokens (from that session only, \
            never with another token): it lives at most api_token_max_days (default 90), may be \
            limited to some permissions, and ends with a password change or reset. \
            Errors are {\"error\": {\"code\", \"message\", \"field\"?}} with stable codes; \
            429 throttled and 503 busy carry Retry-After."
    ),
    paths(
        sessions::create_session, sessions::delete_session, sessions::change_password,
        sessions::create_token, sessions::list_tokens, sessions::revoke_token,
        cards::enrol, cards::find_card, cards::get_card, cards::revoke, cards::replace, cards::renew,
        cards::erase, printing::pdf, printing::printed, printing::print_queue, cards::search,
        audit::audit, audit::audit_csv,
    ),
    components(schemas(
        json::LoginRequest, json::TokenResponse, json::PasswordRequest, json::TokenRequest,
        json::TokenSummary, json::NewTokenResponse, json::AttestationJson, json::EnrolRequest,
        json::RevokeRequest, json::ReplaceRequest, json::RenewRequest, json::SearchRequest,
        json::PublishJson, json::IssuedCardJson, json::CardSummaryJson, json::ResidentJson,
        json::AttestationRecordJson, json::CardDetailsJson, json::RevokedJson, json::ErasedJson,
        json::QueueEntryJson, json::AuditEntryJson, json::ErrorBody, json::ErrorDetail,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "sessions", description = "Log in and out, tokens, password"),
        (name = "cards", description = "The card lifecycle and search"),
        (name = "printing", description = "PDFs and the print queue"),
        (name = "audit", description = "The audit log (auditors)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    match ApiDoc::openapi().to_json() {
        Ok(json) => HttpResponse::Ok()
            .content_type("application/json")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(json),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
