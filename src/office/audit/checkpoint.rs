//! Audit checkpoints: the head of the chain at one moment, MACed with
//! `audit.key`, exported as a small text file that an auditor keeps outside
//! the office (`citycard audit checkpoint --out FILE`). Checking it later
//! (`citycard audit verify --checkpoint FILE`) proves the database still
//! holds that history: an entry rewritten or cut off before the checkpoint's
//! entry is reported, even if the head row was moved back with it.
//!
//! ```text
//! citycard audit checkpoint v1
//! office: Bürgeramt Mitte
//! made: 2026-12-01T15:04:05Z
//! entry: 1234
//! hash: <64 hex digits: the entry's keyed hash>
//! mac: <64 hex digits: HMAC-SHA256 under audit.key over the lines above>
//! ```
//!
//! It holds no personal data and no secret: the entry's hash is a MAC that
//! reveals nothing about the key.

use crate::audit_key::AuditKey;
use crate::error::{Error, Result};
use citycard_credential::keys::to_hex;
use time::PrimitiveDateTime;

const FIRST_LINE: &str = "citycard audit checkpoint v1";
const MAC_LABEL: &[u8] = b"citycard/v1/audit-checkpoint\0";
/// Largest checkpoint file read.
pub const MAX_FILE: u64 = 4096;

/// The head of the chain at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The office that made it.
    pub office: String,
    /// When (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub made: String,
    /// The last entry it covers.
    pub seq: i64,
    /// That entry's hash.
    pub hash: Vec<u8>,
    mac: Vec<u8>,
}

fn bad(what: &str) -> Error {
    Error::Keys(format!("the checkpoint file is not valid: {what}"))
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect()
}

impl Checkpoint {
    /// A checkpoint of entry `seq` with hash `hash`, MACed with `key`.
    pub fn new(
        key: &AuditKey,
        office: &str,
        made: PrimitiveDateTime,
        seq: i64,
        hash: Vec<u8>,
    ) -> Self {
        let fmt =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        let mut cp = Checkpoint {
            office: office.replace(['\n', '\r'], " "),
            made: made.format(&fmt).unwrap_or_default(),
            seq,
            hash,
            mac: Vec::new(),
        };
        cp.mac = key.mac(&cp.signed_text());
        cp
    }

    /// The lines the MAC covers.
    fn signed_text(&self) -> Vec<u8> {
        let mut text = MAC_LABEL.to_vec();
        text.extend_from_slice(
            format!(
                "{FIRST_LINE}\noffice: {}\nmade: {}\nentry: {}\nhash: {}\n",
                self.office,
                self.made,
                self.seq,
                to_hex(&self.hash)
            )
            .as_bytes(),
        );
        text
    }

    /// Whether it was made with `key` and not changed since.
    pub fn is_authentic(&self, key: &AuditKey) -> bool {
        key.verify(&self.signed_text(), &self.mac)
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        format!(
            "{FIRST_LINE}\noffice: {}\nmade: {}\nentry: {}\nhash: {}\nmac: {}\n",
            self.office,
            self.made,
            self.seq,
            to_hex(&self.hash),
            to_hex(&self.mac)
        )
    }

    /// Reads a checkpoint file's text (the MAC is checked by
    /// [`Checkpoint::is_authentic`]).
    pub fn parse(text: &str) -> Result<Self> {
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
        if lines.next() != Some(FIRST_LINE) {
            return Err(bad("it does not start with the checkpoint line"));
        }
        let mut field = |name: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(": "))
                .map(str::to_owned)
                .ok_or_else(|| bad(&format!("the line `{name}: …` is missing")))
        };
        let office = field("office")?;
        let made = field("made")?;
        let seq = field("entry")?
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad("the entry is not a number"))?;
        let hash = from_hex(&field("hash")?).ok_or_else(|| bad("the hash is not hex"))?;
        let mac = from_hex(&field("mac")?).ok_or_else(|| bad("the MAC is not hex"))?;
        Ok(Checkpoint {
            office,
            made,
            seq,
            hash,
            mac,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = AuditKey::new(&[3; 32], 1);
        let at = PrimitiveDateTime::new(
            time::macros::date!(2026 - 12 - 01),
            time::macros::time!(15:04:05),
        );
        let cp = Checkpoint::new(&key, "Mitte", at, 12, vec![9; 32]);
        let back = Checkpoint::parse(&cp.to_text()).unwrap();
        assert_eq!(back, cp);
        assert!(back.is_authentic(&key));
        assert!(!back.is_authentic(&AuditKey::new(&[4; 32], 1)));
        let changed = cp.to_text().replace("entry: 12", "entry: 11");
        assert!(!Checkpoint::parse(&changed).unwrap().is_authentic(&key));
        assert!(Checkpoint::parse("nonsense").is_err());
    }
}
