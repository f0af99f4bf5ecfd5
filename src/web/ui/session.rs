//! Signing in and out, and changing one's own password (forced after a
//! one-time password).

use super::templates::{Login, Password};
use super::view::{FieldErrors, Page, query_value, render, render_status, see_other};
use crate::web::auth::{self, AuthUser, ClientAddr, SESSION_COOKIE};
use crate::web::error::HtmlResult;
use crate::web::redirect::safe_next;
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

pub async fn login_form(req: HttpRequest) -> HtmlResult<HttpResponse> {
    let page = Page::anonymous(&req, "login.title");
    let next = query_value(&req, "next")
        .filter(|n| safe_next(n).is_some())
        .unwrap_or_default();
    render(
        &page,
        &Login {
            page: &page,
            errors: FieldErrors::new(),
            username: String::new(),
            next,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: ClientAddr,
    form: web::Form<LoginForm>,
) -> HtmlResult<HttpResponse> {
    let LoginForm {
        username,
        password,
        next,
    } = form.into_inner();
    let page = Page::anonymous(&req, "login.title");
    let lang = page.lang;
    let mut errors = FieldErrors::new();
    let mut retry_after = None;
    if username.trim().is_empty() {
        errors.add("username", lang.t("field.username"));
    }
    if password.is_empty() {
        errors.add("password", lang.t("login.bad_credentials"));
    }
    let status = if errors.is_empty() {
        match auth::login(&state, &username, SecretString::from(password), client).await {
            Ok(session) => {
                let to = if session.actor.must_change_password {
                    crate::web::error::PASSWORD_PATH.to_owned()
                } else {
                    safe_next(&next).unwrap_or("/").to_owned()
                };
                return Ok(HttpResponse::SeeOther()
                    .cookie(auth::session_cookie(&state, &session))
                    .insert_header((actix_web::http::header::LOCATION, to))
                    .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                    .finish());
            }
            Err(e) if e.code() == "throttled" => {
                let minutes = e
                    .retry_after()
                    .unwrap_or(60)
                    .div_ceil(60)
                    .max(1)
                    .to_string();
                errors.add(
                    "password",
                    lang.tf("login.throttled", &[("minutes", &minutes)]),
                );
                retry_after = e.retry_after();
                StatusCode::TOO_MANY_REQUESTS
            }
            Err(e) if e.code() == "busy" => {
                errors.add("password", lang.t("error.busy"));
                retry_after = e.retry_after();
                StatusCode::SERVICE_UNAVAILABLE
            }
            Err(e) if e.code() == "unauthorized" || e.code() == "invalid_input" => {
                errors.add("password", lang.t("login.bad_credentials"));
                StatusCode::UNAUTHORIZED
            }
            Err(e) => return Err(e.html()),
        }
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut res = render_status(
        &page,
        &Login {
            page: &page,
            errors,
            username: username.chars().take(64).collect(),
            next: safe_next(&next).unwrap_or_default().to_owned(),
        },
        status,
    )?;
    if let Some(secs) = retry_after
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

pub async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    form: web::Form<CsrfForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    auth::logout(&state, &user).await?;
    Ok(HttpResponse::SeeOther()
        .cookie(auth::removal_cookie(&state))
        .insert_header((
            actix_web::http::header::LOCATION,
            "/login?msg=login.signed_out",
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish())
}

pub async fn password_form(req: HttpRequest, user: AuthUser) -> HtmlResult<HttpResponse> {
    let page = Page::new(&req, &user, "password.title");
    render(
        &page,
        &Password {
            page: &page,
            errors: FieldErrors::new(),
            forced: user.actor().must_change_password,
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
}

pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    form: web::Form<PasswordForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    let form = form.into_inner();
    let page = Page::new(&req, &user, "password.title");
    let lang = page.lang;
    let mut errors = FieldErrors::new();
    if form.new_password != form.repeat_password {
        errors.add("repeat_password", lang.t("password.mismatch"));
    }
    if errors.is_empty() {
        let actor = user.actor().clone();
        let current = SecretString::from(form.current_password);
        let new = SecretString::from(form.new_password);
        // Keep this session (the cookie's token); the others end.
        let keep = req
            .cookie(SESSION_COOKIE)
            .map(|c| SecretString::from(c.value().to_owned()));
        let result = state
            .run(move |office| office.change_own_password(&actor, &current, &new, keep.as_ref()))
            .await;
        match result {
            Ok(()) => return Ok(see_other("/?msg=password.changed")),
            Err(e) if e.field() == Some("current_password") => {
                errors.add("current_password", lang.t("password.wrong_current"));
            }
            Err(e) if e.code() == "invalid_input" => {
                errors.add("new_password", lang.t("password.rules"));
            }
            Err(e) => return Err(e.html()),
        }
    }
    render_status(
        &page,
        &Password {
            page: &page,
            errors,
            forced: user.actor().must_change_password,
        },
        StatusCode::BAD_REQUEST,
    )
}
