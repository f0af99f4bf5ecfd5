//! Search by card number, or by name and date of birth.

use super::{dob_policy, parse_dob, to_field};
use crate::office::actor::Permission;
use crate::office::cards::parse_card_number;
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use crate::web::ui::templates::{CardRow, Search};
use crate::web::ui::view::{FieldErrors, Page, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

// ---------------------------------------------------------------- search

pub(super) fn search_page(
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
