//! Printing: a card's PDF, marking it printed, the print queue.

use super::json::{ErrorBody, QueueEntryJson, card_number, ok};
use crate::office::actor::Permission;
use crate::office::cards::{PRINT_QUEUE_LIMIT, QueueFrom};
use crate::output::{CardFace, Layout, PrintError, Printer};
use crate::web::auth::ApiUser;
use crate::web::error::{AppError, AppResult};
use crate::web::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// `GET /api/v1/cards/{number}/pdf` query.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PdfParams {
    template: Option<String>,
    sheet: Option<String>,
    reprint: Option<bool>,
}

/// The card as a PDF (marks nothing; see `POST …/printed`). A card already
/// marked printed needs `reprint=true` (supervisors; audited).
#[utoipa::path(get, path = "/api/v1/cards/{number}/pdf", tag = "printing",
    params(("number" = String, Path, description = "card number"),
        ("template" = Option<String>, Query, description = "card template (default: the configured one)"),
        ("sheet" = Option<String>, Query, description = "`a4` for a print-shop sheet; default: one card side per page"),
        ("reprint" = Option<bool>, Query, description = "print a card already marked printed (supervisors)")),
    responses((status = 200, content_type = "application/pdf", description = "the PDF"),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pdf(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
    query: web::Query<PdfParams>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let reprint = query.reprint.unwrap_or(false);
    user.require(if reprint {
        Permission::ReprintCards
    } else {
        Permission::PrintCards
    })?;
    let number = card_number(&number)?;
    let layout = match query.sheet.as_deref().map(str::trim) {
        None | Some("") | Some("card") => Layout::CardPrinter,
        Some(s) if s.eq_ignore_ascii_case("a4") => Layout::SheetA4,
        Some(_) => return Err(AppError::invalid("sheet", "must be a4 (or absent)")),
    };
    let template = match query.template {
        Some(t) => t,
        None => state.config().card_template.clone(),
    };
    if template.is_empty()
        || template.len() > 64
        || !template
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::invalid(
            "template",
            "must be a template name (letters, digits, - and _)",
        ));
    }
    let actor = user.actor().clone();
    let office = state.office().clone();
    // A reprint is audited only once its PDF was made.
    let bytes = web::block(move || -> AppResult<Vec<u8>> {
        let printer = office.printer()?;
        let print = |card| render_pdf(&printer, &template, layout, card);
        if reprint {
            office.reprint(&actor, number, print)
        } else {
            office.print_card(&actor, number, print)
        }
    })
    .await??;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"card-{}.pdf\"", number.digits()),
        ))
        .body(bytes))
}

/// One card as a PDF with `template`, or its layout without photo for a
/// card that has none; a printing error maps as everywhere
/// (`422 cannot_print`), but for a template name that does not exist.
fn render_pdf(
    printer: &Printer,
    template: &str,
    layout: Layout,
    card: CardFace,
) -> AppResult<Vec<u8>> {
    printer
        .card_pdf_with(template, card, layout)
        .map_err(|e| match e {
            PrintError::TemplateNotFound { .. } => {
                AppError::invalid("template", "no such template")
            }
            other => AppError::from(other),
        })
}

/// Mark a card printed (deletes the photo as the retention setting says).
#[utoipa::path(post, path = "/api/v1/cards/{number}/printed", tag = "printing",
    params(("number" = String, Path, description = "card number")),
    responses((status = 204), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn printed(
    state: web::Data<AppState>,
    user: ApiUser,
    number: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(Permission::PrintCards)?;
    let number = card_number(&number)?;
    let actor = user.actor().clone();
    state
        .run(move |office| office.mark_printed(&actor, number))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/print-queue` query.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    after: Option<String>,
    before: Option<String>,
    limit: Option<u32>,
}

/// Active cards not yet printed, oldest first, a page at a time: the
/// first `limit` cards, or those after (before) a card. To page on, pass
/// the last card's number as `after` (the first's as `before`); it stays
/// a valid place when that card has left the queue meanwhile. A `Link`
/// header (RFC 8288) names the page after (`rel="next"`) and the page
/// before (`rel="prev"`) when there are any; a page going backwards that
/// reaches the start is the first page, full.
#[utoipa::path(get, path = "/api/v1/print-queue", tag = "printing",
    params(("after" = Option<String>, Query, description = "the cards after this card (the last card of the page before); it need not be queued any more"),
        ("before" = Option<String>, Query, description = "the cards before this card (the first card of the page after); not with `after`"),
        ("limit" = Option<u32>, Query, description = "at most this many (default 100, at most 500)")),
    responses((status = 200, body = [QueueEntryJson],
            headers(("Link" = String, description = "`</api/v1/print-queue?after=N&limit=L>; rel=\"next\"` and `…?before=N…; rel=\"prev\"`, when there are such pages"))),
        (status = 400, body = ErrorBody, description = "`invalid_input`: a malformed card number, `after` with `before`, or a card number of no card")),
    security(("bearer" = [])))]
pub async fn print_queue(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<QueueParams>,
) -> AppResult<HttpResponse> {
    user.require(Permission::PrintCards)?;
    let q = query.into_inner();
    let from = match (q.after.as_deref(), q.before.as_deref()) {
        (None, None) => QueueFrom::Start,
        (Some(n), None) => QueueFrom::After(card_number(n)?),
        (None, Some(n)) => QueueFrom::Before(card_number(n)?),
        (Some(_), Some(_)) => return Err(AppError::invalid("before", "not with after")),
    };
    let max = u32::try_from(PRINT_QUEUE_LIMIT).unwrap_or(500);
    let limit = usize::try_from(q.limit.unwrap_or(100).clamp(1, max)).unwrap_or(100);
    let actor = user.actor().clone();
    let page = state
        .run(move |office| office.print_queue_page(&actor, from, limit))
        .await?;
    let out: Vec<QueueEntryJson> = page.entries.iter().map(Into::into).collect();
    let link = |rel: &str, dir: &str, n: Option<&crate::office::cards::QueueEntry>| {
        n.map(|e| {
            format!(
                "</api/v1/print-queue?{dir}={}&limit={limit}>; rel=\"{rel}\"",
                e.summary.card_number.digits()
            )
        })
    };
    let links: Vec<String> = [
        page.more_after
            .then(|| link("next", "after", page.entries.last()))
            .flatten(),
        page.more_before
            .then(|| link("prev", "before", page.entries.first()))
            .flatten(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut response = ok(&out);
    if !links.is_empty()
        && let Ok(value) = header::HeaderValue::from_str(&links.join(", "))
    {
        response.headers_mut().insert(header::LINK, value);
    }
    Ok(response)
}
