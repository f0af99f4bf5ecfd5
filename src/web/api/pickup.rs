//! Pick-up (issue 11): the caller's site's list of cards on their way to
//! their residents, and the one-step actions on it: sent, received,
//! handed over, destroyed (`crate::office::cards::pickup`).

use super::json::{CardSummaryJson, ErrorBody, card_number, ok, timestamp};
use crate::office::Office;
use crate::office::actor::Permission;
use crate::office::cards::{PICKUP_LIST_LIMIT, PickupCursor, PickupEntry, PickupQuery, PickupStep};
use crate::web::auth::ApiUser;
use crate::web::error::{AppError, AppResult};
use crate::web::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use citycard_credential::CardNumber;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One card on the pick-up list.
#[derive(Serialize, ToSchema)]
pub struct PickupEntryJson {
    /// The card.
    pub card: CardSummaryJson,
    /// `printed` (printed centrally, to send: city-wide staff), `sent` (on
    /// its way: confirm it arrived), `ready` (waiting for the resident:
    /// hand it over) or `not_collected` (revoked: destroy it and confirm).
    #[schema(example = "ready")]
    pub step: String,
    /// Since when it is at this step (UTC).
    pub since: Option<String>,
    /// The pick-up site's id (string).
    pub pickup_site: String,
    /// Given names (to find the card in the drawer).
    pub given_names: String,
    /// Family name.
    pub family_name: String,
}

impl From<&PickupEntry> for PickupEntryJson {
    fn from(e: &PickupEntry) -> Self {
        PickupEntryJson {
            card: (&e.summary).into(),
            step: e.step.as_str().to_owned(),
            since: e.since.map(timestamp),
            pickup_site: e.pickup_site.to_string(),
            given_names: e.given_names.clone(),
            family_name: e.family_name.clone(),
        }
    }
}

/// `POST /api/v1/cards/{number}/handed-over`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOverRequest {
    /// The clerk compared the person with the card and its photo: must be
    /// `true` (else `400 invalid_input`, field `compared`, rule
    /// `required`).
    #[serde(default)]
    pub compared: bool,
}

/// `GET /api/v1/pickup` query.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PickupParams {
    step: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
}

