//! Sites (issue 11): the city counters, pop-up sites and partner
//! organisations of the deployment; a user's site; the per-site figures.
//!
//! Site ids are strings in every body and path: they are random 63-bit
//! numbers, beyond the integers JavaScript holds exactly. A site's name and
//! kind are sealed in the database; they appear in these answers (to
//! signed-in users) and nowhere else: never in an error message.

use super::json::{ErrorBody, ok};
use crate::error::Error as DomainError;
use crate::office::actor::Permission;
use crate::office::figures::{Count, MonthRow, SiteFigures};
use crate::office::sites::{Site, SiteKind, parse_site_id};
use crate::web::auth::ApiUser;
use crate::web::error::{AppError, AppResult, json};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most months `GET /api/v1/figures` looks back.
pub const MAX_FIGURE_MONTHS: u8 = 120;
/// Months `GET /api/v1/figures` looks back by default.
pub const DEFAULT_FIGURE_MONTHS: u8 = 12;

// ---------------------------------------------------------------- bodies

/// A site.
#[derive(Serialize, ToSchema)]
pub struct SiteJson {
    /// Its id: decimal digits, as a string (it can exceed JavaScript's
    /// exact integers).
    #[schema(example = "4611686018427387904")]
    pub id: String,
    /// Its name.
    pub name: String,
    /// `counter` (a city office counter), `pop_up` (a pop-up site) or
    /// `partner` (a partner organisation).
    #[schema(example = "counter")]
    pub kind: String,
    /// Closed: no new work, its users cannot sign in, not offered for
    /// pick-up.
    pub closed: bool,
}

impl From<&Site> for SiteJson {
    fn from(s: &Site) -> Self {
        SiteJson {
            id: s.id.to_string(),
            name: s.name.clone(),
            kind: s.kind.as_str().to_owned(),
            closed: s.closed,
        }
    }
}

/// `POST /api/v1/sites`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSiteRequest {
    /// 1 to 100 characters, no control or invisible characters; unique
    /// (ignoring case).
    pub name: String,
    /// `counter`, `pop_up` or `partner`.
    #[schema(example = "partner")]
    pub kind: String,
}

/// `PATCH /api/v1/sites/{id}` (or `POST`): rename a site; its kind stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameSiteRequest {
    /// The new name (the rules of `NewSiteRequest.name`).
    pub name: String,
}

/// `PUT /api/v1/users/{username}/site`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserSiteRequest {
    /// A site id (string), or `null`: city-wide (admins, auditors and
    /// central print staff are city-wide).
    pub site: Option<String>,
}

/// A user's site.
#[derive(Serialize, ToSchema)]
pub struct UserSiteJson {
    /// The user name (as stored: lower case).
    pub username: String,
    /// The site id, or `null`: city-wide.
    pub site: Option<String>,
}

/// A count of the per-site figures: the number, or for a partner
/// organisation a count of 1 to 4 hidden as `"< 5"` (a small count of a
/// small site could point at a person).
#[derive(Serialize, ToSchema)]
pub struct CountJson {
    /// The number; `null` when hidden.
    pub value: Option<i64>,
    /// What to show: the number as text, or `< 5`.
    #[schema(example = "< 5")]
    pub label: String,
}

impl From<Count> for CountJson {
    fn from(c: Count) -> Self {
        CountJson {
            value: c.value(),
            label: c.label(),
        }
    }
}

/// One site's counts in one month.
#[derive(Serialize, ToSchema)]
pub struct MonthFiguresJson {
    /// `YYYY-MM`.
    #[schema(example = "2026-11")]
    pub month: String,
    /// Cards enrolled at the site (first cards, renewals, replacements).
    pub enrolled: CountJson,
    /// Cards printed for pick-up at the site.
    pub printed: CountJson,
    /// Cards handed over at the site.
    pub handed_over: CountJson,
    /// Cards not collected at the site in time (revoked).
    pub not_collected: CountJson,
}

/// One site's counts over all the months shown.
#[derive(Serialize, ToSchema)]
pub struct TotalsJson {
    /// Cards enrolled.
    pub enrolled: CountJson,
    /// Cards printed.
    pub printed: CountJson,
    /// Cards handed over.
    pub handed_over: CountJson,
    /// Cards not collected.
    pub not_collected: CountJson,
}

