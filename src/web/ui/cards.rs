//! The counter's pages: overview, enrol and issue (with the duplicate
//! warning), the card page, renew / replace / revoke / erase, search,
//! printing.

use super::i18n::Lang;
use super::templates::{
    Card, CardRow, CardView, Confirm, Dashboard, Enrol, EnrolForm, NewCard, Search, choices,
    status_text,
};
use super::upload::{self, PhotoUpload, UploadForm};
use super::view::{FieldErrors, Page, field_error, render, render_status, see_other};
use crate::config::DateOfBirthPolicy;
use crate::dates::{DateProblem, DateSyntax};
use crate::issuance::{
    Attestation, CardStatus, EnrolOutcome, Enrolment, NewCardRequest, PublishStatus, ReplaceReason,
    RevocationReason, clean_name, parse_card_number,
};
use crate::office::actor::Permission;
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use citycard_credential::date::today_utc;
use citycard_credential::{CardNumber, Date};
use serde::Deserialize;

fn number_from_path(path: &str) -> Result<CardNumber, AppError> {
    parse_card_number(path).map_err(|_| AppError::not_found("card").html())
}

fn dob_policy(state: &AppState) -> (bool, bool) {
    match state.config().date_of_birth {
        DateOfBirthPolicy::Required => (true, true),
        DateOfBirthPolicy::Optional => (true, false),
        DateOfBirthPolicy::None => (false, false),
    }
}

/// A typed date of birth (German `14.03.1988` or ISO): empty is `None`;
/// anything else that is not a plausible date of birth is a field error
/// that says why.
fn parse_dob(lang: Lang, text: &str, errors: &mut FieldErrors) -> Option<Date> {
    match crate::dates::parse_date_of_birth(text, DateSyntax::IsoOrGerman, today_utc()) {
        Ok(d) => d,
        Err(problem) => {
            let days = match problem {
                DateProblem::NoSuchDay { days_in_month } => days_in_month.to_string(),
                _ => String::new(),
            };
            errors.add(
                "date_of_birth",
                lang.tf(
                    &format!("field.date_{}", problem.code()),
                    &[("days", &days)],
                ),
            );
            None
        }
    }
}

/// The photo of a form, re-encoded (metadata stripped), or a field error.
async fn photo_of(
    lang: Lang,
    form: &mut UploadForm,
    errors: &mut FieldErrors,
) -> Result<Option<Vec<u8>>, AppError> {
    let raw = match std::mem::take(&mut form.photo) {
        PhotoUpload::TooLarge => {
            errors.add("photo", lang.t("field.photo_too_large"));
            return Ok(None);
        }
        PhotoUpload::Bytes(b) => Some(b),
        PhotoUpload::None => {
            let kept = form.text("photo_kept").trim();
            if kept.is_empty() {
                None
            } else {
                Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(kept)
                        .map_err(|_| AppError::bad_body("the kept photo is damaged").html())?,
                )
            }
        }
    };
    let Some(raw) = raw else {
        return Ok(None);
    };
    match web::block(move || crate::web::photo::reencode(&raw)).await {
        Ok(Ok(p)) => Ok(Some(p)),
        Ok(Err(crate::web::photo::PhotoError::TooSmall)) => {
            errors.add("photo", lang.t("field.photo_too_small"));
            Ok(None)
        }
        Ok(Err(_)) => {
            errors.add("photo", lang.t("field.photo"));
            Ok(None)
        }
        Err(e) => Err(AppError::from(e).html()),
    }
}

/// Adds the field error of a domain error, or gives the error back.
fn to_field(lang: Lang, e: AppError, errors: &mut FieldErrors) -> Result<(), AppError> {
    if let Some((field, msg)) = super::printing::unprintable_field_error(lang, &e) {
        errors.add(field, msg);
        return Ok(());
    }
    match field_error(lang, &e) {
        Some((field, msg)) => {
            errors.add(field, msg);
            Ok(())
        }
        None => Err(e.html()),
    }
}

// ---------------------------------------------------------------- overview

