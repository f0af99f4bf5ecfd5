//! The overview page: a tile per task the role may do.

use super::templates::Dashboard;
use super::view::{Page, render, see_other};
use crate::office::actor::Permission;
use crate::web::auth::AuthUser;
use crate::web::error::{AppError, HtmlResult};
use crate::web::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> HtmlResult<HttpResponse> {
    if user.actor().must_change_password {
        return Ok(see_other(crate::web::error::PASSWORD_PATH));
    }
    let page = Page::new(&req, &user, "dashboard.title");
    let lang = page.lang;
    let role = user.role();
    let mut tiles = Vec::new();
    if role.allows(Permission::IssueCards) {
        tiles.push((
            "/enrol",
            lang.t("nav.enrol"),
            lang.t("dashboard.enrol_text").to_owned(),
        ));
    }
    if role.allows(Permission::SearchCards) {
        tiles.push((
            "/search",
            lang.t("nav.search"),
            lang.t("dashboard.search_text").to_owned(),
        ));
    }
    if role.allows(Permission::PrintCards) {
        let actor = user.actor().clone();
        let count = state
            .run(move |o| o.print_queue_count(&actor))
            .await
            .map_err(AppError::html)?;
        tiles.push((
            "/print-queue",
            lang.t("nav.queue"),
            lang.tf("dashboard.queue_text", &[("count", &count.to_string())]),
        ));
    }
    let mut retention = None;
    if crate::office::maintenance::may_see_deletion_due(role) {
        let actor = user.actor().clone();
        let due = state
            .run(move |o| o.deletion_due(&actor))
            .await
            .map_err(AppError::html)?;
        retention = Some(lang.tf(
            "dashboard.retention_text",
            &[
                ("ended", &due.cards_ended.to_string()),
                ("unprinted", &due.never_printed.to_string()),
            ],
        ));
    }
    if role.allows(Permission::ManageUsers) {
        tiles.push((
            "/users",
            lang.t("nav.users"),
            lang.t("dashboard.users_text").to_owned(),
        ));
    }
    if role.allows(Permission::ManageKeys) {
        tiles.push((
            "/keys",
            lang.t("nav.keys"),
            lang.t("dashboard.keys_text").to_owned(),
        ));
    }
    if role.allows(Permission::ReadAudit) {
        tiles.push((
            "/audit",
            lang.t("nav.audit"),
            lang.t("dashboard.audit_text").to_owned(),
        ));
    }
    let welcome = lang.tf("dashboard.welcome", &[("user", &user.actor().username)]);
    render(
        &page,
        &Dashboard {
            page: &page,
            welcome,
            tiles,
            retention,
        },
    )
}
