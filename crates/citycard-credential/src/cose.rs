//! COSE_Sign1 (RFC 9052) as this format uses it: EdDSA, a `kid` in the
//! protected header, nothing in the unprotected header, empty external AAD.
//! Parsing is strict; verification runs over the protected-header bytes
//! exactly as received.

use crate::cbor;
use crate::error::{Error, Malformed, Result};
use crate::keys::Kid;
use ciborium::Value;
use coset::{CborSerializable, CoseSign1, Header, HeaderBuilder, TaggedCborSerializable, iana};
use ed25519_dalek::hazmat::ExpandedSecretKey;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::Sha512;

/// Content type of a trust list (protected header label 3).
pub const CONTENT_TYPE_TRUST_LIST: &str = "application/vnd.citycard.trust-list+cbor";
/// Content type of a version 1 revocation list (protected header label 3).
pub const CONTENT_TYPE_REVOCATIONS: &str = "application/vnd.citycard.revocations+cbor";
/// Content type of a version 2 revocation list (Golomb–Rice coded numbers).
pub const CONTENT_TYPE_REVOCATIONS_V2: &str = "application/vnd.citycard.revocations-v2+cbor";

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
    let protected = protected_bytes(kid, content_type)?;
    let signature = key.sign(&sig_structure(&protected, &payload)?);
    Ok(sign1_bytes(&protected, &payload, &signature))
}

/// Signs `payload` with a key kept expanded ([`crate::CardSigner`]) under
/// protected-header bytes made by [`protected_bytes`] for that key.
pub(crate) fn sign_expanded(
    key: &ExpandedSecretKey,
    public: &VerifyingKey,
    protected: &[u8],
    payload: &[u8],
) -> Result<Vec<u8>> {
    let tbs = sig_structure(protected, payload)?;
    let signature = ed25519_dalek::hazmat::raw_sign::<Sha512>(key, &tbs, public);
    Ok(sign1_bytes(protected, payload, &signature))
}

/// The tagged COSE_Sign1 `#6.18([protected, {}, payload, signature])`,
/// written in one buffer with ciborium's encoder (the same bytes as coset's
/// `to_tagged_vec`, which the tests check).
fn sign1_bytes(protected: &[u8], payload: &[u8], signature: &Signature) -> Vec<u8> {
    let mut w = cbor::Writer::with_capacity(protected.len() + payload.len() + 80);
    w.tag(TAG_SIGN1).array(4).bytes(protected).map(0);
    w.bytes(payload).bytes(&signature.to_bytes());
    w.finish()
}

/// CBOR tag of a COSE_Sign1 (RFC 9052).
const TAG_SIGN1: u64 = 18;

/// A strictly parsed COSE_Sign1 whose signature is not yet checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The key identifier from the protected header.
    pub kid: Kid,
    protected: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl Parsed {
    /// The payload bytes (not yet authenticated).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Checks the signature with `verify_strict` over the Sig_structure built
    /// from the protected-header bytes as received.
    pub fn verify(&self, key: &VerifyingKey) -> Result<()> {
        let sig = Signature::from_slice(&self.signature).map_err(|_| Error::BadSignature)?;
        let tbs = sig_structure(&self.protected, &self.payload)?;
        key.verify_strict(&tbs, &sig)
            .map_err(|_| Error::BadSignature)
    }

    /// Gives the payload, for callers that have verified the signature.
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }
}

/// The `Sig_structure` of a COSE_Sign1 with empty external AAD (RFC 9052
/// §4.4): `["Signature1", protected, h'', payload]` in deterministic CBOR,
/// `protected` being the protected-header bytes as received. The same bytes
/// as coset's `tbs_data`.
pub fn sig_structure(protected: &[u8], payload: &[u8]) -> Result<Vec<u8>> {
    // Written with ciborium's encoder straight into one buffer: no copies
    // of the protected header and the payload into a `Value` first.
    let mut w = cbor::Writer::with_capacity(protected.len() + payload.len() + 24);
    w.array(4).text("Signature1").bytes(protected).bytes(&[]);
    w.bytes(payload);
    Ok(w.finish())
}

