//! Printing from the clerk UI: a card's PDF, a reprint, "mark as printed"
//! (with its confirmation step), and the print queue with its batch PDF.
//!
//! Every card is printed with the office's [`Printer`] (loaded once:
//! [`Office::printer`]): the configured template, or its layout without
//! photo for a card that has none (never taken, or deleted after printing).
//! A printing error maps as in the API (`From<&PrintError> for AppError`):
//! a card that cannot be printed (`cannot_print`) gets its reason on the
//! page in the clerk's language, translated from the print error's code
//! ([`PrintError::code`]), and never blocks the other cards of a batch; a
//! fault of the office is an error page.

mod pickup;
mod queue;

pub use pickup::{hand_over, hand_over_form, pickup, step as pickup_step};

pub use queue::{queue, queue_pdf, queue_printed};

use super::cards::card_page;
use super::i18n::Lang;
use super::session::CsrfForm;
use super::templates::Confirm;
use super::view::{FieldErrors, Page, render, render_status, see_other};
use crate::config::{Config, PhotoRetention};
use crate::office::Office;
use crate::office::actor::Permission;
use crate::office::cards::parse_card_number;
use crate::output::{CardFace, Layout, PrintError, Printer};
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use citycard_credential::CardNumber;
use serde::Deserialize;

fn number_from_path(path: &str) -> Result<CardNumber, AppError> {
    parse_card_number(path).map_err(|_| AppError::not_found("card").html())
}

/// The office's printer; a broken template is the operator's fault
/// (logged, 500), never the clerk's.
pub(super) fn printer(office: &Office) -> Result<std::sync::Arc<Printer>, AppError> {
    office.printer().map_err(|e| AppError::from(e).html())
}

/// Why a card cannot be printed, in the clerk's language (from the error's
/// code; the character is shown as `U+1F600 😀`).
pub fn problem_text(lang: Lang, e: &PrintError) -> String {
    match e.character() {
        Some(c) => lang.tf(
            "print.unprintable_character",
            &[("char", &format!("U+{:04X} {c}", u32::from(c)))],
        ),
        None => lang.t(&format!("print.{}", e.code())).to_owned(),
    }
}

/// What went wrong while printing: a printing error (the card's own
/// problem is shown on the page), or another error (an error page).
enum Failure {
    Print(PrintError),
    App(AppError),
}

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Self {
        Failure::App(e.into())
    }
}

impl From<PrintError> for Failure {
    fn from(e: PrintError) -> Self {
        Failure::Print(e)
    }
}

/// One card as a PDF (card-printer layout), or why it cannot be printed.
fn render_one(office: &Office, card: CardFace) -> Result<Vec<u8>, Failure> {
    Ok(office.printer()?.card_pdf(card, Layout::CardPrinter)?)
}

pub(super) fn pdf_response(bytes: Vec<u8>, file: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(bytes)
}

/// The PDF, or the card page with the reason it cannot be printed.
async fn pdf_or_page(
    req: &HttpRequest,
    state: &AppState,
    user: &AuthUser,
    number: CardNumber,
    result: Result<Vec<u8>, Failure>,
) -> HtmlResult<HttpResponse> {
    match result {
        Ok(bytes) => Ok(pdf_response(
            bytes,
            &format!("card-{}.pdf", number.digits()),
        )),
        Err(Failure::Print(e)) => {
            let err = AppError::from(&e);
            if err.code() != "cannot_print" {
                return Err(err.html());
            }
            let lang = Page::new(req, user, "card.title").lang;
            let text = lang.tf("print.cannot_print", &[("reason", &problem_text(lang, &e))]);
            card_page(req, state, user, number, Some(text), err.status()).await
        }
        Err(Failure::App(e)) => Err(e.html()),
    }
}

/// `GET /cards/{n}/pdf`: a card not yet marked printed.
pub async fn pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::PrintCards)?;
    let number = number_from_path(&path)?;
    let actor = user.actor().clone();
    let office = state.office().clone();
    let result =
        web::block(move || office.print_card(&actor, number, |card| render_one(&office, card)))
            .await
            .map_err(|e| AppError::from(e).html())?;
    pdf_or_page(&req, &state, &user, number, result).await
}