pub async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    if user.actor().must_change_password {
        return Ok(see_other(crate::web::error::PASSWORD_PATH));
    }
    let page = Page::new(&req, &user, "dashboard.title");
    let lang = page.lang;
    let role = user.role();
    let mut tiles = Vec::new();
    if role.allows(Permission::IssueCards) {
        tiles.push((
            "/enrol",
            lang.t("nav.enrol"),
            lang.t("dashboard.enrol_text").to_owned(),
        ));
    }
    if role.allows(Permission::SearchCards) {
        tiles.push((
            "/search",
            lang.t("nav.search"),
            lang.t("dashboard.search_text").to_owned(),
        ));
    }
    if role.allows(Permission::PrintCards) {
        let actor = user.actor().clone();
        let count = state
            .run(move |o| o.print_queue(&actor))
            .await
            .map_err(AppError::html)?
            .len();
        tiles.push((
            "/print-queue",
            lang.t("nav.queue"),
            lang.tf("dashboard.queue_text", &[("count", &count.to_string())]),
        ));
    }
    if role.allows(Permission::ManageUsers) {
        tiles.push((
            "/users",
            lang.t("nav.users"),
            lang.t("dashboard.users_text").to_owned(),
        ));
    }
    if role.allows(Permission::ManageKeys) {
        tiles.push((
            "/keys",
            lang.t("nav.keys"),
            lang.t("dashboard.keys_text").to_owned(),
        ));
    }
    if role.allows(Permission::ReadAudit) {
        tiles.push((
            "/audit",
            lang.t("nav.audit"),
            lang.t("dashboard.audit_text").to_owned(),
        ));
    }
    let welcome = lang.tf("dashboard.welcome", &[("user", &user.actor().username)]);
    render(
        &page,
        &Dashboard {
            page: &page,
            welcome,
            tiles,
        },
    )
}

// ---------------------------------------------------------------- enrol

pub async fn enrol_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::IssueCards)?;
    let page = Page::new(&req, &user, "enrol.title");
    let (dob_asked, dob_required) = dob_policy(&state);
    render(
        &page,
        &Enrol {
            page: &page,
            errors: FieldErrors::new(),
            form: EnrolForm::default(),
            dob_asked,
            dob_required,
            duplicates: Vec::new(),
        },
    )
}

pub async fn enrol(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    payload: Multipart,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::IssueCards)?;
    let mut form = upload::read(payload).await?;
    user.check_csrf(form.text("csrf_token"))?;
    let page = Page::new(&req, &user, "enrol.title");
    let lang = page.lang;
    let (dob_asked, dob_required) = dob_policy(&state);
    let mut errors = FieldErrors::new();
    // Every field is checked before the enrolment, so that the clerk sees
    // all problems at once (the enrolment checks them again).
    for (field, may_be_empty) in [("given_names", true), ("family_name", false)] {
        if let Err(e) = clean_name(field, form.text(field), may_be_empty) {
            to_field(lang, AppError::from(e), &mut errors)?;
        }
    }
    let date_of_birth = parse_dob(lang, form.text("date_of_birth"), &mut errors);
    if dob_required && date_of_birth.is_none() {
        errors.add("date_of_birth", lang.t("field.date_of_birth_required"));
    }
    let photo = photo_of(lang, &mut form, &mut errors).await?;
    let attestation = Attestation {
        identity_checked: form.checked("attest_identity"),
        residence_checked: form.checked("attest_residence"),
    };
    if !attestation.identity_checked {
        errors.add("attest_identity", lang.t("field.attest_identity"));
    }
    if !attestation.residence_checked {
        errors.add("attest_residence", lang.t("field.attest_residence"));
    }
    let mut duplicates = Vec::new();
    if errors.is_empty() {
        let enrolment = Enrolment {
            given_names: form.text("given_names").to_owned(),
            family_name: form.text("family_name").to_owned(),
            date_of_birth,
            photo: photo.clone(),
            attestation,
            confirm_duplicate: form.checked("confirm_duplicate"),
        };
        let actor = user.actor().clone();
        match state
            .run(move |o| o.enrol_and_issue(&actor, enrolment))
            .await
        {
            Ok(EnrolOutcome::Issued(card)) => {
                let msg = if card.duplicate_confirmed {
                    "enrol.issued_duplicate"
                } else {
                    "enrol.issued"
                };
                return Ok(see_other(&format!(
                    "/cards/{}?msg={msg}",
                    card.card_number.digits()
                )));
            }
            Ok(EnrolOutcome::PossibleDuplicate(cards)) => {
                duplicates = cards.iter().map(|c| CardRow::new(lang, c)).collect();
            }
            Err(e) => to_field(lang, e, &mut errors)?,
        }
    }
    let status = if duplicates.is_empty() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::CONFLICT
    };
    let enrol_form = EnrolForm {
        given_names: form.text("given_names").to_owned(),
        family_name: form.text("family_name").to_owned(),
        date_of_birth: form.text("date_of_birth").to_owned(),
        photo_kept: photo
            .map(|p| base64::engine::general_purpose::STANDARD.encode(p))
            .unwrap_or_default(),
        attest_identity: attestation.identity_checked,
        attest_residence: attestation.residence_checked,
    };
    render_status(
        &page,
        &Enrol {
            page: &page,
            errors,
            form: enrol_form,
            dob_asked,
            dob_required,
            duplicates,
        },
        status,
    )
}

