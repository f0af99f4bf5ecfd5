//! The pick-up list of the clerk's site (issue 11): cards to send (central
//! print staff), to receive, to hand over and to destroy, each step one
//! click, and the hand-over with its confirmation that the clerk compared
//! the person with the card's photo.

use super::number_from_path;
use crate::office::Office;
use crate::office::actor::Permission;
use crate::office::cards::{PICKUP_PAGE, PickupCursor, PickupEntry, PickupQuery, PickupStep};
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use crate::web::ui::errors::field_error;
use crate::web::ui::templates::{HandOver, Pickup, PickupGroup, PickupRow};
use crate::web::ui::view::{FieldErrors, Page, query_value, render, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::collections::HashMap;

/// The groups of the list, in the order a day's work goes.
const GROUPS: [(PickupStep, &str, &str, &str); 4] = [
    (
        PickupStep::Printed,
        "pickup.to_send",
        "sent",
        "pickup.mark_sent",
    ),
    (
        PickupStep::Sent,
        "pickup.arriving",
        "received",
        "pickup.mark_received",
    ),
    (
        PickupStep::Ready,
        "pickup.ready",
        "hand-over",
        "pickup.hand_over",
    ),
    (
        PickupStep::NotCollected,
        "pickup.not_collected",
        "destroyed",
        "pickup.mark_destroyed",
    ),
];

/// `GET /pickup`: each step's oldest cards and how many there are;
/// `GET /pickup?step=S` one step, a page at a time (`&after=` the cursor
/// of the page before).
pub async fn pickup(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::HandOverCards)?;
    let page = Page::new(&req, &user, "pickup.title");
    let lang = page.lang;
    let actor = user.actor().clone();
    let city_wide = actor.site.is_none();
    let at = ListAt::of(
        &actor,
        query_value(&req, "step").as_deref(),
        query_value(&req, "after").as_deref(),
    );
    let (list, sites) = state
        .run(move |o| {
            let list = match at.step {
                Some(step) => o.pickup_page(
                    &actor,
                    PickupQuery {
                        step: Some(step),
                        after: at.after,
                        limit: PICKUP_PAGE,
                    },
                )?,
                None => o.pickup_overview(&actor, PICKUP_PAGE)?,
            };
            Ok((list, o.sites()?))
        })
        .await
        .map_err(AppError::html)?;
    let names: HashMap<i64, String> = sites.into_iter().map(|s| (s.id, s.name)).collect();
    let groups = GROUPS
        .iter()
        .filter(|(step, ..)| city_wide || *step != PickupStep::Printed)
        .filter(|(step, ..)| at.step.is_none_or(|only| only == *step))
        .map(|(step, title, action, button)| {
            let rows: Vec<PickupRow> = list
                .entries
                .iter()
                .filter(|e| e.step == *step)
                .map(|e| row(lang, e, &names, city_wide, button))
                .collect();
            let count = list.count(*step);
            let code = step.as_str();
            let more = (at.step.is_none() && count > rows.len()).then(|| {
                (
                    format!("/pickup?step={code}"),
                    lang.tf("pickup.show_all", &[("count", &count.to_string())]),
                )
            });
            PickupGroup {
                title: lang.t(title),
                hint: lang.t(&format!("{title}_hint")),
                action,
                link: *step == PickupStep::Ready,
                // On a step's own pages the count and the pages say it.
                shown: (at.step.is_none() && count > rows.len()).then(|| {
                    lang.tf(
                        "pickup.shown",
                        &[
                            ("shown", &rows.len().to_string()),
                            ("count", &count.to_string()),
                        ],
                    )
                }),
                count,
                rows,
                more,
                next: at
                    .step
                    .and(list.next)
                    .map(|c| format!("/pickup?step={code}&after={c}")),
            }
        })
        .collect();
    render(
        &page,
        &Pickup {
            page: &page,
            groups,
            one_step: at.step.is_some(),
            first_page: at
                .step
                .filter(|_| at.after.is_some())
                .map(|s| format!("/pickup?step={}", s.as_str())),
            list_step: at.step.map(|s| s.as_str()).unwrap_or_default(),
            list_after: at.after.map(|c| c.to_string()).unwrap_or_default(),
        },
    )
}

/// Which part of the pick-up list a page shows: a step of the user's list
/// and where in it, or every step (a step not on the user's list, or a
/// cursor that does not read, shows the first page).
#[derive(Clone, Copy)]
struct ListAt {
    step: Option<PickupStep>,
    after: Option<PickupCursor>,
}

