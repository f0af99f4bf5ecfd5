//! Any bytes as a signed revocation list and as a revocation-list payload
//! (version 2 and version 1).
#![no_main]

#[path = "common.rs"]
mod common;

use citycard_credential::RevocationList;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let trust = common::trust_list();
    let _ = RevocationList::verify(data, trust);
    let _ = RevocationList::inspect(data);
    if let Ok(list) = RevocationList::from_cbor(data) {
        // A payload that parses encodes back to the same bytes.
        assert_eq!(list.to_cbor().as_deref(), Ok(data));
        let numbers: Vec<_> = list.numbers().collect();
        assert_eq!(numbers.len(), list.len());
        assert!(numbers.iter().all(|n| list.contains(*n)));
    }
    if let Ok(list) = RevocationList::from_cbor_v1(data) {
        assert_eq!(list.to_cbor_v1().as_deref(), Ok(data));
    }
});
