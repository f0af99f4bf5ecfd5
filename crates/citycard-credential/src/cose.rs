//! COSE_Sign1 (RFC 9052) as this format uses it: EdDSA, a `kid` in the
//! protected header, nothing in the unprotected header, empty external AAD.
//! Parsing is strict; verification runs over the protected-header bytes
//! exactly as received.

use crate::cbor;
use crate::error::{Error, Malformed, Result};
use crate::keys::{KID_LEN, Kid};
use ciborium::Value;
use coset::{
    CborSerializable, CoseSign1, CoseSign1Builder, Header, HeaderBuilder, TaggedCborSerializable,
    iana,
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
    let protected = expected_protected(kid, content_type);
    let signature = key.sign(&sig_structure(&protected, &payload));
    CoseSign1Builder::new()
        .protected(protected_header(kid, content_type))
        .payload(payload)
        .signature(signature.to_bytes().to_vec())
        .build()
        .to_tagged_vec()
        .map_err(|_| Error::Encode)
}

/// CBOR tag of a COSE_Sign1 (RFC 9052).
const TAG_SIGN1: u64 = 18;

/// A strictly parsed COSE_Sign1 whose signature is not yet checked.
#[derive(Debug)]
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
        key.verify_strict(&sig_structure(&self.protected, &self.payload), &sig)
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
/// as coset's `tbs_data`, without its copies of the header and payload.
pub fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    const CONTEXT: &[u8] = b"Signature1";
    let mut out = Vec::with_capacity(24 + protected.len() + payload.len());
    out.push(0x84); // array of 4
    push_string(&mut out, cbor::MAJOR_TEXT, CONTEXT);
    push_string(&mut out, cbor::MAJOR_BYTES, protected);
    push_string(&mut out, cbor::MAJOR_BYTES, b"");
    push_string(&mut out, cbor::MAJOR_BYTES, payload);
    out
}

/// Appends a byte or text string (`major` 2 or 3) with its shortest head.
fn push_string(out: &mut Vec<u8>, major: u8, content: &[u8]) {
    let (head, n) = cbor::head(major, content.len() as u64);
    out.extend_from_slice(head.get(..n).unwrap_or_default());
    out.extend_from_slice(content);
}

/// The protected header bytes that [`protected_bytes`] makes, written
/// directly: `{1: -8, 4: kid}` or `{1: -8, 3: content_type, 4: kid}` in
/// deterministic CBOR. (Parsing compares against these on every scan.)
fn expected_protected(kid: &Kid, content_type: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + content_type.map_or(0, str::len));
    out.push(if content_type.is_some() { 0xA3 } else { 0xA2 });
    out.extend_from_slice(&[0x01, 0x27]); // 1 (alg): -8 (EdDSA)
    if let Some(ct) = content_type {
        out.push(0x03); // 3 (content type)
        push_string(&mut out, cbor::MAJOR_TEXT, ct.as_bytes());
    }
    out.push(0x04); // 4 (kid)
    push_string(&mut out, cbor::MAJOR_BYTES, kid);
    out
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
    let result = parse_strict(bytes, content_type);
    debug_assert!(
        result
            .as_ref()
            .map_or(true, |p| agrees_with_coset(bytes, p)),
        "coset reads this COSE_Sign1 differently"
    );
    result
}

fn parse_strict(bytes: &[u8], content_type: Option<&str>) -> Result<Parsed, Malformed> {
    const BAD: Malformed = Malformed::NotCoseSign1;
    // COSE_Sign1 = #6.18([protected: bstr, unprotected: map, payload: bstr / nil,
    // signature: bstr]), read with ciborium. The headers are not decoded
    // further: the protected header must be byte for byte the one this format
    // allows, which ends with the kid, and the unprotected one must be empty.
    let Value::Tag(TAG_SIGN1, inner) = cbor::from_slice(bytes, BAD)? else {
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
    let kid: Kid = protected
        .len()
        .checked_sub(KID_LEN)
        .and_then(|at| protected.get(at..))
        .and_then(|k| k.try_into().ok())
        .ok_or(Malformed::ProtectedHeader)?;
    let expected = expected_protected(&kid, content_type);
    debug_assert_eq!(
        protected_bytes(&kid, content_type).ok().as_ref(),
        Some(&expected)
    );
    if protected != expected {
        return Err(Malformed::ProtectedHeader);
    }
    if !unprotected.is_empty() {
        return Err(Malformed::UnprotectedHeader);
    }
    let payload = payload.ok_or(Malformed::MissingPayload)?;
    if signature.len() != 64 {
        return Err(Malformed::SignatureLength);
    }
    let parsed = Parsed {
        kid,
        protected,
        payload,
        signature,
    };
    // The outer structure must be in deterministic encoding too: no
    // over-long lengths, no indefinite-length items.
    if !is_deterministic(bytes, &parsed) {
        return Err(Malformed::NotDeterministic);
    }
    Ok(parsed)
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

/// Whether `bytes` is the deterministic encoding of `parsed`, whose headers
/// have been checked: the protected header is exactly the bytes we expect,
/// the unprotected header is empty, the payload is present. Its deterministic
/// encoding is then `D2 84 <bstr protected> A0 <bstr payload> <bstr
/// signature>` with every byte-string head in its shortest form, so comparing
/// against that is the same as re-encoding and comparing, without the copies.
fn is_deterministic(bytes: &[u8], parsed: &Parsed) -> bool {
    let mut rest = bytes;
    take(&mut rest, &[0xD2, 0x84])
        && take_bstr(&mut rest, &parsed.protected)
        && take(&mut rest, &[0xA0])
        && take_bstr(&mut rest, &parsed.payload)
        && take_bstr(&mut rest, &parsed.signature)
        && rest.is_empty()
}

/// Consumes `expected` from the front of `rest`, if it is there.
fn take(rest: &mut &[u8], expected: &[u8]) -> bool {
    match rest.strip_prefix(expected) {
        Some(tail) => {
            *rest = tail;
            true
        }
        None => false,
    }
}

/// Consumes a byte string holding `content`, with its shortest head.
fn take_bstr(rest: &mut &[u8], content: &[u8]) -> bool {
    let (head, n) = cbor::head(cbor::MAJOR_BYTES, content.len() as u64);
    head.get(..n).is_some_and(|h| take(rest, h)) && take(rest, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_structures_match_coset() {
        let key = SigningKey::from_bytes(&[2; 32]);
        let kid = crate::keys::kid(&key.verifying_key());
        for ct in [
            None,
            Some(CONTENT_TYPE_TRUST_LIST),
            Some(CONTENT_TYPE_REVOCATIONS),
        ] {
            assert_eq!(
                protected_bytes(&kid, ct).ok(),
                Some(expected_protected(&kid, ct))
            );
            for payload in [vec![], vec![7u8; 30], vec![9u8; 300], vec![1u8; 70_000]] {
                let bytes = sign(&key, &kid, ct, payload).unwrap_or_default();
                let parsed = parse(&bytes, usize::MAX, ct).unwrap_or_else(|e| panic!("{e}"));
                let sign1 = CoseSign1::from_tagged_slice(&bytes).unwrap_or_default();
                assert_eq!(
                    sig_structure(&parsed.protected, parsed.payload()),
                    sign1.tbs_data(b"")
                );
                assert!(is_deterministic(&bytes, &parsed));
                assert!(agrees_with_coset(&bytes, &parsed));
                assert_eq!(parsed.verify(&key.verifying_key()), Ok(()));
            }
        }
    }
}
