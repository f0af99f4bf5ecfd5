//! Runs every test vector in `tests/vectors/` (at the repository root) and
//! checks that the committed vectors are exactly what the generator
//! (`examples/make_vectors.rs`) produces.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../examples/make_vectors.rs"]
#[allow(dead_code)]
mod make_vectors;

use citycard_credential::{Outcome, Verifier, date, keys, text};
use make_vectors::{Card, Vector};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The vectors must not silently disappear.
const MIN_VECTORS: usize = 20;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// Every `*.json` file in the folder: (file name, contents), sorted.
fn committed() -> Vec<(String, String)> {
    let dir = vectors_dir();
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn hex(s: &str, what: &str, name: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("{name}: {what} is not hex: {e}"))
}

/// Runs one vector; returns its outcome.
fn run(name: &str, v: &Vector) -> Outcome {
    let root_raw = hex(&v.root_public_key, "root_public_key", name);
    let root = keys::public_from_bytes(&root_raw).unwrap();
    assert_eq!(
        hex::encode(keys::fingerprint(&root)),
        v.root_fingerprint,
        "{name}: root_fingerprint is not SHA-256 of the root key"
    );
    let trust = hex(&v.trust_list, "trust_list", name);
    let mut verifier = Verifier::new(&trust, &root)
        .unwrap_or_else(|e| panic!("{name}: the trust list does not load: {e}"));
    let fp: [u8; 32] = hex(&v.root_fingerprint, "root_fingerprint", name)
        .try_into()
        .unwrap();
    let mut by_fingerprint = Verifier::with_fingerprint(&trust, &fp)
        .unwrap_or_else(|e| panic!("{name}: the trust list does not load by fingerprint: {e}"));
    if let Some(r) = &v.revocations {
        let r = hex(r, "revocations", name);
        verifier
            .load_revocations(&r)
            .unwrap_or_else(|e| panic!("{name}: the revocation list does not load: {e}"));
        by_fingerprint.load_revocations(&r).unwrap();
    }
    let day = date::parse(&v.date).unwrap_or_else(|e| panic!("{name}: date: {e}"));

    // The text decodes to cose_hex, or does not decode at all.
    match (&v.cose_hex, text::decode(&v.text)) {
        (Some(want), Ok(got)) => assert_eq!(hex::encode(got), *want, "{name}: cose_hex"),
        (None, Err(_)) => {}
        (want, got) => panic!("{name}: cose_hex is {want:?} but the text decodes to {got:?}"),
    }

    let result = verifier.verify(&v.text, day);
    let outcome = Outcome::from_code(&v.expected.outcome)
        .unwrap_or_else(|| panic!("{name}: unknown outcome {}", v.expected.outcome));
    assert_eq!(result.outcome, outcome, "{name}: {:?}", result.reason);
    assert_eq!(
        result.card.as_ref().map(Card::of),
        v.expected.card,
        "{name}: card"
    );
    let warnings: Vec<&str> = result.warnings.iter().map(|w| w.code()).collect();
    assert_eq!(warnings, v.expected.warnings, "{name}: warnings");
    assert_eq!(
        result.reason.as_ref().map(ToString::to_string),
        v.expected.reason,
        "{name}: reason"
    );
    assert_eq!(
        by_fingerprint.verify(&v.text, day),
        result,
        "{name}: pinning by fingerprint gives another result"
    );
    outcome
}

#[test]
fn every_vector_passes() {
    let files = committed();
    assert!(
        files.len() >= MIN_VECTORS,
        "only {} vectors in {}",
        files.len(),
        vectors_dir().display()
    );
    let mut outcomes = BTreeSet::new();
    for (name, json) in &files {
        let v: Vector =
            serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: not a vector: {e}"));
        outcomes.insert(run(name, &v).code());
    }
    for o in Outcome::ALL {
        assert!(outcomes.contains(o.code()), "no vector for outcome {o}");
    }
}

#[test]
fn vectors_match_the_generator() {
    let generated = make_vectors::generate();
    let committed = committed();
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&generated),
        "the vector files differ from the generator's; run \
         `cargo run -p citycard-credential --example make_vectors -- tests/vectors`"
    );
    for ((name, want), (_, got)) in generated.iter().zip(&committed) {
        assert!(
            want == got,
            "{name} differs from the generator's output; run \
             `cargo run -p citycard-credential --example make_vectors -- tests/vectors`"
        );
    }
}

/// Every `tests/vectors/revocations/*.json`: (file name, contents), sorted.
fn committed_lists() -> Vec<(String, String)> {
    let dir = vectors_dir().join(make_vectors::revocations::DIR);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_revocation_list_vector_passes() {
    use citycard_credential::{CardNumber, RevocationList};
    let files = committed_lists();
    assert!(
        files.len() >= 15,
        "only {} revocation-list vectors",
        files.len()
    );
    for (name, json) in &files {
        let v: make_vectors::revocations::ListVector =
            serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: not a vector: {e}"));
        let root = keys::public_from_bytes(&hex(&v.root_public_key, "root", name)).unwrap();
        let mut verifier = Verifier::new(&hex(&v.trust_list, "trust_list", name), &root).unwrap();
        let bytes = hex(&v.revocations, "revocations", name);
        match verifier.load_revocations(&bytes) {
            Ok(list) => {
                assert!(
                    v.expected.accepted,
                    "{name}: accepted, but meant to be refused"
                );
                let (_, _, format) = RevocationList::inspect_format(&bytes).unwrap();
                assert_eq!(Some(format.version()), v.expected.version, "{name}");
                assert_eq!(Some(date::format(list.issued)), v.expected.issued, "{name}");
                let numbers: Vec<String> = list.numbers().map(|n| n.digits()).collect();
                assert_eq!(Some(&numbers), v.expected.numbers.as_ref(), "{name}");
                for n in &numbers {
                    assert!(
                        list.contains(n.parse::<CardNumber>().unwrap()),
                        "{name}: {n}"
                    );
                }
                for n in &v.expected.not_on_list {
                    assert!(
                        !list.contains(n.parse::<CardNumber>().unwrap()),
                        "{name}: {n}"
                    );
                }
            }
            Err(e) => assert!(!v.expected.accepted, "{name}: refused: {e}"),
        }
    }
}

#[test]
fn revocation_list_vectors_match_the_generator() {
    let generated = make_vectors::revocations::generate();
    let committed = committed_lists();
    assert_eq!(
        committed.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        generated.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "run `cargo run -p citycard-credential --example make_vectors -- tests/vectors`"
    );
    for ((name, want), (_, got)) in generated.iter().zip(&committed) {
        assert!(
            want == got,
            "{name} differs from the generator's output; run \
             `cargo run -p citycard-credential --example make_vectors -- tests/vectors`"
        );
    }
}
