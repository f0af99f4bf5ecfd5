//! The server's data directory and, on first start without keys, the
//! DEVELOPMENT keys and lists it makes there. The layout is the office's
//! (docs/office.md, [`crate::config::Config`]); the key directory is
//! `<data-dir>/keys` unless `key_dir` is configured.
//!
//! ```text
//! <key-dir>/root.key, root.pub       city root key (dev: unencrypted!)
//! <key-dir>/office.key, office.pub   office key (cards + revocations)
//! <key-dir>/data.key, dedup.key      made by the office itself (Office::open)
//! <data-dir>/trust-list.cose               served at /.well-known/citycard/trust-list
//! <data-dir>/revocations.cose              served at /.well-known/citycard/revocations
//! <data-dir>/revoked.txt                   the revoked numbers (one per line)
//! <data-dir>/DEVELOPMENT-KEYS.txt          marks keys made by the server itself
//! ```

use super::desk::DeskConfig;
use crate::keys as store;
use anyhow::{Context, Result, anyhow, bail};
use citycard_credential::trust_list::{KeyUsage, TrustList, TrustedKey};
use citycard_credential::{Date, RevocationList, date, keys as ckeys};
use std::fs;
use std::path::{Path, PathBuf};

/// Issuer identifier of the development lists: the one the format reserves
/// for development trust lists (docs/card-format.md §7), so that every
/// verifier marks their cards as not real.
pub const DEV_ISSUER: &str = citycard_credential::DEVELOPMENT_ISSUER;
/// City name of the development lists.
pub const DEV_CITY_NAME: &str = "Development City (NOT REAL)";
/// Office name of the development office key.
pub const DEV_OFFICE_NAME: &str = "Development office";

const MARKER: &str = "DEVELOPMENT-KEYS.txt";
const MARKER_TEXT: &str = "\
These keys and lists were made by `citycard serve` on its first start because
there were no keys. They are for DEVELOPMENT AND TESTS ONLY: the root private
key is unencrypted and lives on the server. Never issue real cards with them.

Real keys are made at a key ceremony (see docs/), with the root key offline.
";

/// The layout of a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
    keys: PathBuf,
}

impl DataDir {
    /// A data directory at `root` (nothing is created yet).
    pub fn new(root: &Path) -> Self {
        DataDir {
            root: root.to_owned(),
            keys: root.join("keys"),
        }
    }

    /// The data and key directories of an office configuration.
    pub fn from_config(config: &crate::config::Config) -> Self {
        DataDir {
            root: config.data_dir.clone(),
            keys: config.key_dir.clone(),
        }
    }

    /// The directory of the key files.
    pub fn keys_dir(&self) -> PathBuf {
        self.keys.clone()
    }
    /// The root private key.
    pub fn root_private_key(&self) -> PathBuf {
        self.keys_dir().join("root.key")
    }
    /// The root public key (its fingerprint is what desks pin).
    pub fn root_public_key(&self) -> PathBuf {
        self.keys_dir().join("root.pub")
    }
    /// The office signing key.
    pub fn office_private_key(&self) -> PathBuf {
        self.keys_dir().join("office.key")
    }
    /// The signed trust list.
    pub fn trust_list(&self) -> PathBuf {
        self.root.join("trust-list.cose")
    }
    /// The signed revocation list.
    pub fn revocations(&self) -> PathBuf {
        self.root.join("revocations.cose")
    }
    /// The revoked numbers, one per line.
    pub fn revoked_numbers(&self) -> PathBuf {
        self.root.join("revoked.txt")
    }

    /// Whether the keys here are development keys made by the server.
    pub fn has_development_keys(&self) -> bool {
        self.root.join(MARKER).exists()
    }

    /// What the desk page serves from this directory.
    pub fn desk_config(&self) -> DeskConfig {
        let root_pub = self.root_public_key();
        DeskConfig {
            trust_list: self.trust_list(),
            revocations: self.revocations(),
            root_public_key: root_pub.exists().then_some(root_pub),
        }
    }

    /// Makes development keys and lists when the directory has no keys and no
    /// trust list; returns whether it did. A directory with only some of the
    /// files is an error (nothing is overwritten).
    pub fn prepare(&self) -> Result<bool> {
        let has_keys = self.root_public_key().exists()
            || self.root_private_key().exists()
            || self.office_private_key().exists();
        let has_list = self.trust_list().exists();
        match (has_keys, has_list) {
            (false, false) => {
                self.create_development_keys()?;
                Ok(true)
            }
            (_, true) => Ok(false),
            (true, false) => bail!(
                "{} has keys but no trust list ({}); make one with `citycard keys trust-list`",
                self.root.display(),
                self.trust_list().display()
            ),
        }
    }

