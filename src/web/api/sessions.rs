//! Sessions, one's own password and API tokens.

use super::json::{
    ErrorBody, LoginRequest, NewTokenResponse, PasswordRequest, TokenRequest, TokenResponse,
    TokenSummary, ok, timestamp,
};
use crate::web::auth::{ApiUser, ClientAddr};
use crate::web::error::{AppError, AppResult, json};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use secrecy::{ExposeSecret, SecretString};

/// Log in: a session token for `Authorization: Bearer`.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = LoginRequest,
    responses((status = 201, body = TokenResponse),
        (status = 401, description = "unauthorized: wrong user name or password", body = ErrorBody),
        (status = 429, description = "throttled: too many failed logins (`Retry-After`)", body = ErrorBody),
        (status = 503, description = "busy: every password check the office runs at once is taken (`Retry-After`)", body = ErrorBody)))]
pub async fn create_session(
    state: web::Data<AppState>,
    client: ClientAddr,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let password = SecretString::from(body.password);
    let session = crate::web::auth::login(&state, &body.username, password, client).await?;
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
    if !token.starts_with(crate::office::accounts::SESSION_TOKEN_PREFIX) {
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
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "session_required: the request came with an API token", body = ErrorBody),
        (status = 503, description = "busy (`Retry-After`)", body = ErrorBody)),
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

/// Create an API token for oneself: only with a session token from
/// `POST /api/v1/sessions` (a password session), never with another API
/// token. It lives at most the office's `api_token_max_days` (default 90)
/// and may be limited to some of one's permissions; it ends with a password
/// change or reset.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "sessions", request_body = TokenRequest,
    responses((status = 201, body = NewTokenResponse),
        (status = 400, description = "invalid_input: `label`, `valid_for_days` (`too_short`, `too_long`: over the maximum) or `permissions` (`required`, `choice`: unknown or not the role's)", body = ErrorBody),
        (status = 403, description = "session_required: the request came with an API token", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_token(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TokenRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let actor = user.actor().clone();
    let t = state
        .run(move |office| {
            office.create_limited_api_token(
                &actor,
                &body.label,
                body.valid_for_days,
                body.permissions.as_deref(),
            )
        })
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
            permissions: t
                .permissions
                .as_ref()
                .map(|ps| ps.iter().map(|p| p.code().to_owned()).collect()),
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
