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
//! - The document: `GET /api/v1/openapi.json` (OpenAPI 3.1, utoipa).

use super::auth::{ApiUser, ClientAddr};
use super::error::{AppError, AppResult, json, json_error};
use super::state::AppState;
use crate::audit::{AuditEntry, AuditQuery};
use crate::dates::DateSyntax;
use crate::issuance::{
    self, Attestation, CardDetails, CardStatus, CardSummary, EnrolOutcome, Enrolment, IssuedCard,
    NewCardRequest, PublishStatus, QueueEntry, ReplaceReason, RevocationReason,
};
use crate::office::actor::Permission;
use crate::output::{CardFace, Layout, PrintError, Printer};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use citycard_credential::{CardNumber, Date, date};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::PrimitiveDateTime;
use utoipa::ToSchema;

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
            .route("/openapi.json", web::get().to(super::openapi::document))
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
            .route("/residents/search", web::post().to(search))
            .route("/audit", web::get().to(audit))
            .route("/audit.csv", web::get().to(audit_csv))
            .default_service(web::to(|| async {
                actix_web::ResponseError::error_response(&AppError::not_found("API route"))
            })),
    );
}

// ---------------------------------------------------------------- types

/// `POST /api/v1/sessions`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// A new session (or API) token.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// The bearer token; shown once, stored only hashed.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// The user's role.
    pub role: String,
    /// A one-time password must be changed (`POST /api/v1/password`) before
    /// anything else.
    pub must_change_password: bool,
    /// A session token ends after this many seconds without a request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_secs: Option<u64>,
}

/// `POST /api/v1/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    /// The current (or one-time) password.
    pub current_password: String,
    /// The new password (at least 10 characters).
    pub new_password: String,
}

/// `POST /api/v1/tokens`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for (1–64 characters).
    pub label: String,
    /// Days until it ends (none: until revoked).
    #[serde(default)]
    pub valid_for_days: Option<u32>,
}

/// An API token as its owner sees it.
#[derive(Serialize, ToSchema)]
pub struct TokenSummary {
    /// Id (to revoke it).
    pub id: i64,
    /// Label.
    pub label: String,
    /// Created (UTC).
    pub created_at: String,
    /// Last used (UTC).
    pub last_used_at: Option<String>,
    /// Ends (UTC).
    pub expires_at: Option<String>,
    /// Revoked (UTC).
    pub revoked_at: Option<String>,
}

/// A new API token.
#[derive(Serialize, ToSchema)]
pub struct NewTokenResponse {
    /// Id (to revoke it).
    pub id: i64,
    /// The token, shown once.
    pub token: String,
}

/// What the clerk checked at the counter.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct AttestationJson {
    /// The resident's identity was checked.
    pub identity_checked: bool,
    /// The resident's residence in the city was checked.
    pub residence_checked: bool,
}

impl From<AttestationJson> for Attestation {
    fn from(a: AttestationJson) -> Self {
        Attestation {
            identity_checked: a.identity_checked,
            residence_checked: a.residence_checked,
        }
    }
}

/// `POST /api/v1/cards`: enrol a resident and issue the first card.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// Given names (may be empty).
    #[serde(default)]
    pub given_names: String,
    /// Family name.
    pub family_name: String,
    /// `YYYY-MM-DD`, as the office's policy asks.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    /// JPEG or PNG, base64, at most 5 MB (re-encoded, metadata dropped).
    #[serde(default)]
    pub photo: Option<String>,
    /// What the clerk checked.
    pub attestation: AttestationJson,
    /// Issue although a resident with the same name and birth date exists.
    #[serde(default)]
    pub confirm_duplicate: bool,
}

/// `POST /api/v1/cards/{number}/revoke`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// `lost`, `stolen`, `damaged`, `withdrawn` or `issued_in_error`.
    pub reason: String,
}

/// `POST /api/v1/cards/{number}/replace`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceRequest {
    /// `lost`, `stolen` or `damaged`.
    pub reason: String,
    /// What the clerk checked again.
    pub attestation: AttestationJson,
    /// A new photo (base64), replacing the stored one.
    #[serde(default)]
    pub photo: Option<String>,
}

/// `POST /api/v1/cards/{number}/renew`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewRequest {
    /// What the clerk checked again.
    pub attestation: AttestationJson,
    /// A new photo (base64), replacing the stored one.
    #[serde(default)]
    pub photo: Option<String>,
}

/// `POST /api/v1/residents/search`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Given names.
    #[serde(default)]
    pub given_names: String,
    /// Family name.
    pub family_name: String,
    /// `YYYY-MM-DD`, or none.
    #[serde(default)]
    pub date_of_birth: Option<String>,
}

