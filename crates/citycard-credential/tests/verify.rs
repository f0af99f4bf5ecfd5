//! Sign → verify round trips and every outcome.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use citycard_credential::{Outcome, Verifier, Warning, sign_card, sign_card_text, text};
use common::*;
use time::macros::date;

fn verifier(with_revocations: &[&str]) -> Verifier {
    let tl = trust_list().sign(&root()).unwrap();
    let mut v = Verifier::new(&tl, &root().verifying_key()).unwrap();
    if !with_revocations.is_empty() {
        v.load_revocations(&revocations(with_revocations).sign(&root()).unwrap())
            .unwrap();
    }
    v
}

#[test]
fn valid_card_round_trips() {
    let claims = claims("Zoë Ana", "Ünal-Łukasiewicz", Some(date!(1990 - 05 - 17)));
    let qr = sign_card_text(&office(), &claims).unwrap();
    assert!(qr.starts_with("CC1"));
    let v = verifier(&["1111 1111 1117"]);
    let r = v.verify(&qr, date!(2026 - 03 - 02));
    assert_eq!(r.outcome, Outcome::Valid, "{:?}", r.reason);
    assert_eq!(r.card.as_ref(), Some(&claims));
    assert_eq!(r.office.as_deref(), Some("Bürgerbüro Mitte"));
    assert!(r.warnings.is_empty());
    // Lower-case prefix and scanner line ending.
    let lower = format!("cc1{}\r\n", &qr[3..]);
    assert_eq!(
        v.verify(&lower, date!(2026 - 03 - 02)).outcome,
        Outcome::Valid
    );
}

#[test]
fn dates_revocation_and_warnings() {
    let qr = sign_card_text(&office(), &claims("A", "B", None)).unwrap();
    let v = verifier(&["0123 4567 8906"]);
    assert_eq!(
        v.verify(&qr, date!(2026 - 03 - 02)).outcome,
        Outcome::Revoked
    );
    let v = verifier(&[]);
    let r = v.verify(&qr, date!(2031 - 02 - 28));
    assert_eq!(r.outcome, Outcome::Valid);
    assert!(r.warnings.contains(&Warning::NoRevocationList));
    assert_eq!(
        v.verify(&qr, date!(2031 - 03 - 01)).outcome,
        Outcome::Expired
    );
    assert_eq!(
        v.verify(&qr, date!(2026 - 02 - 28)).outcome,
        Outcome::NotYetValid
    );
    let r = v.verify(&qr, date!(2027 - 06 - 01));
    assert!(r.warnings.contains(&Warning::TrustListStale {
        next_update: date!(2027 - 01 - 01)
    }));
}

#[test]
fn unknown_key_bad_signature_and_not_allowed() {
    let v = verifier(&[]);
    let day = date!(2026 - 03 - 02);
    let stranger = sign_card_text(&key(9), &claims("A", "B", None)).unwrap();
    assert_eq!(v.verify(&stranger, day).outcome, Outcome::UnknownKey);

    let mut cose = sign_card(&office(), &claims("A", "B", None)).unwrap();
    let last = cose.len() - 1;
    cose[last] ^= 1;
    assert_eq!(
        v.verify(&text::encode(&cose), day).outcome,
        Outcome::BadSignature
    );

    let mut early = claims("A", "B", None);
    early.issued = date!(2025 - 12 - 31);
    let qr = sign_card_text(&office(), &early).unwrap();
    assert_eq!(v.verify(&qr, day).outcome, Outcome::KeyNotAllowed);

    let mut other = claims("A", "B", None);
    other.issuer = "zuerich".into();
    let qr = sign_card_text(&office(), &other).unwrap();
    assert_eq!(v.verify(&qr, day).outcome, Outcome::KeyNotAllowed);
}

#[test]
fn size_budget_for_a_40_character_latin_name() {
    // 40 characters in all: given names and family name.
    let claims = claims(
        "Maximiliane Alexandra",
        "Oberhollenzer-Wyss",
        Some(date!(1990 - 01 - 01)),
    );
    assert_eq!(
        claims.given_names.chars().count() + claims.family_name.chars().count() + 1,
        40
    );
    let cose = sign_card(&office(), &claims).unwrap();
    assert!(cose.len() <= 170, "COSE is {} bytes", cose.len());
    eprintln!(
        "COSE for a 40-character name with date of birth: {} bytes",
        cose.len()
    );
}