/// One site's figures.
#[derive(Serialize, ToSchema)]
pub struct SiteFiguresJson {
    /// The site's id (string).
    pub id: String,
    /// Its name.
    pub name: String,
    /// `counter`, `pop_up` or `partner`.
    pub kind: String,
    /// Closed.
    pub closed: bool,
    /// Cards printed or on their way, waiting for pick-up there now.
    pub waiting_now: CountJson,
    /// The months with any count, oldest first.
    pub months: Vec<MonthFiguresJson>,
    /// Totals over the months shown.
    pub totals: TotalsJson,
}

/// `GET /api/v1/figures`.
#[derive(Serialize, ToSchema)]
pub struct FiguresJson {
    /// The months looked back (this month included).
    pub months: u8,
    /// Every site's figures.
    pub sites: Vec<SiteFiguresJson>,
}

fn month_json(m: &MonthRow) -> MonthFiguresJson {
    MonthFiguresJson {
        month: m.month.clone(),
        enrolled: m.enrolled.into(),
        printed: m.printed.into(),
        handed_over: m.handed_over.into(),
        not_collected: m.not_collected.into(),
    }
}

impl From<&SiteFigures> for SiteFiguresJson {
    fn from(f: &SiteFigures) -> Self {
        SiteFiguresJson {
            id: f.site.id.to_string(),
            name: f.site.name.clone(),
            kind: f.site.kind.as_str().to_owned(),
            closed: f.site.closed,
            waiting_now: f.waiting_now.into(),
            months: f.months.iter().map(month_json).collect(),
            totals: TotalsJson {
                enrolled: f.total.enrolled.into(),
                printed: f.total.printed.into(),
                handed_over: f.total.handed_over.into(),
                not_collected: f.total.not_collected.into(),
            },
        }
    }
}

/// `GET /api/v1/figures` query.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FiguresParams {
    months: Option<String>,
}

// ---------------------------------------------------------------- helpers

/// A site id from a path (decimal digits).
pub(super) fn site_path_id(text: &str) -> AppResult<i64> {
    parse_site_id("id", Some(text))?.ok_or_else(|| AppError::not_found("site"))
}

/// Any signed-in user may read the sites, but not before a one-time
/// password is changed.
fn require_signed_in(user: &ApiUser) -> AppResult<()> {
    if user.actor().must_change_password {
        return Err(DomainError::PasswordChangeRequired.into());
    }
    Ok(())
}

fn sites_json(sites: &[Site]) -> Vec<SiteJson> {
    sites.iter().map(Into::into).collect()
}

// ---------------------------------------------------------------- sites

