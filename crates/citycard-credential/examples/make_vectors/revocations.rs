//! Revocation-list vectors (`tests/vectors/revocations/*.json`): signed
//! lists in version 2 (§8.2) and version 1 (§8.1), accepted and refused, with
//! the numbers a verifier must find on them. Part of `make_vectors`.

use super::{KeyInput, ROOT, key, key_input, lists_2026, number, to_vec};
use ciborium::Value;
use citycard_credential::cose::{self, CONTENT_TYPE_REVOCATIONS, CONTENT_TYPE_REVOCATIONS_V2};
use citycard_credential::keys::kid;
use citycard_credential::{CardNumber, ListFormat, RevocationList, Verifier, date};
use serde::{Deserialize, Serialize};
use time::macros::date;

/// The folder under `tests/vectors/`.
pub const DIR: &str = "revocations";

/// One revocation-list vector file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListVector {
    pub description: String,
    /// The signed trust list (the 2026 list of the card vectors), hex.
    pub trust_list: String,
    /// The pinned root public key, raw 32 bytes, hex.
    pub root_public_key: String,
    /// The signed revocation list, hex.
    pub revocations: String,
    pub expected: ListExpected,
    pub inputs: ListInputs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListExpected {
    /// Whether a verifier accepts the list (false: it is refused as a whole).
    pub accepted: bool,
    /// When accepted: the format version, 1 or 2.
    pub version: Option<u8>,
    /// When accepted: the issue date.
    pub issued: Option<String>,
    /// When accepted: the next-update date.
    pub next_update: Option<String>,
    /// When accepted: every number on the list, ascending; a verifier must
    /// report each as revoked.
    pub numbers: Option<Vec<String>>,
    /// Valid card numbers next to those on the list that a verifier must
    /// NOT report as revoked.
    pub not_on_list: Vec<String>,
    /// Informative only: the reference implementation's reason for refusing.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListInputs {
    pub signer: KeyInput,
    /// The content type in the protected header.
    pub content_type: String,
    /// The payload bytes, hex.
    pub payload_hex: String,
    /// For version 2 payloads: the count n and the Rice parameter k as written.
    pub count: Option<i64>,
    pub rice_parameter: Option<i64>,
    /// How the list was made.
    pub construction: Vec<String>,
}

fn numbers_of(bodies: &[u64]) -> Vec<CardNumber> {
    bodies.iter().map(|b| number(*b)).collect()
}

/// A deterministic pseudo-random generator (SplitMix64).
fn splitmix(seed: u64, count: usize) -> Vec<u64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
        .collect()
}

/// The list with these bodies, issued 2026-03-01.
fn list(bodies: &[u64]) -> RevocationList {
    RevocationList::new(
        "bern",
        date!(2026 - 03 - 01),
        date!(2026 - 04 - 01),
        numbers_of(bodies),
    )
}

/// Payload entries to change by hand.
fn entries(payload: &[u8]) -> Vec<(Value, Value)> {
    match ciborium::from_reader(payload).unwrap() {
        Value::Map(m) => m,
        _ => unreachable!(),
    }
}

fn set(entries: &mut Vec<(Value, Value)>, k: i64, v: Value) {
    match entries
        .iter_mut()
        .find(|(key, _)| *key == Value::Integer(k.into()))
    {
        Some(e) => e.1 = v,
        None => {
            entries.push((Value::Integer(k.into()), v));
            entries.sort_by_key(|(key, _)| to_vec(key));
        }
    }
}

fn get_bytes(entries: &[(Value, Value)], k: i64) -> Vec<u8> {
    entries
        .iter()
        .find_map(|(key, v)| match v {
            Value::Bytes(b) if *key == Value::Integer(k.into()) => Some(b.clone()),
            _ => None,
        })
        .unwrap()
}

fn get_int(entries: &[(Value, Value)], k: i64) -> Option<i64> {
    entries.iter().find_map(|(key, v)| match v {
        Value::Integer(i) if *key == Value::Integer(k.into()) => i64::try_from(*i).ok(),
        _ => None,
    })
}

