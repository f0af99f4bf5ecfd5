//! Admin and auditor pages: users, keys, audit log.

use super::errors::field_error;
use super::i18n::Lang;
use super::session::CsrfForm;
use super::templates::{Audit, AuditRow, Keys, UserReset, UserRow, Users, choices};
use super::view::{FieldErrors, Page, query_value, render, render_status, role_label, see_other};
use crate::office::accounts::{check_password_rules, normalize_username};
use crate::office::actor::{Permission, Role};
use crate::office::audit::{AuditQuery, Checkpoint};
use crate::office::sites::parse_site_id;
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

const UTC_SECONDS: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

// ---------------------------------------------------------------- users

/// What the users page shows besides the list: the create form's errors
/// and what was typed, or a refusal of a change to an account.
#[derive(Default)]
struct UsersOutcome {
    errors: FieldErrors,
    typed: (String, String),
    alert: Option<String>,
    /// The site chosen in the create form (`None`: not yet shown; the
    /// form then proposes the first open site, never city-wide).
    typed_site: Option<String>,
}

async fn users_page(
    page: &Page,
    state: &AppState,
    user: &AuthUser,
    outcome: UsersOutcome,
    status: StatusCode,
) -> HtmlResult<HttpResponse> {
    let UsersOutcome {
        errors,
        typed,
        alert,
        typed_site,
    } = outcome;
    let lang = page.lang;
    let actor = user.actor().clone();
    let (list, all_sites) = state
        .run(move |o| Ok((o.list_users(&actor)?, o.sites()?)))
        .await
        .map_err(AppError::html)?;
    let open_sites: Vec<(i64, String)> = all_sites
        .iter()
        .filter(|s| !s.closed)
        .map(|s| (s.id, s.name.clone()))
        .collect();
    let city_wide = lang.t("sites.city_wide").to_owned();
    let options = |selected: Option<i64>| -> Vec<(String, String, bool)> {
        std::iter::once((String::new(), city_wide.clone(), selected.is_none()))
            .chain(
                open_sites
                    .iter()
                    .map(|(id, name)| (id.to_string(), name.clone(), selected == Some(*id))),
            )
            .collect()
    };
    let now = crate::db::now();
    let users = list
        .into_iter()
        .map(|u| {
            let mut state = vec![lang.t(if u.disabled {
                "users.disabled"
            } else {
                "users.active"
            })];
            if u.locked_until.is_some_and(|l| l > now) {
                state.push(lang.t("users.locked"));
            }
            if u.must_change_password {
                state.push(lang.t("users.one_time"));
            }
            UserRow {
                toggle_label: lang.tf(
                    if u.disabled {
                        "users.enable"
                    } else {
                        "users.disable"
                    },
                    &[("user", &u.username)],
                ),
                reset_label: lang.tf("users.reset", &[("user", &u.username)]),
                site: u
                    .site
                    .and_then(|id| all_sites.iter().find(|s| s.id == id))
                    .map_or_else(|| city_wide.clone(), |s| s.name.clone()),
                site_options: if matches!(u.role, Role::Admin | Role::Auditor) {
                    Vec::new()
                } else {
                    options(u.site)
                },
                move_label: lang.tf("sites.set_site", &[("user", &u.username)]),
                role: role_label(lang, u.role),
                state: state.join(", "),
                disabled: u.disabled,
                is_self: u.username == user.actor().username,
                username: u.username,
            }
        })
        .collect();
    let roles = choices(
        Role::ALL
            .into_iter()
            .map(|r| (r.as_str(), role_label(lang, r)))
            .collect(),
        &typed.1,
    );
    render_status(
        page,
        &Users {
            page,
            errors,
            users,
            roles,
            username: typed.0,
            alert,
            sites: options(match &typed_site {
                Some(typed) => parse_site_id("site", Some(typed)).ok().flatten(),
                None => open_sites.first().map(|(id, _)| *id),
            }),
        },
        status,
    )
}

