//! Benchmarks for the credential (`docs/performance.md`, section Credential).
//!
//! ```text
//! cargo bench -p citycard-credential
//! ```
//!
//! - `verify/full`: `Verifier::verify` of a scanned text against a 20-key trust
//!   list and a 50,000-number revocation list, next to
//! - `verify/bare_verify_strict`: `VerifyingKey::verify_strict` alone over the
//!   same Sig_structure (the floor: the signature check a verifier cannot skip);
//! - `sign/sign_card_text`: claims → signed COSE → QR text, per card, from
//!   the `SigningKey`; `sign/card_signer`: the same with a `CardSigner` made
//!   once (the key kept expanded, kid and protected header made once), which
//!   is how many cards are signed;
//! - `revocations/load_50k` and `revocations/load_50k_and_check`:
//!   `Verifier::load_revocations` of the signed 50,000-number list in
//!   version 2 (Golomb–Rice, the format the office publishes; signature
//!   check and decoding included), then one lookup; `load_50k_v1_and_check`
//!   the same list in version 1 (5 bytes a number).
//!
//! After criterion's runs it prints the sizes and a full-vs-bare ratio from
//! alternating calls in the same process (the median of 20,000 per-pair
//! ratios), which is far less disturbed by a busy machine than two separate
//! criterion runs, and the median time of 20,000 signatures each way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use citycard_credential::{
    CardClaims, CardNumber, CardSigner, KeyUsage, RevocationList, SigningKey, TrustList,
    TrustedKey, Verifier, sign_card_text, text,
};
use coset::{CoseSign1, TaggedCborSerializable};
use criterion::{Criterion, Throughput, black_box, criterion_group};
use ed25519_dalek::Signature;
use std::time::{Duration, Instant};
use time::macros::date;

const OFFICE_KEYS: u8 = 20;
const POPULATION: u64 = 1_000_000;
const REVOKED: usize = 50_000;
const TODAY: time::Date = date!(2026 - 06 - 15);

/// SplitMix64: a fixed-seed generator, so every run measures the same data.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn number(body: u64) -> CardNumber {
    (0..10)
        .find_map(|d| CardNumber::from_u64(body * 10 + d).ok())
        .unwrap()
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

struct Setup {
    verifier: Verifier,
    trust_cose: Vec<u8>,
    revocations_cose: Vec<u8>,
    revocations_v1_cose: Vec<u8>,
    office: SigningKey,
    claims: CardClaims,
    text: String,
    /// Sig_structure and signature of the card, for the bare check.
    tbs: Vec<u8>,
    signature: Signature,
    population: Vec<CardNumber>,
}

