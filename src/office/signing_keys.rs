//! Loading the office's signing keys and the trust list at start, and why
//! that can fail ([`SigningKeysError`]). An office without usable keys still
//! opens (accounts and the audit log work); issuing reports the error.

use super::Signing;
use crate::config::Config;
use citycard_credential::trust_list::{KeyUsage, TrustList};
use citycard_credential::{SigningKey, keys as ckeys};
use std::path::{Path, PathBuf};

/// Why the office cannot sign: a key file or the trust list is missing,
/// unreadable, or they do not fit together. Messages name files and kids,
/// never key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningKeysError {
    /// A file could not be read.
    #[error("could not read the {what} {}: {cause}", path.display())]
    Read {
        /// `key` or `trust list`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why (the causes, joined by `: `).
        cause: String,
    },
    /// A file is not UTF-8 text.
    #[error("the {what} {} is not text", path.display())]
    NotText {
        /// `key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// The signing key is encrypted.
    #[error(
        "{} is encrypted; the server needs its signing key unencrypted (mode 0600)",
        path.display()
    )]
    Encrypted {
        /// The key file.
        path: PathBuf,
    },
    /// A key file does not hold an Ed25519 private key.
    #[error("{}: {cause}", path.display())]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// Why.
        cause: String,
    },
    /// The root public key could not be read.
    #[error("{cause}")]
    RootKey {
        /// Why (names the file).
        cause: String,
    },
    /// The trust list does not verify or cannot be parsed.
    #[error("the trust list {}: {cause}", path.display())]
    TrustList {
        /// The trust list.
        path: PathBuf,
        /// Why.
        cause: String,
    },
    /// The office key is not in the trust list.
    #[error("the office key {} (kid {kid}) is not in the trust list", path.display())]
    NotInTrustList {
        /// The key file.
        path: PathBuf,
        /// The key's kid (hex).
        kid: String,
    },
    /// The trust list does not let the office key sign cards.
    #[error("the trust list does not allow the office key to sign cards")]
    MayNotSignCards,
    /// The office key may not sign revocation lists and there is no
    /// separate revocation key.
    #[error(
        "the office key may not sign revocation lists, and there is no {}",
        path.display()
    )]
    NoRevocationKey {
        /// Where the revocation key was looked for.
        path: PathBuf,
    },
    /// The revocation key is not in the trust list as one.
    #[error("{} is not in the trust list as a revocation-signing key", path.display())]
    RevocationKeyNotTrusted {
        /// The key file.
        path: PathBuf,
    },
    /// The configured issuer is not the trust list's.
    #[error(
        "the configured issuer \"{configured}\" differs from the trust list's \"{trust_list}\""
    )]
    IssuerDiffers {
        /// `issuer` in the configuration.
        configured: String,
        /// The trust list's issuer.
        trust_list: String,
    },
}

type Result<T, E = SigningKeysError> = std::result::Result<T, E>;

/// An error and its causes, joined by `: ` (as anyhow's `{:#}` shows them).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

fn read_text(path: &Path, what: &'static str) -> Result<String> {
    let bytes =
        crate::keys::read_limited(path, 300 * 1024).map_err(|e| SigningKeysError::Read {
            what,
            path: path.to_owned(),
            cause: with_causes(&e),
        })?;
    String::from_utf8(bytes).map_err(|_| SigningKeysError::NotText {
        what,
        path: path.to_owned(),
    })
}

fn read_private(path: &Path) -> Result<SigningKey> {
    let pem = zeroize::Zeroizing::new(read_text(path, "key")?);
    if pem.contains("ENCRYPTED PRIVATE KEY") {
        return Err(SigningKeysError::Encrypted {
            path: path.to_owned(),
        });
    }
    ckeys::private_from_pem(&pem).map_err(|e| SigningKeysError::BadKey {
        path: path.to_owned(),
        cause: e.to_string(),
    })
}

/// Loads the office key and the trust list, and checks they fit together.
pub(super) fn load_signing(config: &Config) -> Result<Signing> {
    let layout = config.layout();
    let office_key_path = layout.office_key();
    let card_key = read_private(&office_key_path)?;
    let list_path = layout.trust_list();
    let bytes =
        crate::keys::read_limited(&list_path, citycard_credential::MAX_TRUST_LIST_BYTES as u64)
            .map_err(|e| SigningKeysError::Read {
                what: "trust list",
                path: list_path.clone(),
                cause: with_causes(&e),
            })?;
    let root_pub = layout.root_public_key();
    let trust = if root_pub.exists() {
        let root =
            crate::keys::read_public_key(&root_pub).map_err(|e| SigningKeysError::RootKey {
                cause: with_causes(&e),
            })?;
        TrustList::verify(&bytes, &root)
    } else {
        TrustList::inspect(&bytes).map(|(list, _)| list)
    }
    .map_err(|e| SigningKeysError::TrustList {
        path: list_path.clone(),
        cause: e.to_string(),
    })?;
    let card_kid = ckeys::kid(&card_key.verifying_key());
    let card_entry = trust
        .key(&card_kid)
        .filter(|k| k.public_key == card_key.verifying_key())
        .ok_or_else(|| SigningKeysError::NotInTrustList {
            path: office_key_path.clone(),
            kid: ckeys::to_hex(&card_kid),
        })?
        .clone();
    if !card_entry.usage.allows(KeyUsage::CARDS) {
        return Err(SigningKeysError::MayNotSignCards);
    }
    let (revocation_key, revocation_entry) = if card_entry.usage.allows(KeyUsage::REVOCATIONS) {
        (card_key.clone(), card_entry.clone())
    } else {
        let path = layout.revocations_key();
        if !path.exists() {
            return Err(SigningKeysError::NoRevocationKey { path });
        }
        let key = read_private(&path)?;
        let entry = trust
            .key(&ckeys::kid(&key.verifying_key()))
            .filter(|k| {
                k.public_key == key.verifying_key() && k.usage.allows(KeyUsage::REVOCATIONS)
            })
            .ok_or_else(|| SigningKeysError::RevocationKeyNotTrusted { path: path.clone() })?
            .clone();
        (key, entry)
    };
    if let Some(issuer) = &config.issuer
        && *issuer != trust.issuer
    {
        return Err(SigningKeysError::IssuerDiffers {
            configured: issuer.clone(),
            trust_list: trust.issuer.clone(),
        });
    }
    let card_signer =
        citycard_credential::CardSigner::new(&card_key).map_err(|e| SigningKeysError::BadKey {
            path: office_key_path.clone(),
            cause: e.to_string(),
        })?;
    Ok(Signing {
        card_signer,
        card_entry,
        revocation_key,
        revocation_entry,
        issuer: trust.issuer.clone(),
        city_name: config
            .city_name
            .clone()
            .unwrap_or_else(|| trust.name.clone()),
        root_fingerprint: ckeys::fingerprint_display(&trust.root),
    })
}
