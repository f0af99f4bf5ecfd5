//! The audit log as CSV: every entry, oldest first, with the action's label
//! in the reader's language as the last column.

use crate::db::{self, Db};
use crate::error::{Error, Result};
use std::io::Write;

/// Quotes a CSV field; a field that a spreadsheet would take for a formula
/// gets a leading apostrophe.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV header line of [`write_csv`].
pub const CSV_HEADER: &str =
    "seq,at_utc,actor,office,action,card_number,detail,prev_hash,hash,action_label";

/// How an action's stored name reads in a language (the caller's
/// catalog); the CSV's last column.
pub type ActionLabel<'a> = &'a (dyn Fn(&str) -> String + Sync);

/// Writes every entry as CSV (header first), oldest first; returns how many.
/// `label` names each action in the reader's language (last column).
pub fn write_csv(db: &Db, out: &mut dyn Write, label: ActionLabel<'_>) -> Result<u64> {
    const BATCH: i64 = 2000;
    let io = |source| Error::Io {
        path: "(audit export)".into(),
        source,
    };
    writeln!(out, "{CSV_HEADER}").map_err(io)?;
    let key = db.audit_key();
    let mut after = 0i64;
    let mut n = 0u64;
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    loop {
        // A connection per batch: a slow reader of a streamed download
        // holds none of the pool's while it reads (the log is append-only,
        // so the batches need no one snapshot).
        let batch = db::audit::batch_from(&mut *db.conn()?, after + 1, BATCH)?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.seq;
        for e in &batch {
            let card = e
                .card_number
                .and_then(|c| u64::try_from(c).ok())
                .map(|c| format!("{c:012}"))
                .unwrap_or_default();
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{}",
                e.seq,
                e.at.format(&fmt).unwrap_or_default(),
                csv_field(&super::readable_actor(key.as_deref(), e.seq, &e.actor)),
                csv_field(&e.office),
                csv_field(&e.action),
                card,
                csv_field(&e.detail),
                citycard_credential::keys::to_hex(&e.prev_hash),
                citycard_credential::keys::to_hex(&e.hash),
                csv_field(&label(&e.action)),
            )
            .map_err(io)?;
            n += 1;
        }
    }
    out.flush().map_err(io)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_and_formula_guard() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }
}