#[test]
fn lists_refuse_the_wrong_root_and_tampering() {
    let tl = trust_list().sign(&root()).unwrap();
    assert!(Verifier::new(&tl, &key(7).verifying_key()).is_err());
    let mut bad = tl.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert!(Verifier::new(&bad, &root().verifying_key()).is_err());
    let fp = citycard_credential::keys::fingerprint(&root().verifying_key());
    assert!(Verifier::with_fingerprint(&tl, &fp).is_ok());
    assert!(Verifier::with_fingerprint(&tl, &[0; 32]).is_err());
    // A revocation list signed by a stranger is refused.
    let mut v = Verifier::new(&tl, &root().verifying_key()).unwrap();
    assert!(
        v.load_revocations(&revocations(&[]).sign(&key(9)).unwrap())
            .is_err()
    );
    // The office key has the revocations usage here, so it may sign one.
    assert!(
        v.load_revocations(&revocations(&[]).sign(&office()).unwrap())
            .is_ok()
    );
    // A trust list is not a card, and a card is not a trust list.
    assert_eq!(
        v.verify(&text::encode(&tl), date!(2026 - 03 - 02)).outcome,
        Outcome::Malformed
    );
}

/// Issue 10, finding 14: a correctly signed but older revocation list must
/// not un-revoke a card in a verifier that knows a newer list was seen.
#[test]
fn an_older_revocation_list_is_refused_once_a_newer_one_was_seen() {
    use citycard_credential::{Error, RevocationList};
    let qr = sign_card_text(&office(), &claims("A", "B", None)).unwrap();
    let mut old = revocations(&[]);
    old.issued = date!(2026 - 03 - 01);
    let mut new = revocations(&["0123 4567 8906"]);
    new.issued = date!(2026 - 03 - 05);
    let (old, new) = (old.sign(&root()).unwrap(), new.sign(&root()).unwrap());
    let today = date!(2026 - 03 - 06);

    // Without the marker the old list loads and the card passes: the attack.
    let mut stateless = verifier(&[]);
    stateless.load_revocations(&new).unwrap();
    stateless.load_revocations(&old).unwrap();
    assert_eq!(stateless.verify(&qr, today).outcome, Outcome::Valid);

    let mut v = verifier(&[]);
    let newest_seen = v.load_revocations_since(&new, None).unwrap().issued;
    assert_eq!(v.verify(&qr, today).outcome, Outcome::Revoked);
    // The replayed older list is refused, loudly, and the newer one stays.
    let err = v
        .load_revocations_since(&old, Some(newest_seen))
        .unwrap_err();
    assert_eq!(
        err,
        Error::OlderList {
            list: "revocation list",
            issued: date!(2026 - 03 - 01),
            newest_seen: date!(2026 - 03 - 05),
        }
    );
    assert!(err.to_string().contains("could un-revoke cards"), "{err}");
    assert_eq!(v.verify(&qr, today).outcome, Outcome::Revoked);
    // The same list again, or a list of the same day, is accepted.
    assert!(v.load_revocations_since(&new, Some(newest_seen)).is_ok());
    let list = RevocationList::verify(&old, v.trust_list()).unwrap();
    assert!(list.check_not_older(date!(2026 - 03 - 01)).is_ok());
    assert!(list.check_not_older(date!(2026 - 03 - 02)).is_err());
}

/// Found by the `cose` fuzz target: a claims set whose family name holds an
/// unassigned code point (U+139B) decodes and validates for a verifier
/// (card-format §5: verifiers do not check General_Category Cn, their
/// tables may be older than the signer's), but a signer refuses to encode
/// it. The crate must agree with itself on both halves.
#[test]
fn an_unassigned_code_point_is_read_by_verifiers_and_refused_by_signers() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/claims-unassigned-code-point.cbor"
    ))
    .unwrap();
    let claims = citycard_credential::CardClaims::from_cbor(&bytes).unwrap();
    assert_eq!(claims.validate(), Ok(()));
    assert!(claims.family_name.contains('\u{139B}'));
    assert!(claims.validate_for_signing().is_err());
    assert!(claims.to_cbor().is_err());
}