/// Whether the revocation list was re-signed.
#[derive(Serialize, ToSchema)]
pub struct PublishJson {
    /// It was written.
    pub published: bool,
    /// Numbers on it (when written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<usize>,
    /// Why not (when not written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl From<&PublishStatus> for PublishJson {
    fn from(p: &PublishStatus) -> Self {
        match p {
            PublishStatus::Published { revoked } => PublishJson {
                published: true,
                revoked: Some(*revoked),
                problem: None,
            },
            PublishStatus::Failed(why) => PublishJson {
                published: false,
                revoked: None,
                problem: Some(why.clone()),
            },
        }
    }
}

/// A newly issued card.
#[derive(Serialize, ToSchema)]
pub struct IssuedCardJson {
    /// 12 digits.
    pub card_number: String,
    /// The QR text (`CC1…`).
    pub qr_text: String,
    /// Issue date.
    pub issued: String,
    /// Last valid day.
    pub expires: String,
    /// The signing key's id (hex).
    pub kid: String,
    /// The card this one replaces or renews.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_card: Option<String>,
    /// Issued although a possible duplicate was found (the clerk confirmed).
    pub duplicate_warning: bool,
    /// The revocation list, when the old card was revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_list: Option<PublishJson>,
}

impl From<&IssuedCard> for IssuedCardJson {
    fn from(c: &IssuedCard) -> Self {
        IssuedCardJson {
            card_number: c.card_number.digits(),
            qr_text: c.qr_text.clone(),
            issued: c.issued.to_string(),
            expires: c.expires.to_string(),
            kid: c.kid.clone(),
            previous_card: c.previous_card.map(CardNumber::digits),
            duplicate_warning: c.duplicate_confirmed,
            revocation_list: c.revocation_list.as_ref().map(PublishJson::from),
        }
    }
}

/// A card without personal data.
#[derive(Serialize, ToSchema)]
pub struct CardSummaryJson {
    /// 12 digits.
    pub card_number: String,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    /// Why it was revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    /// Issue date.
    pub issued: String,
    /// Last valid day.
    pub expires: String,
    /// The issuing office.
    pub office: String,
    /// When it was marked printed (UTC).
    pub printed_at: Option<String>,
    /// The card it replaced or renewed.
    pub previous_card: Option<String>,
    /// The resident's data was erased.
    pub erased: bool,
}

impl From<&CardSummary> for CardSummaryJson {
    fn from(s: &CardSummary) -> Self {
        let reason = match s.status {
            CardStatus::Revoked(r) => Some(r.as_str().to_owned()),
            _ => None,
        };
        CardSummaryJson {
            card_number: s.card_number.digits(),
            status: match s.status {
                CardStatus::Revoked(_) => "revoked".to_owned(),
                other => other.as_str().to_owned(),
            },
            revocation_reason: reason,
            issued: s.issued.to_string(),
            expires: s.expires.to_string(),
            office: s.office.clone(),
            printed_at: s.printed_at.map(timestamp),
            previous_card: s.previous_card.map(CardNumber::digits),
            erased: s.erased,
        }
    }
}

/// The resident's personal data (decrypted for this answer only).
#[derive(Serialize, ToSchema)]
pub struct ResidentJson {
    /// Given names.
    pub given_names: String,
    /// Family name.
    pub family_name: String,
    /// Date of birth.
    pub date_of_birth: Option<String>,
}

/// The recorded attestation.
#[derive(Serialize, ToSchema)]
pub struct AttestationRecordJson {
    /// Identity checked.
    pub identity_checked: bool,
    /// Residence checked.
    pub residence_checked: bool,
    /// By which user.
    pub attested_by: String,
    /// When (UTC).
    pub attested_at: String,
}

/// A card with its resident (`GET /api/v1/cards/{number}`).
#[derive(Serialize, ToSchema)]
pub struct CardDetailsJson {
    /// The card.
    pub card: CardSummaryJson,
    /// The signing key's id (hex).
    pub kid: String,
    /// What the clerk attested.
    pub attestation: AttestationRecordJson,
    /// The resident; absent once erased.
    pub resident: Option<ResidentJson>,
    /// A photo is stored.
    pub has_photo: bool,
    /// The QR text; absent once erased.
    pub qr_text: Option<String>,
    /// All cards of the resident, newest first.
    pub resident_cards: Vec<CardSummaryJson>,
}