/// `POST /cards/{n}/reprint` (supervisors): audited only when the PDF was
/// made.
pub async fn reprint(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::ReprintCards)?;
    let number = number_from_path(&path)?;
    let actor = user.actor().clone();
    let office = state.office().clone();
    let result =
        web::block(move || office.reprint(&actor, number, |card| render_one(&office, card)))
            .await
            .map_err(|e| AppError::from(e).html())?;
    pdf_or_page(&req, &state, &user, number, result).await
}

/// Before the clerk clicks: whether a card not yet printed can be printed
/// (`Some(reason)` when not), and whether a card without photo gets the
/// no-photo layout.
pub fn preflight(
    office: &Office,
    actor: &crate::office::actor::Actor,
    number: CardNumber,
) -> Option<PrintError> {
    office.printer().ok()?;
    office.print_check(actor, number).err()
}

/// What printing will look like, for the card page: the layout a card
/// without photo gets, and what a reprint after printing will have.
pub fn print_note(lang: Lang, office: &Office, printed: bool, has_photo: bool) -> Option<String> {
    let config = office.config();
    let no_photo_layout = office
        .printer()
        .map(|p| p.has_no_photo_layout())
        .unwrap_or(false);
    let key = match (printed, has_photo, no_photo_layout) {
        (false, true, _) => match config.photo_retention {
            PhotoRetention::AfterPrinting => "print.note_photo_deleted_when_printed",
            PhotoRetention::Days(_) => "print.note_photo_kept_days",
        },
        (false, false, true) => "print.note_no_photo",
        (true, true, _) => "print.note_reprint_with_photo",
        (true, false, true) => "print.note_reprint_no_photo",
        (_, false, false) => return None,
    };
    let days = match config.photo_retention {
        PhotoRetention::Days(d) => d.to_string(),
        PhotoRetention::AfterPrinting => String::new(),
    };
    Some(lang.tf(key, &[("days", &days)]))
}

// ---------------------------------------------------------------- mark printed

fn printed_intro(lang: Lang, config: &Config) -> String {
    match config.photo_retention {
        PhotoRetention::AfterPrinting => lang.t("printed.intro").to_owned(),
        PhotoRetention::Days(d) => lang.tf("printed.intro_days", &[("days", &d.to_string())]),
    }
}

fn printed_page<'a>(
    page: &'a Page,
    config: &Config,
    number: CardNumber,
    errors: FieldErrors,
) -> Confirm<'a> {
    let lang = page.lang;
    Confirm {
        page,
        errors,
        digits: number.digits(),
        action: "printed",
        intro: printed_intro(lang, config),
        confirm_label: lang.t("printed.confirm"),
        submit: lang.t("printed.submit"),
        reasons: Vec::new(),
        handover: Some(lang.t("printed.handed_over_now")),
    }
}

fn printed_title(req: &HttpRequest, user: &AuthUser, number: CardNumber) -> Page {
    let page = Page::new(req, user, "card.title");
    let title = page
        .lang
        .tf("printed.title", &[("number", &number.to_string())]);
    page.with_title(title)
}

/// `GET /cards/{n}/printed`: the confirmation step.
pub async fn mark_printed_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::PrintCards)?;
    let number = number_from_path(&path)?;
    let page = printed_title(&req, &user, number);
    render(
        &page,
        &printed_page(&page, state.config(), number, FieldErrors::new()),
    )
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    handed_over: String,
}

/// `POST /cards/{n}/printed`: only with the confirmation ticked.
pub async fn mark_printed(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::PrintCards)?;
    let number = number_from_path(&path)?;
    if form.confirm.is_empty() {
        let page = printed_title(&req, &user, number);
        let mut errors = FieldErrors::new();
        errors.add("confirm", page.lang.t("printed.confirm_error"));
        return render_status(
            &page,
            &printed_page(&page, state.config(), number, errors),
            StatusCode::BAD_REQUEST,
        );
    }
    let actor = user.actor().clone();
    let handed_over = !form.handed_over.is_empty();
    state
        .run(move |o| o.mark_printed_handed_over(&actor, number, handed_over))
        .await
        .map_err(AppError::html)?;
    Ok(see_other(&format!(
        "/cards/{}?msg={}",
        number.digits(),
        if handed_over {
            "pickup.handed_over_done"
        } else {
            "card.marked_printed"
        }
    )))
}