pub async fn users(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::ManageUsers)?;
    let page = Page::new(&req, &user, "users.title");
    users_page(
        &page,
        &state,
        &user,
        UsersOutcome::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct CreateUserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    site: String,
}

pub async fn create_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    form: web::Form<CreateUserForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::ManageUsers)?;
    let form = form.into_inner();
    let page = Page::new(&req, &user, "users.title");
    let lang = page.lang;
    // Every field is checked first, so that all problems show at once (the
    // domain checks them again).
    let mut errors = FieldErrors::new();
    let name = match normalize_username(&form.username) {
        Ok(n) => Some(n),
        Err(e) => {
            add_field_error(lang, e, "username", &mut errors);
            None
        }
    };
    let role = form.role.parse::<Role>().ok();
    if role.is_none() {
        errors.add("role", lang.t("field.role"));
    }
    let password = SecretString::from(form.password);
    let name_for_rules = name.as_deref().unwrap_or(form.username.as_str());
    if let Err(e) = check_password_rules(name_for_rules, &password) {
        add_field_error(lang, e, "password", &mut errors);
    }
    let site = match parse_site_id("site", Some(&form.site)) {
        Ok(site) => site,
        Err(e) => {
            add_field_error(lang, e, "site", &mut errors);
            None
        }
    };
    if let (Some(role), true) = (role, errors.is_empty()) {
        let actor = user.actor().clone();
        let name = form.username.clone();
        match state
            .run(move |o| o.create_user_at(&actor, &name, role, &password, true, site))
            .await
        {
            Ok(_) => return Ok(see_other("/users?msg=users.created")),
            Err(e) if e.code() == "conflict" => errors.add("username", lang.t("users.conflict")),
            Err(e) => match field_error(lang, &e) {
                Some((f, m)) => errors.add(f, m),
                None => return Err(e.html()),
            },
        }
    }
    let outcome = UsersOutcome {
        errors,
        typed: (form.username.chars().take(64).collect(), form.role),
        alert: None,
        typed_site: Some(form.site),
    };
    users_page(&page, &state, &user, outcome, StatusCode::BAD_REQUEST).await
}

/// Adds the field error of a domain error (under its own field, or
/// `fallback` when it names none the page knows).
fn add_field_error(lang: Lang, e: crate::Error, fallback: &'static str, errors: &mut FieldErrors) {
    match field_error(lang, &AppError::from(e)) {
        Some((f, m)) => errors.add(f, m),
        None => errors.add(fallback, lang.t(&format!("field.{fallback}"))),
    }
}

async fn set_disabled(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    name: String,
    form: web::Form<CsrfForm>,
    disabled: bool,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::ManageUsers)?;
    let actor = user.actor().clone();
    let result = state
        .run(move |o| o.set_user_disabled(&actor, &name, disabled))
        .await;
    match result {
        Ok(()) => Ok(see_other(if disabled {
            "/users?msg=users.disabled_done"
        } else {
            "/users?msg=users.enabled_done"
        })),
        // An account rule (own account, last admin): said on the users page.
        Err(e) if e.reason().is_some() => {
            let page = Page::new(&req, &user, "users.title");
            let key = match e.reason() {
                Some("own_account") => "users.self_disable",
                Some("last_admin_role") => "users.last_admin_role",
                _ => "users.last_admin",
            };
            let outcome = UsersOutcome {
                alert: Some(page.lang.t(key).to_owned()),
                ..UsersOutcome::default()
            };
            users_page(&page, &state, &user, outcome, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.html()),
    }
}

pub async fn disable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HtmlResult<HttpResponse> {
    set_disabled(req, state, user, path.into_inner(), form, true).await
}

pub async fn enable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HtmlResult<HttpResponse> {
    set_disabled(req, state, user, path.into_inner(), form, false).await
}

