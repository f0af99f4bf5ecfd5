//! The paths in the data and key directories.

use super::*;

impl Config {
    /// The signed trust list this office publishes.
    pub fn trust_list_path(&self) -> PathBuf {
        self.data_dir.join("trust-list.cose")
    }

    /// Where the office writes its signed revocation list (a copy of the
    /// one stored in the database).
    pub fn revocations_path(&self) -> PathBuf {
        self.data_dir.join("revocations.cose")
    }

    /// The revoked card numbers, one per line (kept beside the signed list).
    pub fn revoked_numbers_path(&self) -> PathBuf {
        self.data_dir.join("revoked.txt")
    }

    /// The office's signing key (PKCS#8 PEM).
    pub fn office_key_path(&self) -> PathBuf {
        self.key_dir.join("office.key")
    }

    /// A key that signs only revocation lists, used when the office key may
    /// not (optional).
    pub fn revocations_key_path(&self) -> PathBuf {
        self.key_dir.join("revocations.key")
    }

    /// The city root public key (to check the trust list).
    pub fn root_public_key_path(&self) -> PathBuf {
        self.key_dir.join("root.pub")
    }

    /// The key that seals personal data.
    pub fn data_key_path(&self) -> PathBuf {
        self.key_dir.join("data.key")
    }

    /// The key of the duplicate check (keyed hash of name and birth date).
    pub fn dedup_key_path(&self) -> PathBuf {
        self.key_dir.join("dedup.key")
    }
}