fn setup() -> Setup {
    let root = key(1);
    let keys: Vec<TrustedKey> = (0..OFFICE_KEYS)
        .map(|i| {
            TrustedKey::new(
                key(10 + i).verifying_key(),
                format!("Bürgerbüro {}", i + 1),
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
    let trust_cose = trust.sign(&root).unwrap();

    // A population of 1,000,000 random card numbers; 50,000 of them revoked.
    let mut rng = SplitMix(0x00C1_7CA2_D000_0001);
    let population: Vec<CardNumber> = (0..POPULATION)
        .map(|_| number(rng.next() % 100_000_000_000))
        .collect();
    let mut revoked: Vec<CardNumber> = Vec::with_capacity(REVOKED);
    let mut i = 0usize;
    while revoked.len() < REVOKED {
        // Every 20th card, shifted pseudo-randomly: 5 % of the population.
        let at = i * 20 + (rng.next() % 20) as usize;
        revoked.push(population[at]);
        i += 1;
    }
    let list = RevocationList::new(
        "bern",
        date!(2026 - 06 - 01),
        date!(2026 - 07 - 01),
        revoked.iter().copied(),
    );
    let revocations_cose = list.sign(&root).unwrap();
    let revocations_v1_cose = list
        .sign_as(citycard_credential::ListFormat::V1, &root)
        .unwrap();

    // The scanned card: signed by the 15th office key, not revoked.
    let office = key(10 + 14);
    let card_number = population
        .iter()
        .copied()
        .find(|n| !list.contains(*n))
        .unwrap();
    let claims = CardClaims {
        issuer: "bern".into(),
        card_number,
        given_names: "Maximiliane Alexandra".into(),
        family_name: "Oberhollenzer-Wyss".into(),
        issued: date!(2026 - 03 - 01),
        expires: date!(2031 - 02 - 28),
        date_of_birth: Some(date!(1990 - 01 - 01).into()),
    };
    let text = sign_card_text(&office, &claims).unwrap();

    let mut verifier = Verifier::new(&trust_cose, &root.verifying_key()).unwrap();
    verifier.load_revocations(&revocations_cose).unwrap();
    let check = verifier.verify(&text, TODAY);
    assert!(check.outcome.is_valid(), "{:?}", check.reason);
    assert!(check.warnings.is_empty());

    let sign1 = CoseSign1::from_tagged_slice(&text::decode(&text).unwrap()).unwrap();
    let tbs = sign1.tbs_data(b"");
    let signature = Signature::from_slice(&sign1.signature).unwrap();
    Setup {
        verifier,
        trust_cose,
        revocations_cose,
        revocations_v1_cose,
        office,
        claims,
        text,
        tbs,
        signature,
        population,
    }
}

fn benches(c: &mut Criterion) {
    let s = setup();
    let office_public = s.office.verifying_key();

    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("full", |b| {
        b.iter(|| s.verifier.verify(black_box(&s.text), black_box(TODAY)))
    });
    g.bench_function("bare_verify_strict", |b| {
        b.iter(|| {
            office_public
                .verify_strict(black_box(&s.tbs), black_box(&s.signature))
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sign");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign_card_text", |b| {
        b.iter(|| sign_card_text(black_box(&s.office), black_box(&s.claims)).unwrap())
    });
    let signer = CardSigner::new(&s.office).unwrap();
    g.bench_function("card_signer", |b| {
        b.iter(|| black_box(&signer).sign_text(black_box(&s.claims)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("revocations");
    g.sample_size(30);
    let mut v = s.verifier.clone();
    g.bench_function("load_50k", |b| {
        b.iter(|| {
            v.load_revocations(black_box(&s.revocations_cose))
                .unwrap()
                .len()
        })
    });
    let probe = s.population[123_457];
    g.bench_function("load_50k_and_check", |b| {
        b.iter(|| {
            v.load_revocations(black_box(&s.revocations_cose))
                .unwrap()
                .contains(black_box(probe))
        })
    });
    g.bench_function("load_50k_v1_and_check", |b| {
        b.iter(|| {
            v.load_revocations(black_box(&s.revocations_v1_cose))
                .unwrap()
                .contains(black_box(probe))
        })
    });
    g.finish();
}

/// Full verify and bare verify_strict, alternating call by call so that
/// each pair sees the same machine state (clock speed, other processes).
/// Returns the median time of each and the median of the per-pair ratios,
/// which a busy or throttling machine disturbs least.
fn paired(s: &Setup) -> (f64, f64, f64) {
    const PAIRS: usize = 20_000;
    let public = s.office.verifying_key();
    let (mut full, mut bare, mut ratio) = (
        Vec::with_capacity(PAIRS),
        Vec::with_capacity(PAIRS),
        Vec::with_capacity(PAIRS),
    );
    for _ in 0..PAIRS {
        let t0 = Instant::now();
        black_box(s.verifier.verify(black_box(&s.text), TODAY));
        let t1 = Instant::now();
        public
            .verify_strict(black_box(&s.tbs), black_box(&s.signature))
            .unwrap();
        let t2 = Instant::now();
        let (f, b) = ((t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64());
        full.push(f);
        bare.push(b);
        ratio.push(f / b);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(full), median(bare), median(ratio))
}

/// Signing from the `SigningKey` and with a `CardSigner`, alternating call
/// by call like [`paired`]: the median time of each (a busy machine
/// preempts some calls; the median is the time of an undisturbed one).
fn signing(s: &Setup) -> (f64, f64) {
    const CALLS: usize = 20_000;
    let signer = CardSigner::new(&s.office).unwrap();
    let (mut key, mut prepared) = (Vec::with_capacity(CALLS), Vec::with_capacity(CALLS));
    for _ in 0..CALLS {
        let t0 = Instant::now();
        black_box(sign_card_text(black_box(&s.office), black_box(&s.claims)).unwrap());
        let t1 = Instant::now();
        black_box(black_box(&signer).sign_text(black_box(&s.claims)).unwrap());
        let t2 = Instant::now();
        key.push((t1 - t0).as_secs_f64());
        prepared.push((t2 - t1).as_secs_f64());
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(key), median(prepared))
}

fn summary() {
    let s = setup();
    let cose = text::decode(&s.text).unwrap();
    let (full, bare, ratio) = paired(&s);
    let (sign_key, sign_prepared) = signing(&s);
    println!();
    println!("== credential summary ==");
    println!(
        "trust list: {} keys, {} bytes signed",
        OFFICE_KEYS,
        s.trust_cose.len()
    );
    println!(
        "revocation list: {} numbers out of {} cards, {} bytes signed ({:.1} KB)",
        REVOKED,
        POPULATION,
        s.revocations_cose.len(),
        s.revocations_cose.len() as f64 / 1000.0
    );
    println!(
        "revocation list version 1 of the same numbers: {} bytes signed",
        s.revocations_v1_cose.len()
    );
    println!(
        "scanned card: COSE {} bytes, text {} characters",
        cose.len(),
        s.text.len()
    );
    println!(
        "paired calls (median of 20,000): full verify {:.2} µs, bare verify_strict {:.2} µs, \
         median ratio {:.3}",
        full * 1e6,
        bare * 1e6,
        ratio
    );
    println!(
        "signing (median of 20,000 alternating calls): sign_card_text {:.2} µs ({:.0} cards/s), \
         CardSigner::sign_text {:.2} µs ({:.0} cards/s)",
        sign_key * 1e6,
        1.0 / sign_key,
        sign_prepared * 1e6,
        1.0 / sign_prepared
    );
}

criterion_group! {
    name = group;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = benches
}

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs this binary with `--bench` absent: keep it quick.
    if std::env::args().any(|a| a == "--bench") {
        summary();
    }
}
