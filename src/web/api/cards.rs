//! Cards: enrol, look up, renew, replace, revoke, erase; search by name.

use super::json::{
    CardDetailsJson, CardSummaryJson, EnrolRequest, ErasedJson, ErrorBody, IssuedCardJson,
    RenewRequest, ReplaceRequest, RevokeRequest, RevokedJson, SearchRequest, card_number, ok,
};
use crate::dates::DateSyntax;
use crate::office::actor::Permission;
use crate::office::cards::{
    EnrolOutcome, Enrolment, NewCardRequest, ReplaceReason, RevocationReason,
};
use crate::office::sites::parse_site_id as site_id;
use crate::web::auth::ApiUser;
use crate::web::error::{AppError, AppResult, json};
use crate::web::forms::{self, PhotoInput};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// `GET /api/v1/cards` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindParams {
    number: String,
}

fn optional_date(
    field: &'static str,
    text: Option<&str>,
) -> AppResult<Option<citycard_credential::BirthDate>> {
    forms::date_of_birth(text, DateSyntax::Iso).map_err(|p| AppError::invalid(field, p.to_string()))
}

async fn decode_photo(photo: Option<String>) -> AppResult<Option<Vec<u8>>> {
    let input = photo.map_or(PhotoInput::None, PhotoInput::Base64);
    forms::photo(input)
        .await?
        .map_err(|e| AppError::invalid("photo", e.to_string()).with_rule(e.rule()))
}

// ---------------------------------------------------------------- cards

