//! The audit chain's key (`audit.key`): an HMAC-SHA256 key kept in the key
//! directory, never in the database, so that whoever can write to the
//! database cannot rewrite the audit log's history and recompute the chain
//! (SECURITY.md, finding 7).
//!
//! The file holds the key and the entry from which the chain is keyed:
//!
//! ```text
//! <64 hex digits>
//! keyed-from <sequence number>
//! ```
//!
//! Entries before that number were written before the office had a key
//! (databases older than the key) and stay checked by their plain SHA-256
//! chain, which the first keyed entry's MAC anchors. The sequence number is
//! kept here, outside the database, so that the database cannot claim the
//! chain is not keyed.
//!
//! The key reaches `office::audit::append` through [`Db`](crate::db::Db):
//! `Db::write` puts the database's key in scope for the transaction
//! ([`in_scope`]), so no caller of `append` has to pass it.

use crate::error::{Error, Result};
use ring::{aead, hmac};
use std::cell::RefCell;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Bytes in the key.
pub const KEY_LEN: usize = 32;
/// Largest key file read.
const MAX_FILE: u64 = 1024;
const CHECK_LABEL: &[u8] = b"citycard/v1/audit-key-check";

/// The audit chain's key and the first keyed entry.
pub struct AuditKey {
    key: hmac::Key,
    keyed_from: i64,
    /// Seals who acted ([`AuditKey::seal_actor`]); derived from the key.
    actor_key: Zeroizing<Vec<u8>>,
}

const ACTOR_LABEL: &[u8] = b"citycard/v1/audit-actor-seal";
/// What a sealed actor starts with in `audit_log.actor`.
pub const SEALED_ACTOR_PREFIX: &str = "sealed:";
/// Every sealed actor is padded to this many bytes: a user name is at most
/// 64 characters of up to 4 bytes, then `@site:` and an id.
const ACTOR_PADDED: usize = 288;

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey")
            .field("keyed_from", &self.keyed_from)
            .finish_non_exhaustive()
    }
}

fn bad(path: &Path) -> Error {
    Error::Keys(format!(
        "{} is not an audit key file (64 hex digits, then a line `keyed-from N`)",
        path.display()
    ))
}

impl AuditKey {
    /// A key from its bytes.
    pub fn new(bytes: &[u8; KEY_LEN], keyed_from: i64) -> Self {
        let key = hmac::Key::new(hmac::HMAC_SHA256, bytes);
        let actor_key = Zeroizing::new(hmac::sign(&key, ACTOR_LABEL).as_ref().to_vec());
        AuditKey {
            key,
            keyed_from: keyed_from.max(1),
            actor_key,
        }
    }

