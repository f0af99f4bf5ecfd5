//! Fixed keys and lists shared by the fuzz targets (public test seeds).
#![allow(dead_code)]

use citycard_credential::{
    CardNumber, KeyUsage, RevocationList, SigningKey, TrustList, TrustedKey, Verifier, date,
};
use std::sync::OnceLock;

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn day(s: &str) -> citycard_credential::Date {
    date::parse(s).unwrap()
}

/// The trust list of `tests/vectors` (root seed 1, office keys 2, 3 and 4).
pub fn trust_list() -> &'static TrustList {
    static T: OnceLock<TrustList> = OnceLock::new();
    T.get_or_init(|| TrustList {
        issuer: "bern".into(),
        name: "Stadt Bern".into(),
        issued: day("2026-01-01"),
        next_update: day("2027-01-01"),
        root: key(1).verifying_key(),
        keys: vec![
            TrustedKey::new(
                key(2).verifying_key(),
                "Bürgerbüro Mitte",
                day("2026-01-01"),
                day("2027-12-31"),
                day("2033-12-31"),
                KeyUsage::CARDS,
            ),
            TrustedKey::new(
                key(3).verifying_key(),
                "Bürgerbüro West",
                day("2024-01-01"),
                day("2025-12-31"),
                day("2031-12-31"),
                KeyUsage::CARDS,
            ),
            TrustedKey::new(
                key(4).verifying_key(),
                "Stadtkanzlei",
                day("2026-01-01"),
                day("2031-12-31"),
                day("2031-12-31"),
                KeyUsage::REVOCATIONS,
            ),
        ],
    })
}

/// A verifier with that trust list and a small revocation list.
pub fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let signed = trust_list().sign(&key(1)).unwrap();
        let mut v = Verifier::new(&signed, &key(1).verifying_key()).unwrap();
        let numbers =
            ["1000 0000 0017", "3141 5926 5352"].map(|n| n.parse::<CardNumber>().unwrap());
        let list = RevocationList::new("bern", day("2026-03-01"), day("2026-04-01"), numbers);
        v.load_revocations(&list.sign(&key(4)).unwrap()).unwrap();
        v
    })
}