fn reset_title(page: Page, name: &str) -> Page {
    let title = page.lang.tf("users.reset_title", &[("user", name)]);
    page.with_title(title)
}

pub async fn reset_form(
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::ManageUsers)?;
    let name = path.into_inner();
    let page = reset_title(Page::new(&req, &user, "users.title"), &name);
    render(
        &page,
        &UserReset {
            page: &page,
            errors: FieldErrors::new(),
            username: name,
        },
    )
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    form: web::Form<ResetForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::ManageUsers)?;
    let name = path.into_inner();
    let page = reset_title(Page::new(&req, &user, "users.title"), &name);
    let lang = page.lang;
    let actor = user.actor().clone();
    let password = SecretString::from(form.into_inner().password);
    let n = name.clone();
    let mut errors = FieldErrors::new();
    match state
        .run(move |o| o.set_password(&actor, &n, &password, true))
        .await
    {
        Ok(()) => return Ok(see_other("/users?msg=users.reset_done")),
        Err(e) => match field_error(lang, &e) {
            Some((_, m)) => errors.add("password", m),
            None => return Err(e.html()),
        },
    }
    render_status(
        &page,
        &UserReset {
            page: &page,
            errors,
            username: name,
        },
        StatusCode::BAD_REQUEST,
    )
}

// ---------------------------------------------------------------- keys

pub async fn keys(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::ManageKeys)?;
    let page = Page::new(&req, &user, "keys.title");
    let keys = state.office().key_status().ok();
    let window = keys
        .as_ref()
        .map(|k| {
            page.lang.tf(
                "keys.window",
                &[
                    ("from", &page.lang.date(k.sign_from)),
                    ("until", &page.lang.date(k.sign_until)),
                ],
            )
        })
        .unwrap_or_default();
    render(
        &page,
        &Keys {
            page: &page,
            keys,
            window,
        },
    )
}

// ---------------------------------------------------------------- audit

/// Entries per page.
const AUDIT_PAGE: u32 = 50;

pub async fn audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::ReadAudit)?;
    audit_page(&req, &state, &user, None, String::new()).await
}