/// Checks that the protected header is exactly the one this format allows
/// (`{1: -8, 4: kid}` for cards, `{1: -8, 3: content_type, 4: kid}` for
/// lists, the content type one of `content_types`) in deterministic CBOR,
/// and gives its kid and which content type it has (0 for a card).
fn check_protected(protected: &[u8], content_types: &[&str]) -> Result<(Kid, usize), Malformed> {
    const BAD: Malformed = Malformed::ProtectedHeader;
    let value = cbor::from_slice(protected, BAD).map_err(|_| BAD)?;
    cbor::check_deterministic(&value, protected).map_err(|_| BAD)?;
    let labels: &[i64] = if content_types.is_empty() {
        &[1, 4]
    } else {
        &[1, 3, 4]
    };
    let mut fields = cbor::expect_map(value, labels, &[], BAD)?.into_iter();
    if cbor::int(fields.next().flatten(), BAD)? != -8 {
        return Err(BAD);
    }
    let mut which = 0;
    if !content_types.is_empty() {
        let ct = cbor::text(fields.next().flatten(), BAD)?;
        which = content_types.iter().position(|t| *t == ct).ok_or(BAD)?;
    }
    let kid = cbor::bytes(fields.next().flatten(), BAD)?
        .as_slice()
        .try_into()
        .map_err(|_| BAD)?;
    Ok((kid, which))
}

/// Parses a tagged COSE_Sign1 under the rules of `docs/card-format.md` §6.
/// `content_type` is `None` for cards, the list's type for lists.
pub fn parse(
    bytes: &[u8],
    max_len: usize,
    content_type: Option<&str>,
) -> Result<Parsed, Malformed> {
    let types: &[&str] = match &content_type {
        Some(ct) => std::slice::from_ref(ct),
        None => &[],
    };
    parse_typed(bytes, max_len, types).map(|(parsed, _)| parsed)
}

/// Parses a tagged COSE_Sign1 of a list whose content type is one of
/// `content_types` (not empty); gives the index of the one it has.
pub fn parse_typed(
    bytes: &[u8],
    max_len: usize,
    content_types: &[&str],
) -> Result<(Parsed, usize), Malformed> {
    if bytes.len() > max_len {
        return Err(Malformed::TooLarge);
    }
    let result = parse_strict(bytes, content_types);
    debug_assert!(
        result
            .as_ref()
            .map_or(true, |(p, _)| agrees_with_coset(bytes, p)),
        "coset reads this COSE_Sign1 differently"
    );
    result
}

fn parse_strict(bytes: &[u8], content_types: &[&str]) -> Result<(Parsed, usize), Malformed> {
    if let Some(fast) = parse_fast(bytes, content_types) {
        debug_assert_eq!(
            Ok(&fast),
            parse_general(bytes, content_types).as_ref(),
            "the fast path accepts only what the general one does"
        );
        return Ok(fast);
    }
    parse_general(bytes, content_types)
}

/// A well-formed COSE_Sign1 read straight from its bytes with
/// [`cbor::Strict`]: `None` for anything else, which [`parse_general`]
/// then reads and names what is wrong with. It accepts exactly what
/// [`parse_general`] accepts, and gives the same result (checked in debug
/// builds, so by every test, property test and fuzz target).
fn parse_fast(bytes: &[u8], content_types: &[&str]) -> Option<(Parsed, usize)> {
    let mut r = cbor::Strict::new(bytes);
    if r.tag()? != TAG_SIGN1 || r.array()? != 4 {
        return None;
    }
    let protected = r.bytes()?;
    if r.map()? != 0 || r.null() {
        return None;
    }
    let payload = r.bytes()?;
    let signature = r.bytes()?;
    if !r.is_empty() || signature.len() != 64 {
        return None;
    }
    let (kid, which) = protected_fast(protected, content_types)?;
    Some((
        Parsed {
            kid,
            protected: protected.to_vec(),
            payload: payload.to_vec(),
            signature: signature.to_vec(),
        },
        which,
    ))
}

/// [`check_protected`] of a well-formed header, read with
/// [`cbor::Strict`]: `None` for anything else.
fn protected_fast(protected: &[u8], content_types: &[&str]) -> Option<(Kid, usize)> {
    let mut r = cbor::Strict::new(protected);
    let entries = if content_types.is_empty() { 2 } else { 3 };
    if r.map()? != entries || !r.key(1) || r.int()? != -8 {
        return None;
    }
    let mut which = 0;
    if !content_types.is_empty() {
        if !r.key(3) {
            return None;
        }
        let ct = r.text()?;
        which = content_types.iter().position(|t| *t == ct)?;
    }
    if !r.key(4) {
        return None;
    }
    let kid: Kid = r.bytes()?.try_into().ok()?;
    r.is_empty().then_some((kid, which))
}