// ---------------------------------------------------------------- card page

pub async fn card(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> HtmlResult<HttpResponse> {
    let number = number_from_path(&path)?;
    card_page(&req, &state, &user, number, None, StatusCode::OK).await
}

/// The card page; `problem` is shown at the top (why a PDF could not be
/// made), with `status`.
pub async fn card_page(
    req: &HttpRequest,
    state: &AppState,
    user: &AuthUser,
    number: CardNumber,
    problem: Option<String>,
    status: StatusCode,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::SearchCards)?;
    let actor = user.actor().clone();
    let details = state
        .run(move |o| o.get_card(&actor, number))
        .await
        .map_err(AppError::html)?;
    let page = Page::new(req, user, "card.title");
    let lang = page.lang;
    let page = page.with_title(lang.tf("card.title", &[("number", &number.to_string())]));
    let s = &details.summary;
    let a = &details.attestation;
    let checks = [
        (a.identity_checked, "card.identity_checked"),
        (a.residence_checked, "card.residence_checked"),
    ]
    .iter()
    .filter(|(ok, _)| *ok)
    .map(|(_, k)| lang.t(k))
    .collect::<Vec<_>>()
    .join(", ");
    let attested = format!(
        "{} — {}",
        checks,
        lang.tf(
            "card.attested",
            &[
                ("user", &a.attested_by),
                ("time", &lang.date_time(a.attested_at)),
            ],
        )
    );
    let active = s.status == CardStatus::Active;
    let role = user.role();
    let view = CardView {
        digits: number.digits(),
        status: status_text(lang, s.status),
        status_class: s.status.as_str(),
        issued: lang.date(s.issued),
        expires: lang.date(s.expires),
        office: s.office.clone(),
        printed: s.printed_at.map(|p| lang.date_time(p)),
        previous: s.previous_card.map(|p| (p.digits(), p.to_string())),
        kid: details.kid.clone(),
        attested,
    };
    let qr_svg = details.qr_text.as_deref().and_then(|t| {
        super::svg::qr_svg(
            t,
            &lang.tf("card.qr_alt", &[("number", &number.to_string())]),
        )
    });
    let erased = s.erased;
    let can_print =
        role.allows(Permission::PrintCards) && active && !erased && s.printed_at.is_none();
    let can_reprint =
        role.allows(Permission::ReprintCards) && active && !erased && s.printed_at.is_some();
    // Before the clerk clicks: can it be printed, and how will it look?
    let problem = match (problem, can_print) {
        (Some(p), _) => Some(p),
        (None, true) => {
            let actor = user.actor().clone();
            state
                .run(move |o| Ok(super::printing::preflight(o, &actor, number)))
                .await
                .map_err(AppError::html)?
                .map(|e| {
                    lang.tf(
                        "print.cannot_print",
                        &[("reason", &super::printing::problem_text(lang, &e))],
                    )
                })
        }
        (None, false) => None,
    };
    let print_note = (can_print || can_reprint).then(|| {
        super::printing::print_note(
            lang,
            state.office(),
            s.printed_at.is_some(),
            details.has_photo,
        )
    });
    let tmpl = Card {
        page: &page,
        card: view,
        has_photo: details.has_photo,
        print_problem: problem,
        print_note: print_note.flatten(),
        qr_svg,
        others: details
            .resident_cards
            .iter()
            .map(|c| CardRow::new(lang, c))
            .collect(),
        can_print,
        can_reprint,
        // Renew/replace only from the newest card: a card that was already
        // renewed or replaced is the previous card of another one.
        can_issue: role.allows(Permission::IssueCards)
            && !erased
            && !details
                .resident_cards
                .iter()
                .any(|c| c.previous_card == Some(s.card_number)),
        can_revoke: role.allows(Permission::RevokeCards) && active,
        can_erase: role.allows(Permission::EraseResidents) && !erased,
        resident: details.resident.clone(),
    };
    render_status(&page, &tmpl, status)
}

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
    let attestation = Attestation {
        identity_checked: form.checked("attest_identity"),
        residence_checked: form.checked("attest_residence"),
    };
    if !attestation.identity_checked {
        errors.add("attest_identity", lang.t("field.attest_identity"));
    }
    if !attestation.residence_checked {
        errors.add("attest_residence", lang.t("field.attest_residence"));
    }
    if errors.is_empty() {
        let request = NewCardRequest { attestation, photo };
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
            PublishStatus::Published { .. } => "revoke.done",
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

// ---------------------------------------------------------------- search

fn search_page(
    page: &Page,
    errors: FieldErrors,
    results: Option<(Vec<CardRow>, [String; 3])>,
    state: &AppState,
    status: StatusCode,
) -> HtmlResult<HttpResponse> {
    let (dob_asked, dob_required) = dob_policy(state);
    let (rows, [given, family, dob]) = match results {
        Some((rows, typed)) => (Some(rows), typed),
        None => (None, Default::default()),
    };
    render_status(
        page,
        &Search {
            page,
            errors,
            card_number: String::new(),
            given_names: given,
            family_name: family,
            date_of_birth: dob,
            dob_asked,
            dob_required,
            results: rows,
        },
        status,
    )
}

pub async fn search_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::SearchCards)?;
    let page = Page::new(&req, &user, "search.title");
    search_page(&page, FieldErrors::new(), None, &state, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct NumberForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    card_number: String,
}

