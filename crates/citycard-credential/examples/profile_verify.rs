//! A small driver for profilers: repeats one operation N times.
//!
//! ```text
//! cargo build --profile bench -p citycard-credential --example profile_verify
//! valgrind --tool=callgrind target/release/examples/profile_verify full 400
//! valgrind --tool=callgrind target/release/examples/profile_verify full 0   # setup only
//! ```
//!
//! Modes: `full` (`Verifier::verify`), `bare` (`verify_strict` over the same
//! Sig_structure), `sign` (`sign_card_text`), `signer` (`CardSigner::sign_text`),
//! `load` (`load_revocations` of a 50,000-number list). Per-call instructions = (count for N − count for 0) / N.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use citycard_credential::{
    CardClaims, CardNumber, KeyUsage, RevocationList, SigningKey, TrustList, TrustedKey, Verifier,
    cose, sign_card_text, text,
};
use std::hint::black_box;
use time::macros::date;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn number(body: u64) -> CardNumber {
    (0..10)
        .find_map(|d| CardNumber::from_u64(body * 10 + d).ok())
        .unwrap()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "full".into());
    let n: u32 = args.next().map_or(1000, |a| a.parse().unwrap());

    let root = key(1);
    let keys = (0..20u8)
        .map(|i| {
            TrustedKey::new(
                key(10 + i).verifying_key(),
                format!("Office {i}"),
                date!(2026 - 01 - 01),
                date!(2027 - 12 - 31),
                date!(2033 - 12 - 31),
                KeyUsage::CARDS,
            )
        })
        .collect();
    let trust = TrustList {
        issuer: "bern".into(),
        name: "Stadt Bern".into(),
        issued: date!(2026 - 01 - 01),
        next_update: date!(2027 - 01 - 01),
        root: root.verifying_key(),
        keys,
    };
    let list = RevocationList::new(
        "bern",
        date!(2026 - 06 - 01),
        date!(2026 - 07 - 01),
        (0..50_000u64).map(|i| number(i * 1_999_999 + 7)),
    );
    let revocations = list.sign(&root).unwrap();
    let mut verifier = Verifier::new(&trust.sign(&root).unwrap(), &root.verifying_key()).unwrap();
    verifier.load_revocations(&revocations).unwrap();

    let office = key(24);
    let claims = CardClaims {
        issuer: "bern".into(),
        card_number: number(12_345_678_901),
        given_names: "Maximiliane Alexandra".into(),
        family_name: "Oberhollenzer-Wyss".into(),
        issued: date!(2026 - 03 - 01),
        expires: date!(2031 - 02 - 28),
        date_of_birth: Some(date!(1990 - 01 - 01).into()),
    };
    let scanned = sign_card_text(&office, &claims).unwrap();
    let cose_bytes = text::decode(&scanned).unwrap();
    let parsed = cose::parse(&cose_bytes, text::MAX_COSE_BYTES, None).unwrap();
    let tbs = cose::sig_structure(
        &cose::protected_bytes(&parsed.kid, None).unwrap(),
        parsed.payload(),
    )
    .unwrap();
    let signature = ed25519_dalek::Signature::from_slice(&cose_bytes[cose_bytes.len() - 64..])
        .expect("64-byte signature at the end");
    let public = office.verifying_key();
    let today = date!(2026 - 06 - 15);
    let signer = citycard_credential::CardSigner::new(&office).unwrap();

    let start = std::time::Instant::now();
    for _ in 0..n {
        match mode.as_str() {
            "full" => {
                let r = verifier.verify(black_box(&scanned), today);
                assert!(r.outcome.is_valid());
            }
            "bare" => public
                .verify_strict(black_box(&tbs), black_box(&signature))
                .unwrap(),
            "sign" => {
                black_box(sign_card_text(&office, black_box(&claims)).unwrap());
            }
            "signer" => {
                black_box(signer.sign_text(black_box(&claims)).unwrap());
            }
            "load" => {
                verifier.load_revocations(black_box(&revocations)).unwrap();
            }
            other => panic!("unknown mode {other}: full, bare, sign, signer or load"),
        }
    }
    if n > 0 {
        eprintln!(
            "{mode}: {:.2} µs per call",
            start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
        );
    }
}
