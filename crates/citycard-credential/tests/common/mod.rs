//! Fixed keys and lists for the tests (seeds are public; never use them).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use citycard_credential::{
    CardClaims, CardNumber, KeyUsage, RevocationList, SigningKey, TrustList, TrustedKey,
};
use time::Date;
use time::macros::date;

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn root() -> SigningKey {
    key(1)
}

pub fn office() -> SigningKey {
    key(2)
}

pub fn trust_list() -> TrustList {
    TrustList {
        issuer: "bern".into(),
        name: "Stadt Bern".into(),
        issued: date!(2026 - 01 - 01),
        next_update: date!(2027 - 01 - 01),
        root: root().verifying_key(),
        keys: vec![TrustedKey::new(
            office().verifying_key(),
            "Bürgerbüro Mitte",
            date!(2026 - 01 - 01),
            date!(2027 - 12 - 31),
            date!(2033 - 12 - 31),
            KeyUsage::ALL,
        )],
    }
}

pub fn claims(given: &str, family: &str, dob: Option<Date>) -> CardClaims {
    CardClaims {
        issuer: "bern".into(),
        card_number: "0123 4567 8906".parse::<CardNumber>().unwrap(),
        given_names: given.into(),
        family_name: family.into(),
        issued: date!(2026 - 03 - 01),
        expires: date!(2031 - 02 - 28),
        date_of_birth: dob.map(Into::into),
    }
}

pub fn revocations(numbers: &[&str]) -> RevocationList {
    RevocationList::new(
        "bern",
        date!(2026 - 03 - 01),
        date!(2026 - 03 - 08),
        numbers.iter().map(|n| n.parse::<CardNumber>().unwrap()),
    )
}