struct Case {
    name: &'static str,
    description: &'static str,
    content_type: &'static str,
    payload: Vec<u8>,
    construction: Vec<String>,
    /// `None`: accepted; `Some(reason)`: refused with a reason containing it.
    refused: Option<&'static str>,
    not_on_list: Vec<CardNumber>,
}

impl Case {
    fn v2(name: &'static str, description: &'static str, bodies: &[u64]) -> Self {
        let l = list(bodies);
        Case {
            name,
            description,
            content_type: CONTENT_TYPE_REVOCATIONS_V2,
            payload: l.to_cbor().unwrap(),
            construction: vec![format!(
                "the version 2 payload (§8.2) of {} numbers, signed by the root key",
                l.len()
            )],
            refused: None,
            not_on_list: Vec::new(),
        }
    }

    fn v1(name: &'static str, description: &'static str, bodies: &[u64]) -> Self {
        let l = list(bodies);
        Case {
            content_type: CONTENT_TYPE_REVOCATIONS,
            payload: l.to_cbor_v1().unwrap(),
            construction: vec![format!(
                "the version 1 payload (§8.1) of {} numbers, signed by the root key",
                l.len()
            )],
            ..Case::v2(name, description, bodies)
        }
    }

    /// Changes the payload's entries by hand.
    fn edit(mut self, step: &str, f: impl FnOnce(&mut Vec<(Value, Value)>)) -> Self {
        let mut e = entries(&self.payload);
        f(&mut e);
        self.payload = to_vec(&Value::Map(e));
        self.construction.push(step.into());
        self
    }

    fn refused(mut self, reason: &'static str) -> Self {
        self.refused = Some(reason);
        self
    }

    fn not_on_list(mut self, bodies: &[u64]) -> Self {
        self.not_on_list = numbers_of(bodies);
        self
    }

    fn finish(self) -> (String, String) {
        let name = self.name;
        let l = lists_2026();
        let root = key(ROOT);
        let signed = cose::sign(
            &root,
            &kid(&root.verifying_key()),
            Some(self.content_type),
            self.payload.clone(),
        )
        .unwrap();
        let mut verifier = Verifier::new(&l.trust_cose, &root.verifying_key()).unwrap();
        let result = verifier.load_revocations(&signed).cloned();
        let (_, _, format) =
            RevocationList::inspect_format(&signed).unwrap_or((list(&[]), [0; 8], ListFormat::V1));
        let expected = match (&result, self.refused) {
            (Ok(got), None) => {
                for n in &self.not_on_list {
                    assert!(!got.contains(*n), "{name}: {n} is reported");
                }
                ListExpected {
                    accepted: true,
                    version: Some(format.version()),
                    issued: Some(date::format(got.issued)),
                    next_update: Some(date::format(got.next_update)),
                    numbers: Some(got.numbers().map(|n| n.digits()).collect()),
                    not_on_list: self.not_on_list.iter().map(|n| n.digits()).collect(),
                    reason: None,
                }
            }
            (Err(e), Some(want)) if e.to_string().contains(want) => ListExpected {
                accepted: false,
                version: None,
                issued: None,
                next_update: None,
                numbers: None,
                not_on_list: Vec::new(),
                reason: Some(e.to_string()),
            },
            (got, want) => panic!("{name}: got {got:?}, meant {want:?}"),
        };
        let e = entries(&self.payload);
        let v2 = self.content_type == CONTENT_TYPE_REVOCATIONS_V2;
        let vector = ListVector {
            description: self.description.into(),
            trust_list: hex::encode(&l.trust_cose),
            root_public_key: hex::encode(root.verifying_key().as_bytes()),
            revocations: hex::encode(&signed),
            expected,
            inputs: ListInputs {
                signer: key_input(ROOT),
                content_type: self.content_type.into(),
                payload_hex: hex::encode(&self.payload),
                count: if v2 { get_int(&e, 5) } else { None },
                rice_parameter: if v2 { get_int(&e, 6) } else { None },
                construction: self.construction,
            },
        };
        let mut json = serde_json::to_string_pretty(&vector).unwrap();
        json.push('\n');
        (format!("{name}.json"), json)
    }
}