/// The audit log page; with a checkpoint, the chain is checked against it
/// (a checkpoint that cannot be read or is not this office's is a field
/// error on the form, the text kept).
async fn audit_page(
    req: &HttpRequest,
    state: &AppState,
    user: &AuthUser,
    checkpoint: Option<Checkpoint>,
    pasted: String,
) -> HtmlResult<HttpResponse> {
    let before = query_value(req, "before").and_then(|b| b.parse::<i64>().ok());
    let whole = query_value(req, "whole").is_some_and(|w| w == "1");
    let actor = user.actor().clone();
    let page = Page::new(req, user, "audit.title");
    let lang = page.lang;
    let mut errors = FieldErrors::new();
    let (entries, report) = state
        .run(move |o| {
            let entries = o.audit_entries(
                &actor,
                AuditQuery {
                    before,
                    card_number: None,
                    limit: Some(AUDIT_PAGE),
                },
            )?;
            // A checkpoint of another office (or changed) is the form's
            // error; the log is then shown as checked without it.
            let report = match &checkpoint {
                Some(cp) => match o.verify_audit_checkpoint(&actor, cp) {
                    Ok(r) => Ok(r),
                    Err(crate::Error::Keys(_)) => Err(o.verify_audit(&actor)?),
                    Err(e) => return Err(e),
                },
                None if whole => Ok(o.verify_audit(&actor)?),
                None => Ok(o.verify_audit_since_last(&actor)?),
            };
            Ok((entries, report))
        })
        .await
        .map_err(AppError::html)?;
    let report = report.unwrap_or_else(|plain| {
        errors.add("checkpoint", lang.t("audit.checkpoint_foreign"));
        plain
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (chain, chain_ok) = match &report.first_broken {
        None => {
            let keyed = match report.keyed_from {
                Some(1) => lang.t("audit.keyed_all").to_owned(),
                Some(n) => lang.tf("audit.keyed", &[("from", &n.to_string())]),
                None => lang.t("audit.unkeyed").to_owned(),
            };
            let ok = lang.tf("audit.chain_ok", &[("count", &report.entries.to_string())]);
            let checked = report
                .checkpoint
                .map(|n| {
                    format!(
                        " {}",
                        lang.tf("audit.checkpoint_ok", &[("seq", &n.to_string())])
                    )
                })
                .unwrap_or_default();
            let since = report
                .earlier
                .as_ref()
                .map(|w| {
                    format!(
                        " {}",
                        lang.tf(
                            "audit.checked_since",
                            &[
                                ("seq", &w.seq.to_string()),
                                ("at", &w.at.format(UTC_SECONDS).unwrap_or_default()),
                            ],
                        )
                    )
                })
                .unwrap_or_default();
            (format!("{ok}{since} {keyed}{checked}"), true)
        }
        Some(b) => (
            lang.tf(
                "audit.chain_broken",
                &[("seq", &b.seq.to_string()), ("problem", b.problem)],
            ),
            false,
        ),
    };
    let older = entries
        .last()
        .filter(|_| entries.len() == AUDIT_PAGE as usize)
        .map(|e| e.seq)
        .filter(|s| *s > 1);
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: e.at.format(UTC_SECONDS).unwrap_or_default(),
            card: e
                .card_number
                .and_then(|c| u64::try_from(c).ok())
                .and_then(|c| citycard_credential::CardNumber::from_u64(c).ok())
                .map(|c| c.to_string())
                .unwrap_or_default(),
            actor: e.actor,
            office: e.office,
            label: lang.audit_action(&e.action),
            action: e.action,
            detail: e.detail,
        })
        .collect();
    render_status(
        &page,
        &Audit {
            page: &page,
            errors,
            chain,
            chain_ok,
            checkpoint: pasted,
            entries: rows,
            paged: before.is_some(),
            older,
        },
        status,
    )
}

/// `GET /audit/checkpoint`: a new checkpoint (recorded in the log) as a
/// file for the auditor to keep outside the office.
pub async fn audit_checkpoint(
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::ReadAudit)?;
    let actor = user.actor().clone();
    let checkpoint = state
        .run(move |o| o.audit_checkpoint(&actor))
        .await
        .map_err(AppError::html)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"citycard-audit-checkpoint-{}.txt\"",
                checkpoint.seq
            ),
        ))
        .body(checkpoint.to_text()))
}

#[derive(Deserialize)]
pub struct CheckpointForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    checkpoint: String,
}

/// `POST /audit/checkpoint`: the log checked against a pasted checkpoint.
pub async fn verify_checkpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    form: web::Form<CheckpointForm>,
) -> HtmlResult<HttpResponse> {
    user.check_csrf(&form.csrf_token)?;
    user.require(Permission::ReadAudit)?;
    let pasted: String = form.checkpoint.chars().take(4096).collect();
    match Checkpoint::parse(pasted.trim()) {
        Ok(cp) => audit_page(&req, &state, &user, Some(cp), pasted).await,
        Err(_) => {
            let page = Page::new(&req, &user, "audit.title");
            let mut errors = FieldErrors::new();
            errors.add("checkpoint", page.lang.t("audit.checkpoint_unreadable"));
            render_status(
                &page,
                &Audit {
                    page: &page,
                    errors,
                    chain: page.lang.t("audit.checkpoint_not_checked").to_owned(),
                    chain_ok: false,
                    checkpoint: pasted,
                    entries: Vec::new(),
                    paged: false,
                    older: None,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

pub async fn audit_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    user.require(Permission::ReadAudit)?;
    let lang = Page::new(&req, &user, "audit.title").lang;
    crate::web::export::audit_csv(&state, user.actor().clone(), lang)
        .await
        .map_err(AppError::html)
}
