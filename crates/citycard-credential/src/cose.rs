//! COSE_Sign1 (RFC 9052) as this format uses it: EdDSA, a `kid` in the
//! protected header, nothing in the unprotected header, empty external AAD.
//! Parsing is strict; verification runs over the protected-header bytes
//! exactly as received.

use crate::error::{Error, Malformed, Result};
use crate::keys::{KID_LEN, Kid};
use coset::{
    CborSerializable, CoseError, CoseSign1, CoseSign1Builder, Header, HeaderBuilder,
    TaggedCborSerializable, iana,
};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Content type of a trust list (protected header label 3).
pub const CONTENT_TYPE_TRUST_LIST: &str = "application/vnd.citycard.trust-list+cbor";
/// Content type of a revocation list (protected header label 3).
pub const CONTENT_TYPE_REVOCATIONS: &str = "application/vnd.citycard.revocations+cbor";

fn protected_header(kid: &Kid, content_type: Option<&str>) -> Header {
    let mut builder = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(kid.to_vec());
    if let Some(ct) = content_type {
        builder = builder.content_type(ct.to_owned());
    }
    builder.build()
}

/// The protected header bytes for this kid and optional content type.
pub fn protected_bytes(kid: &Kid, content_type: Option<&str>) -> Result<Vec<u8>> {
    protected_header(kid, content_type)
        .to_vec()
        .map_err(|_| Error::Encode)
}

/// Signs `payload` into a tagged COSE_Sign1.
pub fn sign(
    key: &SigningKey,
    kid: &Kid,
    content_type: Option<&str>,
    payload: Vec<u8>,
) -> Result<Vec<u8>> {
    CoseSign1Builder::new()
        .protected(protected_header(kid, content_type))
        .payload(payload)
        .create_signature(b"", |tbs| key.sign(tbs).to_bytes().to_vec())
        .build()
        .to_tagged_vec()
        .map_err(|_| Error::Encode)
}

/// A strictly parsed COSE_Sign1 whose signature is not yet checked.
#[derive(Debug)]
pub struct Parsed {
    /// The key identifier from the protected header.
    pub kid: Kid,
    sign1: CoseSign1,
}

impl Parsed {
    /// The payload bytes (not yet authenticated).
    pub fn payload(&self) -> &[u8] {
        self.sign1.payload.as_deref().unwrap_or_default()
    }

    /// Checks the signature with `verify_strict` over the Sig_structure built
    /// from the protected-header bytes as received.
    pub fn verify(&self, key: &VerifyingKey) -> Result<()> {
        self.sign1.verify_signature(b"", |sig, tbs| {
            let sig = Signature::from_slice(sig).map_err(|_| Error::BadSignature)?;
            key.verify_strict(tbs, &sig)
                .map_err(|_| Error::BadSignature)
        })
    }

    /// Gives the payload, for callers that have verified the signature.
    pub fn into_payload(self) -> Vec<u8> {
        self.sign1.payload.unwrap_or_default()
    }
}

/// Parses a tagged COSE_Sign1 under the rules of `docs/card-format.md` §6.
/// `content_type` is `None` for cards, the list's type for lists.
pub fn parse(
    bytes: &[u8],
    max_len: usize,
    content_type: Option<&str>,
) -> Result<Parsed, Malformed> {
    if bytes.len() > max_len {
        return Err(Malformed::TooLarge);
    }
    let sign1 = CoseSign1::from_tagged_slice(bytes).map_err(|e| match e {
        CoseError::ExtraneousData => Malformed::TrailingBytes,
        _ => Malformed::NotCoseSign1,
    })?;
    let kid: Kid = sign1
        .protected
        .header
        .key_id
        .as_slice()
        .try_into()
        .map_err(|_| Malformed::ProtectedHeader)?;
    let expected = protected_bytes(&kid, content_type).map_err(|_| Malformed::ProtectedHeader)?;
    if sign1.protected.original_data.as_deref() != Some(expected.as_slice()) {
        return Err(Malformed::ProtectedHeader);
    }
    if !sign1.unprotected.is_empty() {
        return Err(Malformed::UnprotectedHeader);
    }
    if sign1.payload.is_none() {
        return Err(Malformed::MissingPayload);
    }
    if sign1.signature.len() != 64 {
        return Err(Malformed::SignatureLength);
    }
    // The outer structure must be in deterministic encoding too: no
    // over-long lengths, no indefinite-length items.
    match sign1.clone().to_tagged_vec() {
        Ok(again) if again == bytes => {}
        _ => return Err(Malformed::NotDeterministic),
    }
    debug_assert_eq!(kid.len(), KID_LEN);
    Ok(Parsed { kid, sign1 })
}