/// The caller's site's pick-up list (clerks, supervisors; city-wide staff
/// see every site's, and the cards printed centrally to send), oldest
/// first (since when, then card number), a page at a time: the first
/// `limit` cards, or those after `after`. A `Link` header (RFC 8288) names
/// the page after (`rel="next"`) when more cards follow; its `after` is a
/// place in the list (`MICROS.NUMBER`), valid when that card has moved on
/// meanwhile. Recorded in the audit log (the page's count only).
#[utoipa::path(get, path = "/api/v1/pickup", tag = "pickup",
    params(("step" = Option<String>, Query, description = "only the cards at this step: `printed` (city-wide staff), `sent`, `ready` or `not_collected`"),
        ("after" = Option<String>, Query, description = "the cards after this place: the `after` of the `Link` header's `rel=\"next\"`"),
        ("limit" = Option<u32>, Query, description = "at most this many (default and most 500)")),
    responses((status = 200, body = [PickupEntryJson],
            headers(("Link" = String, description = "`</api/v1/pickup?after=P&limit=L>; rel=\"next\"` (and `&step=S` when asked for), when more cards follow"))),
        (status = 400, body = ErrorBody, description = "`invalid_input`: a step that is not on the caller's list, or an `after` that does not read"),
        (status = 403, description = "forbidden; site_closed: the caller's site is closed", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pickup_list(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<PickupParams>,
) -> AppResult<HttpResponse> {
    user.require(Permission::HandOverCards)?;
    let q = query.into_inner();
    let actor = user.actor().clone();
    let step = match q.step.as_deref() {
        None => None,
        Some(s) => Some(
            PickupStep::parse(s)
                .filter(|s| Office::pickup_steps(&actor).contains(s))
                .ok_or_else(|| AppError::invalid("step", "choice"))?,
        ),
    };
    let after = match q.after.as_deref() {
        None => None,
        Some(a) => {
            Some(PickupCursor::parse(a).ok_or_else(|| AppError::invalid("after", "format"))?)
        }
    };
    let max = u32::try_from(PICKUP_LIST_LIMIT).unwrap_or(500);
    let limit = usize::try_from(q.limit.unwrap_or(max).clamp(1, max)).unwrap_or(500);
    let page = state
        .run(move |office| office.pickup_page(&actor, PickupQuery { step, after, limit }))
        .await?;
    let out: Vec<PickupEntryJson> = page.entries.iter().map(Into::into).collect();
    let mut response = ok(&out);
    if let Some(next) = page.next {
        let step = step.map(|s| format!("&step={s}")).unwrap_or_default();
        let link = format!("</api/v1/pickup?after={next}&limit={limit}{step}>; rel=\"next\"");
        if let Ok(value) = header::HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// A card printed centrally was sent to its pick-up site (city-wide staff
/// only): `printed` → `sent`.
#[utoipa::path(post, path = "/api/v1/cards/{number}/sent", tag = "pickup",
    params(("number" = String, Path, description = "card number")),
    responses((status = 204),
        (status = 403, description = "forbidden; other_site: only city-wide staff send cards; site_closed", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: the card is not at that step, or revoked", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn sent(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
) -> AppResult<HttpResponse> {
    one_step(state, user, &number, crate::office::Office::mark_sent).await
}

/// A card sent to the caller's site arrived there: `sent` → `ready`.
#[utoipa::path(post, path = "/api/v1/cards/{number}/received", tag = "pickup",
    params(("number" = String, Path, description = "card number")),
    responses((status = 204),
        (status = 403, description = "forbidden; other_site: the card is picked up at another site; site_closed", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: the card is not at that step, or revoked", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn received(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
) -> AppResult<HttpResponse> {
    one_step(state, user, &number, crate::office::Office::mark_received).await
}

/// The resident collected the card: the clerk compared the person with the
/// card and its photo (`compared: true`) and handed it over: `ready` →
/// `handed_over`. A photo still stored is deleted now.
#[utoipa::path(post, path = "/api/v1/cards/{number}/handed-over", tag = "pickup",
    request_body = HandOverRequest,
    params(("number" = String, Path, description = "card number")),
    responses((status = 204),
        (status = 400, description = "invalid_input: `compared` (`required`): not confirmed", body = ErrorBody),
        (status = 403, description = "forbidden; other_site: the card is picked up at another site; site_closed", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: the card is not ready, or revoked", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn handed_over(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
    body: web::Json<HandOverRequest>,
) -> AppResult<HttpResponse> {
    user.require(Permission::HandOverCards)?;
    let number = card_number(&number)?;
    let compared = body.into_inner().compared;
    let actor = user.actor().clone();
    state
        .run(move |office| office.hand_over(&actor, number, compared))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A card that was not collected in time (revoked by the daily
/// maintenance) was destroyed at its pick-up site: `not_collected` →
/// `destroyed`.
#[utoipa::path(post, path = "/api/v1/cards/{number}/destroyed", tag = "pickup",
    params(("number" = String, Path, description = "card number")),
    responses((status = 204),
        (status = 403, description = "forbidden; other_site; site_closed", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: the card is not at that step", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn destroyed(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
) -> AppResult<HttpResponse> {
    one_step(state, user, &number, crate::office::Office::mark_destroyed).await
}

/// One pick-up step by number: the caller's permission, the number, the
/// step; `204` when done.
async fn one_step(
    state: web::Data<AppState>,
    user: ApiUser,
    number: &str,
    step: fn(&crate::office::Office, &crate::office::actor::Actor, CardNumber) -> crate::Result<()>,
) -> AppResult<HttpResponse> {
    user.require(Permission::HandOverCards)?;
    let number = card_number(number)?;
    let actor = user.actor().clone();
    state
        .run(move |office| step(office, &actor, number))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
