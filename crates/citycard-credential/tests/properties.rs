//! Property tests: round trips, tamper rejection, decoders that never panic.
//!
//! 256 cases per property by default (fast in debug builds); set
//! `PROPTEST_CASES` for longer runs, e.g. `PROPTEST_CASES=10000`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use citycard_credential::{
    CardClaims, CardNumber, Outcome, RevocationList, TrustList, Verifier, cose, date, sign_card,
    text,
};
use common::{office, root, trust_list};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::sync::OnceLock;
use time::Date;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        // Keep failure files out of the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// A verifier with the test trust list and a small revocation list that
/// holds no number the strategies below can produce (their body starts with 9).
fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        // The usual test trust list, fresh until 2099, its key verifiable until 2199.
        let mut tl = trust_list();
        tl.next_update = date::parse("2099-12-31").unwrap();
        tl.keys[0].verify_until = date::parse("2199-12-31").unwrap();
        let tl = tl.sign(&root()).unwrap();
        let mut v = Verifier::new(&tl, &root().verifying_key()).unwrap();
        let revoked = RevocationList::new(
            "bern",
            date::parse("2026-01-01").unwrap(),
            date::parse("2099-01-01").unwrap(),
            ["0123 4567 8906", "1111 1111 1117"].map(|n| n.parse::<CardNumber>().unwrap()),
        );
        v.load_revocations(&revoked.sign(&root()).unwrap()).unwrap();
        v
    })
}

// --- Strategies -------------------------------------------------------------

/// Letters of a few scripts, all in NFC on their own.
const SCRIPTS: &[&str] = &[
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-'",
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿłŁńśźżŻŚćĆğşİıčšžČŠŽőűÆØÅßÜÖÄ",
    "ابتثجحخدذرسشصضطظعغفقكلمنهوي",
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗明华小秀英伟芳",
    "абвгдеёжзийклмнопрстуфхцчшщыэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯ",
    "ሀለሐመሠረሰሸቀበተቸኀነኘአከኸወዐዘዠየደጀገጠጨጰጸፀፈፐ",
    "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ",
];

