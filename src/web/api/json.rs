//! The JSON bodies of the API: requests, answers and the error body (with
//! their OpenAPI schemas), and the small helpers that format them.

use crate::office::audit::AuditEntry;
use crate::office::cards::{
    Attestation, CardDetails, CardStatus, CardSummary, IssuedCard, PublishStatus, QueueEntry,
};
use crate::web::error::{AppError, AppResult, json};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use citycard_credential::CardNumber;
use serde::{Deserialize, Serialize};
use time::PrimitiveDateTime;
use utoipa::ToSchema;

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
    /// Days until it ends: 1 to the office's `api_token_max_days` (default
    /// 90). None: that maximum. More is refused (`invalid_input`, field
    /// `valid_for_days`, rule `too_long`).
    #[serde(default)]
    #[schema(minimum = 1, example = 30)]
    pub valid_for_days: Option<u32>,
    /// Limits the token to some of the owner's permissions: `cards.issue`,
    /// `cards.read`, `cards.print`, `cards.reprint`, `cards.revoke`,
    /// `residents.erase`, `users.manage`, `keys.manage`, `audit.read`,
    /// `cards.hand_over`, `sites.manage`, `figures.read`. Each
    /// must be one the owner's role has (else `invalid_input`, field
    /// `permissions`, rule `choice`). None: the owner's whole role.
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
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
    /// Ends (UTC): at most `api_token_max_days` after it was made.
    pub expires_at: Option<String>,
    /// Revoked (UTC); also set by a password change or reset and by
    /// disabling the owner.
    pub revoked_at: Option<String>,
    /// The permissions it is limited to (none: the owner's whole role).
    pub permissions: Option<Vec<String>>,
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
    /// A caretaker of the resident is present: required when the resident
    /// is younger than `minors.caretaker_under` (default 14) on the day of
    /// issue, else ignored. Nothing about the caretaker is stored.
    #[serde(default)]
    pub caretaker_present: bool,
}

impl From<AttestationJson> for Attestation {
    fn from(a: AttestationJson) -> Self {
        crate::web::forms::attestation(a.identity_checked, a.residence_checked, a.caretaker_present)
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
    /// Date of birth, as the office's policy asks: `YYYY-MM-DD`, or only
    /// `YYYY-MM` or `YYYY` when the resident's documents give no day (or no
    /// month): `1987-03` or `1987` is carried on the card as it is, never as
    /// an invented 1 January.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$", example = "1987-03")]
    pub date_of_birth: Option<String>,
    /// JPEG or PNG, base64, at most 5 MB (re-encoded, metadata dropped).
    #[serde(default)]
    pub photo: Option<String>,
    /// What the clerk checked.
    pub attestation: AttestationJson,
    /// Issue although a resident with the same name and birth date exists.
    #[serde(default)]
    pub confirm_duplicate: bool,
    /// Where the resident picks the card up: a site id from
    /// `GET /api/v1/sites/pickup` (default: the user's own site).
    #[serde(default)]
    pub pickup_site: Option<String>,
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
    /// Where the resident picks the card up: a site id from
    /// `GET /api/v1/sites/pickup` (default: the user's own site).
    #[serde(default)]
    pub pickup_site: Option<String>,
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
    /// Where the resident picks the card up: a site id from
    /// `GET /api/v1/sites/pickup` (default: the user's own site).
    #[serde(default)]
    pub pickup_site: Option<String>,
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
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (a partial date finds residents
    /// enrolled with the same partial date), or none.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")]
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
    /// Not written yet: it will be signed within this many seconds, with
    /// the revocations that follow meanwhile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_within_seconds: Option<u64>,
}

impl From<&PublishStatus> for PublishJson {
    fn from(p: &PublishStatus) -> Self {
        match p {
            PublishStatus::Published { revoked } => PublishJson {
                published: true,
                revoked: Some(*revoked),
                problem: None,
                scheduled_within_seconds: None,
            },
            PublishStatus::Scheduled { within } => PublishJson {
                published: false,
                revoked: None,
                problem: None,
                scheduled_within_seconds: Some(within.as_secs_f64().ceil() as u64),
            },
            PublishStatus::Failed(why) => PublishJson {
                published: false,
                revoked: None,
                problem: Some(why.clone()),
                scheduled_within_seconds: None,
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
    /// Date of birth at its precision: `1987-03-14`, `1987-03` or `1987`.
    pub date_of_birth: Option<String>,
}

/// The recorded attestation.
#[derive(Serialize, ToSchema)]
pub struct AttestationRecordJson {
    /// Identity checked.
    pub identity_checked: bool,
    /// Residence checked.
    pub residence_checked: bool,
    /// A caretaker was present (a minor's card).
    pub caretaker_present: bool,
    /// By which user; absent where the site is not named (see `site`).
    pub attested_by: Option<String>,
    /// When (UTC).
    pub attested_at: String,
    /// At which site: named for its own users, and for everyone when it is
    /// a city counter or pop-up site; absent ("another site") for a partner
    /// organisation seen from elsewhere.
    pub site: Option<String>,
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
                caretaker_present: d.attestation.caretaker_present,
                attested_by: d.attestation.attested_by.clone(),
                attested_at: timestamp(d.attestation.attested_at),
                site: d.attestation.site.clone(),
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

// -------------------------------------------------------------- helpers

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(super) fn timestamp(t: PrimitiveDateTime) -> String {
    let (y, mo, d) = t.to_calendar_date();
    format!(
        "{y:04}-{:02}-{d:02}T{:02}:{:02}:{:02}Z",
        u8::from(mo),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub(super) fn card_number(typed: &str) -> AppResult<CardNumber> {
    crate::office::cards::parse_card_number(typed).map_err(AppError::from)
}

pub(super) fn ok<T: Serialize>(value: &T) -> HttpResponse {
    json(StatusCode::OK, value)
}

/// What the deletion schedule erases within 30 days (counts only).
#[derive(Serialize, ToSchema)]
pub struct DeletionDueJson {
    /// The days looked ahead.
    pub within_days: i64,
    /// Residents whose last card expired or was revoked long enough ago.
    pub cards_ended: usize,
    /// Enrolments whose card was never printed.
    pub never_printed: usize,
}
