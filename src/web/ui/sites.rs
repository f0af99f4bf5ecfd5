//! Admin pages for sites (issue 11): the list with create, rename, close
//! and reopen; a user's site; and the per-site figures as a table and a
//! chart drawn on the server (SVG, no JavaScript).

use super::errors::field_error;
use super::i18n::Lang;
use super::templates::{FigureRow, Figures, SiteRowView, Sites};
use super::view::{FieldErrors, Page, render, render_status, see_other};
use crate::office::actor::Permission;
use crate::office::figures::{Count, SiteFigures};
use crate::office::sites::{SiteKind, parse_site_id};
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

/// A site kind in the reader's language.
pub fn kind_label(lang: Lang, kind: SiteKind) -> &'static str {
    lang.t(&format!("sites.kind_{}", kind.as_str()))
}

async fn sites_page(
    page: &Page,
    state: &AppState,
    errors: FieldErrors,
    typed: (String, String),
    status: StatusCode,
) -> HtmlResult<HttpResponse> {
    let lang = page.lang;
    let list = state.run(|o| o.sites()).await.map_err(AppError::html)?;
    let sites = list
        .into_iter()
        .map(|s| SiteRowView {
            id: s.id.to_string(),
            kind: kind_label(lang, s.kind),
            state: lang.t(if s.closed {
                "sites.closed"
            } else {
                "sites.open"
            }),
            closed: s.closed,
            rename_label: lang.tf("sites.rename_label", &[("site", &s.name)]),
            toggle_label: lang.tf(
                if s.closed {
                    "sites.reopen"
                } else {
                    "sites.close"
                },
                &[("site", &s.name)],
            ),
            name: s.name,
        })
        .collect();
    let kinds = SiteKind::ALL
        .into_iter()
        .map(|k| (k.as_str(), kind_label(lang, k), k.as_str() == typed.1))
        .collect();
    render_status(
        page,
        &Sites {
            page,
            errors,
            sites,
            kinds,
            typed_name: typed.0,
        },
        status,
    )
}

/// `GET /sites`.
pub async fn sites(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::ManageSites)?;
    let page = Page::new(&req, &user, "sites.title");
    sites_page(
        &page,
        &state,
        FieldErrors::new(),
        Default::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

/// Adds a domain error as a field error, or gives it back.
fn to_field(lang: Lang, e: AppError, errors: &mut FieldErrors) -> Result<(), AppError> {
    if e.code() == "conflict" {
        errors.add("name", lang.t("sites.conflict"));
        return Ok(());
    }
    match field_error(lang, &e) {
        Some((f, m)) => {
            errors.add(f, m);
            Ok(())
        }
        None => Err(e.html()),
    }
}

/// `POST /sites`: a new site.
pub async fn create_site(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    form: web::Form<SiteForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::ManageSites)?;
    let page = Page::new(&req, &user, "sites.title");
    let lang = page.lang;
    let form = form.into_inner();
    let mut errors = FieldErrors::new();
    match SiteKind::parse(&form.kind) {
        Err(_) => errors.add("kind", lang.t("field.kind")),
        Ok(kind) => {
            let actor = user.actor().clone();
            let name = form.name.clone();
            match state.run(move |o| o.create_site(&actor, &name, kind)).await {
                Ok(_) => return Ok(see_other("/sites?msg=sites.created")),
                Err(e) => to_field(lang, e, &mut errors)?,
            }
        }
    }
    let typed = (form.name.chars().take(100).collect(), form.kind);
    sites_page(&page, &state, errors, typed, StatusCode::BAD_REQUEST).await
}