/// A name: 1 to 4 words of 1 to 12 characters from one script, single spaces.
fn name() -> impl Strategy<Value = String> {
    (0..SCRIPTS.len()).prop_flat_map(|s| {
        let letters: Vec<char> = SCRIPTS[s].chars().collect();
        prop::collection::vec(
            prop::collection::vec(prop::sample::select(letters), 1..=12),
            1..=4,
        )
        .prop_map(|words| {
            words
                .into_iter()
                .map(|w| w.into_iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(" ")
        })
    })
}

fn day(days: i64) -> Date {
    date::from_days(days).unwrap()
}

/// A card number whose first 11 digits are `body`.
fn number(body: u64) -> CardNumber {
    (0..10)
        .find_map(|d| CardNumber::from_u64(body * 10 + d).ok())
        .unwrap()
}

/// Any valid claims: issued 1990…2150, valid up to 10 years, optional date
/// of birth up to 110 years before issue (not before 1900).
fn any_claims() -> impl Strategy<Value = CardClaims> {
    (
        prop_oneof![name(), Just(String::new())],
        name(),
        0u64..100_000_000_000,
        date::to_days(date::parse("1990-01-01").unwrap())
            ..date::to_days(date::parse("2150-01-01").unwrap()),
        0i64..3_653,
        prop::option::of(0i64..40_000),
    )
        .prop_map(|(given, family, body, issued, valid, dob)| {
            let issued_day = day(issued);
            CardClaims {
                issuer: "bern".into(),
                card_number: number(body),
                given_names: given,
                family_name: family,
                issued: issued_day,
                expires: day(issued + valid),
                date_of_birth: dob.map(|d| day((issued - d).max(date::MIN_DAYS))),
            }
        })
}

/// Claims the test office key may sign (issued in its window 2026–2027),
/// with a number that is not revoked.
fn signable_claims() -> impl Strategy<Value = CardClaims> {
    (
        any_claims(),
        date::to_days(date::parse("2026-01-01").unwrap())
            ..=date::to_days(date::parse("2027-12-31").unwrap()),
        0i64..3_653,
        0u64..10_000_000_000,
    )
        .prop_map(|(mut c, issued, valid, body)| {
            c.issued = day(issued);
            c.expires = day(issued + valid);
            if c.date_of_birth.is_some_and(|d| d > c.issued) {
                c.date_of_birth = Some(c.issued);
            }
            c.card_number = number(90_000_000_000 + body);
            c
        })
}

/// A signed card and a verification date on which it is valid.
fn signed_card() -> impl Strategy<Value = (CardClaims, Vec<u8>, Date)> {
    signable_claims().prop_flat_map(|c| {
        let cose = sign_card(&office(), &c).unwrap();
        let (from, to) = (date::to_days(c.issued), date::to_days(c.expires));
        (Just(c), Just(cose), from..=to).prop_map(|(c, cose, d)| (c, cose, day(d)))
    })
}

// --- Properties ---------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn text_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..=1024)) {
        let t = text::encode(&bytes);
        prop_assert!(t.starts_with("CC1"));
        prop_assert!(t[3..].bytes().all(|b| b.is_ascii_digit()));
        if bytes.is_empty() {
            prop_assert!(text::decode(&t).is_err());
        } else {
            prop_assert_eq!(text::decode(&t), Ok(bytes.clone()));
            prop_assert_eq!(text::decode(&t.to_lowercase()), Ok(bytes));
        }
    }

    #[test]
    fn claims_round_trip(c in any_claims()) {
        let cbor = c.to_cbor().unwrap();
        prop_assert_eq!(CardClaims::from_cbor(&cbor), Ok(c));
    }

    #[test]
    fn signed_cards_verify((c, cose, today) in signed_card()) {
        let r = verifier().verify(&text::encode(&cose), today);
        prop_assert_eq!(r.outcome, Outcome::Valid, "{:?}", r.reason);
        prop_assert_eq!(r.card, Some(c));
        prop_assert!(r.warnings.is_empty());
    }

    #[test]
    fn any_mutated_byte_is_rejected(
        (_, cose, today) in signed_card(),
        at in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let mut bad = cose.clone();
        let i = at.index(bad.len());
        bad[i] = bad[i].wrapping_add(delta);
        let r = verifier().verify(&text::encode(&bad), today);
        prop_assert_ne!(r.outcome, Outcome::Valid, "byte {} changed by {}", i, delta);
    }

    #[test]
    fn any_mutated_digit_is_rejected(
        (_, cose, today) in signed_card(),
        at in any::<prop::sample::Index>(),
        delta in 1u8..=9,
    ) {
        let mut t = text::encode(&cose).into_bytes();
        let i = 3 + at.index(t.len() - 3);
        t[i] = b'0' + (t[i] - b'0' + delta) % 10;
        let t = String::from_utf8(t).unwrap();
        let r = verifier().verify(&t, today);
        prop_assert_ne!(r.outcome, Outcome::Valid, "digit {} changed by {}", i, delta);
    }

    #[test]
    fn text_decoder_never_panics(s in any::<String>()) {
        let _ = text::decode(&s);
        let _ = verifier().verify(&s, day(20_000));
    }

    #[test]
    fn text_decoder_never_panics_on_digits(s in "[cC][cC]1[0-9]{0,2600}") {
        let _ = text::decode(&s);
        let _ = verifier().verify(&s, day(20_000));
    }

    #[test]
    fn byte_decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..=2048)) {
        let _ = cose::parse(&bytes, 4096, None);
        let _ = CardClaims::from_cbor(&bytes);
        let _ = TrustList::from_cbor(&bytes);
        let _ = TrustList::inspect(&bytes);
        let _ = RevocationList::from_cbor(&bytes);
        let _ = RevocationList::from_cbor_v1(&bytes);
        let _ = RevocationList::inspect(&bytes);
        let _ = verifier().verify(&text::encode(&bytes), day(20_000));
    }

    /// Random bytes rarely get past the first CBOR byte; this starts from a
    /// real card and damages its structure more heavily.
    #[test]
    fn damaged_cards_never_panic(
        (_, cose, today) in signed_card(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bad = cose.clone();
        for (at, value) in edits {
            let i = at.index(bad.len());
            bad[i] = value;
        }
        bad.truncate(1 + cut.index(bad.len()));
        let _ = cose::parse(&bad, 4096, None);
        let r = verifier().verify(&text::encode(&bad), today);
        prop_assert_ne!(r.outcome, Outcome::Valid);
    }
}

