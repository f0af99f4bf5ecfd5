//! Any string as a scanned QR text: the text decoder and the full verifier.
#![no_main]

#[path = "common.rs"]
mod common;

use citycard_credential::{date, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let decoded = text::decode(data);
    if let Ok(bytes) = &decoded {
        // Whatever decodes re-encodes to the canonical text.
        assert_eq!(text::decode(&text::encode(bytes)).as_ref(), Ok(bytes));
    }
    let v = common::verifier();
    for day in ["2026-03-15", "2031-03-01"] {
        let result = v.verify(data, date::parse(day).unwrap());
        if result.outcome.is_valid() {
            assert!(decoded.is_ok() && result.card.is_some());
        }
    }
});
