//! Downloads that the clerk UI and the JSON API both offer: the whole audit
//! log as CSV (one function for `/audit.csv` and `/api/v1/audit.csv`).

use crate::office::actor::Actor;
use crate::web::error::AppResult;
use crate::web::state::AppState;
use crate::web::ui::i18n::Lang;
use actix_web::HttpResponse;
use actix_web::http::header;

/// The whole audit log as a CSV download (the domain checks the role);
/// the last column names each action in `lang`.
pub async fn audit_csv(state: &AppState, actor: Actor, lang: Lang) -> AppResult<HttpResponse> {
    let csv = state
        .run(move |office| {
            let mut out = Vec::new();
            let label = |a: &str| lang.audit_action(a);
            office.export_audit_csv_labelled(&actor, &mut out, &label)?;
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit-log.csv\"",
        ))
        .body(csv))
}