// --- Revocation lists (§8) ----------------------------------------------------

/// Sets of card-number bodies: dense (a narrow range), sparse (the whole
/// range), and with the extremes 0 and 10^11 − 1.
fn bodies() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![
        prop::collection::vec(0u64..100_000_000_000, 0..300),
        (0u64..99_999_990_000)
            .prop_flat_map(|base| { prop::collection::vec(base..base + 5_000, 0..300) }),
        prop::collection::vec(
            prop_oneof![Just(0u64), Just(99_999_999_999u64), 0u64..100_000_000_000],
            0..10
        ),
    ]
}

fn card(body: u64) -> CardNumber {
    (0..10)
        .find_map(|d| CardNumber::from_u64(body * 10 + d).ok())
        .unwrap()
}

fn list_of(bodies: &[u64]) -> RevocationList {
    RevocationList::new(
        "bern",
        date::parse("2026-03-01").unwrap(),
        date::parse("2026-04-01").unwrap(),
        bodies.iter().map(|b| card(*b)),
    )
}

proptest! {
    #![proptest_config(config())]

    /// Version 2 and version 1 payloads decode to the same list, and encode
    /// back to the same bytes.
    #[test]
    fn revocation_lists_round_trip(b in bodies()) {
        let list = list_of(&b);
        let v2 = list.to_cbor().unwrap();
        prop_assert_eq!(RevocationList::from_cbor(&v2), Ok(list.clone()));
        prop_assert_eq!(&RevocationList::from_cbor(&v2).unwrap().to_cbor().unwrap(), &v2);
        let v1 = list.to_cbor_v1().unwrap();
        prop_assert_eq!(RevocationList::from_cbor_v1(&v1), Ok(list.clone()));
        // A payload of one version is never read as the other.
        prop_assert!(RevocationList::from_cbor_v1(&v2).is_err());
        prop_assert!(RevocationList::from_cbor(&v1).is_err());
    }

    /// Membership is exactly the set: every listed number is found, and a
    /// number is found only if it was listed (no false positives).
    #[test]
    fn revocation_membership_equals_the_set(
        b in bodies(),
        probes in prop::collection::vec(0u64..100_000_000_000, 0..50),
    ) {
        let list = list_of(&b);
        let set: std::collections::BTreeSet<u64> = b.iter().copied().collect();
        let loaded = RevocationList::from_cbor(&list.to_cbor().unwrap()).unwrap();
        prop_assert_eq!(loaded.len(), set.len());
        let numbers: Vec<CardNumber> = loaded.numbers().collect();
        prop_assert_eq!(numbers, set.iter().map(|x| card(*x)).collect::<Vec<_>>());
        for x in set.iter().copied().chain(probes).chain(set.iter().flat_map(|x| [x.saturating_sub(1), x + 1])) {
            if x < 100_000_000_000 {
                prop_assert_eq!(loaded.contains(card(x)), set.contains(&x), "body {}", x);
            }
        }
    }

    /// Damaged version 2 payloads never panic and, when they still decode,
    /// encode back to the same bytes (one encoding per set).
    #[test]
    fn damaged_revocation_lists_are_canonical_or_refused(
        b in bodies(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = list_of(&b).to_cbor().unwrap();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        bytes.truncate(1 + cut.index(bytes.len()));
        if let Ok(list) = RevocationList::from_cbor(&bytes) {
            prop_assert_eq!(list.to_cbor().unwrap(), bytes);
        }
    }
}
