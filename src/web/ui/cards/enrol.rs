//! Enrol a resident and issue the first card (with the duplicate warning).

use super::{attestation_of, dob_policy, parse_dob, photo_of, to_field};
use crate::office::actor::Permission;
use crate::office::cards::{EnrolOutcome, Enrolment};
use crate::office::sites::parse_site_id;
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::forms;
use crate::web::state::AppState;
use crate::web::ui::templates::{CardRow, Enrol, EnrolForm};
use crate::web::ui::upload::{self};
use crate::web::ui::view::{FieldErrors, Page, render, render_status, see_other};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;

// ---------------------------------------------------------------- enrol

pub async fn enrol_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::IssueCards)?;
    let page = Page::new(&req, &user, "enrol.title");
    let (dob_asked, dob_required) = dob_policy(&state);
    let pickup_options = pickup_options(&state, &user, "").await?;
    render(
        &page,
        &Enrol {
            page: &page,
            errors: FieldErrors::new(),
            form: EnrolForm::default(),
            dob_asked,
            dob_required,
            duplicates: Vec::new(),
            pickup_options,
        },
    )
}

/// The sites the resident may pick the card up at, for the form's select:
/// (id, name, selected). The clerk's own site first and selected unless
/// another was chosen.
async fn pickup_options(
    state: &AppState,
    user: &AuthUser,
    chosen: &str,
) -> HtmlResult<Vec<(String, String, bool)>> {
    let actor = user.actor().clone();
    let own = actor.site;
    let mut sites = state.run(move |o| o.pickup_sites(&actor)).await?;
    sites.sort_by_key(|s| (Some(s.id) != own, s.name.clone()));
    Ok(sites
        .into_iter()
        .map(|s| {
            let id = s.id.to_string();
            let selected = if chosen.is_empty() {
                Some(s.id) == own
            } else {
                id == chosen
            };
            (id, s.name, selected)
        })
        .collect())
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
    for e in forms::name_problems(form.text("given_names"), form.text("family_name")) {
        to_field(lang, AppError::from(e), &mut errors)?;
    }
    let date_of_birth = parse_dob(lang, form.text("date_of_birth"), &mut errors);
    if dob_required && date_of_birth.is_none() {
        errors.add("date_of_birth", lang.t("field.date_of_birth_required"));
    }
    let photo = photo_of(lang, &mut form, &mut errors).await?;
    let attestation = attestation_of(lang, &form, &mut errors);
    let pickup_site = match parse_site_id("pickup_site", Some(form.text("pickup_site"))) {
        Ok(site) => site,
        Err(e) => {
            to_field(lang, AppError::from(e), &mut errors)?;
            None
        }
    };
    let mut duplicates = Vec::new();
    if errors.is_empty() {
        let enrolment = Enrolment {
            given_names: form.text("given_names").to_owned(),
            family_name: form.text("family_name").to_owned(),
            date_of_birth,
            photo: photo.clone(),
            attestation,
            confirm_duplicate: form.checked("confirm_duplicate"),
            pickup_site,
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
        attest_caretaker: attestation.caretaker_present,
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
            pickup_options: pickup_options(&state, &user, form.text("pickup_site")).await?,
        },
        status,
    )
}