    /// Seals who acted (user name, and site) for the entry `seq`: an AEAD
    /// box under a key derived from this one, with a fresh nonce, padded to
    /// one length, so the database alone shows neither who acted nor which
    /// entries one user wrote, and an auditor with the key reads it
    /// ([`AuditKey::open_actor`]). The chain's MAC covers the sealed text.
    pub fn seal_actor(&self, seq: i64, who: &str) -> Result<String> {
        use base64::Engine;
        let mut buf = who.as_bytes().to_vec();
        if buf.len() >= ACTOR_PADDED {
            return Err(Error::Integrity("a user name is too long to seal"));
        }
        buf.resize(ACTOR_PADDED, 0);
        let nonce_bytes = crate::vault::random_bytes::<{ aead::NONCE_LEN }>()?;
        let nonce = aead::Nonce::assume_unique_for_key(*nonce_bytes);
        self.actor_aead()?
            .seal_in_place_append_tag(nonce, aead::Aad::from(seq.to_be_bytes()), &mut buf)
            .map_err(|_| Error::Keys("sealing failed".to_owned()))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!(
            "{SEALED_ACTOR_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        ))
    }

    fn actor_aead(&self) -> Result<aead::LessSafeKey> {
        aead::UnboundKey::new(&aead::CHACHA20_POLY1305, &self.actor_key)
            .map(aead::LessSafeKey::new)
            .map_err(|_| Error::Keys("the audit actor key is not usable".to_owned()))
    }

    /// Opens an actor sealed by [`AuditKey::seal_actor`]; a plain actor
    /// (entries from before sealing) as it is; `None` when it does not open.
    pub fn open_actor(&self, seq: i64, stored: &str) -> Option<String> {
        use base64::Engine;
        let Some(b64) = stored.strip_prefix(SEALED_ACTOR_PREFIX) else {
            return Some(stored.to_owned());
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(b64)
            .ok()?;
        if bytes.len() < aead::NONCE_LEN {
            return None;
        }
        let (nonce, rest) = bytes.split_at(aead::NONCE_LEN);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut rest = rest.to_vec();
        let plain = self
            .actor_aead()
            .ok()?
            .open_in_place(nonce, aead::Aad::from(seq.to_be_bytes()), &mut rest)
            .ok()?;
        let end = plain.iter().position(|b| *b == 0).unwrap_or(plain.len());
        String::from_utf8(plain[..end].to_vec()).ok()
    }

    /// The first entry whose hash is a MAC under this key.
    pub fn keyed_from(&self) -> i64 {
        self.keyed_from
    }

    /// HMAC-SHA256 of `data`.
    pub fn mac(&self, data: &[u8]) -> Vec<u8> {
        hmac::sign(&self.key, data).as_ref().to_vec()
    }

    /// Whether `tag` is the MAC of `data` (constant time).
    pub fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
        hmac::verify(&self.key, data, tag).is_ok()
    }

    /// The value stored in the database (`office_meta`) when the key is
    /// made: the first keyed entry and a MAC over it. [`AuditKey::check`]
    /// proves later that a key file belongs to the database.
    pub fn check_value(&self) -> Vec<u8> {
        let mut v = self.keyed_from.to_be_bytes().to_vec();
        v.extend_from_slice(&self.mac(&[CHECK_LABEL, &self.keyed_from.to_be_bytes()].concat()));
        v
    }

    /// Whether a value from [`AuditKey::check_value`] was made with this key
    /// and the same first keyed entry.
    pub fn check(&self, value: &[u8]) -> bool {
        let Some((from, tag)) = value.split_first_chunk::<8>() else {
            return false;
        };
        i64::from_be_bytes(*from) == self.keyed_from
            && self.verify(&[CHECK_LABEL, from].concat(), tag)
    }

    /// The file's text.
    fn to_text(bytes: &[u8; KEY_LEN], keyed_from: i64) -> Zeroizing<String> {
        let mut text = Zeroizing::new(citycard_credential::keys::to_hex(bytes));
        text.push_str(&format!("\nkeyed-from {keyed_from}\n"));
        text
    }

    /// Writes a new key file (mode 0600; it must not exist yet).
    pub fn write_new(path: &Path, bytes: &[u8; KEY_LEN], keyed_from: i64) -> Result<()> {
        let text = Self::to_text(bytes, keyed_from);
        crate::keys::write_new_file(path, text.as_bytes(), 0o600, false)
            .map_err(|e| Error::Keys(format!("{e:#}")))
    }

    /// Reads a key file.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = Zeroizing::new(
            crate::keys::read_limited(path, MAX_FILE)
                .map_err(|e| Error::Keys(format!("could not read {}: {e:#}", path.display())))?,
        );
        crate::private_files::warn_if_readable_by_others(path, "the key file");
        let text = std::str::from_utf8(&bytes).map_err(|_| bad(path))?;
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let hex = lines.next().ok_or_else(|| bad(path))?;
        let from = lines
            .next()
            .and_then(|l| l.strip_prefix("keyed-from "))
            .and_then(|n| n.trim().parse::<i64>().ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| bad(path))?;
        if lines.next().is_some() || hex.len() != KEY_LEN * 2 {
            return Err(bad(path));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        for (slot, pair) in key.iter_mut().zip(hex.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| bad(path))?;
            *slot = u8::from_str_radix(pair, 16).map_err(|_| bad(path))?;
        }
        Ok(Self::new(&key, from))
    }
}

thread_local! {
    static IN_SCOPE: RefCell<Option<Arc<AuditKey>>> = const { RefCell::new(None) };
}

/// Runs `f` with `key` in scope for [`in_scope`] on this thread (the
/// previous one is restored afterwards, also when `f` panics).
pub fn with_scope<T>(key: Option<Arc<AuditKey>>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Arc<AuditKey>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            IN_SCOPE.with(|k| *k.borrow_mut() = previous);
        }
    }
    let previous = IN_SCOPE.with(|k| k.replace(key));
    let _restore = Restore(previous);
    f()
}

/// The key of the database whose write transaction runs on this thread.
pub fn in_scope() -> Option<Arc<AuditKey>> {
    IN_SCOPE.with(|k| k.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trip_and_check_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        AuditKey::write_new(&path, &[7; KEY_LEN], 42).unwrap();
        let key = AuditKey::read(&path).unwrap();
        assert_eq!(key.keyed_from(), 42);
        assert!(key.check(&key.check_value()));
        assert!(!AuditKey::new(&[8; KEY_LEN], 42).check(&key.check_value()));
        assert!(!AuditKey::new(&[7; KEY_LEN], 41).check(&key.check_value()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::write(&path, "abcd\nkeyed-from 1\n").unwrap();
        assert!(AuditKey::read(&path).is_err());
    }

    #[test]
    fn scope_is_restored() {
        assert!(in_scope().is_none());
        let key = Arc::new(AuditKey::new(&[1; KEY_LEN], 1));
        with_scope(Some(key), || assert!(in_scope().is_some()));
        assert!(in_scope().is_none());
    }
}