impl From<&CardDetails> for CardDetailsJson {
    fn from(d: &CardDetails) -> Self {
        CardDetailsJson {
            card: (&d.summary).into(),
            kid: d.kid.clone(),
            attestation: AttestationRecordJson {
                identity_checked: d.attestation.identity_checked,
                residence_checked: d.attestation.residence_checked,
                attested_by: d.attestation.attested_by.clone(),
                attested_at: timestamp(d.attestation.attested_at),
            },
            resident: d.resident.as_ref().map(|p| ResidentJson {
                given_names: p.given_names.clone(),
                family_name: p.family_name.clone(),
                date_of_birth: p.date_of_birth.map(|d| d.to_string()),
            }),
            has_photo: d.has_photo,
            qr_text: d.qr_text.clone(),
            resident_cards: d.resident_cards.iter().map(Into::into).collect(),
        }
    }
}

/// A revoked card.
#[derive(Serialize, ToSchema)]
pub struct RevokedJson {
    /// 12 digits.
    pub card_number: String,
    /// The reason.
    pub reason: String,
    /// The re-signed revocation list.
    pub revocation_list: PublishJson,
}

/// An erased resident.
#[derive(Serialize, ToSchema)]
pub struct ErasedJson {
    /// Every card of the resident (all revoked now).
    pub cards: Vec<String>,
    /// The re-signed revocation list.
    pub revocation_list: PublishJson,
}

/// One card waiting to be printed.
#[derive(Serialize, ToSchema)]
pub struct QueueEntryJson {
    /// The card.
    pub card: CardSummaryJson,
    /// Given names.
    pub given_names: String,
    /// Family name.
    pub family_name: String,
}

impl From<&QueueEntry> for QueueEntryJson {
    fn from(q: &QueueEntry) -> Self {
        QueueEntryJson {
            card: (&q.summary).into(),
            given_names: q.given_names.clone(),
            family_name: q.family_name.clone(),
        }
    }
}

/// One audit log entry.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryJson {
    /// Sequence number.
    pub seq: i64,
    /// When (UTC).
    pub at: String,
    /// Which user.
    pub actor: String,
    /// Which office.
    pub office: String,
    /// What.
    pub action: String,
    /// Which card (12 digits).
    pub card_number: Option<String>,
    /// Non-personal details.
    pub detail: String,
    /// Previous entry's hash (hex).
    pub prev_hash: String,
    /// This entry's hash (hex).
    pub hash: String,
}

impl From<&AuditEntry> for AuditEntryJson {
    fn from(e: &AuditEntry) -> Self {
        use citycard_credential::keys::to_hex;
        AuditEntryJson {
            seq: e.seq,
            at: timestamp(e.at),
            actor: e.actor.clone(),
            office: e.office.clone(),
            action: e.action.clone(),
            card_number: e.card_number.map(|n| format!("{n:012}")),
            detail: e.detail.clone(),
            prev_hash: to_hex(&e.prev_hash),
            hash: to_hex(&e.hash),
        }
    }
}

/// The error body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error object.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: String,
    /// English message (no personal data).
    pub message: String,
    /// The field the error is about.
    pub field: Option<String>,
    /// Seconds until a login throttle ends.
    pub retry_after: Option<u64>,
    /// `possible_duplicate`: the cards of the matching residents.
    pub cards: Option<Vec<CardSummaryJson>>,
}

