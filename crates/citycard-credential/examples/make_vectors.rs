//! Generates the test vectors in `tests/vectors/` (one JSON file per vector).
//!
//! ```text
//! cargo run -p citycard-credential --example make_vectors -- tests/vectors
//! ```
//!
//! Everything is deterministic: the keys come from fixed, **public** seeds
//! (never use them for anything real), Ed25519 signatures are deterministic,
//! and the JSON is written field by field in a fixed order. The test
//! `tests/vectors.rs` includes this file, runs [`generate`] again and checks
//! that the committed vectors are byte-for-byte what it produces, so the
//! vectors cannot drift from the code.
//!
//! The malformed vectors are built by hand with ciborium (the library itself
//! refuses to produce them). Each vector is also run through the library here,
//! and the generator stops if the library's outcome, warnings or reason are
//! not the ones the vector is meant to show.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use ciborium::Value;
use citycard_credential::keys::{fingerprint, kid};
use citycard_credential::trust_list::KeyUsage;
use citycard_credential::{
    CardClaims, CardNumber, ListFormat, Outcome, RevocationList, SigningKey, TrustList, TrustedKey,
    Verifier, cose, date, sign_card, text,
};
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::date;

// ---------------------------------------------------------------------------
// The file format (shared with tests/vectors.rs).

/// One vector file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    pub description: String,
    /// The scanned QR text, exactly as a scanner would type it.
    pub text: String,
    /// The verification date, `YYYY-MM-DD`.
    pub date: String,
    /// The signed trust list (a COSE_Sign1), hex.
    pub trust_list: String,
    /// The pinned root public key, raw 32 bytes, hex.
    pub root_public_key: String,
    /// SHA-256 of the raw root public key, hex.
    pub root_fingerprint: String,
    /// The signed revocation list, hex, or null when none is loaded.
    pub revocations: Option<String>,
    pub expected: Expected,
    /// The COSE bytes the text decodes to, hex; null when the text does not decode.
    pub cose_hex: Option<String>,
    pub inputs: Inputs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// `valid`, `expired`, `not_yet_valid`, `revoked`, `unknown_key`,
    /// `key_not_allowed`, `bad_signature` or `malformed`.
    pub outcome: String,
    /// The card's claims, when the signature verified and the claims parsed.
    pub card: Option<Card>,
    /// Warning codes, in this order: `trust_list_stale`,
    /// `no_revocation_list` / `revocation_list_stale`.
    pub warnings: Vec<String>,
    /// Informative: the reference implementation's reason. Not part of the contract.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    pub issuer: String,
    /// 12 digits, no separators.
    pub card_number: String,
    pub given_names: String,
    pub family_name: String,
    pub issued: String,
    pub expires: String,
    pub date_of_birth: Option<String>,
}

