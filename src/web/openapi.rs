//! The OpenAPI 3.1 document of the JSON API, generated with utoipa from the
//! handlers and types in [`super::api`]; served at `/api/v1/openapi.json`.

use super::api;
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
            Errors are {\"error\": {\"code\", \"message\", \"field\"?}} with stable codes."
    ),
    paths(
        api::create_session, api::delete_session, api::change_password,
        api::create_token, api::list_tokens, api::revoke_token,
        api::enrol, api::find_card, api::get_card, api::revoke, api::replace, api::renew,
        api::erase, api::pdf, api::printed, api::print_queue, api::search,
        api::audit, api::audit_csv,
    ),
    components(schemas(
        api::LoginRequest, api::TokenResponse, api::PasswordRequest, api::TokenRequest,
        api::TokenSummary, api::NewTokenResponse, api::AttestationJson, api::EnrolRequest,
        api::RevokeRequest, api::ReplaceRequest, api::RenewRequest, api::SearchRequest,
        api::PublishJson, api::IssuedCardJson, api::CardSummaryJson, api::ResidentJson,
        api::AttestationRecordJson, api::CardDetailsJson, api::RevokedJson, api::ErasedJson,
        api::QueueEntryJson, api::AuditEntryJson, api::ErrorBody, api::ErrorDetail,
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
