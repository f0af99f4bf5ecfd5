#![doc = include_str!("../README.md")]

pub mod birth_date;
pub mod card_number;
mod cbor;
pub mod claims;
pub mod cose;
pub mod date;
mod error;
pub mod keys;
pub mod names;
pub mod revocation;
mod rice;
pub mod text;
pub mod trust_list;
pub mod verify;

pub use birth_date::BirthDate;
pub use card_number::CardNumber;
pub use claims::CardClaims;
pub use error::{Error, Malformed, NameField, NameProblem, Result};
pub use revocation::{ListFormat, RevocationList};
pub use trust_list::{DEVELOPMENT_ISSUER, KeyUsage, TrustList, TrustedKey};
pub use verify::{Outcome, Verification, Verifier, Warning};

pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use time::Date;

/// Largest trust list a verifier accepts, in bytes.
pub const MAX_TRUST_LIST_BYTES: usize = 256 * 1024;
/// Largest revocation list a verifier accepts, in bytes (room for 1.6 million numbers).
pub const MAX_REVOCATION_LIST_BYTES: usize = 8 * 1024 * 1024;

/// Signs a card: validates the claims, encodes them, signs with the office
/// key and returns the COSE_Sign1 bytes. To sign many cards with one key,
/// make a [`CardSigner`] once.
pub fn sign_card(key: &SigningKey, claims: &CardClaims) -> Result<Vec<u8>> {
    CardSigner::new(key)?.sign(claims)
}

/// Signs a card and returns the QR text (`CC1…`). To sign many cards with
/// one key, make a [`CardSigner`] once.
pub fn sign_card_text(key: &SigningKey, claims: &CardClaims) -> Result<String> {
    CardSigner::new(key)?.sign_text(claims)
}

/// An office key made ready once for signing many cards: the Ed25519 key
/// kept expanded (a SHA-512 and a scalar reduction per signature
/// otherwise), its kid and the card's protected header encoded once. It
/// signs exactly what [`sign_card`] signs with the same key. Its `Debug`
/// shows the kid only; the expanded key is zeroized on drop.
pub struct CardSigner {
    expanded: ed25519_dalek::hazmat::ExpandedSecretKey,
    public: VerifyingKey,
    kid: keys::Kid,
    protected: Vec<u8>,
}

impl std::fmt::Debug for CardSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardSigner")
            .field("kid", &keys::to_hex(&self.kid))
            .finish_non_exhaustive()
    }
}

impl CardSigner {
    /// Prepares `key` for signing cards.
    pub fn new(key: &SigningKey) -> Result<Self> {
        let mut secret = zeroize::Zeroizing::new(key.to_bytes());
        let expanded = ed25519_dalek::hazmat::ExpandedSecretKey::from(&*secret);
        zeroize::Zeroize::zeroize(&mut *secret);
        let public = key.verifying_key();
        let kid = keys::kid(&public);
        Ok(CardSigner {
            expanded,
            public,
            kid,
            protected: cose::protected_bytes(&kid, None)?,
        })
    }

    /// The public key of the signing key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.public
    }

    /// The kid cards signed by it carry.
    pub fn kid(&self) -> keys::Kid {
        self.kid
    }

    /// Signs a card: validates the claims, encodes them and returns the
    /// COSE_Sign1 bytes.
    pub fn sign(&self, claims: &CardClaims) -> Result<Vec<u8>> {
        let payload = claims.to_cbor()?;
        cose::sign_expanded(&self.expanded, &self.public, &self.protected, &payload)
    }

    /// Signs a card and returns the QR text (`CC1…`).
    pub fn sign_text(&self, claims: &CardClaims) -> Result<String> {
        Ok(text::encode(&self.sign(claims)?))
    }
}