impl ListAt {
    fn of(actor: &crate::office::actor::Actor, step: Option<&str>, after: Option<&str>) -> ListAt {
        let step = step
            .and_then(PickupStep::parse)
            .filter(|s| Office::pickup_steps(actor).contains(s));
        ListAt {
            step,
            after: step.and(after.and_then(PickupCursor::parse)),
        }
    }

    /// The page's address, with a message.
    fn href(self, msg: &str) -> String {
        match (self.step, self.after) {
            (None, _) => format!("/pickup?msg={msg}"),
            (Some(s), None) => format!("/pickup?step={}&msg={msg}", s.as_str()),
            (Some(s), Some(c)) => format!("/pickup?step={}&after={c}&msg={msg}", s.as_str()),
        }
    }
}

fn row(
    lang: crate::web::ui::i18n::Lang,
    e: &PickupEntry,
    names: &HashMap<i64, String>,
    city_wide: bool,
    button: &str,
) -> PickupRow {
    let n = e.summary.card_number;
    PickupRow {
        digits: n.digits(),
        display: n.to_string(),
        name: format!("{} {}", e.given_names, e.family_name)
            .trim()
            .to_owned(),
        since: e.since.map(|t| lang.date_time(t)).unwrap_or_default(),
        site: if city_wide {
            names.get(&e.pickup_site).cloned().unwrap_or_default()
        } else {
            String::new()
        },
        button: lang.tf(button, &[("card", &n.to_string())]),
    }
}

/// A step's form: the CSRF token, and the list page it was sent from (to
/// go back to).
#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    list_step: String,
    #[serde(default)]
    list_after: String,
}

/// `POST /pickup/{number}/sent`, `/received`, `/destroyed`: one step, then
/// back to the page of the list it was sent from.
pub async fn step(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    form: web::Form<StepForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::HandOverCards)?;
    let (number, action) = path.into_inner();
    let number = number_from_path(&number)?;
    let actor = user.actor().clone();
    let back = ListAt::of(
        &actor,
        Some(form.list_step.as_str()),
        Some(form.list_after.as_str()),
    );
    let (msg, run): (&str, fn(&crate::office::Office, &_, _) -> crate::Result<()>) =
        match action.as_str() {
            "sent" => ("pickup.sent_done", |o, a, n| o.mark_sent(a, n)),
            "received" => ("pickup.received_done", |o, a, n| o.mark_received(a, n)),
            "destroyed" => ("pickup.destroyed_done", |o, a, n| o.mark_destroyed(a, n)),
            _ => return Err(AppError::not_found("page").html()),
        };
    state
        .run(move |o| run(o, &actor, number))
        .await
        .map_err(AppError::html)?;
    Ok(see_other(&back.href(msg)))
}

/// `GET /pickup/{number}/hand-over`: the confirmation page.
pub async fn hand_over_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    number: web::Path<String>,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::HandOverCards)?;
    let number = number_from_path(&number)?;
    hand_over_page(
        &req,
        &state,
        &user,
        number,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn hand_over_page(
    req: &HttpRequest,
    state: &AppState,
    user: &AuthUser,
    number: citycard_credential::CardNumber,
    errors: FieldErrors,
    status: StatusCode,
) -> HtmlResult<HttpResponse> {
    let page = Page::new(req, user, "pickup.hand_over_title");
    let actor = user.actor().clone();
    let entry = state
        .run(move |o| o.pickup_entry(&actor, number, PickupStep::Ready))
        .await
        .map_err(AppError::html)?;
    render_status(
        &page,
        &HandOver {
            page: &page,
            errors,
            digits: number.digits(),
            display: number.to_string(),
            name: format!("{} {}", entry.given_names, entry.family_name)
                .trim()
                .to_owned(),
        },
        status,
    )
}

#[derive(Deserialize)]
pub struct HandOverForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    compared: String,
}

/// `POST /pickup/{number}/hand-over`.
pub async fn hand_over(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    number: web::Path<String>,
    form: web::Form<HandOverForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::HandOverCards)?;
    let number = number_from_path(&number)?;
    let compared = !form.compared.is_empty();
    let actor = user.actor().clone();
    match state
        .run(move |o| o.hand_over(&actor, number, compared))
        .await
    {
        Ok(()) => Ok(see_other("/pickup?msg=pickup.handed_over_done")),
        Err(e) => {
            let lang = Page::new(&req, &user, "pickup.hand_over_title").lang;
            match field_error(lang, &e) {
                Some((field, message)) => {
                    let mut errors = FieldErrors::new();
                    errors.add(field, message);
                    hand_over_page(&req, &state, &user, number, errors, StatusCode::BAD_REQUEST)
                        .await
                }
                None => Err(e.html()),
            }
        }
    }
}