impl Card {
    pub fn of(c: &CardClaims) -> Self {
        Card {
            issuer: c.issuer.clone(),
            card_number: c.card_number.digits(),
            given_names: c.given_names.clone(),
            family_name: c.family_name.clone(),
            issued: date::format(c.issued),
            expires: date::format(c.expires),
            date_of_birth: c.date_of_birth.map(date::format),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// The key that signed the card, if any.
    pub signer: Option<KeyInput>,
    /// The claims that were signed (for hand-built payloads, what the payload holds).
    pub claims: Option<Card>,
    /// How the text was made, step by step.
    pub construction: Vec<String>,
    /// For text-level mutations: the COSE bytes before the mutation, hex.
    pub source_cose_hex: Option<String>,
    /// For hand-built payloads: the payload bytes, hex.
    pub payload_hex: Option<String>,
    pub trust_list: TrustListInput,
    pub revocations: Option<RevocationInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    /// The 32-byte Ed25519 seed (RFC 8032 private key), hex. PUBLIC TEST KEY.
    pub seed: String,
    pub public_key: String,
    pub kid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListInput {
    pub root: KeyInput,
    pub issuer: String,
    pub name: String,
    pub issued: String,
    pub next_update: String,
    pub keys: Vec<TrustedKeyInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKeyInput {
    pub key: KeyInput,
    pub office: String,
    pub sign_from: String,
    pub sign_until: String,
    pub verify_until: String,
    /// 1 = cards, 2 = revocations, 3 = both.
    pub usage: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationInput {
    /// The list's format version (1 or 2, `docs/card-format.md` §8).
    pub version: u8,
    pub signer: KeyInput,
    pub issuer: String,
    pub issued: String,
    pub next_update: String,
    pub numbers: Vec<String>,
}

// ---------------------------------------------------------------------------
// Revocation-list vectors (`tests/vectors/revocations/`).

#[path = "make_vectors/revocations.rs"]
pub mod revocations;

// ---------------------------------------------------------------------------
// Keys and lists.

/// Seeds of the public test keys.
const ROOT: u8 = 1;
const OFFICE_MITTE: u8 = 2;
const OFFICE_WEST_OLD: u8 = 3;
const REVOCATION_KEY: u8 = 4;
const STRANGER: u8 = 9;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn key_input(seed: u8) -> KeyInput {
    let k = key(seed).verifying_key();
    KeyInput {
        seed: hex::encode([seed; 32]),
        public_key: hex::encode(k.as_bytes()),
        kid: hex::encode(kid(&k)),
    }
}

/// The card number whose first 11 digits are `body`.
pub fn number(body: u64) -> CardNumber {
    (0..10)
        .find_map(|d| CardNumber::from_u64(body * 10 + d).ok())
        .unwrap()
}

/// A trust list, its revocation list, and their signed forms.
struct Lists {
    trust: TrustList,
    trust_cose: Vec<u8>,
    trust_keys: Vec<u8>,
    revocations: RevocationList,
    revocations_cose: Vec<u8>,
    revocation_signer: u8,
    revocation_format: ListFormat,
}

impl Lists {
    /// The trust list has the revocation list's issuer and the city name `name`.
    fn new(
        name: &str,
        issued: Date,
        next_update: Date,
        revocations: RevocationList,
        rev_signer: u8,
        format: ListFormat,
    ) -> Self {
        let entries: [(u8, &str, Date, Date, Date, KeyUsage); 3] = [
            (
                OFFICE_MITTE,
                "Bürgerbüro Mitte",
                date!(2026 - 01 - 01),
                date!(2027 - 12 - 31),
                date!(2033 - 12 - 31),
                KeyUsage::CARDS,
            ),
            (
                OFFICE_WEST_OLD,
                "Bürgerbüro West",
                date!(2024 - 01 - 01),
                date!(2025 - 12 - 31),
                date!(2031 - 12 - 31),
                KeyUsage::CARDS,
            ),
            (
                REVOCATION_KEY,
                "Stadtkanzlei",
                date!(2026 - 01 - 01),
                date!(2031 - 12 - 31),
                date!(2031 - 12 - 31),
                KeyUsage::REVOCATIONS,
            ),
        ];
        let trust = TrustList {
            issuer: revocations.issuer.clone(),
            name: name.into(),
            issued,
            next_update,
            root: key(ROOT).verifying_key(),
            keys: entries
                .iter()
                .map(|(seed, office, from, until, verify, usage)| {
                    TrustedKey::new(
                        key(*seed).verifying_key(),
                        *office,
                        *from,
                        *until,
                        *verify,
                        *usage,
                    )
                })
                .collect(),
        };
        let trust_cose = trust.sign(&key(ROOT)).unwrap();
        let revocations_cose = revocations.sign_as(format, &key(rev_signer)).unwrap();
        Lists {
            trust,
            trust_cose,
            trust_keys: entries.iter().map(|e| e.0).collect(),
            revocations,
            revocations_cose,
            revocation_signer: rev_signer,
            revocation_format: format,
        }
    }

    fn trust_input(&self) -> TrustListInput {
        TrustListInput {
            root: key_input(ROOT),
            issuer: self.trust.issuer.clone(),
            name: self.trust.name.clone(),
            issued: date::format(self.trust.issued),
            next_update: date::format(self.trust.next_update),
            keys: self
                .trust
                .keys
                .iter()
                .zip(&self.trust_keys)
                .map(|(k, seed)| TrustedKeyInput {
                    key: key_input(*seed),
                    office: k.office.clone(),
                    sign_from: date::format(k.sign_from),
                    sign_until: date::format(k.sign_until),
                    verify_until: date::format(k.verify_until),
                    usage: k.usage.bits(),
                })
                .collect(),
        }
    }

    fn revocation_input(&self) -> RevocationInput {
        RevocationInput {
            version: self.revocation_format.version(),
            signer: key_input(self.revocation_signer),
            issuer: self.revocations.issuer.clone(),
            issued: date::format(self.revocations.issued),
            next_update: date::format(self.revocations.next_update),
            numbers: self.revocations.numbers().map(|n| n.digits()).collect(),
        }
    }
}

/// Card numbers that appear on the revocation lists.
fn revoked_numbers() -> Vec<CardNumber> {
    [
        10_000_000_001,
        27_182_818_284,
        31_415_926_535,
        55_555_555_555,
        86_602_540_378,
    ]
    .into_iter()
    .map(number)
    .collect()
}

fn lists_2026() -> Lists {
    Lists::new(
        "Stadt Bern",
        date!(2026 - 01 - 01),
        date!(2027 - 01 - 01),
        RevocationList::new(
            "bern",
            date!(2026 - 03 - 01),
            date!(2026 - 04 - 01),
            revoked_numbers(),
        ),
        REVOCATION_KEY,
        ListFormat::V2,
    )
}

/// Lists as a desk would have them in 2031 (signed by the root this time).
fn lists_2031() -> Lists {
    Lists::new(
        "Stadt Bern",
        date!(2031 - 01 - 01),
        date!(2032 - 01 - 01),
        RevocationList::new(
            "bern",
            date!(2031 - 02 - 01),
            date!(2032 - 01 - 01),
            revoked_numbers(),
        ),
        ROOT,
        // A version 1 list: new verifiers still read it (§8).
        ListFormat::V1,
    )
}

/// A development trust list (§7: the reserved issuer `dev`) with the keys
/// and dates of the 2026 lists.
fn lists_dev() -> Lists {
    Lists::new(
        "Development City (NOT REAL)",
        date!(2026 - 01 - 01),
        date!(2027 - 01 - 01),
        RevocationList::new(
            citycard_credential::DEVELOPMENT_ISSUER,
            date!(2026 - 03 - 01),
            date!(2026 - 04 - 01),
            revoked_numbers(),
        ),
        REVOCATION_KEY,
        ListFormat::V2,
    )
}

// ---------------------------------------------------------------------------
// Hand-built CBOR and COSE.

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

/// The top-level entries of a claims set, built by hand from the spec
/// (no validation, so broken claims can be signed too).
fn claims_entries(c: &CardClaims) -> Vec<(Value, Value)> {
    let mut card = vec![
        (int(1), Value::Text(c.given_names.clone())),
        (int(2), Value::Text(c.family_name.clone())),
    ];
    if let Some(dob) = c.date_of_birth {
        card.push((int(3), int(date::to_days(dob))));
    }
    vec![
        (int(1), Value::Text(c.issuer.clone())),
        (
            int(4),
            int(date::to_numeric_date(c.expires.next_day().unwrap())),
        ),
        (int(6), int(date::to_numeric_date(c.issued))),
        (int(7), Value::Bytes(c.card_number.to_bytes().to_vec())),
        (int(-65_537), Value::Map(card)),
    ]
}

fn claims_payload(c: &CardClaims) -> Vec<u8> {
    to_vec(&Value::Map(claims_entries(c)))
}

/// The protected header this format requires: `{1: -8, 4: kid}`.
fn protected(seed: u8) -> Vec<u8> {
    protected_with(vec![
        (int(1), int(-8)),
        (
            int(4),
            Value::Bytes(kid(&key(seed).verifying_key()).to_vec()),
        ),
    ])
}

fn protected_with(entries: Vec<(Value, Value)>) -> Vec<u8> {
    to_vec(&Value::Map(entries))
}

/// Sig_structure for COSE_Sign1 with empty external AAD (RFC 9052 §4.4).
fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    to_vec(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))
}

fn signature(seed: u8, protected: &[u8], payload: &[u8]) -> Vec<u8> {
    use ed25519_dalek::Signer;
    key(seed)
        .sign(&sig_structure(protected, payload))
        .to_bytes()
        .to_vec()
}

struct Sign1 {
    protected: Vec<u8>,
    unprotected: Vec<(Value, Value)>,
    payload: Option<Vec<u8>>,
    signature: Vec<u8>,
    tagged: bool,
}

impl Sign1 {
    /// A correctly signed COSE_Sign1 over these headers and payload.
    fn signed(seed: u8, protected: Vec<u8>, payload: Vec<u8>) -> Self {
        let signature = signature(seed, &protected, &payload);
        Sign1 {
            protected,
            unprotected: Vec::new(),
            payload: Some(payload),
            signature,
            tagged: true,
        }
    }

    fn encode(&self) -> Vec<u8> {
        let array = Value::Array(vec![
            Value::Bytes(self.protected.clone()),
            Value::Map(self.unprotected.clone()),
            self.payload.clone().map_or(Value::Null, Value::Bytes),
            Value::Bytes(self.signature.clone()),
        ]);
        if self.tagged {
            to_vec(&Value::Tag(18, Box::new(array)))
        } else {
            to_vec(&array)
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    let hits: Vec<usize> = haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "pattern must occur exactly once");
    hits[0]
}

// ---------------------------------------------------------------------------
// Claims used by the vectors.

const ISSUED: Date = date!(2026 - 03 - 01);
const EXPIRES: Date = date!(2031 - 02 - 28);
/// The usual verification date: two weeks after issue, lists fresh.
const TODAY: Date = date!(2026 - 03 - 15);

fn claims(given: &str, family: &str, dob: Option<Date>) -> CardClaims {
    CardClaims {
        issuer: "bern".into(),
        card_number: number(41_029_384_756),
        given_names: given.into(),
        family_name: family.into(),
        issued: ISSUED,
        expires: EXPIRES,
        date_of_birth: dob,
    }
}

fn erika() -> CardClaims {
    claims("Erika", "Mustermann", Some(date!(1984 - 08 - 12)))
}

// ---------------------------------------------------------------------------
// Building one vector.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Era {
    Y2026,
    Y2031,
    /// The development lists (issuer `dev`).
    Dev,
}

struct Case {
    name: &'static str,
    description: String,
    text: String,
    date: Date,
    era: Era,
    with_revocations: bool,
    outcome: Outcome,
    warnings: &'static [&'static str],
    /// Whether the verifier is expected to return the card's claims.
    card: bool,
    signer: Option<u8>,
    claims: Option<CardClaims>,
    construction: Vec<String>,
    source_cose: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    /// Substring of the reason the library must give (checks that the vector
    /// hits the check it is meant for).
    reason: Option<&'static str>,
}

impl Case {
    fn new(name: &'static str, description: &str, text: String) -> Self {
        Case {
            name,
            description: description.into(),
            text,
            date: TODAY,
            era: Era::Y2026,
            with_revocations: true,
            outcome: Outcome::Valid,
            warnings: &[],
            card: true,
            signer: Some(OFFICE_MITTE),
            claims: None,
            construction: Vec::new(),
            source_cose: None,
            payload: None,
            reason: None,
        }
    }

    /// A card signed with the library by `seed`.
    fn card(name: &'static str, description: &str, seed: u8, c: CardClaims) -> Self {
        let cose = sign_card(&key(seed), &c).unwrap();
        // The hand-built encoding of the spec gives the same bytes.
        let hand = Sign1::signed(seed, protected(seed), claims_payload(&c)).encode();
        assert_eq!(
            hand, cose,
            "{name}: hand-built COSE differs from the library's"
        );
        let mut case = Case::new(name, description, text::encode(&cose));
        case.signer = Some(seed);
        case.claims = Some(c);
        case.construction = vec![format!(
            "sign the claims with key seed {seed:02x}… (sign_card) and write the COSE bytes as CC1 text"
        )];
        case
    }

    /// A card whose COSE object was built by hand and is correctly signed by `seed`.
    fn hand(
        name: &'static str,
        description: &str,
        seed: u8,
        c: Option<CardClaims>,
        sign1: &Sign1,
        steps: &[&str],
    ) -> Self {
        let mut case = Case::new(name, description, text::encode(&sign1.encode()));
        case.signer = Some(seed);
        case.claims = c;
        case.payload = sign1.payload.clone();
        case.construction = steps.iter().map(|s| (*s).to_owned()).collect();
        case
    }

    fn expect(mut self, outcome: Outcome, card: bool, reason: &'static str) -> Self {
        self.outcome = outcome;
        self.card = card;
        self.reason = Some(reason);
        self
    }

    fn malformed(self, reason: &'static str) -> Self {
        self.expect(Outcome::Malformed, false, reason)
    }

    fn on(mut self, date: Date) -> Self {
        self.date = date;
        self
    }

    fn era(mut self, era: Era) -> Self {
        self.era = era;
        self
    }

    fn warnings(mut self, w: &'static [&'static str]) -> Self {
        self.warnings = w;
        self
    }

    fn without_revocations(mut self) -> Self {
        self.with_revocations = false;
        self.warnings = &["no_revocation_list"];
        self
    }

    fn signed_by(mut self, seed: Option<u8>) -> Self {
        self.signer = seed;
        self
    }

    fn step(mut self, s: impl Into<String>) -> Self {
        self.construction.push(s.into());
        self
    }

    fn text_mutation(mut self, source: &[u8], text: String, step: &str) -> Self {
        self.source_cose = Some(source.to_vec());
        self.text = text;
        self.construction.push(step.into());
        self
    }

    /// Runs the library on the case, checks it behaves as intended and
    /// returns the file name and its contents.
    fn finish(self, l2026: &Lists, l2031: &Lists, ldev: &Lists) -> (String, String) {
        let lists = match self.era {
            Era::Y2026 => l2026,
            Era::Y2031 => l2031,
            Era::Dev => ldev,
        };
        let name = self.name;
        let root = key(ROOT).verifying_key();
        let mut verifier = Verifier::new(&lists.trust_cose, &root).unwrap();
        if self.with_revocations {
            verifier.load_revocations(&lists.revocations_cose).unwrap();
        }
        let result = verifier.verify(&self.text, self.date);
        assert_eq!(result.outcome, self.outcome, "{name}: {:?}", result.reason);
        let warnings: Vec<String> = result.warnings.iter().map(|w| w.code().into()).collect();
        assert_eq!(warnings, self.warnings, "{name}: warnings");
        assert_eq!(result.card.is_some(), self.card, "{name}: card presence");
        if let (Some(got), Some(want)) = (&result.card, &self.claims) {
            assert_eq!(got, want, "{name}: card");
        }
        let reason = result.reason.as_ref().map(ToString::to_string);
        match (self.reason, &reason) {
            (None, None) => {}
            (Some(want), Some(got)) if got.contains(want) => {}
            (want, got) => panic!("{name}: reason {got:?}, meant {want:?}"),
        }
        let cose = text::decode(&self.text).ok();
        let vector = Vector {
            description: self.description,
            text: self.text,
            date: date::format(self.date),
            trust_list: hex::encode(&lists.trust_cose),
            root_public_key: hex::encode(root.as_bytes()),
            root_fingerprint: hex::encode(fingerprint(&root)),
            revocations: self
                .with_revocations
                .then(|| hex::encode(&lists.revocations_cose)),
            expected: Expected {
                outcome: result.outcome.code().into(),
                card: result.card.as_ref().map(Card::of),
                warnings,
                reason,
            },
            cose_hex: cose.map(hex::encode),
            inputs: Inputs {
                signer: self.signer.map(key_input),
                claims: self.claims.as_ref().map(Card::of),
                construction: self.construction,
                source_cose_hex: self.source_cose.map(hex::encode),
                payload_hex: self.payload.map(hex::encode),
                trust_list: lists.trust_input(),
                revocations: self.with_revocations.then(|| lists.revocation_input()),
            },
        };
        let mut json = serde_json::to_string_pretty(&vector).unwrap();
        json.push('\n');
        (format!("{name}.json"), json)
    }
}

// ---------------------------------------------------------------------------
// The vectors.

/// Every vector: (file name, file contents), sorted by file name.
pub fn generate() -> Vec<(String, String)> {
    let l2026 = lists_2026();
    let l2031 = lists_2031();
    let ldev = lists_dev();
    let mut cases: Vec<Case> = Vec::new();
    let m = OFFICE_MITTE;
    // The hand-built protected header is the library's.
    let kid_bytes = kid(&key(m).verifying_key());
    assert_eq!(
        protected(m),
        cose::protected_bytes(&kid_bytes, None).unwrap()
    );

    // --- Valid cards -------------------------------------------------------
    cases.push(Case::card(
        "valid-ascii",
        "Valid card, ASCII name, with date of birth.",
        m,
        erika(),
    ));
    cases.push(Case::card(
        "valid-ascii-no-dob",
        "Valid card, ASCII name, without date of birth.",
        m,
        claims("Max", "Mustermann", None),
    ));
    cases.push(Case::card(
        "valid-diacritics",
        "Valid card, Latin name with diacritics (NFC).",
        m,
        claims("Zoë", "Ünal-Łukasiewicz", Some(date!(1991 - 02 - 03))),
    ));
    cases.push(Case::card(
        "valid-arabic",
        "Valid card, Arabic name, with date of birth.",
        m,
        claims("ليلى", "المصري", Some(date!(1979 - 11 - 30))),
    ));
    cases.push(Case::card(
        "valid-arabic-no-dob",
        "Valid card, Arabic name with two given names, without date of birth.",
        m,
        claims("فاطمة الزهراء", "بن علي", None),
    ));
    cases.push(Case::card(
        "valid-chinese",
        "Valid card, Chinese name, with date of birth.",
        m,
        claims("小明", "王", Some(date!(2001 - 07 - 01))),
    ));
    cases.push(Case::card(
        "valid-chinese-no-dob",
        "Valid card, Chinese name, without date of birth.",
        m,
        claims("秀英", "李", None),
    ));
    cases.push(Case::card(
        "valid-cyrillic",
        "Valid card, Cyrillic name, with date of birth.",
        m,
        claims("Анна Сергеевна", "Иванова", Some(date!(1965 - 12 - 24))),
    ));
    cases.push(Case::card(
        "valid-ethiopic",
        "Valid card, Ethiopic (Ge'ez script) name, without date of birth.",
        m,
        claims("ተስፋዬ", "ገብረ ማርያም", None),
    ));
    cases.push(Case::card(
        "valid-single-name",
        "Valid card, a single name: empty given names, the name in the family name.",
        m,
        claims("", "Aroha", Some(date!(1999 - 01 - 01))),
    ));
    cases.push(Case::card(
        "valid-longest-names",
        "Valid card with both names at the 64-character limit and a date of birth.",
        m,
        claims(
            "Maximiliane Alexandra Josephine Theresia Walburga Kunigunde Anna",
            "Oberhollenzer-Wyss von Hohenstein-Liebenfels zu Schwarzenberg-Au",
            Some(date!(1900 - 01 - 01)),
        ),
    ));
    let longest = cases.last().and_then(|c| c.claims.as_ref()).unwrap();
    assert_eq!(longest.given_names.chars().count(), 64);
    assert_eq!(longest.family_name.chars().count(), 64);
    let ascii = sign_card(&key(m), &erika()).unwrap();
    let ascii_text = text::encode(&ascii);
    cases.push(
        Case::card(
            "valid-lowercase-prefix",
            "Valid card whose prefix is in lower case (cc1): decoders accept either case.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            format!("cc1{}", &ascii_text[3..]),
            "write the prefix in lower case",
        ),
    );
    cases.push(
        Case::card(
            "valid-scanner-whitespace",
            "Valid card as a keyboard-wedge scanner types it: a leading space and CR LF after the text. Leading and trailing ASCII whitespace is ignored.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            format!(" {ascii_text}\r\n"),
            "add a space before and CR LF after the text",
        ),
    );
    let mut rotated = claims("Jonas", "Beispiel", None);
    rotated.issued = date!(2025 - 06 - 02);
    rotated.expires = date!(2030 - 06 - 01);
    cases.push(Case::card(
        "valid-previous-key",
        "Valid card signed in 2025 by the office's previous key, which may no longer sign but stays verifiable until 2031-12-31.",
        OFFICE_WEST_OLD,
        rotated,
    ));
    cases.push(
        Case::card(
            "valid-last-day",
            "Valid on its last valid day (expiry date 2031-02-28 itself), with the lists of 2031.",
            m,
            erika(),
        )
        .on(EXPIRES)
        .era(Era::Y2031),
    );
    cases.push(Case::card("valid-first-day", "Valid on its issue date.", m, erika()).on(ISSUED));

    // --- Valid with warnings ----------------------------------------------
    cases.push(
        Case::card(
            "warning-no-revocation-list",
            "Valid card, but no revocation list is loaded: valid with the warning no_revocation_list.",
            m,
            erika(),
        )
        .without_revocations(),
    );
    cases.push(
        Case::card(
            "warning-revocation-list-stale",
            "Valid card, checked after the revocation list's next-update date (2026-04-01).",
            m,
            erika(),
        )
        .on(date!(2026 - 05 - 01))
        .warnings(&["revocation_list_stale"]),
    );
    cases.push(
        Case::card(
            "warning-both-lists-stale",
            "Valid card, checked after the next-update dates of both the trust list (2027-01-01) and the revocation list (2026-04-01).",
            m,
            erika(),
        )
        .on(date!(2027 - 01 - 02))
        .warnings(&["trust_list_stale", "revocation_list_stale"]),
    );
    cases.push(
        Case::card(
            "warning-stale-trust-list-no-revocations",
            "Valid card, trust list past its next-update date and no revocation list loaded.",
            m,
            erika(),
        )
        .on(date!(2027 - 01 - 02))
        .without_revocations()
        .warnings(&["trust_list_stale", "no_revocation_list"]),
    );

    // --- Development trust list (reserved issuer `dev`, §7) ----------------
    let dev_card = |given: &str, family: &str| CardClaims {
        issuer: citycard_credential::DEVELOPMENT_ISSUER.into(),
        ..claims(given, family, Some(date!(1984 - 08 - 12)))
    };
    cases.push(
        Case::card(
            "warning-development-keys",
            "Valid card checked against a development trust list (issuer dev): valid, with the warning development_keys (not a real City Card).",
            m,
            dev_card("Erika", "Mustermann"),
        )
        .era(Era::Dev)
        .warnings(&["development_keys"]),
    );
    cases.push(
        Case::card(
            "warning-development-keys-expired",
            "Expired card checked against a development trust list after both lists' next-update dates: expired, with the warnings development_keys, trust_list_stale, revocation_list_stale in that order.",
            m,
            dev_card("Max", "Mustermann"),
        )
        .era(Era::Dev)
        .on(date!(2031 - 03 - 01))
        .expect(Outcome::Expired, true, "verification date")
        .warnings(&["development_keys", "trust_list_stale", "revocation_list_stale"]),
    );

    // --- Dates and revocation ---------------------------------------------
    cases.push(
        Case::card(
            "expired",
            "Expired: verified the day after its last valid day (2031-03-01).",
            m,
            erika(),
        )
        .on(date!(2031 - 03 - 01))
        .era(Era::Y2031)
        .expect(Outcome::Expired, true, "verification date"),
    );
    cases.push(
        Case::card(
            "not-yet-valid",
            "Not yet valid: verified the day before its issue date.",
            m,
            erika(),
        )
        .on(date!(2026 - 02 - 28))
        .expect(Outcome::NotYetValid, true, "issue date"),
    );
    let mut revoked = claims("Erika", "Mustermann", None);
    revoked.card_number = revoked_numbers()[2];
    cases.push(
        Case::card(
            "revoked",
            "Revoked: the card number is on the revocation list (signed by the trust list's revocation key).",
            m,
            revoked.clone(),
        )
        .expect(Outcome::Revoked, true, "revocation list"),
    );
    cases.push(
        Case::card(
            "revoked-2031",
            "Revoked, with a revocation list signed by the root key itself.",
            m,
            revoked,
        )
        .on(date!(2031 - 02 - 15))
        .era(Era::Y2031)
        .expect(Outcome::Revoked, true, "revocation list"),
    );

    // --- Keys --------------------------------------------------------------
    cases.push(
        Case::card(
            "unknown-key",
            "Unknown key: well-formed and correctly signed, but by a key that is not in the trust list.",
            STRANGER,
            erika(),
        )
        .expect(Outcome::UnknownKey, false, "not in the trust list"),
    );
    cases.push(
        Case::card(
            "key-outside-signing-window",
            "Key not allowed: signed by the office's previous key, whose signing window ended 2025-12-31, for a card issued 2026-03-01.",
            OFFICE_WEST_OLD,
            erika(),
        )
        .expect(Outcome::KeyNotAllowed, true, "signing window"),
    );
    let mut early = erika();
    early.issued = date!(2025 - 12 - 31);
    cases.push(
        Case::card(
            "key-before-signing-window",
            "Key not allowed: the current key's signing window starts 2026-01-01, the card says it was issued 2025-12-31.",
            m,
            early,
        )
        .expect(Outcome::KeyNotAllowed, true, "signing window"),
    );
    let mut zurich = erika();
    zurich.issuer = "zuerich".into();
    cases.push(
        Case::card(
            "key-other-issuer",
            "Key not allowed: the card names the issuer zuerich, the trust list is for bern.",
            m,
            zurich,
        )
        .expect(Outcome::KeyNotAllowed, true, "another issuer"),
    );
    cases.push(
        Case::card(
            "key-not-for-cards",
            "Key not allowed: signed by the trust list's revocation key, which may sign revocation lists only.",
            REVOCATION_KEY,
            erika(),
        )
        .expect(Outcome::KeyNotAllowed, true, "may not sign cards"),
    );
    let mut long = claims("Jonas", "Beispiel", None);
    long.issued = date!(2025 - 06 - 02);
    long.expires = date!(2032 - 06 - 01);
    cases.push(
        Case::card(
            "key-past-verify-until",
            "Key not allowed: a card of the previous key checked after that key's verify-until date (2031-12-31), although the card itself runs to 2032-06-01.",
            OFFICE_WEST_OLD,
            long,
        )
        .on(date!(2032 - 01 - 01))
        .era(Era::Y2031)
        .expect(Outcome::KeyNotAllowed, true, "verify-until"),
    );

    // --- Bad signatures ----------------------------------------------------
    let mut flipped = ascii.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    cases.push(
        Case::card(
            "bad-signature-flipped-bit-in-signature",
            "Bad signature: the lowest bit of the signature's last byte is flipped.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            text::encode(&flipped),
            "flip bit 0 of the last COSE byte (the last signature byte), then write the text",
        )
        .expect(Outcome::BadSignature, false, "signature does not verify"),
    );
    let mut flipped = ascii.clone();
    let at = find(&flipped, b"Mustermann");
    flipped[at] ^= 0x20;
    cases.push(
        Case::card(
            "bad-signature-flipped-bit-in-payload",
            "Bad signature: one bit of the payload is flipped (family name Mustermann becomes mustermann); the payload is still well-formed.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            text::encode(&flipped),
            &format!("flip bit 5 of COSE byte {at} (the M of Mustermann), then write the text"),
        )
        .expect(Outcome::BadSignature, false, "signature does not verify"),
    );
    let mut flipped = ascii.clone();
    let kid_at = find(&flipped, &kid(&key(m).verifying_key()));
    assert_eq!(
        &flipped[kid_at - 5..kid_at],
        &[0xA2, 0x01, 0x27, 0x04, 0x48]
    );
    flipped[kid_at - 3] = 0x26; // alg -8 (0x27) becomes -7 (0x26)
    cases.push(
        Case::card(
            "malformed-alg-changed-after-signing",
            "Malformed: the alg in the protected header was changed from EdDSA (-8) to ES256 (-7) after signing. A decoder refuses the header before it checks the signature.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            text::encode(&flipped),
            "change the protected header's alg value byte 0x27 (-8) to 0x26 (-7), then write the text",
        )
        .malformed("protected header"),
    );

    // --- Malformed text ----------------------------------------------------
    let mut trailing = ascii.clone();
    trailing.push(0x00);
    cases.push(
        Case::card(
            "malformed-trailing-byte",
            "Malformed: one byte (0x00) appended after the COSE object.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            text::encode(&trailing),
            "append the byte 0x00 to the COSE bytes, then write the text",
        )
        .malformed("extra bytes"),
    );
    cases.push(
        Case::card(
            "malformed-group-overflow-17",
            "Malformed: the first 17-digit group is 99999999999999999, larger than 2^56 - 1 = 72057594037927935.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            format!("CC199999999999999999{}", &ascii_text[20..]),
            "replace the first 17-digit group with 99999999999999999",
        )
        .malformed("digit group 0"),
    );
    // A card whose COSE length leaves a 1-byte (3-digit) tail group.
    let (tail_claims, tail_cose) = ["Mia", "Lina", "Linus", "Leonie", "Valerio", "Jonathan"]
        .iter()
        .map(|g| {
            let c = claims(g, "Mustermann", None);
            let cose = sign_card(&key(m), &c).unwrap();
            (c, cose)
        })
        .find(|(_, cose)| cose.len() % 7 == 1)
        .unwrap();
    let tail_text = text::encode(&tail_cose);
    cases.push(
        Case::card(
            "malformed-group-overflow-tail",
            "Malformed: the final 3-digit group (one byte) is 999, larger than 255.",
            m,
            tail_claims,
        )
        .text_mutation(
            &tail_cose,
            format!("{}999", &tail_text[..tail_text.len() - 3]),
            &format!(
                "the COSE object has {} bytes, so the text ends in a 3-digit group; replace it with 999",
                tail_cose.len()
            ),
        )
        .malformed("too large for its bytes"),
    );
    cases.push(
        Case::card(
            "malformed-digit-count",
            "Malformed: the last digit is missing, so the number of digits is not 17n + 0, 3, 5, 8, 10, 13 or 15.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            ascii_text[..ascii_text.len() - 1].to_owned(),
            "remove the last digit",
        )
        .malformed("number of digits"),
    );
    let mut letter = ascii_text.clone().into_bytes();
    letter[23] = b'O';
    cases.push(
        Case::card(
            "malformed-non-digit",
            "Malformed: a digit replaced by the letter O (a typical mistyping).",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            String::from_utf8(letter).unwrap(),
            "replace the character at offset 23 with the letter O",
        )
        .malformed("offset 23"),
    );
    cases.push(
        Case::card(
            "malformed-wrong-prefix",
            "Malformed: prefix CC2 instead of CC1.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            format!("CC2{}", &ascii_text[3..]),
            "replace the prefix CC1 with CC2",
        )
        .malformed("does not start with CC1"),
    );
    cases.push(
        Case::new(
            "malformed-empty",
            "Malformed: the prefix alone, no digits.",
            "CC1".into(),
        )
        .step("the text CC1 with no digits")
        .signed_by(None)
        .malformed("number of digits"),
    );
    cases.push(
        Case::card(
            "malformed-truncated",
            "Malformed: the COSE object is cut short (its last 10 bytes removed) and the rest written as text.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            text::encode(&ascii[..ascii.len() - 10]),
            "remove the last 10 COSE bytes, then write the text",
        )
        .malformed("not a tagged COSE_Sign1"),
    );
    // Over the 1 KiB cap: a correctly signed object with an extra 1000-byte claim.
    let mut big = claims_entries(&erika());
    big.push((int(-65_538), Value::Bytes(vec![0x5A; 1000])));
    let big_cose = Sign1::signed(m, protected(m), to_vec(&Value::Map(big))).encode();
    assert!(big_cose.len() > text::MAX_COSE_BYTES);
    cases.push(
        Case::card(
            "malformed-oversize",
            "Malformed: the COSE object is over the 1024-byte cap (a correctly signed object with an extra 1000-byte claim). A decoder refuses it from the digit count alone.",
            m,
            erika(),
        )
        .text_mutation(
            &big_cose,
            text::encode(&big_cose),
            &format!(
                "add the claim -65538 holding 1000 bytes 0x5A, sign ({} bytes), write the text",
                big_cose.len()
            ),
        )
        .malformed("larger than allowed"),
    );

    // --- Malformed COSE, correctly signed ----------------------------------
    let erika_payload = claims_payload(&erika());
    let kid_m = Value::Bytes(kid(&key(m).verifying_key()).to_vec());
    let es256 = Sign1::signed(
        m,
        protected_with(vec![(int(1), int(-7)), (int(4), kid_m.clone())]),
        erika_payload.clone(),
    );
    cases.push(
        Case::hand(
            "malformed-wrong-alg",
            "Malformed: the protected header says alg ES256 (-7); the object is otherwise well-formed and correctly signed with the office's Ed25519 key.",
            m,
            Some(erika()),
            &es256,
            &["protected header {1: -7, 4: kid}", "sign with Ed25519 over the Sig_structure"],
        )
        .malformed("protected header"),
    );
    let mut unprot = Sign1::signed(
        m,
        protected_with(vec![(int(1), int(-8))]),
        erika_payload.clone(),
    );
    unprot.unprotected = vec![(int(4), kid_m.clone())];
    cases.push(
        Case::hand(
            "malformed-kid-unprotected",
            "Malformed: the kid is in the unprotected header; the protected header holds only alg EdDSA. Correctly signed.",
            m,
            Some(erika()),
            &unprot,
            &["protected header {1: -8}, unprotected header {4: kid}", "sign"],
        )
        .malformed("protected header"),
    );
    let crit = Sign1::signed(
        m,
        protected_with(vec![
            (int(1), int(-8)),
            (int(2), Value::Array(vec![int(-70_000)])),
            (int(4), kid_m.clone()),
            (int(-70_000), Value::Bool(true)),
        ]),
        erika_payload.clone(),
    );
    cases.push(
        Case::hand(
            "malformed-unknown-critical-header",
            "Malformed: the protected header marks an unknown label (-70000) as critical (crit, label 2). Correctly signed.",
            m,
            Some(erika()),
            &crit,
            &["protected header {1: -8, 2: [-70000], 4: kid, -70000: true}", "sign"],
        )
        .malformed("protected header"),
    );
    let mut extra_unprot = Sign1::signed(m, protected(m), erika_payload.clone());
    extra_unprot.unprotected = vec![(int(3), Value::Text("text/plain".into()))];
    cases.push(
        Case::hand(
            "malformed-unprotected-header-not-empty",
            "Malformed: the unprotected header holds a content type; it must be empty. Correctly signed.",
            m,
            Some(erika()),
            &extra_unprot,
            &["the usual protected header", "unprotected header {3: \"text/plain\"}", "sign"],
        )
        .malformed("unprotected header"),
    );
    let mut untagged = Sign1::signed(m, protected(m), erika_payload.clone());
    untagged.tagged = false;
    cases.push(
        Case::hand(
            "malformed-untagged",
            "Malformed: a correct COSE_Sign1 array without CBOR tag 18.",
            m,
            Some(erika()),
            &untagged,
            &["sign as usual", "encode the array without tag 18"],
        )
        .malformed("not a tagged COSE_Sign1"),
    );
    let mut detached = Sign1::signed(m, protected(m), erika_payload.clone());
    detached.payload = None;
    cases.push(
        Case::hand(
            "malformed-detached-payload",
            "Malformed: the payload is nil (detached); the signature is over the real payload.",
            m,
            Some(erika()),
            &detached,
            &["sign as usual", "replace the payload with nil"],
        )
        .malformed("payload missing"),
    );
    let mut short_sig = Sign1::signed(m, protected(m), erika_payload.clone());
    short_sig.signature.truncate(63);
    cases.push(
        Case::hand(
            "malformed-signature-length",
            "Malformed: the signature is 63 bytes (the last byte dropped).",
            m,
            Some(erika()),
            &short_sig,
            &["sign as usual", "drop the last signature byte"],
        )
        .malformed("not 64 bytes"),
    );
    // Over-long length of the signature byte string: 0x59 0x00 0x40 instead of 0x58 0x40.
    let sig_at = ascii.len() - 66;
    assert_eq!(&ascii[sig_at..sig_at + 2], &[0x58, 0x40]);
    let mut overlong = ascii[..sig_at].to_vec();
    overlong.extend_from_slice(&[0x59, 0x00, 0x40]);
    overlong.extend_from_slice(&ascii[sig_at + 2..]);
    cases.push(
        Case::card(
            "malformed-non-deterministic-cose",
            "Malformed: the signature's byte-string length is written in an over-long form (0x59 0x00 0x40 instead of 0x58 0x40); not deterministic CBOR.",
            m,
            erika(),
        )
        .text_mutation(
            &ascii,
            text::encode(&overlong),
            "re-write the signature header 58 40 as 59 00 40, then write the text",
        )
        .malformed("not deterministically encoded"),
    );
    // Over-long integer in the payload: iat as a 64-bit integer.
    let iat = u32::try_from(date::to_numeric_date(ISSUED)).unwrap();
    let mut pattern = vec![0x06, 0x1A];
    pattern.extend_from_slice(&iat.to_be_bytes());
    let at = find(&erika_payload, &pattern);
    let mut long_payload = erika_payload[..at].to_vec();
    long_payload.extend_from_slice(&[0x06, 0x1B, 0, 0, 0, 0]);
    long_payload.extend_from_slice(&iat.to_be_bytes());
    long_payload.extend_from_slice(&erika_payload[at + pattern.len()..]);
    cases.push(
        Case::hand(
            "malformed-non-deterministic-payload",
            "Malformed: the payload writes iat as an 8-byte integer (0x1B) where 4 bytes (0x1A) suffice; the object is correctly signed over that payload.",
            m,
            Some(erika()),
            &Sign1::signed(m, protected(m), long_payload),
            &["encode the claims, re-write iat 1A xx xx xx xx as 1B 00 00 00 00 xx xx xx xx", "sign"],
        )
        .malformed("not deterministically encoded"),
    );
    let mut extra = claims_entries(&erika());
    extra.push((int(-65_538), Value::Text("x".into())));
    cases.push(
        Case::hand(
            "malformed-unknown-claim",
            "Malformed: the claims set holds an unknown claim (-65538). Correctly signed.",
            m,
            Some(erika()),
            &Sign1::signed(m, protected(m), to_vec(&Value::Map(extra))),
            &["encode the claims plus claim -65538: \"x\"", "sign"],
        )
        .malformed("payload is not a valid claims set"),
    );
    let not_nfc = claims("Rene\u{301}", "Mustermann", None);
    cases.push(
        Case::hand(
            "malformed-name-not-nfc",
            "Malformed: the given name is e + U+0301 COMBINING ACUTE ACCENT (NFD), not NFC. Correctly signed.",
            m,
            Some(not_nfc.clone()),
            &Sign1::signed(m, protected(m), claims_payload(&not_nfc)),
            &["encode the claims by hand with a decomposed given name", "sign"],
        )
        .malformed("name rules"),
    );
    let zero_width = claims("Ana\u{200B}Maria", "Mustermann", None);
    cases.push(
        Case::hand(
            "malformed-name-zero-width-space",
            "Malformed: the given name holds U+200B ZERO WIDTH SPACE, a default-ignorable code point (§5). Correctly signed.",
            m,
            Some(zero_width.clone()),
            &Sign1::signed(m, protected(m), claims_payload(&zero_width)),
            &["encode the claims by hand with U+200B in the given name", "sign"],
        )
        .malformed("name rules"),
    );
    let filler = claims("Erika", "\u{3164}\u{3164}\u{3164}", None);
    cases.push(
        Case::hand(
            "malformed-name-hangul-filler",
            "Malformed: the family name is three U+3164 HANGUL FILLER, default-ignorable code points that print as blank (§5). Correctly signed.",
            m,
            Some(filler.clone()),
            &Sign1::signed(m, protected(m), claims_payload(&filler)),
            &["encode the claims by hand with a family name of U+3164 only", "sign"],
        )
        .malformed("name rules"),
    );
    let mut wrong_check = claims_entries(&erika());
    let bad_number =
        number(41_029_384_756).as_u64() / 10 * 10 + (number(41_029_384_756).as_u64() % 10 + 1) % 10;
    wrong_check[3].1 = Value::Bytes(bad_number.to_be_bytes()[3..].to_vec());
    cases.push(
        Case::hand(
            "malformed-card-number-check-digit",
            &format!(
                "Malformed: the card number {bad_number:012} has a wrong check digit. Correctly signed."
            ),
            m,
            None,
            &Sign1::signed(m, protected(m), to_vec(&Value::Map(wrong_check))),
            &["encode the claims with cti = the 5 bytes of a number whose Damm check fails", "sign"],
        )
        .malformed("card number"),
    );
    let mut noon = claims_entries(&erika());
    noon[2].1 = int(date::to_numeric_date(ISSUED) + 43_200);
    cases.push(
        Case::hand(
            "malformed-date-not-midnight",
            "Malformed: iat is 12:00 UTC on the issue date, not 00:00. Correctly signed.",
            m,
            None,
            &Sign1::signed(m, protected(m), to_vec(&Value::Map(noon))),
            &["encode the claims with iat + 43200 seconds", "sign"],
        )
        .malformed("date in the payload"),
    );
    cases.push(
        Case::new(
            "malformed-trust-list-as-card",
            "Malformed: the text holds the trust list itself (content type in the protected header, signed by the root).",
            text::encode(&l2026.trust_cose),
        )
        .step("write the signed trust list's bytes as CC1 text")
        .signed_by(Some(ROOT))
        .malformed("protected header"),
    );

    let mut out: Vec<(String, String)> = cases
        .into_iter()
        .map(|c| c.finish(&l2026, &l2031, &ldev))
        .collect();
    out.sort();
    let mut names: Vec<&String> = out.iter().map(|(n, _)| n).collect();
    names.dedup();
    assert_eq!(names.len(), out.len(), "duplicate vector names");
    out
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/vectors".into());
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    // Remove old vectors so that a renamed one does not linger.
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(&path).unwrap();
        }
    }
    let vectors = generate();
    for (name, json) in &vectors {
        std::fs::write(dir.join(name), json).unwrap();
    }
    eprintln!("wrote {} vectors to {}", vectors.len(), dir.display());
    let lists_dir = dir.join(revocations::DIR);
    std::fs::create_dir_all(&lists_dir).unwrap();
    for entry in std::fs::read_dir(&lists_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(&path).unwrap();
        }
    }
    let lists = revocations::generate();
    for (name, json) in &lists {
        std::fs::write(lists_dir.join(name), json).unwrap();
    }
    eprintln!(
        "wrote {} revocation-list vectors to {}",
        lists.len(),
        lists_dir.display()
    );
}
