//! Renew, replace, revoke and erase.

use super::{attestation_of, number_from_path, photo_of, to_field};
use crate::office::actor::Permission;
use crate::office::cards::{NewCardRequest, PublishStatus, ReplaceReason, RevocationReason};
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use crate::web::ui::i18n::Lang;
use crate::web::ui::templates::{Confirm, NewCard, choices};
use crate::web::ui::upload::{self, UploadForm};
use crate::web::ui::view::{FieldErrors, Page, render, render_status, see_other};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use citycard_credential::CardNumber;
use serde::Deserialize;

use super::search::search_page;

// ---------------------------------------------------------------- renew, replace

fn replace_reasons(lang: Lang) -> Vec<(&'static str, &'static str)> {
    ["lost", "stolen", "damaged"]
        .into_iter()
        .map(|r| (r, lang.t(&format!("reason.{r}"))))
        .collect()
}

fn new_card_page<'a>(
    page: &'a Page,
    number: CardNumber,
    action: &'static str,
    errors: FieldErrors,
    form: Option<&UploadForm>,
) -> NewCard<'a> {
    let lang = page.lang;
    NewCard {
        page,
        errors,
        digits: number.digits(),
        action,
        intro: lang.t(&format!("{action}.intro")),
        submit: lang.t(&format!("{action}.submit")),
        reasons: if action == "replace" {
            choices(replace_reasons(lang), form.map_or("", |f| f.text("reason")))
        } else {
            Vec::new()
        },
        attest_identity: form.is_some_and(|f| f.checked("attest_identity")),
        attest_residence: form.is_some_and(|f| f.checked("attest_residence")),
        attest_caretaker: form.is_some_and(|f| f.checked("attest_caretaker")),
    }
}

async fn new_card_form(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
    action: &'static str,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::IssueCards)?;
    let number = number_from_path(&path)?;
    let page = Page::new(&req, &user, "card.title");
    let page = page.clone().with_title(page.lang.tf(
        &format!("{action}.title"),
        &[("number", &number.to_string())],
    ));
    render(
        &page,
        &new_card_page(&page, number, action, FieldErrors::new(), None),
    )
}

pub async fn renew_form(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
) -> HtmlResult<HttpResponse> {
    new_card_form(req, user, path, "renew").await
}

pub async fn replace_form(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
) -> HtmlResult<HttpResponse> {
    new_card_form(req, user, path, "replace").await
}

async fn new_card(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    payload: Multipart,
    action: &'static str,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::IssueCards)?;
    let number = number_from_path(&path)?;
    let mut form = upload::read(payload).await?;
    user.check_csrf(form.text("csrf_token"))?;
    let page = Page::new(&req, &user, "card.title");
    let page = page.clone().with_title(page.lang.tf(
        &format!("{action}.title"),
        &[("number", &number.to_string())],
    ));
    let lang = page.lang;
    let mut errors = FieldErrors::new();
    let reason = if action == "replace" {
        let r = ReplaceReason::parse(form.text("reason"));
        if r.is_none() {
            errors.add("reason", lang.t("field.reason"));
        }
        r
    } else {
        None
    };
    let photo = photo_of(lang, &mut form, &mut errors).await?;
    let attestation = attestation_of(lang, &form, &mut errors);
    if errors.is_empty() {
        let request = NewCardRequest {
            attestation,
            photo,
            pickup_site: None,
        };
        let actor = user.actor().clone();
        let result = state
            .run(move |o| match reason {
                Some(r) => o.replace(&actor, number, r, request),
                None => o.renew(&actor, number, request),
            })
            .await;
        match result {
            Ok(card) => {
                return Ok(see_other(&format!(
                    "/cards/{}?msg={action}.done",
                    card.card_number.digits()
                )));
            }
            Err(e) => to_field(lang, e, &mut errors)?,
        }
    }
    render_status(
        &page,
        &new_card_page(&page, number, action, errors, Some(&form)),
        StatusCode::BAD_REQUEST,
    )
}

pub async fn renew(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    payload: Multipart,
) -> HtmlResult<HttpResponse> {
    new_card(req, state, user, path, payload, "renew").await
}

pub async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    payload: Multipart,
) -> HtmlResult<HttpResponse> {
    new_card(req, state, user, path, payload, "replace").await
}