/// `GET /api/v1/audit` query.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    before: Option<i64>,
    card_number: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/v1/cards` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindParams {
    number: String,
}

/// `GET /api/v1/cards/{number}/pdf` query.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PdfParams {
    template: Option<String>,
    sheet: Option<String>,
    reprint: Option<bool>,
}

// -------------------------------------------------------------- helpers

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn timestamp(t: PrimitiveDateTime) -> String {
    let (y, mo, d) = t.to_calendar_date();
    format!(
        "{y:04}-{:02}-{d:02}T{:02}:{:02}:{:02}Z",
        u8::from(mo),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn card_number(typed: &str) -> AppResult<CardNumber> {
    issuance::parse_card_number(typed).map_err(AppError::from)
}

fn optional_date(field: &'static str, text: Option<&str>) -> AppResult<Option<Date>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => crate::dates::parse_date_of_birth(t, DateSyntax::Iso, date::today_utc())
            .map_err(|p| AppError::invalid(field, p.to_string())),
    }
}

async fn decode_photo(photo: Option<String>) -> AppResult<Option<Vec<u8>>> {
    let Some(b64) = photo.filter(|p| !p.trim().is_empty()) else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| AppError::invalid("photo", "must be base64 (RFC 4648, with padding)"))?;
    let photo = web::block(move || super::photo::reencode(&bytes))
        .await?
        .map_err(|e| AppError::invalid("photo", e.to_string()))?;
    Ok(Some(photo))
}

fn ok<T: Serialize>(value: &T) -> HttpResponse {
    json(StatusCode::OK, value)
}

// ------------------------------------------------------------- sessions

/// Log in: a session token for `Authorization: Bearer`.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = LoginRequest,
    responses((status = 201, body = TokenResponse),
        (status = 401, description = "unauthorized: wrong user name or password", body = ErrorBody),
        (status = 429, description = "throttled", body = ErrorBody)))]
pub async fn create_session(
    state: web::Data<AppState>,
    client: ClientAddr,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let password = SecretString::from(body.password);
    let session = super::auth::login(&state, &body.username, password, client).await?;
    Ok(json(
        StatusCode::CREATED,
        &TokenResponse {
            token: session.token.expose_secret().to_owned(),
            token_type: "Bearer",
            role: session.actor.role.to_string(),
            must_change_password: session.actor.must_change_password,
            idle_timeout_secs: Some(session.idle_timeout.as_secs()),
        },
    ))
}

/// Log out: ends the session of the bearer token.
#[utoipa::path(delete, path = "/api/v1/sessions", tag = "sessions",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 409, description = "an API token: revoke it by id", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_session(state: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let token = user.token().expose_secret().to_owned();
    if !token.starts_with(crate::accounts::SESSION_TOKEN_PREFIX) {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "conflict",
            "this is an API token: revoke it with DELETE /api/v1/tokens/{id}",
        ));
    }
    state.run(move |office| office.logout(&token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change one's own password (required after a one-time password).
#[utoipa::path(post, path = "/api/v1/password", tag = "sessions", request_body = PasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn change_password(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<PasswordRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let actor = user.actor().clone();
    let keep = user.token().clone();
    let current = SecretString::from(body.current_password);
    let new = SecretString::from(body.new_password);
    state
        .run(move |office| office.change_own_password(&actor, &current, &new, Some(&keep)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create an API token for oneself.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "sessions", request_body = TokenRequest,
    responses((status = 201, body = NewTokenResponse), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_token(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TokenRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let actor = user.actor().clone();
    let t = state
        .run(move |office| office.create_api_token(&actor, &body.label, body.valid_for_days))
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &NewTokenResponse {
            id: t.id,
            token: t.token.expose_secret().to_owned(),
        },
    ))
}

/// List one's own API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "sessions",
    responses((status = 200, body = [TokenSummary])), security(("bearer" = [])))]
pub async fn list_tokens(state: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let actor = user.actor().clone();
    let list = state
        .run(move |office| office.list_api_tokens(&actor))
        .await?;
    let out: Vec<TokenSummary> = list
        .iter()
        .map(|t| TokenSummary {
            id: t.id,
            label: t.label.clone(),
            created_at: timestamp(t.created_at),
            last_used_at: t.last_used_at.map(timestamp),
            expires_at: t.expires_at.map(timestamp),
            revoked_at: t.revoked_at.map(timestamp),
        })
        .collect();
    Ok(ok(&out))
}

/// Revoke one of one's own API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "sessions",
    params(("id" = i64, Path, description = "token id")),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_token(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = user.actor().clone();
    let id = id.into_inner();
    state
        .run(move |office| office.revoke_api_token(&actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- cards

/// Enrol a resident and issue the first card (clerks, supervisors).
#[utoipa::path(post, path = "/api/v1/cards", tag = "cards", request_body = EnrolRequest,
    responses((status = 201, body = IssuedCardJson),
        (status = 400, description = "invalid_input (with field)", body = ErrorBody),
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
    };
    let actor = user.actor().clone();
    let card = state
        .run(move |office| office.replace(&actor, number, reason, request))
        .await?;
    Ok(json(StatusCode::CREATED, &IssuedCardJson::from(&card)))
}

/// Renew a card: a new card with a new expiry (the old one is revoked).
#[utoipa::path(post, path = "/api/v1/cards/{number}/renew", tag = "cards", request_body = RenewRequest,
    params(("number" = String, Path, description = "card number")),
    responses((status = 201, body = IssuedCardJson), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
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

/// The card as a PDF (marks nothing; see `POST …/printed`). A card already
/// marked printed needs `reprint=true` (supervisors; audited).
#[utoipa::path(get, path = "/api/v1/cards/{number}/pdf", tag = "printing",
    params(("number" = String, Path, description = "card number"),
        ("template" = Option<String>, Query, description = "card template (default: the configured one)"),
        ("sheet" = Option<String>, Query, description = "`a4` for a print-shop sheet; default: one card side per page"),
        ("reprint" = Option<bool>, Query, description = "print a card already marked printed (supervisors)")),
    responses((status = 200, content_type = "application/pdf", description = "the PDF"),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pdf(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
    query: web::Query<PdfParams>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let reprint = query.reprint.unwrap_or(false);
    user.require(if reprint {
        Permission::ReprintCards
    } else {
        Permission::PrintCards
    })?;
    let number = card_number(&number)?;
    let layout = match query.sheet.as_deref().map(str::trim) {
        None | Some("") | Some("card") => Layout::CardPrinter,
        Some(s) if s.eq_ignore_ascii_case("a4") => Layout::SheetA4,
        Some(_) => return Err(AppError::invalid("sheet", "must be a4 (or absent)")),
    };
    let template = match query.template {
        Some(t) => t,
        None => state.config().card_template.clone(),
    };
    if template.is_empty()
        || template.len() > 64
        || !template
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::invalid(
            "template",
            "must be a template name (letters, digits, - and _)",
        ));
    }
    let actor = user.actor().clone();
    let office = state.office().clone();
    // A reprint is audited only once its PDF was made.
    let bytes = web::block(move || -> AppResult<Vec<u8>> {
        let printer = office.printer()?;
        let print = |card| render_pdf(&printer, &template, layout, card);
        if reprint {
            office.reprint(&actor, number, print)
        } else {
            print(office.card_for_printing(&actor, number)?)
        }
    })
    .await??;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"card-{}.pdf\"", number.digits()),
        ))
        .body(bytes))
}

/// One card as a PDF with `template`, or its layout without photo for a
/// card that has none; a printing error maps as everywhere
/// (`422 cannot_print`), but for a template name that does not exist.
fn render_pdf(
    printer: &Printer,
    template: &str,
    layout: Layout,
    card: CardFace,
) -> AppResult<Vec<u8>> {
    printer
        .card_pdf_with(template, card, layout)
        .map_err(|e| match e {
            PrintError::TemplateNotFound { .. } => {
                AppError::invalid("template", "no such template")
            }
            other => AppError::from(other),
        })
}

/// Mark a card printed (deletes the photo as the retention setting says).
#[utoipa::path(post, path = "/api/v1/cards/{number}/printed", tag = "printing",
    params(("number" = String, Path, description = "card number")),
    responses((status = 204), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn printed(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(Permission::PrintCards)?;
    let number = card_number(&number)?;
    let actor = user.actor().clone();
    state
        .run(move |office| office.mark_printed(&actor, number))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Active cards not yet printed, oldest first.
#[utoipa::path(get, path = "/api/v1/print-queue", tag = "printing",
    responses((status = 200, body = [QueueEntryJson])), security(("bearer" = [])))]
pub async fn print_queue(state: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    user.require(Permission::PrintCards)?;
    let actor = user.actor().clone();
    let q = state.run(move |office| office.print_queue(&actor)).await?;
    let out: Vec<QueueEntryJson> = q.iter().map(Into::into).collect();
    Ok(ok(&out))
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

// ---------------------------------------------------------------- audit

/// The audit log, newest first (auditors). `Accept: text/csv` gives the
/// whole log as CSV.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(("before" = Option<i64>, Query, description = "entries before this sequence number"),
        ("card_number" = Option<String>, Query, description = "only entries about this card"),
        ("limit" = Option<u32>, Query, description = "at most this many (default 100, at most 500)")),
    responses((status = 200, body = [AuditEntryJson]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<AuditParams>,
) -> AppResult<HttpResponse> {
    user.require(Permission::ReadAudit)?;
    let wants_csv = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    if wants_csv {
        return audit_csv(state, user).await;
    }
    let q = query.into_inner();
    let card = q.card_number.as_deref().map(card_number).transpose()?;
    let query = AuditQuery {
        before: q.before,
        card_number: card,
        limit: q.limit,
    };
    let actor = user.actor().clone();
    let entries = state
        .run(move |office| office.audit_entries(&actor, query))
        .await?;
    let out: Vec<AuditEntryJson> = entries.iter().map(Into::into).collect();
    Ok(ok(&out))
}

/// The whole audit log as CSV (auditors).
#[utoipa::path(get, path = "/api/v1/audit.csv", tag = "audit",
    responses((status = 200, content_type = "text/csv", description = "CSV with a header row"),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit_csv(state: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    user.require(Permission::ReadAudit)?;
    let actor = user.actor().clone();
    let csv = state
        .run(move |office| {
            let mut out = Vec::new();
            office.export_audit_csv(&actor, &mut out)?;
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit-log.csv\"",
        ))
        .body(csv))
}