/// Every site, open and closed (any signed-in user).
#[utoipa::path(get, path = "/api/v1/sites", tag = "sites",
    responses((status = 200, body = [SiteJson]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_sites(state: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    require_signed_in(&user)?;
    let sites = state.run(|office| office.sites()).await?;
    Ok(ok(&sites_json(&sites)))
}

/// The sites a resident enrolled by the caller may pick the card up at:
/// every open city counter and pop-up site, and the caller's own site (a
/// partner organisation offers itself and no other partner). Give one as
/// `pickup_site` when enrolling, renewing or replacing.
#[utoipa::path(get, path = "/api/v1/sites/pickup", tag = "sites",
    responses((status = 200, body = [SiteJson]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pickup_sites(state: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    require_signed_in(&user)?;
    let actor = user.actor().clone();
    let sites = state.run(move |office| office.pickup_sites(&actor)).await?;
    Ok(ok(&sites_json(&sites)))
}

/// Create a site (admins).
#[utoipa::path(post, path = "/api/v1/sites", tag = "sites", request_body = NewSiteRequest,
    responses((status = 201, body = SiteJson),
        (status = 400, description = "invalid_input: `name` (`required`, `too_long`, `characters`) or `kind` (`choice`)", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "conflict: a site with this name exists", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_site(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewSiteRequest>,
) -> AppResult<HttpResponse> {
    user.require(Permission::ManageSites)?;
    let body = body.into_inner();
    let kind = SiteKind::parse(&body.kind)?;
    let actor = user.actor().clone();
    let site = state
        .run(move |office| office.create_site(&actor, &body.name, kind))
        .await?;
    Ok(json(StatusCode::CREATED, &SiteJson::from(&site)))
}

/// Rename a site (admins); its kind stays. `POST` does the same.
#[utoipa::path(method(patch, post), path = "/api/v1/sites/{id}", tag = "sites", request_body = RenameSiteRequest,
    params(("id" = String, Path, description = "site id")),
    responses((status = 200, body = SiteJson),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: a site with this name exists", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rename_site(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<String>,
    body: web::Json<RenameSiteRequest>,
) -> AppResult<HttpResponse> {
    user.require(Permission::ManageSites)?;
    let id = site_path_id(&id)?;
    let name = body.into_inner().name;
    let actor = user.actor().clone();
    let site = state
        .run(move |office| office.rename_site(&actor, id, &name))
        .await?;
    Ok(ok(&SiteJson::from(&site)))
}

/// Close a site (admins): its users can no longer sign in or work, and it
/// is no longer offered for pick-up. Refused while cards still wait there.
#[utoipa::path(post, path = "/api/v1/sites/{id}/close", tag = "sites",
    params(("id" = String, Path, description = "site id")),
    responses((status = 200, body = SiteJson), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: cards are still waiting to be printed or picked up there", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn close_site(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    set_closed(state, user, &id, true).await
}

/// Open a closed site again (admins).
#[utoipa::path(post, path = "/api/v1/sites/{id}/reopen", tag = "sites",
    params(("id" = String, Path, description = "site id")),
    responses((status = 200, body = SiteJson), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reopen_site(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    set_closed(state, user, &id, false).await
}

async fn set_closed(
    state: web::Data<AppState>,
    user: ApiUser,
    id: &str,
    closed: bool,
) -> AppResult<HttpResponse> {
    user.require(Permission::ManageSites)?;
    let id = site_path_id(id)?;
    let actor = user.actor().clone();
    let site = state
        .run(move |office| office.set_site_closed(&actor, id, closed))
        .await?;
    Ok(ok(&SiteJson::from(&site)))
}

// ---------------------------------------------------------------- users

/// Put a user at a site, or make them city-wide with `"site": null`
/// (admins). Admins and auditors are always city-wide.
#[utoipa::path(put, path = "/api/v1/users/{username}/site", tag = "sites",
    request_body = UserSiteRequest,
    params(("username" = String, Path, description = "user name")),
    responses((status = 200, body = UserSiteJson),
        (status = 400, description = "invalid_input: `site` (`choice`: not a site id, or an admin or auditor put at a site)", body = ErrorBody),
        (status = 403, description = "forbidden; site_closed: the site is closed", body = ErrorBody),
        (status = 404, description = "not_found: no such user or site", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_user_site(
    state: web::Data<AppState>,
    user: ApiUser,
    username: web::Path<String>,
    body: web::Json<UserSiteRequest>,
) -> AppResult<HttpResponse> {
    user.require(Permission::ManageUsers)?;
    let site = parse_site_id("site", body.into_inner().site.as_deref())?;
    let name = crate::office::accounts::normalize_username(&username)?;
    let actor = user.actor().clone();
    let stored = name.clone();
    state
        .run(move |office| office.set_user_site(&actor, &name, site))
        .await?;
    Ok(ok(&UserSiteJson {
        username: stored,
        site: site.map(|s| s.to_string()),
    }))
}

// ---------------------------------------------------------------- figures

/// Per-site figures for the last `months` months (admins): cards enrolled,
/// printed, handed over and not collected per site and month, and the
/// cards waiting for pick-up now. Counts only, never a name or a card
/// number. Each count is `{"value": n, "label": "n"}`; a partner
/// organisation's count of 1 to 4 is `{"value": null, "label": "< 5"}`.
#[utoipa::path(get, path = "/api/v1/figures", tag = "sites",
    params(("months" = Option<u8>, Query, description = "months to look back, this one included (1 to 120, default 12)")),
    responses((status = 200, body = FiguresJson), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn figures(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<FiguresParams>,
) -> AppResult<HttpResponse> {
    user.require(Permission::ReadFigures)?;
    let months = match query.into_inner().months.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_FIGURE_MONTHS,
        Some(t) => t
            .parse::<u8>()
            .ok()
            .filter(|m| (1..=MAX_FIGURE_MONTHS).contains(m))
            .ok_or_else(|| {
                AppError::invalid("months", format!("must be 1 to {MAX_FIGURE_MONTHS}"))
            })?,
    };
    let actor = user.actor().clone();
    let figures = state
        .run(move |office| office.site_figures(&actor, months))
        .await?;
    Ok(ok(&FiguresJson {
        months,
        sites: figures.iter().map(Into::into).collect(),
    }))
}
