//! DEVELOPMENT keys and lists: what `citycard serve` makes on its first
//! start without keys, in the paths of [`Layout`], and how the office knows
//! it runs on them (a warning at every start, a banner on every clerk page).

use crate::config::Layout;
use crate::keys as store;
use citycard_credential::trust_list::{KeyUsage, TrustList, TrustedKey};
use citycard_credential::{Date, RevocationList, date, keys as ckeys};
use std::fs;
use std::path::Path;

/// Why development keys could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevKeysError {
    /// The data directory has keys but no trust list (nothing is made).
    #[error(
        "{} has keys but no trust list ({}); make one with `citycard keys trust-list`",
        data_dir.display(),
        trust_list.display()
    )]
    KeysWithoutTrustList {
        /// The data directory.
        data_dir: std::path::PathBuf,
        /// The missing trust list.
        trust_list: std::path::PathBuf,
    },
    /// The key directory could not be made or protected; `doing` says which.
    #[error("{doing}")]
    KeyDir {
        /// What was being done, with the folder.
        doing: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A key or list file could not be written.
    #[error(transparent)]
    KeyFile(#[from] store::KeyFileError),
    /// Signing a list failed.
    #[error(transparent)]
    Sign(#[from] citycard_credential::Error),
    /// A date of the lists is outside the format's range.
    #[error("date out of the supported range")]
    DateOutOfRange,
}

type Result<T, E = DevKeysError> = std::result::Result<T, E>;

/// Issuer identifier of the development lists: the one the format reserves
/// for development trust lists (docs/card-format.md §7), so that every
/// verifier marks their cards as not real.
pub const DEV_ISSUER: &str = citycard_credential::DEVELOPMENT_ISSUER;
/// City name of the development lists.
pub const DEV_CITY_NAME: &str = "Development City (NOT REAL)";
/// Office name of the development office key.
pub const DEV_OFFICE_NAME: &str = "Development office";

const MARKER_TEXT: &str = "\
These keys and lists were made by `citycard serve` on its first start because
there were no keys. They are for DEVELOPMENT AND TESTS ONLY: the root private
key is unencrypted and lives on the server. Never issue real cards with them.

Real keys are made at a key ceremony (see docs/), with the root key offline.
";

/// Whether the keys in `layout` are development keys made by the server.
pub fn has_development_keys(layout: &Layout) -> bool {
    layout.development_marker().exists()
}

/// Makes development keys and lists when the directory has no keys and no
/// trust list; returns whether it did. A directory with only some of the
/// files is an error (nothing is overwritten).
pub fn prepare(layout: &Layout) -> Result<bool> {
    let has_keys = layout.root_public_key().exists()
        || layout.root_private_key().exists()
        || layout.office_key().exists();
    let has_list = layout.trust_list().exists();
    match (has_keys, has_list) {
        (false, false) => {
            create(layout)?;
            Ok(true)
        }
        (_, true) => Ok(false),
        (true, false) => Err(DevKeysError::KeysWithoutTrustList {
            data_dir: layout.data_dir().to_owned(),
            trust_list: layout.trust_list(),
        }),
    }
}

/// Makes the development root and office keys, a trust list and an
/// empty revocation list. Refuses to overwrite anything.
pub fn create(layout: &Layout) -> Result<()> {
    let keys_dir = layout.key_dir();
    fs::create_dir_all(keys_dir).map_err(|source| DevKeysError::KeyDir {
        doing: format!("could not create {}", keys_dir.display()),
        source,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(keys_dir, fs::Permissions::from_mode(0o700)).map_err(|source| {
            DevKeysError::KeyDir {
                doing: format!("could not protect {}", keys_dir.display()),
                source,
            }
        })?;
    }
    store::check_can_write(
        &[
            &layout.root_private_key(),
            &layout.office_key(),
            &layout.trust_list(),
            &layout.revocations(),
        ],
        false,
    )?;
    let root = ckeys::generate();
    let office = ckeys::generate();
    for (path, key) in [
        (layout.root_private_key(), &root),
        (layout.office_key(), &office),
    ] {
        let public = store::write_key_pair(&path, key, None, false)?;
        // In the data directory everything is private (the office serves
        // what desks need); `citycard keys` writes .pub files 0644 for
        // handing out.
        crate::private_files::tighten(&public).map_err(|source| DevKeysError::KeyDir {
            doing: format!("could not protect {}", public.display()),
            source,
        })?;
    }

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
    store::write_new_file(
        &layout.trust_list(),
        &trust_bytes,
        crate::private_files::FILE_MODE,
        false,
    )?;
    let revocations = RevocationList::new(DEV_ISSUER, today, shift(today, 30)?, []);
    store::write_new_file(
        &layout.revocations(),
        &revocations.sign(&root)?,
        crate::private_files::FILE_MODE,
        false,
    )?;
    store::write_new_file(
        &layout.revoked_numbers(),
        b"# Revoked card numbers, one per line. Re-sign the list with:\n\
          # citycard keys revocations --key keys/root.key --trust-list trust-list.cose \\\n\
          #     --revoked revoked.txt --out revocations.cose\n",
        crate::private_files::FILE_MODE,
        false,
    )?;
    store::write_new_file(
        &layout.development_marker(),
        MARKER_TEXT.as_bytes(),
        crate::private_files::FILE_MODE,
        false,
    )?;
    Ok(())
}

/// `day` moved by `days`, within the format's date range.
fn shift(day: Date, days: i64) -> Result<Date> {
    let moved = date::from_days(date::to_days(day) + days);
    moved.ok_or(DevKeysError::DateOutOfRange)
}

/// Whether `office` runs on development keys: its trust list is a
/// development list (the reserved issuer `dev`, docs/card-format.md §7,
/// which every verifier marks), or its data directory still holds the
/// marker of keys the server made itself. The server then warns at every
/// start and every clerk-UI page shows a banner.
pub fn office_uses_development_keys(office: &crate::office::Office) -> bool {
    office.key_status().is_ok_and(|k| k.issuer == DEV_ISSUER)
        || has_development_keys(&office.config().layout())
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
        let data = Layout::in_data_dir(dir.path());
        assert!(prepare(&data).unwrap());
        assert!(has_development_keys(&data));
        assert!(!prepare(&data).unwrap(), "second start makes nothing");
        assert!(create(&data).is_err());
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
        let data = Layout::in_data_dir(dir.path());
        fs::create_dir_all(data.key_dir()).unwrap();
        fs::write(data.root_public_key(), "x").unwrap();
        assert!(prepare(&data).is_err());
    }
}
