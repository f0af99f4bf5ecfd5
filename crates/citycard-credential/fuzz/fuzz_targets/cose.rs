//! Any bytes as a COSE_Sign1 and as a claims set (the claim decoder,
//! with every form of the date of birth: card key 3, or key 4 `[year]` /
//! `[year, month]`; the corpus is seeded with the partial-date vectors).
#![no_main]

use citycard_credential::cose::{self, CONTENT_TYPE_REVOCATIONS, CONTENT_TYPE_TRUST_LIST};
use citycard_credential::{CardClaims, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for ct in [
        None,
        Some(CONTENT_TYPE_TRUST_LIST),
        Some(CONTENT_TYPE_REVOCATIONS),
    ] {
        if let Ok(parsed) = cose::parse(data, usize::MAX, ct) {
            let _ = CardClaims::from_cbor(parsed.payload());
        }
    }
    if let Ok(claims) = CardClaims::from_cbor(data) {
        // A claims set that parses is valid to a verifier.
        assert_eq!(claims.validate(), Ok(()));
        // Verifiers accept unassigned code points in names and signers
        // refuse them (card-format §5), so a set that parses encodes back
        // to the same bytes exactly when a signer would have made it.
        if claims.validate_for_signing().is_ok() {
            assert_eq!(claims.to_cbor().as_deref(), Ok(data));
        } else {
            assert!(claims.to_cbor().is_err());
        }
    }
    // The bytes as a card in a QR text.
    if data.len() <= text::MAX_COSE_BYTES && !data.is_empty() {
        assert_eq!(text::decode(&text::encode(data)).as_deref(), Ok(data));
    }
});
