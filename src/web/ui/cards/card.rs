//! The card page.

use super::number_from_path;
use crate::office::actor::Permission;
use crate::office::cards::RenewalState;
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use crate::web::ui::templates::{Card, CardRow, CardView, status_text};
use crate::web::ui::view::{Page, render_status};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use citycard_credential::CardNumber;

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
        (a.caretaker_present, "card.caretaker_present"),
    ]
    .iter()
    .filter(|(ok, _)| *ok)
    .map(|(_, k)| lang.t(k))
    .collect::<Vec<_>>()
    .join(", ");
    let attested = format!(
        "{} — {}",
        checks,
        match (&a.site, &a.attested_by) {
            (Some(site), by) => lang.tf(
                "card.attested_at_site",
                &[
                    ("user", by.as_deref().unwrap_or("—")),
                    ("site", site),
                    ("time", &lang.date_time(a.attested_at)),
                ],
            ),
            (None, _) => lang.tf(
                "card.attested_elsewhere",
                &[("time", &lang.date_time(a.attested_at))],
            ),
        }
    );
    let pickup = details.pickup.as_ref().map(|p| {
        let site = p
            .site
            .clone()
            .unwrap_or_else(|| lang.t("card.another_site").to_owned());
        lang.tf(
            &format!("card.pickup_{}", p.step.as_str()),
            &[("site", &site)],
        )
    });
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
        pickup,
    };
    let qr_svg = details.qr_text.as_deref().and_then(|t| {
        crate::web::ui::svg::qr_svg(
            t,
            &lang.tf("card.qr_alt", &[("number", &number.to_string())]),
        )
    });
    let actions = details.actions(role);
    // The renewal window, said on the page of the newest card of an
    // active resident: open (renew prominently), not yet, or closed.
    let renewal_note = match (actions.replace, details.renewal) {
        (false, _) => None,
        (true, RenewalState::Open { closes }) => Some((
            true,
            lang.tf("card.renewal_open", &[("closes", &lang.date(closes))]),
        )),
        (true, RenewalState::NotYet { opens, .. }) => Some((
            false,
            lang.tf("card.renewal_not_yet", &[("opens", &lang.date(opens))]),
        )),
        (true, RenewalState::Closed { closed, .. }) => Some((
            false,
            lang.tf("card.renewal_closed", &[("closed", &lang.date(closed))]),
        )),
    };
    let can_print = actions.print;
    let can_reprint = actions.reprint;
    // Before the clerk clicks: can it be printed, and how will it look?
    let problem = match (problem, can_print) {
        (Some(p), _) => Some(p),
        (None, true) => {
            let actor = user.actor().clone();
            state
                .run(move |o| Ok(crate::web::ui::printing::preflight(o, &actor, number)))
                .await
                .map_err(AppError::html)?
                .map(|e| {
                    lang.tf(
                        "print.cannot_print",
                        &[("reason", &crate::web::ui::printing::problem_text(lang, &e))],
                    )
                })
        }
        (None, false) => None,
    };
    let print_note = (can_print || can_reprint).then(|| {
        crate::web::ui::printing::print_note(
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
        can_renew: actions.renew,
        can_replace: actions.replace,
        renewal_note,
        can_revoke: actions.revoke,
        can_erase: actions.erase,
        resident: details.resident.clone(),
    };
    render_status(&page, &tmpl, status)
}