/// The bodies of the spec's example (§8.2): 5, 10 and 2^34.
const EXAMPLE: [u64; 3] = [5, 10, 1 << 34];
const LAST: u64 = 99_999_999_999;

/// Every revocation-list vector: (file name, contents), sorted.
pub fn generate() -> Vec<(String, String)> {
    let five: Vec<u64> = super::revoked_numbers().iter().map(|n| n.body()).collect();
    let random: Vec<u64> = splitmix(0x0C17_CA2D_0000_0002, 1000)
        .into_iter()
        .map(|x| x % 100_000_000_000)
        .collect();
    let mut random_sorted = random.clone();
    random_sorted.sort_unstable();
    let neighbours: Vec<u64> = random_sorted
        .iter()
        .take(20)
        .flat_map(|b| [b.saturating_sub(1), b + 1])
        .filter(|b| random_sorted.binary_search(b).is_err())
        .collect();
    let cases = vec![
        Case::v2(
            "v2-empty",
            "Version 2, no revoked cards: n = 0, k = 0, empty codes.",
            &[],
        )
        .not_on_list(&[0, 5, LAST]),
        Case::v2(
            "v2-spec-example",
            "Version 2, the example of §8.2: bodies 5, 10 and 2^34 (n = 3, k = 34, 105 bits in 14 bytes).",
            &EXAMPLE,
        )
        .not_on_list(&[4, 6, 9, 11, (1 << 34) - 1, (1 << 34) + 1]),
        Case::v2(
            "v2-five",
            "Version 2, the five numbers of the card vectors' revocation lists.",
            &five,
        )
        .not_on_list(&[10_000_000_000, 10_000_000_002, 55_555_555_554]),
        Case::v2(
            "v2-first-and-last",
            "Version 2, the smallest and the largest body (0 and 10^11 − 1): n = 2, k = 35; the second gap has a quotient of 2.",
            &[0, LAST],
        )
        .not_on_list(&[1, LAST - 1]),
        Case::v2(
            "v2-last-only",
            "Version 2, only the largest body 10^11 − 1: n = 1, k = 36, quotient 1.",
            &[LAST],
        )
        .not_on_list(&[0, LAST - 1]),
        Case::v2(
            "v2-1000-random",
            "Version 2, 1,000 pseudo-random numbers (SplitMix64): a list of realistic density.",
            &random,
        )
        .not_on_list(&neighbours),
        Case::v1(
            "v1-five",
            "Version 1 (5 bytes a number), the same five numbers: still accepted by new verifiers.",
            &five,
        )
        .not_on_list(&[10_000_000_000, 10_000_000_002]),
        Case::v2("v2-wrong-parameter", "Refused: the Rice parameter is 35 where rice(3) = 34 (the codes are re-written with k = 35, so only the parameter rule refuses them).", &EXAMPLE)
            .edit("set key 6 to 35 and re-code the three gaps with k = 35: 3 × 36 = 108 bits in 14 bytes", |e| {
                set(e, 6, Value::Integer(35.into()));
                // Gaps 5, 4, 2^34 − 11 with k = 35: each "0" then 35 bits.
                let mut bits = String::new();
                for d in [5u64, 4, (1 << 34) - 11] {
                    bits.push('0');
                    bits.push_str(&format!("{d:035b}"));
                }
                while !bits.len().is_multiple_of(8) {
                    bits.push('0');
                }
                let bytes = (0..bits.len() / 8)
                    .map(|i| u8::from_str_radix(&bits[i * 8..i * 8 + 8], 2).unwrap())
                    .collect();
                set(e, 7, Value::Bytes(bytes));
            })
            .refused("Rice parameter"),
        Case::v2("v2-trailing-byte", "Refused: a zero byte follows the codes (8 or more bits left after the n-th code).", &EXAMPLE)
            .edit("append 00 to the codes", |e| {
                let mut b = get_bytes(e, 7);
                b.push(0);
                set(e, 7, Value::Bytes(b));
            })
            .refused("bits follow"),
        Case::v2("v2-padding-bit-set", "Refused: the last padding bit is a one-bit.", &EXAMPLE)
            .edit("set the lowest bit of the last byte (a padding bit: 105 bits leave 7)", |e| {
                let mut b = get_bytes(e, 7);
                if let Some(last) = b.last_mut() {
                    *last |= 1;
                }
                set(e, 7, Value::Bytes(b));
            })
            .refused("bits follow"),
        Case::v2("v2-count-too-large", "Refused: the count says 4, the codes hold 3 (the 105 bits plus 7 padding bits cannot hold a fourth 35-bit code).", &EXAMPLE)
            .edit("set key 5 to 4 (k stays 34 = rice(4))", |e| set(e, 5, Value::Integer(4.into())))
            .refused("end before"),
        Case::v2("v2-count-too-small", "Refused: the count says 2, the codes hold 3 (a whole code is left over).", &EXAMPLE)
            .edit("set key 5 to 2 and key 6 to rice(2) = 35, keep the codes", |e| {
                set(e, 5, Value::Integer(2.into()));
                set(e, 6, Value::Integer(35.into()));
            })
            .refused("bits follow"),
        Case::v2("v2-out-of-range-quotient", "Refused: one code with quotient 2 and k = 36 is 2^37 ≥ 10^11.", &[LAST])
            .edit("codes = C0 00 00 00 00: '110' then 36 zero-bits, one padding bit", |e| {
                set(e, 7, Value::Bytes(vec![0xC0, 0, 0, 0, 0]));
            })
            .refused("out of range"),
        Case::v2("v2-out-of-range-remainder", "Refused: one code with quotient 1 and remainder 2^36 − 1 is 2^37 − 1 ≥ 10^11.", &[LAST])
            .edit("codes = BF FF FF FF FF: '10' then 36 one-bits, two padding bits", |e| {
                set(e, 7, Value::Bytes(vec![0xBF, 0xFF, 0xFF, 0xFF, 0xFC]));
            })
            .refused("out of range"),
        Case::v2("v2-huge-count", "Refused: a count of 2^40 with 14 bytes of codes (refused before decoding: n · (k + 1) exceeds the bits).", &EXAMPLE)
            .edit("set key 5 to 2^40 and key 6 to rice(2^40) = 0", |e| {
                set(e, 5, Value::Integer((1i64 << 40).into()));
                set(e, 6, Value::Integer(0.into()));
            })
            .refused("end before"),
        Case::v2("v2-negative-count", "Refused: the count is −1.", &[])
            .edit("set key 5 to −1", |e| set(e, 5, Value::Integer((-1).into())))
            .refused("negative"),
        Case::v2("v2-with-v1-key", "Refused: the version 2 payload also has key 4 (the version 1 numbers).", &EXAMPLE)
            .edit("add key 4 with 5 bytes of a card number", |e| {
                set(e, 4, Value::Bytes(number(5).to_bytes().to_vec()));
            })
            .refused("payload is malformed"),
        Case {
            content_type: CONTENT_TYPE_REVOCATIONS,
            ..Case::v2("v2-payload-as-v1", "Refused: a version 2 payload under the version 1 content type (what a version 1 verifier would make of a version 2 list if it skipped the content type).", &EXAMPLE)
        }
        .refused("payload is malformed"),
        Case {
            content_type: CONTENT_TYPE_REVOCATIONS_V2,
            ..Case::v1("v1-payload-as-v2", "Refused: a version 1 payload under the version 2 content type.", &EXAMPLE)
        }
        .refused("payload is malformed"),
        Case {
            content_type: "application/vnd.citycard.revocations-v3+cbor",
            ..Case::v2("unknown-version", "Refused: a content type of a version this format does not define.", &EXAMPLE)
        }
        .refused("not a revocation list"),
    ];
    let mut out: Vec<(String, String)> = cases.into_iter().map(Case::finish).collect();
    out.sort();
    out
}