/// The general reader: the whole object as a `ciborium::Value`, checked
/// against its deterministic encoding; it names what is wrong.
fn parse_general(bytes: &[u8], content_types: &[&str]) -> Result<(Parsed, usize), Malformed> {
    const BAD: Malformed = Malformed::NotCoseSign1;
    // COSE_Sign1 = #6.18([protected: bstr, unprotected: map, payload: bstr / nil,
    // signature: bstr]), read with ciborium. The whole object must be in
    // deterministic encoding (no over-long lengths, no indefinite-length
    // items): checked by encoding it again, as it is compared.
    let value = cbor::from_slice(bytes, BAD)?;
    cbor::check_deterministic(&value, bytes)?;
    let Value::Tag(TAG_SIGN1, inner) = value else {
        return Err(BAD);
    };
    let Value::Array(items) = *inner else {
        return Err(BAD);
    };
    let [protected, unprotected, payload, signature]: [Value; 4] =
        items.try_into().map_err(|_| BAD)?;
    let (Value::Bytes(protected), Value::Map(unprotected), Value::Bytes(signature)) =
        (protected, unprotected, signature)
    else {
        return Err(BAD);
    };
    let payload = match payload {
        Value::Bytes(p) => Some(p),
        Value::Null => None,
        _ => return Err(BAD),
    };
    let (kid, which) = check_protected(&protected, content_types)?;
    if !unprotected.is_empty() {
        return Err(Malformed::UnprotectedHeader);
    }
    let payload = payload.ok_or(Malformed::MissingPayload)?;
    if signature.len() != 64 {
        return Err(Malformed::SignatureLength);
    }
    Ok((
        Parsed {
            kid,
            protected,
            payload,
            signature,
        },
        which,
    ))
}

/// Debug builds (tests, property tests, fuzzing) check every accepted object
/// against coset: it must read the same headers, payload and signature, and
/// re-encoding it must give the same bytes.
fn agrees_with_coset(bytes: &[u8], parsed: &Parsed) -> bool {
    match CoseSign1::from_tagged_slice(bytes) {
        Ok(sign1) => {
            sign1.protected.original_data.as_deref() == Some(parsed.protected.as_slice())
                && sign1.protected.header.key_id == parsed.kid
                && sign1.protected.header.alg
                    == Some(coset::RegisteredLabelWithPrivate::Assigned(
                        iana::Algorithm::EdDSA,
                    ))
                && sign1.unprotected.is_empty()
                && sign1.payload.as_deref() == Some(parsed.payload.as_slice())
                && sign1.signature == parsed.signature
                && sign1.to_tagged_vec().ok().as_deref() == Some(bytes)
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structures_match_coset() {
        let key = SigningKey::from_bytes(&[2; 32]);
        let kid = crate::keys::kid(&key.verifying_key());
        for ct in [
            None,
            Some(CONTENT_TYPE_TRUST_LIST),
            Some(CONTENT_TYPE_REVOCATIONS),
            Some(CONTENT_TYPE_REVOCATIONS_V2),
        ] {
            let protected = protected_bytes(&kid, ct).unwrap_or_default();
            let types: Vec<&str> = ct.into_iter().collect();
            assert_eq!(check_protected(&protected, &types), Ok((kid, 0)));
            for payload in [vec![], vec![7u8; 30], vec![9u8; 300], vec![1u8; 70_000]] {
                let bytes = sign(&key, &kid, ct, payload).unwrap_or_default();
                let parsed = parse(&bytes, usize::MAX, ct).unwrap_or_else(|e| panic!("{e}"));
                let sign1 = CoseSign1::from_tagged_slice(&bytes).unwrap_or_default();
                assert_eq!(
                    sig_structure(&parsed.protected, parsed.payload()).ok(),
                    Some(sign1.tbs_data(b""))
                );
                assert!(agrees_with_coset(&bytes, &parsed));
                assert_eq!(parsed.verify(&key.verifying_key()), Ok(()));
                // The same bytes as coset's builder writes.
                let built = coset::CoseSign1Builder::new()
                    .protected(protected_header(&kid, ct))
                    .payload(parsed.payload().to_vec())
                    .signature(sign1.signature.clone())
                    .build()
                    .to_tagged_vec()
                    .unwrap_or_default();
                assert_eq!(bytes, built);
                // The expanded key signs the same (Ed25519 is deterministic).
                let mut secret = key.to_bytes();
                let expanded = ExpandedSecretKey::from(&secret);
                secret.fill(0);
                assert_eq!(
                    sign_expanded(
                        &expanded,
                        &key.verifying_key(),
                        &protected,
                        parsed.payload()
                    )
                    .ok(),
                    Some(bytes)
                );
            }
        }
    }
}
