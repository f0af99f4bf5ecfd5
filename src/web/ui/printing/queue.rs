//! The print queue, its batch PDF and marking a batch printed.

use super::{pdf_response, printer, problem_text};
use crate::office::actor::Permission;
use crate::office::cards::{PRINT_QUEUE_PAGE, QueueFrom, parse_card_number};
use crate::output::{Layout, PrintError};
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use crate::web::ui::templates::{Queue, QueueRow};
use crate::web::ui::view::{FieldErrors, Page, query_value, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use citycard_credential::CardNumber;
use serde::Deserialize;

// ---------------------------------------------------------------- print queue

/// Which page of the queue a request asks for: `?after=N` (the page after
/// card N), `?before=N` (the page before it), else the first. A value that
/// is not a card number is the first page.
fn position(req: &HttpRequest) -> QueueFrom {
    let card = |name| query_value(req, name).and_then(|v| parse_card_number(&v).ok());
    match (card("after"), card("before")) {
        (Some(n), _) => QueueFrom::After(n),
        (None, Some(n)) => QueueFrom::Before(n),
        (None, None) => QueueFrom::Start,
    }
}

/// The page that showed these cards, shown again after a form on it.
fn page_of(numbers: &[CardNumber]) -> QueueFrom {
    numbers
        .first()
        .map_or(QueueFrom::Start, |&n| QueueFrom::At(n))
}

/// One page of the queue ([`PRINT_QUEUE_PAGE`] cards). Every card on it is
/// checked before it is offered: those that cannot be printed are listed
/// with their reason and left out of the page's batch PDF and of "mark as
/// printed". Only the page's residents are read and decrypted.
pub async fn queue_page(
    page: &Page,
    state: &AppState,
    user: &AuthUser,
    from: QueueFrom,
    errors: FieldErrors,
    alerts: Vec<String>,
    status: StatusCode,
) -> HtmlResult<HttpResponse> {
    let actor = user.actor().clone();
    let (queue, no_photo_layout) = state
        .run_app(move |o| {
            let printer = printer(o)?;
            let queue = o.print_queue_page_checked(&actor, from, PRINT_QUEUE_PAGE)?;
            Ok((queue, printer.has_no_photo_layout()))
        })
        .await
        .map_err(AppError::html)?;
    let lang = page.lang;
    let mut printable = Vec::new();
    let mut rows = Vec::new();
    for (e, check) in queue.entries.iter().zip(&queue.checks) {
        let number = e.summary.card_number;
        let print = match check {
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
    let previous = queue.more_before.then(|| match rows.first() {
        Some(r) => format!("/print-queue?before={}", r.digits),
        // Past the end (the cards after were printed meanwhile).
        None => "/print-queue".to_owned(),
    });
    let next = queue
        .more_after
        .then(|| {
            rows.last()
                .map(|r| format!("/print-queue?after={}", r.digits))
        })
        .flatten();
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
            intro: lang.tf("queue.intro", &[("page", &PRINT_QUEUE_PAGE.to_string())]),
            previous,
            next,
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
        position(&req),
        FieldErrors::new(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// `1234…,5678…` → card numbers (at most the queue's largest page).
fn numbers_list(text: &str) -> Result<Vec<CardNumber>, AppError> {
    let numbers = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_card_number(s).map_err(|_| AppError::bad_body("bad card list").html()))
        .collect::<Result<Vec<_>, _>>()?;
    let limit = usize::try_from(crate::office::cards::PRINT_QUEUE_LIMIT).unwrap_or(500);
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
    let shown = page_of(&numbers);
    let actor = user.actor().clone();
    let batch = state
        .run_app(move |o| {
            let printer = printer(o)?;
            // One card at a time from the database (at most one photo
            // decrypted at a time besides the PDF being built); audited
            // once the PDF was made.
            o.print_cards(&actor, &numbers, |cards| {
                let cards = cards
                    .map(|(n, card)| (n, card.map_err(|e| PrintError::Unavailable(e.to_string()))));
                let batch = printer
                    .batch(cards, Layout::CardPrinter)
                    .map_err(AppError::from)?;
                let printed = batch.pdf.as_ref().map_or(0, |_| batch.printed.len());
                Ok((batch, printed))
            })
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
                shown,
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
        let shown = numbers_list(&form.cards).map_or(QueueFrom::Start, |n| page_of(&n));
        return queue_page(
            &page,
            &state,
            &user,
            shown,
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
