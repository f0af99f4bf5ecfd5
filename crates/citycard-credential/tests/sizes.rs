//! Sizes are deterministic, so they are asserted here rather than only
//! measured in the benchmark (`docs/performance.md`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use citycard_credential::{CardNumber, RevocationList, Verifier};
use common::{root, trust_list};
use time::macros::date;

/// SplitMix64, so the numbers are the same on every run.
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

/// A city of 1,000,000 cards with 5 % revoked: the signed version 2
/// revocation list is at most 150,000 bytes (the information floor,
/// log2 C(10^11, 50,000) / 8, is 139,838 bytes) and loads; the version 1
/// list of the same numbers is 5 bytes a number.
#[test]
fn revocation_list_of_50_000_numbers_is_at_most_150_000_bytes() {
    let mut rng = SplitMix(0x00C1_7CA2_D000_0001);
    let population: Vec<CardNumber> = (0..1_000_000)
        .map(|_| number(rng.next() % 100_000_000_000))
        .collect();
    // One card in 20, at a random place in each block of 20.
    let revoked: Vec<CardNumber> = (0..50_000)
        .map(|i| population[i * 20 + (rng.next() % 20) as usize])
        .collect();
    let list = RevocationList::new(
        "bern",
        date!(2026 - 06 - 01),
        date!(2026 - 06 - 08),
        revoked.iter().copied(),
    );
    // Random 11-digit bodies out of 10^11 almost never collide.
    assert!(list.len() > 49_990, "{} distinct numbers", list.len());
    let signed = list.sign(&root()).unwrap();
    eprintln!(
        "revocation list: {} numbers, {} bytes signed",
        list.len(),
        signed.len()
    );
    assert!(signed.len() <= 150_000, "{} bytes", signed.len());
    let v1 = list
        .sign_as(citycard_credential::ListFormat::V1, &root())
        .unwrap();
    eprintln!("version 1 of the same list: {} bytes", v1.len());
    // The envelope around the packed numbers is small and fixed.
    assert!(v1.len() - list.len() * 5 < 200);

    let tl = trust_list().sign(&root()).unwrap();
    let mut v = Verifier::new(&tl, &root().verifying_key()).unwrap();
    let loaded = v.load_revocations(&signed).unwrap();
    assert_eq!(loaded.len(), list.len());
    assert!(revoked.iter().all(|n| loaded.contains(*n)));
    let loaded = v.load_revocations(&v1).unwrap();
    assert_eq!(loaded.len(), list.len());
    assert!(revoked.iter().all(|n| loaded.contains(*n)));
}