/// Enrol a resident and issue the first card (clerks, supervisors).
#[utoipa::path(post, path = "/api/v1/cards", tag = "cards", request_body = EnrolRequest,
    responses((status = 201, body = IssuedCardJson),
        (status = 400, description = "invalid_input (with field): date_of_birth rule `too_young` below the minimum age; attestation rule `caretaker` for a minor whose caretaker was not attested", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "possible_duplicate: confirm with confirm_duplicate", body = ErrorBody),
        (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn enrol(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<EnrolRequest>,
) -> AppResult<HttpResponse> {
    user.require(Permission::IssueCards)?;
    let body = body.into_inner();
    let date_of_birth = optional_date("date_of_birth", body.date_of_birth.as_deref())?;
    let photo = decode_photo(body.photo).await?;
    let enrolment = Enrolment {
        given_names: body.given_names,
        family_name: body.family_name,
        date_of_birth,
        photo,
        attestation: body.attestation.into(),
        confirm_duplicate: body.confirm_duplicate,
        pickup_site: site_id("pickup_site", body.pickup_site.as_deref())?,
    };
    let actor = user.actor().clone();
    match state
        .run(move |office| office.enrol_and_issue(&actor, enrolment))
        .await?
    {
        EnrolOutcome::Issued(card) => Ok(json(StatusCode::CREATED, &IssuedCardJson::from(&card))),
        EnrolOutcome::PossibleDuplicate(cards) => {
            let cards: Vec<CardSummaryJson> = cards.iter().map(Into::into).collect();
            Err(AppError::new(
                StatusCode::CONFLICT,
                "possible_duplicate",
                "a resident with the same name and date of birth has a card: \
                 renew or replace it, or send again with confirm_duplicate",
            )
            .with_extra("cards", serde_json::to_value(cards).unwrap_or_default()))
        }
    }
}

/// A card with its resident (recorded in the audit log).
#[utoipa::path(get, path = "/api/v1/cards/{number}", tag = "cards",
    params(("number" = String, Path, description = "card number (12 digits)")),
    responses((status = 200, body = CardDetailsJson), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_card(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(Permission::SearchCards)?;
    let number = card_number(&number)?;
    let actor = user.actor().clone();
    let d = state
        .run(move |office| office.get_card(&actor, number))
        .await?;
    Ok(ok(&CardDetailsJson::from(&d)))
}

/// Find a card by its number as typed (`?number=0123 4567 8906`).
#[utoipa::path(get, path = "/api/v1/cards", tag = "cards",
    params(("number" = String, Query, description = "card number; spaces and hyphens allowed")),
    responses((status = 200, body = CardDetailsJson), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn find_card(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<FindParams>,
) -> AppResult<HttpResponse> {
    user.require(Permission::SearchCards)?;
    let typed = query.into_inner().number;
    let actor = user.actor().clone();
    let d = state
        .run(move |office| office.find_card(&actor, &typed))
        .await?;
    Ok(ok(&CardDetailsJson::from(&d)))
}

/// Revoke a card (supervisors).
#[utoipa::path(post, path = "/api/v1/cards/{number}/revoke", tag = "cards", request_body = RevokeRequest,
    params(("number" = String, Path, description = "card number")),
    responses((status = 200, body = RevokedJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
    body: web::Json<RevokeRequest>,
) -> AppResult<HttpResponse> {
    user.require(Permission::RevokeCards)?;
    let number = card_number(&number)?;
    let reason = RevocationReason::parse(body.reason.trim())
        .filter(|r| RevocationReason::MANUAL.contains(r))
        .ok_or_else(|| {
            AppError::invalid(
                "reason",
                "must be lost, stolen, damaged, withdrawn or issued_in_error",
            )
        })?;
    let actor = user.actor().clone();
    let r = state
        .run(move |office| office.revoke(&actor, number, reason))
        .await?;
    Ok(ok(&RevokedJson {
        card_number: r.card_number.digits(),
        reason: r.reason.as_str().to_owned(),
        revocation_list: (&r.revocation_list).into(),
    }))
}

/// Replace a lost, stolen or damaged card (the old one is revoked).
#[utoipa::path(post, path = "/api/v1/cards/{number}/replace", tag = "cards", request_body = ReplaceRequest,
    params(("number" = String, Path, description = "card number")),
    responses((status = 201, body = IssuedCardJson), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn replace(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
    body: web::Json<ReplaceRequest>,
) -> AppResult<HttpResponse> {
    user.require(Permission::IssueCards)?;
    let number = card_number(&number)?;
    let body = body.into_inner();
    let reason = ReplaceReason::parse(body.reason.trim())
        .ok_or_else(|| AppError::invalid("reason", "must be lost, stolen or damaged"))?;
    let request = NewCardRequest {
        attestation: body.attestation.into(),
        photo: decode_photo(body.photo).await?,
        pickup_site: site_id("pickup_site", body.pickup_site.as_deref())?,
    };
    let actor = user.actor().clone();
    let card = state
        .run(move |office| office.replace(&actor, number, reason, request))
        .await?;
    Ok(json(StatusCode::CREATED, &IssuedCardJson::from(&card)))
}

/// Renew a card: a new card with a new expiry (the old one is revoked).
/// Only inside the card's renewal window (default: 60 days before its last
/// valid day to 180 days after); the new card's validity follows the
/// resident's age band on the day of renewal.
#[utoipa::path(post, path = "/api/v1/cards/{number}/renew", tag = "cards", request_body = RenewRequest,
    params(("number" = String, Path, description = "card number")),
    responses((status = 201, body = IssuedCardJson),
        (status = 400, description = "invalid_input; attestation rule `caretaker` for a minor without the caretaker attested", body = ErrorBody),
        (status = 409, description = "outside_renewal_window (with renewal_window: opens, closes, too_early; once closed a new enrolment is needed), or conflict", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn renew(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
    body: web::Json<RenewRequest>,
) -> AppResult<HttpResponse> {
    user.require(Permission::IssueCards)?;
    let number = card_number(&number)?;
    let body = body.into_inner();
    let request = NewCardRequest {
        attestation: body.attestation.into(),
        photo: decode_photo(body.photo).await?,
        pickup_site: site_id("pickup_site", body.pickup_site.as_deref())?,
    };
    let actor = user.actor().clone();
    let card = state
        .run(move |office| office.renew(&actor, number, request))
        .await?;
    Ok(json(StatusCode::CREATED, &IssuedCardJson::from(&card)))
}

/// Erase the resident's personal data; all their cards are revoked
/// (supervisors).
#[utoipa::path(post, path = "/api/v1/cards/{number}/erase", tag = "cards",
    params(("number" = String, Path, description = "card number")),
    responses((status = 200, body = ErasedJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn erase(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(Permission::EraseResidents)?;
    let number = card_number(&number)?;
    let actor = user.actor().clone();
    let e = state
        .run(move |office| office.erase(&actor, number))
        .await?;
    Ok(ok(&ErasedJson {
        cards: e.cards.iter().map(|c| c.digits()).collect(),
        revocation_list: (&e.revocation_list).into(),
    }))
}

/// Find the cards of a resident by name and date of birth (POST: no
/// personal data in URLs).
#[utoipa::path(post, path = "/api/v1/residents/search", tag = "cards", request_body = SearchRequest,
    responses((status = 200, body = [CardSummaryJson]), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn search(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<SearchRequest>,
) -> AppResult<HttpResponse> {
    user.require(Permission::SearchCards)?;
    let body = body.into_inner();
    let dob = optional_date("date_of_birth", body.date_of_birth.as_deref())?;
    let actor = user.actor().clone();
    let found = state
        .run(move |office| {
            office.search_by_name_and_dob(&actor, &body.given_names, &body.family_name, dob)
        })
        .await?;
    let out: Vec<CardSummaryJson> = found.iter().map(Into::into).collect();
    Ok(ok(&out))
}
