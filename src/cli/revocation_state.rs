//! `citycard verify --revocation-state FILE`: the issue date of the newest
//! revocation list this verifier has accepted, kept between runs, so that a
//! correctly signed but older list is refused (`docs/card-format.md` §8.3).
//!
//! The file is three short lines (no personal data):
//!
//! ```text
//! # citycard: the newest revocation list seen (docs/card-format.md §8.3)
//! issuer bern
//! issued 2026-03-05
//! ```
//!
//! It is written atomically with mode 0600. A file that cannot be read is an
//! error, never a fresh start: starting afresh would accept an old list.

use crate::keys as store;
use anyhow::{Context, Result, anyhow, bail};
use citycard_credential::{Date, date};
use std::path::Path;

const HEADER: &str = "# citycard: the newest revocation list seen (docs/card-format.md §8.3)";
const MAX_BYTES: u64 = 4096;

/// The newest revocation list seen: its issuer and issue date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub issuer: String,
    pub issued: Date,
}

/// Reads the state file; `None` when it does not exist yet.
pub fn load(path: &Path) -> Result<Option<Seen>> {
    let bytes = match store::read_limited(path, MAX_BYTES) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "could not read the revocation state file {}",
                    path.display()
                )
            });
        }
    };
    parse(&bytes).map(Some).with_context(|| {
        format!(
            "the revocation state file {} is not one citycard wrote (fix or remove it by hand; \
             it is never reset on its own)",
            path.display()
        )
    })
}

fn parse(bytes: &[u8]) -> Result<Seen> {
    let text = std::str::from_utf8(bytes).map_err(|_| anyhow!("not UTF-8 text"))?;
    let mut issuer = None;
    let mut issued = None;
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        match line.split_once(' ') {
            Some(("issuer", v)) if issuer.is_none() => issuer = Some(v.to_owned()),
            Some(("issued", v)) if issued.is_none() => {
                issued = Some(date::parse(v).map_err(|_| anyhow!("`issued` is not a date"))?);
            }
            _ => bail!("unexpected line"),
        }
    }
    match (issuer, issued) {
        (Some(issuer), Some(issued)) => Ok(Seen { issuer, issued }),
        _ => bail!("`issuer` or `issued` is missing"),
    }
}

/// Writes the state file (atomically, mode 0600).
pub fn store(path: &Path, seen: &Seen) -> Result<()> {
    let text = format!(
        "{HEADER}\nissuer {}\nissued {}\n",
        seen.issuer,
        date::format(seen.issued)
    );
    store::write_new_file(path, text.as_bytes(), 0o600, true).with_context(|| {
        format!(
            "could not write the revocation state file {}",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_is_strict() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        assert_eq!(load(&path).unwrap(), None);
        let seen = Seen {
            issuer: "bern".into(),
            issued: date::parse("2026-03-05").unwrap(),
        };
        store(&path, &seen).unwrap();
        assert_eq!(load(&path).unwrap(), Some(seen.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        store(&path, &seen).unwrap(); // overwrites
        for bad in [
            "",
            "issuer bern\n",
            "issued 2026-03-05\n",
            "issuer bern\nissued soon\n",
            "x\n",
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(load(&path).is_err(), "{bad:?}");
        }
    }
}