// ---------------------------------------------------------------- revoke, erase

fn revoke_reasons(lang: Lang) -> Vec<(&'static str, &'static str)> {
    RevocationReason::MANUAL
        .into_iter()
        .map(|r| (r.as_str(), lang.t(&format!("reason.{}", r.as_str()))))
        .collect()
}

fn confirm_page<'a>(
    page: &'a Page,
    number: CardNumber,
    action: &'static str,
    errors: FieldErrors,
    reason: String,
) -> Confirm<'a> {
    let lang = page.lang;
    Confirm {
        page,
        errors,
        digits: number.digits(),
        action,
        intro: lang.t(&format!("{action}.intro")).to_owned(),
        confirm_label: lang.t(&format!("{action}.confirm")),
        submit: lang.t(&format!("{action}.submit")),
        reasons: if action == "revoke" {
            choices(revoke_reasons(lang), &reason)
        } else {
            Vec::new()
        },
        handover: None,
    }
}

fn confirm_title(page: &Page, action: &str, number: CardNumber) -> Page {
    page.clone().with_title(page.lang.tf(
        &format!("{action}.title"),
        &[("number", &number.to_string())],
    ))
}

pub async fn revoke_form(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::RevokeCards)?;
    let number = number_from_path(&path)?;
    let page = confirm_title(&Page::new(&req, &user, "card.title"), "revoke", number);
    render(
        &page,
        &confirm_page(&page, number, "revoke", FieldErrors::new(), String::new()),
    )
}

pub async fn erase_form(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::EraseResidents)?;
    let number = number_from_path(&path)?;
    let page = confirm_title(&Page::new(&req, &user, "card.title"), "erase", number);
    render(
        &page,
        &confirm_page(&page, number, "erase", FieldErrors::new(), String::new()),
    )
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::RevokeCards)?;
    let number = number_from_path(&path)?;
    let page = confirm_title(&Page::new(&req, &user, "card.title"), "revoke", number);
    let lang = page.lang;
    let mut errors = FieldErrors::new();
    let reason = RevocationReason::parse(form.reason.trim())
        .filter(|r| RevocationReason::MANUAL.contains(r));
    if reason.is_none() {
        errors.add("reason", lang.t("field.reason"));
    }
    if form.confirm.is_empty() {
        errors.add("confirm", lang.t("revoke.confirm_error"));
    }
    if let (Some(reason), true) = (reason, errors.is_empty()) {
        let actor = user.actor().clone();
        let revoked = state
            .run(move |o| o.revoke(&actor, number, reason))
            .await
            .map_err(AppError::html)?;
        let msg = match revoked.revocation_list {
            PublishStatus::Published { .. } | PublishStatus::Scheduled { .. } => "revoke.done",
            PublishStatus::Failed(why) => {
                eprintln!("error: the revocation list was not published: {why}");
                "revoke.list_failed"
            }
        };
        return Ok(see_other(&format!("/cards/{}?msg={msg}", number.digits())));
    }
    render_status(
        &page,
        &confirm_page(&page, number, "revoke", errors, form.reason.clone()),
        StatusCode::BAD_REQUEST,
    )
}

pub async fn erase(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::EraseResidents)?;
    let number = number_from_path(&path)?;
    let page = confirm_title(&Page::new(&req, &user, "card.title"), "erase", number);
    let lang = page.lang;
    if form.confirm.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("confirm", lang.t("erase.confirm_error"));
        return render_status(
            &page,
            &confirm_page(&page, number, "erase", errors, String::new()),
            StatusCode::BAD_REQUEST,
        );
    }
    let actor = user.actor().clone();
    let erased = state
        .run(move |o| o.erase(&actor, number))
        .await
        .map_err(AppError::html)?;
    if let PublishStatus::Failed(why) = &erased.revocation_list {
        eprintln!("error: the revocation list was not published: {why}");
    }
    let page = Page::new(&req, &user, "dashboard.title");
    let count = erased.cards.len().to_string();
    let page = page
        .clone()
        .with_title(page.lang.t("nav.search").to_owned());
    let notice = page.lang.tf("erase.done", &[("count", &count)]);
    let mut page = page;
    page.notice = Some(notice);
    search_page(&page, FieldErrors::new(), None, &state, StatusCode::OK)
}