pub async fn search_number(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    form: web::Form<NumberForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::SearchCards)?;
    match parse_card_number(&form.card_number) {
        Ok(n) => Ok(see_other(&format!("/cards/{}", n.digits()))),
        Err(e) => {
            let page = Page::new(&req, &user, "search.title");
            let lang = page.lang;
            let mut errors = FieldErrors::new();
            to_field(lang, AppError::from(e), &mut errors)?;
            let (dob_asked, dob_required) = dob_policy(&state);
            render_status(
                &page,
                &Search {
                    page: &page,
                    errors,
                    card_number: form.card_number.chars().take(40).collect(),
                    given_names: String::new(),
                    family_name: String::new(),
                    date_of_birth: String::new(),
                    dob_asked,
                    dob_required,
                    results: None,
                },
                StatusCode::BAD_REQUEST,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    given_names: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    date_of_birth: String,
}

pub async fn search_name(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    form: web::Form<NameForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::SearchCards)?;
    let form = form.into_inner();
    let page = Page::new(&req, &user, "search.title");
    let lang = page.lang;
    let mut errors = FieldErrors::new();
    let dob = parse_dob(lang, &form.date_of_birth, &mut errors);
    let mut rows = Vec::new();
    if errors.is_empty() {
        let actor = user.actor().clone();
        let (g, f) = (form.given_names.clone(), form.family_name.clone());
        match state
            .run(move |o| o.search_by_name_and_dob(&actor, &g, &f, dob))
            .await
        {
            Ok(found) => rows = found.iter().map(|c| CardRow::new(lang, c)).collect(),
            Err(e) => to_field(lang, e, &mut errors)?,
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let results = errors.is_empty().then_some(rows);
    let (dob_asked, dob_required) = dob_policy(&state);
    render_status(
        &page,
        &Search {
            page: &page,
            errors,
            card_number: String::new(),
            given_names: form.given_names,
            family_name: form.family_name,
            date_of_birth: form.date_of_birth,
            dob_asked,
            dob_required,
            results,
        },
        status,
    )
}
