//! Downloads that the clerk UI and the JSON API both offer: the whole audit
//! log as CSV (one function for `/audit.csv` and `/api/v1/audit.csv`).
//!
//! The log grows with the city, so the download is streamed: the export
//! runs on a blocking thread and hands its text over in chunks of
//! [`CHUNK`] bytes through a channel of [`IN_FLIGHT`] chunks, so the
//! server holds at most a few hundred kilobytes of it however long the
//! log is, and a slow reader slows the export instead of filling memory.

use crate::office::actor::{Actor, Permission};
use crate::web::error::AppResult;
use crate::web::state::AppState;
use crate::web::ui::i18n::Lang;
use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use std::io::{self, Write};
use tokio::sync::mpsc;

/// Bytes handed over at once.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting for the reader at most.
const IN_FLIGHT: usize = 4;

/// The whole audit log as a CSV download (the domain checks the role, and
/// so does this, before the download starts); the last column names each
/// action in `lang`. An export that fails midway ends the download early
/// (the response's status was sent with its first bytes).
pub async fn audit_csv(state: &AppState, actor: Actor, lang: Lang) -> AppResult<HttpResponse> {
    actor.require(Permission::ReadAudit)?;
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(IN_FLIGHT);
    let office = state.office().clone();
    drop(actix_web::rt::spawn(actix_web::web::block(move || {
        let mut out = Chunks {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        let label = |a: &str| lang.audit_action(a);
        let done = office.export_audit_csv_labelled(&actor, &mut out, &label);
        out.end(done.is_ok());
    })));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit-log.csv\"",
        ))
        .streaming(body))
}

/// A writer that hands its bytes to the response in chunks.
struct Chunks {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Chunks {
    /// Hands the buffer over; an error once the reader has gone (the
    /// export then stops).
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }

    /// The end of the export: what is left, or, when it failed, an error
    /// that ends the download early instead of a file that looks whole.
    fn end(mut self, ok: bool) {
        if ok {
            drop(self.send());
        } else {
            drop(
                self.tx
                    .blocking_send(Err(io::Error::other("the audit export stopped"))),
            );
        }
    }
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
