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

use super::cards::card_page;
use super::i18n::Lang;
use super::session::CsrfForm;
use super::templates::{Confirm, Queue, QueueRow};
use super::view::{FieldErrors, Page, query_value, render, render_status, see_other};
use crate::config::{Config, PhotoRetention};
use crate::issuance::parse_card_number;
use crate::office::Office;
use crate::office::actor::Permission;
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
fn printer(office: &Office) -> Result<std::sync::Arc<Printer>, AppError> {
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

/// The enrolment form's error for a name the card cannot print (codes
/// `unprintable_character`, `name_too_long`), in the clerk's language.
pub fn unprintable_field_error(lang: Lang, e: &AppError) -> Option<(&'static str, String)> {
    let field = e.field()?;
    let msg = match e.code() {
        "unprintable_character" => {
            let shown = e
                .extra()
                .and_then(|(_, v)| v.as_str())
                .and_then(|u| u.strip_prefix("U+"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32)
                .map(|c| format!("U+{:04X} {c}", u32::from(c)))?;
            lang.tf("print.field_unprintable_character", &[("char", &shown)])
        }
        "name_too_long" => lang.t("print.field_name_too_long").to_owned(),
        _ => return None,
    };
    Some((field, msg))
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

fn pdf_response(bytes: Vec<u8>, file: &str) -> HttpResponse {
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
    let result = web::block(move || {
        let card = office.card_for_printing(&actor, number)?;
        render_one(&office, card)
    })
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
    let printer = office.printer().ok()?;
    match office.card_for_printing(actor, number) {
        Ok(card) => printer.check(&card).err(),
        Err(e) => Some(PrintError::Unavailable(e.to_string())),
    }
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
    state
        .run(move |o| o.mark_printed(&actor, number))
        .await
        .map_err(AppError::html)?;
    Ok(see_other(&format!(
        "/cards/{}?msg=card.marked_printed",
        number.digits()
    )))
}

// ---------------------------------------------------------------- print queue

/// The queue page. Every card is checked before it is offered: those that
/// cannot be printed are listed with their reason and left out of the
/// batch PDF and of "mark as printed".
pub async fn queue_page(
    page: &Page,
    state: &AppState,
    user: &AuthUser,
    errors: FieldErrors,
    alerts: Vec<String>,
    status: StatusCode,
) -> HtmlResult<HttpResponse> {
    let actor = user.actor().clone();
    let (entries, checks, no_photo_layout) = state
        .run_app(move |o| {
            let entries = o.print_queue(&actor)?;
            let printer = printer(o)?;
            let checks = entries
                .iter()
                .map(|e| {
                    let n = e.summary.card_number;
                    match o.card_for_printing(&actor, n) {
                        Ok(card) => {
                            let photo = card.photo.is_some();
                            printer.check(&card).map(|()| photo)
                        }
                        Err(e) => Err(PrintError::Unavailable(e.to_string())),
                    }
                })
                .collect::<Vec<_>>();
            Ok((entries, checks, printer.has_no_photo_layout()))
        })
        .await
        .map_err(AppError::html)?;
    let lang = page.lang;
    let mut printable = Vec::new();
    let mut rows = Vec::new();
    for (e, check) in entries.iter().zip(checks) {
        let number = e.summary.card_number;
        let print = match &check {
            Ok(true) => lang.t("print.ready_photo").to_owned(),
            Ok(false) if no_photo_layout => lang.t("print.ready_no_photo").to_owned(),
            Ok(false) => lang.t("print.ready").to_owned(),
            Err(e) => lang.tf("print.cannot_print", &[("reason", &problem_text(lang, e))]),
        };
        if check.is_ok() {
            printable.push(number.digits());
        }
        rows.push(QueueRow {
            digits: number.digits(),
            display: number.to_string(),
            name: format!("{} {}", e.given_names, e.family_name)
                .trim()
                .to_owned(),
            issued: lang.date(e.summary.issued),
            expires: lang.date(e.summary.expires),
            print,
            printable: check.is_ok(),
        });
    }
    let left_out = rows.len() - printable.len();
    let mark_label = lang.tf("queue.mark_all", &[("count", &printable.len().to_string())]);
    let batch_label = lang.tf(
        "queue.batch_pdf",
        &[("count", &printable.len().to_string())],
    );
    let left_out_text = (left_out > 0).then(|| {
        lang.tf(
            "print.left_out",
            &[
                ("count", &left_out.to_string()),
                (
                    "numbers",
                    &rows
                        .iter()
                        .filter(|r| !r.printable)
                        .map(|r| r.display.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ],
        )
    });
    render_status(
        page,
        &Queue {
            page,
            errors,
            alerts,
            entries: rows,
            numbers: printable.join(","),
            printable: printable.len(),
            mark_label,
            batch_label,
            left_out: left_out_text,
        },
        status,
    )
}

pub async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::PrintCards)?;
    let page = Page::new(&req, &user, "queue.title");
    queue_page(
        &page,
        &state,
        &user,
        FieldErrors::new(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// `1234…,5678…` → card numbers (at most the queue's limit).
fn numbers_list(text: &str) -> Result<Vec<CardNumber>, AppError> {
    let numbers = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_card_number(s).map_err(|_| AppError::bad_body("bad card list").html()))
        .collect::<Result<Vec<_>, _>>()?;
    let limit = usize::try_from(crate::issuance::PRINT_QUEUE_LIMIT).unwrap_or(500);
    if numbers.is_empty() || numbers.len() > limit {
        return Err(AppError::bad_body("bad card list").html());
    }
    Ok(numbers)
}

/// `GET /print-queue/pdf?cards=…`: the cards that can be printed, in one
/// PDF. When none can, the queue page says why.
pub async fn queue_pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::PrintCards)?;
    let numbers = numbers_list(&query_value(&req, "cards").unwrap_or_default())?;
    let actor = user.actor().clone();
    let batch = state
        .run_app(move |o| {
            let printer = printer(o)?;
            // One card at a time from the database (at most one photo
            // decrypted at a time besides the PDF being built).
            let cards = numbers.iter().map(|&n| {
                let card = o
                    .card_for_printing(&actor, n)
                    .map_err(|e| PrintError::Unavailable(e.to_string()));
                (n, card)
            });
            printer
                .batch(cards, Layout::CardPrinter)
                .map_err(AppError::from)
        })
        .await
        .map_err(AppError::html)?;
    if !batch.skipped.is_empty() {
        // Counts and codes only: no name, no card number in the log.
        let codes: Vec<&str> = batch.skipped.iter().map(|s| s.reason.code()).collect();
        eprintln!(
            "note: print queue PDF: {} card(s) left out ({})",
            batch.skipped.len(),
            codes.join(", ")
        );
    }
    match batch.pdf {
        Some(pdf) => Ok(pdf_response(pdf, "print-queue.pdf")),
        None => {
            let page = Page::new(&req, &user, "queue.title");
            let lang = page.lang;
            let alerts = batch
                .skipped
                .iter()
                .map(|s| {
                    lang.tf(
                        "print.card_left_out",
                        &[
                            ("number", &s.number.to_string()),
                            ("reason", &problem_text(lang, &s.reason)),
                        ],
                    )
                })
                .collect();
            queue_page(
                &page,
                &state,
                &user,
                FieldErrors::new(),
                alerts,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct BatchForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    cards: String,
    #[serde(default)]
    confirm: String,
}

pub async fn queue_printed(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    form: web::Form<BatchForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::PrintCards)?;
    if form.confirm.is_empty() {
        let page = Page::new(&req, &user, "queue.title");
        let mut errors = FieldErrors::new();
        errors.add("confirm", page.lang.t("queue.confirm_error"));
        return queue_page(
            &page,
            &state,
            &user,
            errors,
            Vec::new(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let numbers = numbers_list(&form.cards)?;
    let actor = user.actor().clone();
    let marked = state
        .run(move |o| {
            let mut marked = 0usize;
            for n in numbers {
                match o.mark_printed(&actor, n) {
                    Ok(()) => marked += 1,
                    // Printed or revoked meanwhile: leave it.
                    Err(crate::Error::InvalidState(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(marked)
        })
        .await
        .map_err(AppError::html)?;
    Ok(see_other(&format!(
        "/print-queue?msg=queue.marked&count={marked}"
    )))
}