    /// Makes the development root and office keys, a trust list and an
    /// empty revocation list. Refuses to overwrite anything.
    pub fn create_development_keys(&self) -> Result<()> {
        let keys_dir = self.keys_dir();
        fs::create_dir_all(&keys_dir)
            .with_context(|| format!("could not create {}", keys_dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&keys_dir, fs::Permissions::from_mode(0o700))
                .with_context(|| format!("could not protect {}", keys_dir.display()))?;
        }
        store::check_can_write(
            &[
                &self.root_private_key(),
                &self.office_private_key(),
                &self.trust_list(),
                &self.revocations(),
            ],
            false,
        )?;
        let root = ckeys::generate();
        let office = ckeys::generate();
        store::write_key_pair(&self.root_private_key(), &root, None, false)?;
        store::write_key_pair(&self.office_private_key(), &office, None, false)?;

        let today = date::today_utc();
        // The office key's signing window reaches 10 years back, so that test
        // cards with past issue dates (expired cards) can be made with it.
        let sign_from = shift(today, -3653)?;
        let sign_until = shift(today, 730)?;
        let verify_until = shift(sign_until, 3654)?;
        let trust = TrustList {
            issuer: DEV_ISSUER.to_owned(),
            name: DEV_CITY_NAME.to_owned(),
            issued: today,
            next_update: shift(today, 365)?,
            root: root.verifying_key(),
            keys: vec![TrustedKey::new(
                office.verifying_key(),
                DEV_OFFICE_NAME,
                sign_from,
                sign_until,
                verify_until,
                KeyUsage::ALL,
            )],
        };
        let trust_bytes = trust.sign(&root)?;
        store::write_new_file(&self.trust_list(), &trust_bytes, 0o644, false)?;
        let revocations = RevocationList::new(DEV_ISSUER, today, shift(today, 30)?, []);
        store::write_new_file(&self.revocations(), &revocations.sign(&root)?, 0o644, false)?;
        store::write_new_file(
            &self.revoked_numbers(),
            b"# Revoked card numbers, one per line. Re-sign the list with:\n\
              # citycard keys revocations --key keys/root.key --trust-list trust-list.cose \\\n\
              #     --revoked revoked.txt --out revocations.cose\n",
            0o644,
            false,
        )?;
        store::write_new_file(
            &self.root.join(MARKER),
            MARKER_TEXT.as_bytes(),
            0o644,
            false,
        )?;
        Ok(())
    }
}

/// `day` moved by `days`, within the format's date range.
fn shift(day: Date, days: i64) -> Result<Date> {
    let moved = date::from_days(date::to_days(day) + days);
    moved.ok_or_else(|| anyhow!("date out of the supported range"))
}

/// Whether `office` runs on development keys: its trust list is a
/// development list (the reserved issuer `dev`, docs/card-format.md §7,
/// which every verifier marks), or its data directory still holds the
/// marker of keys the server made itself. The server then warns at every
/// start and every clerk-UI page shows a banner.
pub fn office_uses_development_keys(office: &crate::office::Office) -> bool {
    office.key_status().is_ok_and(|k| k.issuer == DEV_ISSUER)
        || DataDir::from_config(office.config()).has_development_keys()
}

/// The loud warning printed at every start with development keys.
pub fn development_warning(dir: &Path) -> String {
    let line = "!".repeat(74);
    format!(
        "{line}\n\
         !!  DEVELOPMENT KEYS — FOR DEVELOPMENT AND TESTS ONLY\n\
         !!  {}\n\
         !!  holds keys this server made itself: the root private key is\n\
         !!  unencrypted and on this machine. Cards signed with them are NOT\n\
         !!  real City Cards. Never use them for real cards; make real keys at a\n\
         !!  key ceremony with the root key offline.\n\
         {line}",
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_keys_verify_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        assert!(data.prepare().unwrap());
        assert!(data.has_development_keys());
        assert!(!data.prepare().unwrap(), "second start makes nothing");
        assert!(data.create_development_keys().is_err());
        let root = store::read_public_key(&data.root_public_key()).unwrap();
        let trust = TrustList::verify(&fs::read(data.trust_list()).unwrap(), &root).unwrap();
        assert_eq!(trust.issuer, DEV_ISSUER);
        let rev = RevocationList::verify(&fs::read(data.revocations()).unwrap(), &trust).unwrap();
        assert!(rev.is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(data.root_private_key())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn keys_without_a_trust_list_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        fs::create_dir_all(data.keys_dir()).unwrap();
        fs::write(data.root_public_key(), "x").unwrap();
        assert!(data.prepare().is_err());
    }
}
