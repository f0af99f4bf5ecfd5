//! Printing: a card's PDF, marking it printed, the print queue.

use super::json::{ErrorBody, QueueEntryJson, card_number, ok};
use crate::office::actor::Permission;
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

/// Active cards not yet printed, oldest first.
#[utoipa::path(get, path = "/api/v1/print-queue", tag = "printing",
    responses((status = 200, body = [QueueEntryJson])), security(("bearer" = [])))]
pub async fn print_queue(state: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    user.require(Permission::PrintCards)?;
    let actor = user.actor().clone();
    let q = state.run(move |office| office.print_queue(&actor)).await?;
    let out: Vec<QueueEntryJson> = q.iter().map(Into::into).collect();
    Ok(ok(&out))
}
