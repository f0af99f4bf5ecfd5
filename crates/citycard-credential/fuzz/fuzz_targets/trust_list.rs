//! Any bytes as a signed trust list and as a trust-list payload.
#![no_main]

#[path = "common.rs"]
mod common;

use citycard_credential::{TrustList, keys};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let root = common::key(1).verifying_key();
    if let Ok(list) = TrustList::verify(data, &root) {
        assert_eq!(list.root, root);
    }
    let _ = TrustList::verify_with_fingerprint(data, &keys::fingerprint(&root));
    let _ = TrustList::inspect(data);
    if let Ok(list) = TrustList::from_cbor(data) {
        // A payload that parses encodes back to the same bytes.
        assert_eq!(list.to_cbor().as_deref(), Ok(data));
    }
});
