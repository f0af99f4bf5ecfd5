//! The OpenAPI 3.1 document of the JSON API, generated with utoipa from the
//! handlers in the modules of [`super`] and the types in [`super::json`]
//! (which do not import it back); served at `/api/v1/openapi.json`.

use super::{audit, cards, json, pickup, printing, sessions, sites};
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
            429 throttled and 503 busy carry Retry-After. A clerk or supervisor works within \
            their site: another site's card or list is 403 other_site, and a user of a closed \
            site gets 403 site_closed. Site ids are strings (beyond JavaScript's exact \
            integers)."
    ),
    paths(
        sessions::create_session, sessions::delete_session, sessions::change_password,
        sessions::create_token, sessions::list_tokens, sessions::revoke_token,
        cards::enrol, cards::find_card, cards::get_card, cards::revoke, cards::replace, cards::renew,
        cards::erase, printing::pdf, printing::printed, printing::print_queue, cards::search,
        audit::audit, audit::audit_csv, audit::deletion_schedule,
        sites::list_sites, sites::pickup_sites, sites::create_site, sites::rename_site,
        sites::close_site, sites::reopen_site, sites::set_user_site, sites::figures,
        pickup::pickup_list, pickup::sent, pickup::received, pickup::handed_over,
        pickup::destroyed,
    ),
    components(schemas(
        json::LoginRequest, json::TokenResponse, json::PasswordRequest, json::TokenRequest,
        json::TokenSummary, json::NewTokenResponse, json::AttestationJson, json::EnrolRequest,
        json::RevokeRequest, json::ReplaceRequest, json::RenewRequest, json::SearchRequest,
        json::PublishJson, json::IssuedCardJson, json::CardSummaryJson, json::ResidentJson,
        json::AttestationRecordJson, json::CardDetailsJson, json::RevokedJson, json::ErasedJson,
        json::QueueEntryJson, json::AuditEntryJson, json::ErrorBody, json::ErrorDetail,
        json::DeletionDueJson,
        sites::SiteJson, sites::NewSiteRequest, sites::RenameSiteRequest, sites::UserSiteRequest,
        sites::UserSiteJson, sites::CountJson, sites::MonthFiguresJson, sites::TotalsJson,
        sites::SiteFiguresJson, sites::FiguresJson,
        pickup::PickupEntryJson, pickup::HandOverRequest,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "sessions", description = "Log in and out, tokens, password"),
        (name = "cards", description = "The card lifecycle and search"),
        (name = "printing", description = "PDFs and the print queue"),
        (name = "audit", description = "The audit log (auditors)"),
        (name = "sites", description = "Sites, a user's site and the per-site figures"),
        (name = "pickup", description = "Cards on their way to their residents: the pick-up list and its steps"),
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
