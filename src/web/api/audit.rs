//! The audit log (auditors): pages of entries, and the whole log as CSV.

use super::json::{AuditEntryJson, DeletionDueJson, ErrorBody, card_number, ok};
use crate::office::actor::Permission;
use crate::office::audit::AuditQuery;
use crate::web::auth::ApiUser;
use crate::web::error::AppResult;
use crate::web::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

/// `GET /api/v1/audit` query.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    before: Option<i64>,
    card_number: Option<String>,
    limit: Option<u32>,
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
        return audit_csv(req, state, user).await;
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
    responses((status = 200, content_type = "text/csv", description = "CSV with a header row; the last column (action_label) names each action in the Accept-Language language"),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ApiUser,
) -> AppResult<HttpResponse> {
    user.require(Permission::ReadAudit)?;
    // The action labels (last column) in the language `Accept-Language`
    // asks for, as in the UI (German when it names neither).
    let lang = crate::web::ui::i18n::Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    );
    crate::web::export::audit_csv(&state, user.actor().clone(), lang).await
}

// ---------------------------------------------------------------- deletion schedule

/// What the deletion schedule (docs/privacy.md) erases within 30 days,
/// those already due included: counts only (supervisors, auditors, admins).
#[utoipa::path(get, path = "/api/v1/deletion-schedule", tag = "audit",
    responses((status = 200, body = DeletionDueJson), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn deletion_schedule(
    state: web::Data<AppState>,
    user: ApiUser,
) -> AppResult<HttpResponse> {
    let actor = user.actor().clone();
    let due = state.run(move |o| o.deletion_due(&actor)).await?;
    Ok(ok(&DeletionDueJson {
        within_days: crate::office::maintenance::DUE_WITHIN_DAYS,
        cards_ended: due.cards_ended,
        never_printed: due.never_printed,
    }))
}
