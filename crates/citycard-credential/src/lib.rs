#![doc = include_str!("../README.md")]

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
/// key and returns the COSE_Sign1 bytes.
pub fn sign_card(key: &SigningKey, claims: &CardClaims) -> Result<Vec<u8>> {
    let payload = claims.to_cbor()?;
    cose::sign(key, &keys::kid(&key.verifying_key()), None, payload)
}

/// Signs a card and returns the QR text (`CC1…`).
pub fn sign_card_text(key: &SigningKey, claims: &CardClaims) -> Result<String> {
    Ok(text::encode(&sign_card(key, claims)?))
}