/// `POST /sites/{id}/rename`.
pub async fn rename_site(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    form: web::Form<SiteForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::ManageSites)?;
    let id = site_from_path(&id)?;
    let page = Page::new(&req, &user, "sites.title");
    let actor = user.actor().clone();
    let name = form.name.clone();
    match state.run(move |o| o.rename_site(&actor, id, &name)).await {
        Ok(_) => Ok(see_other("/sites?msg=sites.renamed")),
        Err(e) => {
            let mut errors = FieldErrors::new();
            to_field(page.lang, e, &mut errors)?;
            sites_page(
                &page,
                &state,
                errors,
                Default::default(),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

fn site_from_path(id: &str) -> Result<i64, AppError> {
    parse_site_id("site", Some(id))
        .ok()
        .flatten()
        .ok_or_else(|| AppError::not_found("site").html())
}

async fn set_closed(
    state: web::Data<AppState>,
    user: AuthUser,
    id: String,
    csrf: &str,
    closed: bool,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(csrf)?;
    user.require(Permission::ManageSites)?;
    let id = site_from_path(&id)?;
    let actor = user.actor().clone();
    state
        .run(move |o| o.set_site_closed(&actor, id, closed))
        .await
        .map_err(AppError::html)?;
    Ok(see_other(if closed {
        "/sites?msg=sites.closed_done"
    } else {
        "/sites?msg=sites.reopened_done"
    }))
}

/// `POST /sites/{id}/close`.
pub async fn close_site(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    form: web::Form<SiteForm>,
) -> HtmlResult<HttpResponse> {
    set_closed(state, user, id.into_inner(), &form.csrf_token, true).await
}

/// `POST /sites/{id}/reopen`.
pub async fn reopen_site(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    form: web::Form<SiteForm>,
) -> HtmlResult<HttpResponse> {
    set_closed(state, user, id.into_inner(), &form.csrf_token, false).await
}

#[derive(Deserialize)]
pub struct UserSiteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    site: String,
}

/// `POST /users/{name}/site`: a user's site (empty: city-wide).
pub async fn set_user_site(
    state: web::Data<AppState>,
    user: AuthUser,
    name: web::Path<String>,
    form: web::Form<UserSiteForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::ManageUsers)?;
    let site = parse_site_id("site", Some(&form.site)).map_err(|e| AppError::from(e).html())?;
    let actor = user.actor().clone();
    let name = name.into_inner();
    state
        .run(move |o| o.set_user_site(&actor, &name, site))
        .await
        .map_err(AppError::html)?;
    Ok(see_other("/users?msg=users.site_done"))
}

// ---------------------------------------------------------------- figures

/// Months shown on the figures page.
const MONTHS: u8 = 12;

/// `GET /figures`: counts per site and month, a table and a chart.
pub async fn figures(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::ReadFigures)?;
    let page = Page::new(&req, &user, "figures.title");
    let lang = page.lang;
    let actor = user.actor().clone();
    let figures = state
        .run(move |o| o.site_figures(&actor, MONTHS))
        .await
        .map_err(AppError::html)?;
    let mut rows = Vec::new();
    for f in &figures {
        for m in f.months.iter().chain(std::iter::once(&f.total)) {
            rows.push(FigureRow {
                site: f.site.name.clone(),
                kind: kind_label(lang, f.site.kind),
                month: if m.month.is_empty() {
                    lang.t("figures.total").to_owned()
                } else {
                    m.month.clone()
                },
                total: m.month.is_empty(),
                enrolled: m.enrolled.label(),
                printed: m.printed.label(),
                handed_over: m.handed_over.label(),
                not_collected: m.not_collected.label(),
                waiting: if m.month.is_empty() {
                    f.waiting_now.label()
                } else {
                    String::new()
                },
            });
        }
    }
    let chart = chart(lang, &figures);
    render(
        &page,
        &Figures {
            page: &page,
            rows,
            chart,
        },
    )
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The steps the chart draws, with their colours (distinguishable in
/// grey too: dark, middle, light).
const SERIES: [(&str, &str); 3] = [
    ("figures.enrolled", "#0b3d78"),
    ("figures.printed", "#4f7fbf"),
    ("figures.handed_over", "#9cc3e6"),
];

fn series_value(m: &crate::office::figures::MonthRow, i: usize) -> Count {
    match i {
        0 => m.enrolled,
        1 => m.printed,
        _ => m.handed_over,
    }
}

/// A bar chart: per site a row, per month a group of three bars (cards
/// enrolled, printed, handed over there). A count shown as "< 5" is drawn
/// as a hatched stub of a fixed height, so the picture does not tell it
/// either. Each bar has its value as a tooltip (`<title>`); the table
/// below holds the same numbers for screen readers.
fn chart(lang: Lang, figures: &[SiteFigures]) -> String {
    let mut months: Vec<&str> = figures
        .iter()
        .flat_map(|f| f.months.iter().map(|m| m.month.as_str()))
        .collect();
    months.sort_unstable();
    months.dedup();
    if months.is_empty() {
        return String::new();
    }
    let max = figures
        .iter()
        .flat_map(|f| {
            f.months
                .iter()
                .flat_map(|m| (0..SERIES.len()).filter_map(|i| series_value(m, i).value()))
        })
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, group_gap, row_h, bar_h, top) =
        (240usize, 14usize, 18usize, 80usize, 56usize, 34usize);
    let group_w = SERIES.len() * bar_w + group_gap;
    let width = (label_w + months.len() * group_w + 20).max(label_w + SERIES.len() * 150 + 40);
    let height = top + figures.len() * row_h + 24;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"chart-title\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" class=\"chart\">\
         <title id=\"chart-title\">{}</title>\
         <defs><pattern id=\"hatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"2\" height=\"4\" fill=\"#333\"/></pattern></defs>",
        esc(lang.t("figures.chart_title"))
    );
    // Legend.
    for (i, (key, colour)) in SERIES.iter().enumerate() {
        let x = label_w + i * 150;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{colour}\" stroke=\"#333\"/>\
             <text x=\"{}\" y=\"17\" font-size=\"13\">{}</text>",
            x + 18,
            esc(lang.t(key))
        ));
    }
    for (i, f) in figures.iter().enumerate() {
        let base = top + i * row_h + bar_h;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>",
            base - bar_h / 2,
            esc(&f.site.name)
        ));
        for (j, month) in months.iter().enumerate() {
            let row = f.months.iter().find(|m| m.month == *month);
            for (k, (_, colour)) in SERIES.iter().enumerate() {
                let x = label_w + j * group_w + k * bar_w;
                let count = row.map_or(Count::Exact(0), |m| series_value(m, k));
                let (h, fill) = match count.value() {
                    Some(n) => (
                        usize::try_from(n).unwrap_or(0) * bar_h / usize::try_from(max).unwrap_or(1),
                        *colour,
                    ),
                    None => (bar_h / 6, "url(#hatch)"),
                };
                svg.push_str(&format!(
                    "<rect x=\"{x}\" y=\"{}\" width=\"{bar_w}\" height=\"{h}\" fill=\"{fill}\">\
                     <title>{} {}, {}: {}</title></rect>",
                    base - h,
                    esc(&f.site.name),
                    month,
                    esc(lang.t(SERIES[k].0)),
                    count.label()
                ));
            }
        }
        svg.push_str(&format!(
            "<line x1=\"{label_w}\" x2=\"{}\" y1=\"{base}\" y2=\"{base}\" stroke=\"#555\"/>",
            width - 10
        ));
    }
    for (j, month) in months.iter().enumerate() {
        let x = label_w + j * group_w;
        svg.push_str(&format!(
            "<text x=\"{x}\" y=\"{}\" font-size=\"12\">{}</text>",
            height - 6,
            esc(month)
        ));
    }
    svg.push_str("</svg>");
    svg
}
