//! [`Layout`]: every path in the data and key directories, named once.
//!
//! ```text
//! <key-dir>/root.key, root.pub       city root key (development keys only: unencrypted!)
//! <key-dir>/office.key, office.pub   office key (cards + revocations)
//! <key-dir>/revocations.key          a key that signs only revocation lists (optional)
//! <key-dir>/data.key, dedup.key      made by the office itself (Office::open)
//! <key-dir>/audit.key                the audit chain's HMAC key, made by the office itself
//! <key-dir>/data.key.new, dedup.key.new   only while `keys rotate-data-key` runs
//! <key-dir>/rotation.lock            locked by a running `keys rotate-data-key`
//! <data-dir>/citycard.sqlite         the database, unless database_url says otherwise
//! <data-dir>/trust-list.cose         served at /.well-known/citycard/trust-list
//! <data-dir>/revocations.cose        served at /.well-known/citycard/revocations
//! <data-dir>/revoked.txt             the revoked numbers (one per line)
//! <data-dir>/DEVELOPMENT-KEYS.txt    marks keys made by the server itself
//! <data-dir>/card-templates/         the built-in templates, outside a checkout
//! ```
//!
//! The key directory is `<data-dir>/keys` unless `key_dir` is configured.

use super::{Config, DEFAULT_SQLITE_FILE, DEFAULT_TEMPLATES_DIR};
use std::path::{Path, PathBuf};

/// The files of one office's data and key directories. Nothing is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    data_dir: PathBuf,
    key_dir: PathBuf,
}

impl Layout {
    /// A data directory and a key directory.
    pub fn new(data_dir: &Path, key_dir: &Path) -> Self {
        Layout {
            data_dir: data_dir.to_owned(),
            key_dir: key_dir.to_owned(),
        }
    }

    /// A data directory with its keys in `<data_dir>/keys` (the default).
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Layout::new(data_dir, &Self::default_key_dir(data_dir))
    }

    /// The key directory when `key_dir` is not configured.
    pub fn default_key_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("keys")
    }

    /// The SQLite file when `database_url` is not configured.
    pub fn default_sqlite_file(data_dir: &Path) -> PathBuf {
        data_dir.join(DEFAULT_SQLITE_FILE)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The key directory.
    pub fn key_dir(&self) -> &Path {
        &self.key_dir
    }

    /// The signed trust list this office publishes.
    pub fn trust_list(&self) -> PathBuf {
        self.data_dir.join("trust-list.cose")
    }

    /// Where the office writes its signed revocation list (a copy of the
    /// one stored in the database).
    pub fn revocations(&self) -> PathBuf {
        self.data_dir.join("revocations.cose")
    }

    /// The revoked card numbers, one per line (kept beside the signed list).
    pub fn revoked_numbers(&self) -> PathBuf {
        self.data_dir.join("revoked.txt")
    }

    /// The marker of development keys made by the server itself.
    pub fn development_marker(&self) -> PathBuf {
        self.data_dir.join("DEVELOPMENT-KEYS.txt")
    }

    /// Where the built-in card templates are written when the office runs
    /// outside a checkout ([`Config::resolve_card_templates`]).
    pub fn card_templates(&self) -> PathBuf {
        self.data_dir.join(DEFAULT_TEMPLATES_DIR)
    }

    /// The city root private key (only for development keys: a real one is
    /// kept offline).
    pub fn root_private_key(&self) -> PathBuf {
        self.key_dir.join("root.key")
    }

    /// The city root public key (to check the trust list; its fingerprint is
    /// what desks pin).
    pub fn root_public_key(&self) -> PathBuf {
        self.key_dir.join("root.pub")
    }

    /// The office's signing key (PKCS#8 PEM).
    pub fn office_key(&self) -> PathBuf {
        self.key_dir.join("office.key")
    }

    /// A key that signs only revocation lists, used when the office key may
    /// not (optional).
    pub fn revocations_key(&self) -> PathBuf {
        self.key_dir.join("revocations.key")
    }

    /// The key that seals personal data.
    pub fn data_key(&self) -> PathBuf {
        self.key_dir.join("data.key")
    }

    /// The key of the duplicate check (keyed hash of name and birth date).
    pub fn dedup_key(&self) -> PathBuf {
        self.key_dir.join("dedup.key")
    }

    /// The audit chain's HMAC key and the entry it keys from
    /// (`office::audit::open_key`).
    pub fn audit_key(&self) -> PathBuf {
        self.key_dir.join("audit.key")
    }

    /// The new data key while a key rotation runs (renamed to `data.key`
    /// when it is done).
    pub fn data_key_new(&self) -> PathBuf {
        self.key_dir.join("data.key.new")
    }

    /// The new dedup key while a key rotation runs.
    pub fn dedup_key_new(&self) -> PathBuf {
        self.key_dir.join("dedup.key.new")
    }

    /// Locked (`flock`) by a running key rotation; empty, left in place.
    pub fn rotation_lock(&self) -> PathBuf {
        self.key_dir.join("rotation.lock")
    }
}

impl Config {
    /// The paths in this configuration's data and key directories.
    pub fn layout(&self) -> Layout {
        Layout::new(&self.data_dir, &self.key_dir)
    }
}
